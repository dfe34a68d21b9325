"""Every error answer in the shape SUNAT's REST platform uses: ``{cod, msg, exc, errors[]}``.

``cod`` repeats the HTTP status, ``exc`` is the request id for support (never a stack
trace) and each ``errors[]`` item carries the authority's code in ``codError``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from openpse.core.errors import Code, Issue, OpenPSEError
from openpse.core.secretbox import SecretBoxError

log = logging.getLogger("openpse.api")

MESSAGES = {
    400: "Bad Request - La solicitud no se pudo leer",
    401: "Unauthorized - Token ausente, inválido o vencido",
    403: "Forbidden - No tiene permiso para esta operación",
    404: "Not Found - El recurso no existe",
    405: "Method Not Allowed",
    409: "Conflict - La solicitud entra en conflicto con un recurso existente",
    413: "Payload Too Large - El cuerpo excede el tamaño permitido",
    415: "Unsupported Media Type - Use application/json o application/xml",
    422: "Unprocessable Entity - Se presentaron errores de validacion que impidieron completar el Request",
    429: "Too Many Requests",
    500: "Internal Server Error - Error interno; informe el código exc",
    503: "Service Unavailable - Servicio no disponible temporalmente; reintente",
}


class ErrorItem(BaseModel):
    codError: str = Field(description="Código de SUNAT o Hacienda cuando corresponde; si no, PSE-nnnn.")
    desError: str
    campo: str | None = Field(description="Ruta JSON del campo con el problema.")


class ErrorBody(BaseModel):
    """El formato de error de la plataforma REST de SUNAT."""

    cod: str = Field(description="Repite el código HTTP.")
    msg: str
    exc: str = Field(description="Identificador de la solicitud, para soporte.")
    errors: list[ErrorItem]


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for error statuses, all in the ``{cod, msg, exc, errors}`` shape."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {"model": ErrorBody, "description": MESSAGES.get(status, "Error")}
        if status == 429:
            entry["headers"] = {
                "Retry-After": {"description": "Segundos a esperar.", "schema": {"type": "integer"}}
            }
        out[status] = entry
    return out


def request_id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id") or "req-desconocido")


def error_body(status: int, rid: str, issues: list[Issue]) -> dict[str, Any]:
    return {
        "cod": str(status),
        "msg": MESSAGES.get(status, "Error"),
        "exc": rid,
        "errors": [{"codError": str(i.cod), "desError": i.mensaje, "campo": i.campo} for i in issues],
    }


def error_response(
    status: int, rid: str, issues: list[Issue], headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(status, rid, issues), status_code=status, headers=headers)


_HTTP_CODES = {
    401: Code.NO_AUTENTICADO,
    403: Code.PROHIBIDO,
    404: Code.NO_ENCONTRADO,
    405: Code.NO_SOPORTADO,
    413: Code.CUERPO_DEMASIADO_GRANDE,
    415: Code.MEDIA_NO_SOPORTADO,
}


def _loc_to_path(loc: tuple[Any, ...]) -> str | None:
    parts = [p for p in loc if p not in ("body", "query", "path", "header")]
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or None


def install(app: FastAPI) -> None:
    @app.exception_handler(OpenPSEError)
    async def _openpse(request: Request, exc: OpenPSEError) -> JSONResponse:
        headers: dict[str, str] | None = getattr(exc, "headers", None)
        return error_response(exc.status, request_id(request), exc.issues, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        issues = [
            Issue(Code.CAMPO_INVALIDO, str(e.get("msg")), _loc_to_path(tuple(e.get("loc", ()))))
            for e in exc.errors()
        ]
        return error_response(422, request_id(request), issues)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, Code.INTERNO)
        detail = exc.detail if isinstance(exc.detail, str) else MESSAGES.get(exc.status_code, "Error")
        headers = dict(exc.headers) if exc.headers else None
        return error_response(exc.status_code, request_id(request), [Issue(code, detail)], headers)

    @app.exception_handler(SecretBoxError)
    async def _secret(request: Request, exc: SecretBoxError) -> JSONResponse:
        log.error("clave maestra: %s", exc)
        return error_response(
            503, request_id(request), [Issue(Code.NO_DISPONIBLE, "No se pueden abrir los secretos")]
        )

    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
        rid = request_id(request)
        log.exception("error no controlado en %s %s (%s)", request.method, request.url.path, rid)
        return error_response(500, rid, [Issue(Code.INTERNO, "Error interno")])


_SECURED_ERRORS = (401, 403, 429, 500, 503)
_BODY_ERRORS = (400, 413, 422)


def document_errors(schema: dict[str, Any], oauth_paths: frozenset[str]) -> None:
    """Declare in the OpenAPI document every error status an operation can answer, all in the
    ``{cod, msg, exc, errors}`` shape: FastAPI only declares 422, and as its own
    ``HTTPValidationError``, which is not what our handler answers."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(
        {name: definition for name, definition in _error_schemas().items() if name not in components}
    )
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    ref = {"$ref": "#/components/schemas/ErrorBody"}
    for path, operations in schema.get("paths", {}).items():
        if path in oauth_paths:
            # OAuth2 endpoints answer in RFC 6749's shape, declared on the routes themselves.
            for operation in operations.values():
                operation.get("responses", {}).pop("422", None)
            continue
        for operation in operations.values():
            responses: dict[str, Any] = operation.setdefault("responses", {})
            statuses: set[int] = set()
            if operation.get("security"):
                statuses.update(_SECURED_ERRORS)
            parameters = operation.get("parameters", [])
            if any(p.get("in") == "path" for p in parameters):
                statuses.add(404)
            if any(p.get("in") in ("path", "query", "header") for p in parameters):
                statuses.add(422)
            if "requestBody" in operation:
                statuses.update(_BODY_ERRORS)
            statuses.update(int(code) for code in responses if code.isdigit() and int(code) >= 400)
            for status in sorted(statuses):
                entry = responses.setdefault(str(status), {})
                entry.setdefault("description", MESSAGES.get(status, "Error"))
                entry["content"] = {"application/json": {"schema": ref}}
                if status == 429:
                    entry["headers"] = {
                        "Retry-After": {"description": "Segundos a esperar.", "schema": {"type": "integer"}}
                    }


def _error_schemas() -> dict[str, Any]:
    definition = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    nested: dict[str, Any] = definition.pop("$defs", {})
    return {"ErrorBody": definition, **nested}
