"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from openpse import __version__
from openpse.api.deps import RuntimeDep

router = APIRouter(tags=["salud"])


@router.get("/health", summary="El proceso responde")
def health() -> dict[str, str]:
    return {"estado": "ok", "version": __version__}


@router.get("/ready", summary="El proceso puede atender: base de datos accesible")
def ready(runtime: RuntimeDep) -> JSONResponse:
    try:
        with runtime.db.read() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return JSONResponse({"estado": "no_disponible", "base_de_datos": "error"}, status_code=503)
    return JSONResponse({"estado": "ok", "base_de_datos": "ok"})
