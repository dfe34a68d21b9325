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


# -- numbers beyond 32 bits and MensajeReceptor ids (migration 0006) ---------------------------

_CR_FACTURA = {
    "tipo": "01",
    "sucursal": 1,
    "terminal": 1,
    "numero": 9_999_999_999,
    "receptor": {"nombre": "María Pérez Rodríguez", "identificacion": {"tipo": "01", "numero": "106130584"}},
    "medios_pago": [{"tipo": "01"}],
    "items": [
        {
            "cabys": "2211100000000",
            "cantidad": "1",
            "unidad": "Unid",
            "descripcion": "Producto de prueba",
            "precio_unitario": "1000",
            "impuestos": [{"codigo": "01", "codigo_tarifa_iva": "08"}],
        }
    ],
}


def test_a_costa_rican_consecutivo_of_ten_digits_is_stored_and_counted_on_both_databases(store_runtime):
    from openpse import demo

    demo.seed_costa_rica(store_runtime)
    with store_runtime.db.read() as session:
        empresa = session.scalars(select(Empresa).where(Empresa.pais == "CR")).one()

    stored = service.register(store_runtime, empresa, payload=_CR_FACTURA, enviar=False).row
    again = service.register(store_runtime, empresa, payload=_CR_FACTURA, enviar=False)

    with store_runtime.db.read() as session:
        row = session.get(Comprobante, stored.id)
        ultimo = session.scalar(
            text("SELECT ultimo FROM series WHERE empresa_id = :e AND tipo = '01' AND serie = '00100001'"),
            {"e": empresa.id},
        )
    assert row is not None
    assert row.numero == 9_999_999_999
    assert row.id[21:41] == "00100001019999999999"  # the consecutivo inside the clave
    assert ultimo == 9_999_999_999
    assert not again.created
    assert again.row.id == stored.id
    # The next automatic number would be 10,000,000,000: past the consecutivo's 10 digits,
    # refused by Hacienda's rules rather than by the database.
    automatic = {key: value for key, value in _CR_FACTURA.items() if key != "numero"}
    with pytest.raises(Exception) as caught:
        service.register(store_runtime, empresa, payload=automatic, enviar=False)
    assert "consecutivo" in str(caught.value).lower() or "número" in str(caught.value).lower()


def _insert(connection, table: str, **values) -> None:
    columns = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    connection.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({marks})"), values)


def _documento(doc_id: str, tipo: str, serie: str, numero: int, estado: str) -> dict:
    return {
        "id": doc_id, "empresa_id": 1, "tipo": tipo, "serie": serie, "numero": numero, "estado": estado,
        "enviar": True, "fecha_emision": "2026-11-21", "moneda": "PEN", "total": "1.00", "totales": "{}",
        "hash": "h", "content_hash": "c", "xml_name": "x.xml", "xml_blob": "b/x.xml", "envio_name": "x.zip",
        "envio_blob": "b/x.zip", "intentos": 0, "creado": _T, "actualizado": _T,
    }  # fmt: skip


_T = "2026-11-21 10:00:00"


def test_migration_0006_widens_numbers_and_ids_of_existing_rows_on_both_databases(database_url):
    db = Database(database_url)
    try:
        config = alembic_config(db.engine.url.render_as_string(hide_password=False))
        with db.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0005")
        doc = "20000000001-01-F001-2147483647"
        summary = "20000000001-RA-20261121-1"
        with db.engine.begin() as connection:
            _insert(
                connection, "empresas", id=1, pais="PE", identificacion="20000000001", razon_social="X",
                direccion="{}", destino="sunat", ambiente="sandbox", boletas_por_resumen=False,
                firma_algoritmo="sha256", activo=True, creado=_T, actualizado=_T,
            )  # fmt: skip
            _insert(connection, "series", empresa_id=1, tipo="01", serie="F001", ultimo=2_147_483_647)
            _insert(connection, "comprobantes", **_documento(doc, "01", "F001", 2_147_483_647, "aceptado"))
            _insert(connection, "comprobantes", **_documento(summary, "RA", "20261121", 1, "aceptado"))
            _insert(connection, "eventos", comprobante_id=doc, estado="aceptado", creado=_T)
            _insert(
                connection, "resumen_lineas", resumen_id=summary, comprobante_id=doc, condicion="3",
                estado_anterior="aceptado",
            )  # fmt: skip
        db.migrate()
        mensaje = "5" * 50 + "-" + "00100001050000000001"
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE series SET ultimo = 9999999999"))
            _insert(
                connection,
                "comprobantes",
                **_documento(mensaje, "05", "00100001", 9_999_999_999, "registrado"),
            )
            _insert(connection, "eventos", comprobante_id=mensaje, estado="registrado", creado=_T)
        with db.read() as session:
            assert session.scalar(text("SELECT ultimo FROM series")) == 9_999_999_999
            numero = session.scalar(text("SELECT numero FROM comprobantes WHERE id = :id"), {"id": mensaje})
            assert numero == 9_999_999_999
            assert session.scalar(text("SELECT count(*) FROM eventos")) == 2
            assert session.scalar(text("SELECT comprobante_id FROM resumen_lineas")) == doc
        columns = {c["name"]: c for c in inspect(db.engine).get_columns("comprobantes")}
        assert columns["id"]["type"].length == 80
    finally:
        db.dispose()
