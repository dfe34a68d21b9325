"""Persistence: SQLAlchemy tables, the database engine, Alembic migrations, the blob store."""
