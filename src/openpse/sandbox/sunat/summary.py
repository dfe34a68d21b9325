"""Resumen diario (RC) and Comunicación de baja (RA): what the zip holds and the sheets' rules.

Sources: ``sunat.md`` §4.7 and §4.8 (roots, namespaces, UBL 2.0 with customization 1.1
for RC and 1.0 for RA) and the sheets "Resumen Diario1_1" and "Comunicación de
Baja1_0" of SUNAT's validation workbook v2026-02-12. As in :mod:`rules`, the rows run
in the sheet's order, the first ERROR stops the document and observations accumulate
until then. Line rows run line by line.

Implemented rows, Resumen diario (all ERROR unless noted):

- 01 UBLVersionID missing 2075, not "2.0" 2074; 02 CustomizationID not "1.1" 2072;
- 03 cbc:ID different from the file name 2220 (2223 "ya presentado" is answered by
  sendSummary itself, see :mod:`summary_service`);
- 04 IssueDate different from the date in the name 2346, later than today 2236;
- 05 ReferenceDate later than IssueDate 2671; more than 7 days before reception 4443
  (OBSERV);
- 06 Firma sheet (signature structure and 2335);
- 07.1 RUC 1034 (answered as an exception before the ticket), AdditionalAccountID
  missing 2219, not 6 2218; 07.2 RegistrationName missing 2229, badly formed 2228;
- 08 LineID not n..5 2238, below 1 2239, repeated 2752;
- 9.1 line cbc:ID missing 2512, not a boleta/note number 2513, unknown document with
  ConditionCode 2 or 3 2663;
- 9.2 DocumentTypeCode missing 2242, not 03/07/08 2241; document already informed and
  rejected or annulled 2987; already informed and ConditionCode 1 2282; annulment
  (ConditionCode 3) more than 7 days after issue 2957; same document and ConditionCode
  twice 3094; added and modified in one summary 3095; modified and annulled 3096;
- 13 ConditionCode missing 2522, not in catálogo 19 2896;
- 14 TotalAmount not a non-negative n(12,2) 2251.

Implemented rows, Comunicación de baja (all ERROR unless noted):

- 1 UBLVersionID missing 2075, not "2.0" 2074; 2 CustomizationID not "1.0" 2072;
- 3 cbc:ID different from the file name 2220 (2324 "ya presentado": sendSummary);
- 4 IssueDate different from the date in the name 2346, later than reception 2301;
- 5 ReferenceDate later than IssueDate 2671; 6 Firma sheet;
- 7 RUC 1034 (exception, as for RC), AdditionalAccountID missing 2288, not 6 2287;
  8 RegistrationName missing 2229, badly formed 2228;
- 9 LineID empty 2307, not n..5 2305, below 1 2306, repeated 2752;
- 10 DocumentTypeCode empty 2309, not 01/07/08/30/34/42 2308;
- 11 DocumentSerialID empty 2311, not the series pattern of its type 2310;
- 12 DocumentNumberID empty 2313, not n..8 2312, repeated 2348; not registered 2105;
  registered as rejected 2398; already annulled 2323; more than 7 days after issue
  2957; issue date different from ReferenceDate 2375;
- 13 VoidReasonDescription empty 2315, shorter than 3 characters 4203 (OBSERV).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from lxml import etree

from openpse.sandbox import _xml
from openpse.sandbox.sunat import codes, signature
from openpse.sandbox.sunat.document import NS as UBL_NS
from openpse.sandbox.sunat.errors import Finding, FindingError, SunatException
from openpse.sandbox.sunat.package import SummaryName
from openpse.sandbox.sunat.store import DocumentKey, RegisteredDocument

SAC = "urn:sunat:names:specification:ubl:peru:schema:xsd:SunatAggregateComponents-1"
ROOTS = {
    "RC": ("SummaryDocuments", "urn:sunat:names:specification:ubl:peru:schema:xsd:SummaryDocuments-1"),
    "RA": ("VoidedDocuments", "urn:sunat:names:specification:ubl:peru:schema:xsd:VoidedDocuments-1"),
}
# The words of the CDR description (``sunat.md`` §3.1).
DESCRIPTIONS = {
    "RC": "El Resumen diario {}, ha sido aceptado",
    "RA": "La Comunicacion de baja {}, ha sido aceptada",
}
_NS = {**UBL_NS, "sac": SAC}
_EMISOR_RUC = "cac:AccountingSupplierParty/cbc:CustomerAssignedAccountID"
_EMISOR_TYPE = "cac:AccountingSupplierParty/cbc:AdditionalAccountID"
_EMISOR_NAME = "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName"
_SUMMARY_ID = re.compile(r"(RC|RA)-(\d{8})-(\d{1,5})")
_LINE_ID = re.compile(r"\d{1,5}")
_BOLETA_ID = re.compile(r"(?:B[A-Z0-9]{3}-(?!0+$)\d{1,8}|\d{1,4}-\d{1,8})")
_AMOUNT = re.compile(r"\d{1,12}(?:\.\d{1,2})?")
_NUMERO = re.compile(r"\d{1,8}")
_RA_SERIES = {
    "01": re.compile(r"F[A-Z0-9]{3}|\d{1,4}"),
    "07": re.compile(r"F[A-Z0-9]{3}|\d{1,4}"),
    "08": re.compile(r"F[A-Z0-9]{3}|\d{1,4}"),
    "30": re.compile(r"F[A-Z0-9]{3}"),
    "34": re.compile(r"F[A-Z0-9]{3}"),
    "42": re.compile(r"F[A-Z0-9]{3}"),
}
_FORBIDDEN_WHITESPACE = re.compile(r"[^\S ]")
# Sheets: annulments and bajas within 7 days of issue (2957); RC informed within 7 days (4443).
_TERM = dt.timedelta(days=7)

Lookup = Callable[[DocumentKey], RegisteredDocument | None]
Rules = Iterator[Finding]


def _text(element: etree._Element, path: str) -> str:
    return (element.findtext(path, default="", namespaces=_NS) or "").strip()


def _children(element: etree._Element) -> dict[str, etree._Element]:
    """The child elements by qualified tag: one pass instead of a path search per field."""
    return {child.tag: child for child in element if isinstance(child.tag, str)}


def _value(children: dict[str, etree._Element], tag: str) -> str:
    element = children.get(tag)
    return "" if element is None else (element.text or "").strip()


_CBC_LINE_ID = f"{{{UBL_NS['cbc']}}}LineID"
_CBC_TYPE = f"{{{UBL_NS['cbc']}}}DocumentTypeCode"
_CBC_ID = f"{{{UBL_NS['cbc']}}}ID"
_CAC_STATUS = f"{{{UBL_NS['cac']}}}Status"
_CBC_CONDITION = f"{{{UBL_NS['cbc']}}}ConditionCode"
_SAC_TOTAL = f"{{{SAC}}}TotalAmount"
_SAC_SERIE = f"{{{SAC}}}DocumentSerialID"
_SAC_NUMERO = f"{{{SAC}}}DocumentNumberID"
_SAC_REASON = f"{{{SAC}}}VoidReasonDescription"


@dataclass(frozen=True)
class SummaryDocumentsLine:
    """One line of a Resumen diario: a boleta or note and what to do with it (ConditionCode)."""

    line_id: str
    tipo: str
    document_id: str
    has_id: bool
    condition: str
    total: str

    def key(self, ruc: str) -> DocumentKey | None:
        serie, _, numero = self.document_id.partition("-")
        return (ruc, self.tipo, serie, int(numero)) if numero.isdigit() else None


@dataclass(frozen=True)
class VoidedDocumentsLine:
    """One line of a Comunicación de baja: the document to annul and why."""

    line_id: str
    tipo: str
    serie: str
    numero: str
    reason: str

    def key(self, ruc: str) -> DocumentKey | None:
        return (ruc, self.tipo, self.serie, int(self.numero)) if self.numero.isdigit() else None


def _summary_lines(root: etree._Element) -> tuple[SummaryDocumentsLine, ...]:
    lines = []
    for line in root.iterfind("sac:SummaryDocumentsLine", namespaces=_NS):
        children = _children(line)
        status = children.get(_CAC_STATUS)
        lines.append(
            SummaryDocumentsLine(
                line_id=_value(children, _CBC_LINE_ID),
                tipo=_value(children, _CBC_TYPE),
                document_id=_value(children, _CBC_ID),
                has_id=_CBC_ID in children,
                condition="" if status is None else _value(_children(status), _CBC_CONDITION),
                total=_value(children, _SAC_TOTAL),
            )
        )
    return tuple(lines)


def _voided_lines(root: etree._Element) -> tuple[VoidedDocumentsLine, ...]:
    lines = []
    for line in root.iterfind("sac:VoidedDocumentsLine", namespaces=_NS):
        children = _children(line)
        lines.append(
            VoidedDocumentsLine(
                line_id=_value(children, _CBC_LINE_ID),
                tipo=_value(children, _CBC_TYPE),
                serie=_value(children, _SAC_SERIE),
                numero=_value(children, _SAC_NUMERO),
                reason=_value(children, _SAC_REASON),
            )
        )
    return tuple(lines)


@dataclass(frozen=True)
class SummaryHeader:
    """A summary whose root and RUC match its file name, with its lines read once."""

    root: etree._Element
    xml: bytes
    name: SummaryName
    document_id: str
    issue_date: str
    reference_date: str
    emisor_ruc: str
    summary_lines: tuple[SummaryDocumentsLine, ...]
    voided_lines: tuple[VoidedDocumentsLine, ...]

    @property
    def root_name(self) -> str:
        return _xml.local_name(self.root)


def read_header(root: etree._Element, xml: bytes, name: SummaryName) -> SummaryHeader:
    """Check the root (0306) and the RUC (1034) of a summary against its file name."""
    local, namespace = ROOTS[name.tipo]
    if _xml.local_name(root) != local or _xml.namespace(root) != namespace:
        raise SunatException("0306", f"el elemento raíz debe ser {{{namespace}}}{local} para {name.tipo}")
    emisor_ruc = _text(root, _EMISOR_RUC)
    if emisor_ruc != name.ruc:
        raise FindingError(Finding("1034", f"{local}/{_EMISOR_RUC}", emisor_ruc))
    return SummaryHeader(
        root=root,
        xml=xml,
        name=name,
        document_id=_text(root, "cbc:ID"),
        issue_date=_text(root, "cbc:IssueDate"),
        reference_date=_text(root, "cbc:ReferenceDate"),
        emisor_ruc=emisor_ruc,
        summary_lines=_summary_lines(root) if name.tipo == "RC" else (),
        voided_lines=_voided_lines(root) if name.tipo == "RA" else (),
    )


def _reference_date(header: SummaryHeader) -> dt.date:
    """cbc:ReferenceDate, a mandatory xsd:date: missing or malformed fails SUNAT's schema check (0306)."""
    try:
        return dt.date.fromisoformat(header.reference_date)
    except ValueError as exc:
        raise SunatException(
            "0306", f"cbc:ReferenceDate no es una fecha válida: {header.reference_date!r}"
        ) from exc


