"""Fault injection: each fault over real HTTP on loopback, the seeded draw, the settings."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from urllib.parse import urlencode

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient
from sunat_sandbox_support import (
    BETA_BILL,
    CONSULT,
    GRE_CPE,
    RUC,
    Despatch,
    Invoice,
    LiveServer,
    SigningKey,
    cdr_text,
    cdr_xml,
    cdr_zip,
    fault_code,
    fault_string,
    gre_body,
    gre_token_form,
    send_bill,
    signed_package,
    signed_zip,
    status_query,
)

from openpse.sandbox import ConnectionDropped, FaultConfig
from openpse.sandbox.faults import FaultPlan

HEADERS = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": "urn:sendBill"}
TOKEN_PATH = "/v1/clientessol/cliente/oauth2/token/"
DROPPED = (httpx2.RemoteProtocolError, httpx2.ReadError)


def _faulty(make_app: Callable[..., Starlette], **probabilities: float) -> Starlette:
    config = FaultConfig.parse(",".join(f"{name}={value}" for name, value in probabilities.items()))
    return make_app(faults=config)


def _send_bill(url: str, signing_key: SigningKey, timeout: float = 10) -> httpx2.Response:
    with httpx2.Client(base_url=url, timeout=timeout) as http:
        return http.post(
            BETA_BILL, content=send_bill(*signed_package(Invoice(), signing_key)), headers=HEADERS
        )


def test_http500_is_an_internal_error_fault_and_registers_nothing(
    make_app: Callable[..., Starlette], serve: Callable[[Starlette], LiveServer], signing_key: SigningKey
) -> None:
    app = _faulty(make_app, http500=1)
    response = _send_bill(serve(app).url, signing_key)

    assert response.status_code == 500
    assert response.headers["content-type"] == "text/xml;charset=UTF-8"
    assert fault_code(response.content) == "soap-env:Client.0100"
    assert fault_string(response.content).startswith("El sistema no puede responder su solicitud")
    assert app.state.sandbox.documents() == []
    assert app.state.sandbox.fault_counts()["http500"] == 1


def test_http500_on_the_gre_platform_is_a_cpe_error(
    make_app: Callable[..., Starlette], serve: Callable[[Starlette], LiveServer]
) -> None:
    app = _faulty(make_app, http500=1)
    with httpx2.Client(base_url=serve(app).url, timeout=10) as http:
        response = http.post(TOKEN_PATH, data=gre_token_form())
    assert response.status_code == 500
    assert response.json()["cod"] == "500"
    assert response.json()["msg"].startswith("Internal Server Error - Se presento una condicion inesperada")


def test_empty200_answers_nothing_and_registers_nothing(
    make_app: Callable[..., Starlette], serve: Callable[[Starlette], LiveServer], signing_key: SigningKey
) -> None:
    app = _faulty(make_app, empty200=1)
    response = _send_bill(serve(app).url, signing_key)

    assert (response.status_code, response.content) == (200, b"")
    assert app.state.sandbox.documents() == []
    assert app.state.sandbox.fault_counts()["empty200"] == 1


def test_reset_drops_the_connection_before_processing(
    make_app: Callable[..., Starlette], serve: Callable[[Starlette], LiveServer], signing_key: SigningKey
) -> None:
    app = _faulty(make_app, reset=1)
    with pytest.raises(DROPPED):
        _send_bill(serve(app).url, signing_key)
    assert app.state.sandbox.documents() == []
    assert app.state.sandbox.fault_counts()["reset"] == 1


def test_lost_response_registers_the_document_but_never_answers(
    make_app: Callable[..., Starlette], serve: Callable[[Starlette], LiveServer], signing_key: SigningKey
) -> None:
    app = _faulty(make_app, lost_response=1)
    with pytest.raises(DROPPED):
        _send_bill(serve(app).url, signing_key)
    [document] = app.state.sandbox.documents()
    assert (document.document_id, document.estado) == ("F001-1", "aceptado")
    assert app.state.sandbox.fault_counts()["lost_response"] == 1


def test_without_a_transport_to_close_the_drop_is_an_exception(
    make_app: Callable[..., Starlette], signing_key: SigningKey
) -> None:
    app = _faulty(make_app, lost_response=1)
    with TestClient(app) as client, pytest.raises(ConnectionDropped):
        client.post(BETA_BILL, content=send_bill(*signed_package(Invoice(), signing_key)))
    assert len(app.state.sandbox.documents()) == 1


def test_lost_response_on_the_gre_send_still_registers_the_guia(
    make_app: Callable[..., Starlette], serve: Callable[[Starlette], LiveServer], signing_key: SigningKey
) -> None:
    app = _faulty(make_app, lost_response=1)
    form = urlencode(gre_token_form()).encode()
    token = app.state.sandbox.gre.token("cliente", form).payload["access_token"]
    guia = Despatch()
    with httpx2.Client(base_url=serve(app).url, timeout=10) as http, pytest.raises(DROPPED):
        http.post(
            f"{GRE_CPE}/{guia.base}",
            content=gre_body(*signed_zip(guia, signing_key)),
            headers={"Authorization": f"Bearer {token}"},
        )
    assert app.state.sandbox.document(RUC, "09", "T001", 1).estado == "aceptado"


def test_timeout_holds_the_request_until_the_client_gives_up(
    make_app: Callable[..., Starlette], serve: Callable[[Starlette], LiveServer], signing_key: SigningKey
) -> None:
    app = make_app(faults=FaultConfig(timeout=1, timeout_hold_s=30))
    server = serve(app)
    started = time.monotonic()
    with pytest.raises(httpx2.TimeoutException):
        _send_bill(server.url, signing_key, timeout=0.3)
    assert time.monotonic() - started < 5
    assert app.state.sandbox.documents() == []
    deadline = time.monotonic() + 5
    while app.state.sandbox.faults.held_count():
        assert time.monotonic() < deadline, "the held request did not notice the client leaving"
        time.sleep(0.02)
    assert app.state.sandbox.fault_counts()["timeout"] == 1


def test_a_held_request_does_not_delay_shutdown(
    make_app: Callable[..., Starlette], signing_key: SigningKey
) -> None:
    app = make_app(faults=FaultConfig(timeout=1, timeout_hold_s=60))
    server = LiveServer(app)
    server.start()
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            _send_bill(server.url, signing_key, timeout=30)
        except httpx2.TransportError as exc:
            outcome.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    deadline = time.monotonic() + 5
    while not app.state.sandbox.faults.held_count():
        assert time.monotonic() < deadline, "the request was not held"
        time.sleep(0.02)

    stopping = time.monotonic()
    server.stop()
    caller.join(timeout=5)

    assert time.monotonic() - stopping < 5
    assert not server.thread.is_alive()
    assert len(outcome) == 1
    assert isinstance(outcome[0], DROPPED)


def test_latency_is_added_to_every_emulated_call_only(make_app: Callable[..., Starlette]) -> None:
    with TestClient(make_app(latency_ms=50, faults=FaultConfig(latency_ms=100))) as client:
        started = time.perf_counter()
        client.post(CONSULT, content=status_query("getStatus"))
        assert time.perf_counter() - started >= 0.15
        started = time.perf_counter()
        client.get("/health")
        client.get(f"{BETA_BILL}?wsdl")
        assert time.perf_counter() - started < 0.15


def test_every_service_gets_faults_but_health_and_wsdl_do_not(make_app: Callable[..., Starlette]) -> None:
    app = _faulty(make_app, http500=1)
    with TestClient(app) as client:
        assert client.post(CONSULT, content=status_query("getStatus")).status_code == 500
        assert client.post(TOKEN_PATH, data=gre_token_form()).status_code == 500
        assert client.post(f"{GRE_CPE}/{RUC}-09-T001-1", content=b"{}").status_code == 500
        assert client.get(f"{GRE_CPE}/envios/x").status_code == 500
        assert client.get("/health").status_code == 200
        assert client.get(f"{BETA_BILL}?wsdl").status_code == 200
        assert client.get("/health").json()["faults"]["http500"] == 4


def test_the_draw_is_reproducible_with_a_seed(
    make_app: Callable[..., Starlette], signing_key: SigningKey
) -> None:
    config = FaultConfig(http500=0.3, empty200=0.3, seed=11)
    expected = FaultPlan(config)
    predicted = [expected.draw() for _ in range(30)]
    app = make_app(faults=config)
    with TestClient(app) as client:
        seen = []
        for _ in range(30):
            response = client.post(CONSULT, content=status_query("getStatus"))
            seen.append(
                "http500" if response.status_code == 500 else "empty200" if not response.content else None
            )
    assert seen == predicted
    assert app.state.sandbox.fault_counts() == expected.counts()
    assert {"http500", "empty200", None} == set(predicted)
    other = FaultPlan(FaultConfig(http500=0.3, empty200=0.3, seed=12))
    assert [other.draw() for _ in range(30)] != predicted


def test_without_faults_everything_is_answered(
    make_app: Callable[..., Starlette], signing_key: SigningKey
) -> None:
    with TestClient(make_app()) as client:
        response = client.post(BETA_BILL, content=send_bill(*signed_package(Invoice(), signing_key)))
        assert (
            cdr_text(cdr_xml(cdr_zip(response.content)), "cac:DocumentResponse/cac:Response/cbc:ResponseCode")
            == "0"
        )
        assert set(client.get("/health").json()["faults"].values()) == {0}


def test_fault_settings_are_parsed_and_checked() -> None:
    parsed = FaultConfig.parse(
        " timeout=0.1, lost_response=0.05,http500=0.05,empty200=0.05,reset=0.05,latency_ms=20,seed=7 "
    )
    assert parsed == FaultConfig(
        timeout=0.1, lost_response=0.05, http500=0.05, empty200=0.05, reset=0.05, latency_ms=20, seed=7
    )
    assert FaultConfig.parse("timeout=1,timeout_hold_s=2.5").timeout_hold_s == 2.5
    assert FaultConfig.parse("") == FaultConfig()
    assert not FaultConfig().active
    for text, message in [
        ("chaos=1", "unknown"),
        ("timeout", "unknown"),
        ("timeout=x", "number"),
        ("seed=1.5", "integer"),
        ("timeout=0.1,timeout=0.2", "twice"),
        ("timeout=0.6,reset=0.6", "add up"),
        ("http500=2", "between 0 and 1"),
        ("latency_ms=-1", "negative"),
        ("timeout_hold_s=0", "positive"),
    ]:
        with pytest.raises(ValueError, match=message):
            FaultConfig.parse(text)
