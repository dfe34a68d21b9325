"""``POST /v1/hacienda/callback/{token}``: Hacienda's ``callbackUrl`` calls (API.md).

Hacienda POSTs the same JSON that ``GET /recepcion/{clave}`` answers once it has judged a
document. The token in the path (an HMAC of the clave with a key derived from the master
key) is what authenticates the call; the handler applies the verdict through the same
state machine that polling uses, so a callback and a poll never apply it twice.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from openpse.api.deps import RuntimeDep
from openpse.api.errors import error_responses
from openpse.authorities.hacienda.callback import handle_callback
from openpse.core.errors import BadRequest, Code, Issue, NotFound

router = APIRouter(tags=["hacienda"])


@router.post(
    "/v1/hacienda/callback/{token}",
    summary="Respuesta de Hacienda (callbackUrl)",
    status_code=202,
    responses={202: {"description": "Recibida (aplicada, o ya conocida)"}, **error_responses(400, 404)},
)
async def hacienda_callback(token: str, request: Request, runtime: RuntimeDep) -> JSONResponse:
    try:
        body = await request.json()
    except ValueError:
        body = None
    result = await run_in_threadpool(handle_callback, runtime, token, body)
    if result.status == 404:
        raise NotFound(result.detalle)
    if result.status >= 400:
        raise BadRequest(Issue(Code.CAMPO_INVALIDO, result.detalle))
    return JSONResponse({"detalle": result.detalle, "estado": result.estado}, status_code=result.status)
