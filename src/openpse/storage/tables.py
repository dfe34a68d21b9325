"""SQLAlchemy 2 tables. The document row (``comprobantes``) is the single source of truth.

Timestamps are stored in UTC; amounts live as decimal strings inside JSON so that SQLite
and PostgreSQL store exactly what was computed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        return value.replace(tzinfo=dt.UTC) if value is not None else None


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UTCDateTime, dict[str, Any]: JSON}


class Empresa(Base):
    """An issuer (tenant): its identity, its destination and its encrypted secrets."""

    __tablename__ = "empresas"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pais: Mapped[str] = mapped_column(String(2))
    identificacion: Mapped[str] = mapped_column(String(20), unique=True)
    razon_social: Mapped[str] = mapped_column(String(1500))
    nombre_comercial: Mapped[str | None] = mapped_column(String(1500))
    direccion: Mapped[dict[str, Any]] = mapped_column(default=dict)
    destino: Mapped[str] = mapped_column(String(16))
    ambiente: Mapped[str] = mapped_column(String(16))
    ose_url: Mapped[str | None] = mapped_column(String(500))
    usuario_sol: Mapped[str | None] = mapped_column(String(64))
    clave_sol_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    gre_client_id: Mapped[str | None] = mapped_column(String(128))
    gre_client_secret_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    hacienda_usuario: Mapped[str | None] = mapped_column(String(128))
    hacienda_clave_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    webhook_secreto_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    """Key of the HMAC in X-OpenPSE-Firma, encrypted with the master key."""
    smtp: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """SMTP settings for mailing customers their documents: host, port, usuario, remitente,
    seguridad (starttls, ssl, ninguna); the password lives in smtp_clave_enc."""
    smtp_clave_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    logo_blob: Mapped[str | None] = mapped_column(String(200))
    """Blob key of the company's logo (PNG or JPEG, drawn on its printed documents)."""
    boletas_por_resumen: Mapped[bool] = mapped_column(Boolean, default=False)
    """Boletas and their notes are informed in the daily summary (RC) instead of one by one."""
    firma_algoritmo: Mapped[str] = mapped_column(String(16), default="sha256")
    cert_key_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    cert_der: Mapped[bytes | None] = mapped_column(LargeBinary)
    cert_fingerprint: Mapped[str | None] = mapped_column(String(64))
    cert_sujeto: Mapped[str | None] = mapped_column(String(1000))
    cert_serie: Mapped[str | None] = mapped_column(String(80))
    cert_emitido: Mapped[dt.datetime | None] = mapped_column()
    cert_vence: Mapped[dt.datetime | None] = mapped_column()
    activo: Mapped[bool] = mapped_column(Boolean, default=True)
    creado: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actualizado: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ApiCliente(Base):
    """An API client (an ERP, a POS): belongs to one company or is an administrator."""

    __tablename__ = "api_clientes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(128), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(255))
    empresa_id: Mapped[int | None] = mapped_column(ForeignKey("empresas.id"), index=True)
    admin: Mapped[bool] = mapped_column(Boolean, default=False)
    nombre: Mapped[str | None] = mapped_column(String(200))
    activo: Mapped[bool] = mapped_column(Boolean, default=True)
    creado: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Usuario(Base):
    """A person of a company, for the password grant and the portal."""

    __tablename__ = "usuarios"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    empresa_id: Mapped[int] = mapped_column(ForeignKey("empresas.id"), index=True)
    username: Mapped[str] = mapped_column(String(128), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    activo: Mapped[bool] = mapped_column(Boolean, default=True)
    creado: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Token(Base):
    """An issued access token, stored only as its SHA-256."""

    __tablename__ = "tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    cliente_id: Mapped[int] = mapped_column(ForeignKey("api_clientes.id"), index=True)
    usuario_id: Mapped[int | None] = mapped_column(ForeignKey("usuarios.id"))
    empresa_id: Mapped[int | None] = mapped_column(ForeignKey("empresas.id"))
    admin: Mapped[bool] = mapped_column(Boolean, default=False)
    expira: Mapped[dt.datetime] = mapped_column(index=True)
    revocado: Mapped[bool] = mapped_column(Boolean, default=False)
    creado: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Serie(Base):
    """Last number used per company, document type and series (for automatic numbering)."""

    __tablename__ = "series"

    empresa_id: Mapped[int] = mapped_column(ForeignKey("empresas.id"), primary_key=True)
    tipo: Mapped[str] = mapped_column(String(4), primary_key=True)
    serie: Mapped[str] = mapped_column(String(8), primary_key=True)
    ultimo: Mapped[int] = mapped_column(BigInteger, default=0)
    """Up to 9,999,999,999 in Costa Rica (the 10 digits of a consecutivo): 64 bits."""


class Comprobante(Base):
    """One document and its state machine (ARCHITECTURE.md §4)."""

    __tablename__ = "comprobantes"
    __table_args__ = (
        UniqueConstraint("empresa_id", "tipo", "serie", "numero", name="uq_comprobante_numero"),
        UniqueConstraint("empresa_id", "idempotency_key", name="uq_comprobante_idempotency"),
        Index("ix_comprobantes_empresa_creado", "empresa_id", "creado"),
        # The listing filtered by state (GET /v1/comprobantes?estado=, the portal): its
        # page and its bounded count walk only that state's rows, newest first.
        Index("ix_comprobantes_empresa_estado_creado", "empresa_id", "estado", "creado"),
        Index("ix_comprobantes_estado_proximo", "estado", "proximo_intento"),
    )

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    """SUNAT: RUC-tipo-serie-número; Hacienda: the 50-digit clave, or for a MensajeReceptor
    ``clave-consecutivoReceptor`` (71 characters), the key Hacienda itself uses."""
    empresa_id: Mapped[int] = mapped_column(ForeignKey("empresas.id"))
    tipo: Mapped[str] = mapped_column(String(4))
    serie: Mapped[str] = mapped_column(String(8))
    numero: Mapped[int] = mapped_column(BigInteger)
    """Up to 99,999,999 (SUNAT) or 9,999,999,999 (a Costa Rican consecutivo): 64 bits."""
    estado: Mapped[str] = mapped_column(String(24))
    enviar: Mapped[bool] = mapped_column(Boolean, default=True)
    por_resumen: Mapped[bool] = mapped_column(Boolean, default=False)
    """Informed to the authority in a daily summary (SUNAT's RC) rather than sent on its own:
    never sent by itself; the summary that carries it (``resumen_lineas``) settles it."""
    fecha_emision: Mapped[dt.date] = mapped_column(Date)
    moneda: Mapped[str] = mapped_column(String(3))
    total: Mapped[str] = mapped_column(String(24))
    totales: Mapped[dict[str, Any]] = mapped_column(default=dict)
    cliente_tipo: Mapped[str | None] = mapped_column(String(2))
    cliente_numero: Mapped[str | None] = mapped_column(String(20))
    cliente_nombre: Mapped[str | None] = mapped_column(String(1500))
    cliente_email: Mapped[str | None] = mapped_column(String(320))
    hash: Mapped[str] = mapped_column(String(100))
    content_hash: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    xml_name: Mapped[str] = mapped_column(String(100))
    xml_blob: Mapped[str] = mapped_column(String(300))
    envio_name: Mapped[str] = mapped_column(String(100))
    envio_blob: Mapped[str] = mapped_column(String(300))
    cdr_blob: Mapped[str | None] = mapped_column(String(300))
    cdr_zip_blob: Mapped[str | None] = mapped_column(String(300))
    respuesta: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ticket: Mapped[str | None] = mapped_column(String(64))
    intentos: Mapped[int] = mapped_column(Integer, default=0)
    proximo_intento: Mapped[dt.datetime | None] = mapped_column()
    lease_hasta: Mapped[dt.datetime | None] = mapped_column()
    """While a worker talks to the authority about this document: until when it owns it."""
    lease_token: Mapped[str | None] = mapped_column(String(32))
    ultimo_error: Mapped[str | None] = mapped_column(Text)
    creado: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actualizado: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ResumenLinea(Base):
    """A document carried by a summary document (RC, RA, RR), which is itself a comprobante row.

    The summary's state decides its lines': an accepted summary annuls (or informs) them,
    a rejected one gives them back the state they had (``estado_anterior``).
    """

    __tablename__ = "resumen_lineas"

    resumen_id: Mapped[str] = mapped_column(ForeignKey("comprobantes.id"), primary_key=True)
    comprobante_id: Mapped[str] = mapped_column(ForeignKey("comprobantes.id"), primary_key=True, index=True)
    condicion: Mapped[str] = mapped_column(String(2))
    """Catálogo 19 in an RC (1 add, 2 modify, 3 annul); 3 for every line of an RA or RR."""
    estado_anterior: Mapped[str] = mapped_column(String(24))
    motivo: Mapped[str | None] = mapped_column(String(100))


class Notificacion(Base):
    """Outbox of what OpenPSE tells the outside world about a document: a webhook to the
    issuer, an e-mail to the customer. Written in the transaction of the state change,
    delivered by the queue with back-off, never on the document's own path."""

    __tablename__ = "notificaciones"
    __table_args__ = (Index("ix_notificaciones_estado_proximo", "estado", "proximo_intento"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    empresa_id: Mapped[int] = mapped_column(ForeignKey("empresas.id"))
    comprobante_id: Mapped[str] = mapped_column(ForeignKey("comprobantes.id"), index=True)
    canal: Mapped[str] = mapped_column(String(16))
    """webhook or email."""
    destino: Mapped[str] = mapped_column(String(500))
    evento: Mapped[str] = mapped_column(String(24))
    """The document state that caused it."""
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """What is delivered, frozen when the state changed (a later state must not rewrite it)."""
    estado: Mapped[str] = mapped_column(String(16))
    """pendiente, entregado or fallido."""
    intentos: Mapped[int] = mapped_column(Integer, default=0)
    proximo_intento: Mapped[dt.datetime | None] = mapped_column()
    ultimo_error: Mapped[str | None] = mapped_column(Text)
    creado: Mapped[dt.datetime] = mapped_column(default=utcnow)
    entregado: Mapped[dt.datetime | None] = mapped_column()


class Auditoria(Base):
    """One change to a company, its certificate, its API clients or its users."""

    __tablename__ = "auditoria"
    __table_args__ = (Index("ix_auditoria_empresa_creado", "empresa_id", "creado"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    creado: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    empresa_id: Mapped[int | None] = mapped_column(ForeignKey("empresas.id"))
    actor: Mapped[str] = mapped_column(String(200))
    """Who: the API client id (``cliente:<client_id>``), a user (``usuario:<username>``) or ``cli``."""
    accion: Mapped[str] = mapped_column(String(48))
    """What, as ``<recurso>.<verbo>``: empresa.creada, certificado.cargado, cliente.creado, ..."""
    objeto: Mapped[str] = mapped_column(String(200))
    """The thing changed: a RUC, a client id, a username, a certificate serial."""
    detalle: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    request_id: Mapped[str | None] = mapped_column(String(64))
    origen: Mapped[str | None] = mapped_column(String(64))
    """The caller's address as the server saw it."""


class Limite(Base):
    """A shared rate-limit slot (per remote endpoint) or the next turn of a periodic job:
    one row each, in epoch seconds (``openpse.jobs.limits``)."""

    __tablename__ = "limites"

    clave: Mapped[str] = mapped_column(String(300), primary_key=True)
    tat: Mapped[float] = mapped_column(Float)
    """GCRA's theoretical arrival time of the next call, or the moment the next turn opens."""


class Evento(Base):
    """Every state change of a document, in order (the audit trail behind webhooks)."""

    __tablename__ = "eventos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    comprobante_id: Mapped[str] = mapped_column(ForeignKey("comprobantes.id"), index=True)
    estado_anterior: Mapped[str | None] = mapped_column(String(24))
    estado: Mapped[str] = mapped_column(String(24))
    detalle: Mapped[str | None] = mapped_column(Text)
    creado: Mapped[dt.datetime] = mapped_column(default=utcnow)
