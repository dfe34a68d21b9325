"""``/health`` (the process answers) and ``/ready`` (database, migrations and queue)."""

from __future__ import annotations

from sqlalchemy import text

from openpse import __version__
from openpse.storage.db import Database


def test_health_answers_without_asking_anything(api):
    response = api.get("/health")
    assert response.json() == {"estado": "ok", "version": __version__}


def test_ready_when_database_migrations_and_queue_are_fine(api):
    response = api.get("/ready")
    assert response.status_code == 200
    assert response.json() == {
        "estado": "ok",
        "base_de_datos": "ok",
        "migraciones": "ok",
        "cola": "ok",
        "detalle": {},
    }


def test_not_ready_while_migrations_are_pending(api, runtime):
    with runtime.db.session() as session:
        session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    response = api.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert (body["estado"], body["base_de_datos"], body["migraciones"]) == (
        "no_disponible",
        "ok",
        "pendientes",
    )
    assert "0001" in body["detalle"]["migraciones"]


def test_not_ready_when_the_database_does_not_answer(api, runtime, tmp_path):
    # A directory where the database file should be: every connection fails.
    broken = tmp_path / "no-es-un-archivo"
    broken.mkdir()
    working = runtime.db
    runtime.db = Database(f"sqlite:///{broken}")
    try:
        response = api.get("/ready")
    finally:
        runtime.db.dispose()
        runtime.db = working
    assert response.status_code == 503
    assert response.json()["base_de_datos"] == "error"
    assert response.json()["detalle"]["base_de_datos"]  # the error class, for the operator


def test_not_ready_when_the_queue_does_not_answer(api, runtime):
    queue = runtime.queue

    class Down:
        def advance(self, doc_id: str, delay: float = 0.0) -> None:
            raise ConnectionError

        def pending(self) -> int:
            raise ConnectionError("Redis no responde")

    runtime.queue = Down()
    try:
        response = api.get("/ready")
    finally:
        runtime.queue = queue
    assert response.status_code == 503
    assert (response.json()["cola"], response.json()["detalle"]["cola"]) == ("error", "ConnectionError")
    runtime.queue = None
    try:
        assert api.get("/ready").json()["cola"] == "no_configurada"
    finally:
        runtime.queue = queue
