"""sendSummary and getStatus: Resúmenes diarios (RC) and Comunicaciones de baja (RA) by ticket."""

from __future__ import annotations

import base64
import datetime as dt
import zipfile
from collections.abc import Callable
from decimal import Decimal
from io import BytesIO

import pytest
from lxml import etree
from starlette.applications import Starlette
from starlette.testclient import TestClient
from sunat_sandbox_support import (
    BETA_BILL,
    NS,
    RUC,
    DailySummary,
    Invoice,
    SigningKey,
    SummaryLine,
    Voided,
    VoidedLine,
    cdr_text,
    cdr_xml,
    child,
    fault_code,
    fault_string,
    get_status,
    lima_today,
    send_bill,
    send_summary,
    sign,
    signed_package,
    signed_zip,
    ticket_of,
    ticket_status,
    zip_entries,
)

RESPONSE_CODE = "cac:DocumentResponse/cac:Response/cbc:ResponseCode"
DESCRIPTION = "cac:DocumentResponse/cac:Response/cbc:Description"
TODAY = lima_today()


def _post(client: TestClient, body: bytes) -> tuple[int, bytes]:
    response = client.post(BETA_BILL, content=body, headers={"SOAPAction": "urn:sendSummary"})
    return response.status_code, response.content


def _send(client: TestClient, document: DailySummary | Voided, signing_key: SigningKey) -> str:
    status, body = _post(client, send_summary(*signed_zip(document, signing_key)))
    assert status == 200, body[:800]
    return ticket_of(body)


def _outcome(client: TestClient, ticket: str) -> tuple[str, bytes]:
    """Poll past the 98s: the final statusCode and the CDR XML."""
    for _ in range(5):
        code, content = ticket_status(_post(client, get_status(ticket))[1])
        if code != "98":
            assert content is not None
            return code, cdr_xml(base64.b64decode(content))
    raise AssertionError("the ticket never finished")


def _code(client: TestClient, document: DailySummary | Voided, signing_key: SigningKey) -> str:
    return cdr_text(_outcome(client, _send(client, document, signing_key))[1], RESPONSE_CODE)


def _issue(client: TestClient, invoice: Invoice, signing_key: SigningKey) -> None:
    response = client.post(BETA_BILL, content=send_bill(*signed_package(invoice, signing_key)))
    assert response.status_code == 200, response.content[:500]


def _boleta(numero: int, issue_date: dt.date = TODAY) -> Invoice:
    return Invoice(
        tipo="03",
        document_id=f"B001-{numero}",
        customer_scheme="1",
        customer_id="12345678",
        forma_pago=False,
        issue_date=issue_date.isoformat(),
    )


def test_resumen_diario_answers_98_then_its_cdr_and_informs_its_boletas(
    client: TestClient, app: Starlette, signing_key: SigningKey
) -> None:
    summary = DailySummary(lines=[SummaryLine("B001-1"), SummaryLine("BC01-2", tipo="07")])
    ticket = _send(client, summary, signing_key)

    assert len(ticket) == 13
    assert ticket.isdigit()
    assert ticket_status(_post(client, get_status(ticket))[1]) == ("98", None)
    code, content = ticket_status(_post(client, get_status(ticket))[1])
    assert code == "0"
    assert content is not None
    archive = zipfile.ZipFile(BytesIO(base64.b64decode(content)))
    assert [info.filename for info in archive.infolist()] == ["dummy/", f"R-{summary.base}.xml"]
    xml = cdr_xml(base64.b64decode(content))
    assert cdr_text(xml, "cbc:ID") == ticket
    assert cdr_text(xml, RESPONSE_CODE) == "0"
    summary_id = f"RC-{TODAY:%Y%m%d}-1"
    assert cdr_text(xml, DESCRIPTION) == f"El Resumen diario {summary_id}, ha sido aceptado"
    assert cdr_text(xml, "cac:DocumentResponse/cac:DocumentReference/cbc:ID") == summary_id
    state = app.state.sandbox
    boleta = state.document(RUC, "03", "B001", 1)
    assert (boleta.estado, boleta.issue_date, boleta.ticket) == ("aceptado", TODAY.isoformat(), ticket)
    assert state.document(RUC, "07", "BC01", 2).estado == "aceptado"
    # Once final, the answer stays.
    assert ticket_status(_post(client, get_status(ticket))[1])[0] == "0"


@pytest.mark.parametrize("polls", [0, 3])
def test_the_number_of_in_process_answers_is_configurable(
    make_app: Callable[..., Starlette], signing_key: SigningKey, polls: int
) -> None:
    with TestClient(make_app(ticket_polls=polls)) as client:
        ticket = _send(client, DailySummary(), signing_key)
        codes = [ticket_status(_post(client, get_status(ticket))[1])[0] for _ in range(polls + 1)]
    assert codes == ["98"] * polls + ["0"]


