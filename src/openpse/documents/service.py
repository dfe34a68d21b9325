"""Registering documents and advancing them through the state machine.

``register`` validates, builds, signs and stores a document in one transaction and then
queues it; ``advance`` is the only job: it re-reads the row, takes a lease on it, talks
to the authority outside any transaction, and writes the next state with the lease
token checked, so a job that runs twice (or a worker that dies mid-send) never applies
a stale answer. ``sweep`` re-queues whatever a crash may have left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import hashlib
import logging
import secrets
import threading
import time
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased
from starlette.concurrency import run_in_threadpool

from openpse import notifications
from openpse.authorities.base import (
    DocumentLookup,
    DocumentoEmitido,
    Draft,
    Outcome,
    Prepared,
    RegistryLookup,
    Submission,
    VoidTarget,
)
from openpse.core.errors import Code, Conflict, Issue, NotFound, OpenPSEError
from openpse.core.timeutil import LIMA, iso, now_lima, zona_de
from openpse.documents.escritor import GroupWriter, Pending
from openpse.documents.states import FINAL, Estado, check_transition
from openpse.runtime import Runtime
from openpse.storage.tables import Comprobante, Empresa, Evento, ResumenLinea, Serie, utcnow
from openpse.tenants import empresa_context

log = logging.getLogger("openpse.documents")

MAX_RETRY_DELAY = 900.0
POLL_MIN_DELAY = 1.0
ORDER_RECHECK = 2.0
"""Seconds before a document that waits for another to be answered looks again."""
POLL_MAX_DELAY = 600.0
POLL_GIVE_UP = dt.timedelta(hours=48)
"""A ticket still "in process" after this long needs a person (SUNAT answers in minutes)."""
ALREADY_VOID = frozenset({"2323", "2987"})
"""Rejections that say the document was already annulled (RA: informed in an earlier
Comunicación de baja; RC: already annulled or rejected), e.g. by an earlier summary
whose answer was lost: the annulment stands."""
ALREADY_INFORMED = frozenset({"2282"})
"""An RC line with ConditionCode 1 for a boleta SUNAT already holds: an earlier summary
whose answer was lost did inform it (a summary is accepted or rejected as a whole, and
a summary sent again carries exactly the lines of the lost one)."""
ALREADY_PRESENTED = frozenset({"2223", "2324"})
"""The summary's name was processed before: a resend after a lost answer. Its fate is
unknown here, so its documents go out again in a new summary, whose answer tells (a
2323/2987 rejection then means the first one did annul them)."""


@dataclass(frozen=True)
class Registered:
    row: Comprobante
    created: bool


def _retry_delay(runtime: Runtime, intentos: int) -> float:
    return float(min(runtime.settings.retry_base_delay * (2 ** max(intentos - 1, 0)), MAX_RETRY_DELAY))


def _event(
    session: Session,
    doc_id: str,
    anterior: str | None,
    estado: str,
    detalle: str | None,
    empresa: Empresa | None = None,
) -> None:
    """Record a state change, and in the same transaction what it tells the outside world.

    ``empresa`` is the issuer when the caller already holds it (saves a read)."""
    session.add(Evento(comprobante_id=doc_id, estado_anterior=anterior, estado=estado, detalle=detalle))
    if anterior == estado:
        return
    row = session.get(Comprobante, doc_id)
    if empresa is None and row is not None:
        empresa = session.get(Empresa, row.empresa_id)
    if row is None or empresa is None or not (empresa.webhook_url or (empresa.smtp and row.cliente_email)):
        return
    _notify_new(session, row, empresa, estado)


def _series_upsert(session: Session, empresa_id: int, tipo: str, serie: str, ultimo: Any) -> Any:
    """``INSERT ... ON CONFLICT DO UPDATE`` on the series counter (SQLite and PostgreSQL)."""
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
    statement = insert(Serie).values(empresa_id=empresa_id, tipo=tipo, serie=serie, ultimo=1)
    return statement.on_conflict_do_update(
        index_elements=["empresa_id", "tipo", "serie"], set_={"ultimo": ultimo}
    )


def _next_number(session: Session, empresa_id: int, tipo: str, serie: str) -> int:
    """Take the next correlative of a series, in one statement (the counter row stays locked
    until the transaction ends, so concurrent requests get consecutive numbers)."""
    statement = _series_upsert(session, empresa_id, tipo, serie, Serie.ultimo + 1).returning(Serie.ultimo)
    return int(session.execute(statement).scalar_one())


def _note_number(session: Session, empresa_id: int, tipo: str, serie: str, numero: int) -> None:
    """An explicitly numbered document moves the counter past it, so automatic numbers follow."""
    ultimo = (
        func.max(Serie.ultimo, numero)
        if session.get_bind().dialect.name == "sqlite"
        else func.greatest(Serie.ultimo, numero)
    )
    statement = _series_upsert(session, empresa_id, tipo, serie, ultimo)
    session.execute(statement.values(ultimo=numero))


def _existing(
    session: Session, empresa_id: int, draft: Draft, idempotency_key: str | None
) -> Comprobante | None:
    if idempotency_key:
        row = session.scalar(
            select(Comprobante).where(
                Comprobante.empresa_id == empresa_id, Comprobante.idempotency_key == idempotency_key
            )
        )
        if row is not None:
            return row
    if draft.numero is not None:
        return session.scalar(
            select(Comprobante).where(
                Comprobante.empresa_id == empresa_id,
                Comprobante.tipo == draft.tipo,
                Comprobante.serie == draft.serie,
                Comprobante.numero == draft.numero,
            )
        )
    return None


def _same_or_conflict(row: Comprobante, draft: Draft) -> Registered:
    if row.content_hash != draft.content_hash:
        raise Conflict(
            Issue(
                Code.CONFLICTO,
                f"El comprobante {row.serie}-{row.numero} ya fue registrado con otro contenido; "
                "use otro número (o el mismo contenido para recuperar el registrado)",
                "numero",
            )
        )
    return Registered(row, created=False)


def register(
    runtime: Runtime,
    empresa: Empresa,
    *,
    payload: Any = None,
    xml: bytes | None = None,
    idempotency_key: str | None = None,
    enviar: bool = True,
    draft: Draft | None = None,
) -> Registered:
    """Validate, build, sign and store a document; queue it when ``enviar``.

    ``draft`` is a request the authority already parsed by other means (a Costa Rican
    MensajeReceptor, :mod:`openpse.authorities.hacienda.recepcion`); its ``prepare`` builds it.
    The same request again returns the stored document (``created=False``); different
    content under a used number or idempotency key is a 409.
    """
    authority = runtime.authority(empresa.pais)
    context = replace(
        empresa_context(empresa, runtime.box, runtime.keys), documentos=_documentos(runtime, empresa.id)
    )
    prepared: Prepared | None = None
    if draft is None and xml is not None:
        draft, prepared = authority.prepare_xml(xml, context)
    elif draft is None:
        draft = authority.parse(payload)
    if prepared is None and draft.numero is not None:
        # The number is known: build, sign and write the files before taking the write
        # lock, which then covers only the insert. A re-post is found inside the
        # transaction below; only when the document no longer validates (a date window
        # has closed since) is the stored one looked up first, so a re-post still gets it.
        try:
            prepared = authority.prepare(draft, draft.numero, context, now_lima().date())
        except OpenPSEError:
            with runtime.db.read() as session:
                existing = _existing(session, empresa.id, draft, idempotency_key)
            if existing is not None:
                return _same_or_conflict(existing, draft)
            raise
    elif prepared is not None:
        # The ERP's own XML: nothing to build, but a re-post should not write files again.
        with runtime.db.read() as session:
            existing = _existing(session, empresa.id, draft, idempotency_key)
        if existing is not None:
            return _same_or_conflict(existing, draft)
    if prepared is not None:
        # Numbered: the row goes to this process's writer, stored with the others of its
        # batch in one transaction (see openpse.documents.escritor).
        files = _write_files(runtime, empresa, prepared)
        pending = _pending(authority, empresa, draft, prepared, files, idempotency_key, enviar)
        _group_writer(runtime).store(pending)
        assert pending.row is not None
        return Registered(pending.row, created=pending.created)
    for attempt in range(3):
        try:
            with runtime.db.session() as session:
                existing = _existing(session, empresa.id, draft, idempotency_key)
                if existing is not None:
                    return _same_or_conflict(existing, draft)
                # Automatic numbering: the number, the signed document and the row are
                # one transaction (taken again on every attempt), so a crash leaves no
                # gap in the series.
                numero = _next_number(session, empresa.id, draft.tipo, draft.serie)
                prepared = authority.prepare(draft, numero, context, now_lima().date())
                files = _write_files(runtime, empresa, prepared)
                por_resumen = _por_resumen(authority, empresa, prepared)
                row = _store(
                    session, empresa, draft, prepared, files, idempotency_key, enviar, por_resumen=por_resumen
                )
            break
        except IntegrityError:
            # Another request took the same number or key between our read and our
            # insert: read again, and answer as for a re-post.
            if attempt == 2:
                raise
    # A document informed by summary waits for the summaries job (or POST /v1/resumenes).
    if enviar and not row.por_resumen and runtime.queue is not None:
        runtime.queue.advance(row.id)
    return Registered(row, created=True)


def _write_files(runtime: Runtime, empresa: Empresa, prepared: Prepared) -> tuple[str, str]:
    """Store the signed XML and the zip; keys are content digests, so this may run before
    the row exists and a row that does not commit leaves only unreferenced files."""
    prefix = f"{empresa.identificacion}/{prepared.fecha_emision:%Y/%m/%d}"
    return (
        runtime.blobs.put(prefix, prepared.xml_name, prepared.xml),
        runtime.blobs.put(prefix, prepared.envio_name, prepared.envio),
    )


def _row_values(
    empresa: Empresa,
    draft: Draft,
    prepared: Prepared,
    files: tuple[str, str],
    idempotency_key: str | None,
    enviar: bool,
    por_resumen: bool,
) -> dict[str, Any]:
    """The new row's columns (every one, so rows of one batch insert together)."""
    xml_key, envio_key = files
    now = utcnow()
    return {
        "id": prepared.id,
        "empresa_id": empresa.id,
        "tipo": prepared.tipo,
        "serie": prepared.serie,
        "numero": prepared.numero,
        "estado": Estado.REGISTRADO.value,
        "enviar": enviar,
        "por_resumen": por_resumen,
        "fecha_emision": prepared.fecha_emision,
        "moneda": prepared.moneda,
        "total": prepared.total,
        "totales": prepared.totales,
        "cliente_tipo": prepared.cliente_tipo,
        "cliente_numero": prepared.cliente_numero,
        "cliente_nombre": prepared.cliente_nombre,
        "cliente_email": prepared.cliente_email,
        "hash": prepared.hash,
        "content_hash": draft.content_hash,
        "idempotency_key": idempotency_key,
        "xml_name": prepared.xml_name,
        "xml_blob": xml_key,
        "envio_name": prepared.envio_name,
        "envio_blob": envio_key,
        "cdr_blob": None,
        "cdr_zip_blob": None,
        "respuesta": {"codigo": None, "descripcion": None, "observaciones": prepared.observaciones}
        if prepared.observaciones
        else None,
        "ticket": None,
        "intentos": 0,
        "proximo_intento": None,
        "lease_hasta": None,
        "lease_token": None,
        "ultimo_error": None,
        "creado": now,
        "actualizado": now,
    }


