"""Retención (20) and percepción (40) as the "otros CPE" billService receives them.

File names follow the General sheet and ``sunat.md`` §2.1 (``RRRRRRRRRRR-TT-SSSS-NNNNNNNN.zip``
with TT 20 or 40 on this service). The roots are the UBL 2.0 ``Retention`` and
``Perception`` of SUNAT's schemas ``UBLPE-Retention-1.0.xsd`` and
``UBLPE-Perception-1.0.xsd``; a root that is not the one of the type fails the schema
(0306). Row 4 of both sheets compares the serie and número of the file name with
``cbc:ID`` (1049); SUNAT's own retention sheet ``ValidaExprRegRetencion-1.0.3.xsl``
compares them as text, so ``R001-1`` in the name and ``R001-00000001`` in the XML differ.
Row 7/8 compares the issuer's RUC with the name (1034), after 1049 as in that XSL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from openpse.sandbox import _xml
from openpse.sandbox.sunat.document import NS as UBL_NS
from openpse.sandbox.sunat.errors import Finding, FindingError, SunatException
from openpse.sandbox.sunat.package import BillName

SAC = "urn:sunat:names:specification:ubl:peru:schema:xsd:SunatAggregateComponents-1"
NS = {**UBL_NS, "sac": SAC}
ROOTS = {
    "20": ("Retention", "urn:sunat:names:specification:ubl:peru:schema:xsd:Retention-1"),
    "40": ("Perception", "urn:sunat:names:specification:ubl:peru:schema:xsd:Perception-1"),
}
TYPES = tuple(ROOTS)
AGENT_ID = "cac:AgentParty/cac:PartyIdentification/cbc:ID"
RECEIVER_ID = "cac:ReceiverParty/cac:PartyIdentification/cbc:ID"

_ZIP_NAME = re.compile(
    r"(?P<ruc>[12]\d{10})-(?P<tipo>\d{2})-(?P<serie>[A-Z0-9]{4})-(?P<numero>\d{1,8})\.(?:zip|ZIP)"
)
_SUMMARY_NAME = re.compile(r"[12]\d{10}-(?:RC|RA|RR)-\d{8}-\d{1,5}\.(?:zip|ZIP)")


def text(element: etree._Element, path: str) -> str:
    """Stripped text at ``path`` (cbc/cac/ext/ds/sac prefixes), or "" when absent."""
    return (element.findtext(path, default="", namespaces=NS) or "").strip()


def parse_name(file_name: str) -> BillName:
    """The ``fileName`` of a sendBill to "otros CPE": a 20 or a 40, or 0151 (0152 for a summary)."""
    name = file_name.strip()
    match = _ZIP_NAME.fullmatch(name)
    if match is None or match["tipo"] not in TYPES:
        if _SUMMARY_NAME.fullmatch(name):
            raise SunatException("0152")
        detail = f"nombre recibido: {name!r}"
        if match is not None:
            detail += f" (el tipo {match['tipo']} no se recibe en el servicio de retenciones y percepciones)"
        raise SunatException("0151", detail)
    return BillName(match["ruc"], match["tipo"], match["serie"], match["numero"])


@dataclass(frozen=True)
class RetPerHeader:
    """What the CDR and the register need from a retention or perception matching its name."""

    root: etree._Element
    tipo: str
    document_id: str
    serie: str
    numero: int
    emisor_ruc: str
    issue_date: str
    issue_time: str
    receiver_scheme: str
    receiver_id: str

    @property
    def root_name(self) -> str:
        return _xml.local_name(self.root)


def read_header(root: etree._Element, name: BillName) -> RetPerHeader:
    """Check the document against its file name and return its header."""
    local, namespace = ROOTS[name.tipo]
    if _xml.local_name(root) != local or _xml.namespace(root) != namespace:
        raise SunatException(
            "0306", f"el elemento raíz debe ser {{{namespace}}}{local} para el tipo {name.tipo}"
        )
    document_id = text(root, "cbc:ID")
    serie, _, numero = document_id.partition("-")
    if document_id != f"{name.serie}-{name.numero}":
        raise FindingError(Finding("1049", f"{local}/cbc:ID", document_id))
    emisor_ruc = text(root, AGENT_ID)
    if emisor_ruc != name.ruc:
        raise FindingError(Finding("1034", f"{local}/{AGENT_ID}", emisor_ruc))
    receiver = root.find(RECEIVER_ID, namespaces=NS)
    return RetPerHeader(
        root=root,
        tipo=name.tipo,
        document_id=document_id,
        serie=serie,
        numero=int(numero),
        emisor_ruc=emisor_ruc,
        issue_date=text(root, "cbc:IssueDate"),
        issue_time=text(root, "cbc:IssueTime"),
        receiver_scheme="" if receiver is None else (receiver.get("schemeID") or "").strip(),
        receiver_id="" if receiver is None else (receiver.text or "").strip(),
    )
