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
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from openpse.authorities.base import Draft, Outcome, Prepared, Submission
from openpse.core.errors import Code, Conflict, Issue, NotFound
from openpse.core.timeutil import iso, now_lima
from openpse.documents.states import FINAL, Estado, check_transition
from openpse.runtime import Runtime
from openpse.storage.tables import Comprobante, Empresa, Evento, Serie, utcnow
from openpse.tenants import empresa_context

log = logging.getLogger("openpse.documents")

LEASE = dt.timedelta(seconds=120)
"""How long a worker owns a document while it talks to the authority (> HTTP timeouts)."""
RECONCILE_DELAYS = (2.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0)
MAX_RETRY_DELAY = 900.0


@dataclass(frozen=True)
class Registered:
    row: Comprobante
    created: bool


def _retry_delay(runtime: Runtime, intentos: int) -> float:
    return float(min(runtime.settings.retry_base_delay * (2 ** max(intentos - 1, 0)), MAX_RETRY_DELAY))


def _event(session: Session, doc_id: str, anterior: str | None, estado: str, detalle: str | None) -> None:
    session.add(Evento(comprobante_id=doc_id, estado_anterior=anterior, estado=estado, detalle=detalle))


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
) -> Registered:
    """Validate, build, sign and store a document; queue it when ``enviar``.

    The same request again returns the stored document (``created=False``); different
    content under a used number or idempotency key is a 409.
    """
    authority = runtime.authority(empresa.pais)
    context = empresa_context(empresa, runtime.box, runtime.keys)
    prepared: Prepared | None = None
    if xml is not None:
        draft, prepared = authority.prepare_xml(xml, context)
    else:
        draft = authority.parse(payload)
    with runtime.db.read() as session:
        existing = _existing(session, empresa.id, draft, idempotency_key)
    if existing is not None:
        return _same_or_conflict(existing, draft)
    if prepared is None and draft.numero is not None:
        # The number is known: build, sign and write the files before taking the write
        # lock, which then covers only the insert.
        prepared = authority.prepare(draft, draft.numero, context, now_lima().date())
    numbered = prepared
    numbered_files = _write_files(runtime, empresa, numbered) if numbered is not None else None
    for attempt in range(3):
        try:
            with runtime.db.session() as session:
                existing = _existing(session, empresa.id, draft, idempotency_key)
                if existing is not None:
                    return _same_or_conflict(existing, draft)
                if numbered is not None and numbered_files is not None:
                    prepared, files = numbered, numbered_files
                    _note_number(session, empresa.id, prepared.tipo, prepared.serie, prepared.numero)
                else:
                    # Automatic numbering: the number, the signed document and the row
                    # are one transaction (taken again on every attempt), so a crash
                    # leaves no gap in the series.
                    numero = _next_number(session, empresa.id, draft.tipo, draft.serie)
                    prepared = authority.prepare(draft, numero, context, now_lima().date())
                    files = _write_files(runtime, empresa, prepared)
                row = _store(session, empresa, draft, prepared, files, idempotency_key, enviar)
            break
        except IntegrityError:
            # Another request took the same number or key between our read and our
            # insert: read again, and answer as for a re-post.
            if attempt == 2:
                raise
    if enviar and runtime.queue is not None:
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


def _store(
    session: Session,
    empresa: Empresa,
    draft: Draft,
    prepared: Prepared,
    files: tuple[str, str],
    idempotency_key: str | None,
    enviar: bool,
) -> Comprobante:
    xml_key, envio_key = files
    now = utcnow()
    row = Comprobante(
        id=prepared.id,
        empresa_id=empresa.id,
        tipo=prepared.tipo,
        serie=prepared.serie,
        numero=prepared.numero,
        estado=Estado.REGISTRADO.value,
        enviar=enviar,
        fecha_emision=prepared.fecha_emision,
        moneda=prepared.moneda,
        total=prepared.total,
        totales=prepared.totales,
        cliente_tipo=prepared.cliente_tipo,
        cliente_numero=prepared.cliente_numero,
        hash=prepared.hash,
        content_hash=draft.content_hash,
        idempotency_key=idempotency_key,
        xml_name=prepared.xml_name,
        xml_blob=xml_key,
        envio_name=prepared.envio_name,
        envio_blob=envio_key,
        respuesta={"codigo": None, "descripcion": None, "observaciones": prepared.observaciones}
        if prepared.observaciones
        else None,
        intentos=0,
        creado=now,
        actualizado=now,
    )
    session.add(row)
    session.flush()
    _event(session, row.id, None, row.estado, "firmado y almacenado")
    return row


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
    if runtime.queue is not None:
        runtime.queue.advance(current.id)
    return current


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


