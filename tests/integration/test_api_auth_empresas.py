"""Authentication (API.md), tenant isolation, and the company administration API."""

from __future__ import annotations

import base64
import datetime as dt

from sqlalchemy import update

from openpse.signing.certificates import generate_test_certificate, to_pkcs12
from openpse.storage.tables import Token
from tests_support import factura, shared_path, token_for


def test_client_credentials_in_form_and_basic(api):
    form = api.post(
        "/v1/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": "demo-pe", "client_secret": "demo-secret"},
    )
    assert form.status_code == 200
    assert form.json()["token_type"] == "Bearer"
    assert form.json()["expires_in"] == 3600
    assert form.headers["cache-control"] == "no-store"
    basic = api.post(
        "/v1/oauth2/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic " + base64.b64encode(b"demo-pe:demo-secret").decode()},
    )
    assert basic.status_code == 200


def test_password_grant(api):
    response = api.post(
        "/v1/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": "demo-pe",
            "client_secret": "demo-secret",
            "username": "demo",
            "password": "demo-secret",
        },
    )
    assert response.status_code == 200
    bad = api.post(
        "/v1/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": "demo-pe",
            "client_secret": "demo-secret",
            "username": "demo",
            "password": "x",
        },
    )
    assert (bad.status_code, bad.json()["error"]) == (400, "invalid_grant")


def test_token_errors_follow_rfc_6749(api):
    wrong = api.post(
        "/v1/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": "demo-pe", "client_secret": "nope"},
    )
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
    grant = api.post(
        "/v1/oauth2/token",
        data={"grant_type": "authorization_code", "client_id": "demo-pe", "client_secret": "demo-secret"},
    )
    assert (grant.status_code, grant.json()["error"]) == (400, "unsupported_grant_type")


def test_calls_without_or_with_a_bad_or_expired_token_are_401(api, runtime):
    assert api.get("/v1/comprobantes").status_code == 401
    bad = api.get("/v1/comprobantes", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    assert bad.json()["cod"] == "401"
    headers = token_for(api)
    with runtime.db.session() as session:
        session.execute(update(Token).values(expira=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    expired = api.get("/v1/comprobantes", headers=headers)
    assert expired.status_code == 401
    assert "vencido" in expired.json()["errors"][0]["desError"]


def _second_company(api, admin_auth, ruc="20100070970"):
    created = api.post(
        "/v1/empresas",
        headers=admin_auth,
        json={
            "ruc": ruc,
            "razon_social": "OTRA EMPRESA S.A.C.",
            "direccion": {"ubigeo": "150101", "direccion": "Jr. X"},
        },
    )
    assert created.status_code == 201, created.text
    cert = generate_test_certificate(ruc, "OTRA EMPRESA")
    upload = api.put(
        f"/v1/empresas/{ruc}/certificado",
        headers=admin_auth,
        json={"pfx": base64.b64encode(to_pkcs12(cert, "clave")).decode(), "clave": "clave"},
    )
    assert upload.status_code == 200, upload.text
    client = api.post(f"/v1/empresas/{ruc}/clientes", headers=admin_auth).json()
    return token_for(api, client["client_id"], client["client_secret"])


def test_admin_creates_a_company_that_can_issue(api, admin_auth):
    other = _second_company(api, admin_auth)
    response = api.post(
        "/v1/comprobantes",
        json=factura(
            numero=1,
            cliente={
                "tipo_documento": "6",
                "numero_documento": "20000000001",
                "razon_social": "EMPRESA DEMO",
            },
        ),
        headers=other,
        params={"espera": 20},
    )
    assert response.json()["id"] == "20100070970-01-F001-1"
    assert response.json()["estado"] == "aceptado", response.text
    company = api.get("/v1/empresas/20100070970", headers=other).json()
    assert company["certificado"]["sujeto"].startswith("CN=OTRA EMPRESA")
    assert "clave_sol" not in company
    assert "cert_key_enc" not in str(company)


def test_tenants_never_see_each_other(api, auth, admin_auth):
    mine = api.post("/v1/comprobantes", json=factura(numero=1), headers=auth).json()["id"]
    other = _second_company(api, admin_auth)
    for path in (f"/v1/comprobantes/{mine}", f"/v1/comprobantes/{mine}/xml", f"/v1/comprobantes/{mine}/cdr"):
        response = api.get(path, headers=other)
        assert response.status_code == 404, path
    assert api.post(f"/v1/comprobantes/{mine}/envio", headers=other).status_code == 404
    assert api.get("/v1/comprobantes", headers=other).json()["total"] == 0
    assert api.get("/v1/empresas/20000000001", headers=other).status_code == 404
    assert (
        api.put("/v1/empresas/20000000001/certificado", headers=other, json={"pfx": "AA=="}).status_code
        == 404
    )
    assert api.post("/v1/empresas/20000000001/clientes", headers=other).status_code == 404


def test_only_administrators_create_companies(api, auth):
    response = api.post("/v1/empresas", headers=auth, json={"ruc": "20100070970", "razon_social": "X"})
    assert response.status_code == 403


def test_company_validation(api, admin_auth):
    bad_ruc = api.post("/v1/empresas", headers=admin_auth, json={"ruc": "20100070971", "razon_social": "X"})
    assert bad_ruc.status_code == 422
    assert bad_ruc.json()["errors"][0]["campo"] == "ruc"
    duplicate = api.post("/v1/empresas", headers=admin_auth, json={"ruc": "20000000001", "razon_social": "X"})
    assert duplicate.status_code == 409
    needs_sol = api.post(
        "/v1/empresas",
        headers=admin_auth,
        json={"ruc": "20100070970", "razon_social": "X", "ambiente": "produccion"},
    )
    assert needs_sol.status_code == 422


def test_certificate_upload_errors(api, admin_auth):
    wrong_password = api.put(
        "/v1/empresas/20000000001/certificado",
        headers=admin_auth,
        json={
            "pfx": base64.b64encode(to_pkcs12(generate_test_certificate("20000000001", "X"), "a")).decode(),
            "clave": "b",
        },
    )
    assert wrong_password.status_code == 422
    assert wrong_password.json()["errors"][0]["codError"] == "PSE-0023"
    not_base64 = api.put("/v1/empresas/20000000001/certificado", headers=admin_auth, json={"pfx": "%%%"})
    assert not_base64.status_code == 400


def test_legacy_pfx_of_a_real_peruvian_demo_certificate_is_accepted(api, admin_auth):
    pfx = shared_path("certs", "openubl", "LLAMA-PE-CERTIFICADO-DEMO-10467793549.pfx").read_bytes()
    response = api.put(
        "/v1/empresas/20000000001/certificado",
        headers=admin_auth,
        json={"pfx": base64.b64encode(pfx).decode(), "clave": "password"},
    )
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"sujeto", "serie", "emitido", "vence"}
