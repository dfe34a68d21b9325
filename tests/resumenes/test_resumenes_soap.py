"""sendSummary, sendPack and getStatus (by ticket) of SunatSoapClient, against SUNAT beta's
recorded answers, scripted answers and the sandbox over loopback HTTP."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import httpx2
import pytest
from lxml import etree
from resumenes_support import RUC, SandboxSunat, boleta, resumen, shared_file

from openpse.authorities.sunat import resumenes as r
from openpse.authorities.sunat.cdr import CdrError
from openpse.authorities.sunat.soap import Credentials, SoapFault, SunatSoapClient, TransportError

URL = "https://e-beta.sunat.gob.pe/ol-ti-itcpfegem-beta/billService"
CREDENTIALS = Credentials(RUC, "MODDATOS", "moddatos")
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE = "http://service.sunat.gob.pe"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"


def _recorded(name: str) -> bytes:
    return Path(shared_file("sunat", "samples", "soap", name)).read_bytes()


def _client(
    answer: Callable[[httpx2.Request], httpx2.Response], seen: list[httpx2.Request]
) -> SunatSoapClient:
    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return answer(request)

    return SunatSoapClient(httpx2.Client(transport=httpx2.MockTransport(handler)))


def _status_envelope(code: str, content: str | None = None, prefix: str = "ns2") -> bytes:
    content_xml = "" if content is None else f"<content>{content}</content>"
    return (
        f'<S:Envelope xmlns:S="{SOAP}"><S:Body><{prefix}:getStatusResponse xmlns:{prefix}="{SERVICE}">'
        f"<status>{content_xml}<statusCode>{code}</statusCode></status></{prefix}:getStatusResponse>"
        "</S:Body></S:Envelope>"
    ).encode()


def test_send_summary_posts_the_wsdl_envelope_and_reads_the_recorded_ticket() -> None:
    seen: list[httpx2.Request] = []
    client = _client(
        lambda _: httpx2.Response(200, content=_recorded("bill_service_response_ticket.xml")), seen
    )

    ticket = client.send_summary(URL, CREDENTIALS, f"{RUC}-RC-20201022-1.zip", b"PK\x03\x04zip")

    assert ticket == "1703154974517"
    request = seen[0]
    assert request.headers["SOAPAction"] == "urn:sendSummary"
    assert request.headers["Content-Type"].startswith("text/xml")
    envelope = etree.fromstring(request.content)
    token = envelope.find(f"{{{SOAP}}}Header/{{{WSSE}}}Security/{{{WSSE}}}UsernameToken")
    assert token is not None
    assert token.findtext(f"{{{WSSE}}}Username") == f"{RUC}MODDATOS"
    assert token.findtext(f"{{{WSSE}}}Password") == "moddatos"
    operation = envelope.find(f"{{{SOAP}}}Body/{{{SERVICE}}}sendSummary")
    assert operation is not None
    # billService.xsd2.xsd has no elementFormDefault: the children are unqualified.
    assert [child.tag for child in operation] == ["fileName", "contentFile"]
    assert operation.findtext("fileName") == f"{RUC}-RC-20201022-1.zip"
    assert base64.b64decode(operation.findtext("contentFile") or "") == b"PK\x03\x04zip"


def test_send_pack_uses_its_own_operation() -> None:
    seen: list[httpx2.Request] = []
    answer = (
        f'<soap-env:Envelope xmlns:soap-env="{SOAP}"><soap-env:Body>'
        f'<br:sendPackResponse xmlns:br="{SERVICE}"><ticket>201802887228306</ticket></br:sendPackResponse>'
        "</soap-env:Body></soap-env:Envelope>"
    ).encode()
    client = _client(lambda _: httpx2.Response(200, content=answer), seen)

    assert client.send_pack(URL, CREDENTIALS, f"{RUC}-LT-20201022-1.zip", b"PK") == "201802887228306"
    assert seen[0].headers["SOAPAction"] == "urn:sendPack"
    assert etree.fromstring(seen[0].content).find(f".//{{{SERVICE}}}sendPack") is not None


def test_recorded_get_status_gives_the_cdr_of_the_summary() -> None:
    seen: list[httpx2.Request] = []
    client = _client(lambda _: httpx2.Response(200, content=_recorded("get_status_response_ok.xml")), seen)
    nombre = r.SummaryName.parse("12345678912-RA-20200328-1")

    status = r.check_ticket(client, URL, CREDENTIALS, "1703154974517", nombre)

    assert (status.status_code, status.estado) == ("0", r.EstadoTicket.ACEPTADO)
    assert status.cdr is not None
    assert status.cdr.reference_id == "RA-20200328-1"
    assert status.cdr_zip is not None
    assert status.cdr_zip.startswith(b"PK")
    assert seen[0].headers["SOAPAction"] == "urn:getStatus"
    assert etree.fromstring(seen[0].content).findtext(f".//{{{SERVICE}}}getStatus/ticket") == "1703154974517"
    with pytest.raises(CdrError, match="RA-20200328-1"):
        r.check_ticket(
            client, URL, CREDENTIALS, "1703154974517", r.SummaryName.parse("12345678912-RA-20200328-2")
        )


@pytest.mark.parametrize("prefix", ["soap-env", "S", "env", "soapenv"])
def test_faults_are_read_whatever_the_prefix(prefix: str) -> None:
    recorded = _recorded("bill_service_response_fault.xml").decode()
    body = recorded.replace("soap-env:", f"{prefix}:").replace("xmlns:soap-env=", f"xmlns:{prefix}=")
    client = _client(lambda _: httpx2.Response(500, content=body.encode()), [])

    with pytest.raises(SoapFault) as raised:
        client.send_summary(URL, CREDENTIALS, f"{RUC}-RC-20201022-1.zip", b"PK")

    assert raised.value.code == "0111"
    assert raised.value.faultcode == f"{prefix}:Client.0111"
    assert raised.value.message.startswith("No tiene el perfil para enviar comprobantes electronicos")


def test_an_unknown_ticket_is_0127_with_plain_text() -> None:
    answer = _status_envelope("0127", "El ticket no existe")
    client = _client(lambda _: httpx2.Response(200, content=answer), [])

    status = r.check_ticket(client, URL, CREDENTIALS, "1700000000000")

    assert (status.status_code, status.estado, status.mensaje) == (
        "0127",
        r.EstadoTicket.EXCEPCION,
        "El ticket no existe",
    )
    assert status.cdr is None
    assert status.respuesta() == {"codigo": "0127", "descripcion": "El ticket no existe", "observaciones": []}


@pytest.mark.parametrize("code", ["98", "0098"])
def test_in_process_answers_padded_or_not(code: str) -> None:
    client = _client(lambda _: httpx2.Response(200, content=_status_envelope(code, prefix="br")), [])
    status = r.check_ticket(client, URL, CREDENTIALS, "1")
    assert (status.status_code, status.estado, status.respuesta()) == (
        "0098",
        r.EstadoTicket.EN_PROCESO,
        None,
    )


def test_a_status_0_without_cdr_is_not_an_answer() -> None:
    client = _client(lambda _: httpx2.Response(200, content=_status_envelope("0")), [])
    with pytest.raises(TransportError, match="sin CDR"):
        r.check_ticket(client, URL, CREDENTIALS, "1")


def _raise_connect(request: httpx2.Request) -> httpx2.Response:
    raise httpx2.ConnectError("connection refused", request=request)


def _raise_timeout(request: httpx2.Request) -> httpx2.Response:
    raise httpx2.ReadTimeout("read timed out", request=request)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (lambda _: httpx2.Response(200, content=b""), "vacía"),
        (lambda _: httpx2.Response(401, content=b"<html>401 Authorization Required</html>"), "HTTP 401"),
        (lambda _: httpx2.Response(200, content=b"<html>gateway</html"), "no es XML"),
        (_raise_connect, "error de red"),
        (_raise_timeout, "tiempo de espera"),
        (
            lambda _: httpx2.Response(
                200,
                content=f'<S:Envelope xmlns:S="{SOAP}"><S:Body><x:sendSummaryResponse xmlns:x="{SERVICE}"/>'
                "</S:Body></S:Envelope>".encode(),
            ),
            "sin ticket",
        ),
    ],
    ids=["empty-200", "nginx-401", "not-xml", "connect", "timeout", "no-ticket"],
)
def test_transport_failures_are_transport_errors(
    answer: Callable[[httpx2.Request], httpx2.Response], message: str
) -> None:
    client = _client(answer, [])
    with pytest.raises(TransportError, match=message):
        client.send_summary(URL, CREDENTIALS, f"{RUC}-RC-20201022-1.zip", b"PK")


def test_sandbox_answers_an_unknown_ticket_over_http(sunat: SandboxSunat) -> None:
    status = r.check_ticket(sunat.client, sunat.url, sunat.credentials, "1700000000000")
    assert (status.status_code, status.estado, status.mensaje) == (
        "0127",
        r.EstadoTicket.EXCEPCION,
        "El ticket no existe",
    )


def test_sandbox_refuses_send_pack_with_0153(sunat: SandboxSunat) -> None:
    with pytest.raises(SoapFault) as raised:
        sunat.client.send_pack(sunat.url, sunat.credentials, f"{RUC}-RC-20201022-1.zip", b"PK")
    assert raised.value.code == "0153"


def test_sandbox_refuses_wrong_credentials_with_a_fault(sunat: SandboxSunat) -> None:
    with pytest.raises(SoapFault) as raised:
        r.check_ticket(sunat.client, sunat.url, Credentials(RUC, "MODDATOS", "otra"), "1")
    assert raised.value.code == "0104"


def test_beta_answers_an_unknown_ticket_with_a_fault() -> None:
    fault = (
        f'<soap-env:Envelope xmlns:soap-env="{SOAP}"><soap-env:Body><soap-env:Fault>'
        "<faultcode>soap-env:Client.0127</faultcode><faultstring>El ticket no existe</faultstring>"
        "</soap-env:Fault></soap-env:Body></soap-env:Envelope>"
    ).encode()
    client = _client(lambda _: httpx2.Response(500, content=fault), [])

    status = r.check_ticket(client, URL, CREDENTIALS, "1700000000000")

    assert (status.status_code, status.estado, status.mensaje) == (
        "0127",
        r.EstadoTicket.EXCEPCION,
        "El ticket no existe",
    )


OSE_PATH = "/ol-ti-itcpe/billService"


def test_an_ose_accepts_a_summary_with_its_own_cdr(sunat: SandboxSunat) -> None:
    documento = resumen(boleta(1))
    signed = r.sign_summary(documento, sunat.certificate)
    url = sunat.base_url + OSE_PATH
    ticket = r.send_summary(sunat.client, url, sunat.credentials, signed)
    assert r.check_ticket(sunat.client, url, sunat.credentials, ticket).estado is r.EstadoTicket.EN_PROCESO

    status = r.check_ticket(sunat.client, url, sunat.credentials, ticket, documento.nombre)

    assert status.estado is r.EstadoTicket.ACEPTADO
    assert status.cdr is not None
    assert status.cdr.reference_id == documento.nombre.id
    assert status.cdr.document_hash == signed.hash


def test_an_ose_reports_a_rejected_summary_as_a_fault_on_get_status(sunat: SandboxSunat) -> None:
    documento = resumen(boleta(7, condicion="3"))
    url = sunat.base_url + OSE_PATH
    ticket = r.send_summary(
        sunat.client, url, sunat.credentials, r.sign_summary(documento, sunat.certificate)
    )
    r.check_ticket(sunat.client, url, sunat.credentials, ticket)

    status = r.check_ticket(sunat.client, url, sunat.credentials, ticket, documento.nombre)

    assert (status.status_code, status.estado, status.cdr) == ("2663", r.EstadoTicket.RECHAZADO, None)
    assert status.respuesta() == {"codigo": "2663", "descripcion": status.mensaje, "observaciones": []}
    assert status.mensaje.startswith("El documento indicado no existe no puede ser modificado")
