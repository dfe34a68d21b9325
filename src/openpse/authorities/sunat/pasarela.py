"""Documents that arrive already signed, zipped and named, as an ERP sends them to SUNAT.

The SOAP gateway (``POST /ol-ti-itcpe/billService`` on OpenPSE, API.md "Compatibility
surfaces") takes what an ERP would send to SUNAT or to an OSE: a zip named
``{RUC}-{TT}-{SERIE}-{NUMERO}.zip`` (sendBill) or ``{RUC}-{RC|RA}-{AAAAMMDD}-{n}.zip``
(sendSummary) holding one signed XML of the same name. OpenPSE does what an OSE does
before forwarding: the zip checks in SUNAT's order (0151, 0155–0161), the XML parsed
safely (0306), its identity against the name (1034–1036, 1049), its signature (2335).
The bytes are the ERP's and are forwarded unchanged.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import re
import zipfile

from lxml import etree
from signxml.algorithms import DigestAlgorithm, SignatureMethod
from signxml.exceptions import InvalidCertificate, InvalidInput, InvalidSignature
from signxml.verifier import SignatureConfiguration, XMLVerifier

from openpse.authorities.base import Draft, Prepared
from openpse.authorities.sunat import codes
from openpse.authorities.sunat.ubl.ns import CAC, CBC, CREDIT_NOTE, DEBIT_NOTE, INVOICE
from openpse.core import xmlsafe
from openpse.core.errors import Issue, OpenPSEError

MAX_XML_BYTES = 10 * 1024 * 1024
_BILL_NAME = re.compile(r"^(\d{11})-(01|03|07|08)-([A-Z0-9]{4})-(\d{1,8})\.zip$", re.IGNORECASE)
_SUMMARY_NAME = re.compile(r"^(\d{11})-(RC|RA)-(\d{8})-(\d{1,5})\.zip$", re.IGNORECASE)
_ROOTS = {
    (INVOICE, "Invoice"): ("01", "03"),
    (CREDIT_NOTE, "CreditNote"): ("07",),
    (DEBIT_NOTE, "DebitNote"): ("08",),
}
_SUMMARY_ROOTS = {
    ("urn:sunat:names:specification:ubl:peru:schema:xsd:SummaryDocuments-1", "SummaryDocuments"): "RC",
    ("urn:sunat:names:specification:ubl:peru:schema:xsd:VoidedDocuments-1", "VoidedDocuments"): "RA",
}
_NS = {"cbc": CBC, "cac": CAC}
_SIGNATURE_CONFIG = SignatureConfiguration(
    require_x509=True,
    signature_methods=frozenset({SignatureMethod.RSA_SHA1, SignatureMethod.RSA_SHA256}),
    digest_algorithms=frozenset({DigestAlgorithm.SHA1, DigestAlgorithm.SHA256}),
)


class GatewayFault(OpenPSEError):
    """What SUNAT would answer as a SOAP fault, with its code."""

    status = 422

    def __init__(self, code: str, detalle: str | None = None) -> None:
        text = codes.message(code)
        super().__init__(Issue(code, f"{text} - Detalle: {detalle}" if detalle else text))
        self.code = code


@dataclasses.dataclass(frozen=True)
class SignedArrival:
    """A signed document received through the gateway, ready to be stored and forwarded."""

    draft: Draft
    prepared: Prepared
    summary: bool
    lineas: tuple[tuple[str, str, int, str], ...] = ()
    """(tipo, serie, número, ConditionCode) of the documents a summary carries."""


_SAC = "urn:sunat:names:specification:ubl:peru:schema:xsd:SunatAggregateComponents-1"


def _summary_lines(root: etree._Element) -> tuple[tuple[str, str, int, str], ...]:
    ns = {**_NS, "sac": _SAC}
    found: list[tuple[str, str, int, str]] = []
    for line in root.iterfind("sac:SummaryDocumentsLine", ns):
        serie, _, numero = (line.findtext("cbc:ID", namespaces=ns) or "").rpartition("-")
        tipo = line.findtext("cbc:DocumentTypeCode", namespaces=ns) or ""
        condicion = line.findtext("cac:Status/cbc:ConditionCode", namespaces=ns) or ""
        if numero.isdigit():
            found.append((tipo, serie, int(numero), condicion))
    for line in root.iterfind("sac:VoidedDocumentsLine", ns):
        numero = line.findtext("sac:DocumentNumberID", namespaces=ns) or ""
        if numero.isdigit():
            found.append(
                (
                    line.findtext("cbc:DocumentTypeCode", namespaces=ns) or "",
                    line.findtext("sac:DocumentSerialID", namespaces=ns) or "",
                    int(numero),
                    "3",
                )
            )
    return tuple(found)


def _unzip(zip_name: str, content: bytes) -> bytes:
    base = zip_name[:-4]
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as exc:
        raise GatewayFault("0156") from exc
    with archive:
        entries = [info for info in archive.infolist() if not info.is_dir()]
        if not entries:
            raise GatewayFault("0155")
        xmls = [info for info in entries if info.filename.lower().endswith(".xml")]
        if not xmls:
            raise GatewayFault("0157")
        if len(xmls) > 1:
            raise GatewayFault("0158")
        entry = xmls[0]
        name = entry.filename.rsplit("/", 1)[-1]
        if "/" in entry.filename or "\\" in entry.filename or entry.filename.startswith(".."):
            raise GatewayFault("0159", entry.filename)
        if name[:-4] != base:
            raise GatewayFault("0161", f"{name} en {zip_name}")
        if entry.file_size == 0:
            raise GatewayFault("0160")
        if entry.file_size > MAX_XML_BYTES or (
            entry.compress_size and entry.file_size / entry.compress_size > 1000
        ):
            # A declared size far beyond any comprobante, or a ratio only a zip bomb has.
            raise GatewayFault("0156", "el contenido excede el tamaño permitido")
        try:
            with archive.open(entry) as stream:
                # Read at most the limit plus one byte: a header may lie about the size.
                data = stream.read(MAX_XML_BYTES + 1)
        except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
            raise GatewayFault("0156", str(exc)) from exc
        if len(data) > MAX_XML_BYTES:
            raise GatewayFault("0156", "el contenido excede el tamaño permitido")
        return data


def _verify(xml: bytes, root: etree._Element) -> None:
    """The signature against the certificate it carries: SUNAT checks that certificate
    against its own register of issuers' certificates, which OpenPSE cannot see."""
    certificate = root.findtext(".//{http://www.w3.org/2000/09/xmldsig#}X509Certificate")
    if not certificate:
        raise GatewayFault("2335", "sin certificado en la firma")
    pem = "-----BEGIN CERTIFICATE-----\n" + "".join(certificate.split()) + "\n-----END CERTIFICATE-----"
    try:
        XMLVerifier().verify(xml, x509_cert=pem, expect_config=_SIGNATURE_CONFIG)
    except (InvalidSignature, InvalidInput, InvalidCertificate) as exc:
        raise GatewayFault("2335", str(exc)) from exc


