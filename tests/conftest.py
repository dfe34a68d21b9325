"""Fixtures shared by the OpenPSE test suite.

``../shared`` (official schemas, SUNAT's validation sheets, samples) is used as an oracle
when it is there; tests that need it skip with the reason when it is not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.testclient import TestClient

from openpse import demo
from openpse.api.app import create_app
from openpse.jobs.queue import JobQueue
from openpse.runtime import Runtime
from openpse.sandbox import SandboxConfig
from openpse.sandbox import create_app as create_sandbox_app
from openpse.signing.certificates import Certificate, generate_test_certificate
from tests_support import ThreadedServer, make_runtime, token_for


@pytest.fixture(scope="session")
def test_certificate() -> Certificate:
    return generate_test_certificate(demo.DEMO_RUC, demo.DEMO_RAZON_SOCIAL)


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """The SUNAT emulator over real HTTP on loopback, started once per session."""
    app = create_sandbox_app(SandboxConfig(cert_dir=tmp_path_factory.mktemp("sandbox-cdr-cert")))
    with ThreadedServer(app) as server:
        yield server.url, app


@pytest.fixture
def sandbox_url(sandbox_server: tuple[str, Any]) -> str:
    """The emulator's URL, with no document registered (each test starts from a clean SUNAT)."""
    url, app = sandbox_server
    app.state.sandbox.reset()
    return url


@pytest.fixture
def runtime(tmp_path: Path, sandbox_url: str, test_certificate: Certificate) -> Iterator[Runtime]:
    rt = make_runtime(tmp_path / "data", sandbox_url, test_certificate)
    JobQueue(rt)
    yield rt
    rt.close()


@pytest.fixture
def api(runtime: Runtime) -> Iterator[TestClient]:
    """The API in-process with 4 worker threads, against the sandbox over loopback."""
    with TestClient(create_app(runtime, start_workers=4), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def auth(api: TestClient) -> dict[str, str]:
    return token_for(api)


@pytest.fixture
def admin_auth(api: TestClient) -> dict[str, str]:
    return token_for(api, demo.DEMO_ADMIN)


@pytest.fixture
def post_document(api: TestClient, auth: dict[str, str]) -> Callable[..., httpx2.Response]:
    def post(body: dict[str, Any], **params: Any) -> httpx2.Response:
        return api.post("/v1/comprobantes", json=body, headers=auth, params=params)

    return post
