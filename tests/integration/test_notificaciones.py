"""Webhooks to the issuer and e-mails to the customer: written with each state change,
delivered with back-off, signed, never on the document's own path."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openpse import demo, notifications
from openpse.core.errors import ValidationFailed
from openpse.notifications import config
from openpse.storage.tables import Empresa, Notificacion, utcnow
from tests_support import ThreadedServer, boleta, factura, free_port


class Receiver:
    """A webhook endpoint that records what arrives and answers from a script."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self.answers: list[int] = []
        self.lock = threading.Lock()

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        with self.lock:
            self.calls.append((dict(request.headers), body))
            status = self.answers.pop(0) if self.answers else 204
        return Response(status_code=status)

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.calls]


@pytest.fixture
def receiver() -> Iterator[tuple[str, Receiver]]:
    recorder = Receiver()
    app = Starlette(routes=[Route("/hook", recorder.handle, methods=["POST"])])
    with ThreadedServer(app) as server:
        yield f"{server.url}/hook", recorder


def _configure(runtime, **changes: Any) -> str | None:
    with runtime.db.session() as session:
        empresa = session.scalars(select(Empresa).where(Empresa.identificacion == demo.DEMO_RUC)).one()
        secret = None
        if "webhook" in changes:
            secret = config.set_webhook(empresa, runtime.box, changes["webhook"])
        if "smtp" in changes:
            config.set_smtp(empresa, runtime.box, changes["smtp"])
        return secret


def _deliver_until(runtime, done, seconds: float = 15.0) -> None:
    """Deliver (the queue's worker may be delivering too) until ``done()``."""
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "las notificaciones no llegaron"
        notifications.deliver_due(runtime)
        time.sleep(0.05)


def _due_now(runtime) -> None:
    with runtime.db.session() as session:
        for notification in session.scalars(select(Notificacion).where(Notificacion.estado == "pendiente")):
            notification.proximo_intento = None


def test_every_state_change_reaches_the_webhook_signed(post_document, runtime, receiver):
    url, recorder = receiver
    secret = _configure(runtime, webhook=url)
    assert secret is not None
    doc = post_document(factura(numero=1), espera=20).json()
    assert doc["estado"] == "aceptado"

    _deliver_until(runtime, lambda: len(recorder.calls) >= 3)
    events = sorted(recorder.events(), key=lambda e: e["id"])
    assert [e["comprobante"]["estado"] for e in events] == ["registrado", "enviando", "aceptado"]
    assert {e["evento"] for e in events} == {"comprobante.estado"}
    assert events[-1]["comprobante"]["respuesta"]["codigo"] == "0"
    for headers, body in recorder.calls:
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert headers["x-openpse-firma"] == expected
        assert headers["x-openpse-evento"] == str(json.loads(body)["id"])
    # Delivered ones are not sent again.
    assert notifications.deliver_due(runtime) == 0
    time.sleep(0.5)
    assert len(recorder.calls) == 3


def test_a_failing_receiver_is_retried_with_back_off_without_blocking_the_document(
    post_document, runtime, receiver
):
    url, recorder = receiver
    _configure(runtime, webhook=url)
    recorder.answers = [500, 500, 500]
    doc = post_document(factura(numero=2), espera=20).json()
    assert doc["estado"] == "aceptado", "the document never waits for its webhooks"
    _deliver_until(runtime, lambda: len(recorder.calls) >= 3)
    with runtime.db.read() as session:
        pending = session.scalars(select(Notificacion).order_by(Notificacion.id)).all()
    assert [n.estado for n in pending] == ["pendiente"] * 3
    assert all(n.intentos == 1 and n.ultimo_error == "DeliveryError: HTTP 500" for n in pending)
    assert all(n.proximo_intento > utcnow() + dt.timedelta(seconds=20) for n in pending)
    assert notifications.deliver_due(runtime) == 0, "not due yet"
    _due_now(runtime)
    _deliver_until(runtime, lambda: len(recorder.calls) >= 6)
    assert [h["x-openpse-intento"] for h, _ in recorder.calls[-3:]] == ["2", "2", "2"]


def test_a_receiver_down_for_three_days_gives_a_visible_fallido(post_document, runtime):
    port = free_port()
    _configure(runtime, webhook=f"http://127.0.0.1:{port}/nadie")
    post_document(factura(numero=3), enviar="false")
    with runtime.db.session() as session:
        for notification in session.scalars(select(Notificacion)):
            notification.creado = utcnow() - dt.timedelta(days=4)
            notification.proximo_intento = None
    notifications.deliver_due(runtime)
    with runtime.db.read() as session:
        [notification] = session.scalars(select(Notificacion)).all()
    assert notification.estado == "fallido"
    assert "ConnectError" in notification.ultimo_error