def _first_event(por_resumen: bool) -> str:
    return "firmado y almacenado; se informa en el resumen diario" if por_resumen else "firmado y almacenado"


def _store(
    session: Session,
    empresa: Empresa,
    draft: Draft,
    prepared: Prepared,
    files: tuple[str, str],
    idempotency_key: str | None,
    enviar: bool,
    *,
    por_resumen: bool = False,
) -> Comprobante:
    values = _row_values(empresa, draft, prepared, files, idempotency_key, enviar, por_resumen)
    return _insert_row(session, values, _first_event(por_resumen), empresa)


def _insert_row(session: Session, values: dict[str, Any], detalle: str, empresa: Empresa) -> Comprobante:
    """A new document's row and its first event, through the ORM (one at a time)."""
    row = Comprobante(**values)
    session.add(row)
    session.flush()
    _event(session, row.id, None, row.estado, detalle, empresa)
    return row


def _por_resumen(authority: Any, empresa: Empresa, prepared: Prepared) -> bool:
    """Informed by a daily summary rather than sent on its own (``boletas_por_resumen``)."""
    return bool(empresa.boletas_por_resumen) and (
        authority.summary_kind(prepared.tipo, prepared.serie) is not None
    )


def _pending(
    authority: Any,
    empresa: Empresa,
    draft: Draft,
    prepared: Prepared,
    files: tuple[str, str],
    idempotency_key: str | None,
    enviar: bool,
) -> Pending:
    por_resumen = _por_resumen(authority, empresa, prepared)
    return Pending(
        empresa=empresa,
        draft=draft,
        prepared=prepared,
        values=_row_values(empresa, draft, prepared, files, idempotency_key, enviar, por_resumen),
        detalle=_first_event(por_resumen),
        queue_it=enviar and not por_resumen,
    )


