"""Reading CDRs and SOAP answers exactly as SUNAT and OSEs send them (recorded samples)."""

from __future__ import annotations

import base64

import pytest

from openpse.authorities.sunat import codes
from openpse.authorities.sunat.cdr import CdrError, parse_cdr_xml, parse_cdr_zip
from openpse.authorities.sunat.naming import zip_single
from openpse.authorities.sunat.soap import SoapFault, TransportError, parse_response
from tests_support import shared_path

MINIMAL_CDR = (
    b'<ar:ApplicationResponse xmlns:ar="urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2" '
    b'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" '
    b'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
    b"<cbc:ID>123</cbc:ID><cbc:Note>4252 - texto - INFO: 4252</cbc:Note>"
    b"<cac:DocumentResponse><cac:Response><cbc:ReferenceID>F001-1</cbc:ReferenceID>"
    b"<cbc:ResponseCode>0</cbc:ResponseCode><cbc:Description>La Factura numero F001-1, ha sido aceptada"
    b"</cbc:Description></cac:Response></cac:DocumentResponse></ar:ApplicationResponse>"
)


def test_minimal_cdr_with_an_observation():
    cdr = parse_cdr_xml(MINIMAL_CDR)
    assert (cdr.response_code, cdr.reference_id, cdr.id) == ("0", "F001-1", "123")
    assert [o.codigo for o in cdr.observaciones] == ["4252"]
    assert cdr.kind is codes.Kind.OBSERVACION


def test_cdr_zip_must_be_a_zip():
    with pytest.raises(CdrError):
        parse_cdr_zip(b"<not-a-zip/>")
    assert parse_cdr_zip(zip_single("R-x.xml", MINIMAL_CDR)).response_code == "0"


def test_cdr_without_response_is_refused():
    with pytest.raises(CdrError):
        parse_cdr_xml(
            b"<ApplicationResponse "
            b"xmlns='urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2'/>"
        )


def test_cdr_with_dtd_is_refused():
    with pytest.raises(CdrError):
        parse_cdr_xml(b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>')


def test_recorded_beta_sendbill_answer():
    answer = parse_response(
        shared_path("sunat", "samples", "soap", "bill_service_response_ok.xml").read_bytes(), "sendBill"
    )
    content = next(el for el in answer.iter() if el.tag == "applicationResponse").text
    cdr = parse_cdr_zip(base64.b64decode(content))
    assert cdr.response_code == "0"
    assert cdr.kind is codes.Kind.ACEPTADO


def test_recorded_fault_gives_the_code_and_message():
    with pytest.raises(SoapFault) as info:
        parse_response(
            shared_path("sunat", "samples", "soap", "bill_service_response_fault.xml").read_bytes(),
            "sendBill",
        )
    assert info.value.code == "0111"
    assert info.value.message.startswith("No tiene el perfil")


def test_recorded_get_status_answer_with_other_prefixes():
    answer = parse_response(
        shared_path("sunat", "samples", "soap", "get_status_response_ok.xml").read_bytes(), "getStatus"
    )
    content = next(el for el in answer.iter() if el.tag == "content").text
    assert parse_cdr_zip(base64.b64decode(content)).response_code == "0"


def test_cdr_with_eight_observations():
    cdr = parse_cdr_xml(
        shared_path("sunat", "samples", "cdr", "openubl", "R-20220557805-01-F001-22Openubl.xml").read_bytes()
    )
    assert len(cdr.observaciones) == 8
    assert cdr.observaciones[0].codigo == "4252"
    assert cdr.kind is codes.Kind.OBSERVACION


def test_ose_cdr_variant_carries_the_document_hash():
    cdr = parse_cdr_xml(shared_path("sunat", "samples", "cdr", "greenter", "efact_cdr1.xml").read_bytes())
    assert cdr.response_code == "0"
    assert cdr.document_hash == "RwNDwdsWs4XMKM4BoTAf5MKh3T8="


def test_cdr_with_an_exception_code_and_a_trailing_dummy_entry():
    cdr = parse_cdr_zip(shared_path("sunat", "samples", "cdr", "greenter", "cdr-rechazo.zip").read_bytes())
    assert cdr.response_code == "0109"
    assert cdr.kind is codes.Kind.EXCEPCION


def test_iso_8859_1_cdr():
    cdr = parse_cdr_zip(shared_path("sunat", "samples", "cdr", "greenter", "cdrBaja.zip").read_bytes())
    assert cdr.description.startswith("La Comunicación de baja")


@pytest.mark.parametrize(
    ("faultcode", "faultstring", "expected"),
    [
        ("soap-env:Client.0111", "x", "0111"),
        ("a:Client.0103", "x", "0103"),
        ("ns0:0103", "x", "0103"),
        ("soap-env:Server.200", "store:///notfound", "0200"),
        ("env:Client", "El comprobante fue registrado previamente - 1033", "1033"),
        ("env:Client", "Internal Error", "0100"),
    ],
)
def test_fault_codes_whatever_the_prefix(faultcode, faultstring, expected):
    body = (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>'
        f"<faultcode>{faultcode}</faultcode><faultstring>{faultstring}</faultstring></s:Fault></s:Body></s:Envelope>"
    ).encode()
    with pytest.raises(SoapFault) as info:
        parse_response(body, "sendBill")
    assert info.value.code == expected


@pytest.mark.parametrize("body", [b"", b"   ", b"<html>502 Bad Gateway</html>", b"not xml"])
def test_empty_or_foreign_answers_are_transport_errors(body):
    with pytest.raises(TransportError):
        parse_response(body, "sendBill")


def test_code_ranges():
    assert codes.kind("0") is codes.Kind.ACEPTADO
    assert codes.kind("0098") is codes.Kind.EXCEPCION
    assert codes.kind("2335") is codes.Kind.RECHAZO
    assert codes.kind("4252") is codes.Kind.OBSERVACION
    assert codes.normalize("98") == "0098"
    assert codes.message("2335") == "El documento electrónico ingresado ha sido alterado"
