"""The client against scripted answers the emulator does not give: every mapping, one by one."""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import json
from collections.abc import Callable
from decimal import Decimal

import httpx2
import pytest
from hacienda_transport_support import ACCOUNT, ManualClock

from openpse.authorities.hacienda.client import (
    AuthorizationFailed,
    Envio,
    EstadoDesconocido,
    HaciendaClient,
    Identificacion,
    IndEstado,
    MensajeHaciendaInvalido,
    NeverArrived,
    NotSent,
    QueryFailed,
    Received,
    RejectedAtReception,
    RetryAfter,
    Status,
    UnknownOutcome,
    parse_mensaje_hacienda,
    parse_status,
)
from openpse.authorities.hacienda.idp import HaciendaEnvironment, retry_after_seconds

ENV = HaciendaEnvironment.staging()
CLAVE = "50621112600310112345600100001010000000001112345678"
TOKEN_JSON = {
    "access_token": "tok-1",
    "expires_in": 300,
    "refresh_expires_in": 1800,
    "refresh_token": "ref-1",
    "token_type": "bearer",
}
MH = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<mh:MensajeHacienda xmlns:mh="https://cdn.comprobanteselectronicos.go.cr/xml-schemas/v4.4/mensajeHacienda">'
    f"<mh:Clave>{CLAVE}</mh:Clave><mh:NombreEmisor>EMPRESA</mh:NombreEmisor>"
    "<mh:TipoIdentificacionEmisor>02</mh:TipoIdentificacionEmisor>"
    "<mh:NumeroCedulaEmisor>3101123456</mh:NumeroCedulaEmisor><mh:Mensaje>3</mh:Mensaje>"
    "<mh:EstadoMensaje>Rechazado</mh:EstadoMensaje><mh:DetalleMensaje>malo</mh:DetalleMensaje>"
    "<mh:MontoTotalImpuesto>13.5</mh:MontoTotalImpuesto><mh:TotalFactura>113.50</mh:TotalFactura>"
    "</mh:MensajeHacienda>"
).encode()

Handler = Callable[[httpx2.Request], httpx2.Response]


def _client(api: Handler, idp: Handler | None = None, clock: ManualClock | None = None) -> HaciendaClient:
    calls: list[httpx2.Request] = []

    def route(request: httpx2.Request) -> httpx2.Response:
        calls.append(request)
        if request.url.path.endswith("/openid-connect/token"):
            return idp(request) if idp else httpx2.Response(200, json=TOKEN_JSON)
        return api(request)

    http = httpx2.Client(transport=httpx2.MockTransport(route))
    client = HaciendaClient(http, ENV, clock=clock or ManualClock(1_800_000_000.0))
    client.calls = calls  # type: ignore[attr-defined]
    return client


def _envio(**changes: object) -> Envio:
    values: dict[str, object] = {
        "clave": CLAVE,
        "fecha": dt.datetime(2026, 11, 21, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=-6))),
        "emisor": Identificacion("02", "3101123456"),
        "comprobante_xml": b"<FacturaElectronica/>",
        "receptor": Identificacion("01", "114480790"),
    }
    values.update(changes)
    return Envio(**values)  # type: ignore[arg-type]


