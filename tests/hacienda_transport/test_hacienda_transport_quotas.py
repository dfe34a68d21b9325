"""Per-cédula quotas: 429 with X-Ratelimit-* and Retry-After, and success once the window frees."""

from __future__ import annotations

import math
from collections.abc import Callable

import httpx2
import pytest
from hacienda_transport_support import (
    ACCOUNT,
    Factura,
    LiveServer,
    ManualClock,
    bearer,
    envio,
    signed_factura,
)
from starlette.applications import Starlette

from openpse.authorities.hacienda.client import (
    HaciendaClient,
    NeverArrived,
    Received,
    RejectedAtReception,
    RetryAfter,
)
from openpse.authorities.hacienda.idp import HaciendaAccount
from openpse.sandbox.hacienda import (
    DEMO_CEDULA,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    SPECIFICATION_QUOTAS,
    IdpUser,
    Quota,
)
from openpse.signing.certificates import Certificate

RECEPCION = "/recepcion/v1/recepcion"
OTHER_USER = "cpf-01-1448-0790@stag.comprobanteselectronicos.go.cr"


def test_quota_answers_429_then_accepts_after_the_window_resets(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    make_client: Callable[..., HaciendaClient],
    http: httpx2.Client,
    clock: ManualClock,
    emisor_cert: Certificate,
) -> None:
    url = serve(make_app(quotas=(Quota("post_ok", 2, 60.0),))).url
    client = make_client(url)
    facturas = [Factura(numero=number) for number in range(1, 5)]
    started = clock()

    first = client.enviar(ACCOUNT, envio(facturas[0], signed_factura(facturas[0], emisor_cert)))
    clock.advance(10)
    second = client.enviar(ACCOUNT, envio(facturas[1], signed_factura(facturas[1], emisor_cert)))
    refused = client.enviar(ACCOUNT, envio(facturas[2], signed_factura(facturas[2], emisor_cert)))
    raw = http.post(url + RECEPCION, json={}, headers=bearer(http, url))
    never = client.consultar(ACCOUNT, facturas[2].clave)
    clock.advance(50)
    accepted = client.enviar(ACCOUNT, envio(facturas[2], signed_factura(facturas[2], emisor_cert)))

    assert isinstance(first, Received)
    assert isinstance(second, Received)
    assert isinstance(refused, RetryAfter)
    assert refused.seconds == 50
    assert raw.status_code == 429
    assert raw.headers["x-ratelimit-limit"] == "2"
    assert raw.headers["x-ratelimit-remaining"] == "0"
    assert raw.headers["x-ratelimit-reset"] == str(math.ceil(started + 60))
    assert raw.headers["retry-after"] == "50"
    assert isinstance(never, NeverArrived)  # refused calls register nothing
    assert isinstance(accepted, Received)


def test_without_retry_after_the_client_waits_until_x_ratelimit_reset(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    make_client: Callable[..., HaciendaClient],
    clock: ManualClock,
    emisor_cert: Certificate,
) -> None:
    url = serve(make_app(quotas=(Quota("post", 1, 60.0),), retry_after_header=False)).url
    client = make_client(url)
    first, second = Factura(numero=1), Factura(numero=2)
    client.enviar(ACCOUNT, envio(first, signed_factura(first, emisor_cert)))
    clock.advance(15)

    refused = client.enviar(ACCOUNT, envio(second, signed_factura(second, emisor_cert)))

    assert isinstance(refused, RetryAfter)
    # X-Ratelimit-Reset is whole epoch seconds, so up to one second more than exact.
    assert 45 <= refused.seconds < 46


def test_failed_posts_spend_their_own_smaller_quota(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    make_client: Callable[..., HaciendaClient],
    emisor_cert: Certificate,
) -> None:
    client = make_client(serve(make_app()).url)  # josiasmc's per-minute profile: 10 failed POSTs
    good = Factura(numero=99)
    bad = [Factura(numero=number) for number in range(1, 11)]

    failures = [
        client.enviar(ACCOUNT, envio(factura, signed_factura(factura, emisor_cert), receptor=None))
        for factura in bad
    ]
    refused = client.enviar(ACCOUNT, envio(good, signed_factura(good, emisor_cert)))

    assert all(isinstance(outcome, RejectedAtReception) for outcome in failures)
    assert isinstance(refused, RetryAfter)
    assert 59 <= refused.seconds <= 60


def test_quotas_are_counted_per_cedula(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    make_client: Callable[..., HaciendaClient],
) -> None:
    users = {
        DEMO_USERNAME: IdpUser(DEMO_PASSWORD, DEMO_CEDULA),
        OTHER_USER: IdpUser("otra-clave-1", "114480790"),
    }
    client = make_client(serve(make_app(users=users, quotas=(Quota("get", 2, 60.0),))).url)
    other = HaciendaAccount("otra", OTHER_USER, "otra-clave-1")
    clave = "5" * 50

    spent = [client.consultar(ACCOUNT, clave) for _ in range(3)]
    others = client.consultar(other, clave)

    assert [type(outcome) for outcome in spent] == [NeverArrived, NeverArrived, RetryAfter]
    assert isinstance(others, NeverArrived)


def test_specification_profile_limits_posts_per_hour(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    http: httpx2.Client,
    clock: ManualClock,
) -> None:
    url = serve(make_app(quotas=SPECIFICATION_QUOTAS)).url
    auth = bearer(http, url)

    answers = [http.post(url + RECEPCION, json={}, headers=auth).status_code for _ in range(100)]
    refused = http.post(url + RECEPCION, json={}, headers=auth)
    get_still_allowed = http.get(f"{url}{RECEPCION}/{'5' * 50}", headers=auth)
    clock.advance(3600)
    after_an_hour = http.post(url + RECEPCION, json={}, headers=bearer(http, url))

    assert set(answers) == {400}
    assert refused.status_code == 429
    assert refused.headers["x-ratelimit-limit"] == "100"
    assert refused.headers["retry-after"] == "3600"
    assert get_still_allowed.status_code == 404
    assert after_an_hour.status_code == 400


def test_idp_refuses_after_five_failed_logins_in_a_minute(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    make_client: Callable[..., HaciendaClient],
    clock: ManualClock,
    emisor_cert: Certificate,
) -> None:
    client = make_client(serve(make_app()).url)
    wrong = HaciendaAccount(ACCOUNT.company_id, ACCOUNT.username, "clave-equivocada")
    factura = Factura()
    xml = signed_factura(factura, emisor_cert)

    failures = [type(client.enviar(wrong, envio(factura, xml))).__name__ for _ in range(5)]
    limited = client.enviar(ACCOUNT, envio(factura, xml))
    clock.advance(60)
    accepted = client.enviar(ACCOUNT, envio(factura, xml))

    assert failures == ["AuthorizationFailed"] * 5
    assert isinstance(limited, RetryAfter)
    assert limited.seconds == pytest.approx(60, abs=1)
    assert isinstance(accepted, Received)
