"""Test-only helpers for the Hacienda transport tests.

- A manual clock shared by the emulator and the client, so expiry and quota windows
  can be crossed without waiting.
- Costa Rican style test certificates (``SERIALNUMBER=CPJ-3-101-123456``, as Hacienda's
  "llaves criptográficas" carry the cédula, ``hacienda_cr.md`` §4), with chosen validity
  and optional issuing CA.
- A minimal v4.4 FacturaElectronica (and MensajeReceptor) that validates against the
  April-2026 XSD, signed with XAdES-EPES in the Costa Rican profile of §4 (inclusive
  C14N, RSA-SHA256, references to the document, KeyInfo and SignedProperties,
  SigningCertificate with IssuerSerial, the v4.4 policy and its hash, ClaimedRole,
  DataObjectFormat). This signer exists only so these tests do not depend on the
  document builder and signer written in parallel; it may be replaced by them.
- A loopback server for ASGI apps, and a callback receiver.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openpse.authorities.hacienda.client import Envio, HaciendaClient, Identificacion, QueryOutcome, Status
from openpse.authorities.hacienda.idp import HaciendaAccount
from openpse.sandbox.hacienda import DEMO_PASSWORD, DEMO_USERNAME
from openpse.signing.certificates import Certificate

CR = dt.timezone(dt.timedelta(hours=-6))
NS_FE = "https://cdn.comprobanteselectronicos.go.cr/xml-schemas/v4.4/facturaElectronica"
NS_MR = "https://cdn.comprobanteselectronicos.go.cr/xml-schemas/v4.4/mensajeReceptor"
DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
POLICY_V44 = (
    "https://cdn.comprobanteselectronicos.go.cr/xml-schemas/Resoluci%C3%B3n_General_sobre_disposiciones_"
    "t%C3%A9cnicas_comprobantes_electr%C3%B3nicos_para_efectos_tributarios.pdf"
)
POLICY_V44_HASH = "DWxin1xWOeI8OuWQXazh4VjLWAaCLAA954em7DMh0h8="

EMISOR_CEDULA = "3101123456"
EMISOR_NOMBRE = "EMPRESA DEMO SOCIEDAD ANONIMA"
RECEPTOR_CEDULA = "114480790"
RECEPTOR_NOMBRE = "CLIENTE DE PRUEBA"
ACCOUNT = HaciendaAccount("empresa-demo", DEMO_USERNAME, DEMO_PASSWORD)
TOKEN_PATH = "/auth/realms/rut-stag/protocol/openid-connect/token"


class ManualClock:
    """Epoch seconds that only move when told to. Thread-safe."""

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    def datetime(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self(), CR)


# -- certificates ----------------------------------------------------------------------


def _serial_attribute(cedula: str) -> str:
    """``CPJ-3-101-123456`` for a cédula jurídica, ``CPF-01-1448-0790`` for a física."""
    if len(cedula) == 10:
        return f"CPJ-{cedula[0]}-{cedula[1:4]}-{cedula[4:]}"
    padded = cedula.zfill(10)
    return f"CPF-{padded[:2]}-{padded[2:6]}-{padded[6:]}"


def make_cr_certificate(
    cedula: str,
    nombre: str,
    *,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    issuer: Certificate | None = None,
    ca: bool = False,
) -> Certificate:
    """An RSA-2048 certificate naming ``cedula`` as Hacienda's do (self-signed unless ``issuer``)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.UTC)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CR"),
            x509.NameAttribute(
                NameOID.ORGANIZATION_NAME, "PERSONA JURIDICA" if len(cedula) == 10 else "PERSONA FISICA"
            ),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "CPJ" if len(cedula) == 10 else "CPF"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, _serial_attribute(cedula)),
            x509.NameAttribute(NameOID.COMMON_NAME, nombre[:64]),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - dt.timedelta(days=1))
        .not_valid_after(not_after or now + dt.timedelta(days=730))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    certificate = builder.sign(issuer.private_key if issuer else key, hashes.SHA256())
    return Certificate(private_key=key, certificate=certificate)


# -- documents -------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    cantidad: Decimal = Decimal("2")
    precio: Decimal = Decimal("1000.00")
    unidad: str = "Unid"
    detalle: str = "Producto de prueba"
    cabys: str = "4399000000000"
    tarifa: Decimal = Decimal("13.00")


