"""Typed dependencies: the runtime, and the authenticated principal behind a Bearer token.

The dependencies that bind the log context (:func:`bind_route_context`, :func:`get_principal`)
are ``async`` on purpose: FastAPI runs sync dependencies on a worker thread, and context
variables set there would not reach the endpoint nor the access log. Set on the event
loop, they are copied into every thread the request uses afterwards.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import bindparam, select
from starlette.concurrency import run_in_threadpool

from openpse import observability
from openpse.api.ratelimit import RateLimiter
from openpse.core.errors import Code, Forbidden, Issue, OpenPSEError
from openpse.core.hashing import token_digest
from openpse.runtime import Runtime
from openpse.storage.tables import ApiCliente, Empresa, Token, Usuario, utcnow

LIMITE_EXCEDIDO = Code.LIMITE_EXCEDIDO.value
"""Too many requests from one API client (429)."""


class Unauthorized(OpenPSEError):
    status = 401


class RateLimited(OpenPSEError):
    """429 with ``Retry-After`` (API.md)."""

    status = 429

    def __init__(self, retry_after: str) -> None:
        super().__init__(
            Issue(
                LIMITE_EXCEDIDO,
                f"Demasiadas solicitudes de este cliente de API; reintente en {retry_after} s",
            )
        )
        self.headers = {"Retry-After": retry_after}


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_rate_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter


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
    username: str | None = None


_bearer = HTTPBearer(auto_error=False, description="Token de /v1/oauth2/token")


@dataclass(frozen=True)
class _Credential:
    """What a token grants, as stored now (plain columns; the company comes apart)."""

    revocado: bool
    expira: dt.datetime
    empresa_id: int | None
    admin: bool
    usuario_id: int | None
    cliente_id: int
    client_id: str
    activo: bool
    username: str | None


@functools.cache
def _token_statement() -> Any:
    """Built once: the statement is read on every request (its columns, not entities)."""
    return (
        select(
            Token.revocado,
            Token.expira,
            Token.empresa_id,
            Token.admin,
            Token.usuario_id,
            ApiCliente.id,
            ApiCliente.client_id,
            ApiCliente.activo,
            Usuario.username,
            Empresa.actualizado,
        )
        .join(ApiCliente, ApiCliente.id == Token.cliente_id)
        .outerjoin(Empresa, Empresa.id == Token.empresa_id)
        .outerjoin(Usuario, Usuario.id == Token.usuario_id)
        .where(Token.token_hash == bindparam("digest"))
    )


def _companies(runtime: Runtime) -> dict[int, tuple[dt.datetime, Empresa]]:
    """Companies this process already read, by id, with the ``actualizado`` they had: reused
    while the row's stamp is the same (every change of a company bumps it), so a request
    reads the company's columns again only after it changed. Shared read-only."""
    cache: dict[int, tuple[dt.datetime, Empresa]] = runtime.__dict__.setdefault("_empresas_leidas", {})
    return cache


def _lookup(runtime: Runtime, token: str) -> tuple[_Credential, Empresa | None] | None:
    with runtime.db.read() as session:
        row = session.execute(_token_statement(), {"digest": token_digest(token)}).first()
        if row is None:
            return None
        credential = _Credential(*row[:9])
        empresa: Empresa | None = None
        if credential.empresa_id is not None:
            stamp = row[9]
            companies = _companies(runtime)
            cached = companies.get(credential.empresa_id)
            if cached is not None and cached[0] == stamp:
                empresa = cached[1]
            else:
                empresa = session.get(Empresa, credential.empresa_id)
                if empresa is not None:
                    session.expunge(empresa)
                    companies[credential.empresa_id] = (empresa.actualizado, empresa)
    return credential, empresa


async def get_principal(
    request: Request,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthorized(Issue(Code.NO_AUTENTICADO, "Falta el encabezado Authorization: Bearer <token>"))
    found = await run_in_threadpool(_lookup, runtime, credentials.credentials)
    if found is None:
        raise Unauthorized(Issue(Code.NO_AUTENTICADO, "Token inválido"))
    token, empresa = found
    if token.revocado or not token.activo:
        raise Unauthorized(Issue(Code.NO_AUTENTICADO, "Token revocado"))
    if token.expira <= utcnow():
        raise Unauthorized(Issue(Code.NO_AUTENTICADO, "Token vencido; solicite uno nuevo"))
    observability.bind(
        cliente=token.client_id,
        empresa=empresa.identificacion if empresa is not None else None,
    )
    wait = get_rate_limiter(request).acquire(f"cliente:{token.cliente_id}")
    if wait is not None:
        route = request.scope.get("route")
        observability.RATE_LIMITED.labels(ruta=getattr(route, "path", "")).inc()
        raise RateLimited(RateLimiter.retry_after(wait))
    return Principal(
        token.cliente_id,
        token.client_id,
        token.empresa_id,
        token.admin,
        token.usuario_id,
        empresa,
        token.username,
    )


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


async def bind_route_context(request: Request) -> None:
    """Put the document id of the path (and the company of ``/v1/empresas/{ruc}``) on the logs."""
    params = request.path_params
    observability.bind(comprobante=params.get("doc_id"), empresa_ruta=params.get("ruc"))
