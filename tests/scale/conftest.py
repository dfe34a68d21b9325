"""Fixtures of the scale-out tests (PostgreSQL, Redis, real processes)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from scale_support import postgres_database, redis_queue


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database on 127.0.0.1 (skips off CI when there is none)."""
    with postgres_database() as url:
        yield url


@pytest.fixture
def queue_name() -> Iterator[str]:
    """A Redis queue of this test's own on 127.0.0.1 (skips off CI when there is no Redis)."""
    with redis_queue() as name:
        yield name


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """The same test on SQLite (in the data directory) and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'openpse.db'}"
        return
    with postgres_database() as url:
        yield url
