"""``?wsdl``: the contract of billService and billConsultService, served by the sandbox itself."""

from __future__ import annotations

import pytest
from lxml import etree
from starlette.testclient import TestClient
from sunat_sandbox_support import BETA_BILL, CONSULT, OSE_BILL, RUC, child, envelope, send_bill, zip_entries

WSDL = "http://schemas.xmlsoap.org/wsdl/"
SOAP_BINDING = "http://schemas.xmlsoap.org/wsdl/soap/"
XSD = "http://www.w3.org/2001/XMLSchema"
SERVICE_NS = "http://service.sunat.gob.pe"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
NS = {"wsdl": WSDL, "soap": SOAP_BINDING, "xsd": XSD}
BILL_OPERATIONS = ["getStatus", "sendBill", "sendPack", "sendSummary"]


def _get(client: TestClient, url: str) -> etree._Element:
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/xml;charset=UTF-8"
    return etree.fromstring(response.content)


def _operations(definitions: etree._Element, path: str) -> list[str]:
    return sorted(element.get("name", "") for element in definitions.iterfind(path, NS))


@pytest.mark.parametrize("path", [BETA_BILL, "/ol-ti-itcpfegem/billService", OSE_BILL])
def test_bill_service_wsdl(client: TestClient, path: str) -> None:
    url = f"http://testserver{path}"
    definitions = _get(client, f"{path}?wsdl")

    assert (
        definitions.get("targetNamespace")
        == "http://service.gem.factura.comppago.registro.servicio.sunat.gob.pe/"
    )
    assert child(definitions, "wsdl:import", NS).get("location") == f"{url}?ns1.wsdl"
    binding = child(definitions, "wsdl:binding", NS)
    assert binding.get("name") == "BillServicePortBinding"
    assert binding.get("type") == "ns1:billService"
    assert definitions.nsmap["ns1"] == SERVICE_NS
    soap_binding = child(binding, "soap:binding", NS)
    assert soap_binding.get("style") == "document"
    assert soap_binding.get("transport") == "http://schemas.xmlsoap.org/soap/http"
    assert _operations(binding, "wsdl:operation") == BILL_OPERATIONS
    for operation in binding.iterfind("wsdl:operation", NS):
        name = operation.get("name")
        assert child(operation, "soap:operation", NS).get("soapAction") == f"urn:{name}"
        assert [body.get("use") for body in operation.iterfind("*/soap:body", NS)] == ["literal", "literal"]
    port = child(definitions, "wsdl:service[@name='billService']/wsdl:port", NS)
    assert port.get("binding") == "tns:BillServicePortBinding"
    assert child(port, "soap:address", NS).get("location") == url


def test_bill_service_types_accept_sunat_requests(client: TestClient) -> None:
    definitions = _get(client, f"{BETA_BILL}?ns1.wsdl")

    assert definitions.get("targetNamespace") == SERVICE_NS
    assert _operations(definitions, "wsdl:portType[@name='billService']/wsdl:operation") == BILL_OPERATIONS
    messages = {message.get("name", ""): message for message in definitions.iterfind("wsdl:message", NS)}
    assert sorted(messages) == sorted([*BILL_OPERATIONS, *(f"{name}Response" for name in BILL_OPERATIONS)])
    assert child(messages["sendBill"], "wsdl:part", NS).get("element") == "tns:sendBill"

    schema_element = child(definitions, "wsdl:types/xsd:schema", NS)
    assert schema_element.get("elementFormDefault") is None
    schema = etree.XMLSchema(schema_element)
    request = etree.fromstring(send_bill(f"{RUC}-01-F001-1.zip", zip_entries(("a.xml", b"<a/>"))))
    operation = child(request, f"{{{SOAP_ENV}}}Body/{{{SERVICE_NS}}}sendBill", {})
    assert schema.validate(operation), schema.error_log
    answer = etree.fromstring(
        f'<r:getStatusResponse xmlns:r="{SERVICE_NS}"><status><content>UEs=</content>'
        "<statusCode>0</statusCode></status></r:getStatusResponse>"
    )
    assert schema.validate(answer), schema.error_log
    qualified = etree.fromstring(f'<r:getStatus xmlns:r="{SERVICE_NS}"><r:ticket>1</r:ticket></r:getStatus>')
    assert not schema.validate(qualified)


def test_consult_service_wsdl(client: TestClient) -> None:
    definitions = _get(client, f"{CONSULT}?WSDL")
    assert definitions.get("targetNamespace") == (
        "http://service.ws.consulta.comppago.electronico.registro.servicio2.sunat.gob.pe/"
    )
    binding = child(definitions, "wsdl:binding", NS)
    assert binding.get("name") == "BillConsultServicePortBinding"
    assert _operations(binding, "wsdl:operation") == ["getStatus", "getStatusCdr"]
    actions = [
        operation.get("soapAction", "") for operation in binding.iterfind("wsdl:operation/soap:operation", NS)
    ]
    assert sorted(actions) == ["urn:getStatus", "urn:getStatusCdr"]
    port = child(definitions, "wsdl:service[@name='billConsultService']/wsdl:port", NS)
    assert child(port, "soap:address", NS).get("location") == f"http://testserver{CONSULT}"

    types = _get(client, f"{CONSULT}?ns1.wsdl")
    schema = etree.XMLSchema(child(types, "wsdl:types/xsd:schema", NS))
    query = child(
        etree.fromstring(
            envelope(
                "getStatusCdr",
                {
                    "rucComprobante": RUC,
                    "tipoComprobante": "01",
                    "serieComprobante": "F001",
                    "numeroComprobante": "1",
                },
            )
        ),
        f"{{{SOAP_ENV}}}Body/{{{SERVICE_NS}}}getStatusCdr",
        {},
    )
    assert schema.validate(query), schema.error_log
    child(query, "numeroComprobante", {}).text = "uno"
    assert not schema.validate(query)


def test_other_documents_and_plain_get_are_not_found(client: TestClient) -> None:
    assert client.get(f"{BETA_BILL}?xsd=1").status_code == 404
    assert client.get(BETA_BILL).status_code == 404
