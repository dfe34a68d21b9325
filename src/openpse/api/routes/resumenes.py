"""Daily summaries (``/v1/resumenes``): inform the pending boletas now, and see what is pending.

A company with ``boletas_por_resumen`` has its boletas (and the notes on them) informed
to SUNAT in a Resumen diario (RC) by a periodic job (see
``openpse.documents.resumen_diario``); these endpoints send them at once and list them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from openpse.api.deps import PrincipalDep, RuntimeDep, company_of
from openpse.api.errors import error_responses
from openpse.documents import resumen_diario, service
from openpse.storage.tables import Empresa

router = APIRouter(tags=["resumenes"])


@router.post(
    "/v1/resumenes",
    summary="Enviar ahora el resumen diario de las boletas pendientes",
    status_code=202,
    responses={
        200: {"description": "No había boletas pendientes de informar: `resumenes` vacío"},
        202: {"description": "Uno o más resúmenes diarios (RC) quedaron en cola"},
        **error_responses(401, 403, 429),
    },
)
async def enviar_resumenes(runtime: RuntimeDep, principal: PrincipalDep) -> JSONResponse:
    """Arma, firma y pone en cola los resúmenes diarios (RC, estado 1) de todas las boletas y
    notas de la empresa que esperan ser informadas, sin esperar al trabajo periódico: uno
    por fecha de emisión, de hasta 500 líneas cada uno. Cada resumen es un comprobante
    (`tipo` RC) que se consulta en `/v1/comprobantes/{id}`; su respuesta (ticket) pasa a
    cada boleta: `aceptado`/`observado` o `rechazado`, con el CDR del resumen. Una línea
    que SUNAT rechazaría por sí sola no viaja: su comprobante queda `fallido` con el motivo.
    Las notas de una boleta aún no aceptada esperan al resumen siguiente."""
    empresa: Empresa = await run_in_threadpool(company_of, runtime, principal)
    created = await run_in_threadpool(lambda: resumen_diario.summarize(runtime, empresa.id, force=True))
    body: dict[str, Any] = {
        "resumenes": [service.to_api(row, empresa.identificacion) for row in created],
        "pendientes": len(await run_in_threadpool(resumen_diario.pending, runtime, empresa.id)),
    }
    return JSONResponse(body, status_code=202 if created else 200)


@router.get(
    "/v1/resumenes/pendientes",
    summary="Boletas y notas que esperan su resumen diario",
    responses=error_responses(401, 403, 429),
)
def pendientes(runtime: RuntimeDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """Los comprobantes de la empresa firmados y guardados que aún no viajan en un resumen diario."""
    empresa = company_of(runtime, principal)
    return [
        service.to_api(row, empresa.identificacion) for row in resumen_diario.pending(runtime, empresa.id)
    ]
