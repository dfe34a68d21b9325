"""limites: shared rate-limit slots and turns of periodic jobs, for every process

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # One row per remote endpoint (GCRA: the theoretical arrival time of the next call)
    # or per periodic job (the moment its next turn opens), in epoch seconds.
    op.create_table(
        "limites",
        sa.Column("clave", sa.String(length=300), nullable=False),
        sa.Column("tat", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("clave"),
    )


def downgrade() -> None:
    op.drop_table("limites")
