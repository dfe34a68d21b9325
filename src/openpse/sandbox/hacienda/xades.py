"""The XAdES-EPES signature of a received comprobante, verified as Hacienda would.

Written for the emulator alone from XMLDSig 1.0 (W3C REC-xmldsig-core, §4.3.3 on
references and transforms), XAdES 1.3.2 (ETSI TS 101 903) and the Costa Rican profile
of ``hacienda_cr.md`` §4: an enveloped ``ds:Signature`` as a child of the root, RSA-SHA256,
SHA-256 digests, a reference to the whole document (``URI=""`` with the enveloped
transform), one to ``KeyInfo`` and one to ``SignedProperties``; ``SigningTime``,
``SigningCertificate`` (digest of the certificate and ``IssuerSerial``), the v4.4
signature policy with its SHA-256 hash, and since v4.4 ``ClaimedRole``.

Every digest and the RSA value are always checked. The profile details are checked in
strict mode only (§4: "verify reference digests + RSA signature strictly; make
policy-hash/ClaimedRole/SigningCertificate-vs-V2 checks configurable"). The texts of
the findings are those Hacienda is seen to write in a MensajeHacienda (§3.6: "La firma
del comprobante electrónico no es válida (El XML fue modificado luego de haber sido
firmado)", "El contribuyente que firma la factura electronica no es el emisor"); the
others are ours, in the same style.
"""

from __future__ import annotations

import base64
import binascii
import copy
import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from lxml import etree

DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
EC = "http://www.w3.org/2001/10/xml-exc-c14n#"
C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
C14N_COMMENTS = C14N + "#WithComments"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
EXC_C14N_COMMENTS = EXC_C14N + "WithComments"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
XPATH = "http://www.w3.org/TR/1999/REC-xpath-19991116"
# The one XPath filter Costa Rican signatures use (Hacienda's own MensajeHacienda,
# hacienda_cr.md §3.6): every signature left out, so that counter-signatures added
# later (v4.4 allows five) do not break the first one.
_WITHOUT_SIGNATURES = "not(ancestor-or-self::ds:Signature)"
SIGNED_PROPERTIES_TYPE = "http://uri.etsi.org/01903#SignedProperties"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"

_CANONICALIZATIONS = {
    C14N: (False, False),
    C14N_COMMENTS: (False, True),
    EXC_C14N: (True, False),
    EXC_C14N_COMMENTS: (True, True),
}
_DIGESTS: dict[str, Callable[[bytes], Any]] = {
    "http://www.w3.org/2000/09/xmldsig#sha1": hashlib.sha1,
    SHA256: hashlib.sha256,
    "http://www.w3.org/2001/04/xmldsig-more#sha384": hashlib.sha384,
    "http://www.w3.org/2001/04/xmlenc#sha512": hashlib.sha512,
}
_SIGNATURE_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "http://www.w3.org/2000/09/xmldsig#rsa-sha1": hashes.SHA1,
    RSA_SHA256: hashes.SHA256,
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": hashes.SHA384,
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": hashes.SHA512,
}

# hacienda_cr.md §4, policy table: the v4.4 identifier (current and interim URLs) and
# base64(SHA-256) of the policy PDF.
POLICY_V44_IDENTIFIERS = frozenset(
    {
        "https://cdn.comprobanteselectronicos.go.cr/xml-schemas/Resoluci%C3%B3n_General_sobre_disposiciones_"
        "t%C3%A9cnicas_comprobantes_electr%C3%B3nicos_para_efectos_tributarios.pdf",
        "https://atv.hacienda.go.cr/ATV/ComprobanteElectronico/docs/esquemas/2024/v4.4/Resoluci%C3%B3n_General_"
        "sobre_disposiciones_t%C3%A9cnicas_comprobantes_electr%C3%B3nicos_para_efectos_tributarios.pdf",
    }
)
POLICY_V44_HASH = "DWxin1xWOeI8OuWQXazh4VjLWAaCLAA954em7DMh0h8="