def test_annulling_a_boleta_by_summary_and_informing_it_again(
    client: TestClient, app: Starlette, signing_key: SigningKey
) -> None:
    assert _code(client, DailySummary(), signing_key) == "0"
    annul = DailySummary(lines=[SummaryLine("B001-1", condition="3")], correlativo="2")
    assert _code(client, annul, signing_key) == "0"
    assert app.state.sandbox.document(RUC, "03", "B001", 1).estado == "anulado"

    again = DailySummary(lines=[SummaryLine("B001-1", condition="1")], correlativo="3")
    assert _code(client, again, signing_key) == "2987"


def test_a_boleta_sent_by_send_bill_cannot_be_informed_again(
    client: TestClient, signing_key: SigningKey
) -> None:
    _issue(client, _boleta(5), signing_key)
    ticket = _send(client, DailySummary(lines=[SummaryLine("B001-5")]), signing_key)
    code, xml = _outcome(client, ticket)
    assert (code, cdr_text(xml, RESPONSE_CODE)) == ("99", "2282")
    assert cdr_text(xml, DESCRIPTION).startswith(
        f"Existe documento ya informado anteriormente - Detalle: xxx.xxx.xxx value='ticket: {ticket} error: "
        'INFO: 2282 (nodo: "sac:SummaryDocumentsLine/cbc:DocumentTypeCode" valor: "B001-5")'
    )


def test_a_rejected_summary_changes_nothing(
    client: TestClient, app: Starlette, signing_key: SigningKey
) -> None:
    summary = DailySummary(lines=[SummaryLine("B001-1"), SummaryLine("B001-2", condition="3")])
    assert _code(client, summary, signing_key) == "2663"
    assert app.state.sandbox.documents() == []


@pytest.mark.parametrize(
    ("summary", "code"),
    [
        (DailySummary(customization="1.0"), "2072"),
        (DailySummary(document_id=f"RC-{TODAY:%Y%m%d}-2"), "2220"),
        (DailySummary(issue_date=f"{TODAY - dt.timedelta(days=1):%Y-%m-%d}"), "2346"),
        (DailySummary(fecha=TODAY + dt.timedelta(days=1)), "2236"),
        (DailySummary(fecha=TODAY - dt.timedelta(days=1), reference_date=TODAY), "2671"),
        (DailySummary(account_type=None), "2219"),
        (DailySummary(account_type="1"), "2218"),
        (DailySummary(registration_name="AB"), "2228"),
        (DailySummary(lines=[SummaryLine(line_id="0")]), "2239"),
        (DailySummary(lines=[SummaryLine(line_id="A")]), "2238"),
        (
            DailySummary(lines=[SummaryLine("B001-1", line_id="1"), SummaryLine("B001-2", line_id="1")]),
            "2752",
        ),
        (DailySummary(lines=[SummaryLine("F001-1")]), "2513"),
        (DailySummary(lines=[SummaryLine("B001-1", tipo="01")]), "2241"),
        (DailySummary(lines=[SummaryLine("B001-1", condition="7")]), "2896"),
        (DailySummary(lines=[SummaryLine("B001-1"), SummaryLine("B001-1")]), "3094"),
        (DailySummary(lines=[SummaryLine("B001-1"), SummaryLine("B001-1", condition="2")]), "3095"),
        (DailySummary(lines=[SummaryLine(total="-5.00")]), "2251"),
    ],
)
def test_resumen_diario_sheet_rules(
    client: TestClient, app: Starlette, signing_key: SigningKey, summary: DailySummary, code: str
) -> None:
    ticket = _send(client, summary, signing_key)
    status, xml = _outcome(client, ticket)
    assert (status, cdr_text(xml, RESPONSE_CODE)) == ("99", code)
    assert app.state.sandbox.documents() == []


def test_modified_and_annulled_in_one_summary_is_3096(client: TestClient, signing_key: SigningKey) -> None:
    assert _code(client, DailySummary(), signing_key) == "0"
    both = DailySummary(
        lines=[SummaryLine("B001-1", condition="2"), SummaryLine("B001-1", condition="3")], correlativo="2"
    )
    assert _code(client, both, signing_key) == "3096"


def test_annulling_a_boleta_after_seven_days_is_2957(client: TestClient, signing_key: SigningKey) -> None:
    old = TODAY - dt.timedelta(days=10)
    _issue(client, _boleta(1, issue_date=old), signing_key)
    annul = DailySummary(lines=[SummaryLine("B001-1", condition="3")], reference_date=old)
    assert _code(client, annul, signing_key) == "2957"


