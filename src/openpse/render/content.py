"""The texts of the printed representation, shared by the A4 page and the 80 mm ticket.

What must appear follows the "representación impresa" rules of RS 097-2012/SUNAT as
amended (Anexo 6 of RS 113-2018 for the QR and the hash) and the Peruvian PSEs' practice
(pse_products.md): document name and number, the issuer's RUC, the buyer's document,
dates, currency, forma de pago with its cuotas, lines, totals per kind of operation and
tributo, legends, "Representación impresa de la ..." and where to consult the document.
Names of codes come from SUNAT's catalogues; short forms are ours where a printout needs
fewer words than the catalogue (catálogo 06 "REG. UNICO DE CONTRIBUYENTES" prints as RUC).
:func:`invoice_sheet` gathers them into the :class:`~openpse.render.sheet.Sheet` the layouts
draw; the formatting helpers (amounts, dates, document types) serve every other document.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from openpse.authorities.sunat import catalogs, codes
from openpse.authorities.sunat.cdr import Cdr
from openpse.core.money import round2
from openpse.core.words import CURRENCY_NAMES
from openpse.render import qr
from openpse.render.document import Adjustment, Comprobante
from openpse.render.sheet import Column, Issuer, Row, Sheet, Table

DOCUMENT_NAMES = {
    "01": "FACTURA ELECTRÓNICA",
    "03": "BOLETA DE VENTA ELECTRÓNICA",
    "07": "NOTA DE CRÉDITO ELECTRÓNICA",
    "08": "NOTA DE DÉBITO ELECTRÓNICA",
}
_AFFECTED_NAMES = {"01": "FACTURA", "03": "BOLETA DE VENTA", "07": "NOTA DE CRÉDITO", "08": "NOTA DE DÉBITO"}

# Catálogo 06 as Peruvian printouts abbreviate it.
_ID_TYPES = {
    "0": "DOC. TRIB. NO DOM. SIN RUC",
    "1": "DNI",
    "4": "CARNÉ DE EXTRANJERÍA",
    "6": "RUC",
    "7": "PASAPORTE",
    "A": "CÉD. DIPLOMÁTICA",
    "B": "DOC. IDENT. PAÍS DE RESIDENCIA",
    "C": "TIN",
    "D": "IN",
    "E": "TAM",
    "F": "PTP",
    "G": "SALVOCONDUCTO",
    "H": "CPP",
}
_SYMBOLS = {"PEN": "S/", "USD": "US$", "EUR": "€", "CRC": "¢"}
"""The colón sign (₡) is not in the embedded fonts: Costa Ricans write "¢" for it."""

# Catálogo 53, global codes as a totals row names them; percepción (51–53) and
# retenciones (61–63) are not part of the total and print as legends instead.
_ADJUSTMENTS = {
    "02": "Descuento global",
    "03": "Descuento global (no afecta la base)",
    "45": "FISE",
    "46": "Recargo al consumo",
    "49": "Cargo global",
    "50": "Cargo global (no afecta la base)",
}
_PREPAYMENT_CODES = frozenset({"04", "05", "06", "20"})
_PERCEPTION_CODES = frozenset({"51", "52", "53"})
_RETENTION_CODES = frozenset({"61", "62", "63"})


def document_name(tipo: str) -> str:
    return DOCUMENT_NAMES[tipo]


def id_type(code: str) -> str:
    """A short name for a catálogo 06 code ("RUC", "DNI"), or "DOC." when there is none."""
    if not code or code == "-":
        return "DOC."
    return _ID_TYPES.get(code) or catalogs.nombre("06", code) or f"DOC. {code}"


def currency_name(code: str) -> str:
    name = CURRENCY_NAMES.get(code) or (catalogs.nombre("02", code) or "").upper()
    return f"{name} ({code})" if name else code


def amount(value: Decimal) -> str:
    """Two decimals, half up, with thousands separators: ``1,234.50``."""
    return f"{round2(value):,.2f}"


def money(value: Decimal, currency: str) -> str:
    return f"{_SYMBOLS.get(currency, currency)} {amount(value)}"


def unit_value(value: Decimal) -> str:
    """A unit value with the decimals it has (SUNAT allows ten), never fewer than two."""
    exponent = value.normalize().as_tuple().exponent
    places = min(max(-exponent if isinstance(exponent, int) else 2, 2), 10)
    return f"{value:,.{places}f}"


def quantity(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return "0" if value == 0 else text


def date(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def percent(value: Decimal) -> str:
    """``18 %``, ``10.5 %``: at most four decimals, no trailing zeros."""
    return f"{value.quantize(Decimal('0.0001')).normalize():f} %"


def affected_name(tipo: str) -> str:
    return _AFFECTED_NAMES.get(tipo) or catalogs.nombre("01", tipo) or "COMPROBANTE"


def representation(doc: Comprobante) -> str:
    return f"Representación impresa de la {document_name(doc.tipo)}"


def consult(url: str | None) -> str:
    if url:
        return f"Consulte su comprobante en {url}"
    return "Puede verificar la validez de este comprobante en www.sunat.gob.pe"


def header_facts(doc: Comprobante) -> list[tuple[str, str]]:
    """Dates, currency, payment and references: (label, value)."""
    facts = [("Fecha de emisión", date(doc.issue_date))]
    if doc.issue_time:
        facts.append(("Hora de emisión", doc.issue_time))
    if doc.due_date:
        facts.append(("Fecha de vencimiento", date(doc.due_date)))
    facts.append(("Moneda", currency_name(doc.currency)))
    if doc.payment:
        facts.append(("Forma de pago", "Crédito" if doc.payment.method == "Credito" else doc.payment.method))
    if doc.operation_type:
        name = catalogs.nombre("51", doc.operation_type)
        facts.append(("Tipo de operación", f"{doc.operation_type} – {name}" if name else doc.operation_type))
    facts.extend((ref.label, ref.number) for ref in doc.references)
    return facts


def customer_facts(doc: Comprobante) -> list[tuple[str, str]]:
    customer = doc.customer
    facts = [("Cliente", customer.name or "-")]
    if customer.id_number:
        facts.append((id_type(customer.id_type), customer.id_number))
    if customer.address:
        facts.append(("Dirección", customer.address))
    return facts


def note_facts(doc: Comprobante) -> list[tuple[str, str]]:
    """For notas: the document modified and the motive (catálogo 09 or 10)."""
    facts: list[tuple[str, str]] = []
    if doc.affected:
        name = affected_name(doc.affected.tipo) if doc.affected.tipo else "COMPROBANTE"
        facts.append(("Documento que modifica", f"{name} {doc.affected.number}"))
    if doc.discrepancy:
        catalogue = "09" if doc.tipo == "07" else "10"
        motive = catalogs.nombre(catalogue, doc.discrepancy.code)
        code = doc.discrepancy.code
        facts.append(("Motivo", f"{code} – {motive}" if motive else code))
        if doc.discrepancy.description:
            facts.append(("Sustento", doc.discrepancy.description))
    return facts


def _adjustment_label(adjustment: Adjustment) -> str:
    label = _ADJUSTMENTS.get(adjustment.code) or catalogs.nombre("53", adjustment.code)
    label = label or ("Cargo" if adjustment.charge else "Descuento")
    if adjustment.factor is not None and adjustment.factor not in (0, 1):
        label += f" ({percent(adjustment.factor * 100)})"
    return label


def total_rows(doc: Comprobante) -> list[tuple[str, str, bool]]:
    """(label, value, emphasised), in the order SUNAT's own printout lists them."""
    t, cur = doc.totals, doc.currency
    rows: list[tuple[str, str, bool]] = []

    def add(label: str, value: Decimal | None, *, always: bool = False) -> None:
        if value is None and not always:
            return
        if value is not None and value == 0 and not always:
            return
        rows.append((label, money(value if value is not None else Decimal(0), cur), False))

    add("Op. gravadas", t.gravado, always=True)
    add("Op. exoneradas", t.exonerado, always=True)
    add("Op. inafectas", t.inafecto, always=True)
    add("Op. exportación", t.exportacion)
    add("Op. gratuitas", t.gratuito)
    add("Op. gravadas IVAP", t.ivap_base)
    in_total = [
        a for a in doc.adjustments if a.code not in _PERCEPTION_CODES | _RETENTION_CODES | _PREPAYMENT_CODES
    ]
    for adjustment in in_total:
        add(_adjustment_label(adjustment), adjustment.amount)
    if not any(not a.charge for a in in_total):
        add("Total descuentos", t.allowance_total)
    if not any(a.charge for a in in_total):
        add("Otros cargos", t.charge_total)
    add(f"IGV ({percent(t.igv_percent)})" if t.igv_percent is not None else "IGV", t.igv, always=True)
    add("IVAP", t.ivap)
    add("ISC", t.isc)
    add("ICBPER", t.icbper)
    add("Otros tributos", t.otros_tributos)
    prepaid = t.prepaid
    if not prepaid:
        prepaid = sum((a.amount for a in doc.adjustments if a.code in _PREPAYMENT_CODES), Decimal(0))
    add("Anticipos", prepaid)
    add("Redondeo", t.rounding)
    rows.append(("Importe total", money(t.payable, cur), True))
    return rows


