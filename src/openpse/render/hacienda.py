"""The printed comprobante electrónico of Costa Rica (Ministerio de Hacienda, v4.4).

Read from the signed XML of each v4.4 document (factura 01, notas de débito 02 and de
crédito 03, tiquete 04, factura de compra 08, factura de exportación 09, recibo
electrónico de pago 10), at the elements of the April-2026 XSDs (hacienda_cr.md §3.3): the
clave and the consecutivo that identify it, the parties with their location
(Codificacionubicacion_V4.4), the sale conditions and payment means (notas 5 and 6), every
line with its CABYS code, taxes and exonerations (notas 8, 8.1, 10.1), other charges
(nota 16), the ResumenFactura and the references (notas 9 and 10). Names of codes come from
:mod:`openpse.authorities.hacienda.catalogs`.

Hacienda's answer, the MensajeHacienda (§3.6), is printed when it is given: it plays the
part of SUNAT's CDR. The QR carries the clave, the key with which Hacienda (and anyone
holding the printout) looks the document up.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from lxml import etree

from openpse.authorities.hacienda import catalogs
from openpse.authorities.hacienda.clave import Clave, ClaveError, Situacion
from openpse.authorities.hacienda.client import (
    MensajeHacienda,
    MensajeHaciendaInvalido,
    parse_mensaje_hacienda,
)
from openpse.authorities.hacienda.formatos import FORMATOS, Formato
from openpse.core.words import amount_in_words
from openpse.render import content, xmlread
from openpse.render.errors import RenderError
from openpse.render.sheet import Column, Fact, Issuer, Line, Row, Sheet, Table

DS = "http://www.w3.org/2000/09/xmldsig#"
ROOTS = {(formato.namespace, formato.raiz): formato for formato in FORMATOS.values()}

RESOLUTION = (
    "Emitido conforme a la resolución MH-DGT-RES-0027-2024 del Ministerio de Hacienda "
    "(comprobantes electrónicos, versión 4.4)"
)
"""The resolution that set out v4.4 (La Gaceta 217, Alcance 186, 19 November 2024; hacienda_cr.md §3.1)."""


@dataclass(frozen=True)
class Party:
    name: str
    id_type: str
    id_number: str
    trade_name: str | None
    address: str | None
    phone: str | None
    emails: tuple[str, ...]


@dataclass(frozen=True)
class Tax:
    code: str
    rate_code: str | None
    rate: Decimal | None
    amount: Decimal
    exoneration: str | None
    """The exoneration as printed: document, number, institution and amount."""


@dataclass(frozen=True)
class Item:
    number: str
    cabys: str | None
    tariff: str | None
    """PartidaArancelaria (exportación, notas)."""
    commercial_codes: tuple[tuple[str, str], ...]
    quantity: Decimal | None
    unit: str
    description: str
    unit_price: Decimal | None
    total: Decimal | None
    """MontoTotal: quantity × price."""
    discounts: tuple[tuple[Decimal, str], ...]
    """(amount, what it is)."""
    subtotal: Decimal | None
    taxes: tuple[Tax, ...]
    net_tax: Decimal | None
    line_total: Decimal


@dataclass(frozen=True)
class Charge:
    """OtrosCargos (nota 16)."""

    tipo: str
    detail: str
    amount: Decimal


@dataclass(frozen=True)
class Reference:
    """InformacionReferencia (notas 9 and 10)."""

    tipo: str
    number: str | None
    date: dt.date | None
    code: str | None
    reason: str | None


@dataclass(frozen=True)
class Payment:
    tipo: str
    other: str | None
    amount: Decimal | None


@dataclass(frozen=True)
class Summary:
    currency: str
    exchange_rate: Decimal | None
    amounts: dict[str, Decimal]
    """Every amount of ResumenFactura by element name (TotalVenta, TotalImpuesto...)."""
    breakdown: tuple[tuple[str, str | None, Decimal], ...]
    """TotalDesgloseImpuesto: (Codigo, CodigoTarifaIVA, TotalMontoImpuesto)."""
    payments: tuple[Payment, ...]
    total: Decimal


@dataclass(frozen=True)
class Documento:
    formato: Formato
    clave: str
    situacion: Situacion
    consecutivo: str
    issued: dt.datetime
    activity_issuer: str | None
    activity_receiver: str | None
    issuer: Party
    receiver: Party | None
    condition: str
    condition_other: str | None
    credit_days: str | None
    items: tuple[Item, ...]
    charges: tuple[Charge, ...]
    summary: Summary
    references: tuple[Reference, ...]
    others: tuple[str, ...]
    digest_value: str

    @property
    def tipo(self) -> str:
        return self.formato.tipo


# -- reading --------------------------------------------------------------------------------


class _Reader:
    """Paths in the document's own namespace, under the prefix ``h``."""

    def __init__(self, namespace: str) -> None:
        self.ns = {"h": namespace, "ds": DS}

    def path(self, path: str) -> str:
        return "/".join(f"h:{part}" for part in path.split("/"))

    def text(self, node: etree._Element | None, path: str) -> str:
        return xmlread.text(node, self.path(path), self.ns)

    def optional(self, node: etree._Element | None, path: str) -> str | None:
        return self.text(node, path) or None

    def amount(self, node: etree._Element | None, path: str) -> Decimal | None:
        return xmlread.amount(node, self.path(path), self.ns)

    def find(self, node: etree._Element | None, path: str) -> etree._Element | None:
        return node.find(self.path(path), self.ns) if node is not None else None

    def findall(self, node: etree._Element | None, path: str) -> list[etree._Element]:
        return node.findall(self.path(path), self.ns) if node is not None else []

    def party(self, node: etree._Element | None) -> Party | None:
        if node is None:
            return None
        location = self.find(node, "Ubicacion")
        address: str | None = None
        if location is not None:
            names = catalogs.nombre_ubicacion(
                self.text(location, "Provincia"),
                self.text(location, "Canton"),
                self.text(location, "Distrito"),
            )
            # Distrito, cantón, provincia: from the smallest place to the largest, as Costa
            # Rican addresses read.
            place = ", ".join(reversed(names)) if names else None
            address = xmlread.join(self.text(location, "OtrasSenas"), self.text(location, "Barrio"), place)
        foreign = self.optional(node, "OtrasSenasExtranjero")
        phone = None
        if self.find(node, "Telefono") is not None:
            phone = f"+{self.text(node, 'Telefono/CodigoPais')} {self.text(node, 'Telefono/NumTelefono')}"
        return Party(
            name=self.text(node, "Nombre"),
            id_type=self.text(node, "Identificacion/Tipo"),
            id_number=self.text(node, "Identificacion/Numero"),
            trade_name=self.optional(node, "NombreComercial"),
            address=xmlread.join(address, foreign, separator="; "),
            phone=phone,
            emails=tuple(
                (e.text or "").strip()
                for e in self.findall(node, "CorreoElectronico")
                if (e.text or "").strip()
            ),
        )

    def tax(self, node: etree._Element) -> Tax:
        exoneration = self.find(node, "Exoneracion")
        text = None
        if exoneration is not None:
            kind = self.text(exoneration, "TipoDocumentoEX1")
            institution = self.text(exoneration, "NombreInstitucion")
            amount = self.amount(exoneration, "MontoExoneracion")
            text = "Exoneración " + " ".join(
                part
                for part in (
                    catalogs.TIPOS_DOCUMENTO_EXONERACION.get(kind, kind),
                    f"N° {self.text(exoneration, 'NumeroDocumento')}",
                    f"({catalogs.INSTITUCIONES.get(institution, institution)})" if institution else "",
                )
                if part
            )
            if amount is not None:
                text += f": {content.amount(amount)}"
        return Tax(
            code=self.text(node, "Codigo"),
            rate_code=self.optional(node, "CodigoTarifaIVA"),
            rate=self.amount(node, "Tarifa"),
            amount=self.amount(node, "Monto") or Decimal(0),
            exoneration=text,
        )

    def item(self, node: etree._Element) -> Item:
        number = self.text(node, "NumeroLinea")
        line_total = self.amount(node, "MontoTotalLinea")
        if line_total is None:
            raise RenderError(f"Falta MontoTotalLinea en la línea {number or '?'}")
        discounts = []
        for discount in self.findall(node, "Descuento"):
            code = self.text(discount, "CodigoDescuento")
            what = (
                self.optional(discount, "NaturalezaDescuento")
                or self.optional(discount, "CodigoDescuentoOTRO")
                or catalogs.CODIGOS_DESCUENTO.get(code, code)
            )
            discounts.append((self.amount(discount, "MontoDescuento") or Decimal(0), what))
        return Item(
            number=number,
            cabys=self.optional(node, "CodigoCABYS"),
            tariff=self.optional(node, "PartidaArancelaria"),
            commercial_codes=tuple(
                (self.text(code, "Tipo"), self.text(code, "Codigo"))
                for code in self.findall(node, "CodigoComercial")
            ),
            quantity=self.amount(node, "Cantidad"),
            unit=self.text(node, "UnidadMedida"),
            description=self.text(node, "Detalle"),
            unit_price=self.amount(node, "PrecioUnitario"),
            total=self.amount(node, "MontoTotal"),
            discounts=tuple(discounts),
            subtotal=self.amount(node, "SubTotal"),
            taxes=tuple(self.tax(tax) for tax in self.findall(node, "Impuesto")),
            net_tax=self.amount(node, "ImpuestoNeto"),
            line_total=line_total,
        )

    def summary(self, root: etree._Element) -> Summary:
        node = self.find(root, "ResumenFactura")
        total = self.amount(node, "TotalComprobante")
        if node is None or total is None:
            raise RenderError("Falta el total del comprobante (ResumenFactura/TotalComprobante)")
        amounts = {}
        for child in node:
            if isinstance(child.tag, str) and len(child) == 0 and (child.text or "").strip():
                name = etree.QName(child).localname
                amounts[name] = xmlread.decimal((child.text or "").strip(), f"ResumenFactura/{name}")
        return Summary(
            currency=self.text(node, "CodigoTipoMoneda/CodigoMoneda") or "CRC",
            exchange_rate=self.amount(node, "CodigoTipoMoneda/TipoCambio"),
            amounts=amounts,
            breakdown=tuple(
                (
                    self.text(entry, "Codigo"),
                    self.optional(entry, "CodigoTarifaIVA"),
                    self.amount(entry, "TotalMontoImpuesto") or Decimal(0),
                )
                for entry in self.findall(node, "TotalDesgloseImpuesto")
            ),
            payments=tuple(
                Payment(
                    self.text(entry, "TipoMedioPago"),
                    self.optional(entry, "MedioPagoOtros"),
                    self.amount(entry, "TotalMedioPago"),
                )
                for entry in self.findall(node, "MedioPago")
            ),
            total=total,
        )