def test_late_summary_is_accepted_with_observation_4443(client: TestClient, signing_key: SigningKey) -> None:
    late = DailySummary(reference_date=TODAY - dt.timedelta(days=9))
    code, xml = _outcome(client, _send(client, late, signing_key))
    assert (code, cdr_text(xml, RESPONSE_CODE)) == ("0", "0")
    notes = [note.text or "" for note in etree.fromstring(xml).findall("cbc:Note", NS)]
    assert len(notes) == 1
    assert notes[0].startswith(
        "4443 - El comprobante fue informado fuera del plazo establecido. - INFO: 4443"
    )


def test_tampered_summary_is_rejected_as_altered(client: TestClient, signing_key: SigningKey) -> None:
    summary = DailySummary()
    signed = sign(summary.element(), signing_key).replace(b">118.00<", b">11.80<")
    request = send_summary(f"{summary.base}.zip", zip_entries((f"{summary.base}.xml", signed)))
    code, xml = _outcome(client, ticket_of(_post(client, request)[1]))
    assert (code, cdr_text(xml, RESPONSE_CODE)) == ("99", "2335")


def test_comunicacion_de_baja_annuls_a_factura(
    client: TestClient, app: Starlette, signing_key: SigningKey
) -> None:
    _issue(client, Invoice(issue_date=TODAY.isoformat()), signing_key)
    baja = Voided()
    code, xml = _outcome(client, _send(client, baja, signing_key))
    assert (code, cdr_text(xml, RESPONSE_CODE)) == ("0", "0")
    assert cdr_text(xml, DESCRIPTION) == f"La Comunicacion de baja RA-{TODAY:%Y%m%d}-1, ha sido aceptada"
    recipient = "cac:DocumentResponse/cac:RecipientParty/cac:PartyIdentification/cbc:ID"
    assert cdr_text(xml, recipient) == "6-"
    assert app.state.sandbox.document(RUC, "01", "F001", 1).estado == "anulado"

    again = Voided(correlativo="2")
    assert _code(client, again, signing_key) == "2323"


def test_comunicacion_de_baja_of_an_unknown_or_rejected_document(
    client: TestClient, signing_key: SigningKey
) -> None:
    assert _code(client, Voided(lines=[VoidedLine(numero="9")]), signing_key) == "2105"
    _issue(client, Invoice(document_id="F001-2", payable_delta=Decimal(9)), signing_key)
    assert _code(client, Voided(lines=[VoidedLine(numero="2")], correlativo="2"), signing_key) == "2398"


@pytest.mark.parametrize(
    ("baja", "code"),
    [
        (Voided(customization="1.1"), "2072"),
        (Voided(lines=[VoidedLine(tipo="03", serie="B001")]), "2308"),
        (Voided(lines=[VoidedLine(serie="B001")]), "2310"),
        (Voided(lines=[VoidedLine(numero="123456789")]), "2312"),
        (Voided(lines=[VoidedLine(), VoidedLine(line_id="2")]), "2348"),
        (Voided(lines=[VoidedLine(reason="")]), "2315"),
        (Voided(reference_date=TODAY - dt.timedelta(days=1)), "2375"),
        (Voided(fecha=TODAY + dt.timedelta(days=1), reference_date=TODAY), "2301"),
    ],
)
def test_comunicacion_de_baja_sheet_rules(
    client: TestClient, signing_key: SigningKey, baja: Voided, code: str
) -> None:
    _issue(client, Invoice(issue_date=TODAY.isoformat()), signing_key)
    assert _code(client, baja, signing_key) == code


def test_baja_after_seven_days_is_2957(client: TestClient, signing_key: SigningKey) -> None:
    old = TODAY - dt.timedelta(days=8)
    _issue(client, Invoice(issue_date=old.isoformat()), signing_key)
    assert _code(client, Voided(reference_date=old), signing_key) == "2957"


def test_short_void_reason_is_only_observation_4203(client: TestClient, signing_key: SigningKey) -> None:
    _issue(client, Invoice(issue_date=TODAY.isoformat()), signing_key)
    code, xml = _outcome(client, _send(client, Voided(lines=[VoidedLine(reason="XX")]), signing_key))
    assert (code, cdr_text(xml, RESPONSE_CODE)) == ("0", "0")
    assert cdr_text(xml, "cbc:Note").startswith("4203 - ")


@pytest.mark.parametrize(
    ("document", "code"),
    [(DailySummary(), "2223"), (Voided(lines=[VoidedLine(numero="9")]), "2324")],
)
def test_a_processed_summary_name_cannot_be_presented_again(
    client: TestClient, signing_key: SigningKey, document: DailySummary | Voided, code: str
) -> None:
    _send(client, document, signing_key)

    status, body = _post(client, send_summary(*signed_zip(document, signing_key)))

    assert status == 500
    assert fault_code(body) == f"soap-env:Client.{code}"
    assert "ya fue presentado anteriormente" in fault_string(body)


