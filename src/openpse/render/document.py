"""What a printed representation shows, read from the signed UBL 2.1 XML alone.

Follows SUNAT's "Guía de elaboración de documentos XML" for the factura, boleta, nota de
crédito and nota de débito (UBL 2.1, versión 2.0 de SUNAT; sunat.md §4.2–4.4) and the
validation sheets' reading of each element: who issues and who buys
(``cac:AccountingSupplierParty``, ``cac:AccountingCustomerParty``), the legends
(``cbc:Note@languageLocaleID``, catálogo 52), the payment terms (``cac:PaymentTerms``:
FormaPago, CuotaNNN, Detraccion), the totals per tributo (``cac:TaxSubtotal``, catálogo
05), global discounts and charges (``cac:AllowanceCharge``, catálogo 53), the lines, and
the "valor resumen" (``ds:DigestValue``, RS 113-2018 Anexo 6; sunat.md §5).

Nothing comes from OpenPSE's database or request models, so any SUNAT-shaped XML prints
the same way (OpenPSE's own, greenter's, openubl's). Values are kept as the XML has them
(amounts as Decimal, codes as text); names for codes come from SUNAT's catalogues.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from lxml import etree

from openpse.authorities.sunat import catalogs
from openpse.authorities.sunat.ubl.ns import CAC, CBC, CREDIT_NOTE, DEBIT_NOTE, DS, EXT, INVOICE
from openpse.render import xmlread
from openpse.render.errors import RenderError

_NS = {"cac": CAC, "cbc": CBC, "ext": EXT, "ds": DS}

# Root element → (tipo de comprobante, line element, quantity element, monetary total).
# The nota de débito is the one document whose totals are RequestedMonetaryTotal.
_ROOTS = {
    (INVOICE, "Invoice"): ("", "InvoiceLine", "InvoicedQuantity", "LegalMonetaryTotal"),
    (CREDIT_NOTE, "CreditNote"): ("07", "CreditNoteLine", "CreditedQuantity", "LegalMonetaryTotal"),
    (DEBIT_NOTE, "DebitNote"): ("08", "DebitNoteLine", "DebitedQuantity", "RequestedMonetaryTotal"),
}
INVOICE_TYPES = ("01", "03")

# Catálogo 07: the afectaciones of transfers "a título gratuito" (retiros, bonificaciones).
_FREE = frozenset({"11", "12", "13", "14", "15", "16", "21", "31", "32", "33", "34", "35", "36", "37"})


@dataclass(frozen=True)
class Party:
    """Emisor or adquirente as the XML names them."""

    name: str
    """cac:PartyLegalEntity/cbc:RegistrationName: razón social, or apellidos y nombres."""
    id_type: str
    """cac:PartyIdentification/cbc:ID@schemeID, catálogo 06 ("6" RUC, "1" DNI...); "" if absent."""
    id_number: str
    trade_name: str | None = None
    """cac:PartyName/cbc:Name: nombre comercial."""
    address: str | None = None


@dataclass(frozen=True)
class Line:
    quantity: Decimal
    unit: str
    """cbc:*Quantity@unitCode, catálogo 03 (UN/ECE rec 20)."""
    description: str
    amount: Decimal
    """cbc:LineExtensionAmount: valor de venta del ítem (without taxes, after item discounts)."""
    unit_value: Decimal | None
    """cac:Price/cbc:PriceAmount: valor unitario, without taxes."""
    unit_price: Decimal | None
    """PricingReference with PriceTypeCode 01: precio unitario, taxes included."""
    reference_value: Decimal | None
    """PricingReference with PriceTypeCode 02: valor referencial of a free transfer."""
    code: str | None = None
    product_code: str | None = None
    """cac:CommodityClassification/cbc:ItemClassificationCode: código de producto SUNAT."""
    afectacion: str | None = None
    """cbc:TaxExemptionReasonCode, catálogo 07."""
    discount: Decimal = Decimal(0)
    charge: Decimal = Decimal(0)
    isc: Decimal | None = None
    icbper: Decimal | None = None
    properties: tuple[tuple[str, str], ...] = ()
    """cac:AdditionalItemProperty (Name, Value): placa, detalle del servicio..."""

    @property
    def free(self) -> bool:
        return self.afectacion in _FREE or self.reference_value is not None


@dataclass(frozen=True)
class Adjustment:
    """A global cac:AllowanceCharge (catálogo 53)."""

    charge: bool
    code: str
    amount: Decimal
    factor: Decimal | None
    base: Decimal | None
    currency: str


@dataclass(frozen=True)
class Totals:
    """cac:TaxTotal per tributo (catálogo 05) and the monetary total."""

    payable: Decimal
    gravado: Decimal | None = None
    exonerado: Decimal | None = None
    inafecto: Decimal | None = None
    exportacion: Decimal | None = None
    gratuito: Decimal | None = None
    igv: Decimal | None = None
    igv_percent: Decimal | None = None
    ivap_base: Decimal | None = None
    ivap: Decimal | None = None
    isc: Decimal | None = None
    icbper: Decimal | None = None
    otros_tributos: Decimal | None = None
    allowance_total: Decimal | None = None
    charge_total: Decimal | None = None
    prepaid: Decimal | None = None
    rounding: Decimal | None = None


@dataclass(frozen=True)
class Installment:
    """One cuota of a sale on credit (cac:PaymentTerms CuotaNNN)."""

    label: str
    amount: Decimal | None
    due: dt.date | None


@dataclass(frozen=True)
class PaymentTerms:
    """FormaPago: Contado, or Credito with its pending amount and cuotas."""

    method: str
    pending: Decimal | None
    installments: tuple[Installment, ...]


@dataclass(frozen=True)
class Detraccion:
    """SPOT (detracción): cac:PaymentTerms and cac:PaymentMeans with ID "Detraccion"."""

    goods_code: str
    """Catálogo 54: bien o servicio sujeto a detracción."""
    percent: Decimal | None
    amount: Decimal | None
    account: str | None
    """Cuenta del emisor en el Banco de la Nación."""
    means_code: str | None
    """Catálogo 59: medio de pago."""


@dataclass(frozen=True)
class Reference:
    """A document related to this one, with what it is."""

    label: str
    number: str


@dataclass(frozen=True)
class AffectedDocument:
    """cac:BillingReference/cac:InvoiceDocumentReference of a nota."""

    tipo: str
    """Catálogo 01; "" when the nota names the document only in cac:DiscrepancyResponse."""
    number: str


@dataclass(frozen=True)
class Prepayment:
    """cac:PrepaidPayment: an anticipo deducted from this sale."""

    document: str
    amount: Decimal | None


@dataclass(frozen=True)
class Discrepancy:
    """cac:DiscrepancyResponse of a nota: the motive (catálogo 09 or 10) and its sustento."""

    code: str
    description: str


@dataclass(frozen=True)
class Comprobante:
    tipo: str
    """Catálogo 01: 01 factura, 03 boleta, 07 nota de crédito, 08 nota de débito."""
    serie: str
    numero: str
    issue_date: dt.date
    issue_time: str | None
    due_date: dt.date | None
    currency: str
    operation_type: str | None
    """cbc:InvoiceTypeCode@listID, catálogo 51."""
    supplier: Party
    customer: Party
    lines: tuple[Line, ...]
    totals: Totals
    legends: tuple[tuple[str, str], ...]
    """(catálogo 52 code, text); 1000 is the amount in words."""
    notes: tuple[str, ...]
    """cbc:Note without languageLocaleID: the issuer's observations."""
    payment: PaymentTerms | None
    detraccion: Detraccion | None
    references: tuple[Reference, ...]
    adjustments: tuple[Adjustment, ...]
    prepayments: tuple[Prepayment, ...]
    perception_total: Decimal | None
    """cac:PaymentTerms "Percepcion": the amount to collect, percepción included (in PEN)."""
    affected: AffectedDocument | None
    discrepancy: Discrepancy | None
    digest_value: str

    @property
    def serie_numero(self) -> str:
        return f"{self.serie}-{self.numero}"


