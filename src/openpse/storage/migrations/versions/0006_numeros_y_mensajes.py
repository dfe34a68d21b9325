"""numbers of 64 bits (Costa Rican consecutivos) and ids of 80 characters (MensajeReceptor)

A Costa Rican consecutivo numbers up to 9,999,999,999, past a 32-bit INTEGER on
PostgreSQL: ``comprobantes.numero`` and ``series.ultimo`` become BIGINT. A MensajeReceptor
is identified as Hacienda identifies it, ``clave-consecutivoReceptor`` (71 characters):
``comprobantes.id`` and the columns that refer to it grow from 64 to 80 characters.

On SQLite (where neither change alters what can be stored) the tables are rebuilt by
batch mode so that the schema says what the models say; ``openpse.storage.db.migrate``
runs it with foreign keys off and checks every reference afterwards, since the rebuild
of ``comprobantes`` drops the table the others refer to.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_REFERRING = (
    ("eventos", ("comprobante_id",)),
    ("notificaciones", ("comprobante_id",)),
    ("resumen_lineas", ("resumen_id", "comprobante_id")),
)


def _resize(id_length: int, number: type[sa.Integer]) -> None:
    old_length = 64 if id_length == 80 else 80
    old_number: type[sa.Integer] = sa.Integer if number is sa.BigInteger else sa.BigInteger
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.alter_column("ultimo", existing_type=old_number(), type_=number(), existing_nullable=False)
    with op.batch_alter_table("comprobantes", schema=None) as batch_op:
        batch_op.alter_column(
            "id", existing_type=sa.String(length=old_length), type_=sa.String(length=id_length)
        )
        batch_op.alter_column("numero", existing_type=old_number(), type_=number(), existing_nullable=False)
    for table, columns in _REFERRING:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(
                    column,
                    existing_type=sa.String(length=old_length),
                    type_=sa.String(length=id_length),
                    existing_nullable=False,
                )


def upgrade() -> None:
    _resize(80, sa.BigInteger)


def downgrade() -> None:
    _resize(64, sa.Integer)