def _versions(header: SummaryHeader, customization: str) -> Rules:
    name = header.root_name
    ubl_version = _text(header.root, "cbc:UBLVersionID")
    if not ubl_version:
        yield Finding("2075", f"{name}/cbc:UBLVersionID")
    elif ubl_version != "2.0":
        yield Finding("2074", f"{name}/cbc:UBLVersionID", ubl_version)
    customization_id = _text(header.root, "cbc:CustomizationID")
    if customization_id != customization:
        yield Finding("2072", f"{name}/cbc:CustomizationID", customization_id)


def _identity(header: SummaryHeader, future_code: str, today: dt.date) -> Rules:
    """cbc:ID (2220), IssueDate against the name (2346) and reception (2236/2301), ReferenceDate (2671)."""
    name = header.name
    match = _SUMMARY_ID.fullmatch(header.document_id)
    if (
        match is None
        or match[1] != name.tipo
        or match[2] != f"{name.fecha:%Y%m%d}"
        or int(match[3]) != name.numero
    ):
        yield Finding("2220", f"{header.root_name}/cbc:ID", header.document_id)
    if header.issue_date != f"{name.fecha:%Y-%m-%d}":
        yield Finding("2346", f"{header.root_name}/cbc:IssueDate", header.issue_date)
    if name.fecha > today:
        yield Finding(future_code, f"{header.root_name}/cbc:IssueDate", header.issue_date)
    if _reference_date(header) > name.fecha:
        yield Finding("2671", f"{header.root_name}/cbc:ReferenceDate", header.reference_date)


