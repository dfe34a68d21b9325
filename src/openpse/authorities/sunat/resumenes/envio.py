"""Signing, zipping and sending summaries, and reading what their tickets answer.

The flow of ``sunat.md`` §2.3 and SUNAT's guide for the Resumen diario (§9.1): the signed
XML is zipped alone as ``{RUC}-{RC|RA|RR}-{AAAAMMDD}-{n}.zip``, ``sendSummary`` answers a
ticket, and ``getStatus`` of the ticket answers 98 (en proceso) until the summary is
processed, then 0 with the CDR, or 99 with a CDR whose ResponseCode is the rejection.
An exception code in ``statusCode`` (0127 "El ticket no existe", 0126 …) comes with
plain text instead of a zip.

RC and RA go to the billService of facturas; RR goes to the "otros CPE" billService
(``sunat.md`` §1.1, routing of ``xsender/src/analyzer.rs``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from openpse.authorities.base import EmpresaContext
from openpse.authorities.sunat import codes
from openpse.authorities.sunat.cdr import Cdr, CdrError, parse_cdr_zip
from openpse.authorities.sunat.endpoints import endpoints_for
from openpse.authorities.sunat.naming import zip_single
from openpse.authorities.sunat.resumenes.models import Resumen, SummaryName, TipoResumen
from openpse.authorities.sunat.resumenes.ubl import build
from openpse.authorities.sunat.soap import (
    Credentials,
    SoapFault,
    StatusResult,
    SunatSoapClient,
    TransportError,
)
from openpse.signing.certificates import Certificate
from openpse.signing.xmldsig import DEFAULT_PROFILE, SunatSignatureProfile, sign_canonical

OTROS_CPE_BETA = "https://e-beta.sunat.gob.pe/ol-ti-itemision-otroscpe-gem-beta/billService"
OTROS_CPE_PRODUCCION = "https://e-factura.sunat.gob.pe/ol-ti-itemision-otroscpe-gem/billService"
SANDBOX_OTROS_CPE_PATH = "/ol-ti-itemision-otroscpe-gem-beta/billService"


@dataclass(frozen=True)
class SignedSummary:
    """A signed summary: the bytes to zip as they are, its hash (DigestValue) and the zip."""

    nombre: SummaryName
    xml: bytes
    hash: str
    zip: bytes = field(repr=False)

    @property
    def zip_name(self) -> str:
        return self.nombre.zip


def sign_summary(
    documento: Resumen, certificate: Certificate, profile: SunatSignatureProfile = DEFAULT_PROFILE
) -> SignedSummary:
    """Build, sign and zip ``documento``; check it first with :func:`.rules.validate`."""
    signed = sign_canonical(build(documento), certificate, profile)
    nombre = documento.nombre
    return SignedSummary(
        nombre=nombre, xml=signed.xml, hash=signed.digest_value, zip=zip_single(nombre.xml, signed.xml)
    )


def summary_url(tipo: TipoResumen, empresa: EmpresaContext, sandbox_url: str) -> str:
    """The billService that receives a summary of ``tipo`` for ``empresa``."""
    bill = endpoints_for(empresa, sandbox_url).bill
    if tipo is not TipoResumen.RR or empresa.destino == "ose":
        return bill
    if empresa.ambiente == "sandbox":
        return sandbox_url + SANDBOX_OTROS_CPE_PATH
    if empresa.ambiente == "beta":
        return OTROS_CPE_BETA
    return OTROS_CPE_PRODUCCION


class EstadoTicket(StrEnum):
    """What a ticket says about its summary."""

    EN_PROCESO = "en_proceso"
    """statusCode 98: ask again later."""
    ACEPTADO = "aceptado"
    """statusCode 0, CDR with ResponseCode 0 and no observations."""
    OBSERVADO = "observado"
    """statusCode 0, CDR with ResponseCode 0 and observation notes (4000+)."""
    RECHAZADO = "rechazado"
    """statusCode 99, CDR with a rejection code (2000–3999): the summary name is consumed."""
    EXCEPCION = "excepcion"
    """An exception code (0127 unknown ticket, 0126 …), or a CDR with one (0100–1999):
    nothing was registered; the summary may be sent again under the same name."""


_KIND_TO_ESTADO = {
    codes.Kind.ACEPTADO: EstadoTicket.ACEPTADO,
    codes.Kind.OBSERVACION: EstadoTicket.OBSERVADO,
    codes.Kind.RECHAZO: EstadoTicket.RECHAZADO,
    codes.Kind.EXCEPCION: EstadoTicket.EXCEPCION,
}


@dataclass(frozen=True)
class TicketStatus:
    """The answer of getStatus for a summary's ticket, interpreted."""

    ticket: str
    status_code: str
    """SUNAT's statusCode, normalised: ``0``, ``0098``, ``0099``, ``0127``…"""
    estado: EstadoTicket
    cdr: Cdr | None = None
    cdr_zip: bytes | None = field(default=None, repr=False)
    mensaje: str = ""
    """SUNAT's text for an exception code (the plain ``content`` of 0127)."""

    @property
    def codigo(self) -> str:
        """The code that decides: the CDR's ResponseCode, else the statusCode."""
        return self.cdr.response_code if self.cdr is not None else self.status_code

    def respuesta(self) -> dict[str, Any] | None:
        """The API's ``respuesta`` (``{"codigo", "descripcion", "observaciones"}``); None in process."""
        if self.estado is EstadoTicket.EN_PROCESO:
            return None
        if self.cdr is not None:
            return {
                "codigo": self.cdr.response_code,
                "descripcion": self.cdr.description,
                "observaciones": [o.as_api() for o in self.cdr.observaciones],
            }
        return {
            "codigo": self.status_code,
            "descripcion": self.mensaje or codes.message(self.status_code),
            "observaciones": [],
        }


