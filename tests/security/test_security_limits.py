"""Rate limits per API client (429 + Retry-After), token revocation (RFC 7009), client
deactivation, and the audit log of company, certificate, client and user changes."""

from __future__ import annotations

import base64

import pytest
from security_support import second_company
from starlette.testclient import TestClient

from openpse import demo
from openpse.api.app import create_app
from openpse.api.ratelimit import RateLimiter
from openpse.signing.certificates import generate_test_certificate, to_pkcs12
from tests_support import make_runtime, token_for


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_gcra_allows_the_burst_then_the_pace_and_says_how_long_to_wait():
    clock = FakeClock()
    limiter = RateLimiter(per_minute=60, burst=3, clock=clock)
    assert [limiter.acquire("a") for _ in range(3)] == [None, None, None]
    wait = limiter.acquire("a")
    assert wait == pytest.approx(1.0)
    assert limiter.acquire("b") is None, "cada cliente tiene su propio cupo"
    clock.now += 1.0
    assert limiter.acquire("a") is None
    assert limiter.acquire("a") == pytest.approx(1.0)
    assert RateLimiter.retry_after(0.2) == "1"
    assert RateLimiter(per_minute=0, burst=1).acquire("a") is None


@pytest.fixture
def limited(tmp_path, sandbox_url, test_certificate):
    runtime = make_runtime(
        tmp_path / "data", sandbox_url, test_certificate, api_rate_limit=60, api_rate_limit_burst=5
    )
    with TestClient(create_app(runtime), raise_server_exceptions=False) as client:
        yield client
    runtime.close()


def test_a_client_over_its_limit_gets_429_with_retry_after_and_others_do_not(limited):
    victim = token_for(limited)
    admin = token_for(limited, demo.DEMO_ADMIN)
    codes = [limited.get("/v1/comprobantes", headers=victim).status_code for _ in range(6)]
    assert codes[:5] == [200] * 5
    assert codes[5] == 429
    refused = limited.get("/v1/comprobantes", headers=victim)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 2
    assert refused.json()["cod"] == "429"
    assert refused.json()["errors"][0]["codError"] == "PSE-0014"
    assert limited.get("/v1/auditoria", headers=admin).status_code == 200, "el límite es por cliente"
    metrics = limited.get("/metrics").text
    assert 'openpse_limite_solicitudes_rechazadas_total{ruta="/v1/comprobantes"}' in metrics


def test_token_requests_are_limited_per_client_id(limited):
    form = {"grant_type": "client_credentials", "client_id": demo.DEMO_CLIENT, "client_secret": "equivocada"}
    codes = [limited.post("/v1/oauth2/token", data=form).status_code for _ in range(6)]
    assert codes[:5] == [401] * 5
    assert codes[5] == 429
    refused = limited.post("/v1/oauth2/token", data=form)
    assert refused.json()["error"] == "temporarily_unavailable"
    assert int(refused.headers["retry-after"]) >= 1


def test_revocation_follows_rfc_7009(api, auth, admin_auth):
    token = auth["Authorization"].removeprefix("Bearer ")
    client = {"client_id": demo.DEMO_CLIENT, "client_secret": "demo-secret"}
    assert api.get("/v1/comprobantes", headers=auth).status_code == 200
    revoked = api.post(
        "/v1/oauth2/revoke", data={"token": token, "token_type_hint": "access_token", **client}
    )
    assert revoked.status_code == 200
    assert revoked.content == b""
    assert revoked.headers["cache-control"] == "no-store"
    after = api.get("/v1/comprobantes", headers=auth)
    assert after.status_code == 401
    assert "revocado" in after.json()["errors"][0]["desError"]
    # Again, or an unknown token: 200 (§2.2), nothing to do.
    assert api.post("/v1/oauth2/revoke", data={"token": token, **client}).status_code == 200
    assert api.post("/v1/oauth2/revoke", data={"token": "no-existe", **client}).status_code == 200
    # Client authentication is required, by form or HTTP Basic.
    assert api.post("/v1/oauth2/revoke", data={"token": token}).status_code == 400
    wrong = api.post(
        "/v1/oauth2/revoke", data={"token": token, "client_id": demo.DEMO_CLIENT, "client_secret": "x"}
    )
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
    fresh = token_for(api)["Authorization"].removeprefix("Bearer ")
    basic = "Basic " + base64.b64encode(b"demo-pe:demo-secret").decode()
    assert (
        api.post("/v1/oauth2/revoke", data={"token": fresh}, headers={"Authorization": basic}).status_code
        == 200
    )
    assert api.get("/v1/comprobantes", headers={"Authorization": f"Bearer {fresh}"}).status_code == 401
    log = api.get("/v1/auditoria", headers=admin_auth, params={"accion": "token.revocado"}).json()
    assert log["total"] == 2
    assert {item["objeto"] for item in log["items"]} == {demo.DEMO_CLIENT}


