"""Helpers of the security suite: a second tenant and the victim's resources."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from starlette.testclient import TestClient

from openpse import demo
from openpse.signing.certificates import generate_test_certificate, to_pkcs12
from tests_support import factura, token_for

ATTACKER_RUC = "20100070970"


@dataclass(frozen=True)
class World:
    victim_ruc: str
    victim: dict[str, str]
    """Bearer header of the victim company's API client."""
    victim_user: dict[str, str]
    """Bearer header of a user of the victim company (password grant)."""
    admin: dict[str, str]
    attacker: dict[str, str]
    """Bearer header of another company's API client."""
    attacker_client_id: str
    attacker_client_secret: str
    accepted_id: str
    """A factura of the victim accepted by the sandbox (it has XML, CDR and PDF)."""
    signed_only_id: str
    """A factura of the victim signed and stored, not sent."""


def second_company(client: TestClient, admin: dict[str, str], ruc: str = ATTACKER_RUC) -> tuple[str, str]:
    """Create a company with a certificate and one API client; return (client_id, secret)."""
    created = client.post(
        "/v1/empresas",
        headers=admin,
        json={
            "ruc": ruc,
            "razon_social": "OTRA EMPRESA S.A.C.",
            "direccion": {"ubigeo": "150101", "direccion": "Jr. X"},
        },
    )
    assert created.status_code == 201, created.text
    cert = generate_test_certificate(ruc, "OTRA EMPRESA")
    upload = client.put(
        f"/v1/empresas/{ruc}/certificado",
        headers=admin,
        json={"pfx": base64.b64encode(to_pkcs12(cert, "clave")).decode(), "clave": "clave"},
    )
    assert upload.status_code == 200, upload.text
    new = client.post(f"/v1/empresas/{ruc}/clientes", headers=admin)
    assert new.status_code == 201, new.text
    return new.json()["client_id"], new.json()["client_secret"]


VICTIM_LOGO = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
"""A 1×1 PNG."""


def build_world(client: TestClient) -> World:
    admin = token_for(client, demo.DEMO_ADMIN)
    victim = token_for(client)
    user = client.post(
        "/v1/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": demo.DEMO_CLIENT,
            "client_secret": "demo-secret",
            "username": demo.DEMO_USER,
            "password": "demo-secret",
        },
    )
    assert user.status_code == 200, user.text
    accepted = client.post("/v1/comprobantes", json=factura(numero=1), headers=victim, params={"espera": 20})
    assert accepted.json()["estado"] == "aceptado", accepted.text
    signed = client.post(
        "/v1/comprobantes", json=factura(numero=2), headers=victim, params={"enviar": "false"}
    )
    assert signed.status_code == 202, signed.text
    # The victim has a logo, so reading, replacing or removing it would show.
    logo = client.put(f"/v1/empresas/{demo.DEMO_RUC}/logo", headers=victim, json={"imagen": VICTIM_LOGO})
    assert logo.status_code == 200, logo.text
    client_id, secret = second_company(client, admin)
    return World(
        victim_ruc=demo.DEMO_RUC,
        victim=victim,
        victim_user={"Authorization": f"Bearer {user.json()['access_token']}"},
        admin=admin,
        attacker=token_for(client, client_id, secret),
        attacker_client_id=client_id,
        attacker_client_secret=secret,
        accepted_id=accepted.json()["id"],
        signed_only_id=signed.json()["id"],
    )
