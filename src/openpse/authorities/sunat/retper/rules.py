"""Checks of a retención or percepción request, with SUNAT's codes, before anything is built.

Each check mirrors a row of the sheets Retenciones1_0 and Percepciones1_0 of SUNAT's
validation workbook v2026-02-12 (the row and code are cited where they are checked):
an ERROR row is an issue that stops the request (422 with SUNAT's code in
``errors[].codError`` and the JSON path in ``campo``), an OBSERV row is a warning kept
with the document, as SUNAT would note it in the CDR. Rows that need SUNAT's registers
(padrones of agents, the listado of electronic comprobantes, authorised physical
series) cannot be checked here; the RUC register is approximated by the RUC check digit,
since a number that fails it cannot be registered.

What SUNAT accepts but OpenPSE does not issue (contingency series, which need a prior
authorisation) is refused with ``PSE-0020``, never silently.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal

from stdnum.pe import ruc as stdnum_ruc

from openpse.authorities.sunat import catalogs as sunat_catalogs
from openpse.authorities.sunat import codes
from openpse.authorities.sunat.retper import catalogs
from openpse.authorities.sunat.retper.amounts import PEN, Calculo
from openpse.authorities.sunat.retper.kinds import Kind
from openpse.authorities.sunat.retper.models import (
    Direccion,
    PercepcionIn,
    Solicitud,
    documentos_de,
    movimientos_de,
    receptor_de,
)
from openpse.authorities.sunat.retper.ubl import Domicilio, Parte
from openpse.core.errors import Code, IssueCollector

PLAZO_ENVIO_DIAS = 3
"""Parámetro 004 "plazo máximo de envío" for tipos 20 and 40 (row 5, 2600); 3 days in the
OSE parameter dump cited by the SUNAT reference (§4.2)."""
TOLERANCIA = Decimal("1.00")
"""Rows 46/49 and 47/50: "con una tolerancia de más/menos uno (1)"."""
MAX_ENTEROS = Decimal("1e12")
"""n(12,2): twelve integer digits."""
MAX_ENTEROS_CAMBIO = Decimal("1e4")
"""n(4,6) of the exchange rate (row 53/54, 2716)."""

_ONE_LINE = re.compile(r"[^\n\r\t]*")
_RUC = re.compile(r"\d{11}")
_UBIGEO = re.compile(r"\d{6}")
_DOCUMENTO_CLIENTE = re.compile(r"[A-Za-z0-9]{1,15}")
_SERIE_FISICA = re.compile(r"\d{1,4}")


def _sunat(issues: IssueCollector, code: str, campo: str | None, detalle: str | None = None) -> None:
    text = codes.message(code)
    issues.add(code, f"{text}: {detalle}" if detalle else text, campo)


def _observation(issues: IssueCollector, code: str, campo: str | None, detalle: str | None = None) -> None:
    text = codes.message(code)
    issues.warn(code, f"{text}: {detalle}" if detalle else text, campo)


@functools.lru_cache(maxsize=4096)
def ruc_valido(numero: str) -> bool:
    """Whether ``numero`` is an 11-digit RUC with a correct check digit."""
    return bool(_RUC.fullmatch(numero)) and bool(stdnum_ruc.is_valid(numero))


def _decimals(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _n12_2(value: Decimal) -> bool:
    """SUNAT's "decimal positivo de 12 enteros y 2 decimales", zero excluded."""
    return Decimal(0) < value < MAX_ENTEROS and _decimals(value) <= 2


def _one_line(text: str, limit: int) -> bool:
    """The sheets' "alfanumérico de hasta N caracteres" without line breaks or tabs."""
    return 1 <= len(text) <= limit and bool(_ONE_LINE.fullmatch(text))


def check_header(kind: Kind, serie: str, fecha: dt.date, today: dt.date, issues: IssueCollector) -> None:
    """Row 4 (1001) and row 5 (2600)."""
    if _SERIE_FISICA.fullmatch(serie):
        issues.add(
            Code.NO_SOPORTADO,
            "Las series numéricas son de comprobantes físicos o de contingencia, que requieren autorización "
            "previa de SUNAT; OpenPSE emite comprobantes electrónicos",
            "serie",
        )
    elif not re.fullmatch(rf"{kind.prefijo_serie}[A-Z0-9]{{3}}", serie):
        _sunat(
            issues,
            "1001",
            "serie",
            f"la serie de un {kind.nombre.lower()} es {kind.prefijo_serie} + 3 caracteres",
        )
    if fecha < today - dt.timedelta(days=PLAZO_ENVIO_DIAS):
        _sunat(issues, "2600", "fecha_emision", f"el plazo máximo de envío es de {PLAZO_ENVIO_DIAS} días")


