"""``/portal``: the issuers' pages (API.md, Portal).

A company's users sign in with the same user names and passwords as the password grant
of ``/v1/oauth2/token``, list and filter their documents, read the authority's answer,
download XML, CDR and PDF, retry a ``fallido`` document and ask for an annulment. Every
query is scoped to the signed-in user's company; another company's document is a 404,
exactly like an unknown one.

Handlers are plain functions (FastAPI runs them in its thread pool) because they read
the database, check scrypt hashes, sign documents and draw PDFs.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from openpse.core.errors import NotFound, OpenPSEError
from openpse.core.hashing import verify_secret
from openpse.core.timeutil import now_lima
from openpse.documents import service
from openpse.documents.listado import Filtros
from openpse.documents.states import Estado
from openpse.portal import chart, files, labels
from openpse.portal.queries import (
    daily_counts,
    events_of,
    line_of,
    list_documents,
    series_of,
    summary_lines,
    user_with_company,
)
from openpse.portal.web import (
    SESSION_COOKIE,
    Sesion,
    anonymous_csrf,
    anonymous_csrf_ok,
    client_ip,
    current_session,
    delete_cookie,
    end_session,
    forbidden,
    keep_csrf_cookie,
    minutes_text,
    redirect,
    render,
    runtime_of,
    session_csrf_ok,
    start_session,
    state_of,
)
from openpse.storage.tables import Comprobante

router = APIRouter(prefix="/portal", include_in_schema=False)

VOIDABLE_TYPES = frozenset({"01", "03", "07", "08", "20", "40"})
"""Documents annulled through a summary the authority tracks (RA, RC estado 3, RR);
whether one still can be (SUNAT: within 7 days, error 2957) is the authority's answer."""
PAGE_SIZE = 50
CHART_DAYS = 30
"""Days the chart shows when no date filter is given (ending today, Lima time)."""
_SERIE = re.compile(r"^[A-Z0-9]{1,8}$")
_NEXT = re.compile(r"^/portal(?!.*\.\.)(?:/[A-Za-z0-9._~/-]*)?(?:\?[A-Za-z0-9._~=&%+-]*)?$")
"""Where sign-in may send back to: a path of the portal itself, never another site or
another part of the service (no open redirect)."""

AVISOS = {
    "reenvio": "Se reintentará el envío a la autoridad. El estado se actualiza al recibir la respuesta.",
    "envio": "El comprobante se enviará a la autoridad. El estado se actualiza al recibir la respuesta.",
    "anulacion": "Se solicitó la anulación. El comprobante queda en «Anulación en curso» hasta que "
    "la autoridad responda.",
}
"""Messages shown after a redirect; the query string names one, so no text is reflected."""


def _login_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET" or not _NEXT.match(target):
        target = "/portal"
    response = redirect(f"/portal/ingresar?{urlencode({'siguiente': target})}")
    if SESSION_COOKIE in request.cookies:
        # The cookie no longer makes a session (expired, revoked, user deactivated):
        # the browser drops it rather than presenting it again.
        delete_cookie(request, response, SESSION_COOKIE, "/portal")
    return response


# -- sign in and out ------------------------------------------------------------------------


