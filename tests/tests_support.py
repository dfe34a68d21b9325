"""Helpers importable from every test module by a name no other folder uses
(``from conftest import ...`` would resolve to whichever folder's conftest loaded first).

``../shared`` (official schemas, SUNAT's validation sheets, samples) is used as an oracle
when it is there; tests that need it skip with the reason when it is not.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
import pytest
import uvicorn
from starlette.testclient import TestClient

from openpse import demo
from openpse.runtime import Runtime
from openpse.settings import Settings
from openpse.signing.certificates import Certificate

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A file of ../shared, or skip the test saying what is missing."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared no está disponible ({path} no existe)")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ThreadedServer:
    """An ASGI app served by uvicorn on a loopback port, in a background thread."""

    def __init__(self, app: Any, port: int | None = None) -> None:
        self.port = port or free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False)
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("el servidor de prueba no arrancó")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def make_runtime(
    data_dir: Path,
    sandbox: str,
    certificate: Certificate | None = None,
    http: httpx2.Client | None = None,
    **settings: Any,
) -> Runtime:
    config = Settings(data_dir=data_dir, sandbox_url=sandbox, retry_base_delay=0.05, **settings)
    runtime = Runtime.create(config, create_master_key=True, http=http)
    runtime.db.migrate()
    demo.seed(runtime)
    if certificate is not None:
        from openpse.storage.tables import Empresa
        from openpse.tenants import set_certificate

        with runtime.db.session() as session:
            empresa = session.query(Empresa).filter_by(identificacion=demo.DEMO_RUC).one()
            set_certificate(empresa, runtime.box, certificate)
    return runtime


def token_for(
    client: TestClient, client_id: str = demo.DEMO_CLIENT, secret: str = "demo-secret"
) -> dict[str, str]:
    response = client.post(
        "/v1/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def factura(**overrides: Any) -> dict[str, Any]:
    """A minimal valid factura request (API.md), with overrides."""
    body: dict[str, Any] = {
        "tipo": "01",
        "serie": "F001",
        "moneda": "PEN",
        "tipo_operacion": "0101",
        "cliente": {
            "tipo_documento": "6",
            "numero_documento": "20100070970",
            "razon_social": "CLIENTE S.A.C.",
            "direccion": "Av. Lima 123",
        },
        "items": [
            {
                "codigo": "P001",
                "descripcion": "Producto",
                "unidad": "NIU",
                "cantidad": "2",
                "valor_unitario": "50.00",
                "afectacion_igv": "10",
            }
        ],
        "forma_pago": {"tipo": "Contado"},
    }
    body.update(overrides)
    return body


def boleta(**overrides: Any) -> dict[str, Any]:
    body = factura(
        tipo="03",
        serie="B001",
        cliente={"tipo_documento": "1", "numero_documento": "46027897", "razon_social": "JUAN PEREZ"},
    )
    body.update(overrides)
    return body


def demo_empresa(certificate: Certificate, algoritmo: str = "sha256") -> Any:
    """The demo company as an authority sees it (to build documents outside the API)."""
    from openpse.authorities.base import EmpresaContext

    return EmpresaContext(
        id=1,
        pais="PE",
        identificacion=demo.DEMO_RUC,
        razon_social=demo.DEMO_RAZON_SOCIAL,
        nombre_comercial="DEMO",
        direccion={"ubigeo": "150101", "direccion": "AV. DEMO 123"},
        destino="sunat",
        ambiente="sandbox",
        ose_url=None,
        usuario=None,
        clave=None,
        firma_algoritmo=algoritmo,
        certificate=certificate,
    )


# -- scripted faults between OpenPSE and the emulator (resilience tests) --------------------

FAULT = (
    '<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/"><soap-env:Body><soap-env:Fault>'
    "<faultcode>soap-env:Client.{code}</faultcode><faultstring>{text}</faultstring></soap-env:Fault></soap-env:Body>"
    "</soap-env:Envelope>"
)

Action = Callable[[httpx2.Request, Callable[[], httpx2.Response]], httpx2.Response]


def forward(_request: httpx2.Request, send: Callable[[], httpx2.Response]) -> httpx2.Response:
    return send()


def lose_answer(request: httpx2.Request, send: Callable[[], httpx2.Response]) -> httpx2.Response:
    send()
    raise httpx2.ReadTimeout("respuesta perdida", request=request)


def never_arrives(request: httpx2.Request, _send: Callable[[], httpx2.Response]) -> httpx2.Response:
    raise httpx2.ConnectError("conexión rechazada", request=request)


def fault(code: str, text: str = "falla") -> Action:
    def action(_request: httpx2.Request, _send: Callable[[], httpx2.Response]) -> httpx2.Response:
        return httpx2.Response(
            500, content=FAULT.format(code=code, text=text).encode(), headers={"Content-Type": "text/xml"}
        )

    return action


def status(code: int, body: bytes = b"") -> Action:
    def action(_request: httpx2.Request, _send: Callable[[], httpx2.Response]) -> httpx2.Response:
        return httpx2.Response(code, content=body)

    return action


class Script:
    """Actions applied to successive calls of one SOAP operation; then plain forwarding."""

    def __init__(self, sandbox_url: str) -> None:
        self.upstream = httpx2.Client(base_url=sandbox_url, timeout=30)
        self.actions: dict[str, list[Action]] = {}
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def on(self, operation: str, *actions: Action) -> None:
        self.actions.setdefault(operation, []).extend(actions)

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        operation = request.headers.get("SOAPAction", "").removeprefix("urn:")
        with self.lock:
            self.calls.append(operation)
            queue = self.actions.get(operation) or []
            action = queue.pop(0) if queue else forward
        body = request.read()

        def send() -> httpx2.Response:
            answer = self.upstream.post(request.url.path, content=body, headers=dict(request.headers))
            return httpx2.Response(answer.status_code, content=answer.content, headers=answer.headers)

        return action(request, send)


def guia(**overrides: Any) -> dict[str, Any]:
    """A minimal valid guía de remisión remitente (09) request, with overrides."""
    from openpse.core.timeutil import now_lima

    body: dict[str, Any] = {
        "tipo": "09",
        "serie": "T001",
        "destinatario": {
            "tipo_documento": "6",
            "numero_documento": "20100070970",
            "razon_social": "FERRETERIA EL CLAVO S.A.C.",
        },
        "motivo_traslado": "01",
        "modalidad_traslado": "02",
        "fecha_inicio_traslado": now_lima().date().isoformat(),
        "peso_bruto_total": "4250.500",
        "unidad_peso": "KGM",
        "partida": {"ubigeo": "150101", "direccion": "Av. Argentina 1234, Cercado de Lima"},
        "llegada": {"ubigeo": "150122", "direccion": "Calle Los Pinos 456, Miraflores"},
        "vehiculos": [{"placa": "ABC123"}],
        "conductores": [
            {
                "tipo_documento": "1",
                "numero_documento": "46027897",
                "nombres": "JUAN CARLOS",
                "apellidos": "PEREZ ROJAS",
                "licencia": "Q46027897",
            }
        ],
        "bienes": [
            {
                "descripcion": "Cemento Portland tipo I bolsa 42.5 kg",
                "cantidad": "100",
                "unidad": "NIU",
                "codigo": "CEM-001",
                "codigo_producto_sunat": "30111601",
            }
        ],
    }
    body.update(overrides)
    return body
