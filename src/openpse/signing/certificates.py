"""Issuer certificates: import from PKCS#12 (.pfx/.p12) or PEM, generation of test ones.

Loading a password-protected .pfx costs ~40 ms and parsing a PEM key with RSA
validation ~35 ms (see the ecosystem reference §4), so a certificate is validated once,
at import, and afterwards kept as DER and loaded with ``unsafe_skip_rsa_key_validation``
through :class:`KeyCache`.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import threading
from collections import OrderedDict
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID


class CertificateError(ValueError):
    """The certificate cannot be used to sign (wrong password, no key, mismatch, not RSA)."""


@dataclass(frozen=True)
class Certificate:
    """A loaded signing identity: RSA private key and its X.509 certificate."""

    private_key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    @functools.cached_property
    def der_b64(self) -> str:
        return base64.b64encode(self.certificate.public_bytes(serialization.Encoding.DER)).decode("ascii")

    @property
    def fingerprint(self) -> str:
        return self.certificate.fingerprint(hashes.SHA256()).hex()

    @property
    def sujeto(self) -> str:
        return self.certificate.subject.rfc4514_string()

    @property
    def serie(self) -> str:
        return format(self.certificate.serial_number, "x")

    @property
    def emitido(self) -> dt.datetime:
        return self.certificate.not_valid_before_utc

    @property
    def vence(self) -> dt.datetime:
        return self.certificate.not_valid_after_utc

    def key_der(self) -> bytes:
        """Unencrypted PKCS#8 DER of the key: only ever stored encrypted by the secret box."""
        return self.private_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def cert_der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)


def _checked(key: object, cert: x509.Certificate | None) -> Certificate:
    if cert is None:
        raise CertificateError("El archivo no contiene un certificado")
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CertificateError("El archivo no contiene una clave privada RSA")
    public = cert.public_key()
    if (
        not isinstance(public, rsa.RSAPublicKey)
        or public.public_numbers() != key.public_key().public_numbers()
    ):
        raise CertificateError("La clave privada no corresponde al certificado")
    return Certificate(private_key=key, certificate=cert)


def load_pkcs12(data: bytes, password: str | None) -> Certificate:
    """Load a .pfx/.p12; legacy RC2-40 files (older Peruvian certificates) included."""
    try:
        key, cert, _chain = pkcs12.load_key_and_certificates(
            data, password.encode("utf-8") if password else None
        )
    except ValueError as exc:
        raise CertificateError("No se pudo abrir el PFX: contraseña incorrecta o archivo dañado") from exc
    return _checked(key, cert)


def load_pem(data: bytes, password: str | None = None) -> Certificate:
    """Load a PEM bundle holding the private key and the certificate."""
    try:
        key = serialization.load_pem_private_key(data, password.encode("utf-8") if password else None)
        certs = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise CertificateError("No se pudo leer el PEM: se espera clave privada y certificado") from exc
    return _checked(key, certs[0] if certs else None)


def load_any(data: bytes, password: str | None) -> Certificate:
    """PEM when the data looks like PEM, PKCS#12 otherwise."""
    if b"-----BEGIN" in data:
        return load_pem(data, password)
    return load_pkcs12(data, password)


def load_stored(key_der: bytes, cert_der: bytes) -> Certificate:
    """Rebuild a certificate that was validated at import (no RSA re-validation)."""
    key = serialization.load_der_private_key(key_der, None, unsafe_skip_rsa_key_validation=True)
    cert = x509.load_der_x509_certificate(cert_der)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CertificateError("La clave almacenada no es RSA")
    return Certificate(private_key=key, certificate=cert)


def generate_test_certificate(ruc: str, razon_social: str, days: int = 3650) -> Certificate:
    """A self-signed RSA-2048 certificate for demos and the sandbox: never for production."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PE"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, razon_social[:64]),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"RUC {ruc}"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{razon_social[:40]} (PRUEBA)"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return Certificate(private_key=key, certificate=cert)


def to_pkcs12(cert: Certificate, password: str) -> bytes:
    """Export as a password-protected .pfx (what an issuer would upload)."""
    return pkcs12.serialize_key_and_certificates(
        b"openpse",
        cert.private_key,
        cert.certificate,
        None,
        serialization.BestAvailableEncryption(password.encode("utf-8")),
    )


class KeyCache:
    """Loaded certificates per key id, so that no document pays for key parsing.

    Thread-safe LRU; the key id changes whenever a company uploads a new certificate.
    """

    def __init__(self, capacity: int = 256) -> None:
        self._capacity = capacity
        self._items: OrderedDict[str, Certificate] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key_id: str) -> Certificate | None:
        with self._lock:
            cert = self._items.get(key_id)
            if cert is not None:
                self._items.move_to_end(key_id)
            return cert

    def put(self, key_id: str, cert: Certificate) -> None:
        with self._lock:
            self._items[key_id] = cert
            self._items.move_to_end(key_id)
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)
