"""notificaciones: webhook and e-mail outbox, customer contact, SMTP and webhook secrets

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import openpse.storage.tables

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notificaciones",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("empresa_id", sa.Integer(), nullable=False),
        sa.Column("comprobante_id", sa.String(length=64), nullable=False),
        sa.Column("canal", sa.String(length=16), nullable=False),
        sa.Column("destino", sa.String(length=500), nullable=False),
        sa.Column("evento", sa.String(length=24), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("estado", sa.String(length=16), nullable=False),
        sa.Column("intentos", sa.Integer(), nullable=False),
        sa.Column("proximo_intento", openpse.storage.tables.UTCDateTime(), nullable=True),
        sa.Column("ultimo_error", sa.Text(), nullable=True),
        sa.Column("creado", openpse.storage.tables.UTCDateTime(), nullable=False),
        sa.Column("entregado", openpse.storage.tables.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["comprobante_id"], ["comprobantes.id"]),
        sa.ForeignKeyConstraint(["empresa_id"], ["empresas.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("notificaciones", schema=None) as batch_op:
        batch_op.create_index("ix_notificaciones_comprobante_id", ["comprobante_id"], unique=False)
        batch_op.create_index("ix_notificaciones_estado_proximo", ["estado", "proximo_intento"], unique=False)
    with op.batch_alter_table("empresas", schema=None) as batch_op:
        batch_op.add_column(sa.Column("webhook_secreto_enc", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("smtp", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("smtp_clave_enc", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("comprobantes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cliente_nombre", sa.String(length=1500), nullable=True))
        batch_op.add_column(sa.Column("cliente_email", sa.String(length=320), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("comprobantes", schema=None) as batch_op:
        batch_op.drop_column("cliente_email")
        batch_op.drop_column("cliente_nombre")
    with op.batch_alter_table("empresas", schema=None) as batch_op:
        batch_op.drop_column("smtp_clave_enc")
        batch_op.drop_column("smtp")
        batch_op.drop_column("webhook_secreto_enc")
    with op.batch_alter_table("notificaciones", schema=None) as batch_op:
        batch_op.drop_index("ix_notificaciones_estado_proximo")
        batch_op.drop_index("ix_notificaciones_comprobante_id")
    op.drop_table("notificaciones")
