"""UBL 2.1 Invoice for factura (01) and boleta (03), CustomizationID 2.0.

Element order follows the OASIS UBL-Invoice-2.1 schema; content follows SUNAT's
"Guía de elaboración de documentos XML - Factura electrónica" and the Factura2_0 /
Boleta2_0 validation sheets (the code of each rule is noted where a choice matters).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from lxml import etree

from openpse.authorities.sunat.totals import DocumentTotals, LineTotals
from openpse.authorities.sunat.ubl.ns import CAC, CBC, DS, EXT, INVOICE, cac, cbc, ext, sub
from openpse.core.money import fmt2, fmt_max, fmt_qty

_NSMAP = {None: INVOICE, "cac": CAC, "cbc": CBC, "ext": EXT, "ds": DS}
_CAT = "urn:pe:gob:sunat:cpe:see:gem:catalogos:catalogo"


@dataclass(frozen=True)
class Emisor:
    """The issuer as it appears in cac:AccountingSupplierParty."""

    ruc: str
    razon_social: str
    nombre_comercial: str | None = None
    ubigeo: str | None = None
    departamento: str | None = None
    provincia: str | None = None
    distrito: str | None = None
    urbanizacion: str | None = None
    direccion: str | None = None
    codigo_establecimiento: str = "0000"
    """Código de establecimiento anexo (cbc:AddressTypeCode); 0000 is the domicilio fiscal."""


@dataclass(frozen=True)
class Receptor:
    tipo_documento: str
    numero_documento: str
    razon_social: str
    direccion: str | None = None


@dataclass(frozen=True)
class Linea:
    descripcion: str
    unidad: str
    totals: LineTotals
    codigo: str | None = None
    codigo_producto_sunat: str | None = None


@dataclass(frozen=True)
class Cuota:
    monto: Decimal
    fecha_pago: dt.date


@dataclass(frozen=True)
class Invoice:
    tipo: str
    serie: str
    numero: int
    fecha_emision: dt.date
    hora_emision: dt.time
    moneda: str
    tipo_operacion: str
    emisor: Emisor
    receptor: Receptor
    lineas: list[Linea]
    totals: DocumentTotals
    leyendas: list[tuple[str, str]] = field(default_factory=list)
    forma_pago: str = "Contado"
    monto_pendiente: Decimal | None = None
    cuotas: list[Cuota] = field(default_factory=list)
    fecha_vencimiento: dt.date | None = None
    observaciones: str | None = None
    orden_compra: str | None = None

    @property
    def serie_numero(self) -> str:
        return f"{self.serie}-{self.numero}"


def _amount(parent: etree._Element, tag: str, value: Decimal, currency: str) -> etree._Element:
    return sub(parent, tag, fmt2(value), currencyID=currency)


def _tax_scheme(parent: etree._Element, codigo: str, nombre: str, internacional: str) -> None:
    scheme = sub(parent, cac("TaxScheme"))
    sub(
        scheme,
        cbc("ID"),
        codigo,
        schemeName="Codigo de tributos",
        schemeAgencyName="PE:SUNAT",
        schemeURI=_CAT + "05",
    )
    sub(scheme, cbc("Name"), nombre)
    sub(scheme, cbc("TaxTypeCode"), internacional)


def _supplier(root: etree._Element, emisor: Emisor) -> None:
    party = sub(sub(root, cac("AccountingSupplierParty")), cac("Party"))
    ident = sub(party, cac("PartyIdentification"))
    sub(
        ident,
        cbc("ID"),
        emisor.ruc,
        schemeID="6",
        schemeName="Documento de Identidad",
        schemeAgencyName="PE:SUNAT",
        schemeURI=_CAT + "06",
    )
    if emisor.nombre_comercial:
        sub(sub(party, cac("PartyName")), cbc("Name"), emisor.nombre_comercial)
    legal = sub(party, cac("PartyLegalEntity"))
    sub(legal, cbc("RegistrationName"), emisor.razon_social)
    address = sub(legal, cac("RegistrationAddress"))
    if emisor.ubigeo:
        sub(address, cbc("ID"), emisor.ubigeo, schemeName="Ubigeos", schemeAgencyName="PE:INEI")
    # 3030 (observation) when missing: the establishment that issues the document.
    sub(
        address,
        cbc("AddressTypeCode"),
        emisor.codigo_establecimiento,
        listAgencyName="PE:SUNAT",
        listName="Establecimientos anexos",
    )
    if emisor.urbanizacion:
        sub(address, cbc("CitySubdivisionName"), emisor.urbanizacion)
    if emisor.provincia:
        sub(address, cbc("CityName"), emisor.provincia)
    if emisor.departamento:
        sub(address, cbc("CountrySubentity"), emisor.departamento)
    if emisor.distrito:
        sub(address, cbc("District"), emisor.distrito)
    if emisor.direccion:
        sub(sub(address, cac("AddressLine")), cbc("Line"), emisor.direccion)
    sub(
        sub(address, cac("Country")),
        cbc("IdentificationCode"),
        "PE",
        listID="ISO 3166-1",
        listAgencyName="United Nations Economic Commission for Europe",
        listName="Country",
    )


def _customer(root: etree._Element, receptor: Receptor) -> None:
    party = sub(sub(root, cac("AccountingCustomerParty")), cac("Party"))
    ident = sub(party, cac("PartyIdentification"))
    sub(
        ident,
        cbc("ID"),
        receptor.numero_documento,
        schemeID=receptor.tipo_documento,
        schemeName="Documento de Identidad",
        schemeAgencyName="PE:SUNAT",
        schemeURI=_CAT + "06",
    )
    legal = sub(party, cac("PartyLegalEntity"))
    sub(legal, cbc("RegistrationName"), receptor.razon_social)
    if receptor.direccion:
        address = sub(legal, cac("RegistrationAddress"))
        sub(sub(address, cac("AddressLine")), cbc("Line"), receptor.direccion)


def _payment_terms(root: etree._Element, doc: Invoice) -> None:
    if doc.tipo == "03":
        # FormaPago (3244) is a factura rule; the boleta sheet has no such element and
        # rejects a PaymentMeansID outside detracción (3128).
        return
    terms = sub(root, cac("PaymentTerms"))
    sub(terms, cbc("ID"), "FormaPago")
    sub(terms, cbc("PaymentMeansID"), doc.forma_pago)
    if doc.forma_pago == "Credito":
        _amount(terms, cbc("Amount"), doc.monto_pendiente or doc.totals.total, doc.moneda)
        for index, cuota in enumerate(doc.cuotas, start=1):
            item = sub(root, cac("PaymentTerms"))
            sub(item, cbc("ID"), "FormaPago")
            sub(item, cbc("PaymentMeansID"), f"Cuota{index:03d}")
            _amount(item, cbc("Amount"), cuota.monto, doc.moneda)
            sub(item, cbc("PaymentDueDate"), cuota.fecha_pago.isoformat())


def _tax_total(root: etree._Element, doc: Invoice) -> None:
    totals, currency = doc.totals, doc.moneda
    tax_total = sub(root, cac("TaxTotal"))
    _amount(tax_total, cbc("TaxAmount"), totals.igv, currency)
    present = {ln.totals.tributo.codigo for ln in doc.lineas}
    for codigo, base, tax, nombre, internacional in (
        ("1000", totals.gravado, totals.igv, "IGV", "VAT"),
        ("9997", totals.exonerado, Decimal(0), "EXO", "VAT"),
        ("9998", totals.inafecto, Decimal(0), "INA", "FRE"),
    ):
        if codigo not in present:
            continue
        subtotal = sub(tax_total, cac("TaxSubtotal"))
        _amount(subtotal, cbc("TaxableAmount"), base, currency)
        _amount(subtotal, cbc("TaxAmount"), tax, currency)
        _tax_scheme(sub(subtotal, cac("TaxCategory")), codigo, nombre, internacional)


def _monetary_total(root: etree._Element, doc: Invoice) -> None:
    totals, currency = doc.totals, doc.moneda
    monetary = sub(root, cac("LegalMonetaryTotal"))
    _amount(monetary, cbc("LineExtensionAmount"), totals.valor_venta, currency)
    _amount(monetary, cbc("TaxInclusiveAmount"), totals.precio_venta, currency)
    _amount(monetary, cbc("PayableAmount"), totals.total, currency)


def _line(root: etree._Element, index: int, linea: Linea, currency: str) -> None:
    t = linea.totals
    node = sub(root, cac("InvoiceLine"))
    sub(node, cbc("ID"), str(index))
    sub(
        node,
        cbc("InvoicedQuantity"),
        fmt_qty(t.cantidad),
        unitCode=linea.unidad,
        unitCodeListID="UN/ECE rec 20",
        unitCodeListAgencyName="United Nations Economic Commission for Europe",
    )
    _amount(node, cbc("LineExtensionAmount"), t.valor_venta, currency)
    price = sub(sub(node, cac("PricingReference")), cac("AlternativeConditionPrice"))
    sub(price, cbc("PriceAmount"), fmt_max(t.precio_unitario), currencyID=currency)
    sub(
        price,
        cbc("PriceTypeCode"),
        "01",
        listName="Tipo de Precio",
        listAgencyName="PE:SUNAT",
        listURI=_CAT + "16",
    )
    tax_total = sub(node, cac("TaxTotal"))
    _amount(tax_total, cbc("TaxAmount"), t.igv, currency)
    subtotal = sub(tax_total, cac("TaxSubtotal"))
    _amount(subtotal, cbc("TaxableAmount"), t.valor_venta, currency)
    _amount(subtotal, cbc("TaxAmount"), t.igv, currency)
    category = sub(subtotal, cac("TaxCategory"))
    sub(category, cbc("Percent"), fmt2(t.porcentaje))
    sub(
        category,
        cbc("TaxExemptionReasonCode"),
        t.afectacion,
        listAgencyName="PE:SUNAT",
        listName="Afectacion del IGV",
        listURI=_CAT + "07",
    )
    _tax_scheme(category, t.tributo.codigo, t.tributo.nombre, t.tributo.codigo_internacional)
    item = sub(node, cac("Item"))
    sub(item, cbc("Description"), linea.descripcion)
    if linea.codigo:
        sub(sub(item, cac("SellersItemIdentification")), cbc("ID"), linea.codigo)
    if linea.codigo_producto_sunat:
        sub(
            sub(item, cac("CommodityClassification")),
            cbc("ItemClassificationCode"),
            linea.codigo_producto_sunat,
            listID="UNSPSC",
            listAgencyName="GS1 US",
            listName="Item Classification",
        )
    sub(sub(node, cac("Price")), cbc("PriceAmount"), fmt_max(t.valor_unitario), currencyID=currency)


def build_invoice(doc: Invoice) -> etree._Element:
    """The unsigned Invoice, with an empty ``ext:ExtensionContent`` for the signature."""
    root = etree.Element("{" + INVOICE + "}Invoice", nsmap=_NSMAP)
    sub(sub(sub(root, ext("UBLExtensions")), ext("UBLExtension")), ext("ExtensionContent"))
    sub(root, cbc("UBLVersionID"), "2.1")
    sub(root, cbc("CustomizationID"), "2.0", schemeAgencyName="PE:SUNAT")
    sub(root, cbc("ID"), doc.serie_numero)
    sub(root, cbc("IssueDate"), doc.fecha_emision.isoformat())
    sub(root, cbc("IssueTime"), doc.hora_emision.replace(microsecond=0).isoformat())
    if doc.fecha_vencimiento:
        sub(root, cbc("DueDate"), doc.fecha_vencimiento.isoformat())
    # 3205/3206: the operation type travels in @listID (catálogo 51), not in ProfileID.
    sub(
        root,
        cbc("InvoiceTypeCode"),
        doc.tipo,
        listID=doc.tipo_operacion,
        listAgencyName="PE:SUNAT",
        listName="Tipo de Documento",
        listURI=_CAT + "01",
        name="Tipo de Operacion",
    )
    for codigo, texto in doc.leyendas:
        sub(root, cbc("Note"), texto, languageLocaleID=codigo)
    if doc.observaciones:
        sub(root, cbc("Note"), doc.observaciones)
    sub(
        root,
        cbc("DocumentCurrencyCode"),
        doc.moneda,
        listID="ISO 4217 Alpha",
        listName="Currency",
        listAgencyName="United Nations Economic Commission for Europe",
    )
    sub(root, cbc("LineCountNumeric"), str(len(doc.lineas)))
    if doc.orden_compra:
        sub(sub(root, cac("OrderReference")), cbc("ID"), doc.orden_compra)
    signature = sub(root, cac("Signature"))
    sub(signature, cbc("ID"), f"SIGN{doc.emisor.ruc}")
    signatory = sub(signature, cac("SignatoryParty"))
    sub(sub(signatory, cac("PartyIdentification")), cbc("ID"), doc.emisor.ruc)
    sub(sub(signatory, cac("PartyName")), cbc("Name"), doc.emisor.razon_social)
    attachment = sub(sub(signature, cac("DigitalSignatureAttachment")), cac("ExternalReference"))
    sub(attachment, cbc("URI"), "#SignOpenPSE")
    _supplier(root, doc.emisor)
    _customer(root, doc.receptor)
    _payment_terms(root, doc)
    _tax_total(root, doc)
    _monetary_total(root, doc)
    for index, linea in enumerate(doc.lineas, start=1):
        _line(root, index, linea, doc.moneda)
    # Indented, as SUNAT's own samples: the signature covers the bytes as they are, and
    # people read these files. The empty signature slot stays empty (no child, no text).
    etree.indent(root, space=" ")
    return root
