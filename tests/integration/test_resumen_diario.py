"""Boletas by daily summary (RC, ConditionCode 1), over real HTTP against the SUNAT emulator.

A scripted transport sits between OpenPSE and the emulator (``tests_support.Script``) to
lose answers on sendSummary and getStatus; the emulator's own registry is checked
directly: what OpenPSE says was informed is what SUNAT holds.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from openpse import demo
from openpse.api.app import create_app
from openpse.core.timeutil import now_lima
from openpse.documents import resumen_diario
from openpse.jobs.queue import JobQueue
from openpse.storage.tables import Comprobante, ResumenLinea
from tests_support import (
    Script,
    boleta,
    factura,
    fault,
    lose_answer,
    make_runtime,
    never_arrives,
    status,
    token_for,
)

HOY = now_lima().date()
RC = f"20000000001-RC-{HOY:%Y%m%d}"


@pytest.fixture
def script(sandbox_url: str) -> Script:
    return Script(sandbox_url)


@pytest.fixture
def summary_api(tmp_path, sandbox_url, test_certificate, script) -> Iterator[tuple[TestClient, dict, Any]]:
    runtime = make_runtime(
        tmp_path / "data",
        sandbox_url,
        test_certificate,
        http=httpx2.Client(transport=httpx2.MockTransport(script)),
        max_intentos=3,
    )
    JobQueue(runtime)
    with TestClient(create_app(runtime, start_workers=2), raise_server_exceptions=False) as client:
        auth = token_for(client)
        admin = token_for(client, demo.DEMO_ADMIN)
        changed = client.patch(
            f"/v1/empresas/{demo.DEMO_RUC}", json={"boletas_por_resumen": True}, headers=admin
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["boletas_por_resumen"] is True
        yield client, auth, runtime
    runtime.close()


def _get(client, auth, doc_id: str, espera: int = 30) -> dict:
    return client.get(f"/v1/comprobantes/{doc_id}", headers=auth, params={"espera": espera}).json()


def _post(client, auth, body: dict) -> dict:
    response = client.post("/v1/comprobantes", json=body, headers=auth)
    assert response.status_code == 202, response.text
    return response.json()


def _nota(numero: int, afectado: int, **overrides: Any) -> dict:
    return boleta(
        tipo="07",
        numero=numero,
        forma_pago=None,
        documento_afectado={"tipo": "03", "serie": "B001", "numero": afectado},
        motivo={"codigo": "07", "descripcion": "Devolución por ítem"},
        **overrides,
    )


def _registry(sandbox_server) -> dict[tuple[str, str, int], Any]:
    _url, app = sandbox_server
    return {(d.tipo, d.serie, d.numero): d for d in app.state.sandbox.documents() if d.ruc == demo.DEMO_RUC}


def _lines(runtime, summary_id: str) -> list[str]:
    with runtime.db.read() as session:
        return sorted(
            session.scalars(
                select(ResumenLinea.comprobante_id).where(ResumenLinea.resumen_id == summary_id)
            ).all()
        )


def _summarize(client, auth) -> list[dict]:
    response = client.post("/v1/resumenes", headers=auth)
    assert response.status_code in (200, 202), response.text
    return list(response.json()["resumenes"])


def test_boletas_and_a_note_go_in_one_summary_and_take_its_answer(summary_api, script, sandbox_server):
    client, auth, runtime = summary_api
    boletas = [_post(client, auth, boleta(numero=n)) for n in (1, 2, 3)]
    nota = _post(client, auth, _nota(1, afectado=1))
    invoice = client.post("/v1/comprobantes", json=factura(numero=1), headers=auth, params={"espera": 20})
    assert invoice.json()["estado"] == "aceptado"
    time.sleep(0.5)
    # Signed and stored, never sent on their own: only the factura went by sendBill.
    assert script.calls.count("sendBill") == 1
    waiting = client.get("/v1/resumenes/pendientes", headers=auth).json()
    assert sorted(d["id"] for d in waiting) == sorted([*(b["id"] for b in boletas), nota["id"]])
    assert all(_get(client, auth, b["id"], 0)["estado"] == "registrado" for b in boletas)

    created = _summarize(client, auth)
    assert [s["id"] for s in created] == [f"{RC}-1"]
    summary = _get(client, auth, f"{RC}-1")
    assert summary["estado"] == "aceptado", summary
    assert _lines(runtime, summary["id"]) == sorted([*(b["id"] for b in boletas), nota["id"]])
    registry = _registry(sandbox_server)
    for doc in [*boletas, nota]:
        final = _get(client, auth, doc["id"])
        assert final["estado"] == "aceptado", final
        assert final["respuesta"]["codigo"] == "0"
        assert f"RC-{HOY:%Y%m%d}-1" in final["respuesta"]["descripcion"]
        cdr = client.get(f"/v1/comprobantes/{doc['id']}/cdr", headers=auth)
        assert cdr.status_code == 200
        assert b"ApplicationResponse" in cdr.content
        assert registry[(doc["tipo"], doc["serie"], doc["numero"])].estado == "aceptado"
    assert script.calls.count("sendBill") == 1, "a boleta informed by summary never goes by sendBill"
    assert _summarize(client, auth) == []
    # SUNAT holds them: a sendBill of the same boleta now is a duplicate (1033).
    assert registry[("03", "B001", 1)].file_name == f"{RC}-1.zip"
    from openpse.authorities.sunat.soap import Credentials, SoapFault, SunatSoapClient

    with runtime.db.read() as session:
        row = session.get(Comprobante, boletas[0]["id"])
    with pytest.raises(SoapFault) as duplicate:
        SunatSoapClient(runtime.http).send_bill(
            f"{runtime.settings.resolved_sandbox_url}/ol-ti-itcpfegem-beta/billService",
            Credentials(demo.DEMO_RUC, "MODDATOS", "moddatos"),
            row.envio_name,
            runtime.blobs.get(row.envio_blob),
        )
    assert duplicate.value.code == "1033"


def test_the_periodic_job_sends_a_closed_day_and_waits_for_the_open_one(summary_api, script):
    client, auth, runtime = summary_api
    _post(client, auth, boleta(numero=7))
    queue = runtime.queue
    assert queue.summarize() == 0, "today's boletas wait for the day to close"
    runtime.settings.resumen_espera_s = 0.0
    assert queue.summarize() == 1, "unless they waited OPENPSE_RESUMEN_ESPERA_S"
    assert _get(client, auth, "20000000001-03-B001-7")["estado"] == "aceptado"
    assert "resumenes" in [job.name for job in queue._periodic]


def test_a_day_that_is_over_goes_without_waiting(summary_api):
    client, auth, runtime = summary_api
    doc = _post(client, auth, boleta(numero=8))
    rows = resumen_diario.pending(runtime)
    assert [r.id for r in rows] == [doc["id"]]
    tomorrow = HOY + dt.timedelta(days=1)
    assert not resumen_diario._due(runtime, rows, HOY, rows[0].creado)
    assert resumen_diario._due(runtime, rows, tomorrow, rows[0].creado)


def test_a_note_on_a_boleta_of_an_earlier_summary_waits_for_its_answer(summary_api, script):
    client, auth, runtime = summary_api
    _post(client, auth, boleta(numero=1))
    script.on("getStatus", status(502, b"<html>Bad Gateway</html>"))
    assert [s["id"] for s in _summarize(client, auth)] == [f"{RC}-1"]
    nota = _post(client, auth, _nota(1, afectado=1))
    # The boleta's summary is still in process (its first poll is at least a second away):
    # the note waits for SUNAT to hold the boleta, then goes.
    assert _summarize(client, auth) == []
    assert _get(client, auth, nota["id"], 0)["estado"] == "registrado"
    created = _summarize(client, auth)
    deadline = time.monotonic() + 30
    while not created and time.monotonic() < deadline:
        time.sleep(0.3)
        created = _summarize(client, auth)
    assert _get(client, auth, "20000000001-03-B001-1")["estado"] == "aceptado"
    assert [s["id"] for s in created] == [f"{RC}-2"]
    assert _get(client, auth, nota["id"])["estado"] == "aceptado"
    assert _lines(runtime, f"{RC}-2") == [nota["id"]]


def test_voiding_a_boleta_waiting_for_its_summary_is_refused_then_goes_by_rc_estado_3(
    summary_api, sandbox_server
):
    client, auth, _runtime = summary_api
    doc = _post(client, auth, boleta(numero=4))
    refused = client.post(
        f"/v1/comprobantes/{doc['id']}/anulacion", json={"motivo": "Error en el importe"}, headers=auth
    )
    assert refused.status_code == 409
    assert "resumen diario" in refused.json()["errors"][0]["desError"]
    _summarize(client, auth)
    assert _get(client, auth, doc["id"])["estado"] == "aceptado"
    voided = client.post(
        f"/v1/comprobantes/{doc['id']}/anulacion",
        json={"motivo": "Error en el importe"},
        headers=auth,
        params={"espera": 30},
    ).json()
    if voided["estado"] != "anulado":
        voided = _get(client, auth, doc["id"])
    assert voided["estado"] == "anulado"
    assert _registry(sandbox_server)[("03", "B001", 4)].estado == "anulado"


def test_informing_and_annulling_a_boleta_in_one_summary_is_what_sunat_refuses(test_certificate):
    # Why a boleta waiting for its summary cannot be voided at once: one RC with the lines
    # 1 and 3 of the same boleta breaks the sheet (2663: a line 3 needs the boleta informed).
    from openpse.authorities.sunat import resumenes
    from openpse.core.errors import ValidationFailed

    linea = {
        "tipo": "03",
        "serie": "B001",
        "numero": 9,
        "cliente": {"tipo_documento": "1", "numero_documento": "46027897"},
        "totales": dict.fromkeys(
            ("gravado", "exonerado", "inafecto", "exportacion", "gratuito", "isc", "icbper"), "0.00"
        )
        | {"gravado": "100.00", "igv": "18.00", "total": "118.00"},
        "moneda": "PEN",
    }
    rc = resumenes.ResumenDiario(
        resumenes.Emisor(demo.DEMO_RUC, demo.DEMO_RAZON_SOCIAL),
        HOY,
        HOY,
        1,
        (
            resumenes.linea_desde_comprobante(**linea, condicion=resumenes.Condicion.ADICIONAR),
            resumenes.linea_desde_comprobante(**linea, condicion=resumenes.Condicion.ANULAR),
        ),
    )
    with pytest.raises(ValidationFailed) as refused:
        resumenes.validate(rc, HOY, registro=lambda _ref: None)
    assert "2663" in [issue.cod for issue in refused.value.issues]


@pytest.mark.parametrize("action", [never_arrives, fault("0130", "El sistema no puede responder")])
def test_a_summary_that_did_not_arrive_goes_again(summary_api, script, sandbox_server, action):
    client, auth, _runtime = summary_api
    doc = _post(client, auth, boleta(numero=1))
    script.on("sendSummary", action)
    _summarize(client, auth)
    assert _get(client, auth, doc["id"])["estado"] == "aceptado"
    assert _get(client, auth, f"{RC}-1")["estado"] == "aceptado"
    assert script.calls.count("sendSummary") == 2
    assert _registry(sandbox_server)[("03", "B001", 1)].estado == "aceptado"


def test_a_lost_sendsummary_answer_ends_accepted_through_a_second_summary(
    summary_api, script, sandbox_server
):
    # SUNAT processed the summary but the ticket never reached us: the same bytes go again
    # (2223, the name is taken), so the boletas go in a new summary, which SUNAT answers
    # with 2282 (already informed): they are aceptado, informed once.
    client, auth, runtime = summary_api
    docs = [_post(client, auth, boleta(numero=n)) for n in (1, 2)]
    script.on("sendSummary", lose_answer)
    _summarize(client, auth)
    for doc in docs:
        final = _get(client, auth, doc["id"])
        assert final["estado"] == "aceptado", final
        assert "2282" in final["respuesta"]["descripcion"]
        assert client.get(f"/v1/comprobantes/{doc['id']}/cdr", headers=auth).status_code == 200
    first, second = _get(client, auth, f"{RC}-1"), _get(client, auth, f"{RC}-2")
    assert (first["estado"], first["respuesta"]["codigo"]) == ("rechazado", "2223")
    assert (second["estado"], second["respuesta"]["codigo"]) == ("rechazado", "2282")
    assert _lines(runtime, f"{RC}-2") == sorted(d["id"] for d in docs)
    registry = _registry(sandbox_server)
    assert registry[("03", "B001", 1)].file_name == f"{RC}-1.zip"
    assert script.calls.count("sendSummary") == 3


def test_ticket_polling_survives_lost_and_broken_answers(summary_api, script, sandbox_server):
    client, auth, _runtime = summary_api
    doc = _post(client, auth, boleta(numero=1))
    script.on("getStatus", never_arrives, status(502, b"<html>Bad Gateway</html>"), lose_answer)
    _summarize(client, auth)
    assert _get(client, auth, doc["id"])["estado"] == "aceptado"
    assert script.calls.count("sendSummary") == 1
    assert script.calls.count("getStatus") >= 4


def test_a_lost_ticket_sends_the_summary_again_and_ends_accepted(summary_api, script, sandbox_server):
    client, auth, _runtime = summary_api
    doc = _post(client, auth, boleta(numero=1))
    script.on("getStatus", fault("0127", "El ticket no existe"))
    _summarize(client, auth)
    final = _get(client, auth, doc["id"])
    assert final["estado"] == "aceptado", final
    assert _registry(sandbox_server)[("03", "B001", 1)].estado == "aceptado"


def test_a_rejected_summary_rejects_its_boletas_with_its_answer(summary_api, script):
    client, auth, runtime = summary_api
    doc = _post(client, auth, boleta(numero=1))
    # An OSE answers a rejected summary with a fault on getStatus (CDR-OSE-Resumen 2833).
    script.on("getStatus", fault("2228", "RegistrationName - El dato ingresado no cumple con el estandar"))
    _summarize(client, auth)
    final = _get(client, auth, doc["id"])
    assert final["estado"] == "rechazado", final
    assert final["respuesta"]["codigo"] == "2228"
    with runtime.db.read() as session:
        assert session.get(Comprobante, doc["id"]).estado == "rechazado"


def test_a_line_sunat_would_refuse_is_set_apart_and_the_rest_go(summary_api, script):
    client, auth, _runtime = summary_api
    good = _post(client, auth, boleta(numero=1))
    # A note on a boleta SUNAT never received (and OpenPSE does not hold): 2989 alone.
    orphan = _post(client, auth, _nota(1, afectado=99))
    created = _summarize(client, auth)
    assert len(created) == 1
    assert _get(client, auth, good["id"])["estado"] == "aceptado"
    refused = _get(client, auth, orphan["id"], 0)
    assert refused["estado"] == "fallido"
    assert refused["respuesta"]["codigo"] == "2989"


def test_empresa_created_with_boletas_por_resumen(api, admin_auth):
    response = api.post(
        "/v1/empresas",
        json={"ruc": "20100070970", "razon_social": "OTRA S.A.C.", "boletas_por_resumen": True},
        headers=admin_auth,
    )
    assert response.status_code == 201, response.text
    assert response.json()["boletas_por_resumen"] is True
    assert api.get("/v1/empresas/20100070970", headers=admin_auth).json()["boletas_por_resumen"] is True
    spec = api.get("/openapi.json").json()
    assert "post" in spec["paths"]["/v1/resumenes"]
    assert "patch" in spec["paths"]["/v1/empresas/{ruc}"]


def test_a_failed_summary_fails_its_boletas_and_they_go_again_in_a_new_one(
    summary_api, script, sandbox_server
):
    client, auth, _runtime = summary_api
    doc = _post(client, auth, boleta(numero=1))
    # A format exception: these bytes never pass, a person must look.
    script.on("sendSummary", fault("0306", "No se puede leer (parsear) el archivo XML"))
    _summarize(client, auth)
    assert _get(client, auth, f"{RC}-1")["estado"] == "fallido"
    failed = _get(client, auth, doc["id"], 5)
    assert failed["estado"] == "fallido", failed
    # The summary is not retried as such: its boletas are, in a new summary.
    assert client.post(f"/v1/comprobantes/{RC}-1/envio", headers=auth).status_code == 409
    assert client.post(f"/v1/comprobantes/{doc['id']}/envio", headers=auth).status_code == 202
    assert [s["id"] for s in _summarize(client, auth)] == [f"{RC}-2"]
    assert _get(client, auth, doc["id"])["estado"] == "aceptado"
    assert _registry(sandbox_server)[("03", "B001", 1)].file_name == f"{RC}-2.zip"
