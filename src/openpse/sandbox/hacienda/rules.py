"""Hacienda's checks of a comprobante's content, run after the schema and the signature.

- The clave (``hacienda_cr.md`` §3.2): country 506, the emission date in the clave equal to
  the date of ``FechaEmision`` in Costa Rica, situación 1/2/3, and the document code in
  the consecutivo equal to the root element's (§3.6: -1 "El tipo de documento no
  corresponde.").
- ``FechaEmision`` not in the future, and not older than the configured limit (-16,
  extemporáneo, §3.6).
- The arithmetic the v4.4 XSD annotations define (§5), on the amounts as written:
  ``MontoTotal = Cantidad × PrecioUnitario``, ``SubTotal = MontoTotal − ΣMontoDescuento``,
  IVA ``Monto = BaseImponible × Tarifa / 100`` (códigos 01 and 07, without
  ``FactorCalculoIVA``), ``ImpuestoNeto = ΣMonto − ΣMontoExoneracion −
  ImpuestoAsumidoEmisorFabrica``, ``MontoTotalLinea = SubTotal + ImpuestoNeto``; and in
  ``ResumenFactura``: ``TotalGravado/Exento/Exonerado/NoSujeto`` as the sums of their
  service and goods parts, ``TotalVenta`` as the sum of those four and of the lines'
  ``MontoTotal``, the service part equal to the lines whose ``UnidadMedida`` is a
  service unit, ``TotalDescuentos``, ``TotalVentaNeta``, ``TotalImpuesto``,
  ``TotalDesgloseImpuesto`` per (Codigo, CodigoTarifaIVA), ``TotalOtrosCargos`` and
  ``TotalComprobante = TotalVentaNeta + TotalImpuesto + TotalOtrosCargos −
  TotalIVADevuelto``.

The XSD says ``TotalImpuesto`` "se obtiene de la suma de todos campos monto del
impuesto", while integrations with exonerations write the sum of ``ImpuestoNeto``; both
are accepted, for ``TotalDesgloseImpuesto`` too. Each finding carries the row and column
of the element that is wrong, as Hacienda's answers do.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from lxml import etree

from openpse.sandbox.hacienda.document import Received

COSTA_RICA = dt.timezone(dt.timedelta(hours=-6))
"""Costa Rica keeps UTC-6 all year (no daylight saving since 1992)."""

# Units whose lines are services. The reference lists these as service units in the
# UnidadMedida catalogue (hacienda_cr.md §5); "D" (día) is listed by some integrations
# and not by others, so a document with "D" lines gets no service/goods split check.
SERVICE_UNITS = frozenset({"Al", "Alc", "Cm", "I", "Os", "Sp", "Spe", "St", "h", "Min"})
AMBIGUOUS_UNITS = frozenset({"D"})
_IVA_BY_RATE = frozenset({"01", "07"})
_ZERO = Decimal(0)


@dataclass(frozen=True)
class Finding:
    """One line of ``DetalleMensaje``: Hacienda's code, the text, row and column."""

    codigo: str
    mensaje: str
    fila: int = 0
    columna: int = 0


def parse_datetime(text: str) -> dt.datetime | None:
    """An ``xs:dateTime``; without an offset it is Costa Rica's local time."""
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=COSTA_RICA)


def check_clave(document: Received) -> list[Finding]:
    findings: list[Finding] = []
    clave = document.clave
    line = document.element.sourceline or 0
    if clave[:3] != "506":
        findings.append(Finding("-1", f"La clave {clave} no inicia con el código de país 506", line))
    emitted = parse_datetime(document.fecha_emision)
    try:
        clave_date = dt.datetime.strptime(clave[3:9], "%d%m%y").date()
    except ValueError:
        findings.append(Finding("-1", f"La fecha de la clave ({clave[3:9]}) no es una fecha ddmmaa", line))
    else:
        if emitted is not None and emitted.astimezone(COSTA_RICA).date() != clave_date:
            findings.append(
                Finding(
                    "-1",
                    f"La fecha de la clave ({clave[3:9]}) no corresponde a la FechaEmision "
                    f"{document.fecha_emision} en hora de Costa Rica",
                    line,
                )
            )
    if clave[41:42] not in ("1", "2", "3"):
        findings.append(
            Finding(
                "-1", f"La situación del comprobante en la clave ({clave[41:42]}) debe ser 1, 2 o 3", line
            )
        )
    consecutivo = document.consecutivo_receptor if document.is_mensaje_receptor else document.consecutivo
    if consecutivo[8:10] != document.code:
        findings.append(Finding("-1", "El tipo de documento no corresponde.", line))
    if consecutivo[10:20].strip("0") == "":
        findings.append(Finding("-1", "El número del consecutivo no puede ser cero", line))
    return findings


