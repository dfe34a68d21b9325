"""The UBL 2.1 comprobante inside the zip: which document it is and whether it matches its name.

Follows ``sunat.md`` §4.1–§4.3 (roots and namespaces per document type) and rows 3, 6
and 10 of the Factura2_0 / Boleta2_0 / NotaCredito2_0 / NotaDebito2_0 sheets: RUC
(1034), serie (1035) and número (1036) of the file name against the XML, then
``cbc:InvoiceTypeCode`` (1004 missing, 1003 different). Números compare as integers,
so ``F001-1`` and ``F001-00000001`` are the same document. A root element that is not
the one of the document type fails SUNAT's schema validation, which is 0306.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from openpse.sandbox import _xml
from openpse.sandbox.sunat.errors import Finding, FindingError, SunatException
from openpse.sandbox.sunat.package import BillName

CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
EXT = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"
DS = "http://www.w3.org/2000/09/xmldsig#"
NS = {"cbc": CBC, "cac": CAC, "ext": EXT, "ds": DS}

_INVOICE = ("Invoice", "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2")
ROOTS = {
    "01": _INVOICE,
    "03": _INVOICE,
    "07": ("CreditNote", "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"),
    "08": ("DebitNote", "urn:oasis:names:specification:ubl:schema:xsd:DebitNote-2"),
}

# The words SUNAT uses in the CDR description: "La Factura numero F001-1, ha sido aceptada".
TYPE_NAMES = {"01": "Factura", "03": "Boleta", "07": "Nota de Credito", "08": "Nota de Debito"}

SUPPLIER_ID = "cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID"
CUSTOMER_ID = "cac:AccountingCustomerParty/cac:Party/cac:PartyIdentification/cbc:ID"


def text(element: etree._Element, path: str) -> str:
    """Stripped text at ``path`` (cbc/cac/ext/ds prefixes), or "" when absent."""
    return (element.findtext(path, default="", namespaces=NS) or "").strip()


@dataclass(frozen=True)
class DocumentHeader:
    """What the CDR and the register need from a comprobante that matches its file name."""

    root: etree._Element
    tipo: str
    document_id: str
    serie: str
    numero: int
    emisor_ruc: str
    issue_date: str
    issue_time: str
    customer_scheme: str
    customer_id: str

    @property
    def root_name(self) -> str:
        return _xml.local_name(self.root)


def _split_id(document_id: str) -> tuple[str, str]:
    serie, _, numero = document_id.partition("-")
    return serie, numero


def read_header(root: etree._Element, name: BillName) -> DocumentHeader:
    """Check the document against its file name and return its header."""
    local, namespace = ROOTS[name.tipo]
    if _xml.local_name(root) != local or _xml.namespace(root) != namespace:
        raise SunatException(
            "0306", f"el elemento raíz debe ser {{{namespace}}}{local} para el tipo {name.tipo}"
        )
    root_name = local

    emisor_ruc = text(root, SUPPLIER_ID)
    if emisor_ruc != name.ruc:
        raise FindingError(Finding("1034", f"{root_name}/{SUPPLIER_ID}", emisor_ruc))

    document_id = text(root, "cbc:ID")
    serie, numero = _split_id(document_id)
    if serie != name.serie:
        raise FindingError(Finding("1035", f"{root_name}/cbc:ID", document_id))
    if not numero.isdigit() or int(numero) != int(name.numero):
        raise FindingError(Finding("1036", f"{root_name}/cbc:ID", document_id))

    if local == "Invoice":
        type_code = text(root, "cbc:InvoiceTypeCode")
        if not type_code:
            raise FindingError(Finding("1004", f"{root_name}/cbc:InvoiceTypeCode"))
        if type_code != name.tipo:
            raise FindingError(Finding("1003", f"{root_name}/cbc:InvoiceTypeCode", type_code))

    customer = root.find(CUSTOMER_ID, namespaces=NS)
    return DocumentHeader(
        root=root,
        tipo=name.tipo,
        document_id=document_id,
        serie=serie,
        numero=int(numero),
        emisor_ruc=emisor_ruc,
        issue_date=text(root, "cbc:IssueDate"),
        issue_time=text(root, "cbc:IssueTime"),
        customer_scheme="" if customer is None else (customer.get("schemeID") or "").strip(),
        customer_id="" if customer is None else (customer.text or "").strip(),
    )
