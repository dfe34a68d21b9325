"""Sessions with Hacienda's IDP (Keycloak, OpenID Connect resource-owner password flow).

Contract from ``hacienda_cr.md`` §1: realm ``rut-stag`` with client ``api-stag`` for the
sandbox, realm ``rut`` with ``api-prod`` for production; ``client_secret`` sent empty;
``grant_type=password`` with the ATV/TRIBU-CR user and password, ``grant_type=
refresh_token`` to renew; logout with ``client_id`` and ``refresh_token``. Hacienda
publishes no token lifetimes, so the session trusts ``expires_in`` and
``refresh_expires_in`` and renews ahead of them; when a refresh is refused it falls back
to a password grant, as production integrations do (§1, josiasmc ``Token.php``).

One :class:`IdpSession` per company and environment (:class:`IdpSessions` keeps them):
concurrent callers share its tokens, and when they expire exactly one caller renews
them while the others wait for the result, so a burst of sends never turns into a
burst of grants (the IDP allows about ten per minute, §2.6).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx2

IDP_ROOT = "https://idp.comprobanteselectronicos.go.cr/auth/realms/"


@dataclass(frozen=True)
class HaciendaEnvironment:
    """Where one Hacienda environment lives: its IDP realm and client, and its API base."""

    name: str
    idp_base: str
    """``…/auth/realms/{realm}/protocol/openid-connect`` (token and logout live below)."""
    client_id: str
    recepcion_base: str
    """``…/recepcion/v1`` (``/recepcion`` and ``/recepcion/{clave}`` live below)."""

    @property
    def token_url(self) -> str:
        return f"{self.idp_base.rstrip('/')}/token"

    @property
    def logout_url(self) -> str:
        return f"{self.idp_base.rstrip('/')}/logout"

    @classmethod
    def staging(cls) -> HaciendaEnvironment:
        """Hacienda's sandbox: realm ``rut-stag`` and ``api-sandbox`` (§1, §2.1)."""
        return cls(
            "staging",
            f"{IDP_ROOT}rut-stag/protocol/openid-connect",
            "api-stag",
            "https://api-sandbox.comprobanteselectronicos.go.cr/recepcion/v1",
        )

    @classmethod
    def production(cls) -> HaciendaEnvironment:
        return cls(
            "production",
            f"{IDP_ROOT}rut/protocol/openid-connect",
            "api-prod",
            "https://api.comprobanteselectronicos.go.cr/recepcion/v1",
        )

    @classmethod
    def emulator(cls, base_url: str, *, realm: str = "rut-stag", legacy: bool = False) -> HaciendaEnvironment:
        """OpenPSE's emulator (``openpse.sandbox.hacienda``) on ``base_url``, which serves both hosts.

        ``legacy`` uses the old sandbox base ``/recepcion-sandbox/v1``.
        """
        base = base_url.rstrip("/")
        return cls(
            f"emulator:{realm}",
            f"{base}/auth/realms/{realm}/protocol/openid-connect",
            "api-prod" if realm == "rut" else "api-stag",
            f"{base}/recepcion-sandbox/v1" if legacy else f"{base}/recepcion/v1",
        )


@dataclass(frozen=True)
class HaciendaAccount:
    """A company's Hacienda user: never logged, never shown."""

    company_id: str
    """Whose account this is (the cache key of its session)."""
    username: str
    password: str = field(repr=False)


class IdpError(Exception):
    """The IDP gave no usable token. Nothing was sent to the API de Recepción."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


class IdpRejected(IdpError):
    """The IDP refused the credentials or the client (400/401 ``invalid_grant`` or
    ``invalid_client``, 403 for a blocked user): retrying will not help."""

    def __init__(self, message: str, status_code: int | None, error: str | None) -> None:
        super().__init__(message, status_code)
        self.error = error


class IdpUnavailable(IdpError):
    """The IDP could not be reached or answered something unusable (network, 5xx)."""


class IdpRateLimited(IdpError):
    """The IDP answered 429; ask again after ``retry_after_s`` seconds."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message, 429)
        self.retry_after_s = retry_after_s


