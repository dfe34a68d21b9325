"""Checks of a guía before it is built, with SUNAT's codes and texts.

Every check mirrors a row of SUNAT's GRE validation sheets
(``ValidaExprRegGreRemitente-2.0.1.xsl`` for the guía remitente 09,
``ValidaExprRegGreTransportista-2.0.1.xsl`` for the guía transportista 31): a rejection
(ERROR, ``terminate="yes"`` in the sheet) goes to :meth:`IssueCollector.add`, an
observation (``isError=false()``) to :meth:`IssueCollector.warn`, with the code and
the text of SUNAT's return-code table and the JSON path of the field. The rules the
sheets apply to what OpenPSE writes itself (attributes, list names, line numbers,
element order) are guaranteed by the builder and not repeated here.

Where a sheet is silent and a value can only be a mistake (a malformed RUC of a
carrier or of an issuer in a guía 31, an establishment code that is not four digits),
the check uses the SUNAT code that names the datum; values SUNAT accepts but OpenPSE
cannot write get ``PSE-0002``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from openpse.authorities.sunat import catalogs as cpe_catalogs
from openpse.authorities.sunat import codes
from openpse.authorities.sunat.guias import catalogs
from openpse.authorities.sunat.guias.constants import GTIN_TIPOS, decimal_text
from openpse.authorities.sunat.guias.models import (
    Autorizacion,
    Bien,
    Conductor,
    Direccion,
    DocumentoRelacionado,
    Emisor,
    GuiaRemitenteIn,
    GuiaTransportistaIn,
    Participante,
    Vehiculo,
)
from openpse.core.errors import Code, IssueCollector

SERIE = {"09": re.compile(r"T[A-Z0-9]{3}"), "31": re.compile(r"V[A-Z0-9]{3}")}
RUC = re.compile(r"[12]\d{10}")
DNI = re.compile(r"\d{8}")
UBIGEO = re.compile(r"\d{6}")
ESTABLECIMIENTO = re.compile(r"\d{4}")
# validateValueThreeDecimalIfExist / the 2780 pattern of the sheets: more than zero,
# up to 12 integer digits and 3 (weights) or 10 (quantities) decimals.
WEIGHT = re.compile(r"(?!0[0-9]*(\.0*)?$)[0-9]{1,12}(\.[0-9]{1,3})?")
QUANTITY = re.compile(r"(?!0[0-9]*(\.0*)?$)[0-9]{1,12}(\.[0-9]{1,10})?")
COORDINATE = re.compile(r"[+\-]?[0-9]{1,3}(\.[0-9]{1,8})?")
PLACA = re.compile(r"(?!0+$)[0-9A-Z]{6,8}")
TUC = re.compile(r"(?!0+$)[0-9A-Z]{10,15}")
LICENCIA = re.compile(r"(?!0+$)[0-9A-Z]{9,10}")
MTC = re.compile(r"(?!0+$)[0-9A-Z]{1,20}")
CONTENEDOR = re.compile(r"[0-9A-Za-z]{1,11}")
PRECINTO = re.compile(r"(?!0+$)[0-9A-Za-z]{1,20}")
PRODUCTO = re.compile(r"(?!0+$)[0-9]{1,8}")
GTIN = re.compile(r"[0-9A-Za-z]{1,14}")
PARTIDA = re.compile(r"(?!0+$)[0-9]{1,10}")
DAM = re.compile(r"[0-9]{3}-[0-9]{4}-[0-9]{2}-[0-9]{1,6}")
SERIE_DAM = re.compile(r"(?!0+$)[0-9]{1,4}")
BULTOS = re.compile(r"[0-9]{1,6}")
NO_BLANKS = re.compile(r"\S+")
ONE_LINE = re.compile(r"[^\n\t\r\f]+")
ANY_LINE = re.compile(r"[^\n\t\r\f]*")
# 4190: the description of motivo 13 needs three letters of this alphabet.
_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyzÁÉÍÓÚáéíóú")

# Rule 3441 of each sheet: the number of a related document by its type.
_DOC_NUMBERS = {
    "01": re.compile(r"([F][A-Z0-9]{3}|\d{1,4}|E001)-(?!0+$)[0-9]{1,8}"),
    "03": re.compile(r"([B][A-Z0-9]{3}|\d{1,4}|EB01)-(?!0+$)[0-9]{1,8}"),
    "04": re.compile(r"([L][A-Z0-9]{3}|\d{1,4}|E001)-(?!0+$)[0-9]{1,8}"),
    "12": re.compile(r"[a-zA-Z0-9-]{1,20}-[a-zA-Z0-9-]{1,20}"),
    "48": re.compile(r"\d{1,4}-(?!0+$)[0-9]{1,7}"),
    "80": re.compile(r"(?!0+$)[0-9]{1,15}"),
}
_DOC_NUMBERS_REMITENTE = {
    **_DOC_NUMBERS,
    "09": re.compile(r"([T][A-Z0-9]{3}|\d{1,4}|EG01|EG02)-(?!0+$)[0-9]{1,8}"),
    "49": re.compile(r"(?!0+$)[0-9]{1,15}"),
    "81": re.compile(r"[a-zA-Z0-9]{1,20}"),
}
_DOC_NUMBERS_TRANSPORTISTA = {
    **_DOC_NUMBERS,
    "09": re.compile(r"([T][A-Z0-9]{3}|\d{1,4}|EG01|EG02)-(?!0+$)[0-9]{1,8}"),
    "31": re.compile(r"([V][A-Z0-9]{3}|EG03|EG04)-(?!0+$)[0-9]{1,8}"),
    "50": DAM,
    "52": DAM,
}
# DAM and DS of an import (régimen 10 / 18) or export (40 / 48) in a guía remitente.
_ADUANA_REGIMEN = {("50", "08"): "10", ("50", "09"): "40", ("52", "08"): "18", ("52", "09"): "48"}
_FREE_TEXT_DOCS_REMITENTE = {"71", "72", "73", "74", "75", "76", "77", "78"}
_FREE_TEXT_DOCS_TRANSPORTISTA = {"65", "66", "67", "68", "69", "82"}
_ISSUER_REQUIRED_REMITENTE = {"01", "03", "04", "09", "12", "48"}
_ISSUER_REQUIRED_TRANSPORTISTA = {"01", "03", "04", "09", "12", "31", "48"}
_UNITS_CATALOG = {"08": "65", "09": "65", "13": "65A"}


def _error(issues: IssueCollector, code: str, campo: str, detalle: str | None = None) -> None:
    text = codes.message(code)
    issues.add(code, f"{text} ({detalle})" if detalle else text, campo)


def _observation(issues: IssueCollector, code: str, campo: str, detalle: str | None = None) -> None:
    text = codes.message(code)
    issues.warn(code, f"{text} ({detalle})" if detalle else text, campo)


def _matches(pattern: re.Pattern[str], value: str) -> bool:
    return pattern.fullmatch(value) is not None


def _text_ok(value: str, minimum: int, maximum: int) -> bool:
    """The sheets' three-way check of a free text: length, not blank, one line."""
    return minimum <= len(value) <= maximum and value.strip(" ") != "" and _matches(ONE_LINE, value)


def _repeats(values: Iterable[object]) -> set[int]:
    """Positions whose value already appeared: SUNAT reports a duplicate once, on the copy."""
    seen: set[object] = set()
    positions: set[int] = set()
    for index, value in enumerate(values):
        if value in seen:
            positions.add(index)
        seen.add(value)
    return positions


def _identity_ok(tipo: str, numero: str) -> bool:
    """The number of an identity document as the sheets check it (2758, 2724, 3337, 3384...)."""
    if tipo == "1":
        return _matches(DNI, numero)
    if tipo == "6":
        return _matches(RUC, numero)
    return 1 <= len(numero) <= 15 and _matches(NO_BLANKS, numero)


def is_physical(numero: str) -> bool:
    """A related document numbered on paper: its series is numeric (``0001-123``)."""
    return numero[:1].isdigit()


@dataclass(frozen=True)
class _Context:
    """What every check needs besides the guía."""

    emisor_ruc: str
    fecha_emision: dt.date
    issues: IssueCollector


# -- shared pieces -------------------------------------------------------------------------


def _check_serie(tipo: str, serie: str, issues: IssueCollector) -> None:
    if not _matches(SERIE[tipo], serie):
        inicial = "T" if tipo == "09" else "V"
        _error(issues, "1001", "serie", f"la serie de una guía {tipo} es {inicial} seguida de 3 caracteres")


def _check_nota(observaciones: str | None, minimum: int, issues: IssueCollector) -> None:
    if observaciones is not None and not _text_ok(observaciones, minimum, 250):
        _observation(issues, "4186", "observaciones")


def _check_destinatario(destinatario: Participante, issues: IssueCollector) -> None:
    if not cpe_catalogs.contains("06", destinatario.tipo_documento):
        _error(issues, "2760", "destinatario.tipo_documento", f"'{destinatario.tipo_documento}'")
    elif not _identity_ok(destinatario.tipo_documento, destinatario.numero_documento):
        _error(issues, "2758", "destinatario.numero_documento")
    if not _text_ok(destinatario.razon_social, 1, 250):
        _observation(issues, "4152", "destinatario.razon_social")


def _check_weight(peso: str, unidad: str, issues: IssueCollector) -> None:
    if not _matches(WEIGHT, peso):
        _error(issues, "2523", "peso_bruto_total", "mayor que cero, hasta 12 enteros y 3 decimales")
    if unidad not in ("KGM", "TNE"):
        _error(issues, "2523", "unidad_peso", "KGM o TNE")


def _check_start_date(ctx: _Context, fecha: dt.date, error: bool) -> None:
    if fecha < ctx.fecha_emision:
        if error:
            _error(ctx.issues, "3343", "fecha_inicio_traslado")
        else:
            _observation(ctx.issues, "4386", "fecha_inicio_traslado")


def _check_address(
    direccion: Direccion, campo: str, ubigeo_code: str, line_code: str, issues: IssueCollector
) -> None:
    if not _matches(UBIGEO, direccion.ubigeo):
        _error(issues, "2776", f"{campo}.ubigeo")
    elif not catalogs.contains("13", direccion.ubigeo):
        _error(issues, ubigeo_code, f"{campo}.ubigeo")
    if not _text_ok(direccion.direccion, 3, 500):
        _observation(issues, line_code, f"{campo}.direccion")
    for name, value in (("latitud", direccion.latitud), ("longitud", direccion.longitud)):
        if value is not None and not _matches(COORDINATE, decimal_text(value)):
            _error(issues, "3413", f"{campo}.{name}", "hasta 3 enteros y 8 decimales")


def _check_establishment(
    direccion: Direccion,
    campo: str,
    owner: str | None,
    required: bool,
    missing_code: str,
    issues: IssueCollector,
) -> None:
    """Código de establecimiento (AddressTypeCode) and its RUC (@listID); ``owner`` is the default RUC."""
    if direccion.codigo_establecimiento is None:
        if direccion.ruc_establecimiento is not None:
            # The RUC travels as @listID of the code: without a code there is nowhere to write it.
            issues.add(
                Code.CAMPO_INVALIDO,
                "ruc_establecimiento requiere codigo_establecimiento",
                f"{campo}.codigo_establecimiento",
            )
        elif required:
            _error(issues, missing_code, f"{campo}.codigo_establecimiento")
        return
    if not _matches(ESTABLECIMIENTO, direccion.codigo_establecimiento):
        _error(issues, missing_code, f"{campo}.codigo_establecimiento", "cuatro dígitos, p. ej. 0000")
    ruc = direccion.ruc_establecimiento or owner
    if ruc is None:
        _error(issues, "3410", f"{campo}.ruc_establecimiento")
    elif not _matches(RUC, ruc):
        _error(issues, "3409", f"{campo}.ruc_establecimiento")


def _check_autorizacion(
    autorizacion: Autorizacion, campo: str, format_code: str, issues: IssueCollector
) -> None:
    if not _text_ok(autorizacion.numero, 3, 50):
        _observation(issues, format_code, f"{campo}.numero")
    if not catalogs.contains("D37", autorizacion.entidad):
        _observation(issues, "4395", f"{campo}.entidad")