def _login_page(
    request: Request,
    *,
    usuario: str = "",
    siguiente: str = "/portal",
    error: str | None = None,
    aviso: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    token, fresh = anonymous_csrf(request)
    response = render(
        request,
        "ingresar.html",
        {
            "csrf": token,
            "usuario": usuario,
            "siguiente": siguiente if _NEXT.match(siguiente) else "/portal",
            "error": error,
            "aviso": aviso,
            "sesion": None,
        },
        status=status,
        headers=headers,
    )
    return keep_csrf_cookie(request, response, fresh)


@router.get("/ingresar")
def login_form(request: Request, siguiente: str = "/portal", salida: str | None = None) -> Response:
    if current_session(request) is not None:
        return redirect(siguiente if _NEXT.match(siguiente) else "/portal")
    aviso = "Cerró su sesión." if salida else None
    return _login_page(request, siguiente=siguiente, aviso=aviso)


@router.post("/ingresar")
def login(
    request: Request,
    usuario: Annotated[str, Form(max_length=128)] = "",
    clave: Annotated[str, Form(max_length=1024)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    siguiente: Annotated[str, Form(max_length=2000)] = "/portal",
) -> Response:
    if not anonymous_csrf_ok(request, csrf):
        return forbidden(request, "/portal/ingresar")
    usuario = usuario.strip()
    if not usuario or not clave:
        return _login_page(
            request,
            usuario=usuario,
            siguiente=siguiente,
            error="Escriba su usuario y su contraseña.",
            status=400,
        )
    state = state_of(request)
    ip_key, user_key = f"ip:{client_ip(request)}", f"usuario:{usuario.lower()}"
    wait = max(state.login_by_ip.retry_after(ip_key), state.login_by_user.retry_after(user_key))
    if wait:
        return _login_page(
            request,
            usuario=usuario,
            siguiente=siguiente,
            error=f"Demasiados intentos fallidos. Espere {minutes_text(wait)} e inténtelo de nuevo.",
            status=429,
            headers={"Retry-After": str(wait)},
        )
    found = user_with_company(runtime_of(request), usuario)
    # An unknown user name costs the same scrypt as a known one: timing tells nothing.
    stored = found[0].password_hash if found is not None else state.dummy_hash
    password_ok = verify_secret(clave, stored)
    if found is None or not password_ok or not found[0].activo or not found[1].activo:
        state.login_by_ip.fail(ip_key)
        state.login_by_user.fail(user_key)
        return _login_page(
            request,
            usuario=usuario,
            siguiente=siguiente,
            error="Usuario o contraseña incorrectos.",
            status=401,
        )
    state.login_by_user.reset(user_key)
    response = redirect(siguiente if _NEXT.match(siguiente) else "/portal")
    start_session(request, response, found[0])
    return response


@router.post("/salir")
def logout(request: Request, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    sesion = current_session(request)
    if sesion is None:
        return redirect("/portal/ingresar")
    if not session_csrf_ok(request, sesion, csrf):
        return forbidden(request, "/portal")
    response = redirect("/portal/ingresar?salida=1")
    end_session(request, response, sesion)
    return response


# -- listing --------------------------------------------------------------------------------


def _parse_date(value: str, campo: str, errors: dict[str, str]) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors[campo] = "Use una fecha válida."
        return None


def _filters(params: dict[str, str]) -> tuple[Filtros, dict[str, str]]:
    errors: dict[str, str] = {}
    tipo = params.get("tipo", "").strip().upper()
    if tipo and tipo not in labels.TIPOS:
        errors["tipo"] = "Elija un tipo de la lista."
        tipo = ""
    serie = params.get("serie", "").strip().upper()
    if serie and not _SERIE.match(serie):
        errors["serie"] = "La serie tiene de 1 a 8 letras o números, p. ej. F001."
        serie = ""
    estado: Estado | None = None
    if params.get("estado"):
        try:
            estado = Estado(params["estado"])
        except ValueError:
            errors["estado"] = "Elija un estado de la lista."
    desde = _parse_date(params.get("desde", "").strip(), "desde", errors)
    hasta = _parse_date(params.get("hasta", "").strip(), "hasta", errors)
    if desde and hasta and desde > hasta:
        errors["hasta"] = "La fecha «hasta» no puede ser anterior a «desde»."
        hasta = None
    return Filtros(tipo or None, serie or None, estado, desde, hasta), errors


def _page_number(value: str | None) -> int:
    return int(value) if value and value.isdigit() and 0 < int(value) <= 1_000_000 else 1


@router.get("")
def listing(request: Request) -> Response:
    sesion = current_session(request)
    if sesion is None:
        return _login_redirect(request)
    runtime = runtime_of(request)
    params = {k: v for k, v in request.query_params.items() if len(v) <= 100}
    filtros, errors = _filters(params)
    pagina = _page_number(params.get("pagina"))
    page = list_documents(runtime, sesion.empresa.id, filtros, pagina, PAGE_SIZE)
    today = now_lima().date()
    hasta = filtros.hasta or max(today, filtros.desde or today)
    desde = filtros.desde or hasta - dt.timedelta(days=CHART_DAYS - 1)
    counts = daily_counts(
        runtime, sesion.empresa.id, filtros, max(desde, hasta - dt.timedelta(days=chart.MAX_DAYS - 1)), hasta
    )
    grafico = chart.build(desde, hasta, counts)
    kept = {
        k: v
        for k, v in {
            "tipo": filtros.tipo or "",
            "serie": filtros.serie or "",
            "estado": filtros.estado.value if filtros.estado else "",
            "desde": filtros.desde.isoformat() if filtros.desde else "",
            "hasta": filtros.hasta.isoformat() if filtros.hasta else "",
        }.items()
        if v
    }

    def page_url(number: int) -> str:
        return "/portal?" + urlencode({**kept, "pagina": number})

    response = render(
        request,
        "lista.html",
        {
            "sesion": sesion,
            "page": page,
            "grafico": grafico,
            "recortado": grafico.desde > desde,
            "valores": {**{"tipo": "", "serie": "", "estado": "", "desde": "", "hasta": ""}, **kept},
            "entrada": params,
            "errores": errors,
            "tipos": labels.TIPOS,
            "estados": labels.ESTADOS,
            "series": sorted({serie for _, serie in series_of(runtime, sesion.empresa.id)}),
            "primera": page_url(1),
            "anterior": page_url(page.pagina - 1) if page.pagina > 1 else None,
            "siguiente": page_url(page.pagina + 1) if page.siguiente is not None else None,
            "filtrado": bool(kept),
        },
        status=400 if errors else 200,
    )
    return sesion.keep(request, response)


# -- one document ---------------------------------------------------------------------------


def _not_found(request: Request, sesion: Sesion | None) -> Response:
    return render(
        request,
        "error.html",
        {
            "titulo": "Comprobante no encontrado",
            "mensaje": "No existe ese comprobante entre los de su empresa.",
            "volver": "/portal",
            "sesion": sesion,
        },
        status=404,
    )


def _detail_page(
    request: Request,
    sesion: Sesion,
    row: Comprobante,
    *,
    errores: list[str] | None = None,
    motivo: str = "",
    status: int = 200,
) -> Response:
    runtime = runtime_of(request)
    estado = Estado(row.estado)
    summary = service.void_summary_of(runtime, row.id)
    aviso = AVISOS.get(request.query_params.get("aviso", ""))
    totales = [
        (key, value)
        for key, value in (row.totales or {}).items()
        if key == "total" or (isinstance(value, str) and value not in ("0.00", "0", ""))
    ]
    respuesta: dict[str, Any] = row.respuesta or {}
    response = render(
        request,
        "detalle.html",
        {
            "sesion": sesion,
            "doc": row,
            "estado": estado,
            "totales": totales,
            "respuesta": respuesta,
            "observaciones": respuesta.get("observaciones") or [],
            "archivos": files.available(row),
            "eventos": events_of(runtime, row.id),
            "resumen": summary,
            "resumen_linea": line_of(runtime, summary.id, row.id) if summary is not None else None,
            "lineas": summary_lines(runtime, row.id),
            "puede_reenviar": estado is Estado.FALLIDO,
            "puede_enviar": estado is Estado.REGISTRADO and not row.enviar,
            "puede_anular": estado in (Estado.ACEPTADO, Estado.OBSERVADO) and row.tipo in VOIDABLE_TYPES,
            "aviso": aviso,
            "errores": errores or [],
            "motivo": motivo,
        },
        status=status,
    )
    return sesion.keep(request, response)


def _document(request: Request, sesion: Sesion, doc_id: str) -> Comprobante | None:
    try:
        return service.get_for(runtime_of(request), sesion.empresa.id, doc_id)
    except NotFound:
        return None


@router.get("/comprobantes/{doc_id}")
def detail(request: Request, doc_id: str) -> Response:
    sesion = current_session(request)
    if sesion is None:
        return _login_redirect(request)
    row = _document(request, sesion, doc_id)
    if row is None:
        return _not_found(request, sesion)
    return _detail_page(request, sesion, row)


@router.get("/comprobantes/{doc_id}/archivos/{archivo}")
def download(request: Request, doc_id: str, archivo: str) -> Response:
    sesion = current_session(request)
    if sesion is None:
        return _login_redirect(request)
    row = _document(request, sesion, doc_id)
    try:
        kind = files.Archivo(archivo)
    except ValueError:
        row = None
    if row is None:
        return _not_found(request, sesion)
    try:
        response = files.download(runtime_of(request), row, kind)
    except files.FileMissing as exc:
        return render(
            request,
            "error.html",
            {
                "titulo": "Archivo no disponible",
                "mensaje": str(exc),
                "volver": f"/portal/comprobantes/{row.id}",
                "sesion": sesion,
            },
            status=404,
        )
    return sesion.keep(request, response)


def _issues(exc: OpenPSEError) -> list[str]:
    return [f"{issue.mensaje} (código {issue.cod})" for issue in exc.issues]


@router.post("/comprobantes/{doc_id}/reenvio")
def resend(request: Request, doc_id: str, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    sesion = current_session(request)
    if sesion is None:
        return _login_redirect(request)
    if not session_csrf_ok(request, sesion, csrf):
        return forbidden(request, f"/portal/comprobantes/{doc_id}")
    row = _document(request, sesion, doc_id)
    if row is None:
        return _not_found(request, sesion)
    was_signed_only = Estado(row.estado) is Estado.REGISTRADO and not row.enviar
    try:
        service.request_send(runtime_of(request), row)
    except OpenPSEError as exc:
        current = _document(request, sesion, doc_id) or row
        return _detail_page(request, sesion, current, errores=_issues(exc), status=exc.status)
    aviso = "envio" if was_signed_only else "reenvio"
    return sesion.keep(request, redirect(f"/portal/comprobantes/{doc_id}?aviso={aviso}"))


@router.post("/comprobantes/{doc_id}/anulacion")
def void(
    request: Request,
    doc_id: str,
    csrf: Annotated[str, Form(max_length=200)] = "",
    motivo: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    sesion = current_session(request)
    if sesion is None:
        return _login_redirect(request)
    if not session_csrf_ok(request, sesion, csrf):
        return forbidden(request, f"/portal/comprobantes/{doc_id}")
    row = _document(request, sesion, doc_id)
    if row is None:
        return _not_found(request, sesion)
    motivo = " ".join(motivo.split())
    # The same bounds as POST /v1/comprobantes/{id}/anulacion (sac:VoidReasonDescription).
    if not 3 <= len(motivo) <= 100:
        return _detail_page(
            request,
            sesion,
            row,
            errores=["Escriba el motivo de la anulación (de 3 a 100 caracteres)."],
            motivo=motivo[:100],
            status=400,
        )
    try:
        service.request_void(runtime_of(request), sesion.empresa, doc_id, motivo)
    except OpenPSEError as exc:
        current = _document(request, sesion, doc_id) or row
        return _detail_page(request, sesion, current, errores=_issues(exc), motivo=motivo, status=exc.status)
    return sesion.keep(request, redirect(f"/portal/comprobantes/{doc_id}?aviso=anulacion"))
