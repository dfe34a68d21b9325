"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from openpse.storage.db import Database
from openpse.storage.tables import Base


def test_migrated_schema_matches_the_models(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'schema.db'}")
    db.migrate()
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    db.dispose()
    assert diff == []


def test_migrations_run_twice_without_change(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'twice.db'}")
    db.migrate()
    db.migrate()
    db.dispose()
