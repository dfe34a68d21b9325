"""``POST /ol-ti-itcpe/billService``: sendBill, sendSummary and getStatus on OpenPSE.

sendBill waits (up to ``WAIT_SECONDS``) for the authority's answer and returns its CDR,
as SUNAT does synchronously; when the answer takes longer it says 0140 ("Existe un
Documento igual en Proceso"), and the same zip sent again returns the CDR once it is
there. sendSummary returns a ticket of OpenPSE's own right away; getStatus answers
98 while the summary is on its way, then 0 or 99 with SUNAT's CDR.
"""

from __future__ import annotations

import hashlib
import logging

from fastapi import APIRouter, Request, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from openpse.authorities.sunat.pasarela import GatewayFault, receive
from openpse.core.errors import Conflict, OpenPSEError, Unavailable
from openpse.core.hashing import verify_secret
from openpse.documents import service
from openpse.documents.states import FINAL, Estado
from openpse.gateway import soap
from openpse.runtime import Runtime
from openpse.sandbox.sunat import wsdl
from openpse.storage.tables import Comprobante, Empresa, Usuario

log = logging.getLogger("openpse.gateway")

GATEWAY_PATH = "/ol-ti-itcpe/billService"
WAIT_SECONDS = 60.0
TICKET_PREFIX = "ticket:"
_XML = "text/xml; charset=utf-8"

router = APIRouter(include_in_schema=False)


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _authenticate(runtime: Runtime, request: soap.SoapRequest) -> Empresa:
    """``Username`` is the issuer's RUC followed by an OpenPSE user of that company."""
    ruc, usuario = request.username[:11], request.username[11:]
    if len(ruc) != 11 or not ruc.isdigit() or not usuario:
        raise soap.SoapFault("0102", "Usuario o contrasena incorrectos")
    with runtime.db.read() as session:
        empresa = session.scalar(select(Empresa).where(Empresa.identificacion == ruc))
        user = (
            session.scalar(
                select(Usuario).where(Usuario.username == usuario, Usuario.empresa_id == empresa.id)
            )
            if empresa is not None
            else None
        )
    # One answer for an unknown user, a wrong company and a wrong password: nothing to probe.
    if empresa is None or user is None or not verify_secret(request.password, user.password_hash):
        raise soap.SoapFault("0102", "Usuario o contrasena incorrectos")
    if not user.activo or not empresa.activo:
        raise soap.SoapFault("0105", "El Usuario no está activo")
    return empresa


def _ticket_for(doc_id: str) -> str:
    # Numeric, as SUNAT's tickets are (some ERPs store them in number columns).
    return str(int.from_bytes(hashlib.sha256(doc_id.encode()).digest()[:6], "big"))


def _cdr(runtime: Runtime, row: Comprobante) -> bytes | None:
    return runtime.blobs.get(row.cdr_zip_blob) if row.cdr_zip_blob else None


def _answer_fault(row: Comprobante) -> soap.SoapFault:
    respuesta = row.respuesta or {}
    code = str(respuesta.get("codigo") or "0100")
    message = str(
        respuesta.get("descripcion") or row.ultimo_error or "El sistema no puede responder su solicitud"
    )
    return soap.SoapFault(code, message, client=not code.startswith("01"))


async def _send_bill(runtime: Runtime, empresa: Empresa, request: soap.SoapRequest) -> bytes:
    name, content = request.file()
    arrival = await run_in_threadpool(receive, name, content, empresa.identificacion, summary=False)
    registered = await run_in_threadpool(
        service.register_signed, runtime, empresa, arrival.draft, arrival.prepared
    )
    row = await service.wait_final(runtime, empresa.id, registered.row.id, WAIT_SECONDS)
    estado = Estado(row.estado)
    if estado not in FINAL:
        raise soap.SoapFault("0140", "Existe un Documento igual en Proceso.")
    cdr = await run_in_threadpool(_cdr, runtime, row)
    if cdr is not None and estado in (Estado.ACEPTADO, Estado.OBSERVADO, Estado.RECHAZADO):
        return soap.send_bill_response(cdr)
    if estado in (Estado.ACEPTADO, Estado.OBSERVADO):
        # SUNAT held it already and gave no CDR to forward (resent after a lost answer).
        raise soap.SoapFault("1033", "El comprobante fue registrado previamente con otros datos")
    raise _answer_fault(row)


async def _send_summary(runtime: Runtime, empresa: Empresa, request: soap.SoapRequest) -> bytes:
    name, content = request.file()
    arrival = await run_in_threadpool(receive, name, content, empresa.identificacion, summary=True)
    ticket = _ticket_for(arrival.prepared.id)
    await run_in_threadpool(
        lambda: service.register_signed(
            runtime,
            empresa,
            arrival.draft,
            arrival.prepared,
            arrival.lineas,
            idempotency_key=f"{TICKET_PREFIX}{ticket}",
        )
    )
    return soap.send_summary_response(ticket)


def _get_status(runtime: Runtime, empresa: Empresa, request: soap.SoapRequest) -> bytes:
    ticket = request.params.get("ticket", "").strip()
    with runtime.db.read() as session:
        row = session.scalar(
            select(Comprobante).where(
                Comprobante.empresa_id == empresa.id,
                Comprobante.idempotency_key == f"{TICKET_PREFIX}{ticket}",
            )
        )
    if row is None:
        return soap.get_status_response("0127", None, "El ticket no existe")
    estado = Estado(row.estado)
    cdr = _cdr(runtime, row)
    if estado in (Estado.ACEPTADO, Estado.OBSERVADO) and cdr is not None:
        return soap.get_status_response("0", cdr)
    if estado is Estado.RECHAZADO and cdr is not None:
        return soap.get_status_response("99", cdr)
    if estado in FINAL:
        raise _answer_fault(row)
    return soap.get_status_response("98", None)


@router.post(GATEWAY_PATH)
async def bill_service(request: Request) -> Response:
    runtime = _runtime(request)
    body = await request.body()
    try:
        soap_request = soap.parse(body)
        empresa = await run_in_threadpool(_authenticate, runtime, soap_request)
        if soap_request.operation == "sendBill":
            answer = await _send_bill(runtime, empresa, soap_request)
        elif soap_request.operation == "sendSummary":
            answer = await _send_summary(runtime, empresa, soap_request)
        elif soap_request.operation == "getStatus":
            answer = await run_in_threadpool(_get_status, runtime, empresa, soap_request)
        else:
            raise soap.SoapFault("0153", "No se puede enviar por este método un archivo por lotes")
    except soap.SoapFault as error:
        return Response(soap.fault(error), status_code=500, media_type=_XML)
    except GatewayFault as error:
        issue = error.issues[0]
        return Response(
            soap.fault(soap.SoapFault(error.code, issue.mensaje)), status_code=500, media_type=_XML
        )
    except Conflict:
        fault = soap.SoapFault("1033", "El comprobante fue registrado previamente con otros datos")
        return Response(soap.fault(fault), status_code=500, media_type=_XML)
    except Unavailable as error:
        fault = soap.SoapFault("0109", error.issues[0].mensaje, client=False)
        return Response(soap.fault(fault), status_code=500, media_type=_XML)
    except OpenPSEError as error:
        issue = error.issues[0]
        fault = soap.SoapFault(issue.cod, issue.mensaje)
        return Response(soap.fault(fault), status_code=500, media_type=_XML)
    return Response(answer, media_type=_XML)


@router.get(GATEWAY_PATH)
async def bill_service_wsdl(request: Request) -> Response:
    query = request.url.query.lower()
    address = str(request.url.replace(query=""))
    if query == "wsdl":
        return Response(wsdl.service_description("billService", address), media_type=_XML)
    if query == "ns1.wsdl":
        return Response(wsdl.definitions("billService"), media_type=_XML)
    return Response("Not Found", status_code=404, media_type="text/plain")