def test_an_administrator_may_revoke_any_token(api, auth):
    token = auth["Authorization"].removeprefix("Bearer ")
    admin = {"client_id": demo.DEMO_ADMIN, "client_secret": "demo-secret"}
    assert api.post("/v1/oauth2/revoke", data={"token": token, **admin}).status_code == 200
    assert api.get("/v1/comprobantes", headers=auth).status_code == 401


def test_deactivating_a_client_revokes_its_tokens_and_its_credentials(api, admin_auth):
    client_id, secret = second_company(api, admin_auth)
    headers = token_for(api, client_id, secret)
    listed = api.get("/v1/empresas/20100070970/clientes", headers=headers).json()
    assert [c["client_id"] for c in listed] == [client_id]
    assert "client_secret" not in str(listed)
    assert "secret_hash" not in str(listed)
    assert api.delete(f"/v1/empresas/20100070970/clientes/{client_id}", headers=admin_auth).status_code == 204
    assert api.get("/v1/comprobantes", headers=headers).status_code == 401
    again = api.post(
        "/v1/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert again.status_code == 401
    assert api.delete("/v1/empresas/20100070970/clientes/no-existe", headers=admin_auth).status_code == 404


def test_the_audit_log_says_who_did_what_and_when(api, admin_auth, auth):
    ruc = "20100070970"
    client_id, secret = second_company(api, admin_auth, ruc)
    company = token_for(api, client_id, secret)
    cert = generate_test_certificate(ruc, "OTRA EMPRESA")
    replaced = api.put(
        f"/v1/empresas/{ruc}/certificado",
        headers={**company, "X-Request-Id": "req-cambio-cert"},
        json={"pfx": base64.b64encode(to_pkcs12(cert, "otra")).decode(), "clave": "otra"},
    )
    assert replaced.status_code == 200
    assert (
        api.post(
            f"/v1/empresas/{ruc}/usuarios",
            headers=company,
            json={"username": "ana", "password": "clave-de-ana"},
        ).status_code
        == 201
    )
    log = api.get("/v1/auditoria", headers=admin_auth, params={"empresa": ruc}).json()
    actions = [(item["accion"], item["actor"]) for item in reversed(log["items"])]
    assert actions == [
        ("empresa.creada", f"cliente:{demo.DEMO_ADMIN}"),
        ("certificado.cargado", f"cliente:{demo.DEMO_ADMIN}"),
        ("cliente.creado", f"cliente:{demo.DEMO_ADMIN}"),
        ("certificado.cargado", f"cliente:{client_id}"),
        ("usuario.creado", f"cliente:{client_id}"),
    ]
    latest_cert = next(i for i in log["items"] if i["request_id"] == "req-cambio-cert")
    assert latest_cert["objeto"] == cert.serie
    assert latest_cert["detalle"]["huella"] == cert.fingerprint
    assert latest_cert["detalle"]["reemplaza"] is not None
    assert latest_cert["fecha"].endswith("-05:00")
    created = log["items"][-1]
    assert created["detalle"]["campos"] == [
        "ambiente",
        "destino",
        "direccion",
        "firma_algoritmo",
        "pais",
        "razon_social",
        "ruc",
    ]
    # Only the administrator reads it.
    assert api.get("/v1/auditoria", headers=auth).status_code == 403
    assert api.get("/v1/auditoria", headers=company).status_code == 403
    only_users = api.get("/v1/auditoria", headers=admin_auth, params={"accion": "usuario.creado"}).json()
    assert [i["objeto"] for i in only_users["items"]] == ["ana"]


def test_the_audit_log_names_secrets_but_never_their_values(api, admin_auth):
    created = api.post(
        "/v1/empresas",
        headers=admin_auth,
        json={
            "ruc": "20100113610",
            "razon_social": "CON CLAVES S.A.C.",
            "usuario_sol": "FACTURA1",
            "clave_sol": "valor-de-la-clave-sol",
            "gre_client_secret": "valor-del-secreto-gre",
        },
    )
    assert created.status_code == 201, created.text
    log = api.get("/v1/auditoria", headers=admin_auth, params={"empresa": "20100113610"}).json()
    assert log["items"][0]["detalle"]["secretos"] == ["clave_sol", "gre_client_secret"]
    assert "valor-de" not in str(log)
