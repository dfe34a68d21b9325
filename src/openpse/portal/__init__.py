"""Server-rendered pages: ``/portal`` for issuers, ``/consulta`` for their customers (API.md, Portal).

Include ``router`` in the API application; it carries both sets of pages and their
stylesheet. Pages are plain HTML from Jinja2 templates with one CSS file and no
JavaScript; the chart is SVG drawn on the server.
"""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Request
from fastapi.responses import Response

from openpse.portal import consulta, routes
from openpse.portal.web import HERE, redirect, render

__all__ = ["router"]

_STATIC = {
    "portal.css": ((HERE / "static" / "portal.css").read_bytes(), "text/css; charset=utf-8"),
}
_ETAGS = {name: f'"{hashlib.sha256(body).hexdigest()[:16]}"' for name, (body, _) in _STATIC.items()}

router = APIRouter(include_in_schema=False)


@router.get("/portal/static/{name}")
def static(name: str, request: Request) -> Response:
    """The stylesheet, revalidated by ETag (it changes only with a new release)."""
    if name not in _STATIC:
        return Response(status_code=404)
    body, media = _STATIC[name]
    headers = {
        "ETag": _ETAGS[name],
        "Cache-Control": "public, max-age=3600",
        "X-Content-Type-Options": "nosniff",
    }
    if request.headers.get("if-none-match") == _ETAGS[name]:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media, headers=headers)


router.include_router(routes.router)
router.include_router(consulta.router)


@router.get("/portal/{rest:path}")
@router.get("/consulta/{rest:path}")
def not_found(request: Request, rest: str) -> Response:
    """Any other address under the portal: an HTML page, not the API's JSON error."""
    if not rest:
        return redirect(request.url.path.rstrip("/"))
    return render(
        request,
        "error.html",
        {
            "titulo": "Página no encontrada",
            "mensaje": "La dirección no corresponde a ninguna página.",
            "volver": "/consulta" if request.url.path.startswith("/consulta") else "/portal",
            "sesion": None,
        },
        status=404,
    )
