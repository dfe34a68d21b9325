"""UBL 2.0 SummaryDocuments (RC) and VoidedDocuments (RA, RR), written in canonical form.

Element order follows SUNAT's schemas ``UBLPE-SummaryDocuments-1.0.xsd``,
``UBLPE-VoidedDocuments-1.0.xsd`` and ``UBLPE-SunatAggregateComponents-1.0.xsd``
(SummaryDocumentsLineType: LineID, DocumentTypeCode, ID, AccountingCustomerParty,
BillingReference, SUNATPerceptionSummaryDocumentReference, Status, TotalAmount,
BillingPayment*, AllowanceCharge*, TaxTotal*); content follows ``sunat.md`` §4.7–§4.8,
SUNAT's "Guía ... Resumen diario de boletas" and the workbook sheets. Note ``cac:Status``,
not ``sac:Status``, and one ``cac:TaxTotal`` per tributo (2355).

The signature goes where it goes in UBL 2.1 (``sunat.md`` §5, SUNAT's signed RC and RA
samples): in the first ``ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent``, the
first child of the root. The documents are written directly in Canonical XML (see
``openpse.signing.canonical``), so :func:`openpse.signing.xmldsig.sign_canonical` signs
them without parsing. The builders write what they are given; :mod:`.rules` decides
whether SUNAT would accept it.
"""

from __future__ import annotations

import functools
from decimal import Decimal

from openpse.authorities.sunat.resumenes.models import (
    ComunicacionBaja,
    Emisor,
    LineaBaja,
    LineaResumen,
    Resumen,
    ResumenDiario,
    ResumenReversiones,
    SummaryName,
)
from openpse.authorities.sunat.ubl.ns import CAC, CBC, DS, EXT
from openpse.core.money import fmt2
from openpse.signing.canonical import CanonicalWriter, attributes
from openpse.signing.xmldsig import CanonicalDocument

SUMMARY_DOCUMENTS = "urn:sunat:names:specification:ubl:peru:schema:xsd:SummaryDocuments-1"
VOIDED_DOCUMENTS = "urn:sunat:names:specification:ubl:peru:schema:xsd:VoidedDocuments-1"
SAC = "urn:sunat:names:specification:ubl:peru:schema:xsd:SunatAggregateComponents-1"

UBL_VERSION = "2.0"
"""2074/2075: "no hay versión 2.1 para resumen" (SUNAT's RC sample)."""
CUSTOMIZATION = {"RC": "1.1", "RA": "1.0", "RR": "1.0"}
"""2072 of each sheet."""
SIGNATURE_URI = "#SignOpenPSE"
"""cac:Signature's reference to the ds:Signature; SUNAT requires it but does not match it
against the Id (``sunat.md`` §5)."""

# Tributos of a summary line (catálogo 05): code, name, international code.
_IGV = ("1000", "IGV", "VAT")
_IVAP = ("1016", "IVAP", "VAT")
_ISC = ("2000", "ISC", "EXC")
_OTROS = ("9999", "OTROS", "OTH")
_ICBPER = ("7152", "ICBPER", "OTH")


@functools.lru_cache(maxsize=64)
def _currency(moneda: str) -> str:
    return attributes({"currencyID": moneda})


_PEN = attributes({"currencyID": "PEN"})


def _namespaces(root_namespace: str) -> dict[str, str]:
    return {"": root_namespace, "cac": CAC, "cbc": CBC, "ds": DS, "ext": EXT, "sac": SAC}


def _head(w: CanonicalWriter, root: str, namespace: str, nombre: SummaryName, reference_date: str) -> int:
    """Root, signature slot, versions, ID and dates; returns the slot index."""
    w.root(root, _namespaces(namespace))
    w.start("ext:UBLExtensions")
    w.start("ext:UBLExtension")
    slot = w.empty("ext:ExtensionContent")
    w.end()
    w.end()
    w.leaf_safe("cbc:UBLVersionID", UBL_VERSION)
    w.leaf_safe("cbc:CustomizationID", CUSTOMIZATION[nombre.tipo.value])
    w.leaf("cbc:ID", nombre.id)
    w.leaf("cbc:ReferenceDate", reference_date)
    w.leaf("cbc:IssueDate", f"{nombre.fecha:%Y-%m-%d}")
    return slot


