"""The MensajeHacienda: Hacienda's signed verdict on a comprobante (the ``respuesta-xml``).

Shape from the v4.4 ``MensajeHacienda_V4.4.xsd`` (``hacienda_cr.md`` §3.6): ``Clave,
NombreEmisor, TipoIdentificacionEmisor, NumeroCedulaEmisor, NombreReceptor?,
TipoIdentificacionReceptor?, NumeroCedulaReceptor?, Mensaje (1 aceptado | 3 rechazado),
EstadoMensaje, DetalleMensaje, MontoTotalImpuesto?, TotalFactura, ds:Signature``.
Observed content: the sandbox disclaimer on accepted documents, errors as
``El comprobante electrónico tiene los siguientes errores: [ codigo, mensaje, fila,
columna`` then one ``codigo, "mensaje", fila, columna`` line per error, and an emisor that
cannot be read written as ``DESCONOCIDO`` / ``000000000`` (CRLibre #53).

Hacienda signs with XAdES (exclusive c14n, an enveloped reference to the message,
SigningTime in UTC, SigningCertificate); the emulator does the same with its own key,
every reference naming its transform so that any verifier canonicalises alike.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from lxml import etree

from openpse.sandbox.hacienda.document import DS, namespace_of
from openpse.sandbox.hacienda.rules import Finding

MH_NS = namespace_of("MensajeHacienda")
XADES = "http://uri.etsi.org/01903/v1.3.2#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
SIGNED_PROPERTIES_TYPE = "http://uri.etsi.org/01903#SignedProperties"

ACCEPTED_SANDBOX = (
    "Este comprobante fue aceptado en el ambiente de pruebas, "
    "por lo cual no tiene validez para fines tributarios"
)
ACCEPTED = "Este comprobante fue aceptado"
ERRORS_HEADER = (
    "El comprobante electrónico tiene los siguientes errores: \n\n[ codigo, mensaje, fila, columna\n"
)
KEY_FILE = "hacienda-key.pem"
CERT_FILE = "hacienda-cert.pem"
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def detail_of(findings: list[Finding]) -> str:
    """``DetalleMensaje`` of a rejection, in Hacienda's list format."""
    rows = "\n".join(
        f'{finding.codigo}, "{finding.mensaje.replace(chr(34), chr(39))}", {finding.fila}, {finding.columna}'
        for finding in findings
    )
    return f"{ERRORS_HEADER}{rows}\n\n]"


@dataclass(frozen=True)
class Verdict:
    """What the MensajeHacienda says about one comprobante."""

    clave: str
    nombre_emisor: str
    tipo_emisor: str
    cedula_emisor: str
    nombre_receptor: str | None
    tipo_receptor: str | None
    cedula_receptor: str | None
    aceptado: bool
    detalle: str
    total_impuesto: str | None
    total_factura: str


def amount(text: str) -> str | None:
    """``text`` if it fits ``decimal(18,5)`` (the MensajeHacienda amounts), else None."""
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite():
        return None
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -5:
        return None
    if len(value.as_tuple().digits) > 18:
        return None
    return f"{value:f}"


def _sub(parent: etree._Element, name: str, text: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{MH_NS}}}{name}")
    element.text = text
    return element


def _digest(octets: bytes) -> str:
    return base64.b64encode(hashlib.sha256(octets).digest()).decode("ascii")


def _exc_c14n(node: etree._Element) -> bytes:
    return etree.tostring(node, method="c14n", exclusive=True, with_comments=False)