def test_webhook_urls_must_be_https_or_local(runtime):
    with pytest.raises(ValidationFailed):
        _configure(runtime, webhook="http://erp.example.com/hook")
    assert _configure(runtime, webhook="https://erp.example.com/hook") is not None
    assert _configure(runtime, webhook="https://erp.example.com/otro") is None, "the secret is kept"


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def mailbox() -> Iterator[tuple[int, Mailbox]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, box
    controller.stop()


def test_the_customer_gets_pdf_and_xml_by_email_once_accepted(post_document, runtime, mailbox):
    port, box = mailbox
    _configure(
        runtime,
        smtp={
            "host": "127.0.0.1",
            "puerto": port,
            "remitente": "comprobantes@demo.pe",
            "seguridad": "ninguna",
        },
    )
    cliente = {
        "tipo_documento": "6",
        "numero_documento": "20100070970",
        "razon_social": "CLIENTE S.A.C.",
        "email": "compras@cliente.pe",
    }
    doc = post_document(factura(numero=4, cliente=cliente), espera=20).json()
    assert doc["estado"] == "aceptado"
    _deliver_until(runtime, lambda: len(box.messages) >= 1)
    [message] = box.messages
    assert message["To"] == "compras@cliente.pe"
    assert message["Subject"] == "Factura electrónica F001-4 de EMPRESA DEMO S.A.C."
    names = sorted(part.get_filename() for part in message.iter_attachments())
    assert names == ["20000000001-01-F001-4.pdf", "20000000001-01-F001-4.xml", "R-20000000001-01-F001-4.xml"]
    pdf = next(p for p in message.iter_attachments() if p.get_filename().endswith(".pdf"))
    assert pdf.get_content().startswith(b"%PDF")
    assert "CLIENTE S.A.C." in message.get_body(("plain",)).get_content()


def test_no_email_without_address_or_before_acceptance(post_document, runtime, mailbox):
    port, box = mailbox
    _configure(
        runtime, smtp={"host": "127.0.0.1", "puerto": port, "remitente": "c@demo.pe", "seguridad": "ninguna"}
    )
    post_document(boleta(numero=5), espera=20)
    con_correo = {
        "tipo_documento": "1",
        "numero_documento": "46027897",
        "razon_social": "JUAN",
        "email": "juan@correo.pe",
    }
    post_document(boleta(numero=6, cliente=con_correo), enviar="false")
    notifications.deliver_due(runtime)
    time.sleep(0.5)
    assert box.messages == []


def test_smtp_failures_are_retried_and_visible(post_document, runtime):
    _configure(
        runtime,
        smtp={"host": "127.0.0.1", "puerto": free_port(), "remitente": "c@demo.pe", "seguridad": "ninguna"},
    )
    cliente = {
        "tipo_documento": "1",
        "numero_documento": "46027897",
        "razon_social": "JUAN",
        "email": "j@c.pe",
    }
    assert post_document(boleta(numero=7, cliente=cliente), espera=20).json()["estado"] == "aceptado"

    def attempted() -> bool:
        with runtime.db.read() as session:
            return bool(session.scalars(select(Notificacion).where(Notificacion.intentos > 0)).all())

    _deliver_until(runtime, attempted)
    with runtime.db.read() as session:
        [notification] = session.scalars(select(Notificacion)).all()
    assert notification.canal == "email"
    assert notification.estado == "pendiente"
    assert "ConnectionRefusedError" in notification.ultimo_error


def test_smtp_without_tls_only_to_a_local_relay(runtime):
    with pytest.raises(ValidationFailed):
        _configure(
            runtime, smtp={"host": "smtp.example.com", "remitente": "c@demo.pe", "seguridad": "ninguna"}
        )


def test_the_queue_delivers_webhooks_on_its_own(api, auth, runtime, receiver):
    url, recorder = receiver
    configured = api.put(
        f"/v1/empresas/{demo.DEMO_RUC}/notificaciones", json={"webhook_url": url}, headers=auth
    )
    assert configured.status_code == 200, configured.text
    assert configured.json()["webhook_secreto"]
    doc = api.post("/v1/comprobantes", json=factura(numero=8), headers=auth, params={"espera": 20}).json()
    deadline = time.monotonic() + 15
    while len(recorder.calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(e["comprobante"]["estado"] for e in recorder.events()) == [
        "aceptado",
        "enviando",
        "registrado",
    ]
    listed = api.get(f"/v1/comprobantes/{doc['id']}/notificaciones", headers=auth).json()
    assert [n["estado"] for n in listed] == ["entregado"] * 3
    assert {n["canal"] for n in listed} == {"webhook"}
