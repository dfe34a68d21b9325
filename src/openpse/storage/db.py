"""Engine, sessions and migrations, on SQLite (embedded) or PostgreSQL (scale-out).

SQLite runs in WAL mode with ``synchronous=NORMAL``: readers never block the writer, and
a committed transaction survives a crash of the process (the WAL is in the OS cache).
SQLite has one writer at a time; threads of one process that wait for it in SQLite's
busy handler sleep in steps of up to 100 ms, which turned a 1 ms transaction into
seconds of tail latency under load. Write transactions therefore queue on a mutex of the
process and then on an ``flock`` shared by every process of the data directory (API
processes, ``openpse worker``, the CLI), both handed over at once; reads take none.
``busy_timeout`` remains for anything else that writes. PostgreSQL needs neither.

``OPENPSE_DATABASE_URL=postgresql://…`` (or ``postgresql+psycopg://…``) selects
PostgreSQL through psycopg 3. Connections are checked before use, so a database that
restarted is reconnected to without a restart of ours.

A database that cannot be reached, or a disk that is full, is not a bug of the request:
sessions turn those failures into :class:`DatabaseUnavailable`, which the API answers
with a 503 (``Unavailable``) and the client may retry; the next session tries again,
so the service recovers by itself once the database or the disk is back.

Migrations run at start, on every database, by whichever process starts first: on
PostgreSQL under an advisory lock, on SQLite under a file lock next to the database, so
API replicas and workers starting together never apply a revision twice.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from openpse.core.errors import Code, Issue, Unavailable

MIGRATIONS = Path(__file__).with_name("migrations")
MIGRATION_LOCK = 0x6F70656E707365
"""PostgreSQL advisory lock key held while migrating ("openpse" in ASCII)."""


class DatabaseUnavailable(Unavailable, SQLAlchemyError):
    """The database cannot be reached or cannot write (disk full): a 503, retried by the client.

    Also a ``SQLAlchemyError``, so code that guards database calls keeps catching it."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            Issue(
                Code.NO_DISPONIBLE,
                f"La base de datos no está disponible en este momento; reintente ({detail})",
            )
        )


_SQLITE_UNAVAILABLE = (
    "database or disk is full",
    "disk i/o error",
    "unable to open database file",
    "database is locked",
    "attempt to write a readonly database",
)


def unavailable_reason(exc: BaseException) -> str | None:
    """Why ``exc`` means "the database is not there right now", or None for a real error."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return "conexión perdida"
    if isinstance(exc, OperationalError):
        message = str(exc.orig).lower()
        for known in _SQLITE_UNAVAILABLE:
            if known in message:
                return known
        if "sqlite" not in type(exc.orig).__module__:
            # psycopg's OperationalError: refused or dropped connection, server shutting
            # down, too many clients. Lock timeouts and serialization failures land here
            # too; to a client they are the same "try again".
            return "sin conexión"
    return None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def normalize_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` mean psycopg 3 (the only PostgreSQL driver we ship)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=20, max_overflow=20
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # A PostgreSQL server allows 100 connections by default, shared by every API replica
    # and worker: 8 kept per process, up to 24 under a burst. The connect timeout keeps a
    # dead server from holding a request longer than a client waits.
    return create_engine(
        url,
        pool_size=8,
        max_overflow=16,
        pool_pre_ping=True,
        pool_recycle=1800,
        pool_timeout=10,
        connect_args={"connect_timeout": 5, "application_name": "openpse"},
    )


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@contextmanager
def _sqlite_migration_lock(engine: Engine) -> Iterator[None]:
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest revision (idempotent, safe from concurrent processes)."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    if engine.dialect.name != "sqlite":
        with engine.begin() as connection:
            # Held until this transaction ends; PostgreSQL runs DDL inside it.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        return
    with _sqlite_migration_lock(engine), engine.connect() as connection:
        # Batch mode changes a SQLite table by copying it and dropping the original, which
        # enforced foreign keys forbid while other rows refer to it. SQLite switches them
        # off only outside a transaction: before the migration's, and back on after it
        # (the connection returns to the pool), with every reference checked in between.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"la migración dejó referencias rotas: {broken[:5]}")
        finally:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


class _SqliteWriteLock:
    """Turns at SQLite's one writer, handed over at once: a mutex among this process's
    threads, then an exclusive ``flock`` on a file next to the database among processes
    (API processes, workers, the CLI). A process waiting in ``flock`` is woken by the
    kernel the moment the lock is released, where SQLite's busy handler would sleep and
    poll (1, 2, 5 … 100 ms), which put seconds into the tail latency of two API processes."""

    def __init__(self, database: str | None) -> None:
        self._mutex = threading.Lock()
        self._path = f"{database}.write.lock" if database and database != ":memory:" else None
        self._fd: int | None = None
        self._pid = 0

    def __enter__(self) -> None:
        self._mutex.acquire()
        try:
            if self._path is not None:
                if self._fd is None or self._pid != os.getpid():
                    # Opened per process: a descriptor inherited across fork() would share
                    # its lock with the parent instead of excluding it.
                    self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                    self._pid = os.getpid()
                fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._mutex.release()
            raise

    def __exit__(self, *exc: object) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._mutex.release()

    def close(self) -> None:
        with self._mutex:
            if self._fd is not None and self._pid == os.getpid():
                os.close(self._fd)
            self._fd = None


class Database:
    """The engine and a session factory."""

    def __init__(self, url: str) -> None:
        self.url = normalize_url(url)
        self.engine = make_engine(self.url)
        self.dialect = self.engine.dialect.name
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock: _SqliteWriteLock | None = (
            _SqliteWriteLock(self.engine.url.database) if self.dialect == "sqlite" else None
        )

    @property
    def display_url(self) -> str:
        """The URL without its password, for logs and messages."""
        return make_url(self.url).render_as_string(hide_password=True)

    def migrate(self) -> None:
        with _translated():
            migrate(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A write transaction: commits on success, rolls back on error."""
        with _translated(), self._write_lock or nullcontext(), self.sessions() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only transaction (never waits for writers)."""
        with _translated(), self.sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
        if self._write_lock is not None:
            self._write_lock.close()


@contextlib.contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except DatabaseUnavailable:
        raise
    except DBAPIError as exc:
        reason = unavailable_reason(exc)
        if reason is None:
            raise
        raise DatabaseUnavailable(reason) from exc