def read_documento(root: etree._Element, formato: Formato) -> Documento:
    """Read a signed v4.4 comprobante."""
    r = _Reader(formato.namespace)
    clave = r.text(root, "Clave")
    try:
        parsed = Clave.parse(clave)
    except ClaveError as exc:
        raise RenderError(f"Clave ilegible: {exc}") from None
    consecutivo = r.text(root, "NumeroConsecutivo")
    if consecutivo != parsed.consecutivo.texto:
        raise RenderError(f"El NumeroConsecutivo {consecutivo!r} no es el de la clave {clave}")
    if parsed.consecutivo.tipo != formato.tipo:
        raise RenderError(
            f"El consecutivo {consecutivo} es de tipo {parsed.consecutivo.tipo}, "
            f"no de {formato.nombre.lower()} ({formato.tipo})"
        )
    issued_text = r.text(root, "FechaEmision")
    try:
        issued = dt.datetime.fromisoformat(issued_text)
    except ValueError:
        raise RenderError(f"FechaEmision no es una fecha y hora: {issued_text!r}") from None
    issuer = r.party(r.find(root, "Emisor"))
    if issuer is None or not issuer.name or not issuer.id_number:
        raise RenderError("Falta el emisor (Emisor/Nombre y Emisor/Identificacion)")
    items = tuple(r.item(node) for node in r.findall(root, "DetalleServicio/LineaDetalle"))
    if not items:
        raise RenderError("El comprobante no tiene líneas (DetalleServicio/LineaDetalle)")
    return Documento(
        formato=formato,
        clave=clave,
        situacion=parsed.situacion,
        consecutivo=consecutivo,
        issued=issued,
        activity_issuer=r.optional(root, "CodigoActividadEmisor"),
        activity_receiver=r.optional(root, "CodigoActividadReceptor"),
        issuer=issuer,
        receiver=r.party(r.find(root, "Receptor")),
        condition=r.text(root, "CondicionVenta"),
        condition_other=r.optional(root, "CondicionVentaOtros"),
        credit_days=r.optional(root, "PlazoCredito"),
        items=items,
        charges=tuple(
            Charge(
                tipo=r.text(node, "TipoDocumentoOC"),
                detail=r.text(node, "Detalle"),
                amount=r.amount(node, "MontoCargo") or Decimal(0),
            )
            for node in r.findall(root, "OtrosCargos")
        ),
        summary=r.summary(root),
        references=tuple(
            Reference(
                tipo=r.text(node, "TipoDocIR"),
                number=r.optional(node, "Numero"),
                date=xmlread.optional_date(node, r.path("FechaEmisionIR"), r.ns),
                code=r.optional(node, "Codigo"),
                reason=r.optional(node, "Razon"),
            )
            for node in r.findall(root, "InformacionReferencia")
        ),
        others=tuple(
            (node.text or "").strip()
            for node in r.findall(root, "Otros/OtroTexto")
            if (node.text or "").strip()
        ),
        digest_value=xmlread.digest_value(
            root.findall("ds:Signature/ds:SignedInfo/ds:Reference", r.ns), r.ns
        ),
    )


