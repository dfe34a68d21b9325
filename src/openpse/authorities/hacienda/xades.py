"""Hacienda's XAdES-EPES signature profile (reference §4), written without an XML library.

The signature is an enveloped ``ds:Signature`` appended as the last child of the root, with
inclusive C14N, RSA-SHA256, SHA-256 digests and three references, in the order the
reference signers use: the document (``URI=""``, enveloped-signature transform), the
``ds:KeyInfo`` (certificate and RSA key value) and the ``xades:SignedProperties``
(``Type="http://uri.etsi.org/01903#SignedProperties"``). The signed properties carry
SigningTime (Costa Rica time, as the reference PHP signers write it), SigningCertificate
(v1: SHA-256 of the DER certificate plus IssuerSerial; or v2 without IssuerSerial, see
:class:`HaciendaXadesProfile`), the SignaturePolicyIdentifier of resolution
MH-DGT-RES-0027-2024 with the SHA-256 of its PDF, SignerRole/ClaimedRole (mandatory since
v4.4, bitácora item 146) and a DataObjectFormat (text/xml, UTF-8) pointing at the document
reference.

Why no parsing: a document OpenPSE wrote is already canonical, so its digest is the hash of
the text; ``KeyInfo``, ``SignedProperties`` and ``SignedInfo`` are digested or signed in the
canonical form inclusive C14N gives a document subset, which renders on the subset's apex
every namespace declaration in scope (C14N §2.4: here the root's default namespace and
``ds``, plus ``xades`` for the signed properties). The same strings, without those
declarations, are what goes into the document. The certificate's part is computed once per
certificate. Documents that arrive as XML from outside are signed by :func:`firmar_arbol`,
which lets lxml canonicalise.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import uuid
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree

from openpse.core.timeutil import COSTA_RICA
from openpse.signing.canonical import escape_attr, escape_text
from openpse.signing.certificates import Certificate
from openpse.signing.xmldsig import DS_NS, CanonicalDocument, SignedXml

XADES_NS = "http://uri.etsi.org/01903/v1.3.2#"
C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
SIGNED_PROPERTIES_TYPE = "http://uri.etsi.org/01903#SignedProperties"
_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,100}")

POLITICA_V44 = (
    "https://cdn.comprobanteselectronicos.go.cr/xml-schemas/"
    "Resoluci%C3%B3n_General_sobre_disposiciones_t%C3%A9cnicas_comprobantes_electr%C3%B3nicos_para_efectos_tributarios.pdf"
)
"""Policy of v4.4 (CRLibre 94843d8, josiasmc CreadorXML, Dojo manifest; the Anexo 2 prints
``xmlschemas`` without the hyphen, which does not resolve)."""
HASH_POLITICA_V44 = "DWxin1xWOeI8OuWQXazh4VjLWAaCLAA954em7DMh0h8="
"""base64(SHA-256) of the policy PDF (hex 0d6c629f…d21f)."""


@dataclass(frozen=True)
class HaciendaXadesProfile:
    """The URIs and choices of a Hacienda signature, in one place."""

    policy_identifier: str = POLITICA_V44
    policy_digest: str = HASH_POLITICA_V44
    policy_digest_method: str = SHA256
    policy_description: str | None = ""
    """Written as an empty ``xades:Description``, as the reference signers do; None omits it."""
    signing_certificate_v2: bool = False
    """False: ``SigningCertificate`` with IssuerSerial (what the reference signers send and
    Hacienda accepts); True: ``SigningCertificateV2`` (XAdES 1.3.2 2016 schema), no IssuerSerial."""
    canonicalization: str = C14N
    signature_method: str = RSA_SHA256
    digest_method: str = SHA256
    mime_type: str = "text/xml"
    encoding: str = "UTF-8"

    def __post_init__(self) -> None:
        if (
            self.canonicalization != C14N
            or self.signature_method != RSA_SHA256
            or self.digest_method != SHA256
        ):
            raise ValueError("Hacienda firma con C14N inclusivo, RSA-SHA256 y digest SHA-256")
        try:
            if len(base64.b64decode(self.policy_digest, validate=True)) != 32:
                raise ValueError("el hash de la política debe ser un SHA-256 en base64")
        except ValueError as exc:
            raise ValueError(f"hash de política inválido: {exc}") from exc


DEFAULT_PROFILE = HaciendaXadesProfile()


@dataclass(frozen=True)
class _Identity:
    """The certificate's part of every signature, rendered once."""

    key_info_body: str
    signing_certificate: str
    signing_certificate_v2: str