def _text(node: etree._Element, path: str) -> str:
    return xmlread.text(node, path, _NS)


def _optional(node: etree._Element, path: str) -> str | None:
    return xmlread.optional(node, path, _NS)


_decimal = xmlread.decimal
_date = xmlread.date
_join = xmlread.join


def _amount(node: etree._Element, path: str) -> Decimal | None:
    return xmlread.amount(node, path, _NS)


def _optional_date(node: etree._Element, path: str) -> dt.date | None:
    return xmlread.optional_date(node, path, _NS)


def _address(address: etree._Element | None) -> str | None:
    if address is None:
        return None
    lines = [(line.text or "").strip() for line in address.findall("cac:AddressLine/cbc:Line", _NS)]
    street = " ".join(line for line in lines if line) or _text(address, "cbc:StreetName")
    places = [
        _text(address, "cbc:District"),
        _text(address, "cbc:CityName"),
        _text(address, "cbc:CountrySubentity"),
    ]
    place = " - ".join(p for p in places if p and p != "-")
    return _join(street, _text(address, "cbc:CitySubdivisionName"), place)


def _party(root: etree._Element, path: str) -> Party | None:
    party = root.find(path, _NS)
    if party is None:
        return None
    ident = party.find("cac:PartyIdentification/cbc:ID", _NS)
    legal = party.find("cac:PartyLegalEntity", _NS)
    name = _text(legal, "cbc:RegistrationName") if legal is not None else ""
    address = None
    if legal is not None:
        address = legal.find("cac:RegistrationAddress", _NS)
    return Party(
        name=name,
        id_type=(ident.get("schemeID") or "").strip() if ident is not None else "",
        id_number=(ident.text or "").strip() if ident is not None else "",
        trade_name=_optional(party, "cac:PartyName/cbc:Name"),
        address=_address(address),
    )


