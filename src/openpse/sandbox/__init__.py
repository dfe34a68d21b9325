"""Faithful emulators of the remote services OpenPSE talks to (ARCHITECTURE.md, principle 6).

Today: SUNAT's SOAP billService (sendBill) and billConsultService (getStatus,
getStatusCdr), following ``sunat.md`` §1–§3 and §8. The emulators share no code with
the client side of OpenPSE, so they cannot bless its bugs.

Use ``create_app(SandboxConfig(mode="beta"))`` as an in-process ASGI app (for example as
an httpx ``ASGITransport``), or ``serve("127.0.0.1", 8001)`` to listen on a port.
"""

from __future__ import annotations

import uvicorn
from starlette.applications import Starlette

from openpse.sandbox.app import create_app
from openpse.sandbox.config import SandboxConfig

__all__ = ["SandboxConfig", "create_app", "serve"]


def serve(host: str, port: int, config: SandboxConfig | None = None, log_level: str = "warning") -> None:
    """Run the sandbox with uvicorn until interrupted."""
    app: Starlette = create_app(config)
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=log_level == "debug")
