"""What each answer of Hacienda means for a document, against a scripted Hacienda.

A mock transport plays the IDP and the API de Recepción answer by answer (statuses and
headers as ``hacienda_cr.md`` §2 describes them), so every branch of the mapping is
exercised, including the ones the emulator has no knob for.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import httpx2
import pytest
from hacienda_e2e_support import factura, recibida

from openpse import demo
from openpse.authorities.base import EmpresaContext, Submission
from openpse.authorities.hacienda.authority import HaciendaAuthority
from openpse.authorities.hacienda.idp import HaciendaEnvironment
from openpse.authorities.hacienda.perfil import generar_certificado_prueba
from openpse.documents.states import Estado
from openpse.signing.certificates import Certificate

BASE = "https://hacienda.test"
MH = "https://cdn.comprobanteselectronicos.go.cr/xml-schemas/v4.4/mensajeHacienda"
_CERT: list[Certificate] = []


def _empresa(**cambios: Any) -> EmpresaContext:
    if not _CERT:
        _CERT.append(generar_certificado_prueba(demo.DEMO_CR_CEDULA, demo.DEMO_CR_RAZON_SOCIAL))
    datos: dict[str, Any] = {
        "id": 7,
        "pais": "CR",
        "identificacion": demo.DEMO_CR_CEDULA,
        "razon_social": demo.DEMO_CR_RAZON_SOCIAL,
        "nombre_comercial": None,
        "direccion": dict(demo.DEMO_CR_DIRECCION),
        "destino": "hacienda",
        "ambiente": "sandbox",
        "ose_url": None,
        "usuario": "cpj-3-101-123456@stag.comprobanteselectronicos.go.cr",
        "clave": "secreta",
        "firma_algoritmo": "sha256",
        "certificate": _CERT[0],
    }
    datos.update(cambios)
    return EmpresaContext(**datos)


class Hacienda:
    """The scripted remote: the IDP always gives a token; API answers are taken in order."""

    def __init__(self, *answers: httpx2.Response | Callable[[httpx2.Request], httpx2.Response]) -> None:
        self.answers = list(answers)
        self.requests: list[httpx2.Request] = []
        self.token_status = 200

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        if request.url.path.endswith("/token"):
            if self.token_status != 200:
                return httpx2.Response(
                    self.token_status,
                    json={"error": "invalid_grant", "error_description": "Invalid user credentials"},
                )
            return httpx2.Response(
                200,
                json={
                    "access_token": "a",
                    "expires_in": 300,
                    "refresh_token": "r",
                    "refresh_expires_in": 1800,
                },
            )
        self.requests.append(request)
        answer = self.answers.pop(0)
        return answer(request) if callable(answer) else answer


def _authority(hacienda: Hacienda, slept: list[float] | None = None, **options: Any) -> HaciendaAuthority:
    environment = HaciendaEnvironment("prueba", f"{BASE}/idp", "api-stag", f"{BASE}/recepcion/v1")
    return HaciendaAuthority(
        httpx2.Client(transport=httpx2.MockTransport(hacienda)),
        "http://127.0.0.1:9",
        environments={"sandbox": environment, "produccion": environment},
        sleep=(slept.append if slept is not None else lambda _s: None),
        **options,
    )


def _submission(authority: HaciendaAuthority) -> Submission:
    draft = authority.parse(factura())
    prepared = authority.prepare(draft, 1, _empresa(), dt.date.today())
    return Submission(
        id=prepared.id,
        tipo=prepared.tipo,
        serie=prepared.serie,
        numero=prepared.numero,
        hash=prepared.hash,
        envio_name=prepared.envio_name,
        envio=prepared.envio,
        intentos=1,
    )


def _status(
    clave: str, estado: str, mensaje: str | None = None, clave_mensaje: str | None = None
) -> httpx2.Response:
    body: dict[str, Any] = {"clave": clave, "fecha": "2026-11-21T10:15:02-06:00", "ind-estado": estado}
    if mensaje is not None:
        estado_mensaje = "Aceptado" if mensaje == "1" else "Rechazado"
        xml = (
            f'<MensajeHacienda xmlns="{MH}"><Clave>{clave_mensaje or clave}</Clave>'
            "<NombreEmisor>X</NombreEmisor><TipoIdentificacionEmisor>02</TipoIdentificacionEmisor>"
            "<NumeroCedulaEmisor>3101123456</NumeroCedulaEmisor>"
            f"<Mensaje>{mensaje}</Mensaje><EstadoMensaje>{estado_mensaje}</EstadoMensaje>"
            f"<DetalleMensaje>Detalle {mensaje}</DetalleMensaje><TotalFactura>1</TotalFactura>"
            "</MensajeHacienda>"
        )
        body["respuesta-xml"] = base64.b64encode(xml.encode()).decode()
    return httpx2.Response(200, json=body)


@pytest.mark.parametrize(
    ("answer", "estado", "codigo"),
    [
        (httpx2.Response(202), Estado.PENDIENTE, None),
        (httpx2.Response(201), Estado.PENDIENTE, None),
        (
            httpx2.Response(
                400,
                headers={"X-Error-Cause": "El comprobante con la Clave [x] ya fue recibido anteriormente."},
            ),
            Estado.PENDIENTE,
            None,
        ),
        (
            httpx2.Response(
                400, headers={"X-Error-Cause": "El campo fecha es requerido", "validation-exception": "true"}
            ),
            Estado.FALLIDO,
            "400",
        ),
        (httpx2.Response(413), Estado.FALLIDO, "413"),
        (httpx2.Response(499), Estado.DESCONOCIDO, None),
        (httpx2.Response(502, text="Bad Gateway"), Estado.DESCONOCIDO, None),
        (httpx2.Response(503), Estado.DESCONOCIDO, None),
        (httpx2.Response(403, headers={"X-Error-Cause": "Usuario bloqueado"}), Estado.ERROR, "403"),
    ],
)
def test_what_a_send_answer_means(answer: httpx2.Response, estado: Estado, codigo: str | None) -> None:
    hacienda = Hacienda(answer)
    authority = _authority(hacienda)
    outcome = authority.submit(_submission(authority), _empresa())
    assert outcome.estado is estado, outcome
    assert (outcome.respuesta or {}).get("codigo") == codigo
    if codigo == "400":
        assert outcome.respuesta is not None
        assert outcome.respuesta["descripcion"] == "El campo fecha es requerido"


def test_the_body_is_the_stored_one_with_a_callback_for_the_emulator_only_over_https_for_hacienda() -> None:
    for ambiente, base, expected in (
        ("sandbox", "http://127.0.0.1:8000", True),
        ("produccion", "http://127.0.0.1:8000", False),
        ("produccion", "https://openpse.example.cr", True),
    ):
        hacienda = Hacienda(httpx2.Response(202))
        authority = _authority(hacienda, callback_base=base, callback_keys=[b"k" * 32])
        submission = _submission(authority)
        authority.submit(submission, _empresa(ambiente=ambiente))
        body = json.loads(hacienda.requests[0].content)
        stored = json.loads(submission.envio)
        assert {k: v for k, v in body.items() if k != "callbackUrl"} == stored
        assert base64.b64decode(body["comprobanteXml"]).startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
        assert body["emisor"] == {"tipoIdentificacion": "02", "numeroIdentificacion": demo.DEMO_CR_CEDULA}
        assert body["receptor"] == {"tipoIdentificacion": "01", "numeroIdentificacion": "106130584"}
        token = authority.callback_token(submission.id)
        assert ("callbackUrl" in body) is expected
        if expected:
            assert body["callbackUrl"] == f"{base}/v1/hacienda/callback/{token}"


def test_a_short_quota_window_is_waited_out_and_a_long_one_is_left_to_reconciliation() -> None:
    slept: list[float] = []
    hacienda = Hacienda(
        httpx2.Response(429, headers={"Retry-After": "2"}),
        httpx2.Response(429, headers={"Retry-After": "1"}),
        httpx2.Response(202),
    )
    authority = _authority(hacienda, slept)
    assert authority.submit(_submission(authority), _empresa()).estado is Estado.PENDIENTE
    assert len(slept) == 2
    assert 2 <= slept[0] < 2.2
    assert 1 <= slept[1] < 1.2

    slept.clear()
    long_window = Hacienda(httpx2.Response(429, headers={"Retry-After": "3600"}))
    authority = _authority(long_window, slept)
    outcome = authority.submit(_submission(authority), _empresa())
    assert outcome.estado is Estado.DESCONOCIDO
    assert "429" in (outcome.detalle or "")
    assert outcome.retry_after == 3600
    assert slept == []


def test_without_credentials_nothing_is_sent() -> None:
    hacienda = Hacienda()
    authority = _authority(hacienda)
    outcome = authority.submit(_submission(authority), _empresa(usuario=None, clave=None))
    assert outcome.estado is Estado.FALLIDO
    assert "hacienda_usuario" in (outcome.respuesta or {})["descripcion"]
    assert hacienda.requests == []


def test_refused_credentials_are_an_error_with_the_idps_reason() -> None:
    hacienda = Hacienda()
    hacienda.token_status = 401
    authority = _authority(hacienda)
    outcome = authority.submit(_submission(authority), _empresa())
    assert outcome.estado is Estado.ERROR
    assert "Invalid user credentials" in (outcome.respuesta or {})["descripcion"]


def test_an_unreachable_hacienda_is_an_error_retried_later() -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("conexión rechazada", request=request)

    authority = _authority(Hacienda(refuse))
    assert authority.submit(_submission(authority), _empresa()).estado is Estado.ERROR


@pytest.mark.parametrize(
    ("answer", "estado", "codigo", "cdr"),
    [
        ("recibido", Estado.PENDIENTE, None, False),
        ("procesando", Estado.PENDIENTE, None, False),
        ("aceptado:1", Estado.ACEPTADO, "1", True),
        ("rechazado:3", Estado.RECHAZADO, "3", True),
        ("error", Estado.ERROR, "error", False),
        ("aceptado", Estado.DESCONOCIDO, None, False),
        ("aceptado:1:otra", Estado.DESCONOCIDO, None, False),
        ("404", Estado.REGISTRADO, None, False),
        ("400", Estado.REGISTRADO, None, False),
        ("500", Estado.DESCONOCIDO, None, False),
        ("429", Estado.DESCONOCIDO, None, False),
    ],
)
def test_what_a_status_answer_means(answer: str, estado: Estado, codigo: str | None, cdr: bool) -> None:
    def respond(request: httpx2.Request) -> httpx2.Response:
        clave = request.url.path.rsplit("/", 1)[-1]
        if answer.isdigit():
            headers = (
                {"Retry-After": "3600"} if answer == "429" else {"X-Error-Cause": "No existe el recurso"}
            )
            return httpx2.Response(int(answer), headers=headers)
        estado_remoto, _, resto = answer.partition(":")
        mensaje, _, otra = resto.partition(":")
        return _status(clave, estado_remoto, mensaje or None, ("5" * 50) if otra else None)

    authority = _authority(Hacienda(respond))
    submission = _submission(authority)
    outcome = authority.reconcile(submission, _empresa())
    assert outcome.estado is estado, outcome
    assert (outcome.respuesta or {}).get("codigo") == codigo
    assert (outcome.cdr is not None) is cdr
    assert outcome.retry_after == (3600 if answer == "429" else None)
    if cdr:
        assert outcome.respuesta is not None
        assert outcome.respuesta["descripcion"] == f"Detalle {codigo}"


# -- MensajeReceptor and Retry-After through the document service ------------------------------


def _mensaje_submission(authority: HaciendaAuthority) -> Submission:
    """A MensajeReceptor answering a supplier's factura, prepared as the API prepares it."""
    from openpse.authorities.hacienda import recepcion

    xml, _ = recibida()
    peticion, recibido = recepcion.leer_peticion({"mensaje": 1}, xml)
    draft = recepcion.borrador(peticion, recibido, demo.DEMO_CR_CEDULA)
    prepared = authority.prepare(draft, 7, _empresa(), dt.date.today())
    return Submission(
        id=prepared.id,
        tipo=prepared.tipo,
        serie=prepared.serie,
        numero=prepared.numero,
        hash=prepared.hash,
        envio_name=prepared.envio_name,
        envio=prepared.envio,
        intentos=1,
    )


