"""Boletas (and the notes that modify them) informed by Resumen diario (RC, ConditionCode 1).

An issuer may inform its boletas in a daily summary instead of sending each by sendBill
(``sunat.md`` §4.2, RS 114-2019/SUNAT). The boleta is built and signed as usual and
kept; the summary carries one line per document with its amounts and customer
(Resumen Diario1_1 rows 9–24), and the summary's answer is the boleta's answer.

SUNAT rejects a whole summary for the first wrong line, so every line is first checked
alone against the sheet (:func:`check_line`): a document that cannot be informed is
set apart instead of sinking the summary of a whole day.

What a line needs beyond the stored row is read back from the signed XML: the document
a note modifies (cac:BillingReference), whether the sale pays IVAP instead of IGV
(tributo 1016), and a boleta's percepción (AllowanceCharge 51–53 and the PaymentTerms
"Percepcion").
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from lxml import etree

from openpse.authorities.base import EmpresaContext, Prepared, RegistryLookup, SummaryTarget
from openpse.authorities.sunat import codes, resumenes
from openpse.authorities.sunat.anulacion import _registro
from openpse.authorities.sunat.resumenes.models import CATALOGO_22, TIPOS_RC
from openpse.authorities.sunat.ubl.ns import CAC, CBC
from openpse.core import xmlsafe
from openpse.core.errors import Code, Issue, ValidationFailed
from openpse.signing.xmldsig import SunatSignatureProfile

MAX_LINEAS = 500
"""Lines per Resumen diario: SUNAT's guide for the RC allows up to 500 per summary (several
summaries a day are allowed, each with its own correlative)."""
_NS = {"cac": CAC, "cbc": CBC}
_REGIMEN = {"51": "01", "52": "02", "53": "03"}
"""Catálogo 53 (the boleta's AllowanceCharge) to catálogo 22 (the RC line's régimen)."""


def by_summary(tipo: str, serie: str) -> bool:
    """Whether a document may be informed by Resumen diario: boletas and notes on boletas (B series)."""
    return tipo in TIPOS_RC and serie.startswith("B")


def _decimal(text: str | None) -> Decimal | None:
    try:
        return Decimal((text or "").strip()) if text and text.strip() else None
    except InvalidOperation:
        return None


def _reference(root: etree._Element) -> resumenes.DocumentoAfectado | None:
    reference = root.find("cac:BillingReference/cac:InvoiceDocumentReference", _NS)
    if reference is None:
        return None
    ident = (reference.findtext("cbc:ID", "", _NS) or "").strip()
    serie, _, numero = ident.rpartition("-")
    return resumenes.DocumentoAfectado(
        (reference.findtext("cbc:DocumentTypeCode", "", _NS) or "").strip(),
        serie,
        int(numero) if numero.isdigit() else numero,
    )


def _parse(xml: bytes) -> etree._Element:
    try:
        return xmlsafe.parse(xml)
    except (etree.XMLSyntaxError, xmlsafe.UnsafeXml) as exc:
        raise ValidationFailed(Issue(Code.CAMPO_INVALIDO, f"XML almacenado ilegible: {exc}")) from exc


def affected_boleta(tipo: str, xml: bytes) -> tuple[str, str, int] | None:
    """The electronic boleta (03, B series) a note modifies, as (tipo, serie, número)."""
    if tipo not in ("07", "08"):
        return None
    afectado = _reference(_parse(xml))
    if afectado is None or afectado.tipo != "03" or not afectado.serie.startswith("B"):
        return None
    return (afectado.tipo, afectado.serie, afectado.numero) if isinstance(afectado.numero, int) else None


def _linea(target: SummaryTarget) -> resumenes.LineaResumen:
    """The RC line (ConditionCode 1) of a stored boleta or note."""
    root = _parse(target.xml)
    afectado = _reference(root) if target.tipo in ("07", "08") else None
    ivap = any(
        (node.text or "").strip() == "1016"
        for node in root.findall("cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cac:TaxScheme/cbc:ID", _NS)
    )
    percepcion = None
    for charge in root.findall("cac:AllowanceCharge", _NS):
        codigo = (charge.findtext("cbc:AllowanceChargeReasonCode", "", _NS) or "").strip()
        if codigo not in _REGIMEN:
            continue
        base = _decimal(charge.findtext("cbc:BaseAmount", None, _NS))
        monto = _decimal(charge.findtext("cbc:Amount", None, _NS))
        tasa = CATALOGO_22[_REGIMEN[codigo]]
        total = _decimal(target.totales.get("total"))
        if base is not None and monto is not None and total is not None:
            percepcion = resumenes.Percepcion(_REGIMEN[codigo], tasa, base, monto, total + monto)
    return resumenes.linea_desde_comprobante(
        tipo=target.tipo,
        serie=target.serie,
        numero=target.numero,
        cliente={"tipo_documento": target.cliente_tipo, "numero_documento": target.cliente_numero},
        totales=target.totales,
        moneda=target.moneda,
        condicion=resumenes.Condicion.ADICIONAR,
        documento_afectado=afectado,
        percepcion=percepcion,
        ivap=ivap,
        otros_tributos=_decimal(target.totales.get("otros_tributos")) or Decimal(0),
    )


def _resumen(
    empresa: EmpresaContext,
    fecha: dt.date,
    today: dt.date,
    numero: int,
    lineas: tuple[resumenes.LineaResumen, ...],
) -> resumenes.ResumenDiario:
    emisor = resumenes.Emisor(empresa.identificacion, empresa.razon_social)
    return resumenes.ResumenDiario(emisor, fecha, today, numero, lineas)


def check_line(
    target: SummaryTarget, empresa: EmpresaContext, today: dt.date, registry: RegistryLookup
) -> list[Issue]:
    """The errors SUNAT would answer for ``target`` informed alone in a summary (none: it may go)."""
    try:
        linea = _linea(target)
        resumenes.validate(
            _resumen(empresa, target.fecha_emision, today, 1, (linea,)),
            today,
            registro=_registro(registry),
            ose=empresa.destino == "ose",
        )
    except ValidationFailed as exc:
        return list(exc.issues)
    except ValueError as exc:
        return [Issue(Code.CAMPO_INVALIDO, str(exc), "totales")]
    return []


def prepare_summary(
    targets: list[SummaryTarget],
    empresa: EmpresaContext,
    today: dt.date,
    numero: int,
    registry: RegistryLookup,
) -> Prepared:
    """Build and sign the Resumen diario that informs ``targets`` (one issue date, at most
    :data:`MAX_LINEAS`); ``numero`` is its correlative among the RC generated ``today``."""
    if empresa.certificate is None:
        raise ValidationFailed(Issue(Code.SIN_CERTIFICADO, "La empresa no tiene certificado digital cargado"))
    fechas = {target.fecha_emision for target in targets}
    if len(fechas) != 1:
        raise ValidationFailed(Issue("2375", codes.message("2375"), "fecha_emision"))
    if not 1 <= len(targets) <= MAX_LINEAS:
        raise ValidationFailed(
            Issue(Code.CAMPO_INVALIDO, f"Un resumen diario lleva de 1 a {MAX_LINEAS} líneas", "lineas")
        )
    documento = _resumen(empresa, fechas.pop(), today, numero, tuple(_linea(t) for t in targets))
    warnings = resumenes.validate(
        documento, today, registro=_registro(registry), ose=empresa.destino == "ose"
    )
    signed = resumenes.sign_summary(
        documento, empresa.certificate, SunatSignatureProfile.named(empresa.firma_algoritmo)
    )
    nombre = signed.nombre
    return Prepared(
        id=nombre.base,
        tipo="RC",
        serie=f"{nombre.fecha:%Y%m%d}",
        numero=nombre.correlativo,
        fecha_emision=today,
        moneda=targets[0].moneda,
        total="0.00",
        totales={},
        cliente_tipo=None,
        cliente_numero=None,
        xml_name=nombre.xml,
        xml=signed.xml,
        hash=signed.hash,
        envio_name=nombre.zip,
        envio=signed.zip,
        observaciones=[{"codigo": w.cod, "descripcion": w.mensaje, "campo": w.campo or ""} for w in warnings],
    )
