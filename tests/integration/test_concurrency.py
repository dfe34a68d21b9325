"""Concurrent requests: consecutive numbers without gaps, one winner per number."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from openpse import demo
from openpse.core.errors import Conflict
from openpse.documents import service
from openpse.storage.tables import Comprobante, Empresa
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
