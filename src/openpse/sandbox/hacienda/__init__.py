"""Emulators of Costa Rica's Ministerio de Hacienda: the IDP and the API de Recepción.

Follows ``hacienda_cr.md`` §1–§4 and its emulator checklist (§8): Keycloak-style tokens
for both realms, ``POST /recepcion`` with Hacienda's checks and ``X-Error-Cause``,
asynchronous processing to a signed MensajeHacienda (XSD v4.4, XAdES-EPES signature,
clave and arithmetic), ``GET /recepcion/{clave}``, callbacks, per-cédula quotas with
429, and injected faults (timeouts, resets, 499, 5xx). It shares no code with the client
in ``openpse.authorities.hacienda``, so it cannot bless that client's bugs.

Use ``create_hacienda_app(HaciendaSandboxConfig(...), FaultConfig(...))`` as an ASGI app
(in-process through an httpx ``ASGITransport``, under uvicorn, or mounted in the SUNAT
sandbox app); its state is ``app.state.hacienda``.
"""

from __future__ import annotations

from openpse.sandbox.hacienda.app import HaciendaSandboxState, classify, create_hacienda_app
from openpse.sandbox.hacienda.config import (
    DEMO_CEDULA,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    PER_MINUTE_QUOTAS,
    SPECIFICATION_QUOTAS,
    HaciendaSandboxConfig,
    IdpUser,
    Quota,
    StatusFaults,
)

__all__ = [
    "DEMO_CEDULA",
    "DEMO_PASSWORD",
    "DEMO_USERNAME",
    "PER_MINUTE_QUOTAS",
    "SPECIFICATION_QUOTAS",
    "HaciendaSandboxConfig",
    "HaciendaSandboxState",
    "IdpUser",
    "Quota",
    "StatusFaults",
    "classify",
    "create_hacienda_app",
]
