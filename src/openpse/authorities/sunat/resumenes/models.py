"""Typed inputs of the Resumen diario (RC), the Comunicación de baja (RA) and the Resumen de reversiones (RR).

Sources: ``sunat.md`` §2.1 (file names), §4.7 (RC), §4.8 (RA, RR); the sheets
"Resumen Diario1_1", "Comunicación de Baja1_0" and "Resumen de reversiones1_0" of
SUNAT's validation workbook v2026-02-12; SUNAT's "Guía de elaboración de documentos
XML - Resumen diario de boletas"; catálogos 06, 11, 19 and 22 (Anexo 8). Field names
are the authority's concepts in Spanish; each docstring names the UBL element it feeds.

These are plain frozen dataclasses: the rules (:mod:`.rules`) check them with SUNAT's
codes and the builders (:mod:`.ubl`) write whatever they hold, so that a document SUNAT
would reject can still be built on purpose (tests, the sandbox).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, ClassVar, Literal, NamedTuple

from openpse.core.money import ZERO, round2


class TipoResumen(StrEnum):
    """The "TT" of a summary file name (General sheet, error 0151)."""

    RC = "RC"
    """Resumen diario de boletas y notas vinculadas (SummaryDocuments, customization 1.1)."""
    RA = "RA"
    """Comunicación de baja de facturas y notas vinculadas (VoidedDocuments 1.0)."""
    RR = "RR"
    """Resumen de reversiones de retenciones (20) y percepciones (40) (VoidedDocuments 1.0)."""


MAX_CORRELATIVO = 99999
"""General sheet, 0151: "'Número correlativo del archivo' espera un valor mínimo de 1 y máximo de 99999"."""

_SUMMARY_NAME = re.compile(
    r"^(?P<ruc>\d{11})-(?P<tipo>RC|RA|RR)-(?P<fecha>\d{8})-(?P<numero>\d{1,5})(?:\.(?:zip|xml|ZIP|XML))?$"
)


@dataclass(frozen=True)
class SummaryName:
    """``{RUC}-{RC|RA|RR}-{AAAAMMDD}-{n}``: the identity of a summary and of its files.

    ``fecha`` is the generation date (cbc:IssueDate, rule 2346) and ``correlativo`` the
    number of the summary of that type and day, 1 to 99999. The number is written
    without zeros on the left, as SUNAT's own samples do (``RC-20201022-33221``); the
    ``cbc:ID`` in the XML must be the same text (2220).
    """

    ruc: str
    tipo: TipoResumen
    fecha: dt.date
    correlativo: int

    @property
    def id(self) -> str:
        """cbc:ID: ``RC-20201022-1``."""
        return f"{self.tipo.value}-{self.fecha:%Y%m%d}-{self.correlativo}"

    @property
    def base(self) -> str:
        return f"{self.ruc}-{self.id}"

    @property
    def xml(self) -> str:
        return f"{self.base}.xml"

    @property
    def zip(self) -> str:
        return f"{self.base}.zip"

    @property
    def cdr_xml(self) -> str:
        """The entry of the CDR zip SUNAT returns (``R-{base}.xml``, ``sunat.md`` §2.2)."""
        return f"R-{self.base}.xml"

    @property
    def cdr_zip(self) -> str:
        return f"R-{self.base}.zip"

    @classmethod
    def parse(cls, text: str) -> SummaryName:
        """Read ``20123456789-RC-20201022-1`` (with or without ``.zip``/``.xml``)."""
        match = _SUMMARY_NAME.match(text.strip())
        if match is None:
            raise ValueError(f"nombre de resumen no válido: {text!r}")
        try:
            fecha = dt.datetime.strptime(match["fecha"], "%Y%m%d").date()
        except ValueError as exc:
            raise ValueError(f"fecha no válida en el nombre: {match['fecha']}") from exc
        return cls(match["ruc"], TipoResumen(match["tipo"]), fecha, int(match["numero"]))


class Condicion(StrEnum):
    """Código de operación del ítem, catálogo 19 (cac:Status/cbc:ConditionCode)."""

    ADICIONAR = "1"
    """Informa un comprobante nuevo."""
    MODIFICAR = "2"
    """Corrige los datos de un comprobante ya informado."""
    ANULAR = "3"
    """Anula un comprobante ya informado (la baja de boletas y sus notas)."""


CATALOGO_19 = frozenset(c.value for c in Condicion)

CATALOGO_11 = {
    "01": "Gravado",
    "02": "Exonerado",
    "03": "Inafecto",
    "04": "Exportación",
    "05": "Gratuitas",
}
"""Códigos de tipo de valor de venta (sac:BillingPayment/cbc:InstructionID), Parámetros 017."""

CATALOGO_22 = {
    "01": Decimal("2"),
    "02": Decimal("1"),
    "03": Decimal("0.5"),
}
"""Régimen de percepción → tasa en porcentaje (Parámetros 019; SUNAT's ``cat_22.xml``): 01 venta
interna 2 %, 02 adquisición de combustible 1 %, 03 al agente de percepción con tasa especial 0.5 %."""

TIPOS_RC = ("03", "07", "08")
"""Resumen Diario1_1 row 9.2 (2241): boletas and the notes that modify them."""
TIPOS_AFECTADOS_RC = ("03", "12", "16", "55")
"""Row 11.2 (2513): what a note informed in an RC may modify."""
TIPOS_RA = ("01", "07", "08", "30", "34", "42")
"""Comunicación de Baja1_0 row 10 (2308)."""
TIPOS_RR = ("20", "40", "04")
"""Resumen de reversiones1_0 row 10 (2308): retención, percepción and, outside SEE-OSE,
liquidación de compra."""


@dataclass(frozen=True)
class Emisor:
    """The issuer (cac:AccountingSupplierParty): RUC and razón social."""

    ruc: str
    """cbc:CustomerAssignedAccountID; must be the RUC of the file name (1034)."""
    razon_social: str
    """cac:Party/cac:PartyLegalEntity/cbc:RegistrationName, 3 to 100 characters (2228/2229)."""


@dataclass(frozen=True)
class Cliente:
    """Adquirente o usuario of one line (cac:AccountingCustomerParty).

    Required when the line's total exceeds 700 (2514) and when it carries a percepción.
    """

    tipo_documento: str
    """cbc:AdditionalAccountID: catálogo 06 (1 DNI, 6 RUC, 4, 7, 0, A–G) or ``-``."""
    numero_documento: str
    """cbc:CustomerAssignedAccountID: up to 20 characters."""


@dataclass(frozen=True)
class DocumentoAfectado:
    """The document a credit or debit note modifies (cac:BillingReference/cac:InvoiceDocumentReference)."""

    tipo: str
    """cbc:DocumentTypeCode: 03 boleta, 12 ticket, 16 boleto de transporte, 55 BVME."""
    serie: str
    numero: int | str
    """An integer for boletas; tickets and boletos carry alphanumeric numbers (2920)."""

    @property
    def id(self) -> str:
        """cbc:ID: ``B001-15``."""
        return f"{self.serie}-{self.numero}"


@dataclass(frozen=True)
class TotalesLinea:
    """Every amount SUNAT asks per line, in the currency of the document (rows 14–24).

    Only ``total`` is mandatory; zero amounts are left out of the XML, except the IGV
    (or IVAP) subtotal that every line must carry (2278).
    """

    total: Decimal
    """sac:TotalAmount: importe total de la venta, cesión en uso o del servicio prestado."""
    gravado: Decimal = ZERO
    """sac:BillingPayment 01: total valor de venta de operaciones gravadas (IGV or IVAP)."""
    exonerado: Decimal = ZERO
    """sac:BillingPayment 02: operaciones exoneradas."""
    inafecto: Decimal = ZERO
    """sac:BillingPayment 03: operaciones inafectas."""
    exportacion: Decimal = ZERO
    """sac:BillingPayment 04: operaciones de exportación."""
    gratuito: Decimal = ZERO
    """sac:BillingPayment 05: valor referencial de las operaciones gratuitas."""
    otros_cargos: Decimal = ZERO
    """cac:AllowanceCharge (ChargeIndicator true): sumatoria de otros cargos."""
    igv: Decimal = ZERO
    """cac:TaxTotal tributo 1000."""
    ivap: Decimal = ZERO
    """cac:TaxTotal tributo 1016, in place of the IGV for rice sales (IVAP)."""
    isc: Decimal = ZERO
    """cac:TaxTotal tributo 2000."""
    icbper: Decimal = ZERO
    """cac:TaxTotal tributo 7152 (impuesto a las bolsas plásticas)."""
    otros_tributos: Decimal = ZERO
    """cac:TaxTotal tributo 9999."""

    def valores_venta(self) -> list[tuple[str, Decimal]]:
        """The sac:BillingPayment entries (catálogo 11) the line carries, in code order.

        Zero amounts are left out; a line with no amount at all still carries the
        gravado entry, so that it has one (SUNAT's guide §8.6: "al menos un BillingPayment").
        """
        pairs = [
            ("01", self.gravado),
            ("02", self.exonerado),
            ("03", self.inafecto),
            ("04", self.exportacion),
            ("05", self.gratuito),
        ]
        present = [(code, amount) for code, amount in pairs if amount != ZERO]
        return present or [("01", self.gravado)]

    @property
    def suma_sunat(self) -> Decimal:
        """What row 14 (4027) adds up: values of sale, taxes and other charges (not free values)."""
        return (
            self.gravado
            + self.exonerado
            + self.inafecto
            + self.exportacion
            + self.igv
            + self.ivap
            + self.isc
            + self.icbper
            + self.otros_tributos
            + self.otros_cargos
        )


@dataclass(frozen=True)
class Percepcion:
    """Percepción of a boleta (sac:SUNATPerceptionSummaryDocumentReference); amounts in PEN (2685/2690)."""

    regimen: str
    """sac:SUNATPerceptionSystemCode, catálogo 22."""
    tasa: Decimal
    """sac:SUNATPerceptionPercent: the régimen's rate, in percent (2, 1 or 0.5; 2891)."""
    base: Decimal
    """cbc:TaxableAmount: base imponible de la percepción."""
    monto: Decimal
    """cbc:TotalInvoiceAmount: monto de la percepción = base × tasa (2608)."""
    total_cobrado: Decimal
    """sac:SUNATTotalCashed: importe total de la venta + percepción (2608)."""

    @classmethod
    def calcular(cls, regimen: str, base: Decimal, total_venta: Decimal) -> Percepcion:
        """The percepción of a sale in soles under ``regimen``, as row 12 recomputes it."""
        tasa = CATALOGO_22.get(regimen)
        if tasa is None:
            raise ValueError(f"régimen de percepción desconocido: {regimen!r} (catálogo 22: 01, 02, 03)")
        monto = round2(base * tasa / 100)
        return cls(regimen, tasa, round2(base), monto, round2(total_venta) + monto)


@dataclass(frozen=True)
class LineaResumen:
    """One sac:SummaryDocumentsLine: a boleta or a note on a boleta, and what to do with it."""

    tipo: str
    """cbc:DocumentTypeCode: 03 boleta, 07 nota de crédito, 08 nota de débito."""
    serie: str
    numero: int
    condicion: str
    """cac:Status/cbc:ConditionCode, catálogo 19 (:class:`Condicion`)."""
    moneda: str
    """currencyID of every amount of the line (2071), ISO 4217."""
    totales: TotalesLinea
    cliente: Cliente | None = None
    documento_afectado: DocumentoAfectado | None = None
    """Required for notes unless the line annuls them (2524/2583); forbidden for boletas (2582)."""
    percepcion: Percepcion | None = None
    """Only for boletas being added (2986)."""

    @property
    def id(self) -> str:
        """cbc:ID: ``B001-1``."""
        return f"{self.serie}-{self.numero}"


@dataclass(frozen=True)
class ResumenDiario:
    """A Resumen diario (RC): boletas and their notes issued on one day."""

    tipo: ClassVar[TipoResumen] = TipoResumen.RC
    emisor: Emisor
    fecha_emision: dt.date
    """cbc:ReferenceDate: the day every document of the summary was issued."""
    fecha_generacion: dt.date
    """cbc:IssueDate and the date in the file name: when the summary is generated (2346)."""
    correlativo: int
    lineas: tuple[LineaResumen, ...]

    @property
    def nombre(self) -> SummaryName:
        return SummaryName(self.emisor.ruc, self.tipo, self.fecha_generacion, self.correlativo)


@dataclass(frozen=True)
class LineaBaja:
    """One sac:VoidedDocumentsLine: a document to annul and why."""

    tipo: str
    """cbc:DocumentTypeCode: 01, 07, 08, 30, 34, 42 in an RA; 20, 40, 04 in an RR."""
    serie: str
    """sac:DocumentSerialID."""
    numero: int
    """sac:DocumentNumberID, up to 8 digits (2312)."""
    motivo: str
    """sac:VoidReasonDescription: at least 3 characters (4203), at most 100."""

    @property
    def id(self) -> str:
        return f"{self.serie}-{self.numero}"


@dataclass(frozen=True)
class _Voided:
    emisor: Emisor
    fecha_emision: dt.date
    """cbc:ReferenceDate: the issue date of the documents annulled (2375)."""
    fecha_generacion: dt.date
    """cbc:IssueDate and the date in the file name (2346)."""
    correlativo: int
    lineas: tuple[LineaBaja, ...]

    tipo: ClassVar[TipoResumen]

    @property
    def nombre(self) -> SummaryName:
        return SummaryName(self.emisor.ruc, self.tipo, self.fecha_generacion, self.correlativo)


@dataclass(frozen=True)
class ComunicacionBaja(_Voided):
    """A Comunicación de baja (RA): facturas and the notes that modify them, within 7 days (2957)."""

    tipo: ClassVar[TipoResumen] = TipoResumen.RA


@dataclass(frozen=True)
class ResumenReversiones(_Voided):
    """A Resumen de reversiones (RR): comprobantes de retención (20) and percepción (40), and
    liquidaciones de compra (04) outside SEE-OSE; sent to the "otros CPE" service."""

    tipo: ClassVar[TipoResumen] = TipoResumen.RR


Resumen = ResumenDiario | ComunicacionBaja | ResumenReversiones


# The registers SUNAT checks some rows against ("Comprobantes de pago electrónicos"):
# the caller answers them from its own database.

EstadoRegistro = Literal["aceptado", "rechazado", "anulado"]
"""SUNAT's listado states: 1 aceptado, 0 rechazado, 2 anulado (or revertido)."""


class ComprobanteRef(NamedTuple):
    """A comprobante of the issuer, as the registers are keyed."""

    tipo: str
    serie: str
    numero: int


@dataclass(frozen=True)
class Registrado:
    """What the register knows about a comprobante."""

    estado: EstadoRegistro
    fecha_emision: dt.date
    pagos_registrados: bool = False
    """A liquidación de compra with payments cannot be reverted (RR row 12, 2471)."""


Registro = Callable[[ComprobanteRef], Registrado | None]
"""Answers whether SUNAT holds a comprobante (None: never informed) and in what state."""
Presentado = Callable[[SummaryName], bool]
"""Answers whether a summary name was already presented and processed (2223, 2324)."""


# Building an RC line from what the document service stores about a boleta or note.

_TOTALES_KEYS = (
    "gravado",
    "exonerado",
    "inafecto",
    "exportacion",
    "gratuito",
    "igv",
    "isc",
    "icbper",
    "total",
)


def _decimal(value: Any, name: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"totales.{name} no es un importe: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"totales.{name} no es un importe: {value!r}")
    return amount


def _cliente(value: Cliente | Mapping[str, Any] | None) -> Cliente | None:
    if value is None or isinstance(value, Cliente):
        return value
    tipo = str(value.get("tipo_documento") or "").strip()
    numero = str(value.get("numero_documento") or "").strip()
    if not tipo and not numero:
        return None
    return Cliente(tipo, numero)


def _afectado(value: DocumentoAfectado | Mapping[str, Any] | None) -> DocumentoAfectado | None:
    if value is None or isinstance(value, DocumentoAfectado):
        return value
    numero = value.get("numero")
    return DocumentoAfectado(
        str(value.get("tipo") or ""),
        str(value.get("serie") or ""),
        numero if isinstance(numero, int) else str(numero or ""),
    )


def linea_desde_comprobante(
    *,
    tipo: str,
    serie: str,
    numero: int,
    cliente: Cliente | Mapping[str, Any] | None,
    totales: Mapping[str, Any],
    moneda: str,
    condicion: Condicion | str = Condicion.ADICIONAR,
    documento_afectado: DocumentoAfectado | Mapping[str, Any] | None = None,
    percepcion: Percepcion | None = None,
    ivap: bool = False,
    otros_tributos: Decimal = ZERO,
) -> LineaResumen:
    """The RC line of a stored boleta or note.

    ``totales`` is the dict of ``DocumentTotals.as_api()`` (``gravado``, ``exonerado``,
    ``inafecto``, ``exportacion``, ``gratuito``, ``igv``, ``isc``, ``icbper``,
    ``cargos``, ``total``; strings or decimals). There the ``igv`` key carries the IVAP
    of an IVAP document: say so with ``ivap=True``. ``cargos`` (charges outside the IGV
    base) is the line's "otros cargos"; discounts have no place in an RC line, the total
    already nets them. ``cliente`` and ``documento_afectado`` may be the stored dicts
    (``tipo_documento``/``numero_documento``; ``tipo``/``serie``/``numero``).
    """
    missing = [key for key in _TOTALES_KEYS if key not in totales]
    if missing:
        raise ValueError(f"faltan totales: {', '.join(missing)}")
    amounts = {key: _decimal(totales[key], key) for key in _TOTALES_KEYS}
    impuesto = amounts.pop("igv")
    linea_totales = TotalesLinea(
        total=amounts["total"],
        gravado=amounts["gravado"],
        exonerado=amounts["exonerado"],
        inafecto=amounts["inafecto"],
        exportacion=amounts["exportacion"],
        gratuito=amounts["gratuito"],
        otros_cargos=_decimal(totales.get("cargos", ZERO), "cargos"),
        igv=ZERO if ivap else impuesto,
        ivap=impuesto if ivap else ZERO,
        isc=amounts["isc"],
        icbper=amounts["icbper"],
        otros_tributos=otros_tributos,
    )
    return LineaResumen(
        tipo=tipo,
        serie=serie,
        numero=numero,
        condicion=str(condicion),
        moneda=moneda,
        totales=linea_totales,
        cliente=_cliente(cliente),
        documento_afectado=_afectado(documento_afectado),
        percepcion=percepcion,
    )
