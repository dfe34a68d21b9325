"""Huey wiring: storage per settings, the ``advance`` task, periodic jobs, and consumers.

``OPENPSE_QUEUE_URL`` chooses the engine: unset (or ``sqlite:///path``) is Huey on a
SQLite file in the data directory, consumed by threads inside ``openpse serve``;
``redis://host:port/db`` is Huey on Redis, consumed by ``openpse worker`` processes on
any number of machines (ARCHITECTURE.md §5).

Jobs carry only a document id; everything else is read from the row, so a lost, repeated
or late job is harmless (ARCHITECTURE.md §1.2). That is also why the queue may fail: a
document committed as ``registrado`` whose job never reached the queue (the process died
between the commit and the enqueue, Redis was down, the disk was full) is still a row
that says "send me", and the sweeper queues it again. The row is the outbox; enqueueing
is only a wake-up call, so :meth:`JobQueue.advance` never raises.

Periodic jobs (the sweeper, and whatever :meth:`JobQueue.every` adds) run on a thread of
every consumer process, but each period only one process in the whole deployment takes
its turn (:func:`openpse.jobs.limits.take_turn`), so ten workers do not sweep ten times.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey
from huey.consumer import Consumer
from huey.storage import RedisStorage, SqliteStorage
from sqlalchemy import event
from sqlalchemy.orm import Session

from openpse import notifications, observability
from openpse.documents import resumen_diario, service
from openpse.jobs.limits import take_turn
from openpse.runtime import Runtime
from openpse.settings import Settings

log = logging.getLogger("openpse.jobs")

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def is_redis(settings: Settings) -> bool:
    return bool(settings.queue_url) and str(settings.queue_url).startswith(REDIS_SCHEMES)


def make_huey(settings: Settings) -> Huey:
    """The Huey instance ``OPENPSE_QUEUE_URL`` describes."""
    url = settings.queue_url
    if url and url.startswith(REDIS_SCHEMES):
        from redis import ConnectionPool

        # Bounded timeouts: an API request that enqueues must not hang on a dead Redis
        # (the sweeper covers the lost wake-up). Huey's blocking read waits 1 s, less
        # than the socket timeout.
        pool = ConnectionPool.from_url(
            url,
            socket_connect_timeout=settings.queue_socket_timeout,
            socket_timeout=settings.queue_socket_timeout,
            health_check_interval=30,
            retry_on_timeout=False,
        )
        return RedisHuey(
            name=settings.queue_name,
            connection_pool=pool,
            results=False,
            utc=True,
            blocking=True,
            read_timeout=1,
        )
    if url and not url.startswith("sqlite:///"):
        raise ValueError(f"OPENPSE_QUEUE_URL no soportada: {url!r} (use redis://… o sqlite:///ruta)")
    path = Path(url.removeprefix("sqlite:///")) if url else settings.data_dir / "queue.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(
        storage_class=_QueueFile,
        name=settings.queue_name,
        filename=str(path.resolve()),
        results=False,
        utc=True,
        journal_mode="wal",
        timeout=30,
    )


class _QueueFile(SqliteStorage):  # type: ignore[misc]
    """Huey's SQLite storage with ``synchronous=NORMAL``, like the main database.

    Huey offers FULL (an fsync per enqueue, which halved ingest) or OFF (a power cut may
    corrupt the file). In WAL mode NORMAL survives a crash of the process and loses at
    most the last wake-ups on a power cut, which the sweeper recovers from the rows."""

    def _create_connection(self) -> Any:
        connection = super()._create_connection()
        connection.execute("pragma synchronous=1")
        return connection


class EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """Huey's consumer without signal handlers: the ASGI server owns the process signals."""

    def _set_signal_handlers(self) -> None:
        return None


@dataclass
class Periodic:
    name: str
    interval: float
    run: Callable[[], Any]


NOTIFICATIONS_INTERVAL_S = 10.0
NOTIFY_DEBOUNCE_S = 0.2