def test_a_mensaje_receptor_is_sent_with_its_consecutivo_and_asked_for_as_clave_dash_consecutivo() -> None:
    def answer(request: httpx2.Request) -> httpx2.Response:
        key = request.url.path.rsplit("/", 1)[-1]
        return _status(key, "aceptado", "1", clave_mensaje=key.split("-")[0])

    hacienda = Hacienda(httpx2.Response(202), answer)
    authority = _authority(hacienda)
    submission = _mensaje_submission(authority)
    clave, consecutivo = submission.id.split("-")

    sent = authority.submit(submission, _empresa())
    asked = authority.reconcile(submission, _empresa())

    body = json.loads(hacienda.requests[0].content)
    assert sent.estado is Estado.PENDIENTE
    assert body["clave"] == clave
    assert body["consecutivoReceptor"] == consecutivo == "00100001050000000007"
    assert body["emisor"] == {"tipoIdentificacion": "02", "numeroIdentificacion": "3102987654"}
    assert body["receptor"]["numeroIdentificacion"] == demo.DEMO_CR_CEDULA
    assert hacienda.requests[1].url.path.endswith(f"/recepcion/{clave}-{consecutivo}")
    assert asked.estado is Estado.ACEPTADO
    assert asked.cdr is not None


def test_retry_after_schedules_the_next_step_exactly_then(tmp_path: Any) -> None:
    from hacienda_e2e_support import cr_runtime
    from sqlalchemy import select

    from openpse.documents import service
    from openpse.storage.tables import Comprobante, Empresa

    runtime = cr_runtime(tmp_path / "data", "http://127.0.0.1:9")  # no queue: steps run by hand
    try:
        runtime.authorities["CR"] = _authority(
            Hacienda(httpx2.Response(429, headers={"Retry-After": "3600"}))
        )
        with runtime.db.read() as session:
            empresa = session.scalars(select(Empresa).where(Empresa.pais == "CR")).one()
        doc = service.register(runtime, empresa, payload=factura()).row

        started = dt.datetime.now(dt.UTC)
        assert service.advance(runtime, doc.id) is Estado.DESCONOCIDO

        with runtime.db.read() as session:
            row = session.get(Comprobante, doc.id)
        assert row is not None
        assert row.proximo_intento is not None
        wait = (row.proximo_intento - started).total_seconds()
        # Hacienda's hour, not the reconciliation ladder's first 2 s.
        assert 3599 <= wait <= 3601
    finally:
        runtime.close()
