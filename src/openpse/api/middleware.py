"""Pure-ASGI middleware: request ids, logs and metrics per request, and the body size limit.

Written against the ASGI interface directly (not BaseHTTPMiddleware) because both run
on every request and must not buffer or copy bodies.
"""

from __future__ import annotations

import json
import re
import secrets
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openpse import observability
from openpse.api.errors import error_body
from openpse.core.errors import Code, Issue

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_UNROUTED = "(sin ruta)"

access_log = observability.get_logger("openpse.api.acceso")


class RequestIdMiddleware:
    """Gives every request an id (``X-Request-Id``, echoed; API.md's ``exc``), binds it to
    the log context, and records one access log line and the HTTP metrics per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if _SAFE_ID.match(incoming) else f"req-{secrets.token_hex(6)}"
        scope.setdefault("state", {})["request_id"] = rid
        observability.clear()
        observability.bind(request_id=rid)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message.setdefault("headers", []).append((b"x-request-id", rid.encode("latin-1")))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = str(getattr(route, "path", _UNROUTED))
            method = str(scope["method"])
            observability.HTTP_REQUESTS.labels(metodo=method, ruta=template, codigo=str(status)).inc()
            observability.HTTP_LATENCY.labels(metodo=method, ruta=template).observe(elapsed)
            access_log.info(
                "solicitud",
                metodo=method,
                ruta=str(scope.get("path", "")),
                plantilla=template,
                codigo=status,
                duracion_ms=round(elapsed * 1000, 1),
            )
            observability.clear()


class BodyLimitMiddleware:
    """413 for bodies over the limit, whether Content-Length announces it or not."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _reject(self, scope: Scope, send: Send) -> None:
        rid = scope.get("state", {}).get("request_id", "req-desconocido")
        body = json.dumps(
            error_body(
                413, rid, [Issue(Code.CUERPO_DEMASIADO_GRANDE, f"El cuerpo supera {self.max_bytes} bytes")]
            )
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await self._reject(scope, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._reject(scope, send)


class _TooLarge(Exception):
    pass
