"""Faithful emulators of the remote services OpenPSE talks to (ARCHITECTURE.md, principle 6).

Today: SUNAT's SOAP billService (sendBill, sendSummary, getStatus by ticket) and
billConsultService (getStatus, getStatusCdr), an OSE on the same contract, and SUNAT's
GRE REST platform (token, send, status), following ``sunat.md`` §1–§3, §6 and §8; and
Costa Rica's Hacienda (IDP and API de Recepción, ``hacienda_cr.md``) under
``/hacienda``; with fault injection on every call. The emulators share no code with the
client side of OpenPSE, so they cannot bless its bugs.

Use ``create_app(SandboxConfig(mode="beta"))`` as an in-process ASGI app (for example as
an httpx ``ASGITransport``), ``SandboxServer`` to run it under uvicorn yourself, or
``serve("127.0.0.1", 8001)`` to listen on a port.
"""

from __future__ import annotations

import socket

import uvicorn
from starlette.applications import Starlette

from openpse.sandbox.app import SandboxState, create_app
from openpse.sandbox.config import FaultConfig, SandboxConfig
from openpse.sandbox.faults import ConnectionDropped

__all__ = ["ConnectionDropped", "FaultConfig", "SandboxConfig", "SandboxServer", "create_app", "serve"]


class SandboxServer(uvicorn.Server):
    """uvicorn's server, letting requests held by the ``timeout`` fault go when it shuts down.

    uvicorn waits for every open request before it stops; a held request would make it
    wait the whole hold (60 s by default). Held requests of SUNAT's emulators and of the
    mounted Hacienda one are all let go; the app's lifespan then stops Hacienda's
    processor thread.
    """

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        state = getattr(getattr(self.config.app, "state", None), "sandbox", None)
        if isinstance(state, SandboxState):
            state.release_held()
        await super().shutdown(sockets)


def serve(host: str, port: int, config: SandboxConfig | None = None, log_level: str = "warning") -> None:
    """Run the sandbox with uvicorn until interrupted."""
    app: Starlette = create_app(config)
    server = SandboxServer(
        uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=log_level == "debug")
    )
    server.run()
