"""Client of SUNAT's SOAP services: billService (sendBill) and billConsultService.

Contract from SUNAT's WSDLs (document/literal SOAP 1.1, operation elements in
``http://service.sunat.gob.pe`` with unqualified children) and WS-Security
UsernameToken with a PasswordText password (user = RUC + usuario SOL). Envelopes are
built by hand and answers parsed by namespace and local name, whatever the prefixes:
SUNAT's services answer with different stacks (``br:``, ``ns2:``, ``S:``, ``soap-env:``).
HTTP 500 is the normal carrier of a SOAP fault, so the body is read whatever the status.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from xml.sax.saxutils import escape

import httpx2
from lxml import etree

from openpse.authorities.sunat import codes
from openpse.core import xmlsafe

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE_NS = "http://service.sunat.gob.pe"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
# A WS-Security type URI, not a password.
PASSWORD_TEXT = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText"  # noqa: S105
)


class TransportError(RuntimeError):
    """No usable answer: timeout, reset, empty body, or something that is not SOAP.

    The document may or may not have reached SUNAT: callers must reconcile, not resend.
    """


class SoapFault(Exception):
    """A SOAP fault; ``code`` is SUNAT's four-digit code when the fault carries one.

    A plain exception class: Python must be able to set ``__traceback__`` on it while it
    propagates (a frozen dataclass refuses that inside context managers).
    """

    def __init__(self, code: str, message: str, faultcode: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message
        self.faultcode = faultcode


@dataclass(frozen=True)
class StatusResult:
    """Answer of getStatus / getStatusCdr of billConsultService."""

    status_code: str
    status_message: str
    content: bytes | None


@dataclass(frozen=True)
class Credentials:
    ruc: str
    usuario: str
    clave: str

    @property
    def username(self) -> str:
        # SUNAT concatenates RUC and SOL user with no separator (20123456789MODDATOS).
        return f"{self.ruc}{self.usuario}"


def _envelope(credentials: Credentials, body: str) -> bytes:
    return (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}" xmlns:ser="{SERVICE_NS}" xmlns:wsse="{WSSE}">'
        "<soapenv:Header><wsse:Security><wsse:UsernameToken>"
        f"<wsse:Username>{escape(credentials.username)}</wsse:Username>"
        f'<wsse:Password Type="{PASSWORD_TEXT}">{escape(credentials.clave)}</wsse:Password>'
        "</wsse:UsernameToken></wsse:Security></soapenv:Header>"
        f"<soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
    ).encode()


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _fault_code(faultcode: str, faultstring: str) -> str:
    # soap-env:Client.0111, a:Client.0103, ns0:0103, soap-env:Server.200: the code is the
    # trailing digits of faultcode; when there are none, the first 4-digit run of the text.
    tail = faultcode.rsplit(".", 1)[-1] if "." in faultcode else faultcode.rsplit(":", 1)[-1]
    digits = _digits(tail)
    if digits:
        return codes.normalize(digits)
    for token in faultstring.replace("-", " ").split():
        if len(token) == 4 and token.isdigit():
            return token
    return "0100"


def parse_response(content: bytes, operation: str) -> etree._Element:
    """The response element of ``operation`` in a SOAP answer; raises SoapFault or TransportError."""
    if not content.strip():
        raise TransportError("respuesta vacía del servicio")
    try:
        root = xmlsafe.parse(content)
    except (etree.XMLSyntaxError, xmlsafe.UnsafeXml) as exc:
        raise TransportError(f"la respuesta no es XML SOAP: {exc}") from exc
    body = root.find(f"{{{SOAP_ENV}}}Body")
    if body is None:
        raise TransportError("la respuesta no tiene soap:Body")
    fault = body.find(f"{{{SOAP_ENV}}}Fault")
    if fault is not None:
        faultcode = (fault.findtext("faultcode") or "").strip()
        faultstring = (fault.findtext("faultstring") or "").strip()
        code = _fault_code(faultcode, faultstring)
        raise SoapFault(code=code, message=faultstring or codes.message(code), faultcode=faultcode)
    for child in body:
        if etree.QName(child).localname == f"{operation}Response":
            return child
    raise TransportError(f"la respuesta no contiene {operation}Response")


def _child_text(parent: etree._Element, name: str) -> str | None:
    for child in parent.iter():
        if isinstance(child.tag, str) and etree.QName(child).localname == name:
            return (child.text or "").strip()
    return None


class SunatSoapClient:
    """One client per endpoint URL; thread-safe (the HTTP client pools connections)."""

    def __init__(self, http: httpx2.Client) -> None:
        self._http = http

    def _post(self, url: str, action: str, payload: bytes) -> bytes:
        try:
            response = self._http.post(
                url,
                content=payload,
                headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f"urn:{action}"},
            )
        except httpx2.TimeoutException as exc:
            raise TransportError(f"tiempo de espera agotado con {url}") from exc
        except httpx2.TransportError as exc:
            raise TransportError(f"error de red con {url}: {exc}") from exc
        if response.status_code not in (200, 500):
            raise TransportError(f"HTTP {response.status_code} de {url}")
        return response.content

    def send_bill(self, url: str, credentials: Credentials, zip_name: str, zip_bytes: bytes) -> bytes:
        """sendBill: returns the CDR zip bytes, or raises SoapFault / TransportError."""
        body = (
            f"<ser:sendBill><fileName>{escape(zip_name)}</fileName>"
            f"<contentFile>{base64.b64encode(zip_bytes).decode('ascii')}</contentFile></ser:sendBill>"
        )
        answer = parse_response(self._post(url, "sendBill", _envelope(credentials, body)), "sendBill")
        encoded = _child_text(answer, "applicationResponse")
        if not encoded:
            raise TransportError("sendBillResponse sin applicationResponse")
        return base64.b64decode(encoded)

    def _send_for_ticket(
        self, url: str, credentials: Credentials, operation: str, zip_name: str, zip_bytes: bytes
    ) -> str:
        body = (
            f"<ser:{operation}><fileName>{escape(zip_name)}</fileName>"
            f"<contentFile>{base64.b64encode(zip_bytes).decode('ascii')}</contentFile></ser:{operation}>"
        )
        answer = parse_response(self._post(url, operation, _envelope(credentials, body)), operation)
        ticket = _child_text(answer, "ticket")
        if not ticket:
            raise TransportError(f"{operation}Response sin ticket")
        return ticket

    def send_summary(self, url: str, credentials: Credentials, zip_name: str, zip_bytes: bytes) -> str:
        """sendSummary (Resumen diario, Comunicación de baja, Resumen de reversiones): the ticket.

        Raises SoapFault for SUNAT's exceptions (0151, 0154, 1034, 2223/2324 …) and
        TransportError when no usable answer came back.
        """
        return self._send_for_ticket(url, credentials, "sendSummary", zip_name, zip_bytes)

    def send_pack(self, url: str, credentials: Credentials, zip_name: str, zip_bytes: bytes) -> str:
        """sendPack (a "lote" of comprobantes, in the WSDL though no current client uses it): the ticket."""
        return self._send_for_ticket(url, credentials, "sendPack", zip_name, zip_bytes)

    def get_ticket_status(self, url: str, credentials: Credentials, ticket: str) -> StatusResult:
        """billService getStatus of a ticket (``sunat.md`` §2.3).

        ``status_code`` is SUNAT's statusCode with codes.normalize (``0``, ``0098``,
        ``0099``, or an exception such as ``0127``); ``content`` the CDR zip when SUNAT
        sent one; ``status_message`` the plain text SUNAT puts in ``content`` with an
        exception code ("El ticket no existe"). A ``content`` that is neither a zip nor
        text is left in ``status_message`` as received.
        """
        body = f"<ser:getStatus><ticket>{escape(ticket)}</ticket></ser:getStatus>"
        answer = parse_response(self._post(url, "getStatus", _envelope(credentials, body)), "getStatus")
        status_code = _child_text(answer, "statusCode")
        if not status_code:
            raise TransportError("getStatusResponse sin statusCode")
        raw = _child_text(answer, "content") or ""
        content: bytes | None = None
        message = ""
        if raw:
            compact = "".join(raw.split())
            try:
                decoded = base64.b64decode(compact, validate=True)
            except ValueError:
                decoded = b""
            if decoded.startswith(b"PK"):
                content = decoded
            else:
                message = raw
        return StatusResult(status_code=codes.normalize(status_code), status_message=message, content=content)

    def _consult(
        self, url: str, credentials: Credentials, operation: str, ruc: str, tipo: str, serie: str, numero: int
    ) -> StatusResult:
        body = (
            f"<ser:{operation}><rucComprobante>{escape(ruc)}</rucComprobante>"
            f"<tipoComprobante>{escape(tipo)}</tipoComprobante>"
            f"<serieComprobante>{escape(serie)}</serieComprobante>"
            f"<numeroComprobante>{numero}</numeroComprobante></ser:{operation}>"
        )
        answer = parse_response(self._post(url, operation, _envelope(credentials, body)), operation)
        content = _child_text(answer, "content")
        return StatusResult(
            status_code=codes.normalize(_child_text(answer, "statusCode") or ""),
            status_message=_child_text(answer, "statusMessage") or "",
            content=base64.b64decode(content) if content else None,
        )

    def get_status_cdr(
        self, url: str, credentials: Credentials, ruc: str, tipo: str, serie: str, numero: int
    ) -> StatusResult:
        """billConsultService getStatusCdr: 0004 + CDR zip when SUNAT holds a CDR."""
        return self._consult(url, credentials, "getStatusCdr", ruc, tipo, serie, numero)

    def get_status(
        self, url: str, credentials: Credentials, ruc: str, tipo: str, serie: str, numero: int
    ) -> StatusResult:
        """billConsultService getStatus: 0001 accepted, 0002 rejected, 0003 voided, 0011 unknown."""
        return self._consult(url, credentials, "getStatus", ruc, tipo, serie, numero)