@dataclass(frozen=True)
class Factura:
    """A FacturaElectronica v4.4 with its numbers computed; ``tamper`` overrides totals."""

    emisor_cedula: str = EMISOR_CEDULA
    emisor_tipo: str = "02"
    emisor_nombre: str = EMISOR_NOMBRE
    receptor_cedula: str | None = RECEPTOR_CEDULA
    receptor_tipo: str = "01"
    receptor_nombre: str = RECEPTOR_NOMBRE
    numero: int = 1
    sucursal: str = "001"
    terminal: str = "00001"
    tipo: str = "01"
    situacion: str = "1"
    seguridad: str = "12345678"
    fecha: dt.datetime | None = None
    clave_fecha: dt.date | None = None
    clave_override: str | None = None
    lines: tuple[Line, ...] = (Line(),)
    total_comprobante: Decimal | None = None

    @property
    def emitted(self) -> dt.datetime:
        return (self.fecha or dt.datetime.now(CR)).replace(microsecond=0)

    @property
    def consecutivo(self) -> str:
        return f"{self.sucursal}{self.terminal}{self.tipo}{self.numero:010d}"

    @property
    def clave(self) -> str:
        if self.clave_override is not None:
            return self.clave_override
        day = self.clave_fecha or self.emitted.astimezone(CR).date()
        return (
            f"506{day:%d%m%y}{self.emisor_cedula.zfill(12)}{self.consecutivo}{self.situacion}{self.seguridad}"
        )

    def with_number(self, numero: int) -> Factura:
        return replace(self, numero=numero)


def _sub(parent: etree._Element, ns: str, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ns}}}{name}")
    if text is not None:
        element.text = text
    return element


def _money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.00001')):f}"


def factura_element(factura: Factura) -> etree._Element:
    """The unsigned FacturaElectronica, in the element order of the v4.4 XSD."""
    ns = NS_FE
    root = etree.Element(f"{{{ns}}}FacturaElectronica", nsmap={None: ns, "ds": DS})
    _sub(root, ns, "Clave", factura.clave)
    _sub(root, ns, "ProveedorSistemas", factura.emisor_cedula)
    _sub(root, ns, "CodigoActividadEmisor", "620100")
    _sub(root, ns, "NumeroConsecutivo", factura.consecutivo)
    _sub(root, ns, "FechaEmision", factura.emitted.isoformat())
    emisor = _sub(root, ns, "Emisor")
    _sub(emisor, ns, "Nombre", factura.emisor_nombre)
    identificacion = _sub(emisor, ns, "Identificacion")
    _sub(identificacion, ns, "Tipo", factura.emisor_tipo)
    _sub(identificacion, ns, "Numero", factura.emisor_cedula)
    ubicacion = _sub(emisor, ns, "Ubicacion")
    _sub(ubicacion, ns, "Provincia", "1")
    _sub(ubicacion, ns, "Canton", "01")
    _sub(ubicacion, ns, "Distrito", "01")
    _sub(ubicacion, ns, "OtrasSenas", "Avenida Central, 100 metros norte del parque")
    _sub(emisor, ns, "CorreoElectronico", "facturas@empresa-demo.cr")
    if factura.receptor_cedula is not None:
        receptor = _sub(root, ns, "Receptor")
        _sub(receptor, ns, "Nombre", factura.receptor_nombre)
        identificacion = _sub(receptor, ns, "Identificacion")
        _sub(identificacion, ns, "Tipo", factura.receptor_tipo)
        _sub(identificacion, ns, "Numero", factura.receptor_cedula)
        _sub(receptor, ns, "CorreoElectronico", "cliente@example.cr")
    _sub(root, ns, "CondicionVenta", "01")
    detalle = _sub(root, ns, "DetalleServicio")
    total_goods = total_services = total_tax = Decimal(0)
    for number, line in enumerate(factura.lines, start=1):
        element = _sub(detalle, ns, "LineaDetalle")
        _sub(element, ns, "NumeroLinea", str(number))
        _sub(element, ns, "CodigoCABYS", line.cabys)
        _sub(element, ns, "Cantidad", f"{line.cantidad:f}")
        _sub(element, ns, "UnidadMedida", line.unidad)
        _sub(element, ns, "Detalle", line.detalle)
        _sub(element, ns, "PrecioUnitario", _money(line.precio))
        monto = line.cantidad * line.precio
        _sub(element, ns, "MontoTotal", _money(monto))
        _sub(element, ns, "SubTotal", _money(monto))
        _sub(element, ns, "BaseImponible", _money(monto))
        tax = (monto * line.tarifa / 100).quantize(Decimal("0.00001"))
        impuesto = _sub(element, ns, "Impuesto")
        _sub(impuesto, ns, "Codigo", "01")
        _sub(impuesto, ns, "CodigoTarifaIVA", "08")
        _sub(impuesto, ns, "Tarifa", f"{line.tarifa:f}")
        _sub(impuesto, ns, "Monto", _money(tax))
        _sub(element, ns, "ImpuestoAsumidoEmisorFabrica", _money(Decimal(0)))
        _sub(element, ns, "ImpuestoNeto", _money(tax))
        _sub(element, ns, "MontoTotalLinea", _money(monto + tax))
        if line.unidad in ("Sp", "Spe", "St", "Os", "Al", "Alc", "Cm", "I", "h", "Min"):
            total_services += monto
        else:
            total_goods += monto
        total_tax += tax
    resumen = _sub(root, ns, "ResumenFactura")
    moneda = _sub(resumen, ns, "CodigoTipoMoneda")
    _sub(moneda, ns, "CodigoMoneda", "CRC")
    _sub(moneda, ns, "TipoCambio", "1")
    if total_services:
        _sub(resumen, ns, "TotalServGravados", _money(total_services))
    if total_goods:
        _sub(resumen, ns, "TotalMercanciasGravadas", _money(total_goods))
    venta = total_goods + total_services
    _sub(resumen, ns, "TotalGravado", _money(venta))
    _sub(resumen, ns, "TotalVenta", _money(venta))
    _sub(resumen, ns, "TotalVentaNeta", _money(venta))
    desglose = _sub(resumen, ns, "TotalDesgloseImpuesto")
    _sub(desglose, ns, "Codigo", "01")
    _sub(desglose, ns, "CodigoTarifaIVA", "08")
    _sub(desglose, ns, "TotalMontoImpuesto", _money(total_tax))
    _sub(resumen, ns, "TotalImpuesto", _money(total_tax))
    medio = _sub(resumen, ns, "MedioPago")
    _sub(medio, ns, "TipoMedioPago", "01")
    total = factura.total_comprobante if factura.total_comprobante is not None else venta + total_tax
    _sub(resumen, ns, "TotalComprobante", _money(total))
    return root