def _issuer(w: CanonicalWriter, emisor: Emisor) -> None:
    """cac:Signature (who signs) and cac:AccountingSupplierParty (RUC, tipo 6, razón social)."""
    w.start("cac:Signature")
    w.leaf("cbc:ID", f"SIGN{emisor.ruc}")
    w.start("cac:SignatoryParty")
    w.start("cac:PartyIdentification")
    w.leaf("cbc:ID", emisor.ruc)
    w.end()
    w.start("cac:PartyName")
    w.leaf("cbc:Name", emisor.razon_social)
    w.end()
    w.end()
    w.start("cac:DigitalSignatureAttachment")
    w.start("cac:ExternalReference")
    w.leaf_safe("cbc:URI", SIGNATURE_URI)
    w.end()
    w.end()
    w.end()
    w.start("cac:AccountingSupplierParty")
    w.leaf("cbc:CustomerAssignedAccountID", emisor.ruc)
    # RC row 07.1 (2218/2219), RA/RR row 7 (2287/2288): the issuer is identified by RUC.
    w.leaf_safe("cbc:AdditionalAccountID", "6")
    w.start("cac:Party")
    w.start("cac:PartyLegalEntity")
    w.leaf("cbc:RegistrationName", emisor.razon_social)
    w.end()
    w.end()
    w.end()


def _tax_total(w: CanonicalWriter, tributo: tuple[str, str, str], amount: Decimal, currency: str) -> None:
    # Row 21.1 (2344): the subtotal repeats the total, one tributo per cac:TaxTotal (2355).
    codigo, nombre, internacional = tributo
    text = fmt2(amount)
    w.start("cac:TaxTotal")
    w.leaf_safe("cbc:TaxAmount", text, currency)
    w.start("cac:TaxSubtotal")
    w.leaf_safe("cbc:TaxAmount", text, currency)
    w.start("cac:TaxCategory")
    w.start("cac:TaxScheme")
    w.leaf_safe("cbc:ID", codigo)
    w.leaf_safe("cbc:Name", nombre)
    w.leaf_safe("cbc:TaxTypeCode", internacional)
    w.end()
    w.end()
    w.end()
    w.end()


