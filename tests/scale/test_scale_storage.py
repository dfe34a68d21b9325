"""The store on SQLite and PostgreSQL: migrations, numbering under concurrency, outages as 503."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic import command
from scale_support import TcpProxy
from sqlalchemy import inspect, select, text

from openpse.core.errors import Conflict, Unavailable
from openpse.documents import service
from openpse.storage.db import Database, DatabaseUnavailable, alembic_config, normalize_url
from openpse.storage.tables import Base, Comprobante, Empresa
from tests_support import factura, make_runtime


def _head_tables() -> set[str]:
    return set(Base.metadata.tables) | {"limites", "alembic_version"}


def test_migrations_go_up_down_and_up_again(database_url):
    db = Database(database_url)
    try:
        db.migrate()
        tables = set(inspect(db.engine).get_table_names())
        assert _head_tables() <= tables
        config = alembic_config(db.engine.url.render_as_string(hide_password=False))
        with db.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.migrate()
        db.migrate()  # idempotent
        assert _head_tables() <= set(inspect(db.engine).get_table_names())
    finally:
        db.dispose()


def test_processes_starting_together_migrate_once(database_url):
    # API replicas and workers all migrate at start; the lock makes the others wait and
    # then find the schema at head.
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def start() -> None:
        db = Database(database_url)
        try:
            barrier.wait()
            db.migrate()
        except BaseException as exc:
            errors.append(exc)
        finally:
            db.dispose()

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db = Database(database_url)
    with db.read() as session:
        assert session.scalar(text("SELECT count(*) FROM alembic_version")) == 1
    db.dispose()


def test_postgres_urls_mean_psycopg():
    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"


@pytest.fixture
def store_runtime(tmp_path, database_url, sandbox_url, test_certificate):
    runtime = make_runtime(tmp_path / "data", sandbox_url, test_certificate, database_url=database_url)
    yield runtime
    runtime.close()


def _empresa(runtime) -> Empresa:
    with runtime.db.read() as session:
        return session.scalars(select(Empresa)).one()


def test_concurrent_automatic_numbers_are_consecutive_on_both_databases(store_runtime):
    empresa = _empresa(store_runtime)

    def post(i: int) -> int:
        body = factura(items=[{"descripcion": f"Item {i}", "cantidad": "1", "valor_unitario": "10"}])
        return service.register(store_runtime, empresa, payload=body, enviar=False).row.numero

    with ThreadPoolExecutor(max_workers=12) as pool:
        numbers = list(pool.map(post, range(40)))
    assert sorted(numbers) == list(range(1, 41))


def test_racing_for_one_number_gives_one_document_on_both_databases(store_runtime):
    empresa = _empresa(store_runtime)

    def post(i: int) -> str:
        body = factura(
            numero=7, items=[{"descripcion": f"Item {i % 2}", "cantidad": "1", "valor_unitario": "10"}]
        )
        try:
            return service.register(store_runtime, empresa, payload=body, enviar=False).row.content_hash
        except Conflict:
            return "409"

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(post, range(20)))
    with store_runtime.db.read() as session:
        stored = session.scalars(select(Comprobante).where(Comprobante.numero == 7)).all()
    assert len(stored) == 1
    assert set(results) == {stored[0].content_hash, "409"}
    assert results.count(stored[0].content_hash) == 10


def test_postgres_that_goes_away_is_a_503_and_comes_back_by_itself(pg_url):
    Database(pg_url).migrate()
    with TcpProxy(5432) as proxy:
        db = Database(pg_url.replace(":5432/", f":{proxy.port}/"))
        try:
            with db.read() as session:
                assert session.scalar(text("SELECT 1")) == 1
            proxy.cut()
            for _ in range(2):  # pooled connections die, new ones are refused
                with pytest.raises(DatabaseUnavailable) as caught, db.read() as session:
                    session.execute(text("SELECT 1"))
                assert isinstance(caught.value, Unavailable)
                assert caught.value.status == 503
            with pytest.raises(DatabaseUnavailable), db.session() as session:
                session.execute(text("SELECT 1"))
            proxy.restore()
            with db.session() as session:
                assert session.scalar(text("SELECT 1")) == 1
        finally:
            db.dispose()


def test_real_database_errors_are_not_hidden_as_unavailable(database_url):
    db = Database(database_url)
    db.migrate()
    try:
        with pytest.raises(Exception) as caught, db.read() as session:
            session.execute(text("SELECT no_such_column FROM comprobantes"))
        assert not isinstance(caught.value, Unavailable)
    finally:
        db.dispose()
