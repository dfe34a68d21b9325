"""Checks applied to a request before anything is built, with SUNAT's codes.

Each check mirrors a rejection (ERROR) rule of SUNAT's 2026 validation sheets (Factura2_0,
Boleta2_0, NotaCredito2_0, NotaDebito2_0) so that a request SUNAT would reject is answered
at once with the same code in ``errors[].codError`` and the JSON path in ``campo``. What
SUNAT allows but OpenPSE does not build yet is refused with ``PSE-0020``, never silently.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from decimal import Decimal

from stdnum.pe import ruc as stdnum_ruc

from openpse.authorities.sunat import catalogs, codes
from openpse.authorities.sunat.models import Ajuste, ComprobanteIn, FormaPago, Item
from openpse.authorities.sunat.totals import (
    AFECTACIONES,
    CODIGOS_GLOBALES,
    CODIGOS_LINEA,
    IVAP,
    DocumentTotals,
    LineTotals,
)
from openpse.core.errors import Code, IssueCollector

TIPOS_SOPORTADOS = {"01": "Factura", "03": "Boleta de venta", "07": "Nota de crédito", "08": "Nota de débito"}
EXPORTACION = {"0200", "0201", "0202", "0203", "0204", "0205", "0206", "0207", "0208"}
DETRACCION = {"1001", "1002", "1003", "1004"}
PERCEPCION = "2001"
NO_DOMICILIADO = "0401"
"""Sale to a non-domiciled buyer that does not qualify as an export: taxed as usual, any
identity document of catálogo 06 (Factura2_0 row 17, 2800)."""
CARTA_PORTE_AEREO = "0301"
"""Carta de porte aéreo issued within the country: every line carries origin and
destination, catálogo 55 properties 4030–4033 (3168–3171)."""
CREDITOS = {"2100", "2101", "2102"}
"""Credits to companies and consumer credits: at least one line with contract number, date
granted and capital, properties 7004, 7005 and 7012 (3241)."""
FINANCIERA_NO_GRAVADA = "2103"
"""Other operations not taxed of the financial system: no data of its own."""
SEGUROS = "2104"
"""Operations not taxed of insurers: at least one line with the kind of insurance, 7015
(3242), and the policy data its kind requires (2898, 2899)."""
AFP = "2105"
"""Documents of an AFP (boletas only, catálogo 51): at least one line with CUSPP, period and
late interest, 7017–7019 (2595–2597)."""
OPERACIONES_SOPORTADAS = (
    {"0101", "0112", PERCEPCION, NO_DOMICILIADO, CARTA_PORTE_AEREO, FINANCIERA_NO_GRAVADA, SEGUROS, AFP}
    | EXPORTACION
    | DETRACCION
    | CREDITOS
)
DETRACCION_CODIGO_FIJO = {"1002": "004", "1003": "028", "1004": "027"}
"""3129: the good or service of catálogo 54 that some operation types impose."""
HIDROBIOLOGICOS = "004"
"""Catálogo 54 code whose lines carry the fishing data 3001–3006 (the SFS sheet keys the
line checks 3063, 3130–3134 on the detracción code, the workbook on operation 1002)."""
PERCEPCION_TASAS = {"51": Decimal("0.02"), "52": Decimal("0.01"), "53": Decimal("0.005")}
"""Rates of the percepción regimes of catálogo 53 (Parámetros 019 of the workbook)."""
SERIE_ANTICIPO = {
    "02": re.compile(r"^(F[A-Z0-9]{3}|E001|\d{1,4})$"),
    "03": re.compile(r"^(B[A-Z0-9]{3}|EB01|\d{1,4})$"),
}
"""2521: series of the document of an advance, by its type of catálogo 12."""
SERIE_GUIA = re.compile(r"^(T[A-Z0-9]{3}|\d{4}|EG0[1-4]|EG07|G\d{3}|V[A-Z0-9]{3})$")
"""4006: series of a related guía de remisión."""
BOLETA_SIN_IDENTIFICAR_MAXIMO = Decimal("700")
"""Above S/ 700 a boleta names its customer (Reglamento de Comprobantes de Pago, art. 8;
SUNAT answers 2514 when a daily summary line lacks it, Resumen_Diario1_1 row 10)."""
TIPOS_RELACIONADOS = {"02", "03", "04", "05", "06", "07", "08", "09", "99"}
"""4009: types of catálogo 12 accepted as "otro documento relacionado"."""
SERIE = {
    "01": re.compile(r"^F[A-Z0-9]{3}$"),
    "03": re.compile(r"^B[A-Z0-9]{3}$"),
    "07": re.compile(r"^[FB][A-Z0-9]{3}$"),
    "08": re.compile(r"^[FB][A-Z0-9]{3}$"),
}
PLAZO_ENVIO_DIAS = 3
"""Parámetro 004 "plazo máximo de envío" (2108 beyond it)."""
ADELANTO_MAXIMO_DIAS = 2
"""2329: the issue date may not be more than two days after the sending date."""
MAX_INTEGER = Decimal("1e12")
"""SUNAT's numeric formats allow 12 integer digits (n(12,2), n(12,10))."""
TASAS_IGV = {Decimal("18"), Decimal("10.5")}
PRODUCTOS_0112 = {"84121901", "80131501"}
"""3181: a 0112 sale (deductible expenses of a natural person) is a rental of real estate."""
PRODUCTO_HIPOTECARIO = "84121901"
"""Mortgage-loan interests: SUNAT requires the credit's properties on the line (3150...)."""
LEYENDAS_AUTOMATICAS = {"1000", "1002", "2000", "2006", "2007"}
LEYENDA_ITINERANTE = "2005"
"""Added with venta_itinerante (4266 when the delivery address goes without it)."""
EXPORTACION_SERVICIOS_PAIS = {"0201", "0208"}
"""3098/3099: in these exports the delivery address names the foreign country of use."""
_NO_WHITESPACE = re.compile(r"^\S+$")
_ONE_LINE = re.compile(r"^[^\n\r\t]+$")


def _sunat(issues: IssueCollector, code: str, campo: str, detalle: str | None = None) -> None:
    text = codes.message(code)
    issues.add(code, f"{text}: {detalle}" if detalle else text, campo)


def _observation(issues: IssueCollector, code: str, campo: str, detalle: str | None = None) -> None:
    text = codes.message(code)
    issues.warn(code, f"{text}: {detalle}" if detalle else text, campo)


def _unsupported(issues: IssueCollector, campo: str, texto: str) -> None:
    issues.add(Code.NO_SOPORTADO, texto, campo)


