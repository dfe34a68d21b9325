"""por_resumen: boletas and their notes informed by daily summary (RC) instead of sendBill

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("comprobantes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("por_resumen", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("comprobantes", schema=None) as batch_op:
        batch_op.drop_column("por_resumen")