def _supplier(root: etree._Element) -> Party:
    party = _party(root, "cac:AccountingSupplierParty/cac:Party")
    if party is None or not party.id_number:
        raise RenderError(
            "Falta el RUC del emisor (cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification)"
        )
    if not party.name:
        if not party.trade_name:
            raise RenderError("Falta la razón social del emisor (cac:PartyLegalEntity/cbc:RegistrationName)")
        return Party(party.trade_name, party.id_type, party.id_number, None, party.address)
    return party


def _tax_amounts(tax_total: etree._Element) -> dict[str, tuple[Decimal, Decimal, Decimal | None]]:
    """Per tributo (catálogo 05): taxable amount, tax amount and percent, summed if repeated."""
    found: dict[str, tuple[Decimal, Decimal, Decimal | None]] = {}
    for subtotal in tax_total.findall("cac:TaxSubtotal", _NS):
        scheme = _text(subtotal, "cac:TaxCategory/cac:TaxScheme/cbc:ID")
        taxable = _amount(subtotal, "cbc:TaxableAmount") or Decimal(0)
        tax = _amount(subtotal, "cbc:TaxAmount") or Decimal(0)
        percent = _amount(subtotal, "cac:TaxCategory/cbc:Percent")
        previous = found.get(scheme)
        if previous is not None:
            taxable, tax = taxable + previous[0], tax + previous[1]
            percent = previous[2] if previous[2] is not None else percent
        found[scheme] = (taxable, tax, percent)
    return found


