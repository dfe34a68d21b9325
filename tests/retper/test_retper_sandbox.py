"""The emulated "otros CPE" billService: what it shares with the factura service and what is its own.

Same WS-Security, zip checks, signature check (2335), register (1033/1032), beta/production
answers and fault injection as the factura billService (its modules are reused); its own
file names (20/40), document checks (1049, 0306), padrones, CDR wording and paths.
"""

from __future__ import annotations

import base64
import zipfile
from collections.abc import Callable, Iterator
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from lxml import etree
from retper_support import (
    BETA,
    CLIENTE,
    FACTURAS_BETA,
    PRODUCCION,
    PROVEEDOR,
    RUC,
    build_unchecked,
    factura_xml,
    hoy,
    percepcion,
    retencion,
    send,
)
from signxml import XMLVerifier
from starlette.applications import Starlette
from starlette.testclient import TestClient

from openpse.authorities.base import EmpresaContext
from openpse.authorities.sunat.naming import DocumentName, zip_single
from openpse.authorities.sunat.soap import Credentials, SoapFault, SunatSoapClient
from openpse.sandbox import FaultConfig, SandboxConfig, create_app
from openpse.signing.certificates import Certificate

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
HEADERS = {"Content-Type": "text/xml; charset=utf-8"}


@pytest.fixture(scope="module")
def cert_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("retper-sandbox-cert")


@pytest.fixture
def make_client(cert_dir: Path) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def factory(**options: Any) -> TestClient:
        client = TestClient(create_app(SandboxConfig(cert_dir=cert_dir, **options)), base_url="http://sunat")
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


def _app(client: TestClient) -> Starlette:
    app: Starlette = client.app  # type: ignore[assignment]
    return app


def _envelope(operation: str, children: str, username: str = f"{RUC}MODDATOS") -> bytes:
    return (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP}" xmlns:ser="http://service.sunat.gob.pe">'
        f'<soapenv:Header><wsse:Security xmlns:wsse="{WSSE}"><wsse:UsernameToken>'
        f"<wsse:Username>{username}</wsse:Username><wsse:Password>moddatos</wsse:Password>"
        "</wsse:UsernameToken></wsse:Security></soapenv:Header>"
        f"<soapenv:Body><ser:{operation}>{children}</ser:{operation}></soapenv:Body></soapenv:Envelope>"
    ).encode()


def _send_bill_body(zip_name: str, zip_bytes: bytes, username: str = f"{RUC}MODDATOS") -> bytes:
    content = base64.b64encode(zip_bytes).decode()
    return _envelope(
        "sendBill", f"<fileName>{zip_name}</fileName><contentFile>{content}</contentFile>", username
    )


def _fault(body: bytes) -> tuple[str, str]:
    fault = etree.fromstring(body).find(f"{{{SOAP}}}Body/{{{SOAP}}}Fault")
    assert fault is not None, body[:300]
    return fault.findtext("faultcode") or "", fault.findtext("faultstring") or ""


def test_the_cdr_is_signed_by_the_sandbox_and_zipped_like_sunat(make_client, emp: EmpresaContext) -> None:
    client = make_client()
    zip_name, zip_bytes = build_unchecked(retencion(), emp)
    response = client.post(BETA, content=_send_bill_body(zip_name, zip_bytes), headers=HEADERS)
    assert response.status_code == 200
    encoded = etree.fromstring(response.content).findtext(".//applicationResponse")
    assert encoded
    archive = zipfile.ZipFile(BytesIO(base64.b64decode(encoded)))
    assert [info.filename for info in archive.infolist()] == ["dummy/", f"R-{RUC}-20-R001-1.xml"]
    cdr = archive.read(f"R-{RUC}-20-R001-1.xml")
    certificate = x509.load_pem_x509_certificate(_app(client).state.sandbox.certificate_pem)
    verified = XMLVerifier().verify(cdr, x509_cert=certificate)
    assert etree.QName(verified.signed_xml).localname == "ApplicationResponse"
    root = etree.fromstring(cdr)
    ns = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}
    assert root.findtext(".//cbc:ResponseCode", namespaces=ns) == "0"
    assert root.findtext(".//cbc:IssueDate", namespaces=ns) == f"{hoy().isoformat()}T10:00:00"
    recipient = root.find(".//{*}RecipientParty/{*}PartyIdentification/{*}ID")
    assert recipient is not None
    assert recipient.text == f"6-{PROVEEDOR}"
    registered = _app(client).state.sandbox.document(RUC, "20", "R001", 1)
    assert registered is not None
    assert registered.estado == "aceptado"


