"""SUNAT's enveloped XMLDSig profile for UBL documents.

Follows SUNAT's "Firma" rule sheet (codes 2084–2101, 2335) and the XMLDSig 1.0
recommendation: one ``ds:Signature`` inside the empty
``ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent``, one ``ds:Reference`` with
``URI=""`` and the enveloped-signature transform, ``X509Certificate`` in ``KeyInfo``.

Why it is short and fast: the reference digest is the canonical form of the document
*without* the signature element, which is exactly the document before the signature is
inserted (the placeholder is emptied first), so the document is canonicalised once.
``SignedInfo`` is canonicalised in place, after insertion, so that inclusive C14N sees
the namespace declarations a verifier will see.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree

from openpse.signing.canonical import escape_attr
from openpse.signing.certificates import Certificate

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
EXT_NS = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"
_DS = "{" + DS_NS + "}"
_EXT_CONTENT = "{" + EXT_NS + "}ExtensionContent"


class Canonicalization(StrEnum):
    """Canonicalization methods SUNAT accepts (rule 2089 only checks presence)."""

    C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
    """Canonical XML 1.0, without comments (SUNAT's guide and SFS default)."""
    EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
    """Exclusive XML Canonicalization 1.0, without comments."""


class SignatureMethod(StrEnum):
    RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
    RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"


class DigestMethod(StrEnum):
    SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
    SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"


ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"

_HASHES: dict[DigestMethod, Callable[..., Any]] = {
    DigestMethod.SHA1: hashlib.sha1,
    DigestMethod.SHA256: hashlib.sha256,
}
_SIGN_HASHES: dict[SignatureMethod, type[hashes.HashAlgorithm]] = {
    SignatureMethod.RSA_SHA1: hashes.SHA1,
    SignatureMethod.RSA_SHA256: hashes.SHA256,
}


@dataclass(frozen=True)
class SunatSignatureProfile:
    """How a SUNAT document is signed. RSA-SHA256 by default; RSA-SHA1 as an issuer option."""

    signature_method: SignatureMethod = SignatureMethod.RSA_SHA256
    digest_method: DigestMethod = DigestMethod.SHA256
    canonicalization: Canonicalization = Canonicalization.C14N
    signature_id: str = "SignOpenPSE"

    @classmethod
    def named(cls, algoritmo: str) -> SunatSignatureProfile:
        """``"sha256"`` (default) or ``"sha1"``, the per-company setting."""
        if algoritmo == "sha1":
            return cls(SignatureMethod.RSA_SHA1, DigestMethod.SHA1)
        if algoritmo == "sha256":
            return cls()
        raise ValueError(f"algoritmo de firma desconocido: {algoritmo}")


DEFAULT_PROFILE = SunatSignatureProfile()


class SigningError(ValueError):
    """The document has no place for the signature or is already signed."""


@dataclass(frozen=True)
class SignedXml:
    """The signed bytes (to be zipped as they are) and the DigestValue ("hash" of the CPE)."""

    xml: bytes
    digest_value: str


def _c14n(node: etree._Element, method: Canonicalization) -> bytes:
    return etree.tostring(
        node, method="c14n", exclusive=method is Canonicalization.EXC_C14N, with_comments=False
    )


def find_signature_slot(root: etree._Element) -> etree._Element:
    """The first ``ext:ExtensionContent`` with no element child: where the signature goes."""
    for content in root.iter(_EXT_CONTENT):
        if len(content) == 0:
            return content
    raise SigningError(
        "El documento no tiene un ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent vacío para la firma"
    )


def sign(
    root: etree._Element, cert: Certificate, profile: SunatSignatureProfile = DEFAULT_PROFILE
) -> SignedXml:
    """Sign ``root`` in place and return its serialisation.

    The element tree is modified (the signature is inserted); serialise nothing else
    from it afterwards and zip ``SignedXml.xml`` byte for byte: re-serialising signed XML
    is how documents end up rejected with 2335.
    """
    slot = find_signature_slot(root)
    # Whitespace in the placeholder would survive the enveloped transform on the
    # verifier's side but not here; an empty slot keeps both sides identical.
    slot.text = None

    # With only the enveloped transform the reference is canonicalised with inclusive
    # C14N (XMLDSig §4.3.3.2); the exclusive profile names its transform explicitly.
    digest_bytes = _HASHES[profile.digest_method](_c14n(root, profile.canonicalization)).digest()
    digest_value = base64.b64encode(digest_bytes).decode("ascii")

    signature = etree.SubElement(slot, _DS + "Signature", Id=profile.signature_id)
    signed_info = etree.SubElement(signature, _DS + "SignedInfo")
    etree.SubElement(signed_info, _DS + "CanonicalizationMethod", Algorithm=profile.canonicalization.value)
    etree.SubElement(signed_info, _DS + "SignatureMethod", Algorithm=profile.signature_method.value)
    reference = etree.SubElement(signed_info, _DS + "Reference", URI="")
    transforms = etree.SubElement(reference, _DS + "Transforms")
    etree.SubElement(transforms, _DS + "Transform", Algorithm=ENVELOPED)
    if profile.canonicalization is Canonicalization.EXC_C14N:
        etree.SubElement(transforms, _DS + "Transform", Algorithm=Canonicalization.EXC_C14N.value)
    etree.SubElement(reference, _DS + "DigestMethod", Algorithm=profile.digest_method.value)
    etree.SubElement(reference, _DS + "DigestValue").text = digest_value
    signature_value = etree.SubElement(signature, _DS + "SignatureValue")
    key_info = etree.SubElement(signature, _DS + "KeyInfo")
    x509_data = etree.SubElement(key_info, _DS + "X509Data")
    etree.SubElement(x509_data, _DS + "X509Certificate").text = cert.der_b64

    signed_info_c14n = _c14n(signed_info, profile.canonicalization)
    raw = cert.private_key.sign(
        signed_info_c14n, padding.PKCS1v15(), _SIGN_HASHES[profile.signature_method]()
    )
    signature_value.text = base64.b64encode(raw).decode("ascii")

    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return SignedXml(xml=xml, digest_value=digest_value)


@dataclass(frozen=True)
class CanonicalDocument:
    """A document written in canonical form (see ``canonical.py``) with an empty signature slot.

    ``before`` ends with the slot's start tag, ``after`` starts with its end tag, and
    ``namespaces`` are the declarations of the root element (which must include ``ds``).
    """

    before: str
    after: str
    namespaces: dict[str, str]


def sign_canonical(
    document: CanonicalDocument, cert: Certificate, profile: SunatSignatureProfile = DEFAULT_PROFILE
) -> SignedXml:
    """Sign a document OpenPSE wrote itself, without parsing it.

    The reference digest is the hash of ``before + after`` (the canonical form of the
    document without its signature). ``SignedInfo`` is canonicalised by writing it with
    every namespace declaration in scope, which is what inclusive C14N of that subset
    renders on its apex (C14N §2.4) and what a verifier recomputes from the document.
    """
    if profile.canonicalization is not Canonicalization.C14N:
        raise ValueError("sign_canonical implementa C14N inclusivo; use sign() para otros perfiles")
    if document.namespaces.get("ds") != DS_NS:
        raise ValueError("la raíz debe declarar xmlns:ds")
    digest = _HASHES[profile.digest_method]((document.before + document.after).encode("utf-8"))
    digest_value = base64.b64encode(digest.digest()).decode("ascii")
    body = (
        f'<ds:CanonicalizationMethod Algorithm="{profile.canonicalization.value}">'
        "</ds:CanonicalizationMethod>"
        f'<ds:SignatureMethod Algorithm="{profile.signature_method.value}"></ds:SignatureMethod>'
        '<ds:Reference URI=""><ds:Transforms>'
        f'<ds:Transform Algorithm="{ENVELOPED}"></ds:Transform></ds:Transforms>'
        f'<ds:DigestMethod Algorithm="{profile.digest_method.value}"></ds:DigestMethod>'
        f"<ds:DigestValue>{digest_value}</ds:DigestValue></ds:Reference>"
    )
    declarations = "".join(
        f' xmlns="{uri}"' if prefix == "" else f' xmlns:{prefix}="{uri}"'
        for prefix, uri in sorted(document.namespaces.items())
    )
    signed_info = f"<ds:SignedInfo{declarations}>{body}</ds:SignedInfo>".encode()
    raw = cert.private_key.sign(signed_info, padding.PKCS1v15(), _SIGN_HASHES[profile.signature_method]())
    signature = (
        f'<ds:Signature Id="{escape_attr(profile.signature_id)}"><ds:SignedInfo>{body}</ds:SignedInfo>'
        f"<ds:SignatureValue>{base64.b64encode(raw).decode('ascii')}</ds:SignatureValue>"
        f"<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert.der_b64}</ds:X509Certificate>"
        "</ds:X509Data></ds:KeyInfo></ds:Signature>"
    )
    xml = f'<?xml version="1.0" encoding="UTF-8"?>\n{document.before}{signature}{document.after}'
    return SignedXml(xml=xml.encode("utf-8"), digest_value=digest_value)


def digest_value_of(root: etree._Element) -> str | None:
    """The ``ds:DigestValue`` of a signed document (the "valor resumen" printed on the PDF)."""
    node = root.find(f".//{_DS}SignedInfo/{_DS}Reference/{_DS}DigestValue")
    return node.text if node is not None and node.text else None