def test_the_request_is_hacienda_json_with_a_bearer_token() -> None:
    seen: list[httpx2.Request] = []

    def api(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(202)

    client = _client(api)
    outcome = client.enviar(ACCOUNT, _envio(callback_url="https://erp.example/cb"))

    assert isinstance(outcome, Received)
    [request] = seen
    assert str(request.url) == "https://api-sandbox.comprobanteselectronicos.go.cr/recepcion/v1/recepcion"
    assert request.headers["authorization"] == "bearer tok-1"
    assert json.loads(request.content) == {
        "clave": CLAVE,
        "fecha": "2026-11-21T10:30:00-06:00",
        "emisor": {"tipoIdentificacion": "02", "numeroIdentificacion": "3101123456"},
        "receptor": {"tipoIdentificacion": "01", "numeroIdentificacion": "114480790"},
        "callbackUrl": "https://erp.example/cb",
        "comprobanteXml": base64.b64encode(b"<FacturaElectronica/>").decode(),
    }
    token_request = client.calls[0]  # type: ignore[attr-defined]
    assert str(token_request.url) == (
        "https://idp.comprobanteselectronicos.go.cr/auth/realms/rut-stag/protocol/openid-connect/token"
    )
    assert token_request.content.decode() == (
        "client_id=api-stag&client_secret=&grant_type=password"
        "&username=cpj-3-101-123456%40stag.comprobanteselectronicos.go.cr&password=Zq4%23pW9%21sandbox-Demo1"
    )


def test_mensaje_receptor_sends_its_consecutivo_and_queries_clave_dash_consecutivo() -> None:
    seen: list[httpx2.Request] = []

    def api(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        if request.method == "POST":
            return httpx2.Response(202)
        return httpx2.Response(200, json={"clave": f"{CLAVE}-00100001050000000001", "ind-estado": "recibido"})

    client = _client(api)
    envio = _envio(consecutivo_receptor="00100001050000000001")
    client.enviar(ACCOUNT, envio)
    status = client.consultar(ACCOUNT, CLAVE, "00100001050000000001")

    assert json.loads(seen[0].content)["consecutivoReceptor"] == "00100001050000000001"
    assert seen[1].url.path.endswith(f"/recepcion/{CLAVE}-00100001050000000001")
    assert envio.key == f"{CLAVE}-00100001050000000001"
    assert isinstance(status, Status)


@pytest.mark.parametrize(
    "cause",
    [
        f"El comprobante con la Clave [{CLAVE}] ya fue recibido anteriormente.",
        f"El comprobante con la Clave [{CLAVE}] ya fue recibido.",
        "YA FUE RECIBIDO ANTERIORMENTE",
    ],
)
def test_ya_fue_recibido_in_any_wording_is_received(cause: str) -> None:
    client = _client(lambda request: httpx2.Response(400, headers={"X-Error-Cause": cause}))

    outcome = client.enviar(ACCOUNT, _envio())

    assert isinstance(outcome, Received)
    assert outcome.duplicate
    assert outcome.message == cause


def test_other_400s_keep_x_error_cause_verbatim_and_the_validation_flag() -> None:
    cause = 'El campo fecha es requerido; ¿y "esto"?'
    client = _client(
        lambda request: httpx2.Response(
            400, headers={"X-Error-Cause": cause.encode("latin-1"), "validation-exception": "true"}
        )
    )
    without_header = _client(lambda request: httpx2.Response(400))

    outcome = client.enviar(ACCOUNT, _envio())
    bare = without_header.enviar(ACCOUNT, _envio())

    assert isinstance(outcome, RejectedAtReception)
    assert outcome.cause == cause
    assert outcome.validation_exception
    assert isinstance(bare, RejectedAtReception)
    assert bare.cause == "HTTP 400 sin X-Error-Cause"


def test_a_second_401_is_authorization_failed_after_exactly_one_renewal() -> None:
    grants: list[str] = []

    def idp(request: httpx2.Request) -> httpx2.Response:
        grants.append(dict(httpx2.QueryParams(request.content.decode()))["grant_type"])
        return httpx2.Response(200, json={**TOKEN_JSON, "access_token": f"tok-{len(grants)}"})

    client = _client(lambda request: httpx2.Response(401), idp)

    outcome = client.enviar(ACCOUNT, _envio())

    assert isinstance(outcome, AuthorizationFailed)
    assert outcome.status_code == 401
    assert grants == ["password", "refresh_token"]


def test_403_is_authorization_failed_without_renewal() -> None:
    client = _client(lambda request: httpx2.Response(403))
    assert isinstance(client.enviar(ACCOUNT, _envio()), AuthorizationFailed)
    assert len(client.calls) == 2  # type: ignore[attr-defined]


@pytest.mark.parametrize("status", [499, 500, 502, 503, 504, 408])
def test_gateway_and_server_errors_are_unknown_outcomes(status: int) -> None:
    client = _client(lambda request: httpx2.Response(status))
    outcome = client.enviar(ACCOUNT, _envio())
    assert isinstance(outcome, UnknownOutcome)
    assert outcome.status_code == status


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (httpx2.ReadTimeout("lento"), UnknownOutcome),
        (httpx2.WriteTimeout("lento"), UnknownOutcome),
        (httpx2.RemoteProtocolError("cortado"), UnknownOutcome),
        (httpx2.ReadError("reset"), UnknownOutcome),
        (httpx2.ConnectError("rechazada"), NotSent),
        (httpx2.ConnectTimeout("sin conexión"), NotSent),
    ],
)
def test_network_errors_split_into_unknown_and_not_sent(error: Exception, expected: type) -> None:
    def api(request: httpx2.Request) -> httpx2.Response:
        raise error

    assert isinstance(_client(api).enviar(ACCOUNT, _envio()), expected)


def test_429_honours_retry_after_then_x_ratelimit_reset() -> None:
    clock = ManualClock(1_800_000_000.0)
    with_header = _client(lambda request: httpx2.Response(429, headers={"Retry-After": "17"}), clock=clock)
    with_reset = _client(
        lambda request: httpx2.Response(429, headers={"X-Ratelimit-Reset": str(1_800_000_042)}), clock=clock
    )
    date = email.utils.format_datetime(dt.datetime.fromtimestamp(1_800_000_030, dt.UTC), usegmt=True)
    with_date = _client(lambda request: httpx2.Response(429, headers={"Retry-After": date}), clock=clock)
    bare = _client(lambda request: httpx2.Response(429), clock=clock)

    outcomes = [client.enviar(ACCOUNT, _envio()) for client in (with_header, with_reset, with_date, bare)]

    assert [outcome.seconds for outcome in outcomes if isinstance(outcome, RetryAfter)] == [17, 42, 30, 60]


