"""``POST /v1/oauth2/token``: client_credentials and password grants, as SUNAT's own API.

Errors follow RFC 6749 §5.2 (``{"error", "error_description"}``, 400/401), not the
``{cod, msg}`` shape of the other endpoints, because OAuth2 clients expect it.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select

from openpse.api.deps import RuntimeDep
from openpse.core.hashing import new_token, token_digest, verify_secret
from openpse.storage.tables import ApiCliente, Token, Usuario, utcnow

router = APIRouter(tags=["autenticación"])


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 (the OAuth2 token type, not a secret)
    expires_in: int


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Basic realm="openpse"'} if status == 401 else {}
    headers["Cache-Control"] = "no-store"
    return JSONResponse(
        {"error": error, "error_description": description}, status_code=status, headers=headers
    )


def _basic(authorization: str | None) -> tuple[str | None, str | None]:
    if not authorization or not authorization.lower().startswith("basic "):
        return None, None
    try:
        decoded = base64.b64decode(authorization[6:]).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None, None
    client_id, _, secret = decoded.partition(":")
    return client_id, secret


@router.post(
    "/v1/oauth2/token",
    response_model=TokenResponse,
    summary="Obtener un token de acceso",
    responses={
        400: {"description": "invalid_request / unsupported_grant_type / invalid_grant"},
        401: {"description": "invalid_client"},
    },
)
def issue_token(
    runtime: RuntimeDep,
    grant_type: Annotated[str, Form()],
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
    username: Annotated[str | None, Form()] = None,
    password: Annotated[str | None, Form()] = None,
    scope: Annotated[str | None, Form()] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    if grant_type not in ("client_credentials", "password"):
        return _oauth_error(
            400, "unsupported_grant_type", "grant_type debe ser client_credentials o password"
        )
    basic_id, basic_secret = _basic(authorization)
    client_id = client_id or basic_id
    client_secret = client_secret or basic_secret
    if not client_id or not client_secret:
        return _oauth_error(400, "invalid_request", "Faltan client_id y client_secret")
    ttl = runtime.settings.token_ttl
    with runtime.db.session() as session:
        client = session.scalar(select(ApiCliente).where(ApiCliente.client_id == client_id))
        if client is None or not client.activo or not verify_secret(client_secret, client.secret_hash):
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
    return JSONResponse(
        {"access_token": token, "token_type": "Bearer", "expires_in": ttl},
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )
