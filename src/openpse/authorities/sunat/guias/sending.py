"""What the GRE platform's answers mean for a guía's state (ARCHITECTURE.md §4, principle 3).

The guías travel by REST with a ticket, never by sendBill, so their life is: send (a
ticket: ``pendiente``), ask the ticket until it leaves "98, en proceso", read the verdict
from the CDR. A send whose answer was lost is ``desconocido``; it is reconciled by
sending the same signed bytes again: SUNAT processes them if they never arrived, or its
ticket answers 1033 (the guía is registered, accepted) or 1032 (registered, rejected or
voided). SUNAT offers no query of a guía's CDR outside its ticket, so a guía found
registered that way stays without CDR, as the SOAP path does for 1033.
"""

from __future__ import annotations

from lxml import etree

from openpse.authorities.base import Outcome, Submission
from openpse.authorities.sunat import codes
from openpse.authorities.sunat.cdr import Cdr, CdrError, parse_cdr_zip
from openpse.authorities.sunat.guias.client import (
    GreApiError,
    GreAuthError,
    GreClient,
    GreCredentials,
    GreStatus,
    GreUnavailable,
    GreUnknownOutcome,
)
from openpse.authorities.sunat.ubl.ns import CAC, CBC
from openpse.core import xmlsafe
from openpse.documents.states import Estado

# Exceptions about the zip, its name or the XML itself: the same bytes can never pass.
_FINAL_EXCEPTIONS = frozenset(
    {"0151", "0152", "0153", "0155", "0156", "0157", "0158", "0159", "0160", "0161", "0202", "0306"}
    | {"1001", "1034", "1035", "1036"}
)
_NAMES = {"09": "Guía de Remisión Remitente", "31": "Guía de Remisión Transportista"}


def _respuesta(
    codigo: str, descripcion: str, observaciones: list[dict[str, str]] | None = None
) -> dict[str, object]:
    return {"codigo": codigo, "descripcion": descripcion, "observaciones": observaciones or []}


def _exception_outcome(code: str, message: str, detalle: str) -> Outcome:
    estado = Estado.FALLIDO if code in _FINAL_EXCEPTIONS else Estado.ERROR
    return Outcome(estado, _respuesta(code, message), detalle=detalle)


def submit_guia(client: GreClient, credentials: GreCredentials, doc: Submission) -> Outcome:
    """Send a stored guía: ``pendiente`` with its ticket, or why it is not."""
    try:
        ticket = client.send(credentials, doc.envio_name, doc.envio)
    except GreUnknownOutcome as exc:
        return Outcome(Estado.DESCONOCIDO, detalle=str(exc))
    except (GreUnavailable, GreAuthError) as exc:
        # Nothing reached SUNAT; a platform that comes back or credentials fixed in the
        # company's settings let the next attempt through.
        return Outcome(Estado.ERROR, detalle=str(exc))
    except GreApiError as exc:
        first = exc.errors[0] if exc.errors else None
        code = codes.normalize(first.cod) if first is not None else exc.cod
        message = first.msg if first is not None else exc.msg
        return _exception_outcome(code, message, f"GRE HTTP {exc.status}: {exc}")
    return Outcome(
        Estado.PENDIENTE,
        ticket=ticket.numero,
        detalle=f"ticket {ticket.numero}, recibido por SUNAT {ticket.recepcion}",
    )


def follow_guia(client: GreClient, credentials: GreCredentials, doc: Submission) -> Outcome:
    """Ask the ticket of a ``pendiente`` guía; a guía without ticket is sent again (same bytes)."""
    if doc.ticket is None:
        return submit_guia(client, credentials, doc)
    try:
        status = client.status(credentials, doc.ticket)
    except (GreUnavailable, GreAuthError) as exc:
        return Outcome(Estado.PENDIENTE, ticket=doc.ticket, detalle=f"ticket sin respuesta: {exc}")
    except GreApiError as exc:
        # 0127/0126: SUNAT does not know the ticket (or not for this user); what it holds
        # for the guía is found by sending the same bytes again.
        return Outcome(Estado.DESCONOCIDO, detalle=f"ticket {doc.ticket} rechazado: {exc}")
    return outcome_of_status(status, doc)


def outcome_of_status(status: GreStatus, doc: Submission) -> Outcome:
    """The next state of a guía given its ticket's answer."""
    expected = f"{doc.serie}-{doc.numero}"
    if status.en_proceso:
        return Outcome(Estado.PENDIENTE, ticket=status.ticket)
    if status.cdr_zip is not None:
        try:
            cdr = parse_cdr_zip(status.cdr_zip)
        except CdrError as exc:
            return Outcome(Estado.ERROR, detalle=f"CDR ilegible en el ticket {status.ticket}: {exc}")
        return _outcome_from_cdr(cdr, status.cdr_zip, expected, status.ticket)
    if status.aceptado:
        return Outcome(
            Estado.ACEPTADO,
            _respuesta("0", f"La {_NAMES.get(doc.tipo, 'guía')} numero {expected}, ha sido aceptada"),
            ticket=status.ticket,
            detalle="ticket 0 sin CDR",
        )
    code = codes.normalize(status.error.cod) if status.error is not None else ""
    message = status.error.msg if status.error is not None else ""
    detalle = f"ticket {status.ticket}: {code} {message}"
    if code == "1033":
        return Outcome(
            Estado.ACEPTADO,
            _respuesta(
                "0",
                f"La {_NAMES.get(doc.tipo, 'guía')} numero {expected} ya estaba registrada en SUNAT (1033); "
                "su CDR no está disponible por consulta",
            ),
            detalle=detalle,
        )
    if code == "1032" or codes.kind(code) is codes.Kind.RECHAZO:
        return Outcome(Estado.RECHAZADO, _respuesta(code, message), detalle=detalle)
    return _exception_outcome(code, message, detalle)


def _outcome_from_cdr(cdr: Cdr, cdr_zip: bytes, expected: str, ticket: str) -> Outcome:
    if cdr.reference_id and cdr.reference_id != expected:
        return Outcome(Estado.ERROR, detalle=f"CDR de otra guía: {cdr.reference_id} ≠ {expected}")
    respuesta = _respuesta(cdr.response_code, cdr.description, [o.as_api() for o in cdr.observaciones])
    estado = {
        codes.Kind.ACEPTADO: Estado.ACEPTADO,
        codes.Kind.OBSERVACION: Estado.OBSERVADO,
        codes.Kind.RECHAZO: Estado.RECHAZADO,
    }.get(cdr.kind)
    if estado is None:
        return Outcome(Estado.ERROR, respuesta, detalle=f"CDR con código de excepción {cdr.response_code}")
    return Outcome(estado, respuesta, cdr=cdr.xml, cdr_zip=cdr_zip, ticket=ticket)


def qr_url(cdr: Cdr) -> str | None:
    """The QR link SUNAT puts in an accepted guía's CDR, printed on the guía's representation.

    It travels in ``cac:DocumentResponse/cac:DocumentReference/cbc:DocumentDescription``
    (SUNAT's GRE CDR sample ``cdrGRE.zip``).
    """
    try:
        root = xmlsafe.parse(cdr.xml)
    except (etree.XMLSyntaxError, xmlsafe.UnsafeXml):
        return None
    text = root.findtext(
        "cac:DocumentResponse/cac:DocumentReference/cbc:DocumentDescription",
        namespaces={"cac": CAC, "cbc": CBC},
    )
    return text.strip() if text and text.strip() else None