def test_retry_after_never_goes_negative() -> None:
    assert retry_after_seconds({"x-ratelimit-reset": "10"}, now=100.0) == 0.0
    assert retry_after_seconds({"x-ratelimit-reset": "nan"}, now=100.0) == 60.0


def test_idp_outcomes_map_to_send_outcomes() -> None:
    def accepted(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(202)

    refused = _client(
        lambda request: httpx2.Response(202),
        lambda request: httpx2.Response(
            401, json={"error": "invalid_grant", "error_description": "Invalid user credentials"}
        ),
    )
    blocked = _client(accepted, lambda request: httpx2.Response(403))
    limited = _client(
        lambda request: httpx2.Response(202),
        lambda request: httpx2.Response(429, headers={"Retry-After": "9"}),
    )
    down = _client(lambda request: httpx2.Response(202), lambda request: httpx2.Response(503))
    garbage = _client(
        lambda request: httpx2.Response(202), lambda request: httpx2.Response(200, text="<html>")
    )

    assert isinstance(refused.enviar(ACCOUNT, _envio()), AuthorizationFailed)
    assert isinstance(blocked.enviar(ACCOUNT, _envio()), AuthorizationFailed)
    limited_outcome = limited.enviar(ACCOUNT, _envio())
    assert isinstance(limited_outcome, RetryAfter)
    assert limited_outcome.seconds == 9
    assert isinstance(down.enviar(ACCOUNT, _envio()), NotSent)
    assert isinstance(garbage.enviar(ACCOUNT, _envio()), NotSent)
    assert isinstance(down.consultar(ACCOUNT, CLAVE), QueryFailed)


# -- consultar ---------------------------------------------------------------------------


def test_status_is_read_case_insensitively_with_the_mensaje_by_local_names() -> None:
    payload = {
        "clave": CLAVE,
        "fecha": "2026-11-21T10:30:00-06:00",
        "ind-estado": "RECHAZADO",
        "respuesta-xml": base64.b64encode(MH).decode(),
    }
    client = _client(lambda request: httpx2.Response(200, json=payload))

    status = client.consultar(ACCOUNT, CLAVE)

    assert isinstance(status, Status)
    assert status.ind_estado is IndEstado.RECHAZADO
    assert status.final
    assert status.mensaje is not None
    assert not status.mensaje.aceptado
    assert status.mensaje.estado_mensaje == "Rechazado"
    assert status.mensaje.detalle_mensaje == "malo"
    assert status.mensaje.monto_total_impuesto == Decimal("13.5")
    assert status.mensaje.total_factura == Decimal("113.50")
    assert status.mensaje.nombre_receptor is None


def test_hostile_or_broken_respuesta_xml_is_reported_not_parsed() -> None:
    xxe = b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><MensajeHacienda>&x;</MensajeHacienda>'
    for document, problem in (
        (xxe, "DOCTYPE"),
        (b"<MensajeHacienda><Clave>1</Clave>", "no es XML legible"),
        (b"<Otro/>", "no es un MensajeHacienda"),
    ):
        status = parse_status(
            {"clave": CLAVE, "ind-estado": "aceptado", "respuesta-xml": base64.b64encode(document).decode()}
        )
        assert status.mensaje is None
        assert status.respuesta_error is not None
        assert problem in status.respuesta_error
    with pytest.raises(MensajeHaciendaInvalido):
        parse_mensaje_hacienda(b"<MensajeHacienda><Clave>1</Clave></MensajeHacienda>")


def test_callback_bodies_with_underscored_names_are_read_too() -> None:
    status = parse_status({"clave": CLAVE, "ind_estado": "procesando"})
    assert status.ind_estado is IndEstado.PROCESANDO
    assert not status.final
    with pytest.raises(EstadoDesconocido):
        parse_status({"clave": CLAVE, "ind-estado": "perdido"})


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (httpx2.Response(404, headers={"X-Error-Cause": "No existe el recurso"}), NeverArrived),
        (httpx2.Response(400, headers={"X-Error-Cause": "no se encuentra"}), NeverArrived),
        (httpx2.Response(200, text="no json"), QueryFailed),
        (httpx2.Response(200, json=["lista"]), QueryFailed),
        (httpx2.Response(200, json={"clave": CLAVE, "ind-estado": "perdido"}), QueryFailed),
        (httpx2.Response(500), QueryFailed),
        (httpx2.Response(429, headers={"Retry-After": "5"}), RetryAfter),
        (httpx2.Response(403), AuthorizationFailed),
    ],
)
def test_status_answers_map_to_query_outcomes(response: httpx2.Response, expected: type) -> None:
    client = _client(lambda request: response)
    assert isinstance(client.consultar(ACCOUNT, CLAVE), expected)


def test_naive_fecha_is_sent_in_costa_rica_time() -> None:
    body = _envio(fecha=dt.datetime(2026, 11, 21, 10, 30, 15, 999)).to_json()
    assert body["fecha"] == "2026-11-21T10:30:15-06:00"
    assert "receptor" in body
    assert "receptor" not in _envio(receptor=None).to_json()
