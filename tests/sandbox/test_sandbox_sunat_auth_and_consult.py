"""Clave SOL checks, the PSE link, billConsultService, and the app's own surface."""

from __future__ import annotations

import time
from base64 import b64decode
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient
from sunat_sandbox_support import (
    BETA_BILL,
    CONSULT,
    RUC,
    DailySummary,
    Invoice,
    SigningKey,
    Voided,
    VoidedLine,
    cdr_text,
    cdr_xml,
    cdr_zip,
    envelope,
    fault_code,
    fault_string,
    get_status,
    lima_today,
    send_bill,
    send_summary,
    signed_package,
    signed_zip,
    status_of,
    status_query,
    ticket_of,
    ticket_status,
)

from openpse.sandbox import SandboxConfig
from openpse.sandbox.sunat.store import DocumentStore, Reservation
from openpse.settings import Settings


def _send(
    client: TestClient, invoice: Invoice, signing_key: SigningKey, username: str | None = None
) -> bytes:
    request = send_bill(*signed_package(invoice, signing_key), username=username or f"{invoice.ruc}MODDATOS")
    return client.post(BETA_BILL, content=request).content


@pytest.mark.parametrize(
    ("username", "password", "code"),
    [
        (None, "moddatos", "0101"),
        ("20123456789NOEXISTE", "moddatos", "0103"),
        ("MODDATOS", "moddatos", "0102"),
        ("20123456789MODDATOS", "", "0102"),
        ("30123456789MODDATOS", "moddatos", "0103"),
        ("20123456789MODDATOS", "otra", "0104"),
    ],
)
def test_sol_credentials(
    client: TestClient, signing_key: SigningKey, username: str | None, password: str, code: str
) -> None:
    request = send_bill(*signed_package(Invoice(), signing_key), username=username, password=password)
    response = client.post(BETA_BILL, content=request)
    assert response.status_code == 500
    assert fault_code(response.content) == f"soap-env:Client.{code}"


def test_moddatos_accepts_both_spellings_of_the_password(client: TestClient, signing_key: SigningKey) -> None:
    request = send_bill(*signed_package(Invoice(), signing_key), password="MODDATOS")
    assert client.post(BETA_BILL, content=request).status_code == 200


def test_configured_users_are_accepted(make_app: Callable[..., Starlette], signing_key: SigningKey) -> None:
    app = make_app(users={f"{RUC}FACTURADOR": "s3cr3t"}, allow_moddatos=False)
    with TestClient(app) as client:
        ok = send_bill(
            *signed_package(Invoice(), signing_key), username=f"{RUC}FACTURADOR", password="s3cr3t"
        )
        assert client.post(BETA_BILL, content=ok).status_code == 200
        demo = send_bill(*signed_package(Invoice(document_id="F001-2"), signing_key))
        assert fault_code(client.post(BETA_BILL, content=demo).content) == "soap-env:Client.0103"


def test_a_user_without_the_e_invoicing_profile_is_0111(
    make_app: Callable[..., Starlette], signing_key: SigningKey
) -> None:
    app = make_app(users={f"{RUC}CONSULTOR": "clave"}, users_without_profile={f"{RUC}CONSULTOR"})
    with TestClient(app) as client:
        request = send_bill(
            *signed_package(Invoice(), signing_key), username=f"{RUC}CONSULTOR", password="clave"
        )
        answer = client.post(BETA_BILL, content=request).content
        assert fault_code(answer) == "soap-env:Client.0111"
        assert fault_string(answer).endswith("Rejected by policy.")
        wrong_clave = send_bill(
            *signed_package(Invoice(), signing_key), username=f"{RUC}CONSULTOR", password="x"
        )
        assert fault_code(client.post(BETA_BILL, content=wrong_clave).content) == "soap-env:Client.0104"
        query = envelope("getStatus", {"rucComprobante": RUC}, username=f"{RUC}CONSULTOR", password="clave")
        assert fault_code(client.post(CONSULT, content=query).content) == "soap-env:Client.0111"
        assert app.state.sandbox.documents() == []


def test_users_without_profile_must_be_configured_users() -> None:
    with pytest.raises(ValueError, match="users_without_profile"):
        SandboxConfig(users_without_profile={f"{RUC}NADIE"})


def test_a_user_may_not_send_another_rucs_documents(client: TestClient, signing_key: SigningKey) -> None:
    answer = _send(client, Invoice(), signing_key, username="20600000001MODDATOS")
    assert fault_code(answer) == "soap-env:Client.0154"


def test_a_user_may_not_send_another_rucs_summaries(client: TestClient, signing_key: SigningKey) -> None:
    request = send_summary(*signed_zip(DailySummary(), signing_key), username="20600000001MODDATOS")
    assert fault_code(client.post(BETA_BILL, content=request).content) == "soap-env:Client.0154"


def test_a_linked_pse_may_send_for_its_emisor(
    make_app: Callable[..., Starlette], signing_key: SigningKey
) -> None:
    app = make_app(pse_links={"20600000001": [RUC]})
    with TestClient(app) as client:
        answer = _send(client, Invoice(), signing_key, username="20600000001MODDATOS")
        assert cdr_text(cdr_xml(cdr_zip(answer)), "cac:DocumentResponse/cac:Response/cbc:ResponseCode") == "0"
        [document] = app.state.sandbox.documents()
        assert document.sender == "20600000001MODDATOS"


