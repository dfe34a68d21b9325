"""The audit log: who changed a company, its certificate, its API clients or users, and when.

One row per change, written in the same transaction as the change itself, so there is
never a change without its record nor a record of a change that did not happen. Rows
name secrets only by field ("clave_sol": "cambiada"), never by value. The administrator
reads them with ``GET /v1/auditoria``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from openpse.api.deps import PrincipalDep
from openpse.storage.tables import Auditoria, utcnow

__all__ = ["Actor", "ActorDep", "Auditoria", "actor_of", "current_actor", "record"]


@dataclass(frozen=True)
class Actor:
    """Who is acting, as the audit log names it."""

    nombre: str
    request_id: str | None = None
    origen: str | None = None

    @classmethod
    def cli(cls) -> Actor:
        return cls("cli")


def actor_of(request: Request, client_id: str, username: str | None) -> Actor:
    state = request.scope.get("state", {})
    client = request.client
    return Actor(
        f"usuario:{username}" if username else f"cliente:{client_id}",
        request_id=state.get("request_id"),
        origen=client.host if client is not None else None,
    )


def current_actor(request: Request, principal: PrincipalDep) -> Actor:
    return actor_of(request, principal.client_id, principal.username)


ActorDep = Annotated[Actor, Depends(current_actor)]


def record(
    session: Session,
    actor: Actor,
    accion: str,
    objeto: str,
    empresa_id: int | None,
    detalle: dict[str, Any] | None = None,
) -> None:
    session.add(
        Auditoria(
            creado=utcnow(),
            empresa_id=empresa_id,
            actor=actor.nombre,
            accion=accion,
            objeto=objeto,
            detalle=detalle,
            request_id=actor.request_id,
            origen=actor.origen,
        )
    )
