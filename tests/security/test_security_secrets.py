"""Secrets are never logged, never returned, and never stored in clear (ARCHITECTURE.md §1.8).

One full flow runs with every logger of the process at DEBUG (the API, the documents
service, the queue, SQLAlchemy, the HTTP client, the SUNAT emulator answering on the
same process): a company with every kind of credential, a certificate with a password,
clients, users, tokens, a document signed, sent, accepted, annulled; failed logins; a
revocation. Then the captured logs, stdout and stderr, every API answer after the one
that hands a secret out, and the database files are searched for every secret.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import secrets
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from starlette.testclient import TestClient

from openpse import demo, observability
from openpse.api.app import create_app
from openpse.jobs.queue import JobQueue
from openpse.sandbox import SandboxConfig
from openpse.sandbox import create_app as create_sandbox_app
from openpse.signing.certificates import generate_test_certificate, to_pkcs12
from tests_support import ThreadedServer, factura, make_runtime, token_for

RUC = "20100113610"
TAG = secrets.token_hex(6)
CLAVE_SOL = f"clave-sol-{TAG}"


@pytest.fixture
def sol_runtime(tmp_path):
    """A SUNAT emulator that knows the company's SOL user and its (random) password."""
    config = SandboxConfig(cert_dir=tmp_path / "sandbox", users={f"{RUC}FACTURA1": CLAVE_SOL})
    with ThreadedServer(create_sandbox_app(config)) as sandbox:
        runtime = make_runtime(tmp_path / "data", sandbox.url)
        JobQueue(runtime)
        yield runtime
        runtime.close()


