"""Waking up API requests that wait for a document's answer (``espera=N``).

Workers in the same process signal the document id after committing a state change;
the waiter re-reads the row. A short polling fallback covers workers that run in other
processes (``openpse worker``), so the wait is correct whatever the deployment.
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict


class _AsyncWaiter:
    """An asyncio.Event that worker threads can set safely."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.event = asyncio.Event()

    def set(self) -> None:
        self.loop.call_soon_threadsafe(self.event.set)


class Notifier:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: defaultdict[str, list[threading.Event | _AsyncWaiter]] = defaultdict(list)

    def _add(self, doc_id: str, waiter: threading.Event | _AsyncWaiter) -> None:
        with self._lock:
            self._waiters[doc_id].append(waiter)

    def subscribe(self, doc_id: str) -> threading.Event:
        """A threading.Event set whenever ``doc_id`` changes (for synchronous waiters)."""
        event = threading.Event()
        self._add(doc_id, event)
        return event

    def subscribe_async(self, doc_id: str) -> _AsyncWaiter:
        """Same for coroutines; await ``waiter.event.wait()``."""
        waiter = _AsyncWaiter()
        self._add(doc_id, waiter)
        return waiter

    def unsubscribe(self, doc_id: str, waiter: threading.Event | _AsyncWaiter) -> None:
        with self._lock:
            waiters = self._waiters.get(doc_id)
            if waiters and waiter in waiters:
                waiters.remove(waiter)
                if not waiters:
                    del self._waiters[doc_id]

    def notify(self, doc_id: str) -> None:
        with self._lock:
            waiters = list(self._waiters.get(doc_id, ()))
        for waiter in waiters:
            waiter.set()
