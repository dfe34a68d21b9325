"""The sandbox as an ASGI app: SUNAT's SOAP endpoints on their real paths.

Paths follow ``sunat.md`` §1.1: the three billService paths of SUNAT (beta,
homologación, production) plus ``/ol-ti-itcpe/billService`` used by OSEs, and the
production billConsultService path. The HTTP layer only reads the body, applies the
configured latency and hands the bytes to the service in a small pool of worker threads.

Why a small pool: one sendBill of a 10-line factura costs about 2.4 ms of CPU (signature
check ~1.0 ms, CDR build and RSA-SHA512 signature ~0.8 ms, rules ~0.3 ms, zips and
parsing the rest). Measured with uvicorn on 2 cores, 8–16 concurrent clients: calling
the service on the event loop gave 320–390 documents/s but let /health wait 30–100 ms;
anyio's default 40-thread pool gave ~280/s from GIL contention; two worker threads gave
~345/s with /health answering in 1–2 ms. lxml and cryptography release the GIL in
parts of their work, which is what a second thread buys.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from openpse.sandbox.config import SandboxConfig
from openpse.sandbox.sunat import soap
from openpse.sandbox.sunat.bill_service import BillService
from openpse.sandbox.sunat.cdr import CdrSigner
from openpse.sandbox.sunat.consult_service import ConsultService
from openpse.sandbox.sunat.store import DocumentStore, RegisteredDocument

BILL_SERVICE_PATHS = (
    "/ol-ti-itcpfegem-beta/billService",
    "/ol-ti-itcpgem-sqa/billService",
    "/ol-ti-itcpfegem/billService",
    "/ol-ti-itcpe/billService",
)
CONSULT_SERVICE_PATH = "/ol-it-wsconscpegem/billConsultService"


class SandboxState:
    """What one sandbox app holds: its register of documents and its CDR signing key."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self._store = DocumentStore()
        self._signer = CdrSigner.from_directory(config.cert_dir) if config.cert_dir else CdrSigner.generate()
        self.bill_service = BillService(config, self._store, self._signer)
        self.consult_service = ConsultService(config, self._store)
        self.executor = ThreadPoolExecutor(max_workers=config.threads, thread_name_prefix="openpse-sandbox")

    def documents(self) -> list[RegisteredDocument]:
        """Every registered document (accepted or rejected), in the order they were answered."""
        return self._store.documents()

    @property
    def document_count(self) -> int:
        return self._store.count()

    def reset(self) -> None:
        """Forget every registered document."""
        self._store.clear()

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


def _soap_endpoint(
    service: Callable[[SandboxState], Callable[[bytes], soap.SoapResponse]],
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        state: SandboxState = request.app.state.sandbox
        try:
            body = await _read_body(request, state.config.max_request_bytes)
        except _BodyTooLarge:
            return Response("Request Entity Too Large", status_code=413, media_type="text/plain")
        if state.config.latency_ms:
            await asyncio.sleep(state.config.latency_ms / 1000)
        answer = await asyncio.get_running_loop().run_in_executor(state.executor, service(state), body)
        return Response(answer.body, status_code=answer.status, media_type=soap.CONTENT_TYPE)

    return endpoint


async def _health(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    return JSONResponse(
        {
            "status": "ok",
            "service": "openpse-sandbox",
            "mode": state.config.mode,
            "documents": state.document_count,
        }
    )


def create_app(config: SandboxConfig | None = None) -> Starlette:
    """Build a sandbox app with its own, empty register."""
    state = SandboxState(config or SandboxConfig())
    bill = _soap_endpoint(lambda s: s.bill_service.handle)
    consult = _soap_endpoint(lambda s: s.consult_service.handle)
    routes = [Route(path, bill, methods=["POST"]) for path in BILL_SERVICE_PATHS]
    routes.append(Route(CONSULT_SERVICE_PATH, consult, methods=["POST"]))
    routes.append(Route("/health", _health, methods=["GET"]))
    app = Starlette(routes=routes)
    app.state.sandbox = state
    return app
