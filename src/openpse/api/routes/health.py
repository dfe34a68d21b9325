"""Liveness (``/health``), readiness (``/ready``) and Prometheus metrics (``/metrics``).

``/health`` only says the process answers: an orchestrator restarts it when it does not.
``/ready`` says whether it can do its job now: the database answers, its schema is at
the revision this code expects (a replica started before ``openpse migrar`` must not
take traffic), and the queue answers (a document registered but never queued would
wait for the sweeper). Each check reports its own state, so an operator sees which.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel, Field
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from openpse import __version__, observability
from openpse.api.deps import RuntimeDep
from openpse.runtime import Runtime
from openpse.storage.db import alembic_config

router = APIRouter(tags=["salud"])
log = observability.get_logger("openpse.api.salud")


class Salud(BaseModel):
    estado: str = Field(description="ok")
    version: str


class Preparacion(BaseModel):
    estado: str = Field(description="ok, o no_disponible si algún componente falla")
    base_de_datos: str = Field(description="ok o error")
    migraciones: str = Field(description="ok, pendientes (falta `openpse migrar`) o error")
    cola: str = Field(description="ok, error o no_configurada")
    detalle: dict[str, str] = Field(default_factory=dict, description="Qué falló, por componente.")


@router.get("/health", summary="El proceso responde", response_model=Salud)
def health() -> Salud:
    return Salud(estado="ok", version=__version__)


def code_heads(runtime: Runtime) -> frozenset[str]:
    """The migration heads this code ships (read once: they cannot change while it runs)."""
    config = alembic_config(runtime.settings.resolved_database_url)
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def _check_database(runtime: Runtime, expected: frozenset[str]) -> tuple[str, str, dict[str, str]]:
    problems: dict[str, str] = {}
    try:
        with runtime.db.read() as session:
            session.execute(text("SELECT 1"))
            current = frozenset(MigrationContext.configure(session.connection()).get_current_heads())
    except Exception as exc:  # any driver error means "not reachable", whatever its class
        problems["base_de_datos"] = type(exc).__name__
        return "error", "error", problems
    if current != expected:
        problems["migraciones"] = (
            f"la base está en {sorted(current) or 'ninguna'}; el código espera {sorted(expected)}"
        )
        return "ok", "pendientes", problems
    return "ok", "ok", problems


def _check_queue(runtime: Runtime) -> tuple[str, dict[str, str]]:
    pending = getattr(runtime.queue, "pending", None)
    if not callable(pending):
        return "no_configurada", {"cola": "este proceso no tiene cola de trabajos"}
    try:
        pending()
    except Exception as exc:  # SQLite, Redis: the client's own error classes
        return "error", {"cola": type(exc).__name__}
    return "ok", {}


@router.get(
    "/ready",
    summary="El proceso puede atender: base de datos, migraciones y cola",
    response_model=Preparacion,
    responses={503: {"model": Preparacion, "description": "Algún componente no está disponible"}},
)
async def ready(request: Request, runtime: RuntimeDep) -> JSONResponse:
    expected: frozenset[str] = request.app.state.migration_heads
    database, migrations, problems = await run_in_threadpool(_check_database, runtime, expected)
    queue, queue_problems = await run_in_threadpool(_check_queue, runtime)
    problems.update(queue_problems)
    ok = database == "ok" and migrations == "ok" and queue == "ok"
    if not ok:
        log.warning("no preparado", **problems)
    body = Preparacion(
        estado="ok" if ok else "no_disponible",
        base_de_datos=database,
        migraciones=migrations,
        cola=queue,
        detalle=problems,
    )
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)


_METRICS_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "Formato de Prometheus"},
    401: {"description": "Falta el token de métricas (OPENPSE_METRICS_TOKEN)"},
}


@router.get(
    "/metrics",
    summary="Métricas en formato Prometheus",
    response_class=Response,
    responses=_METRICS_RESPONSES,
)
async def metrics(
    request: Request,
    runtime: RuntimeDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """Sin token si ``OPENPSE_METRICS_TOKEN`` no está definido (red interna); con él, el
    recolector envía ``Authorization: Bearer <token>``."""
    expected = runtime.settings.metrics_token
    if expected is not None:
        given = (authorization or "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
            return Response(status_code=401, headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    payload = await run_in_threadpool(observability.exposition, request.app.state.metrics_registry)
    return Response(payload, media_type=CONTENT_TYPE_LATEST)
