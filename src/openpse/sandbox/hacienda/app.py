"""The Hacienda emulator as one ASGI app: the IDP and the API de Recepción.

Paths (``hacienda_cr.md`` §1 and §2.1; one host serves what Hacienda serves from
``idp.comprobanteselectronicos.go.cr``, ``api-sandbox…`` and ``api…``):

- ``POST /auth/realms/{rut-stag|rut}/protocol/openid-connect/token`` and ``…/logout``;
- ``POST /recepcion/v1/recepcion`` and ``GET /recepcion/v1/recepcion/{clave}`` (the
  current sandbox base, the production path too);
- the same under ``/recepcion-sandbox/v1/`` (the legacy sandbox base).

Tokens of either realm are accepted on both bases, since on one host the current
sandbox base and production share a path. Every API answer carries ``X-Ratelimit-*``;
quotas are counted per cédula of the token's user (per client address when there is
no usable token). Every emulated call goes through
:class:`openpse.sandbox.faults.FaultMiddleware` (latency, timeouts, lost answers, 500,
empty 200, resets) and :class:`~openpse.sandbox.hacienda.gateway.StatusFaultMiddleware`
(499, 502, 503, 504). Paths are matched anywhere in the URL path, so the app works as
it is or mounted under a prefix.

Parsing, signature checks and MensajeHacienda signing run in a small pool of worker
threads, as in the SUNAT emulator (``openpse.sandbox.app``), so the event loop only moves
bytes.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from openpse.sandbox.config import FaultConfig
from openpse.sandbox.faults import CallKind, FaultMiddleware, FaultPlan
from openpse.sandbox.hacienda.config import HaciendaSandboxConfig, StatusFaults
from openpse.sandbox.hacienda.gateway import StatusFaultMiddleware, StatusFaultPlan
from openpse.sandbox.hacienda.idp import LOGOUT_PATH, TOKEN_PATH, IdpAnswer, IdpService
from openpse.sandbox.hacienda.mensaje import MensajeSigner
from openpse.sandbox.hacienda.processing import Processor
from openpse.sandbox.hacienda.quotas import QuotaBook, Refusal
from openpse.sandbox.hacienda.recepcion import Answer, ReceptionService
from openpse.sandbox.hacienda.schemas import SchemaSet
from openpse.sandbox.hacienda.store import CallbackDelivery, Record, RecordStore
from openpse.sandbox.hacienda.xades import load_certificates

RECEPCION_BASES = ("/recepcion/v1", "/recepcion-sandbox/v1")
_EMULATED = re.compile(
    r"/auth/realms/[^/]+/protocol/openid-connect/(token|logout)$|/recepcion(-sandbox)?/v1/recepcion(/[^/]*)?$"
)


class HaciendaSandboxState:
    """Everything one Hacienda emulator holds: users and sessions, register, keys, quotas."""

    def __init__(
        self, config: HaciendaSandboxConfig, faults: FaultConfig, clock: Callable[[], float] | None = None
    ) -> None:
        self.config = config
        self.clock = clock or time.time
        self.idp = IdpService(config, self.clock)
        self.quotas = QuotaBook(config.quotas, self.clock)
        self.store = RecordStore()
        self.schemas = SchemaSet(config.xsd_dir)
        self.trusted = load_certificates(config.trusted_certificates)
        self.signer = (
            MensajeSigner.from_directory(config.cert_dir) if config.cert_dir else MensajeSigner.generate()
        )
        self.executor = ThreadPoolExecutor(max_workers=config.threads, thread_name_prefix="openpse-hacienda")
        self.reception = ReceptionService(config, self.clock, self.store, self.schemas, self.trusted)
        self.processor = Processor(
            config, self.clock, self.store, self.schemas, self.trusted, self.signer, self.executor
        )
        self.faults = FaultPlan(faults)
        self.status_faults = StatusFaultPlan(config.status_faults)

    def record(self, key: str) -> Record | None:
        """A received comprobante by clave (``clave-consecutivoReceptor`` for a MensajeReceptor)."""
        return self.store.get(key)

    def records(self) -> list[Record]:
        return self.store.records()

    def callbacks(self) -> list[CallbackDelivery]:
        """Every callback POST made so far, delivered or not."""
        return self.store.callbacks()

    def fault_counts(self) -> dict[str, int]:
        """How many times each fault (network and gateway) was injected."""
        return {**self.faults.counts(), **self.status_faults.counts()}

    def reset(self) -> None:
        """Forget every received comprobante, callback and quota count (sessions stay)."""
        self.store.clear()
        self.quotas.clear()

    def set_faults(
        self, faults: FaultConfig | None = None, status_faults: StatusFaults | None = None
    ) -> None:
        """Change the injected faults of a running emulator (e.g. after clients logged in).

        The seeded draws go on from where they are; latency stays as configured.
        """
        if faults is not None:
            self.faults.config = faults
        if status_faults is not None:
            self.status_faults.faults = status_faults

    def release_held(self) -> None:
        """Let requests held by the ``timeout`` fault go (call it before stopping a server)."""
        self.faults.release_held()

    def close(self) -> None:
        """Stop the processor and the worker threads."""
        self.processor.close()
        self.executor.shutdown(wait=False, cancel_futures=True)

    @property
    def certificate_pem(self) -> bytes:
        """The certificate that signs the MensajeHacienda answers (PEM)."""
        return self.signer.certificate_pem


def classify(path: str, method: str) -> CallKind | None:
    """Which calls are emulated (and so get latency and faults)."""
    if method in ("GET", "POST") and _EMULATED.search(path):
        return "rest"
    return None


def _state(request: Request) -> HaciendaSandboxState:
    state: HaciendaSandboxState = request.app.state.hacienda
    return state


class _BodyTooLarge(Exception):
    pass


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _client_key(request: Request) -> str:
    return f"ip:{request.client.host}" if request.client else "ip:desconocida"


def _header_value(value: str) -> str:
    """A value HTTP/1.1 can carry: Latin-1, one line (``X-Error-Cause`` echoes client input)."""
    one_line = "".join(ch if ch >= " " or ch == "\t" else " " for ch in value).replace("\x7f", " ")
    return one_line.encode("latin-1", "replace").decode("latin-1")


def _too_many(refusal: Refusal, retry_after: bool) -> Response:
    """429 with the ``X-Ratelimit-*`` of the quota that refused the call."""
    headers = {
        "X-Ratelimit-Limit": str(refusal.quota.limit),
        "X-Ratelimit-Remaining": "0",
        "X-Ratelimit-Reset": str(math.ceil(refusal.reset_at)),
        "X-Error-Cause": (
            f"Se excedió el límite de {refusal.quota.limit} solicitudes "
            f"en {refusal.quota.window_s:g} segundos"
        ),
    }
    if retry_after:
        headers["Retry-After"] = str(max(1, math.ceil(refusal.retry_after_s)))
    return Response(status_code=429, headers={name: _header_value(value) for name, value in headers.items()})


def _idp_response(answer: IdpAnswer) -> Response:
    # RFC 6749 §5.1: token answers must not be cached.
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if answer.payload is None:
        return Response(status_code=answer.status, headers=headers)
    return JSONResponse(answer.payload, status_code=answer.status, headers=headers)


def _idp_endpoint(operation: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        state = _state(request)
        try:
            body = await _read_body(request, 64 * 1024)
        except _BodyTooLarge:
            return Response("Request Entity Too Large", status_code=413, media_type="text/plain")
        form: dict[str, str] = {}
        for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
            form.setdefault(name, value)
        realm: str = request.path_params["realm"]
        key = state.idp.cedula_for(realm, form) or _client_key(request)
        refusal = state.quotas.check(key, "idp")
        if refusal is not None:
            return _too_many(refusal, state.config.retry_after_header)
        answer = state.idp.token(realm, form) if operation == "token" else state.idp.logout(realm, form)
        state.quotas.record(key, "idp", answer.outcome)
        return _idp_response(answer)

    return endpoint


def _api_response(answer: Answer, headers: dict[str, str]) -> Response:
    merged = {name: _header_value(value) for name, value in {**answer.headers, **headers}.items()}
    if answer.body is None:
        return Response(status_code=answer.status, headers=merged)
    return JSONResponse(answer.body, status_code=answer.status, headers=merged)


async def _post_recepcion(request: Request) -> Response:
    state = _state(request)
    state.processor.ensure_started()
    authorization = request.headers.get("authorization")
    principal = state.idp.authorize(authorization)
    key = principal.cedula if principal else (state.idp.token_owner(authorization) or _client_key(request))
    refusal = state.quotas.check(key, "post")
    if refusal is not None:
        return _too_many(refusal, state.config.retry_after_header)
    if principal is None:
        answer = Answer(401, {"WWW-Authenticate": 'Bearer error="invalid_token"'})
    else:
        try:
            body = await _read_body(request, state.config.max_request_bytes)
        except _BodyTooLarge:
            answer = Answer(413, {"X-Error-Cause": "El cuerpo de la solicitud excede el tamaño máximo"})
        else:
            location = str(request.url.replace(query=""))
            answer = await asyncio.get_running_loop().run_in_executor(
                state.executor, state.reception.receive, principal, body, location
            )
    state.quotas.record(key, "post", answer.outcome)
    return _api_response(answer, state.quotas.headers(key, "post", answer.outcome))


async def _get_recepcion(request: Request) -> Response:
    state = _state(request)
    authorization = request.headers.get("authorization")
    principal = state.idp.authorize(authorization)
    key = principal.cedula if principal else (state.idp.token_owner(authorization) or _client_key(request))
    refusal = state.quotas.check(key, "get")
    if refusal is not None:
        return _too_many(refusal, state.config.retry_after_header)
    if principal is None:
        answer = Answer(401, {"WWW-Authenticate": 'Bearer error="invalid_token"'})
    else:
        answer = state.reception.status(request.path_params["clave"])
    state.quotas.record(key, "get", answer.outcome)
    return _api_response(answer, state.quotas.headers(key, "get", answer.outcome))


def create_hacienda_app(
    config: HaciendaSandboxConfig | None = None,
    faults: FaultConfig | None = None,
    *,
    clock: Callable[[], float] | None = None,
) -> Starlette:
    """Build a Hacienda emulator with its own, empty register.

    ``clock`` (epoch seconds, ``time.time`` by default) drives token expiry, quotas and
    processing delays, so tests can move time without waiting. The state is
    ``app.state.hacienda`` (:class:`HaciendaSandboxState`).
    """
    config = config or HaciendaSandboxConfig()
    faults = faults or FaultConfig()
    state = HaciendaSandboxState(config, faults, clock)
    routes = [
        Route(TOKEN_PATH, _idp_endpoint("token"), methods=["POST"]),
        Route(LOGOUT_PATH, _idp_endpoint("logout"), methods=["POST"]),
    ]
    for base in RECEPCION_BASES:
        routes.append(Route(f"{base}/recepcion", _post_recepcion, methods=["POST"]))
        routes.append(Route(f"{base}/recepcion/", _post_recepcion, methods=["POST"]))
        routes.append(Route(f"{base}/recepcion/{{clave}}", _get_recepcion, methods=["GET"]))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        state.close()

    fault_layer = Middleware(
        FaultMiddleware,
        plan=state.faults,
        latency_s=(config.latency_ms + faults.latency_ms) / 1000,
        classify=classify,
        internal_error={"rest": b""},
        content_types={"rest": "text/plain; charset=utf-8"},
    )
    gateway_layer = Middleware(StatusFaultMiddleware, plan=state.status_faults, classify=classify)
    app = Starlette(routes=routes, middleware=[fault_layer, gateway_layer], lifespan=lifespan)
    app.state.hacienda = state
    return app
