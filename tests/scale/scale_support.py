"""Helpers of the scale-out tests: PostgreSQL and Redis on 127.0.0.1, real processes, a
TCP proxy that can cut a connection on demand, and the sandbox's own registry.

PostgreSQL (user postgres, trust) and Redis (no password) are the ones on 127.0.0.1. On
CI (``CI=true``) they are required: a missing one fails the test, saying what is
missing. Elsewhere a test that needs one skips with the reason.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/0"
ON_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(what: str, why: object) -> None:
    """Skip (or, on CI, fail) a test whose service is missing."""
    if ON_CI:
        pytest.fail(f"CI=true: {what} es obligatorio para estas pruebas y no está disponible: {why}")
    pytest.skip(f"{what} no disponible ({why}); en CI (CI=true) estas pruebas son obligatorias")


def postgres_admin() -> Any:
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:
        unavailable("el paquete psycopg[binary] (PostgreSQL)", exc)
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        engine.dispose()
        unavailable("PostgreSQL en 127.0.0.1:5432 (usuario postgres)", exc)
    return engine


@contextlib.contextmanager
def postgres_database(port: int = 5432) -> Iterator[str]:
    """A fresh, empty database for one test; dropped afterwards. Yields its URL."""
    from sqlalchemy import text

    engine = postgres_admin()
    name = f"openpse_test_{uuid.uuid4().hex[:12]}"
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/{name}"
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@contextlib.contextmanager
def redis_queue() -> Iterator[str]:
    """A Redis queue name of its own on 127.0.0.1; its keys are deleted afterwards."""
    try:
        import redis
    except ImportError as exc:
        unavailable("el paquete redis (cola Huey en Redis)", exc)
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.ping()
    except Exception as exc:
        unavailable("Redis en 127.0.0.1:6379", exc)
    name = f"openpse-test-{uuid.uuid4().hex[:12]}"
    try:
        yield name
    finally:
        for key in client.scan_iter(match=f"huey.*.{name}*"):
            client.delete(key)
        client.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TcpProxy:
    """A TCP forwarder on loopback that can be cut (refusing and resetting connections)
    and restored, to make a database or a queue "unavailable" without touching the server
    other tests use."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.up = threading.Event()
        self.up.set()
        self._stop = threading.Event()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> TcpProxy:
        self._open_listener()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.cut()
        self._thread.join(timeout=5)

    def _open_listener(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        listener.settimeout(0.1)
        self._listener = listener

    def cut(self) -> None:
        """Reset every open connection and refuse new ones."""
        self.up.clear()
        with self._lock:
            if self._listener is not None:
                self._listener.close()
                self._listener = None
            pairs, self._pairs = self._pairs, []
        for a, b in pairs:
            for sock in (a, b):
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    sock.close()

    def restore(self) -> None:
        with self._lock:
            if self._listener is None:
                self._open_listener()
        self.up.set()

    def _serve(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                listener = self._listener
            if listener is None:
                time.sleep(0.05)
                continue
            try:
                client, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=3)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._pairs.append((client, upstream))
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()

    def _pipe(self, a: socket.socket, b: socket.socket) -> None:
        # epoll, not select(): late in a long test session descriptors pass FD_SETSIZE
        # (1024), where select() raises ValueError and the connection would hang.
        poller = selectors.DefaultSelector()
        try:
            poller.register(a, selectors.EVENT_READ)
            poller.register(b, selectors.EVENT_READ)
            while True:
                ready = poller.select(0.5)
                if self._stop.is_set():
                    return
                for key, _ in ready:
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    data = sock.recv(65536)
                    if not data:
                        return
                    (b if sock is a else a).sendall(data)
        except (OSError, ValueError):
            return
        finally:
            poller.close()
            for sock in (a, b):
                with contextlib.suppress(OSError):
                    sock.close()


class Process:
    """An ``openpse`` command as a real process, with its output in a file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.args = args
        self.env = env
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(  # the project's own CLI
            [sys.executable, "-m", "openpse", *self.args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        log.close()
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""


def wait_until(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise AssertionError(f"no ocurrió en {timeout:.0f} s: {what}")


def wait_ready(url: str, process: Process, timeout: float = 60) -> None:
    def ready() -> bool:
        if not process.alive():
            raise AssertionError(f"{process.name} terminó al arrancar:\n{process.output()[-4000:]}")
        try:
            return httpx2.get(f"{url}/ready", timeout=1).status_code == 200
        except httpx2.TransportError:
            return False

    wait_until(ready, timeout, f"{process.name} listo en {url}")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
