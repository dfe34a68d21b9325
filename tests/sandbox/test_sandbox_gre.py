"""The GRE REST platform: OAuth2 token, send of guías, status by ticket."""

from __future__ import annotations

import base64
import json
import re
import time
import zipfile
from collections.abc import Callable
from io import BytesIO
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient
from sunat_sandbox_support import (
    GRE_CPE,
    RUC,
    USER,
    Despatch,
    SigningKey,
    cdr_text,
    cdr_xml,
    gre_body,
    gre_token_form,
    sign,
    signed_zip,
    zip_entries,
)

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TOKEN_PATH = "/v1/clientessol/cliente/oauth2/token/"
RESPONSE_CODE = "cac:DocumentResponse/cac:Response/cbc:ResponseCode"


def _token(client: TestClient, **form: str) -> str:
    response = client.post(TOKEN_PATH, data=gre_token_form(**form))
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def _send(client: TestClient, token: str, filename: str, body: bytes) -> tuple[int, dict[str, Any]]:
    response = client.post(
        f"{GRE_CPE}/{filename}",
        content=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    return response.status_code, response.json()


def _status(client: TestClient, token: str, ticket: str) -> tuple[int, dict[str, Any]]:
    response = client.get(f"{GRE_CPE}/envios/{ticket}", headers={"Authorization": f"Bearer {token}"})
    return response.status_code, response.json()


def _final(client: TestClient, token: str, ticket: str) -> dict[str, Any]:
    for _ in range(5):
        status, payload = _status(client, token, ticket)
        assert status == 200, payload
        if payload["codRespuesta"] != "98":
            return payload
    raise AssertionError("the ticket never finished")


def _submit(client: TestClient, guia: Despatch, signing_key: SigningKey) -> dict[str, Any]:
    token = _token(client)
    file_name, zip_bytes = signed_zip(guia, signing_key)
    status, sent = _send(client, token, guia.base, gre_body(file_name, zip_bytes))
    assert status == 200, sent
    return _final(client, token, sent["numTicket"])


def test_token_is_a_jwt_with_the_configured_lifetime(client: TestClient) -> None:
    response = client.post(TOKEN_PATH, data=gre_token_form())
    assert response.status_code == 200
    payload = response.json()
    assert payload["token_type"] == "JWT"
    assert payload["expires_in"] == 3600
    header, claims, _ = payload["access_token"].split(".")
    assert json.loads(base64.urlsafe_b64decode(header + "==")) == {"alg": "HS256", "typ": "JWT"}
    assert json.loads(base64.urlsafe_b64decode(claims + "=="))["sub"] == USER
    # Clients write the URL with and without the final slash.
    assert client.post(TOKEN_PATH.rstrip("/"), data=gre_token_form()).status_code == 200


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"password": "otra"}, 400, "access_denied"),
        ({"username": "20123456789NOEXISTE"}, 400, "access_denied"),
        ({"client_secret": "otro"}, 401, "invalid_client"),
        ({"client_id": "otro-cliente"}, 401, "invalid_client"),
    ],
)
def test_token_errors(
    make_app: Callable[..., Starlette], form: dict[str, str], status: int, error: str
) -> None:
    app = make_app(gre_clients={"cliente": "secreto"}, users={f"{RUC}GUIAS": "clave"}, allow_moddatos=False)
    with TestClient(app) as client:
        request = {**gre_token_form(username=f"{RUC}GUIAS", password="clave"), **form}
        response = client.post(TOKEN_PATH, data=request)
        assert response.status_code == status
        assert response.json()["error"] == error
        assert response.json()["error_description"]
        if error == "access_denied":
            assert response.json()["error_description"] == "Error en la autenticacion del usuario."
        ok = client.post(TOKEN_PATH, data=gre_token_form(username=f"{RUC}GUIAS", password="clave"))
        assert ok.status_code == 200


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("grant_type", "client_credentials", "unsupported_grant_type"),
        ("scope", "https://otro", "invalid_scope"),
    ],
)
def test_token_grant_and_scope(client: TestClient, field: str, value: str, error: str) -> None:
    response = client.post(TOKEN_PATH, data={**gre_token_form(), field: value})
    assert (response.status_code, response.json()["error"]) == (400, error)


