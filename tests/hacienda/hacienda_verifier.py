"""An XAdES-EPES verifier for Hacienda signatures, written from the specifications.

It shares no code with ``openpse.authorities.hacienda.xades``: it reads the signed XML with
lxml, follows each ``ds:Reference`` as XMLDSig 1.0 §4.3.3 says (``URI=""`` is the whole
document minus the signature through the enveloped-signature transform, §6.6.4, which
removes the element and nothing else; ``#id`` is the element with that Id), canonicalises
with lxml's inclusive C14N 1.0, compares SHA-256 digests, verifies RSA-SHA256 over the
canonical ``SignedInfo`` with ``cryptography``, and checks the XAdES 1.3.2 signed properties
(ETSI TS 101 903 §7): SigningTime, SigningCertificate(V2), SignaturePolicyIdentifier,
SignerRole and DataObjectFormat, plus the ``QualifyingProperties`` target.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
SIGNED_PROPERTIES = "http://uri.etsi.org/01903#SignedProperties"
NS = {"ds": DS, "xades": XADES}
POLITICA_V44 = (
    "https://cdn.comprobanteselectronicos.go.cr/xml-schemas/Resoluci%C3%B3n_General_sobre_disposiciones"
    "_t%C3%A9cnicas_comprobantes_electr%C3%B3nicos_para_efectos_tributarios.pdf"
)
"""The v4.4 policy identifier as reference §4 lists it (typed here, not taken from the signer)."""
HASH_POLITICA_V44 = "DWxin1xWOeI8OuWQXazh4VjLWAaCLAA954em7DMh0h8="


class VerificationError(AssertionError):
    """The signature does not hold."""


@dataclass(frozen=True)
class Verified:
    signature_id: str
    certificate: x509.Certificate
    signing_time: dt.datetime
    claimed_role: str
    policy_identifier: str
    policy_digest: str
    signing_certificate_v2: bool
    document_digest: str


def _one(node: etree._Element, path: str) -> etree._Element:
    found = node.findall(path, NS)
    if len(found) != 1:
        raise VerificationError(f"se esperaba un {path}, hay {len(found)}")
    return found[0]


def _text(node: etree._Element, path: str) -> str:
    return (_one(node, path).text or "").strip()


def _by_id(root: etree._Element, ident: str) -> etree._Element:
    found = [e for e in root.iter() if isinstance(e.tag, str) and e.get("Id") == ident]
    if len(found) != 1:
        raise VerificationError(f"Id {ident!r} aparece {len(found)} veces")
    return found[0]


def _without_signature(root: etree._Element, index: int) -> bytes:
    """The enveloped-signature transform: drop the element, keep the text around it."""
    clone = copy.deepcopy(root)
    signature = clone.findall(f"{{{DS}}}Signature")[index]
    tail = signature.tail or ""
    previous = signature.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + tail
    else:
        clone.text = (clone.text or "") + tail
    clone.remove(signature)
    return etree.tostring(clone, method="c14n", exclusive=False, with_comments=False)


def _digest(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def _b64_int(text: str) -> int:
    return int.from_bytes(base64.b64decode(text), "big")


def verify(
    xml: bytes,
    *,
    policy_identifier: str = POLITICA_V44,
    policy_digest: str = HASH_POLITICA_V44,
    role: str | None = None,
    index: int = -1,
) -> Verified:
    """Verify the ``index``-th ``ds:Signature`` child of the root; raise VerificationError."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(xml, parser)
    signatures = root.findall(f"{{{DS}}}Signature")
    if not signatures:
        raise VerificationError("el documento no tiene ds:Signature como hijo de la raíz")
    signature = signatures[index]
    signature_id = signature.get("Id") or ""
    signed_info = _one(signature, "ds:SignedInfo")
    if _one(signed_info, "ds:CanonicalizationMethod").get("Algorithm") != C14N:
        raise VerificationError("CanonicalizationMethod no es C14N inclusivo")
    if _one(signed_info, "ds:SignatureMethod").get("Algorithm") != RSA_SHA256:
        raise VerificationError("SignatureMethod no es RSA-SHA256")

    key_info = _one(signature, "ds:KeyInfo")
    der = base64.b64decode(_text(key_info, "ds:X509Data/ds:X509Certificate"))
    certificate = x509.load_der_x509_certificate(der)
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise VerificationError("el certificado no es RSA")
    numbers = public_key.public_numbers()
    if _b64_int(_text(key_info, "ds:KeyValue/ds:RSAKeyValue/ds:Modulus")) != numbers.n:
        raise VerificationError("RSAKeyValue/Modulus no corresponde al certificado")
    if _b64_int(_text(key_info, "ds:KeyValue/ds:RSAKeyValue/ds:Exponent")) != numbers.e:
        raise VerificationError("RSAKeyValue/Exponent no corresponde al certificado")

    qualifying = _one(signature, "ds:Object/xades:QualifyingProperties")
    if qualifying.get("Target") != f"#{signature_id}":
        raise VerificationError("QualifyingProperties/@Target no apunta a la firma")
    properties = _one(qualifying, "xades:SignedProperties")

    references = signed_info.findall("ds:Reference", NS)
    if len(references) != 3:
        raise VerificationError(f"se esperaban 3 referencias, hay {len(references)}")
    document_reference: etree._Element | None = None
    seen: set[str] = set()
    for reference in references:
        if _one(reference, "ds:DigestMethod").get("Algorithm") != SHA256:
            raise VerificationError("DigestMethod no es SHA-256")
        uri = reference.get("URI")
        transforms = [t.get("Algorithm") for t in reference.findall("ds:Transforms/ds:Transform", NS)]
        if uri == "":
            if transforms not in ([ENVELOPED], [ENVELOPED, C14N]):
                raise VerificationError(f"transformaciones inesperadas: {transforms}")
            data = _without_signature(root, index)
            document_reference = reference
            seen.add("document")
        else:
            if uri is None or not uri.startswith("#") or transforms:
                raise VerificationError(f"referencia inesperada: {uri} {transforms}")
            target = _by_id(root, uri[1:])
            if target is key_info:
                seen.add("keyinfo")
            elif target is properties:
                if reference.get("Type") != SIGNED_PROPERTIES:
                    raise VerificationError("la referencia a SignedProperties no declara su Type")
                seen.add("properties")
            else:
                raise VerificationError(f"la referencia {uri} no apunta a KeyInfo ni a SignedProperties")
            data = etree.tostring(target, method="c14n", exclusive=False, with_comments=False)
        if _digest(data) != _text(reference, "ds:DigestValue"):
            raise VerificationError(f"DigestValue de la referencia {uri!r} no coincide")
    if seen != {"document", "keyinfo", "properties"} or document_reference is None:
        raise VerificationError(f"faltan referencias: {seen}")

    signed = etree.tostring(signed_info, method="c14n", exclusive=False, with_comments=False)
    value = base64.b64decode(_text(signature, "ds:SignatureValue"))
    try:
        public_key.verify(value, signed, padding.PKCS1v15(), hashes.SHA256())
    except Exception as exc:
        raise VerificationError("SignatureValue inválido") from exc

    signature_properties = _one(properties, "xades:SignedSignatureProperties")
    signing_time = dt.datetime.fromisoformat(_text(signature_properties, "xades:SigningTime"))
    if signing_time.tzinfo is None:
        raise VerificationError("SigningTime sin zona horaria")
    v1 = signature_properties.findall("xades:SigningCertificate", NS)
    v2 = signature_properties.findall("xades:SigningCertificateV2", NS)
    if len(v1) + len(v2) != 1:
        raise VerificationError("se espera exactamente un SigningCertificate o SigningCertificateV2")
    cert_node = _one((v1 or v2)[0], "xades:Cert")
    if _one(cert_node, "xades:CertDigest/ds:DigestMethod").get("Algorithm") != SHA256:
        raise VerificationError("CertDigest no es SHA-256")
    if _text(cert_node, "xades:CertDigest/ds:DigestValue") != _digest(
        certificate.public_bytes(serialization.Encoding.DER)
    ):
        raise VerificationError("CertDigest no corresponde al certificado que firma")
    if v1:
        issuer = x509.Name.from_rfc4514_string(_text(cert_node, "xades:IssuerSerial/ds:X509IssuerName"))
        if issuer != certificate.issuer:
            raise VerificationError("X509IssuerName no corresponde al emisor del certificado")
        if int(_text(cert_node, "xades:IssuerSerial/ds:X509SerialNumber")) != certificate.serial_number:
            raise VerificationError("X509SerialNumber no corresponde al certificado")
    policy = _one(signature_properties, "xades:SignaturePolicyIdentifier/xades:SignaturePolicyId")
    identifier = _text(policy, "xades:SigPolicyId/xades:Identifier")
    if identifier != policy_identifier:
        raise VerificationError(f"política {identifier!r} inesperada")
    if _one(policy, "xades:SigPolicyHash/ds:DigestMethod").get("Algorithm") != SHA256:
        raise VerificationError("SigPolicyHash no es SHA-256")
    digest = _text(policy, "xades:SigPolicyHash/ds:DigestValue")
    if digest != policy_digest:
        raise VerificationError("SigPolicyHash no coincide con el de la política")
    claimed = _text(signature_properties, "xades:SignerRole/xades:ClaimedRoles/xades:ClaimedRole")
    if role is not None and claimed != role:
        raise VerificationError(f"ClaimedRole {claimed!r}, se esperaba {role!r}")
    data_format = _one(properties, "xades:SignedDataObjectProperties/xades:DataObjectFormat")
    if data_format.get("ObjectReference") != f"#{document_reference.get('Id')}":
        raise VerificationError("DataObjectFormat no apunta a la referencia del documento")
    if _text(data_format, "xades:MimeType") != "text/xml" or _text(data_format, "xades:Encoding") != "UTF-8":
        raise VerificationError("DataObjectFormat no declara text/xml en UTF-8")
    return Verified(
        signature_id=signature_id,
        certificate=certificate,
        signing_time=signing_time,
        claimed_role=claimed,
        policy_identifier=identifier,
        policy_digest=digest,
        signing_certificate_v2=bool(v2),
        document_digest=_text(document_reference, "ds:DigestValue"),
    )
