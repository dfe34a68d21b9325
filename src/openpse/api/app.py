"""The FastAPI application."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.openapi.utils import get_openapi

from openpse import __version__, gateway, observability, portal
from openpse.api import errors
from openpse.api.deps import bind_route_context
from openpse.api.middleware import BodyLimitMiddleware, RequestIdMiddleware
from openpse.api.ratelimit import RateLimiter
from openpse.api.routes import (
    auditoria,
    comprobantes,
    empresas,
    firma,
    hacienda,
    health,
    recepciones,
    resumenes,
    token,
)
from openpse.authorities.sunat.models import ComprobanteIn
from openpse.documents.service import sweep
from openpse.jobs.queue import JobQueue
from openpse.runtime import Runtime

DESCRIPTION = """API de OpenPSE: emisión de comprobantes electrónicos para SUNAT (Perú).

Autentíquese en `/v1/oauth2/token` y envíe `Authorization: Bearer <token>`.
Los errores siguen el formato de la plataforma REST de SUNAT: `{cod, msg, exc, errors[]}`,
con el código de SUNAT en `errors[].codError` cuando corresponde."""


log = logging.getLogger("openpse")


def create_app(runtime: Runtime, start_workers: int = 0) -> FastAPI:
    """The API over ``runtime``; with ``start_workers`` it also runs the queue consumer threads."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        queue = runtime.queue
        if start_workers and isinstance(queue, JobQueue):
            queue.start_consumer(start_workers)
            requeued = sweep(runtime, older_than=0)
            if requeued:
                log.info("al iniciar: %d documentos pendientes reencolados", requeued)
        try:
            yield
        finally:
            if start_workers and isinstance(queue, JobQueue):
                queue.stop_consumer()

    app = FastAPI(
        title="OpenPSE",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        dependencies=[Depends(bind_route_context)],
    )
    app.state.runtime = runtime
    settings = runtime.settings
    app.state.rate_limiter = RateLimiter(settings.api_rate_limit, settings.api_rate_limit_burst)
    app.state.migration_heads = health.code_heads(runtime)
    app.state.metrics_registry = observability.metrics_registry(runtime)
    observability.instrument_runtime(runtime)
    errors.install(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=runtime.settings.max_body_bytes)
    app.add_middleware(RequestIdMiddleware)
    for module in (token, empresas, comprobantes, recepciones, resumenes, firma, hacienda, health, auditoria):
        app.include_router(module.router)
    app.include_router(portal.router)
    app.include_router(gateway.router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            model_schema = ComprobanteIn.model_json_schema(ref_template="#/components/schemas/{model}")
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(model_schema.pop("$defs", {}))
            components["ComprobanteIn"] = model_schema
            errors.document_errors(schema, frozenset({"/v1/oauth2/token", "/v1/oauth2/revoke"}))
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