@pytest.fixture
def api(sol_runtime):
    with TestClient(create_app(sol_runtime, start_workers=2), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def admin_auth(api):
    return token_for(api, demo.DEMO_ADMIN)


@pytest.fixture
def debug_logs():
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (root.level, {name: logging.getLogger(name).level for name in observability._NOISY})
    observability.configure_logging("DEBUG", "json", stream)
    yield stream
    observability.unconfigure_logging()
    root.setLevel(saved[0])
    for name, level in saved[1].items():
        logging.getLogger(name).setLevel(level)


def _variants(secret: str | bytes) -> set[str]:
    """The secret as text and in the encodings a careless log line would show it."""
    raw = secret.encode() if isinstance(secret, str) else secret
    out = {base64.b64encode(raw).decode(), raw.hex()}
    if isinstance(secret, str):
        out.add(secret)
    return {v for v in out if len(v) >= 8}


def test_no_secret_reaches_the_logs_the_answers_or_the_disk(api, admin_auth, sol_runtime, debug_logs, capfd):
    runtime = sol_runtime
    tag = TAG
    clave_sol = CLAVE_SOL
    gre_secret = f"gre-secreto-{tag}"
    hacienda_clave = f"hacienda-clave-{tag}"
    pfx_password = f"pfx-clave-{tag}"
    user_password = f"usuario-clave-{tag}"
    cert = generate_test_certificate(RUC, "EMPRESA SECRETA S.A.C.")
    key_der = cert.key_der()
    key_pem = cert.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    pem_body = "".join(line for line in key_pem.splitlines() if "-----" not in line)
    pfx = base64.b64encode(to_pkcs12(cert, pfx_password)).decode()
    answers: list[str] = []

    def call(method: str, url: str, **kw: object):
        response = api.request(method, url, **kw)
        answers.append(response.text)
        return response

    created = call(
        "POST",
        "/v1/empresas",
        headers=admin_auth,
        json={
            "ruc": RUC,
            "razon_social": "EMPRESA SECRETA S.A.C.",
            "direccion": {"ubigeo": "150101", "direccion": "Av. Reservada 1"},
            "usuario_sol": "FACTURA1",
            "clave_sol": clave_sol,
            "gre_client_id": "gre-id",
            "gre_client_secret": gre_secret,
            "hacienda_usuario": "hu",
            "hacienda_clave": hacienda_clave,
        },
    )
    assert created.status_code == 201, created.text
    assert call(
        "PUT", f"/v1/empresas/{RUC}/certificado", headers=admin_auth, json={"pfx": pfx, "clave": pfx_password}
    ).is_success
    client = api.post(
        f"/v1/empresas/{RUC}/clientes", headers=admin_auth
    ).json()  # the one answer with a secret
    client_secret = client["client_secret"]
    assert call(
        "POST",
        f"/v1/empresas/{RUC}/usuarios",
        headers=admin_auth,
        json={"username": f"u{tag}", "password": user_password},
    ).is_success
    issued = api.post(
        "/v1/oauth2/token",
        data={"grant_type": "client_credentials"},
        headers={
            "Authorization": "Basic "
            + base64.b64encode(f"{client['client_id']}:{client_secret}".encode()).decode()
        },
    ).json()["access_token"]
    user_token = api.post(
        "/v1/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": client["client_id"],
            "client_secret": client_secret,
            "username": f"u{tag}",
            "password": user_password,
        },
    ).json()["access_token"]
    auth = {"Authorization": f"Bearer {issued}"}
    doc = call(
        "POST",
        "/v1/comprobantes",
        json=factura(
            numero=1,
            cliente={
                "tipo_documento": "6",
                "numero_documento": "20000000001",
                "razon_social": "EMPRESA DEMO S.A.C.",
            },
        ),
        headers=auth,
        params={"espera": 20},
    )
    assert doc.json().get("estado") == "aceptado", doc.text
    doc_id = doc.json()["id"]
    for suffix in ("", "/xml", "/cdr", "/pdf"):
        assert call("GET", f"/v1/comprobantes/{doc_id}{suffix}", headers=auth).status_code == 200
    unsigned = call("GET", f"/v1/comprobantes/{doc_id}/xml", headers=auth).content
    call("POST", "/v1/firma", headers=auth, json={"xml": base64.b64encode(unsigned).decode()})
    voided = call(
        "POST",
        f"/v1/comprobantes/{doc_id}/anulacion",
        headers=auth,
        json={"motivo": "ERROR"},
        params={"espera": 20},
    )
    assert voided.status_code in (200, 202), voided.text
    # Failures, which are where code is most tempted to log what it received.
    call(
        "POST",
        "/v1/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client["client_id"],
            "client_secret": clave_sol,
        },
    )
    call(
        "POST",
        "/v1/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": client["client_id"],
            "client_secret": client_secret,
            "username": f"u{tag}",
            "password": pfx_password,
        },
    )
    call("PUT", f"/v1/empresas/{RUC}/certificado", headers=auth, json={"pfx": pfx, "clave": clave_sol})
    call("GET", "/v1/comprobantes", headers={"Authorization": f"Bearer {gre_secret}"})
    call("GET", f"/v1/empresas/{RUC}", headers=auth)
    call("GET", f"/v1/empresas/{RUC}/clientes", headers=auth)
    call("GET", "/v1/auditoria", headers=admin_auth)
    call("GET", "/metrics")
    revoke = call(
        "POST",
        "/v1/oauth2/revoke",
        data={"token": user_token, "client_id": client["client_id"], "client_secret": client_secret},
    )
    assert revoke.status_code == 200
    assert (
        call("GET", "/v1/comprobantes", headers={"Authorization": f"Bearer {user_token}"}).status_code == 401
    )

    logs = debug_logs.getvalue()
    captured = capfd.readouterr()
    # The capture works: the flow is in it, one JSON object per line, with its context.
    lines = [json.loads(line) for line in logs.splitlines() if line.strip()]
    assert len(lines) > 100
    assert any(line.get("comprobante") == doc_id and line.get("empresa") == RUC for line in lines)
    assert any(line.get("logger", "").startswith("sqlalchemy") for line in lines), sorted(
        {line.get("logger") for line in lines}
    )

    secret_values: dict[str, str | bytes] = {
        "clave_sol": clave_sol,
        "gre_client_secret": gre_secret,
        "hacienda_clave": hacienda_clave,
        "pfx_password": pfx_password,
        "user_password": user_password,
        "client_secret": client_secret,
        "access_token": issued,
        "user_token": user_token,
        "private_key_der": key_der,
        "master_key": (runtime.settings.data_dir / "master.key").read_text().strip(),
    }
    texts = {"logs": logs, "stdout": captured.out, "stderr": captured.err, "respuestas": "\n".join(answers)}
    for where, text in texts.items():
        for name, value in secret_values.items():
            for variant in _variants(value):
                assert variant not in text, f"{name} aparece en {where}"
        assert pem_body[:64] not in text, f"la clave privada (PEM) aparece en {where}"
        assert pfx[:64] not in text, f"el PFX aparece en {where}"

    # At rest: the database files hold ciphertext and hashes only.
    data_dir: Path = runtime.settings.data_dir
    stored = b"".join(p.read_bytes() for p in data_dir.glob("openpse.db*"))
    assert stored, "no se encontró la base de datos"
    for name, value in secret_values.items():
        raw = value.encode() if isinstance(value, str) else value
        if name != "master_key":
            assert raw not in stored, f"{name} está en claro en la base de datos"
    assert base64.b64decode(pfx) not in stored
