"""The document state machine (ARCHITECTURE.md §4), with the transitions it allows.

A job never sets a state the table below does not allow; an illegal transition is a bug
and raises, so that it shows up in tests instead of as a silently lost document.
"""

from __future__ import annotations

from enum import StrEnum


class Estado(StrEnum):
    REGISTRADO = "registrado"
    """Validated, built, signed and stored; waiting to be sent."""
    ENVIANDO = "enviando"
    """A worker is talking to the authority."""
    PENDIENTE = "pendiente"
    """The authority took it and answers later (ticket, recibido/procesando)."""
    DESCONOCIDO = "desconocido"
    """No answer: we do not know whether it arrived. Reconciled by a status query."""
    ERROR = "error"
    """Exception answer (SUNAT 0100–1999, Hacienda 5xx): retried with back-off."""
    ACEPTADO = "aceptado"
    OBSERVADO = "observado"
    """Accepted with observations (codes 4000 and above)."""
    RECHAZADO = "rechazado"
    """Rejected (SUNAT 2000–3999); final for that number."""
    ANULACION_PENDIENTE = "anulacion_pendiente"
    ANULADO = "anulado"
    FALLIDO = "fallido"
    """Retry budget exhausted: a person must look at it; never silently dropped."""


FINAL = frozenset({Estado.ACEPTADO, Estado.OBSERVADO, Estado.RECHAZADO, Estado.ANULADO, Estado.FALLIDO})
"""States in which nothing more happens on its own."""

ANSWERED = frozenset({Estado.ACEPTADO, Estado.OBSERVADO, Estado.RECHAZADO, Estado.ANULADO})
"""States that carry the authority's final answer."""

_NEXT: dict[Estado, frozenset[Estado]] = {
    # Informed by a daily summary: the summary carries it (pendiente), or it cannot be
    # informed as it is (fallido).
    Estado.REGISTRADO: frozenset({Estado.ENVIANDO, Estado.PENDIENTE, Estado.FALLIDO}),
    Estado.ENVIANDO: frozenset(
        {
            Estado.ACEPTADO,
            Estado.OBSERVADO,
            Estado.RECHAZADO,
            Estado.PENDIENTE,
            Estado.DESCONOCIDO,
            Estado.ERROR,
            Estado.FALLIDO,
        }
    ),
    # Polling a ticket: still in process (pendiente again), an answer, or the ticket lost
    # (registrado: the same bytes go again).
    Estado.PENDIENTE: frozenset(
        {
            Estado.PENDIENTE,
            Estado.ACEPTADO,
            Estado.OBSERVADO,
            Estado.RECHAZADO,
            Estado.REGISTRADO,
            Estado.DESCONOCIDO,
            Estado.ERROR,
            Estado.FALLIDO,
        }
    ),
    Estado.DESCONOCIDO: frozenset(
        {
            Estado.ACEPTADO,
            Estado.OBSERVADO,
            Estado.RECHAZADO,
            Estado.REGISTRADO,
            Estado.PENDIENTE,
            Estado.DESCONOCIDO,
            Estado.ERROR,
            Estado.FALLIDO,
        }
    ),
    Estado.ERROR: frozenset({Estado.ENVIANDO, Estado.FALLIDO}),
    Estado.ACEPTADO: frozenset({Estado.ANULACION_PENDIENTE}),
    Estado.OBSERVADO: frozenset({Estado.ANULACION_PENDIENTE}),
    Estado.ANULACION_PENDIENTE: frozenset({Estado.ANULADO, Estado.ACEPTADO, Estado.OBSERVADO}),
    Estado.RECHAZADO: frozenset(),
    Estado.ANULADO: frozenset(),
    Estado.FALLIDO: frozenset({Estado.REGISTRADO}),
}


class IllegalTransition(RuntimeError):
    pass


def check_transition(current: Estado, new: Estado) -> None:
    if new not in _NEXT[current]:
        raise IllegalTransition(f"transición no permitida: {current} → {new}")
