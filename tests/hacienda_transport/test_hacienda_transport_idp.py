"""The IDP emulator (Keycloak realms rut-stag and rut) and the client's IDP sessions."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable

import httpx2
import pytest
from hacienda_transport_support import ACCOUNT, LiveServer, ManualClock
from starlette.applications import Starlette

from openpse.authorities.hacienda.client import HaciendaClient
from openpse.authorities.hacienda.idp import (
    HaciendaAccount,
    HaciendaEnvironment,
    IdpRejected,
    IdpSession,
)
from openpse.sandbox.hacienda import DEMO_CEDULA, DEMO_PASSWORD, DEMO_USERNAME, IdpUser

STAG_TOKEN = "/auth/realms/rut-stag/protocol/openid-connect/token"
STAG_LOGOUT = "/auth/realms/rut-stag/protocol/openid-connect/logout"
PROD_TOKEN = "/auth/realms/rut/protocol/openid-connect/token"
PROD_USER = "cpj-3-101-123456@prod.comprobanteselectronicos.go.cr"


def _password(
    username: str = DEMO_USERNAME, password: str = DEMO_PASSWORD, client: str = "api-stag"
) -> dict[str, str]:
    return {
        "grant_type": "password",
        "client_id": client,
        "client_secret": "",
        "username": username,
        "password": password,
    }


def _claims(token: str) -> dict[str, object]:
    body = token.split(".")[1]
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return decoded


def _grants(app: Starlette) -> dict[str, int]:
    grants: dict[str, int] = app.state.hacienda.idp.grants()
    return grants


def test_password_grant_answers_keycloak_token_json(
    make_app: Callable[..., Starlette], serve: Callable[[Starlette], LiveServer], http: httpx2.Client
) -> None:
    server = serve(make_app(access_token_ttl=300, refresh_token_ttl=1800))

    response = http.post(server.url + STAG_TOKEN, data=_password())

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    payload = response.json()
    assert set(payload) == {
        "access_token",
        "expires_in",
        "refresh_expires_in",
        "refresh_token",
        "token_type",
        "not-before-policy",
        "session_state",
        "scope",
    }
    assert payload["expires_in"] == 300
    assert payload["refresh_expires_in"] == 1800
    assert payload["token_type"] == "bearer"
    access, refresh = _claims(payload["access_token"]), _claims(payload["refresh_token"])
    assert access["iss"] == "https://idp.comprobanteselectronicos.go.cr/auth/realms/rut-stag"
    assert access["azp"] == "api-stag"
    assert access["typ"] == "Bearer"
    assert refresh["typ"] == "Refresh"
    assert access["session_state"] == payload["session_state"] == refresh["session_state"]


def test_production_realm_takes_only_its_own_client_and_users(
    make_app: Callable[..., Starlette], serve: Callable[[Starlette], LiveServer], http: httpx2.Client
) -> None:
    users = {
        DEMO_USERNAME: IdpUser(DEMO_PASSWORD, DEMO_CEDULA),
        PROD_USER: IdpUser("prod-secret-1", DEMO_CEDULA, realm="rut"),
    }
    server = serve(make_app(users=users))

    ok = http.post(server.url + PROD_TOKEN, data=_password(PROD_USER, "prod-secret-1", "api-prod"))
    staging_client = http.post(
        server.url + PROD_TOKEN, data=_password(PROD_USER, "prod-secret-1", "api-stag")
    )
    staging_user = http.post(server.url + PROD_TOKEN, data=_password(client="api-prod"))

    assert ok.status_code == 200
    assert (
        _claims(ok.json()["access_token"])["iss"]
        == "https://idp.comprobanteselectronicos.go.cr/auth/realms/rut"
    )
    assert staging_client.status_code == 401
    assert staging_client.json() == {
        "error": "invalid_client",
        "error_description": "Invalid client or Invalid client credentials",
    }
    assert staging_user.status_code == 401
    assert staging_user.json()["error"] == "invalid_grant"


def test_wrong_password_is_401_with_keycloak_error_body(
    make_app: Callable[..., Starlette], serve: Callable[[Starlette], LiveServer], http: httpx2.Client
) -> None:
    server = serve(make_app())

    response = http.post(server.url + STAG_TOKEN, data=_password(password="no-es-la-clave"))
    unknown = http.post(
        server.url + STAG_TOKEN, data=_password(username="nadie@stag.comprobanteselectronicos.go.cr")
    )

    assert response.status_code == 401
    assert response.json() == {"error": "invalid_grant", "error_description": "Invalid user credentials"}
    assert unknown.status_code == 401
    assert unknown.json() == response.json()


def test_malformed_token_requests_get_keycloak_errors(
    make_app: Callable[..., Starlette], serve: Callable[[Starlette], LiveServer], http: httpx2.Client
) -> None:
    server = serve(make_app())

    no_grant = http.post(server.url + STAG_TOKEN, data={"client_id": "api-stag"})
    other_grant = http.post(
        server.url + STAG_TOKEN, data={"client_id": "api-stag", "grant_type": "client_credentials"}
    )
    no_realm = http.post(server.url + "/auth/realms/rut-dev/protocol/openid-connect/token", data=_password())
    bad_refresh = http.post(
        server.url + STAG_TOKEN,
        data={"grant_type": "refresh_token", "client_id": "api-stag", "refresh_token": "x.y.z"},
    )

    assert (no_grant.status_code, no_grant.json()["error_description"]) == (
        400,
        "Missing form parameter: grant_type",
    )
    assert (other_grant.status_code, other_grant.json()["error"]) == (400, "unsupported_grant_type")
    assert (no_realm.status_code, no_realm.json()) == (404, {"error": "Realm does not exist"})
    assert (bad_refresh.status_code, bad_refresh.json()["error_description"]) == (
        400,
        "Invalid refresh token",
    )


def test_refresh_grant_works_until_the_refresh_token_expires(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    http: httpx2.Client,
    clock: ManualClock,
) -> None:
    server = serve(make_app(access_token_ttl=60, refresh_token_ttl=120))
    first = http.post(server.url + STAG_TOKEN, data=_password()).json()

    clock.advance(100)
    renewed = http.post(
        server.url + STAG_TOKEN,
        data={
            "grant_type": "refresh_token",
            "client_id": "api-stag",
            "refresh_token": first["refresh_token"],
        },
    )
    clock.advance(121)
    dead = http.post(
        server.url + STAG_TOKEN,
        data={
            "grant_type": "refresh_token",
            "client_id": "api-stag",
            "refresh_token": renewed.json()["refresh_token"],
        },
    )

    assert renewed.status_code == 200
    assert renewed.json()["session_state"] == first["session_state"]
    assert (dead.status_code, dead.json()) == (
        400,
        {"error": "invalid_grant", "error_description": "Token is not active"},
    )


def test_session_maximum_ends_refreshes(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    http: httpx2.Client,
    clock: ManualClock,
) -> None:
    server = serve(make_app(access_token_ttl=60, refresh_token_ttl=100, session_max_s=150))
    tokens = http.post(server.url + STAG_TOKEN, data=_password()).json()
    clock.advance(90)
    tokens = http.post(
        server.url + STAG_TOKEN,
        data={
            "grant_type": "refresh_token",
            "client_id": "api-stag",
            "refresh_token": tokens["refresh_token"],
        },
    ).json()
    # The session ends at 150 s, so the new refresh token may not outlive it.
    assert tokens["refresh_expires_in"] == 60
    clock.advance(59)
    tokens = http.post(
        server.url + STAG_TOKEN,
        data={
            "grant_type": "refresh_token",
            "client_id": "api-stag",
            "refresh_token": tokens["refresh_token"],
        },
    ).json()
    assert tokens["refresh_expires_in"] == 1
    clock.advance(1.5)
    dead = http.post(
        server.url + STAG_TOKEN,
        data={
            "grant_type": "refresh_token",
            "client_id": "api-stag",
            "refresh_token": tokens["refresh_token"],
        },
    )
    assert dead.status_code == 400
    assert dead.json()["error"] == "invalid_grant"


def test_logout_is_204_and_ends_the_session_for_refresh_and_api(
    make_app: Callable[..., Starlette], serve: Callable[[Starlette], LiveServer], http: httpx2.Client
) -> None:
    server = serve(make_app())
    tokens = http.post(server.url + STAG_TOKEN, data=_password()).json()
    auth = {"Authorization": f"bearer {tokens['access_token']}"}
    before = http.get(server.url + "/recepcion/v1/recepcion/" + "5" * 50, headers=auth)

    logout = http.post(
        server.url + STAG_LOGOUT, data={"client_id": "api-stag", "refresh_token": tokens["refresh_token"]}
    )
    refresh = http.post(
        server.url + STAG_TOKEN,
        data={
            "grant_type": "refresh_token",
            "client_id": "api-stag",
            "refresh_token": tokens["refresh_token"],
        },
    )
    after = http.get(server.url + "/recepcion/v1/recepcion/" + "5" * 50, headers=auth)
    again = http.post(
        server.url + STAG_LOGOUT, data={"client_id": "api-stag", "refresh_token": tokens["refresh_token"]}
    )
    missing = http.post(server.url + STAG_LOGOUT, data={"client_id": "api-stag"})

    assert before.status_code == 404
    assert (logout.status_code, logout.content) == (204, b"")
    assert (refresh.status_code, refresh.json()["error_description"]) == (400, "Session not active")
    assert after.status_code == 401
    assert again.status_code == 400
    assert (missing.status_code, missing.json()["error_description"]) == (400, "No refresh token")


def test_expired_access_token_is_refused_by_the_api(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    http: httpx2.Client,
    clock: ManualClock,
) -> None:
    server = serve(make_app(access_token_ttl=300))
    tokens = http.post(server.url + STAG_TOKEN, data=_password()).json()
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}

    clock.advance(299)
    fresh = http.get(server.url + "/recepcion/v1/recepcion/" + "5" * 50, headers=auth)
    clock.advance(2)
    stale = http.get(server.url + "/recepcion/v1/recepcion/" + "5" * 50, headers=auth)

    assert fresh.status_code == 404
    assert stale.status_code == 401
    assert stale.headers["www-authenticate"].startswith("Bearer")


# -- the client's sessions ---------------------------------------------------------------


def _session(
    url: str, http: httpx2.Client, clock: ManualClock, account: HaciendaAccount = ACCOUNT
) -> IdpSession:
    return IdpSession(http, HaciendaEnvironment.emulator(url), account, clock=clock, refresh_margin_s=30)


def test_session_reuses_its_token_and_refreshes_before_expiry(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    http: httpx2.Client,
    clock: ManualClock,
) -> None:
    app = make_app(access_token_ttl=300, refresh_token_ttl=1800)
    session = _session(serve(app).url, http, clock)

    first = session.access_token()
    clock.advance(200)
    assert session.access_token() == first
    clock.advance(75)  # 275 s: inside the 30 s margin before the 300 s expiry
    renewed = session.access_token()

    assert renewed != first
    assert _grants(app) == {"password": 1, "refresh_token": 1}
    assert app.state.hacienda.idp.authorize(f"bearer {renewed}") is not None


def test_session_falls_back_to_a_password_grant_when_the_refresh_token_is_dead(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    http: httpx2.Client,
    clock: ManualClock,
) -> None:
    app = make_app(access_token_ttl=300, refresh_token_ttl=1800)
    session = _session(serve(app).url, http, clock)
    session.access_token()

    app.state.hacienda.idp.end_all_sessions()  # e.g. an administrator ended them
    clock.advance(290)
    token = session.access_token()

    assert _grants(app) == {"password": 2, "refresh_failed": 1}
    assert app.state.hacienda.idp.authorize(f"bearer {token}") is not None


def test_session_skips_a_refresh_token_it_knows_has_expired(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    http: httpx2.Client,
    clock: ManualClock,
) -> None:
    app = make_app(access_token_ttl=300, refresh_token_ttl=300)
    session = _session(serve(app).url, http, clock)
    session.access_token()

    clock.advance(400)
    session.access_token()

    assert _grants(app) == {"password": 2}


def test_concurrent_callers_share_a_single_refresh(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    http: httpx2.Client,
    clock: ManualClock,
) -> None:
    app = make_app(access_token_ttl=300, refresh_token_ttl=1800, latency_ms=50)
    session = _session(serve(app).url, http, clock)
    session.access_token()
    clock.advance(290)

    barrier = threading.Barrier(16)
    tokens: list[str] = []
    lock = threading.Lock()

    def caller() -> None:
        barrier.wait()
        token = session.access_token()
        with lock:
            tokens.append(token)

    threads = [threading.Thread(target=caller) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert len(tokens) == 16
    assert len(set(tokens)) == 1
    assert _grants(app) == {"password": 1, "refresh_token": 1}


def test_concurrent_401s_renew_once(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    http: httpx2.Client,
    clock: ManualClock,
) -> None:
    app = make_app(access_token_ttl=300, latency_ms=30)
    session = _session(serve(app).url, http, clock)
    rejected = session.access_token()
    barrier = threading.Barrier(8)
    renewed: list[str] = []

    def caller() -> None:
        barrier.wait()
        renewed.append(session.renew_after_rejection(rejected))

    threads = [threading.Thread(target=caller) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert len(set(renewed)) == 1
    assert rejected not in renewed
    assert _grants(app) == {"password": 1, "refresh_token": 1}


def test_wrong_password_raises_idp_rejected_with_the_status(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    http: httpx2.Client,
    clock: ManualClock,
) -> None:
    server = serve(make_app())
    session = _session(server.url, http, clock, HaciendaAccount("x", DEMO_USERNAME, "mala"))

    with pytest.raises(IdpRejected) as caught:
        session.access_token()

    assert caught.value.status_code == 401
    assert caught.value.error == "invalid_grant"
    assert "Invalid user credentials" in caught.value.message


def test_logout_ends_the_session_at_the_idp(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    make_client: Callable[..., HaciendaClient],
) -> None:
    app = make_app()
    client = make_client(serve(app).url)
    token = client.session(ACCOUNT).access_token()
    assert app.state.hacienda.idp.active_sessions() == 1

    assert client.logout(ACCOUNT.company_id) is True

    assert app.state.hacienda.idp.active_sessions() == 0
    assert app.state.hacienda.idp.authorize(f"bearer {token}") is None
    assert _grants(app)["logout"] == 1
    # A new call after the logout opens a new session.
    assert client.session(ACCOUNT).access_token() != token


def test_one_cached_session_per_company_replaced_when_credentials_change(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    make_client: Callable[..., HaciendaClient],
) -> None:
    users = {
        DEMO_USERNAME: IdpUser(DEMO_PASSWORD, DEMO_CEDULA),
        "cpf-01-1448-0790@stag.comprobanteselectronicos.go.cr": IdpUser("otra-clave-1", "114480790"),
    }
    app = make_app(users=users)
    client = make_client(serve(app).url)
    other = HaciendaAccount("otra", "cpf-01-1448-0790@stag.comprobanteselectronicos.go.cr", "otra-clave-1")

    assert client.session(ACCOUNT) is client.session(ACCOUNT)
    first = client.session(ACCOUNT).access_token()
    client.session(other).access_token()
    rotated = HaciendaAccount(ACCOUNT.company_id, ACCOUNT.username, "clave-nueva")

    assert client.session(rotated) is not client.session(ACCOUNT)
    assert client.session(ACCOUNT).access_token() != first
    assert _grants(app)["password"] == 3
    assert "clave-nueva" not in repr(rotated)
