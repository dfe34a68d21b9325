"""The sandbox as an ASGI app: SUNAT's SOAP and REST endpoints on their real paths.

Paths follow ``sunat.md`` §1.1 and §6: the three billService paths of SUNAT (beta,
homologación, production), ``/ol-ti-itcpe/billService`` for the OSE flavour (the path
Nubefact, Efact and other OSEs publish), the beta and production paths of the "otros
CPE" billService (retenciones and percepciones), the production billConsultService
path, and the GRE platform's ``/v1/...`` paths (SUNAT serves the token from
api-seguridad.sunat.gob.pe and the rest from api-cpe.sunat.gob.pe; here one host
serves both). ``GET <service path>?wsdl`` serves the WSDL. Every emulated call goes
through :class:`openpse.sandbox.faults.FaultMiddleware` (latency and injected faults).

The HTTP layer only reads the body and hands the bytes to the service in a small pool
of worker threads. Why a small pool: one sendBill of a 10-line factura costs about
2.4 ms of CPU (signature check ~1.0 ms, CDR build and RSA-SHA512 signature ~0.8 ms,
rules ~0.3 ms, zips and parsing the rest). Measured with uvicorn on 2 cores, 8–16
concurrent clients: calling the service on the event loop gave 320–390 documents/s but
let /health wait 30–100 ms; anyio's default 40-thread pool gave ~280/s from GIL
contention; two worker threads gave ~345/s with /health answering in 1–2 ms. lxml and
cryptography release the GIL in parts of their work, which is what a second thread buys.

OSEs are strict about SOAP 1.1's media type: on the OSE path a request whose
Content-Type is not ``text/xml`` gets HTTP 415, before anything is read. SUNAT's own
paths accept whatever arrives, as SUNAT does.

Costa Rica's Hacienda (IDP and API de Recepción, :mod:`openpse.sandbox.hacienda`) is
mounted under ``/hacienda``: ``/hacienda/auth/realms/rut-stag/protocol/openid-connect/token``,
``/hacienda/recepcion/v1/recepcion`` and the legacy ``/hacienda/recepcion-sandbox/v1/…``.
Its faults, quotas and processing are its own; it draws the same :class:`FaultConfig`.
A mounted app's lifespan never runs, so this app's lifespan closes it (its processor
thread and worker pool) and :meth:`SandboxState.release_held` lets its held requests go.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from openpse.sandbox.config import SandboxConfig
from openpse.sandbox.faults import CallKind, FaultMiddleware, FaultPlan
from openpse.sandbox.hacienda import HaciendaSandboxState, create_hacienda_app
from openpse.sandbox.sunat import soap, wsdl
from openpse.sandbox.sunat.bill_service import BillService
from openpse.sandbox.sunat.cdr import CdrSigner
from openpse.sandbox.sunat.consult_service import ConsultService
from openpse.sandbox.sunat.errors import SunatException
from openpse.sandbox.sunat.gre import INTERNAL_ERROR, UNAUTHORIZED, GreService, RestAnswer
from openpse.sandbox.sunat.retper_service import RetPerBillService
from openpse.sandbox.sunat.store import DocumentStore, RegisteredDocument
from openpse.sandbox.sunat.summary_service import SummaryService

SUNAT_BILL_SERVICE_PATHS = (
    "/ol-ti-itcpfegem-beta/billService",
    "/ol-ti-itcpgem-sqa/billService",
    "/ol-ti-itcpfegem/billService",
)
OSE_BILL_SERVICE_PATHS = ("/ol-ti-itcpe/billService",)
BILL_SERVICE_PATHS = SUNAT_BILL_SERVICE_PATHS + OSE_BILL_SERVICE_PATHS
# Retenciones (20) and percepciones (40): SUNAT's "otros CPE" billService, beta and production.
RETPER_BILL_SERVICE_PATHS = (
    "/ol-ti-itemision-otroscpe-gem-beta/billService",
    "/ol-ti-itemision-otroscpe-gem/billService",
)
CONSULT_SERVICE_PATH = "/ol-it-wsconscpegem/billConsultService"
GRE_OAUTH_PATH = "/v1/clientessol/{client_id}/oauth2/token/"
GRE_SEND_PATH = "/v1/contribuyente/gem/comprobantes/{filename}"
GRE_STATUS_PATH = "/v1/contribuyente/gem/comprobantes/envios/{ticket}"
_GRE_OAUTH_PREFIX = "/v1/clientessol/"
_GRE_CPE_PREFIX = "/v1/contribuyente/gem/comprobantes/"
_SOAP_POST_PATHS = frozenset((*BILL_SERVICE_PATHS, *RETPER_BILL_SERVICE_PATHS, CONSULT_SERVICE_PATH))
_JSON = "application/json"
HACIENDA_PREFIX = "/hacienda"
"""Where the Hacienda emulator is mounted."""


class SandboxState:
    """What one sandbox app holds: its registers, its CDR signing key and its fault plan.

    ``hacienda_app`` is the Hacienda emulator that :func:`create_app` mounts, ``hacienda``
    its state (register of received comprobantes, callbacks, quotas and faults).
    """

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self._store = DocumentStore()
        self._signer = CdrSigner.from_directory(config.cert_dir) if config.cert_dir else CdrSigner.generate()
        self._summaries = SummaryService(config, self._store, self._signer)
        self.bill_service = BillService(config, self._store, self._signer, self._summaries)
        self.consult_service = ConsultService(config, self._store)
        self.retper_service = RetPerBillService(config, self._store, self._signer)
        self.gre = GreService(config, self._store, self._signer)
        self.faults = FaultPlan(config.faults)
        self.executor = ThreadPoolExecutor(max_workers=config.threads, thread_name_prefix="openpse-sandbox")
        self.hacienda_app = create_hacienda_app(config.hacienda_config(), config.faults)
        self.hacienda: HaciendaSandboxState = self.hacienda_app.state.hacienda

    def documents(self) -> list[RegisteredDocument]:
        """Every registered document (accepted, rejected or annulled)."""
        return self._store.documents()

    def document(self, ruc: str, tipo: str, serie: str, numero: int) -> RegisteredDocument | None:
        """One registered document, or None."""
        return self._store.get((ruc, tipo, serie, numero))

    @property
    def document_count(self) -> int:
        return self._store.count()

    def reset(self) -> None:
        """Forget every registered document, presented summary and ticket, and every
        comprobante Hacienda received.

        GRE tokens, IDP sessions and fault counters are kept: they are not registers.
        """
        self._store.clear()
        self._summaries.clear()
        self.gre.clear()
        self.hacienda.reset()

    def fault_counts(self) -> dict[str, int]:
        """How many times each fault has been injected."""
        return self.faults.counts()

    def release_held(self) -> None:
        """Let every request held by the ``timeout`` fault go (it is then dropped unanswered)."""
        self.faults.release_held()
        self.hacienda.release_held()

    def close(self) -> None:
        """Stop the Hacienda emulator's processor and threads (the app is shutting down)."""
        self.hacienda.close()

    @property
    def certificate_pem(self) -> bytes:
        """The certificate that signs the CDRs (PEM)."""
        return self._signer.certificate_pem


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