def _domicilio(
    domicilio: Domicilio | Direccion | None,
    campo: str,
    address_codes: tuple[str, str, str, str, str],
    issues: IssueCollector,
) -> None:
    """Rows 11–17 (emisor) and 22–28 / 23–29 (receptor): formats are observations, the country an error."""
    if domicilio is None:
        return
    calle, urbanizacion, provincia, departamento, distrito = address_codes
    if domicilio.pais != "PE":
        _sunat(issues, "2548", f"{campo}.pais", "el domicilio fiscal debe estar en el Perú (PE)")
    if domicilio.ubigeo is not None and not _UBIGEO.fullmatch(domicilio.ubigeo):
        _observation(issues, "2917", f"{campo}.ubigeo", "el ubigeo tiene 6 dígitos")
    for name, value, limit, code in (
        ("direccion", domicilio.direccion, 100, calle),
        ("urbanizacion", domicilio.urbanizacion, 30, urbanizacion),
        ("provincia", domicilio.provincia, 30, provincia),
        ("departamento", domicilio.departamento, 30, departamento),
        ("distrito", domicilio.distrito, 30, distrito),
    ):
        if value is not None and not _one_line(value, limit):
            _observation(issues, code, f"{campo}.{name}", f"hasta {limit} caracteres, en una línea")


def check_emisor(emisor: Parte, issues: IssueCollector) -> None:
    """Rows 7–17 (retención) / 8–18 (percepción): the issuer as the company is registered."""
    if not emisor.razon_social:
        _sunat(issues, "1037", "empresa.razon_social")
    elif not _one_line(emisor.razon_social, 1500):
        _sunat(issues, "1038", "empresa.razon_social")
    if emisor.nombre_comercial is not None and not _one_line(emisor.nombre_comercial, 1500):
        _observation(issues, "2901", "empresa.nombre_comercial")
    _domicilio(emisor.domicilio, "empresa.direccion", ("2916", "2902", "2903", "2904", "2905"), issues)


def check_receptor(kind: Kind, model: Solicitud, emisor_ruc: str, issues: IssueCollector) -> None:
    """Rows 18–28 (proveedor) / 19–29 (cliente)."""
    c, campo = kind.codigos, kind.receptor
    receptor = receptor_de(model)
    numero = receptor.numero_documento
    if kind.percepcion:
        if receptor.tipo_documento not in catalogs.TIPOS_DOCUMENTO_IDENTIDAD:
            _sunat(issues, "2511", f"{campo}.tipo_documento", "no está en el catálogo 06")
        if not _DOCUMENTO_CLIENTE.fullmatch(numero):
            _sunat(
                issues, c.receptor_formato, f"{campo}.numero_documento", "alfanumérico de hasta 15 caracteres"
            )
        elif numero == emisor_ruc:
            _sunat(issues, c.receptor_es_emisor, f"{campo}.numero_documento")
        elif receptor.tipo_documento == "6" and not ruc_valido(numero):
            _sunat(issues, c.receptor_inexistente, f"{campo}.numero_documento", "RUC no válido")
    else:
        # Row 19: a retention is made to a supplier identified by RUC only.
        if receptor.tipo_documento != "6":
            _sunat(issues, "2511", f"{campo}.tipo_documento", "el proveedor se identifica con RUC (6)")
        if not _RUC.fullmatch(numero):
            _sunat(issues, c.receptor_formato, f"{campo}.numero_documento", "el RUC tiene 11 dígitos")
        elif numero == emisor_ruc:
            _sunat(issues, c.receptor_es_emisor, f"{campo}.numero_documento")
        elif not ruc_valido(numero):
            _sunat(
                issues, c.receptor_inexistente, f"{campo}.numero_documento", "dígito verificador incorrecto"
            )
    if not _one_line(receptor.razon_social, 1500):
        _sunat(issues, "2133", f"{campo}.razon_social")
    if receptor.nombre_comercial is not None and not _one_line(receptor.nombre_comercial, 1500):
        _observation(issues, c.receptor_nombre_comercial, f"{campo}.nombre_comercial")
    address_codes = (
        c.receptor_calle,
        c.receptor_urbanizacion,
        c.receptor_provincia,
        c.receptor_departamento,
        c.receptor_distrito,
    )
    _domicilio(receptor.direccion, f"{campo}.direccion", address_codes, issues)


