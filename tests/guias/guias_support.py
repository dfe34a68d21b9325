"""Helpers of the guías tests: the issuers, GRE credentials, a live sandbox, a counting transport."""

from __future__ import annotations

import random
import socket
import threading
import time
from collections import Counter
from typing import Any

import httpx2
import uvicorn
from guias_cases import EMPRESA, EMPRESA_NOMBRE, TRANSPORTES, TRANSPORTES_NOMBRE

from openpse.authorities.sunat.guias import Emisor, GreCredentials
from openpse.sandbox import SandboxServer

EMISORES = {"09": Emisor(EMPRESA, EMPRESA_NOMBRE), "31": Emisor(TRANSPORTES, TRANSPORTES_NOMBRE)}


def credentials(ruc: str, usuario: str = "MODDATOS", clave: str = "moddatos") -> GreCredentials:
    """SUNAT's public test user (any RUC + MODDATOS), which the sandbox accepts with any API client."""
    return GreCredentials(
        ruc=ruc, usuario_sol=usuario, clave_sol=clave, client_id="openpse-pruebas", client_secret="secreto"
    )


class CountingTransport(httpx2.BaseTransport):
    """Real HTTP, counting the requests per path (to see how many tokens were asked for)."""

    def __init__(self) -> None:
        self._inner = httpx2.HTTPTransport()
        self._lock = threading.Lock()
        self.paths: Counter[str] = Counter()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        with self._lock:
            self.paths[request.url.path] += 1
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()

    def count(self, fragment: str) -> int:
        with self._lock:
            return sum(number for path, number in self.paths.items() if fragment in path)


class LiveSandbox:
    """A sandbox app served over real HTTP on a loopback port, in a thread."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self.server = SandboxServer(uvicorn.Config(app, log_level="critical"))
        self._thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def start(self) -> LiveSandbox:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "the sandbox did not start"
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()


def seed_for(pattern: str, probability: float) -> int:
    """A fault seed whose draws hit exactly the calls marked ``x`` (``.`` passes).

    The sandbox draws one number per emulated call from ``random.Random(seed)`` and injects
    the fault when it falls below the fault's probability (FaultConfig's documented draw).
    """
    for seed in range(100_000):
        draws = random.Random(seed)
        if all((draws.random() < probability) == (mark == "x") for mark in pattern):
            return seed
    raise AssertionError(f"no seed for {pattern}")