def interpret_ticket(ticket: str, result: StatusResult, nombre: SummaryName | None = None) -> TicketStatus:
    """Turn a getStatus answer into a :class:`TicketStatus`.

    Raises :class:`TransportError` when statusCode 0 or 99 comes without a readable CDR
    (the answer is unusable; ask again), and :class:`CdrError` when the CDR answers for
    another summary than ``nombre``.
    """
    code = result.status_code
    value = int(code) if code.isdigit() else -1
    if value == 98:
        return TicketStatus(ticket, code, EstadoTicket.EN_PROCESO)
    if value not in (0, 99):
        mensaje = result.status_message or codes.message(code)
        return TicketStatus(ticket, code, EstadoTicket.EXCEPCION, mensaje=mensaje)
    if result.content is None:
        raise TransportError(f"getStatus {code} sin CDR")
    try:
        cdr = parse_cdr_zip(result.content)
    except CdrError as exc:
        raise TransportError(f"getStatus {code} con un CDR ilegible: {exc}") from exc
    if nombre is not None and cdr.reference_id and cdr.reference_id != nombre.id:
        raise CdrError(f"el CDR responde a {cdr.reference_id}, no a {nombre.id}")
    return TicketStatus(ticket, code, _KIND_TO_ESTADO[cdr.kind], cdr=cdr, cdr_zip=result.content)


def send_summary(client: SunatSoapClient, url: str, credentials: Credentials, signed: SignedSummary) -> str:
    """sendSummary of a signed summary: the ticket (SoapFault / TransportError otherwise)."""
    return client.send_summary(url, credentials, signed.zip_name, signed.zip)


_TICKET_FAULTS = frozenset({"0126", "0127"})
"""Ticket exceptions SUNAT beta answers as faults rather than as statusCode (``sunat.md`` §2.3)."""


def check_ticket(
    client: SunatSoapClient,
    url: str,
    credentials: Credentials,
    ticket: str,
    nombre: SummaryName | None = None,
) -> TicketStatus:
    """getStatus of ``ticket``, interpreted.

    Two faults are answers about the ticket and come back as a :class:`TicketStatus`:
    0126/0127 (beta answers an unknown ticket with a fault, production with statusCode
    0127), and a rejection code 2000–3999, which is how an OSE reports a rejected
    summary (it never writes a CDR with a ResponseCode other than 0, CDR-OSE-Resumen
    2833). Other faults (credentials, SUNAT unavailable) raise :class:`SoapFault`;
    unusable answers raise :class:`TransportError`.
    """
    try:
        result = client.get_ticket_status(url, credentials, ticket)
    except SoapFault as fault:
        kind = codes.kind(fault.code)
        if fault.code in _TICKET_FAULTS:
            return TicketStatus(ticket, fault.code, EstadoTicket.EXCEPCION, mensaje=fault.message)
        if kind is codes.Kind.RECHAZO:
            return TicketStatus(ticket, fault.code, EstadoTicket.RECHAZADO, mensaje=fault.message)
        raise
    return interpret_ticket(ticket, result, nombre)
