"""Informing documents by daily summary (SUNAT's Resumen diario, RC with ConditionCode 1).

A company with ``boletas_por_resumen`` stores its boletas and the notes on them signed
and ``registrado`` with ``por_resumen``: they never go out by themselves. :func:`summarize`
(the periodic job ``resumenes`` and ``POST /v1/resumenes``) gathers them per company and
issue date into summaries of at most 500 lines, each stored as a document row of its own
(``RC-AAAAMMDD-n``, numbered like the summaries that annul) with one ``resumen_lineas``
row per document, in the transaction that moves the documents to ``pendiente``. The
summary then moves as any summary does (sendSummary, ticket, getStatus) and its final
state settles its documents (``service._settle_informed``).

When a summary goes: the documents of a day that is over (Lima time) always go, so they
reach SUNAT the next day, well inside the seven days after which SUNAT observes a late
summary (4443); with ``OPENPSE_RESUMEN_ESPERA_S`` a day's documents also go once the
oldest has waited that long; ``POST /v1/resumenes`` sends whatever is pending at once.

Ordering: a note goes in the same summary as the boleta it modifies or in a later one,
once SUNAT has accepted the boleta (SUNAT rejects a note on a boleta it does not hold,
2989); summaries of one company are sent one at a time in creation order
(``OPENPSE_ORDERED_TYPES``), so a summary that annuls a boleta follows the one that
informed it. SUNAT rejects a whole summary for its first wrong line, so each line is
checked alone first, and a document that cannot be informed as it is goes ``fallido``
with the reason instead of sinking the summary of a whole day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import defaultdict
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from openpse.authorities.base import Authority, Draft, EmpresaContext, RegistryLookup, SummaryTarget
from openpse.core.errors import ValidationFailed
from openpse.core.timeutil import now_lima
from openpse.documents import service
from openpse.documents.states import Estado, check_transition
from openpse.runtime import Runtime
from openpse.storage.tables import Comprobante, Empresa, ResumenLinea, utcnow
from openpse.tenants import empresa_context

log = logging.getLogger("openpse.documents")

MAX_LINEAS = 500
"""Lines per summary (SUNAT's guide for the Resumen diario: up to 500; several a day are allowed)."""
_IN_FLIGHT = frozenset(
    {Estado.REGISTRADO.value, Estado.ENVIANDO.value, Estado.PENDIENTE.value, Estado.DESCONOCIDO.value}
    | {Estado.ERROR.value}
)


def _target(runtime: Runtime, row: Comprobante) -> SummaryTarget:
    return SummaryTarget(
        id=row.id,
        tipo=row.tipo,
        serie=row.serie,
        numero=row.numero,
        fecha_emision=row.fecha_emision,
        moneda=row.moneda,
        totales=row.totales,
        cliente_tipo=row.cliente_tipo,
        cliente_numero=row.cliente_numero,
        xml=runtime.blobs.get(row.xml_blob),
    )


def pending(runtime: Runtime, empresa_id: int | None = None) -> list[Comprobante]:
    """Documents waiting to be informed by summary, oldest issue date first."""
    with runtime.db.read() as session:
        query = select(Comprobante).where(
            Comprobante.por_resumen,
            Comprobante.enviar,
            Comprobante.estado == Estado.REGISTRADO.value,
        )
        if empresa_id is not None:
            query = query.where(Comprobante.empresa_id == empresa_id)
        return list(
            session.scalars(query.order_by(Comprobante.fecha_emision, Comprobante.creado, Comprobante.id))
        )


def _due(runtime: Runtime, rows: list[Comprobante], today: dt.date, now: dt.datetime) -> bool:
    """Whether the documents of one issue date go now (see the module docstring)."""
    if rows[0].fecha_emision < today:
        return True
    espera = runtime.settings.resumen_espera_s
    return espera is not None and min(row.creado for row in rows) <= now - dt.timedelta(seconds=espera)


def summarize(
    runtime: Runtime,
    empresa_id: int | None = None,
    *,
    force: bool = False,
    only: Collection[str] | None = None,
) -> list[Comprobante]:
    """Build, store and queue the summaries that inform pending documents; return them.

    ``force`` sends every pending document of the company now; ``only`` limits the run
    to those documents (the ones a summary presented twice gave back)."""
    today = now_lima().date()
    now = utcnow()
    by_empresa: dict[int, dict[dt.date, list[Comprobante]]] = defaultdict(lambda: defaultdict(list))
    for row in pending(runtime, empresa_id):
        if only is None or row.id in only:
            by_empresa[row.empresa_id][row.fecha_emision].append(row)
    created: list[Comprobante] = []
    for company, days in by_empresa.items():
        with runtime.db.read() as session:
            empresa = session.get(Empresa, company)
        if empresa is None or not empresa.activo:
            continue
        for fecha in sorted(days):
            rows = days[fecha]
            if force or only is not None or _due(runtime, rows, today, now):
                created += _summarize_day(runtime, empresa, rows, today)
    if runtime.queue is not None:
        for summary in created:
            runtime.queue.advance(summary.id)
    return created


def _summarize_day(
    runtime: Runtime, empresa: Empresa, rows: list[Comprobante], today: dt.date
) -> list[Comprobante]:
    authority = runtime.authority(empresa.pais)
    context = empresa_context(empresa, runtime.box, runtime.keys)
    targets = {row.id: _target(runtime, row) for row in rows}
    informed = {(t.tipo, t.serie, t.numero): t for t in targets.values() if t.tipo == "03"}
    with runtime.db.read() as session:
        registry = service._registry(session, empresa.id)
        refused: dict[str, str] = {}
        waiting: set[str] = set()
        for target in targets.values():
            affected = _affected(authority, target)
            if (
                affected is not None
                and affected not in informed
                and _in_flight(session, empresa.id, affected)
            ):
                # Its boleta is still on its way: the note goes once SUNAT holds the boleta.
                waiting.add(target.id)
                continue
            issues = authority.check_summary_line(
                target, context, today, _with_batch(registry, informed, target)
            )
            if issues:
                refused[target.id] = "; ".join(f"{i.cod} {i.mensaje}" for i in issues)
    if refused:
        _refuse(runtime, refused)
    going = [targets[row.id] for row in rows if row.id not in refused and row.id not in waiting]
    created = []
    for chunk in _chunks(authority, going, set(informed)):
        summary = _store_summary(runtime, empresa, authority, context, chunk, today)
        if summary is not None:
            created.append(summary)
    return created


def _affected(authority: Authority, target: SummaryTarget) -> tuple[str, str, int] | None:
    return authority.summary_reference(target)


def _in_flight(session: Session, empresa_id: int, key: tuple[str, str, int]) -> bool:
    tipo, serie, numero = key
    row = session.scalar(
        select(Comprobante).where(
            Comprobante.empresa_id == empresa_id,
            Comprobante.tipo == tipo,
            Comprobante.serie == serie,
            Comprobante.numero == numero,
        )
    )
    if row is None or row.estado not in _IN_FLIGHT:
        return False
    return not (row.estado == Estado.REGISTRADO.value and not row.enviar)


def _with_batch(
    registry: RegistryLookup, informed: dict[tuple[str, str, int], SummaryTarget], target: SummaryTarget
) -> RegistryLookup:
    """The register as SUNAT will see it while processing the batch: the boletas informed
    with ``target`` count as held (SUNAT processes the lines of one summary together)."""

    def lookup(tipo: str, serie: str, numero: int) -> tuple[str, dt.date] | None:
        key = (tipo, serie, numero)
        if key in informed and key != (target.tipo, target.serie, target.numero):
            return "aceptado", informed[key].fecha_emision
        return registry(tipo, serie, numero)

    return lookup


def _chunks(
    authority: Authority, targets: list[SummaryTarget], batch: set[tuple[str, str, int]]
) -> list[list[SummaryTarget]]:
    """Up to :data:`MAX_LINEAS` lines each; a note stays with its boleta (or waits for the next run)."""
    chunks: list[list[SummaryTarget]] = []
    where: dict[tuple[str, str, int], int] = {}
    for target in targets:
        affected = _affected(authority, target)
        if affected is not None and affected in batch and where.get(affected, -1) != len(chunks) - 1:
            # Its boleta went in an earlier summary of this run, or was set apart: the
            # note waits for the next run, which finds the boleta answered.
            continue
        if not chunks or len(chunks[-1]) >= MAX_LINEAS:
            if affected is not None and affected in where:
                continue
            chunks.append([])
        chunks[-1].append(target)
        if target.tipo == "03":
            where[(target.tipo, target.serie, target.numero)] = len(chunks) - 1
    return chunks


def _refuse(runtime: Runtime, refused: dict[str, str]) -> None:
    """Documents a summary cannot carry as they are: ``fallido``, with SUNAT's reason."""
    for doc_id, reason in refused.items():
        with runtime.db.session() as session:
            doc = session.get(Comprobante, doc_id, with_for_update=True)
            if doc is None or doc.estado != Estado.REGISTRADO.value or not doc.por_resumen:
                continue
            check_transition(Estado.REGISTRADO, Estado.FALLIDO)
            codigo, _, descripcion = reason.partition(" ")
            doc.estado = Estado.FALLIDO.value
            doc.respuesta = service._with_predicted(
                {
                    "codigo": codigo,
                    "descripcion": f"No se puede informar en el resumen diario: {descripcion}",
                    "observaciones": [],
                },
                doc.respuesta,
            )
            doc.ultimo_error = reason
            doc.actualizado = utcnow()
            service._event(session, doc.id, Estado.REGISTRADO.value, Estado.FALLIDO.value, reason)
        runtime.notifier.notify(doc_id)


def _store_summary(
    runtime: Runtime,
    empresa: Empresa,
    authority: Authority,
    context: EmpresaContext,
    chunk: list[SummaryTarget],
    today: dt.date,
) -> Comprobante | None:
    """One summary and its lines, and the documents ``pendiente``, in one transaction."""
    try:
        with runtime.db.session() as session:
            docs = []
            for target in chunk:
                doc = session.get(Comprobante, target.id, with_for_update=True)
                # Another run (another worker, the API) may have taken it meanwhile.
                if doc is not None and doc.estado == Estado.REGISTRADO.value and doc.enviar:
                    docs.append(doc)
            if not docs:
                return None
            taken = {doc.id for doc in docs}
            targets = [target for target in chunk if target.id in taken]
            series = authority.void_series("RC", today)
            numero = service._next_number(session, empresa.id, "RC", series)
            prepared = authority.prepare_summary(
                targets, context, today, numero, service._registry(session, empresa.id)
            )
            files = service._write_files(runtime, empresa, prepared)
            draft = Draft(
                prepared.tipo, prepared.serie, prepared.numero, hashlib.sha256(prepared.xml).hexdigest(), None
            )
            summary = service._store(session, empresa, draft, prepared, files, None, True)
            for doc in docs:
                session.add(
                    ResumenLinea(
                        resumen_id=summary.id,
                        comprobante_id=doc.id,
                        condicion="1",
                        estado_anterior=doc.estado,
                        motivo=None,
                    )
                )
                check_transition(Estado.REGISTRADO, Estado.PENDIENTE)
                doc.estado = Estado.PENDIENTE.value
                doc.actualizado = utcnow()
                service._event(
                    session,
                    doc.id,
                    Estado.REGISTRADO.value,
                    Estado.PENDIENTE.value,
                    f"informado en {summary.id}",
                )
    except ValidationFailed as exc:
        # Every line passed alone: what fails is the summary as a whole (it should not).
        log.error("el resumen de %d documentos no se pudo armar: %s", len(chunk), exc)
        _refuse(runtime, {target.id: str(exc) for target in chunk})
        return None
    log.info("%s informa %d documentos", summary.id, len(docs))
    return summary
