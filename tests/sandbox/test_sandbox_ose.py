"""The OSE flavour on ``/ol-ti-itcpe/billService``: CDR-OSE, faults for rejections, strict media type."""

from __future__ import annotations

import base64
import re
import zipfile
from collections.abc import Callable
from decimal import Decimal
from io import BytesIO

import pytest
from cryptography import x509
from lxml import etree
from signxml.verifier import XMLVerifier
from starlette.applications import Starlette
from starlette.testclient import TestClient
from sunat_sandbox_support import (
    NS,
    OSE_BILL,
    RUC,
    DailySummary,
    Invoice,
    SigningKey,
    cdr_text,
    cdr_xml,
    cdr_zip,
    child,
    fault_code,
    get_status,
    send_bill,
    send_summary,
    signed_package,
    signed_zip,
    ticket_of,
    ticket_status,
)

SOAP_HEADERS = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": "urn:sendBill"}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
OSE_TIME = re.compile(r"\d{2}:\d{2}:\d{2}\.\d{5}")
RESPONSE = "cac:DocumentResponse/cac:Response"
REFERENCE = "cac:DocumentResponse/cac:DocumentReference"


def _post(client: TestClient, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    response = client.post(OSE_BILL, content=body, headers=SOAP_HEADERS if headers is None else headers)
    return response.status_code, response.content


def _digest(invoice: Invoice, signing_key: SigningKey) -> tuple[bytes, str]:
    file_name, zip_bytes = signed_package(invoice, signing_key)
    xml = zipfile.ZipFile(BytesIO(zip_bytes)).read(file_name.replace(".zip", ".xml"))
    digest = etree.fromstring(xml).findtext(".//ds:DigestValue", namespaces=NS) or ""
    return send_bill(file_name, zip_bytes), digest


def test_accepted_factura_gets_the_ose_cdr(
    client: TestClient, app: Starlette, signing_key: SigningKey
) -> None:
    request, digest = _digest(Invoice(), signing_key)
    status, body = _post(client, request)

    assert status == 200
    archive = zipfile.ZipFile(BytesIO(cdr_zip(body)))
    assert [info.filename for info in archive.infolist()] == [f"R-{RUC}-01-F001-1.xml"]
    xml = cdr_xml(cdr_zip(body))
    root = etree.fromstring(xml)
    assert cdr_text(xml, "cbc:UBLVersionID") == "2.1"
    assert cdr_text(xml, "cbc:CustomizationID") == "1.0"
    assert UUID.fullmatch(cdr_text(xml, "cbc:ID"))
    assert OSE_TIME.fullmatch(cdr_text(xml, "cbc:IssueTime"))
    assert OSE_TIME.fullmatch(cdr_text(xml, "cbc:ResponseTime"))
    sender = child(root, "cac:SenderParty/cac:PartyLegalEntity/cbc:CompanyID")
    assert (sender.text, sender.get("schemeID"), sender.get("schemeAgencyName"), sender.get("schemeURI")) == (
        RUC,
        "6",
        "PE:SUNAT",
        "urn:pe:gob:sunat:cpe:see:gem:catalogos:catalogo6",
    )
    assert cdr_text(xml, "cac:ReceiverParty/cac:PartyLegalEntity/cbc:CompanyID") == "20000000036"
    code = child(root, f"{RESPONSE}/cbc:ResponseCode")
    assert (code.text, code.get("listAgencyName")) == ("0", "PE:SUNAT")
    assert cdr_text(xml, f"{RESPONSE}/cbc:Description") == "La Factura F001-1 ha sido aceptada."
    assert root.find(f"{RESPONSE}/cac:Status", NS) is None
    assert root.find("cbc:Note", NS) is None
    assert len(root.findall(REFERENCE, NS)) == 1
    assert cdr_text(xml, f"{REFERENCE}/cbc:ID") == "F001-1"
    assert cdr_text(xml, f"{REFERENCE}/cbc:IssueDate") == "2026-01-15"
    assert cdr_text(xml, f"{REFERENCE}/cbc:IssueTime") == "10:20:30"
    assert cdr_text(xml, f"{REFERENCE}/cbc:DocumentTypeCode") == "01"
    assert cdr_text(xml, f"{REFERENCE}/cac:Attachment/cac:ExternalReference/cbc:DocumentHash") == digest
    assert cdr_text(xml, "cac:DocumentResponse/cac:IssuerParty/cac:PartyLegalEntity/cbc:CompanyID") == RUC
    recipient = child(root, "cac:DocumentResponse/cac:RecipientParty/cac:PartyLegalEntity/cbc:CompanyID")
    assert (recipient.text, recipient.get("schemeID")) == ("20603343710", "6")
    certificate = x509.load_pem_x509_certificate(app.state.sandbox.certificate_pem)
    XMLVerifier().verify(xml, x509_cert=certificate)
    [document] = app.state.sandbox.documents()
    assert document.estado == "aceptado"


def test_observations_go_to_status_reason_codes(client: TestClient, signing_key: SigningKey) -> None:
    boleta = Invoice(
        tipo="03",
        document_id="B001-1",
        customer_scheme="1",
        customer_id="12345678",
        forma_pago=False,
        payable_delta=Decimal(10),
    )
    xml = cdr_xml(cdr_zip(_post(client, send_bill(*signed_package(boleta, signing_key)))[1]))
    root = etree.fromstring(xml)
    [status] = root.findall(f"{RESPONSE}/cac:Status", NS)
    reason_code = child(status, "cbc:StatusReasonCode")
    assert (reason_code.text, reason_code.get("listURI")) == (
        "4312",
        "urn:pe:gob:sunat:cpe:see:gem:codigos:codigoretorno",
    )
    assert (status.findtext("cbc:StatusReason", namespaces=NS) or "").startswith(
        "El importe total del comprobante no coincide con el valor calculado - INFO: 4312"
    )
    assert cdr_text(xml, f"{RESPONSE}/cbc:ResponseCode") == "0"
    assert root.find("cbc:Note", NS) is None


def test_a_rejection_is_a_fault_and_the_number_stays_free(
    client: TestClient, app: Starlette, signing_key: SigningKey
) -> None:
    status, body = _post(client, send_bill(*signed_package(Invoice(payable_delta=Decimal(5)), signing_key)))
    assert (status, fault_code(body)) == (500, "soap-env:Client.3280")
    assert app.state.sandbox.documents() == []

    assert _post(client, send_bill(*signed_package(Invoice(), signing_key)))[0] == 200
    again = _post(client, send_bill(*signed_package(Invoice(), signing_key)))[1]
    assert fault_code(again) == "soap-env:Client.1033"


def test_a_pse_is_the_sender_and_the_emisor_the_issuer(
    make_app: Callable[..., Starlette], signing_key: SigningKey
) -> None:
    with TestClient(make_app(pse_links={"20600000001": [RUC]})) as client:
        request = send_bill(*signed_package(Invoice(), signing_key), username="20600000001MODDATOS")
        xml = cdr_xml(cdr_zip(_post(client, request)[1]))
    assert cdr_text(xml, "cac:SenderParty/cac:PartyLegalEntity/cbc:CompanyID") == "20600000001"
    assert cdr_text(xml, "cac:DocumentResponse/cac:IssuerParty/cac:PartyLegalEntity/cbc:CompanyID") == RUC


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "application/soap+xml; charset=utf-8"},
        {"Content-Type": "application/xml"},
        {},
    ],
)
def test_a_non_text_xml_request_is_415(
    client: TestClient, app: Starlette, signing_key: SigningKey, headers: dict[str, str]
) -> None:
    request = send_bill(*signed_package(Invoice(), signing_key))
    response = client.post(OSE_BILL, content=request, headers=headers)
    assert response.status_code == 415
    assert app.state.sandbox.documents() == []


