"""Concurrent requests: consecutive numbers without gaps, one winner per number."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from openpse import demo
from openpse.core.errors import Conflict
from openpse.documents import service
from openpse.storage.tables import Comprobante, Empresa, Evento, Serie
from tests_support import factura


def _empresa(runtime) -> Empresa:
    with runtime.db.read() as session:
        return session.scalars(select(Empresa).where(Empresa.identificacion == demo.DEMO_RUC)).one()


def test_concurrent_automatic_numbers_are_consecutive_and_unique(runtime):
    empresa = _empresa(runtime)

    def post(i: int) -> int:
        body = factura(items=[{"descripcion": f"Item {i}", "cantidad": "1", "valor_unitario": "10"}])
        return service.register(runtime, empresa, payload=body, enviar=False).row.numero

    with ThreadPoolExecutor(max_workers=12) as pool:
        numbers = list(pool.map(post, range(40)))
    assert sorted(numbers) == list(range(1, 41))


def test_racing_for_one_number_gives_one_document(runtime):
    empresa = _empresa(runtime)

    def post(i: int) -> str:
        body = factura(
            numero=7, items=[{"descripcion": f"Item {i % 2}", "cantidad": "1", "valor_unitario": "10"}]
        )
        try:
            return service.register(runtime, empresa, payload=body, enviar=False).row.content_hash
        except Conflict:
            return "409"

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(post, range(20)))
    with runtime.db.read() as session:
        stored = session.scalars(select(Comprobante).where(Comprobante.numero == 7)).all()
    assert len(stored) == 1
    winner = stored[0].content_hash
    # Every request with the winner's content got the stored document; the others a 409.
    assert set(results) == {winner, "409"}
    assert results.count(winner) == 10


def test_numbered_documents_written_together_keep_rows_events_and_counters(runtime):
    """Many threads hand numbered documents to the process's writer, which stores them in
    shared transactions: every row, its first event and its series counter are there, and
    re-posts in the middle of the stream answer the stored document."""
    empresa = _empresa(runtime)
    series = ("F001", "F002")

    def post(i: int) -> tuple[str, bool]:
        body = factura(serie=series[i % 2], numero=i // 2 + 1)
        registered = service.register(runtime, empresa, payload=body, enviar=False)
        again = service.register(runtime, empresa, payload=body, enviar=False)
        assert again.row.id == registered.row.id
        assert not again.created
        return registered.row.id, registered.created

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(post, range(120)))
    assert all(created for _, created in results)
    assert len({doc_id for doc_id, _ in results}) == 120
    with runtime.db.read() as session:
        rows = session.scalars(select(Comprobante).where(Comprobante.empresa_id == empresa.id)).all()
        assert len(rows) == 120
        assert {r.estado for r in rows} == {"registrado"}
        events = session.scalars(select(Evento).where(Evento.estado == "registrado")).all()
        assert sorted(e.comprobante_id for e in events) == sorted(r.id for r in rows)
        counters = {s.serie: s.ultimo for s in session.scalars(select(Serie)).all()}
    assert counters["F001"] == 60
    assert counters["F002"] == 60
    # An automatic number follows the highest the ERP used.
    auto = service.register(runtime, empresa, payload=factura(serie="F001"), enviar=False)
    assert auto.row.numero == 61
    writer = service._group_writer(runtime)
    assert writer.documents >= 120
