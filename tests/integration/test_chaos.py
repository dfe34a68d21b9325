"""Chaos: thousands of documents of every kind through an emulator that fails 20 % of the calls.

The SUNAT emulator (SOAP billService, the daily summaries' tickets and the GRE REST
platform with its token endpoint) runs on loopback with ``OPENPSE_SANDBOX_FAULTS`` at a
total fault rate of 20 % over every remote call: answers lost after processing, HTTP
500 internal errors, empty 200s, resets, held requests that outlast the client's
timeout. OpenPSE serves its API over real HTTP with its queue consumers; clients post
facturas, boletas informed by daily summary, credit notes on both, and guías.

Afterwards every document has reached a final state and is ``aceptado`` with its CDR
stored; and the emulator's own registry (``SandboxState.documents()``, its in-memory
state) holds exactly our documents, accepted, each with the content we signed: for a
document sent alone, the SHA-256 of our signed XML; for a boleta informed by summary,
the SHA-256 of one of our summaries, which carries it. Nothing lost, nothing registered
twice or with other content.

``OPENPSE_CHAOS_DOCS`` sets the number of documents (2,000 by default).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
import uvicorn
from sqlalchemy import select

from openpse import demo
from openpse.api.app import create_app
from openpse.authorities.sunat.cdr import parse_cdr_xml
from openpse.documents import service
from openpse.jobs.queue import JobQueue
from openpse.sandbox import SandboxConfig, SandboxServer
from openpse.sandbox import create_app as create_sandbox_app
from openpse.sandbox.config import FaultConfig
from openpse.settings import Settings
from openpse.storage.tables import Comprobante, Empresa, ResumenLinea
from tests_support import ThreadedServer, boleta, factura, free_port, guia, make_runtime

DOCUMENTS = int(os.environ.get("OPENPSE_CHAOS_DOCS", "2000"))
CLIENTS = 4
# 20 % of every remote call fails, one way or another.
FAULTS = FaultConfig(
    lost_response=0.06,
    http500=0.05,
    empty200=0.03,
    reset=0.03,
    timeout=0.03,
    timeout_hold_s=3.0,
    seed=int(os.environ.get("OPENPSE_CHAOS_SEED", "2026")),
)
FINAL = {"aceptado", "observado", "rechazado", "anulado", "fallido"}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@contextlib.contextmanager
def faulty_sandbox(tmp_path) -> Iterator[tuple[str, Any]]:
    app = create_sandbox_app(SandboxConfig(cert_dir=tmp_path / "sandbox-cert", faults=FAULTS))
    port = free_port()
    server = SandboxServer(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "el sandbox no arrancó"
        time.sleep(0.02)
    # Count every draw (one per emulated call) to measure the fault rate actually met.
    plan = app.state.sandbox.faults
    draw = plan.draw
    plan.calls = 0

    def counted() -> str | None:
        plan.calls += 1
        return draw()

    plan.draw = counted
    try:
        yield f"http://127.0.0.1:{port}", app.state.sandbox
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def plan(n: int) -> list[tuple[str, int]]:
    """(kind, index) for ``n`` documents: 35 % facturas, 30 % boletas, 10 % notes on
    facturas, 10 % notes on boletas, 15 % guías; notes come after what they modify."""
    kinds = ["factura"] * 7 + ["boleta"] * 6 + ["guia"] * 3 + ["nota_factura"] * 2 + ["nota_boleta"] * 2
    first = [(kinds[i % len(kinds)], i) for i in range(n)]
    return [item for item in first if not item[0].startswith("nota")] + [
        item for item in first if item[0].startswith("nota")
    ]


class Clients:
    """API clients posting documents, each with an Idempotency-Key, retrying until acknowledged."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.acknowledged: dict[str, dict[str, Any]] = {}
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.facturas: list[int] = []
        self.boletas: list[int] = []

    def token(self, client: httpx2.Client) -> str:
        response = client.post(
            "/v1/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": demo.DEMO_CLIENT,
                "client_secret": "demo-secret",
            },
        )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def body(self, kind: str, index: int) -> dict[str, Any]:
        if kind == "factura":
            body = factura()
        elif kind == "boleta":
            body = boleta()
        elif kind == "guia":
            return guia()
        else:
            on_boleta = kind == "nota_boleta"
            with self.lock:
                numbers = self.boletas if on_boleta else self.facturas
                afectado = numbers[index % len(numbers)]
            body = (boleta if on_boleta else factura)(
                tipo="07",
                forma_pago=None,
                documento_afectado={
                    "tipo": "03" if on_boleta else "01",
                    "serie": "B001" if on_boleta else "F001",
                    "numero": afectado,
                },
                motivo={"codigo": "07", "descripcion": "Devolución por ítem"},
            )
        body["items"][0]["descripcion"] = f"Producto {kind} {index}"
        return body

    def post_all(self, work: list[tuple[str, int]]) -> None:
        with httpx2.Client(base_url=self.url, timeout=60) as client:
            headers = {"Authorization": f"Bearer {self.token(client)}"}
            for kind, index in work:
                key = f"caos-{index}"
                body = self.body(kind, index)
                for _attempt in range(5):
                    response = client.post(
                        "/v1/comprobantes", json=body, headers={**headers, "Idempotency-Key": key}
                    )
                    if response.status_code != 503:
                        break
                    time.sleep(0.2)
                if response.status_code not in (200, 202):
                    with self.lock:
                        self.errors.append(
                            f"{kind} {index}: HTTP {response.status_code} {response.text[:300]}"
                        )
                    continue
                doc = response.json()
                with self.lock:
                    self.acknowledged[key] = doc
                    if kind == "factura":
                        self.facturas.append(doc["numero"])
                    elif kind == "boleta":
                        self.boletas.append(doc["numero"])