def _firma(header: SummaryHeader) -> Rules:
    try:
        signature.verify(header.xml, header.root)
    except FindingError as exc:
        yield exc.finding


def _supplier(header: SummaryHeader, missing_code: str, wrong_code: str) -> Rules:
    root = header.root
    kind = _text(root, _EMISOR_TYPE)
    if not kind:
        yield Finding(missing_code, _EMISOR_TYPE)
    elif kind != "6":
        yield Finding(wrong_code, _EMISOR_TYPE, kind)
    element = root.find(_EMISOR_NAME, namespaces=_NS)
    registration = "" if element is None else (element.text or "")
    if not registration.strip():
        yield Finding("2229", _EMISOR_NAME)
    elif not 3 <= len(registration) <= 100 or _FORBIDDEN_WHITESPACE.search(registration):
        yield Finding("2228", _EMISOR_NAME, registration[:100])


def _line_number(line_id: str, seen: Counter[str], format_code: str, zero_code: str, node: str) -> Rules:
    if not _LINE_ID.fullmatch(line_id):
        yield Finding(format_code, node, line_id)
    elif int(line_id) < 1:
        yield Finding(zero_code, node, line_id)
    elif seen[line_id] > 1:
        yield Finding("2752", node, line_id)


# Resumen diario ------------------------------------------------------------------------