def mensaje_receptor_element(
    factura: Factura, consecutivo_receptor: str, mensaje: str = "1", total: Decimal | None = None
) -> etree._Element:
    """A MensajeReceptor v4.4 by the receptor of ``factura``, accepting it."""
    ns = NS_MR
    root = etree.Element(f"{{{ns}}}MensajeReceptor", nsmap={None: ns, "ds": DS})
    _sub(root, ns, "Clave", factura.clave)
    _sub(root, ns, "NumeroCedulaEmisor", factura.emisor_cedula)
    _sub(root, ns, "FechaEmisionDoc", factura.emitted.isoformat())
    _sub(root, ns, "Mensaje", mensaje)
    _sub(root, ns, "DetalleMensaje", "Aceptado")
    _sub(root, ns, "MontoTotalImpuesto", "260.00000")
    _sub(root, ns, "TotalFactura", _money(total if total is not None else Decimal("2260")))
    assert factura.receptor_cedula is not None
    _sub(root, ns, "NumeroCedulaReceptor", factura.receptor_cedula)
    _sub(root, ns, "NumeroConsecutivoReceptor", consecutivo_receptor)
    return root


# -- XAdES-EPES ------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """Knobs to produce the Costa Rican profile, or a deliberately deviant one."""

    policy_identifier: str = POLICY_V44
    policy_hash: str = POLICY_V44_HASH
    claimed_role: str | None = "Emisor"
    signing_time: dt.datetime | None = None
    with_policy: bool = True
    cert_digest_of: Certificate | None = None
    """Write the SigningCertificate digest of another certificate (a wrong one)."""
    without_signatures: bool = False
    """Leave every ds:Signature out of the document reference (XPath filter) instead of
    only this one (enveloped), so that later counter-signatures keep this one valid."""
    extra: dict[str, Any] = field(default_factory=dict)


def _c14n(node: etree._Element) -> bytes:
    return etree.tostring(node, method="c14n", exclusive=False, with_comments=False)


def _digest(octets: bytes) -> str:
    return base64.b64encode(hashlib.sha256(octets).digest()).decode("ascii")


