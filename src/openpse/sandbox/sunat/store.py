"""SUNAT's register of comprobantes, in memory.

Follows the "Comprobantes de pago electrónico" listado behind rules 1032/1033 of the
Factura2_0 sheet: one entry per RUC, tipo, serie and número, accepted (estado 1) or
rejected (estado 0). A rejected document consumes its number. A document being
processed holds its key, so a concurrent resend gets 0140 "Existe un Documento igual
en Proceso" instead of racing it. Every method is thread-safe.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass
from typing import Literal

DocumentKey = tuple[str, str, str, int]
Estado = Literal["aceptado", "rechazado"]


@dataclass(frozen=True)
class RegisteredDocument:
    """A comprobante SUNAT has answered with a CDR."""

    ruc: str
    tipo: str
    serie: str
    numero: int
    document_id: str
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

    def get(self, key: DocumentKey) -> RegisteredDocument | None:
        with self._lock:
            return self._documents.get(key)

    def documents(self) -> list[RegisteredDocument]:
        with self._lock:
            return list(self._documents.values())

    def count(self) -> int:
        with self._lock:
            return len(self._documents)

    def clear(self) -> None:
        with self._lock:
            self._documents.clear()

    def next_ticket(self) -> str:
        """A unique, increasing 13-digit number like the CDR IDs SUNAT issues (epoch milliseconds)."""
        with self._lock:
            self._last_ticket = max(self._last_ticket + 1, time.time_ns() // 1_000_000)
            return str(self._last_ticket)