def test_summaries_get_the_ose_summary_cdr(client: TestClient, signing_key: SigningKey) -> None:
    summary = DailySummary()
    ticket = ticket_of(_post(client, send_summary(*signed_zip(summary, signing_key)))[1])
    assert ticket_status(_post(client, get_status(ticket))[1])[0] == "98"
    code, content = ticket_status(_post(client, get_status(ticket))[1])
    assert code == "0"
    assert content is not None
    xml = cdr_xml(base64.b64decode(content))
    root = etree.fromstring(xml)
    assert cdr_text(xml, "cbc:UBLVersionID") == "2.1"
    assert cdr_text(xml, f"{REFERENCE}/cbc:ID") == f"RC-{summary.fecha:%Y%m%d}-1"
    assert cdr_text(xml, f"{REFERENCE}/cbc:DocumentTypeCode") == "RC"
    assert root.find(f"{REFERENCE}/cbc:IssueTime", NS) is None
    assert root.find("cac:DocumentResponse/cac:RecipientParty", NS) is None
    assert cdr_text(xml, f"{REFERENCE}/cac:Attachment/cac:ExternalReference/cbc:DocumentHash")


def test_a_rejected_summary_is_a_fault_on_get_status(client: TestClient, signing_key: SigningKey) -> None:
    ticket = ticket_of(
        _post(client, send_summary(*signed_zip(DailySummary(customization="1.0"), signing_key)))[1]
    )
    assert ticket_status(_post(client, get_status(ticket))[1])[0] == "98"
    status, body = _post(client, get_status(ticket))
    assert (status, fault_code(body)) == (500, "soap-env:Client.2072")
    # An OSE rejection does not consume the name.
    ok = ticket_of(_post(client, send_summary(*signed_zip(DailySummary(), signing_key)))[1])
    assert ok.isdigit()
