"""The guía de remisión electrónica (DespatchAdvice) sent to the GRE platform.

Follows ``sunat.md`` §4.9 and §6 and the first checks of SUNAT's GRE validation XSL
(``ValidaExprRegGuiaRemitente-2.0.1.xsl``), in its order:

- UBLVersionID missing 2111, not "2.1" 2110;
- CustomizationID missing 2113, not "2.0" 2112 (the XSL copy still says 1.0; SUNAT
  requires 2.0 since the December 2022 platform, thegreenter/greenter#205);
- cbc:ID not ``T###-n`` for a guía remitente (09) or ``V###-n`` for a guía
  transportista (31): 1001;
- RUC (1034), serie (1035) and número (1036) of the file name against the XML. The
  RUC is read from ``DespatchSupplierParty/Party/PartyIdentification/ID`` (GRE 2022,
  greenter's despatch2022 template) or, failing that, from the older
  ``DespatchSupplierParty/CustomerAssignedAccountID`` the XSL reads.

A root other than ``DespatchAdvice`` fails the schema: 0306.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from openpse.sandbox import _xml
from openpse.sandbox.sunat.document import NS, text
from openpse.sandbox.sunat.errors import Finding, SunatException
from openpse.sandbox.sunat.package import BillName

ROOT = ("DespatchAdvice", "urn:oasis:names:specification:ubl:schema:xsd:DespatchAdvice-2")
_ID_FORMATS = {"09": re.compile(r"T[A-Z0-9]{3}-\d{1,8}"), "31": re.compile(r"V[A-Z0-9]{3}-\d{1,8}")}
_SUPPLIER_IDS = (
    "cac:DespatchSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID",
    "cac:DespatchSupplierParty/cbc:CustomerAssignedAccountID",
)
_CUSTOMER_ID = "cac:DeliveryCustomerParty/cac:Party/cac:PartyIdentification/cbc:ID"


@dataclass(frozen=True)
class DespatchHeader:
    """What the GRE platform reads from a guía before judging it."""

    root: etree._Element
    document_id: str
    issue_date: str
    emisor_ruc: str
    supplier_path: str
    customer_scheme: str
    customer_id: str


def read_header(root: etree._Element) -> DespatchHeader:
    local, namespace = ROOT
    if _xml.local_name(root) != local or _xml.namespace(root) != namespace:
        raise SunatException("0306", f"el elemento raíz debe ser {{{namespace}}}{local}")
    supplier_path = next((path for path in _SUPPLIER_IDS if text(root, path)), _SUPPLIER_IDS[0])
    customer = root.find(_CUSTOMER_ID, namespaces=NS)
    return DespatchHeader(
        root=root,
        document_id=text(root, "cbc:ID"),
        issue_date=text(root, "cbc:IssueDate"),
        emisor_ruc=text(root, supplier_path),
        supplier_path=supplier_path,
        customer_scheme="" if customer is None else (customer.get("schemeID") or "").strip(),
        customer_id="" if customer is None else (customer.text or "").strip(),
    )


def evaluate(header: DespatchHeader, name: BillName) -> Finding | None:
    """The first failed check of the XSL's opening rows, or None."""
    root = header.root
    ubl_version = text(root, "cbc:UBLVersionID")
    if not ubl_version:
        return Finding("2111", "DespatchAdvice/cbc:UBLVersionID")
    if ubl_version != "2.1":
        return Finding("2110", "DespatchAdvice/cbc:UBLVersionID", ubl_version)
    customization = text(root, "cbc:CustomizationID")
    if not customization:
        return Finding("2113", "DespatchAdvice/cbc:CustomizationID")
    if customization != "2.0":
        return Finding("2112", "DespatchAdvice/cbc:CustomizationID", customization)
    if not _ID_FORMATS[name.tipo].fullmatch(header.document_id):
        return Finding("1001", "DespatchAdvice/cbc:ID", header.document_id)
    if header.emisor_ruc != name.ruc:
        return Finding("1034", f"DespatchAdvice/{header.supplier_path}", header.emisor_ruc)
    serie, _, numero = header.document_id.partition("-")
    if serie != name.serie:
        return Finding("1035", "DespatchAdvice/cbc:ID", header.document_id)
    if int(numero) != int(name.numero):
        return Finding("1036", "DespatchAdvice/cbc:ID", header.document_id)
    return None