def legends(doc: Comprobante) -> list[tuple[str, bool]]:
    """Legends (catálogo 52) and what the issuer must declare beside them: (text, emphasised).

    The amount in words (1000) leads, as "SON: ...".
    """
    lines: list[tuple[str, bool]] = []
    for code, text in sorted(doc.legends, key=lambda legend: legend[0] != "1000"):
        if code == "1000":
            lines.append((text if text.upper().startswith("SON") else f"SON: {text}", True))
        else:
            lines.append((text, False))
    detraccion = doc.detraccion
    if detraccion:
        lines.append(
            ("Operación sujeta al Sistema de Pago de Obligaciones Tributarias con el Gobierno Central", True)
        )
        goods = catalogs.nombre("54", detraccion.goods_code)
        lines.append((f"Bien o servicio: {detraccion.goods_code}" + (f" – {goods}" if goods else ""), False))
        parts = []
        if detraccion.percent is not None:
            parts.append(f"Porcentaje: {percent(detraccion.percent)}")
        if detraccion.amount is not None:
            parts.append(f"Monto de la detracción: {money(detraccion.amount, 'PEN')}")
        if parts:
            lines.append((" · ".join(parts), False))
        if detraccion.account:
            lines.append((f"Cuenta en el Banco de la Nación: {detraccion.account}", False))
        if detraccion.means_code:
            means = catalogs.nombre("59", detraccion.means_code)
            lines.append(
                (f"Medio de pago: {detraccion.means_code}" + (f" – {means}" if means else ""), False)
            )
    for adjustment in doc.adjustments:
        if adjustment.code in _PERCEPTION_CODES | _RETENTION_CODES:
            label = catalogs.nombre("53", adjustment.code) or "Percepción"
            rate = f" ({percent(adjustment.factor * 100)})" if adjustment.factor is not None else ""
            base = (
                f" sobre {money(adjustment.base, adjustment.currency)}" if adjustment.base is not None else ""
            )
            lines.append((f"{label}{rate}: {money(adjustment.amount, adjustment.currency)}{base}", False))
    if doc.perception_total is not None:
        lines.append((f"Importe total incluida la percepción: {money(doc.perception_total, 'PEN')}", True))
    for prepayment in doc.prepayments:
        value = f": {money(prepayment.amount, doc.currency)}" if prepayment.amount is not None else ""
        lines.append((f"Anticipo {prepayment.document}{value}", False))
    lines.extend((f"Observaciones: {note}", False) for note in doc.notes)
    return lines