def test_a_tampered_document_is_2335_and_registers_as_rejected(make_client, emp: EmpresaContext) -> None:
    client = make_client()
    zip_name, zip_bytes = build_unchecked(percepcion(), emp)
    xml = zipfile.ZipFile(BytesIO(zip_bytes)).read(zip_name.replace(".zip", ".xml"))
    tampered = zip_single(zip_name.replace(".zip", ".xml"), xml.replace(b"CLIENTE DEMO", b"CLIENTE DEMX"))
    answer = send(client, "http://sunat" + BETA, zip_name, tampered)
    assert answer.code == "2335"
    registered = _app(client).state.sandbox.document(RUC, "40", "P001", 1)
    assert registered is not None
    assert registered.estado == "rechazado"


def test_the_same_number_again_is_1033_and_a_rejected_number_is_1032(
    make_client, emp: EmpresaContext
) -> None:
    client = make_client()
    url = "http://sunat" + PRODUCCION
    assert send(client, url, *build_unchecked(retencion(), emp)).code == "0"
    assert send(client, url, *build_unchecked(retencion(), emp)).code == "1033"
    bad = retencion(proveedor={"numero_documento": RUC, "razon_social": "YO"})
    assert send(client, url, *build_unchecked(bad, emp, numero=2)).code == "2620"
    assert send(client, url, *build_unchecked(retencion(), emp, numero=2)).code == "1032"


def test_beta_answers_a_rejection_with_a_fault_and_production_with_a_cdr(
    make_client, emp: EmpresaContext
) -> None:
    bad = retencion(regimen="02")
    beta = make_client(mode="beta")
    response = beta.post(BETA, content=_send_bill_body(*build_unchecked(bad, emp)), headers=HEADERS)
    assert response.status_code == 500
    faultcode, faultstring = _fault(response.content)
    assert faultcode == "soap-env:Client.2985"
    assert faultstring.startswith("Solo se acepta comprobantes con fecha de emisión hasta el 28/02/2014")
    production = make_client()
    answer = send(production, "http://sunat" + PRODUCCION, *build_unchecked(bad, emp))
    assert answer.code == "2985"
    assert answer.cdr is not None


def test_each_service_takes_only_its_documents(
    make_client, emp: EmpresaContext, test_certificate: Certificate
) -> None:
    client = make_client()
    name = DocumentName(RUC, "01", "F001", 1)
    factura = zip_single(name.xml, factura_xml(test_certificate, "F001", 1, hoy(), Decimal("118.00")))
    assert send(client, "http://sunat" + BETA, name.zip, factura).code == "0151"
    assert send(client, "http://sunat" + FACTURAS_BETA, *build_unchecked(retencion(), emp)).code == "0151"
    summary = f"{RUC}-RR-{hoy():%Y%m%d}-1.zip"
    assert (
        send(client, "http://sunat" + BETA, summary, zip_single(summary.replace("zip", "xml"), b"<x/>")).code
        == "0152"
    )


def test_the_zip_is_checked_as_on_the_factura_service(make_client, emp: EmpresaContext) -> None:
    client = make_client()
    url = "http://sunat" + BETA
    zip_name, zip_bytes = build_unchecked(retencion(), emp)
    xml_name = zip_name.replace(".zip", ".xml")
    xml = zipfile.ZipFile(BytesIO(zip_bytes)).read(xml_name)
    two_files = zip_single(xml_name, xml)
    buffer = BytesIO(two_files)
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("otro.xml", xml)
    assert send(client, url, zip_name, buffer.getvalue()).code == "0158"
    assert send(client, url, zip_name, zip_single(f"{RUC}-20-R001-9.xml", xml)).code == "0161"
    assert send(client, url, zip_name, b"not a zip").code == "0156"
    assert _app(client).state.sandbox.documents() == []


