"""Hacienda's IDP: a Keycloak realm per environment, OpenID Connect token and logout.

Follows ``hacienda_cr.md`` §1: realms ``rut-stag`` (client ``api-stag``) and ``rut``
(client ``api-prod``), public clients (``client_secret`` empty or absent), the
resource-owner password grant and the refresh grant on
``/auth/realms/{realm}/protocol/openid-connect/token``, logout with ``client_id`` and
``refresh_token`` on ``…/logout`` answering 204, and Keycloak's token JSON
(``access_token``, ``expires_in``, ``refresh_expires_in``, ``refresh_token``,
``token_type``, ``not-before-policy``, ``session_state``, ``scope``).

Errors use Keycloak's bodies ``{"error", "error_description"}``: wrong credentials are 401
``invalid_grant`` "Invalid user credentials"; a dead refresh token is 400
``invalid_grant`` "Token is not active" (expired) or "Session not active" (logged out or
past the session maximum); an unknown client is 401 ``invalid_client``; an unknown realm
is 404 "Realm does not exist".

Tokens are JWTs (HS256 with a key of this app) with Keycloak's claims (``iss`` of the
realm, ``azp`` = client, ``typ`` Bearer or Refresh, ``session_state``), as the 2018
staging token decoded in §1 shows. Unlike a stock Keycloak resource server, the API
refuses access tokens of a session that was logged out: a client that keeps using a
token after its own logout has a bug this emulator should reveal.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from openpse.sandbox.hacienda.config import REALMS, HaciendaSandboxConfig

ISSUER_BASE = "https://idp.comprobanteselectronicos.go.cr/auth/realms/"
TOKEN_PATH = "/auth/realms/{realm}/protocol/openid-connect/token"  # noqa: S105 (a URL path)
LOGOUT_PATH = "/auth/realms/{realm}/protocol/openid-connect/logout"

_INVALID_CLIENT = "Invalid client or Invalid client credentials"


@dataclass(frozen=True)
class Principal:
    """Who an access token speaks for."""

    username: str
    cedula: str
    realm: str
    session_id: str


@dataclass(frozen=True)
class IdpAnswer:
    """An answer of the IDP, and how it counts for the quotas (``ok``, ``auth``, ``error``)."""

    status: int
    payload: dict[str, Any] | None
    outcome: str


@dataclass
class _Session:
    username: str
    cedula: str
    realm: str
    client_id: str
    started: float
    active: bool = True


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _error(status: int, error: str, description: str | None = None, outcome: str = "error") -> IdpAnswer:
    payload = {"error": error}
    if description is not None:
        payload["error_description"] = description
    return IdpAnswer(status, payload, outcome)


class IdpService:
    """The users, sessions and tokens of both realms. Thread-safe."""

    def __init__(self, config: HaciendaSandboxConfig, clock: Callable[[], float]) -> None:
        self._config = config
        self._clock = clock
        self._key = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._sessions: dict[str, _Session] = {}
        self._grants: Counter[str] = Counter()

    # -- tokens -------------------------------------------------------------------------

    def _sign(self, claims: dict[str, Any]) -> str:
        header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        body = _b64url(json.dumps(claims, separators=(",", ":")).encode())
        mac = hmac.new(self._key, f"{header}.{body}".encode("ascii"), hashlib.sha256).digest()
        return f"{header}.{body}.{_b64url(mac)}"

    def _claims(self, token: str) -> dict[str, Any] | None:
        """The claims of a token this IDP signed, whatever its expiry; None otherwise."""
        parts = token.split(".")
        if len(parts) != 3:
            return None
        header, body, mac = parts
        expected = hmac.new(self._key, f"{header}.{body}".encode("ascii"), hashlib.sha256).digest()
        try:
            if not hmac.compare_digest(_unb64url(mac), expected):
                return None
            claims = json.loads(_unb64url(body))
        except (binascii.Error, ValueError):
            return None
        return claims if isinstance(claims, dict) else None

    def _issue(self, session_id: str, session: _Session) -> dict[str, Any]:
        now = self._clock()
        issuer = ISSUER_BASE + session.realm
        common = {
            "iat": int(now),
            "iss": issuer,
            "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, issuer + "/" + session.username)),
            "azp": session.client_id,
            "session_state": session_id,
            "sid": session_id,
        }
        session_end = session.started + self._config.session_max_s
        access_ttl = self._config.access_token_ttl
        refresh_ttl = max(0.0, min(self._config.refresh_token_ttl, session_end - now))
        access = self._sign(
            {
                **common,
                "exp": now + access_ttl,
                "jti": str(uuid.uuid4()),
                "aud": "account",
                "typ": "Bearer",
                "preferred_username": session.username,
                "scope": "profile email",
            }
        )
        refresh = self._sign(
            {**common, "exp": now + refresh_ttl, "jti": str(uuid.uuid4()), "aud": issuer, "typ": "Refresh"}
        )
        return {
            "access_token": access,
            "expires_in": int(access_ttl),
            "refresh_expires_in": int(refresh_ttl),
            "refresh_token": refresh,
            "token_type": "bearer",
            "not-before-policy": 0,
            "session_state": session_id,
            "scope": "profile email",
        }

    def _live_session(self, claims: dict[str, Any]) -> tuple[str, _Session] | None:
        session_id = claims.get("session_state")
        session = self._sessions.get(session_id) if isinstance(session_id, str) else None
        if session is None or not session.active:
            return None
        if self._clock() >= session.started + self._config.session_max_s:
            session.active = False
            return None
        return str(session_id), session

    # -- endpoints ----------------------------------------------------------------------

    def cedula_for(self, realm: str, form: Mapping[str, str]) -> str | None:
        """The contribuyente a token or logout call is about, to count it in their quotas."""
        user = self._config.users.get(form.get("username", ""))
        if user is not None and user.realm == realm:
            return user.cedula
        claims = self._claims(form.get("refresh_token", ""))
        if claims is not None:
            with self._lock:
                session = self._sessions.get(str(claims.get("session_state")))
            return session.cedula if session is not None else None
        return None

    def _check_client(self, realm: str, form: Mapping[str, str]) -> IdpAnswer | None:
        if realm not in REALMS:
            return _error(404, "Realm does not exist")
        if form.get("client_id") != REALMS[realm]:
            return _error(401, "invalid_client", _INVALID_CLIENT, outcome="auth")
        return None

    def token(self, realm: str, form: Mapping[str, str]) -> IdpAnswer:
        """``POST …/openid-connect/token``: password or refresh_token grant."""
        refused = self._check_client(realm, form)
        if refused is not None:
            return refused
        grant = form.get("grant_type")
        if not grant:
            return _error(400, "invalid_request", "Missing form parameter: grant_type")
        if grant == "password":
            return self._password_grant(realm, form)
        if grant == "refresh_token":
            return self._refresh_grant(realm, form)
        return _error(400, "unsupported_grant_type", "Unsupported grant_type")

    def _password_grant(self, realm: str, form: Mapping[str, str]) -> IdpAnswer:
        username = form.get("username", "")
        user = self._config.users.get(username)
        password = form.get("password", "")
        if (
            user is None
            or user.realm != realm
            or not hmac.compare_digest(password.encode("utf-8"), user.password.encode("utf-8"))
        ):
            with self._lock:
                self._grants["password_failed"] += 1
            return _error(401, "invalid_grant", "Invalid user credentials", outcome="auth")
        session = _Session(username, user.cedula, realm, REALMS[realm], self._clock())
        session_id = str(uuid.uuid4())
        with self._lock:
            self._sessions[session_id] = session
            self._grants["password"] += 1
            payload = self._issue(session_id, session)
        return IdpAnswer(200, payload, "ok")

    def _refresh_grant(self, realm: str, form: Mapping[str, str]) -> IdpAnswer:
        token = form.get("refresh_token")
        if not token:
            return _error(400, "invalid_request", "Missing parameter: refresh_token")
        claims = self._claims(token)
        if claims is None or claims.get("typ") != "Refresh" or claims.get("iss") != ISSUER_BASE + realm:
            return _error(400, "invalid_grant", "Invalid refresh token")
        if claims.get("azp") != REALMS[realm]:
            return _error(
                400, "invalid_grant", "Invalid refresh token. Token client and authorized client don't match"
            )
        with self._lock:
            if float(claims.get("exp", 0)) <= self._clock():
                self._grants["refresh_failed"] += 1
                return _error(400, "invalid_grant", "Token is not active")
            live = self._live_session(claims)
            if live is None:
                self._grants["refresh_failed"] += 1
                return _error(400, "invalid_grant", "Session not active")
            self._grants["refresh_token"] += 1
            payload = self._issue(*live)
        return IdpAnswer(200, payload, "ok")

    def logout(self, realm: str, form: Mapping[str, str]) -> IdpAnswer:
        """``POST …/openid-connect/logout``: end the session of a refresh token (204)."""
        refused = self._check_client(realm, form)
        if refused is not None:
            return refused
        token = form.get("refresh_token")
        if not token:
            return _error(400, "invalid_request", "No refresh token")
        claims = self._claims(token)
        if claims is None or claims.get("typ") != "Refresh" or claims.get("iss") != ISSUER_BASE + realm:
            return _error(400, "invalid_grant", "Invalid refresh token")
        with self._lock:
            if float(claims.get("exp", 0)) <= self._clock():
                return _error(400, "invalid_grant", "Token is not active")
            live = self._live_session(claims)
            if live is None:
                return _error(400, "invalid_grant", "Session not active")
            live[1].active = False
            self._grants["logout"] += 1
        return IdpAnswer(204, None, "ok")

    # -- what the API asks --------------------------------------------------------------

    def authorize(self, authorization: str | None) -> Principal | None:
        """The principal of ``Authorization: bearer <access token>``, or None (401)."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        claims = self._claims(token.strip())
        if claims is None or claims.get("typ") != "Bearer":
            return None
        with self._lock:
            if float(claims.get("exp", 0)) <= self._clock():
                return None
            live = self._live_session(claims)
        if live is None:
            return None
        session_id, session = live
        return Principal(session.username, session.cedula, session.realm, session_id)

    def token_owner(self, authorization: str | None) -> str | None:
        """The cédula named by a bearer token this IDP signed, valid or not (for quotas)."""
        _, _, token = (authorization or "").strip().partition(" ")
        claims = self._claims(token.strip())
        if claims is None:
            return None
        with self._lock:
            session = self._sessions.get(str(claims.get("session_state")))
        return session.cedula if session is not None else None

    def end_all_sessions(self) -> None:
        """End every session, as an administrator would: every token stops working."""
        with self._lock:
            for session in self._sessions.values():
                session.active = False

    def grants(self) -> dict[str, int]:
        """How many grants of each kind succeeded or failed (``password``, ``refresh_token``,
        ``logout``, ``password_failed``, ``refresh_failed``)."""
        with self._lock:
            return dict(self._grants)

    def active_sessions(self) -> int:
        with self._lock:
            return sum(1 for session in self._sessions.values() if session.active)