def check_regimen(kind: Kind, model: Solicitud, issues: IssueCollector) -> None:
    """Rows 29–30 (2618/2619) / 30–31 (2602/2603): the régimen and its rate (catálogo 23 / 22)."""
    catalogo = "22" if kind.percepcion else "23"
    expected = kind.tasa(model.regimen)
    if expected is None:
        _sunat(
            issues, kind.codigos.regimen, "regimen", f"'{model.regimen}' no está en el catálogo {catalogo}"
        )
    elif model.tasa is not None and model.tasa != expected:
        _sunat(
            issues,
            kind.codigos.tasa,
            "tasa",
            f"el régimen {model.regimen} tiene tasa {expected} % (catálogo {catalogo})",
        )


def _first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _check_factor(factor: Decimal, campo: str, issues: IssueCollector) -> None:
    if not (Decimal(0) < factor < MAX_ENTEROS_CAMBIO) or _decimals(factor) > 6:
        _sunat(issues, "2716", campo, "decimal positivo de 4 enteros y 6 decimales")


def check_documentos(kind: Kind, model: Solicitud, fecha: dt.date, issues: IssueCollector) -> None:
    """Rows 37–54 (retención) / 38–55 (percepción), one related document at a time."""
    c = kind.codigos
    documentos = documentos_de(model)
    excepcional = isinstance(model, PercepcionIn) and model.excepcional
    if excepcional and len(documentos) > 1:
        _sunat(issues, "3323", "documentos")
    periodo: tuple[int, int] | None = None
    vistos: set[tuple[str, str, int]] = set()
    for index, documento in enumerate(documentos):
        path = f"documentos[{index}]"
        if documento.tipo not in kind.documentos:
            permitidos = ", ".join(sorted(kind.documentos))
            _sunat(issues, "2692", f"{path}.tipo", f"'{documento.tipo}' no es uno de {permitidos}")
            continue
        if excepcional and documento.tipo != "01":
            _sunat(issues, "3324", f"{path}.tipo")
        serie_numero = f"{documento.serie}-{documento.numero}"
        formato = catalogs.NUMERO_TICKET if documento.tipo == "12" else kind.numero_relacionado
        if not formato.fullmatch(serie_numero):
            _sunat(issues, "2694", f"{path}.serie", f"'{serie_numero}'")
        if (
            not kind.percepcion
            and model.regimen == "02"
            and documento.fecha_emision > catalogs.RETENCION_6_HASTA
        ):
            _sunat(issues, "2985", f"{path}.fecha_emision")
        if not _n12_2(documento.importe_total):
            _sunat(issues, "2696", f"{path}.importe_total")
        if not sunat_catalogs.contains("02", documento.moneda):
            _sunat(issues, "2718", f"{path}.moneda", f"'{documento.moneda}' no está en el catálogo 02")
        elif documento.moneda in catalogs.MONEDAS_FUERA_DEL_ESQUEMA:
            _sunat(
                issues,
                "0306",
                f"{path}.moneda",
                f"{documento.moneda} no está en la lista de monedas del esquema UBL 2.0 de este comprobante",
            )
        movimientos = movimientos_de(documento)
        mov_path = f"{path}.{kind.movimientos}"
        if documento.tipo == "07":
            # Rows 42–54 apply to every type but 07: a credit note lowers what is owed
            # and is listed without payment (and left out of the totals).
            if movimientos:
                issues.add(
                    Code.CAMPO_INVALIDO,
                    f"Una nota de crédito se informa sin {kind.movimientos}",
                    mov_path,
                )
            continue
        if not movimientos:
            _sunat(
                issues,
                c.fecha_falta,
                mov_path,
                f"el documento necesita al menos un registro en {kind.movimientos}",
            )
            continue
        for position, movimiento in enumerate(movimientos):
            campo = f"{mov_path}[{position}]"
            numero = movimiento.numero if movimiento.numero is not None else position + 1
            key = (documento.tipo, serie_numero, numero)
            if key in vistos:
                _sunat(issues, "2626", f"{campo}.numero", f"{serie_numero} con número {numero}")
            vistos.add(key)
            mes = (movimiento.fecha.year, movimiento.fecha.month)
            if periodo is None:
                periodo = mes
            elif mes != periodo:
                _sunat(issues, c.mismo_periodo, f"{campo}.fecha")
            # Row 42/43: from the related document's issue date when it is of the
            # comprobante's month, else from the first day of that month; never after
            # the comprobante's issue date.
            same_month = (documento.fecha_emision.year, documento.fecha_emision.month) == (
                fecha.year,
                fecha.month,
            )
            desde = documento.fecha_emision if same_month else _first_of_month(fecha)
            if not desde <= movimiento.fecha <= fecha:
                _sunat(
                    issues,
                    c.fecha_fuera_de_rango,
                    f"{campo}.fecha",
                    f"debe estar entre {desde.isoformat()} y {fecha.isoformat()}",
                )
            if not _n12_2(movimiento.importe):
                _sunat(issues, c.importe_formato, f"{campo}.importe")
            cambio = movimiento.tipo_cambio
            if documento.moneda == PEN:
                if cambio is not None:
                    issues.add(
                        Code.CAMPO_INVALIDO,
                        "Un documento en PEN no lleva tipo de cambio",
                        f"{campo}.tipo_cambio",
                    )
            elif cambio is None:
                _sunat(
                    issues,
                    "2719",
                    f"{campo}.tipo_cambio",
                    f"el documento está en {documento.moneda}: falta tipo_cambio",
                )
            else:
                _check_factor(cambio.factor, f"{campo}.tipo_cambio.factor", issues)


