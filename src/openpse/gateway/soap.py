"""SOAP 1.1 envelopes of SUNAT's billService: reading requests, writing answers and faults.

Requests are read by local names (clients use any prefix: soapenv, soap, S, ns2...) and
through the safe parser; answers and faults have the shape SUNAT's own service returns
(``sunat.md`` §1.3–1.5): faults with HTTP 500 and ``faultcode`` ``soap-env:Client.NNNN``
(or ``Server`` for OpenPSE's own trouble).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from lxml import etree

from openpse.core import xmlsafe
from openpse.core.errors import OpenPSEError

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE_NS = "http://service.sunat.gob.pe"
_OPERATIONS = ("sendBill", "sendSummary", "sendPack", "getStatus")


class SoapFault(Exception):
    def __init__(self, code: str, message: str, client: bool = True) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message
        self.client = client


@dataclass(frozen=True)
class SoapRequest:
    operation: str
    username: str
    password: str = field(repr=False)
    params: dict[str, str]

    def file(self) -> tuple[str, bytes]:
        name = self.params.get("fileName", "").strip()
        raw = self.params.get("contentFile", "")
        if not name or not raw:
            raise SoapFault("0202", "No llego información del archivo ZIP")
        try:
            return name, base64.b64decode("".join(raw.split()), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise SoapFault("0156", "El archivo ZIP esta corrupto") from exc


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _child(parent: etree._Element, name: str) -> etree._Element | None:
    for child in parent:
        if _local(child) == name:
            return child
    return None


def parse(body: bytes) -> SoapRequest:
    try:
        root = xmlsafe.parse_request(body)
    except OpenPSEError as exc:
        raise SoapFault("0306", "No se puede leer (parsear) el archivo XML") from exc
    if _local(root) != "Envelope":
        raise SoapFault("0306", "No se puede leer (parsear) el archivo XML")
    header = _child(root, "Header")
    security = _child(header, "Security") if header is not None else None
    token = _child(security, "UsernameToken") if security is not None else None
    if token is None:
        raise SoapFault("0101", "El encabezado de seguridad es incorrecto")
    username_el, password_el = _child(token, "Username"), _child(token, "Password")
    username = (username_el.text or "").strip() if username_el is not None else ""
    password = (password_el.text or "") if password_el is not None else ""
    body_el = _child(root, "Body")
    operation_el = body_el[0] if body_el is not None and len(body_el) else None
    operation = _local(operation_el) if operation_el is not None else ""
    if operation not in _OPERATIONS or operation_el is None:
        raise SoapFault("0100", f"Operación no soportada: {operation or '(vacía)'}", client=True)
    params = {_local(child): (child.text or "") for child in operation_el}
    return SoapRequest(operation, username, password, params)


def _envelope(body: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><soap-env:Envelope xmlns:soap-env="{SOAP_NS}">'
        f"<soap-env:Header/><soap-env:Body>{body}</soap-env:Body></soap-env:Envelope>"
    ).encode()


def send_bill_response(cdr_zip: bytes) -> bytes:
    content = base64.b64encode(cdr_zip).decode()
    return _envelope(
        f'<br:sendBillResponse xmlns:br="{SERVICE_NS}"><applicationResponse>{content}</applicationResponse>'
        "</br:sendBillResponse>"
    )


def send_summary_response(ticket: str) -> bytes:
    return _envelope(
        f'<br:sendSummaryResponse xmlns:br="{SERVICE_NS}"><ticket>{escape(ticket)}</ticket>'
        "</br:sendSummaryResponse>"
    )


def get_status_response(status_code: str, content: bytes | None, text: str | None = None) -> bytes:
    """``content`` is the CDR zip (Base64 in the answer); ``text`` a plain message, as
    SUNAT answers 0127 ("El ticket no existe") in production."""
    if content:
        inner = f"<content>{base64.b64encode(content).decode()}</content>"
    elif text:
        inner = f"<content>{escape(text)}</content>"
    else:
        inner = ""
    return _envelope(
        f'<br:getStatusResponse xmlns:br="{SERVICE_NS}"><status>{inner}<statusCode>{escape(status_code)}'
        "</statusCode></status></br:getStatusResponse>"
    )


def fault(error: SoapFault) -> bytes:
    kind = "Client" if error.client else "Server"
    return _envelope(
        f"<soap-env:Fault><faultcode>soap-env:{kind}.{escape(error.code)}</faultcode>"
        f"<faultstring>{escape(error.message)}</faultstring></soap-env:Fault>"
    )