def _line(node: etree._Element, quantity_tag: str) -> Line:
    number = _text(node, "cbc:ID")
    where = f"la línea {number or '?'}"
    quantity_node = node.find(f"cbc:{quantity_tag}", _NS)
    if quantity_node is None or not (quantity_node.text or "").strip():
        raise RenderError(f"Falta cbc:{quantity_tag} en {where}")
    amount = _amount(node, "cbc:LineExtensionAmount")
    if amount is None:
        raise RenderError(f"Falta cbc:LineExtensionAmount en {where}")
    unit_price = reference_value = None
    for price in node.findall("cac:PricingReference/cac:AlternativeConditionPrice", _NS):
        value = _amount(price, "cbc:PriceAmount")
        if _text(price, "cbc:PriceTypeCode") == "02":
            reference_value = value
        else:
            unit_price = value
    discount = charge = Decimal(0)
    for adjustment in node.findall("cac:AllowanceCharge", _NS):
        value = _amount(adjustment, "cbc:Amount") or Decimal(0)
        if _text(adjustment, "cbc:ChargeIndicator").lower() == "true":
            charge += value
        else:
            discount += value
    afectacion = None
    isc = icbper = None
    for subtotal in node.findall("cac:TaxTotal/cac:TaxSubtotal", _NS):
        scheme = _text(subtotal, "cac:TaxCategory/cac:TaxScheme/cbc:ID")
        afectacion = afectacion or _optional(subtotal, "cac:TaxCategory/cbc:TaxExemptionReasonCode")
        if scheme == "2000":
            isc = _amount(subtotal, "cbc:TaxAmount")
        elif scheme == "7152":
            icbper = _amount(subtotal, "cbc:TaxAmount")
    item = node.find("cac:Item", _NS)
    descriptions: list[str] = []
    properties: list[tuple[str, str]] = []
    code = product_code = None
    if item is not None:
        descriptions = [(d.text or "").strip() for d in item.findall("cbc:Description", _NS)]
        code = _optional(item, "cac:SellersItemIdentification/cbc:ID")
        product_code = _optional(item, "cac:CommodityClassification/cbc:ItemClassificationCode")
        for prop in item.findall("cac:AdditionalItemProperty", _NS):
            name, text = _text(prop, "cbc:Name"), _text(prop, "cbc:Value")
            if name or text:
                properties.append((name, text))
    return Line(
        quantity=_decimal(quantity_node.text or "", f"cbc:{quantity_tag} de {where}"),
        unit=(quantity_node.get("unitCode") or "").strip(),
        description="\n".join(d for d in descriptions if d),
        amount=amount,
        unit_value=_amount(node, "cac:Price/cbc:PriceAmount"),
        unit_price=unit_price,
        reference_value=reference_value,
        code=code,
        product_code=product_code,
        afectacion=afectacion,
        discount=discount,
        charge=charge,
        isc=isc,
        icbper=icbper,
        properties=tuple(properties),
    )


def _totals(root: etree._Element, monetary: str) -> Totals:
    total = root.find(f"cac:{monetary}", _NS)
    payable = _amount(total, "cbc:PayableAmount") if total is not None else None
    if total is None or payable is None:
        raise RenderError(f"Falta el importe total (cac:{monetary}/cbc:PayableAmount)")
    tax_total = root.find("cac:TaxTotal", _NS)
    taxes = _tax_amounts(tax_total) if tax_total is not None else {}
    igv = taxes.get("1000")
    igv_percent = igv[2] if igv else None
    if igv_percent is None:
        # The header subtotal rarely carries the rate; every line does (and all share it, 3462).
        for node in root.iter(f"{{{CAC}}}TaxSubtotal"):
            if _text(node, "cac:TaxCategory/cac:TaxScheme/cbc:ID") == "1000":
                igv_percent = _amount(node, "cac:TaxCategory/cbc:Percent")
                if igv_percent is not None:
                    break

    def taxable(code: str) -> Decimal | None:
        entry = taxes.get(code)
        return entry[0] if entry else None

    def tax(code: str) -> Decimal | None:
        entry = taxes.get(code)
        return entry[1] if entry else None

    return Totals(
        payable=payable,
        gravado=taxable("1000"),
        exonerado=taxable("9997"),
        inafecto=taxable("9998"),
        exportacion=taxable("9995"),
        gratuito=taxable("9996"),
        igv=tax("1000"),
        igv_percent=igv_percent,
        ivap_base=taxable("1016"),
        ivap=tax("1016"),
        isc=tax("2000"),
        icbper=tax("7152"),
        otros_tributos=tax("9999"),
        allowance_total=_amount(total, "cbc:AllowanceTotalAmount"),
        charge_total=_amount(total, "cbc:ChargeTotalAmount"),
        prepaid=_amount(total, "cbc:PrepaidAmount"),
        rounding=_amount(total, "cbc:PayableRoundingAmount"),
    )