def _claim(runtime: Runtime, doc_id: str) -> tuple[str, Comprobante, str] | None:
    """Take the lease on a document that has something to do; return (mode, row, token)."""
    now = utcnow()
    with runtime.db.session() as session:
        row = session.get(Comprobante, doc_id)
        if row is None:
            return None
        estado = Estado(row.estado)
        if estado in FINAL or estado is Estado.PENDIENTE:
            return None
        if estado is Estado.REGISTRADO and not row.enviar:
            return None
        if row.lease_hasta is not None and row.lease_hasta > now:
            return None
        if row.proximo_intento is not None and row.proximo_intento > now + dt.timedelta(seconds=0.5):
            return None
        token = secrets.token_hex(8)
        values: dict[str, Any] = {"lease_hasta": now + LEASE, "lease_token": token, "actualizado": now}
        if estado in (Estado.REGISTRADO, Estado.ERROR):
            mode = "submit"
            values.update(estado=Estado.ENVIANDO.value, intentos=Comprobante.intentos + 1)
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
        ).rowcount  # type: ignore[attr-defined]
        if claimed != 1:
            return None
        if estado is Estado.ENVIANDO:
            _event(
                session,
                doc_id,
                estado.value,
                Estado.DESCONOCIDO.value,
                "el envío anterior quedó sin respuesta",
            )
        elif mode == "submit":
            _event(session, doc_id, estado.value, Estado.ENVIANDO.value, None)
        session.refresh(row)
        session.expunge(row)
        return mode, row, token


def advance(runtime: Runtime, doc_id: str) -> Estado | None:
    """Do the next step for a document; safe to run any number of times, concurrently."""
    claim = _claim(runtime, doc_id)
    if claim is None:
        return None
    mode, row, token = claim
    with runtime.db.read() as session:
        empresa = session.get(Empresa, row.empresa_id)
        assert empresa is not None
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
    return _apply(runtime, doc_id, token, outcome, row)


def _apply(
    runtime: Runtime, doc_id: str, token: str, outcome: Outcome, claimed: Comprobante
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
            follow_up = RECONCILE_DELAYS[min(reconciles, len(RECONCILE_DELAYS) - 1)]
        elif new is Estado.ERROR:
            follow_up = _retry_delay(runtime, row.intentos)
        elif new is Estado.REGISTRADO:
            follow_up = 0.0
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
        _event(session, doc_id, current.value, new.value, detalle)
    runtime.notifier.notify(doc_id)
    if follow_up is not None and runtime.queue is not None:
        runtime.queue.advance(doc_id, delay=follow_up)
    return new


def sweep(runtime: Runtime, older_than: float = 30.0) -> int:
    """Re-queue documents that should be moving and are not (lost enqueue, crashed worker)."""
    now = utcnow()
    stale = now - dt.timedelta(seconds=older_than)
    with runtime.db.read() as session:
        ids = session.scalars(
            select(Comprobante.id)
            .where(
                or_(
                    (Comprobante.estado == Estado.REGISTRADO.value)
                    & Comprobante.enviar
                    & (Comprobante.actualizado < stale),
                    Comprobante.estado.in_([Estado.ERROR.value, Estado.DESCONOCIDO.value])
                    & or_(Comprobante.proximo_intento.is_(None), Comprobante.proximo_intento < stale),
                    (Comprobante.estado == Estado.ENVIANDO.value) & (Comprobante.lease_hasta < now),
                )
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
            if Estado(row.estado) in FINAL or not row.enviar or remaining <= 0:
                return row
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter.event.wait(), timeout=min(remaining, 0.25))
            waiter.event.clear()
    finally:
        runtime.notifier.unsubscribe(doc_id, waiter)


def to_api(row: Comprobante, ruc: str) -> dict[str, Any]:
    """The document body of API.md."""
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
        "enlaces": {"xml": f"{base}/xml", "cdr": f"{base}/cdr", "pdf": f"{base}/pdf"},
        "creado": iso(row.creado),
        "actualizado": iso(row.actualizado),
    }
