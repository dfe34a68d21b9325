"""Fault injection for every emulated call: the failures a PSE meets in the field, on purpose.

What each fault does is described on :class:`openpse.sandbox.config.FaultConfig`. The
draw is one uniform number per call from a generator seeded with ``seed``, so the same
sequence of calls meets the same faults. Counters of injected faults are kept for tests.

The layer is a pure ASGI middleware, because two faults must end an HTTP exchange
without any answer, which ASGI has no message for: an app that raises before its
response start gets a 500 from uvicorn, and one that returns without answering gets a
500 too. The middleware closes the connection itself through the transport (asyncio's
or uvloop's) of uvicorn's request cycle, the object behind the ``receive`` callable it
hands to the app, then waits for ``http.disconnect`` so that uvicorn knows nobody is left to
answer. A reset sets ``SO_LINGER`` to zero first, so the peer gets a TCP RST rather
than an orderly FIN. Under a server without that transport (Starlette's TestClient)
the drop is a :class:`ConnectionDropped` exception, which is what such a client shows
for a connection that died.

A held request ("timeout") ends when its hold expires, when the client gives up
(``http.disconnect``), or when :meth:`FaultPlan.release_held` is called, as
:class:`openpse.sandbox.SandboxServer` does on shutdown so that held requests never
delay it.
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Literal, Protocol, runtime_checkable

from openpse.sandbox.config import FAULTS, FaultConfig

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
CallKind = Literal["soap", "rest"]


class ConnectionDropped(ConnectionError):
    """The sandbox dropped the connection on purpose (raised where no transport can be closed)."""


class FaultPlan:
    """The seeded draw, the counters and the held requests of one sandbox app."""

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._random = random.Random(config.seed)  # noqa: S311 (reproducible chaos, not secrets)
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(FAULTS, 0)
        self._held: set[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = set()

    def draw(self) -> str | None:
        """The fault of the next call, or None; counted when injected."""
        if not self.config.active:
            return None
        with self._lock:
            point = self._random.random()
            threshold = 0.0
            for name, probability in self.config.probabilities:
                threshold += probability
                if point < threshold:
                    self._counts[name] += 1
                    return name
        return None

    def counts(self) -> dict[str, int]:
        """How many times each fault was injected."""
        with self._lock:
            return dict(self._counts)

    def held_count(self) -> int:
        with self._lock:
            return len(self._held)

    def release_held(self) -> None:
        """Let every held request go now (thread-safe; the sandbox server calls it on shutdown)."""
        with self._lock:
            held = list(self._held)
        for loop, waiter in held:
            loop.call_soon_threadsafe(_resolve, waiter)

    async def hold(self, receive: Receive) -> None:
        """Wait for the hold to expire, the client to leave, or :meth:`release_held`."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        entry = (loop, waiter)
        with self._lock:
            self._held.add(entry)
        leaving = asyncio.ensure_future(_wait_for_disconnect(receive))
        try:
            await asyncio.wait(
                {waiter, leaving}, timeout=self.config.timeout_hold_s, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            leaving.cancel()
            with self._lock:
                self._held.discard(entry)


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


async def _wait_for_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _drain(receive: Receive) -> None:
    """Read the request body to its end (or to the client leaving)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect" or not message.get("more_body", False):
            return


@runtime_checkable
class _Transport(Protocol):
    """What the drop needs of a transport: asyncio's, or uvloop's (which does not subclass it)."""

    def close(self) -> None: ...

    def abort(self) -> None: ...

    def get_extra_info(self, name: str, default: Any = None) -> Any: ...


def _transport(receive: Receive) -> _Transport | None:
    cycle = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    return transport if isinstance(transport, _Transport) else None


async def drop_connection(receive: Receive, reset: bool) -> None:
    """End the exchange without an answer: FIN, or RST when ``reset``."""
    transport = _transport(receive)
    if transport is None:
        raise ConnectionDropped("el sandbox cortó la conexión sin responder")
    if reset:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    else:
        transport.close()
    await _wait_for_disconnect(receive)


async def _discard(message: Message) -> None:
    """A ``send`` that loses the answer."""


async def _answer(send: Send, status: int, content_type: str, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type.encode("latin-1")),
                (b"content-length", str(len(body)).encode("ascii")),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class FaultMiddleware:
    """Adds latency to every emulated call and injects the drawn fault.

    ``classify`` tells emulated calls (``"soap"`` or ``"rest"``) from the rest
    (``None``: health, WSDL), which pass untouched. ``internal_error`` gives the body
    of the injected HTTP 500 for each kind of call, ``content_types`` the content type
    of the injected answers.
    """

    def __init__(
        self,
        app: ASGIApp,
        plan: FaultPlan,
        latency_s: float,
        classify: Callable[[str, str], CallKind | None],
        internal_error: dict[CallKind, bytes],
        content_types: dict[CallKind, str],
    ) -> None:
        self._app = app
        self._plan = plan
        self._latency_s = latency_s
        self._classify = classify
        self._internal_error = internal_error
        self._content_types = content_types

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = self._classify(scope["path"], scope["method"]) if scope["type"] == "http" else None
        if kind is None:
            await self._app(scope, receive, send)
            return
        if self._latency_s:
            await asyncio.sleep(self._latency_s)
        fault = self._plan.draw()
        if fault is None:
            await self._app(scope, receive, send)
        elif fault == "lost_response":
            await self._app(scope, receive, _discard)
            await drop_connection(receive, reset=False)
        else:
            await _drain(receive)
            if fault == "http500":
                await _answer(send, 500, self._content_types[kind], self._internal_error[kind])
            elif fault == "empty200":
                await _answer(send, 200, self._content_types[kind], b"")
            elif fault == "reset":
                await drop_connection(receive, reset=True)
            else:
                await self._plan.hold(receive)
                await drop_connection(receive, reset=False)