def _summary_line(w: CanonicalWriter, line_id: int, linea: LineaResumen) -> None:
    t = linea.totales
    currency = _currency(linea.moneda)
    w.start("sac:SummaryDocumentsLine")
    w.leaf_safe("cbc:LineID", str(line_id))
    w.leaf("cbc:DocumentTypeCode", linea.tipo)
    w.leaf("cbc:ID", linea.id)
    if linea.cliente is not None:
        w.start("cac:AccountingCustomerParty")
        w.leaf("cbc:CustomerAssignedAccountID", linea.cliente.numero_documento)
        w.leaf("cbc:AdditionalAccountID", linea.cliente.tipo_documento)
        w.end()
    if linea.documento_afectado is not None:
        w.start("cac:BillingReference")
        w.start("cac:InvoiceDocumentReference")
        w.leaf("cbc:ID", linea.documento_afectado.id)
        w.leaf("cbc:DocumentTypeCode", linea.documento_afectado.tipo)
        w.end()
        w.end()
    if linea.percepcion is not None:
        p = linea.percepcion
        # Row 12: the percepción travels in soles whatever the document's currency (2685/2690).
        w.start("sac:SUNATPerceptionSummaryDocumentReference")
        w.leaf("sac:SUNATPerceptionSystemCode", p.regimen)
        w.leaf_safe("sac:SUNATPerceptionPercent", fmt2(p.tasa))
        w.leaf_safe("cbc:TotalInvoiceAmount", fmt2(p.monto), _PEN)
        w.leaf_safe("sac:SUNATTotalCashed", fmt2(p.total_cobrado), _PEN)
        w.leaf_safe("cbc:TaxableAmount", fmt2(p.base), _PEN)
        w.end()
    w.start("cac:Status")
    w.leaf("cbc:ConditionCode", linea.condicion)
    w.end()
    w.leaf_safe("sac:TotalAmount", fmt2(t.total), currency)
    for codigo, monto in t.valores_venta():
        w.start("sac:BillingPayment")
        w.leaf_safe("cbc:PaidAmount", fmt2(monto), currency)
        w.leaf_safe("cbc:InstructionID", codigo)
        w.end()
    if t.otros_cargos:
        # Row 20 (2263): only charges; a zero amount would be an observation (2266).
        w.start("cac:AllowanceCharge")
        w.leaf_safe("cbc:ChargeIndicator", "true")
        w.leaf_safe("cbc:Amount", fmt2(t.otros_cargos), currency)
        w.end()
    # Row 21 (2278): every line carries the IGV or the IVAP, even at zero.
    if t.ivap:
        _tax_total(w, _IVAP, t.ivap, currency)
    else:
        _tax_total(w, _IGV, t.igv, currency)
    if t.isc:
        _tax_total(w, _ISC, t.isc, currency)
    if t.otros_tributos:
        _tax_total(w, _OTROS, t.otros_tributos, currency)
    if t.icbper:
        _tax_total(w, _ICBPER, t.icbper, currency)
    w.end()


def build_resumen_diario(resumen: ResumenDiario) -> CanonicalDocument:
    """The unsigned SummaryDocuments, with an empty ``ext:ExtensionContent`` for the signature."""
    w = CanonicalWriter()
    slot = _head(
        w, "SummaryDocuments", SUMMARY_DOCUMENTS, resumen.nombre, f"{resumen.fecha_emision:%Y-%m-%d}"
    )
    _issuer(w, resumen.emisor)
    for line_id, linea in enumerate(resumen.lineas, start=1):
        _summary_line(w, line_id, linea)
    w.end()
    before, after = w.split(slot)
    return CanonicalDocument(before=before, after=after, namespaces=_namespaces(SUMMARY_DOCUMENTS))


def _voided_line(w: CanonicalWriter, line_id: int, linea: LineaBaja) -> None:
    w.start("sac:VoidedDocumentsLine")
    w.leaf_safe("cbc:LineID", str(line_id))
    w.leaf("cbc:DocumentTypeCode", linea.tipo)
    w.leaf("sac:DocumentSerialID", linea.serie)
    w.leaf("sac:DocumentNumberID", str(linea.numero))
    w.leaf("sac:VoidReasonDescription", linea.motivo)
    w.end()


def build_voided(documento: ComunicacionBaja | ResumenReversiones) -> CanonicalDocument:
    """The unsigned VoidedDocuments of an RA or an RR (same schema, CustomizationID 1.0)."""
    w = CanonicalWriter()
    slot = _head(
        w, "VoidedDocuments", VOIDED_DOCUMENTS, documento.nombre, f"{documento.fecha_emision:%Y-%m-%d}"
    )
    _issuer(w, documento.emisor)
    for line_id, linea in enumerate(documento.lineas, start=1):
        _voided_line(w, line_id, linea)
    w.end()
    before, after = w.split(slot)
    return CanonicalDocument(before=before, after=after, namespaces=_namespaces(VOIDED_DOCUMENTS))


def build(documento: Resumen) -> CanonicalDocument:
    """The unsigned XML of any of the three summaries."""
    if isinstance(documento, ResumenDiario):
        return build_resumen_diario(documento)
    return build_voided(documento)
