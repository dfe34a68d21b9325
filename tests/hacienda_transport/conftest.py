"""Fixtures of the Hacienda transport tests: emulators over loopback HTTP and the client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from hacienda_transport_support import (
    EMISOR_CEDULA,
    EMISOR_NOMBRE,
    RECEPTOR_CEDULA,
    RECEPTOR_NOMBRE,
    LiveServer,
    ManualClock,
    make_cr_certificate,
)
from starlette.applications import Starlette

from openpse.authorities.hacienda.client import HaciendaClient
from openpse.authorities.hacienda.idp import HaciendaEnvironment
from openpse.sandbox.config import FaultConfig
from openpse.sandbox.hacienda import HaciendaSandboxConfig, create_hacienda_app
from openpse.signing.certificates import Certificate


@pytest.fixture(scope="session")
def hacienda_cert_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One MensajeHacienda key for the session: RSA key generation is slow."""
    return tmp_path_factory.mktemp("hacienda-cert")


@pytest.fixture(scope="session")
def emisor_cert() -> Certificate:
    return make_cr_certificate(EMISOR_CEDULA, EMISOR_NOMBRE)


@pytest.fixture(scope="session")
def receptor_cert() -> Certificate:
    return make_cr_certificate(RECEPTOR_CEDULA, RECEPTOR_NOMBRE)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def make_app(hacienda_cert_dir: Path, clock: ManualClock) -> Iterator[Callable[..., Starlette]]:
    """Build an emulator driven by the test's manual clock; processing is immediate by default."""
    apps: list[Starlette] = []

    def factory(faults: FaultConfig | None = None, real_time: bool = False, **options: Any) -> Starlette:
        options.setdefault("recibido_s", 0.0)
        options.setdefault("procesando_s", 0.0)
        options.setdefault("tick_s", 0.005)
        app = create_hacienda_app(
            HaciendaSandboxConfig(cert_dir=hacienda_cert_dir, **options),
            faults,
            clock=None if real_time else clock,
        )
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.state.hacienda.close()


@pytest.fixture
def serve() -> Iterator[Callable[[Starlette], LiveServer]]:
    """Start apps over real HTTP on loopback; they stop at the end of the test."""
    servers: list[LiveServer] = []

    def start(app: Starlette) -> LiveServer:
        server = LiveServer(app).start()
        servers.append(server)
        return server

    yield start
    for server in reversed(servers):
        server.stop()


@pytest.fixture
def http() -> Iterator[httpx2.Client]:
    with httpx2.Client(timeout=httpx2.Timeout(10.0, connect=5.0)) as client:
        yield client


@pytest.fixture
def make_client(http: httpx2.Client, clock: ManualClock) -> Callable[..., HaciendaClient]:
    def factory(url: str, *, legacy: bool = False, realm: str = "rut-stag", **options: Any) -> HaciendaClient:
        environment = HaciendaEnvironment.emulator(url, realm=realm, legacy=legacy)
        return HaciendaClient(
            options.pop("http", http), environment, clock=options.pop("clock", clock), **options
        )

    return factory
