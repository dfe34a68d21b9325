"""Annulment through the API: a factura by Comunicación de baja (RA), a boleta by a
Resumen diario line with ConditionCode 3 (RC), both tracked through their ticket to
``anulado`` against the SUNAT sandbox."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from sqlalchemy import select

from openpse.core.timeutil import now_lima
from openpse.storage.tables import Comprobante, Evento
from tests_support import boleta, factura

HOY = now_lima().date()


def _anular(api, auth, doc_id, motivo="Error en la descripción", **params):
    return api.post(
        f"/v1/comprobantes/{doc_id}/anulacion", json={"motivo": motivo}, headers=auth, params=params
    )


def test_factura_is_annulled_by_a_comunicacion_de_baja(api, auth, post_document, sandbox_server):
    doc = post_document(factura(numero=11), espera=20).json()
    assert doc["estado"] == "aceptado"

    response = _anular(api, auth, doc["id"], espera=30)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["estado"] == "anulado"
    resumen = body["anulacion"]
    assert resumen["id"] == f"20000000001-RA-{HOY:%Y%m%d}-1"
    assert resumen["tipo"] == "RA"
    assert resumen["estado"] == "aceptado"
    assert resumen["ticket"]
    assert resumen["respuesta"]["codigo"] == "0"
    assert "pdf" not in resumen["enlaces"]

    # The signed RA and SUNAT's CDR are there to download.
    xml = api.get(resumen["enlaces"]["xml"], headers=auth)
    assert b"<sac:VoidReasonDescription>Error en la descripci" in xml.content
    cdr_zip = api.get(resumen["enlaces"]["cdr"], headers=auth, params={"formato": "zip"}).content
    assert f"R-20000000001-RA-{HOY:%Y%m%d}-1.xml" in zipfile.ZipFile(io.BytesIO(cdr_zip)).namelist()

    # SUNAT itself now holds the factura as annulled (billConsultService answers 0003).
    _, sandbox = sandbox_server
    assert sandbox.state.sandbox.document("20000000001", "01", "F001", 11).estado == "anulado"
    assert api.get(f"/v1/comprobantes/{doc['id']}", headers=auth).json()["estado"] == "anulado"


def test_boleta_is_annulled_by_a_resumen_diario_line(api, auth, post_document, sandbox_server):
    doc = post_document(boleta(numero=21), espera=20).json()
    assert doc["estado"] == "aceptado"
    body = _anular(api, auth, doc["id"], espera=30).json()
    assert body["estado"] == "anulado", body
    assert body["anulacion"]["tipo"] == "RC"
    xml = api.get(body["anulacion"]["enlaces"]["xml"], headers=auth).content
    assert b"<cbc:ConditionCode>3</cbc:ConditionCode>" in xml
    _, sandbox = sandbox_server
    assert sandbox.state.sandbox.document("20000000001", "03", "B001", 21).estado == "anulado"


def test_two_annulments_the_same_day_take_consecutive_correlatives(api, auth, post_document):
    first = post_document(factura(numero=31), espera=20).json()
    second = post_document(factura(numero=32), espera=20).json()
    a = _anular(api, auth, first["id"], espera=30).json()["anulacion"]["id"]
    b = _anular(api, auth, second["id"], espera=30).json()["anulacion"]["id"]
    assert a.endswith(f"RA-{HOY:%Y%m%d}-1")
    assert b.endswith(f"RA-{HOY:%Y%m%d}-2")


def test_asking_again_answers_the_same_annulment(api, auth, post_document):
    doc = post_document(factura(numero=41), espera=20).json()
    first = _anular(api, auth, doc["id"])
    assert first.status_code == 202
    assert first.json()["estado"] == "anulacion_pendiente"
    again = _anular(api, auth, doc["id"], espera=30)
    assert again.status_code == 200
    assert again.json()["anulacion"]["id"] == first.json()["anulacion"]["id"]
    assert (
        api.get(f"/v1/comprobantes/{doc['id']}", headers=auth, params={"espera": 30}).json()["estado"]
        == "anulado"
    )


def test_only_an_accepted_document_can_be_annulled(api, auth, post_document):
    doc = post_document(factura(numero=51), enviar="false").json()
    response = _anular(api, auth, doc["id"])
    assert response.status_code == 409
    assert response.json()["errors"][0]["codError"] == "PSE-0013"


def test_an_annulment_after_seven_days_is_refused_with_2957(api, auth, post_document, runtime):
    doc = post_document(factura(numero=61), espera=20).json()
    with runtime.db.session() as session:
        row = session.get(Comprobante, doc["id"])
        row.fecha_emision = HOY - dt.timedelta(days=8)
    response = _anular(api, auth, doc["id"])
    assert response.status_code == 422
    assert response.json()["errors"][0]["codError"] == "2957"
    assert api.get(f"/v1/comprobantes/{doc['id']}", headers=auth).json()["estado"] == "aceptado"


def test_a_motive_is_required(api, auth, post_document):
    doc = post_document(factura(numero=71), espera=20).json()
    response = _anular(api, auth, doc["id"], motivo="x")
    assert response.status_code == 422
    assert response.json()["errors"][0]["campo"] == "motivo"


def test_a_rejected_annulment_gives_the_document_its_state_back(api, auth, post_document, runtime):
    # A factura OpenPSE holds as accepted but SUNAT never received (signed only, then
    # marked accepted, as after a restore from an old backup): SUNAT rejects the RA
    # with 2105 and the factura keeps its state.
    doc = post_document(factura(numero=81), enviar="false").json()
    with runtime.db.session() as session:
        session.get(Comprobante, doc["id"]).estado = "aceptado"
    body = _anular(api, auth, doc["id"], espera=30).json()
    assert body["estado"] == "aceptado", body
    assert body["anulacion"]["estado"] == "rechazado"
    assert body["anulacion"]["respuesta"]["codigo"] == "2105"
    with runtime.db.read() as session:
        detalles = session.scalars(select(Evento.detalle).where(Evento.comprobante_id == doc["id"])).all()
    assert any("no procedió" in (d or "") for d in detalles)


def test_other_tenants_cannot_annul(api, admin_auth, auth, post_document):
    doc = post_document(factura(numero=91), espera=20).json()
    other = api.post(
        "/v1/empresas",
        json={"ruc": "20100070970", "razon_social": "OTRA S.A.C.", "pais": "PE"},
        headers=admin_auth,
    )
    assert other.status_code in (200, 201), other.text
    cliente = api.post("/v1/empresas/20100070970/clientes", headers=admin_auth).json()
    token = api.post(
        "/v1/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": cliente["client_id"],
            "client_secret": cliente["client_secret"],
        },
    ).json()["access_token"]
    response = _anular(api, {"Authorization": f"Bearer {token}"}, doc["id"])
    assert response.status_code == 404
