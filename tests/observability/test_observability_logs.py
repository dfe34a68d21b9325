"""JSON logs that carry the request id, the company and the document id, whichever thread
writes them, and that mask secrets."""

from __future__ import annotations

import logging

from starlette.testclient import TestClient

from openpse import observability
from openpse.api.app import create_app
from openpse.api.deps import PrincipalDep
from openpse.documents import service
from openpse.jobs.queue import JobQueue
from tests_support import factura, make_runtime, token_for


def test_every_request_is_one_json_line_with_its_context(api, auth, json_logs):
    posted = api.post("/v1/comprobantes", json=factura(numero=1), headers=auth, params={"espera": 20})
    doc_id = posted.json()["id"]
    read = api.get(f"/v1/comprobantes/{doc_id}", headers={**auth, "X-Request-Id": "req-integrador-42"})
    assert read.headers["x-request-id"] == "req-integrador-42"
    access = [line for line in json_logs.lines() if line["logger"] == "openpse.api.acceso"]
    mine = next(line for line in access if line.get("request_id") == "req-integrador-42")
    assert mine["empresa"] == "20000000001"
    assert mine["cliente"] == "demo-pe"
    assert mine["comprobante"] == doc_id
    assert mine["plantilla"] == "/v1/comprobantes/{doc_id}"
    assert mine["codigo"] == 200
    assert mine["level"] == "info"
    assert mine["ts"].endswith("Z")
    assert mine["duracion_ms"] >= 0
    post_line = next(
        line for line in access if line["metodo"] == "POST" and line["ruta"] == "/v1/comprobantes"
    )
    assert post_line["request_id"] == posted.headers["x-request-id"]


def test_logs_written_on_worker_threads_of_a_request_carry_its_context(runtime, json_logs):
    app = create_app(runtime)
    logger = logging.getLogger("openpse.prueba")

    def sync_endpoint(doc_id: str, _principal: PrincipalDep) -> dict[str, str]:
        logger.info("dentro del hilo %s", doc_id)
        return {}

    app.add_api_route("/prueba/{doc_id}", sync_endpoint)
    with TestClient(app) as client:
        response = client.get("/prueba/X-1", headers=token_for(client))
    assert response.status_code == 200
    line = next(line for line in json_logs.lines() if line["logger"] == "openpse.prueba")
    assert line["event"] == "dentro del hilo X-1"
    assert line["request_id"] == response.headers["x-request-id"]
    assert line["empresa"] == "20000000001"
    assert line["comprobante"] == "X-1"


def test_a_job_logs_with_the_document_it_advances(tmp_path, sandbox_url, test_certificate, json_logs):
    runtime = make_runtime(tmp_path / "data", sandbox_url, test_certificate)
    JobQueue(runtime)
    with TestClient(create_app(runtime)) as client:
        doc_id = client.post("/v1/comprobantes", json=factura(numero=1), headers=token_for(client)).json()[
            "id"
        ]
    with observability.job_context(doc_id, empresa="20000000001"):
        assert service.advance(runtime, doc_id).value == "aceptado"
    observability.get_logger("openpse.prueba").info("después del trabajo")
    runtime.close()
    lines = json_logs.lines()
    job = [line for line in lines if line["logger"] == "openpse.documents"]
    assert job, "el servicio no escribió"
    assert all(line["comprobante"] == doc_id and line["empresa"] == "20000000001" for line in job)
    after = next(line for line in lines if line["event"] == "después del trabajo")
    assert "comprobante" not in after, "el contexto del trabajo quedó pegado al hilo"


def test_secrets_are_masked_in_any_field_and_in_the_text(json_logs):
    log = observability.get_logger("openpse.prueba")
    log.info(
        "token pedido: client_secret=abc123xyz&grant_type=client_credentials",
        clave_sol="moddatos",
        headers={"Authorization": "Bearer eyJhbGciOi.abcdef.ghijkl"},
        pem="-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----",
        token_type="Bearer",
    )
    logging.getLogger("openpse.prueba").warning(
        "SOAP <wsse:Password>moddatos</wsse:Password> con Authorization: Basic ZGVtbzpzZWNyZXRv"
    )
    text = json_logs.stream.getvalue()
    for secret in ("abc123xyz", "moddatos", "eyJhbGciOi", "MIIEvQIBADANBg", "ZGVtbzpzZWNyZXRv"):
        assert secret not in text
    first, second = json_logs.lines()[-2:]
    assert first["clave_sol"] == observability.MASK
    assert first["token_type"] == "Bearer", "un campo que no es secreto se deja"
    assert first["event"].endswith("client_secret=[oculto]&grant_type=client_credentials")
    assert "<wsse:Password>[oculto]</wsse:Password>" in second["event"]


def test_text_format_for_a_console(tmp_path):
    import io

    stream = io.StringIO()
    try:
        observability.configure_logging("INFO", "texto", stream)
        logging.getLogger("openpse.prueba").info("hola")
    finally:
        observability.unconfigure_logging()
    assert "hola" in stream.getvalue()
    assert not stream.getvalue().startswith("{")