def _b64_int(value: int) -> str:
    return base64.b64encode(value.to_bytes((value.bit_length() + 7) // 8, "big")).decode("ascii")


def sign_xades_epes(root: etree._Element, cert: Certificate, profile: Profile | None = None) -> bytes:
    """Sign ``root`` in place (enveloped, last child) and return the serialised document."""
    profile = profile or Profile()
    unsigned = copy.deepcopy(root)
    for earlier in unsigned.findall(f"{{{DS}}}Signature") if profile.without_signatures else []:
        unsigned.remove(earlier)
    document_digest = _digest(_c14n(unsigned))
    ident = uuid.uuid4().hex[:12]
    signature_id = f"Signature-{ident}"
    reference_id = f"Reference-{ident}"
    key_info_id = f"KeyInfoId-{signature_id}"
    properties_id = f"SignedProperties-{signature_id}"
    der = cert.certificate.public_bytes(serialization.Encoding.DER)

    def ds(parent: etree._Element, name: str, text: str | None = None, **attributes: str) -> etree._Element:
        element = etree.SubElement(parent, f"{{{DS}}}{name}", attributes)
        if text is not None:
            element.text = text
        return element

    def xa(parent: etree._Element, name: str, text: str | None = None, **attributes: str) -> etree._Element:
        element = etree.SubElement(parent, f"{{{XADES}}}{name}", attributes)
        if text is not None:
            element.text = text
        return element

    signature = etree.SubElement(root, f"{{{DS}}}Signature", Id=signature_id, nsmap={"ds": DS})
    signed_info = ds(signature, "SignedInfo")
    ds(signed_info, "CanonicalizationMethod", Algorithm=C14N)
    ds(signed_info, "SignatureMethod", Algorithm=RSA_SHA256)
    document_ref = ds(signed_info, "Reference", Id=reference_id, URI="")
    if profile.without_signatures:
        xpath = ds(
            ds(document_ref, "Transforms"),
            "Transform",
            Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116",
        )
        ds(xpath, "XPath", "not(ancestor-or-self::ds:Signature)")
    else:
        ds(ds(document_ref, "Transforms"), "Transform", Algorithm=ENVELOPED)
    ds(document_ref, "DigestMethod", Algorithm=SHA256)
    ds(document_ref, "DigestValue", document_digest)
    key_info_ref = ds(signed_info, "Reference", Id="ReferenceKeyInfo", URI=f"#{key_info_id}")
    ds(key_info_ref, "DigestMethod", Algorithm=SHA256)
    key_info_digest = ds(key_info_ref, "DigestValue")
    properties_ref = ds(
        signed_info, "Reference", Type="http://uri.etsi.org/01903#SignedProperties", URI=f"#{properties_id}"
    )
    ds(properties_ref, "DigestMethod", Algorithm=SHA256)
    properties_digest = ds(properties_ref, "DigestValue")
    signature_value = ds(signature, "SignatureValue")
    key_info = ds(signature, "KeyInfo", Id=key_info_id)
    ds(ds(key_info, "X509Data"), "X509Certificate", base64.b64encode(der).decode("ascii"))
    numbers = cert.private_key.public_key().public_numbers()
    rsa_value = ds(ds(key_info, "KeyValue"), "RSAKeyValue")
    ds(rsa_value, "Modulus", _b64_int(numbers.n))
    ds(rsa_value, "Exponent", _b64_int(numbers.e))

    qualifying = etree.SubElement(
        ds(signature, "Object"),
        f"{{{XADES}}}QualifyingProperties",
        {"Target": f"#{signature_id}"},
        nsmap={"xades": XADES},
    )
    signed_properties = xa(qualifying, "SignedProperties", Id=properties_id)
    properties = xa(signed_properties, "SignedSignatureProperties")
    signing_time = profile.signing_time or dt.datetime.now(CR).replace(microsecond=0)
    xa(properties, "SigningTime", signing_time.isoformat())
    digest_source = profile.cert_digest_of or cert
    digest_der = digest_source.certificate.public_bytes(serialization.Encoding.DER)
    cert_element = xa(xa(properties, "SigningCertificate"), "Cert")
    cert_digest = xa(cert_element, "CertDigest")
    ds(cert_digest, "DigestMethod", Algorithm=SHA256)
    ds(cert_digest, "DigestValue", _digest(digest_der))
    issuer_serial = xa(cert_element, "IssuerSerial")
    ds(issuer_serial, "X509IssuerName", cert.certificate.issuer.rfc4514_string())
    ds(issuer_serial, "X509SerialNumber", str(cert.certificate.serial_number))
    if profile.with_policy:
        policy = xa(xa(properties, "SignaturePolicyIdentifier"), "SignaturePolicyId")
        policy_id = xa(policy, "SigPolicyId")
        xa(policy_id, "Identifier", profile.policy_identifier)
        xa(policy_id, "Description", "")
        policy_hash = xa(policy, "SigPolicyHash")
        ds(policy_hash, "DigestMethod", Algorithm=SHA256)
        ds(policy_hash, "DigestValue", profile.policy_hash)
    if profile.claimed_role is not None:
        xa(xa(xa(properties, "SignerRole"), "ClaimedRoles"), "ClaimedRole", profile.claimed_role)
    data_format = xa(
        xa(signed_properties, "SignedDataObjectProperties"),
        "DataObjectFormat",
        ObjectReference=f"#{reference_id}",
    )
    xa(data_format, "MimeType", "text/xml")
    xa(data_format, "Encoding", "UTF-8")

    key_info_digest.text = _digest(_c14n(key_info))
    properties_digest.text = _digest(_c14n(signed_properties))
    raw = cert.private_key.sign(_c14n(signed_info), padding.PKCS1v15(), hashes.SHA256())
    signature_value.text = base64.b64encode(raw).decode("ascii")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def signed_factura(factura: Factura, cert: Certificate, profile: Profile | None = None) -> bytes:
    return sign_xades_epes(factura_element(factura), cert, profile)


def recepcion_body(factura: Factura, xml: bytes, **overrides: Any) -> dict[str, Any]:
    """The JSON of ``POST /recepcion`` for ``factura``."""
    body: dict[str, Any] = {
        "clave": factura.clave,
        "fecha": factura.emitted.isoformat(),
        "emisor": {"tipoIdentificacion": factura.emisor_tipo, "numeroIdentificacion": factura.emisor_cedula},
        "comprobanteXml": base64.b64encode(xml).decode("ascii"),
    }
    if factura.receptor_cedula is not None:
        body["receptor"] = {
            "tipoIdentificacion": factura.receptor_tipo,
            "numeroIdentificacion": factura.receptor_cedula,
        }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


# -- servers ---------------------------------------------------------------------------


def free_port() -> int:
    """A loopback port nobody listens on (bound, read and released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """An ASGI app served by uvicorn on a loopback port, in a thread.

    On stop, requests held by the ``timeout`` fault are released first, as
    ``openpse.sandbox.SandboxServer`` does for the SUNAT emulator.
    """

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        port: int = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="on"))
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def start(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        hacienda = getattr(self.app.state, "hacienda", None)
        if hacienda is not None:
            hacienda.release_held()
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self._socket.close()


class CallbackReceiver:
    """A local HTTP endpoint that records what Hacienda POSTs to a ``callbackUrl``."""

    def __init__(self, status: int = 202) -> None:
        self.status = status
        self.received: list[tuple[dict[str, str], bytes]] = []
        self._event = threading.Condition()

        async def endpoint(request: Request) -> Response:
            body = await request.body()
            with self._event:
                self.received.append((dict(request.headers), body))
                self._event.notify_all()
            return Response(status_code=self.status)

        self.app = Starlette(routes=[Route("/hacienda/callback", endpoint, methods=["POST"])])

    def wait(self, count: int, timeout: float = 10.0) -> list[tuple[dict[str, str], bytes]]:
        with self._event:
            self._event.wait_for(lambda: len(self.received) >= count, timeout=timeout)
            return list(self.received)


# -- client helpers --------------------------------------------------------------------


def envio(factura: Factura, xml: bytes, **overrides: Any) -> Envio:
    """What the client sends for ``factura`` (``overrides`` replace fields of :class:`Envio`)."""
    receptor = (
        Identificacion(factura.receptor_tipo, factura.receptor_cedula) if factura.receptor_cedula else None
    )
    values: dict[str, Any] = {
        "clave": factura.clave,
        "fecha": factura.emitted,
        "emisor": Identificacion(factura.emisor_tipo, factura.emisor_cedula),
        "comprobante_xml": xml,
        "receptor": receptor,
    }
    values.update(overrides)
    return Envio(**values)


def final_status(
    client: HaciendaClient, clave: str, consecutivo: str | None = None, timeout: float = 10
) -> Status:
    """Poll until the comprobante reaches a final state."""
    deadline = time.monotonic() + timeout
    while True:
        outcome: QueryOutcome = client.consultar(ACCOUNT, clave, consecutivo)
        if isinstance(outcome, Status) and outcome.final:
            return outcome
        assert time.monotonic() < deadline, f"{clave} did not reach a final state: {outcome}"
        time.sleep(0.01)


def bearer(http: Any, url: str) -> dict[str, str]:
    """``Authorization`` header of a fresh token of the demo user, for raw HTTP calls."""
    response = http.post(
        url + TOKEN_PATH,
        data={
            "grant_type": "password",
            "client_id": "api-stag",
            "username": DEMO_USERNAME,
            "password": DEMO_PASSWORD,
        },
    )
    return {"Authorization": f"bearer {response.json()['access_token']}"}
