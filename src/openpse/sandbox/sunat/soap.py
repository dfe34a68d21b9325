"""SOAP 1.1 envelopes of SUNAT's billService and billConsultService.

Request shape: ``sunat.md`` §1.2 and §1.3 (WSDL ``billService.wsdl`` and
``billConsultService.wsdl``: operation element in ``http://service.sunat.gob.pe``,
children unqualified, WS-Security UsernameToken with PasswordText). Response and fault
shapes copy the answers recorded from SUNAT beta (``sunat.md`` §1.4, §1.5): the ``br:``
prefix of the billService stack (sendBill, sendSummary) and the ``S:``/``ns2:`` prefixes
of the stack answering getStatus, both the ticket one and the consult service's.
Everything is matched by namespace and local name, never by prefix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from openpse.sandbox import _xml
from openpse.sandbox.sunat.errors import SunatException

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
SERVICE_NS = "http://service.sunat.gob.pe"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

CONTENT_TYPE = "text/xml;charset=UTF-8"

_BEGIN = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<soap-env:Envelope xmlns:soap-env="{SOAP_ENV}" xmlns:xsi="{XSI}" xmlns:wsse="{WSSE}">'
    "<soap-env:Header/><soap-env:Body>"
)
_END = "</soap-env:Body></soap-env:Envelope>"


class SoapFault(Exception):
    """A fault that is not one of SUNAT's numbered codes (malformed envelope, SOAP version)."""

    def __init__(self, faultcode: str, faultstring: str) -> None:
        self.faultcode = faultcode
        self.faultstring = faultstring
        super().__init__(f"{faultcode}: {faultstring}")


@dataclass(frozen=True)
class UsernameToken:
    username: str
    password: str | None


@dataclass(frozen=True)
class SoapRequest:
    """The parts of a request SUNAT looks at."""

    operation: str
    params: dict[str, str] = field(default_factory=dict)
    token: UsernameToken | None = None


@dataclass(frozen=True)
class SoapResponse:
    status: int
    body: bytes


def _client_error(reason: str) -> SoapFault:
    # SUNAT's gateway answers an envelope it cannot route with a bare "Client" fault
    # and "Internal Error" (thegreenter/demo#44); the detail is the sandbox's courtesy.
    return SoapFault("soap-env:Client", f"Internal Error - Detalle: {reason}")


def parse_request(body: bytes) -> SoapRequest:
    """Read the operation, its children and the UsernameToken of a SOAP 1.1 request."""
    try:
        envelope = _xml.parse(body)
    except _xml.XmlRefused as exc:
        raise _client_error(f"el mensaje SOAP no es XML válido: {exc}") from exc
    if _xml.local_name(envelope) != "Envelope":
        raise _client_error("el elemento raíz no es soap:Envelope")
    if _xml.namespace(envelope) == SOAP12_ENV:
        raise SoapFault("soap-env:VersionMismatch", "Sólo se acepta SOAP 1.1")
    if _xml.namespace(envelope) != SOAP_ENV:
        raise _client_error("el elemento raíz no es soap:Envelope")

    token: UsernameToken | None = None
    header = envelope.find(f"{{{SOAP_ENV}}}Header")
    if header is not None:
        username_el = header.find(f"{{{WSSE}}}Security/{{{WSSE}}}UsernameToken/{{{WSSE}}}Username")
        if username_el is not None and (username_el.text or "").strip():
            password_el = header.find(f"{{{WSSE}}}Security/{{{WSSE}}}UsernameToken/{{{WSSE}}}Password")
            password = None if password_el is None else (password_el.text or "")
            token = UsernameToken((username_el.text or "").strip(), password)

    soap_body = envelope.find(f"{{{SOAP_ENV}}}Body")
    if soap_body is None:
        raise _client_error("el mensaje no tiene soap:Body")
    operation = next((child for child in soap_body if isinstance(child.tag, str)), None)
    if operation is None or _xml.namespace(operation) != SERVICE_NS:
        raise _client_error(f"soap:Body no contiene una operación del espacio de nombres {SERVICE_NS}")
    params = {_xml.local_name(child): (child.text or "") for child in operation if isinstance(child.tag, str)}
    return SoapRequest(_xml.local_name(operation), params, token)


def _envelope(payload: str) -> bytes:
    return (_BEGIN + payload + _END).encode("utf-8")


def fault(faultcode: str, faultstring: str) -> SoapResponse:
    payload = (
        f"<soap-env:Fault><faultcode>{escape(faultcode)}</faultcode>"
        f"<faultstring>{escape(faultstring)}</faultstring></soap-env:Fault>"
    )
    return SoapResponse(500, _envelope(payload))


def sunat_fault(exc: SunatException) -> SoapResponse:
    return fault(f"soap-env:Client.{exc.code}", exc.faultstring)


def send_bill_response(application_response: str) -> SoapResponse:
    payload = (
        f'<br:sendBillResponse xmlns:br="{SERVICE_NS}">'
        f"<applicationResponse>{application_response}</applicationResponse></br:sendBillResponse>"
    )
    return SoapResponse(200, _envelope(payload))


def send_summary_response(ticket: str) -> SoapResponse:
    payload = (
        f'<br:sendSummaryResponse xmlns:br="{SERVICE_NS}">'
        f"<ticket>{escape(ticket)}</ticket></br:sendSummaryResponse>"
    )
    return SoapResponse(200, _envelope(payload))


def _consult_envelope(payload: str) -> bytes:
    declaration = '<?xml version="1.0" encoding="UTF-8"?>'
    return f'{declaration}<S:Envelope xmlns:S="{SOAP_ENV}"><S:Body>{payload}</S:Body></S:Envelope>'.encode()


def status_response(code: str, message: str) -> SoapResponse:
    payload = (
        f'<ns2:getStatusResponse xmlns:ns2="{SERVICE_NS}"><status>'
        f"<statusCode>{escape(code)}</statusCode><statusMessage>{escape(message)}</statusMessage>"
        "</status></ns2:getStatusResponse>"
    )
    return SoapResponse(200, _consult_envelope(payload))


def ticket_status_response(code: str, content: str | None = None) -> SoapResponse:
    """billService getStatus: ``content`` is the base64 CDR zip, or SUNAT's plain text for 01xx codes.

    Same stack as the recorded ``get_status_response_ok.xml`` (``S:``/``ns2:``), with
    ``content`` before ``statusCode`` as in that recording.
    """
    content_xml = "" if content is None else f"<content>{escape(content)}</content>"
    payload = (
        f'<ns2:getStatusResponse xmlns:ns2="{SERVICE_NS}"><status>{content_xml}'
        f"<statusCode>{escape(code)}</statusCode></status></ns2:getStatusResponse>"
    )
    return SoapResponse(200, _consult_envelope(payload))


def status_cdr_response(code: str, message: str, content: str | None = None) -> SoapResponse:
    content_xml = "" if content is None else f"<content>{content}</content>"
    payload = (
        f'<ns2:getStatusCdrResponse xmlns:ns2="{SERVICE_NS}"><statusCdr>{content_xml}'
        f"<statusCode>{escape(code)}</statusCode><statusMessage>{escape(message)}</statusMessage>"
        "</statusCdr></ns2:getStatusCdrResponse>"
    )
    return SoapResponse(200, _consult_envelope(payload))
