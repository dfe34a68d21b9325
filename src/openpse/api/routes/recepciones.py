"""``POST /v1/recepciones``: a Costa Rican company answers a comprobante it received.

The body is the supplier's signed XML, either as the body itself (``application/xml``,
the other fields in the query string) or in base64 inside a JSON body. OpenPSE verifies
it, builds, numbers and signs the MensajeReceptor and stores it as a document
(:mod:`openpse.authorities.hacienda.recepcion`): from then on it is read, downloaded,
retried and notified through ``/v1/comprobantes/{id}`` like any other.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from openpse.api.deps import PrincipalDep, RuntimeDep, company_of
from openpse.api.routes.comprobantes import UnsupportedMedia, document_body, media_type
from openpse.authorities.hacienda import recepcion
from openpse.core.errors import BadRequest, Code, Issue
from openpse.documents import service
from openpse.documents.states import FINAL, Estado
from openpse.storage.tables import Empresa

router = APIRouter(tags=["recepciones"])

_SCHEMA = recepcion.RecepcionIn.model_json_schema()
_CONTROL = frozenset({"enviar", "espera"})
"""Query parameters of the endpoint itself, not of the message."""

RECEPCION_BODY = {
    "description": "El comprobante recibido del proveedor: JSON con el XML en base64 (`xml`), o el XML "
    "firmado tal cual (`application/xml`) con `mensaje` y los demás campos como parámetros de la URL.",
    "required": True,
    "content": {
        "application/json": {"schema": _SCHEMA},
        "application/xml": {"schema": {"type": "string", "format": "binary"}},
    },
}
_XML_PARAMETERS = [
    {
        "name": name,
        "in": "query",
        "required": name == "mensaje",
        "description": f"Solo con application/xml: {field.get('description', '')}",
        "schema": {key: value for key, value in field.items() if key not in ("title", "description")},
    }
    for name, field in _SCHEMA["properties"].items()
    if name != "xml"
]


@router.post(
    "/v1/recepciones",
    summary="Responder un comprobante recibido (mensaje receptor, Costa Rica)",
    status_code=202,
    openapi_extra={"requestBody": RECEPCION_BODY, "parameters": _XML_PARAMETERS},
    responses={
        200: {"description": "La misma respuesta ya existía, o `espera` alcanzó un estado final"},
        202: {"description": "Registrado y en cola; `Location` apunta al mensaje (`clave-consecutivo`)"},
        409: {"description": "El comprobante ya se respondió (y esa respuesta no fue rechazada)"},
        415: {"description": "Content-Type no soportado"},
        422: {
            "description": "El XML recibido no es válido, no está firmado por su emisor o no está dirigido "
            "a la empresa, o la respuesta incumple las reglas de Hacienda"
        },
    },
)
async def responder(
    request: Request,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    enviar: Annotated[bool, Query(description="false: solo firmar y guardar")] = True,
    espera: Annotated[int, Query(ge=0, le=60, description="Segundos a esperar la respuesta de Hacienda")] = 0,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> JSONResponse:
    """Acepta (1), acepta parcialmente (2) o rechaza (3) una factura, nota de débito o nota de
    crédito recibida. OpenPSE verifica el XML (firma del emisor, clave, que el receptor sea la
    empresa), arma y firma el MensajeReceptor con las cifras del comprobante, lo numera con su
    propio consecutivo (tipo 05, 06 o 07 por sucursal y terminal) y lo envía a Hacienda. El
    `id` es `clave-consecutivoReceptor`; el estado, el XML y la respuesta de Hacienda
    (MensajeHacienda, en `/cdr`) se consultan en `/v1/comprobantes/{id}`."""
    empresa: Empresa = await run_in_threadpool(company_of, runtime, principal)
    media = media_type(request)
    raw = await request.body()
    payload: Any
    xml: bytes | None = None
    if media == "application/json":
        try:
            payload = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadRequest(Issue(Code.JSON_MALFORMADO, f"JSON mal formado: {exc}")) from exc
        if not isinstance(payload, dict):
            raise BadRequest(Issue(Code.JSON_MALFORMADO, "Se esperaba un objeto JSON"))
    elif media in ("application/xml", "text/xml"):
        xml = raw
        payload = {k: v for k, v in request.query_params.items() if k not in _CONTROL}
        if str(payload.get("mensaje", "")).isdigit():
            payload["mensaje"] = int(payload["mensaje"])  # a Literal[1, 2, 3] takes no text
    else:
        raise UnsupportedMedia(
            Issue(
                Code.MEDIA_NO_SOPORTADO,
                f"Content-Type '{media or '(vacío)'}' no soportado; use application/json o application/xml",
            )
        )
    registered = await run_in_threadpool(
        lambda: recepcion.registrar(
            runtime, empresa, payload, xml, idempotency_key=idempotency_key, enviar=enviar
        )
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