@dataclass(frozen=True)
class _SummaryIndex:
    """Counts over all the lines of a summary, built once so each line is checked in constant time."""

    line_ids: Counter[str]
    occurrences: Counter[tuple[str, str, str]]
    conditions: dict[tuple[str, str], set[str]]

    @classmethod
    def of(cls, lines: tuple[SummaryDocumentsLine, ...]) -> _SummaryIndex:
        conditions: dict[tuple[str, str], set[str]] = {}
        for line in lines:
            conditions.setdefault((line.tipo, line.document_id), set()).add(line.condition)
        return cls(
            line_ids=Counter(line.line_id for line in lines),
            occurrences=Counter((line.tipo, line.document_id, line.condition) for line in lines),
            conditions=conditions,
        )


def _summary_line(
    line: SummaryDocumentsLine,
    header: SummaryHeader,
    index: _SummaryIndex,
    lookup: Lookup,
    today: dt.date,
    reference: dt.date,
) -> Rules:
    node = "sac:SummaryDocumentsLine"
    yield from _line_number(line.line_id, index.line_ids, "2238", "2239", f"{node}/cbc:LineID")

    if not line.has_id:
        yield Finding("2512", f"{node}/cbc:ID")
    elif line.tipo in ("03", "07", "08") and not _BOLETA_ID.fullmatch(line.document_id):
        yield Finding("2513", f"{node}/cbc:ID", line.document_id)
    key = line.key(header.emisor_ruc)
    registered = None if key is None else lookup(key)
    if registered is None and line.condition in ("2", "3"):
        yield Finding("2663", f"{node}/cbc:ID", line.document_id)

    type_node = f"{node}/cbc:DocumentTypeCode"
    if not line.tipo:
        yield Finding("2242", type_node)
    elif line.tipo not in ("03", "07", "08"):
        yield Finding("2241", type_node, line.tipo)
    if registered is not None and registered.estado in ("rechazado", "anulado"):
        yield Finding("2987", type_node, line.document_id)
    if registered is not None and line.condition == "1":
        yield Finding("2282", type_node, line.document_id)
    if line.condition == "3" and not line.document_id[:1].isdigit() and today - reference > _TERM:
        yield Finding("2957", type_node, line.document_id)
    conditions = index.conditions[(line.tipo, line.document_id)]
    if index.occurrences[(line.tipo, line.document_id, line.condition)] > 1:
        yield Finding("3094", type_node, line.document_id)
    if {"1", "2"} <= conditions:
        yield Finding("3095", type_node, line.document_id)
    if {"2", "3"} <= conditions:
        yield Finding("3096", type_node, line.document_id)

    condition_node = f"{node}/cac:Status/cbc:ConditionCode"
    if not line.condition:
        yield Finding("2522", condition_node)
    elif line.condition not in ("1", "2", "3"):
        yield Finding("2896", condition_node, line.condition)

    if not _AMOUNT.fullmatch(line.total):
        yield Finding("2251", f"{node}/sac:TotalAmount", line.total)


def _resumen_diario(header: SummaryHeader, lookup: Lookup, today: dt.date) -> Rules:
    yield from _versions(header, "1.1")
    yield from _identity(header, "2236", today)
    reference = _reference_date(header)
    if today - reference > _TERM:
        yield Finding("4443", f"{header.root_name}/cbc:ReferenceDate", f"{reference:%Y-%m-%d}")
    yield from _firma(header)
    yield from _supplier(header, "2219", "2218")
    index = _SummaryIndex.of(header.summary_lines)
    for line in header.summary_lines:
        yield from _summary_line(line, header, index, lookup, today, reference)


# Comunicación de baja ------------------------------------------------------------------


def _in_listado(line: VoidedDocumentsLine) -> bool:
    """Whether the sheet checks this line against the register (rows 12: 2105, 2375)."""
    if line.tipo in ("01", "07", "08"):
        return line.serie[:1] == "F" or line.serie[:1].isdigit()
    return line.serie[:1] == "F"


