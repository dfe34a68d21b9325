"""MensajeReceptor through the API: a Costa Rican company answers what a supplier sent it.

A supplier (another cédula, its own test key) issues a signed v4.4 factura to the demo
company; the company posts it to ``POST /v1/recepciones``. Oracles: Hacienda's April-2026
``MensajeReceptor_V4.4.xsd`` from ``../shared``, signxml's XAdES verifier, and the
emulator's register (what it received under ``clave-consecutivoReceptor`` and judged).
"""

from __future__ import annotations

import base64
import re
from decimal import Decimal
from typing import Any

import pytest
from hacienda_e2e_support import (
    PROVEEDOR_CEDULA,
    certificate_pem,
    compra_recibida,
    final,
    local,
    recibida,
    rows,
    verify_signature,
    xsd_errors,
)
from lxml import etree
from starlette.testclient import TestClient

from openpse import demo

Api = tuple[TestClient, dict[str, str]]

MR_XSD = "MensajeReceptor_V4.4.xsd"


def _post(api: Api, xml: bytes, **campos: Any) -> Any:
    client, auth = api
    body = {"xml": base64.b64encode(xml).decode("ascii"), **campos}
    return client.post("/v1/recepciones", json=body, headers=auth, params={"espera": 30})


def _leaves(xml: bytes) -> dict[str, str]:
    root = etree.fromstring(xml)
    return {etree.QName(child).localname: child.text or "" for child in root if len(child) == 0}


def _total_impuesto(xml: bytes) -> str:
    node = etree.fromstring(xml).find("{*}ResumenFactura/{*}TotalImpuesto")
    assert node is not None
    assert node.text
    return node.text


@pytest.mark.parametrize(
    ("mensaje", "campos", "tipo", "esperado"),
    [
        (1, {"condicion_impuesto": "01"}, "05", {"CondicionImpuesto": "01"}),
        (
            2,
            {
                "detalle": "Se recibió una parte de la mercadería",
                "condicion_impuesto": "02",
                "monto_total_impuesto_acreditar": "100",
            },
            "06",
            {"CondicionImpuesto": "02", "MontoTotalImpuestoAcreditar": "100.00000"},
        ),
        (3, {"detalle": "La mercadería no corresponde al pedido"}, "07", {}),
    ],
)
def test_a_received_factura_is_accepted_partially_accepted_or_rejected(
    cr_api: Api, runtime: Any, hacienda: Any, mensaje: int, campos: dict[str, Any], tipo: str, esperado: dict
) -> None:
    client, auth = cr_api
    xml, clave = recibida()

    response = _post(cr_api, xml, mensaje=mensaje, **campos)

    assert response.status_code == 200, response.text
    body = response.json()
    consecutivo = f"00100001{tipo}0000000001"
    assert body["id"] == f"{clave}-{consecutivo}"
    assert (body["tipo"], body["serie"], body["numero"]) == (tipo, "00100001", 1)
    assert body["estado"] == "aceptado", body
    assert body["creado"].endswith("-06:00")
    assert response.headers["location"] == f"/v1/comprobantes/{body['id']}"
    assert "pdf" not in body["enlaces"]
    assert final(client, auth, body["id"])["estado"] == "aceptado"
    # The XML: valid against Hacienda's schema, signed by the company, with the figures of
    # the received factura.
    signed = client.get(f"/v1/comprobantes/{body['id']}/xml", headers=auth).content
    assert xsd_errors(signed, MR_XSD) == []
    verify_signature(signed, certificate_pem(runtime))
    leaves = _leaves(signed)
    assert leaves["Clave"] == clave
    assert leaves["NumeroCedulaEmisor"] == PROVEEDOR_CEDULA
    assert leaves["Mensaje"] == str(mensaje)
    assert leaves["NumeroCedulaReceptor"] == demo.DEMO_CR_CEDULA
    assert leaves["NumeroConsecutivoReceptor"] == consecutivo
    assert leaves["MontoTotalImpuesto"] == _total_impuesto(xml)
    total = etree.fromstring(xml).findtext("{*}ResumenFactura/{*}TotalComprobante")
    assert total is not None
    assert Decimal(total) > 0
    assert leaves["TotalFactura"] == total
    assert leaves["FechaEmisionDoc"].endswith("-06:00")
    for name, value in esperado.items():
        assert leaves[name] == value
    if campos.get("detalle"):
        assert leaves["DetalleMensaje"] == campos["detalle"]
    # Hacienda's answer (the MensajeHacienda) is the document's CDR.
    cdr = client.get(f"/v1/comprobantes/{body['id']}/cdr", headers=auth)
    assert cdr.status_code == 200
    assert etree.QName(etree.fromstring(cdr.content)).localname == "MensajeHacienda"
    assert local(etree.fromstring(cdr.content), "Clave") == clave
    # What the emulator received: the message, under clave-consecutivoReceptor, from the
    # supplier (emisor) to the company (receptor).
    record = hacienda.record(body["id"])
    assert record is not None
    assert record.clave == clave
    assert record.emisor == {"tipoIdentificacion": "02", "numeroIdentificacion": PROVEEDOR_CEDULA}
    assert record.receptor is not None
    assert record.receptor["numeroIdentificacion"] == demo.DEMO_CR_CEDULA
    assert record.xml == signed


