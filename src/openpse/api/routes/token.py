"""``POST /v1/oauth2/token`` (client_credentials and password grants, as SUNAT's own API) and
``POST /v1/oauth2/revoke`` (RFC 7009).

Errors follow RFC 6749 §5.2 (``{"error", "error_description"}``, 400/401), not the
``{cod, msg}`` shape of the other endpoints, because OAuth2 clients expect it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from openpse import observability
from openpse.api.audit import actor_of, record
from openpse.api.deps import RuntimeDep, get_rate_limiter
from openpse.api.ratelimit import RateLimiter
from openpse.core.hashing import new_token, token_digest, verify_secret
from openpse.storage.tables import ApiCliente, Token, Usuario, utcnow

router = APIRouter(tags=["autenticación"])
RateLimiterDep = Annotated[RateLimiter, Depends(get_rate_limiter)]


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 (the OAuth2 token type, not a secret)
    expires_in: int


class OAuthError(BaseModel):
    """RFC 6749 §5.2."""

    error: str
    error_description: str


_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

_OAUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": OAuthError, "description": "invalid_request / unsupported_grant_type / invalid_grant"},
    401: {"model": OAuthError, "description": "invalid_client"},
    413: {"model": OAuthError, "description": "Cuerpo demasiado grande"},
    429: {
        "model": OAuthError,
        "description": "Demasiados intentos para este client_id",
        "headers": {"Retry-After": {"description": "Segundos a esperar.", "schema": {"type": "integer"}}},
    },
}


def _oauth_error(
    status: int, error: str, description: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    all_headers = {"WWW-Authenticate": 'Basic realm="openpse"'} if status == 401 else {}
    all_headers.update(_NO_STORE)
    all_headers.update(headers or {})
    return JSONResponse(
        {"error": error, "error_description": description}, status_code=status, headers=all_headers
    )


def _basic(authorization: str | None) -> tuple[str | None, str | None]:
    if not authorization or not authorization.lower().startswith("basic "):
        return None, None
    try:
        decoded = base64.b64decode(authorization[6:], validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError, binascii.Error):
        return None, None
    client_id, _, secret = decoded.partition(":")
    return client_id, secret


def _throttled(limiter: RateLimiter, client_id: str) -> JSONResponse | None:
    """Each client id gets the same per-minute budget for its credentials as for its calls,
    which also bounds the scrypt work an attacker can make us do for one id."""
    wait = limiter.acquire(f"credenciales:{client_id}")
    if wait is None:
        return None
    observability.RATE_LIMITED.labels(ruta="/v1/oauth2").inc()
    seconds = RateLimiter.retry_after(wait)
    return _oauth_error(
        429,
        "temporarily_unavailable",
        f"Demasiados intentos; reintente en {seconds} s",
        {"Retry-After": seconds},
    )


def _authenticate(session: Session, client_id: str, client_secret: str) -> ApiCliente | None:
    client = session.scalar(select(ApiCliente).where(ApiCliente.client_id == client_id))
    if client is None or not client.activo or not verify_secret(client_secret, client.secret_hash):
        return None
    return client


@router.post(
    "/v1/oauth2/token",
    response_model=TokenResponse,
    summary="Obtener un token de acceso",
    responses=_OAUTH_RESPONSES,
)
def issue_token(
    runtime: RuntimeDep,
    limiter: RateLimiterDep,
    grant_type: Annotated[str | None, Form()] = None,
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
    username: Annotated[str | None, Form()] = None,
    password: Annotated[str | None, Form()] = None,
    scope: Annotated[str | None, Form()] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    if grant_type not in ("client_credentials", "password"):
        if not grant_type:
            return _oauth_error(400, "invalid_request", "Falta grant_type (formulario x-www-form-urlencoded)")
        return _oauth_error(
            400, "unsupported_grant_type", "grant_type debe ser client_credentials o password"
        )
    basic_id, basic_secret = _basic(authorization)
    client_id = client_id or basic_id
    client_secret = client_secret or basic_secret
    if not client_id or not client_secret:
        return _oauth_error(400, "invalid_request", "Faltan client_id y client_secret")
    throttled = _throttled(limiter, client_id)
    if throttled is not None:
        return throttled
    ttl = runtime.settings.token_ttl
    with runtime.db.session() as session:
        client = _authenticate(session, client_id, client_secret)
        if client is None:
            return _oauth_error(401, "invalid_client", "Credenciales de cliente inválidas")
        usuario_id = None
        empresa_id = client.empresa_id
        if grant_type == "password":
            if not username or not password:
                return _oauth_error(400, "invalid_request", "El grant password necesita username y password")
            user = session.scalar(select(Usuario).where(Usuario.username == username))
            if user is None or not user.activo or not verify_secret(password, user.password_hash):
                return _oauth_error(400, "invalid_grant", "Usuario o contraseña incorrectos")
            if client.empresa_id is not None and user.empresa_id != client.empresa_id:
                return _oauth_error(400, "invalid_grant", "El usuario no pertenece a la empresa del cliente")
            usuario_id = user.id
            empresa_id = user.empresa_id
        token = new_token()
        session.add(
            Token(
                token_hash=token_digest(token),
                cliente_id=client.id,
                usuario_id=usuario_id,
                empresa_id=empresa_id,
                admin=client.admin and usuario_id is None,
                expira=utcnow() + dt.timedelta(seconds=ttl),
            )
        )
    return JSONResponse({"access_token": token, "token_type": "Bearer", "expires_in": ttl}, headers=_NO_STORE)


@router.post(
    "/v1/oauth2/revoke",
    summary="Revocar un token de acceso (RFC 7009)",
    response_class=Response,
    responses={200: {"description": "Revocado, o el token no existía o ya no valía (RFC 7009 §2.2)"}}
    | {k: v for k, v in _OAUTH_RESPONSES.items() if k != 400}
    | {400: {"model": OAuthError, "description": "invalid_request / unauthorized_client"}},
)
def revoke_token(
    request: Request,
    runtime: RuntimeDep,
    limiter: RateLimiterDep,
    token: Annotated[str | None, Form(description="El access_token a revocar")] = None,
    token_type_hint: Annotated[str | None, Form(description="access_token (se acepta y se ignora)")] = None,
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    """The client authenticates as on the token endpoint (form fields or HTTP Basic) and names
    one of its own tokens; an administrator client may revoke any token. An unknown,
    expired or already revoked token is answered 200, as RFC 7009 §2.2 asks: the caller's
    purpose (the token no longer works) is met."""
    basic_id, basic_secret = _basic(authorization)
    client_id = client_id or basic_id
    client_secret = client_secret or basic_secret
    if not client_id or not client_secret:
        return _oauth_error(400, "invalid_request", "Faltan client_id y client_secret")
    throttled = _throttled(limiter, client_id)
    if throttled is not None:
        return throttled
    if not token:
        return _oauth_error(400, "invalid_request", "Falta el parámetro token")
    with runtime.db.session() as session:
        client = _authenticate(session, client_id, client_secret)
        if client is None:
            return _oauth_error(401, "invalid_client", "Credenciales de cliente inválidas")
        row = session.get(Token, token_digest(token))
        if row is not None and row.cliente_id != client.id and not client.admin:
            # RFC 7009 §2.1: a client may only revoke the tokens issued to it.
            return _oauth_error(400, "unauthorized_client", "El token no fue emitido para este cliente")
        if row is not None and not row.revocado:
            row.revocado = True
            owner = client if row.cliente_id == client.id else session.get(ApiCliente, row.cliente_id)
            record(
                session,
                actor_of(request, client.client_id, None),
                "token.revocado",
                owner.client_id if owner is not None else str(row.cliente_id),
                row.empresa_id,
                {
                    "emitido": row.creado.isoformat(timespec="seconds"),
                    "de_usuario": row.usuario_id is not None,
                },
            )
    return Response(status_code=200, headers=_NO_STORE)
