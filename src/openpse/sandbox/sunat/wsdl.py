"""The WSDL of billService and billConsultService, written from SUNAT's contract.

The contract is the one ``sunat.md`` §1.2 and ``greenter.md`` §3.2 describe: SOAP 1.1,
document/literal, ``soapAction="urn:<operation>"``, request and response elements in
``http://service.sunat.gob.pe`` whose children are unqualified (the schema has no
``elementFormDefault``), the binding and service of billService in
``http://service.gem.factura.comppago.registro.servicio.sunat.gob.pe/`` and those of
billConsultService in
``http://service.ws.consulta.comppago.electronico.registro.servicio2.sunat.gob.pe/``.

As at SUNAT, ``<path>?wsdl`` holds the binding and the service and imports
``<path>?ns1.wsdl``, which holds the types, messages and portType of
``http://service.sunat.gob.pe`` (one WSDL document has a single target namespace, and
the two namespaces are part of the contract: a client built from SUNAT's WSDL looks
the service up by its qualified name). The service address is the URL the WSDL was
requested from, so a client pointed at the sandbox stays on the sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

SERVICE_NS = "http://service.sunat.gob.pe"
BILL_NS = "http://service.gem.factura.comppago.registro.servicio.sunat.gob.pe/"
CONSULT_NS = "http://service.ws.consulta.comppago.electronico.registro.servicio2.sunat.gob.pe/"
_WSDL = "http://schemas.xmlsoap.org/wsdl/"
_SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
_XSD = "http://www.w3.org/2001/XMLSchema"
_HTTP_TRANSPORT = "http://schemas.xmlsoap.org/soap/http"

Field = tuple[str, str]

_FILE = (("fileName", "xsd:string"), ("contentFile", "xsd:base64Binary"), ("partyType", "xsd:string"))
_QUERY = (
    ("rucComprobante", "xsd:string"),
    ("tipoComprobante", "xsd:string"),
    ("serieComprobante", "xsd:string"),
    ("numeroComprobante", "xsd:int"),
)


@dataclass(frozen=True)
class _Service:
    """One SOAP service: its names and its operations (request fields, response fields)."""

    namespace: str
    service: str
    port: str
    operations: dict[str, tuple[tuple[Field, ...], tuple[Field, ...]]]
    status_fields: tuple[Field, ...]

    @property
    def binding(self) -> str:
        return f"{self.port}Binding"


_BILL = _Service(
    BILL_NS,
    "billService",
    "BillServicePort",
    {
        "getStatus": ((("ticket", "xsd:string"),), (("status", "tns:statusResponse"),)),
        "sendBill": (_FILE, (("applicationResponse", "xsd:base64Binary"),)),
        "sendPack": (_FILE, (("ticket", "xsd:string"),)),
        "sendSummary": (_FILE, (("ticket", "xsd:string"),)),
    },
    (("content", "xsd:base64Binary"), ("statusCode", "xsd:string")),
)
_CONSULT = _Service(
    CONSULT_NS,
    "billConsultService",
    "BillConsultServicePort",
    {
        "getStatus": (_QUERY, (("status", "tns:statusResponse"),)),
        "getStatusCdr": (_QUERY, (("statusCdr", "tns:statusResponse"),)),
    },
    (("content", "xsd:base64Binary"), ("statusCode", "xsd:string"), ("statusMessage", "xsd:string")),
)
SERVICES = {"billService": _BILL, "billConsultService": _CONSULT}


def _complex_type(name: str, fields: tuple[Field, ...]) -> str:
    elements = "".join(f'<xsd:element name="{field}" type="{kind}" minOccurs="0"/>' for field, kind in fields)
    return f'<xsd:complexType name="{name}"><xsd:sequence>{elements}</xsd:sequence></xsd:complexType>'


def definitions(service: str) -> bytes:
    """``?ns1.wsdl``: types, messages and portType in ``http://service.sunat.gob.pe``."""
    spec = SERVICES[service]
    types: list[str] = [_complex_type("statusResponse", spec.status_fields)]
    elements: list[str] = []
    messages: list[str] = []
    operations: list[str] = []
    for operation, (request, response) in spec.operations.items():
        for element, fields in ((operation, request), (f"{operation}Response", response)):
            types.append(_complex_type(element, fields))
            elements.append(f'<xsd:element name="{element}" type="tns:{element}"/>')
            messages.append(
                f'<wsdl:message name="{element}"><wsdl:part name="parameters" element="tns:{element}"/>'
                "</wsdl:message>"
            )
        operations.append(
            f'<wsdl:operation name="{operation}">'
            f'<wsdl:input name="{operation}Request" message="tns:{operation}"/>'
            f'<wsdl:output name="{operation}Response" message="tns:{operation}Response"/>'
            "</wsdl:operation>"
        )
    document = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<wsdl:definitions xmlns:wsdl="{_WSDL}" xmlns:xsd="{_XSD}" xmlns:tns="{SERVICE_NS}" '
        f'targetNamespace="{SERVICE_NS}">'
        # The schema declares its own prefixes: tools that lift it out of the WSDL need them.
        f'<wsdl:types><xsd:schema xmlns:xsd="{_XSD}" xmlns:tns="{SERVICE_NS}" targetNamespace="{SERVICE_NS}" '
        'version="1.0">'
        f"{''.join(elements)}{''.join(types)}</xsd:schema></wsdl:types>"
        f"{''.join(messages)}"
        f'<wsdl:portType name="billService">{"".join(operations)}</wsdl:portType>'
        "</wsdl:definitions>"
    )
    return document.encode("utf-8")


def service_description(service: str, address: str) -> bytes:
    """``?wsdl``: binding and service, importing ``?ns1.wsdl`` from the same address."""
    spec = SERVICES[service]
    operations = "".join(
        f'<wsdl:operation name="{operation}">'
        f'<soap:operation soapAction="urn:{operation}" style="document"/>'
        f'<wsdl:input name="{operation}Request"><soap:body use="literal"/></wsdl:input>'
        f'<wsdl:output name="{operation}Response"><soap:body use="literal"/></wsdl:output>'
        "</wsdl:operation>"
        for operation in spec.operations
    )
    document = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<wsdl:definitions xmlns:wsdl="{_WSDL}" xmlns:soap="{_SOAP}" xmlns:tns="{spec.namespace}" '
        f'xmlns:ns1="{SERVICE_NS}" name="{spec.service}" targetNamespace="{spec.namespace}">'
        f'<wsdl:import namespace="{SERVICE_NS}" location={quoteattr(address + "?ns1.wsdl")}/>'
        f'<wsdl:binding name="{spec.binding}" type="ns1:billService">'
        f'<soap:binding style="document" transport="{_HTTP_TRANSPORT}"/>{operations}</wsdl:binding>'
        f'<wsdl:service name="{spec.service}"><wsdl:port name="{spec.port}" binding="tns:{spec.binding}">'
        f"<soap:address location={quoteattr(address)}/></wsdl:port></wsdl:service>"
        "</wsdl:definitions>"
    )
    return document.encode("utf-8")