def retry_after_seconds(headers: Mapping[str, str], now: float, default: float = 60.0) -> float:
    """Seconds to wait after a 429: ``Retry-After`` (seconds or an HTTP date) when the
    server sends it, else ``X-Ratelimit-Reset`` (UTC epoch seconds, §2.2), else ``default``."""
    retry_after = (headers.get("retry-after") or "").strip()
    if retry_after:
        if retry_after.isdigit():
            return float(retry_after)
        try:
            moment = email.utils.parsedate_to_datetime(retry_after)
        except (TypeError, ValueError):
            moment = None
        if moment is not None:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.UTC)
            return max(0.0, moment.timestamp() - now)
    reset = (headers.get("x-ratelimit-reset") or "").strip()
    try:
        reset_at = float(reset)
    except ValueError:
        return default
    if not math.isfinite(reset_at):
        return default
    return max(0.0, reset_at - now)


@dataclass(frozen=True)
class _Tokens:
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    renew_at: float
    """When to stop using the access token (``expires_in`` minus a margin)."""
    refresh_until: float
    """Last moment the refresh token is worth trying."""


def _margin(lifetime: float, wanted: float) -> float:
    # Renew ahead of expiry, but never spend more than a fifth of a short lifetime.
    return min(wanted, lifetime / 5)


def _form_error(response: httpx2.Response) -> tuple[str | None, str]:
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        error = payload.get("error")
        description = payload.get("error_description")
        return (
            error if isinstance(error, str) else None,
            description if isinstance(description, str) else str(error or ""),
        )
    return None, response.text[:200]


