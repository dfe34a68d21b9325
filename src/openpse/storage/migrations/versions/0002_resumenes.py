"""resúmenes: documents carried by RC/RA/RR, boletas by daily summary

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resumen_lineas",
        sa.Column("resumen_id", sa.String(length=64), nullable=False),
        sa.Column("comprobante_id", sa.String(length=64), nullable=False),
        sa.Column("condicion", sa.String(length=2), nullable=False),
        sa.Column("estado_anterior", sa.String(length=24), nullable=False),
        sa.Column("motivo", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["comprobante_id"], ["comprobantes.id"]),
        sa.ForeignKeyConstraint(["resumen_id"], ["comprobantes.id"]),
        sa.PrimaryKeyConstraint("resumen_id", "comprobante_id"),
    )
    with op.batch_alter_table("resumen_lineas", schema=None) as batch_op:
        batch_op.create_index("ix_resumen_lineas_comprobante_id", ["comprobante_id"], unique=False)
    with op.batch_alter_table("empresas", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("boletas_por_resumen", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("empresas", schema=None) as batch_op:
        batch_op.drop_column("boletas_por_resumen")
    with op.batch_alter_table("resumen_lineas", schema=None) as batch_op:
        batch_op.drop_index("ix_resumen_lineas_comprobante_id")
    op.drop_table("resumen_lineas")
