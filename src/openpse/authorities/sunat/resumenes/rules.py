"""SUNAT's rules for the Resumen diario, the Comunicación de baja and the Resumen de reversiones.

Each check is a row of the sheets "Resumen Diario1_1", "Comunicación de Baja1_0" and
"Resumen de reversiones1_0" of SUNAT's validation workbook v2026-02-12 (row numbers in
the comments), plus the few rows of SUNAT's summary XSL (``ValidaExprRegSummary-1.1.0``)
that the workbook leaves out. ERROR rows are collected with ``issues.add`` and
observation (OBSERV) rows with ``issues.warn``, with SUNAT's code and text; ``campo`` is
the path of the offending field in the typed input. Unlike SUNAT, which stops at the
first error, every problem is reported at once.

Rows about the XML itself (UBLVersionID, CustomizationID, LineID, the cbc:ID against
the file name, tax scheme names, currencies inside one line) are guaranteed by the
builders and have nothing to check here. Rows that need SUNAT's registers take callables:
``registro`` answers what SUNAT holds about a comprobante (2663, 2282, 2987, 2989, 2990,
2105, 2398, 2323, 2375, 2750, 2751, 2471) and ``presentado`` whether a summary name was
already presented (2223, 2324); without them those rows are skipped. Rows that need
padrones OpenPSE does not hold (physical series authorisations 3207/4204/2988, agentes
de percepción 2601/2605/4086/4089/4090, SEE-Empresas supervisadas 2581, no habido 2011)
are not checked.

``hoy`` is the day SUNAT receives the summary (Lima time): the "fecha de recepción" of
rows 2236, 2301, 2957, 2958 and 4443.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal

from openpse.authorities.sunat import catalogs, codes
from openpse.authorities.sunat.resumenes.models import (
    CATALOGO_19,
    CATALOGO_22,
    MAX_CORRELATIVO,
    TIPOS_AFECTADOS_RC,
    TIPOS_RA,
    TIPOS_RC,
    ComprobanteRef,
    ComunicacionBaja,
    Condicion,
    LineaBaja,
    LineaResumen,
    Presentado,
    Registro,
    Resumen,
    ResumenDiario,
    ResumenReversiones,
)
from openpse.core.errors import Code, Issue, IssueCollector

PLAZO_DIAS = 7
"""2957/2958 (bajas and reversiones of liquidaciones) and 4443 (late RC): 7 calendar days."""
LIMITE_SIN_CLIENTE = Decimal("700")
"""2514: a line whose total exceeds 700 must identify the customer (SUNAT's XSL: ``> 700``)."""
TOLERANCIA_RC = Decimal("5")
"""Rows 14 and 21.1 (4027, 4019, 4302) compare "con una tolerancia de +/- 5"."""
TOLERANCIA_PERCEPCION = Decimal("1")
"""Row 12.3/12.4 (2608): "con una tolerancia de más/menos uno (1)"."""
TASAS_IGV_BOLETA = (Decimal("0.18"), Decimal("0.105"))
TASAS_IGV_NOTA = (Decimal("0.18"), Decimal("0.105"), Decimal("0.10"))
"""Row 21.1 (4019): 18 or 10.5 % for boletas; a note may modify a document issued at 10 %."""
TASA_IVAP = Decimal("0.04")
MAX_AMOUNT = Decimal("1e12")
"""n(12,2): 12 integer digits."""
MAX_NUMERO = 99999999
MAX_MOTIVO = 100
"""Row 13 of the RA/RR sheets: VoidReasonDescription is an..100."""

_RUC = re.compile(r"[12]\d{10}")
_FORBIDDEN_WHITESPACE = re.compile(r"[^\S ]")
# Row 9.1 (2513) and row 11.1 (2920) patterns, as the sheet writes them.
_RC_ID = re.compile(r"(?:[B][A-Z0-9]{3})-(?!0+$)[0-9]{1,8}|[0-9]{1,4}-[0-9]{1,8}")
_AFECTADO_BOLETA = re.compile(r"(?:[B][A-Z0-9]{3})-(?!0+$)[0-9]{1,8}|EB01-[0-9]{1,8}|[0-9]{1,4}-[0-9]{1,8}")
_AFECTADO_OTROS = re.compile(r"[a-zA-Z0-9-]{1,20}-[a-zA-Z0-9-]{1,20}")
_DNI = re.compile(r"\d{8}")
_RUC_CLIENTE = re.compile(r"\d{11}")
_DOC_ALFANUMERICO = re.compile(r"\S{1,20}")
_TIPOS_ALFANUMERICOS = frozenset("47" + "0ABCDEFG")
# Comunicación de Baja1_0 row 11 (2310) and Resumen de reversiones1_0 row 11 (2674/2675/2345).
_SERIES_RA = {
    "01": re.compile(r"F[A-Z0-9]{3}|[0-9]{1,4}"),
    "07": re.compile(r"F[A-Z0-9]{3}|[0-9]{1,4}"),
    "08": re.compile(r"F[A-Z0-9]{3}|[0-9]{1,4}"),
    "30": re.compile(r"F[A-Z0-9]{3}"),
    "34": re.compile(r"F[A-Z0-9]{3}"),
    "42": re.compile(r"F[A-Z0-9]{3}"),
}
_SERIES_RR = {
    "20": (re.compile(r"R[A-Z0-9]{3}|[0-9]{1,4}"), "2674"),
    "40": (re.compile(r"P[A-Z0-9]{3}|[0-9]{1,4}"), "2675"),
    "04": (re.compile(r"L[A-Z0-9]{3}|[0-9]{1,4}"), "2345"),
}


def _error(issues: IssueCollector, code: str, campo: str, detalle: str | None = None) -> None:
    text = codes.message(code)
    issues.add(code, f"{text}: {detalle}" if detalle else text, campo)


def _observation(issues: IssueCollector, code: str, campo: str, detalle: str | None = None) -> None:
    text = codes.message(code)
    issues.warn(code, f"{text}: {detalle}" if detalle else text, campo)


def _is_amount(value: Decimal, positive: bool = False) -> bool:
    """SUNAT's n(12,2): a finite decimal with at most 2 decimals and 12 integer digits."""
    if not value.is_finite() or abs(value) >= MAX_AMOUNT:
        return False
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2 and value != value.quantize(Decimal("0.01")):
        return False
    return value > 0 if positive else value >= 0


def _days(later: dt.date, earlier: dt.date) -> int:
    return (later - earlier).days


# Header rows, common to the three sheets -----------------------------------------------


def _check_header(
    documento: Resumen, hoy: dt.date, issues: IssueCollector, presentado: Presentado | None
) -> None:
    rc = isinstance(documento, ResumenDiario)
    nombre = documento.nombre
    # General sheet, 0151: the RUC of the name starts with 1 or 2; correlativo 1 to 99999.
    if not _RUC.fullmatch(documento.emisor.ruc):
        _error(issues, "0151", "emisor.ruc", "el RUC debe tener 11 dígitos y empezar con 1 o 2")
    if not 1 <= documento.correlativo <= MAX_CORRELATIVO:
        _error(issues, "0151", "correlativo", f"el correlativo va de 1 a {MAX_CORRELATIVO}")
    # RC row 03 (2223), RA row 3 (2324), RR row 3 (2223): a name can be presented once.
    if presentado is not None and presentado(nombre):
        _error(
            issues, "2324" if isinstance(documento, ComunicacionBaja) else "2223", "correlativo", nombre.id
        )
    # RC row 04 (2236), RA/RR row 4 (2301): generated no later than it is received.
    if documento.fecha_generacion > hoy:
        _error(issues, "2236" if rc else "2301", "fecha_generacion", f"{documento.fecha_generacion:%Y-%m-%d}")
    # RC row 05, RA/RR row 5 (2671): the documents are not issued after the summary.
    if documento.fecha_emision > documento.fecha_generacion:
        _error(
            issues,
            "2671",
            "fecha_emision",
            f"{documento.fecha_emision:%Y-%m-%d} es posterior a {documento.fecha_generacion:%Y-%m-%d}",
        )
    # RC row 07.2, RA/RR row 8 (2229/2228): 3 to 100 characters, no whitespace but spaces.
    razon_social = documento.emisor.razon_social
    if not razon_social.strip():
        _error(issues, "2229", "emisor.razon_social")
    elif not 3 <= len(razon_social) <= 100 or _FORBIDDEN_WHITESPACE.search(razon_social):
        _error(
            issues, "2228", "emisor.razon_social", "de 3 a 100 caracteres, sin saltos de línea ni tabuladores"
        )
    # The schemas require at least one line (0306 otherwise); LineID is n..5 (2238/2305).
    if not documento.lineas:
        issues.add(Code.CAMPO_INVALIDO, "El resumen debe tener al menos una línea", "lineas")
    elif len(documento.lineas) > 99999:
        _error(issues, "2238" if rc else "2305", "lineas", "como máximo 99999 líneas")


# Resumen diario -------------------------------------------------------------------------


def _check_cliente(linea: LineaResumen, campo: str, issues: IssueCollector) -> None:
    cliente = linea.cliente
    if cliente is None:
        # Row 10 (2514): above 700 the customer must be identified.
        if linea.totales.total > LIMITE_SIN_CLIENTE:
            _error(issues, "2514", f"{campo}.cliente", "el importe total supera 700")
        return
    tipo, numero = cliente.tipo_documento, cliente.numero_documento
    # Rows 10.1 and 10.2.
    if not tipo:
        _error(issues, "2015", f"{campo}.cliente.tipo_documento")
    elif tipo != "-" and not catalogs.contains("06", tipo):
        _error(issues, "2016", f"{campo}.cliente.tipo_documento", f"'{tipo}' no está en el catálogo 06")
    if not numero:
        _error(issues, "2014", f"{campo}.cliente.numero_documento")
    elif tipo == "6" and not _RUC_CLIENTE.fullmatch(numero):
        _error(issues, "2017", f"{campo}.cliente.numero_documento")
    elif tipo == "1" and not _DNI.fullmatch(numero):
        _observation(issues, "4207", f"{campo}.cliente.numero_documento")
    elif tipo in _TIPOS_ALFANUMERICOS and not _DOC_ALFANUMERICO.fullmatch(numero):
        _observation(issues, "4208", f"{campo}.cliente.numero_documento")


def _check_importes(linea: LineaResumen, campo: str, issues: IssueCollector) -> None:
    t = linea.totales
    base = f"{campo}.totales"
    # Row 14 (2251): TotalAmount n(12,2), zero or more.
    if not _is_amount(t.total):
        _error(issues, "2251", f"{base}.total")
    # Rows 15–19 (2254): every sac:BillingPayment/cbc:PaidAmount.
    for nombre, valor in (
        ("gravado", t.gravado),
        ("exonerado", t.exonerado),
        ("inafecto", t.inafecto),
        ("exportacion", t.exportacion),
        ("gratuito", t.gratuito),
    ):
        if not _is_amount(valor):
            _error(issues, "2254", f"{base}.{nombre}")
    # Row 20.2 (2261): the other charges.
    if not _is_amount(t.otros_cargos):
        _error(issues, "2261", f"{base}.otros_cargos")
    # Rows 21.1–24.1 (2048): every cac:TaxTotal/cbc:TaxAmount.
    for nombre, valor in (
        ("igv", t.igv),
        ("ivap", t.ivap),
        ("isc", t.isc),
        ("icbper", t.icbper),
        ("otros_tributos", t.otros_tributos),
    ):
        if not _is_amount(valor):
            _error(issues, "2048", f"{base}.{nombre}")
    if t.igv > 0 and t.ivap > 0:
        # One line carries IGV or IVAP (row 21, 2278/2355); a boleta under IVAP has only
        # IVAP lines (Boleta2_0, 2644), so a line cannot report both.
        _error(issues, "2644", f"{base}.ivap", "una línea lleva IGV o IVAP, no ambos")
    if not catalogs.contains("02", linea.moneda):
        # currencyID is an ISO 4217 code in the UBL 2.0 schema (0306 otherwise).
        issues.add(Code.CAMPO_INVALIDO, f"Moneda '{linea.moneda}' no está en ISO 4217", f"{campo}.moneda")

    # Row 21.1 (4019, OBSERV): IGV = (gravadas + ISC) × rate, ±5, at any rate in force.
    if t.igv > 0:
        rates = TASAS_IGV_BOLETA if linea.tipo == "03" else TASAS_IGV_NOTA
        base_igv = t.gravado + t.isc
        if all(abs(t.igv - base_igv * rate) > TOLERANCIA_RC for rate in rates):
            _observation(issues, "4019", f"{base}.igv")
    # Row 21.1 (4302, OBSERV): IVAP = gravadas × 4 %, ±5.
    if t.ivap > 0 and abs(t.ivap - t.gravado * TASA_IVAP) > TOLERANCIA_RC:
        _observation(issues, "4302", f"{base}.ivap")
    # Row 14 (4027, OBSERV): the total against values, taxes and charges, ±5.
    if _is_amount(t.total) and abs(t.total - t.suma_sunat) > TOLERANCIA_RC:
        _observation(issues, "4027", f"{base}.total", f"{t.total:f} ≠ {t.suma_sunat:f}")


def _check_percepcion(linea: LineaResumen, campo: str, issues: IssueCollector) -> None:
    percepcion = linea.percepcion
    if percepcion is None:
        return
    base = f"{campo}.percepcion"
    # Row 12 (2986): only boletas being added (the XSL refuses modifications, ConditionCode 2).
    if linea.tipo != "03" or linea.condicion == Condicion.MODIFICAR:
        _error(issues, "2986", base)
    # SUNAT's ValidaExprRegSummary-1.1.0.xsl, "ERROR 2679": a percepción names its customer.
    if linea.cliente is None or not linea.cliente.numero_documento:
        _error(issues, "2679", f"{campo}.cliente")
    # Rows 12.1 and 12.2 (2517, 2891).
    tasa = CATALOGO_22.get(percepcion.regimen)
    if tasa is None:
        _error(issues, "2517", f"{base}.regimen", "catálogo 22: 01, 02 o 03")
    elif percepcion.tasa != tasa:
        _error(issues, "2891", f"{base}.tasa", f"la tasa del régimen {percepcion.regimen} es {tasa}")
    # Rows 12.3–12.5 (2893, 2895, 2897): positive n(12,2) amounts.
    monto_ok = _is_amount(percepcion.monto, positive=True)
    total_ok = _is_amount(percepcion.total_cobrado, positive=True)
    if not monto_ok:
        _error(issues, "2893", f"{base}.monto")
    if not total_ok:
        _error(issues, "2895", f"{base}.total_cobrado")
    if not _is_amount(percepcion.base, positive=True):
        _error(issues, "2897", f"{base}.base")
    # Rows 12.3 and 12.4 (2608), checked when the document is in soles.
    if linea.moneda == "PEN":
        esperado = percepcion.base * percepcion.tasa / 100
        if monto_ok and abs(percepcion.monto - esperado) > TOLERANCIA_PERCEPCION:
            _error(issues, "2608", f"{base}.monto", f"base × tasa = {esperado:.2f}")
        cobrado = linea.totales.total + percepcion.monto
        if total_ok and abs(percepcion.total_cobrado - cobrado) > TOLERANCIA_PERCEPCION:
            _error(issues, "2608", f"{base}.total_cobrado", f"total + percepción = {cobrado:.2f}")


def _check_referencia(
    linea: LineaResumen,
    campo: str,
    issues: IssueCollector,
    registro: Registro | None,
    agregadas: set[tuple[str, str]],
) -> None:
    afectado = linea.documento_afectado
    base = f"{campo}.documento_afectado"
    if linea.tipo == "03":
        # Row 11 (2582): a boleta modifies nothing.
        if afectado is not None:
            _error(issues, "2582", base)
        return
    if linea.tipo not in ("07", "08") or linea.condicion == Condicion.ANULAR:
        # Rows 11.1/11.2 apply to notes informed or modified, not annulled.
        return
    if afectado is None or not afectado.serie:
        _error(issues, "2524", base)
    if afectado is None:
        _error(issues, "2583", f"{base}.tipo")
        return
    if not afectado.tipo:
        _error(issues, "2583", f"{base}.tipo")
        return
    if afectado.tipo not in TIPOS_AFECTADOS_RC:
        _error(issues, "2513", f"{base}.tipo", "una nota de boleta modifica 03, 12, 16 o 55")
        return
    pattern = _AFECTADO_BOLETA if afectado.tipo == "03" else _AFECTADO_OTROS
    if afectado.serie and not pattern.fullmatch(afectado.id):
        _error(issues, "2920", f"{base}.serie", afectado.id)
        return
    # Row 11.2 (2989, 2990): an electronic boleta must be informed and alive. A boleta
    # added earlier in this same summary counts as informed: SUNAT processes the lines
    # of one summary together and a boleta and its note of the same day travel together.
    if registro is None or afectado.tipo != "03" or not afectado.serie.startswith("B"):
        return
    numero = afectado.numero if isinstance(afectado.numero, int) else None
    if numero is None and str(afectado.numero).isdigit():
        numero = int(str(afectado.numero))
    if numero is None:
        return
    registrado = registro(ComprobanteRef("03", afectado.serie, numero))
    if registrado is None and ("03", afectado.id) not in agregadas:
        _error(issues, "2989", base, afectado.id)
    elif registrado is not None and registrado.estado in ("rechazado", "anulado"):
        _error(issues, "2990", base, f"{afectado.id} está {registrado.estado}")


def _check_linea_rc(
    linea: LineaResumen,
    index: int,
    resumen: ResumenDiario,
    hoy: dt.date,
    issues: IssueCollector,
    registro: Registro | None,
    ocurrencias: Counter[tuple[str, str, str]],
    condiciones: dict[tuple[str, str], set[str]],
    agregadas: set[tuple[str, str]],
) -> None:
    # Rows in the sheet's order (9.1, 9.2, 10–12, 13, 14–24), so that the first issue is
    # the one SUNAT, which stops at the first error, would answer.
    campo = f"lineas[{index}]"
    # Row 9.1 (2512, 2513; 2663 against the register).
    if not linea.serie:
        _error(issues, "2512", f"{campo}.serie")
    elif linea.tipo in TIPOS_RC and not _RC_ID.fullmatch(linea.id):
        _error(issues, "2513", f"{campo}.serie", linea.id)
    registrado = None
    if registro is not None and linea.tipo in TIPOS_RC and linea.numero >= 0:
        registrado = registro(ComprobanteRef(linea.tipo, linea.serie, linea.numero))
        if registrado is None and linea.condicion in (Condicion.MODIFICAR, Condicion.ANULAR):
            _error(issues, "2663", f"{campo}.serie", linea.id)
    # Row 9.2 (2242, 2241; 2987 and 2282 against the register).
    if not linea.tipo:
        _error(issues, "2242", f"{campo}.tipo")
    elif linea.tipo not in TIPOS_RC:
        _error(issues, "2241", f"{campo}.tipo", "03, 07 u 08")
    if registrado is not None and registrado.estado in ("rechazado", "anulado"):
        _error(issues, "2987", f"{campo}.tipo", f"{linea.id} está {registrado.estado}")
    elif registrado is not None and linea.condicion == Condicion.ADICIONAR:
        _error(issues, "2282", f"{campo}.tipo", linea.id)
    # Row 9.2 (2957): an electronic document is annulled within 7 days of its issue.
    if (
        linea.condicion == Condicion.ANULAR
        and not linea.serie[:1].isdigit()
        and _days(hoy, resumen.fecha_emision) > PLAZO_DIAS
    ):
        _error(issues, "2957", f"{campo}.condicion", f"emitido el {resumen.fecha_emision:%Y-%m-%d}")
    # Row 9.2 (3094, 3095, 3096): one document, one operation per summary.
    key = (linea.tipo, linea.id)
    if ocurrencias[(*key, linea.condicion)] > 1:
        _error(issues, "3094", f"{campo}.condicion", linea.id)
    if linea.condicion in (Condicion.ADICIONAR, Condicion.MODIFICAR) and {"1", "2"} <= condiciones[key]:
        _error(issues, "3095", f"{campo}.condicion", linea.id)
    if linea.condicion in (Condicion.MODIFICAR, Condicion.ANULAR) and {"2", "3"} <= condiciones[key]:
        _error(issues, "3096", f"{campo}.condicion", linea.id)

    _check_cliente(linea, campo, issues)
    _check_referencia(linea, campo, issues, registro, agregadas)
    _check_percepcion(linea, campo, issues)
    # Row 13 (2522, 2896).
    if not linea.condicion:
        _error(issues, "2522", f"{campo}.condicion")
    elif linea.condicion not in CATALOGO_19:
        _error(issues, "2896", f"{campo}.condicion", "catálogo 19: 1, 2 o 3")
    _check_importes(linea, campo, issues)


def check_resumen_diario(
    resumen: ResumenDiario,
    hoy: dt.date,
    issues: IssueCollector,
    *,
    registro: Registro | None = None,
    presentado: Presentado | None = None,
) -> None:
    """Apply the sheet "Resumen Diario1_1" to ``resumen`` as received on ``hoy``."""
    _check_header(resumen, hoy, issues, presentado)
    # Row 05 (4443, OBSERV): informed more than 7 days after the documents' issue.
    if _days(hoy, resumen.fecha_emision) > PLAZO_DIAS:
        _observation(issues, "4443", "fecha_emision", f"{resumen.fecha_emision:%Y-%m-%d}")
    ocurrencias = Counter((ln.tipo, ln.id, ln.condicion) for ln in resumen.lineas)
    condiciones: dict[tuple[str, str], set[str]] = {}
    for ln in resumen.lineas:
        condiciones.setdefault((ln.tipo, ln.id), set()).add(ln.condicion)
    agregadas = {(ln.tipo, ln.id) for ln in resumen.lineas if ln.condicion == Condicion.ADICIONAR}
    for index, linea in enumerate(resumen.lineas):
        _check_linea_rc(linea, index, resumen, hoy, issues, registro, ocurrencias, condiciones, agregadas)


# Comunicación de baja and Resumen de reversiones ---------------------------------------


def _check_numero(
    linea: LineaBaja, campo: str, issues: IssueCollector, documentos: Counter[tuple[str, str, int]]
) -> None:
    # Row 12 (2312, 2348).
    if not 0 <= linea.numero <= MAX_NUMERO:
        _error(issues, "2312", f"{campo}.numero")
    if documentos[(linea.tipo, linea.serie, linea.numero)] > 1:
        _error(issues, "2348", f"{campo}.numero", linea.id)


def _check_motivo(linea: LineaBaja, campo: str, issues: IssueCollector) -> None:
    # Row 13 (2315; 4203 OBSERV). The field is an..100.
    motivo = linea.motivo.strip()
    if not motivo:
        _error(issues, "2315", f"{campo}.motivo")
    elif len(motivo) < 3:
        _observation(issues, "4203", f"{campo}.motivo")
    if len(linea.motivo) > MAX_MOTIVO:
        issues.add(
            Code.CAMPO_INVALIDO, f"El motivo tiene como máximo {MAX_MOTIVO} caracteres", f"{campo}.motivo"
        )


def _en_listado_ra(linea: LineaBaja) -> bool:
    """Whether row 12 checks the line against the register (2105, 2375)."""
    if linea.tipo in ("01", "07", "08"):
        return linea.serie[:1] == "F" or linea.serie[:1].isdigit()
    return linea.tipo in ("30", "34", "42") and linea.serie[:1] == "F"


def check_comunicacion_baja(
    baja: ComunicacionBaja,
    hoy: dt.date,
    issues: IssueCollector,
    *,
    registro: Registro | None = None,
    presentado: Presentado | None = None,
) -> None:
    """Apply the sheet "Comunicación de Baja1_0" to ``baja`` as received on ``hoy``."""
    _check_header(baja, hoy, issues, presentado)
    documentos = Counter((ln.tipo, ln.serie, ln.numero) for ln in baja.lineas)
    for index, linea in enumerate(baja.lineas):
        campo = f"lineas[{index}]"
        # Row 10 (2309, 2308): boletas are annulled by an RC line with ConditionCode 3.
        if not linea.tipo:
            _error(issues, "2309", f"{campo}.tipo")
        elif linea.tipo not in TIPOS_RA:
            detalle = "las boletas y sus notas se anulan en el resumen diario" if linea.tipo == "03" else None
            _error(issues, "2308", f"{campo}.tipo", detalle)
        # Row 11 (2311, 2310).
        pattern = _SERIES_RA.get(linea.tipo)
        if not linea.serie:
            _error(issues, "2311", f"{campo}.serie")
        elif pattern is not None and not pattern.fullmatch(linea.serie):
            _error(issues, "2310", f"{campo}.serie", linea.serie)
        # Row 12 (2312, 2348; 2105, 2398, 2323 against the register; 2957; 2375).
        _check_numero(linea, campo, issues, documentos)
        registrado = None
        if registro is not None and linea.tipo in TIPOS_RA:
            registrado = registro(ComprobanteRef(linea.tipo, linea.serie, linea.numero))
            if registrado is None and _en_listado_ra(linea):
                _error(issues, "2105", f"{campo}.numero", linea.id)
            elif registrado is not None and registrado.estado == "rechazado":
                _error(issues, "2398", f"{campo}.numero", linea.id)
            elif registrado is not None and registrado.estado == "anulado":
                _error(issues, "2323", f"{campo}.numero", linea.id)
        # 2957: within 7 days of the document's issue (electronic series only); the issue
        # date is the register's when known, else the one the summary declares.
        fecha_documento = registrado.fecha_emision if registrado is not None else baja.fecha_emision
        if not linea.serie[:1].isdigit() and _days(hoy, fecha_documento) > PLAZO_DIAS:
            _error(issues, "2957", f"{campo}.numero", f"{linea.id} emitido el {fecha_documento:%Y-%m-%d}")
        if registrado is not None and _en_listado_ra(linea) and fecha_documento != baja.fecha_emision:
            _error(issues, "2375", "fecha_emision", f"{linea.id} se emitió el {fecha_documento:%Y-%m-%d}")
        _check_motivo(linea, campo, issues)


def check_resumen_reversiones(
    reversiones: ResumenReversiones,
    hoy: dt.date,
    issues: IssueCollector,
    *,
    registro: Registro | None = None,
    presentado: Presentado | None = None,
    ose: bool = False,
) -> None:
    """Apply the sheet "Resumen de reversiones1_0"; ``ose`` for SEE-OSE, where 04 is not reverted."""
    _check_header(reversiones, hoy, issues, presentado)
    permitidos = ("20", "40") if ose else ("20", "40", "04")
    documentos = Counter((ln.tipo, ln.serie, ln.numero) for ln in reversiones.lineas)
    for index, linea in enumerate(reversiones.lineas):
        campo = f"lineas[{index}]"
        # Row 10 (2309, 2308).
        if not linea.tipo:
            _error(issues, "2309", f"{campo}.tipo")
        elif linea.tipo not in permitidos:
            _error(issues, "2308", f"{campo}.tipo", ", ".join(permitidos))
        # Row 11 (2311; 2674 for 20, 2675 for 40, 2345 for 04; 2958).
        serie = _SERIES_RR.get(linea.tipo)
        if not linea.serie:
            _error(issues, "2311", f"{campo}.serie")
        elif serie is not None and linea.tipo in permitidos and not serie[0].fullmatch(linea.serie):
            _error(issues, serie[1], f"{campo}.serie", linea.serie)
        if (
            linea.tipo == "04"
            and not ose
            and not linea.serie[:1].isdigit()
            and _days(hoy, reversiones.fecha_emision) > PLAZO_DIAS
        ):
            _error(issues, "2958", f"{campo}.serie", f"emitido el {reversiones.fecha_emision:%Y-%m-%d}")
        # Row 12 (2312, 2348; 2750, 2398, 2751, 2471 against the register).
        _check_numero(linea, campo, issues, documentos)
        if registro is not None and linea.tipo in permitidos:
            registrado = registro(ComprobanteRef(linea.tipo, linea.serie, linea.numero))
            if registrado is None:
                _error(issues, "2750", f"{campo}.numero", linea.id)
            else:
                if linea.tipo == "04" and registrado.estado == "rechazado":
                    _error(issues, "2398", f"{campo}.numero", linea.id)
                if registrado.estado == "anulado":
                    _error(issues, "2751", f"{campo}.numero", linea.id)
                if linea.tipo == "04" and registrado.pagos_registrados:
                    _error(issues, "2471", f"{campo}.numero", linea.id)
        _check_motivo(linea, campo, issues)


def check(
    documento: Resumen,
    hoy: dt.date,
    issues: IssueCollector,
    *,
    registro: Registro | None = None,
    presentado: Presentado | None = None,
    ose: bool = False,
) -> None:
    """Apply the sheet of ``documento``'s kind."""
    if isinstance(documento, ResumenDiario):
        check_resumen_diario(documento, hoy, issues, registro=registro, presentado=presentado)
    elif isinstance(documento, ComunicacionBaja):
        check_comunicacion_baja(documento, hoy, issues, registro=registro, presentado=presentado)
    else:
        check_resumen_reversiones(documento, hoy, issues, registro=registro, presentado=presentado, ose=ose)


def validate(
    documento: Resumen,
    hoy: dt.date,
    *,
    registro: Registro | None = None,
    presentado: Presentado | None = None,
    ose: bool = False,
) -> list[Issue]:
    """Raise :class:`~openpse.core.errors.ValidationFailed` with every ERROR; return the observations."""
    issues = IssueCollector()
    check(documento, hoy, issues, registro=registro, presentado=presentado, ose=ose)
    issues.raise_if_any()
    return issues.warnings


def error_codes(issues: Iterable[Issue]) -> list[str]:
    """The codes of ``issues``, in order (handy to compare with a CDR or a test)."""
    return [issue.cod for issue in issues]
