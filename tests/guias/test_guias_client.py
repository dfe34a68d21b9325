"""GreClient against the sandbox's GRE platform over real HTTP on loopback, and against scripted answers.

Tokens (reuse, expiry, a 401 mid-life, one refresh for many threads), the ticket flow
(98 then the verdict, 99 with and without CDR), SUNAT's error bodies, and the failures
of the field injected by the sandbox (``FaultConfig``): each must end as the typed error
that tells the caller whether the guía may be at SUNAT.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import threading
import time
import zipfile
from collections.abc import Callable
from io import BytesIO
from typing import Any

import httpx2
import pytest
from guias_cases import EMPRESA, remitente
from guias_support import EMISORES, CountingTransport, LiveSandbox, credentials, seed_for

from openpse.authorities.sunat.guias import (
    GreApiError,
    GreAuthError,
    GreClient,
    GreCredentials,
    GreEndpoints,
    GreErrorItem,
    GreStatus,
    GreUnavailable,
    GreUnknownOutcome,
    SignedGuia,
    parse_guia,
    prepare_guia,
)
from openpse.authorities.sunat.naming import zip_single
from openpse.sandbox import FaultConfig
from openpse.signing.certificates import Certificate

pytest_plugins = ["guias_fixtures"]
TOKEN = "/oauth2/token"
SEND = "/v1/contribuyente/gem/comprobantes/"
ACCESS = credentials(EMPRESA)

Sandbox = Callable[..., LiveSandbox]
Counting = tuple[httpx2.Client, CountingTransport]


def _guia(gre_certificates: dict[str, Certificate], numero: int = 1) -> SignedGuia:
    return prepare_guia(parse_guia(remitente()), numero, EMISORES["09"], gre_certificates[EMPRESA])


def _client(http: httpx2.Client, sandbox: LiveSandbox, **options: Any) -> GreClient:
    return GreClient(http, GreEndpoints.single_host(sandbox.url), **options)


# -- tokens -------------------------------------------------------------------------------


def test_one_token_serves_many_calls(
    gre_sandbox: Sandbox,
    gre_counting: Counting,
    gre_certificates: dict[str, Certificate],
) -> None:
    http, transport = gre_counting
    client = _client(http, gre_sandbox())
    for numero in (1, 2, 3):
        guia = _guia(gre_certificates, numero)
        ticket = client.send(ACCESS, guia.name.base, guia.zip)
        assert client.wait(ACCESS, ticket.numero, interval=0.01).aceptado
    assert transport.count(TOKEN) == 1
    assert transport.count(SEND) >= 9


def test_the_token_request_is_sunats_password_grant(gre_sandbox: Sandbox) -> None:
    seen: list[httpx2.Request] = []
    inner = httpx2.HTTPTransport()

    def record(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return inner.handle_request(request)

    sandbox = gre_sandbox()
    with httpx2.Client(transport=httpx2.MockTransport(record)) as http:
        token = _client(http, sandbox).token(ACCESS)
    assert token.count(".") == 2, "the sandbox issues JWTs"
    [request] = seen
    assert request.url.path == "/v1/clientessol/openpse-pruebas/oauth2/token/"
    form = dict(item.split("=", 1) for item in request.content.decode().split("&"))
    assert form["grant_type"] == "password"
    assert form["scope"] == "https%3A%2F%2Fapi-cpe.sunat.gob.pe"
    assert form["username"] == f"{EMPRESA}MODDATOS"
    assert (form["client_id"], form["client_secret"], form["password"]) == (
        "openpse-pruebas",
        "secreto",
        "moddatos",
    )


def test_a_token_near_its_end_is_renewed_before_use(
    gre_sandbox: Sandbox,
    gre_counting: Counting,
    gre_certificates: dict[str, Certificate],
) -> None:
    http, transport = gre_counting
    # expires_in 2 s: renewed once 1.5 s have gone (a quarter of a short life as margin).
    client = _client(http, gre_sandbox(gre_token_ttl=2))
    first = client.token(ACCESS)
    assert client.token(ACCESS) == first
    time.sleep(1.6)
    guia = _guia(gre_certificates)
    ticket = client.send(ACCESS, guia.name.base, guia.zip)
    assert client.wait(ACCESS, ticket.numero, interval=0.01).aceptado
    assert client.token(ACCESS) != first
    assert transport.count(TOKEN) == 2


def test_a_401_gets_a_new_token_and_one_retry(
    gre_sandbox: Sandbox,
    gre_counting: Counting,
    gre_certificates: dict[str, Certificate],
) -> None:
    http, transport = gre_counting
    # The client's clock stands still: it believes its token fresh after SUNAT let it expire.
    client = _client(http, gre_sandbox(gre_token_ttl=1), clock=lambda: 0.0)
    stale = client.token(ACCESS)
    time.sleep(1.1)
    guia = _guia(gre_certificates)

    ticket = client.send(ACCESS, guia.name.base, guia.zip)

    assert client.wait(ACCESS, ticket.numero, interval=0.01).aceptado
    assert transport.count(TOKEN) == 2
    assert transport.count(f"{SEND}{guia.name.base}") == 2, "the refused send and its retry"
    assert client.token(ACCESS) != stale


def test_a_second_401_is_an_auth_error() -> None:
    tokens = iter(["uno", "dos"])

    def answer(request: httpx2.Request) -> httpx2.Response:
        if request.url.path.endswith("/oauth2/token/"):
            return httpx2.Response(
                200, json={"access_token": next(tokens), "token_type": "JWT", "expires_in": 3600}
            )
        return httpx2.Response(401, json={"cod": "401", "msg": "Unauthorized"})

    with httpx2.Client(transport=httpx2.MockTransport(answer)) as http:
        client = GreClient(http, GreEndpoints.single_host("https://gre.test"))
        with pytest.raises(GreAuthError) as refused:
            client.status(ACCESS, "a-ticket")
    assert refused.value.status == 401


def test_concurrent_callers_wait_for_one_token(
    gre_sandbox: Sandbox,
    gre_counting: Counting,
) -> None:
    http, transport = gre_counting
    # 300 ms per call: every thread finds the cache empty while the first asks for the token.
    client = _client(http, gre_sandbox(latency_ms=300))
    barrier = threading.Barrier(8)
    tokens: list[str] = []
    lock = threading.Lock()

    def take() -> None:
        barrier.wait()
        token = client.token(ACCESS)
        with lock:
            tokens.append(token)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert len(tokens) == 8
    assert len(set(tokens)) == 1
    assert transport.count(TOKEN) == 1


def test_a_stale_token_is_renewed_once_for_many_threads(
    gre_sandbox: Sandbox,
    gre_counting: Counting,
) -> None:
    http, transport = gre_counting
    now = [0.0]
    client = _client(http, gre_sandbox(latency_ms=200), clock=lambda: now[0])
    old = client.token(ACCESS)
    now[0] = 3600.0  # an hour later: stale for the client
    barrier = threading.Barrier(6)
    tokens: list[str] = []

    def take() -> None:
        barrier.wait()
        tokens.append(client.token(ACCESS))

    threads = [threading.Thread(target=take) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert len(set(tokens)) == 1
    assert tokens[0] != old
    assert transport.count(TOKEN) == 2


def test_tokens_are_kept_per_company(
    gre_sandbox: Sandbox,
    gre_counting: Counting,
) -> None:
    http, transport = gre_counting
    client = _client(http, gre_sandbox())
    other = credentials("20100070970")
    assert client.token(ACCESS) != client.token(other)
    assert client.token(ACCESS) == client.token(ACCESS)
    assert transport.count(TOKEN) == 2


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"clave_sol": "otra"}, 400, "access_denied"),
        ({"usuario_sol": "NOEXISTE"}, 400, "access_denied"),
        ({"client_secret": "otro"}, 401, "invalid_client"),
    ],
)
def test_refused_credentials_are_an_auth_error(
    gre_sandbox: Sandbox,
    gre_http_local: httpx2.Client,
    change: dict[str, str],
    status: int,
    error: str,
) -> None:
    sandbox = gre_sandbox(
        allow_moddatos=False, users={f"{EMPRESA}GUIAS": "clave"}, gre_clients={"openpse-pruebas": "secreto"}
    )
    valid = credentials(EMPRESA, usuario="GUIAS", clave="clave")
    assert _client(gre_http_local, sandbox).token(valid)
    access = dataclasses.replace(valid, **change)
    with pytest.raises(GreAuthError) as refused:
        _client(gre_http_local, sandbox).token(access)
    assert (refused.value.status, refused.value.error) == (status, error)
    assert refused.value.description


@pytest.fixture
def gre_http_local() -> Any:
    with httpx2.Client(timeout=10) as http:
        yield http


# -- tickets ------------------------------------------------------------------------------


def test_98_is_polled_until_the_verdict(
    gre_sandbox: Sandbox,
    gre_counting: Counting,
    gre_certificates: dict[str, Certificate],
) -> None:
    http, transport = gre_counting
    client = _client(http, gre_sandbox(ticket_polls=3))
    guia = _guia(gre_certificates)
    ticket = client.send(ACCESS, guia.name.base, guia.zip)
    assert client.status(ACCESS, ticket.numero).en_proceso
    pauses: list[float] = []

    status = client.wait(ACCESS, ticket.numero, interval=0.01, sleep=pauses.append)

    assert status.aceptado
    assert pauses == [0.01, 0.02], "two more 98 answers, with a growing pause"
    assert transport.count("/envios/") == 4
    assert ticket.nom_archivo == f"{guia.name.base}.zip"
    assert len(ticket.hash_zip) == 64


def test_wait_gives_up_with_the_last_98(
    gre_sandbox: Sandbox,
    gre_http_local: httpx2.Client,
    gre_certificates: dict[str, Certificate],
) -> None:
    client = _client(gre_http_local, gre_sandbox(ticket_polls=10))
    guia = _guia(gre_certificates)
    ticket = client.send(ACCESS, guia.name.base, guia.zip)
    status = client.wait(ACCESS, ticket.numero, attempts=3, interval=0.01, sleep=lambda _s: None)
    assert status.en_proceso
    assert status.cdr() is None


def test_99_with_its_cdr_for_an_altered_guia(
    gre_sandbox: Sandbox,
    gre_http_local: httpx2.Client,
    gre_certificates: dict[str, Certificate],
) -> None:
    client = _client(gre_http_local, gre_sandbox())
    guia = _guia(gre_certificates)
    altered = guia.xml.replace(b"FERRETERIA EL CLAVO", b"FERRETERIA LA TUERCA")
    ticket = client.send(ACCESS, guia.name.base, zip_single(guia.name.xml, altered))

    status = client.wait(ACCESS, ticket.numero, interval=0.01)

    assert (status.cod_respuesta, status.cdr_generado) == ("99", True)
    assert status.error is not None
    assert status.error.cod == "2335"
    cdr = status.cdr()
    assert cdr is not None
    assert cdr.response_code == "2335"


def test_99_without_cdr_for_a_guia_sent_twice(
    gre_sandbox: Sandbox,
    gre_http_local: httpx2.Client,
    gre_certificates: dict[str, Certificate],
) -> None:
    client = _client(gre_http_local, gre_sandbox())
    guia = _guia(gre_certificates)
    first = client.send(ACCESS, guia.name.base, guia.zip)
    assert client.wait(ACCESS, first.numero, interval=0.01).aceptado

    again = client.wait(ACCESS, client.send(ACCESS, guia.name.base, guia.zip).numero, interval=0.01)

    assert (again.cod_respuesta, again.cdr_generado, again.cdr_zip) == ("99", False, None)
    assert again.error is not None
    assert again.error.cod == "1033"


def test_a_cdr_zip_holds_the_constancia_of_the_guia(
    gre_sandbox: Sandbox,
    gre_http_local: httpx2.Client,
    gre_certificates: dict[str, Certificate],
) -> None:
    client = _client(gre_http_local, gre_sandbox())
    guia = _guia(gre_certificates)
    status = client.wait(ACCESS, client.send(ACCESS, guia.name.base, guia.zip).numero, interval=0.01)
    assert status.cdr_zip is not None
    with zipfile.ZipFile(BytesIO(status.cdr_zip)) as archive:
        assert archive.namelist() == [f"R-{guia.name.base}.xml"]


# -- SUNAT's error bodies -----------------------------------------------------------------


def test_a_422_of_the_platform_carries_sunats_codes(
    gre_sandbox: Sandbox,
    gre_http_local: httpx2.Client,
    gre_certificates: dict[str, Certificate],
) -> None:
    client = _client(gre_http_local, gre_sandbox())
    guia = _guia(gre_certificates)
    # A SOL user without a PSE link to the emisor (0154).
    stranger = credentials("20100070970")
    with pytest.raises(GreApiError) as refused:
        client.send(stranger, guia.name.base, guia.zip)
    assert (refused.value.status, refused.value.cod) == (422, "422")
    assert refused.value.msg.startswith("Unprocessable Entity")
    assert [item.cod for item in refused.value.errors] == ["0154"]
    with pytest.raises(GreApiError) as unknown:
        client.status(ACCESS, "8d1c7e53-0000-4000-8000-000000000000")
    assert [item.cod for item in unknown.value.errors] == ["0127"]


def _scripted(status: int, body: Any) -> GreClient:
    def answer(request: httpx2.Request) -> httpx2.Response:
        if request.url.path.endswith("/oauth2/token/"):
            return httpx2.Response(200, json={"access_token": "t", "token_type": "JWT", "expires_in": 3600})
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return httpx2.Response(status, content=content, headers={"Content-Type": "application/json"})

    return GreClient(
        httpx2.Client(transport=httpx2.MockTransport(answer)), GreEndpoints.single_host("https://gre")
    )


@pytest.mark.parametrize(
    "items",
    [
        [{"cod": "0151", "msg": "El nombre del archivo ZIP es incorrecto"}],
        [{"codError": "0151", "desError": "El nombre del archivo ZIP es incorrecto"}],
    ],
)
def test_error_items_are_read_in_both_shapes(items: list[dict[str, str]]) -> None:
    body = {"cod": "422", "msg": "Unprocessable Entity", "exc": "req-7f3a9c", "errors": items}
    with pytest.raises(GreApiError) as refused:
        _scripted(422, body).send(ACCESS, f"{EMPRESA}-09-T001-1", b"PK")
    assert refused.value.exc == "req-7f3a9c"
    assert [(item.cod, item.msg) for item in refused.value.errors] == [
        ("0151", "El nombre del archivo ZIP es incorrecto")
    ]


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, {"cod": "500", "msg": "Internal Server Error"}),
        (503, b"<html>Service Unavailable</html>"),
        (200, b""),
        (200, b"not json"),
        (200, {"fecRecepcion": "2026-11-21T10:00:00"}),
    ],
)
def test_a_send_without_a_usable_answer_has_an_unknown_outcome(status: int, body: Any) -> None:
    with pytest.raises(GreUnknownOutcome):
        _scripted(status, body).send(ACCESS, f"{EMPRESA}-09-T001-1", b"PK")


@pytest.mark.parametrize(
    ("status", "body"),
    [(500, {"cod": "500", "msg": "Internal Server Error"}), (200, b""), (200, {"arcCdr": "%%"})],
)
def test_a_status_without_a_usable_answer_is_unavailable(status: int, body: Any) -> None:
    with pytest.raises(GreUnavailable):
        _scripted(status, body).status(ACCESS, "ticket")


def test_a_status_answer_is_typed() -> None:
    message = "CustomizationID - La version del documento no es correcta"
    body = {
        "codRespuesta": "99",
        "error": {"numError": "2112", "desError": message},
        "arcCdr": base64.b64encode(b"PK\x03\x04cdr").decode(),
        "indCdrGenerado": "1",
    }

    status = _scripted(200, body).status(ACCESS, "t-1")

    assert status == GreStatus(
        ticket="t-1",
        cod_respuesta="99",
        error=GreErrorItem("2112", message),
        cdr_zip=b"PK\x03\x04cdr",
        cdr_generado=True,
    )
    assert not status.aceptado
    assert not status.en_proceso


# -- injected faults ----------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["http500", "empty200", "reset", "lost_response", "timeout"])
def test_a_lost_send_is_an_unknown_outcome(
    fault: str,
    gre_sandbox: Sandbox,
    gre_certificates: dict[str, Certificate],
) -> None:
    # Call 1 (token) passes, call 2 (the send) meets the fault.
    faults = FaultConfig(**{fault: 0.5}, seed=seed_for(".x", 0.5), timeout_hold_s=3)
    sandbox = gre_sandbox(faults=faults)
    guia = _guia(gre_certificates)
    with httpx2.Client(timeout=0.5) as http, pytest.raises(GreUnknownOutcome):
        _client(http, sandbox).send(ACCESS, guia.name.base, guia.zip)
    assert sandbox.app.state.sandbox.fault_counts()[fault] == 1
    registered = sandbox.app.state.sandbox.document(EMPRESA, "09", "T001", 1)
    assert (registered is not None) == (fault == "lost_response")


def test_a_lost_answer_is_reconciled_by_sending_the_same_bytes(
    gre_sandbox: Sandbox,
    gre_http_local: httpx2.Client,
    gre_certificates: dict[str, Certificate],
) -> None:
    # Token passes, the send's answer is lost, then the resend and its statuses pass.
    sandbox = gre_sandbox(faults=FaultConfig(lost_response=0.5, seed=seed_for(".x....", 0.5)))
    client = _client(gre_http_local, sandbox)
    guia = _guia(gre_certificates)
    with pytest.raises(GreUnknownOutcome):
        client.send(ACCESS, guia.name.base, guia.zip)

    again = client.wait(ACCESS, client.send(ACCESS, guia.name.base, guia.zip).numero, interval=0.01)

    # 1033: SUNAT holds this guía as accepted; the first send did arrive.
    assert (again.cod_respuesta, again.error and again.error.cod) == ("99", "1033")
    document = sandbox.app.state.sandbox.document(EMPRESA, "09", "T001", 1)
    assert document is not None
    assert document.estado == "aceptado"


@pytest.mark.parametrize("fault", ["http500", "empty200", "reset"])
def test_a_failed_status_query_is_unavailable_and_the_ticket_still_answers(
    fault: str,
    gre_sandbox: Sandbox,
    gre_certificates: dict[str, Certificate],
) -> None:
    # Token and send pass, the first status query fails, the next ones pass.
    sandbox = gre_sandbox(faults=FaultConfig(**{fault: 0.5}, seed=seed_for("..x..", 0.5)), ticket_polls=0)
    guia = _guia(gre_certificates)
    with httpx2.Client(timeout=5) as http:
        client = _client(http, sandbox)
        ticket = client.send(ACCESS, guia.name.base, guia.zip)
        with pytest.raises(GreUnavailable):
            client.status(ACCESS, ticket.numero)
        assert client.status(ACCESS, ticket.numero).aceptado


def test_a_token_endpoint_down_is_unavailable(gre_sandbox: Sandbox) -> None:
    sandbox = gre_sandbox(faults=FaultConfig(http500=1.0))
    with httpx2.Client(timeout=5) as http, pytest.raises(GreUnavailable):
        _client(http, sandbox).token(ACCESS)


def test_a_refused_connection_is_unavailable(gre_certificates: dict[str, Certificate]) -> None:
    guia = _guia(gre_certificates)
    # Port 9 (discard) on loopback: nothing listens there in a test machine.
    with httpx2.Client(timeout=2) as http:
        client = GreClient(http, GreEndpoints.single_host("http://127.0.0.1:9"))
        with pytest.raises(GreUnavailable):
            client.send(ACCESS, guia.name.base, guia.zip)


def test_credentials_keep_their_secrets_out_of_repr() -> None:
    access = GreCredentials("20100047218", "GUIAS", "clave-sol", "client-id", "client-secret")
    assert "clave-sol" not in repr(access)
    assert "client-secret" not in repr(access)
    assert access.username == "20100047218GUIAS"
