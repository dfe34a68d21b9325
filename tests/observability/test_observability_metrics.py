"""Prometheus metrics: documents by state, queue depth, transitions and retries, authority
latency, HTTP requests; the optional token of /metrics."""

from __future__ import annotations

import re

import httpx2
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update
from starlette.testclient import TestClient

from openpse import observability
from openpse.api.app import create_app
from openpse.storage.tables import Comprobante
from tests_support import factura, make_runtime


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def _sum(samples, name: str, **labels: str) -> float:
    return sum(
        value
        for (sample, sample_labels), value in samples.items()
        if sample == name and all(dict(sample_labels).get(k) == v for k, v in labels.items())
    )


def test_a_document_s_life_shows_in_the_metrics(api, auth):
    before = _samples(api.get("/metrics").text)
    posted = api.post("/v1/comprobantes", json=factura(numero=1), headers=auth, params={"espera": 20})
    assert posted.json()["estado"] == "aceptado"
    api.get(f"/v1/comprobantes/{posted.json()['id']}", headers=auth)
    response = api.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    after = _samples(response.text)
    assert _value(after, "openpse_comprobantes", estado="aceptado", tipo="01") == 1
    assert ("openpse_cola_pendientes", ()) in after
    assert ("openpse_cola_programados", ()) in after
    for desde, hacia in (("", "registrado"), ("registrado", "enviando"), ("enviando", "aceptado")):
        grew = _value(after, "openpse_transiciones_total", desde=desde, hacia=hacia) - _value(
            before, "openpse_transiciones_total", desde=desde, hacia=hacia
        )
        assert grew == 1, (desde, hacia)
    calls = _sum(after, "openpse_autoridad_duracion_segundos_count", operacion="sendBill", codigo="200")
    assert (
        calls - _sum(before, "openpse_autoridad_duracion_segundos_count", operacion="sendBill", codigo="200")
        == 1
    )
    reads = _value(
        after, "openpse_http_solicitudes_total", metodo="GET", ruta="/v1/comprobantes/{doc_id}", codigo="200"
    )
    assert reads >= 1
    assert _value(after, "openpse_info", version=__import__("openpse").__version__) == 1
    assert "20000000001" not in response.text, "sin etiquetas por empresa: ni cardinalidad ni fugas"


def test_a_manual_retry_counts_as_a_retry(api, auth, runtime):
    doc_id = api.post(
        "/v1/comprobantes", json=factura(numero=1), headers=auth, params={"enviar": "false"}
    ).json()["id"]
    with runtime.db.session() as session:
        session.execute(update(Comprobante).where(Comprobante.id == doc_id).values(estado="fallido"))
    before = _value(_samples(api.get("/metrics").text), "openpse_reintentos_total", motivo="manual")
    assert api.post(f"/v1/comprobantes/{doc_id}/envio", headers=auth).status_code == 202
    after = _value(_samples(api.get("/metrics").text), "openpse_reintentos_total", motivo="manual")
    assert after - before == 1


def _fail_after_flush(runtime, doc_id: str) -> None:
    from openpse.storage.tables import Evento

    with runtime.db.session() as session:
        session.add(Evento(comprobante_id=doc_id, estado_anterior="error", estado="enviando"))
        session.flush()
        raise RuntimeError("la transacción se deshace")


def test_transitions_of_a_rolled_back_transaction_are_not_counted(api, auth, runtime):
    doc_id = api.post(
        "/v1/comprobantes", json=factura(numero=1), headers=auth, params={"enviar": "false"}
    ).json()["id"]

    def retries() -> float:
        return _value(_samples(api.get("/metrics").text), "openpse_reintentos_total", motivo="error")

    before = retries()
    with pytest.raises(RuntimeError):
        _fail_after_flush(runtime, doc_id)
    assert retries() == before


def test_metrics_can_require_a_token(tmp_path, sandbox_url):
    runtime = make_runtime(tmp_path / "data", sandbox_url, metrics_token="prometeo")
    with TestClient(create_app(runtime)) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer otro"}).status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer prometeo"}).status_code == 200
    runtime.close()


def test_calls_that_get_no_answer_are_counted_by_the_transport():
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectTimeout("sin respuesta", request=request)

    client = httpx2.Client(transport=observability.InstrumentedTransport(httpx2.MockTransport(refuse)))
    metric = observability.AUTHORITY_FAILURES.labels(destino="sunat.example:8443", tipo="timeout")
    before = metric._value.get()
    with pytest.raises(httpx2.ConnectTimeout):
        client.post("https://sunat.example:8443/ol-ti-itcpfegem/billService")
    assert metric._value.get() - before == 1


@pytest.mark.parametrize(
    ("method", "url", "headers", "operation"),
    [
        (
            "POST",
            "https://e-factura.sunat.gob.pe/ol-ti-itcpfegem/billService",
            {"SOAPAction": "urn:getStatusCdr"},
            "getStatusCdr",
        ),
        (
            "GET",
            "https://api.comprobanteselectronicos.go.cr/recepcion/v1/recepcion/50601012600310123456700100001010000000001199999999",
            {},
            "GET /recepcion/v1/recepcion/{id}",
        ),
        (
            "POST",
            "https://api-seguridad.sunat.gob.pe/v1/clientessol/7b2a9f10-1c3d-4e5f-8a9b-0c1d2e3f4a5b/oauth2/token/",
            {},
            "POST /v1/clientessol/{id}/oauth2/token",
        ),
    ],
)
def test_operation_labels_do_not_carry_ids(method, url, headers, operation):
    assert observability._operation(httpx2.Request(method, url, headers=headers)) == operation
    assert not re.search(r"\d{4}", operation)
