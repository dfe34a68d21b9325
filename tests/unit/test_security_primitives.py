"""Secrets at rest, credential hashes, certificate import and the XML parser policy."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from openpse.core import xmlsafe
from openpse.core.hashing import hash_secret, token_digest, verify_secret
from openpse.core.secretbox import SecretBox, SecretBoxError
from openpse.signing.certificates import (
    CertificateError,
    generate_test_certificate,
    load_any,
    load_pkcs12,
    load_stored,
    to_pkcs12,
)
from tests_support import shared_path


def test_secret_box_round_trip_and_rotation():
    old, new = SecretBox.generate_key(), SecretBox.generate_key()
    token = SecretBox(old).encrypt_text("clave SOL")
    assert b"clave SOL" not in token
    rotated = SecretBox(f"{new},{old}")
    assert rotated.decrypt_text(token) == "clave SOL"
    with pytest.raises(SecretBoxError):
        SecretBox(new).decrypt_text(token)


def test_secret_box_refuses_a_malformed_key():
    with pytest.raises(SecretBoxError):
        SecretBox("no-es-una-clave")


def test_master_key_file_is_private(tmp_path):
    box_path = tmp_path / "master.key"
    SecretBox.from_file(box_path)
    assert box_path.stat().st_mode & 0o077 == 0


def test_secret_hash_verifies_only_the_right_secret():
    stored = hash_secret("demo-secret")
    assert "demo-secret" not in stored
    assert verify_secret("demo-secret", stored)
    assert not verify_secret("demo-secreT", stored)
    assert not verify_secret("demo-secret", "garbage")
    assert token_digest("a") != token_digest("b")


def test_pkcs12_round_trip_and_wrong_password(test_certificate):
    pfx = to_pkcs12(test_certificate, "1234")
    assert load_pkcs12(pfx, "1234").fingerprint == test_certificate.fingerprint
    with pytest.raises(CertificateError):
        load_pkcs12(pfx, "mala")


def test_legacy_rc2_pfx_from_peruvian_demo_certificate():
    cert = load_pkcs12(
        shared_path("certs", "openubl", "LLAMA-PE-CERTIFICADO-DEMO-10467793549.pfx").read_bytes(), "password"
    )
    assert "LLAMA" in cert.sujeto or cert.sujeto


def test_pem_bundle_and_key_certificate_mismatch(test_certificate):
    other = generate_test_certificate("20100070970", "OTRA")
    key_pem = test_certificate.private_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    assert load_any(key_pem + test_certificate.certificate.public_bytes(Encoding.PEM), None).fingerprint == (
        test_certificate.fingerprint
    )
    with pytest.raises(CertificateError, match="no corresponde"):
        load_any(key_pem + other.certificate.public_bytes(Encoding.PEM), None)


def test_stored_certificate_reloads(test_certificate):
    again = load_stored(test_certificate.key_der(), test_certificate.cert_der())
    assert again.fingerprint == test_certificate.fingerprint


@pytest.mark.parametrize(
    "xml",
    [
        b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>',
        b'<!DOCTYPE a SYSTEM "http://example.com/a.dtd"><a/>',
        b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>',
        b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><a>&lol2;</a>',
    ],
)
def test_xml_with_dtd_or_entities_is_refused(xml):
    with pytest.raises(xmlsafe.UnsafeXml):
        xmlsafe.parse(xml)


def test_oversize_xml_is_refused():
    with pytest.raises(xmlsafe.UnsafeXml):
        xmlsafe.parse(b"<a>" + b"x" * 100 + b"</a>", max_bytes=50)