def payment_lines(doc: Comprobante) -> list[tuple[str, str, str]]:
    """For a sale on credit: (cuota, fecha de vencimiento, monto) rows, after a pending-amount row."""
    payment = doc.payment
    if payment is None or not payment.installments:
        return []
    return [
        (
            f"Cuota {inst.label.removeprefix('Cuota').lstrip('0') or inst.label}",
            date(inst.due) if inst.due else "-",
            money(inst.amount, doc.currency) if inst.amount is not None else "-",
        )
        for inst in payment.installments
    ]


def pending_amount(doc: Comprobante) -> str | None:
    if doc.payment is None or doc.payment.method != "Credito":
        return None
    value = doc.payment.pending if doc.payment.pending is not None else doc.totals.payable
    return f"Monto neto pendiente de pago: {money(value, doc.currency)}"


def line_details(doc: Comprobante, index: int) -> list[str]:
    """The smaller lines printed under a line's description."""
    line, cur = doc.lines[index], doc.currency
    details = []
    if line.product_code:
        details.append(f"Cód. SUNAT: {line.product_code}")
    details.extend(f"{name}: {value}" if name else value for name, value in line.properties)
    if line.free:
        reference = f", valor referencial {unit_value(line.reference_value)}" if line.reference_value else ""
        details.append(f"Transferencia gratuita{reference}")
    if line.discount:
        details.append(f"Descuento: {money(line.discount, cur)}")
    if line.charge:
        details.append(f"Cargo: {money(line.charge, cur)}")
    if line.isc:
        details.append(f"ISC: {money(line.isc, cur)}")
    if line.icbper:
        details.append(f"ICBPER: {money(line.icbper, cur)}")
    return details


