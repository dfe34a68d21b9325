"""auditoria: who changed a company, its certificate, its API clients or users, and when

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import openpse.storage.tables

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auditoria",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("creado", openpse.storage.tables.UTCDateTime(), nullable=False),
        sa.Column("empresa_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("accion", sa.String(length=48), nullable=False),
        sa.Column("objeto", sa.String(length=200), nullable=False),
        sa.Column("detalle", sa.JSON(), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("origen", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["empresa_id"], ["empresas.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("auditoria", schema=None) as batch_op:
        batch_op.create_index("ix_auditoria_creado", ["creado"], unique=False)
        batch_op.create_index("ix_auditoria_empresa_creado", ["empresa_id", "creado"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("auditoria", schema=None) as batch_op:
        batch_op.drop_index("ix_auditoria_empresa_creado")
        batch_op.drop_index("ix_auditoria_creado")
    op.drop_table("auditoria")
