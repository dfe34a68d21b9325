"""Callbacks: Hacienda POSTs the final status to callbackUrl, a local receiver gets it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from hacienda_transport_support import (
    ACCOUNT,
    CallbackReceiver,
    Factura,
    LiveServer,
    envio,
    final_status,
    free_port,
    signed_factura,
)
from starlette.applications import Starlette

from openpse.authorities.hacienda.client import (
    HaciendaClient,
    IndEstado,
    Received,
    Status,
    parse_status,
)
from openpse.signing.certificates import Certificate


def _wait_for_deliveries(app: Starlette, count: int) -> None:
    deadline = time.monotonic() + 10
    while len(app.state.hacienda.callbacks()) < count:
        assert time.monotonic() < deadline, "no callback was attempted"
        time.sleep(0.01)


def test_final_status_is_posted_to_the_callback_url_as_the_get_body(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    make_client: Callable[..., HaciendaClient],
    emisor_cert: Certificate,
) -> None:
    receiver = CallbackReceiver()
    callback_url = serve(receiver.app).url + "/hacienda/callback"
    app = make_app()
    client = make_client(serve(app).url)
    factura = Factura()

    sent = client.enviar(
        ACCOUNT, envio(factura, signed_factura(factura, emisor_cert), callback_url=callback_url)
    )
    [(headers, body)] = receiver.wait(1)
    polled = final_status(client, factura.clave)

    assert isinstance(sent, Received)
    assert headers["content-type"] == "application/json"
    payload = json.loads(body)
    assert payload["clave"] == factura.clave
    assert payload["ind-estado"] == "aceptado"
    assert payload["callbackUrl"] == callback_url
    status = parse_status(payload)
    assert isinstance(status, Status)
    assert status.ind_estado is IndEstado.ACEPTADO
    assert status.mensaje is not None
    assert status.respuesta_xml == polled.respuesta_xml
    _wait_for_deliveries(app, 1)
    [delivery] = app.state.hacienda.callbacks()
    assert (delivery.url, delivery.status, delivery.error) == (callback_url, 202, None)


def test_rejected_documents_are_called_back_too(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    make_client: Callable[..., HaciendaClient],
    receptor_cert: Certificate,
) -> None:
    receiver = CallbackReceiver()
    callback_url = serve(receiver.app).url + "/hacienda/callback"
    client = make_client(serve(make_app()).url)
    factura = Factura()

    client.enviar(ACCOUNT, envio(factura, signed_factura(factura, receptor_cert), callback_url=callback_url))
    [(_, body)] = receiver.wait(1)

    status = parse_status(json.loads(body))
    assert status.ind_estado is IndEstado.RECHAZADO
    assert status.mensaje is not None
    assert "no es el emisor" in status.mensaje.detalle_mensaje


def test_unreachable_callback_is_recorded_and_the_status_stays_available(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    make_client: Callable[..., HaciendaClient],
    emisor_cert: Certificate,
) -> None:
    app = make_app(callback_timeout_s=1.0)
    client = make_client(serve(app).url)
    factura = Factura()
    dead = f"http://127.0.0.1:{free_port()}/callback"

    client.enviar(ACCOUNT, envio(factura, signed_factura(factura, emisor_cert), callback_url=dead))
    _wait_for_deliveries(app, 1)

    [delivery] = app.state.hacienda.callbacks()
    assert delivery.status is None
    assert delivery.error
    assert final_status(client, factura.clave).ind_estado is IndEstado.ACEPTADO


def test_callbacks_can_be_switched_off(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    make_client: Callable[..., HaciendaClient],
    emisor_cert: Certificate,
) -> None:
    receiver = CallbackReceiver()
    callback_url = serve(receiver.app).url + "/hacienda/callback"
    app = make_app(callbacks=False)
    client = make_client(serve(app).url)
    factura = Factura()

    client.enviar(ACCOUNT, envio(factura, signed_factura(factura, emisor_cert), callback_url=callback_url))
    final = final_status(client, factura.clave)

    assert final.ind_estado is IndEstado.ACEPTADO
    assert receiver.wait(1, timeout=0.3) == []
    assert app.state.hacienda.callbacks() == []
