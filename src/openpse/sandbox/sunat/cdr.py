"""The CDR (Constancia de Recepción): a signed ``ApplicationResponse`` in a zip.

Shaped like the CDR SUNAT beta returned in December 2023, decoded in ``sunat.md`` §3.1
(``bill_service_response_ok.xml``): UBL 2.0 / customization 1.0, a numeric ticket-like
ID, the referenced document's issue date, the response time in Lima, observation
``cbc:Note`` lines before ``cac:Signature``, SUNAT's RUC as sender, and a
``DocumentResponse`` naming the comprobante and its customer. The signature copies
SUNAT's algorithms (exclusive c14n with comments, RSA-SHA512, SHA-512 digest) inside
``ext:ExtensionContent``; the key is the sandbox's own, never SUNAT's. The zip holds an
empty ``dummy/`` directory first and then ``R-<name>.xml`` (``sunat.md`` §2.2).

The GRE platform's CDR (``R-20000000001-09-T001-1.xml`` and ``cdrGRE.zip``, ``sunat.md``
§3.1) differs in a few places, all driven by :class:`CdrContent`: a UUID as ID, an
IssueTime with milliseconds, the notes after ``cac:Signature``, the QR URL in
``cac:DocumentReference/cbc:DocumentDescription``, and a zip without ``dummy/``.

The OSE CDR (:func:`build_ose`) follows SUNAT's sheets CDR-OSE-Comprobante and
CDR-OSE-Resumen and the sample ``efact_cdr1.xml`` (``sunat.md`` §3.2): UBL 2.1 /
customization 1.0, a UUID as ID (2803), reception and check times with five decimals,
sender and OSE as ``PartyLegalEntity/CompanyID`` with the catálogo 6 attributes, a
ResponseCode that is always 0 (2833), observations as one ``cac:Status`` each
(StatusReasonCode with the return-code list URI, StatusReason), and a single
DocumentReference carrying the received document's DigestValue as DocumentHash.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.signer import XMLSigner

from openpse.sandbox.sunat.document import CAC, CBC, DS, EXT

SUNAT_RUC = "20131312955"
# Peru has not observed daylight saving time since 1994, so a fixed offset is exact.
LIMA = dt.timezone(dt.timedelta(hours=-5), "America/Lima")

_AR = "urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2"
# SUNAT's CDR root declares these namespaces, most of them unused; copied for fidelity.
_NSMAP = {
    None: "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "ar": _AR,
    "ext": EXT,
    "cbc": CBC,
    "cac": CAC,
    "ds": DS,
    "soap": "http://schemas.xmlsoap.org/soap/envelope/",
    "date": "http://exslt.org/dates-and-times",
    "sac": "urn:sunat:names:specification:ubl:peru:schema:xsd:SunatAggregateComponents-1",
    "xs": "http://www.w3.org/2001/XMLSchema",
    "regexp": "http://exslt.org/regular-expressions",
}
_OSE_NSMAP = {"ar": _AR, "ext": EXT, "cbc": CBC, "cac": CAC, "ds": DS}
_CATALOGO_06 = "urn:pe:gob:sunat:cpe:see:gem:catalogos:catalogo6"
_RETURN_CODES = "urn:pe:gob:sunat:cpe:see:gem:codigos:codigoretorno"
# lxml writes the declaration with single quotes; SUNAT's CDRs use double quotes.
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
KEY_FILE = "sandbox-key.pem"
CERT_FILE = "sandbox-cert.pem"


@dataclass(frozen=True)
class CdrContent:
    """Everything that varies from one CDR to another."""

    ticket: str
    file_base: str
    emisor_ruc: str
    document_id: str
    issue_date: str
    issue_time: str
    response_at: dt.datetime
    response_code: str
    description: str
    notes: tuple[str, ...]
    recipient: str
    document_description: str | None = None
    notes_after_signature: bool = False


@dataclass(frozen=True)
class OseCdrContent:
    """Everything that varies from one OSE CDR to another.

    ``document_type`` is the catálogo 01 code, or RC/RA for summaries; summaries have no
    ``issue_time`` and no ``recipient`` (CDR-OSE-Resumen rows 16–21).
    """

    file_base: str
    sender_ruc: str
    ose_ruc: str
    emisor_ruc: str
    document_id: str
    document_type: str
    issue_date: str
    issue_time: str | None
    document_hash: str
    received_at: dt.datetime
    response_at: dt.datetime
    description: str
    observations: tuple[tuple[str, str], ...]
    recipient: tuple[str, str] | None


class CdrSigner:
    """The sandbox's stand-in for SUNAT's signing key: RSA-2048, self-signed "SUNAT SANDBOX"."""

    def __init__(self, key: rsa.RSAPrivateKey, certificate: x509.Certificate) -> None:
        self._key = key
        self.certificate = certificate

    @classmethod
    def generate(cls) -> CdrSigner:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "PE"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "OpenPSE sandbox"),
                x509.NameAttribute(NameOID.COMMON_NAME, "SUNAT SANDBOX"),
            ]
        )
        now = dt.datetime.now(dt.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        return cls(key, certificate)

    @classmethod
    def from_directory(cls, directory: Path) -> CdrSigner:
        """Load the key pair from ``directory``, generating and saving it when absent."""
        key_path, cert_path = directory / KEY_FILE, directory / CERT_FILE
        if key_path.exists() and cert_path.exists():
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            if not isinstance(key, rsa.RSAPrivateKey):
                raise ValueError(f"{key_path} is not an RSA private key")
            return cls(key, x509.load_pem_x509_certificate(cert_path.read_bytes()))
        signer = cls.generate()
        directory.mkdir(parents=True, exist_ok=True)
        key_path.write_bytes(
            signer._key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        key_path.chmod(0o600)
        cert_path.write_bytes(signer.certificate_pem)
        return signer

    @property
    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def sign(self, root: etree._Element) -> etree._Element:
        signer = XMLSigner(
            signature_algorithm=SignatureMethod.RSA_SHA512,
            digest_algorithm=DigestAlgorithm.SHA512,
            c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0_WITH_COMMENTS,
        )
        signed: etree._Element = signer.sign(root, key=self._key, cert=[self.certificate])
        return signed


def _add(parent: etree._Element, namespace: str, name: str, value: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{namespace}}}{name}")
    if value is not None:
        element.text = value
    return element


def _party(parent: etree._Element, name: str, identifier: str) -> None:
    party = _add(parent, CAC, name)
    _add(_add(party, CAC, "PartyIdentification"), CBC, "ID", identifier)


def _application_response(content: CdrContent) -> etree._Element:
    root = etree.Element(f"{{{_AR}}}ApplicationResponse", nsmap=_NSMAP)
    extension = _add(_add(_add(root, EXT, "UBLExtensions"), EXT, "UBLExtension"), EXT, "ExtensionContent")
    _add(extension, DS, "Signature").set("Id", "placeholder")
    _add(root, CBC, "UBLVersionID", "2.0")
    _add(root, CBC, "CustomizationID", "1.0")
    _add(root, CBC, "ID", content.ticket)
    _add(root, CBC, "IssueDate", content.issue_date)
    _add(root, CBC, "IssueTime", content.issue_time)
    _add(root, CBC, "ResponseDate", content.response_at.strftime("%Y-%m-%d"))
    _add(root, CBC, "ResponseTime", content.response_at.strftime("%H:%M:%S"))
    if not content.notes_after_signature:
        for note in content.notes:
            _add(root, CBC, "Note", note)

    signature = _add(root, CAC, "Signature")
    _add(signature, CBC, "ID", "SignSUNAT")
    signatory = _add(signature, CAC, "SignatoryParty")
    _add(_add(signatory, CAC, "PartyIdentification"), CBC, "ID", SUNAT_RUC)
    _add(_add(signatory, CAC, "PartyName"), CBC, "Name", "SUNAT")
    attachment = _add(signature, CAC, "DigitalSignatureAttachment")
    _add(_add(attachment, CAC, "ExternalReference"), CBC, "URI", "#SignSUNAT")
    if content.notes_after_signature:
        for note in content.notes:
            _add(root, CBC, "Note", note)

    _party(root, "SenderParty", SUNAT_RUC)
    _party(root, "ReceiverParty", content.emisor_ruc)
    document_response = _add(root, CAC, "DocumentResponse")
    response = _add(document_response, CAC, "Response")
    _add(response, CBC, "ReferenceID", content.document_id)
    _add(response, CBC, "ResponseCode", content.response_code)
    _add(response, CBC, "Description", content.description)
    reference = _add(document_response, CAC, "DocumentReference")
    _add(reference, CBC, "ID", content.document_id)
    if content.document_description is not None:
        _add(reference, CBC, "DocumentDescription", content.document_description)
    _party(document_response, "RecipientParty", content.recipient)
    return root


def build(content: CdrContent, signer: CdrSigner) -> bytes:
    """The signed CDR XML, UTF-8."""
    signed = signer.sign(_application_response(content))
    return _DECLARATION + etree.tostring(signed, encoding="UTF-8", xml_declaration=False)


def _ose_time(at: dt.datetime) -> str:
    """``hh:mm:ss.sssss``, the pattern of CDR-OSE rows 5 and 7."""
    return f"{at:%H:%M:%S}.{at.microsecond // 10:05d}"


def _company(parent: etree._Element, name: str, scheme: str, identifier: str, agency: bool) -> None:
    legal = _add(_add(parent, CAC, name), CAC, "PartyLegalEntity")
    company = _add(legal, CBC, "CompanyID", identifier)
    company.set("schemeID", scheme)
    if agency:
        company.set("schemeAgencyName", "PE:SUNAT")
        company.set("schemeURI", _CATALOGO_06)


def _ose_application_response(content: OseCdrContent) -> etree._Element:
    root = etree.Element(f"{{{_AR}}}ApplicationResponse", nsmap=_OSE_NSMAP)
    extension = _add(_add(_add(root, EXT, "UBLExtensions"), EXT, "UBLExtension"), EXT, "ExtensionContent")
    _add(extension, DS, "Signature").set("Id", "placeholder")
    _add(root, CBC, "UBLVersionID", "2.1")
    _add(root, CBC, "CustomizationID", "1.0")
    _add(root, CBC, "ID", str(uuid.uuid4()))
    _add(root, CBC, "IssueDate", f"{content.received_at:%Y-%m-%d}")
    _add(root, CBC, "IssueTime", _ose_time(content.received_at))
    _add(root, CBC, "ResponseDate", f"{content.response_at:%Y-%m-%d}")
    _add(root, CBC, "ResponseTime", _ose_time(content.response_at))
    _company(root, "SenderParty", "6", content.sender_ruc, agency=True)
    _company(root, "ReceiverParty", "6", content.ose_ruc, agency=True)

    document_response = _add(root, CAC, "DocumentResponse")
    response = _add(document_response, CAC, "Response")
    _add(response, CBC, "ReferenceID", content.document_id)
    _add(response, CBC, "ResponseCode", "0").set("listAgencyName", "PE:SUNAT")
    _add(response, CBC, "Description", content.description)
    for code, reason in content.observations:
        status = _add(response, CAC, "Status")
        _add(status, CBC, "StatusReasonCode", code).set("listURI", _RETURN_CODES)
        _add(status, CBC, "StatusReason", reason)
    reference = _add(document_response, CAC, "DocumentReference")
    _add(reference, CBC, "ID", content.document_id)
    _add(reference, CBC, "IssueDate", content.issue_date)
    if content.issue_time is not None:
        _add(reference, CBC, "IssueTime", content.issue_time)
    _add(reference, CBC, "DocumentTypeCode", content.document_type)
    attachment = _add(_add(reference, CAC, "Attachment"), CAC, "ExternalReference")
    _add(attachment, CBC, "DocumentHash", content.document_hash)
    _company(document_response, "IssuerParty", "6", content.emisor_ruc, agency=False)
    if content.recipient is not None:
        scheme, identifier = content.recipient
        _company(document_response, "RecipientParty", scheme, identifier, agency=False)
    return root


def build_ose(content: OseCdrContent, signer: CdrSigner) -> bytes:
    """The signed OSE CDR XML, UTF-8."""
    signed = signer.sign(_ose_application_response(content))
    return _DECLARATION + etree.tostring(signed, encoding="UTF-8", xml_declaration=False)


def sunat_issue_fields(issue_date: str, issue_time: str) -> tuple[str, str]:
    """IssueDate and IssueTime as SUNAT's billService CDRs write them.

    That is ``2019-12-24T00:00:00`` and ``00:00:00`` (``sunat.md`` §3.1).
    """
    return f"{issue_date}T{issue_time or '00:00:00'}", "00:00:00"


def pack(file_base: str, xml: bytes, at: dt.datetime, dummy: bool = True) -> bytes:
    """Zip a CDR as SUNAT does: ``dummy/`` first (billService), then ``R-<name>.xml``."""
    stamp = at.timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        if dummy:
            directory = zipfile.ZipInfo("dummy/", stamp)
            directory.external_attr = (0o40755 << 16) | 0x10
            archive.writestr(directory, b"")
        entry = zipfile.ZipInfo(f"R-{file_base}.xml", stamp)
        entry.compress_type = zipfile.ZIP_DEFLATED
        entry.external_attr = 0o644 << 16
        archive.writestr(entry, xml)
    return buffer.getvalue()