MISSING = "El comprobante electrónico no está firmado: falta ds:Signature"
MODIFIED = (
    "La firma del comprobante electrónico no es válida (El XML fue modificado luego de haber sido firmado)"
)
BAD_VALUE = (
    "La firma del comprobante electrónico no es válida (el valor de la firma no corresponde al certificado)"
)
NOT_SIGNER = "El contribuyente que firma la factura electronica no es el emisor"
EXPIRED = "El certificado utilizado para firmar el comprobante electrónico está vencido"
NOT_YET_VALID = "El certificado utilizado para firmar el comprobante electrónico todavía no es válido"
UNTRUSTED = (
    "El certificado utilizado para firmar el comprobante electrónico no es de una autoridad reconocida"
)


class SignatureInvalid(Exception):
    """The signature fails; ``message`` is the text Hacienda would show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _invalid(detail: str) -> SignatureInvalid:
    return SignatureInvalid(f"La firma del comprobante electrónico no es válida ({detail})")


def _not_epes(detail: str) -> SignatureInvalid:
    return SignatureInvalid(
        f"La firma del comprobante electrónico no cumple el formato XAdES-EPES ({detail})"
    )


@dataclass(frozen=True)
class VerifiedSignature:
    """A signature whose digests and value are right, with what it says about its signer."""

    certificate: x509.Certificate
    signing_time: dt.datetime | None
    signature_id: str


def _ds(name: str) -> str:
    return f"{{{DS}}}{name}"


def _xades(name: str) -> str:
    return f"{{{XADES}}}{name}"


def _b64(text: str | None) -> bytes:
    try:
        return base64.b64decode("".join((text or "").split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _invalid("un valor en base64 no se puede leer") from exc


def _by_id(root: etree._Element, value: str) -> etree._Element:
    # One element only: two elements with the same Id are how signature-wrapping attacks
    # make a verifier digest one node while the application reads another.
    found = [
        element
        for element in root.iter()
        if isinstance(element.tag, str) and value in (element.get("Id"), element.get("ID"), element.get("id"))
    ]
    if len(found) != 1:
        raise _invalid(f"la referencia #{value} no identifica un único elemento")
    return found[0]


def _c14n(node: etree._Element | etree._ElementTree, algorithm: str, prefixes: list[str]) -> bytes:
    exclusive, _comments = _CANONICALIZATIONS[algorithm]
    # Same-document references (URI="" and "#id") drop comments whatever the algorithm
    # says (XMLDSig §4.3.3.3); only SignedInfo honours WithComments, handled by the caller.
    return etree.tostring(
        node,
        method="c14n",
        exclusive=exclusive,
        with_comments=False,
        inclusive_ns_prefixes=prefixes if exclusive and prefixes else None,
    )


def _prefix_list(transform: etree._Element) -> list[str]:
    inclusive = transform.find(f"{{{EC}}}InclusiveNamespaces")
    return (inclusive.get("PrefixList") or "").split() if inclusive is not None else []


def _remove(target: etree._Element) -> None:
    parent = target.getparent()
    assert parent is not None
    # Removing an lxml element takes its tail text with it; the transforms remove the
    # element node only, so the text that followed it stays.
    if target.tail:
        previous = target.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + target.tail
        else:
            parent.text = (parent.text or "") + target.tail
    parent.remove(target)


def _without(root: etree._Element, signature: etree._Element, every_signature: bool) -> etree._ElementTree:
    """A copy of the document without ``signature`` (the enveloped-signature transform),
    or without any ``ds:Signature`` (the XPath filter above)."""
    steps: list[int] = []
    node = signature
    while (parent := node.getparent()) is not None:
        steps.append(parent.index(node))
        node = parent
    copied = copy.deepcopy(root.getroottree())
    if every_signature:
        for found in list(copied.getroot().iter(_ds("Signature"))):
            if found.getparent() is not None:
                _remove(found)
        return copied
    target = copied.getroot()
    for index in reversed(steps):
        target = target[index]
    _remove(target)
    return copied


def _reference_octets(root: etree._Element, signature: etree._Element, reference: etree._Element) -> bytes:
    uri = reference.get("URI")
    algorithms: list[tuple[str, list[str]]] = []
    every_signature = False
    for transform in reference.iterfind(f"{_ds('Transforms')}/{_ds('Transform')}"):
        algorithm = transform.get("Algorithm", "")
        if algorithm == XPATH:
            expression = transform.find(_ds("XPath"))
            text = " ".join((expression.text or "").split()) if expression is not None else ""
            if expression is None or text != _WITHOUT_SIGNATURES or expression.nsmap.get("ds") != DS:
                raise _invalid(f"transformación XPath no soportada {text!r}")
            every_signature = True
            continue
        algorithms.append((algorithm, _prefix_list(transform)))
    enveloped = every_signature or any(algorithm == ENVELOPED for algorithm, _ in algorithms)
    canonical = [(a, p) for a, p in algorithms if a in _CANONICALIZATIONS]
    unsupported = [a for a, _ in algorithms if a != ENVELOPED and a not in _CANONICALIZATIONS]
    if unsupported:
        raise _invalid(f"transformación no soportada {unsupported[0]}")
    # Without a canonicalization transform a node-set becomes octets by Canonical XML
    # 1.0 (XMLDSig §4.3.3.2).
    algorithm, prefixes = canonical[-1] if canonical else (C14N, [])
    if uri == "":
        tree = _without(root, signature, every_signature) if enveloped else root.getroottree()
        return _c14n(tree, algorithm, prefixes)
    if uri is not None and uri.startswith("#") and len(uri) > 1:
        target = _by_id(root, uri[1:])
        if enveloped:
            raise _invalid("transformación enveloped en una referencia a un elemento")
        return _c14n(target, algorithm, prefixes)
    raise _invalid(f"referencia no soportada URI={uri!r}")


def _signing_time(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise _not_epes(f"SigningTime {text!r} no es una fecha") from exc
    if moment.tzinfo is None:
        # Costa Rica: UTC-6 all year (no daylight saving since 1992).
        moment = moment.replace(tzinfo=dt.timezone(dt.timedelta(hours=-6)))
    return moment


def _certificate(signature: etree._Element) -> x509.Certificate:
    key_info = signature.find(_ds("KeyInfo"))
    text = None if key_info is None else key_info.findtext(f"{_ds('X509Data')}/{_ds('X509Certificate')}")
    if not (text or "").strip():
        raise _invalid("falta ds:KeyInfo/ds:X509Data/ds:X509Certificate")
    try:
        certificate = x509.load_der_x509_certificate(_b64(text))
    except ValueError as exc:
        raise _invalid("el certificado de ds:X509Certificate no se puede leer") from exc
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise _invalid("el certificado no tiene una llave RSA")
    assert key_info is not None
    key_value = key_info.find(f"{_ds('KeyValue')}/{_ds('RSAKeyValue')}")
    if key_value is not None:
        numbers = public_key.public_numbers()
        modulus = int.from_bytes(_b64(key_value.findtext(_ds("Modulus"))), "big")
        exponent = int.from_bytes(_b64(key_value.findtext(_ds("Exponent"))), "big")
        if (modulus, exponent) != (numbers.n, numbers.e):
            raise _invalid("ds:RSAKeyValue no corresponde al certificado")
    return certificate


def _check_properties(
    signature: etree._Element,
    signature_id: str,
    certificate: x509.Certificate,
    referenced: set[str],
    strict: bool,
) -> dt.datetime | None:
    qualifying = signature.find(f"{_ds('Object')}/{_xades('QualifyingProperties')}")
    if qualifying is None:
        raise _not_epes("falta xades:QualifyingProperties")
    if qualifying.get("Target") != f"#{signature_id}":
        raise _not_epes("QualifyingProperties/@Target no apunta a la firma")
    signed = qualifying.find(_xades("SignedProperties"))
    if signed is None:
        raise _not_epes("falta xades:SignedProperties")
    if signed.get("Id") not in referenced:
        raise _not_epes("las propiedades firmadas no están cubiertas por una referencia")
    properties = signed.find(_xades("SignedSignatureProperties"))
    if properties is None:
        raise _not_epes("falta xades:SignedSignatureProperties")

    signing_time_text = properties.findtext(_xades("SigningTime"))
    signing_time = _signing_time(signing_time_text) if signing_time_text else None
    if signing_time is None and strict:
        raise _not_epes("falta xades:SigningTime")

    der = certificate.public_bytes(serialization.Encoding.DER)
    cert = properties.find(f"{_xades('SigningCertificate')}/{_xades('Cert')}")
    cert_v2 = properties.find(f"{_xades('SigningCertificateV2')}/{_xades('Cert')}")
    if cert is None and (strict or cert_v2 is None):
        raise _not_epes("falta xades:SigningCertificate")
    chosen = cert if cert is not None else cert_v2
    assert chosen is not None
    method = chosen.find(f"{_xades('CertDigest')}/{_ds('DigestMethod')}")
    algorithm = "" if method is None else method.get("Algorithm", "")
    if algorithm not in _DIGESTS:
        raise _not_epes(f"algoritmo de CertDigest no soportado {algorithm!r}")
    if strict and algorithm != SHA256:
        raise _not_epes("CertDigest debe usar SHA-256")
    if (
        _b64(chosen.findtext(f"{_xades('CertDigest')}/{_ds('DigestValue')}"))
        != _DIGESTS[algorithm](der).digest()
    ):
        raise SignatureInvalid(
            "La firma del comprobante electrónico no es válida "
            "(SigningCertificate no corresponde al certificado de la firma)"
        )
    if strict:
        serial = chosen.findtext(f"{_xades('IssuerSerial')}/{_ds('X509SerialNumber')}")
        if serial is None or serial.strip() != str(certificate.serial_number):
            raise _not_epes("IssuerSerial/X509SerialNumber no corresponde al certificado")

    policy = properties.find(f"{_xades('SignaturePolicyIdentifier')}/{_xades('SignaturePolicyId')}")
    if policy is None:
        raise _not_epes("falta xades:SignaturePolicyIdentifier/SignaturePolicyId")
    identifier = (policy.findtext(f"{_xades('SigPolicyId')}/{_xades('Identifier')}") or "").strip()
    policy_hash = "".join((policy.findtext(f"{_xades('SigPolicyHash')}/{_ds('DigestValue')}") or "").split())
    if not identifier or not policy_hash:
        raise _not_epes("la política de firma no tiene Identifier y SigPolicyHash")
    if strict:
        if identifier not in POLICY_V44_IDENTIFIERS:
            raise _not_epes(f"la política de firma {identifier} no es la de la versión 4.4")
        if policy_hash != POLICY_V44_HASH:
            raise _not_epes("SigPolicyHash no corresponde a la política de firma de la versión 4.4")
        role = (
            properties.findtext(f"{_xades('SignerRole')}/{_xades('ClaimedRoles')}/{_xades('ClaimedRole')}")
            or ""
        )
        if not role.strip():
            raise _not_epes("falta xades:SignerRole/ClaimedRoles/ClaimedRole")
    return signing_time


def verify_signature(root: etree._Element, signature: etree._Element, strict: bool) -> VerifiedSignature:
    """Check one ``ds:Signature`` of ``root``; raise :class:`SignatureInvalid` on any failure."""
    signature_id = signature.get("Id") or ""
    if strict and not signature_id:
        raise _not_epes("ds:Signature no tiene Id")
    signed_info = signature.find(_ds("SignedInfo"))
    if signed_info is None:
        raise _invalid("falta ds:SignedInfo")
    c14n = signed_info.find(_ds("CanonicalizationMethod"))
    c14n_algorithm = "" if c14n is None else c14n.get("Algorithm", "")
    if c14n_algorithm not in _CANONICALIZATIONS:
        raise _invalid(f"CanonicalizationMethod no soportado {c14n_algorithm!r}")
    method = signed_info.find(_ds("SignatureMethod"))
    method_algorithm = "" if method is None else method.get("Algorithm", "")
    if method_algorithm not in _SIGNATURE_HASHES:
        raise _invalid(f"SignatureMethod no soportado {method_algorithm!r}")
    if strict and method_algorithm != RSA_SHA256:
        raise _not_epes("SignatureMethod debe ser RSA-SHA256")

    references = signed_info.findall(_ds("Reference"))
    if not any(reference.get("URI") == "" for reference in references):
        raise _invalid("ninguna referencia cubre el documento (URI vacío)")
    referenced: set[str] = set()
    for reference in references:
        digest_method = reference.find(_ds("DigestMethod"))
        algorithm = "" if digest_method is None else digest_method.get("Algorithm", "")
        if algorithm not in _DIGESTS:
            raise _invalid(f"DigestMethod no soportado {algorithm!r}")
        if strict and algorithm != SHA256:
            raise _not_epes("DigestMethod debe ser SHA-256")
        expected = _b64(reference.findtext(_ds("DigestValue")))
        octets = _reference_octets(root, signature, reference)
        if _DIGESTS[algorithm](octets).digest() != expected:
            if reference.get("URI") == "":
                raise SignatureInvalid(MODIFIED)
            raise _invalid(f"el resumen de la referencia {reference.get('URI')} no corresponde")
        uri = reference.get("URI") or ""
        if uri.startswith("#"):
            referenced.add(uri[1:])

    certificate = _certificate(signature)
    exclusive, comments = _CANONICALIZATIONS[c14n_algorithm]
    prefixes = _prefix_list(c14n) if c14n is not None else []
    signed_octets = etree.tostring(
        signed_info,
        method="c14n",
        exclusive=exclusive,
        with_comments=comments,
        inclusive_ns_prefixes=prefixes if exclusive and prefixes else None,
    )
    public_key = certificate.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    try:
        public_key.verify(
            _b64(signature.findtext(_ds("SignatureValue"))),
            signed_octets,
            padding.PKCS1v15(),
            _SIGNATURE_HASHES[method_algorithm](),
        )
    except InvalidSignature as exc:
        raise SignatureInvalid(BAD_VALUE) from exc

    signing_time = _check_properties(signature, signature_id, certificate, referenced, strict)
    return VerifiedSignature(certificate, signing_time, signature_id)


def signatures(root: etree._Element) -> list[etree._Element]:
    """The ``ds:Signature`` children of the root (the v4.4 XSDs allow 1 to 5)."""
    return root.findall(_ds("Signature"))


# -- the signer's certificate -------------------------------------------------------------


def normalize_id(text: str) -> str:
    """Digits of an identification without leading zeros: CPF-01-0234-0567 ≡ 102340567."""
    return "".join(ch for ch in text if ch.isdigit()).lstrip("0")


_DIGIT_RUN = re.compile(r"\d[\d-]{7,}\d")


def certificate_ids(certificate: x509.Certificate) -> set[str]:
    """Identifications the certificate's subject names.

    Hacienda's certificates carry the id in ``SERIALNUMBER`` (``CPJ-3-101-408861``,
    ``hacienda_cr.md`` §4); OpenPSE's test certificates in ``OU`` (``RUC 3101123456``).
    """
    ids: set[str] = set()
    for oid in (NameOID.SERIAL_NUMBER, NameOID.ORGANIZATIONAL_UNIT_NAME, NameOID.COMMON_NAME):
        for attribute in certificate.subject.get_attributes_for_oid(oid):
            value = attribute.value if isinstance(attribute.value, str) else attribute.value.decode()
            for run in _DIGIT_RUN.findall(value):
                ids.add(normalize_id(run))
    ids.discard("")
    return ids


def load_certificates(items: Iterable[bytes]) -> list[x509.Certificate]:
    """PEM (one or more certificates) or DER, as configured."""
    loaded: list[x509.Certificate] = []
    for item in items:
        if b"-----BEGIN" in item:
            loaded.extend(x509.load_pem_x509_certificates(item))
        else:
            loaded.append(x509.load_der_x509_certificate(item))
    return loaded


def _issued_by(certificate: x509.Certificate, authority: x509.Certificate) -> bool:
    if certificate.fingerprint(hashes.SHA256()) == authority.fingerprint(hashes.SHA256()):
        return True
    try:
        certificate.verify_directly_issued_by(authority)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def check_signer(
    certificate: x509.Certificate,
    signing_time: dt.datetime | None,
    now: dt.datetime,
    expected_ids: Iterable[str],
    trusted: list[x509.Certificate],
    trust_named: bool,
) -> list[str]:
    """What is wrong with the signer: validity, trust and identity (empty when nothing)."""
    findings: list[str] = []
    if now > certificate.not_valid_after_utc:
        findings.append(EXPIRED)
    elif now < certificate.not_valid_before_utc:
        findings.append(NOT_YET_VALID)
    elif signing_time is not None and not (
        certificate.not_valid_before_utc <= signing_time <= certificate.not_valid_after_utc
    ):
        findings.append(
            "La fecha de la firma (SigningTime) está fuera del periodo de validez del certificado"
        )
    expected = {normalize_id(value) for value in expected_ids} - {""}
    names_signer = bool(certificate_ids(certificate) & expected)
    trusted_issuer = any(_issued_by(certificate, authority) for authority in trusted)
    if not trusted_issuer and not (trust_named and names_signer):
        findings.append(NOT_SIGNER if trust_named and certificate_ids(certificate) else UNTRUSTED)
    elif not names_signer:
        findings.append(NOT_SIGNER)
    return findings
