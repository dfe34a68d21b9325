"""The Hacienda emulator inside the sandbox: mounted under ``/hacienda``, reported by /health,
reset with the rest, and stopped with the server (held requests let go, processor closed)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest
from hacienda_e2e_support import LiveServer, cr_runtime, factura, sandbox_app
from sqlalchemy import select

from openpse import demo
from openpse.authorities.hacienda.authority import HaciendaAuthority, documentos_firmados
from openpse.authorities.hacienda.idp import HaciendaEnvironment
from openpse.documents import service
from openpse.sandbox import SandboxConfig
from openpse.sandbox.config import FaultConfig
from openpse.sandbox.hacienda import DEMO_PASSWORD, DEMO_USERNAME
from openpse.settings import Settings
from openpse.storage.tables import Comprobante, Empresa

TOKEN = "/hacienda/auth/realms/rut-stag/protocol/openid-connect/token"
LOGIN = {
    "grant_type": "password",
    "client_id": "api-stag",
    "username": DEMO_USERNAME,
    "password": DEMO_PASSWORD,
}


def _estado(runtime: Any, doc_id: str) -> str:
    with runtime.db.read() as session:
        row = session.get(Comprobante, doc_id)
        assert row is not None
        return row.estado


def _send_and_settle(runtime: Any) -> str:
    """Register a factura and advance it by hand (no queue) until Hacienda's verdict."""
    with runtime.db.read() as session:
        empresa = session.scalars(select(Empresa).where(Empresa.identificacion == demo.DEMO_CR_CEDULA)).one()
    doc_id: str = service.register(runtime, empresa, payload=factura()).row.id
    deadline = time.monotonic() + 20
    while _estado(runtime, doc_id) not in ("aceptado", "rechazado"):
        assert time.monotonic() < deadline, _estado(runtime, doc_id)
        service.advance(runtime, doc_id)
        time.sleep(0.1)
    return doc_id


@pytest.mark.parametrize("legacy", [False, True])
def test_both_sandbox_bases_of_hacienda_are_served_under_hacienda(
    tmp_path: Path, sandbox: LiveServer, legacy: bool
) -> None:
    runtime = cr_runtime(tmp_path / "data", sandbox.url)
    try:
        if legacy:
            runtime.authorities["CR"] = HaciendaAuthority(
                runtime.http,
                sandbox.url,
                environments={
                    "sandbox": HaciendaEnvironment.emulator(f"{sandbox.url}/hacienda", legacy=True)
                },
                originales=documentos_firmados(runtime.db, runtime.blobs),
            )
        doc_id = _send_and_settle(runtime)
        assert _estado(runtime, doc_id) == "aceptado"
    finally:
        runtime.close()
    record = sandbox.app.state.sandbox.hacienda.record(doc_id)
    assert record is not None
    with httpx2.Client(base_url=sandbox.url) as client:
        token = client.post(TOKEN, data=LOGIN).json()["access_token"]
        base = "/hacienda/recepcion-sandbox/v1" if legacy else "/hacienda/recepcion/v1"
        status = client.get(f"{base}/recepcion/{doc_id}", headers={"Authorization": f"bearer {token}"})
    assert status.status_code == 200
    assert status.json()["ind-estado"] == "aceptado"


def test_health_counts_haciendas_comprobantes_and_reset_forgets_them(
    tmp_path: Path, sandbox: LiveServer
) -> None:
    runtime = cr_runtime(tmp_path / "data", sandbox.url)
    try:
        _send_and_settle(runtime)
    finally:
        runtime.close()
    with httpx2.Client(base_url=sandbox.url) as client:
        health = client.get("/health").json()
        assert health["hacienda"]["comprobantes"] == 1
        assert set(health["hacienda"]["faults"]) >= {"timeout", "http499", "http504"}
        sandbox.app.state.sandbox.reset()
        assert client.get("/health").json()["hacienda"]["comprobantes"] == 0


def test_stopping_the_sandbox_lets_held_hacienda_requests_go_and_closes_the_processor(
    cert_dir: Path,
) -> None:
    server = LiveServer(sandbox_app(cert_dir, FaultConfig(timeout=1.0, timeout_hold_s=120))).start()
    hacienda = server.app.state.sandbox.hacienda
    before = {t for t in threading.enumerate() if t.name == "openpse-hacienda-processor"}
    hacienda.processor.ensure_started()
    processor = ({t for t in threading.enumerate() if t.name == "openpse-hacienda-processor"} - before).pop()
    outcome: list[BaseException | int] = []

    def held_call() -> None:
        try:
            with httpx2.Client(timeout=180) as client:
                outcome.append(client.post(server.url + TOKEN, data=LOGIN).status_code)
        except httpx2.HTTPError as exc:
            outcome.append(exc)

    caller = threading.Thread(target=held_call)
    caller.start()
    deadline = time.monotonic() + 10
    while hacienda.faults.held_count() == 0:
        assert time.monotonic() < deadline, "the token request was not held"
        time.sleep(0.02)

    took = server.stop()
    caller.join(timeout=10)

    assert took < 10, f"shutdown waited {took:.1f} s for a held request"
    assert len(outcome) == 1
    assert isinstance(outcome[0], httpx2.HTTPError), "a held request is dropped unanswered"
    assert not processor.is_alive()


def test_settings_give_hacienda_the_sandboxs_latency_and_key_directory(tmp_path: Path) -> None:
    config = SandboxConfig.from_settings(Settings(data_dir=tmp_path, sandbox_latency_ms=15))
    hacienda = config.hacienda_config()
    assert hacienda.cert_dir == tmp_path / "sandbox"
    assert hacienda.latency_ms == 15
    assert SandboxConfig(latency_ms=7).hacienda_config().latency_ms == 7