def read_answer(answer: bytes, doc: Documento) -> MensajeHacienda:
    """Hacienda's MensajeHacienda about ``doc``."""
    if not isinstance(answer, bytes | bytearray):
        raise RenderError("La respuesta de Hacienda debe pasarse como bytes (XML del MensajeHacienda)")
    try:
        mensaje = parse_mensaje_hacienda(bytes(answer))
    except MensajeHaciendaInvalido as exc:
        raise RenderError(f"Respuesta de Hacienda ilegible: {exc}") from None
    if mensaje.clave != doc.clave:
        raise RenderError(f"La respuesta de Hacienda es del comprobante {mensaje.clave}, no del {doc.clave}")
    return mensaje


# -- the sheet ------------------------------------------------------------------------------

_COLUMNS = (
    Column("Cant.", 13, "R", numeric=True),
    Column("Unidad", 12, "C"),
    Column("CABYS", 24, "L"),
    Column("Detalle", 55, "L"),
    Column("Precio unit.", 21, "R", numeric=True),
    Column("Descuento", 18, "R", numeric=True),
    Column("Impuesto", 19, "R", numeric=True),
    Column("Total", 24, "R", numeric=True),
)
_SUBTOTALS = (
    ("TotalServGravados", "Servicios gravados"),
    ("TotalServExentos", "Servicios exentos"),
    ("TotalServExonerado", "Servicios exonerados"),
    ("TotalServNoSujeto", "Servicios no sujetos"),
    ("TotalMercanciasGravadas", "Mercancías gravadas"),
    ("TotalMercanciasExentas", "Mercancías exentas"),
    ("TotalMercExonerada", "Mercancías exoneradas"),
    ("TotalMercNoSujeta", "Mercancías no sujetas"),
    ("TotalGravado", "Total gravado"),
    ("TotalExento", "Total exento"),
    ("TotalExonerado", "Total exonerado"),
    ("TotalNoSujeto", "Total no sujeto"),
)
"""The ResumenFactura subtotals, printed when not zero."""
_MENSAJES = {"1": "Aceptado", "2": "Aceptado parcialmente", "3": "Rechazado"}