@pytest.mark.timeout(1200)
def test_chaos_every_document_ends_accepted_once_with_its_cdr(tmp_path, test_certificate, monkeypatch):
    # Short back-offs, as the other resilience tests use: the chaos is in the answers, not the clock.
    # (The reconcile schedule is a module constant here and the setting reconcile_delays on
    # later code: whichever exists is shortened.)
    short = {"reconcile_delays": "0.2,0.5,1,2,3"} if "reconcile_delays" in Settings.model_fields else {}
    monkeypatch.setattr(service, "RECONCILE_DELAYS", (0.2, 0.5, 1.0, 2.0, 3.0), raising=False)
    started = time.monotonic()
    with faulty_sandbox(tmp_path) as (sandbox_url, sandbox):
        runtime = make_runtime(
            tmp_path / "data",
            sandbox_url,
            test_certificate,
            max_intentos=30,
            http_timeout=1.5,
            http_connect_timeout=0.5,
            rate_limit_max_wait_s=0,
            lease_s=5,
            sweep_interval_s=1,
            sweep_older_than_s=3,
            resumen_interval_s=1,
            resumen_espera_s=4,
            api_rate_limit=0,
            **short,
        )
        with runtime.db.session() as session:
            empresa = session.scalars(select(Empresa).where(Empresa.identificacion == demo.DEMO_RUC)).one()
            empresa.boletas_por_resumen = True
        JobQueue(runtime)
        try:
            with ThreadedServer(create_app(runtime, start_workers=8)) as api:
                clients = Clients(api.url)
                work = plan(DOCUMENTS)
                originals = [item for item in work if not item[0].startswith("nota")]
                notes = [item for item in work if item[0].startswith("nota")]
                for batch in (originals, notes):
                    threads = [
                        threading.Thread(target=clients.post_all, args=(batch[i::CLIENTS],))
                        for i in range(CLIENTS)
                    ]
                    for thread in threads:
                        thread.start()
                    for thread in threads:
                        thread.join(timeout=900)
                posted = time.monotonic()
                assert clients.errors == []
                assert len(clients.acknowledged) == DOCUMENTS

                ours = {doc["id"] for doc in clients.acknowledged.values()}
                deadline = time.monotonic() + 600
                while True:
                    with runtime.db.read() as session:
                        states = Counter(
                            session.scalars(select(Comprobante.estado).where(Comprobante.id.in_(ours)))
                        )
                        summaries_moving = session.scalar(
                            select(Comprobante.id)
                            .where(Comprobante.tipo == "RC", Comprobante.estado.not_in(FINAL))
                            .limit(1)
                        )
                    if set(states) <= FINAL and summaries_moving is None:
                        break
                    assert time.monotonic() < deadline, f"sin estado final: {states}"
                    time.sleep(1)
                settled = time.monotonic()
        finally:
            runtime.close()
        figures = _check(runtime, sandbox, clients, ours)
        counts = sandbox.fault_counts()
        calls = sandbox.faults.calls
    rate = sum(counts.values()) / calls
    print(
        f"\ncaos: {DOCUMENTS} documentos, publicados en {posted - started:.0f} s, "
        f"todos finales en {settled - started:.0f} s; {figures}; "
        f"{calls} llamadas remotas, fallas inyectadas {counts} ({rate:.1%})"
    )
    assert all(counts[name] > 0 for name in ("lost_response", "http500", "empty200", "reset", "timeout")), (
        counts
    )


