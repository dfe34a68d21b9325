"""Helpers of the portal tests: a switchable fault in front of the SUNAT emulator, a
second company, form tokens and sign-in."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx2
from starlette.testclient import TestClient

from openpse.runtime import Runtime
from openpse.signing.certificates import generate_test_certificate
from openpse.storage.tables import Comprobante
from openpse.tenants import EmpresaData, create_client, create_empresa, create_user, set_certificate

FAULT_0100 = (
    '<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/"><soap-env:Body>'
    "<soap-env:Fault><faultcode>soap-env:Client.0100</faultcode>"
    "<faultstring>El sistema no puede responder su solicitud. Intente nuevamente</faultstring>"
    "</soap-env:Fault></soap-env:Body></soap-env:Envelope>"
)


class FaultSwitch:
    """A transport that forwards to the emulator, or answers sendBill with SUNAT's 0100
    exception (retryable) while ``failing`` is set."""

    def __init__(self, sandbox_url: str) -> None:
        self.upstream = httpx2.Client(base_url=sandbox_url, timeout=30)
        self.failing = False
        self.lock = threading.Lock()

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        body = request.read()
        operation = request.headers.get("SOAPAction", "").removeprefix("urn:").strip('"')
        if self.failing and operation == "sendBill":
            return httpx2.Response(500, content=FAULT_0100.encode(), headers={"Content-Type": "text/xml"})
        answer = self.upstream.post(request.url.path, content=body, headers=dict(request.headers))
        return httpx2.Response(answer.status_code, content=answer.content, headers=answer.headers)


OTRA_RUC = "20131312955"
OTRA_USUARIO = "otra"
OTRA_CLAVE = "otra-clave-segura"
OTRA_CLIENTE = "otra-pe"


@dataclass(frozen=True)
class OtraEmpresa:
    ruc: str
    usuario: str
    clave: str
    client_id: str
    secret: str


def add_second_company(runtime: Runtime) -> OtraEmpresa:
    """Another issuer with its own user, API client and certificate."""
    with runtime.db.session() as session:
        empresa = create_empresa(
            session,
            runtime.box,
            EmpresaData(
                pais="PE",
                identificacion=OTRA_RUC,
                razon_social="OTRA EMPRESA S.A.",
                direccion={"ubigeo": "150101", "direccion": "JR. OTRO 456"},
                destino="sunat",
                ambiente="sandbox",
            ),
        )
        set_certificate(empresa, runtime.box, generate_test_certificate(OTRA_RUC, "OTRA EMPRESA S.A."))
        client_id, secret = create_client(session, empresa, client_id=OTRA_CLIENTE, secret="otra-secreto")
        create_user(session, empresa, OTRA_USUARIO, OTRA_CLAVE)
    return OtraEmpresa(OTRA_RUC, OTRA_USUARIO, OTRA_CLAVE, client_id, secret)


_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match is not None, "la página no tiene un formulario con token CSRF"
    return match.group(1)


def sign_in(client: TestClient, usuario: str = "demo", clave: str = "demo-secret") -> None:
    token = csrf_of(client.get("/portal/ingresar").text)
    response = client.post(
        "/portal/ingresar",
        data={"usuario": usuario, "clave": clave, "csrf": token, "siguiente": "/portal"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/portal"


def replace_cookie(client: TestClient, name: str, value: str, path: str) -> None:
    """Put ``value`` in place of the browser's cookie ``name`` (same domain and path)."""
    domains = {c.domain for c in client.cookies.jar if c.name == name and c.path == path} or {
        "testserver.local"
    }
    for domain in domains:
        if any(c.name == name and c.domain == domain and c.path == path for c in client.cookies.jar):
            client.cookies.delete(name, domain=domain, path=path)
        client.cookies.set(name, value, domain=domain, path=path)


def page_csrf(client: TestClient, path: str) -> str:
    return csrf_of(client.get(path).text)


def wait_state(runtime: Runtime, doc_id: str, *estados: str, seconds: float = 30) -> str:
    """Poll the row until it reaches one of ``estados`` (the workers run in threads)."""
    deadline = time.monotonic() + seconds
    while True:
        with runtime.db.read() as session:
            row = session.get(Comprobante, doc_id)
            estado = row.estado if row is not None else None
        if estado in estados or time.monotonic() > deadline:
            assert estado in estados, f"{doc_id} quedó en {estado}, se esperaba {estados}"
            return estado
        time.sleep(0.05)


def issue(client: TestClient, auth: dict[str, str], body: dict[str, Any], **params: Any) -> dict[str, Any]:
    response = client.post("/v1/comprobantes", json=body, headers=auth, params=params)
    assert response.status_code in (200, 202), response.text
    result: dict[str, Any] = response.json()
    return result