def _payment(root: etree._Element) -> tuple[PaymentTerms | None, Detraccion | None, Decimal | None]:
    method: str | None = None
    pending: Decimal | None = None
    installments: list[Installment] = []
    detraccion: Detraccion | None = None
    perception: Decimal | None = None
    for terms in root.findall("cac:PaymentTerms", _NS):
        kind = _text(terms, "cbc:ID")
        means = _text(terms, "cbc:PaymentMeansID")
        if kind == "Detraccion":
            account_means = root.find("cac:PaymentMeans[cbc:ID='Detraccion']", _NS)
            detraccion = Detraccion(
                goods_code=means,
                percent=_amount(terms, "cbc:PaymentPercent"),
                amount=_amount(terms, "cbc:Amount"),
                account=_optional(account_means, "cac:PayeeFinancialAccount/cbc:ID")
                if account_means is not None
                else None,
                means_code=_optional(account_means, "cbc:PaymentMeansCode")
                if account_means is not None
                else None,
            )
        elif kind == "Percepcion":
            perception = _amount(terms, "cbc:Amount")
        elif means.startswith("Cuota"):
            installments.append(
                Installment(
                    label=means,
                    amount=_amount(terms, "cbc:Amount"),
                    due=_optional_date(terms, "cbc:PaymentDueDate"),
                )
            )
        elif means in ("Contado", "Credito"):
            method = means
            pending = _amount(terms, "cbc:Amount")
    if method is None and installments:
        method = "Credito"
    payment = PaymentTerms(method, pending, tuple(installments)) if method else None
    return payment, detraccion, perception


def _references(root: etree._Element) -> tuple[Reference, ...]:
    found: list[Reference] = []
    for ident in root.findall("cac:OrderReference/cbc:ID", _NS):
        if (ident.text or "").strip():
            found.append(Reference("Orden de compra", (ident.text or "").strip()))
    for ref in root.findall("cac:DespatchDocumentReference", _NS):
        kind = _text(ref, "cbc:DocumentTypeCode")
        label = "Guía de remisión transportista" if kind == "31" else "Guía de remisión"
        found.append(Reference(label, _text(ref, "cbc:ID")))
    for ref in root.findall("cac:AdditionalDocumentReference", _NS):
        kind = _text(ref, "cbc:DocumentTypeCode")
        found.append(Reference(catalogs.nombre("12", kind) or "Documento relacionado", _text(ref, "cbc:ID")))
    return tuple(r for r in found if r.number)


def _adjustments(root: etree._Element, currency: str) -> tuple[Adjustment, ...]:
    found: list[Adjustment] = []
    for node in root.findall("cac:AllowanceCharge", _NS):
        amount = _amount(node, "cbc:Amount")
        if amount is None:
            continue
        amount_node = node.find("cbc:Amount", _NS)
        found.append(
            Adjustment(
                charge=_text(node, "cbc:ChargeIndicator").lower() == "true",
                code=_text(node, "cbc:AllowanceChargeReasonCode"),
                amount=amount,
                factor=_amount(node, "cbc:MultiplierFactorNumeric"),
                base=_amount(node, "cbc:BaseAmount"),
                # Percepción is always in soles, whatever the document's currency.
                currency=(amount_node.get("currencyID") if amount_node is not None else None) or currency,
            )
        )
    return tuple(found)


def _digest_value(root: etree._Element) -> str:
    return xmlread.digest_value(
        root.findall(
            "ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent/ds:Signature/ds:SignedInfo/ds:Reference",
            _NS,
        ),
        _NS,
    )


def read_comprobante(xml: bytes) -> Comprobante:
    """Read a signed factura, boleta, nota de crédito or nota de débito (UBL 2.1)."""
    return read_invoice_root(xmlread.parse_root(xml))