class JobQueue:
    def __init__(self, runtime: Runtime, huey: Huey | None = None) -> None:
        settings = runtime.settings
        self.huey = huey if huey is not None else make_huey(settings)
        self.runtime = runtime
        self.enqueue_failures = 0
        """Wake-ups that did not reach the queue (recovered by the sweeper)."""
        self._periodic: list[Periodic] = []
        self._stop = threading.Event()
        self._periodic_thread: threading.Thread | None = None
        self._consumer: Consumer | None = None

        @self.huey.task(name="advance")  # type: ignore[untyped-decorator]
        def advance_task(doc_id: str) -> None:
            with observability.job_context(doc_id):
                service.advance(runtime, doc_id)

        @self.huey.task(name="notificaciones")  # type: ignore[untyped-decorator]
        def notifications_task() -> None:
            notifications.deliver_due(runtime)

        self._advance: Any = advance_task
        self._notify: Any = notifications_task
        self._last_notify = 0.0
        self.every("barrido", settings.sweep_interval_s, self.sweep)
        # Boletas informed by daily summary (companies with boletas_por_resumen).
        self.every("resumenes", settings.resumen_interval_s, self.summarize)
        # Retries that came due, and a wake-up lost to a crash: the outbox is the truth.
        self.every("notificaciones", NOTIFICATIONS_INTERVAL_S, lambda: notifications.deliver_due(runtime))
        # A transaction that wrote notifications wakes the sender once it is committed.
        event.listen(runtime.db.sessions, "after_commit", self._after_commit)
        runtime.queue = self

    # -- producing ------------------------------------------------------------------------

    def advance(self, doc_id: str, delay: float = 0.0) -> None:
        """Ask a worker to advance ``doc_id`` (after ``delay`` seconds). Never raises: see
        the module docstring."""
        try:
            if delay > 0:
                self._advance.schedule(args=(doc_id,), delay=delay)
            else:
                self._advance(doc_id)
        except Exception as exc:  # the row is the outbox: the sweeper will find the document
            self.enqueue_failures += 1
            log.warning(
                "no se pudo encolar %s (%s: %s); lo reencolará el barrido", doc_id, type(exc).__name__, exc
            )

    def advance_many(self, doc_ids: list[str]) -> None:
        """Wake-ups for many documents in one write to the queue (one SQLite transaction,
        one Redis LPUSH); the same messages ``advance`` sends. Never raises."""
        if self.huey.immediate:
            for doc_id in doc_ids:
                self.advance(doc_id)
            return
        try:
            messages = [self.huey.serialize_task(self._advance.s(doc_id)) for doc_id in doc_ids]
            storage = self.huey.storage
            if isinstance(storage, SqliteStorage):
                with storage.db(commit=True) as cursor:
                    cursor.executemany(
                        "insert into task (queue, data, priority) values (?, ?, ?)",
                        [(storage.name, storage.to_blob(message), 0) for message in messages],
                    )
            elif isinstance(storage, RedisStorage):
                storage.conn.lpush(storage.queue_key, *messages)
            else:
                for message in messages:
                    storage.enqueue(message, None)
        except Exception as exc:  # the rows are the outbox: the sweeper will find them
            self.enqueue_failures += len(doc_ids)
            log.warning(
                "no se pudieron encolar %d documentos (%s: %s); los reencolará el barrido",
                len(doc_ids),
                type(exc).__name__,
                exc,
            )

    def notify(self) -> None:
        """Ask a worker to deliver the notifications outbox (at most every 0.2 s per process:
        one delivery run takes everything that is due). Never raises."""
        now = time.monotonic()
        if now - self._last_notify < NOTIFY_DEBOUNCE_S:
            return
        self._last_notify = now
        try:
            self._notify.schedule(delay=NOTIFY_DEBOUNCE_S)
        except Exception as exc:  # the periodic delivery finds them anyway
            log.warning("no se pudo encolar el envío de notificaciones (%s: %s)", type(exc).__name__, exc)

    def _after_commit(self, session: Session) -> None:
        if session.info.pop(notifications.PENDING_KEY, 0):
            self.notify()

    def pending(self) -> int:
        return int(self.huey.pending_count())

    # -- periodic jobs --------------------------------------------------------------------

    def every(self, name: str, interval: float, run: Callable[[], Any]) -> None:
        """Run ``run()`` every ``interval`` seconds in one process of the deployment."""
        self._periodic.append(Periodic(name, interval, run))

    def sweep(self) -> int:
        count = service.sweep(self.runtime, older_than=self.runtime.settings.sweep_older_than_s)
        if count:
            log.info("barrido: %d documentos reencolados", count)
        return count

    def summarize(self) -> int:
        created = resumen_diario.summarize(self.runtime)
        if created:
            log.info("resúmenes diarios: %s", ", ".join(row.id for row in created))
        return len(created)

    def run_due(self) -> list[str]:
        """Run the periodic jobs whose turn this process wins now; return their names."""
        ran = []
        for job in self._periodic:
            try:
                # 90 % of the period: a turn taken a little late does not skip the next one.
                if take_turn(self.runtime.db, job.name, job.interval * 0.9):
                    job.run()
                    ran.append(job.name)
            except Exception:  # a periodic job must never stop the others (database down…)
                log.exception("la tarea periódica %s falló", job.name)
        return ran

    def _periodic_loop(self) -> None:
        tick = min(job.interval for job in self._periodic) if self._periodic else 60.0
        while not self._stop.wait(tick):
            self.run_due()

    def start_periodic(self) -> None:
        if self._periodic_thread is None:
            self._stop.clear()
            self._periodic_thread = threading.Thread(
                target=self._periodic_loop, name="openpse-periodic", daemon=True
            )
            self._periodic_thread.start()

    def stop_periodic(self) -> None:
        self._stop.set()
        if self._periodic_thread is not None:
            self._periodic_thread.join(timeout=10)
            self._periodic_thread = None

    # -- consuming ------------------------------------------------------------------------

    def make_consumer(self, workers: int, embedded: bool) -> Consumer:
        """A consumer of ``workers`` threads; ``embedded`` leaves the signals to the host."""
        redis = isinstance(self.huey, RedisHuey)
        return (EmbeddedConsumer if embedded else Consumer)(
            self.huey,
            workers=workers,
            worker_type="thread",
            periodic=True,
            # SQLite is polled (quickly when busy); Redis blocks in BRPOP for up to 1 s.
            initial_delay=0.02 if not redis else 0.1,
            backoff=1.5,
            max_delay=0.25 if not redis else 1.0,
            scheduler_interval=1,
            check_worker_health=True,
            # SIGTERM lets the sends in progress finish (a deploy), SIGINT too; a second
            # signal, or kill -9, stops at once: the leases and the sweeper cover that.
            graceful_signal="TERM",
            shutdown_timeout=self.runtime.settings.http_timeout + self.runtime.settings.http_connect_timeout,
        )

    def start_consumer(self, workers: int) -> None:
        """Start worker threads, the scheduler and the periodic jobs in this process."""
        self._consumer = self.make_consumer(workers, embedded=True)
        self._consumer.start()
        self.start_periodic()

    def stop_consumer(self) -> None:
        self.stop_periodic()
        if self._consumer is not None:
            self._consumer.stop(graceful=True)
            self._consumer = None