def check_dates(
    document: Received, now: dt.datetime, max_age_s: float | None, max_future_s: float
) -> list[Finding]:
    emitted = parse_datetime(document.fecha_emision)
    if emitted is None:
        return []
    line = document.element.sourceline or 0
    if (emitted - now).total_seconds() > max_future_s:
        return [
            Finding(
                "-1", f"La fecha de emisión {document.fecha_emision} es posterior a la de recepción", line
            )
        ]
    if max_age_s is not None and (now - emitted).total_seconds() > max_age_s:
        return [
            Finding(
                "-16",
                "El archivo XML, fue enviado a la Dirección General de Tributación de manera extemporánea: "
                f"la fecha de emisión es {document.fecha_emision}",
                line,
            )
        ]
    return []


class _Amounts:
    """Reads amounts of one element and records findings that compare them."""

    def __init__(self, ns: str, tolerance: Decimal, findings: list[Finding]) -> None:
        self._ns = ns
        self._tolerance = tolerance
        self.findings = findings

    def find(self, parent: etree._Element, path: str) -> etree._Element | None:
        return parent.find("/".join(f"{{{self._ns}}}{step}" for step in path.split("/")))

    def findall(self, parent: etree._Element, path: str) -> list[etree._Element]:
        return parent.findall("/".join(f"{{{self._ns}}}{step}" for step in path.split("/")))

    def value(self, parent: etree._Element, path: str) -> Decimal | None:
        element = self.find(parent, path)
        if element is None or not (element.text or "").strip():
            return None
        try:
            return Decimal(element.text.strip())  # type: ignore[union-attr]
        except InvalidOperation:
            return None

    def total(self, parents: list[etree._Element], path: str) -> Decimal:
        return sum((self.value(parent, path) or _ZERO for parent in parents), _ZERO)

    def expect(
        self, parent: etree._Element, path: str, expected: Decimal | tuple[Decimal, ...], rule: str
    ) -> None:
        """``parent/path`` must equal ``expected`` (or one of several accepted readings)."""
        written = self.value(parent, path)
        element = self.find(parent, path)
        candidates = expected if isinstance(expected, tuple) else (expected,)
        actual = written if written is not None else _ZERO
        if any(abs(actual - candidate) <= self._tolerance for candidate in candidates):
            return
        shown = f"{candidates[0]:f}"
        self.findings.append(
            Finding(
                "-1",
                f"El monto de {path.rsplit('/', 1)[-1]} ({actual:f}) no corresponde: {rule} da {shown}",
                (element if element is not None else parent).sourceline or 0,
            )
        )


