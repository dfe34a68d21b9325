"""Client of Hacienda's API de Recepción: send a comprobante, ask for its status.

Contract from ``hacienda_cr.md`` §2: ``POST {base}/recepcion`` with a JSON body (``clave``,
``fecha``, ``emisor``, ``receptor``, ``callbackUrl``, ``consecutivoReceptor``,
``comprobanteXml`` in base64) and ``Authorization: bearer``; ``GET {base}/recepcion/{clave}``
(``{clave}-{consecutivoReceptor}`` for a MensajeReceptor) answering ``ind-estado`` and,
once final, ``respuesta-xml`` (the MensajeHacienda, §3.6).

What each answer means for the caller (ARCHITECTURE.md, principle 3):

- any 2xx: :class:`Received` (clients see 202, the transcribed OpenAPI says 201);
- 400 "… ya fue recibido …": :class:`Received` with ``duplicate`` — Hacienda has it, poll;
- other 400s: :class:`RejectedAtReception` with ``X-Error-Cause`` verbatim — nothing was
  registered, the document must be corrected (under a new clave if its content changes);
- 401: the token is renewed once and the call repeated; a second 401, or a 403, is
  :class:`AuthorizationFailed`;
- 429: :class:`RetryAfter` with the seconds ``Retry-After`` or ``X-Ratelimit-Reset`` give;
- 499, 5xx, timeouts, resets: :class:`UnknownOutcome` — the document may be registered;
  ask with :meth:`HaciendaClient.consultar`, never resend under a new clave;
- no connection at all, or no token: :class:`NotSent` — nothing reached Hacienda.

:meth:`HaciendaClient.consultar` answers :class:`Status` (with the MensajeHacienda read
safely through :mod:`openpse.core.xmlsafe`, by local names because Hacienda's answers
sometimes carry a prefix), :class:`NeverArrived` for 404 (and 400, which some
integrations see for unknown claves; right after a POST Hacienda may not have indexed
the clave yet, so give it a short while before concluding), :class:`RetryAfter`,
:class:`QueryFailed` or :class:`AuthorizationFailed`.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any
from urllib.parse import quote

import httpx2
from lxml import etree

from openpse.authorities.hacienda.idp import (
    HaciendaAccount,
    HaciendaEnvironment,
    IdpError,
    IdpRateLimited,
    IdpRejected,
    IdpSession,
    IdpSessions,
    retry_after_seconds,
)
from openpse.core import xmlsafe

ALREADY_RECEIVED = "ya fue recibido"
"""What ``X-Error-Cause`` says for a clave Hacienda already has ("…ya fue recibido
anteriormente.", §2.2); matched without regard to case."""


class IndEstado(StrEnum):
    """``ind-estado`` of ``GET /recepcion/{clave}`` (lower case in real answers, §2.3)."""

    RECIBIDO = "recibido"
    PROCESANDO = "procesando"
    ACEPTADO = "aceptado"
    RECHAZADO = "rechazado"
    ERROR = "error"

    @property
    def final(self) -> bool:
        return self in (IndEstado.ACEPTADO, IndEstado.RECHAZADO, IndEstado.ERROR)


@dataclass(frozen=True)
class Identificacion:
    """``{tipoIdentificacion, numeroIdentificacion}`` of the JSON body.

    ``tipo``: 01 cédula física, 02 cédula jurídica, 03 DIMEX, 04 NITE, 05 extranjero no
    domiciliado, 06 no contribuyente.
    """

    tipo: str
    numero: str

    def to_json(self) -> dict[str, str]:
        return {"tipoIdentificacion": self.tipo, "numeroIdentificacion": self.numero}


@dataclass(frozen=True)
class Envio:
    """One comprobante to send, with the signed XML exactly as it was signed."""

    clave: str
    fecha: dt.datetime
    """``FechaEmision``; sent as ``yyyy-MM-dd'T'HH:mm:ss±hh:mm``."""
    emisor: Identificacion
    comprobante_xml: bytes
    receptor: Identificacion | None = None
    callback_url: str | None = None
    consecutivo_receptor: str | None = None
    """MensajeReceptor only: its own 20-digit consecutivo."""

    @property
    def key(self) -> str:
        """What ``GET /recepcion/{…}`` takes for this comprobante."""
        return consulta_key(self.clave, self.consecutivo_receptor)

    def to_json(self) -> dict[str, Any]:
        fecha = self.fecha if self.fecha.tzinfo is not None else self.fecha.replace(tzinfo=_COSTA_RICA)
        body: dict[str, Any] = {
            "clave": self.clave,
            "fecha": fecha.replace(microsecond=0).isoformat(),
            "emisor": self.emisor.to_json(),
        }
        if self.receptor is not None:
            body["receptor"] = self.receptor.to_json()
        if self.callback_url:
            body["callbackUrl"] = self.callback_url
        if self.consecutivo_receptor:
            body["consecutivoReceptor"] = self.consecutivo_receptor
        body["comprobanteXml"] = base64.b64encode(self.comprobante_xml).decode("ascii")
        return body


# Costa Rica: UTC-6 all year.
_COSTA_RICA = dt.timezone(dt.timedelta(hours=-6))


def consulta_key(clave: str, consecutivo_receptor: str | None = None) -> str:
    """``clave``, or ``clave-consecutivoReceptor`` for a MensajeReceptor (§2.3)."""
    return f"{clave}-{consecutivo_receptor}" if consecutivo_receptor else clave


# -- outcomes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    """Hacienda has the comprobante; its verdict comes later (poll or callback)."""

    clave: str
    status_code: int
    location: str | None = None
    duplicate: bool = False
    """Hacienda answered that it already had this clave."""
    message: str | None = None


@dataclass(frozen=True)
class RejectedAtReception:
    """Hacienda refused the request (400): nothing was registered."""

    clave: str
    status_code: int
    cause: str
    """``X-Error-Cause`` verbatim."""
    validation_exception: bool = False
    """``validation-exception: true``: the JSON body itself was wrong."""


@dataclass(frozen=True)
class RetryAfter:
    """Quota exhausted (429): nothing was done; try again after ``seconds``."""

    clave: str
    seconds: float
    detail: str


@dataclass(frozen=True)
class UnknownOutcome:
    """No answer that says whether Hacienda registered the comprobante: ask, do not resend."""

    clave: str
    detail: str
    status_code: int | None = None


@dataclass(frozen=True)
class NotSent:
    """Nothing reached the API de Recepción (no connection, or the IDP gave no token)."""

    clave: str
    detail: str


@dataclass(frozen=True)
class AuthorizationFailed:
    """The credentials are refused (IDP) or the token is not accepted (401 twice, 403)."""

    clave: str
    detail: str
    status_code: int | None = None


SendOutcome = Received | RejectedAtReception | RetryAfter | UnknownOutcome | NotSent | AuthorizationFailed


@dataclass(frozen=True)
class MensajeHacienda:
    """Hacienda's signed verdict (``respuesta-xml``), read from its XML (§3.6)."""

    clave: str
    nombre_emisor: str
    tipo_identificacion_emisor: str
    numero_cedula_emisor: str
    nombre_receptor: str | None
    tipo_identificacion_receptor: str | None
    numero_cedula_receptor: str | None
    mensaje: str
    """``1`` aceptado, ``3`` rechazado."""
    estado_mensaje: str | None
    """``Aceptado`` / ``Rechazado`` (v4.4 only)."""
    detalle_mensaje: str
    monto_total_impuesto: Decimal | None
    total_factura: Decimal | None
    xml: bytes

    @property
    def aceptado(self) -> bool:
        return self.mensaje == "1"


class MensajeHaciendaInvalido(ValueError):
    """The ``respuesta-xml`` is not a readable MensajeHacienda."""


@dataclass(frozen=True)
class Status:
    """What ``GET /recepcion/{clave}`` (or a callback) says."""

    clave: str
    ind_estado: IndEstado
    fecha: str | None
    respuesta_xml: bytes | None
    mensaje: MensajeHacienda | None
    respuesta_error: str | None = None
    """Why ``respuesta-xml`` could not be read, when it was there but unreadable."""

    @property
    def final(self) -> bool:
        return self.ind_estado.final


@dataclass(frozen=True)
class NeverArrived:
    """Hacienda does not know the clave (404, or 400 as some integrations see)."""

    clave: str
    status_code: int
    cause: str


@dataclass(frozen=True)
class QueryFailed:
    """The status could not be learnt now (network, 5xx, no token, unreadable answer)."""

    clave: str
    detail: str
    status_code: int | None = None


QueryOutcome = Status | NeverArrived | RetryAfter | QueryFailed | AuthorizationFailed


# -- reading answers ------------------------------------------------------------------------


def _decimal(text: str | None) -> Decimal | None:
    if text is None or not text.strip():
        return None
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def parse_mensaje_hacienda(xml: bytes) -> MensajeHacienda:
    """Read a MensajeHacienda (v4.3 or v4.4, any prefix); raise :class:`MensajeHaciendaInvalido`."""
    try:
        root = xmlsafe.parse(xml)
    except (xmlsafe.UnsafeXml, etree.XMLSyntaxError) as exc:
        raise MensajeHaciendaInvalido(f"respuesta-xml no es XML legible: {exc}") from exc
    if etree.QName(root).localname != "MensajeHacienda":
        raise MensajeHaciendaInvalido(
            f"respuesta-xml no es un MensajeHacienda: {etree.QName(root).localname}"
        )
    fields: dict[str, str] = {}
    for child in root:
        if isinstance(child.tag, str):
            fields.setdefault(etree.QName(child).localname, (child.text or "").strip())
    if not fields.get("Clave") or fields.get("Mensaje") not in ("1", "2", "3"):
        raise MensajeHaciendaInvalido("respuesta-xml no tiene Clave y Mensaje")
    return MensajeHacienda(
        clave=fields["Clave"],
        nombre_emisor=fields.get("NombreEmisor", ""),
        tipo_identificacion_emisor=fields.get("TipoIdentificacionEmisor", ""),
        numero_cedula_emisor=fields.get("NumeroCedulaEmisor", ""),
        nombre_receptor=fields.get("NombreReceptor"),
        tipo_identificacion_receptor=fields.get("TipoIdentificacionReceptor"),
        numero_cedula_receptor=fields.get("NumeroCedulaReceptor"),
        mensaje=fields["Mensaje"],
        estado_mensaje=fields.get("EstadoMensaje"),
        detalle_mensaje=fields.get("DetalleMensaje", ""),
        monto_total_impuesto=_decimal(fields.get("MontoTotalImpuesto")),
        total_factura=_decimal(fields.get("TotalFactura")),
        xml=xml,
    )


class EstadoDesconocido(ValueError):
    """The status JSON is not what Hacienda answers."""


def parse_status(payload: Mapping[str, Any], clave: str | None = None) -> Status:
    """Read the JSON of ``GET /recepcion/{clave}``, which is also what a callback POSTs (§2.4).

    Raises :class:`EstadoDesconocido` when ``ind-estado`` is missing or unknown.
    """
    raw_state = payload.get("ind-estado", payload.get("ind_estado"))
    try:
        state = IndEstado(str(raw_state).strip().lower())
    except ValueError as exc:
        raise EstadoDesconocido(f"ind-estado desconocido: {raw_state!r}") from exc
    key = payload.get("clave")
    fecha = payload.get("fecha")
    encoded = payload.get("respuesta-xml", payload.get("respuesta_xml"))
    respuesta: bytes | None = None
    mensaje: MensajeHacienda | None = None
    problem: str | None = None
    if isinstance(encoded, str) and encoded.strip():
        try:
            respuesta = base64.b64decode(encoded, validate=False)
            mensaje = parse_mensaje_hacienda(respuesta)
        except (binascii.Error, ValueError) as exc:
            problem = str(exc)
    return Status(
        clave=key if isinstance(key, str) and key else (clave or ""),
        ind_estado=state,
        fecha=fecha if isinstance(fecha, str) else None,
        respuesta_xml=respuesta,
        mensaje=mensaje,
        respuesta_error=problem,
    )


def _cause(response: httpx2.Response) -> str:
    cause = response.headers.get("x-error-cause")
    if cause:
        return cause
    text = response.text.strip()
    return text[:500] if text else f"HTTP {response.status_code} sin X-Error-Cause"


_NOT_SENT = (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout, httpx2.UnsupportedProtocol)


class _Unsent(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class _Unanswered(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class HaciendaClient:
    """One environment of Hacienda, for every company. Thread-safe."""

    def __init__(
        self,
        http: httpx2.Client,
        environment: HaciendaEnvironment,
        *,
        clock: Callable[[], float] = time.time,
        refresh_margin_s: float = 30.0,
    ) -> None:
        self.environment = environment
        self._http = http
        self._clock = clock
        self.sessions = IdpSessions(http, environment, clock=clock, refresh_margin_s=refresh_margin_s)

    def session(self, account: HaciendaAccount) -> IdpSession:
        return self.sessions.get(account)

    def logout(self, company_id: str) -> bool:
        """End the company's IDP session (True when the IDP confirmed or there was none)."""
        return self.sessions.logout(company_id)

    def _call(self, session: IdpSession, send: Callable[[str], httpx2.Response]) -> httpx2.Response:
        """``send`` with a token, renewed once if the API answers 401.

        Raises :class:`IdpError`, ``_Unsent`` or ``_Unanswered``.
        """
        token = session.access_token()
        response = self._exchange(send, token)
        if response.status_code == 401:
            response = self._exchange(send, session.renew_after_rejection(token))
        return response

    @staticmethod
    def _exchange(send: Callable[[str], httpx2.Response], token: str) -> httpx2.Response:
        try:
            return send(token)
        except _NOT_SENT as exc:
            raise _Unsent(f"no se pudo conectar con Hacienda: {type(exc).__name__}") from exc
        except httpx2.TimeoutException as exc:
            raise _Unanswered(f"Hacienda no respondió a tiempo: {type(exc).__name__}") from exc
        except httpx2.HTTPError as exc:
            raise _Unanswered(f"la conexión con Hacienda se cortó: {type(exc).__name__}") from exc

    def enviar(self, account: HaciendaAccount, envio: Envio) -> SendOutcome:
        """``POST /recepcion``; never raises for anything Hacienda or the network does."""
        url = f"{self.environment.recepcion_base.rstrip('/')}/recepcion"
        body = envio.to_json()

        def send(token: str) -> httpx2.Response:
            return self._http.post(url, json=body, headers={"Authorization": f"bearer {token}"})

        clave = envio.clave
        try:
            response = self._call(self.session(account), send)
        except IdpRateLimited as exc:
            return RetryAfter(clave, exc.retry_after_s, exc.message)
        except IdpRejected as exc:
            return AuthorizationFailed(clave, exc.message, exc.status_code)
        except IdpError as exc:
            return NotSent(clave, exc.message)
        except _Unsent as exc:
            return NotSent(clave, exc.detail)
        except _Unanswered as exc:
            return UnknownOutcome(clave, exc.detail)
        status = response.status_code
        if 200 <= status < 300:
            return Received(clave, status, response.headers.get("location"))
        if status == 400:
            cause = _cause(response)
            if ALREADY_RECEIVED in cause.lower():
                return Received(clave, status, None, duplicate=True, message=cause)
            validation = response.headers.get("validation-exception", "").strip().lower() == "true"
            return RejectedAtReception(clave, status, cause, validation)
        if status in (401, 403):
            return AuthorizationFailed(clave, f"Hacienda no aceptó el token: {_cause(response)}", status)
        if status == 429:
            return RetryAfter(clave, retry_after_seconds(response.headers, self._clock()), _cause(response))
        if status in (408, 499) or status >= 500:
            return UnknownOutcome(clave, f"HTTP {status}: {_cause(response)}", status)
        return RejectedAtReception(clave, status, _cause(response))

    def consultar(
        self, account: HaciendaAccount, clave: str, consecutivo_receptor: str | None = None
    ) -> QueryOutcome:
        """``GET /recepcion/{clave}``; never raises for anything Hacienda or the network does."""
        key = consulta_key(clave, consecutivo_receptor)
        url = f"{self.environment.recepcion_base.rstrip('/')}/recepcion/{quote(key, safe='-')}"

        def send(token: str) -> httpx2.Response:
            return self._http.get(url, headers={"Authorization": f"bearer {token}"})

        try:
            response = self._call(self.session(account), send)
        except IdpRateLimited as exc:
            return RetryAfter(key, exc.retry_after_s, exc.message)
        except IdpRejected as exc:
            return AuthorizationFailed(key, exc.message, exc.status_code)
        except IdpError as exc:
            return QueryFailed(key, exc.message)
        except (_Unsent, _Unanswered) as exc:
            return QueryFailed(key, exc.detail)
        status = response.status_code
        if status == 200:
            try:
                payload = response.json()
            except ValueError:
                return QueryFailed(key, "Hacienda respondió 200 sin un JSON legible", status)
            if not isinstance(payload, dict):
                return QueryFailed(key, "Hacienda respondió 200 sin un objeto JSON", status)
            try:
                return parse_status(payload, key)
            except EstadoDesconocido as exc:
                return QueryFailed(key, str(exc), status)
        if status in (400, 404):
            return NeverArrived(key, status, _cause(response))
        if status in (401, 403):
            return AuthorizationFailed(key, f"Hacienda no aceptó el token: {_cause(response)}", status)
        if status == 429:
            return RetryAfter(key, retry_after_seconds(response.headers, self._clock()), _cause(response))
        return QueryFailed(key, f"HTTP {status}: {_cause(response)}", status)
