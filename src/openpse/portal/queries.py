"""Read queries of the portal, always scoped to one company (the signed-in user's).

The listing applies the same filters as ``GET /v1/comprobantes`` (tipo, serie, estado,
fecha de emisión desde/hasta) in the same order (newest first); the chart counts the
same selection per issue date and state in one grouped query.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select

from openpse.documents import impresion, listado
from openpse.documents.listado import Filtros, Pagina
from openpse.documents.states import Estado
from openpse.runtime import Runtime
from openpse.storage.tables import Comprobante, Empresa, Evento, ResumenLinea, Serie, Usuario


def list_documents(runtime: Runtime, empresa_id: int, filtros: Filtros, pagina: int, tamano: int) -> Pagina:
    return listado.listar(runtime, empresa_id, filtros, pagina, tamano)


def daily_counts(
    runtime: Runtime, empresa_id: int, filtros: Filtros, desde: dt.date, hasta: dt.date
) -> dict[dt.date, dict[str, int]]:
    """Documents per issue date and state, for the dates ``desde``..``hasta``."""
    narrowed = Filtros(filtros.tipo, filtros.serie, filtros.estado, desde, hasta)
    inner = listado.filtered(empresa_id, narrowed).subquery()
    query = select(inner.c.fecha_emision, inner.c.estado, func.count()).group_by(
        inner.c.fecha_emision, inner.c.estado
    )
    counts: dict[dt.date, dict[str, int]] = {}
    with runtime.db.read() as session:
        for fecha, estado, count in session.execute(query):
            counts.setdefault(fecha, {})[estado] = int(count)
    return counts


def series_of(runtime: Runtime, empresa_id: int) -> list[tuple[str, str]]:
    """``(tipo, serie)`` pairs the company has used (the series counters; small table)."""
    with runtime.db.read() as session:
        rows = session.execute(
            select(Serie.tipo, Serie.serie)
            .where(Serie.empresa_id == empresa_id)
            .order_by(Serie.serie, Serie.tipo)
        ).all()
    return [(tipo, serie) for tipo, serie in rows]


def events_of(runtime: Runtime, doc_id: str) -> list[Evento]:
    with runtime.db.read() as session:
        return list(
            session.scalars(select(Evento).where(Evento.comprobante_id == doc_id).order_by(Evento.id)).all()
        )


def summary_lines(runtime: Runtime, summary_id: str) -> list[ResumenLinea]:
    """The documents a summary (RA, RC, RR) carries; empty for any other document."""
    with runtime.db.read() as session:
        return list(
            session.scalars(
                select(ResumenLinea)
                .where(ResumenLinea.resumen_id == summary_id)
                .order_by(ResumenLinea.comprobante_id)
            ).all()
        )


def line_of(runtime: Runtime, summary_id: str, doc_id: str) -> ResumenLinea | None:
    """How a summary carries a document: catálogo 19 condition 3 annuls it, 1 and 2
    inform it (boletas sent by daily summary)."""
    with runtime.db.read() as session:
        return session.get(ResumenLinea, (summary_id, doc_id))


def user_with_company(runtime: Runtime, username: str) -> tuple[Usuario, Empresa] | None:
    with runtime.db.read() as session:
        row = session.execute(
            select(Usuario, Empresa)
            .join(Empresa, Empresa.id == Usuario.empresa_id)
            .where(Usuario.username == username)
        ).first()
    return (row[0], row[1]) if row is not None else None


def user_by_id(runtime: Runtime, usuario_id: int) -> tuple[Usuario, Empresa] | None:
    with runtime.db.read() as session:
        row = session.execute(
            select(Usuario, Empresa)
            .join(Empresa, Empresa.id == Usuario.empresa_id)
            .where(Usuario.id == usuario_id)
        ).first()
    return (row[0], row[1]) if row is not None else None


CONSULTABLE_TYPES = impresion.CONSULTABLE_TYPES
"""What a customer can look up (the printed documents name /consulta for exactly these)."""


@dataclass(frozen=True)
class Consulta:
    """What the customer typed, already well-formed."""

    ruc: str
    tipo: str
    serie: str
    numero: int
    fecha: dt.date
    total: Decimal


def find_for_customer(runtime: Runtime, consulta: Consulta) -> tuple[Comprobante, Empresa] | None:
    """The document only if every datum matches; None otherwise, whatever did not match.

    A document that was only signed (``enviar: false``) has not been issued to anyone
    yet, so it is not found either.
    """
    with runtime.db.read() as session:
        row = session.execute(
            select(Comprobante, Empresa)
            .join(Empresa, Empresa.id == Comprobante.empresa_id)
            .where(
                Empresa.identificacion == consulta.ruc,
                Empresa.pais == "PE",
                Empresa.activo,
                Comprobante.tipo == consulta.tipo,
                Comprobante.serie == consulta.serie,
                Comprobante.numero == consulta.numero,
            )
        ).first()
    if row is None:
        return None
    doc, empresa = row
    try:
        total_matches = Decimal(doc.total) == consulta.total
    except InvalidOperation:
        total_matches = False
    signed_only = doc.estado == Estado.REGISTRADO.value and not doc.enviar
    if doc.fecha_emision != consulta.fecha or not total_matches or signed_only:
        return None
    return doc, empresa


def document_for_customer(runtime: Runtime, doc_id: str) -> tuple[Comprobante, Empresa] | None:
    """A document the customer was already granted (by a matching consultation)."""
    with runtime.db.read() as session:
        row = session.execute(
            select(Comprobante, Empresa)
            .join(Empresa, Empresa.id == Comprobante.empresa_id)
            .where(Comprobante.id == doc_id, Empresa.activo)
        ).first()
    return (row[0], row[1]) if row is not None else None
