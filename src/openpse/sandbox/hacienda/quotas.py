"""Per-cédula quotas of the recepción API and the IDP, with sliding windows.

``hacienda_cr.md`` §2.6: every API answer carries ``X-Ratelimit-Limit``,
``X-Ratelimit-Remaining`` and ``X-Ratelimit-Reset`` (UTC epoch seconds) [OFFICIAL-
transcribed]; the limits themselves are known only from one long-lived integration
(per minute, per cédula, by kind of call and outcome) and from the project
specification (per hour and per day). Both profiles are :class:`Quota` tuples here.

A call counts in ``total``, in its kind (``post``, ``get``, ``idp``) and in its kind with
its outcome (``post_ok``, ``post_auth``, ``post_error``…). Before a call is served, every
quota that it could end up counting in must have room: a client that spent its ten
failed POSTs of the minute cannot POST again until the window frees one, whatever the
next POST would have produced. That is how a gateway that throttles by outcome behaves
seen from outside, and it keeps the answer of a refused call independent of its body.
The headers describe the tightest quota the call counted in.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from openpse.sandbox.hacienda.config import Quota

KINDS = ("post", "get", "idp")


@dataclass(frozen=True)
class Refusal:
    """A call refused for ``quota``: it may be retried after ``retry_after_s``."""

    quota: Quota
    retry_after_s: float
    reset_at: float


def _buckets(kind: str) -> frozenset[str]:
    return frozenset({"total", kind, f"{kind}_ok", f"{kind}_auth", f"{kind}_error"})


class QuotaBook:
    """Timestamps of past calls per (key, bucket). Thread-safe."""

    def __init__(self, quotas: tuple[Quota, ...], clock: Callable[[], float]) -> None:
        self._quotas = quotas
        self._clock = clock
        self._lock = threading.Lock()
        self._calls: dict[tuple[str, str], deque[float]] = {}
        self._horizon: dict[str, float] = {}
        for quota in quotas:
            self._horizon[quota.bucket] = max(self._horizon.get(quota.bucket, 0.0), quota.window_s)
        self._by_kind = {kind: tuple(q for q in quotas if q.bucket in _buckets(kind)) for kind in KINDS}

    def _recent(self, key: str, bucket: str, now: float) -> deque[float]:
        calls = self._calls.setdefault((key, bucket), deque())
        horizon = now - self._horizon.get(bucket, 0.0)
        while calls and calls[0] <= horizon:
            calls.popleft()
        return calls

    def _in_window(self, key: str, quota: Quota, now: float) -> list[float]:
        start = now - quota.window_s
        return [moment for moment in self._recent(key, quota.bucket, now) if moment > start]

    def check(self, key: str, kind: str) -> Refusal | None:
        """Whether a call of ``kind`` by ``key`` must be refused now (429)."""
        now = self._clock()
        worst: Refusal | None = None
        with self._lock:
            for quota in self._by_kind[kind]:
                moments = self._in_window(key, quota, now)
                if len(moments) < quota.limit:
                    continue
                # A slot frees when enough of the oldest calls have left the window.
                freed_at = moments[len(moments) - quota.limit] + quota.window_s
                refusal = Refusal(quota, max(0.0, freed_at - now), freed_at)
                if worst is None or refusal.retry_after_s > worst.retry_after_s:
                    worst = refusal
        return worst

    def record(self, key: str, kind: str, outcome: str) -> None:
        """Count a served call; ``outcome`` is ``ok``, ``auth`` or ``error``."""
        now = self._clock()
        with self._lock:
            for bucket in ("total", kind, f"{kind}_{outcome}"):
                if bucket in self._horizon:
                    self._recent(key, bucket, now).append(now)

    def headers(self, key: str, kind: str, outcome: str | None = None) -> dict[str, str]:
        """``X-Ratelimit-*`` of the tightest quota that a call of ``kind`` with ``outcome``
        counted in (any quota of ``kind`` when the outcome is not known)."""
        now = self._clock()
        best: tuple[int, Quota, float] | None = None
        buckets = {"total", kind, f"{kind}_{outcome}"} if outcome else _buckets(kind)
        with self._lock:
            for quota in self._by_kind[kind]:
                if quota.bucket not in buckets:
                    continue
                moments = self._in_window(key, quota, now)
                remaining = max(0, quota.limit - len(moments))
                reset = (moments[0] if moments else now) + quota.window_s
                if best is None or remaining < best[0]:
                    best = (remaining, quota, reset)
        if best is None:
            return {}
        remaining, quota, reset = best
        return {
            "X-Ratelimit-Limit": str(quota.limit),
            "X-Ratelimit-Remaining": str(remaining),
            "X-Ratelimit-Reset": str(math.ceil(reset)),
        }

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()
