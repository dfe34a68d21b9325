"""esquema inicial

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import openpse.storage.tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "empresas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pais", sa.String(length=2), nullable=False),
        sa.Column("identificacion", sa.String(length=20), nullable=False),
        sa.Column("razon_social", sa.String(length=1500), nullable=False),
        sa.Column("nombre_comercial", sa.String(length=1500), nullable=True),
        sa.Column("direccion", sa.JSON(), nullable=False),
        sa.Column("destino", sa.String(length=16), nullable=False),
        sa.Column("ambiente", sa.String(length=16), nullable=False),
        sa.Column("ose_url", sa.String(length=500), nullable=True),
        sa.Column("usuario_sol", sa.String(length=64), nullable=True),
        sa.Column("clave_sol_enc", sa.LargeBinary(), nullable=True),
        sa.Column("gre_client_id", sa.String(length=128), nullable=True),
        sa.Column("gre_client_secret_enc", sa.LargeBinary(), nullable=True),
        sa.Column("hacienda_usuario", sa.String(length=128), nullable=True),
        sa.Column("hacienda_clave_enc", sa.LargeBinary(), nullable=True),
        sa.Column("webhook_url", sa.String(length=500), nullable=True),
        sa.Column("firma_algoritmo", sa.String(length=16), nullable=False),
        sa.Column("cert_key_enc", sa.LargeBinary(), nullable=True),
        sa.Column("cert_der", sa.LargeBinary(), nullable=True),
        sa.Column("cert_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("cert_sujeto", sa.String(length=1000), nullable=True),
        sa.Column("cert_serie", sa.String(length=80), nullable=True),
        sa.Column("cert_emitido", openpse.storage.tables.UTCDateTime(), nullable=True),
        sa.Column("cert_vence", openpse.storage.tables.UTCDateTime(), nullable=True),
        sa.Column("activo", sa.Boolean(), nullable=False),
        sa.Column("creado", openpse.storage.tables.UTCDateTime(), nullable=False),
        sa.Column("actualizado", openpse.storage.tables.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("identificacion"),
    )
    op.create_table(
        "api_clientes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=128), nullable=False),
        sa.Column("secret_hash", sa.String(length=255), nullable=False),
        sa.Column("empresa_id", sa.Integer(), nullable=True),
        sa.Column("admin", sa.Boolean(), nullable=False),
        sa.Column("nombre", sa.String(length=200), nullable=True),
        sa.Column("activo", sa.Boolean(), nullable=False),
        sa.Column("creado", openpse.storage.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["empresa_id"],
            ["empresas.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id"),
    )
    with op.batch_alter_table("api_clientes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_clientes_empresa_id"), ["empresa_id"], unique=False)

    op.create_table(
        "comprobantes",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("empresa_id", sa.Integer(), nullable=False),
        sa.Column("tipo", sa.String(length=4), nullable=False),
        sa.Column("serie", sa.String(length=8), nullable=False),
        sa.Column("numero", sa.Integer(), nullable=False),
        sa.Column("estado", sa.String(length=24), nullable=False),
        sa.Column("enviar", sa.Boolean(), nullable=False),
        sa.Column("fecha_emision", sa.Date(), nullable=False),
        sa.Column("moneda", sa.String(length=3), nullable=False),
        sa.Column("total", sa.String(length=24), nullable=False),
        sa.Column("totales", sa.JSON(), nullable=False),
        sa.Column("cliente_tipo", sa.String(length=2), nullable=True),
        sa.Column("cliente_numero", sa.String(length=20), nullable=True),
        sa.Column("hash", sa.String(length=100), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("xml_name", sa.String(length=100), nullable=False),
        sa.Column("xml_blob", sa.String(length=300), nullable=False),
        sa.Column("envio_name", sa.String(length=100), nullable=False),
        sa.Column("envio_blob", sa.String(length=300), nullable=False),
        sa.Column("cdr_blob", sa.String(length=300), nullable=True),
        sa.Column("cdr_zip_blob", sa.String(length=300), nullable=True),
        sa.Column("respuesta", sa.JSON(), nullable=True),
        sa.Column("ticket", sa.String(length=64), nullable=True),
        sa.Column("intentos", sa.Integer(), nullable=False),
        sa.Column("proximo_intento", openpse.storage.tables.UTCDateTime(), nullable=True),
        sa.Column("lease_hasta", openpse.storage.tables.UTCDateTime(), nullable=True),
        sa.Column("lease_token", sa.String(length=32), nullable=True),
        sa.Column("ultimo_error", sa.Text(), nullable=True),
        sa.Column("creado", openpse.storage.tables.UTCDateTime(), nullable=False),
        sa.Column("actualizado", openpse.storage.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["empresa_id"],
            ["empresas.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("empresa_id", "idempotency_key", name="uq_comprobante_idempotency"),
        sa.UniqueConstraint("empresa_id", "tipo", "serie", "numero", name="uq_comprobante_numero"),
    )
    with op.batch_alter_table("comprobantes", schema=None) as batch_op:
        batch_op.create_index("ix_comprobantes_empresa_creado", ["empresa_id", "creado"], unique=False)
        batch_op.create_index("ix_comprobantes_estado_proximo", ["estado", "proximo_intento"], unique=False)

    op.create_table(
        "series",
        sa.Column("empresa_id", sa.Integer(), nullable=False),
        sa.Column("tipo", sa.String(length=4), nullable=False),
        sa.Column("serie", sa.String(length=8), nullable=False),
        sa.Column("ultimo", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["empresa_id"],
            ["empresas.id"],
        ),
        sa.PrimaryKeyConstraint("empresa_id", "tipo", "serie"),
    )
    op.create_table(
        "usuarios",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("empresa_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("activo", sa.Boolean(), nullable=False),
        sa.Column("creado", openpse.storage.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["empresa_id"],
            ["empresas.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    with op.batch_alter_table("usuarios", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_usuarios_empresa_id"), ["empresa_id"], unique=False)

    op.create_table(
        "eventos",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("comprobante_id", sa.String(length=64), nullable=False),
        sa.Column("estado_anterior", sa.String(length=24), nullable=True),
        sa.Column("estado", sa.String(length=24), nullable=False),
        sa.Column("detalle", sa.Text(), nullable=True),
        sa.Column("creado", openpse.storage.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["comprobante_id"],
            ["comprobantes.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("eventos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_eventos_comprobante_id"), ["comprobante_id"], unique=False)

    op.create_table(
        "tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("cliente_id", sa.Integer(), nullable=False),
        sa.Column("usuario_id", sa.Integer(), nullable=True),
        sa.Column("empresa_id", sa.Integer(), nullable=True),
        sa.Column("admin", sa.Boolean(), nullable=False),
        sa.Column("expira", openpse.storage.tables.UTCDateTime(), nullable=False),
        sa.Column("revocado", sa.Boolean(), nullable=False),
        sa.Column("creado", openpse.storage.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cliente_id"],
            ["api_clientes.id"],
        ),
        sa.ForeignKeyConstraint(
            ["empresa_id"],
            ["empresas.id"],
        ),
        sa.ForeignKeyConstraint(
            ["usuario_id"],
            ["usuarios.id"],
        ),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tokens_cliente_id"), ["cliente_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tokens_expira"), ["expira"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tokens_expira"))
        batch_op.drop_index(batch_op.f("ix_tokens_cliente_id"))

    op.drop_table("tokens")
    with op.batch_alter_table("eventos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_eventos_comprobante_id"))

    op.drop_table("eventos")
    with op.batch_alter_table("usuarios", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_usuarios_empresa_id"))

    op.drop_table("usuarios")
    op.drop_table("series")
    with op.batch_alter_table("comprobantes", schema=None) as batch_op:
        batch_op.drop_index("ix_comprobantes_estado_proximo")
        batch_op.drop_index("ix_comprobantes_empresa_creado")

    op.drop_table("comprobantes")
    with op.batch_alter_table("api_clientes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_clientes_empresa_id"))

    op.drop_table("api_clientes")
    op.drop_table("empresas")