def check_calculo(kind: Kind, model: Solicitud, calculo: Calculo, issues: IssueCollector) -> None:
    """The computed amounts against SUNAT's formats (rows 32–36 and 46–50 / 33–37 and 47–51).

    The totals first, then each payment, in the order SUNAT's XSL checks them.
    """
    c = kind.codigos
    if not _n12_2(calculo.total):
        _sunat(issues, "2669", "documentos", f"total {calculo.total:.2f} PEN")
    if not _n12_2(calculo.total_neto):
        _sunat(issues, c.total_neto_formato, "documentos", f"total {calculo.total_neto:.2f} PEN")
    redondeo = model.redondeo
    if redondeo is not None and (abs(redondeo) > 1 or _decimals(redondeo) > 2):
        _sunat(issues, "3303", "redondeo", "entre -1.00 y 1.00")
    # calcular() writes one reference per payment, or one for a document without any.
    posiciones = [
        (doc_index, position)
        for doc_index, documento in enumerate(documentos_de(model))
        for position in range(max(len(movimientos_de(documento)), 1))
    ]
    for (doc_index, position), referencia in zip(posiciones, calculo.referencias, strict=True):
        if referencia.importe is None or referencia.neto is None:
            continue
        campo = f"documentos[{doc_index}].{kind.movimientos}[{position}].importe"
        if not _n12_2(referencia.importe):
            detalle = f"{referencia.importe:.2f} PEN: el importe es demasiado pequeño o demasiado grande"
            _sunat(issues, c.monto_formato, campo, detalle)
        if not _n12_2(referencia.neto):
            _sunat(issues, c.neto_formato, campo, f"{referencia.neto:.2f} PEN")


def check_totales_declarados(kind: Kind, model: Solicitud, calculo: Calculo, issues: IssueCollector) -> None:
    """Totals the ERP computed, against ours: SUNAT's codes for a total that does not add up."""
    declared = model.totales
    if declared is None:
        return
    names = ("percibido", "cobrado") if kind.percepcion else ("retenido", "pagado")
    checks = (
        (names[0], getattr(declared, names[0]), calculo.total, kind.codigos.total_suma),
        (names[1], getattr(declared, names[1]), calculo.total_neto, kind.codigos.total_neto_suma),
    )
    for campo, theirs, ours, code in checks:
        if theirs is not None and abs(theirs - ours) > TOLERANCIA:
            _sunat(issues, code, f"totales.{campo}", f"declarado {theirs:.2f}, calculado {ours:.2f}")
