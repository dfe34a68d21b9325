"""Group commit: the documents a process registers are stored by one writer, many at a time.

Every request validates, builds, signs and writes its files on its own thread, then hands
the finished row to this writer and waits. The writer takes whatever has gathered since
its last transaction (up to ``MAX_BATCH``) and stores it in one transaction: one
multi-row ``INSERT ... ON CONFLICT DO NOTHING`` for the documents, one for their first
events, one counter update per series, then one enqueue for all of them. Only then does
each request get its answer, so an acknowledged document is always committed and queued
(or, if the queue failed, found by the sweeper).

Why: per document, a transaction of its own cost more than building and signing it (ORM
unit of work, several statements, a commit, on SQLite a turn at the one write lock
shared with every other request thread; on PostgreSQL a round trip per statement and a
WAL flush per commit). Batched, those costs are paid once per batch, and a request waits
at most for the batch in flight plus its own.

A document whose number or idempotency key is already stored (a re-post, or two
requests for the same number in one batch) is not inserted; it is answered as
``register`` always answered it: the stored document when the content is the same, a
409 otherwise. A batch that fails as a whole for another reason is stored again one
document at a time, so one bad row never fails the requests it travelled with.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from openpse import observability
from openpse.authorities.base import Draft, Prepared
from openpse.core.errors import OpenPSEError
from openpse.storage.tables import Comprobante, Empresa, Evento

if TYPE_CHECKING:
    from openpse.runtime import Runtime

log = logging.getLogger("openpse.documents")

MAX_BATCH = 256
"""Documents per transaction at most (a multi-row INSERT of this many stays well under
SQLite's and PostgreSQL's parameter limits: SQLAlchemy splits it anyway)."""


@dataclass(eq=False)
class Pending:
    """A signed document waiting for the writer, and its answer once stored."""

    empresa: Empresa
    draft: Draft
    prepared: Prepared
    values: dict[str, Any]
    """The row to insert (``Comprobante`` columns)."""
    detalle: str
    """The first event's text."""
    queue_it: bool
    """Enqueue once stored (``enviar``, and not informed by a daily summary)."""
    done: threading.Event = field(default_factory=threading.Event)
    row: Comprobante | None = None
    created: bool = False
    error: BaseException | None = None


class GroupWriter:
    """One writer thread per process (started on first use)."""

    def __init__(
        self,
        runtime: Runtime,
        existing: Callable[[Session, Pending], Comprobante],
        note_number: Callable[[Session, int, str, str, int], None],
        notify: Callable[[Session, Comprobante, Empresa], None],
        single: Callable[[Pending], None],
    ) -> None:
        """``existing`` returns the stored document a row collided with (raising the
        request's error when its content differs); ``note_number`` moves a series counter
        past a number; ``notify`` records the webhooks/e-mails of a new row; ``single``
        stores one document in a transaction of its own (the fallback)."""
        self.runtime = runtime
        self._existing = existing
        self._note_number = note_number
        self._notify = notify
        self._single = single
        self._queue: queue.SimpleQueue[Pending] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.batches = 0
        self.documents = 0

    def store(self, pending: Pending) -> Pending:
        """Hand ``pending`` to the writer and wait until it is stored (or failed)."""
        if self._thread is None or not self._thread.is_alive():
            with self._start_lock:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(target=self._run, name="openpse-escritor", daemon=True)
                    self._thread.start()
        self._queue.put(pending)
        pending.done.wait()
        if pending.error is not None:
            raise pending.error
        return pending

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._commit(batch)
            except BaseException as exc:  # never leave a request waiting
                for pending in batch:
                    if not pending.done.is_set():
                        pending.error = exc
                        pending.done.set()
                if not isinstance(exc, Exception):
                    raise

    def _commit(self, batch: list[Pending]) -> None:
        try:
            queued = self._write(batch)
        except Exception as exc:
            if len(batch) == 1 or getattr(exc, "status", None) == 503:
                # One document, or the database is not there: the same answer for all.
                for pending in batch:
                    pending.error = exc
                    pending.done.set()
                return
            log.warning(
                "no se pudo guardar un lote de %d comprobantes (%s: %s); se guardan uno a uno",
                len(batch),
                type(exc).__name__,
                exc,
            )
            for pending in batch:
                try:
                    self._single(pending)
                except Exception as single_exc:
                    pending.error = single_exc
                pending.done.set()
            return
        self.batches += 1
        self.documents += len(batch)
        if queued and self.runtime.queue is not None:
            advance_many = getattr(self.runtime.queue, "advance_many", None)
            if advance_many is not None:
                advance_many(queued)
            else:
                for doc_id in queued:
                    self.runtime.queue.advance(doc_id)
        for pending in batch:
            pending.done.set()

    def _write(self, batch: list[Pending]) -> list[str]:
        """Store the batch in one transaction; return the ids to enqueue."""
        table: Table = Comprobante.__table__  # type: ignore[assignment]
        events: Table = Evento.__table__  # type: ignore[assignment]
        with self.runtime.db.session() as session:
            connection = session.connection()
            insert = sqlite_insert if connection.dialect.name == "sqlite" else postgresql_insert
            statement = insert(table).on_conflict_do_nothing().returning(table.c.id)
            stored = set(connection.execute(statement, [p.values for p in batch]).scalars())
            new: list[Pending] = []
            for pending in batch:
                doc_id = pending.values["id"]
                if doc_id in stored:
                    stored.discard(doc_id)  # a second request for the same id is a re-post
                    pending.row = Comprobante(**pending.values)
                    pending.created = True
                    new.append(pending)
            for pending in batch:
                if pending.row is None:
                    try:
                        pending.row = self._existing(session, pending)
                    except OpenPSEError as exc:  # same number or key, other content: a 409
                        pending.error = exc
            if not new:
                return []
            highest: dict[tuple[int, str, str], int] = {}
            for pending in new:
                key = (pending.values["empresa_id"], pending.values["tipo"], pending.values["serie"])
                highest[key] = max(highest.get(key, 0), pending.values["numero"])
            for (empresa_id, tipo, serie), numero in highest.items():
                self._note_number(session, empresa_id, tipo, serie, numero)
            connection.execute(
                events.insert(),
                [
                    {
                        "comprobante_id": p.values["id"],
                        "estado_anterior": None,
                        "estado": p.values["estado"],
                        "detalle": p.detalle,
                        "creado": p.values["creado"],
                    }
                    for p in new
                ],
            )
            observability.note_transitions(session, [(None, p.values["estado"]) for p in new])
            for pending in new:
                empresa = pending.empresa
                if empresa.webhook_url or (empresa.smtp and pending.values["cliente_email"]):
                    assert pending.row is not None
                    self._notify(session, pending.row, empresa)
        return [p.values["id"] for p in new if p.queue_it]