def _name(formato: Formato) -> str:
    return formato.nombre.upper()


def _article(formato: Formato) -> str:
    return "del" if formato.raiz in ("TiqueteElectronico", "ReciboElectronicoPago") else "de la"


def _tax_name(code: str, rate_code: str | None, rate: Decimal | None = None) -> str:
    if code in catalogs.IMPUESTOS_IVA:
        tariff = catalogs.TARIFAS_IVA.get(rate_code or "")
        if rate_code == catalogs.TARIFA_EXENTA:
            return "IVA exento"
        percent = tariff[0] if tariff is not None else rate
        return f"IVA {content.percent(percent)}" if percent is not None else "IVA"
    return catalogs.CODIGOS_IMPUESTO.get(code, f"Impuesto {code}")


def _money(doc: Documento, value: Decimal) -> str:
    return content.money(value, doc.summary.currency)


def _identity(party: Party) -> str:
    return catalogs.TIPOS_IDENTIFICACION.get(party.id_type, "Identificación")


def _issuer(party: Party) -> Issuer:
    contact = []
    if party.phone:
        contact.append(f"Tel. {party.phone}")
    contact.extend(party.emails)
    return Issuer(
        name=party.name,
        trade_name=party.trade_name,
        id_label=f"{_identity(party)} N° {party.id_number}",
        id_short=f"{_identity(party)} {party.id_number}",
        address=party.address,
        contact=tuple(contact),
    )