def _too_large() -> Response:
    return Response("Request Entity Too Large", status_code=413, media_type="text/plain")


def _state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


def _soap_endpoint(
    service: Callable[[SandboxState], Callable[[bytes], soap.SoapResponse]], strict_media_type: bool = False
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        state = _state(request)
        if strict_media_type:
            media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if media_type != "text/xml":
                return Response("Unsupported Media Type", status_code=415, media_type="text/plain")
        try:
            body = await _read_body(request, state.config.max_request_bytes)
        except _BodyTooLarge:
            return _too_large()
        answer = await asyncio.get_running_loop().run_in_executor(state.executor, service(state), body)
        return Response(answer.body, status_code=answer.status, media_type=soap.CONTENT_TYPE)

    return endpoint


def _wsdl_endpoint(service: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        document = request.url.query.lower()
        address = str(request.url.replace(query=""))
        if document == "wsdl":
            body = wsdl.service_description(service, address)
        elif document == "ns1.wsdl":
            body = wsdl.definitions(service)
        else:
            return Response("Not Found", status_code=404, media_type="text/plain")
        return Response(body, media_type=soap.CONTENT_TYPE)

    return endpoint


def _json(answer: RestAnswer) -> Response:
    return JSONResponse(answer.payload, status_code=answer.status)


async def _gre_token(request: Request) -> Response:
    state = _state(request)
    try:
        body = await _read_body(request, state.config.max_request_bytes)
    except _BodyTooLarge:
        return _too_large()
    return _json(state.gre.token(request.path_params["client_id"], body))


async def _gre_send(request: Request) -> Response:
    state = _state(request)
    user = state.gre.authorize(request.headers.get("authorization"))
    if user is None:
        return JSONResponse(UNAUTHORIZED, status_code=401)
    try:
        body = await _read_body(request, state.config.max_request_bytes)
    except _BodyTooLarge:
        return _too_large()
    filename: str = request.path_params["filename"]
    answer = await asyncio.get_running_loop().run_in_executor(
        state.executor, state.gre.send, user, filename, body
    )
    return _json(answer)


async def _gre_status(request: Request) -> Response:
    state = _state(request)
    user = state.gre.authorize(request.headers.get("authorization"))
    if user is None:
        return JSONResponse(UNAUTHORIZED, status_code=401)
    return _json(state.gre.status(user, request.path_params["ticket"]))


async def _health(request: Request) -> Response:
    state = _state(request)
    return JSONResponse(
        {
            "status": "ok",
            "service": "openpse-sandbox",
            "mode": state.config.mode,
            "documents": state.document_count,
            "faults": state.fault_counts(),
            "hacienda": {
                "comprobantes": len(state.hacienda.records()),
                "faults": state.hacienda.fault_counts(),
            },
        }
    )


def classify(path: str, method: str) -> CallKind | None:
    """Which calls are emulated (and so get latency and faults): SOAP posts and the GRE API."""
    if method == "POST" and path in _SOAP_POST_PATHS:
        return "soap"
    if (method == "POST" and path.startswith(_GRE_OAUTH_PREFIX)) or (
        method in ("GET", "POST") and path.startswith(_GRE_CPE_PREFIX)
    ):
        return "rest"
    return None


def create_app(config: SandboxConfig | None = None) -> Starlette:
    """Build a sandbox app with its own, empty registers (Hacienda's included)."""
    state = SandboxState(config or SandboxConfig())
    bill = _soap_endpoint(lambda s: s.bill_service.handle)
    ose_bill = _soap_endpoint(
        lambda s: lambda body: s.bill_service.handle(body, ose=True), strict_media_type=True
    )
    consult = _soap_endpoint(lambda s: s.consult_service.handle)
    retper = _soap_endpoint(lambda s: s.retper_service.handle)
    routes: list[BaseRoute] = [Route(path, bill, methods=["POST"]) for path in SUNAT_BILL_SERVICE_PATHS]
    routes += [Route(path, ose_bill, methods=["POST"]) for path in OSE_BILL_SERVICE_PATHS]
    routes += [Route(path, retper, methods=["POST"]) for path in RETPER_BILL_SERVICE_PATHS]
    routes.append(Route(CONSULT_SERVICE_PATH, consult, methods=["POST"]))
    routes += [
        Route(path, _wsdl_endpoint("billService"), methods=["GET"])
        for path in (*BILL_SERVICE_PATHS, *RETPER_BILL_SERVICE_PATHS)
    ]
    routes.append(Route(CONSULT_SERVICE_PATH, _wsdl_endpoint("billConsultService"), methods=["GET"]))
    # Clients write the token URL with and without its final slash; both reach SUNAT.
    routes.append(Route(GRE_OAUTH_PATH, _gre_token, methods=["POST"]))
    routes.append(Route(GRE_OAUTH_PATH.rstrip("/"), _gre_token, methods=["POST"]))
    routes.append(Route(GRE_STATUS_PATH, _gre_status, methods=["GET"]))
    routes.append(Route(GRE_SEND_PATH, _gre_send, methods=["POST"]))
    routes.append(Route("/health", _health, methods=["GET"]))
    routes.append(Mount(HACIENDA_PREFIX, app=state.hacienda_app))
    internal_error: dict[CallKind, bytes] = {
        "soap": soap.sunat_fault(SunatException("0100")).body,
        "rest": json.dumps(INTERNAL_ERROR).encode(),
    }
    fault_layer = Middleware(
        FaultMiddleware,
        plan=state.faults,
        latency_s=state.config.total_latency_s,
        classify=classify,
        internal_error=internal_error,
        content_types={"soap": soap.CONTENT_TYPE, "rest": _JSON},
    )

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        state.close()

    app = Starlette(routes=routes, middleware=[fault_layer], lifespan=lifespan)
    app.state.sandbox = state
    return app