def _b64_int(value: int) -> str:
    # XMLDSig CryptoBinary: big-endian, without leading zero octets.
    return base64.b64encode(value.to_bytes((value.bit_length() + 7) // 8, "big")).decode("ascii")


_IDENTITIES: dict[int, tuple[Certificate, _Identity]] = {}
"""Rendered identities by ``id(cert)``: hashing a Certificate hashes its DER, which costs more
than the lookup saves. The stored certificate keeps the id from being reused while cached."""


def _identity(cert: Certificate) -> _Identity:
    entry = _IDENTITIES.get(id(cert))
    if entry is not None and entry[0] is cert:
        return entry[1]
    if len(_IDENTITIES) >= 256:
        _IDENTITIES.clear()
    identity = _render_identity(cert)
    _IDENTITIES[id(cert)] = (cert, identity)
    return identity


def _render_identity(cert: Certificate) -> _Identity:
    numbers = cert.private_key.public_key().public_numbers()
    der = cert.certificate.public_bytes(serialization.Encoding.DER)
    cert_digest = base64.b64encode(hashlib.sha256(der).digest()).decode("ascii")
    key_info_body = (
        f"<ds:X509Data><ds:X509Certificate>{cert.der_b64}</ds:X509Certificate></ds:X509Data>"
        f"<ds:KeyValue><ds:RSAKeyValue><ds:Modulus>{_b64_int(numbers.n)}</ds:Modulus>"
        f"<ds:Exponent>{_b64_int(numbers.e)}</ds:Exponent></ds:RSAKeyValue></ds:KeyValue>"
    )
    digest = (
        f'<xades:CertDigest><ds:DigestMethod Algorithm="{SHA256}"></ds:DigestMethod>'
        f"<ds:DigestValue>{cert_digest}</ds:DigestValue></xades:CertDigest>"
    )
    issuer = escape_text(cert.certificate.issuer.rfc4514_string())
    v1 = (
        f"<xades:SigningCertificate><xades:Cert>{digest}<xades:IssuerSerial>"
        f"<ds:X509IssuerName>{issuer}</ds:X509IssuerName>"
        f"<ds:X509SerialNumber>{cert.certificate.serial_number}</ds:X509SerialNumber>"
        "</xades:IssuerSerial></xades:Cert></xades:SigningCertificate>"
    )
    v2 = f"<xades:SigningCertificateV2><xades:Cert>{digest}</xades:Cert></xades:SigningCertificateV2>"
    return _Identity(key_info_body, v1, v2)


@lru_cache(maxsize=64)
def _declarations_of(items: tuple[tuple[str, str], ...]) -> str:
    return "".join(
        f' xmlns="{escape_attr(uri)}"' if prefix == "" else f' xmlns:{prefix}="{escape_attr(uri)}"'
        for prefix, uri in sorted(items)
    )


def _declarations(namespaces: dict[str, str]) -> str:
    """Namespace declarations as C14N renders them: default first, then by prefix."""
    return _declarations_of(tuple(namespaces.items()))


@lru_cache(maxsize=16)
def _policy(profile: HaciendaXadesProfile) -> str:
    description = (
        f"<xades:Description>{escape_text(profile.policy_description)}</xades:Description>"
        if profile.policy_description is not None
        else ""
    )
    return (
        "<xades:SignaturePolicyIdentifier><xades:SignaturePolicyId><xades:SigPolicyId>"
        f"<xades:Identifier>{escape_text(profile.policy_identifier)}</xades:Identifier>{description}"
        "</xades:SigPolicyId><xades:SigPolicyHash>"
        f'<ds:DigestMethod Algorithm="{escape_attr(profile.policy_digest_method)}"></ds:DigestMethod>'
        f"<ds:DigestValue>{escape_text(profile.policy_digest)}</ds:DigestValue>"
        "</xades:SigPolicyHash></xades:SignaturePolicyId></xades:SignaturePolicyIdentifier>"
    )


def _digest(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def signing_time(momento: dt.datetime | None = None) -> str:
    """SigningTime in Costa Rica time with its offset (``2026-11-21T10:15:02-06:00``)."""
    value = momento or dt.datetime.now(COSTA_RICA)
    if value.tzinfo is None:
        value = value.replace(tzinfo=COSTA_RICA)
    return value.astimezone(COSTA_RICA).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class _Parts:
    signature_id: str
    key_info: str
    signed_properties: str
    signed_info_body: str


def _parts(
    digest_documento: str,
    scope: dict[str, str],
    cert: Certificate,
    profile: HaciendaXadesProfile,
    role: str,
    momento: dt.datetime | None,
    signature_id: str | None,
) -> _Parts:
    """Render KeyInfo, SignedProperties and the SignedInfo body for one signature.

    ``scope`` holds the namespace declarations in scope at the signature (the root's plus
    ``ds``); they are rendered on each digested apex, as inclusive C14N of a subset does.
    """
    ident = _identity(cert)
    if signature_id is None:
        sid = f"Signature-{uuid.uuid4().hex}"
    elif _ID.fullmatch(signature_id):
        sid = signature_id
    else:
        raise ValueError(f"Id de firma inválido (xs:ID): {signature_id!r}")
    # Ids are NCNames from _ID: nothing in them needs escaping.
    key_info_id = f"KeyInfoId-{sid}"
    properties_id = f"SignedProperties-{sid}"
    reference_id = f"Reference-{sid}"
    key_info_attrs = f' Id="{key_info_id}"'
    key_info_doc = f"<ds:KeyInfo{key_info_attrs}>{ident.key_info_body}</ds:KeyInfo>"
    key_info_c14n = f"<ds:KeyInfo{_declarations(scope)}{key_info_attrs}>{ident.key_info_body}</ds:KeyInfo>"
    certificate = (
        ident.signing_certificate_v2 if profile.signing_certificate_v2 else ident.signing_certificate
    )
    properties_body = (
        "<xades:SignedSignatureProperties>"
        f"<xades:SigningTime>{signing_time(momento)}</xades:SigningTime>"
        f"{certificate}{_policy(profile)}"
        "<xades:SignerRole><xades:ClaimedRoles>"
        f"<xades:ClaimedRole>{escape_text(role)}</xades:ClaimedRole>"
        "</xades:ClaimedRoles></xades:SignerRole>"
        "</xades:SignedSignatureProperties>"
        "<xades:SignedDataObjectProperties>"
        f'<xades:DataObjectFormat ObjectReference="#{reference_id}">'
        f"<xades:MimeType>{escape_text(profile.mime_type)}</xades:MimeType>"
        f"<xades:Encoding>{escape_text(profile.encoding)}</xades:Encoding>"
        "</xades:DataObjectFormat></xades:SignedDataObjectProperties>"
    )
    properties_attrs = f' Id="{properties_id}"'
    properties_doc = f"<xades:SignedProperties{properties_attrs}>{properties_body}</xades:SignedProperties>"
    properties_scope = {**scope, "xades": XADES_NS}
    properties_c14n = (
        f"<xades:SignedProperties{_declarations(properties_scope)}{properties_attrs}>"
        f"{properties_body}</xades:SignedProperties>"
    )
    signed_info_body = (
        f'<ds:CanonicalizationMethod Algorithm="{C14N}"></ds:CanonicalizationMethod>'
        f'<ds:SignatureMethod Algorithm="{RSA_SHA256}"></ds:SignatureMethod>'
        f'<ds:Reference Id="{reference_id}" URI=""><ds:Transforms>'
        f'<ds:Transform Algorithm="{ENVELOPED}"></ds:Transform></ds:Transforms>'
        f'<ds:DigestMethod Algorithm="{SHA256}"></ds:DigestMethod>'
        f"<ds:DigestValue>{digest_documento}</ds:DigestValue></ds:Reference>"
        f'<ds:Reference Id="ReferenceKeyInfo-{sid}" URI="#{key_info_id}">'
        f'<ds:DigestMethod Algorithm="{SHA256}"></ds:DigestMethod>'
        f"<ds:DigestValue>{_digest(key_info_c14n)}</ds:DigestValue></ds:Reference>"
        f'<ds:Reference Type="{SIGNED_PROPERTIES_TYPE}" URI="#{properties_id}">'
        f'<ds:DigestMethod Algorithm="{SHA256}"></ds:DigestMethod>'
        f"<ds:DigestValue>{_digest(properties_c14n)}</ds:DigestValue></ds:Reference>"
    )
    return _Parts(sid, key_info_doc, properties_doc, signed_info_body)


def _signature(parts: _Parts, signature_value: str, declare_ds: bool) -> str:
    sid = parts.signature_id
    ds_decl = f' xmlns:ds="{DS_NS}"' if declare_ds else ""
    return (
        f'<ds:Signature{ds_decl} Id="{sid}"><ds:SignedInfo>{parts.signed_info_body}</ds:SignedInfo>'
        f'<ds:SignatureValue Id="SignatureValue-{sid}">{signature_value}</ds:SignatureValue>'
        f"{parts.key_info}"
        f'<ds:Object Id="XadesObjectId-{sid}">'
        f'<xades:QualifyingProperties xmlns:xades="{XADES_NS}" Id="QualifyingProperties-{sid}"'
        f' Target="#{sid}">'
        f"{parts.signed_properties}</xades:QualifyingProperties></ds:Object></ds:Signature>"
    )


def _sign(cert: Certificate, signed_info_c14n: str) -> str:
    raw = cert.private_key.sign(signed_info_c14n.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode("ascii")


def firmar_canonico(
    documento: CanonicalDocument,
    cert: Certificate,
    role: str = "Emisor",
    profile: HaciendaXadesProfile = DEFAULT_PROFILE,
    momento: dt.datetime | None = None,
    signature_id: str | None = None,
) -> SignedXml:
    """Sign a document OpenPSE wrote (``before`` + signature + ``after``), with no parsing.

    ``documento.namespaces`` must be the root's declarations, ``ds`` among them. The result's
    ``digest_value`` is the document reference's DigestValue.
    """
    if documento.namespaces.get("ds") != DS_NS:
        raise ValueError("la raíz debe declarar xmlns:ds")
    digest_documento = _digest(documento.before + documento.after)
    parts = _parts(digest_documento, documento.namespaces, cert, profile, role, momento, signature_id)
    signed_info_c14n = (
        f"<ds:SignedInfo{_declarations(documento.namespaces)}>{parts.signed_info_body}</ds:SignedInfo>"
    )
    signature = _signature(parts, _sign(cert, signed_info_c14n), declare_ds=False)
    xml = f'<?xml version="1.0" encoding="UTF-8"?>\n{documento.before}{signature}{documento.after}'
    return SignedXml(xml=xml.encode("utf-8"), digest_value=digest_documento)


class FirmaError(ValueError):
    """The XML cannot carry a Hacienda signature as it is."""


def firmar_arbol(
    root: etree._Element,
    cert: Certificate,
    role: str = "Emisor",
    profile: HaciendaXadesProfile = DEFAULT_PROFILE,
    momento: dt.datetime | None = None,
    signature_id: str | None = None,
) -> SignedXml:
    """Sign a document that came from outside (already parsed with ``openpse.core.xmlsafe``).

    The document is canonicalised by lxml, the signature text is built as in
    :func:`firmar_canonico` and spliced in before the root's end tag of that canonical text,
    so what was hashed is exactly what is sent. A document that already carries a signature
    is refused: a second enveloped signature over ``URI=""`` would invalidate the first
    (receptor counter-signatures of credit sales need another transform, see bitácora 146).
    """
    if root.find(f"{{{DS_NS}}}Signature") is not None:
        raise FirmaError("El documento ya está firmado")
    if any(name.startswith("{http://www.w3.org/XML/1998/namespace}") for name in root.attrib):
        raise FirmaError("La raíz no puede llevar atributos xml:* (C14N los heredaría en la firma)")
    scope = {prefix or "": uri for prefix, uri in root.nsmap.items()}
    if scope.get("ds", DS_NS) != DS_NS:
        raise FirmaError("El prefijo ds de la raíz no es el espacio de nombres de XMLDSig")
    declare_ds = "ds" not in scope
    scope["ds"] = DS_NS
    canonical = etree.tostring(root, method="c14n", exclusive=False, with_comments=False).decode("utf-8")
    closing = f"</{root.prefix + ':' if root.prefix else ''}{etree.QName(root).localname}>"
    if not canonical.endswith(closing):
        raise FirmaError("No se encontró la etiqueta de cierre de la raíz")
    cut = len(canonical) - len(closing)
    # Without the enveloped signature the document is the canonical text as it was.
    digest_documento = _digest(canonical)
    parts = _parts(digest_documento, scope, cert, profile, role, momento, signature_id)
    signed_info_c14n = f"<ds:SignedInfo{_declarations(scope)}>{parts.signed_info_body}</ds:SignedInfo>"
    signature = _signature(parts, _sign(cert, signed_info_c14n), declare_ds=declare_ds)
    xml = f'<?xml version="1.0" encoding="UTF-8"?>\n{canonical[:cut]}{signature}{canonical[cut:]}'
    return SignedXml(xml=xml.encode("utf-8"), digest_value=digest_documento)