class IdpSession:
    """The tokens of one company in one environment. Thread-safe."""

    def __init__(
        self,
        http: httpx2.Client,
        environment: HaciendaEnvironment,
        account: HaciendaAccount,
        *,
        clock: Callable[[], float] = time.time,
        refresh_margin_s: float = 30.0,
    ) -> None:
        self.environment = environment
        self.account = account
        self._http = http
        self._clock = clock
        self._margin_s = refresh_margin_s
        self._lock = threading.Lock()
        self._tokens: _Tokens | None = None

    def access_token(self) -> str:
        """A token that is valid now, obtained or renewed when needed. Raises :class:`IdpError`."""
        with self._lock:
            tokens = self._tokens
            if tokens is not None and self._clock() < tokens.renew_at:
                return tokens.access_token
            return self._renew()

    def renew_after_rejection(self, rejected_token: str) -> str:
        """A new token after the API answered 401 to ``rejected_token``.

        If another caller already replaced that token, its replacement is returned
        without asking the IDP again.
        """
        with self._lock:
            tokens = self._tokens
            if (
                tokens is not None
                and tokens.access_token != rejected_token
                and self._clock() < tokens.renew_at
            ):
                return tokens.access_token
            if tokens is not None:
                # The API no longer takes this session's access token; the refresh token
                # may still be good (a rotated key, a revoked access token).
                self._tokens = _Tokens(tokens.access_token, tokens.refresh_token, 0.0, tokens.refresh_until)
            return self._renew()

    def _renew(self) -> str:
        tokens = self._tokens
        if tokens is not None and tokens.refresh_token and self._clock() < tokens.refresh_until:
            try:
                self._tokens = self._grant(
                    {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token}
                )
                return self._tokens.access_token
            except IdpRejected:
                # "Token is not active" / "Session not active": start a new session.
                self._tokens = None
        self._tokens = self._grant(
            {"grant_type": "password", "username": self.account.username, "password": self.account.password}
        )
        return self._tokens.access_token

    def _grant(self, form: dict[str, str]) -> _Tokens:
        started = self._clock()
        data = {"client_id": self.environment.client_id, "client_secret": "", **form}
        try:
            response = self._http.post(self.environment.token_url, data=data)
        except httpx2.HTTPError as exc:
            raise IdpUnavailable(f"el IDP de Hacienda no respondió: {type(exc).__name__}") from exc
        status = response.status_code
        if status == 200:
            return self._tokens_from(response, started)
        if status == 429:
            raise IdpRateLimited(
                "el IDP de Hacienda limitó las solicitudes",
                retry_after_seconds(response.headers, self._clock()),
            )
        error, description = _form_error(response)
        # Keycloak: 401 for bad credentials or client, 400 invalid_grant for a dead refresh
        # token; 403 for a blocked user (josiasmc PR #11, hacienda_cr.md §1).
        if status in (401, 403) or (status == 400 and error is not None):
            raise IdpRejected(f"el IDP de Hacienda rechazó la solicitud: {description}", status, error)
        raise IdpUnavailable(f"el IDP de Hacienda respondió HTTP {status}: {description}", status)

    def _tokens_from(self, response: httpx2.Response, started: float) -> _Tokens:
        try:
            payload: Any = response.json()
            access = payload["access_token"]
            expires_in = float(payload.get("expires_in", 0))
            refresh = payload.get("refresh_token")
            refresh_expires_in = float(payload.get("refresh_expires_in", 0) or 0)
        except (ValueError, KeyError, TypeError) as exc:
            raise IdpUnavailable("el IDP de Hacienda devolvió una respuesta sin token") from exc
        if not isinstance(access, str) or not access or not math.isfinite(expires_in) or expires_in <= 0:
            raise IdpUnavailable("el IDP de Hacienda devolvió un token inválido")
        if not isinstance(refresh, str) or not math.isfinite(refresh_expires_in) or refresh_expires_in <= 0:
            refresh, refresh_expires_in = None, 0.0
        # Lifetimes count from when the request left, so network time only shortens them.
        return _Tokens(
            access_token=access,
            refresh_token=refresh,
            renew_at=started + expires_in - _margin(expires_in, self._margin_s),
            refresh_until=started + refresh_expires_in - _margin(refresh_expires_in, self._margin_s),
        )

    def logout(self) -> bool:
        """End the session at the IDP and forget its tokens.

        The tokens are forgotten whatever happens; True when the IDP confirmed (204), or
        the session was already over there.
        """
        with self._lock:
            tokens, self._tokens = self._tokens, None
        if tokens is None or not tokens.refresh_token:
            return True
        try:
            response = self._http.post(
                self.environment.logout_url,
                data={
                    "client_id": self.environment.client_id,
                    "client_secret": "",
                    "refresh_token": tokens.refresh_token,
                },
            )
        except httpx2.HTTPError:
            return False
        if response.status_code in (200, 204):
            return True
        error, _ = _form_error(response)
        return response.status_code == 400 and error == "invalid_grant"


class IdpSessions:
    """One cached :class:`IdpSession` per company. Thread-safe."""

    def __init__(
        self,
        http: httpx2.Client,
        environment: HaciendaEnvironment,
        *,
        clock: Callable[[], float] = time.time,
        refresh_margin_s: float = 30.0,
    ) -> None:
        self._http = http
        self._environment = environment
        self._clock = clock
        self._margin_s = refresh_margin_s
        self._lock = threading.Lock()
        self._sessions: dict[str, IdpSession] = {}

    def get(self, account: HaciendaAccount) -> IdpSession:
        """The company's session; a new one when its user or password changed."""
        with self._lock:
            session = self._sessions.get(account.company_id)
            if session is None or session.account != account:
                session = IdpSession(
                    self._http, self._environment, account, clock=self._clock, refresh_margin_s=self._margin_s
                )
                self._sessions[account.company_id] = session
            return session

    def logout(self, company_id: str) -> bool:
        """Log the company's session out and forget it (True when there was none)."""
        with self._lock:
            session = self._sessions.pop(company_id, None)
        return session.logout() if session is not None else True

    def logout_all(self) -> None:
        with self._lock:
            sessions = list(self._sessions.values())
            self._sessions.clear()
        for session in sessions:
            session.logout()