def _party_facts(label: str, party: Party, activity: str | None) -> list[Fact]:
    facts = [(label, party.name or "-")]
    if party.id_number:
        facts.append((_identity(party), party.id_number))
    if party.address:
        facts.append(("Dirección", party.address))
    if party.phone:
        facts.append(("Teléfono", party.phone))
    if party.emails:
        facts.append(("Correo", ", ".join(party.emails)))
    if activity:
        facts.append(("Actividad económica", activity))
    return facts


def _coded(names: dict[str, str], code: str) -> str:
    name = names.get(code)
    return f"{code} – {name}" if name else code


def _facts(doc: Documento) -> list[Fact]:
    summary = doc.summary
    facts = [
        ("Fecha de emisión", content.date(doc.issued.date())),
        ("Hora de emisión", doc.issued.strftime("%H:%M:%S")),
    ]
    # In a factura de compra the buyer (the company) issues it: its activity is the receptor's.
    activity = doc.activity_receiver if doc.tipo == "08" else doc.activity_issuer
    if activity:
        facts.append(("Actividad económica", activity))
    if doc.condition:
        condition = _coded(catalogs.CONDICIONES_VENTA, doc.condition)
        if doc.condition_other:
            condition += f" ({doc.condition_other})"
        facts.append(("Condición de venta", condition))
    if doc.credit_days:
        facts.append(("Plazo de crédito", f"{doc.credit_days} días"))
    if summary.payments:
        means = []
        for payment in summary.payments:
            text = payment.other or catalogs.MEDIOS_PAGO.get(payment.tipo, payment.tipo)
            if payment.amount is not None and len(summary.payments) > 1:
                text += f" {_money(doc, payment.amount)}"
            means.append(text)
        facts.append(("Medio de pago", "; ".join(means)))
    facts.append(("Moneda", content.currency_name(summary.currency)))
    if summary.currency != "CRC" and summary.exchange_rate is not None:
        facts.append(("Tipo de cambio", content.unit_value(summary.exchange_rate)))
    if doc.situacion is not Situacion.NORMAL:
        facts.append(("Situación", catalogs.SITUACIONES[doc.situacion.value]))
    return facts


def _row(doc: Documento, item: Item) -> Row:
    details = []
    if item.tariff:
        details.append(f"Partida arancelaria: {item.tariff}")
    for kind, code in item.commercial_codes:
        details.append(f"{catalogs.CODIGOS_COMERCIALES.get(kind, 'Código')}: {code}")
    for amount, what in item.discounts:
        details.append(f"Descuento ({what}): {_money(doc, amount)}")
    for tax in item.taxes:
        details.append(f"{_tax_name(tax.code, tax.rate_code, tax.rate)}: {_money(doc, tax.amount)}")
        if tax.exoneration:
            details.append(tax.exoneration)
    discount = sum((amount for amount, _ in item.discounts), Decimal(0))
    tax_amount = item.net_tax if item.net_tax is not None else sum((t.amount for t in item.taxes), Decimal(0))
    price = item.unit_price if item.unit_price is not None else item.total
    quantity = content.quantity(item.quantity) if item.quantity is not None else ""
    values = f"{quantity} {item.unit}".strip()
    if price is not None:
        values = f"{values} × {content.unit_value(price)}" if values else content.unit_value(price)
    if tax_amount:
        values += f" (imp. {content.amount(tax_amount)})"
    return Row(
        cells=(
            quantity,
            item.unit,
            item.cabys or "",
            item.description,
            content.unit_value(price) if price is not None else "",
            content.amount(discount) if discount else "",
            content.amount(tax_amount),
            content.amount(item.line_total),
        ),
        details=tuple(details),
        ticket_title=f"{item.cabys} – {item.description}" if item.cabys else item.description,
        ticket_values=values,
        ticket_amount=content.amount(item.line_total),
    )