def _collided(session: Session, pending: Pending) -> Comprobante:
    """The stored document a numbered row collided with (same number or idempotency key)."""
    existing = _collided_or_none(session, pending)
    if existing is None:
        raise LookupError(f"{pending.values['id']}: chocó con un registro que no se encuentra")
    return existing


def _notify_new(session: Session, row: Comprobante, empresa: Empresa, estado: str | None = None) -> None:
    """The webhooks/e-mails ``row`` reaching ``estado`` (its own state by default) causes."""
    estado = estado or row.estado
    notifications.record(
        session, row, empresa, estado, to_api(row, empresa.identificacion, zona_de(empresa.pais))
    )


def _store_one(runtime: Runtime, pending: Pending) -> None:
    """One numbered document in a transaction of its own (when its batch could not be stored)."""
    with runtime.db.session() as session:
        row = _collided_or_none(session, pending)
        if row is None:
            v = pending.values
            _note_number(session, v["empresa_id"], v["tipo"], v["serie"], v["numero"])
            row = _insert_row(session, v, pending.detalle, pending.empresa)
            pending.created = True
        pending.row = row
    if pending.created and pending.queue_it and runtime.queue is not None:
        runtime.queue.advance(row.id)


def _collided_or_none(session: Session, pending: Pending) -> Comprobante | None:
    """The stored document with this row's number or key (a 409 if its content differs)."""
    existing = _existing(session, pending.empresa.id, pending.draft, pending.values["idempotency_key"])
    return None if existing is None else _same_or_conflict(existing, pending.draft).row


_WRITER_LOCK = threading.Lock()


def _group_writer(runtime: Runtime) -> GroupWriter:
    """This runtime's writer (one per process and database)."""
    writer: GroupWriter | None = runtime.__dict__.get("_group_writer")
    if writer is None:
        with _WRITER_LOCK:
            writer = runtime.__dict__.get("_group_writer")
            if writer is None:
                writer = GroupWriter(
                    runtime,
                    existing=_collided,
                    note_number=_note_number,
                    notify=_notify_new,
                    single=lambda pending: _store_one(runtime, pending),
                )
                runtime.__dict__["_group_writer"] = writer
    return writer


def _with_predicted(answer: dict[str, Any], before: dict[str, Any] | None) -> dict[str, Any]:
    """The authority's answer, keeping the observations OpenPSE predicted at intake that
    the answer does not repeat (an emulator or OSE may not check everything SUNAT's
    sheets do; the integrator still needs to know)."""
    predicted = (before or {}).get("observaciones") or []
    if not predicted:
        return answer
    observaciones = list(answer.get("observaciones") or [])
    seen = {o.get("codigo") for o in observaciones}
    observaciones += [o for o in predicted if o.get("codigo") not in seen]
    return {**answer, "observaciones": observaciones}


def request_send(runtime: Runtime, row: Comprobante) -> Comprobante:
    """``POST /{id}/envio``: send a signed-only document, or retry a ``fallido`` one."""
    with runtime.db.session() as session:
        current = session.get(Comprobante, row.id, with_for_update=True)
        if current is None:
            raise NotFound()
        estado = Estado(current.estado)
        informs = session.scalar(
            select(ResumenLinea.comprobante_id)
            .where(ResumenLinea.resumen_id == current.id, ResumenLinea.condicion == "1")
            .limit(1)
        )
        if informs is not None:
            # Its documents went fallido with it; each goes again in a new summary.
            raise Conflict(
                Issue(
                    Code.CONFLICTO,
                    "Este resumen diario informa comprobantes: reintente cada comprobante "
                    "(POST /v1/comprobantes/{id}/envio) y van en un resumen nuevo",
                    "estado",
                )
            )
        if estado is Estado.FALLIDO:
            check_transition(estado, Estado.REGISTRADO)
            current.estado = Estado.REGISTRADO.value
            current.intentos = 0
            current.proximo_intento = None
            _event(session, current.id, estado.value, current.estado, "reintento manual")
        elif not (estado is Estado.REGISTRADO and not current.enviar):
            raise Conflict(
                Issue(Code.CONFLICTO, f"El comprobante está {estado.value}: no hay nada que enviar", "estado")
            )
        current.enviar = True
        current.actualizado = utcnow()
    if runtime.queue is not None and not current.por_resumen:
        runtime.queue.advance(current.id)
    return current


# -- annulling ------------------------------------------------------------------------------

_REGISTRY_STATES = {
    Estado.ACEPTADO.value: "aceptado",
    Estado.OBSERVADO.value: "aceptado",
    Estado.ANULACION_PENDIENTE.value: "aceptado",
    Estado.RECHAZADO.value: "rechazado",
    Estado.ANULADO.value: "anulado",
}


@dataclass(frozen=True)
class Voiding:
    document: Comprobante
    summary: Comprobante | None
    created: bool


