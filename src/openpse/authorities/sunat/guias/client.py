"""Client of SUNAT's GRE REST platform: OAuth2 token, send of a guía, status by ticket.

Contract from ``sunat.md`` §6 and ``greenter.md`` §3.5 (the OpenAPI ``thegreenter/gre-api``):

- ``POST {seguridad}/v1/clientessol/{client_id}/oauth2/token/``, form
  ``grant_type=password``, ``scope=https://api-cpe.sunat.gob.pe``, ``client_id``,
  ``client_secret``, ``username`` = RUC + usuario SOL, ``password`` = clave SOL →
  ``{access_token, token_type, expires_in}``; errors ``{error, error_description}``.
- ``POST {cpe}/v1/contribuyente/gem/comprobantes/{RUC-TT-SERIE-NUMERO}`` with
  ``{"archivo": {nomArchivo, arcGreZip, hashZip}}`` (the zip in base64 and the
  lowercase hex SHA-256 of the zip bytes) → ``{numTicket, fecRecepcion}``.
- ``GET {cpe}/v1/contribuyente/gem/comprobantes/envios/{numTicket}`` →
  ``{codRespuesta: 0|98|99, error: {numError, desError}, arcCdr, indCdrGenerado}``.
- Errors of the platform: ``{cod, msg, exc, errors: [...]}``; the items come as
  ``{cod, msg}`` (what greenter, Odoo and xhandler read) and, from some gateways, as
  ``{codError, desError}``: both are read.

Tokens are cached per company (client id and SOL user) and renewed before they expire
(greenter renews with 600 s left); when several threads find the token stale, one of
them asks for it and the others wait for its answer. A 401 from the platform (a token
revoked or expired earlier than announced) gets one new token and one retry.

What a failure means for the caller (ARCHITECTURE.md principle 3):

- :class:`GreUnknownOutcome`: a send whose answer was lost (timeout after the request
  left, connection reset, 5xx, empty or unreadable 200). SUNAT may hold the guía: do not
  build a new one, reconcile by sending the same bytes again (1033/1032 through the new
  ticket mean it was registered) or by asking the ticket if one is known.
- :class:`GreUnavailable`: nothing reached SUNAT or nothing changed there (connection
  refused, token or status query failed): retry later.
- :class:`GreApiError`: the platform refused the request itself (422 and other 4xx),
  with SUNAT's codes; the same request will be refused again.
- :class:`GreAuthError`: the credentials were refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx2

from openpse.authorities.sunat.cdr import Cdr, parse_cdr_zip
from openpse.authorities.sunat.naming import DocumentName

SCOPE = "https://api-cpe.sunat.gob.pe"
SEGURIDAD_PRODUCCION = "https://api-seguridad.sunat.gob.pe"
CPE_PRODUCCION = "https://api-cpe.sunat.gob.pe"
TOKEN_MARGIN_S = 600.0
"""Renew a token when this much of its life is left (greenter's margin)."""
EN_PROCESO, ACEPTADO, CON_ERROR = "98", "0", "99"


@dataclass(frozen=True)
class GreEndpoints:
    """Base URLs: SUNAT serves the token from api-seguridad and the rest from api-cpe."""

    seguridad: str = SEGURIDAD_PRODUCCION
    cpe: str = CPE_PRODUCCION

    @classmethod
    def single_host(cls, url: str) -> GreEndpoints:
        """One host serving both (the sandbox, or a GRE test platform)."""
        base = url.rstrip("/")
        return cls(seguridad=base, cpe=base)

    def token_url(self, client_id: str) -> str:
        return f"{self.seguridad.rstrip('/')}/v1/clientessol/{quote(client_id, safe='')}/oauth2/token/"

    def send_url(self, name: str) -> str:
        return f"{self.cpe.rstrip('/')}/v1/contribuyente/gem/comprobantes/{quote(name, safe='')}"

    def status_url(self, ticket: str) -> str:
        return f"{self.cpe.rstrip('/')}/v1/contribuyente/gem/comprobantes/envios/{quote(ticket, safe='')}"


@dataclass(frozen=True)
class GreCredentials:
    """A company's access to the GRE platform: SOL user and the API client generated in SOL."""

    ruc: str
    usuario_sol: str
    clave_sol: str = field(repr=False)
    client_id: str
    client_secret: str = field(repr=False)

    @property
    def username(self) -> str:
        # RUC and SOL user with no separator (20123456789MODDATOS), as in SOAP.
        return f"{self.ruc}{self.usuario_sol}"

    @property
    def cache_key(self) -> tuple[str, str]:
        return (self.client_id, self.username)


@dataclass(frozen=True)
class GreErrorItem:
    """One error of the platform: SUNAT's code and text."""

    cod: str
    msg: str


@dataclass(frozen=True)
class GreTicket:
    """The platform took the guía and will judge it; ask for the verdict with the ticket."""

    numero: str
    """``numTicket`` (a UUID)."""
    recepcion: str
    """``fecRecepcion`` as SUNAT wrote it (Lima time, ``2022-12-29T10:27:59``)."""
    nom_archivo: str
    hash_zip: str


@dataclass(frozen=True)
class GreStatus:
    """The answer for a ticket."""

    ticket: str
    cod_respuesta: str
    """``0`` accepted, ``98`` in process, ``99`` with error."""
    error: GreErrorItem | None = None
    """``numError``/``desError``, present with ``99``."""
    cdr_zip: bytes | None = None
    """``arcCdr`` decoded: the zip with SUNAT's constancia (also for many rejections)."""
    cdr_generado: bool = False
    """``indCdrGenerado == "1"``."""

    @property
    def en_proceso(self) -> bool:
        return self.cod_respuesta == EN_PROCESO

    @property
    def aceptado(self) -> bool:
        return self.cod_respuesta == ACEPTADO

    def cdr(self) -> Cdr | None:
        """The parsed CDR, when SUNAT generated one (raises ``CdrError`` if it is unreadable)."""
        return parse_cdr_zip(self.cdr_zip) if self.cdr_zip is not None else None


class GreError(Exception):
    """Base of the GRE client's errors."""


class GreAuthError(GreError):
    """The token endpoint refused the credentials, or the platform refused a fresh token."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"HTTP {status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description


class GreApiError(GreError):
    """The platform refused the request (``{cod, msg, exc, errors}``): sending it again will not help."""

    def __init__(
        self, status: int, cod: str, msg: str, exc: str | None, errors: tuple[GreErrorItem, ...]
    ) -> None:
        detail = "; ".join(f"{item.cod} {item.msg}" for item in errors)
        super().__init__(f"HTTP {status} {cod} {msg}" + (f" [{detail}]" if detail else ""))
        self.status = status
        self.cod = cod
        self.msg = msg
        self.exc = exc
        self.errors = errors


class GreUnavailable(GreError):
    """Nothing reached SUNAT or nothing changed there: the same call may be retried later."""


class GreUnknownOutcome(GreError):
    """A guía was sent and no answer came back: SUNAT may hold it. Reconcile, do not rebuild."""


@dataclass(frozen=True)
class _Token:
    value: str
    renew_at: float


def _json(response: httpx2.Response) -> Any:
    if not response.content.strip():
        return None
    try:
        return response.json()
    except ValueError:
        return None


def api_error(response: httpx2.Response) -> GreApiError:
    """Read an error answer of the platform, whichever item shape it uses."""
    payload = _json(response)
    if not isinstance(payload, dict):
        return GreApiError(response.status_code, str(response.status_code), response.text[:500], None, ())
    items: list[GreErrorItem] = []
    for item in payload.get("errors") or []:
        if isinstance(item, dict):
            cod = item.get("cod", item.get("codError", ""))
            msg = item.get("msg", item.get("desError", ""))
            items.append(GreErrorItem(str(cod), str(msg)))
    cod = payload.get("cod", payload.get("status", response.status_code))
    msg = payload.get("msg", payload.get("message", ""))
    exc = payload.get("exc")
    return GreApiError(
        response.status_code, str(cod), str(msg), None if exc is None else str(exc), tuple(items)
    )


class GreClient:
    """One client for every company; thread-safe (the HTTP client pools connections).

    ``clock`` (monotonic seconds) decides when a cached token is renewed; tests pass their
    own to make a token look fresh or stale.
    """

    def __init__(
        self,
        http: httpx2.Client,
        endpoints: GreEndpoints | None = None,
        *,
        token_margin: float = TOKEN_MARGIN_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._endpoints = endpoints or GreEndpoints()
        self._margin = token_margin
        self._clock = clock
        self._tokens: dict[tuple[str, str], _Token] = {}
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()

    # -- token ---------------------------------------------------------------------------

    def _cached(self, key: tuple[str, str]) -> str | None:
        with self._guard:
            token = self._tokens.get(key)
        return token.value if token is not None and self._clock() < token.renew_at else None

    def _lock_for(self, key: tuple[str, str]) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def token(self, credentials: GreCredentials) -> str:
        """A valid access token for the company, from the cache when it has one."""
        key = credentials.cache_key
        cached = self._cached(key)
        if cached is not None:
            return cached
        with self._lock_for(key):
            # Another thread may have renewed it while this one waited for the lock.
            cached = self._cached(key)
            if cached is not None:
                return cached
            token = self._request_token(credentials)
            with self._guard:
                self._tokens[key] = token
            return token.value

    def forget_token(self, credentials: GreCredentials, value: str | None = None) -> None:
        """Drop the cached token (only if it is still ``value``, when given)."""
        with self._guard:
            token = self._tokens.get(credentials.cache_key)
            if token is not None and (value is None or token.value == value):
                del self._tokens[credentials.cache_key]

    def _request_token(self, credentials: GreCredentials) -> _Token:
        started = self._clock()
        form = {
            "grant_type": "password",
            "scope": SCOPE,
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
            "username": credentials.username,
            "password": credentials.clave_sol,
        }
        try:
            response = self._http.post(self._endpoints.token_url(credentials.client_id), data=form)
        except httpx2.TransportError as exc:
            raise GreUnavailable(f"no se obtuvo el token de SUNAT: {type(exc).__name__}: {exc}") from exc
        payload = _json(response)
        if response.status_code in (400, 401, 403):
            error = payload.get("error", "") if isinstance(payload, dict) else ""
            description = payload.get("error_description", "") if isinstance(payload, dict) else ""
            raise GreAuthError(response.status_code, str(error), str(description or response.text[:300]))
        if response.status_code != 200:
            raise GreUnavailable(f"HTTP {response.status_code} del servicio de token de SUNAT")
        if not isinstance(payload, dict) or not payload.get("access_token"):
            # greenter: "Cliente No autorizado" when the answer carries no token.
            raise GreAuthError(200, "invalid_response", "la respuesta del token no trae access_token")
        try:
            lifetime = float(payload.get("expires_in", 3600))
        except (TypeError, ValueError):
            lifetime = 3600.0
        # Renew with `margin` left, but never spend more than a quarter of a short life on it.
        renew_at = started + lifetime - min(self._margin, lifetime / 4)
        return _Token(str(payload["access_token"]), renew_at)

    # -- authorised calls ----------------------------------------------------------------

    def _call(
        self,
        credentials: GreCredentials,
        method: str,
        url: str,
        body: dict[str, Any] | None,
        lost: type[GreError],
    ) -> httpx2.Response:
        """An authorised request; a 401 gets one fresh token and one retry.

        ``lost`` is what a request that left and got no answer means (unknown outcome for
        a send, nothing changed for a query). A 401 is answered before anything is
        processed, so retrying it is safe even for a send.
        """
        token = self.token(credentials)
        response = self._once(method, url, body, token, lost)
        if response.status_code == 401:
            self.forget_token(credentials, token)
            token = self.token(credentials)
            response = self._once(method, url, body, token, lost)
            if response.status_code == 401:
                self.forget_token(credentials, token)
                raise GreAuthError(401, "invalid_token", "SUNAT rechazó también un token nuevo")
        return response

    def _once(
        self, method: str, url: str, body: dict[str, Any] | None, token: str, lost: type[GreError]
    ) -> httpx2.Response:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        try:
            return self._http.request(method, url, json=body, headers=headers)
        except (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout) as exc:
            # Refused before the request left: SUNAT saw nothing.
            raise GreUnavailable(f"sin conexión con SUNAT: {type(exc).__name__}: {exc}") from exc
        except httpx2.TransportError as exc:
            raise lost(f"sin respuesta de SUNAT: {type(exc).__name__}: {exc}") from exc

    def send(self, credentials: GreCredentials, name: str, zip_bytes: bytes) -> GreTicket:
        """Send the zip of a guía named ``RUC-TT-SERIE-NUMERO`` (with or without ``.zip``).

        The RUC of the name may differ from the credentials' one: a PSE's SOL user sends
        for the emisores linked to it (SUNAT answers 0154 for the others).
        """
        base = DocumentName.parse(name).base
        hash_zip = hashlib.sha256(zip_bytes).hexdigest()
        archivo = {
            "nomArchivo": f"{base}.zip",
            "arcGreZip": base64.b64encode(zip_bytes).decode("ascii"),
            "hashZip": hash_zip,
        }
        response = self._call(
            credentials, "POST", self._endpoints.send_url(base), {"archivo": archivo}, GreUnknownOutcome
        )
        if response.status_code >= 500:
            raise GreUnknownOutcome(f"HTTP {response.status_code} al enviar {base}: {response.text[:300]}")
        if response.status_code != 200:
            raise api_error(response)
        payload = _json(response)
        if not isinstance(payload, dict) or not payload.get("numTicket"):
            raise GreUnknownOutcome(f"SUNAT respondió al envío de {base} sin numTicket")
        return GreTicket(
            numero=str(payload["numTicket"]),
            recepcion=str(payload.get("fecRecepcion", "")),
            nom_archivo=archivo["nomArchivo"],
            hash_zip=hash_zip,
        )

    def status(self, credentials: GreCredentials, ticket: str) -> GreStatus:
        """Ask for the verdict of a ticket."""
        response = self._call(credentials, "GET", self._endpoints.status_url(ticket), None, GreUnavailable)
        if response.status_code >= 500:
            raise GreUnavailable(f"HTTP {response.status_code} al consultar el ticket {ticket}")
        if response.status_code != 200:
            raise api_error(response)
        payload = _json(response)
        if not isinstance(payload, dict) or "codRespuesta" not in payload:
            raise GreUnavailable(f"SUNAT respondió a la consulta del ticket {ticket} sin codRespuesta")
        error = payload.get("error")
        cdr_zip: bytes | None = None
        if payload.get("arcCdr"):
            try:
                # Strict base64, but tolerant of line breaks some gateways insert.
                cdr_zip = base64.b64decode("".join(str(payload["arcCdr"]).split()), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise GreUnavailable(f"arcCdr ilegible en el ticket {ticket}") from exc
        return GreStatus(
            ticket=ticket,
            cod_respuesta=str(payload["codRespuesta"]),
            error=GreErrorItem(str(error.get("numError", "")), str(error.get("desError", "")))
            if isinstance(error, dict)
            else None,
            cdr_zip=cdr_zip,
            cdr_generado=str(payload.get("indCdrGenerado", "")) == "1",
        )

    def wait(
        self,
        credentials: GreCredentials,
        ticket: str,
        *,
        attempts: int = 10,
        interval: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> GreStatus:
        """Ask until the ticket leaves "98, en proceso" or ``attempts`` run out; the last answer.

        The pause doubles from ``interval`` up to eight times it, so that a ticket SUNAT
        takes long to judge is not asked at the rate of a quick one.
        """
        delay = interval
        answer = self.status(credentials, ticket)
        for _ in range(attempts - 1):
            if not answer.en_proceso:
                break
            sleep(delay)
            delay = min(delay * 2, interval * 8)
            answer = self.status(credentials, ticket)
        return answer
