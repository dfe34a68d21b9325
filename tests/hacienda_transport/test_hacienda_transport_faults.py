"""Injected faults (openpse.sandbox.faults and the gateway statuses) and what the client makes of them.

The rule under test (ARCHITECTURE.md principle 3, hacienda_cr.md §2.6): when the answer
is lost the outcome is unknown, and the comprobante may well be registered; the client
says so, and asking for the clave tells the truth.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx2
import pytest
from hacienda_transport_support import (
    ACCOUNT,
    Factura,
    LiveServer,
    envio,
    free_port,
    signed_factura,
)
from starlette.applications import Starlette

from openpse.authorities.hacienda.client import (
    HaciendaClient,
    NeverArrived,
    NotSent,
    QueryFailed,
    Received,
    Status,
    UnknownOutcome,
)
from openpse.authorities.hacienda.idp import HaciendaEnvironment
from openpse.sandbox.config import FaultConfig
from openpse.sandbox.hacienda import StatusFaults
from openpse.signing.certificates import Certificate


def _logged_in(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    make_client: Callable[..., HaciendaClient],
    **client_options: object,
) -> tuple[Starlette, HaciendaClient]:
    """An emulator and a client that already holds a token (faults are switched on after)."""
    app = make_app()
    client = make_client(serve(app).url, **client_options)
    client.session(ACCOUNT).access_token()
    return app, client


def _healthy(app: Starlette) -> None:
    app.state.hacienda.set_faults(FaultConfig(), StatusFaults())


@pytest.mark.parametrize(
    ("faults", "status_faults", "status", "registered"),
    [
        (FaultConfig(http500=1), None, 500, False),
        (None, StatusFaults(http499=1), 499, True),
        (None, StatusFaults(http504=1), 504, True),
        (None, StatusFaults(http502=1), 502, False),
        (None, StatusFaults(http503=1), 503, False),
    ],
)
def test_gateway_statuses_are_unknown_outcomes_and_polling_tells_the_truth(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    make_client: Callable[..., HaciendaClient],
    emisor_cert: Certificate,
    faults: FaultConfig | None,
    status_faults: StatusFaults | None,
    status: int,
    registered: bool,
) -> None:
    app, client = _logged_in(make_app, serve, make_client)
    factura = Factura()
    app.state.hacienda.set_faults(faults, status_faults)

    outcome = client.enviar(ACCOUNT, envio(factura, signed_factura(factura, emisor_cert)))
    _healthy(app)
    truth = client.consultar(ACCOUNT, factura.clave)

    assert isinstance(outcome, UnknownOutcome)
    assert outcome.status_code == status
    assert isinstance(truth, Status if registered else NeverArrived)
    counts = app.state.hacienda.fault_counts()
    assert counts[f"http{status}"] == 1


@pytest.mark.parametrize("fault", ["lost_response", "reset"])
def test_dropped_connections_are_unknown_outcomes(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    make_client: Callable[..., HaciendaClient],
    emisor_cert: Certificate,
    fault: str,
) -> None:
    app, client = _logged_in(make_app, serve, make_client)
    factura = Factura()
    app.state.hacienda.set_faults(FaultConfig(**{fault: 1.0}))

    outcome = client.enviar(ACCOUNT, envio(factura, signed_factura(factura, emisor_cert)))
    _healthy(app)
    truth = client.consultar(ACCOUNT, factura.clave)

    assert isinstance(outcome, UnknownOutcome)
    assert outcome.status_code is None
    # A lost answer comes after processing: the comprobante is there.
    assert isinstance(truth, Status if fault == "lost_response" else NeverArrived)


def test_a_held_request_times_out_as_an_unknown_outcome(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    make_client: Callable[..., HaciendaClient],
    emisor_cert: Certificate,
) -> None:
    with httpx2.Client(timeout=httpx2.Timeout(0.5, connect=2.0)) as impatient:
        app, client = _logged_in(make_app, serve, make_client, http=impatient)
        factura = Factura()
        app.state.hacienda.set_faults(FaultConfig(timeout=1.0, timeout_hold_s=5.0))

        outcome = client.enviar(ACCOUNT, envio(factura, signed_factura(factura, emisor_cert)))

    assert isinstance(outcome, UnknownOutcome)
    assert "no respondió a tiempo" in outcome.detail


def test_empty_200_counts_as_received_and_polling_reveals_it_never_arrived(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    make_client: Callable[..., HaciendaClient],
    emisor_cert: Certificate,
) -> None:
    app, client = _logged_in(make_app, serve, make_client)
    factura = Factura()
    app.state.hacienda.set_faults(FaultConfig(empty200=1.0))

    outcome = client.enviar(ACCOUNT, envio(factura, signed_factura(factura, emisor_cert)))
    _healthy(app)

    # Any 2xx is "received" (§2.2); the reconciliation poll is what catches the lie.
    assert isinstance(outcome, Received)
    assert isinstance(client.consultar(ACCOUNT, factura.clave), NeverArrived)


def test_faults_on_status_queries_are_query_failures(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    make_client: Callable[..., HaciendaClient],
) -> None:
    app, client = _logged_in(make_app, serve, make_client)
    results = []
    for faults, status_faults in (
        (FaultConfig(http500=1.0), None),
        (FaultConfig(reset=1.0), None),
        (None, StatusFaults(http503=1.0)),
    ):
        app.state.hacienda.set_faults(faults or FaultConfig(), status_faults or StatusFaults())
        results.append(client.consultar(ACCOUNT, "5" * 50))

    assert [type(result) for result in results] == [QueryFailed, QueryFailed, QueryFailed]
    assert [result.status_code for result in results if isinstance(result, QueryFailed)] == [500, None, 503]


def test_idp_failures_mean_nothing_was_sent(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    make_client: Callable[..., HaciendaClient],
    emisor_cert: Certificate,
) -> None:
    app = make_app(faults=FaultConfig(http500=1.0))
    client = make_client(serve(app).url)
    factura = Factura()

    outcome = client.enviar(ACCOUNT, envio(factura, signed_factura(factura, emisor_cert)))

    assert isinstance(outcome, NotSent)
    assert "HTTP 500" in outcome.detail
    assert app.state.hacienda.records() == []


def test_no_server_at_all_is_not_sent(http: httpx2.Client, emisor_cert: Certificate) -> None:
    client = HaciendaClient(http, HaciendaEnvironment.emulator(f"http://127.0.0.1:{free_port()}"))
    factura = Factura()

    outcome = client.enviar(ACCOUNT, envio(factura, signed_factura(factura, emisor_cert)))
    query = client.consultar(ACCOUNT, factura.clave)

    assert isinstance(outcome, NotSent)
    assert isinstance(query, QueryFailed)


def test_seeded_faults_repeat_call_for_call(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    make_client: Callable[..., HaciendaClient],
) -> None:
    def run() -> list[str]:
        app = make_app(
            faults=FaultConfig(http500=0.15, seed=11),
            status_faults=StatusFaults(http499=0.15, http503=0.15, seed=5),
        )
        client = make_client(serve(app).url)
        return [type(client.consultar(ACCOUNT, "5" * 50)).__name__ for _ in range(20)]

    first, second = run(), run()

    assert first == second
    assert {"QueryFailed", "NeverArrived"} <= set(first)
