"""sendBill as SUNAT answers it: CDRs, exception faults, rejections and observations."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from decimal import Decimal
from io import BytesIO

import pytest
from cryptography import x509
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.verifier import VerifyResult, XMLVerifier
from starlette.applications import Starlette
from starlette.testclient import TestClient
from sunat_sandbox_support import (
    BETA_BILL,
    NS,
    RUC,
    SIGNATURE_PATH,
    Invoice,
    SigningKey,
    cdr_text,
    cdr_xml,
    cdr_zip,
    envelope,
    fault_code,
    fault_string,
    send_bill,
    sign,
    signed_package,
    zip_entries,
)

PRODUCTION_BILL = "/ol-ti-itcpfegem/billService"
OSE_BILL = "/ol-ti-itcpe/billService"


def _post(client: TestClient, body: bytes, path: str = BETA_BILL) -> tuple[int, bytes]:
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": "urn:sendBill"}
    response = client.post(path, content=body, headers=headers)
    assert response.headers["content-type"] == "text/xml;charset=UTF-8"
    return response.status_code, response.content


def _send(
    client: TestClient, invoice: Invoice, signing_key: SigningKey, path: str = BETA_BILL
) -> tuple[int, bytes]:
    return _post(client, send_bill(*signed_package(invoice, signing_key)), path)


def test_factura_is_accepted_with_a_signed_cdr_zipped_like_sunat(
    client: TestClient, app: Starlette, signing_key: SigningKey
) -> None:
    status, body = _send(client, Invoice(lines=10), signing_key)

    assert status == 200
    archive = zipfile.ZipFile(BytesIO(cdr_zip(body)))
    assert [info.filename for info in archive.infolist()] == ["dummy/", f"R-{RUC}-01-F001-1.xml"]
    assert archive.infolist()[0].is_dir()
    xml = cdr_xml(cdr_zip(body))
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = etree.fromstring(xml)
    assert etree.QName(root).localname == "ApplicationResponse"
    assert cdr_text(xml, "cbc:UBLVersionID") == "2.0"
    assert cdr_text(xml, "cbc:CustomizationID") == "1.0"
    assert cdr_text(xml, "cbc:ID").isdigit()
    assert cdr_text(xml, "cbc:IssueDate") == "2026-01-15T10:20:30"
    assert cdr_text(xml, "cac:Signature/cbc:ID") == "SignSUNAT"
    assert cdr_text(xml, "cac:SenderParty/cac:PartyIdentification/cbc:ID") == "20131312955"
    assert cdr_text(xml, "cac:ReceiverParty/cac:PartyIdentification/cbc:ID") == RUC
    response = "cac:DocumentResponse/cac:Response/"
    assert cdr_text(xml, response + "cbc:ReferenceID") == "F001-1"
    assert cdr_text(xml, response + "cbc:ResponseCode") == "0"
    assert cdr_text(xml, response + "cbc:Description") == "La Factura numero F001-1, ha sido aceptada"
    assert cdr_text(xml, "cac:DocumentResponse/cac:DocumentReference/cbc:ID") == "F001-1"
    recipient = "cac:DocumentResponse/cac:RecipientParty/cac:PartyIdentification/cbc:ID"
    assert cdr_text(xml, recipient) == "6-20603343710"
    assert root.find("cbc:Note", NS) is None

    certificate = x509.load_pem_x509_certificate(app.state.sandbox.certificate_pem)
    assert certificate.subject.rfc4514_string().startswith("CN=SUNAT SANDBOX")
    verified = XMLVerifier().verify(xml, x509_cert=certificate)
    assert isinstance(verified, VerifyResult)
    assert verified.signed_xml is not None
    assert etree.QName(verified.signed_xml).localname == "ApplicationResponse"


def test_boleta_is_accepted(client: TestClient, signing_key: SigningKey) -> None:
    boleta = Invoice(
        tipo="03", document_id="B001-25", customer_scheme="1", customer_id="12345678", forma_pago=False
    )
    status, body = _send(client, boleta, signing_key)

    assert status == 200
    xml = cdr_xml(cdr_zip(body))
    assert cdr_text(xml, "cac:DocumentResponse/cac:Response/cbc:Description") == (
        "La Boleta numero B001-25, ha sido aceptada"
    )
    recipient = "cac:DocumentResponse/cac:RecipientParty/cac:PartyIdentification/cbc:ID"
    assert cdr_text(xml, recipient) == "1-12345678"


@pytest.mark.parametrize(
    ("invoice", "description"),
    [
        (
            Invoice(tipo="07", root="CreditNote", document_id="FC01-3"),
            "La Nota de Credito numero FC01-3, ha sido aceptada",
        ),
        (
            Invoice(tipo="08", root="DebitNote", document_id="BD01-4"),
            "La Nota de Debito numero BD01-4, ha sido aceptada",
        ),
    ],
)
def test_notes_are_accepted(
    client: TestClient, signing_key: SigningKey, invoice: Invoice, description: str
) -> None:
    status, body = _send(client, invoice, signing_key)

    assert status == 200
    assert (
        cdr_text(cdr_xml(cdr_zip(body)), "cac:DocumentResponse/cac:Response/cbc:Description") == description
    )


@pytest.mark.parametrize("path", [BETA_BILL, PRODUCTION_BILL, "/ol-ti-itcpgem-sqa/billService", OSE_BILL])
def test_every_bill_service_path_answers(client: TestClient, signing_key: SigningKey, path: str) -> None:
    status, _ = _send(client, Invoice(), signing_key, path)
    assert status == 200


def test_zero_padded_number_in_the_name_is_the_same_document(
    client: TestClient, app: Starlette, signing_key: SigningKey
) -> None:
    invoice = Invoice(document_id="F001-7")
    status, _ = _post(client, send_bill(*signed_package(invoice, signing_key, f"{RUC}-01-F001-00000007")))

    assert status == 200
    [document] = app.state.sandbox.documents()
    assert (document.serie, document.numero, document.estado) == ("F001", 7, "aceptado")


def test_operation_prefix_and_qualified_children_do_not_matter(
    client: TestClient, signing_key: SigningKey
) -> None:
    file_name, zip_bytes = signed_package(Invoice(), signing_key)
    body = send_bill(file_name, zip_bytes).replace(b"ser:", b"x:").replace(b"xmlns:ser=", b"xmlns:x=")
    body = body.replace(b"<fileName>", b"<x:fileName>").replace(b"</fileName>", b"</x:fileName>")
    status, _ = _post(client, body)
    assert status == 200


def _zip_case(name: str) -> tuple[str, bytes]:
    base = f"{RUC}-01-F001-1"
    xml = b"<Invoice/>"
    cases: dict[str, tuple[str, bytes]] = {
        "0151-extension": (f"{base}.rar", zip_entries((f"{base}.xml", xml))),
        "0151-ruc": ("2012345678-01-F001-1.zip", zip_entries((f"{base}.xml", xml))),
        "0151-ruc-start": ("30123456789-01-F001-1.zip", zip_entries((f"{base}.xml", xml))),
        "0151-tipo": (f"{RUC}-09-T001-1.zip", zip_entries((f"{base}.xml", xml))),
        "0152": (f"{RUC}-RC-20260115-1.zip", zip_entries((f"{base}.xml", xml))),
        "0155": (f"{base}.zip", b""),
        "0156": (f"{base}.zip", b"this is not a zip file"),
        "0157": (f"{base}.zip", zip_entries(("dummy/", b""))),
        "0158": (f"{base}.zip", zip_entries((f"{base}.xml", xml), (f"{RUC}-01-F001-2.xml", xml))),
        "0159": (f"{base}.zip", zip_entries(("factura.xml", xml))),
        "0160": (f"{base}.zip", zip_entries((f"{base}.xml", b""))),
        "0161": (f"{base}.zip", zip_entries((f"{RUC}-01-F001-2.xml", xml))),
        "0306": (f"{base}.zip", zip_entries((f"{base}.xml", b"<Invoice><unclosed></Invoice>"))),
    }
    return cases[name]


@pytest.mark.parametrize(
    "case",
    [
        *("0151-extension", "0151-ruc", "0151-ruc-start", "0151-tipo", "0152"),
        *("0155", "0156", "0157", "0158", "0159", "0160", "0161", "0306"),
    ],
)
def test_zip_and_name_errors_are_exception_faults(client: TestClient, app: Starlette, case: str) -> None:
    status, body = _post(client, send_bill(*_zip_case(case)))

    assert status == 500
    assert fault_code(body) == f"soap-env:Client.{case[:4]}"
    assert app.state.sandbox.documents() == []


def test_directories_in_the_zip_do_not_count_as_files(client: TestClient, signing_key: SigningKey) -> None:
    base = f"{RUC}-01-F001-1"
    xml = sign(Invoice().element(), signing_key)
    status, _ = _post(client, send_bill(f"{base}.zip", zip_entries(("dummy/", b""), (f"{base}.xml", xml))))
    assert status == 200


@pytest.mark.parametrize(
    ("invoice", "base", "code"),
    [
        (Invoice(ruc="20999999999"), f"{RUC}-01-F001-1", "1034"),
        (Invoice(document_id="F002-1"), f"{RUC}-01-F001-1", "1035"),
        (Invoice(document_id="F001-2"), f"{RUC}-01-F001-1", "1036"),
        (Invoice(type_code="03"), f"{RUC}-01-F001-1", "1003"),
        (Invoice(tipo="03", document_id="F001-1"), f"{RUC}-03-F001-1", "1001"),
    ],
)
def test_name_and_content_mismatches_are_exception_faults(
    client: TestClient, app: Starlette, signing_key: SigningKey, invoice: Invoice, base: str, code: str
) -> None:
    status, body = _post(client, send_bill(*signed_package(invoice, signing_key, base)))

    assert status == 500
    assert fault_code(body) == f"soap-env:Client.{code}"
    assert "INFO: " + code in fault_string(body)
    assert app.state.sandbox.documents() == []


def test_a_document_whose_root_is_not_the_type_of_its_name_cannot_be_parsed(
    client: TestClient, signing_key: SigningKey
) -> None:
    status, body = _post(
        client, send_bill(*signed_package(Invoice(tipo="07", document_id="F001-1"), signing_key))
    )
    assert status == 500
    assert fault_code(body) == "soap-env:Client.0306"


def test_tampered_document_is_rejected_as_altered(
    client: TestClient, app: Starlette, signing_key: SigningKey
) -> None:
    base = f"{RUC}-01-F001-1"
    signed = sign(Invoice().element(), signing_key)
    tampered = signed.replace(
        b'<cbc:PayableAmount currencyID="PEN">118.00', b'<cbc:PayableAmount currencyID="PEN">11.80'
    )
    assert tampered != signed

    status, body = _post(client, send_bill(f"{base}.zip", zip_entries((f"{base}.xml", tampered))))

    assert status == 200
    xml = cdr_xml(cdr_zip(body))
    assert cdr_text(xml, "cac:DocumentResponse/cac:Response/cbc:ResponseCode") == "2335"
    assert cdr_text(xml, "cac:DocumentResponse/cac:Response/cbc:Description").startswith(
        "El documento electrónico ingresado ha sido alterado - Detalle: "
    )
    [document] = app.state.sandbox.documents()
    assert (document.estado, document.response_code) == ("rechazado", "2335")


@pytest.mark.parametrize(
    ("algorithms", "code"),
    [
        (
            (
                SignatureMethod.RSA_SHA512,
                DigestAlgorithm.SHA512,
                CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0_WITH_COMMENTS,
            ),
            "0",
        ),
        (
            (
                SignatureMethod.RSA_SHA256,
                DigestAlgorithm.SHA256,
                CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
            ),
            "0",
        ),
        (
            (
                SignatureMethod.RSA_SHA256,
                DigestAlgorithm.SHA256,
                CanonicalizationMethod.CANONICAL_XML_1_0_WITH_COMMENTS,
            ),
            "0",
        ),
        (
            (SignatureMethod.RSA_SHA384, DigestAlgorithm.SHA256, CanonicalizationMethod.CANONICAL_XML_1_0),
            "2335",
        ),
        (
            (SignatureMethod.RSA_SHA256, DigestAlgorithm.SHA256, CanonicalizationMethod.CANONICAL_XML_1_1),
            "2335",
        ),
    ],
)
def test_signature_algorithms_sunat_accepts(
    client: TestClient,
    signing_key: SigningKey,
    algorithms: tuple[SignatureMethod, DigestAlgorithm, CanonicalizationMethod],
    code: str,
) -> None:
    base = f"{RUC}-01-F001-1"
    xml = sign(Invoice().element(), signing_key, algorithms=algorithms)
    status, body = _post(client, send_bill(f"{base}.zip", zip_entries((f"{base}.xml", xml))))
    assert status == 200
    assert cdr_text(cdr_xml(cdr_zip(body)), "cac:DocumentResponse/cac:Response/cbc:ResponseCode") == code


def test_signature_without_id_breaks_the_firma_sheet(client: TestClient, signing_key: SigningKey) -> None:
    base = f"{RUC}-01-F001-1"
    xml = sign(Invoice().element(), signing_key, signature_id=None)
    status, body = _post(client, send_bill(f"{base}.zip", zip_entries((f"{base}.xml", xml))))
    assert status == 200
    assert cdr_text(cdr_xml(cdr_zip(body)), "cac:DocumentResponse/cac:Response/cbc:ResponseCode") == "2085"


def test_unsigned_document_is_rejected(client: TestClient) -> None:
    base = f"{RUC}-01-F001-1"
    root = Invoice().element()
    content = root.find(SIGNATURE_PATH.rsplit("/", 1)[0], NS)
    assert content is not None
    content.clear()
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    status, body = _post(client, send_bill(f"{base}.zip", zip_entries((f"{base}.xml", xml))))
    assert status == 200
    assert cdr_text(cdr_xml(cdr_zip(body)), "cac:DocumentResponse/cac:Response/cbc:ResponseCode") == "2085"


def test_resending_an_accepted_document_is_1033(
    client: TestClient, app: Starlette, signing_key: SigningKey
) -> None:
    request = send_bill(*signed_package(Invoice(), signing_key))
    assert _post(client, request)[0] == 200

    status, body = _post(client, request)

    assert status == 500
    assert fault_code(body) == "soap-env:Client.1033"
    assert fault_string(body).startswith(
        "El comprobante fue registrado previamente con otros datos - Detalle: "
    )
    assert len(app.state.sandbox.documents()) == 1


def test_resending_a_rejected_number_is_1032(client: TestClient, signing_key: SigningKey) -> None:
    assert _send(client, Invoice(payable_delta=Decimal(50)), signing_key)[0] == 200

    status, body = _send(client, Invoice(), signing_key)

    assert status == 500
    assert fault_code(body) == "soap-env:Client.1032"


def test_rejection_in_production_mode_is_a_cdr_with_the_code(
    client: TestClient, app: Starlette, signing_key: SigningKey
) -> None:
    status, body = _send(client, Invoice(payable_delta=Decimal("1.50")), signing_key)

    assert status == 200
    xml = cdr_xml(cdr_zip(body))
    assert cdr_text(xml, "cac:DocumentResponse/cac:Response/cbc:ResponseCode") == "3280"
    description = cdr_text(xml, "cac:DocumentResponse/cac:Response/cbc:Description")
    assert description.startswith(
        "El importe total del comprobante no coincide con el valor calculado - Detalle: "
    )
    assert 'INFO: 3280 (nodo: "cac:LegalMonetaryTotal/cbc:PayableAmount" valor: "119.50")' in description
    [document] = app.state.sandbox.documents()
    assert (document.estado, document.response_code) == ("rechazado", "3280")


def test_rejection_in_beta_mode_is_a_fault_and_still_consumes_the_number(
    make_app: Callable[..., Starlette], signing_key: SigningKey
) -> None:
    app = make_app(mode="beta")
    with TestClient(app) as client:
        status, body = _send(client, Invoice(payable_delta=Decimal(5)), signing_key)

        assert status == 500
        assert fault_code(body) == "soap-env:Client.3280"
        [document] = app.state.sandbox.documents()
        assert document.estado == "rechazado"
        assert fault_code(_send(client, Invoice(), signing_key)[1]) == "soap-env:Client.1032"


def test_payable_amount_within_one_sol_is_accepted(client: TestClient, signing_key: SigningKey) -> None:
    assert _send(client, Invoice(payable_delta=Decimal("0.99")), signing_key)[0] == 200


def test_boleta_total_mismatch_is_only_an_observation(
    client: TestClient, app: Starlette, signing_key: SigningKey
) -> None:
    boleta = Invoice(
        tipo="03",
        document_id="B001-1",
        customer_scheme="1",
        customer_id="12345678",
        payable_delta=Decimal(10),
    )
    status, body = _send(client, boleta, signing_key)

    assert status == 200
    xml = cdr_xml(cdr_zip(body))
    assert cdr_text(xml, "cac:DocumentResponse/cac:Response/cbc:ResponseCode") == "0"
    notes = [note.text for note in etree.fromstring(xml).findall("cbc:Note", NS)]
    assert notes == [
        "4312 - El importe total del comprobante no coincide con el valor calculado - "
        'INFO: 4312 (nodo: "cac:LegalMonetaryTotal/cbc:PayableAmount" valor: "128.00")'
    ]
    [document] = app.state.sandbox.documents()
    assert document.estado == "aceptado"
    assert document.notes == tuple(notes)


@pytest.mark.parametrize(
    ("invoice", "code"),
    [
        (Invoice(customization="1.0"), "2072"),
        (Invoice(customer_scheme="1", customer_id="12345678"), "2800"),
        (Invoice(igv_delta=Decimal(2)), "3291"),
        (Invoice(operation=None), "3205"),
        (Invoice(forma_pago=False), "3244"),
    ],
)
def test_factura_business_rules_reject(
    client: TestClient, signing_key: SigningKey, invoice: Invoice, code: str
) -> None:
    status, body = _send(client, invoice, signing_key)
    assert status == 200
    assert cdr_text(cdr_xml(cdr_zip(body)), "cac:DocumentResponse/cac:Response/cbc:ResponseCode") == code


def test_export_factura_may_have_a_foreign_customer(client: TestClient, signing_key: SigningKey) -> None:
    invoice = Invoice(operation="0200", customer_scheme="0", customer_id="-")
    assert (
        cdr_text(
            cdr_xml(cdr_zip(_send(client, invoice, signing_key)[1])),
            "cac:DocumentResponse/cac:Response/cbc:ResponseCode",
        )
        == "0"
    )


def test_boleta_igv_mismatch_is_an_observation(client: TestClient, signing_key: SigningKey) -> None:
    boleta = Invoice(
        tipo="03", document_id="B001-2", customer_scheme="1", customer_id="1", igv_delta=Decimal(3)
    )
    xml = cdr_xml(cdr_zip(_send(client, boleta, signing_key)[1]))
    assert cdr_text(xml, "cac:DocumentResponse/cac:Response/cbc:ResponseCode") == "0"
    assert cdr_text(xml, "cbc:Note").startswith("4290 - El cálculo del IGV es Incorrecto")


def test_doctype_in_the_document_is_refused_with_0306(client: TestClient, app: Starlette) -> None:
    base = f"{RUC}-01-F001-1"
    xml = b'<?xml version="1.0"?><!DOCTYPE Invoice [<!ENTITY x "boom">]><Invoice>&x;</Invoice>'
    status, body = _post(client, send_bill(f"{base}.zip", zip_entries((f"{base}.xml", xml))))

    assert status == 500
    assert fault_code(body) == "soap-env:Client.0306"
    assert "DOCTYPE" in fault_string(body)
    assert app.state.sandbox.documents() == []


def test_doctype_in_the_envelope_is_refused(client: TestClient) -> None:
    body = b'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>' + envelope(
        "sendBill", {"fileName": "&b;", "contentFile": ""}
    )
    status, answer = _post(client, body)
    assert status == 500
    assert fault_code(answer) == "soap-env:Client"
    assert "DOCTYPE" in fault_string(answer)


def test_send_pack_is_refused_with_0153(client: TestClient) -> None:
    status, body = _post(
        client, envelope("sendPack", {"fileName": f"{RUC}-LT-20260115-1.zip", "contentFile": "UEs="})
    )
    assert status == 500
    assert fault_code(body) == "soap-env:Client.0153"


def test_malformed_envelope_is_a_client_fault(client: TestClient) -> None:
    status, body = _post(client, b"<not-soap/>")
    assert status == 500
    assert fault_code(body) == "soap-env:Client"
