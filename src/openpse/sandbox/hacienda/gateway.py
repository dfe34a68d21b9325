"""The gateway statuses in front of Hacienda, injected on purpose: 499, 502, 503 and 504.

``hacienda_cr.md`` §2.6: 499 (nginx's "client closed request") and 5xx leave the outcome
unknown; the client must ask for the clave before any resend. 499 and 504 are answered
*after* the call was processed, because that is when they hurt: the document is
registered and the client never learns it. 502 and 503 come before anything is
processed. The draw is seeded (:class:`~openpse.sandbox.hacienda.config.StatusFaults`),
one per emulated call, and counted for the tests. Timeouts, lost answers, 500, empty 200
and resets come from :class:`openpse.sandbox.faults.FaultMiddleware`, which wraps this.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

from openpse.sandbox.faults import ASGIApp, CallKind, Message, Receive, Scope, Send
from openpse.sandbox.hacienda.config import STATUS_FAULTS, StatusFaults

_STATUS = {"http499": 499, "http502": 502, "http503": 503, "http504": 504}
_AFTER_PROCESSING = frozenset({"http499", "http504"})
_TEXT = {
    499: b"",
    502: b"Bad Gateway",
    503: b"Service Temporarily Unavailable",
    504: b"Gateway Time-out",
}


class StatusFaultPlan:
    """The seeded draw and the counters of the gateway statuses."""

    def __init__(self, faults: StatusFaults) -> None:
        self.faults = faults
        self._random = random.Random(faults.seed)  # noqa: S311 (reproducible chaos, not secrets)
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(STATUS_FAULTS, 0)

    def draw(self) -> str | None:
        if not self.faults.active:
            return None
        with self._lock:
            point = self._random.random()
            threshold = 0.0
            for name in STATUS_FAULTS:
                threshold += float(getattr(self.faults, name))
                if point < threshold:
                    self._counts[name] += 1
                    return name
        return None

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)


async def _drain(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect" or not message.get("more_body", False):
            return


async def _discard(message: Message) -> None:
    """A ``send`` that loses the app's answer: the gateway answers instead."""


async def _answer(send: Send, status: int) -> None:
    body = _TEXT[status]
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode("ascii")),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class StatusFaultMiddleware:
    """Answers a drawn gateway status for emulated calls (``classify`` is not None)."""

    def __init__(
        self, app: ASGIApp, plan: StatusFaultPlan, classify: Callable[[str, str], CallKind | None]
    ) -> None:
        self._app = app
        self._plan = plan
        self._classify = classify

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._classify(scope["path"], scope["method"]) is None:
            await self._app(scope, receive, send)
            return
        fault = self._plan.draw()
        if fault is None:
            await self._app(scope, receive, send)
            return
        if fault in _AFTER_PROCESSING:
            await self._app(scope, receive, _discard)
        else:
            await _drain(receive)
        await _answer(send, _STATUS[fault])