def _check(runtime, sandbox, clients: Clients, ours: set[str]) -> dict[str, Any]:
    with runtime.db.read() as session:
        rows = {row.id: row for row in session.scalars(select(Comprobante))}
        lines = {line.comprobante_id: line.resumen_id for line in session.scalars(select(ResumenLinea))}
        carried: dict[str, set[str]] = {}
        for line in session.scalars(select(ResumenLinea)):
            carried.setdefault(line.resumen_id, set()).add(line.comprobante_id)
    summaries = {doc_id: row for doc_id, row in rows.items() if row.tipo == "RC"}
    # Nothing but what the clients posted, and the summaries that informed the boletas.
    assert set(rows) == ours | set(summaries)
    kinds = Counter(row.tipo + ("-resumen" if row.por_resumen else "") for row in rows.values())
    for kind in ("01", "03-resumen", "07-resumen", "07", "09"):
        assert kinds[kind] > 0, kinds
    assert {row.estado for doc_id, row in rows.items() if doc_id in ours} == {"aceptado"}, Counter(
        (row.tipo, row.estado, (row.respuesta or {}).get("codigo")) for row in rows.values() if row.id in ours
    )
    registered = {(d.tipo, d.serie, d.numero): d for d in sandbox.documents() if d.ruc == demo.DEMO_RUC}
    by_key = {(row.tipo, row.serie, row.numero): row for doc_id, row in rows.items() if doc_id in ours}
    # SUNAT holds exactly our documents, once each, accepted.
    assert set(registered) == set(by_key)
    without_cdr: list[str] = []
    summary_hashes = {sha256(runtime.blobs.get(row.xml_blob)): doc_id for doc_id, row in summaries.items()}
    for key, row in by_key.items():
        held = registered[key]
        assert held.estado == "aceptado", key
        # Its CDR is stored and answers for it (a summary's CDR for what a summary informed);
        # except a guía whose send answer was lost: the GRE platform answers the resend
        # 1033 without CDR and has no query by document, so no CDR exists to fetch. The
        # registry's hash below still proves SUNAT holds our bytes.
        if row.cdr_blob is None:
            assert row.tipo == "09", key
            assert "1033" in (row.respuesta or {}).get("descripcion", ""), key
            assert held.xml_sha256 == sha256(runtime.blobs.get(row.xml_blob)), key
            without_cdr.append(row.id)
            continue
        cdr = parse_cdr_xml(runtime.blobs.get(row.cdr_blob))
        if row.por_resumen:
            # Informed by one of our summaries, which carries it; SUNAT holds that summary's bytes.
            summary_id = summary_hashes.get(held.xml_sha256)
            assert summary_id is not None, key
            assert row.id in carried[summary_id], key
            assert lines.get(row.id) is not None
            assert cdr.reference_id.startswith("RC-"), key
        else:
            assert held.xml_sha256 == sha256(runtime.blobs.get(row.xml_blob)), key
            assert cdr.response_code == "0", key
    return {
        "sin_cdr": len(without_cdr),
        "resumenes": dict(
            Counter((row.estado, (row.respuesta or {}).get("codigo")) for row in summaries.values())
        ),
        "tipos": dict(kinds),
    }
