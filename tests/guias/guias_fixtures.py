"""Fixtures of the guías tests, loaded by their modules with ``pytest_plugins = ["guias_fixtures"]``.

They live here and not in a ``tests/guias/conftest.py``: conftest files outside packages
all import as the module ``conftest``, and pytest drops the previous one from
``sys.modules`` when it loads the next, which would break the ``from conftest import``
of the test folders collected after this one. Their names start with ``gre_`` because a
plugin's fixtures are visible to the whole session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from guias_support import EMISORES, CountingTransport, LiveSandbox

from openpse.sandbox import SandboxConfig, create_app
from openpse.signing.certificates import Certificate, generate_test_certificate


@pytest.fixture(scope="session")
def gre_certificates() -> dict[str, Certificate]:
    """A test certificate for each issuer, by RUC."""
    return {
        emisor.ruc: generate_test_certificate(emisor.ruc, emisor.razon_social) for emisor in EMISORES.values()
    }


@pytest.fixture
def gre_counting() -> Iterator[tuple[httpx2.Client, CountingTransport]]:
    transport = CountingTransport()
    with httpx2.Client(transport=transport, timeout=10) as http:
        yield http, transport


@pytest.fixture(scope="session")
def gre_http() -> Iterator[httpx2.Client]:
    with httpx2.Client(timeout=10) as http:
        yield http


@pytest.fixture(scope="session")
def gre_sandbox_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One CDR signing key for every sandbox of the session (generating RSA keys is slow)."""
    return tmp_path_factory.mktemp("gre-sandbox-keys")


@pytest.fixture
def gre_sandbox(gre_sandbox_keys: Path) -> Iterator[Callable[..., LiveSandbox]]:
    """Start sandboxes with the given ``SandboxConfig`` options; they stop with the test."""
    started: list[LiveSandbox] = []

    def start(**options: Any) -> LiveSandbox:
        server = LiveSandbox(create_app(SandboxConfig(cert_dir=gre_sandbox_keys, **options))).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