def read_invoice_root(root: etree._Element) -> Comprobante:
    """:func:`read_comprobante` of an already parsed document."""
    qname = etree.QName(root)
    shape = _ROOTS.get((qname.namespace or "", qname.localname))
    if shape is None:
        raise RenderError(
            f"Documento {qname.localname} no soportado: se imprimen Invoice (factura 01, boleta 03), "
            "CreditNote (07) y DebitNote (08) de UBL 2.1"
        )
    tipo, line_tag, quantity_tag, monetary = shape
    version = _text(root, "cbc:UBLVersionID")
    if version and version != "2.1":
        raise RenderError(f"UBL {version} no soportado: SUNAT recibe comprobantes en UBL 2.1 desde 2019")
    operation_type = None
    if not tipo:
        type_code = root.find("cbc:InvoiceTypeCode", _NS)
        tipo = _text(root, "cbc:InvoiceTypeCode")
        if type_code is None or tipo not in INVOICE_TYPES:
            raise RenderError(
                f"Tipo de comprobante {tipo or '(vacío)'} no soportado: un Invoice imprimible es "
                "factura (01) o boleta de venta (03)"
            )
        operation_type = (type_code.get("listID") or "").strip() or None
    ident = _text(root, "cbc:ID")
    serie, dash, numero = ident.partition("-")
    if not dash or not serie or not numero:
        raise RenderError(f"cbc:ID {ident!r} no tiene la forma SERIE-NÚMERO")
    issue = _text(root, "cbc:IssueDate")
    if not issue:
        raise RenderError("Falta la fecha de emisión (cbc:IssueDate)")
    currency = _text(root, "cbc:DocumentCurrencyCode")
    if not currency:
        raise RenderError("Falta la moneda (cbc:DocumentCurrencyCode)")
    issue_time = _text(root, "cbc:IssueTime")[:8] or None
    legends: list[tuple[str, str]] = []
    notes: list[str] = []
    for note in root.findall("cbc:Note", _NS):
        text = (note.text or "").strip()
        if not text:
            continue
        code = note.get("languageLocaleID")
        if code:
            legends.append((code.strip(), text))
        else:
            notes.append(text)
    lines = tuple(_line(node, quantity_tag) for node in root.findall(f"cac:{line_tag}", _NS))
    if not lines:
        raise RenderError(f"El comprobante no tiene líneas (cac:{line_tag})")
    payment, detraccion, perception = _payment(root)
    affected = None
    billing = root.find("cac:BillingReference/cac:InvoiceDocumentReference", _NS)
    if billing is not None:
        affected = AffectedDocument(_text(billing, "cbc:DocumentTypeCode"), _text(billing, "cbc:ID"))
    discrepancy = None
    response = root.find("cac:DiscrepancyResponse", _NS)
    if response is not None:
        discrepancy = Discrepancy(_text(response, "cbc:ResponseCode"), _text(response, "cbc:Description"))
        if affected is None and _text(response, "cbc:ReferenceID"):
            affected = AffectedDocument("", _text(response, "cbc:ReferenceID"))
    prepayments = tuple(
        Prepayment(_text(node, "cbc:ID"), _amount(node, "cbc:PaidAmount"))
        for node in root.findall("cac:PrepaidPayment", _NS)
    )
    return Comprobante(
        tipo=tipo,
        serie=serie,
        numero=numero,
        issue_date=_date(issue, "cbc:IssueDate"),
        issue_time=issue_time,
        due_date=_optional_date(root, "cbc:DueDate"),
        currency=currency,
        operation_type=operation_type,
        supplier=_supplier(root),
        customer=_party(root, "cac:AccountingCustomerParty/cac:Party") or Party("", "", ""),
        lines=lines,
        totals=_totals(root, monetary),
        legends=tuple(legends),
        notes=tuple(notes),
        payment=payment,
        detraccion=detraccion,
        references=_references(root),
        adjustments=_adjustments(root, currency),
        prepayments=prepayments,
        perception_total=perception,
        affected=affected,
        discrepancy=discrepancy,
        digest_value=_digest_value(root),
    )