def _void_summary(session: Session, doc_id: str) -> Comprobante | None:
    """The latest summary document that carries ``doc_id``."""
    return session.scalar(
        select(Comprobante)
        .join(ResumenLinea, ResumenLinea.resumen_id == Comprobante.id)
        .where(ResumenLinea.comprobante_id == doc_id)
        .order_by(Comprobante.creado.desc())
        .limit(1)
    )


def _void_target(row: Comprobante) -> VoidTarget:
    return VoidTarget(
        id=row.id,
        tipo=row.tipo,
        serie=row.serie,
        numero=row.numero,
        fecha_emision=row.fecha_emision,
        moneda=row.moneda,
        totales=row.totales,
        cliente_tipo=row.cliente_tipo,
        cliente_numero=row.cliente_numero,
    )


def _documentos(runtime: Runtime, empresa_id: int) -> DocumentLookup:
    """The issuer's documents as stored (a note's rules compare it with what it modifies);
    read only when a rule asks, in a read transaction of its own."""

    def lookup(tipo: str, serie: str, numero: int) -> DocumentoEmitido | None:
        with runtime.db.read() as session:
            found = session.scalar(
                select(Comprobante).where(
                    Comprobante.empresa_id == empresa_id,
                    Comprobante.tipo == tipo,
                    Comprobante.serie == serie,
                    Comprobante.numero == numero,
                )
            )
            if found is None or found.estado == Estado.RECHAZADO.value:
                return None
            fecha, moneda, total, blob = found.fecha_emision, found.moneda, found.total, found.xml_blob
        return DocumentoEmitido(fecha, moneda, total, runtime.blobs.get(blob))

    return lookup


def _registry(session: Session, empresa_id: int) -> RegistryLookup:
    """What the authority holds of the issuer's documents, as far as OpenPSE knows."""

    def lookup(tipo: str, serie: str, numero: int) -> tuple[str, dt.date] | None:
        found = session.scalar(
            select(Comprobante).where(
                Comprobante.empresa_id == empresa_id,
                Comprobante.tipo == tipo,
                Comprobante.serie == serie,
                Comprobante.numero == numero,
            )
        )
        if found is None or found.estado not in _REGISTRY_STATES:
            return None
        return _REGISTRY_STATES[found.estado], found.fecha_emision

    return lookup


def request_void(runtime: Runtime, empresa: Empresa, doc_id: str, motivo: str) -> Voiding:
    """``POST /{id}/anulacion``: build, sign and queue the document that annuls ``doc_id``.

    The document goes ``anulacion_pendiente`` in the same transaction that stores the
    annulling document (an RA or RC row, numbered by day), so neither exists without the
    other; the summary's final state later settles it (see ``_settle_lines``). Asking
    again while it is pending, or once annulled, answers the same.
    """
    authority = runtime.authority(empresa.pais)
    context = empresa_context(empresa, runtime.box, runtime.keys)
    today = now_lima().date()
    with runtime.db.session() as session:
        row = session.get(Comprobante, doc_id, with_for_update=True)
        if row is None or row.empresa_id != empresa.id:
            raise NotFound(f"No existe el comprobante {doc_id}")
        estado = Estado(row.estado)
        if estado in (Estado.ANULACION_PENDIENTE, Estado.ANULADO):
            return Voiding(row, _void_summary(session, doc_id), created=False)
        if row.por_resumen and estado in (Estado.REGISTRADO, Estado.PENDIENTE):
            # SUNAT annuls by an RC line with ConditionCode 3 only what an earlier summary
            # informed (2663 otherwise), and one summary may not inform and annul the same
            # boleta: the annulment follows the answer to the summary that informs it.
            raise Conflict(
                Issue(
                    Code.CONFLICTO,
                    f"El comprobante está {estado.value}: aún no fue informado a SUNAT en un resumen diario "
                    "aceptado. Envíe el resumen (POST /v1/resumenes) y anúlelo cuando esté aceptado",
                    "estado",
                )
            )
        if estado not in (Estado.ACEPTADO, Estado.OBSERVADO):
            raise Conflict(
                Issue(
                    Code.CONFLICTO,
                    f"El comprobante está {estado.value}: solo se anula uno aceptado por la autoridad",
                    "estado",
                )
            )
        target = _void_target(row)
        kind = authority.void_kind(target, today)
        series = authority.void_series(kind, today)
        numero = _next_number(session, empresa.id, kind, series)
        prepared = authority.prepare_void(
            kind, [target], motivo, context, today, numero, _registry(session, empresa.id)
        )
        files = _write_files(runtime, empresa, prepared)
        draft = Draft(
            prepared.tipo, prepared.serie, prepared.numero, hashlib.sha256(prepared.xml).hexdigest(), None
        )
        summary = _store(session, empresa, draft, prepared, files, None, True)
        session.add(
            ResumenLinea(
                resumen_id=summary.id,
                comprobante_id=row.id,
                condicion="3",
                estado_anterior=row.estado,
                motivo=motivo,
            )
        )
        check_transition(estado, Estado.ANULACION_PENDIENTE)
        row.estado = Estado.ANULACION_PENDIENTE.value
        row.actualizado = utcnow()
        _event(session, row.id, estado.value, row.estado, f"anulación solicitada: {summary.id}")
    if runtime.queue is not None:
        runtime.queue.advance(summary.id)
    runtime.notifier.notify(row.id)
    return Voiding(row, summary, created=True)


