"""``GET /v1/auditoria``: the audit log of company, certificate, client and user changes (administrator)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from openpse.api.audit import Auditoria
from openpse.api.deps import AdminDep, RuntimeDep
from openpse.api.errors import error_responses
from openpse.core.timeutil import LIMA, iso
from openpse.storage.tables import Empresa

router = APIRouter(tags=["auditoría"])


class RegistroAuditoria(BaseModel):
    id: int
    fecha: str = Field(description="Cuándo (ISO 8601, hora de Lima).")
    empresa: str | None = Field(description="RUC o identificación de la empresa afectada.")
    actor: str = Field(description="Quién: cliente:<client_id>, usuario:<username> o cli.")
    accion: str = Field(description="Qué: empresa.creada, certificado.cargado, cliente.creado, ...")
    objeto: str = Field(description="Sobre qué: RUC, client_id, usuario o serie del certificado.")
    detalle: dict[str, Any] | None = Field(description="Campos cambiados; los secretos solo por nombre.")
    request_id: str | None
    origen: str | None = Field(description="Dirección del cliente, según el servidor.")


class PaginaAuditoria(BaseModel):
    items: list[RegistroAuditoria]
    pagina: int
    tamano: int
    total: int


@router.get(
    "/v1/auditoria",
    response_model=PaginaAuditoria,
    summary="Registro de auditoría (administrador)",
    responses=error_responses(401, 403, 422, 429),
)
def listar_auditoria(
    runtime: RuntimeDep,
    _admin: AdminDep,
    empresa: Annotated[str | None, Query(max_length=20, description="RUC o identificación")] = None,
    accion: Annotated[str | None, Query(max_length=48)] = None,
    desde: Annotated[dt.datetime | None, Query(description="Desde (ISO 8601 con zona)")] = None,
    hasta: Annotated[dt.datetime | None, Query(description="Hasta (ISO 8601 con zona)")] = None,
    pagina: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    tamano: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PaginaAuditoria:
    query = select(Auditoria, Empresa.identificacion).outerjoin(Empresa, Empresa.id == Auditoria.empresa_id)
    if empresa:
        query = query.where(Empresa.identificacion == empresa)
    if accion:
        query = query.where(Auditoria.accion == accion)
    if desde:
        query = query.where(Auditoria.creado >= _aware(desde))
    if hasta:
        query = query.where(Auditoria.creado <= _aware(hasta))
    with runtime.db.read() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.execute(
            query.order_by(Auditoria.creado.desc(), Auditoria.id.desc())
            .offset((pagina - 1) * tamano)
            .limit(tamano)
        ).all()
    return PaginaAuditoria(
        items=[
            RegistroAuditoria(
                id=row.id,
                fecha=iso(row.creado),
                empresa=ruc,
                actor=row.actor,
                accion=row.accion,
                objeto=row.objeto,
                detalle=row.detalle,
                request_id=row.request_id,
                origen=row.origen,
            )
            for row, ruc in rows
        ],
        pagina=pagina,
        tamano=tamano,
        total=total,
    )


def _aware(moment: dt.datetime) -> dt.datetime:
    """A time without zone is read as Lima's, like every other date of the API."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=LIMA)
