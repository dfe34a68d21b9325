"""What Hacienda holds: every comprobante received, its state and its MensajeHacienda.

A comprobante is keyed by its clave; a MensajeReceptor by ``clave-consecutivoReceptor``
(``hacienda_cr.md`` §2.3). Its ``ind-estado`` is ``recibido`` until ``recibido_s`` have
passed, then ``procesando`` until the processor has judged it, then ``aceptado``,
``rechazado`` or ``error`` for good (§2.3, §8 item 3).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from openpse.sandbox.hacienda.document import Received
from openpse.sandbox.hacienda.rules import Finding

FINAL_STATES = ("aceptado", "rechazado", "error")


@dataclass
class Record:
    key: str
    clave: str
    fecha: str
    emisor: dict[str, Any]
    receptor: dict[str, Any] | None
    callback_url: str | None
    xml: bytes
    received_at: float
    cedula: str
    issuer_name: str
    """``Emisor/Nombre`` of the comprobante (a later MensajeReceptor's answer names it)."""
    document: Received | None
    """The parsed comprobante, kept until it is judged."""
    final_state: str | None = None
    respuesta_xml: bytes | None = None
    findings: list[Finding] = field(default_factory=list)
    judging: bool = False

    def state(self, now: float, recibido_s: float) -> str:
        if self.final_state is not None:
            return self.final_state
        return "procesando" if now >= self.received_at + recibido_s else "recibido"


@dataclass(frozen=True)
class CallbackDelivery:
    """One POST to a ``callbackUrl``: the HTTP status, or the error that prevented it."""

    key: str
    url: str
    body: dict[str, Any]
    status: int | None
    error: str | None


class RecordStore:
    """The register of received comprobantes. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, Record] = {}
        self._callbacks: list[CallbackDelivery] = []

    def add(self, record: Record) -> bool:
        """Register ``record``; False when its key was already received."""
        with self._lock:
            if record.key in self._records:
                return False
            self._records[record.key] = record
            return True

    def get(self, key: str) -> Record | None:
        with self._lock:
            return self._records.get(key)

    def pending(self) -> list[Record]:
        with self._lock:
            return [r for r in self._records.values() if r.final_state is None and not r.judging]

    def records(self) -> list[Record]:
        with self._lock:
            return list(self._records.values())

    def add_callback(self, delivery: CallbackDelivery) -> None:
        with self._lock:
            self._callbacks.append(delivery)

    def callbacks(self) -> list[CallbackDelivery]:
        with self._lock:
            return list(self._callbacks)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self._callbacks.clear()
