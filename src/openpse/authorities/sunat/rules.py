"""Checks applied to a factura/boleta request before anything is built, with SUNAT's codes.

Each check mirrors a rejection (ERROR) rule of SUNAT's 2026 validation sheets
(Factura2_0, Boleta2_0) so that a request SUNAT would reject is answered at once with the
same code, in ``errors[].codError``, and the JSON path of the field in ``campo``.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from stdnum.pe import ruc as stdnum_ruc

from openpse.authorities.sunat import catalogs, codes
from openpse.authorities.sunat.models import ComprobanteIn
from openpse.authorities.sunat.totals import LineTotals
from openpse.core.errors import Code, IssueCollector

TIPOS_SOPORTADOS = {"01": "Factura", "03": "Boleta de venta"}
OPERACIONES_SOPORTADAS = {"0101"}
AFECTACIONES_SOPORTADAS = {"10", "20", "30"}
SERIE = {"01": re.compile(r"^F[A-Z0-9]{3}$"), "03": re.compile(r"^B[A-Z0-9]{3}$")}
PLAZO_ENVIO_DIAS = 3
"""Parámetro 004 "plazo máximo de envío" (2108 beyond it)."""
ADELANTO_MAXIMO_DIAS = 2
"""2329: the issue date may not be more than two days after the sending date."""
MAX_INTEGER = Decimal("1e12")
"""SUNAT's numeric formats allow 12 integer digits (n(12,2), n(12,10))."""
_NO_WHITESPACE = re.compile(r"^\S+$")
_ONE_LINE = re.compile(r"^[^\n\r\t]+$")


def _sunat(issues: IssueCollector, code: str, campo: str, detalle: str | None = None) -> None:
    text = codes.message(code)
    issues.add(code, f"{text}: {detalle}" if detalle else text, campo)