def _check_vehicle_data(vehiculo: Vehiculo, campo: str, issues: IssueCollector) -> None:
    if not _matches(PLACA, vehiculo.placa):
        _error(issues, "2567", f"{campo}.placa", "6 a 8 letras mayúsculas y dígitos, sin guiones")
    if vehiculo.tuc is not None and not _matches(TUC, vehiculo.tuc):
        _error(issues, "3355", f"{campo}.tuc")
    if vehiculo.autorizacion is not None:
        autorizacion = vehiculo.autorizacion
        if not _text_ok(autorizacion.numero, 3, 50):
            _observation(issues, "4406", f"{campo}.autorizacion.numero")
        if not catalogs.contains("D37", autorizacion.entidad):
            _observation(issues, "4407", f"{campo}.autorizacion.entidad")


def _check_driver_data(conductor: Conductor, campo: str, first_name_min: int, issues: IssueCollector) -> None:
    if not cpe_catalogs.contains("06", conductor.tipo_documento) or conductor.tipo_documento == "6":
        _error(issues, "2571", f"{campo}.tipo_documento", "catálogo 06, sin RUC")
    elif not _identity_ok(conductor.tipo_documento, conductor.numero_documento):
        _error(issues, "2569", f"{campo}.numero_documento")
    if not _matches(LICENCIA, conductor.licencia):
        _error(issues, "2573", f"{campo}.licencia", "9 o 10 letras mayúsculas y dígitos")
    if not _text_ok(conductor.nombres, first_name_min, 250):
        _observation(issues, "4409", f"{campo}.nombres")
    if not _text_ok(conductor.apellidos, 1, 250):
        _observation(issues, "4409", f"{campo}.apellidos")


def _check_secondary_drivers(conductores: Sequence[Conductor], issues: IssueCollector) -> None:
    if len(conductores) > 3:
        _observation(issues, "4376", "conductores")
    for position in sorted(_repeats(conductor.licencia for conductor in conductores[1:])):
        _error(issues, "3362", f"conductores[{position + 1}].licencia")


def _check_documents_common(
    documentos: Sequence[DocumentoRelacionado],
    flag: str,
    formats: dict[str, re.Pattern[str]],
    free_text: set[str],
    issuer_required: set[str],
    ctx: _Context,
) -> None:
    issues = ctx.issues
    repeated = _repeats((doc.tipo, doc.numero) for doc in documentos)
    for index, doc in enumerate(documentos):
        campo = f"documentos_relacionados[{index}]"
        if catalogs.attribute("61", doc.tipo, flag) != "1":
            _error(issues, "2692", f"{campo}.tipo", f"'{doc.tipo}' no se admite en esta guía (catálogo 61)")
            continue
        if index in repeated:
            _error(issues, "3340", f"{campo}.numero", f"{doc.tipo} {doc.numero}")
        pattern = formats.get(doc.tipo)
        if (pattern is not None and not _matches(pattern, doc.numero)) or (
            doc.tipo in free_text and not (1 <= len(doc.numero) <= 100 and _matches(NO_BLANKS, doc.numero))
        ):
            _error(issues, "3441", f"{campo}.numero", f"{doc.tipo} {doc.numero}")
        if doc.ruc_emisor is None:
            if doc.tipo in issuer_required:
                _error(issues, "3380", f"{campo}.ruc_emisor")
        elif not _matches(RUC, doc.ruc_emisor):
            _error(issues, "3409", f"{campo}.ruc_emisor")
        if doc.descripcion is not None and not _text_ok(doc.descripcion, 1, 120):
            _observation(issues, "4372", f"{campo}.descripcion")


def _check_item_codes(bien: Bien, campo: str, issues: IssueCollector) -> None:
    if not _text_ok(bien.descripcion, 3, 500):
        _observation(issues, "4084", f"{campo}.descripcion")
    if bien.codigo is not None and (len(bien.codigo) > 30 or not _matches(ANY_LINE, bien.codigo)):
        _observation(issues, "4085", f"{campo}.codigo")
    if bien.codigo_producto_sunat is not None:
        if not _matches(PRODUCTO, bien.codigo_producto_sunat):
            _error(issues, "3002", f"{campo}.codigo_producto_sunat")
        elif not catalogs.is_product_code(bien.codigo_producto_sunat):
            _error(issues, "3373", f"{campo}.codigo_producto_sunat")
    if bien.codigo_gtin is not None:
        if not _matches(GTIN, bien.codigo_gtin):
            _error(issues, "3375", f"{campo}.codigo_gtin")
        elif bien.tipo_gtin is None and len(bien.codigo_gtin) not in GTIN_TIPOS:
            issues.add(
                Code.CAMPO_INVALIDO,
                "Indique tipo_gtin: el código no tiene la longitud de GTIN-8, 12, 13 ni 14",
                f"{campo}.tipo_gtin",
            )
    if bien.partida_arancelaria is not None and not _matches(PARTIDA, bien.partida_arancelaria):
        _error(issues, "3377", f"{campo}.partida_arancelaria")
    if bien.numero_dam is not None and not _matches(DAM, bien.numero_dam):
        _error(issues, "2769", f"{campo}.numero_dam")
    if bien.serie_dam is not None and not _matches(SERIE_DAM, bien.serie_dam):
        _error(issues, "3431", f"{campo}.serie_dam")


def _check_normalized(bien: Bien, campo: str, required: bool, listed: bool, issues: IssueCollector) -> None:
    """A bien normalizado (7022 = 1): product code (3372) of catálogo 62A (3425) and partida
    arancelaria (3426) of catálogo 62 (3429). ``required``: the sheet asks for both;
    ``listed``: it checks them against the catalogues."""
    if not bien.bien_normalizado:
        return
    if bien.codigo_producto_sunat is None:
        if required:
            _error(issues, "3372", f"{campo}.codigo_producto_sunat")
    elif listed and not catalogs.contains("62A", bien.codigo_producto_sunat):
        _error(issues, "3425", f"{campo}.codigo_producto_sunat")
    if bien.partida_arancelaria is None:
        if required:
            _error(issues, "3426", f"{campo}.partida_arancelaria")
    elif listed and not catalogs.contains("62", bien.partida_arancelaria):
        _error(issues, "3429", f"{campo}.partida_arancelaria")