def test_get_status_cdr_returns_the_cdr_of_an_accepted_document(
    client: TestClient, signing_key: SigningKey
) -> None:
    sent = cdr_zip(_send(client, Invoice(), signing_key))

    response = client.post(
        CONSULT, content=status_query("getStatusCdr"), headers={"SOAPAction": "urn:getStatusCdr"}
    )

    assert response.status_code == 200
    code, message, content = status_of(response.content)
    assert (code, message) == ("0004", "La constancia existe")
    assert content is not None
    assert b64decode(content) == sent


def test_get_status_cdr_of_an_unknown_document_is_0011(client: TestClient) -> None:
    response = client.post(CONSULT, content=status_query("getStatusCdr", numero="99"))
    code, _, content = status_of(response.content)
    assert (code, content) == ("0011", None)


def test_get_status_tells_accepted_rejected_annulled_and_unknown(
    client: TestClient, signing_key: SigningKey
) -> None:
    today = lima_today().isoformat()
    _send(client, Invoice(issue_date=today), signing_key)
    _send(client, Invoice(document_id="F001-2", payable_delta=Decimal(9)), signing_key)
    _send(client, Invoice(document_id="F001-3", issue_date=today), signing_key)
    baja = Voided(lines=[VoidedLine(numero="3")])
    ticket = ticket_of(client.post(BETA_BILL, content=send_summary(*signed_zip(baja, signing_key))).content)
    assert ticket_status(client.post(BETA_BILL, content=get_status(ticket)).content)[0] == "98"
    assert ticket_status(client.post(BETA_BILL, content=get_status(ticket)).content)[0] == "0"

    codes = [
        status_of(client.post(CONSULT, content=status_query("getStatus", numero=n)).content)[0]
        for n in "1234"
    ]

    assert codes == ["0001", "0002", "0003", "0011"]
    cdr = status_of(client.post(CONSULT, content=status_query("getStatusCdr", numero="3")).content)
    assert cdr[0] == "0004"
    assert cdr[2] is not None


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"ruc": "2012345678"}, "0004"),
        ({"tipo": "1"}, "0005"),
        ({"tipo": "03"}, "0009"),
        ({"serie": "F0001"}, "0006"),
        ({"serie": "B001"}, "0010"),
        ({"numero": "0"}, "0007"),
        ({"ruc": "20600000001"}, "0012"),
    ],
)
def test_get_status_validates_its_query(client: TestClient, query: dict[str, str], code: str) -> None:
    response = client.post(CONSULT, content=status_query("getStatus", **query))
    assert status_of(response.content)[0] == code


def test_consult_service_requires_sol_credentials(client: TestClient) -> None:
    request = envelope("getStatus", {"rucComprobante": RUC}, username=None)
    assert fault_code(client.post(CONSULT, content=request).content) == "soap-env:Client.0101"


def test_health(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_reset_forgets_documents(client: TestClient, app: Starlette, signing_key: SigningKey) -> None:
    _send(client, Invoice(), signing_key)
    assert len(app.state.sandbox.documents()) == 1
    app.state.sandbox.reset()
    assert app.state.sandbox.documents() == []
    assert client.post(CONSULT, content=status_query("getStatus")).content.count(b"0011") == 1


def test_latency_is_applied(make_app: Callable[..., Starlette]) -> None:
    with TestClient(make_app(latency_ms=150)) as client:
        started = time.perf_counter()
        client.post(BETA_BILL, content=b"<x/>")
        assert time.perf_counter() - started >= 0.15


def test_oversized_requests_are_refused(make_app: Callable[..., Starlette]) -> None:
    with TestClient(make_app(max_request_bytes=2048)) as client:
        assert client.post(BETA_BILL, content=b"x" * 4096).status_code == 413


def test_a_number_being_processed_is_held() -> None:
    store = DocumentStore()
    key = (RUC, "01", "F001", 1)
    assert store.reserve(key) is None
    assert isinstance(store.reserve(key), Reservation)
    store.release(key)
    assert store.reserve(key) is None


def test_config_from_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENPSE_SANDBOX_MODE", "BETA")
    monkeypatch.setenv("OPENPSE_SANDBOX_LATENCY_MS", "25")
    monkeypatch.setenv("OPENPSE_SANDBOX_CERT_DIR", str(tmp_path))
    monkeypatch.setenv(
        "OPENPSE_SANDBOX_FAULTS", "timeout=0.1, lost_response=0.05,http500=0.05,latency_ms=20,seed=7"
    )
    config = SandboxConfig.from_settings(Settings())
    assert (config.mode, config.latency_ms, config.cert_dir) == ("beta", 25, tmp_path)
    assert (config.faults.timeout, config.faults.lost_response, config.faults.http500) == (0.1, 0.05, 0.05)
    assert (config.faults.latency_ms, config.faults.seed, config.total_latency_s) == (20, 7, 0.045)
    monkeypatch.delenv("OPENPSE_SANDBOX_FAULTS")
    monkeypatch.delenv("OPENPSE_SANDBOX_MODE")
    monkeypatch.delenv("OPENPSE_SANDBOX_CERT_DIR")
    defaults = SandboxConfig.from_settings(Settings(data_dir=tmp_path))
    assert (defaults.mode, defaults.cert_dir) == ("produccion", tmp_path / "sandbox")
    assert not defaults.faults.active
    with pytest.raises(ValueError, match="mode"):
        SandboxConfig(mode="prod")
