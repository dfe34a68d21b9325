"""Notes through the API, XML intake of every root, and sign-only (/v1/firma)."""

from __future__ import annotations

import base64

from lxml import etree
from signxml import XMLVerifier

from tests_support import factura

DS = "{http://www.w3.org/2000/09/xmldsig#}"
CBC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"


def _unsigned(xml: bytes, new_id: str) -> bytes:
    root = etree.fromstring(xml)
    signature = root.find(f".//{DS}Signature")
    signature.getparent().remove(signature)
    root.find(f"{CBC}ID").text = new_id
    return etree.tostring(root)


def test_credit_and_debit_notes_are_accepted(api, auth, post_document):
    post_document(factura(numero=1), espera=20)
    afectado = {"tipo": "01", "serie": "F001", "numero": 1}
    nc = post_document(
        factura(
            tipo="07",
            numero=1,
            forma_pago=None,
            documento_afectado=afectado,
            motivo={"codigo": "01", "descripcion": "Anulación de la operación"},
        ),
        espera=20,
    )
    assert nc.json()["estado"] == "aceptado", nc.text
    assert nc.json()["id"] == "20000000001-07-F001-1"
    nd = post_document(
        factura(
            tipo="08",
            numero=1,
            forma_pago=None,
            documento_afectado=afectado,
            motivo={"codigo": "01", "descripcion": "Intereses por mora"},
        ),
        espera=20,
    )
    assert nd.json()["estado"] == "aceptado", nd.text
    xml = api.get(nd.json()["enlaces"]["xml"], headers=auth).content
    assert b"<cac:RequestedMonetaryTotal>" in xml
    assert b"<cac:DiscrepancyResponse>" in xml


def test_a_note_needs_what_it_modifies(post_document):
    response = post_document(
        factura(tipo="07", numero=2, forma_pago=None, motivo={"codigo": "01", "descripcion": "Anulación"})
    )
    assert response.status_code == 422
    assert "2524" in [e["codError"] for e in response.json()["errors"]]


def test_unsigned_credit_note_xml_is_signed_and_sent(api, auth, post_document):
    post_document(factura(numero=1), espera=20)
    nc = post_document(
        factura(
            tipo="07",
            numero=5,
            forma_pago=None,
            documento_afectado={"tipo": "01", "serie": "F001", "numero": 1},
            motivo={"codigo": "06", "descripcion": "Devolución total"},
        ),
        enviar="false",
    )
    xml = _unsigned(api.get(nc.json()["enlaces"]["xml"], headers=auth).content, "F001-6")
    response = api.post(
        "/v1/comprobantes",
        content=xml,
        params={"espera": 20},
        headers={**auth, "Content-Type": "application/xml"},
    )
    assert response.json()["id"] == "20000000001-07-F001-6", response.text
    assert response.json()["estado"] == "aceptado"


def test_firma_signs_without_storing(api, auth, post_document):
    signed = api.get(
        post_document(factura(numero=9), enviar="false").json()["enlaces"]["xml"], headers=auth
    ).content
    xml = _unsigned(signed, "F001-10")
    response = api.post("/v1/firma", json={"xml": base64.b64encode(xml).decode()}, headers=auth)
    assert response.status_code == 200, response.text
    out = base64.b64decode(response.json()["xml"])
    root = etree.fromstring(out)
    assert root.findtext(f".//{DS}DigestValue") == response.json()["hash"]
    cert = root.findtext(f".//{DS}X509Certificate")
    XMLVerifier().verify(out, x509_cert=f"-----BEGIN CERTIFICATE-----\n{cert}\n-----END CERTIFICATE-----")
    listing = api.get("/v1/comprobantes", headers=auth).json()
    assert [d["numero"] for d in listing["items"]] == [9]


def test_firma_errors(api, auth):
    assert api.post("/v1/firma", json={"xml": "%%"}, headers=auth).status_code == 400
    dtd = base64.b64encode(b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>').decode()
    response = api.post("/v1/firma", json={"xml": dtd}, headers=auth)
    assert response.status_code == 400
    assert response.json()["errors"][0]["codError"] == "PSE-0005"
    other = base64.b64encode(b"<Other xmlns='urn:x'/>").decode()
    assert (
        api.post("/v1/firma", json={"xml": other}, headers=auth).json()["errors"][0]["codError"] == "PSE-0020"
    )


def _hoy() -> str:
    from openpse.core.timeutil import now_lima

    return now_lima().date().isoformat()


def test_retencion_and_percepcion_through_the_api(api, auth, post_document):
    """Retención (20) and percepción (40) go through the same endpoint to SUNAT's
    "otros CPE" service, and come back accepted with their CDR."""
    hoy = _hoy()
    retencion = {
        "tipo": "20",
        "serie": "R001",
        "numero": 1,
        "regimen": "01",
        "proveedor": {"numero_documento": "20100070970", "razon_social": "PROVEEDOR DEMO S.A.C."},
        "documentos": [
            {
                "tipo": "01",
                "serie": "F001",
                "numero": 1,
                "fecha_emision": hoy,
                "moneda": "PEN",
                "importe_total": "1180.00",
                "pagos": [{"fecha": hoy, "importe": "1180.00"}],
            }
        ],
    }
    response = post_document(retencion, espera=20)
    body = response.json()
    assert body["estado"] == "aceptado", body
    assert body["id"] == "20000000001-20-R001-1"
    assert body["totales"]["retenido"] == "35.40"
    xml = api.get(body["enlaces"]["xml"], headers=auth).content
    assert b"<Retention" in xml
    assert api.get(body["enlaces"]["cdr"], headers=auth).status_code == 200

    percepcion = {
        "tipo": "40",
        "serie": "P001",
        "numero": 1,
        "regimen": "01",
        "cliente": {"tipo_documento": "6", "numero_documento": "20603343710", "razon_social": "CLIENTE DEMO"},
        "documentos": [
            {
                "tipo": "03",
                "serie": "B001",
                "numero": 1,
                "fecha_emision": hoy,
                "moneda": "PEN",
                "importe_total": "1180.00",
                "cobros": [{"fecha": hoy, "importe": "1180.00"}],
            }
        ],
    }
    body = post_document(percepcion, espera=20).json()
    assert body["estado"] == "aceptado", body
    assert body["totales"]["percibido"] == "23.60"