def _check_quantity(
    bien: Bien, campo: str, required: bool, zero_is_missing: bool, issues: IssueCollector
) -> None:
    """2580 when a required quantity is missing (the remitente sheet also counts a zero as
    missing), 2780 when it is not more than zero with at most 12 integers and 10 decimals."""
    if bien.cantidad is None or (zero_is_missing and required and bien.cantidad == 0):
        if required:
            _error(issues, "2580", f"{campo}.cantidad")
        return
    if not _matches(QUANTITY, decimal_text(bien.cantidad)):
        _error(issues, "2780", f"{campo}.cantidad", "mayor que cero, hasta 12 enteros y 10 decimales")


def _vehicles_and_drivers_data(
    vehiculos: Sequence[Vehiculo],
    conductores: Sequence[Conductor],
    first_name_min: int,
    issues: IssueCollector,
) -> None:
    for index, vehiculo in enumerate(vehiculos):
        _check_vehicle_data(vehiculo, f"vehiculos[{index}]", issues)
    if len(vehiculos) > 3:
        _observation(issues, "4389", "vehiculos")
    for index, conductor in enumerate(conductores):
        _check_driver_data(conductor, f"conductores[{index}]", first_name_min, issues)
    _check_secondary_drivers(conductores, issues)


# -- guía remitente (09) ----------------------------------------------------------------


def _check_emisor(emisor: Emisor, issues: IssueCollector) -> None:
    # 4338 is about the company's record, not the request: no JSON field to point at.
    if not _text_ok(emisor.razon_social, 1, 250):
        _observation(issues, "4338", "emisor.razon_social")


def check_remitente(
    guia: GuiaRemitenteIn, emisor: Emisor, fecha_emision: dt.date, issues: IssueCollector
) -> None:
    """Every check of ValidaExprRegGreRemitente-2.0.1.xsl that depends on the request."""
    ctx = _Context(emisor.ruc, fecha_emision, issues)
    _check_serie("09", guia.serie, issues)
    _check_emisor(emisor, issues)
    _check_nota(guia.observaciones, 1, issues)
    _check_destinatario(guia.destinatario, issues)
    motivo = guia.motivo_traslado
    if not catalogs.contains("20", motivo):
        _error(issues, "3405", "motivo_traslado", f"'{motivo}' no está en el catálogo 20")
        return
    _remitente_parties(guia, ctx)
    _remitente_documents(guia, ctx)
    _remitente_shipment(guia, ctx)
    _remitente_transport(guia, ctx)
    _remitente_addresses(guia, ctx)
    _remitente_items(guia, ctx)


def _remitente_parties(guia: GuiaRemitenteIn, ctx: _Context) -> None:
    issues, motivo, destinatario = ctx.issues, guia.motivo_traslado, guia.destinatario
    es_remitente = destinatario.tipo_documento == "6" and destinatario.numero_documento == ctx.emisor_ruc
    if motivo in ("06", "17") and destinatario.tipo_documento != "6":
        _error(issues, "3417", "destinatario.tipo_documento")
    if motivo in ("02", "04", "07") and not es_remitente:
        _error(issues, "2554", "destinatario.numero_documento", f"debe ser el RUC {ctx.emisor_ruc}")
    if motivo in ("01", "03", "05", "06", "09", "14", "17") and es_remitente:
        _error(issues, "2555", "destinatario.numero_documento")

    proveedor = guia.proveedor
    if proveedor is None:
        if motivo in ("02", "07"):
            _observation(issues, "4375", "proveedor")
    else:
        tipo = proveedor.tipo_documento
        if motivo not in ("02", "07", "13"):
            _observation(issues, "4054", "proveedor")
            allowed = True
        else:
            allowed = {"02": tipo in ("1", "4", "6", "7"), "07": tipo == "6"}.get(
                motivo, cpe_catalogs.contains("06", tipo)
            )
        if not allowed:
            _error(issues, "3447", "proveedor.tipo_documento")
        elif not _identity_ok(tipo, proveedor.numero_documento):
            _error(issues, "2724", "proveedor.numero_documento")
        if motivo in ("02", "07"):
            if tipo == "6" and proveedor.numero_documento == ctx.emisor_ruc:
                _error(issues, "3448", "proveedor.numero_documento")
            comprobantes = [doc for doc in guia.documentos_relacionados if doc.tipo in ("01", "03", "12")]
            if comprobantes and all(doc.ruc_emisor != proveedor.numero_documento for doc in comprobantes):
                _error(issues, "3442", "proveedor.numero_documento")
    if proveedor is not None and not _text_ok(proveedor.razon_social, 1, 250):
        _observation(issues, "4106", "proveedor.razon_social")

    comprador = guia.comprador
    if comprador is None:
        if motivo == "03":
            _observation(issues, "4378", "comprador")
        return
    if motivo not in ("03", "13"):
        _observation(issues, "4377", "comprador")
    if motivo in ("03", "13") and not cpe_catalogs.contains("06", comprador.tipo_documento):
        _error(issues, "3332", "comprador.tipo_documento")
    elif not _identity_ok(comprador.tipo_documento, comprador.numero_documento):
        _error(issues, "3337", "comprador.numero_documento")
    if motivo == "03":
        if comprador.tipo_documento == "6" and comprador.numero_documento == ctx.emisor_ruc:
            _error(issues, "3334", "comprador.numero_documento")
        if (comprador.tipo_documento, comprador.numero_documento) == (
            destinatario.tipo_documento,
            destinatario.numero_documento,
        ):
            _error(issues, "3335", "comprador.numero_documento")
    if not _text_ok(comprador.razon_social, 1, 250):
        _observation(issues, "4381", "comprador.razon_social")


