"""Crash-proof, with real processes and real signals.

``openpse serve --solo-api`` and ``openpse worker`` run as processes against a SUNAT
sandbox that injects faults (the ``OPENPSE_SANDBOX_FAULTS`` syntax: lost answers, 500s,
empty 200s, resets, held requests). Clients post a stream of documents, each with its
own Idempotency-Key, retrying a request that got no answer as an ERP does. Meanwhile the
API is killed with SIGKILL in the middle of the stream, and workers are killed with
SIGKILL while a document is ``enviando``; each is started again.

Afterwards: every acknowledged request exists (under the id it was acknowledged with),
every document reaches a final state, and the sandbox's own registry
(``SandboxState.documents()``) holds exactly our documents, each with the bytes we
signed: nothing was lost, nothing was sent twice with different content.

Runs on SQLite (queue on SQLite) and on PostgreSQL (queue on Redis).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
import uvicorn
from scale_support import (
    REDIS_URL,
    Process,
    free_port,
    postgres_database,
    redis_queue,
    sha256,
    wait_ready,
    wait_until,
)
from sqlalchemy import func, select

from openpse import demo
from openpse.sandbox import SandboxConfig, SandboxServer, create_app
from openpse.sandbox.config import FaultConfig
from openpse.storage.blobs import BlobStore
from openpse.storage.db import Database
from openpse.storage.tables import Comprobante
from tests_support import boleta, factura

pytestmark = pytest.mark.e2e

FAULTS = "lost_response=0.08,http500=0.04,empty200=0.03,reset=0.03,timeout=0.02,timeout_hold_s=4,seed=6"
DOCUMENTS = 120
CLIENTS = 6
FINAL = {"aceptado", "observado", "rechazado", "anulado", "fallido"}


@contextlib.contextmanager
def faulty_sandbox(cert_dir: Path) -> Iterator[tuple[str, object]]:
    """The SUNAT emulator on loopback, in this process, so its registry can be read."""
    config = SandboxConfig(cert_dir=cert_dir, latency_ms=20, faults=FaultConfig.parse(FAULTS))
    app = create_app(config)
    port = free_port()
    server = SandboxServer(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, 20, "sandbox")
    try:
        yield f"http://127.0.0.1:{port}", app.state.sandbox
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@contextlib.contextmanager
def backend(kind: str, data_dir: Path) -> Iterator[dict[str, str]]:
    if kind == "sqlite":
        yield {}
        return
    with postgres_database() as url, redis_queue() as name:
        yield {"OPENPSE_DATABASE_URL": url, "OPENPSE_QUEUE_URL": REDIS_URL, "OPENPSE_QUEUE_NAME": name}


class Stream:
    """Clients posting documents with an Idempotency-Key each, retrying until acknowledged."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.acknowledged: dict[str, str] = {}
        self.retried = 0
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.token: str | None = None

    def _token(self, client: httpx2.Client) -> str:
        while True:
            with contextlib.suppress(httpx2.TransportError):
                response = client.post(
                    "/v1/oauth2/token",
                    data={
                        "grant_type": "client_credentials",
                        "client_id": demo.DEMO_CLIENT,
                        "client_secret": "demo-secret",
                    },
                )
                if response.status_code == 200:
                    return str(response.json()["access_token"])
            time.sleep(0.2)

    def post_all(self, keys: list[str]) -> None:
        with httpx2.Client(base_url=self.url, timeout=15) as client:
            token = self._token(client)
            for key in keys:
                index = int(key.rsplit("-", 1)[1])
                body = boleta() if index % 5 == 0 else factura()
                body["items"][0]["descripcion"] = f"Producto {key}"
                while True:
                    try:
                        response = client.post(
                            "/v1/comprobantes",
                            json=body,
                            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
                        )
                    except httpx2.TransportError:
                        # No answer (the API died): the ERP asks again with the same key.
                        with self.lock:
                            self.retried += 1
                        time.sleep(0.2)
                        continue
                    if response.status_code in (200, 202):
                        with self.lock:
                            previous = self.acknowledged.setdefault(key, response.json()["id"])
                            if previous != response.json()["id"]:
                                self.errors.append(f"{key}: {previous} y luego {response.json()['id']}")
                        break
                    if response.status_code in (401, 503):
                        token = self._token(client) if response.status_code == 401 else token
                        time.sleep(0.2)
                        continue
                    with self.lock:
                        self.errors.append(f"{key}: HTTP {response.status_code} {response.text[:300]}")
                    break


def _states(db: Database) -> dict[str, int]:
    with db.read() as session:
        return dict(
            session.execute(select(Comprobante.estado, func.count()).group_by(Comprobante.estado)).all()  # type: ignore[arg-type]
        )