def test_the_xml_itself_may_be_the_body_with_the_answer_in_the_query(cr_api: Api) -> None:
    client, auth = cr_api
    xml, clave = recibida()
    params = {"mensaje": "2", "condicion_impuesto": "04", "detalle": "Solo parte", "espera": "30"}

    response = client.post(
        "/v1/recepciones", content=xml, headers={**auth, "Content-Type": "application/xml"}, params=params
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"].startswith(f"{clave}-0010000106")
    assert body["estado"] == "aceptado"
    leaves = _leaves(client.get(f"/v1/comprobantes/{body['id']}/xml", headers=auth).content)
    assert leaves["CondicionImpuesto"] == "04"
    # A current expense books the whole comprobante by default.
    assert leaves["MontoTotalDeGastoAplicable"] == leaves["TotalFactura"]


def test_messages_are_numbered_per_type_and_one_answer_per_comprobante(cr_api: Api) -> None:
    client, auth = cr_api
    primera, _ = recibida()
    segunda, _ = recibida()
    tercera, _ = recibida()

    aceptada = _post(cr_api, primera, mensaje=1).json()
    again = _post(cr_api, primera, mensaje=1)
    otra_respuesta = _post(cr_api, primera, mensaje=3, detalle="Cambio de opinión")
    siguiente = _post(cr_api, segunda, mensaje=1).json()
    rechazo = _post(cr_api, tercera, mensaje=3, detalle="No corresponde").json()

    assert aceptada["numero"] == 1
    assert again.status_code == 200
    assert again.json()["id"] == aceptada["id"]
    assert otra_respuesta.status_code == 409
    assert aceptada["id"] in otra_respuesta.json()["errors"][0]["desError"]
    assert (siguiente["tipo"], siguiente["numero"]) == ("05", 2)
    assert (rechazo["tipo"], rechazo["numero"]) == ("07", 1)
    assert [d["estado"] for d in (aceptada, siguiente, rechazo)] == ["aceptado"] * 3
    listed = client.get("/v1/comprobantes", headers=auth, params={"tipo": "05"}).json()
    assert {d["id"] for d in listed["items"]} == {aceptada["id"], siguiente["id"]}


def test_an_idempotency_key_returns_the_same_message(cr_api: Api) -> None:
    client, auth = cr_api
    xml, _ = recibida()
    body = {"xml": base64.b64encode(xml).decode("ascii"), "mensaje": 1}
    headers = {**auth, "Idempotency-Key": "erp-recepcion-1"}

    first = client.post("/v1/recepciones", json=body, headers=headers)
    second = client.post("/v1/recepciones", json=body, headers=headers)

    assert first.status_code == 202
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]


def _error(response: Any) -> tuple[int, str, str]:
    error = response.json()["errors"][0]
    return response.status_code, error["codError"], error["desError"]


def _tampered(xml: bytes) -> bytes:
    root = etree.fromstring(xml)
    total = root.find("{*}ResumenFactura/{*}TotalComprobante")
    assert total is not None
    total.text = "1.00000"
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True)


def _unsigned(xml: bytes) -> bytes:
    root = etree.fromstring(xml)
    for signature in root.findall("{http://www.w3.org/2000/09/xmldsig#}Signature"):
        root.remove(signature)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True)


