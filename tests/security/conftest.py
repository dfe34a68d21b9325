"""Two tenants, built once per module: the demo company (the victim, with documents, clients,
a user and a certificate) and a second company whose credentials attack it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from security_support import World, build_world
from starlette.testclient import TestClient

from openpse.api.app import create_app
from openpse.jobs.queue import JobQueue
from openpse.runtime import Runtime
from openpse.signing.certificates import Certificate
from tests_support import make_runtime


@pytest.fixture(scope="module")
def world_runtime(
    tmp_path_factory: pytest.TempPathFactory, sandbox_server: tuple[str, Any], test_certificate: Certificate
) -> Iterator[Runtime]:
    url, _app = sandbox_server
    data: Path = tmp_path_factory.mktemp("security-world")
    # No rate limit here: the suite makes hundreds of calls in a second (limits: test_security_limits.py).
    runtime = make_runtime(data, url, test_certificate, api_rate_limit=0)
    JobQueue(runtime)
    yield runtime
    runtime.close()


@pytest.fixture(scope="module")
def world_client(world_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(world_runtime, start_workers=2), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def world(world_client: TestClient) -> World:
    return build_world(world_client)
