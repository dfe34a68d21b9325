"""Hacienda's callbacks and OpenPSE's polls bring the same verdict, without races.

Over real HTTP on loopback: the API and the sandbox as servers, the emulator calling the
API's ``POST /v1/hacienda/callback/{token}`` when it decides. Then the race itself, many
times: the callback and the poller applying the same verdict to the same documents at
the same moment end with one transition per document. And what the callback refuses.
"""

from __future__ import annotations

import base64
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx2
import pytest
from hacienda_e2e_support import (
    LiveServer,
    add_callback_route,
    cr_runtime,
    events,
    factura,
    free_port,
    recibida,
    rows,
    sandbox_app,
    wait_until,
)
from pydantic import SecretStr
from sqlalchemy import select, update

from openpse import demo
from openpse.api.app import create_app
from openpse.authorities.hacienda.authority import HaciendaAuthority
from openpse.authorities.hacienda.callback import handle_callback
from openpse.documents import service
from openpse.jobs.queue import JobQueue
from openpse.sandbox.hacienda.processing import status_body
from openpse.storage.tables import Comprobante, Empresa


def _token(client: httpx2.Client, client_id: str = demo.DEMO_CR_CLIENT) -> dict[str, str]:
    response = client.post(
        "/v1/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": "demo-secret"},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_the_callback_brings_the_verdict_before_the_first_poll(
    tmp_path: Any, cert_dir: Any, live: Any
) -> None:
    # Hacienda decides 0.2 s after receiving; OpenPSE's first poll is 1 s after the send.
    sandbox = live(sandbox_app(cert_dir, recibido_s=0.1, procesando_s=0.1))
    port = free_port()
    runtime = cr_runtime(tmp_path / "data", sandbox.url, callback_base=f"http://127.0.0.1:{port}")
    JobQueue(runtime)
    app = create_app(runtime, start_workers=4)
    add_callback_route(app, runtime)
    api = LiveServer(app)
    api.port = port
    api.server.config.port = port
    api.start()
    try:
        with httpx2.Client(base_url=api.url, timeout=60) as client:
            auth = _token(client)
            docs = [
                client.post("/v1/comprobantes", json=factura(), headers=auth, params={"espera": 30}).json()
                for _ in range(5)
            ]
            # A MensajeReceptor too: Hacienda calls back with clave-consecutivoReceptor.
            recibido = base64.b64encode(recibida()[0]).decode("ascii")
            mensaje = client.post(
                "/v1/recepciones", json={"xml": recibido, "mensaje": 1}, headers=auth, params={"espera": 30}
            )
            docs.append(mensaje.json())
        assert [d["estado"] for d in docs] == ["aceptado"] * 6
        assert docs[-1]["tipo"] == "05"
        hacienda = sandbox.app.state.sandbox.hacienda
        deliveries = {d.key: d for d in hacienda.callbacks()}
        for doc in docs:
            delivery = deliveries[doc["id"]]
            assert delivery.status == 202, delivery
            assert delivery.url.startswith(f"http://127.0.0.1:{port}/v1/hacienda/callback/")
            history = events(runtime, doc["id"])
            assert [estado for estado, _ in history] == ["registrado", "enviando", "pendiente", "aceptado"]
            assert (history[-1][1] or "").startswith("callback de Hacienda"), history
            # The MensajeHacienda came with the callback: it is the document's answer.
            assert client_cdr(api.url, doc["id"]) == hacienda.record(doc["id"]).respuesta_xml
    finally:
        api.stop()
        runtime.close()


def client_cdr(url: str, doc_id: str) -> bytes:
    with httpx2.Client(base_url=url, timeout=30) as client:
        return client.get(f"/v1/comprobantes/{doc_id}/cdr", headers=_token(client)).content


def test_callbacks_and_polls_racing_on_the_same_documents_apply_each_verdict_once(
    tmp_path: Any, cert_dir: Any, live: Any
) -> None:
    sandbox = live(sandbox_app(cert_dir, callbacks=False))
    runtime = cr_runtime(tmp_path / "data", sandbox.url, callback_base="http://127.0.0.1:9")
    try:
        with runtime.db.read() as session:
            empresa = session.scalars(
                select(Empresa).where(Empresa.identificacion == demo.DEMO_CR_CEDULA)
            ).one()
        ids = [service.register(runtime, empresa, payload=factura()).row.id for _ in range(40)]
        for doc_id in ids:
            assert service.advance(runtime, doc_id).value == "pendiente"
        hacienda = sandbox.app.state.sandbox.hacienda
        wait_until(lambda: all(hacienda.record(i).final_state for i in ids), 20, "Hacienda decide")
        with runtime.db.session() as session:
            # Due for a poll now, as if its delay had passed.
            session.execute(update(Comprobante).where(Comprobante.id.in_(ids)).values(proximo_intento=None))
        authority = runtime.authorities["CR"]
        assert isinstance(authority, HaciendaAuthority)
        bodies = {i: status_body(hacienda.record(i), 0.0, 0.0) for i in ids}
        start = threading.Barrier(2 * len(ids), timeout=30)

        def callback(doc_id: str) -> int:
            start.wait()
            token = authority.callback_token(doc_id)
            assert token is not None
            return handle_callback(runtime, token, bodies[doc_id]).status

        def poll(doc_id: str) -> None:
            start.wait()
            service.advance(runtime, doc_id)

        with ThreadPoolExecutor(max_workers=2 * len(ids)) as pool:
            callbacks = [pool.submit(callback, doc_id) for doc_id in ids]
            polls = [pool.submit(poll, doc_id) for doc_id in ids]
            statuses = [future.result(timeout=60) for future in callbacks]
            for future in polls:
                future.result(timeout=60)
    finally:
        runtime.close()
    assert statuses == [202] * len(ids)
    by_id = {row.id: row for row in rows(runtime)}
    for doc_id in ids:
        row = by_id[doc_id]
        assert (row.estado, row.lease_token, row.cdr_blob is not None) == ("aceptado", None, True)
        history = [estado for estado, _ in events(runtime, doc_id)]
        assert history == ["registrado", "enviando", "pendiente", "aceptado"], history


