"""SUNAT's registers, in memory: comprobantes, presented summaries and tickets.

The comprobantes follow the "Comprobantes de pago electrónico" listado behind rules
1032/1033 of the Factura2_0 sheet, 2282/2987 of Resumen_Diario1_1 and 2105/2323/2398
of Comunicación_de_Baja1_0: one entry per RUC, tipo, serie and número, accepted
(estado 1), rejected (estado 0) or annulled (estado 2). A rejected document consumes
its number. A document being processed holds its key, so a concurrent resend gets
0140 "Existe un Documento igual en Proceso" instead of racing it.

Presented summaries back rules 2223 (Resumen diario) and 2324 (Comunicación de baja):
a summary name can be presented once. Tickets (``sunat.md`` §2.3, §6) remember who
asked and how many more queries answer "98, en proceso". Every method is thread-safe.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

DocumentKey = tuple[str, str, str, int]
SummaryKey = tuple[str, str, str, int]
Estado = Literal["aceptado", "rechazado", "anulado"]


@dataclass(frozen=True)
class RegisteredDocument:
    """A comprobante SUNAT has answered with a CDR, or that a Resumen diario informed."""

    ruc: str
    tipo: str
    serie: str
    numero: int
    document_id: str
    issue_date: str
    estado: Estado
    response_code: str
    notes: tuple[str, ...]
    file_name: str
    sender: str
    xml_sha256: str
    cdr_zip: bytes
    ticket: str
    received_at: dt.datetime

    @property
    def key(self) -> DocumentKey:
        return (self.ruc, self.tipo, self.serie, self.numero)


class Reservation:
    """Marker for a key whose document is being processed."""


_IN_PROCESS = Reservation()


class DocumentStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._documents: dict[DocumentKey, RegisteredDocument] = {}
        self._in_process: set[DocumentKey] = set()
        self._presented: set[SummaryKey] = set()
        self._last_ticket = 0

    def reserve(self, key: DocumentKey) -> RegisteredDocument | Reservation | None:
        """Hold ``key`` for processing; return what already holds it instead, if anything."""
        with self._lock:
            if key in self._in_process:
                return _IN_PROCESS
            current = self._documents.get(key)
            if current is None:
                self._in_process.add(key)
            return current

    def release(self, key: DocumentKey) -> None:
        """Give up a reservation (the answer was an exception: nothing is registered)."""
        with self._lock:
            self._in_process.discard(key)

    def register(self, document: RegisteredDocument) -> None:
        with self._lock:
            self._documents[document.key] = document
            self._in_process.discard(document.key)

    def register_if_absent(self, document: RegisteredDocument) -> bool:
        """Register ``document`` unless its key is already registered; whether it was."""
        with self._lock:
            if document.key in self._documents:
                return False
            self._documents[document.key] = document
            return True

    def annul(self, key: DocumentKey) -> None:
        """Mark a registered document as annulled (estado 2); unknown keys are left alone."""
        with self._lock:
            current = self._documents.get(key)
            if current is not None:
                self._documents[key] = dataclasses.replace(current, estado="anulado")

    def get(self, key: DocumentKey) -> RegisteredDocument | None:
        with self._lock:
            return self._documents.get(key)

    def documents(self) -> list[RegisteredDocument]:
        with self._lock:
            return list(self._documents.values())

    def count(self) -> int:
        with self._lock:
            return len(self._documents)

    def present(self, key: SummaryKey) -> bool:
        """Record a summary name as presented; False when it already was."""
        with self._lock:
            if key in self._presented:
                return False
            self._presented.add(key)
            return True

    def was_presented(self, key: SummaryKey) -> bool:
        with self._lock:
            return key in self._presented

    def clear(self) -> None:
        with self._lock:
            self._documents.clear()
            self._presented.clear()

    def next_ticket(self) -> str:
        """A unique, increasing 13-digit number like the tickets SUNAT issues (epoch milliseconds)."""
        with self._lock:
            self._last_ticket = max(self._last_ticket + 1, time.time_ns() // 1_000_000)
            return str(self._last_ticket)


class Poll(enum.Enum):
    """What a ticket query finds."""

    UNKNOWN = "unknown"
    FOREIGN = "foreign"
    PROCESSING = "processing"
    DONE = "done"


Outcome = TypeVar("Outcome")


@dataclass
class _Ticket(Generic[Outcome]):
    owner_ruc: str
    polls_left: int
    outcome: Outcome


class TicketBook(Generic[Outcome]):
    """Tickets issued by an asynchronous service and what their processing ended in."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tickets: dict[str, _Ticket[Outcome]] = {}

    def issue(self, ticket: str, owner_ruc: str, polls: int, outcome: Outcome) -> None:
        with self._lock:
            self._tickets[ticket] = _Ticket(owner_ruc, polls, outcome)

    def poll(self, ticket: str, may_read: Callable[[str], bool]) -> tuple[Poll, Outcome | None]:
        """Answer one query: each query by the owner uses up one "in process" answer first."""
        with self._lock:
            entry = self._tickets.get(ticket)
            if entry is None:
                return Poll.UNKNOWN, None
            if not may_read(entry.owner_ruc):
                return Poll.FOREIGN, None
            if entry.polls_left > 0:
                entry.polls_left -= 1
                return Poll.PROCESSING, None
            return Poll.DONE, entry.outcome

    def clear(self) -> None:
        with self._lock:
            self._tickets.clear()
