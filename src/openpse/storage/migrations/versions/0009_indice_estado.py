"""indice_estado: the listing filtered by state stays flat with millions of documents

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-21
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_comprobantes_empresa_estado_creado", "comprobantes", ["empresa_id", "estado", "creado"]
    )


def downgrade() -> None:
    op.drop_index("ix_comprobantes_empresa_estado_creado", table_name="comprobantes")
