"""The document API end to end in-process, against the SUNAT emulator over loopback HTTP."""

from __future__ import annotations

import io
import zipfile

from lxml import etree
from signxml import XMLVerifier

from tests_support import boleta, factura


def test_factura_is_accepted_and_gives_back_xml_and_cdr(api, auth, post_document):
    response = post_document(factura(numero=1), espera=20)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == "20000000001-01-F001-1"
    assert body["estado"] == "aceptado"
    assert body["totales"] == {
        "gravado": "100.00",
        "exonerado": "0.00",
        "inafecto": "0.00",
        "exportacion": "0.00",
        "gratuito": "0.00",
        "igv": "18.00",
        "isc": "0.00",
        "icbper": "0.00",
        "otros_tributos": "0.00",
        "descuentos": "0.00",
        "cargos": "0.00",
        "anticipos": "0.00",
        "total": "118.00",
    }
    assert body["respuesta"] == {
        "codigo": "0",
        "descripcion": "La Factura numero F001-1, ha sido aceptada",
        "observaciones": [],
    }
    assert response.headers["location"] == "/v1/comprobantes/20000000001-01-F001-1"

    xml = api.get(body["enlaces"]["xml"], headers=auth)
    assert xml.status_code == 200
    assert xml.headers["content-type"].startswith("application/xml")
    root = etree.fromstring(xml.content)
    assert root.findtext(".//{http://www.w3.org/2000/09/xmldsig#}DigestValue") == body["hash"]
    cert = root.findtext(".//{http://www.w3.org/2000/09/xmldsig#}X509Certificate")
    XMLVerifier().verify(
        xml.content, x509_cert=f"-----BEGIN CERTIFICATE-----\n{cert}\n-----END CERTIFICATE-----"
    )

    cdr = api.get(body["enlaces"]["cdr"], headers=auth)
    assert cdr.status_code == 200
    assert b"<cbc:ResponseCode>0</cbc:ResponseCode>" in cdr.content
    cdr_zip = api.get(body["enlaces"]["cdr"], headers=auth, params={"formato": "zip"})
    assert cdr_zip.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(cdr_zip.content)).namelist()
    assert "R-20000000001-01-F001-1.xml" in names


def test_boleta_with_dni_is_accepted(post_document):
    response = post_document(boleta(numero=7), espera=20)
    assert response.json()["estado"] == "aceptado", response.text
    assert response.json()["respuesta"]["descripcion"] == "La Boleta numero B001-7, ha sido aceptada"


def test_boleta_observation_survives_the_authority_answer(post_document):
    """A 7-digit DNI on a boleta is an observation (4207), not a rejection: the document
    is sent, and the observation predicted at intake stays in the answer."""
    cliente = {"tipo_documento": "1", "numero_documento": "4602789", "razon_social": "JUAN"}
    registered = post_document(boleta(numero=8, cliente=cliente))
    assert registered.status_code == 202, registered.text
    assert [o["codigo"] for o in registered.json()["respuesta"]["observaciones"]] == ["4207"]
    final = post_document(boleta(numero=8, cliente=cliente), espera=20).json()
    assert final["estado"] == "aceptado", final
    assert "4207" in [o["codigo"] for o in final["respuesta"]["observaciones"]]


def test_without_espera_the_answer_is_202_and_the_document_arrives(api, auth, post_document):
    response = post_document(factura())
    assert response.status_code == 202
    assert response.json()["estado"] in ("registrado", "enviando", "aceptado")
    final = api.get(response.headers["location"], headers=auth, params={"espera": 20})
    assert final.json()["estado"] == "aceptado"
    assert final.json()["intentos"] == 1


def test_numbers_are_assigned_in_order_when_omitted(post_document):
    numbers = [
        post_document(
            factura(items=[{"descripcion": f"Item {i}", "cantidad": "1", "valor_unitario": "10"}])
        ).json()["numero"]
        for i in range(3)
    ]
    assert numbers == [1, 2, 3]
    assert post_document(factura(numero=10)).json()["numero"] == 10
    assert (
        post_document(factura(items=[{"descripcion": "x", "cantidad": "1", "valor_unitario": "1"}])).json()[
            "numero"
        ]
        == 11
    )


def test_same_document_posted_twice_returns_the_stored_one(api, auth, post_document):
    first = post_document(factura(numero=5), espera=20)
    again = post_document(factura(numero=5))
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["hash"] == first.json()["hash"]
    listing = api.get("/v1/comprobantes", headers=auth).json()
    assert listing["total"] == 1


def test_different_content_under_a_used_number_is_a_conflict(post_document):
    post_document(factura(numero=6))
    conflict = post_document(
        factura(numero=6, items=[{"descripcion": "Otro", "cantidad": "1", "valor_unitario": "99"}])
    )
    assert conflict.status_code == 409
    assert conflict.json()["cod"] == "409"
    assert conflict.json()["errors"][0]["campo"] == "numero"


