"""Every place that reads XML or a zip from outside refuses DTDs, entities, external
references, oversize input, zip bombs and path traversal.

XML entry points: the API (``POST /v1/comprobantes`` as application/xml and text/xml,
``POST /v1/firma``), the answers of the authorities (SOAP envelopes, CDRs), the PDF
renderer, and the SUNAT emulator's own endpoint. Zip entry points (``grep -rn zipfile
src/``): the CDR zips SUNAT and OSEs send (``naming.first_xml_in_zip`` through
``cdr.parse_cdr_zip``, also used by the PDF renderer) and the zips the emulator receives
(``sandbox.sunat.package.extract_xml``). None of them writes an entry to disk.
"""

from __future__ import annotations

import base64
import io
import os
import struct
import time
import tracemalloc
import zipfile

import httpx2
import pytest
from lxml import etree

from openpse.authorities.sunat import soap
from openpse.authorities.sunat.cdr import CdrError, parse_cdr_xml, parse_cdr_zip
from openpse.authorities.sunat.naming import first_xml_in_zip
from openpse.authorities.sunat.pasarela import GatewayFault, receive
from openpse.core import xmlsafe
from openpse.render import RenderError, render_pdf
from openpse.sandbox import _xml as sandbox_xml
from openpse.sandbox.sunat import package
from openpse.sandbox.sunat.errors import SunatException
from tests_support import factura

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol4;</Invoice>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&x;</Invoice>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE Invoice SYSTEM "http://127.0.0.1:9/evil.dtd">
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>"""
PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>"""
UTF16_DOCTYPE = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>'.encode(
    "utf-16"
)
UNDECLARED_ENTITY = b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&x;</Invoice>'
XINCLUDE = b"""<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="file:///etc/passwd" parse="text"/></Invoice>"""

HOSTILE = {
    "billion_laughs": LAUGHS,
    "entidad_externa": EXTERNAL_ENTITY,
    "dtd_externa": EXTERNAL_DTD,
    "entidad_de_parametro": PARAMETER_ENTITY,
    "doctype_utf16": UTF16_DOCTYPE,
    "entidad_no_declarada": UNDECLARED_ENTITY,
}
DOCTYPES = {k: v for k, v in HOSTILE.items() if k != "entidad_no_declarada"}


REMOTE_PARSERS = {
    "cdr": (parse_cdr_xml, CdrError),
    "respuesta_soap": (lambda data: soap.parse_response(data, "sendBill"), soap.TransportError),
    "representacion_impresa": (lambda data: render_pdf(data), RenderError),
    "emulador": (sandbox_xml.parse, sandbox_xml.XmlRefused),
}


@pytest.mark.parametrize("payload", sorted(HOSTILE), ids=str)
@pytest.mark.parametrize("parser", sorted(REMOTE_PARSERS), ids=str)
def test_xml_from_the_authorities_is_refused_when_hostile(parser, payload):
    parse, error = REMOTE_PARSERS[parser]
    started = time.monotonic()
    with pytest.raises(error):
        parse(HOSTILE[payload])
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize("payload", sorted(DOCTYPES), ids=str)
def test_the_safe_parser_refuses_every_doctype(payload):
    with pytest.raises(xmlsafe.UnsafeXml):
        xmlsafe.parse(DOCTYPES[payload])


def test_xinclude_is_never_processed():
    root = xmlsafe.parse(XINCLUDE)
    assert root[0].tag == "{http://www.w3.org/2001/XInclude}include"
    assert b"root:" not in etree.tostring(root)


def test_oversize_xml_is_refused_before_parsing():
    big = b"<r>" + b"a" * (xmlsafe.MAX_XML_BYTES + 1) + b"</r>"
    with pytest.raises(xmlsafe.UnsafeXml):
        xmlsafe.parse(big)


@pytest.mark.parametrize("payload", sorted(HOSTILE), ids=str)
@pytest.mark.parametrize("media", ["application/xml", "text/xml", "application/xml; charset=utf-16"])
def test_the_api_refuses_hostile_xml_documents(api, auth, payload, media):
    response = api.post("/v1/comprobantes", content=HOSTILE[payload], headers={**auth, "Content-Type": media})
    assert response.status_code == 400, response.text
    expected = "PSE-0006" if payload == "entidad_no_declarada" else "PSE-0005"
    assert response.json()["errors"][0]["codError"] == expected
    assert "root:" not in response.text


@pytest.mark.parametrize("payload", sorted(HOSTILE), ids=str)
def test_the_signing_endpoint_refuses_hostile_xml(api, auth, payload):
    body = {"xml": base64.b64encode(HOSTILE[payload]).decode()}
    response = api.post("/v1/firma", json=body, headers=auth)
    assert response.status_code == 400, response.text
    assert "root:" not in response.text


def test_the_api_refuses_oversize_bodies_before_reading_them(api, auth, runtime):
    limit = runtime.settings.max_body_bytes
    big = b"<Invoice>" + b" " * limit + b"</Invoice>"
    response = api.post("/v1/comprobantes", content=big, headers={**auth, "Content-Type": "application/xml"})
    assert response.status_code == 413
    streamed = api.post(
        "/v1/comprobantes",
        content=iter([big[:1000], big[1000:]]),
        headers={**auth, "Content-Type": "application/xml"},
    )
    assert streamed.status_code == 413