def _decimals(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def check_cliente(model: ComprobanteIn, issues: IssueCollector) -> None:
    cliente, tipo = model.cliente, model.tipo
    if not catalogs.contains("06", cliente.tipo_documento) and cliente.tipo_documento != "-":
        _sunat(
            issues, "2016", "cliente.tipo_documento", f"'{cliente.tipo_documento}' no está en el catálogo 06"
        )
        return
    if tipo == "01" and model.tipo_operacion == "0101" and cliente.tipo_documento != "6":
        _sunat(issues, "2800", "cliente.tipo_documento", "una factura de venta interna exige RUC (6)")
    numero = cliente.numero_documento
    if cliente.tipo_documento == "6":
        if not re.fullmatch(r"\d{11}", numero):
            _sunat(issues, "2017", "cliente.numero_documento")
        elif not stdnum_ruc.is_valid(numero):
            _sunat(issues, "1083", "cliente.numero_documento", "dígito verificador incorrecto")
    elif cliente.tipo_documento == "1":
        if not re.fullmatch(r"\d{8}", numero):
            _sunat(issues, "2801", "cliente.numero_documento")
    elif not _NO_WHITESPACE.match(numero):
        _sunat(issues, "2802", "cliente.numero_documento")
    nombre = cliente.razon_social
    if (tipo == "01" and (len(nombre) < 3 or not _ONE_LINE.match(nombre))) or not _ONE_LINE.match(nombre):
        _sunat(issues, "2022", "cliente.razon_social")


def check_items(model: ComprobanteIn, issues: IssueCollector) -> None:
    for index, item in enumerate(model.items):
        path = f"items[{index}]"
        if item.cantidad <= 0:
            _sunat(issues, "2024", f"{path}.cantidad")
        elif _decimals(item.cantidad) > 10 or item.cantidad >= MAX_INTEGER:
            _sunat(issues, "2025", f"{path}.cantidad", "decimal de hasta 12 enteros y 10 decimales")
        if not catalogs.contains("03", item.unidad):
            _sunat(issues, "2936", f"{path}.unidad", f"'{item.unidad}' no está en el catálogo 03")
        if not catalogs.contains("07", item.afectacion_igv):
            _sunat(
                issues, "2040", f"{path}.afectacion_igv", f"'{item.afectacion_igv}' no está en el catálogo 07"
            )
        elif item.afectacion_igv not in AFECTACIONES_SOPORTADAS:
            issues.add(
                Code.NO_SOPORTADO,
                f"La afectación {item.afectacion_igv} ({catalogs.nombre('07', item.afectacion_igv)}) aún no "
                "está soportada; use 10, 20 o 30",
                f"{path}.afectacion_igv",
            )
        if (item.valor_unitario is None) == (item.precio_unitario is None):
            issues.add(
                Code.CAMPO_INVALIDO,
                "Indique valor_unitario (sin IGV) o precio_unitario (con IGV), uno de los dos",
                f"{path}.valor_unitario",
            )
        for campo in ("valor_unitario", "precio_unitario"):
            value = getattr(item, campo)
            # 2369: a positive decimal, not zero, with up to ten decimals (free items are
            # a different operation, with PricingReference 02).
            if value is not None and (value <= 0 or _decimals(value) > 10 or value >= MAX_INTEGER):
                _sunat(
                    issues,
                    "2369",
                    f"{path}.{campo}",
                    "decimal mayor que cero de 12 enteros y hasta 10 decimales",
                )
        if not _ONE_LINE.match(item.descripcion):
            _sunat(issues, "2027", f"{path}.descripcion", "sin saltos de línea ni tabuladores")


def check_document(model: ComprobanteIn, fecha: dt.date, today: dt.date, issues: IssueCollector) -> None:
    tipo = model.tipo
    if tipo not in TIPOS_SOPORTADOS:
        if catalogs.contains("01", tipo):
            issues.add(
                Code.NO_SOPORTADO,
                f"El tipo {tipo} ({catalogs.nombre('01', tipo)}) aún no se puede emitir "
                "por este endpoint; use 01 o 03",
                "tipo",
            )
        else:
            _sunat(issues, "1003", "tipo")
        return
    if not SERIE[tipo].match(model.serie):
        letra = "F" if tipo == "01" else "B"
        _sunat(
            issues,
            "1001",
            "serie",
            f"la serie de una {TIPOS_SOPORTADOS[tipo].lower()} es {letra} + 3 caracteres",
        )
    if not catalogs.contains("02", model.moneda):
        _sunat(issues, "3088", "moneda")
    operacion = model.tipo_operacion
    flag = "factura" if tipo == "01" else "boleta"
    if not catalogs.contains("51", operacion) or catalogs.attribute("51", operacion, flag) == "0":
        _sunat(issues, "3206", "tipo_operacion")
    elif operacion not in OPERACIONES_SOPORTADAS:
        issues.add(
            Code.NO_SOPORTADO,
            f"El tipo de operación {operacion} ({catalogs.nombre('51', operacion)}) aún "
            "no está soportado; use 0101",
            "tipo_operacion",
        )
    if fecha < today - dt.timedelta(days=PLAZO_ENVIO_DIAS):
        _sunat(issues, "2108", "fecha_emision", f"el plazo máximo de envío es de {PLAZO_ENVIO_DIAS} días")
    if fecha > today + dt.timedelta(days=ADELANTO_MAXIMO_DIAS):
        _sunat(issues, "2329", "fecha_emision")
    if model.fecha_vencimiento is not None and model.fecha_vencimiento < fecha:
        issues.add(
            Code.CAMPO_INVALIDO,
            "La fecha de vencimiento no puede ser anterior a la de emisión",
            "fecha_vencimiento",
        )


def check_line_values(lines: list[LineTotals], issues: IssueCollector) -> None:
    """3105: every line needs a taxable amount above zero; 3111: a gravado line, an IGV above zero.

    The 2026 sheets raise 3111 only above a base of 0.06; SUNAT's SFS sheet for boletas
    raises it for any base. We follow the stricter one: a gravado line of one or two
    cents, whose IGV rounds to nothing, is refused either way.
    """
    for index, line in enumerate(lines):
        if line.valor_venta <= 0:
            _sunat(issues, "3105", f"items[{index}]", "el valor de venta de la línea redondea a 0.00")
        elif line.tributo.codigo == "1000" and line.igv == 0:
            _sunat(issues, "3111", f"items[{index}]", "el IGV de la línea redondea a 0.00")


def check_forma_pago(model: ComprobanteIn, fecha: dt.date, total: Decimal, issues: IssueCollector) -> None:
    forma = model.forma_pago
    if model.tipo == "03":
        if forma.tipo != "Contado" or forma.cuotas:
            issues.add(
                Code.CAMPO_INVALIDO,
                "SUNAT no recibe la forma de pago en boletas (solo en facturas); "
                "omita forma_pago o use Contado",
                "forma_pago",
            )
        return
    if forma.tipo == "Contado":
        if forma.cuotas:
            _sunat(issues, "3252", "forma_pago.cuotas", "una venta al contado no lleva cuotas")
        return
    if not forma.cuotas:
        _sunat(issues, "3249", "forma_pago.cuotas")
        return
    pendiente = forma.monto_pendiente if forma.monto_pendiente is not None else total
    if pendiente > total:
        _sunat(issues, "3265", "forma_pago.monto_pendiente")
    suma = sum((c.monto for c in forma.cuotas), Decimal(0))
    if suma != pendiente:
        _sunat(issues, "3319", "forma_pago.cuotas", f"cuotas {suma:.2f} ≠ pendiente {pendiente:.2f}")
    for index, cuota in enumerate(forma.cuotas):
        if cuota.monto <= 0 or cuota.monto > total:
            _sunat(issues, "3266" if cuota.monto > total else "3253", f"forma_pago.cuotas[{index}].monto")
        if cuota.fecha_pago <= fecha:
            _sunat(issues, "3267", f"forma_pago.cuotas[{index}].fecha_pago")