@pytest.fixture
def pending(tmp_path: Any, cert_dir: Any, live: Any) -> Any:
    """One factura that Hacienda accepted and OpenPSE still has ``pendiente``."""
    sandbox = live(sandbox_app(cert_dir, callbacks=False))
    runtime = cr_runtime(tmp_path / "data", sandbox.url, callback_base="http://127.0.0.1:9")
    with runtime.db.read() as session:
        empresa = session.scalars(select(Empresa).where(Empresa.identificacion == demo.DEMO_CR_CEDULA)).one()
    doc_id = service.register(runtime, empresa, payload=factura()).row.id
    assert service.advance(runtime, doc_id).value == "pendiente"
    hacienda = sandbox.app.state.sandbox.hacienda
    wait_until(lambda: hacienda.record(doc_id).final_state is not None, 20, "Hacienda decide")
    authority = runtime.authorities["CR"]
    yield runtime, authority, doc_id, status_body(hacienda.record(doc_id), 0.0, 0.0)
    runtime.close()


def _estado(runtime: Any, doc_id: str) -> str:
    with runtime.db.read() as session:
        row = session.get(Comprobante, doc_id)
        assert row is not None
        return row.estado


def test_a_callback_with_a_wrong_token_changes_nothing(pending: Any) -> None:
    runtime, authority, doc_id, body = pending
    other = authority.callback_token(doc_id[:-1] + ("1" if doc_id[-1] != "1" else "2"))
    for token in (other, "0" * 32, "corto", authority.callback_token(doc_id).upper()):
        assert handle_callback(runtime, token, body).status == 404
    assert _estado(runtime, doc_id) == "pendiente"


def test_an_unreadable_callback_is_refused(pending: Any) -> None:
    runtime, authority, doc_id, body = pending
    token = authority.callback_token(doc_id)
    assert handle_callback(runtime, token, None).status == 400
    assert handle_callback(runtime, token, {**body, "ind-estado": "inventado"}).status == 400
    assert _estado(runtime, doc_id) == "pendiente"


def test_a_callback_that_is_not_final_leaves_the_document_to_the_poller(pending: Any) -> None:
    runtime, authority, doc_id, body = pending
    token = authority.callback_token(doc_id)
    procesando = {"clave": doc_id, "fecha": body["fecha"], "ind-estado": "procesando"}
    result = handle_callback(runtime, token, procesando)
    assert (result.status, result.estado) == (202, "pendiente")
    assert _estado(runtime, doc_id) == "pendiente"


def test_a_verdict_for_another_clave_is_not_applied(pending: Any) -> None:
    runtime, authority, doc_id, body = pending
    token = authority.callback_token(doc_id)
    mensaje = base64.b64decode(body["respuesta-xml"])
    otra = doc_id[:-8] + ("12345678" if doc_id[-8:] != "12345678" else "87654321")
    forged = {
        **body,
        "respuesta-xml": base64.b64encode(mensaje.replace(doc_id.encode(), otra.encode())).decode(),
    }
    assert handle_callback(runtime, token, forged).status == 202
    assert _estado(runtime, doc_id) == "pendiente"


def test_a_second_callback_for_a_final_document_is_answered_and_ignored(pending: Any) -> None:
    runtime, authority, doc_id, body = pending
    token = authority.callback_token(doc_id)
    first = handle_callback(runtime, token, body)
    second = handle_callback(runtime, token, body)
    assert (first.status, first.estado) == (202, "aceptado")
    assert (second.status, second.estado) == (202, "aceptado")
    assert [estado for estado, _ in events(runtime, doc_id)].count("aceptado") == 1


def test_the_runtime_factory_derives_callback_tokens_from_the_master_key(tmp_path: Any) -> None:
    """What ``runtime.py`` will call: same master key, same tokens on every replica; after a
    rotation (new key first) the tokens issued under the old key still verify."""
    from openpse.authorities.hacienda.authority import desde_configuracion
    from openpse.core.secretbox import SecretBox
    from tests_support import make_runtime

    runtime = make_runtime(tmp_path / "data", "http://127.0.0.1:9", public_url="https://openpse.example.cr")
    try:
        first = desde_configuracion(runtime.settings, runtime.http, runtime.db, runtime.blobs)
        replica = desde_configuracion(runtime.settings, runtime.http, runtime.db, runtime.blobs)
        clave = "5" * 50
        token = first.callback_token(clave)
        assert token is not None
        assert replica.callback_valid(clave, token)
        assert (
            first.callback_url(clave, "produccion")
            == f"https://openpse.example.cr/v1/hacienda/callback/{token}"
        )

        old = (tmp_path / "data" / "master.key").read_text().strip()
        rotated = runtime.settings.model_copy(
            update={"master_key": SecretStr(f"{SecretBox.generate_key()},{old}")}
        )
        after = desde_configuracion(rotated, runtime.http, runtime.db, runtime.blobs)
        assert after.callback_valid(clave, token)
        assert after.callback_token(clave) != token
        stranger = runtime.settings.model_copy(update={"master_key": SecretStr(SecretBox.generate_key())})
        assert not desde_configuracion(stranger, runtime.http, runtime.db, runtime.blobs).callback_valid(
            clave, token
        )
    finally:
        runtime.close()
