"""The SOAP gateway: an ERP that signs its own UBL talks to OpenPSE as it would to SUNAT.

The client is zeep, built from SUNAT's own WSDL in ../shared (an independent SOAP
implementation), over real HTTP to OpenPSE, which forwards to the SUNAT sandbox.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
import zeep
from lxml import etree
from zeep.exceptions import Fault
from zeep.wsse.username import UsernameToken

from openpse import demo
from openpse.api.app import create_app
from openpse.authorities.sunat.authority import SunatAuthority
from openpse.authorities.sunat.naming import zip_single
from openpse.authorities.sunat.resumenes import ComunicacionBaja, Emisor, LineaBaja, sign_summary
from openpse.core.timeutil import now_lima
from openpse.gateway import GATEWAY_PATH, router
from tests_support import ThreadedServer, boleta, demo_empresa, factura, shared_path

BINDING = "{http://service.gem.factura.comppago.registro.servicio.sunat.gob.pe/}BillServicePortBinding"
HOY = now_lima().date()


@pytest.fixture
def openpse_url(runtime) -> Iterator[str]:
    app = create_app(runtime, start_workers=2)
    if not any(getattr(r, "path", None) == GATEWAY_PATH for r in app.routes):
        app.include_router(router)
    with ThreadedServer(app) as server:
        yield server.url


def _client(url: str, user: str = f"{demo.DEMO_RUC}{demo.DEMO_USER}", password: str = "demo-secret") -> Any:
    client = zeep.Client(
        str(shared_path("sunat", "wsdl", "billService.wsdl")), wsse=UsernameToken(user, password)
    )
    return client.create_service(BINDING, f"{url}{GATEWAY_PATH}")


def _erp_signed(test_certificate, body: dict[str, Any]) -> tuple[str, bytes]:
    """What an ERP produces on its own: a signed, zipped comprobante."""
    authority = SunatAuthority(httpx2.Client(), "http://127.0.0.1:9")
    prepared = authority.prepare(authority.parse(body), body["numero"], demo_empresa(test_certificate), HOY)
    return prepared.envio_name, prepared.envio


def _cdr_code(cdr_zip: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(cdr_zip)) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".xml"))
        root = etree.fromstring(archive.read(name))
    return root.findtext(
        ".//{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}ResponseCode"
    )


def test_send_bill_returns_sunats_cdr(openpse_url, test_certificate, api, auth):
    name, content = _erp_signed(test_certificate, factura(numero=101))
    cdr = _client(openpse_url).sendBill(fileName=name, contentFile=content)
    assert _cdr_code(cdr) == "0"
    # The document is OpenPSE's now too: state, XML (the ERP's bytes), CDR.
    doc = api.get("/v1/comprobantes/20000000001-01-F001-101", headers=auth).json()
    assert doc["estado"] == "aceptado"
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sent = archive.read(archive.namelist()[0])
    assert api.get(doc["enlaces"]["xml"], headers=auth).content == sent


def test_the_same_zip_again_returns_the_cdr_and_other_content_is_1033(openpse_url, test_certificate):
    service = _client(openpse_url)
    name, content = _erp_signed(test_certificate, factura(numero=102))
    first = service.sendBill(fileName=name, contentFile=content)
    assert service.sendBill(fileName=name, contentFile=content) == first
    other_name, other = _erp_signed(test_certificate, factura(numero=102, observaciones="otra"))
    with pytest.raises(Fault) as info:
        service.sendBill(fileName=other_name, contentFile=other)
    assert info.value.code.endswith("1033")


@pytest.mark.parametrize(
    ("user", "password"),
    [
        (f"{demo.DEMO_RUC}{demo.DEMO_USER}", "otra"),
        (f"20100070970{demo.DEMO_USER}", "demo-secret"),
        ("x", "y"),
    ],
)
def test_wrong_credentials_are_0102(openpse_url, test_certificate, user, password):
    name, content = _erp_signed(test_certificate, factura(numero=103))
    with pytest.raises(Fault) as info:
        _client(openpse_url, user, password).sendBill(fileName=name, contentFile=content)
    assert info.value.code.endswith("0102")


def test_another_issuers_file_is_0154(openpse_url, test_certificate):
    name, content = _erp_signed(test_certificate, factura(numero=104))
    with pytest.raises(Fault) as info:
        _client(openpse_url).sendBill(
            fileName=name.replace(demo.DEMO_RUC, "20100070970"), contentFile=content
        )
    assert info.value.code.endswith("0154")


def test_a_broken_signature_is_2335(openpse_url, test_certificate):
    name, content = _erp_signed(test_certificate, factura(numero=105))
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        entry = archive.namelist()[0]
        xml = archive.read(entry).replace(b">Producto<", b">Producto alterado<")
    with pytest.raises(Fault) as info:
        _client(openpse_url).sendBill(fileName=name, contentFile=zip_single(entry, xml))
    assert info.value.code.endswith("2335")


@pytest.mark.parametrize(
    ("content", "code"),
    [(b"no es un zip", "0156"), (zip_single("otro-nombre.xml", b"<x/>"), "0161")],
)
def test_zip_checks_come_in_sunats_order(openpse_url, content, code):
    with pytest.raises(Fault) as info:
        _client(openpse_url).sendBill(fileName="20000000001-01-F001-106.zip", contentFile=content)
    assert info.value.code.endswith(code)


def test_a_boleta_goes_through_too(openpse_url, test_certificate):
    name, content = _erp_signed(test_certificate, boleta(numero=107))
    assert _cdr_code(_client(openpse_url).sendBill(fileName=name, contentFile=content)) == "0"


def test_send_summary_gives_a_ticket_and_get_status_the_cdr(openpse_url, test_certificate, api, auth):
    service = _client(openpse_url)
    name, content = _erp_signed(test_certificate, factura(numero=108))
    service.sendBill(fileName=name, contentFile=content)
    baja = ComunicacionBaja(
        Emisor(demo.DEMO_RUC, demo.DEMO_RAZON_SOCIAL),
        HOY,
        HOY,
        7,
        (LineaBaja("01", "F001", 108, "Error de emisión"),),
    )
    signed = sign_summary(baja, test_certificate)
    ticket = service.sendSummary(fileName=signed.zip_name, contentFile=signed.zip)
    assert ticket.isdigit()
    status = None
    for _ in range(60):
        status = service.getStatus(ticket=ticket)
        if status.statusCode != "98":
            break
        time.sleep(0.5)
    assert status is not None
    assert status.statusCode == "0", status
    assert _cdr_code(status.content) == "0"
    # OpenPSE linked the annulment to the factura it holds.
    doc = api.get("/v1/comprobantes/20000000001-01-F001-108", headers=auth, params={"espera": 10}).json()
    assert doc["estado"] == "anulado"


def test_an_unknown_ticket_is_0127(openpse_url):
    status = _client(openpse_url).getStatus(ticket="123")
    assert status.statusCode == "0127"


def test_the_wsdl_is_served(openpse_url):
    answer = httpx2.get(f"{openpse_url}{GATEWAY_PATH}?wsdl")
    assert answer.status_code == 200
    assert b"BillServicePortBinding" in answer.content