def test_send_and_status_of_an_accepted_guia(
    client: TestClient, app: Starlette, signing_key: SigningKey
) -> None:
    guia = Despatch()
    token = _token(client)
    file_name, zip_bytes = signed_zip(guia, signing_key)

    status, sent = _send(client, token, guia.base, gre_body(file_name, zip_bytes))

    assert status == 200
    assert UUID.fullmatch(sent["numTicket"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", sent["fecRecepcion"])
    assert _status(client, token, sent["numTicket"]) == (200, {"codRespuesta": "98"})
    status, payload = _status(client, token, sent["numTicket"])
    assert status == 200
    assert (payload["codRespuesta"], payload["indCdrGenerado"]) == ("0", "1")
    assert "error" not in payload
    archive = zipfile.ZipFile(BytesIO(base64.b64decode(payload["arcCdr"])))
    assert [info.filename for info in archive.infolist()] == [f"R-{guia.base}.xml"]
    xml = cdr_xml(base64.b64decode(payload["arcCdr"]))
    assert cdr_text(xml, "cbc:ID") == sent["numTicket"]
    assert re.fullmatch(r"\d{2}:\d{2}:\d{2}\.\d{3}", cdr_text(xml, "cbc:IssueTime"))
    assert cdr_text(xml, RESPONSE_CODE) == "0"
    assert cdr_text(xml, "cac:DocumentResponse/cac:Response/cbc:Description") == (
        "El Comprobante  numero T001-1, ha sido aceptado"
    )
    assert cdr_text(xml, "cac:DocumentResponse/cac:DocumentReference/cbc:DocumentDescription").startswith(
        "https://e-factura.sunat.gob.pe/v1/contribuyente/gre/comprobantes/descargaqr?hashqr="
    )
    recipient = "cac:DocumentResponse/cac:RecipientParty/cac:PartyIdentification/cbc:ID"
    assert cdr_text(xml, recipient) == "6-20603343710"
    document = app.state.sandbox.document(RUC, "09", "T001", 1)
    assert (document.estado, document.ticket) == ("aceptado", sent["numTicket"])


def test_guia_transportista(client: TestClient, signing_key: SigningKey) -> None:
    assert _submit(client, Despatch(tipo="31", document_id="V001-4"), signing_key)["codRespuesta"] == "0"


def test_customization_1_0_is_rejected_with_2112_and_a_cdr(
    client: TestClient, app: Starlette, signing_key: SigningKey
) -> None:
    payload = _submit(client, Despatch(customization="1.0"), signing_key)

    assert (payload["codRespuesta"], payload["indCdrGenerado"]) == ("99", "1")
    assert payload["error"] == {
        "numError": "2112",
        "desError": "CustomizationID - La version del documento no es correcta : error: INFO: errorCode 2112 "
        '(nodo: "DespatchAdvice/cbc:CustomizationID" valor: "1.0")',
    }
    assert cdr_text(cdr_xml(base64.b64decode(payload["arcCdr"])), RESPONSE_CODE) == "2112"
    assert app.state.sandbox.document(RUC, "09", "T001", 1).estado == "rechazado"


def test_tampered_guia_is_2335(client: TestClient, signing_key: SigningKey) -> None:
    guia = Despatch()
    tampered = sign(guia.element(), signing_key).replace(b">10.000<", b">99.000<")
    zip_bytes = zip_entries((f"{guia.base}.xml", tampered))
    token = _token(client)
    sent = _send(client, token, guia.base, gre_body(f"{guia.base}.zip", zip_bytes))[1]
    payload = _final(client, token, sent["numTicket"])
    assert (payload["codRespuesta"], payload["error"]["numError"], payload["indCdrGenerado"]) == (
        "99",
        "2335",
        "1",
    )


def test_a_guia_sent_twice_is_1033_without_cdr(
    client: TestClient, app: Starlette, signing_key: SigningKey
) -> None:
    assert _submit(client, Despatch(), signing_key)["codRespuesta"] == "0"

    payload = _submit(client, Despatch(), signing_key)

    assert (payload["codRespuesta"], payload["error"]["numError"], payload["indCdrGenerado"]) == (
        "99",
        "1033",
        "0",
    )
    assert "arcCdr" not in payload
    assert len(app.state.sandbox.documents()) == 1


@pytest.mark.parametrize(
    ("guia", "code"),
    [
        (Despatch(document_id="V001-1"), "1001"),
        (Despatch(ruc="20999999999"), "1034"),
    ],
)
def test_exceptions_come_back_without_cdr_and_register_nothing(
    client: TestClient, app: Starlette, signing_key: SigningKey, guia: Despatch, code: str
) -> None:
    name = f"{RUC}-09-T001-1"
    zip_bytes = zip_entries((f"{name}.xml", sign(guia.element(), signing_key)))
    token = _token(client)
    sent = _send(client, token, name, gre_body(f"{name}.zip", zip_bytes))[1]
    payload = _final(client, token, sent["numTicket"])
    assert (payload["codRespuesta"], payload["error"]["numError"], payload["indCdrGenerado"]) == (
        "99",
        code,
        "0",
    )
    assert app.state.sandbox.documents() == []


def test_zip_errors_come_back_through_the_ticket(client: TestClient, signing_key: SigningKey) -> None:
    guia = Despatch()
    zip_bytes = zip_entries((f"{RUC}-09-T001-2.xml", sign(guia.element(), signing_key)))
    token = _token(client)
    sent = _send(client, token, guia.base, gre_body(f"{guia.base}.zip", zip_bytes))[1]
    payload = _final(client, token, sent["numTicket"])
    assert (payload["error"]["numError"], payload["indCdrGenerado"]) == ("0161", "0")


def _request_case(case: str, signing_key: SigningKey) -> tuple[str, bytes]:
    guia = Despatch()
    file_name, zip_bytes = signed_zip(guia, signing_key)
    cases = {
        "0151-nomArchivo": (guia.base, gre_body(f"{RUC}-09-T001-2.zip", zip_bytes)),
        "0151-filename": (f"{RUC}-01-F001-1", gre_body(f"{RUC}-01-F001-1.zip", zip_bytes)),
        "0154": ("20999999999-09-T001-1", gre_body("20999999999-09-T001-1.zip", zip_bytes)),
        "0156-hash": (guia.base, gre_body(file_name, zip_bytes, hash_zip="0" * 64)),
        "0156-base64": (
            guia.base,
            json.dumps({"archivo": {"nomArchivo": file_name, "arcGreZip": "%%"}}).encode(),
        ),
        "0202-json": (guia.base, b"not json"),
        "0202-archivo": (guia.base, json.dumps({"archivos": {}}).encode()),
    }
    return cases[case]


@pytest.mark.parametrize(
    "case",
    ["0151-nomArchivo", "0151-filename", "0154", "0156-hash", "0156-base64", "0202-json", "0202-archivo"],
)
def test_request_errors_are_422(
    client: TestClient, app: Starlette, signing_key: SigningKey, case: str
) -> None:
    filename, body = _request_case(case, signing_key)
    status, payload = _send(client, _token(client), filename, body)
    assert status == 422
    assert payload["cod"] == "422"
    assert payload["msg"].startswith("Unprocessable Entity")
    [error] = payload["errors"]
    assert error["cod"] == case[:4]
    assert error["msg"]
    assert app.state.sandbox.documents() == []


def test_the_hash_is_the_hex_sha256_of_the_zip_in_any_case(
    client: TestClient, signing_key: SigningKey
) -> None:
    guia = Despatch()
    file_name, zip_bytes = signed_zip(guia, signing_key)
    body = json.loads(gre_body(file_name, zip_bytes))
    body["archivo"]["hashZip"] = body["archivo"]["hashZip"].upper()
    assert _send(client, _token(client), guia.base, json.dumps(body).encode())[0] == 200


def test_unknown_and_foreign_tickets_are_422(
    make_app: Callable[..., Starlette], signing_key: SigningKey
) -> None:
    with TestClient(make_app()) as client:
        token = _token(client)
        status, payload = _status(client, token, "8d1c7e53-0000-4000-8000-000000000000")
        assert (status, payload["errors"][0]["cod"]) == (422, "0127")
        guia = Despatch()
        sent = _send(client, token, guia.base, gre_body(*signed_zip(guia, signing_key)))[1]
        other = _token(client, username="20500000002MODDATOS")
        status, payload = _status(client, other, sent["numTicket"])
        assert (status, payload["errors"][0]["cod"]) == (422, "0126")


def test_missing_unknown_or_expired_tokens_are_401(
    make_app: Callable[..., Starlette], signing_key: SigningKey
) -> None:
    with TestClient(make_app(gre_token_ttl=0.2)) as client:
        guia = Despatch()
        body = gre_body(*signed_zip(guia, signing_key))
        assert client.post(f"{GRE_CPE}/{guia.base}", content=body).status_code == 401
        assert _send(client, "no-es-un-token", guia.base, body)[0] == 401
        token = _token(client)
        assert _send(client, token, guia.base, body)[0] == 200
        time.sleep(0.25)
        status, payload = _send(client, token, guia.base, body)
        assert (status, payload["cod"]) == (401, "401")
        assert _status(client, token, "x")[0] == 401