def void_again(runtime: Runtime, summary_id: str) -> Comprobante | None:
    """Send the documents of a summary whose fate is unknown in a new summary (see
    ``ALREADY_PRESENTED``); they stay ``anulacion_pendiente`` meanwhile."""
    today = now_lima().date()
    with runtime.db.session() as session:
        old = session.get(Comprobante, summary_id)
        assert old is not None
        empresa = session.get(Empresa, old.empresa_id)
        assert empresa is not None
        lines = session.scalars(select(ResumenLinea).where(ResumenLinea.resumen_id == summary_id)).all()
        docs = [session.get(Comprobante, line.comprobante_id) for line in lines]
        pending = [
            (line, doc)
            for line, doc in zip(lines, docs, strict=True)
            if doc is not None and doc.estado == Estado.ANULACION_PENDIENTE.value
        ]
        if not pending:
            return None
        authority = runtime.authority(empresa.pais)
        context = empresa_context(empresa, runtime.box, runtime.keys)
        targets = [_void_target(doc) for _, doc in pending]
        series = authority.void_series(old.tipo, today)
        numero = _next_number(session, empresa.id, old.tipo, series)
        prepared = authority.prepare_void(
            old.tipo,
            targets,
            pending[0][0].motivo or "",
            context,
            today,
            numero,
            _registry(session, empresa.id),
        )
        files = _write_files(runtime, empresa, prepared)
        draft = Draft(
            prepared.tipo, prepared.serie, prepared.numero, hashlib.sha256(prepared.xml).hexdigest(), None
        )
        summary = _store(session, empresa, draft, prepared, files, None, True)
        for line, doc in pending:
            session.add(
                ResumenLinea(
                    resumen_id=summary.id,
                    comprobante_id=doc.id,
                    condicion=line.condicion,
                    estado_anterior=line.estado_anterior,
                    motivo=line.motivo,
                )
            )
            _event(
                session,
                doc.id,
                doc.estado,
                doc.estado,
                f"{summary_id} ya había sido presentado; se envía de nuevo en {summary.id}",
            )
    if runtime.queue is not None:
        runtime.queue.advance(summary.id)
    return summary


def void_summary_of(runtime: Runtime, doc_id: str) -> Comprobante | None:
    with runtime.db.read() as session:
        return _void_summary(session, doc_id)


# -- advancing ------------------------------------------------------------------------------


def _submission(runtime: Runtime, row: Comprobante) -> Submission:
    return Submission(
        id=row.id,
        tipo=row.tipo,
        serie=row.serie,
        numero=row.numero,
        hash=row.hash,
        envio_name=row.envio_name,
        envio=runtime.blobs.get(row.envio_blob),
        intentos=row.intentos,
        ticket=row.ticket,
    )