def test_an_exception_does_not_consume_the_name(client: TestClient, signing_key: SigningKey) -> None:
    wrong_ruc = DailySummary()
    root = wrong_ruc.element()
    supplier = root.find("cac:AccountingSupplierParty/cbc:CustomerAssignedAccountID", NS)
    assert supplier is not None
    supplier.text = "20999999999"
    request = send_summary(
        f"{wrong_ruc.base}.zip", zip_entries((f"{wrong_ruc.base}.xml", sign(root, signing_key)))
    )
    status, body = _post(client, request)
    assert (status, fault_code(body)) == (500, "soap-env:Client.1034")

    assert _code(client, DailySummary(), signing_key) == "0"


def test_a_malformed_reference_date_fails_the_schema(client: TestClient, signing_key: SigningKey) -> None:
    summary = DailySummary()
    root = summary.element()
    child(root, "cbc:ReferenceDate").text = "22/10/2020"
    request = send_summary(
        f"{summary.base}.zip", zip_entries((f"{summary.base}.xml", sign(root, signing_key)))
    )
    status, body = _post(client, request)
    assert (status, fault_code(body)) == (500, "soap-env:Client.0306")


def _zip_case(case: str, signing_key: SigningKey) -> tuple[str, bytes]:
    summary = DailySummary()
    xml = sign(summary.element(), signing_key)
    voided_root = sign(Voided(fecha=summary.fecha).element(), signing_key)
    cases = {
        "0151-comprobante": (f"{RUC}-01-F001-1.zip", zip_entries((f"{RUC}-01-F001-1.xml", xml))),
        "0151-rr": (f"{RUC}-RR-{TODAY:%Y%m%d}-1.zip", zip_entries((f"{RUC}-RR-{TODAY:%Y%m%d}-1.xml", xml))),
        "0151-date": (f"{RUC}-RC-20261340-1.zip", zip_entries((f"{RUC}-RC-20261340-1.xml", xml))),
        "0151-zero": (f"{RUC}-RC-{TODAY:%Y%m%d}-0.zip", zip_entries((f"{RUC}-RC-{TODAY:%Y%m%d}-0.xml", xml))),
        "0158": (f"{summary.base}.zip", zip_entries((f"{summary.base}.xml", xml), ("otro.xml", xml))),
        "0159": (f"{summary.base}.zip", zip_entries(("resumen.xml", xml))),
        "0161": (f"{summary.base}.zip", zip_entries((f"{RUC}-RC-{TODAY:%Y%m%d}-2.xml", xml))),
        "0306": (f"{summary.base}.zip", zip_entries((f"{summary.base}.xml", voided_root))),
    }
    return cases[case]


@pytest.mark.parametrize(
    "case", ["0151-comprobante", "0151-rr", "0151-date", "0151-zero", "0158", "0159", "0161", "0306"]
)
def test_send_summary_exceptions_are_faults(
    client: TestClient, app: Starlette, signing_key: SigningKey, case: str
) -> None:
    status, body = _post(client, send_summary(*_zip_case(case, signing_key)))
    assert status == 500
    assert fault_code(body) == f"soap-env:Client.{case[:4]}"
    assert app.state.sandbox.documents() == []


def test_unknown_ticket_is_status_0127_with_plain_text(client: TestClient) -> None:
    status, body = _post(client, get_status("1700000000000"))
    assert status == 200
    assert ticket_status(body) == ("0127", "El ticket no existe")


def test_unknown_ticket_is_a_fault_in_beta_mode(make_app: Callable[..., Starlette]) -> None:
    with TestClient(make_app(mode="beta")) as client:
        status, body = _post(client, get_status("1700000000000"))
    assert status == 500
    assert fault_code(body) == "soap-env:Client.0127"


def test_a_ticket_of_another_ruc_is_0126(make_app: Callable[..., Starlette], signing_key: SigningKey) -> None:
    app = make_app(pse_links={"20600000001": [RUC]})
    with TestClient(app) as client:
        ticket = _send(client, DailySummary(), signing_key)
        other = _post(client, get_status(ticket, username="20500000002MODDATOS"))[1]
        assert ticket_status(other) == ("0126", "El ticket no le pertenece al usuario")
        linked = _post(client, get_status(ticket, username="20600000001MODDATOS"))[1]
        assert ticket_status(linked)[0] == "98"


def test_rejections_come_back_as_99_in_beta_mode_too(
    make_app: Callable[..., Starlette], signing_key: SigningKey
) -> None:
    with TestClient(make_app(mode="beta")) as client:
        code, xml = _outcome(client, _send(client, DailySummary(customization="1.0"), signing_key))
    assert (code, cdr_text(xml, RESPONSE_CODE)) == ("99", "2072")
