"""Fixtures of the portal tests: the API with the portal in-process, against the SUNAT
emulator behind a switchable fault, with a second company for isolation cases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from portal_support import FaultSwitch, OtraEmpresa, add_second_company
from starlette.testclient import TestClient

from openpse.api.app import create_app
from openpse.jobs.queue import JobQueue
from openpse.runtime import Runtime
from openpse.signing.certificates import Certificate
from tests_support import make_runtime, token_for


@pytest.fixture
def switch(sandbox_url: str) -> FaultSwitch:
    return FaultSwitch(sandbox_url)


@pytest.fixture
def portal_runtime(
    tmp_path: Path, sandbox_url: str, test_certificate: Certificate, switch: FaultSwitch
) -> Iterator[Runtime]:
    # One attempt only: a 0100 exception makes a document `fallido` at once.
    runtime = make_runtime(
        tmp_path / "data",
        sandbox_url,
        test_certificate,
        http=httpx2.Client(transport=httpx2.MockTransport(switch)),
        max_intentos=1,
    )
    JobQueue(runtime)
    yield runtime
    runtime.close()


@pytest.fixture
def portal(portal_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(portal_runtime, start_workers=2), raise_server_exceptions=True) as client:
        yield client


@pytest.fixture
def issuer_auth(portal: TestClient) -> dict[str, str]:
    return token_for(portal)


@pytest.fixture
def otra(portal_runtime: Runtime) -> OtraEmpresa:
    return add_second_company(portal_runtime)


@pytest.fixture
def otra_auth(portal: TestClient, otra: OtraEmpresa) -> dict[str, str]:
    return token_for(portal, otra.client_id, otra.secret)
