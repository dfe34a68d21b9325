"""Writing notifications in the same transaction as the state change that causes them.

A webhook is recorded for every state change of a company with ``webhook_url``; an
e-mail to the customer when a document with a printed form is accepted (or accepted with
observations) and the company has SMTP settings and the request gave the customer's
address. Each row freezes its payload: a later state never rewrites an earlier event.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from openpse.storage.tables import Comprobante, Empresa, Notificacion, utcnow

WEBHOOK_EVENT = "comprobante.estado"
EMAIL_STATES = frozenset({"aceptado", "observado"})
PENDING_KEY = "openpse.notificaciones"
"""``Session.info`` key counting the notifications a transaction wrote (to wake the sender)."""


def record(
    session: Session, row: Comprobante, empresa: Empresa, estado: str, documento: dict[str, Any]
) -> None:
    """Add the notifications that ``row`` reaching ``estado`` causes; ``documento`` is its API body."""
    now = utcnow()
    added = 0
    if empresa.webhook_url:
        session.add(
            Notificacion(
                empresa_id=empresa.id,
                comprobante_id=row.id,
                canal="webhook",
                destino=empresa.webhook_url,
                evento=estado,
                payload={"evento": WEBHOOK_EVENT, "comprobante": {**documento, "estado": estado}},
                estado="pendiente",
                intentos=0,
                creado=now,
            )
        )
        added += 1
    if estado in EMAIL_STATES and row.cliente_email and empresa.smtp and row.totales:
        session.add(
            Notificacion(
                empresa_id=empresa.id,
                comprobante_id=row.id,
                canal="email",
                destino=row.cliente_email,
                evento=estado,
                payload={"estado": estado},
                estado="pendiente",
                intentos=0,
                creado=now,
            )
        )
        added += 1
    if added:
        session.info[PENDING_KEY] = session.info.get(PENDING_KEY, 0) + added
