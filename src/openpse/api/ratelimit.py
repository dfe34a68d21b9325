"""Per-client request limits: a token bucket per API client, kept as one number (GCRA).

The generic cell rate algorithm stores, per key, the "theoretical arrival time" of the
next request; a request is allowed while that time is no further ahead of now than the
burst allows, and the answer to one that is not says exactly how long to wait (the
``Retry-After`` of the 429, API.md). One float per client, no timers, thread-safe.

The state lives in the process: with several API replicas each enforces the limit on
its own share of the traffic, so a deployment behind a load balancer of N replicas
allows up to N times the configured rate per client (set the limit accordingly).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

_PRUNE_AT = 10_000
"""Keys kept before idle ones are dropped (an idle key is one whose bucket is full again)."""


class RateLimiter:
    """``per_minute`` requests per minute per key, in bursts of up to ``burst``."""

    def __init__(self, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute < 0 or burst < 1:
            raise ValueError("per_minute >= 0 y burst >= 1")
        self.per_minute = per_minute
        self.burst = burst
        self._interval = 60.0 / per_minute if per_minute else 0.0
        self._clock = clock
        self._tat: dict[str, float] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.per_minute > 0

    def acquire(self, key: str) -> float | None:
        """Take one request for ``key``: None if allowed, else the seconds to wait."""
        if not self.enabled:
            return None
        now = self._clock()
        with self._lock:
            tat = max(self._tat.get(key, now), now)
            new_tat = tat + self._interval
            allowed_until = now + self.burst * self._interval
            if new_tat > allowed_until:
                return new_tat - allowed_until
            self._tat[key] = new_tat
            if len(self._tat) > _PRUNE_AT:
                self._tat = {k: v for k, v in self._tat.items() if v > now}
        return None

    @staticmethod
    def retry_after(wait: float) -> str:
        """``Retry-After`` in whole seconds (RFC 9110 §10.2.3), never 0 for a refused request."""
        return str(max(1, math.ceil(wait)))
