"""Huey wiring: storage per settings, the ``advance`` task, the periodic sweeper, and an
embedded consumer (threads inside ``openpse serve``).

Jobs carry only a document id; everything else is read from the row, so a lost, repeated
or late job is harmless (ARCHITECTURE.md §1.2).
"""

from __future__ import annotations

import logging
from typing import Any

from huey import Huey, SqliteHuey, crontab
from huey.consumer import Consumer

from openpse.documents import service
from openpse.runtime import Runtime

log = logging.getLogger("openpse.jobs")


class EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """Huey's consumer without signal handlers: the ASGI server owns the process signals."""

    def _set_signal_handlers(self) -> None:
        return None


class JobQueue:
    def __init__(self, runtime: Runtime, huey: Huey | None = None) -> None:
        settings = runtime.settings
        if huey is None:
            huey = SqliteHuey(
                name="openpse",
                filename=str((settings.data_dir / "queue.db").resolve()),
                results=False,
                utc=True,
                journal_mode="wal",
                timeout=30,
            )
        self.huey = huey
        self.runtime = runtime

        @huey.task(name="advance")  # type: ignore[untyped-decorator]
        def advance_task(doc_id: str) -> None:
            service.advance(runtime, doc_id)

        @huey.periodic_task(crontab(minute="*"), name="sweep")  # type: ignore[untyped-decorator]
        def sweep_task() -> None:
            count = service.sweep(runtime)
            if count:
                log.info("barrido: %d documentos reencolados", count)

        self._advance: Any = advance_task
        self._consumer: EmbeddedConsumer | None = None
        runtime.queue = self

    def advance(self, doc_id: str, delay: float = 0.0) -> None:
        if delay > 0:
            self._advance.schedule(args=(doc_id,), delay=delay)
        else:
            self._advance(doc_id)

    def start_consumer(self, workers: int) -> None:
        """Start worker threads and the scheduler in this process."""
        self._consumer = EmbeddedConsumer(
            self.huey,
            workers=workers,
            worker_type="thread",
            periodic=True,
            initial_delay=0.02,
            backoff=1.5,
            max_delay=0.25,
            scheduler_interval=1,
            check_worker_health=True,
        )
        self._consumer.start()

    def stop_consumer(self) -> None:
        if self._consumer is not None:
            self._consumer.stop(graceful=True)
            self._consumer = None

    def pending(self) -> int:
        return int(self.huey.pending_count())