@pytest.mark.timeout(900)
@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_kill_9_api_and_workers_under_faults_loses_nothing(tmp_path, kind):
    data = tmp_path / "data"
    with faulty_sandbox(tmp_path / "sandbox-cert") as (sandbox_url, sandbox), backend(kind, data) as extra:
        port = free_port()
        env = {
            **os.environ,
            "OPENPSE_DATA_DIR": str(data),
            "OPENPSE_SANDBOX_URL": sandbox_url,
            "OPENPSE_PORT": str(port),
            "OPENPSE_API_RATE_LIMIT": "0",
            "OPENPSE_HTTP_TIMEOUT": "2",
            "OPENPSE_HTTP_CONNECT_TIMEOUT": "1",
            "OPENPSE_RATE_LIMIT_MAX_WAIT_S": "1",
            "OPENPSE_LEASE_S": "6",
            "OPENPSE_SWEEP_INTERVAL_S": "1",
            "OPENPSE_SWEEP_OLDER_THAN_S": "3",
            "OPENPSE_RETRY_BASE_DELAY": "0.2",
            "OPENPSE_LOG_LEVEL": "INFO",
            **extra,
        }
        url = f"http://127.0.0.1:{port}"
        api = Process("api", ["serve", "--demo", "--solo-api"], env, tmp_path).start()
        workers: list[Process] = []
        db: Database | None = None
        try:
            wait_ready(url, api)
            workers = [
                Process(f"worker-{i}", ["worker", "--hilos", "6"], env, tmp_path).start() for i in range(2)
            ]
            db = Database(env.get("OPENPSE_DATABASE_URL") or f"sqlite:///{data / 'openpse.db'}")
            stream = Stream(url)
            keys = [f"pedido-{i}" for i in range(DOCUMENTS)]
            clients = [
                threading.Thread(target=stream.post_all, args=(keys[i::CLIENTS],)) for i in range(CLIENTS)
            ]
            for client in clients:
                client.start()

            def acknowledged_at_least(n: int) -> bool:
                return len(stream.acknowledged) >= n

            def enviando() -> bool:
                with db.read() as session:  # type: ignore[union-attr]
                    return (
                        session.scalar(select(func.count()).where(Comprobante.estado == "enviando")) or 0
                    ) > 0

            kills = {"api": 0, "worker": 0}
            for threshold in (DOCUMENTS // 4, DOCUMENTS // 2):
                # The API dies in the middle of the stream, and comes back.
                wait_until(lambda t=threshold: acknowledged_at_least(t), 120, f"{threshold} acuses")
                api.kill9()
                kills["api"] += 1
                api.start()
                wait_ready(url, api)
                # A worker dies while it is talking to SUNAT, and comes back.
                wait_until(enviando, 60, "un documento enviando", interval=0.005)
                victim = workers[kills["worker"] % len(workers)]
                victim.kill9()
                kills["worker"] += 1
                victim.start()
            for client in clients:
                client.join(timeout=300)
            assert not any(c.is_alive() for c in clients)
            assert stream.errors == []
            assert len(stream.acknowledged) == DOCUMENTS
            assert stream.retried > 0, "the API kill must have cut requests in flight"

            def all_final() -> bool:
                states = _states(db)  # type: ignore[arg-type]
                return sum(states.values()) >= DOCUMENTS and set(states) <= FINAL

            wait_until(all_final, 240, f"todos los documentos en estado final ({_states(db)})", interval=1)
            with db.read() as session:
                rows = {row.id: row for row in session.scalars(select(Comprobante))}
            # Every acknowledged request exists, under the id it was acknowledged with.
            assert set(stream.acknowledged.values()) == set(rows)
            assert {row.idempotency_key for row in rows.values()} == set(keys)
            assert {row.estado for row in rows.values()} == {"aceptado"}, _states(db)
            # SUNAT holds exactly our documents, each with the bytes we signed and stored.
            blobs = BlobStore(data / "blobs")
            registered = {
                (d.tipo, d.serie, d.numero): d for d in sandbox.documents() if d.ruc == demo.DEMO_RUC
            }
            ours = {(r.tipo, r.serie, r.numero): r for r in rows.values()}
            assert set(registered) == set(ours)
            for key, row in ours.items():
                assert registered[key].estado == "aceptado"
                assert registered[key].xml_sha256 == sha256(blobs.get(row.xml_blob)), key
            counts = sandbox.fault_counts()
            assert counts["lost_response"] > 0, counts
            assert counts["http500"] > 0, counts
            assert kills == {"api": 2, "worker": 2}
        finally:
            for process in [api, *workers]:
                process.stop()
            if db is not None:
                db.dispose()
