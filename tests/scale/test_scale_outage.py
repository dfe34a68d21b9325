"""Moments without disk, database or queue: clean 503s (or a 202 when only the queue is
gone), and recovery without anyone restarting anything."""

from __future__ import annotations

import contextlib
import errno
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from scale_support import REDIS_URL, TcpProxy
from starlette.testclient import TestClient

from openpse.api.app import create_app
from openpse.jobs.queue import JobQueue
from tests_support import factura, make_runtime, token_for

FAST = {"api_rate_limit": 0, "sweep_interval_s": 1, "sweep_older_than_s": 1}


@contextlib.contextmanager
def small_disk(path: Path, megabytes: int) -> Iterator[Path]:
    """A tmpfs of ``megabytes`` mounted at ``path`` (needs root; skips where mounting is refused)."""
    path.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip(f"no se puede montar un disco pequeño (tmpfs) para llenarlo: {result.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(path: Path) -> Path:
    """Write a ballast file until the disk says it is full."""
    ballast = path / "lastre"
    chunk = b"\0" * (1 << 20)
    with ballast.open("wb") as handle:
        while True:
            try:
                handle.write(chunk)
                handle.flush()
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                break
    # Small writes may still find room in a partly used block: fill those too.
    with contextlib.suppress(OSError), ballast.open("ab") as handle:
        while True:
            handle.write(b"\0" * 512)
            handle.flush()
    return ballast


def _final(client, auth, location: str) -> dict:
    return client.get(location, headers=auth, params={"espera": 30}).json()


def _is_503(response) -> None:
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["cod"] == "503"
    assert body["errors"][0]["codError"] == "PSE-0503"


def test_a_full_disk_is_a_503_and_the_same_request_succeeds_once_there_is_room(
    tmp_path, sandbox_url, test_certificate
):
    with small_disk(tmp_path / "disco", 32) as disk:
        runtime = make_runtime(disk / "data", sandbox_url, test_certificate, **FAST)
        JobQueue(runtime)
        try:
            with TestClient(create_app(runtime, start_workers=2), raise_server_exceptions=False) as client:
                auth = token_for(client)
                before = client.post("/v1/comprobantes", json=factura(), headers=auth)
                assert before.status_code == 202
                assert _final(client, auth, before.headers["location"])["estado"] == "aceptado"
                ballast = fill(disk)
                for _ in range(3):
                    _is_503(
                        client.post(
                            "/v1/comprobantes",
                            json=factura(),
                            headers={**auth, "Idempotency-Key": "tras-lleno"},
                        )
                    )
                # Reading still works while the disk is full.
                assert client.get(before.headers["location"], headers=auth).json()["estado"] == "aceptado"
                ballast.unlink()
                after = client.post(
                    "/v1/comprobantes", json=factura(), headers={**auth, "Idempotency-Key": "tras-lleno"}
                )
                assert after.status_code == 202, after.text
                doc = _final(client, auth, after.headers["location"])
                assert doc["estado"] == "aceptado"
                assert doc["numero"] == 2, "a refused request must not consume a number"
        finally:
            runtime.close()


def test_postgres_going_away_is_a_503_and_everything_resumes_by_itself(
    tmp_path, sandbox_url, test_certificate, pg_url
):
    with TcpProxy(5432) as proxy:
        runtime = make_runtime(
            tmp_path / "data",
            sandbox_url,
            test_certificate,
            database_url=pg_url.replace(":5432/", f":{proxy.port}/"),
            **FAST,
        )
        JobQueue(runtime)
        try:
            with TestClient(create_app(runtime, start_workers=2), raise_server_exceptions=False) as client:
                auth = token_for(client)
                first = client.post("/v1/comprobantes", json=factura(), headers=auth)
                assert first.status_code == 202
                proxy.cut()
                for _ in range(3):
                    _is_503(
                        client.post(
                            "/v1/comprobantes",
                            json=factura(),
                            headers={**auth, "Idempotency-Key": "durante-caida"},
                        )
                    )
                ready = client.get("/ready")
                assert ready.status_code == 503
                time.sleep(1.5)  # workers and the sweeper meet the outage too
                proxy.restore()
                assert client.get("/ready").status_code == 200
                again = client.post(
                    "/v1/comprobantes", json=factura(), headers={**auth, "Idempotency-Key": "durante-caida"}
                )
                assert again.status_code == 202, again.text
                assert _final(client, auth, first.headers["location"])["estado"] == "aceptado"
                assert _final(client, auth, again.headers["location"])["estado"] == "aceptado"
        finally:
            runtime.close()


def test_redis_going_away_still_acknowledges_and_the_sweeper_catches_up(
    tmp_path, sandbox_url, test_certificate, pg_url, queue_name
):
    with TcpProxy(6379) as proxy:
        runtime = make_runtime(
            tmp_path / "data",
            sandbox_url,
            test_certificate,
            database_url=pg_url,
            queue_url=REDIS_URL.replace(":6379/", f":{proxy.port}/"),
            queue_name=queue_name,
            queue_socket_timeout=2,
            **FAST,
        )
        JobQueue(runtime)
        try:
            with TestClient(create_app(runtime, start_workers=2), raise_server_exceptions=False) as client:
                auth = token_for(client)
                proxy.cut()
                posted = [client.post("/v1/comprobantes", json=factura(), headers=auth) for _ in range(3)]
                # The row is the truth: the documents are stored and acknowledged.
                assert [p.status_code for p in posted] == [202, 202, 202]
                assert runtime.queue.enqueue_failures >= 3  # type: ignore[union-attr]
                proxy.restore()
                for response in posted:
                    assert _final(client, auth, response.headers["location"])["estado"] == "aceptado"
        finally:
            runtime.close()