def test_the_emulator_endpoint_refuses_a_doctype_envelope(sandbox_url):
    envelope = (
        b'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>&x;'
        b"</soapenv:Body></soapenv:Envelope>"
    )
    response = httpx2.post(
        f"{sandbox_url}/ol-ti-itcpfegem-beta/billService",
        content=envelope,
        headers={"Content-Type": "text/xml", "SOAPAction": "urn:sendBill"},
    )
    assert response.status_code in (400, 500)
    assert b"root:" not in response.content


# -- zips -------------------------------------------------------------------------------------


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _lying_zip(name: str, real: bytes, declared: int) -> bytes:
    """A zip whose headers declare ``declared`` bytes for an entry that inflates to ``real``."""
    data = bytearray(_zip({name: real}))
    local = data.find(b"PK\x03\x04")
    struct.pack_into("<I", data, local + 22, declared)
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, declared)
    return bytes(data)


BOMB_SIZE = 48 * 1024 * 1024
"""Inflated size of the bombs: over every limit (CDR 10 MB, emulator 32 MB), 48 KB zipped."""


@pytest.fixture(scope="module")
def honest_bomb() -> bytes:
    return _zip({"R-20000000001-01-F001-1.xml": b"\0" * BOMB_SIZE})


@pytest.fixture(scope="module")
def lying_bomb() -> bytes:
    return _lying_zip("R-20000000001-01-F001-1.xml", b"<a>" + b" " * BOMB_SIZE + b"</a>", 2000)


ZIP_READERS = {
    "cdr": (parse_cdr_zip, CdrError),
    "cdr_en_pdf": (lambda data: render_pdf(_signed_invoice(), cdr=data), RenderError),
    "emulador": (lambda data: package.extract_xml(data, "20000000001-01-F001-1"), SunatException),
}


def _signed_invoice() -> bytes:
    return _SIGNED["xml"]


_SIGNED: dict[str, bytes] = {}


@pytest.fixture(scope="module", autouse=True)
def signed_invoice(tmp_path_factory, sandbox_server, test_certificate):
    from starlette.testclient import TestClient

    from openpse.api.app import create_app
    from tests_support import make_runtime, token_for

    runtime = make_runtime(tmp_path_factory.mktemp("zip-xml"), sandbox_server[0], test_certificate)
    with TestClient(create_app(runtime)) as client:
        headers = token_for(client)
        doc = client.post(
            "/v1/comprobantes", json=factura(numero=1), headers=headers, params={"enviar": "false"}
        )
        _SIGNED["xml"] = client.get(doc.json()["enlaces"]["xml"], headers=headers).content
    runtime.close()


@pytest.mark.parametrize(
    ("reader", "bomb"),
    [
        pytest.param(reader, bomb, id=f"{bomb}-{reader}")
        for reader in sorted(ZIP_READERS)
        for bomb in ("honest_bomb", "lying_bomb")
    ],
)
def test_zip_bombs_are_refused_without_inflating_them(reader, bomb, request):
    data = request.getfixturevalue(bomb)
    read, error = ZIP_READERS[reader]
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(error):
            read(data)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, f"{peak} bytes en memoria para rechazar {len(data)} bytes"
    assert time.monotonic() - started < 2.0


TRAVERSAL = ["../../../../tmp/openpse-evil.xml", "/tmp/openpse-evil.xml", "..\\..\\openpse-evil.xml"]


@pytest.mark.parametrize("name", TRAVERSAL)
def test_zip_entry_names_never_become_paths(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cdr = _SIGNED["xml"]
    data = _zip({name: cdr})
    before = set(os.listdir("/tmp"))
    found, content = first_xml_in_zip(data)
    assert "/" not in found
    assert content == cdr
    with pytest.raises(SunatException) as refused:
        package.extract_xml(data, "20000000001-01-F001-1")
    assert refused.value.code == "0159"
    assert list(tmp_path.iterdir()) == []
    assert set(os.listdir("/tmp")) - before == set()


def test_a_zip_full_of_entries_is_refused_by_the_emulator():
    data = _zip({f"{i}.xml": b"<a/>" for i in range(2000)})
    with pytest.raises(SunatException) as refused:
        package.extract_xml(data, "20000000001-01-F001-1")
    assert refused.value.code == "0158"


def test_a_corrupt_cdr_zip_is_a_cdr_error_not_a_crash():
    data = bytearray(_zip({"R-1.xml": b"<a/>" * 100}))
    data[40:60] = b"\xff" * 20
    with pytest.raises(CdrError):
        parse_cdr_zip(bytes(data))


@pytest.mark.parametrize("lying", [False, True], ids=["honest_bomb", "lying_bomb"])
def test_the_soap_gateway_refuses_zip_bombs_without_inflating_them(lying):
    name = "20000000001-01-F001-1.xml"
    content = b"<a>" + b" " * BOMB_SIZE + b"</a>"
    data = _lying_zip(name, content, 2000) if lying else _zip({name: content})
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(GatewayFault) as info:
            receive("20000000001-01-F001-1.zip", data, "20000000001", summary=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.code == "0156"
    assert peak < 32 * 1024 * 1024
    assert time.monotonic() - started < 5
