"""Documents (``/v1/comprobantes``): issue, read, download, send.

The request body is read by hand rather than declared as a model, because one endpoint
takes JSON (OpenPSE builds the XML) or XML (OpenPSE signs the client's UBL), and both
must answer malformed input with the API's own error shape.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from openpse.api.deps import PrincipalDep, RuntimeDep, company_of
from openpse.api.errors import error_responses
from openpse.core.errors import BadRequest, Code, Issue, NotFound, OpenPSEError, ValidationFailed
from openpse.core.timeutil import iso, zona_de
from openpse.documents import impresion, listado, service
from openpse.documents.states import FINAL, Estado
from openpse.render import RenderError
from openpse.runtime import Runtime
from openpse.storage.tables import Comprobante, Empresa, Notificacion

router = APIRouter(tags=["comprobantes"])

_JSON_TYPES = ("application/json",)
_XML_TYPES = ("application/xml", "text/xml")

COMPROBANTE_BODY = {
    "description": "JSON (OpenPSE calcula, construye y firma) o XML UBL sin firmar (OpenPSE firma).",
    "required": True,
    "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/ComprobanteIn"}},
        "application/xml": {"schema": {"type": "string", "format": "binary"}},
    },
}


class UnsupportedMedia(OpenPSEError):
    status = 415


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def ingest_limiter(request: Request, runtime: Runtime) -> anyio.CapacityLimiter:
    """Threads of this process that validate, build, sign and store at once
    (``OPENPSE_INGEST_CONCURRENCY``). The work is CPU-bound and ends in one writer: more
    threads than that only queue for the GIL, and the one holding the write lock waits
    behind them, which lengthens every request. Created on first use, inside the loop."""
    state = request.app.state
    limiter: anyio.CapacityLimiter | None = getattr(state, "ingest_limiter", None)
    if limiter is None:
        limiter = state.ingest_limiter = anyio.CapacityLimiter(runtime.settings.ingest_concurrency)
    return limiter


def document_body(row: Comprobante, empresa: Empresa) -> dict[str, Any]:
    """The document as API.md shows it, its times on the company's clock (Lima or Costa Rica)."""
    return service.to_api(row, empresa.identificacion, zona_de(empresa.pais))


@router.post(
    "/v1/comprobantes",
    summary="Emitir un comprobante",
    status_code=202,
    openapi_extra={"requestBody": COMPROBANTE_BODY},
    responses={
        200: {"description": "El mismo comprobante ya existía, o `espera` alcanzó un estado final"},
        202: {"description": "Registrado y en cola; `Location` apunta al comprobante"},
        409: {"description": "El número (o la Idempotency-Key) ya se usó con otro contenido"},
        415: {"description": "Content-Type no soportado"},
        422: {"description": "Errores de validación con el código de SUNAT"},
    },
)
async def emitir(
    request: Request,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    enviar: Annotated[bool, Query(description="false: solo firmar y guardar")] = True,
    espera: Annotated[
        int, Query(ge=0, le=60, description="Segundos a esperar la respuesta de la autoridad")
    ] = 0,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> JSONResponse:
    empresa = company_of(runtime, principal)  # no I/O: the company came with the token
    media = media_type(request)
    raw = await request.body()
    payload: Any = None
    xml: bytes | None = None
    if media in _JSON_TYPES:
        try:
            payload = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadRequest(Issue(Code.JSON_MALFORMADO, f"JSON mal formado: {exc}")) from exc
        if not isinstance(payload, dict):
            raise BadRequest(Issue(Code.JSON_MALFORMADO, "Se esperaba un objeto JSON"))
    elif media in _XML_TYPES:
        xml = raw
    else:
        raise UnsupportedMedia(
            Issue(
                Code.MEDIA_NO_SOPORTADO,
                f"Content-Type '{media or '(vacío)'}' no soportado; use application/json o application/xml",
            )
        )
    registered = await anyio.to_thread.run_sync(
        lambda: service.register(
            runtime, empresa, payload=payload, xml=xml, idempotency_key=idempotency_key, enviar=enviar
        ),
        limiter=ingest_limiter(request, runtime),
    )
    row = registered.row
    if espera and enviar and Estado(row.estado) not in FINAL:
        row = await service.wait_final(runtime, empresa.id, row.id, espera)
    final = Estado(row.estado) in FINAL
    code = 200 if (not registered.created or (espera and final)) else 202
    return JSONResponse(
        document_body(row, empresa),
        status_code=code,
        headers={"Location": f"/v1/comprobantes/{row.id}"},
    )


@router.get("/v1/comprobantes", summary="Listar comprobantes")
def listar(
    runtime: RuntimeDep,
    principal: PrincipalDep,
    tipo: Annotated[str | None, Query(max_length=4)] = None,
    serie: Annotated[str | None, Query(max_length=8)] = None,
    estado: Annotated[Estado | None, Query()] = None,
    desde: Annotated[dt.date | None, Query(description="Fecha de emisión desde")] = None,
    hasta: Annotated[dt.date | None, Query(description="Fecha de emisión hasta")] = None,
    pagina: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    tamano: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Posición devuelta en `cursor_siguiente` de la página anterior: recorre "
            "cualquier volumen a costo constante (con cursor no se usa `pagina`).",
        ),
    ] = None,
) -> dict[str, Any]:
    """Los más recientes primero. `total` es exacto hasta 10.000; si hay más,
    `total_exacto` es false y `total` vale 10.000."""
    empresa = company_of(runtime, principal)
    filtros = listado.Filtros(tipo=tipo, serie=serie, estado=estado, desde=desde, hasta=hasta)
    try:
        page = listado.listar(runtime, empresa.id, filtros, pagina, tamano, cursor)
    except listado.CursorInvalido as exc:
        raise ValidationFailed(Issue(Code.CAMPO_INVALIDO, str(exc), "cursor")) from exc
    return {
        "items": [document_body(r, empresa) for r in page.rows],
        "pagina": page.pagina,
        "tamano": page.tamano,
        "total": page.total,
        "total_exacto": page.total_exacto,
        "cursor_siguiente": page.siguiente,
    }


