"""Typed dependencies: the runtime, and the authenticated principal behind a Bearer token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select

from openpse.core.errors import Code, Forbidden, Issue, OpenPSEError
from openpse.core.hashing import token_digest
from openpse.runtime import Runtime
from openpse.storage.tables import ApiCliente, Empresa, Token, utcnow


class Unauthorized(OpenPSEError):
    status = 401


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


@dataclass(frozen=True)
class Principal:
    """Who is calling: an API client, maybe a user, of one company or an administrator."""

    cliente_id: int
    client_id: str
    empresa_id: int | None
    admin: bool
    usuario_id: int | None
    empresa: Empresa | None = None
    """The company, loaded with the token (one query per request)."""


_bearer = HTTPBearer(auto_error=False, description="Token de /v1/oauth2/token")


def get_principal(
    runtime: RuntimeDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthorized(Issue(Code.NO_AUTENTICADO, "Falta el encabezado Authorization: Bearer <token>"))
    with runtime.db.read() as session:
        row = session.execute(
            select(Token, ApiCliente, Empresa)
            .join(ApiCliente, ApiCliente.id == Token.cliente_id)
            .outerjoin(Empresa, Empresa.id == Token.empresa_id)
            .where(Token.token_hash == token_digest(credentials.credentials))
        ).first()
    if row is None:
        raise Unauthorized(Issue(Code.NO_AUTENTICADO, "Token inválido"))
    token, client, empresa = row
    if token.revocado or not client.activo:
        raise Unauthorized(Issue(Code.NO_AUTENTICADO, "Token revocado"))
    if token.expira <= utcnow():
        raise Unauthorized(Issue(Code.NO_AUTENTICADO, "Token vencido; solicite uno nuevo"))
    return Principal(client.id, client.client_id, token.empresa_id, token.admin, token.usuario_id, empresa)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_admin(principal: PrincipalDep) -> Principal:
    if not principal.admin:
        raise Forbidden("Esta operación es solo para clientes administradores")
    return principal


AdminDep = Annotated[Principal, Depends(require_admin)]


def company_of(runtime: Runtime, principal: Principal) -> Empresa:
    """The company a (non-admin) principal acts for."""
    if principal.empresa_id is None:
        raise Forbidden("Use un cliente de empresa: un administrador no emite comprobantes")
    empresa = principal.empresa
    if empresa is None or not empresa.activo:
        raise Forbidden("La empresa del cliente no está activa")
    return empresa