def test_idempotency_key_recovers_an_auto_numbered_document(api, auth):
    headers = {**auth, "Idempotency-Key": "pedido-123"}
    first = api.post("/v1/comprobantes", json=factura(), headers=headers)
    again = api.post("/v1/comprobantes", json=factura(), headers=headers)
    assert first.status_code == 202
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    other = api.post("/v1/comprobantes", json=factura(observaciones="cambio"), headers=headers)
    assert other.status_code == 409


def test_sign_only_then_send(api, auth, post_document):
    signed = post_document(factura(numero=20), enviar="false")
    assert signed.status_code == 202
    assert signed.json()["estado"] == "registrado"
    doc = signed.headers["location"]
    assert api.get(doc, headers=auth, params={"espera": 1}).json()["estado"] == "registrado"
    sent = api.post(f"{doc}/envio", headers=auth)
    assert sent.status_code == 202
    assert api.get(doc, headers=auth, params={"espera": 20}).json()["estado"] == "aceptado"
    again = api.post(f"{doc}/envio", headers=auth)
    assert again.status_code == 409


def test_cdr_is_404_until_there_is_one(api, auth, post_document):
    doc = post_document(factura(numero=30), enviar="false").headers["location"]
    response = api.get(f"{doc}/cdr", headers=auth)
    assert response.status_code == 404
    assert response.json()["errors"][0]["codError"] == "PSE-0012"


def test_listing_filters(api, auth, post_document):
    post_document(factura(numero=1), espera=20)
    post_document(boleta(numero=1), espera=20)
    only_boletas = api.get("/v1/comprobantes", headers=auth, params={"tipo": "03"}).json()
    assert [d["id"] for d in only_boletas["items"]] == ["20000000001-03-B001-1"]
    accepted = api.get("/v1/comprobantes", headers=auth, params={"estado": "aceptado", "tamano": 1}).json()
    assert accepted["total"] == 2
    assert len(accepted["items"]) == 1


def test_usd_credit_sale_with_installments(post_document):
    body = factura(
        numero=40,
        moneda="USD",
        forma_pago={
            "tipo": "Credito",
            "cuotas": [
                {"monto": "59.00", "fecha_pago": "2099-01-31"},
                {"monto": "59.00", "fecha_pago": "2099-02-28"},
            ],
        },
    )
    response = post_document(body, espera=20)
    assert response.json()["estado"] == "aceptado", response.text


def test_unsigned_ubl_xml_is_signed_and_sent(api, auth, post_document):
    signed = api.get(post_document(factura(numero=50), enviar="false").json()["enlaces"]["xml"], headers=auth)
    root = etree.fromstring(signed.content)
    signature = root.find(".//{http://www.w3.org/2000/09/xmldsig#}Signature")
    signature.getparent().remove(signature)
    root.find("{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}ID").text = "F001-51"
    response = api.post(
        "/v1/comprobantes",
        content=etree.tostring(root),
        params={"espera": 20},
        headers={**auth, "Content-Type": "application/xml"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["id"] == "20000000001-01-F001-51"
    assert response.json()["estado"] == "aceptado"


def test_pdf_in_both_formats_with_the_authoritys_answer(api, auth, post_document):
    from io import BytesIO

    from pypdf import PdfReader

    body = post_document(factura(numero=60), espera=20).json()
    a4 = api.get(body["enlaces"]["pdf"], headers=auth)
    assert a4.status_code == 200
    assert a4.headers["content-type"] == "application/pdf"
    text = PdfReader(BytesIO(a4.content)).pages[0].extract_text()
    assert "F001-60" in text
    assert body["hash"] in text.replace("\n", "")
    assert "ha sido aceptada" in text
    ticket = api.get(body["enlaces"]["pdf"], headers=auth, params={"formato": "ticket"})
    assert PdfReader(BytesIO(ticket.content)).pages[0].mediabox.width < 240
    again = api.get(body["enlaces"]["pdf"], headers=auth)
    assert again.content == a4.content, "rendered once, then served from the cache"
    assert api.get(body["enlaces"]["pdf"], headers=auth, params={"formato": "a5"}).status_code == 422


def test_a_repost_after_the_send_window_closed_still_gets_the_stored_document(
    api, auth, post_document, monkeypatch
):
    import datetime as dt

    from openpse.documents import service

    today = service.now_lima().date().isoformat()
    first = post_document(factura(numero=80, fecha_emision=today), enviar="false")
    assert first.status_code == 202
    later = service.now_lima() + dt.timedelta(days=30)
    monkeypatch.setattr(service, "now_lima", lambda: later)
    fresh = post_document(factura(numero=81, fecha_emision=today))
    assert fresh.status_code == 422, "a new document dated 30 days ago is out of SUNAT's window"
    assert fresh.json()["errors"][0]["codError"] == "2108"
    again = post_document(factura(numero=80, fecha_emision=today))
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    changed = post_document(factura(numero=80, fecha_emision=today, observaciones="otro"))
    assert changed.status_code == 409