def _claim(runtime: Runtime, doc_id: str) -> tuple[str, Comprobante, str, Empresa] | None:
    """Take the lease on a document that has something to do; return (mode, row, token,
    issuer), the row and the issuer detached, read in the claim's own transaction."""
    now = utcnow()
    with runtime.db.session() as session:
        row = session.get(Comprobante, doc_id)
        if row is None:
            return None
        estado = Estado(row.estado)
        if estado in FINAL or estado is Estado.ANULACION_PENDIENTE:
            # An annulment is carried by its summary document, which is what moves.
            return None
        if estado is Estado.REGISTRADO and not row.enviar:
            return None
        if row.por_resumen:
            # Informed by a daily summary: never sent on its own; its summary moves.
            return None
        if row.lease_hasta is not None and row.lease_hasta > now:
            return None
        if row.proximo_intento is not None and row.proximo_intento > now + dt.timedelta(seconds=0.5):
            return None
        token = secrets.token_hex(8)
        lease = _lease(runtime)
        values: dict[str, Any] = {"lease_hasta": now + lease, "lease_token": token, "actualizado": now}
        if estado in (Estado.REGISTRADO, Estado.ERROR):
            mode = "submit"
            values.update(estado=Estado.ENVIANDO.value, intentos=Comprobante.intentos + 1)
        elif estado is Estado.PENDIENTE:
            # The authority took it and answers later: poll (the state stays pendiente).
            mode = "reconcile"
        else:
            # desconocido, or enviando whose worker died: ask before sending again.
            mode = "reconcile"
            values.update(estado=Estado.DESCONOCIDO.value)
        claimed = session.execute(
            update(Comprobante)
            .where(
                Comprobante.id == doc_id,
                Comprobante.estado == row.estado,
                or_(Comprobante.lease_hasta.is_(None), Comprobante.lease_hasta <= now),
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        if claimed != 1:
            return None
        empresa = session.get(Empresa, row.empresa_id)
        if empresa is None:
            raise LookupError(f"{doc_id}: su empresa no existe")
        if estado is Estado.ENVIANDO:
            _event(
                session,
                doc_id,
                estado.value,
                Estado.DESCONOCIDO.value,
                "el envío anterior quedó sin respuesta",
                empresa,
            )
        elif mode == "submit":
            _event(session, doc_id, estado.value, Estado.ENVIANDO.value, None, empresa)
        # The row as the UPDATE left it, without reading it back: detached first, so
        # these assignments stay in memory.
        session.expunge(row)
        session.expunge(empresa)
        for name, value in values.items():
            setattr(row, name, row.intentos + 1 if name == "intentos" else value)
        return mode, row, token, empresa


def _lease(runtime: Runtime) -> dt.timedelta:
    """``OPENPSE_LEASE_S`` (validated to outlast one call to the authority)."""
    return dt.timedelta(seconds=runtime.settings.lease_s)


def _in_flight(doc: Any) -> Any:
    """``doc`` (a Comprobante entity or alias) is still on its way to the authority."""
    return or_(
        doc.estado.in_(
            [Estado.ENVIANDO.value, Estado.PENDIENTE.value, Estado.DESCONOCIDO.value, Estado.ERROR.value]
        ),
        (doc.estado == Estado.REGISTRADO.value) & doc.enviar,
    )


@functools.cache
def _waits_statement() -> Any:
    """The document's state and the first in-flight document its summary carries.

    Built once: constructing it costs more CPU than running it, and it runs before every job.
    """
    line = aliased(Comprobante)
    carried = (
        select(line.id)
        .join(ResumenLinea, ResumenLinea.comprobante_id == line.id)
        .where(
            ResumenLinea.resumen_id == Comprobante.id,
            # Lines that inform (ConditionCode 1) travel with the summary itself.
            ResumenLinea.condicion != "1",
            _in_flight(line),
        )
        .limit(1)
        .scalar_subquery()
    )
    return select(
        Comprobante.estado,
        Comprobante.enviar,
        Comprobante.tipo,
        Comprobante.empresa_id,
        Comprobante.creado,
        carried,
    ).where(Comprobante.id == bindparam("doc_id"))


def _waits_for(runtime: Runtime, doc_id: str) -> str | None:
    """The document that must be answered before ``doc_id`` may be sent, if any.

    A summary waits for the documents it carries (SUNAT checks a Resumen diario's
    lines against the comprobantes it already holds); a document of an ordered type
    (``OPENPSE_ORDERED_TYPES``, RC by default) waits for the issuer's earlier documents
    of those types, because SUNAT processes the tickets of one issuer's summaries in
    any order, and an annulment (estado 3) processed before the line that informed the
    boleta is rejected.
    """
    ordered = {t.strip().upper() for t in runtime.settings.ordered_types.split(",") if t.strip()}
    with runtime.db.read() as session:
        # One round trip for the common case (plain columns: this runs before every job).
        row = session.execute(_waits_statement(), {"doc_id": doc_id}).first()
        if row is None or row.estado not in (Estado.REGISTRADO.value, Estado.ERROR.value) or not row.enviar:
            return None
        if row[5] is not None or row.tipo not in ordered:
            return row[5]  # type: ignore[no-any-return]
        return session.scalar(
            select(Comprobante.id)
            .where(
                Comprobante.empresa_id == row.empresa_id,
                Comprobante.tipo.in_(sorted(ordered)),
                Comprobante.id != doc_id,
                or_(
                    Comprobante.creado < row.creado,
                    (Comprobante.creado == row.creado) & (Comprobante.id < doc_id),
                ),
                _in_flight(Comprobante),
            )
            .order_by(Comprobante.creado)
            .limit(1)
        )


def advance(runtime: Runtime, doc_id: str) -> Estado | None:
    """Do the next step for a document; safe to run any number of times, concurrently."""
    before = _waits_for(runtime, doc_id)
    if before is not None:
        log.debug("%s espera a %s", doc_id, before)
        if runtime.queue is not None:
            runtime.queue.advance(doc_id, delay=ORDER_RECHECK)
        return None
    claim = _claim(runtime, doc_id)
    if claim is None:
        return None
    mode, row, token, empresa = claim
    context = empresa_context(empresa, runtime.box, runtime.keys)
    authority = runtime.authority(empresa.pais)
    started = time.monotonic()
    try:
        submission = _submission(runtime, row)
        outcome = (
            authority.submit(submission, context)
            if mode == "submit"
            else authority.reconcile(submission, context)
        )
    except Exception as exc:
        log.exception("fallo inesperado al %s %s", mode, doc_id)
        # We cannot know whether the bytes left: the only safe state is "unknown".
        outcome = Outcome(Estado.DESCONOCIDO, detalle=f"error interno: {type(exc).__name__}: {exc}")
    log.info("%s %s → %s en %.0f ms", mode, doc_id, outcome.estado.value, (time.monotonic() - started) * 1000)
    return _apply(runtime, doc_id, token, outcome, row, empresa)


def _apply(
    runtime: Runtime,
    doc_id: str,
    token: str,
    outcome: Outcome,
    claimed: Comprobante,
    empresa: Empresa | None = None,
) -> Estado | None:
    now = utcnow()
    follow_up: float | None = None
    # The authority's files are stored before the transaction (content-addressed keys).
    prefix = claimed.xml_blob.rsplit("/", 1)[0]
    cdr_key = (
        runtime.blobs.put(prefix, f"R-{claimed.xml_name}", outcome.cdr) if outcome.cdr is not None else None
    )
    cdr_zip_key = (
        runtime.blobs.put(prefix, f"R-{claimed.envio_name}", outcome.cdr_zip)
        if outcome.cdr_zip is not None
        else None
    )
    with runtime.db.session() as session:
        row = session.get(Comprobante, doc_id, with_for_update=True)
        if row is None or row.lease_token != token:
            log.warning("respuesta descartada para %s: el documento cambió de manos", doc_id)
            return None
        current = Estado(row.estado)
        new = outcome.estado
        detalle = outcome.detalle
        if new is Estado.ERROR and row.intentos >= runtime.settings.max_intentos:
            new = Estado.FALLIDO
            detalle = f"se agotaron {row.intentos} intentos; último: {detalle}"
        if new is Estado.DESCONOCIDO:
            reconciles = (
                session.scalar(
                    select(func.count())
                    .select_from(Evento)
                    .where(Evento.comprobante_id == doc_id, Evento.estado == Estado.DESCONOCIDO.value)
                )
                or 0
            )
            schedule = runtime.settings.reconcile_schedule
            follow_up = schedule[min(reconciles, len(schedule) - 1)]
        elif new is Estado.ERROR:
            follow_up = _retry_delay(runtime, row.intentos)
        elif new is Estado.REGISTRADO:
            follow_up = 0.0
        elif new is Estado.PENDIENTE:
            follow_up = _poll_delay(session, doc_id, now, current)
            if follow_up is None:
                new = Estado.FALLIDO
                detalle = f"el ticket {row.ticket} sigue en proceso después de {POLL_GIVE_UP}; revise en SOL"
        if outcome.retry_after is not None and new not in FINAL:
            # The authority said when to come back (HTTP 429 Retry-After): exactly then.
            follow_up = max(outcome.retry_after, 0.0)
        check_transition(current, new)
        if cdr_key is not None:
            row.cdr_blob = cdr_key
        if cdr_zip_key is not None:
            row.cdr_zip_blob = cdr_zip_key
        if outcome.respuesta is not None:
            row.respuesta = _with_predicted(outcome.respuesta, row.respuesta)
        if outcome.ticket is not None:
            row.ticket = outcome.ticket
        row.estado = new.value
        row.lease_hasta = None
        row.lease_token = None
        row.proximo_intento = now + dt.timedelta(seconds=follow_up) if follow_up else None
        row.ultimo_error = detalle if new in (Estado.ERROR, Estado.DESCONOCIDO, Estado.FALLIDO) else None
        row.actualizado = now
        if not (current is new is Estado.PENDIENTE):
            _event(session, doc_id, current.value, new.value, detalle, empresa)
        settled = _settle_lines(session, row, new, now) if new in FINAL else []
        presented_again = new is Estado.RECHAZADO and (row.respuesta or {}).get("codigo") in ALREADY_PRESENTED
        informed_again = (
            [
                line_id
                for line_id in settled
                if (line := session.get(Comprobante, line_id)) is not None
                and line.estado == Estado.REGISTRADO.value
            ]
            if presented_again
            else []
        )
    if presented_again:
        void_again(runtime, doc_id)
    if informed_again:
        from openpse.documents import resumen_diario

        resumen_diario.summarize(runtime, claimed.empresa_id, only=set(informed_again))
    runtime.notifier.notify(doc_id)
    for line_id in settled:
        runtime.notifier.notify(line_id)
    if follow_up is not None and runtime.queue is not None:
        runtime.queue.advance(doc_id, delay=follow_up)
    return new


def _poll_delay(session: Session, doc_id: str, now: dt.datetime, current: Estado) -> float | None:
    """Seconds until the next poll of a pending document (None: give up).

    A quarter of the time it has been pending, between 1 s and 10 min: quick for the
    answers that come in seconds, gentle on a ticket SUNAT keeps for hours.
    """
    if current is not Estado.PENDIENTE:
        return POLL_MIN_DELAY
    since = session.scalar(
        select(func.max(Evento.creado)).where(
            Evento.comprobante_id == doc_id, Evento.estado == Estado.PENDIENTE.value
        )
    )
    elapsed = now - since if since is not None else dt.timedelta(0)
    if elapsed > POLL_GIVE_UP:
        return None
    return min(max(elapsed.total_seconds() / 4, POLL_MIN_DELAY), POLL_MAX_DELAY)


def _settle_lines(session: Session, summary: Comprobante, estado: Estado, now: dt.datetime) -> list[str]:
    """Apply a summary's final state to the documents it carries; return their ids."""
    lines = session.scalars(select(ResumenLinea).where(ResumenLinea.resumen_id == summary.id)).all()
    codigo = (summary.respuesta or {}).get("codigo")
    settled = []
    for line in lines:
        doc = session.get(Comprobante, line.comprobante_id, with_for_update=True)
        if doc is None:
            continue
        if line.condicion == "1":
            if doc.estado == Estado.PENDIENTE.value and _settle_informed(session, summary, doc, estado, now):
                settled.append(doc.id)
            continue
        if doc.estado != Estado.ANULACION_PENDIENTE.value:
            continue
        if estado is Estado.RECHAZADO and codigo in ALREADY_PRESENTED:
            continue  # sent again in a new summary (void_again)
        if estado in (Estado.ACEPTADO, Estado.OBSERVADO):
            target, detalle = Estado.ANULADO, f"anulado por {summary.id}"
        elif estado is Estado.RECHAZADO and codigo in ALREADY_VOID:
            target, detalle = Estado.ANULADO, f"{summary.id}: SUNAT ya lo tenía anulado ({codigo})"
        else:
            target = Estado(line.estado_anterior)
            motivo = (summary.respuesta or {}).get("descripcion") or summary.ultimo_error or estado.value
            detalle = f"la anulación por {summary.id} no procedió: {codigo or ''} {motivo}".strip()
        check_transition(Estado.ANULACION_PENDIENTE, target)
        doc.estado = target.value
        doc.actualizado = now
        _event(session, doc.id, Estado.ANULACION_PENDIENTE.value, target.value, detalle)
        settled.append(doc.id)
    return settled


def _settle_informed(
    session: Session, summary: Comprobante, doc: Comprobante, estado: Estado, now: dt.datetime
) -> bool:
    """Give a document informed by ``summary`` (ConditionCode 1) the summary's answer.

    The summary's CDR is the document's constancia: SUNAT answers a Resumen diario as a
    whole, and the boleta has no CDR of its own. A summary whose name was taken (2223,
    a resend after a lost answer) puts its documents back to be informed in the next
    one, whose answer tells (2282: the lost one did inform them).
    """
    respuesta = summary.respuesta or {}
    codigo = respuesta.get("codigo")
    descripcion = respuesta.get("descripcion") or summary.ultimo_error or estado.value
    cdr = True
    target: Estado
    answer: dict[str, Any] | None
    if estado in (Estado.ACEPTADO, Estado.OBSERVADO):
        target = estado
        answer = {**respuesta, "descripcion": f"Informado en el resumen diario {summary.id}: {descripcion}"}
        detalle = f"informado por {summary.id}"
    elif estado is Estado.RECHAZADO and codigo in ALREADY_INFORMED:
        target = Estado.ACEPTADO
        answer = {
            "codigo": "0",
            "descripcion": f"SUNAT ya lo tenía informado ({codigo}, {summary.id}): lo informó un resumen "
            "anterior cuya respuesta se perdió",
            "observaciones": [],
        }
        detalle = f"{summary.id}: SUNAT ya lo tenía informado ({codigo})"
    elif estado is Estado.RECHAZADO and codigo in ALREADY_PRESENTED:
        target, answer, cdr = Estado.REGISTRADO, None, False
        detalle = f"{summary.id} ya había sido presentado ({codigo}); se informa en un nuevo resumen"
    elif estado is Estado.RECHAZADO:
        target = Estado.RECHAZADO
        answer = {**respuesta, "descripcion": f"Rechazado con el resumen diario {summary.id}: {descripcion}"}
        detalle = f"rechazado con {summary.id}"
    else:  # fallido: a person must look at the summary before its documents go again
        target, answer, cdr = Estado.FALLIDO, None, False
        detalle = f"el resumen diario {summary.id} quedó fallido: {descripcion}"
    check_transition(Estado.PENDIENTE, target)
    if answer is not None:
        doc.respuesta = _with_predicted(answer, doc.respuesta)
    if cdr:
        doc.cdr_blob = summary.cdr_blob
        doc.cdr_zip_blob = summary.cdr_zip_blob
    doc.estado = target.value
    doc.actualizado = now
    doc.ultimo_error = detalle if target is Estado.FALLIDO else None
    _event(session, doc.id, Estado.PENDIENTE.value, target.value, detalle)
    return True


def sweep(runtime: Runtime, older_than: float = 30.0) -> int:
    """Re-queue documents that should be moving and are not (lost enqueue, crashed worker)."""
    now = utcnow()
    stale = now - dt.timedelta(seconds=older_than)
    with runtime.db.read() as session:
        ids = session.scalars(
            select(Comprobante.id)
            .where(
                # Documents informed by summary move with their summary (see resumen_diario).
                ~Comprobante.por_resumen,
                or_(
                    (Comprobante.estado == Estado.REGISTRADO.value)
                    & Comprobante.enviar
                    & (Comprobante.actualizado < stale),
                    Comprobante.estado.in_(
                        [Estado.ERROR.value, Estado.DESCONOCIDO.value, Estado.PENDIENTE.value]
                    )
                    & or_(Comprobante.proximo_intento.is_(None), Comprobante.proximo_intento < stale),
                    (Comprobante.estado == Estado.ENVIANDO.value) & (Comprobante.lease_hasta < now),
                ),
            )
            .limit(10000)
        ).all()
    if runtime.queue is not None:
        for doc_id in ids:
            runtime.queue.advance(doc_id)
    return len(ids)


# -- reading --------------------------------------------------------------------------------


def get_for(runtime: Runtime, empresa_id: int, doc_id: str) -> Comprobante:
    with runtime.db.read() as session:
        row = session.get(Comprobante, doc_id)
    if row is None or row.empresa_id != empresa_id:
        raise NotFound(f"No existe el comprobante {doc_id}")
    return row


async def wait_final(runtime: Runtime, empresa_id: int, doc_id: str, seconds: float) -> Comprobante:
    """Wait up to ``seconds`` for the document to reach a final state; return the row.

    Woken at once by workers of this process; re-reads every 250 ms for workers elsewhere.
    No thread is held while waiting, so many points of sale can wait at the same time.
    """
    deadline = time.monotonic() + seconds
    waiter = runtime.notifier.subscribe_async(doc_id)
    try:
        while True:
            row = await run_in_threadpool(get_for, runtime, empresa_id, doc_id)
            remaining = deadline - time.monotonic()
            estado = Estado(row.estado)
            signed_only = estado is Estado.REGISTRADO and not row.enviar
            if estado in FINAL or signed_only or remaining <= 0:
                return row
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter.event.wait(), timeout=min(remaining, 0.25))
            waiter.event.clear()
    finally:
        runtime.notifier.unsubscribe(doc_id, waiter)


def to_api(row: Comprobante, ruc: str, zona: dt.tzinfo = LIMA) -> dict[str, Any]:
    """The document body of API.md; times in ``zona``, the company's (:func:`zona_de`)."""
    base = f"/v1/comprobantes/{row.id}"
    return {
        "id": row.id,
        "empresa": ruc,
        "tipo": row.tipo,
        "serie": row.serie,
        "numero": row.numero,
        "fecha_emision": row.fecha_emision.isoformat(),
        "moneda": row.moneda,
        "estado": row.estado,
        "hash": row.hash,
        "totales": row.totales,
        "respuesta": row.respuesta,
        "ticket": row.ticket,
        "intentos": row.intentos,
        # A document without totals (a summary that annuls others) has no printed form.
        "enlaces": {"xml": f"{base}/xml", "cdr": f"{base}/cdr"}
        | ({"pdf": f"{base}/pdf"} if row.totales else {}),
        "creado": iso(row.creado, zona),
        "actualizado": iso(row.actualizado, zona),
    }


# -- documents signed by the client (the SOAP gateway) ---------------------------------------


def register_signed(
    runtime: Runtime,
    empresa: Empresa,
    draft: Draft,
    prepared: Prepared,
    lineas: tuple[tuple[str, str, int, str], ...] = (),
    idempotency_key: str | None = None,
) -> Registered:
    """Store a document the client built and signed itself, as it came, and queue it.

    ``lineas`` are the (tipo, serie, número, condición) a summary carries: those OpenPSE
    holds as accepted and that the summary annuls (condición 3) are linked to it and go
    ``anulacion_pendiente``, so its answer settles them as for OpenPSE's own summaries.
    The same bytes again answer with the stored document; other bytes under the same
    number are a conflict (SUNAT's 1033).
    """
    with runtime.db.read() as session:
        existing = _existing(session, empresa.id, draft, idempotency_key)
    if existing is not None:
        return _same_or_conflict(existing, draft)
    files = _write_files(runtime, empresa, prepared)
    for attempt in range(3):
        try:
            with runtime.db.session() as session:
                existing = _existing(session, empresa.id, draft, idempotency_key)
                if existing is not None:
                    return _same_or_conflict(existing, draft)
                _note_number(session, empresa.id, prepared.tipo, prepared.serie, prepared.numero)
                row = _store(session, empresa, draft, prepared, files, idempotency_key, True)
                _link_annulled(session, empresa.id, row, lineas)
            break
        except IntegrityError:
            if attempt == 2:
                raise
    if runtime.queue is not None:
        runtime.queue.advance(row.id)
    return Registered(row, created=True)


def _link_annulled(
    session: Session, empresa_id: int, summary: Comprobante, lineas: tuple[tuple[str, str, int, str], ...]
) -> None:
    for tipo, serie, numero, condicion in lineas:
        if condicion != "3":
            continue
        doc = session.scalar(
            select(Comprobante)
            .where(
                Comprobante.empresa_id == empresa_id,
                Comprobante.tipo == tipo,
                Comprobante.serie == serie,
                Comprobante.numero == numero,
            )
            .with_for_update()
        )
        if doc is None or doc.estado not in (Estado.ACEPTADO.value, Estado.OBSERVADO.value):
            continue
        session.add(
            ResumenLinea(
                resumen_id=summary.id,
                comprobante_id=doc.id,
                condicion=condicion,
                estado_anterior=doc.estado,
                motivo=None,
            )
        )
        detalle = f"anulación recibida: {summary.id}"
        _event(session, doc.id, doc.estado, Estado.ANULACION_PENDIENTE.value, detalle)
        doc.estado = Estado.ANULACION_PENDIENTE.value
        doc.actualizado = utcnow()
