"""The comprobante's XMLDSig signature: SUNAT's "Firma" sheet, then integrity (2335).

Follows the Firma sheet of SUNAT's validation workbook (presence of ``ds:Signature/@Id``,
of each algorithm, of the reference URI, digest, signature value and certificate, and a
reference URI that must be empty) and the General sheet's 2335 "El documento electrónico
ingresado ha sido alterado", with the algorithms ``sunat.md`` §5 lists as accepted.

The signature is verified with signxml against the certificate embedded in its own
KeyInfo, as SUNAT beta does: any certificate is trusted, and its validity period is not
part of the integrity check (production checks the certificate against SOL, 2325/2326).
"""

from __future__ import annotations

import binascii
import dataclasses
from base64 import b64decode

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from lxml import etree
from signxml.algorithms import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureConstructionMethod,
    SignatureMethod,
)
from signxml.exceptions import SignXMLException
from signxml.verifier import SignatureConfiguration, XMLVerifier

from openpse.sandbox.sunat.document import DS, EXT
from openpse.sandbox.sunat.errors import Finding, FindingError, SunatException

_C14N = frozenset(
    {
        CanonicalizationMethod.CANONICAL_XML_1_0.value,
        CanonicalizationMethod.CANONICAL_XML_1_0_WITH_COMMENTS.value,
        CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0.value,
        CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0_WITH_COMMENTS.value,
    }
)
_TRANSFORMS = _C14N | {SignatureConstructionMethod.enveloped.value}

_LOCATION = f"./{{{EXT}}}UBLExtensions/{{{EXT}}}UBLExtension/{{{EXT}}}ExtensionContent/"
_CONFIG = SignatureConfiguration(
    require_x509=True,
    location=_LOCATION,
    expect_references=1,
    signature_methods=frozenset(
        {SignatureMethod.RSA_SHA1, SignatureMethod.RSA_SHA256, SignatureMethod.RSA_SHA512}
    ),
    digest_algorithms=frozenset({DigestAlgorithm.SHA1, DigestAlgorithm.SHA256, DigestAlgorithm.SHA512}),
    # XMLDSig: a node-set reference without a c14n transform is serialised with
    # Canonical XML 1.0 (signxml would otherwise use 1.1).
    default_reference_c14n_method=CanonicalizationMethod.CANONICAL_XML_1_0,
)

_SIG = "ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent/ds:Signature"
_SIGNATURE_PATH = f"{_LOCATION}{{{DS}}}Signature"


def _ds(name: str) -> str:
    return f"{{{DS}}}{name}"


def _stop(code: str, node: str, value: str = "") -> FindingError:
    return FindingError(Finding(code, node, value))


def _check_structure(signature: etree._Element | None) -> str:
    """Apply the Firma sheet's presence checks; return the embedded certificate (base64)."""
    if signature is None:
        raise _stop("2085", f"{_SIG}/@Id")
    signature_id = (signature.get("Id") or "").strip()
    if not signature_id:
        raise _stop("2085", f"{_SIG}/@Id")
    if len(signature_id) > 3000:
        raise _stop("2084", f"{_SIG}/@Id", signature_id[:50])
    signed_info = signature.find(_ds("SignedInfo"))
    if signed_info is None:
        raise _stop("2087", "ds:SignedInfo/ds:CanonicalizationMethod/@Algorithm")
    c14n = signed_info.find(_ds("CanonicalizationMethod"))
    c14n_algorithm = "" if c14n is None else c14n.get("Algorithm", "")
    if not c14n_algorithm:
        raise _stop("2087", "ds:SignedInfo/ds:CanonicalizationMethod/@Algorithm")
    method = signed_info.find(_ds("SignatureMethod"))
    if method is None or not method.get("Algorithm"):
        raise _stop("2089", "ds:SignedInfo/ds:SignatureMethod/@Algorithm")
    reference = signed_info.find(_ds("Reference"))
    uri = None if reference is None else reference.get("URI")
    if reference is None or uri is None:
        raise _stop("2091", "ds:SignedInfo/ds:Reference/@URI")
    if uri != "":
        raise _stop("2090", "ds:SignedInfo/ds:Reference/@URI", uri)
    transform_path = f"{_ds('Transforms')}/{_ds('Transform')}"
    transforms = [transform.get("Algorithm", "") for transform in reference.iterfind(transform_path)]
    if not transforms or not all(transforms):
        raise _stop("2093", "ds:Reference/ds:Transforms/ds:Transform/@Algorithm")
    digest_method = reference.find(_ds("DigestMethod"))
    if digest_method is None or not digest_method.get("Algorithm"):
        raise _stop("2095", "ds:Reference/ds:DigestMethod/@Algorithm")
    if not (reference.findtext(_ds("DigestValue")) or "").strip():
        raise _stop("2097", "ds:Reference/ds:DigestValue")
    if not (signature.findtext(_ds("SignatureValue")) or "").strip():
        raise _stop("2099", "ds:Signature/ds:SignatureValue")
    certificate = signature.findtext(f"{_ds('KeyInfo')}/{_ds('X509Data')}/{_ds('X509Certificate')}") or ""
    if not certificate.strip():
        raise _stop("2101", "ds:KeyInfo/ds:X509Data/ds:X509Certificate")

    if c14n_algorithm not in _C14N:
        raise _stop("2335", "ds:CanonicalizationMethod/@Algorithm", c14n_algorithm)
    unsupported = next((algorithm for algorithm in transforms if algorithm not in _TRANSFORMS), None)
    if unsupported is not None:
        raise _stop("2335", "ds:Transform/@Algorithm", unsupported)
    return certificate


def verify(xml: bytes, root: etree._Element) -> None:
    """Check the signature of ``xml`` (whose parsed root is ``root``); raise on any failure."""
    certificate_text = _check_structure(root.find(_SIGNATURE_PATH))
    try:
        certificate = x509.load_der_x509_certificate(b64decode("".join(certificate_text.split())))
    except (binascii.Error, ValueError) as exc:
        raise _stop("2100", "ds:X509Data/ds:X509Certificate", str(exc)[:100]) from exc
    config = dataclasses.replace(_CONFIG, verification_time=certificate.not_valid_before_utc)
    try:
        XMLVerifier().verify(xml, x509_cert=certificate, expect_config=config)
    except etree.DocumentInvalid as exc:
        # The xmldsig schema belongs to the UBL schema set SUNAT validates first (0306).
        raise SunatException("0306", f"ds:Signature no cumple el esquema: {exc}") from exc
    except (SignXMLException, InvalidSignature, ValueError, etree.LxmlError) as exc:
        raise _stop("2335", "ds:Signature", str(exc)[:200]) from exc


def digest_value(root: etree._Element) -> str:
    """The ``ds:DigestValue`` of the document's signature: the "hash" printed on the
    representation and carried by an OSE CDR as DocumentHash (``sunat.md`` §3.2, §5)."""
    path = f"{_SIGNATURE_PATH}/{_ds('SignedInfo')}/{_ds('Reference')}/{_ds('DigestValue')}"
    return "".join((root.findtext(path) or "").split())