@pytest.mark.parametrize(
    ("name", "build", "status", "codigo", "texto"),
    [
        ("malformado", lambda: b"<FacturaElectronica><Clave>", 422, "PSE-0006", "no es XML"),
        (
            "doctype",
            lambda: b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "x">]><x>&e;</x>',
            422,
            "PSE-0005",
            "DOCTYPE",
        ),
        ("no v4.4", lambda: b"<Invoice xmlns='urn:x'/>", 422, "PSE-0020", "no es un comprobante v4.4"),
        ("sin firma", lambda: _unsigned(recibida()[0]), 422, "PSE-CR908", "no está firmado"),
        (
            "alterado",
            lambda: _tampered(recibida()[0]),
            422,
            "PSE-CR908",
            "modificado luego de haber sido firmado",
        ),
        (
            "firmado por otro",
            lambda: recibida(firmante="3101555666")[0],
            422,
            "PSE-CR908",
            "no está firmado por su emisor",
        ),
        ("compra", compra_recibida, 422, "PSE-CR909", "factura electrónica de compra"),
        (
            "a otra empresa",
            lambda: recibida(receptor="3101555666")[0],
            422,
            "PSE-CR907",
            "dirigido a 3101555666",
        ),
    ],
)
def test_a_received_xml_that_does_not_hold_is_refused_and_nothing_is_numbered(
    cr_api: Api, hacienda: Any, runtime: Any, name: str, build: Any, status: int, codigo: str, texto: str
) -> None:
    before = len(rows(runtime))

    response = _post(cr_api, build(), mensaje=1)

    assert _error(response)[:2] == (status, codigo), response.text
    assert texto in _error(response)[2]
    assert len(rows(runtime)) == before
    # Nothing was numbered: the next good answer is number 1.
    good, _ = recibida()
    assert _post(cr_api, good, mensaje=1).json()["numero"] == 1


def test_bad_requests_are_answered_with_the_field(cr_api: Api) -> None:
    client, auth = cr_api
    xml, _ = recibida()
    encoded = base64.b64encode(xml).decode("ascii")

    cases = {
        "sin xml": client.post("/v1/recepciones", json={"mensaje": 1}, headers=auth),
        "no base64": client.post("/v1/recepciones", json={"xml": "%%%", "mensaje": 1}, headers=auth),
        "mensaje 4": client.post("/v1/recepciones", json={"xml": encoded, "mensaje": 4}, headers=auth),
        "acreditar sin impuesto": client.post(
            "/v1/recepciones",
            json={"xml": encoded, "mensaje": 2, "condicion_impuesto": "05"},
            headers=auth,
        ),
        "texto plano": client.post(
            "/v1/recepciones", content=b"x", headers={**auth, "Content-Type": "text/plain"}
        ),
    }

    assert {name: r.status_code for name, r in cases.items()} == {
        "sin xml": 422,
        "no base64": 422,
        "mensaje 4": 422,
        "acreditar sin impuesto": 422,
        "texto plano": 415,
    }
    assert cases["mensaje 4"].json()["errors"][0]["campo"] == "mensaje"
    assert cases["acreditar sin impuesto"].json()["errors"][0]["campo"] == "monto_total_impuesto_acreditar"


def test_a_peruvian_company_cannot_answer_costa_rican_comprobantes(cr_api: Api) -> None:
    client, _ = cr_api
    from tests_support import token_for

    auth = token_for(client, demo.DEMO_CLIENT)
    xml, _ = recibida()

    response = client.post(
        "/v1/recepciones", json={"xml": base64.b64encode(xml).decode("ascii"), "mensaje": 1}, headers=auth
    )

    assert _error(response)[:2] == (422, "PSE-0020")


def test_the_openapi_documents_the_endpoint(cr_api: Api) -> None:
    client, _ = cr_api
    schema = client.get("/openapi.json").json()
    operation = schema["paths"]["/v1/recepciones"]["post"]
    content = operation["requestBody"]["content"]
    assert set(content) == {"application/json", "application/xml"}
    assert {"xml", "mensaje", "condicion_impuesto", "monto_total_impuesto_acreditar"} <= set(
        content["application/json"]["schema"]["properties"]
    )
    assert "mensaje" in {p["name"] for p in operation["parameters"]}
    assert {"200", "202", "409", "415", "422"} <= set(operation["responses"])


def test_the_portal_lists_and_shows_a_mensaje_receptor(cr_api: Api) -> None:
    client, _ = cr_api
    xml, _ = recibida()
    doc = _post(cr_api, xml, mensaje=1).json()
    form = client.get("/portal/ingresar").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf is not None
    signed_in = client.post(
        "/portal/ingresar",
        data={
            "usuario": demo.DEMO_CR_USER,
            "clave": "demo-secret",
            "csrf": csrf.group(1),
            "siguiente": "/portal",
        },
        follow_redirects=False,
    )
    assert signed_in.status_code == 303

    listing = client.get("/portal")
    detail = client.get(f"/portal/comprobantes/{doc['id']}")

    assert listing.status_code == 200
    assert doc["id"] in listing.text
    assert detail.status_code == 200
    assert f"/portal/comprobantes/{doc['id']}/archivos/xml" in detail.text
    assert f"/portal/comprobantes/{doc['id']}/archivos/pdf" not in detail.text
