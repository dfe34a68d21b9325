"""Fixtures of the Costa Rica end-to-end tests: the sandbox over loopback, a runtime with the
Costa Rican demo company and the Hacienda authority, and the API in-process."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hacienda_e2e_support import LiveServer, api_client, cr_runtime, sandbox_app
from starlette.applications import Starlette
from starlette.testclient import TestClient

from openpse.api.app import create_app
from openpse.jobs.queue import JobQueue
from openpse.runtime import Runtime


@pytest.fixture(scope="session")
def cert_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One key pair for the emulators' answers per session: RSA key generation is slow."""
    return tmp_path_factory.mktemp("sandbox-keys")


@pytest.fixture
def live() -> Iterator[Callable[[Starlette], LiveServer]]:
    """Serve apps over real HTTP on loopback; they stop at the end of the test."""
    servers: list[LiveServer] = []

    def start(app: Starlette) -> LiveServer:
        server = LiveServer(app).start()
        servers.append(server)
        return server

    yield start
    for server in reversed(servers):
        server.stop()


@pytest.fixture
def sandbox(cert_dir: Path, live: Callable[[Starlette], LiveServer]) -> LiveServer:
    """The whole sandbox with its default Hacienda emulator, over loopback."""
    return live(sandbox_app(cert_dir))


@pytest.fixture
def runtime(tmp_path: Path, sandbox: LiveServer) -> Iterator[Runtime]:
    rt = cr_runtime(tmp_path / "data", sandbox.url)
    JobQueue(rt)
    yield rt
    rt.close()


@pytest.fixture
def cr_api(runtime: Runtime) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The API in-process with 4 worker threads, and a token of the client ``demo-cr``."""
    with api_client(create_app(runtime, start_workers=4)) as pair:
        yield pair


@pytest.fixture
def hacienda(sandbox: LiveServer) -> Any:
    """The emulator's state: its register of received comprobantes is the oracle."""
    return sandbox.app.state.sandbox.hacienda