def receive(zip_name: str, content: bytes, ruc_usuario: str, *, summary: bool) -> SignedArrival:
    """Check a zip as SUNAT's billService does and read what it carries.

    ``summary`` says which operation brought it (sendSummary or sendBill): a summary by
    sendBill is 0152, a comprobante by sendSummary 0151. ``ruc_usuario`` is the RUC the
    caller authenticated as (0154 when the file is another issuer's).
    """
    bill = _BILL_NAME.match(zip_name)
    summary_name = _SUMMARY_NAME.match(zip_name)
    if summary and summary_name is None:
        raise GatewayFault("0151", zip_name)
    if not summary and bill is None:
        raise GatewayFault("0152" if summary_name is not None else "0151", zip_name)
    match = summary_name if summary else bill
    assert match is not None
    ruc, tipo, serie, numero = (
        match.group(1),
        match.group(2).upper(),
        match.group(3).upper(),
        int(match.group(4)),
    )
    if ruc != ruc_usuario:
        raise GatewayFault("0154")
    xml = _unzip(zip_name, content)
    try:
        root = xmlsafe.parse_request(xml)
    except OpenPSEError as exc:
        raise GatewayFault("0306", str(exc)) from exc
    qname = etree.QName(root)
    key = (qname.namespace or "", qname.localname)
    if summary:
        if _SUMMARY_ROOTS.get(key) != tipo:
            raise GatewayFault("0306", f"se esperaba un resumen {tipo}, llegó {qname.localname}")
        document_id = root.findtext("cbc:ID", namespaces=_NS) or ""
        if document_id != f"{tipo}-{serie}-{numero}":
            raise GatewayFault("1049", f"{document_id} ≠ {tipo}-{serie}-{numero}")
    else:
        if tipo not in _ROOTS.get(key, ()):
            raise GatewayFault("0306", f"{qname.localname} no es un comprobante {tipo}")
        document_id = root.findtext("cbc:ID", namespaces=_NS) or ""
        id_serie, _, id_numero = document_id.rpartition("-")
        if id_serie != serie:
            raise GatewayFault("1035", f"{id_serie} ≠ {serie}")
        if not id_numero.isdigit() or int(id_numero) != numero:
            raise GatewayFault("1036", f"{id_numero} ≠ {numero}")
        if tipo in ("01", "03") and (root.findtext("cbc:InvoiceTypeCode", namespaces=_NS) or "") != tipo:
            raise GatewayFault("1049", "InvoiceTypeCode no coincide con el nombre del archivo")
    _verify(xml, root)
    return SignedArrival(
        draft=Draft(tipo, serie, numero, hashlib.sha256(xml).hexdigest(), None),
        prepared=_prepared(root, xml, zip_name, ruc, tipo, serie, numero, content, summary),
        summary=summary,
        lineas=_summary_lines(root) if summary else (),
    )