@functools.lru_cache(maxsize=8192)
def _ruc_valid(numero: str) -> bool:
    # Customers repeat; python-stdnum's check costs more than the whole XML line.
    return bool(stdnum_ruc.is_valid(numero))


def _decimals(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def is_note(model: ComprobanteIn) -> bool:
    return model.tipo in ("07", "08")


def is_motivo_13(model: ComprobanteIn) -> bool:
    """A credit note of motivo 13: it corrects the cuotas of a credit factura and totals zero."""
    return model.tipo == "07" and model.motivo is not None and model.motivo.codigo == "13"


def monto_pendiente(model: ComprobanteIn, forma: FormaPago) -> Decimal | None:
    """The pending amount written on the Credito term: the declared one, else, in a motivo-13
    note (whose own total is zero), the sum of its cuotas (3319)."""
    if forma.monto_pendiente is not None or not is_motivo_13(model):
        return forma.monto_pendiente
    return sum((cuota.monto for cuota in forma.cuotas), Decimal(0))


def check_cliente(model: ComprobanteIn, issues: IssueCollector) -> None:
    cliente, tipo = model.cliente, model.tipo
    factura = tipo == "01" or (is_note(model) and model.serie.startswith("F"))
    if not catalogs.contains("06", cliente.tipo_documento) and cliente.tipo_documento != "-":
        detalle = f"'{cliente.tipo_documento}' no está en el catálogo 06"
        if is_note(model):
            _sunat(issues, "2016", "cliente.tipo_documento", detalle)
        elif factura:
            _sunat(issues, "2800", "cliente.tipo_documento", detalle)
        else:
            # SUNAT's boleta sheet does not check the type; a type outside catálogo 06 is
            # still nonsense, so OpenPSE refuses it with its own code.
            issues.add(Code.CAMPO_INVALIDO, f"Tipo de documento {detalle}", "cliente.tipo_documento")
        return
    operacion = model.tipo_operacion
    if factura and not is_note(model):
        # 2800: 6 (RUC) except exports and non-domiciled sales; 1 or 6 for 0112.
        if operacion in EXPORTACION or operacion == NO_DOMICILIADO:
            if cliente.tipo_documento == "6" and operacion in ("0200", "0201", "0204"):
                _sunat(issues, "2800", "cliente.tipo_documento", "una exportación no se factura a un RUC")
        elif operacion == "0112":
            if cliente.tipo_documento not in ("1", "6"):
                _sunat(issues, "2800", "cliente.tipo_documento", "la operación 0112 exige DNI (1) o RUC (6)")
        elif cliente.tipo_documento != "6":
            _sunat(issues, "2800", "cliente.tipo_documento", "una factura de venta interna exige RUC (6)")
    numero = cliente.numero_documento
    if cliente.tipo_documento == "6":
        if not re.fullmatch(r"\d{11}", numero):
            _sunat(issues, "2017", "cliente.numero_documento")
        elif not _ruc_valid(numero):
            _sunat(issues, "1083", "cliente.numero_documento", "dígito verificador incorrecto")
    elif is_note(model):
        # The note sheets check only RUCs (2017, 1083).
        pass
    elif cliente.tipo_documento == "1":
        # ERROR in facturas (2801), observation in boletas (4207).
        if not re.fullmatch(r"\d{8}", numero):
            if tipo == "03":
                _observation(issues, "4207", "cliente.numero_documento")
            else:
                _sunat(issues, "2801", "cliente.numero_documento")
    elif not _NO_WHITESPACE.match(numero):
        if tipo == "03":
            _observation(issues, "4208", "cliente.numero_documento")
        else:
            _sunat(issues, "2802", "cliente.numero_documento")
    nombre = cliente.razon_social
    if (factura and len(nombre) < 3) or not _ONE_LINE.match(nombre):
        _sunat(issues, "2022", "cliente.razon_social")


def _check_ajuste(
    ajuste: Ajuste,
    codigo: str,
    permitidos: dict[str, tuple[bool, bool]],
    campo: str,
    issues: IssueCollector,
    global_: bool,
) -> None:
    if codigo not in permitidos:
        detalle = f"{codigo} no corresponde aquí; use {', '.join(sorted(permitidos))} (catálogo 53)"
        if catalogs.contains("53", codigo):
            _unsupported(issues, f"{campo}.codigo", detalle)
        else:
            # 3071 for a global code outside catálogo 53, 2954 for a line one.
            _sunat(issues, "3071" if global_ else "2954", f"{campo}.codigo", detalle)
    if (ajuste.monto is None) == (ajuste.porcentaje is None):
        issues.add(Code.CAMPO_INVALIDO, "Indique monto o porcentaje, uno de los dos", campo)
    for nombre in ("monto", "porcentaje", "base"):
        value = getattr(ajuste, nombre)
        if value is not None and (value < 0 or value >= MAX_INTEGER):
            issues.add(
                Code.CAMPO_INVALIDO, f"{nombre} debe ser positivo y de hasta 12 enteros", f"{campo}.{nombre}"
            )


def check_items(model: ComprobanteIn, issues: IssueCollector) -> None:
    sin_valor = is_motivo_13(model)
    for index, item in enumerate(model.items):
        if sin_valor:
            _check_item_sin_valor(item, f"items[{index}]", issues)
        else:
            _check_item(item, f"items[{index}]", issues)
    _check_detraccion_items(model, issues)
    _check_datos_operacion(model, issues)
    afectaciones = {item.afectacion_igv for item in model.items if item.afectacion_igv in AFECTACIONES}
    if "17" in afectaciones and len(afectaciones) > 1:
        _sunat(issues, "2644", "items", "el IVAP (17) no se mezcla con otras afectaciones")
    if model.tipo_operacion in EXPORTACION and not is_note(model) and afectaciones - {"40"}:
        _sunat(issues, "2642", "items", "todas las líneas de una exportación llevan afectación 40")
    if (
        model.tipo_operacion == "0112"
        and not is_note(model)
        and not any(item.codigo_producto_sunat in PRODUCTOS_0112 for item in model.items)
    ):
        _sunat(
            issues,
            "3181",
            "items",
            "la operación 0112 necesita una línea con código de producto 84121901 "
            "(alquiler) u 80131501 (arrendamiento de inmuebles)",
        )
    if model.tipo_operacion == "0112" and any(
        item.codigo_producto_sunat == PRODUCTO_HIPOTECARIO for item in model.items
    ):
        # SUNAT's sheet asks such a line for the mortgage-credit properties (7001, 7004,
        # 7005), which OpenPSE does not build yet: the document would be rejected.
        _sunat(
            issues,
            "3150",
            "items",
            "el código 84121901 (intereses de crédito hipotecario) exige los datos del crédito "
            "(tipo de préstamo, partida registral, primera vivienda), que OpenPSE aún no genera",
        )
    if "40" in afectaciones and model.tipo_operacion not in EXPORTACION and not is_note(model):
        _unsupported(
            issues, "items", "La afectación 40 es para exportaciones: use un tipo de operación 0200–0208"
        )


def _check_item_sin_valor(item: Item, path: str, issues: IssueCollector) -> None:
    """A line of a motivo-13 credit note: quantity, unit and description as usual, and no
    amount at all, since the note's total must be zero (3315)."""
    if item.cantidad <= 0:
        _sunat(issues, "2024", f"{path}.cantidad")
    elif _decimals(item.cantidad) > 10 or item.cantidad >= MAX_INTEGER:
        _sunat(issues, "2025", f"{path}.cantidad", "decimal de hasta 12 enteros y 10 decimales")
    if not catalogs.contains("03", item.unidad):
        _sunat(issues, "2936", f"{path}.unidad", f"'{item.unidad}' no está en el catálogo 03")
    if not _ONE_LINE.match(item.descripcion):
        _sunat(issues, "2027", f"{path}.descripcion", "sin saltos de línea ni tabuladores")
    afectacion = AFECTACIONES.get(item.afectacion_igv)
    if afectacion is None:
        _sunat(issues, "2040", f"{path}.afectacion_igv", f"'{item.afectacion_igv}' no está en el catálogo 07")
    elif afectacion.gratuita:
        issues.add(
            Code.CAMPO_INVALIDO,
            "La nota de motivo 13 no lleva líneas gratuitas: use la afectación de la factura",
            f"{path}.afectacion_igv",
        )
    for campo in ("valor_unitario", "precio_unitario", "valor_referencial"):
        value = getattr(item, campo)
        if value is not None and value != 0:
            _sunat(
                issues,
                "3315",
                f"{path}.{campo}",
                "la nota de motivo 13 solo corrige las cuotas: sus líneas van sin valor (omítalo o use 0)",
            )
    for campo in ("descuento", "cargo", "isc", "icbper", "otros_tributos"):
        if getattr(item, campo) is not None:
            _sunat(issues, "3315", f"{path}.{campo}", "la nota de motivo 13 no lleva importes")


def _check_detraccion_items(model: ComprobanteIn, issues: IssueCollector) -> None:
    """Line data of detracciones 1002 (fishing, properties 3001–3006) and 1004 (freight,
    cac:Delivery): Factura2_0 rows 107–118; the sheets check every line."""
    operacion = model.tipo_operacion
    nota = is_note(model)
    codigo = model.detraccion.codigo if model.detraccion is not None else None
    pesca = not nota and (operacion == "1002" or (operacion in DETRACCION and codigo == HIDROBIOLOGICOS))
    carga = not nota and operacion == "1004"
    for index, item in enumerate(model.items):
        path = f"items[{index}]"
        datos = item.recursos_hidrobiologicos
        if datos is None:
            if pesca:
                _sunat(
                    issues,
                    "3063",
                    f"{path}.recursos_hidrobiologicos",
                    "cada línea de la operación 1002 lleva los datos de la embarcación y la descarga",
                )
        elif not pesca:
            issues.add(
                Code.CAMPO_INVALIDO,
                "recursos_hidrobiologicos es solo para la detracción 1002 (código 004)",
                f"{path}.recursos_hidrobiologicos",
            )
        else:
            for campo in ("matricula_embarcacion", "nombre_embarcacion", "especie", "lugar_descarga"):
                if not _ONE_LINE.match(getattr(datos, campo)):
                    issues.add(
                        Code.CAMPO_INVALIDO,
                        "Texto de una línea, sin tabuladores (4280)",
                        f"{path}.recursos_hidrobiologicos.{campo}",
                    )
            cantidad = datos.cantidad_especie
            if cantidad <= 0 or _decimals(cantidad) > 2 or cantidad >= MAX_INTEGER:
                issues.add(
                    Code.CAMPO_INVALIDO,
                    "Toneladas mayores que cero, hasta 12 enteros y 2 decimales (4281)",
                    f"{path}.recursos_hidrobiologicos.cantidad_especie",
                )
        transporte = item.transporte_carga
        if transporte is None:
            if carga:
                _sunat(
                    issues,
                    "3116",
                    f"{path}.transporte_carga",
                    "cada línea de la operación 1004 lleva origen, destino, detalle del viaje y "
                    "valores referenciales",
                )
            continue
        if not carga:
            issues.add(
                Code.CAMPO_INVALIDO,
                "transporte_carga es solo para la detracción 1004 (transporte de carga)",
                f"{path}.transporte_carga",
            )
            continue
        for punto in ("origen", "destino"):
            ubigeo = getattr(transporte, punto).ubigeo
            if not catalogs.contains("13", ubigeo):
                _observation(
                    issues, "4200", f"{path}.transporte_carga.{punto}.ubigeo", f"'{ubigeo}' (catálogo 13)"
                )
        if not _ONE_LINE.match(transporte.detalle_viaje):
            issues.add(
                Code.CAMPO_INVALIDO,
                "Detalle del viaje de una línea, sin tabuladores (4270)",
                f"{path}.transporte_carga.detalle_viaje",
            )
        for campo in (
            "valor_referencial_servicio",
            "valor_referencial_carga_efectiva",
            "valor_referencial_carga_util",
        ):
            value = getattr(transporte, campo)
            if value <= 0 or _decimals(value) > 2 or value >= MAX_INTEGER:
                _sunat(
                    issues,
                    "3123",
                    f"{path}.transporte_carga.{campo}",
                    "en soles, mayor que cero, 2 decimales",
                )
        for campo, codigo_sunat in (("carga_util", "4276"), ("carga_efectiva", "4276")):
            value = getattr(transporte, campo)
            if value is not None and (value <= 0 or _decimals(value) > 2 or value >= MAX_INTEGER):
                issues.add(
                    Code.CAMPO_INVALIDO,
                    f"Toneladas mayores que cero, hasta 12 enteros y 2 decimales ({codigo_sunat})",
                    f"{path}.transporte_carga.{campo}",
                )


_DATOS_OPERACION = (
    ("carta_porte_aereo", {CARTA_PORTE_AEREO}, "la operación 0301 (carta de porte aéreo)"),
    ("credito", CREDITOS, "las operaciones 2100–2102 (créditos)"),
    ("seguro", {SEGUROS}, "la operación 2104 (empresas del sistema de seguros)"),
    ("afp", {AFP}, "la operación 2105 (comprobante emitido por AFP)"),
)


def _check_datos_operacion(model: ComprobanteIn, issues: IssueCollector) -> None:
    """Line data that some operation types require (catálogo 55 properties): Factura2_0
    rows 147–148 and 162–173, Boleta2_0 rows 120–134."""
    operacion = None if is_note(model) else model.tipo_operacion
    for campo, operaciones, nombre in _DATOS_OPERACION:
        if operacion in operaciones:
            continue
        for index, item in enumerate(model.items):
            if getattr(item, campo) is not None:
                issues.add(Code.CAMPO_INVALIDO, f"{campo} es solo para {nombre}", f"items[{index}].{campo}")
    if operacion == CARTA_PORTE_AEREO:
        for index, item in enumerate(model.items):
            path = f"items[{index}].carta_porte_aereo"
            if item.carta_porte_aereo is None:
                _sunat(issues, "3168", path, "cada línea de la operación 0301 lleva el origen y el destino")
                continue
            for punto in ("origen", "destino"):
                ubigeo = getattr(item.carta_porte_aereo, punto).ubigeo
                if not catalogs.contains("13", ubigeo):
                    _observation(issues, "4280", f"{path}.{punto}.ubigeo", f"'{ubigeo}' (catálogo 13)")
    elif operacion in CREDITOS:
        if not any(item.credito is not None for item in model.items):
            _sunat(
                issues,
                "3241",
                "items",
                "al menos una línea lleva credito (número de contrato, fecha de otorgamiento y capital)",
            )
        for index, item in enumerate(model.items):
            credito = item.credito
            if credito is None:
                continue
            if not _ONE_LINE.match(credito.numero_contrato):
                issues.add(
                    Code.CAMPO_INVALIDO,
                    "Texto de una línea, sin tabuladores (4280)",
                    f"items[{index}].credito.numero_contrato",
                )
            monto = credito.monto_capital
            if monto <= 0 or _decimals(monto) > 2 or monto >= MAX_INTEGER:
                issues.add(
                    Code.CAMPO_INVALIDO,
                    "Capital mayor que cero, hasta 12 enteros y 2 decimales (4280)",
                    f"items[{index}].credito.monto_capital",
                )
    elif operacion == SEGUROS:
        if not any(item.seguro is not None for item in model.items):
            _sunat(issues, "3242", "items", "al menos una línea lleva seguro (tipo de seguro y póliza)")
        for index, item in enumerate(model.items):
            if item.seguro is not None:
                _check_seguro(item, f"items[{index}].seguro", issues)
    elif operacion == AFP:
        if not any(item.afp is not None for item in model.items):
            _sunat(
                issues, "2595", "items", "al menos una línea lleva afp (CUSPP, periodo e interés moratorio)"
            )
        for index, item in enumerate(model.items):
            afp = item.afp
            if afp is not None and (
                afp.interes_moratorio < 0
                or _decimals(afp.interes_moratorio) > 2
                or afp.interes_moratorio >= MAX_INTEGER
            ):
                issues.add(
                    Code.CAMPO_INVALIDO,
                    "Monto de hasta 12 enteros y 2 decimales (4281)",
                    f"items[{index}].afp.interes_moratorio",
                )


def _check_seguro(item: Item, path: str, issues: IssueCollector) -> None:
    seguro = item.seguro
    assert seguro is not None
    if seguro.tipo_seguro in ("1", "2"):
        for campo in ("numero_poliza", "vigencia_inicio", "suma_asegurada"):
            if getattr(seguro, campo) is None:
                _sunat(issues, "2898", f"{path}.{campo}", f"el tipo de seguro {seguro.tipo_seguro} lo exige")
    elif seguro.numero_poliza is None:
        _sunat(issues, "2899", f"{path}.numero_poliza")
    if seguro.numero_poliza is not None and not _ONE_LINE.match(seguro.numero_poliza):
        issues.add(Code.CAMPO_INVALIDO, "Texto de una línea, sin tabuladores (4280)", f"{path}.numero_poliza")
    if seguro.vigencia_inicio is None:
        if seguro.vigencia_fin is not None:
            issues.add(
                Code.CAMPO_INVALIDO, "El fin de la vigencia va con su inicio", f"{path}.vigencia_inicio"
            )
    elif seguro.vigencia_fin is None:
        _observation(issues, "4366", f"{path}.vigencia_fin")
    elif seguro.vigencia_fin < seguro.vigencia_inicio:
        issues.add(
            Code.CAMPO_INVALIDO,
            "El fin de la vigencia no puede ser anterior a su inicio",
            f"{path}.vigencia_fin",
        )
    suma = seguro.suma_asegurada
    if suma is not None and (suma <= 0 or _decimals(suma) > 2 or suma >= MAX_INTEGER):
        issues.add(
            Code.CAMPO_INVALIDO,
            "Monto mayor que cero, hasta 12 enteros y 2 decimales (4280)",
            f"{path}.suma_asegurada",
        )


def _check_item(item: Item, path: str, issues: IssueCollector) -> None:
    if item.cantidad <= 0:
        _sunat(issues, "2024", f"{path}.cantidad")
    elif _decimals(item.cantidad) > 10 or item.cantidad >= MAX_INTEGER:
        _sunat(issues, "2025", f"{path}.cantidad", "decimal de hasta 12 enteros y 10 decimales")
    if not catalogs.contains("03", item.unidad):
        _sunat(issues, "2936", f"{path}.unidad", f"'{item.unidad}' no está en el catálogo 03")
    if not _ONE_LINE.match(item.descripcion):
        _sunat(issues, "2027", f"{path}.descripcion", "sin saltos de línea ni tabuladores")
    afectacion = AFECTACIONES.get(item.afectacion_igv)
    if afectacion is None:
        _sunat(issues, "2040", f"{path}.afectacion_igv", f"'{item.afectacion_igv}' no está en el catálogo 07")
        return
    for campo, value in (
        ("valor_unitario", item.valor_unitario),
        ("precio_unitario", item.precio_unitario),
        ("valor_referencial", item.valor_referencial),
    ):
        # 2369: a positive decimal, not zero, with up to ten decimals.
        if value is not None and (value <= 0 or _decimals(value) > 10 or value >= MAX_INTEGER):
            _sunat(
                issues, "2369", f"{path}.{campo}", "decimal mayor que cero de 12 enteros y hasta 10 decimales"
            )
    if afectacion.gratuita:
        if item.valor_referencial is None and item.valor_unitario is None:
            issues.add(
                Code.CAMPO_INVALIDO,
                "Una transferencia gratuita necesita valor_referencial (sin impuestos)",
                f"{path}.valor_referencial",
            )
        if item.precio_unitario is not None:
            issues.add(
                Code.CAMPO_INVALIDO,
                "Una transferencia gratuita se valoriza con valor_referencial, no con precio_unitario",
                f"{path}.precio_unitario",
            )
        for campo in ("descuento", "cargo", "isc", "icbper", "otros_tributos"):
            if getattr(item, campo) is not None:
                _unsupported(
                    issues,
                    f"{path}.{campo}",
                    "Una línea gratuita no lleva descuentos, cargos, ISC, ICBPER ni otros tributos "
                    "en esta versión",
                )
    else:
        if item.valor_referencial is not None:
            issues.add(
                Code.CAMPO_INVALIDO,
                "valor_referencial es solo para transferencias gratuitas (afectaciones 11–16, 21, 31–37)",
                f"{path}.valor_referencial",
            )
        if (item.valor_unitario is None) == (item.precio_unitario is None):
            issues.add(
                Code.CAMPO_INVALIDO,
                "Indique valor_unitario (sin IGV) o precio_unitario (con IGV), uno de los dos",
                f"{path}.valor_unitario",
            )
    for campo, defecto, permitidos, ajuste in (
        ("descuento", "00", {"00", "01"}, item.descuento),
        ("cargo", "47", {"47", "48"}, item.cargo),
    ):
        if ajuste is None:
            continue
        if isinstance(ajuste, Ajuste):
            codigos = {k: v for k, v in CODIGOS_LINEA.items() if k in permitidos}
            _check_ajuste(ajuste, ajuste.codigo or defecto, codigos, f"{path}.{campo}", issues, global_=False)
        elif ajuste is not None and (ajuste < 0 or ajuste >= MAX_INTEGER):
            issues.add(Code.CAMPO_INVALIDO, "monto positivo de hasta 12 enteros", f"{path}.{campo}")
    if item.isc is not None:
        if item.afectacion_igv != "10":
            _unsupported(
                issues, f"{path}.isc", "El ISC se calcula en líneas gravadas onerosas (afectación 10)"
            )
        if item.precio_unitario is not None:
            issues.add(
                Code.CAMPO_INVALIDO,
                "Con ISC indique valor_unitario (sin impuestos)",
                f"{path}.precio_unitario",
            )
        if item.isc.sistema not in ("01", "02", "03"):
            _sunat(issues, "2041", f"{path}.isc.sistema", "catálogo 08: 01, 02 o 03")
        elif item.isc.sistema == "03" and item.isc.precio_sugerido is None:
            issues.add(
                Code.CAMPO_INVALIDO, "El sistema 03 necesita precio_sugerido", f"{path}.isc.precio_sugerido"
            )
        if item.isc.tasa <= 0:
            _sunat(issues, "3108", f"{path}.isc.tasa", "la tasa debe ser mayor que cero")
    if item.otros_tributos is not None:
        otros = item.otros_tributos
        if not 0 < otros.tasa < 1000 or _decimals(otros.tasa) > 5:
            _sunat(
                issues,
                "3102",
                f"{path}.otros_tributos.tasa",
                "decimal positivo de 3 enteros y hasta 5 decimales",
            )
        if otros.base is not None and (otros.base <= 0 or _decimals(otros.base) > 2):
            _sunat(issues, "3031", f"{path}.otros_tributos.base")
        if item.precio_unitario is not None:
            issues.add(
                Code.CAMPO_INVALIDO,
                "Con otros tributos indique valor_unitario (sin impuestos)",
                f"{path}.precio_unitario",
            )
    if item.icbper is not None:
        bolsas = item.icbper.cantidad if item.icbper.cantidad is not None else item.cantidad
        if bolsas != item.cantidad.to_integral_value():
            _sunat(issues, "3236", f"{path}.icbper.cantidad", "las bolsas son la cantidad de la línea")


def check_document(model: ComprobanteIn, fecha: dt.date, today: dt.date, issues: IssueCollector) -> None:
    tipo = model.tipo
    if tipo not in TIPOS_SOPORTADOS:
        if catalogs.contains("01", tipo):
            _unsupported(
                issues,
                "tipo",
                f"El tipo {tipo} ({catalogs.nombre('01', tipo)}) aún no se puede emitir por "
                "este endpoint; use 01, 03, 07 u 08",
            )
        else:
            _sunat(issues, "1003", "tipo")
        return
    if not SERIE[tipo].match(model.serie):
        detalle = {"01": "F + 3 caracteres", "03": "B + 3 caracteres"}.get(tipo, "F o B + 3 caracteres")
        _sunat(issues, "1001", "serie", f"la serie de una {TIPOS_SOPORTADOS[tipo].lower()} es {detalle}")
    if not catalogs.contains("02", model.moneda):
        _sunat(issues, "3088", "moneda")
    if not is_note(model):
        operacion = model.tipo_operacion
        flag = "factura" if tipo == "01" else "boleta"
        if not catalogs.contains("51", operacion) or catalogs.attribute("51", operacion, flag) == "0":
            _sunat(issues, "3206", "tipo_operacion")
        elif operacion not in OPERACIONES_SOPORTADAS:
            _unsupported(
                issues,
                "tipo_operacion",
                f"El tipo de operación {operacion} "
                f"({catalogs.nombre('51', operacion)}) aún no está soportado",
            )
    if model.porcentaje_igv is not None and model.porcentaje_igv not in TASAS_IGV:
        _sunat(issues, "3291", "porcentaje_igv", "la tasa del IGV es 18 o 10.5")
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
    seen: set[str] = set()
    for index, leyenda in enumerate(model.leyendas):
        campo = f"leyendas[{index}].codigo"
        if not catalogs.contains("52", leyenda.codigo):
            _sunat(issues, "3027", campo)
        elif leyenda.codigo in LEYENDAS_AUTOMATICAS or (
            leyenda.codigo == LEYENDA_ITINERANTE and model.venta_itinerante is not None
        ):
            issues.add(Code.CAMPO_INVALIDO, f"La leyenda {leyenda.codigo} la agrega OpenPSE", campo)
        elif leyenda.codigo in seen:
            _sunat(issues, "3014", campo)
        seen.add(leyenda.codigo)
    for index, ajuste in enumerate(model.descuentos_globales):
        _check_ajuste(
            ajuste,
            ajuste.codigo or "02",
            {k: v for k, v in CODIGOS_GLOBALES.items() if not v[0]},
            f"descuentos_globales[{index}]",
            issues,
            global_=True,
        )
    for index, ajuste in enumerate(model.cargos):
        _check_ajuste(
            ajuste,
            ajuste.codigo or "50",
            {k: v for k, v in CODIGOS_GLOBALES.items() if v[0]},
            f"cargos[{index}]",
            issues,
            global_=True,
        )
    gravadas = any(
        AFECTACIONES.get(i.afectacion_igv, None)
        and AFECTACIONES[i.afectacion_igv].gravada
        and not AFECTACIONES[i.afectacion_igv].gratuita
        for i in model.items
    )
    for lista, campo in ((model.descuentos_globales, "descuentos_globales"), (model.cargos, "cargos")):
        for index, ajuste in enumerate(lista):
            codigo = ajuste.codigo or ("02" if campo == "descuentos_globales" else "50")
            if codigo in CODIGOS_GLOBALES and CODIGOS_GLOBALES[codigo][1] and not gravadas:
                issues.add(
                    Code.CAMPO_INVALIDO,
                    f"El código {codigo} modifica la base del IGV: requiere líneas "
                    "gravadas; use 03 (descuento) o 50 (cargo)",
                    f"{campo}[{index}].codigo",
                )
    check_note(model, issues)
    if model.venta_itinerante is not None:
        ubigeo = model.venta_itinerante.ubigeo
        if ubigeo is not None and not catalogs.contains("13", ubigeo):
            _observation(issues, "4231", "venta_itinerante.ubigeo", f"'{ubigeo}' no está en el catálogo 13")
        if is_note(model):
            issues.add(
                Code.CAMPO_INVALIDO,
                "La venta itinerante se informa en la factura o boleta, no en la nota",
                "venta_itinerante",
            )
        elif model.tipo_operacion in EXPORTACION:
            issues.add(
                Code.CAMPO_INVALIDO,
                "Una exportación no es una venta itinerante en el país (en 0201 y 0208 SUNAT lee "
                "esta dirección como el país de uso del servicio, 3098/3099)",
                "venta_itinerante",
            )


def check_note(model: ComprobanteIn, issues: IssueCollector) -> None:
    """Credit and debit notes: the affected document and the motive (NotaCredito2_0, NotaDebito2_0)."""
    if not is_note(model):
        for campo in ("documento_afectado", "motivo"):
            if getattr(model, campo) is not None:
                issues.add(Code.CAMPO_INVALIDO, f"{campo} es solo para notas de crédito y débito", campo)
        return
    credito = model.tipo == "07"
    afectado = model.documento_afectado
    if afectado is None:
        _sunat(issues, "2524", "documento_afectado")
    else:
        esperado = "01" if model.serie.startswith("F") else "03"
        if afectado.tipo != esperado:
            code = ("2116" if credito else "2204") if esperado == "01" else ("2399" if credito else "2400")
            _sunat(
                issues,
                code,
                "documento_afectado.tipo",
                f"una nota de serie {model.serie} modifica tipo {esperado}",
            )
        if not SERIE.get(afectado.tipo, SERIE["01"]).match(afectado.serie):
            _sunat(issues, "2117" if credito else "2205", "documento_afectado.serie")
    if model.motivo is None:
        _sunat(issues, "2128", "motivo")
    else:
        catalogo = "09" if credito else "10"
        if not catalogs.contains(catalogo, model.motivo.codigo):
            _sunat(issues, "2172", "motivo.codigo", f"catálogo {catalogo}")
        if not _ONE_LINE.match(model.motivo.descripcion):
            _sunat(issues, "2135", "motivo.descripcion")
    motivo_13 = is_motivo_13(model)
    if motivo_13:
        # It corrects the cuotas of a factura al crédito (3259; 3260 is checked against the
        # factura in check_motivo_13_original when OpenPSE issued it): FormaPago Credito.
        if afectado is not None and afectado.tipo != "01":
            _sunat(issues, "3259", "documento_afectado.tipo", "la nota de motivo 13 modifica una factura")
        if model.forma_pago is None:
            _sunat(issues, "3257", "forma_pago")
        elif model.forma_pago.tipo != "Credito":
            _sunat(issues, "3246", "forma_pago.tipo", "la nota de motivo 13 informa el crédito corregido")
    if not motivo_13 and model.forma_pago is not None:
        issues.add(
            Code.CAMPO_INVALIDO,
            "Las notas llevan forma de pago solo en la nota de crédito de motivo 13",
            "forma_pago",
        )
    if model.tipo_operacion != "0101":
        issues.add(Code.CAMPO_INVALIDO, "Las notas no llevan tipo de operación", "tipo_operacion")


def check_line_values(lines: list[LineTotals], issues: IssueCollector) -> None:
    """3105: every line needs a taxable amount above zero; 3111: a gravada line, a tax above zero.

    The 2026 sheets raise 3111 only above a base of 0.06; SUNAT's SFS sheet for boletas
    raises it for any base. We follow the stricter one: a gravada line of one or two
    cents, whose IGV rounds to nothing, is refused either way.
    """
    for index, line in enumerate(lines):
        if line.base_igv <= 0:
            _sunat(issues, "3105", f"items[{index}]", "el valor de venta de la línea redondea a 0.00")
        elif line.afectacion.gravada and line.igv == 0:
            _sunat(issues, "3111", f"items[{index}]", "el impuesto de la línea redondea a 0.00")
        for ajuste in line.ajustes:
            if not ajuste.cargo and ajuste.monto > ajuste.base:
                issues.add(
                    Code.CAMPO_INVALIDO,
                    "El descuento supera el valor de la línea",
                    f"items[{index}].descuento",
                )


def check_forma_pago(
    model: ComprobanteIn, fecha: dt.date, total: Decimal, issues: IssueCollector, neto: Decimal | None = None
) -> None:
    """Credit sales (Factura2_0 rows 68–71). ``neto`` is what the customer owes when it is
    less than the total (a detracción deposited to the Banco de la Nación is not owed)."""
    forma = model.forma_pago
    if forma is None:
        return
    if model.tipo == "03" or model.tipo == "08":
        if forma.tipo != "Contado" or forma.cuotas:
            issues.add(
                Code.CAMPO_INVALIDO,
                "SUNAT no recibe la forma de pago en boletas ni notas de débito; omita forma_pago",
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
    if is_motivo_13(model):
        _check_cuotas_corregidas(forma, issues)
        return
    pendiente = (
        forma.monto_pendiente if forma.monto_pendiente is not None else (neto if neto is not None else total)
    )
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


def _check_cuotas_corregidas(forma: FormaPago, issues: IssueCollector) -> None:
    """The cuotas of a motivo-13 note (NotaCredito2_0 rows 63–64). The note totals zero, so
    the pending amount is compared with its cuotas only (3319); against the factura's total
    (3320) and its issue date (3321), see check_motivo_13_original."""
    suma = sum((c.monto for c in forma.cuotas), Decimal(0))
    if forma.monto_pendiente is not None:
        if forma.monto_pendiente <= 0 or _decimals(forma.monto_pendiente) > 2:
            _sunat(issues, "3250", "forma_pago.monto_pendiente")
        elif suma != forma.monto_pendiente:
            _sunat(
                issues,
                "3319",
                "forma_pago.cuotas",
                f"cuotas {suma:.2f} ≠ pendiente {forma.monto_pendiente:.2f}",
            )
    for index, cuota in enumerate(forma.cuotas):
        if cuota.monto <= 0 or _decimals(cuota.monto) > 2 or cuota.monto >= MAX_INTEGER:
            _sunat(issues, "3253", f"forma_pago.cuotas[{index}].monto")


@dataclass(frozen=True)
class FacturaOriginal:
    """What a motivo-13 note is checked against when OpenPSE issued the factura it modifies."""

    fecha_emision: dt.date
    moneda: str
    total: Decimal
    forma_pago: str | None


def check_motivo_13_original(
    model: ComprobanteIn, original: FacturaOriginal, ose: bool, issues: IssueCollector
) -> None:
    """NotaCredito2_0 rows 18, 63 and 64–65, which SUNAT checks against its registry: the
    factura was a credit sale (3260), the pending amount does not exceed its total (3320; the
    workbook exempts OSEs) and every cuota falls after its issue date (3321). Applied only
    when OpenPSE issued the factura; one issued elsewhere is left to SUNAT."""
    if original.forma_pago != "Credito":
        _sunat(
            issues,
            "3260",
            "documento_afectado",
            "la factura modificada se emitió al contado",
        )
    forma = model.forma_pago
    if forma is None or forma.tipo != "Credito":
        return
    pendiente = monto_pendiente(model, forma)
    if not ose and pendiente is not None and original.moneda == model.moneda and pendiente > original.total:
        _sunat(
            issues,
            "3320",
            "forma_pago.monto_pendiente",
            f"pendiente {pendiente:.2f} > importe de la factura {original.total:.2f}",
        )
    for index, cuota in enumerate(forma.cuotas):
        if cuota.fecha_pago <= original.fecha_emision:
            _sunat(
                issues,
                "3321",
                f"forma_pago.cuotas[{index}].fecha_pago",
                f"la factura se emitió el {original.fecha_emision.isoformat()}",
            )


def is_ivap(lines: list[LineTotals]) -> bool:
    return any(line.tributo is IVAP for line in lines)


def check_pagos(model: ComprobanteIn, ruc_emisor: str, issues: IssueCollector) -> None:
    """Detracción, percepción, advances and related documents, before the totals.

    Factura2_0 and Boleta2_0 rows 22–23 (related guías and documents), 63–66
    (percepción, advances) and 104–106 (detracción).
    """
    especiales = (
        ("detraccion", model.detraccion is not None),
        ("percepcion", model.percepcion is not None),
        ("anticipos", bool(model.anticipos)),
    )
    if is_note(model):
        for campo, presente in especiales:
            if presente:
                issues.add(
                    Code.CAMPO_INVALIDO,
                    "Detracción, percepción y anticipos se informan en la factura o boleta, no en la nota",
                    campo,
                )
    else:
        _check_detraccion(model, issues)
        _check_percepcion(model, issues)
        _check_anticipos(model, ruc_emisor, issues)
    seen: set[tuple[str, str]] = set()
    for index, guia in enumerate(model.guias):
        guia_key = (str(guia.tipo), f"{guia.serie}-{guia.numero}")
        if guia_key in seen:
            _sunat(issues, "2364", f"guias[{index}]")
        seen.add(guia_key)
        if not SERIE_GUIA.match(guia.serie):
            _observation(issues, "4006", f"guias[{index}].serie")
    related: set[tuple[str, str]] = set()
    for index, documento in enumerate(model.documentos_relacionados):
        key = (documento.tipo, documento.numero)
        if key in related:
            _sunat(issues, "2365", f"documentos_relacionados[{index}]")
        related.add(key)
        if documento.tipo not in TIPOS_RELACIONADOS:
            _observation(issues, "4009", f"documentos_relacionados[{index}].tipo")
        if not _NO_WHITESPACE.match(documento.numero):
            _observation(issues, "4010", f"documentos_relacionados[{index}].numero")


def _check_detraccion(model: ComprobanteIn, issues: IssueCollector) -> None:
    operacion, detraccion = model.tipo_operacion, model.detraccion
    if detraccion is None:
        if operacion in DETRACCION:
            _sunat(issues, "3127", "detraccion", f"la operación {operacion} está sujeta a detracción")
        return
    if operacion not in DETRACCION:
        _sunat(issues, "3128", "tipo_operacion", "use 1001–1004 para una operación sujeta a detracción")
        return
    if not catalogs.contains("54", detraccion.codigo):
        _sunat(issues, "3033", "detraccion.codigo")
    elif operacion in DETRACCION_CODIGO_FIJO and detraccion.codigo != DETRACCION_CODIGO_FIJO[operacion]:
        _sunat(
            issues,
            "3129",
            "detraccion.codigo",
            f"la operación {operacion} corresponde al código {DETRACCION_CODIGO_FIJO[operacion]}",
        )
    if not catalogs.contains("59", detraccion.medio_pago):
        issues.add(Code.CAMPO_INVALIDO, "Medio de pago fuera del catálogo 59", "detraccion.medio_pago")
    if not 0 < detraccion.porcentaje < 100 or _decimals(detraccion.porcentaje) > 5:
        issues.add(
            Code.CAMPO_INVALIDO,
            "Porcentaje mayor que 0 y menor que 100, hasta 5 decimales",
            "detraccion.porcentaje",
        )
    if detraccion.monto is not None and (detraccion.monto <= 0 or _decimals(detraccion.monto) > 2):
        _sunat(issues, "3037", "detraccion.monto")
    if detraccion.monto is None and model.moneda != "PEN":
        issues.add(
            Code.CAMPO_INVALIDO,
            "La detracción se informa en soles (3208): indique detraccion.monto si el comprobante "
            "no está en PEN",
            "detraccion.monto",
        )


def _check_percepcion(model: ComprobanteIn, issues: IssueCollector) -> None:
    operacion, percepcion = model.tipo_operacion, model.percepcion
    contado = model.forma_pago is None or model.forma_pago.tipo == "Contado"
    if percepcion is None:
        if operacion == PERCEPCION and contado:
            _sunat(issues, "3093", "percepcion")
        return
    if operacion != PERCEPCION:
        _sunat(issues, "3308", "tipo_operacion", "use 2001 para una operación sujeta a percepción")
        return
    if not contado:
        _sunat(issues, "3330", "forma_pago")
    if percepcion.codigo not in PERCEPCION_TASAS:
        _sunat(issues, "3071", "percepcion.codigo", "el régimen de percepción es 51, 52 o 53")
    if percepcion.base is not None and (percepcion.base <= 0 or _decimals(percepcion.base) > 2):
        _sunat(issues, "3233", "percepcion.base")
    if percepcion.monto is not None and (percepcion.monto <= 0 or _decimals(percepcion.monto) > 2):
        _sunat(issues, "2968", "percepcion.monto")
    if percepcion.base is None and model.moneda != "PEN":
        issues.add(
            Code.CAMPO_INVALIDO,
            "La percepción se calcula en soles (2792): indique percepcion.base si el comprobante "
            "no está en PEN",
            "percepcion.base",
        )


def _check_anticipos(model: ComprobanteIn, ruc_emisor: str, issues: IssueCollector) -> None:
    seen: set[tuple[str, str, int]] = set()
    for index, anticipo in enumerate(model.anticipos):
        campo = f"anticipos[{index}]"
        if anticipo.tipo not in SERIE_ANTICIPO:
            _sunat(issues, "2505", f"{campo}.tipo")
        elif not SERIE_ANTICIPO[anticipo.tipo].match(anticipo.serie):
            _sunat(issues, "2521", f"{campo}.serie")
        ruc = anticipo.ruc_emisor or ruc_emisor
        if not (re.fullmatch(r"\d{11}", ruc) and _ruc_valid(ruc)):
            _sunat(issues, "2529", f"{campo}.ruc_emisor")
        if anticipo.monto <= 0 or _decimals(anticipo.monto) > 2:
            _sunat(issues, "2503", f"{campo}.monto")
        if anticipo.valor is not None and (anticipo.valor <= 0 or anticipo.valor > anticipo.monto):
            issues.add(
                Code.CAMPO_INVALIDO,
                "El valor sin IGV es mayor que cero y no supera el monto",
                f"{campo}.valor",
            )
        key = (anticipo.tipo, anticipo.serie, anticipo.numero)
        if key in seen:
            _sunat(issues, "2365", campo)
        seen.add(key)


def check_pagos_totales(
    model: ComprobanteIn, totals: DocumentTotals, percepcion_monto: Decimal | None, issues: IssueCollector
) -> None:
    """What needs the computed totals: advances against what they reduce, the percepción base."""
    present = {summary.tributo.codigo for summary in totals.subtotales}
    for index, anticipo in enumerate(model.anticipos):
        base, tributos = {
            "gravado": (totals.gravado, {"1000", "1016"}),
            "exonerado": (totals.exonerado, {"9997"}),
            "inafecto": (totals.inafecto, {"9998"}),
        }[anticipo.afectacion]
        if base < 0 or totals.igv < 0 or not present & tributos:
            issues.add(
                Code.CAMPO_INVALIDO,
                f"Los anticipos {anticipo.afectacion}s superan el valor de las operaciones "
                f"{anticipo.afectacion}s del comprobante",
                f"anticipos[{index}].monto",
            )
    if model.anticipos and totals.total < 0:
        issues.add(Code.CAMPO_INVALIDO, "Los anticipos superan el importe del comprobante", "anticipos")
    percepcion = model.percepcion
    if percepcion is None:
        return
    if percepcion.base is not None and model.moneda == "PEN" and percepcion.base > totals.total:
        _sunat(issues, "2797", "percepcion.base")
    if (
        percepcion.monto is not None
        and percepcion_monto is not None
        and abs(percepcion.monto - percepcion_monto) > 1
    ):
        _sunat(
            issues,
            "2798",
            "percepcion.monto",
            f"declarado {percepcion.monto:.2f}, calculado {percepcion_monto:.2f}",
        )


LEYENDAS_EXONERADAS = {"2001": "3283", "2002": "3284", "2003": "3285", "2008": "3289"}
"""Legends of catálogo 52 that only an exonerated sale may carry (Amazonía, Tacna)."""


def check_leyendas_totales(model: ComprobanteIn, totals: DocumentTotals, issues: IssueCollector) -> None:
    """Factura2_0 row 57: the Amazonía (2001–2003) and Tacna (2008) legends need a total of
    exonerated operations (tributo 9997) above zero. ERROR in the 2026 workbook; the SFS
    sheet does not check it."""
    if model.tipo != "01":
        return
    for index, leyenda in enumerate(model.leyendas):
        code = LEYENDAS_EXONERADAS.get(leyenda.codigo)
        if code is not None and totals.exonerado <= 0:
            _sunat(
                issues,
                code,
                f"leyendas[{index}].codigo",
                f"la leyenda {leyenda.codigo} es para operaciones exoneradas (afectación 20)",
            )


def check_boleta_identificada(model: ComprobanteIn, total: Decimal, issues: IssueCollector) -> None:
    if model.tipo != "03" or model.moneda != "PEN" or total <= BOLETA_SIN_IDENTIFICAR_MAXIMO:
        return
    cliente = model.cliente
    if cliente.tipo_documento in ("0", "-") or cliente.numero_documento.strip("-0") == "":
        _sunat(
            issues,
            "2514",
            "cliente.tipo_documento",
            f"una boleta de más de S/ {BOLETA_SIN_IDENTIFICAR_MAXIMO:.2f} identifica al adquirente "
            "(DNI, carné de extranjería, pasaporte o RUC)",
        )
