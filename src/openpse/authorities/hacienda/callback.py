"""Hacienda's callbacks: ``POST /v1/hacienda/callback/{token}`` (API.md, compatibility surfaces).

Hacienda POSTs to the ``callbackUrl`` of a comprobante the same JSON that ``GET
/recepcion/{clave}`` answers (``hacienda_cr.md`` §2.4), once, without retries or
authentication of its own. The URL carries a token that only this deployment can issue
for that clave (:meth:`HaciendaAuthority.callback_token`), so a forged or replayed-elsewhere
call is refused before anything is read from the store.

A callback and the poller may bring the same verdict at the same moment. Both go through
the document's lease: the callback takes it with the same conditional update the worker
uses (free lease, unchanged state) and hands the verdict to the document service's
``_apply``, which checks the lease token again in its own transaction. Whoever loses the
race does nothing: the winner writes the state, the event and the notifications once, and
the loser's answer (the same verdict, from the same Hacienda) is not needed. Only a final
verdict (aceptado, rechazado) is applied here; ``recibido``/``procesando``/``error`` leave
the document to the poller, which asks Hacienda itself.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import or_, update

from openpse.authorities.hacienda.authority import HaciendaAuthority
from openpse.authorities.hacienda.client import EstadoDesconocido, parse_status
from openpse.documents import service
from openpse.documents.states import FINAL, Estado
from openpse.runtime import Runtime
from openpse.storage.tables import Comprobante, Empresa, utcnow

CALLBACK_LEASE = dt.timedelta(seconds=30)
"""Applying a verdict is local work (no remote call): a short lease is plenty."""
CLAIM_PATIENCE_S = 2.0
"""How long a callback waits for a worker that holds the document. A poll holds it for
one GET; if that GET saw ``procesando`` just before Hacienda decided, the worker leaves the
document ``pendiente`` and the verdict is applied here instead of at the next poll."""
_CLAIMABLE = (Estado.PENDIENTE.value, Estado.DESCONOCIDO.value, Estado.ENVIANDO.value)
"""States a verdict may end (``enviando`` only when its worker's lease has run out)."""


@dataclass(frozen=True)
class CallbackResult:
    """What the route answers: ``status`` (202 taken, 400 unreadable, 404 unknown) and why."""

    status: int
    detalle: str
    estado: str | None = None
    """The document's state after the call, when it is known."""


def _claim(runtime: Runtime, doc_id: str) -> tuple[Comprobante, str] | None:
    """The document's lease, as ``service._claim`` takes it, for a verdict that came to us."""
    now = utcnow()
    with runtime.db.session() as session:
        row = session.get(Comprobante, doc_id)
        if row is None or row.estado not in _CLAIMABLE:
            return None
        token = secrets.token_hex(8)
        claimed = session.execute(
            update(Comprobante)
            .where(
                Comprobante.id == doc_id,
                Comprobante.estado == row.estado,
                or_(Comprobante.lease_hasta.is_(None), Comprobante.lease_hasta <= now),
            )
            .values(lease_hasta=now + CALLBACK_LEASE, lease_token=token, actualizado=now)
        ).rowcount  # type: ignore[attr-defined]
        if claimed != 1:
            return None
        session.refresh(row)
        session.expunge(row)
        return row, token


def handle_callback(runtime: Runtime, token: str, body: Any) -> CallbackResult:
    """Apply Hacienda's verdict for the clave in ``body`` if ``token`` is that clave's."""
    authority = runtime.authorities.get("CR")
    if not isinstance(authority, HaciendaAuthority):
        return CallbackResult(404, "Costa Rica no está habilitada en esta instalación")
    if not isinstance(body, dict):
        return CallbackResult(400, "Se esperaba el JSON de recepcionGetItem")
    try:
        status = parse_status(body)
    except EstadoDesconocido as exc:
        return CallbackResult(400, str(exc))
    clave = status.clave
    if not authority.callback_valid(clave, token):
        # The same answer as for an unknown document: a wrong token reveals nothing.
        return CallbackResult(404, "No existe el comprobante")
    with runtime.db.read() as session:
        row = session.get(Comprobante, clave)
        empresa = session.get(Empresa, row.empresa_id) if row is not None else None
    if row is None or empresa is None or empresa.pais != "CR":
        return CallbackResult(404, "No existe el comprobante")
    outcome = authority.outcome_from_status(status, clave)
    outcome = replace(outcome, detalle=f"callback de Hacienda: {outcome.detalle}")
    if outcome.estado not in (Estado.ACEPTADO, Estado.RECHAZADO):
        return CallbackResult(
            202, f"Hacienda informa {status.ind_estado.value}: se sigue consultando", row.estado
        )
    deadline = time.monotonic() + CLAIM_PATIENCE_S
    while True:
        claim = _claim(runtime, clave)
        if claim is not None:
            claimed, lease = claim
            applied = service._apply(runtime, clave, lease, outcome, claimed)
            return CallbackResult(202, "Respuesta de Hacienda aplicada", applied.value if applied else None)
        with runtime.db.read() as session:
            current = session.get(Comprobante, clave)
        estado = current.estado if current is not None else None
        if estado is None or Estado(estado) in FINAL:
            return CallbackResult(202, "El comprobante ya tenía su respuesta", estado)
        if time.monotonic() >= deadline:
            # A worker still holds it (a send in flight): its poll brings the same verdict.
            return CallbackResult(202, "El comprobante está siendo procesado; se aplica por consulta", estado)
        time.sleep(0.05)