@router.get("/v1/comprobantes/{doc_id}", summary="Estado de un comprobante")
async def ver(
    doc_id: str,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    espera: Annotated[int, Query(ge=0, le=60)] = 0,
) -> dict[str, Any]:
    empresa = await run_in_threadpool(company_of, runtime, principal)
    if espera:
        row = await service.wait_final(runtime, empresa.id, doc_id, espera)
    else:
        row = await run_in_threadpool(service.get_for, runtime, empresa.id, doc_id)
    return document_body(row, empresa)


@router.get(
    "/v1/comprobantes/{doc_id}/xml",
    summary="XML firmado",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}}},
)
def descargar_xml(doc_id: str, runtime: RuntimeDep, principal: PrincipalDep) -> Response:
    empresa = company_of(runtime, principal)
    row = service.get_for(runtime, empresa.id, doc_id)
    return Response(
        runtime.blobs.get(row.xml_blob),
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{row.xml_name}"'},
    )


@router.get(
    "/v1/comprobantes/{doc_id}/cdr",
    summary="Respuesta de la autoridad (CDR)",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}, "application/zip": {}}}},
)
def descargar_cdr(
    doc_id: str,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    formato: Annotated[str, Query(pattern="^(xml|zip)$")] = "xml",
) -> Response:
    empresa = company_of(runtime, principal)
    row = service.get_for(runtime, empresa.id, doc_id)
    key = row.cdr_zip_blob if formato == "zip" else row.cdr_blob
    if key is None:
        raise NotFound(f"El comprobante {doc_id} aún no tiene CDR (estado {row.estado})")
    if formato == "zip":
        return Response(
            runtime.blobs.get(key),
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="R-{row.envio_name}"'},
        )
    return Response(
        runtime.blobs.get(key),
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="R-{row.xml_name}"'},
    )


@router.get(
    "/v1/comprobantes/{doc_id}/pdf",
    summary="Representación impresa (PDF A4 o ticket de 80 mm, con QR)",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def descargar_pdf(
    doc_id: str,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    formato: Annotated[str, Query(pattern="^(a4|ticket)$")] = "a4",
) -> Response:
    empresa = company_of(runtime, principal)
    row = service.get_for(runtime, empresa.id, doc_id)
    # Rendered on first request and cached (openpse.documents.impresion).
    try:
        pdf = impresion.pdf(runtime, row, formato, empresa)
    except RenderError as exc:
        raise ValidationFailed(Issue(Code.NO_SOPORTADO, str(exc))) from exc
    name = f"{row.id}.pdf" if formato == "a4" else f"{row.id}-ticket.pdf"
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'}
    )