class MensajeSigner:
    """The emulator's stand-in for Hacienda's signing key: RSA-2048, self-signed."""

    def __init__(self, key: rsa.RSAPrivateKey, certificate: x509.Certificate) -> None:
        self._key = key
        self.certificate = certificate
        self._der = certificate.public_bytes(serialization.Encoding.DER)

    @classmethod
    def generate(cls) -> MensajeSigner:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "CR"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "MINISTERIO DE HACIENDA (SANDBOX OpenPSE)"),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "DIRECCION GENERAL DE TRIBUTACION"),
                x509.NameAttribute(NameOID.COMMON_NAME, "COMPROBANTES ELECTRONICOS SANDBOX"),
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
    def from_directory(cls, directory: Path) -> MensajeSigner:
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
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        key_path.chmod(0o600)
        cert_path.write_bytes(signer.certificate_pem)
        return signer

    @property
    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def build(self, verdict: Verdict, signing_time: dt.datetime) -> bytes:
        """The signed MensajeHacienda, serialised once (never re-serialise signed XML)."""
        root = etree.Element(f"{{{MH_NS}}}MensajeHacienda", nsmap={None: MH_NS, "ds": DS})
        _sub(root, "Clave", verdict.clave)
        _sub(root, "NombreEmisor", verdict.nombre_emisor[:100])
        _sub(root, "TipoIdentificacionEmisor", verdict.tipo_emisor)
        _sub(root, "NumeroCedulaEmisor", verdict.cedula_emisor[:20])
        if verdict.cedula_receptor:
            if verdict.nombre_receptor:
                _sub(root, "NombreReceptor", verdict.nombre_receptor[:100])
            if verdict.tipo_receptor:
                _sub(root, "TipoIdentificacionReceptor", verdict.tipo_receptor)
            _sub(root, "NumeroCedulaReceptor", verdict.cedula_receptor[:20])
        _sub(root, "Mensaje", "1" if verdict.aceptado else "3")
        _sub(root, "EstadoMensaje", "Aceptado" if verdict.aceptado else "Rechazado")
        _sub(root, "DetalleMensaje", verdict.detalle)
        if verdict.total_impuesto is not None:
            _sub(root, "MontoTotalImpuesto", verdict.total_impuesto)
        _sub(root, "TotalFactura", verdict.total_factura)
        self._sign(root, signing_time)
        return _DECLARATION + etree.tostring(root, encoding="UTF-8")

    def _sign(self, root: etree._Element, signing_time: dt.datetime) -> None:
        document_digest = _digest(_exc_c14n(root))
        ident = uuid.uuid4().hex
        signature_id = f"id-{ident}"
        properties_id = f"xades-{signature_id}"
        key_info_id = f"KeyInfo-{signature_id}"

        def ds(parent: etree._Element, name: str, **attributes: str) -> etree._Element:
            return etree.SubElement(parent, f"{{{DS}}}{name}", attributes)

        signature = ds(root, "Signature", Id=signature_id)
        signed_info = ds(signature, "SignedInfo")
        ds(signed_info, "CanonicalizationMethod", Algorithm=EXC_C14N)
        ds(signed_info, "SignatureMethod", Algorithm=RSA_SHA256)

        def reference(uri: str, transforms: tuple[str, ...], **attributes: str) -> etree._Element:
            element = ds(signed_info, "Reference", URI=uri, **attributes)
            chain = ds(element, "Transforms")
            for algorithm in transforms:
                ds(chain, "Transform", Algorithm=algorithm)
            ds(element, "DigestMethod", Algorithm=SHA256)
            return ds(element, "DigestValue")

        document_ref = reference("", (ENVELOPED, EXC_C14N), Id=f"r-{signature_id}-1")
        document_ref.text = document_digest
        properties_ref = reference(f"#{properties_id}", (EXC_C14N,), Type=SIGNED_PROPERTIES_TYPE)
        key_info_ref = reference(f"#{key_info_id}", (EXC_C14N,))
        signature_value = ds(signature, "SignatureValue")
        key_info = ds(signature, "KeyInfo", Id=key_info_id)
        x509_data = ds(key_info, "X509Data")
        ds(x509_data, "X509Certificate").text = base64.b64encode(self._der).decode("ascii")

        obj = ds(signature, "Object")
        qualifying = etree.SubElement(
            obj, f"{{{XADES}}}QualifyingProperties", {"Target": f"#{signature_id}"}, nsmap={"xades": XADES}
        )
        signed_properties = etree.SubElement(qualifying, f"{{{XADES}}}SignedProperties", Id=properties_id)
        signature_properties = etree.SubElement(signed_properties, f"{{{XADES}}}SignedSignatureProperties")
        etree.SubElement(signature_properties, f"{{{XADES}}}SigningTime").text = (
            signing_time.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        )
        cert = etree.SubElement(
            etree.SubElement(signature_properties, f"{{{XADES}}}SigningCertificate"), f"{{{XADES}}}Cert"
        )
        cert_digest = etree.SubElement(cert, f"{{{XADES}}}CertDigest")
        ds(cert_digest, "DigestMethod", Algorithm=SHA256)
        ds(cert_digest, "DigestValue").text = _digest(self._der)
        issuer_serial = etree.SubElement(cert, f"{{{XADES}}}IssuerSerial")
        ds(issuer_serial, "X509IssuerName").text = self.certificate.issuer.rfc4514_string()
        ds(issuer_serial, "X509SerialNumber").text = str(self.certificate.serial_number)

        properties_ref.text = _digest(_exc_c14n(signed_properties))
        key_info_ref.text = _digest(_exc_c14n(key_info))
        raw = self._key.sign(_exc_c14n(signed_info), padding.PKCS1v15(), hashes.SHA256())
        signature_value.text = base64.b64encode(raw).decode("ascii")