def _remitente_documents(guia: GuiaRemitenteIn, ctx: _Context) -> None:
    issues, motivo, documentos = ctx.issues, guia.motivo_traslado, guia.documentos_relacionados
    tipos = {doc.tipo for doc in documentos}
    aduana = motivo in ("08", "09")
    if aduana:
        if not tipos & {"50", "52"}:
            _error(issues, "3440", "documentos_relacionados", "DAM (50) o DS (52)")
        if tipos - {"09", "49", "50", "52", "80"}:
            _error(issues, "3445", "documentos_relacionados", "solo 09, 49, 50, 52 u 80")
    elif motivo != "13" and tipos & {"50", "52"}:
        _error(issues, "3445", "documentos_relacionados", "la DAM y la DS solo en importación y exportación")
    if (
        tipos & {"49", "80"}
        and not guia.indicadores.traslado_total_dam_ds
        and all(bien.partida_arancelaria is None for bien in guia.bienes)
    ):
        _error(issues, "3352", "bienes")
    formats = dict(_DOC_NUMBERS_REMITENTE)
    for tipo in ("50", "52"):
        regimen = _ADUANA_REGIMEN.get((tipo, motivo))
        formats[tipo] = re.compile(rf"[0-9]{{3}}-[0-9]{{4}}-{regimen}-[0-9]{{1,6}}") if regimen else DAM
    _check_documents_common(
        documentos, "gre-r", formats, _FREE_TEXT_DOCS_REMITENTE, _ISSUER_REQUIRED_REMITENTE, ctx
    )
    for index, doc in enumerate(documentos):
        if doc.ruc_emisor is None or catalogs.attribute("61", doc.tipo, "gre-r") != "1":
            continue
        expected: str | None = None
        own = (
            doc.tipo == "09"
            or (motivo in ("01", "03") and doc.tipo in ("01", "03", "12"))
            or (motivo == "02" and doc.tipo in ("04", "48"))
        )
        if own:
            expected = ctx.emisor_ruc
        elif motivo == "06" and doc.tipo in ("01", "03", "12"):
            expected = guia.destinatario.numero_documento
        if expected is not None and doc.ruc_emisor != expected:
            _error(issues, "3381", f"documentos_relacionados[{index}].ruc_emisor", f"debe ser {expected}")


def _remitente_shipment(guia: GuiaRemitenteIn, ctx: _Context) -> None:
    issues, motivo = ctx.issues, guia.motivo_traslado
    aduana = motivo in ("08", "09")
    total = guia.indicadores.traslado_total_dam_ds
    if motivo == "13":
        descripcion = guia.descripcion_motivo
        if not descripcion:
            _error(issues, "3457", "descripcion_motivo")
        elif not _text_ok(descripcion, 3, 100) or sum(ch in _LETTERS for ch in descripcion) < 3:
            _observation(issues, "4190", "descripcion_motivo")
    if guia.peso_bruto_items is not None:
        if not aduana:
            _error(issues, "3395", "peso_bruto_items")
        elif not _matches(WEIGHT, decimal_text(guia.peso_bruto_items)):
            _error(issues, "3397", "peso_bruto_items")
    elif aduana and not total:
        _observation(issues, "4383", "peso_bruto_items")
    if guia.sustento_peso is not None:
        if not aduana:
            _error(issues, "3418", "sustento_peso")
        elif not _text_ok(guia.sustento_peso, 1, 250):
            _observation(issues, "4428", "sustento_peso")
    elif aduana and not total:
        _observation(issues, "4387", "sustento_peso")
    _check_weight(decimal_text(guia.peso_bruto_total), guia.unidad_peso, issues)
    if aduana and not guia.contenedores and guia.numero_bultos is None:
        _error(issues, "3419", "numero_bultos")
    if guia.numero_bultos is not None and not _matches(BULTOS, str(guia.numero_bultos)):
        _observation(issues, "4384", "numero_bultos")
    _remitente_containers(guia, ctx)
    if total and not aduana:
        _error(issues, "3392", "indicadores.traslado_total_dam_ds")
    if motivo == "08" and not total:
        _observation(issues, "4437", "indicadores.traslado_total_dam_ds")
    _remitente_port(guia, ctx)


def _remitente_containers(guia: GuiaRemitenteIn, ctx: _Context) -> None:
    issues, aduana = ctx.issues, guia.motivo_traslado in ("08", "09")
    if aduana and len(guia.contenedores) > 2:
        _error(issues, "3420", "contenedores")
    numbers = _repeats(contenedor.numero for contenedor in guia.contenedores)
    # A container without seal repeats nothing: object() equals no other value.
    seals = _repeats(contenedor.precinto or object() for contenedor in guia.contenedores)
    for index, contenedor in enumerate(guia.contenedores):
        campo = f"contenedores[{index}]"
        if index in numbers:
            _error(issues, "3421", f"{campo}.numero")
        if not _matches(CONTENEDOR, contenedor.numero):
            _observation(issues, "4071", f"{campo}.numero")
        if contenedor.precinto is None:
            if aduana:
                _error(issues, "3422", f"{campo}.precinto")
            continue
        if index in seals:
            _error(issues, "3423", f"{campo}.precinto")
        if aduana and not _matches(PRECINTO, contenedor.precinto):
            _observation(issues, "4074", f"{campo}.precinto")


def _remitente_port(guia: GuiaRemitenteIn, ctx: _Context) -> None:
    issues, motivo, puerto = ctx.issues, guia.motivo_traslado, guia.puerto
    if puerto is None:
        return
    catalogo = "63" if puerto.tipo == "1" else "64"
    if motivo in ("08", "09") and puerto.tipo == "1" and not catalogs.contains("63", puerto.codigo):
        _error(issues, "3459", "puerto.codigo")
        return
    if motivo == "08" and puerto.tipo == "2" and not catalogs.contains("64", puerto.codigo):
        _error(issues, "3460", "puerto.codigo")
        return
    if puerto.nombre is None and catalogs.nombre(catalogo, puerto.codigo) is None:
        _observation(issues, "4418", "puerto.nombre")
    # 3364: the port or airport is where the goods leave (import: partida) or arrive
    # (export by sea: llegada); its ubigeo must be the one of the catalogue.
    ubigeo = catalogs.attribute(catalogo, puerto.codigo, "ubigeo")
    if motivo == "08" and ubigeo != guia.partida.ubigeo:
        _error(issues, "3364", "partida.ubigeo", f"{puerto.codigo} está en el ubigeo {ubigeo}")
    elif motivo == "09" and puerto.tipo == "1" and guia.llegada is not None and ubigeo != guia.llegada.ubigeo:
        _error(issues, "3364", "llegada.ubigeo", f"{puerto.codigo} está en el ubigeo {ubigeo}")


