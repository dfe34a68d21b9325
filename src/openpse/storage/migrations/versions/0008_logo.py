"""logo: each company's logo for its printed documents

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("empresas") as batch_op:
        batch_op.add_column(sa.Column("logo_blob", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("empresas") as batch_op:
        batch_op.drop_column("logo_blob")