def check_totals(document: Received, tolerance: Decimal) -> list[Finding]:
    """The arithmetic of the lines and of ``ResumenFactura`` (not for MensajeReceptor)."""
    if document.is_mensaje_receptor:
        return []
    root = document.element
    ns = etree.QName(root).namespace or ""
    findings: list[Finding] = []
    amounts = _Amounts(ns, tolerance, findings)
    lines = amounts.findall(root, "DetalleServicio/LineaDetalle")
    by_tax: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [_ZERO, _ZERO])
    services = goods = _ZERO
    split_known = True
    for line in lines:
        quantity = amounts.value(line, "Cantidad")
        price = amounts.value(line, "PrecioUnitario")
        if quantity is not None and price is not None:
            amounts.expect(line, "MontoTotal", quantity * price, "Cantidad × PrecioUnitario")
        monto_total = amounts.value(line, "MontoTotal") or _ZERO
        discounts = amounts.total(amounts.findall(line, "Descuento"), "MontoDescuento")
        amounts.expect(line, "SubTotal", monto_total - discounts, "MontoTotal − MontoDescuento")
        base = amounts.value(line, "BaseImponible")
        gross = exonerated = _ZERO
        for tax in amounts.findall(line, "Impuesto"):
            code = (getattr(amounts.find(tax, "Codigo"), "text", "") or "").strip()
            rate_code = (getattr(amounts.find(tax, "CodigoTarifaIVA"), "text", "") or "").strip()
            rate = amounts.value(tax, "Tarifa")
            if (
                code in _IVA_BY_RATE
                and rate is not None
                and base is not None
                and amounts.find(tax, "FactorCalculoIVA") is None
            ):
                amounts.expect(tax, "Monto", base * rate / 100, "BaseImponible × Tarifa / 100")
            monto = amounts.value(tax, "Monto") or _ZERO
            exoneration = amounts.value(tax, "Exoneracion/MontoExoneracion") or _ZERO
            gross += monto
            exonerated += exoneration
            by_tax[(code, rate_code)][0] += monto
            by_tax[(code, rate_code)][1] += monto - exoneration
        assumed = amounts.value(line, "ImpuestoAsumidoEmisorFabrica") or _ZERO
        if amounts.find(line, "ImpuestoNeto") is not None:
            amounts.expect(
                line,
                "ImpuestoNeto",
                gross - exonerated - assumed,
                "Monto − MontoExoneracion − ImpuestoAsumidoEmisorFabrica",
            )
        net_tax = amounts.value(line, "ImpuestoNeto") or _ZERO
        subtotal = amounts.value(line, "SubTotal") or _ZERO
        amounts.expect(line, "MontoTotalLinea", subtotal + net_tax, "SubTotal + ImpuestoNeto")
        unit = (getattr(amounts.find(line, "UnidadMedida"), "text", "") or "").strip()
        if unit in AMBIGUOUS_UNITS:
            split_known = False
        elif unit in SERVICE_UNITS:
            services += monto_total
        else:
            goods += monto_total

    summary = amounts.find(root, "ResumenFactura")
    if summary is None or document.root == "ReciboElectronicoPago":
        return findings
    value = amounts.value

    def part(name: str) -> Decimal:
        return value(summary, name) or _ZERO

    serv = ("TotalServGravados", "TotalServExentos", "TotalServExonerado", "TotalServNoSujeto")
    merc = ("TotalMercanciasGravadas", "TotalMercanciasExentas", "TotalMercExonerada", "TotalMercNoSujeta")
    totals = ("TotalGravado", "TotalExento", "TotalExonerado", "TotalNoSujeto")
    for total, service_part, goods_part in zip(totals, serv, merc, strict=True):
        if summary.find(f"{{{ns}}}{total}") is not None or part(service_part) or part(goods_part):
            amounts.expect(
                summary, total, part(service_part) + part(goods_part), f"{service_part} + {goods_part}"
            )
    line_sum = amounts.total(lines, "MontoTotal")
    amounts.expect(summary, "TotalVenta", line_sum, "la suma de MontoTotal de las líneas")
    if any(summary.find(f"{{{ns}}}{name}") is not None for name in totals):
        amounts.expect(summary, "TotalVenta", sum((part(name) for name in totals), _ZERO), " + ".join(totals))
    if split_known and lines:
        if any(summary.find(f"{{{ns}}}{name}") is not None for name in serv):
            amounts.expect(
                summary,
                serv[0],
                services - sum((part(name) for name in serv[1:]), _ZERO),
                "la suma de MontoTotal de las líneas de servicios",
            )
        if any(summary.find(f"{{{ns}}}{name}") is not None for name in merc):
            amounts.expect(
                summary,
                merc[0],
                goods - sum((part(name) for name in merc[1:]), _ZERO),
                "la suma de MontoTotal de las líneas de mercancías",
            )
    discounts = sum(
        (amounts.total(amounts.findall(line, "Descuento"), "MontoDescuento") for line in lines), _ZERO
    )
    if summary.find(f"{{{ns}}}TotalDescuentos") is not None or discounts:
        amounts.expect(summary, "TotalDescuentos", discounts, "la suma de MontoDescuento")
    amounts.expect(
        summary,
        "TotalVentaNeta",
        part("TotalVenta") - part("TotalDescuentos"),
        "TotalVenta − TotalDescuentos",
    )
    gross_tax = sum((pair[0] for pair in by_tax.values()), _ZERO)
    net_tax = amounts.total(lines, "ImpuestoNeto")
    if summary.find(f"{{{ns}}}TotalImpuesto") is not None or gross_tax:
        amounts.expect(summary, "TotalImpuesto", (gross_tax, net_tax), "la suma de Monto de los impuestos")
    breakdown = amounts.findall(summary, "TotalDesgloseImpuesto")
    for item in breakdown:
        code = (getattr(amounts.find(item, "Codigo"), "text", "") or "").strip()
        rate_code = (getattr(amounts.find(item, "CodigoTarifaIVA"), "text", "") or "").strip()
        sums = by_tax.get((code, rate_code), [_ZERO, _ZERO])
        amounts.expect(
            item,
            "TotalMontoImpuesto",
            (sums[0], sums[1]),
            f"la suma de Monto de los impuestos {code}/{rate_code or '-'}",
        )
    charges = amounts.total(amounts.findall(root, "OtrosCargos"), "MontoCargo")
    if summary.find(f"{{{ns}}}TotalOtrosCargos") is not None or charges:
        amounts.expect(summary, "TotalOtrosCargos", charges, "la suma de MontoCargo de OtrosCargos")
    amounts.expect(
        summary,
        "TotalComprobante",
        part("TotalVentaNeta") + part("TotalImpuesto") + part("TotalOtrosCargos") - part("TotalIVADevuelto"),
        "TotalVentaNeta + TotalImpuesto + TotalOtrosCargos − TotalIVADevuelto",
    )
    return findings