def _remitente_transport(guia: GuiaRemitenteIn, ctx: _Context) -> None:
    issues, modalidad, ind = ctx.issues, guia.modalidad_traslado, guia.indicadores
    if modalidad not in ("01", "02"):
        _error(issues, "2773", "modalidad_traslado", f"'{modalidad}' no está en el catálogo 18")
        return
    m1l, vct = ind.vehiculo_m1_l, ind.vehiculo_conductores_transportista
    if vct and modalidad == "02":
        _error(issues, "3450", "indicadores.vehiculo_conductores_transportista")
    if vct and m1l and modalidad == "01":
        _error(issues, "3451", "indicadores.vehiculo_conductores_transportista")
    publico_sin_datos = modalidad == "01" and not m1l and not vct
    _check_start_date(ctx, guia.fecha_inicio_traslado, error=not publico_sin_datos)

    transportista = guia.transportista
    if modalidad == "02":
        if transportista is not None:
            _error(issues, "3347", "transportista")
    elif not m1l and transportista is None:
        _error(issues, "2558", "transportista")
    if transportista is not None and modalidad == "01":
        if not _matches(RUC, transportista.ruc):
            _error(issues, "3409", "transportista.ruc")
        elif transportista.ruc == ctx.emisor_ruc and not m1l:
            _error(issues, "2560", "transportista.ruc")
        if not m1l and not _text_ok(transportista.razon_social, 3, 250):
            _observation(issues, "4165", "transportista.razon_social")
        if transportista.registro_mtc is None:
            if not m1l:
                _observation(issues, "4391", "transportista.registro_mtc")
        elif not _matches(MTC, transportista.registro_mtc) and not m1l:
            _observation(issues, "4392", "transportista.registro_mtc")
        if transportista.autorizacion is not None:
            _check_autorizacion(transportista.autorizacion, "transportista.autorizacion", "4396", issues)
    if guia.autorizacion_remitente is not None:
        _check_autorizacion(guia.autorizacion_remitente, "autorizacion_remitente", "4369", issues)
    _remitente_vehicles(guia, ctx, m1l, vct, publico_sin_datos)


def _remitente_vehicles(
    guia: GuiaRemitenteIn, ctx: _Context, m1l: bool, vct: bool, publico_sin_datos: bool
) -> None:
    issues, modalidad = ctx.issues, guia.modalidad_traslado
    vehiculos, conductores = guia.vehiculos, guia.conductores
    required = (modalidad == "02" and not m1l) or (modalidad == "01" and not m1l and vct)
    # No vehicle registry or authorisation data, no secondary vehicles, no drivers: M1/L
    # vehicles, or a public carrier whose own data SUNAT takes from its registry.
    forbidden = m1l or publico_sin_datos
    # The carrier's vehicles travel with their circulation card (4399 when missing).
    registro_transportista = modalidad == "01" and not m1l and vct
    if vehiculos:
        principal = vehiculos[0]
        if publico_sin_datos:
            _error(issues, "3354", "vehiculos[0]")
        if principal.tuc is not None and not vct:
            _error(issues, "3452", "vehiculos[0].tuc")
        elif principal.tuc is None and registro_transportista:
            _observation(issues, "4399", "vehiculos[0].tuc")
        if principal.autorizacion is not None and forbidden:
            _error(issues, "3452", "vehiculos[0].autorizacion")
        for index, secundario in enumerate(vehiculos[1:], start=1):
            if forbidden:
                _error(issues, "3453", f"vehiculos[{index}]")
                continue
            if secundario.tuc is not None and not vct:
                _error(issues, "3454", f"vehiculos[{index}].tuc")
            elif secundario.tuc is None and registro_transportista:
                _observation(issues, "4399", f"vehiculos[{index}].tuc")
    elif required:
        _error(issues, "2566", "vehiculos")
    if conductores:
        if forbidden:
            _error(issues, "3455", "conductores[0]")
            if len(conductores) > 1:
                _error(issues, "3456", "conductores[1]")
    elif required:
        _error(issues, "3357", "conductores")
    _vehicles_and_drivers_data(vehiculos, conductores, 3, issues)


def _remitente_addresses(guia: GuiaRemitenteIn, ctx: _Context) -> None:
    issues, motivo, emisor = ctx.issues, guia.motivo_traslado, ctx.emisor_ruc
    partida, llegada = guia.partida, guia.llegada
    _check_address(partida, "partida", "3363", "4076", issues)
    port_or_airport = guia.puerto is not None
    _check_establishment(
        partida,
        "partida",
        emisor,
        required=motivo == "04" or (motivo == "08" and not port_or_airport),
        missing_code="3365",
        issues=issues,
    )
    if partida.codigo_establecimiento is not None:
        ruc = partida.ruc_establecimiento or emisor
        if motivo in ("02", "07", "08") and ruc == emisor:
            _error(issues, "3411", "partida.ruc_establecimiento")
        elif motivo == "04" and ruc != emisor:
            _error(issues, "3414", "partida.ruc_establecimiento")
    if llegada is None:
        if motivo != "18":
            _error(issues, "2775", "llegada", "punto de llegada")
        return
    _check_address(llegada, "llegada", "3368", "4068", issues)
    if motivo == "18" and llegada.codigo_establecimiento is not None:
        _error(issues, "3416", "llegada.codigo_establecimiento")
        return
    by_sea = guia.puerto is not None and guia.puerto.tipo == "1"
    _check_establishment(
        llegada,
        "llegada",
        emisor,
        required=motivo == "04" or (motivo == "09" and not by_sea),
        missing_code="3369",
        issues=issues,
    )
    if llegada.codigo_establecimiento is not None:
        ruc = llegada.ruc_establecimiento or emisor
        if motivo in ("01", "03", "05", "06", "14", "17") and ruc == emisor:
            _error(issues, "3411", "llegada.ruc_establecimiento")
        elif motivo == "04" and ruc != emisor:
            _error(issues, "3414", "llegada.ruc_establecimiento")