def test_the_document_must_match_its_name(make_client, emp: EmpresaContext) -> None:
    client = make_client()
    url = "http://sunat" + BETA
    _name, zip_bytes = build_unchecked(retencion(), emp)
    renamed = zip_single(
        f"{RUC}-20-R001-2.xml", zipfile.ZipFile(BytesIO(zip_bytes)).read(f"{RUC}-20-R001-1.xml")
    )
    assert send(client, url, f"{RUC}-20-R001-2.zip", renamed).code == "1049"
    _name, perception = build_unchecked(percepcion(), emp)
    as_retention = zip_single(
        f"{RUC}-20-P001-1.xml", zipfile.ZipFile(BytesIO(perception)).read(f"{RUC}-40-P001-1.xml")
    )
    assert send(client, url, f"{RUC}-20-P001-1.zip", as_retention).code == "0306"


def test_the_sol_user_sends_only_for_its_ruc(make_client, emp: EmpresaContext) -> None:
    client = make_client()
    other_user = Credentials(PROVEEDOR, "MODDATOS", "moddatos")
    with pytest.raises(SoapFault) as fault:
        SunatSoapClient(client).send_bill(
            "http://sunat" + BETA, other_user, *build_unchecked(retencion(), emp)
        )
    assert fault.value.code == "0154"
    with pytest.raises(SoapFault) as fault:
        SunatSoapClient(client).send_bill(
            "http://sunat" + BETA, Credentials(RUC, "MODDATOS", "wrong"), *build_unchecked(retencion(), emp)
        )
    assert fault.value.code == "0104"


def test_padrones_decide_who_retains_and_observe_the_counterparts(make_client, emp: EmpresaContext) -> None:
    url = "http://sunat" + BETA
    only_perception_agent = make_client(padrones={RUC: ["01"]})
    assert send(only_perception_agent, url, *build_unchecked(retencion(), emp)).code == "2617"
    accepted = send(only_perception_agent, url, *build_unchecked(percepcion(), emp))
    assert accepted.code == "0"
    assert accepted.cdr is not None
    assert accepted.cdr.observaciones == []

    agents = make_client(padrones={RUC: ["03"], PROVEEDOR: ["10"], CLIENTE: ["04"]})
    retention = send(agents, url, *build_unchecked(retencion(), emp))
    assert retention.code == "0"
    assert retention.cdr is not None
    assert [o.codigo for o in retention.cdr.observaciones] == ["4091"]
    perception = send(agents, url, *build_unchecked(percepcion(), emp))
    assert perception.code == "0"
    assert perception.cdr is not None
    assert [o.codigo for o in perception.cdr.observaciones] == ["4285", "4090"]


def test_an_injected_http500_is_an_internal_error_and_registers_nothing(
    make_client, emp: EmpresaContext
) -> None:
    client = make_client(faults=FaultConfig(http500=1.0))
    response = client.post(BETA, content=_send_bill_body(*build_unchecked(retencion(), emp)), headers=HEADERS)
    assert response.status_code == 500
    assert _fault(response.content)[0] == "soap-env:Client.0100"
    assert _app(client).state.sandbox.documents() == []
    assert _app(client).state.sandbox.fault_counts()["http500"] == 1


def test_reversions_are_not_emulated_and_no_ticket_exists(make_client) -> None:
    client = make_client()
    summary = _envelope(
        "sendSummary", f"<fileName>{RUC}-RR-20260101-1.zip</fileName><contentFile>UEs=</contentFile>"
    )
    response = client.post(PRODUCCION, content=summary, headers=HEADERS)
    faultcode, faultstring = _fault(response.content)
    assert faultcode == "soap-env:Client.0151"
    assert "Resumen de reversiones" in faultstring
    status = client.post(
        PRODUCCION, content=_envelope("getStatus", "<ticket>1700000000000</ticket>"), headers=HEADERS
    )
    assert status.status_code == 200
    assert etree.fromstring(status.content).findtext(".//statusCode") == "0127"


@pytest.mark.parametrize("path", [BETA, PRODUCCION])
def test_the_wsdl_is_served_on_both_paths(make_client, path: str) -> None:
    response = make_client().get(path + "?wsdl")
    assert response.status_code == 200
    assert f'location="http://sunat{path}"' in response.text
