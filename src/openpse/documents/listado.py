"""Listing a company's documents, newest first, for the API and the portal.

The cost of a page must not grow with what the company has stored. Two things would
make it grow, and neither happens here:

- Counting: ``total`` counts at most ``CONTEO_MAXIMO`` + 1 matching rows (an index walk
  that stops there); beyond that it says "more than" (``total_exacto`` false) instead of
  walking a million rows on every page.
- Deep pages: besides ``pagina`` (an offset, fine for the first pages a person reads),
  every page carries a ``cursor`` for the next one, a position in the (creado, id) order;
  following cursors costs the same at the millionth document as at the first.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, and_, func, or_, select

from openpse.documents.states import Estado
from openpse.runtime import Runtime
from openpse.storage.tables import Comprobante

CONTEO_MAXIMO = 10_000
"""Up to this many matching documents ``total`` is exact; beyond it, a lower bound."""


class CursorInvalido(ValueError):
    """A ``cursor`` this listing did not hand out."""


@dataclass(frozen=True)
class Filtros:
    """The listing filters, already validated."""

    tipo: str | None = None
    serie: str | None = None
    estado: Estado | None = None
    desde: dt.date | None = None
    hasta: dt.date | None = None


@dataclass(frozen=True)
class Pagina:
    rows: list[Comprobante]
    total: int
    """Matching documents, exact when ``total_exacto``; else ``CONTEO_MAXIMO`` (there are more)."""
    total_exacto: bool
    pagina: int
    tamano: int
    siguiente: str | None
    """Cursor of the next page (None on the last one)."""

    @property
    def paginas(self) -> int:
        return max(1, -(-self.total // self.tamano))


def filtered(empresa_id: int, filtros: Filtros) -> Select[Comprobante]:
    query = select(Comprobante).where(Comprobante.empresa_id == empresa_id)
    if filtros.tipo:
        query = query.where(Comprobante.tipo == filtros.tipo)
    if filtros.serie:
        query = query.where(Comprobante.serie == filtros.serie)
    if filtros.estado:
        query = query.where(Comprobante.estado == filtros.estado.value)
    if filtros.desde:
        query = query.where(Comprobante.fecha_emision >= filtros.desde)
    if filtros.hasta:
        query = query.where(Comprobante.fecha_emision <= filtros.hasta)
    return query


def encode_cursor(row: Comprobante) -> str:
    text = f"{row.creado.isoformat()}|{row.id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, str]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        creado, doc_id = text.split("|", 1)
        moment = dt.datetime.fromisoformat(creado)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise CursorInvalido("cursor no reconocido: use el valor 'cursor_siguiente' de una página") from exc
    if moment.tzinfo is None or not doc_id:
        raise CursorInvalido("cursor no reconocido: use el valor 'cursor_siguiente' de una página")
    return moment, doc_id


def listar(
    runtime: Runtime,
    empresa_id: int,
    filtros: Filtros,
    pagina: int = 1,
    tamano: int = 50,
    cursor: str | None = None,
) -> Pagina:
    """One page: by ``cursor`` when given (``pagina`` is then ignored), else by ``pagina``."""
    query = filtered(empresa_id, filtros)
    page = query.order_by(Comprobante.creado.desc(), Comprobante.id.desc())
    if cursor is not None:
        creado, doc_id = decode_cursor(cursor)
        page = page.where(
            or_(Comprobante.creado < creado, and_(Comprobante.creado == creado, Comprobante.id < doc_id))
        )
    else:
        page = page.offset((pagina - 1) * tamano)
    counted = query.with_only_columns(Comprobante.id).limit(CONTEO_MAXIMO + 1).subquery()
    with runtime.db.read() as session:
        total = session.scalar(select(func.count()).select_from(counted)) or 0
        rows = list(session.scalars(page.limit(tamano + 1)).all())
    more = len(rows) > tamano
    rows = rows[:tamano]
    return Pagina(
        rows=rows,
        total=min(total, CONTEO_MAXIMO),
        total_exacto=total <= CONTEO_MAXIMO,
        pagina=pagina,
        tamano=tamano,
        siguiente=encode_cursor(rows[-1]) if more and rows else None,
    )