def _remitente_items(guia: GuiaRemitenteIn, ctx: _Context) -> None:
    issues, motivo = ctx.issues, guia.motivo_traslado
    total = guia.indicadores.traslado_total_dam_ds
    aduana = motivo in ("08", "09")
    declaraciones = {doc.numero for doc in guia.documentos_relacionados if doc.tipo in ("50", "52")}
    deposito = any(doc.tipo in ("49", "80") for doc in guia.documentos_relacionados)
    for index, bien in enumerate(guia.bienes):
        campo = f"bienes[{index}]"
        _check_quantity(bien, campo, required=not total, zero_is_missing=True, issues=issues)
        unidad = item_unit(bien, motivo)
        if unidad is None:
            if not total:
                _error(issues, "2883", f"{campo}.unidad")
        elif not total:
            catalogo = _UNITS_CATALOG.get(motivo, "03")
            known = (
                cpe_catalogs.contains("03", unidad)
                if catalogo == "03"
                else catalogs.contains(catalogo, unidad)
            )
            if not known and aduana:
                _error(issues, "3446", f"{campo}.unidad", f"'{unidad}' no está en el catálogo 65 de aduanas")
            elif not known:
                _observation(
                    issues, "4320", f"{campo}.unidad", f"'{unidad}' no está en el catálogo {catalogo}"
                )
        _check_item_codes(bien, campo, issues)
        _check_normalized(bien, campo, required=not total, listed=not total, issues=issues)
        if bien.bien_normalizado and not total and not deposito:
            _error(issues, "3379", f"{campo}.bien_normalizado")
        if aduana and not total:
            if bien.numero_dam is None:
                _error(issues, "3427", f"{campo}.numero_dam")
            elif bien.numero_dam not in declaraciones:
                _error(issues, "3430", f"{campo}.numero_dam")
            if bien.serie_dam is None:
                _error(issues, "3428", f"{campo}.serie_dam")


def item_unit(bien: Bien, motivo: str | None) -> str | None:
    """The unit written for a line: the given one, else NIU when there is a quantity.

    Imports and exports (motivo 08, 09) take the customs units of catálogo 65, which
    has no NIU: there the unit must be given.
    """
    if bien.unidad is not None:
        return bien.unidad
    if bien.cantidad is None or motivo in ("08", "09"):
        return None
    return "NIU"


# -- guía transportista (31) ------------------------------------------------------------


def check_transportista(
    guia: GuiaTransportistaIn, emisor: Emisor, fecha_emision: dt.date, issues: IssueCollector
) -> None:
    """Every check of ValidaExprRegGreTransportista-2.0.1.xsl that depends on the request."""
    ctx = _Context(emisor.ruc, fecha_emision, issues)
    _check_serie("31", guia.serie, issues)
    _check_emisor(emisor, issues)
    _check_nota(guia.observaciones, 2, issues)
    if guia.registro_mtc is None:
        _observation(issues, "4391", "registro_mtc")
    elif not _matches(MTC, guia.registro_mtc):
        _observation(issues, "4392", "registro_mtc")
    if guia.autorizacion_transportista is not None:
        _check_autorizacion(guia.autorizacion_transportista, "autorizacion_transportista", "4396", issues)
    _transportista_documents(guia, ctx)
    _transportista_parties(guia, ctx)
    _transportista_items(guia, ctx)
    _check_address(guia.partida, "partida", "3363", "4076", issues)
    _check_address(guia.llegada, "llegada", "3368", "4068", issues)
    for campo, direccion, owner in (
        ("partida", guia.partida, ruc_of(guia.remitente)),
        ("llegada", guia.llegada, ruc_of(guia.destinatario)),
    ):
        code = "3365" if campo == "partida" else "3369"
        _check_establishment(direccion, campo, owner, required=False, missing_code=code, issues=issues)
    if not guia.vehiculos:
        _error(issues, "2566", "vehiculos")
    for index, vehiculo in enumerate(guia.vehiculos):
        if vehiculo.tuc is None:
            _observation(issues, "4399", f"vehiculos[{index}].tuc")
    if not guia.conductores:
        _error(issues, "3357", "conductores")
    _vehicles_and_drivers_data(guia.vehiculos, guia.conductores, 1, issues)
    _check_start_date(ctx, guia.fecha_inicio_traslado, error=True)
    _check_weight(decimal_text(guia.peso_bruto_total), guia.unidad_peso, issues)


def ruc_of(participante: Participante) -> str | None:
    """The RUC of a party identified by RUC, else None."""
    return participante.numero_documento if participante.tipo_documento == "6" else None


def _transportista_documents(guia: GuiaTransportistaIn, ctx: _Context) -> None:
    issues, documentos = ctx.issues, guia.documentos_relacionados
    permits = [doc for doc in documentos if doc.tipo in ("31", "65", "66", "67", "68", "69")]
    electronic_grer = [doc for doc in documentos if doc.tipo == "09" and not is_physical(doc.numero)]
    if permits and len(documentos) > 2:
        _error(issues, "3345", "documentos_relacionados")
    elif not permits and not electronic_grer and len(documentos) > 1:
        _error(issues, "3346", "documentos_relacionados")
    _check_documents_common(
        documentos,
        "gre-t",
        _DOC_NUMBERS_TRANSPORTISTA,
        _FREE_TEXT_DOCS_TRANSPORTISTA,
        _ISSUER_REQUIRED_TRANSPORTISTA,
        ctx,
    )
    for index, doc in enumerate(documentos):
        if doc.ruc_emisor is None or is_physical(doc.numero):
            continue
        expected = {"09": guia.remitente.numero_documento, "31": ctx.emisor_ruc}.get(doc.tipo)
        if expected is not None and doc.ruc_emisor != expected:
            _error(issues, "3381", f"documentos_relacionados[{index}].ruc_emisor", f"debe ser {expected}")


