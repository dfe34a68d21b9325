"""Never lose, never send different content twice: scripted faults in front of the emulator.

A transport sits between OpenPSE and the SUNAT emulator and, per call, forwards, drops
the answer after the emulator processed the request (the worst case: SUNAT registered
the document but we never heard), fails before forwarding, or answers on its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx2
import pytest
from sqlalchemy import select, update
from starlette.testclient import TestClient

from openpse.api.app import create_app
from openpse.core.timeutil import now_lima
from openpse.documents import service
from openpse.jobs.queue import JobQueue
from openpse.storage.tables import Comprobante, Evento
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


@pytest.fixture
def script(sandbox_url: str) -> Script:
    return Script(sandbox_url)


@pytest.fixture
def chaos_api(
    tmp_path, sandbox_url, test_certificate, script
) -> Iterator[tuple[TestClient, dict[str, str], object]]:
    runtime = make_runtime(
        tmp_path / "data",
        sandbox_url,
        test_certificate,
        http=httpx2.Client(transport=httpx2.MockTransport(script)),
        max_intentos=3,
    )
    JobQueue(runtime)
    with TestClient(create_app(runtime, start_workers=2), raise_server_exceptions=False) as client:
        yield client, token_for(client), runtime
    runtime.close()


def _events(runtime, doc_id: str) -> list[str]:
    with runtime.db.session() as session:
        return list(
            session.scalars(select(Evento.estado).where(Evento.comprobante_id == doc_id).order_by(Evento.id))
        )


def _final(client, auth, location):
    return client.get(location, headers=auth, params={"espera": 30}).json()


def test_lost_answer_for_a_factura_is_recovered_by_querying_the_cdr(chaos_api, script):
    client, auth, runtime = chaos_api
    script.on("sendBill", lose_answer)
    posted = client.post("/v1/comprobantes", json=factura(numero=1), headers=auth)
    doc = _final(client, auth, posted.headers["location"])
    assert doc["estado"] == "aceptado"
    assert doc["respuesta"]["codigo"] == "0"
    assert script.calls.count("sendBill") == 1, "a document SUNAT already holds must not be sent again"
    assert "getStatusCdr" in script.calls
    assert _events(runtime, doc["id"]) == ["registrado", "enviando", "desconocido", "aceptado"]
    assert client.get(f"{posted.headers['location']}/cdr", headers=auth).status_code == 200


def test_lost_answer_for_a_boleta_is_recovered_by_resending_the_same_bytes(chaos_api, script):
    client, auth, _runtime = chaos_api
    script.on("sendBill", lose_answer)
    posted = client.post("/v1/comprobantes", json=boleta(numero=1), headers=auth)
    doc = _final(client, auth, posted.headers["location"])
    assert doc["estado"] == "aceptado"
    assert "1033" in doc["respuesta"]["descripcion"]
    assert script.calls.count("sendBill") == 2
    assert "getStatusCdr" not in script.calls, "SUNAT answers getStatusCdr only for F series"


def test_request_that_never_arrived_is_sent_again_after_asking(chaos_api, script):
    client, auth, _runtime = chaos_api
    script.on("sendBill", never_arrives)
    doc = _final(
        client,
        auth,
        client.post("/v1/comprobantes", json=factura(numero=2), headers=auth).headers["location"],
    )
    assert doc["estado"] == "aceptado"
    assert script.calls == ["sendBill", "getStatusCdr", "sendBill"]


@pytest.mark.parametrize("answer", [status(200), status(502, b"<html>Bad Gateway</html>"), status(401)])
def test_empty_or_foreign_answers_mean_unknown_not_failed(chaos_api, script, answer):
    client, auth, runtime = chaos_api
    script.on("sendBill", answer)
    doc = _final(
        client,
        auth,
        client.post("/v1/comprobantes", json=factura(numero=3), headers=auth).headers["location"],
    )
    assert doc["estado"] == "aceptado"
    assert "desconocido" in _events(runtime, doc["id"])


def test_transient_exceptions_are_retried_with_back_off(chaos_api, script):
    client, auth, runtime = chaos_api
    script.on("sendBill", fault("0109", "El sistema de autenticacion no esta disponible"), fault("0130"))
    doc = _final(
        client,
        auth,
        client.post("/v1/comprobantes", json=factura(numero=4), headers=auth).headers["location"],
    )
    assert doc["estado"] == "aceptado"
    assert doc["intentos"] == 3
    assert _events(runtime, doc["id"]).count("error") == 2


def test_retry_budget_exhausted_is_fallido_and_a_person_can_retry(chaos_api, script):
    client, auth, _runtime = chaos_api
    script.on("sendBill", fault("0100"), fault("0100"), fault("0100"))
    location = client.post("/v1/comprobantes", json=factura(numero=5), headers=auth).headers["location"]
    doc = _final(client, auth, location)
    assert doc["estado"] == "fallido"
    assert doc["respuesta"]["codigo"] == "0100"
    assert client.post(f"{location}/envio", headers=auth).status_code == 202
    assert _final(client, auth, location)["estado"] == "aceptado"


def test_format_exceptions_are_not_retried(chaos_api, script):
    client, auth, _runtime = chaos_api
    script.on("sendBill", fault("0156", "El archivo ZIP esta corrupto"))
    doc = _final(
        client,
        auth,
        client.post("/v1/comprobantes", json=factura(numero=6), headers=auth).headers["location"],
    )
    assert doc["estado"] == "fallido"
    assert script.calls.count("sendBill") == 1


def test_rejection_as_fault_is_rechazado(chaos_api, script):
    client, auth, _runtime = chaos_api
    script.on(
        "sendBill", fault("2800", "El dato ingresado en el tipo de documento de identidad del receptor")
    )
    doc = _final(
        client,
        auth,
        client.post("/v1/comprobantes", json=factura(numero=7), headers=auth).headers["location"],
    )
    assert doc["estado"] == "rechazado"
    assert doc["respuesta"]["codigo"] == "2800"


def test_worker_that_died_while_sending_leaves_a_document_that_is_reconciled(chaos_api, script):
    client, auth, runtime = chaos_api
    script.on("sendBill", lose_answer)
    posted = client.post("/v1/comprobantes", json=factura(numero=8), headers=auth, params={"enviar": "false"})
    doc_id = posted.json()["id"]
    # Simulate a crash: the row says "enviando" under a lease that has expired, and the
    # document did reach SUNAT (sent by hand through the scripted transport).
    with runtime.db.session() as session:
        row = session.get(Comprobante, doc_id)
        envio = runtime.blobs.get(row.envio_blob)
        session.execute(
            update(Comprobante)
            .where(Comprobante.id == doc_id)
            .values(
                estado="enviando",
                enviar=True,
                intentos=1,
                lease_token="muerto",
                lease_hasta=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1),
            )
        )
    from openpse.authorities.sunat.soap import Credentials, SunatSoapClient, TransportError

    with pytest.raises(TransportError):
        SunatSoapClient(runtime.http).send_bill(
            f"{runtime.settings.resolved_sandbox_url}/ol-ti-itcpfegem-beta/billService",
            Credentials("20000000001", "MODDATOS", "moddatos"),
            row.envio_name,
            envio,
        )
    assert service.sweep(runtime) == 1
    doc = _final(client, auth, posted.headers["location"])
    assert doc["estado"] == "aceptado"
    assert script.calls.count("sendBill") == 1
    assert _events(runtime, doc_id)[-2:] == ["desconocido", "aceptado"]


def test_a_job_that_runs_twice_applies_one_answer(chaos_api, script):
    client, auth, runtime = chaos_api
    doc_id = client.post(
        "/v1/comprobantes", json=factura(numero=9), headers=auth, params={"espera": 20}
    ).json()["id"]
    assert service.advance(runtime, doc_id) is None
    assert script.calls.count("sendBill") == 1
    assert _events(runtime, doc_id).count("aceptado") == 1


def _annul(client, auth, doc_id):
    return client.post(
        f"/v1/comprobantes/{doc_id}/anulacion",
        json={"motivo": "Anulación de la operación"},
        headers=auth,
        params={"espera": 40},
    ).json()


@pytest.mark.parametrize(("body", "tipo"), [(factura(numero=5), "RA"), (boleta(numero=5), "RC")])
def test_lost_sendsummary_answer_still_ends_annulled_in_a_second_summary(chaos_api, script, body, tipo):
    # SUNAT registers the summary but its ticket never reaches us: the same bytes go again
    # and SUNAT says the name was presented (2324/2223). Whether the first one annulled the
    # document is unknown here, so a new summary carries it; SUNAT answers that it is
    # already annulled (2323/2987), and the document is anulado: nothing lost, nothing
    # annulled twice.
    client, auth, _runtime = chaos_api
    doc = _final(client, auth, client.post("/v1/comprobantes", json=body, headers=auth).headers["location"])
    assert doc["estado"] == "aceptado"
    script.on("sendSummary", lose_answer)
    result = _annul(client, auth, doc["id"])
    if result["estado"] != "anulado":
        result = _final(client, auth, f"/v1/comprobantes/{doc['id']}")
    assert result["estado"] == "anulado", result
    first = _final(client, auth, f"/v1/comprobantes/20000000001-{tipo}-{HOY:%Y%m%d}-1")
    second = _final(client, auth, f"/v1/comprobantes/20000000001-{tipo}-{HOY:%Y%m%d}-2")
    assert first["estado"] == "rechazado"
    assert first["respuesta"]["codigo"] == ("2324" if tipo == "RA" else "2223")
    assert second["estado"] == "rechazado"
    assert second["respuesta"]["codigo"] == ("2323" if tipo == "RA" else "2987")
    assert script.calls.count("sendSummary") == 3


def test_a_lost_ticket_is_resent_with_the_same_bytes(chaos_api, script):
    client, auth, _runtime = chaos_api
    doc = _final(
        client,
        auth,
        client.post("/v1/comprobantes", json=factura(numero=6), headers=auth).headers["location"],
    )
    script.on("getStatus", fault("0127", "El ticket no existe"))
    result = _annul(client, auth, doc["id"])
    if result["estado"] != "anulado":
        result = _final(client, auth, f"/v1/comprobantes/{doc['id']}")
    assert result["estado"] == "anulado", result
    # The same summary went again after the 0127; the emulator had in fact processed the
    # first one (this script only hid it), so its name was taken (2324) and a second RA
    # found the factura already annulled (2323): the end state is the truth either way.
    summary_calls = [c for c in script.calls if c in ("sendSummary", "getStatus")]
    assert summary_calls[:3] == ["sendSummary", "getStatus", "sendSummary"]
    first = _final(client, auth, f"/v1/comprobantes/20000000001-RA-{HOY:%Y%m%d}-1")
    assert first["respuesta"]["codigo"] == "2324"


def test_transient_getstatus_failures_keep_polling_the_same_ticket(chaos_api, script):
    client, auth, _runtime = chaos_api
    doc = _final(
        client,
        auth,
        client.post("/v1/comprobantes", json=factura(numero=7), headers=auth).headers["location"],
    )
    script.on("getStatus", never_arrives, status(502, b"<html>Bad Gateway</html>"), lose_answer)
    result = _annul(client, auth, doc["id"])
    if result["estado"] != "anulado":
        result = _final(client, auth, f"/v1/comprobantes/{doc['id']}")
    assert result["estado"] == "anulado", result
    assert script.calls.count("sendSummary") == 1