@router.post(
    "/v1/comprobantes/{doc_id}/envio",
    summary="Enviar un comprobante solo firmado o reintentar uno fallido",
    status_code=202,
)
def enviar_comprobante(doc_id: str, runtime: RuntimeDep, principal: PrincipalDep) -> JSONResponse:
    empresa = company_of(runtime, principal)
    row = service.get_for(runtime, empresa.id, doc_id)
    row = service.request_send(runtime, row)
    return JSONResponse(
        document_body(row, empresa),
        status_code=202,
        headers={"Location": f"/v1/comprobantes/{row.id}"},
    )


class AnulacionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    motivo: str = Field(
        min_length=3,
        max_length=100,
        description="Motivo de la baja (sac:VoidReasonDescription en una comunicación de baja).",
    )


@router.post(
    "/v1/comprobantes/{doc_id}/anulacion",
    summary="Anular un comprobante aceptado",
    status_code=202,
    responses={
        200: {"description": "Ya estaba en anulación o anulado, o `espera` alcanzó el resultado"},
        202: {"description": "La comunicación de baja (RA) o el resumen (RC) quedó en cola"},
        409: {"description": "El comprobante no está aceptado"},
        422: {"description": "No se puede anular (p. ej. 2957: fuera de plazo)"},
    },
)
async def anular(
    doc_id: str,
    body: AnulacionIn,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    espera: Annotated[int, Query(ge=0, le=60, description="Segundos a esperar la respuesta")] = 0,
) -> JSONResponse:
    """SUNAT: una factura (o su nota) se anula con una comunicación de baja (RA); una boleta
    (o su nota), con una línea de estado 3 en un resumen diario (RC). Ambas dentro de los
    7 días de la emisión. El comprobante queda `anulacion_pendiente` hasta que SUNAT
    responde el ticket: `anulado`, o vuelve a su estado si la baja no procede."""
    empresa: Empresa = await run_in_threadpool(company_of, runtime, principal)
    voiding = await run_in_threadpool(service.request_void, runtime, empresa, doc_id, body.motivo)
    row = voiding.document
    if espera and Estado(row.estado) is Estado.ANULACION_PENDIENTE:
        row = await service.wait_final(runtime, empresa.id, row.id, espera)
    summary = await run_in_threadpool(service.void_summary_of, runtime, row.id)
    settled = Estado(row.estado) is not Estado.ANULACION_PENDIENTE
    content = document_body(row, empresa)
    content["anulacion"] = document_body(summary, empresa) if summary is not None else None
    return JSONResponse(
        content,
        status_code=200 if (not voiding.created or settled) else 202,
        headers={"Location": f"/v1/comprobantes/{row.id}"},
    )


@router.get(
    "/v1/comprobantes/{doc_id}/notificaciones",
    summary="Webhooks y correos de un comprobante",
    responses=error_responses(401, 404, 422, 429),
)
def listar_notificaciones(doc_id: str, runtime: RuntimeDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """Lo que OpenPSE avisó (o intenta avisar) sobre el comprobante: canal, destino, el
    estado que lo causó, si llegó, intentos y el último error."""
    empresa = company_of(runtime, principal)
    row = service.get_for(runtime, empresa.id, doc_id)
    zona = zona_de(empresa.pais)
    with runtime.db.read() as session:
        found = session.scalars(
            select(Notificacion).where(Notificacion.comprobante_id == row.id).order_by(Notificacion.id)
        ).all()
    return [
        {
            "id": n.id,
            "canal": n.canal,
            "destino": n.destino,
            "evento": n.evento,
            "estado": n.estado,
            "intentos": n.intentos,
            "ultimo_error": n.ultimo_error,
            "creado": iso(n.creado, zona),
            "entregado": iso(n.entregado, zona) if n.entregado else None,
        }
        for n in found
    ]
