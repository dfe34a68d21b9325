"""Fixtures of the SUNAT sandbox tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient
from sunat_sandbox_support import LiveServer, SigningKey, make_signing_key

from openpse.sandbox import SandboxConfig, create_app


@pytest.fixture(scope="session")
def sandbox_cert_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One CDR key pair for the whole session: generating RSA keys per app is slow."""
    return tmp_path_factory.mktemp("sandbox-cert")


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    return make_signing_key()


@pytest.fixture
def make_app(sandbox_cert_dir: Path) -> Callable[..., Starlette]:
    def factory(**options: Any) -> Starlette:
        return create_app(SandboxConfig(cert_dir=sandbox_cert_dir, **options))

    return factory


@pytest.fixture
def app(make_app: Callable[..., Starlette]) -> Starlette:
    return make_app()


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def serve() -> Iterator[Callable[[Starlette], LiveServer]]:
    """Start sandbox apps over real HTTP; they stop at the end of the test."""
    servers: list[LiveServer] = []

    def start(app: Starlette) -> LiveServer:
        server = LiveServer(app)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
