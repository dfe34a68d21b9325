"""SUNAT's XMLDSig profile, checked by an independent verifier (signxml)."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree
from signxml import InvalidSignature, SignatureConfiguration, XMLVerifier
from signxml.algorithms import DigestAlgorithm, SignatureMethod

from openpse.signing import xmldsig
from tests_support import shared_path

DS = "{http://www.w3.org/2000/09/xmldsig#}"
EXT = "{urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2}"
DOC = (
    '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" '
    'xmlns:ext="urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2" '
    'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2" '
    'xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
    "<ext:UBLExtensions><ext:UBLExtension><ext:ExtensionContent>\n  </ext:ExtensionContent>"
    "</ext:UBLExtension>"
    "</ext:UBLExtensions><cbc:ID>F001-1</cbc:ID><cbc:Note>Añó &amp; ñ</cbc:Note></Invoice>"
).encode()
ANY_ALGORITHM = SignatureConfiguration(
    signature_methods=frozenset(SignatureMethod), digest_algorithms=frozenset(DigestAlgorithm)
)


def verify(xml: bytes, certificate) -> None:
    XMLVerifier().verify(
        xml, x509_cert=certificate.certificate.public_bytes(Encoding.PEM), expect_config=ANY_ALGORITHM
    )


@pytest.mark.parametrize(
    "profile",
    [
        xmldsig.SunatSignatureProfile(),
        xmldsig.SunatSignatureProfile.named("sha1"),
        xmldsig.SunatSignatureProfile(canonicalization=xmldsig.Canonicalization.EXC_C14N),
    ],
    ids=["rsa-sha256-c14n", "rsa-sha1-c14n", "rsa-sha256-exc-c14n"],
)
def test_signature_verifies_with_signxml(profile, test_certificate):
    signed = xmldsig.sign(etree.fromstring(DOC), test_certificate, profile)
    verify(signed.xml, test_certificate)
    assert signed.digest_value == xmldsig.digest_value_of(etree.fromstring(signed.xml))


def test_default_profile_is_rsa_sha256_with_inclusive_c14n(test_certificate):
    root = etree.fromstring(xmldsig.sign(etree.fromstring(DOC), test_certificate).xml)
    assert root.find(f".//{DS}SignatureMethod").get("Algorithm") == xmldsig.SignatureMethod.RSA_SHA256
    assert root.find(f".//{DS}CanonicalizationMethod").get("Algorithm") == xmldsig.Canonicalization.C14N
    assert root.find(f".//{DS}Reference").get("URI") == ""


def test_signature_goes_inside_the_extension_content(test_certificate):
    root = etree.fromstring(xmldsig.sign(etree.fromstring(DOC), test_certificate).xml)
    signature = root.find(f"{EXT}UBLExtensions/{EXT}UBLExtension/{EXT}ExtensionContent/{DS}Signature")
    assert signature is not None
    assert signature.get("Id") == "SignOpenPSE"
    assert signature.findtext(f"{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate") == test_certificate.der_b64


def test_tampered_document_fails_verification(test_certificate):
    signed = xmldsig.sign(etree.fromstring(DOC), test_certificate).xml
    with pytest.raises(InvalidSignature):
        verify(signed.replace(b"F001-1", b"F001-2"), test_certificate)


def test_a_document_without_an_empty_slot_cannot_be_signed(test_certificate):
    signed = xmldsig.sign(etree.fromstring(DOC), test_certificate).xml
    with pytest.raises(xmldsig.SigningError):
        xmldsig.sign(etree.fromstring(signed), test_certificate)


def test_digest_matches_a_signature_sunat_accepted():
    # greenter's F001-1 tutorial invoice: DigestValue /wKIPKeZOhFEIOIyP1+T4AJDpfw= over inclusive C14N.
    root = etree.parse(
        str(shared_path("sunat", "samples", "signed", "greenter-F001-1", "20123456789-01-F001-1.xml"))
    )
    expected = xmldsig.digest_value_of(root.getroot())
    signature = root.find(f".//{DS}Signature")
    signature.getparent().remove(signature)
    digest = base64.b64encode(hashlib.sha1(etree.tostring(root, method="c14n")).digest()).decode()
    assert digest == expected == "/wKIPKeZOhFEIOIyP1+T4AJDpfw="


def test_canonical_signing_verifies_and_matches_lxml_c14n(test_certificate):
    from openpse.signing.canonical import CanonicalWriter

    w = CanonicalWriter()
    w.root(
        "Invoice",
        {
            "": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
            "ds": xmldsig.DS_NS,
            "ext": xmldsig.EXT_NS,
        },
    )
    w.start("ext:UBLExtensions")
    w.start("ext:UBLExtension")
    slot = w.empty("ext:ExtensionContent")
    w.end()
    w.end()
    w.leaf("Note", "Añó & <ñ>\r\n")
    w.end()
    before, after = w.split(slot)
    document = xmldsig.CanonicalDocument(
        before,
        after,
        {
            "": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
            "ds": xmldsig.DS_NS,
            "ext": xmldsig.EXT_NS,
        },
    )
    for profile in (xmldsig.SunatSignatureProfile(), xmldsig.SunatSignatureProfile.named("sha1")):
        signed = xmldsig.sign_canonical(document, test_certificate, profile)
        verify(signed.xml, test_certificate)
        unsigned = etree.fromstring(signed.xml)
        signature = unsigned.find(f".//{DS}Signature")
        signature.getparent().remove(signature)
        assert etree.tostring(unsigned, method="c14n").decode() == before + after


def test_canonical_signing_refuses_other_canonicalizations(test_certificate):
    document = xmldsig.CanonicalDocument("<r>", "</r>", {"ds": xmldsig.DS_NS})
    with pytest.raises(ValueError, match="C14N"):
        xmldsig.sign_canonical(
            document,
            test_certificate,
            xmldsig.SunatSignatureProfile(canonicalization=xmldsig.Canonicalization.EXC_C14N),
        )
