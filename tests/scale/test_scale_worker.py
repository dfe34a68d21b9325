"""``openpse worker``: consumer processes apart from the API, supervised."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import pytest
from scale_support import Process, wait_until
from sqlalchemy import select

from openpse.documents import service
from openpse.jobs.queue import JobQueue
from openpse.storage.tables import Empresa
from tests_support import factura, make_runtime

pytestmark = pytest.mark.e2e


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry.name))
    return found


def test_worker_processes_are_supervised_and_consume_the_queue(tmp_path, sandbox_url, test_certificate):
    runtime = make_runtime(tmp_path / "data", sandbox_url, test_certificate)
    queue = JobQueue(runtime)  # producer only: nothing consumes in this process
    env = {
        **os.environ,
        "OPENPSE_DATA_DIR": str(tmp_path / "data"),
        "OPENPSE_SANDBOX_URL": sandbox_url,
        "OPENPSE_LOG_LEVEL": "INFO",
    }
    supervisor = Process("worker", ["worker", "--procesos", "2", "--hilos", "2"], env, tmp_path).start()
    try:
        wait_until(lambda: len(_children(supervisor.pid)) == 2, 30, "dos procesos trabajadores")
        first = _children(supervisor.pid)
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        wait_until(
            lambda: len(_children(supervisor.pid)) == 2 and victim not in _children(supervisor.pid),
            30,
            "el trabajador muerto fue reemplazado",
        )
        with runtime.db.read() as session:
            empresa = session.scalars(select(Empresa)).one()
        ids = [service.register(runtime, empresa, payload=factura(numero=n)).row.id for n in range(1, 6)]
        assert queue.enqueue_failures == 0

        def done() -> bool:
            return all(service.get_for(runtime, empresa.id, i).estado == "aceptado" for i in ids)

        wait_until(done, 60, "los documentos aceptados por los trabajadores")
        children = _children(supervisor.pid)
        supervisor.proc.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
        # Graceful: a send in progress may take up to the HTTP timeout to finish and be recorded.
        assert supervisor.proc.wait(timeout=120) == 0  # type: ignore[union-attr]
        time.sleep(0.2)
        assert not any(_alive(pid) for pid in children), "SIGTERM reaches every worker process"
        assert "se reinicia" in supervisor.output()
    finally:
        supervisor.stop()
        runtime.close()


def _listening(pid: int, port: int) -> bool:
    """Whether process ``pid`` holds a socket listening on ``port`` (its own, SO_REUSEPORT)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":
                    inodes.add(fields[9])
    try:
        links = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
    except OSError:
        return False
    return any(f"socket:[{inode}]" in links for inode in inodes)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_api_replicas_share_one_port_and_are_replaced_when_they_die(tmp_path, sandbox_url, pg_url):
    import httpx2
    from scale_support import free_port, wait_ready

    port = free_port()
    env = {
        **os.environ,
        "OPENPSE_DATA_DIR": str(tmp_path / "data"),
        "OPENPSE_SANDBOX_URL": sandbox_url,
        "OPENPSE_DATABASE_URL": pg_url,
        "OPENPSE_PORT": str(port),
        "OPENPSE_API_RATE_LIMIT": "0",
    }
    url = f"http://127.0.0.1:{port}"
    api = Process("api", ["serve", "--demo", "--solo-api", "--procesos", "2"], env, tmp_path).start()
    try:
        wait_ready(url, api)
        wait_until(lambda: len(_children(api.pid)) == 2, 30, "dos réplicas del API")
        # Both replicas listen before one dies: what is tested is failover, not start-up.
        wait_until(
            lambda: all(_listening(pid, port) for pid in _children(api.pid)),
            60,
            "las dos réplicas escuchan en el puerto",
        )
        victim = min(_children(api.pid))
        os.kill(victim, signal.SIGKILL)
        # The other replica keeps answering on the same port meanwhile.
        token = httpx2.post(
            f"{url}/v1/oauth2/token",
            data={"grant_type": "client_credentials", "client_id": "demo-pe", "client_secret": "demo-secret"},
        ).json()["access_token"]
        wait_until(
            lambda: len(_children(api.pid)) == 2 and victim not in _children(api.pid),
            30,
            "réplica reemplazada",
        )
        wait_ready(url, api)
        with httpx2.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
            codes = {
                client.post("/v1/comprobantes", json=factura(numero=n)).status_code for n in range(1, 21)
            }
        assert codes == {202}, "a token issued by one replica works on the other: they share the database"
    finally:
        api.stop()