def cdr_lines(cdr: Cdr) -> list[tuple[str, bool]]:
    """SUNAT's (or the OSE's) answer: code and description, then each observation."""
    lines = [(f"Respuesta de SUNAT: {cdr.response_code} – {cdr.description}".rstrip(" –"), True)]
    if cdr.kind is codes.Kind.RECHAZO:
        lines.append(("Comprobante RECHAZADO: no tiene validez como comprobante de pago", True))
    lines.extend((f"Observación {o.codigo}: {o.descripcion}", False) for o in cdr.observaciones)
    return lines


# -- the sheet ---------------------------------------------------------------------------------

INVOICE_COLUMNS = (
    Column("Cant.", 14, "R", numeric=True),
    Column("Unidad", 13, "C"),
    Column("Código", 20, "L"),
    Column("Descripción", 75, "L"),
    Column("V. unitario", 21, "R", numeric=True),
    Column("P. unitario", 21, "R", numeric=True),
    Column("Importe", 22, "R", numeric=True),
)


def _invoice_row(doc: Comprobante, index: int) -> Row:
    line = doc.lines[index]
    values = f"{quantity(line.quantity)} {line.unit}"
    if line.unit_value is not None:
        values += f" × {unit_value(line.unit_value)}"
    if line.unit_price is not None:
        values += f" (P.U. {unit_value(line.unit_price)})"
    return Row(
        cells=(
            quantity(line.quantity),
            line.unit,
            line.code or "",
            line.description,
            unit_value(line.unit_value) if line.unit_value is not None else "",
            unit_value(line.unit_price) if line.unit_price is not None else "",
            amount(line.amount),
        ),
        details=tuple(line_details(doc, index)),
        ticket_title=f"{line.code} – {line.description}" if line.code else line.description,
        ticket_values=values,
        ticket_amount=amount(line.amount),
    )


def invoice_sheet(doc: Comprobante, cdr: Cdr | None, consulta_url: str | None) -> Sheet:
    """The printed factura, boleta or nota."""
    supplier = doc.supplier
    return Sheet(
        name=document_name(doc.tipo),
        number=doc.serie_numero,
        issuer=Issuer(
            name=supplier.name,
            trade_name=supplier.trade_name,
            id_label=f"R.U.C. N° {supplier.id_number}",
            id_short=f"RUC {supplier.id_number}",
            address=supplier.address,
        ),
        parties=tuple(customer_facts(doc) + note_facts(doc)),
        facts=tuple(header_facts(doc)),
        sections=(),
        table=Table(
            columns=INVOICE_COLUMNS,
            detail_column=3,
            ticket_heading=("Cant. Unidad × V. unitario (P. unitario)", "Importe"),
            rows=tuple(_invoice_row(doc, index) for index in range(len(doc.lines))),
        ),
        totals=tuple(total_rows(doc)),
        legends=tuple(legends(doc)),
        pending=pending_amount(doc),
        schedule=tuple(payment_lines(doc)),
        representation=representation(doc),
        proofs=(f"Valor resumen (hash): {doc.digest_value}",),
        consult=consult(consulta_url),
        answer=tuple(cdr_lines(cdr)) if cdr is not None else (),
        qr=qr.payload(doc),
        author=supplier.name,
    )