def _voided_line(
    line: VoidedDocumentsLine,
    header: SummaryHeader,
    line_ids: Counter[str],
    documents: Counter[tuple[str, str, str]],
    lookup: Lookup,
    today: dt.date,
) -> Rules:
    node = "sac:VoidedDocumentsLine"
    if not line.line_id:
        yield Finding("2307", f"{node}/cbc:LineID")
    else:
        yield from _line_number(line.line_id, line_ids, "2305", "2306", f"{node}/cbc:LineID")

    if not line.tipo:
        yield Finding("2309", f"{node}/cbc:DocumentTypeCode")
    elif line.tipo not in _RA_SERIES:
        yield Finding("2308", f"{node}/cbc:DocumentTypeCode", line.tipo)

    series = _RA_SERIES.get(line.tipo)
    if not line.serie:
        yield Finding("2311", f"{node}/sac:DocumentSerialID")
    elif series is not None and not series.fullmatch(line.serie):
        yield Finding("2310", f"{node}/sac:DocumentSerialID", line.serie)

    number_node = f"{node}/sac:DocumentNumberID"
    if not line.numero:
        yield Finding("2313", number_node)
    elif not _NUMERO.fullmatch(line.numero):
        yield Finding("2312", number_node, line.numero)
    if documents[(line.tipo, line.serie, line.numero)] > 1:
        yield Finding("2348", number_node, line.numero)
    key = line.key(header.emisor_ruc)
    registered = None if key is None else lookup(key)
    document_id = f"{line.serie}-{line.numero}"
    if registered is None and _in_listado(line):
        yield Finding("2105", number_node, document_id)
    if registered is not None and registered.estado == "rechazado":
        yield Finding("2398", number_node, document_id)
    if registered is not None and registered.estado == "anulado":
        yield Finding("2323", number_node, document_id)
    if registered is not None:
        issued = dt.date.fromisoformat(registered.issue_date)
        if not line.serie[:1].isdigit() and today - issued > _TERM:
            yield Finding("2957", number_node, document_id)
        if _in_listado(line) and registered.issue_date != header.reference_date:
            yield Finding("2375", number_node, document_id)

    reason_node = f"{node}/sac:VoidReasonDescription"
    if not line.reason:
        yield Finding("2315", reason_node)
    elif len(line.reason) < 3:
        yield Finding("4203", reason_node, line.reason)


def _comunicacion_de_baja(header: SummaryHeader, lookup: Lookup, today: dt.date) -> Rules:
    yield from _versions(header, "1.0")
    yield from _identity(header, "2301", today)
    yield from _firma(header)
    yield from _supplier(header, "2288", "2287")
    lines = header.voided_lines
    line_ids = Counter(line.line_id for line in lines)
    documents = Counter((line.tipo, line.serie, line.numero) for line in lines)
    for line in lines:
        yield from _voided_line(line, header, line_ids, documents, lookup, today)


def evaluate(header: SummaryHeader, lookup: Lookup, today: dt.date) -> tuple[Finding | None, list[Finding]]:
    """Run the sheet of the summary: the stopping finding (if any) and the observations before it."""
    rules = _resumen_diario if header.name.tipo == "RC" else _comunicacion_de_baja
    observations: list[Finding] = []
    for finding in rules(header, lookup, today):
        if not codes.is_observation(finding.code):
            return finding, observations
        observations.append(finding)
    return None, observations


@dataclass(frozen=True)
class Effect:
    """What an accepted summary does to one document of the register."""

    key: DocumentKey
    document_id: str
    action: Literal["informar", "anular"]


def effects(header: SummaryHeader) -> list[Effect]:
    """The register changes of an accepted summary, in line order.

    Resumen diario: ConditionCode 1 informs a boleta or note (it becomes accepted), 3
    annuls it, 2 modifies amounts the register does not keep. Comunicación de baja:
    every line annuls its document.
    """
    ruc = header.emisor_ruc
    if header.name.tipo == "RC":
        actions: dict[str, Literal["informar", "anular"]] = {"1": "informar", "3": "anular"}
        return [
            Effect(key, line.document_id, actions[line.condition])
            for line in header.summary_lines
            if line.condition in actions and (key := line.key(ruc)) is not None
        ]
    return [
        Effect(key, f"{line.serie}-{line.numero}", "anular")
        for line in header.voided_lines
        if (key := line.key(ruc)) is not None
    ]