def _transportista_parties(guia: GuiaTransportistaIn, ctx: _Context) -> None:
    issues, remitente = ctx.issues, guia.remitente
    if not cpe_catalogs.contains("06", remitente.tipo_documento):
        _error(issues, "2542", "remitente.tipo_documento")
    elif not _identity_ok(remitente.tipo_documento, remitente.numero_documento):
        _error(issues, "3384", "remitente.numero_documento")
    if remitente.numero_documento == ctx.emisor_ruc:
        _error(issues, "2560", "remitente.numero_documento")
    if not _text_ok(remitente.razon_social, 1, 250):
        _observation(issues, "4422", "remitente.razon_social")
    _check_destinatario(guia.destinatario, issues)

    if guia.pagador_flete is None:
        _observation(issues, "4388", "pagador_flete")
    pagador = guia.pagador
    if guia.pagador_flete == "tercero":
        if pagador is None:
            for code in ("4401", "4402", "4370"):
                _observation(issues, code, "pagador")
        else:
            if not cpe_catalogs.contains("06", pagador.tipo_documento):
                _error(issues, "3399", "pagador.tipo_documento")
            elif not _identity_ok(pagador.tipo_documento, pagador.numero_documento):
                _error(issues, "3400", "pagador.numero_documento")
            if not _text_ok(pagador.razon_social, 1, 250):
                _observation(issues, "4423", "pagador.razon_social")
    elif pagador is not None:
        issues.add(
            Code.CAMPO_INVALIDO, "pagador solo se informa cuando pagador_flete es 'tercero'", "pagador"
        )

    subcontratador = guia.subcontratador
    if subcontratador is not None:
        if subcontratador.tipo_documento != "6":
            _error(issues, "3391", "subcontratador.tipo_documento")
        elif not _matches(RUC, subcontratador.numero_documento):
            _error(issues, "3409", "subcontratador.numero_documento")
        if subcontratador.numero_documento == ctx.emisor_ruc:
            _error(issues, "3390", "subcontratador.numero_documento")
        if not _text_ok(subcontratador.razon_social, 1, 250):
            _observation(issues, "4427", "subcontratador.razon_social")


@dataclass(frozen=True)
class GoodsDetail:
    """What the related documents of a guía 31 say about its goods (sheet rows 3435, 4434, 3458)."""

    required: bool
    """The goods must be detailed with quantities (3435, 2580, 2883, 2781)."""
    discouraged: bool
    """A guía remitente electrónica (or a total transfer) already details them (4434)."""
    annotation_allowed: bool
    """The optional annotation (line 0) may be written (3458)."""
    annotation_expected: bool
    """SUNAT observes its absence (4429)."""


def goods_detail(guia: GuiaTransportistaIn) -> GoodsDetail:
    docs = guia.documentos_relacionados
    total = guia.indicadores.traslado_total

    def any_of(tipos: Iterable[str], physical: bool | None = None) -> bool:
        wanted = set(tipos)
        return any(
            doc.tipo in wanted and (physical is None or is_physical(doc.numero) == physical) for doc in docs
        )

    physical_grer = any_of(["09"], physical=True)
    mudanza = any_of(["82"])
    physical_invoice = any_of(["01", "04"], physical=True)
    tickets = any_of(["03", "12", "48"])
    return GoodsDetail(
        required=(any_of(["01", "03", "04", "12", "48", "50", "52"]) and not total)
        or not any_of(["01", "03", "04", "09", "12", "48", "50", "52", "82"]),
        discouraged=any_of(["09"], physical=False)
        or (any_of(["01", "04"], physical=False) and total)
        or (any_of(["50", "52"]) and total),
        annotation_allowed=physical_grer or mudanza or ((physical_invoice or tickets) and total),
        annotation_expected=physical_grer or mudanza or ((physical_invoice or tickets) and total),
    )


def _transportista_items(guia: GuiaTransportistaIn, ctx: _Context) -> None:
    issues = ctx.issues
    detail = goods_detail(guia)
    tipos = {doc.tipo for doc in guia.documentos_relacionados}
    aduana = bool(tipos & {"50", "52"})
    sin_comprobante = not tipos & {"01", "03", "04", "09", "12", "48", "50", "52", "82"}
    if detail.required and not any(bien.cantidad is not None and bien.cantidad > 0 for bien in guia.bienes):
        _error(issues, "3435", "bienes")
    if detail.required and "80" in tipos and all(bien.partida_arancelaria is None for bien in guia.bienes):
        _error(issues, "3352", "bienes")
    if detail.discouraged and any(bien.cantidad is not None and bien.cantidad > 0 for bien in guia.bienes):
        _observation(issues, "4434", "bienes")
    if guia.anotacion is not None:
        if not detail.annotation_allowed:
            _error(issues, "3458", "anotacion")
        elif not _text_ok(guia.anotacion, 3, 500):
            _observation(issues, "4430", "anotacion")
    elif detail.annotation_expected:
        _observation(issues, "4429", "anotacion")
    for index, bien in enumerate(guia.bienes):
        campo = f"bienes[{index}]"
        _check_quantity(bien, campo, required=detail.required, zero_is_missing=False, issues=issues)
        unidad = item_unit(bien, None)
        if unidad is None:
            if detail.required:
                _error(issues, "2883", f"{campo}.unidad")
        else:
            catalogo = "65" if aduana else "03"
            known = catalogs.contains("65", unidad) if aduana else cpe_catalogs.contains("03", unidad)
            if not known:
                _observation(
                    issues, "4320", f"{campo}.unidad", f"'{unidad}' no está en el catálogo {catalogo}"
                )
        _check_item_codes(bien, campo, issues)
        _check_normalized(bien, campo, required=detail.required, listed=True, issues=issues)
        if bien.bien_normalizado and sin_comprobante and "80" not in tipos:
            _error(issues, "3379", f"{campo}.bien_normalizado")
        for name in ("numero_dam", "serie_dam"):
            if getattr(bien, name) is not None:
                issues.add(
                    Code.CAMPO_INVALIDO,
                    "La guía transportista no lleva la numeración ni la serie de la DAM por ítem",
                    f"{campo}.{name}",
                )