def _prepared(
    root: etree._Element,
    xml: bytes,
    zip_name: str,
    ruc: str,
    tipo: str,
    serie: str,
    numero: int,
    content: bytes,
    summary: bool,
) -> Prepared:
    digest = root.findtext(".//{http://www.w3.org/2000/09/xmldsig#}DigestValue") or ""
    issue = root.findtext("cbc:IssueDate", namespaces=_NS) or ""
    try:
        fecha = dt.date.fromisoformat(issue)
    except ValueError as exc:
        raise GatewayFault("0306", f"IssueDate {issue!r}") from exc
    if summary:
        totales: dict[str, str] = {}
        total = "0.00"
        moneda = "PEN"
        cliente_tipo = cliente_numero = cliente_nombre = None
    else:
        monetary = "cac:RequestedMonetaryTotal" if tipo == "08" else "cac:LegalMonetaryTotal"
        total = root.findtext(f"{monetary}/cbc:PayableAmount", namespaces=_NS) or "0.00"
        igv = root.findtext("cac:TaxTotal/cbc:TaxAmount", namespaces=_NS) or "0.00"
        totales = {"igv": igv, "total": total}
        moneda = root.findtext("cbc:DocumentCurrencyCode", namespaces=_NS) or "PEN"
        party = "cac:AccountingCustomerParty/cac:Party"
        customer = root.find(f"{party}/cac:PartyIdentification/cbc:ID", _NS)
        cliente_tipo = customer.get("schemeID") if customer is not None else None
        cliente_numero = customer.text if customer is not None else None
        cliente_nombre = root.findtext(f"{party}/cac:PartyLegalEntity/cbc:RegistrationName", namespaces=_NS)
    base = zip_name[:-4]
    return Prepared(
        id=f"{ruc}-{tipo}-{serie}-{numero}",
        tipo=tipo,
        serie=serie,
        numero=numero,
        fecha_emision=fecha,
        moneda=moneda,
        total=total,
        totales=totales,
        cliente_tipo=cliente_tipo,
        cliente_numero=cliente_numero,
        cliente_nombre=cliente_nombre,
        xml_name=f"{base}.xml",
        xml=xml,
        hash=digest,
        envio_name=zip_name if zip_name.endswith(".zip") else f"{base}.zip",
        envio=content,
    )