def _totals(doc: Documento) -> list[tuple[str, str, bool]]:
    amounts = doc.summary.amounts
    rows: list[tuple[str, str, bool]] = []
    for element, label in _SUBTOTALS:
        value = amounts.get(element)
        if value:
            rows.append((label, _money(doc, value), False))
    for element, label in (
        ("TotalVenta", "Total venta"),
        ("TotalDescuentos", "Total descuentos"),
        ("TotalVentaNeta", "Total venta neta"),
    ):
        value = amounts.get(element)
        if value is not None and (value or element != "TotalDescuentos"):
            rows.append((label, _money(doc, value), False))
    for code, rate_code, value in doc.summary.breakdown:
        rows.append((_tax_name(code, rate_code), _money(doc, value), False))
    for element, label in (
        ("TotalImpuesto", "Total impuesto"),
        ("TotalImpAsumEmisorFabrica", "Impuesto asumido por el emisor (fábrica)"),
        ("TotalIVADevuelto", "IVA devuelto"),
        ("TotalOtrosCargos", "Otros cargos"),
    ):
        value = amounts.get(element)
        if value is not None and (value or element == "TotalImpuesto"):
            rows.append((label, _money(doc, value), False))
    rows.append(("Total comprobante", _money(doc, doc.summary.total), True))
    return rows


def _legends(doc: Documento) -> list[Line]:
    legends: list[Line] = []
    if doc.summary.total >= 0:
        legends.append((f"SON: {amount_in_words(doc.summary.total, doc.summary.currency)}", True))
    for charge in doc.charges:
        kind = catalogs.TIPOS_OTROS_CARGOS.get(charge.tipo, "Otro cargo")
        legends.append((f"{kind}: {charge.detail} {_money(doc, charge.amount)}", False))
    for reference in doc.references:
        kind = catalogs.TIPOS_DOCUMENTO_REFERENCIA.get(reference.tipo, reference.tipo)
        text = f"Referencia: {kind}"
        if reference.number:
            text += f" {reference.number}"
        if reference.date:
            text += f" del {content.date(reference.date)}"
        if reference.code:
            text += f". {_coded(catalogs.CODIGOS_REFERENCIA, reference.code)}"
        if reference.reason:
            text += f": {reference.reason}"
        legends.append((text, False))
    legends.extend((f"Observaciones: {other}", False) for other in doc.others)
    legends.append((RESOLUTION, False))
    return legends


def answer_lines(mensaje: MensajeHacienda) -> list[Line]:
    """Hacienda's verdict: its state, and the detail it gives."""
    state = mensaje.estado_mensaje or _MENSAJES.get(mensaje.mensaje, mensaje.mensaje)
    lines: list[Line] = [(f"Respuesta del Ministerio de Hacienda: {state}", True)]
    if mensaje.mensaje == "3":
        lines.append(
            ("Comprobante RECHAZADO por el Ministerio de Hacienda: no tiene validez tributaria", True)
        )
    if mensaje.detalle_mensaje:
        lines.append((mensaje.detalle_mensaje, False))
    return lines


def documento_sheet(doc: Documento, mensaje: MensajeHacienda | None, consulta_url: str | None) -> Sheet:
    formato = doc.formato
    name = _name(formato)
    issuer, counterpart, label = doc.issuer, doc.receiver, "Receptor"
    activity = doc.activity_receiver
    if doc.tipo == "08":
        # The factura de compra is issued by the buyer (the XML Receptor, who signs it and
        # whose consecutivo it is) for a seller outside the system (the XML Emisor).
        if doc.receiver is None:
            raise RenderError("La factura electrónica de compra no tiene Receptor (quien compra y la emite)")
        issuer, counterpart, label = doc.receiver, doc.issuer, "Proveedor"
        activity = doc.activity_issuer
    parties = _party_facts(label, counterpart, activity) if counterpart is not None else []
    return Sheet(
        name=name,
        number=doc.consecutivo,
        issuer=_issuer(issuer),
        parties=tuple(parties),
        facts=tuple(_facts(doc)),
        sections=(),
        table=Table(
            columns=_COLUMNS,
            detail_column=3,
            ticket_heading=("Cant. Unidad × Precio (impuesto)", "Total"),
            rows=tuple(_row(doc, item) for item in doc.items),
        ),
        totals=tuple(_totals(doc)),
        legends=tuple(_legends(doc)),
        pending=None,
        schedule=(),
        representation=f"Representación impresa {_article(formato)} {name}",
        proofs=(f"Clave numérica: {doc.clave}", f"Número consecutivo: {doc.consecutivo}"),
        consult=f"Consulte su comprobante en {consulta_url}"
        if consulta_url
        else "Consulte este comprobante con su clave numérica en el Ministerio de Hacienda",
        answer=tuple(answer_lines(mensaje)) if mensaje is not None else (),
        qr=doc.clave,
        author=issuer.name,
    )
