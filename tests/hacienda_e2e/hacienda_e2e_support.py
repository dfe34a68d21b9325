"""Helpers of the Costa Rica end-to-end tests: requests of every type, oracles, servers.

The oracles do not come from the code under test: Hacienda's April-2026 v4.4 XSDs from
``../shared`` and signxml's XAdES verifier for our signatures; the Hacienda emulator's
own register (``app.state.sandbox.hacienda``) for what was really received.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
import uvicorn
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi import Request
from fastapi.responses import JSONResponse
from lxml import etree
from signxml import DigestAlgorithm
from signxml.xades import XAdESSignaturePolicy, XAdESVerifier
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.testclient import TestClient

from openpse import demo
from openpse.authorities.hacienda import ComprobanteIn, Emisor, emitir
from openpse.authorities.hacienda.authority import HaciendaAuthority, documentos_firmados
from openpse.authorities.hacienda.callback import handle_callback
from openpse.authorities.hacienda.formatos import FORMATOS
from openpse.authorities.hacienda.perfil import generar_certificado_prueba, tipo_identificacion
from openpse.runtime import Runtime
from openpse.sandbox import SandboxConfig, SandboxServer, create_app
from openpse.sandbox.config import FaultConfig
from openpse.sandbox.hacienda import HaciendaSandboxConfig
from openpse.signing.certificates import Certificate
from openpse.storage.tables import Comprobante, Empresa, Evento
from tests_support import make_runtime, shared_path, token_for

CR = dt.timezone(dt.timedelta(hours=-6))
CABYS_BIEN = "2211100000000"
"""A CABYS of section 2 (goods, CPC 2.1)."""
CABYS_SERVICIO = "8314100000000"
"""A CABYS of section 8 (business services)."""
POLITICA_V44 = (
    "https://cdn.comprobanteselectronicos.go.cr/xml-schemas/Resoluci%C3%B3n_General_sobre_disposiciones"
    "_t%C3%A9cnicas_comprobantes_electr%C3%B3nicos_para_efectos_tributarios.pdf"
)
"""The v4.4 signature policy as ``hacienda_cr.md`` §4 lists it (typed here, not imported)."""
HASH_POLITICA_V44 = "DWxin1xWOeI8OuWQXazh4VjLWAaCLAA954em7DMh0h8="
TIPOS = ["01", "02", "03", "04", "08", "09", "10"]
FINALES = {"aceptado", "rechazado", "anulado", "fallido", "observado"}

CLIENTE = {
    "nombre": "María Pérez Rodríguez",
    "identificacion": {"tipo": "01", "numero": "106130584"},
    "correo": "maria@ejemplo.cr",
}


def item(
    precio: str = "1000",
    cantidad: str = "1",
    tarifa: str | None = "08",
    servicio: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """A line with IVA at the rate code ``tarifa`` (None: no tax given)."""
    line: dict[str, Any] = {
        "cabys": CABYS_SERVICIO if servicio else CABYS_BIEN,
        "cantidad": cantidad,
        "unidad": "Sp" if servicio else "Unid",
        "descripcion": "Servicio profesional" if servicio else "Producto de prueba",
        "precio_unitario": precio,
        "impuestos": [{"codigo": "01", "codigo_tarifa_iva": tarifa}] if tarifa else [],
    }
    line.update(extra)
    return line


def referencia(clave: str, fecha: str, tipo: str = "01", **extra: Any) -> dict[str, Any]:
    ref = {
        "tipo_documento": tipo,
        "numero": clave,
        "fecha_emision": fecha,
        "codigo": "01",
        "razon": "Referencia de prueba",
    }
    ref.update(extra)
    return ref


def payload(tipo: str, referido: tuple[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    """A valid request of each type; notes and the REP reference ``referido`` (clave, fecha)."""
    base: dict[str, Any] = {"tipo": tipo, "items": [item(), item("250.50", "3", servicio=True)]}
    if tipo in ("01", "02", "03"):
        base["receptor"] = copy.deepcopy(CLIENTE)
    if tipo in ("01", "04"):
        base["medios_pago"] = [{"tipo": "01"}]
    if tipo in ("02", "03"):
        assert referido is not None
        base["referencias"] = [
            referencia(*referido, codigo="02" if tipo == "02" else "06", razon="Ajuste de la factura")
        ]
    if tipo == "08":
        base["proveedor"] = {
            "nombre": "Juan Vendedor Informal",
            "identificacion": {"tipo": "01", "numero": "205550123"},
            "ubicacion": {
                "provincia": "2",
                "canton": "01",
                "distrito": "01",
                "otras_senas": "Mercado central",
            },
        }
        base["referencias"] = [
            {
                "tipo_documento": "14",
                "numero": "FAC-0001",
                "fecha_emision": dt.datetime.now(CR).replace(microsecond=0).isoformat(),
                "codigo": "04",
                "razon": "Compra a régimen especial",
            }
        ]
        base["medios_pago"] = [{"tipo": "04"}]
    if tipo == "09":
        base["receptor"] = {
            "nombre": "Importadora del Norte LLC",
            "identificacion": {"tipo": "05", "numero": "US998877"},
            "otras_senas_extranjero": "1200 Brickell Ave, Miami, Florida",
        }
        base["moneda"] = "USD"
        base["tipo_cambio"] = "505.12"
        base["items"] = [item("25.5", "100", tarifa="01", partida_arancelaria="090111000000")]
        base["medios_pago"] = [{"tipo": "04"}]
    if tipo == "10":
        assert referido is not None
        base["receptor"] = {
            "nombre": "Ministerio de Ejemplo",
            "identificacion": {"tipo": "02", "numero": "2100042005"},
        }
        base["condicion_venta"] = "09"
        base["items"] = [
            {
                "descripcion": "Pago parcial de la factura de servicios",
                "precio_unitario": "500",
                "impuestos": [{"codigo": "01", "codigo_tarifa_iva": "08"}],
            }
        ]
        base["referencias"] = [referencia(*referido, codigo="17", razon="Pago a comprobante electrónico")]
        base["medios_pago"] = [{"tipo": "04"}]
    base.update(extra)
    return base


def factura(**extra: Any) -> dict[str, Any]:
    return payload("01", **extra)


# -- a supplier's comprobante, received by the demo company --------------------------------

PROVEEDOR_CEDULA = "3102987654"
PROVEEDOR = {
    "nombre": "Distribuidora Proveedora Sociedad Anónima",
    "identificacion": {"tipo": "02", "numero": PROVEEDOR_CEDULA},
    "ubicacion": {"provincia": "2", "canton": "01", "distrito": "01", "otras_senas": "Frente al parque"},
    "correos": ["facturas@proveedora.cr"],
    "codigo_actividad": "523101",
}
_numeros = itertools.count(1)


@functools.cache
def certificado(cedula: str = PROVEEDOR_CEDULA) -> Certificate:
    return generar_certificado_prueba(cedula, "PROVEEDOR DE PRUEBA")


def recibida(receptor: str = demo.DEMO_CR_CEDULA, firmante: str = PROVEEDOR_CEDULA) -> tuple[bytes, str]:
    """A factura the supplier signed for ``receptor``: its XML and its clave."""
    comprobante = ComprobanteIn.model_validate(
        factura(
            receptor={
                "nombre": "Empresa que recibe",
                "identificacion": {"tipo": tipo_identificacion(receptor), "numero": receptor},
            }
        )
    )
    firmado = emitir(
        comprobante,
        Emisor.model_validate(PROVEEDOR),
        certificado(firmante),
        numero=next(_numeros),
        ahora=dt.datetime.now(CR),
    )
    return firmado.xml, firmado.clave


def compra_recibida() -> bytes:
    """A factura electrónica de compra (issued by the buyer, the supplier's company here)."""
    comprobante = ComprobanteIn.model_validate(payload("08"))
    return emitir(
        comprobante,
        Emisor.model_validate(PROVEEDOR),
        certificado(),
        numero=next(_numeros),
        ahora=dt.datetime.now(CR),
    ).xml


# -- oracles -----------------------------------------------------------------------------------


@functools.cache
def schema(xsd: str) -> etree.XMLSchema:
    """An official April-2026 v4.4 schema of ``../shared``, compiled once."""
    return etree.XMLSchema(etree.parse(str(shared_path("hacienda", "xsd", "v4.4", "2026", xsd))))


def xsd_errors(xml: bytes, xsd: str) -> list[str]:
    compiled = schema(xsd)
    if compiled.validate(etree.fromstring(xml)):
        return []
    return [f"{e.line}: {e.message}" for e in compiled.error_log]


def comprobante_xsd(tipo: str) -> str:
    return FORMATOS[tipo].xsd


POLICY = XAdESSignaturePolicy(
    Identifier=POLITICA_V44,
    Description="",
    DigestMethod=DigestAlgorithm.SHA256,
    DigestValue=HASH_POLITICA_V44,
)


def verify_signature(xml: bytes, certificate_pem: bytes) -> None:
    """signxml's XAdES verifier: the document, KeyInfo and SignedProperties references and
    the v4.4 policy must hold for the given signer."""
    results = XAdESVerifier().verify(xml, x509_cert=certificate_pem, expect_signature_policy=POLICY)
    assert len(results) == 3


def local(root: etree._Element, name: str) -> str | None:
    """Text of the first child of ``root`` named ``name`` in any namespace."""
    node = root.find(f"{{*}}{name}")
    return node.text if node is not None else None


def resumen(xml: bytes) -> dict[str, str]:
    """ResumenFactura leaves (single-valued ones) as written."""
    root = etree.fromstring(xml)
    node = root.find("{*}ResumenFactura")
    assert node is not None
    return {etree.QName(child).localname: child.text or "" for child in node if len(child) == 0}


# -- the store -----------------------------------------------------------------------------


def events(runtime: Runtime, doc_id: str) -> list[tuple[str, str | None]]:
    with runtime.db.read() as session:
        return [
            (estado, detalle)
            for estado, detalle in session.execute(
                select(Evento.estado, Evento.detalle)
                .where(Evento.comprobante_id == doc_id)
                .order_by(Evento.id)
            ).all()
        ]


def rows(runtime: Runtime) -> list[Comprobante]:
    with runtime.db.read() as session:
        cr = session.scalar(select(Empresa.id).where(Empresa.identificacion == demo.DEMO_CR_CEDULA))
        return list(session.scalars(select(Comprobante).where(Comprobante.empresa_id == cr)).all())


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"no se cumplió a tiempo: {what}"
        time.sleep(0.1)


# -- servers and runtimes ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """An ASGI app under :class:`openpse.sandbox.SandboxServer` on a loopback port, in a thread
    (the server that lets held requests go when it stops)."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.port = free_port()
        self.server = SandboxServer(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="critical", lifespan="on")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn no arrancó"
            time.sleep(0.01)
        return self

    def stop(self) -> float:
        """Stop and return how long the shutdown took."""
        started = time.monotonic()
        self.server.should_exit = True
        self.thread.join(timeout=30)
        return time.monotonic() - started


def sandbox_app(cert_dir: Path, faults: FaultConfig | None = None, **hacienda: Any) -> Starlette:
    """The whole sandbox (SUNAT and the mounted Hacienda), Hacienda answering in ~0.1 s."""
    hacienda.setdefault("recibido_s", 0.05)
    hacienda.setdefault("procesando_s", 0.05)
    hacienda.setdefault("tick_s", 0.01)
    return create_app(
        SandboxConfig(
            cert_dir=cert_dir,
            faults=faults or FaultConfig(),
            hacienda=HaciendaSandboxConfig(cert_dir=cert_dir, **hacienda),
        )
    )


def cr_runtime(
    data_dir: Path, sandbox_url: str, *, callback_base: str | None = None, **settings: Any
) -> Runtime:
    """A runtime with the Costa Rican demo company, and the authority registered as the lead
    will in ``runtime.py`` (callbacks only when ``callback_base`` is given)."""
    runtime = make_runtime(data_dir, sandbox_url, **settings)
    runtime.authorities["CR"] = HaciendaAuthority(
        runtime.http,
        runtime.settings.resolved_sandbox_url,
        callback_base=callback_base,
        callback_keys=[b"clave-de-prueba-de-callbacks-0001"] if callback_base else (),
        originales=documentos_firmados(runtime.db, runtime.blobs),
    )
    demo.seed_costa_rica(runtime)
    return runtime


@contextmanager
def api_client(app: Any) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, token_for(client, demo.DEMO_CR_CLIENT)


def certificate_pem(runtime: Runtime) -> bytes:
    from openpse.tenants import empresa_context

    with runtime.db.read() as session:
        empresa = session.scalars(select(Empresa).where(Empresa.identificacion == demo.DEMO_CR_CEDULA)).one()
        context = empresa_context(empresa, runtime.box, runtime.keys)
    assert context.certificate is not None
    return context.certificate.certificate.public_bytes(Encoding.PEM)


def final(
    api: TestClient | httpx2.Client, auth: dict[str, str], doc_id: str, seconds: int = 30
) -> dict[str, Any]:
    """The document once final (or whatever it is after ``seconds``)."""
    body: dict[str, Any] = api.get(
        f"/v1/comprobantes/{doc_id}", headers=auth, params={"espera": seconds}
    ).json()
    return body


def add_callback_route(app: Any, runtime: Runtime) -> None:
    """``POST /v1/hacienda/callback/{token}`` as the API will route it (the lead adds the same
    route to ``api/routes``): the handler lives in ``openpse.authorities.hacienda.callback``."""

    async def hacienda_callback(token: str, request: Request) -> JSONResponse:
        try:
            body = await request.json()
        except ValueError:
            body = None
        result = await run_in_threadpool(handle_callback, runtime, token, body)
        return JSONResponse({"detalle": result.detalle, "estado": result.estado}, status_code=result.status)

    app.add_api_route(
        "/v1/hacienda/callback/{token}", hacienda_callback, methods=["POST"], include_in_schema=False
    )
