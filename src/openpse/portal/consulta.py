"""``/consulta``: a customer (adquiriente) finds one document and downloads it.

As in SUNAT's own "Consulta de validez del CPE", the customer types the issuer's RUC,
the document type, series, number, issue date and total; only a document that matches
every datum is shown, and any mismatch gets the same answer as a document that does not
exist. Unmatched attempts are limited per address and per document number
(``web.PortalState``), which is what keeps a total from being guessed.

A match grants that browser the document for ``GRANT_TTL`` seconds through a signed
cookie (path ``/consulta``), so the download links carry nothing that could be shared
or guessed.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from stdnum.pe import ruc as stdnum_ruc

from openpse.documents.states import Estado
from openpse.portal import files
from openpse.portal.labels import tipo_nombre
from openpse.portal.queries import CONSULTABLE_TYPES, Consulta, document_for_customer, find_for_customer
from openpse.portal.web import (
    GRANT_COOKIE,
    anonymous_csrf,
    anonymous_csrf_ok,
    client_ip,
    forbidden,
    keep_csrf_cookie,
    minutes_text,
    redirect,
    render,
    runtime_of,
    set_cookie,
    state_of,
)

router = APIRouter(prefix="/consulta", include_in_schema=False)

GRANT_TTL = 30 * 60
GRANT_MAX_DOCS = 10
"""Documents one browser holds at once; the oldest grant drops out first."""
CUSTOMER_FILES = (files.Archivo.PDF, files.Archivo.XML, files.Archivo.CDR)

_SERIE = re.compile(r"^[A-Z0-9]{4}$")
_NUMERO = re.compile(r"^[0-9]{1,8}$")
_TOTAL = re.compile(r"^[0-9]{1,3}(?:,[0-9]{3})*(?:\.[0-9]{1,2})?$|^[0-9]+(?:\.[0-9]{1,2})?$")
_CAMPOS = ("ruc", "tipo", "serie", "numero", "fecha", "total")

NOT_FOUND = (
    "No encontramos un comprobante con esos datos. Revise cada dato tal como aparece en el "
    "comprobante: RUC del emisor, tipo, serie, número, fecha de emisión e importe total."
)

CUSTOMER_STATES = {
    Estado.ACEPTADO: ("Válido", "La autoridad tributaria aceptó este comprobante."),
    Estado.OBSERVADO: ("Válido", "La autoridad tributaria aceptó este comprobante (con observaciones)."),
    Estado.ANULACION_PENDIENTE: (
        "En proceso de anulación",
        "El emisor solicitó anular este comprobante; la autoridad aún no responde.",
    ),
    Estado.ANULADO: ("Anulado", "El emisor anuló este comprobante ante la autoridad tributaria."),
    Estado.RECHAZADO: ("No válido", "La autoridad tributaria rechazó este comprobante."),
}
"""What the customer needs to know; every other state means the answer has not come yet."""
PENDING_STATE = (
    "En proceso",
    "El emisor envió el comprobante a la autoridad tributaria; la respuesta aún no llega.",
)


def _parse_total(text: str) -> Decimal | None:
    """An amount as printed (``1,180.00``, ``1180``, ``S/ 1180.5``); None when it is not one."""
    cleaned = text.strip().upper().removeprefix("S/").removeprefix("US$").removeprefix("$").strip()
    if not _TOTAL.match(cleaned):
        return None
    try:
        return Decimal(cleaned.replace(",", ""))
    except InvalidOperation:
        return None


def _parse_fecha(text: str) -> dt.date | None:
    """ISO (what a date input sends) or dd/mm/aaaa (what a person types and a printout shows)."""
    text = text.strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _validate(valores: dict[str, str]) -> tuple[Consulta | None, dict[str, str]]:
    errors: dict[str, str] = {}
    ruc = valores["ruc"]
    if not (len(ruc) == 11 and ruc.isdigit() and stdnum_ruc.is_valid(ruc)):
        errors["ruc"] = "Escriba los 11 dígitos del RUC del emisor."
    if valores["tipo"] not in CONSULTABLE_TYPES:
        errors["tipo"] = "Elija el tipo de comprobante."
    if not _SERIE.match(valores["serie"]):
        errors["serie"] = "La serie tiene 4 caracteres, p. ej. F001 o B001."
    numero = int(valores["numero"]) if _NUMERO.match(valores["numero"]) else 0
    if numero <= 0:
        errors["numero"] = "Escriba el número sin la serie, p. ej. 123."
    fecha = _parse_fecha(valores["fecha"])
    if fecha is None:
        errors["fecha"] = "Escriba la fecha de emisión (dd/mm/aaaa)."
    total = _parse_total(valores["total"])
    if total is None:
        errors["total"] = "Escriba el importe total con punto decimal, p. ej. 1180.00."
    if errors or fecha is None or total is None:
        return None, errors
    return Consulta(ruc, valores["tipo"], valores["serie"], numero, fecha, total), errors


def _form(
    request: Request,
    valores: dict[str, str] | None = None,
    errores: dict[str, str] | None = None,
    mensaje: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    token, fresh = anonymous_csrf(request)
    response = render(
        request,
        "consulta.html",
        {
            "csrf": token,
            "valores": valores or dict.fromkeys(_CAMPOS, ""),
            "errores": errores or {},
            "mensaje": mensaje,
            "tipos": [(code, tipo_nombre(code)) for code in CONSULTABLE_TYPES],
            "sesion": None,
        },
        status=status,
        headers=headers,
    )
    return keep_csrf_cookie(request, response, fresh)


@router.get("")
def consulta_form(request: Request) -> Response:
    return _form(request)


def _granted(request: Request) -> list[str]:
    payload = state_of(request).signer.load("consulta", request.cookies.get(GRANT_COOKIE))
    if payload is None or not isinstance(payload.get("d"), list):
        return []
    docs: list[str] = []
    now = time.time()
    for item in payload["d"]:
        if isinstance(item, list) and len(item) == 2 and isinstance(item[0], str):
            doc_id, until = item
            if isinstance(until, int | float) and until > now:
                docs.append(doc_id)
    return docs


def _grant(request: Request, response: Response, doc_id: str) -> None:
    now = time.time()
    payload = state_of(request).signer.load("consulta", request.cookies.get(GRANT_COOKIE)) or {}
    kept = [
        item
        for item in payload.get("d", [])
        if isinstance(item, list) and len(item) == 2 and item[0] != doc_id and item[1] > now
    ]
    kept = [*kept, [doc_id, int(now + GRANT_TTL)]][-GRANT_MAX_DOCS:]
    cookie = state_of(request).signer.sign("consulta", {"d": kept})
    set_cookie(request, response, GRANT_COOKIE, cookie, "/consulta")


@router.post("")
def consultar(
    request: Request,
    csrf: Annotated[str, Form(max_length=200)] = "",
    ruc: Annotated[str, Form(max_length=100)] = "",
    tipo: Annotated[str, Form(max_length=100)] = "",
    serie: Annotated[str, Form(max_length=100)] = "",
    numero: Annotated[str, Form(max_length=100)] = "",
    fecha: Annotated[str, Form(max_length=100)] = "",
    total: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    if not anonymous_csrf_ok(request, csrf):
        return forbidden(request, "/consulta")
    valores = {
        "ruc": ruc.strip(),
        "tipo": tipo.strip(),
        "serie": serie.strip().upper(),
        "numero": numero.strip().lstrip("0") or numero.strip(),
        "fecha": fecha.strip(),
        "total": total.strip(),
    }
    consulta, errores = _validate(valores)
    if consulta is None:
        return _form(request, valores, errores, status=400)
    state = state_of(request)
    ip_key = f"ip:{client_ip(request)}"
    doc_key = f"doc:{consulta.ruc}-{consulta.tipo}-{consulta.serie}-{consulta.numero}"
    wait = max(state.consulta_by_ip.retry_after(ip_key), state.consulta_by_doc.retry_after(doc_key))
    if wait:
        return _form(
            request,
            valores,
            mensaje=f"Demasiadas consultas sin resultado. Espere {minutes_text(wait)} y vuelva a intentarlo.",
            status=429,
            headers={"Retry-After": str(wait)},
        )
    found = find_for_customer(runtime_of(request), consulta)
    if found is None:
        state.consulta_by_ip.fail(ip_key)
        state.consulta_by_doc.fail(doc_key)
        return _form(request, valores, mensaje=NOT_FOUND, status=404)
    doc, _ = found
    response = redirect(f"/consulta/{doc.id}")
    _grant(request, response, doc.id)
    return response


def _expired(request: Request) -> Response:
    return render(
        request,
        "error.html",
        {
            "titulo": "Consulta vencida o no válida",
            "mensaje": "Para ver un comprobante, consúltelo con sus datos.",
            "volver": "/consulta",
            "sesion": None,
        },
        status=404,
    )


@router.get("/{doc_id}")
def resultado(request: Request, doc_id: str) -> Response:
    if doc_id not in _granted(request):
        return _expired(request)
    found = document_for_customer(runtime_of(request), doc_id)
    if found is None:
        return _expired(request)
    doc, empresa = found
    titulo, explicacion = CUSTOMER_STATES.get(Estado(doc.estado), PENDING_STATE)
    return render(
        request,
        "consulta_resultado.html",
        {
            "doc": doc,
            "empresa": empresa,
            "situacion": titulo,
            "explicacion": explicacion,
            "archivos": [a for a in CUSTOMER_FILES if a in files.available(doc)],
            "sesion": None,
        },
    )


@router.get("/{doc_id}/{archivo}")
def descargar(request: Request, doc_id: str, archivo: str) -> Response:
    try:
        kind = files.Archivo(archivo)
    except ValueError:
        return _expired(request)
    if kind not in CUSTOMER_FILES or doc_id not in _granted(request):
        return _expired(request)
    found = document_for_customer(runtime_of(request), doc_id)
    if found is None:
        return _expired(request)
    try:
        return files.download(runtime_of(request), found[0], kind)
    except files.FileMissing as exc:
        return render(
            request,
            "error.html",
            {
                "titulo": "Archivo no disponible",
                "mensaje": str(exc),
                "volver": f"/consulta/{doc_id}",
                "sesion": None,
            },
            status=404,
        )
