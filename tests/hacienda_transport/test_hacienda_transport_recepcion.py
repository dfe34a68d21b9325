"""POST /recepcion and GET /recepcion/{clave}: every answer, through the client, over loopback."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import httpx2
import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from hacienda_transport_support import (
    ACCOUNT,
    CR,
    EMISOR_CEDULA,
    EMISOR_NOMBRE,
    RECEPTOR_CEDULA,
    Factura,
    Line,
    LiveServer,
    ManualClock,
    Profile,
    bearer,
    envio,
    factura_element,
    final_status,
    make_cr_certificate,
    mensaje_receptor_element,
    recepcion_body,
    sign_xades_epes,
    signed_factura,
)
from lxml import etree
from signxml import XMLVerifier
from signxml.verifier import SignatureConfiguration
from starlette.applications import Starlette

from openpse.authorities.hacienda.client import (
    HaciendaClient,
    Identificacion,
    IndEstado,
    NeverArrived,
    Received,
    RejectedAtReception,
    Status,
)
from openpse.sandbox.hacienda.schemas import DEFAULT_XSD_DIR
from openpse.signing.certificates import Certificate, generate_test_certificate

RECEPCION = "/recepcion/v1/recepcion"
SANDBOX_ACCEPTED = (
    "Este comprobante fue aceptado en el ambiente de pruebas, "
    "por lo cual no tiene validez para fines tributarios"
)
MH_SCHEMA = etree.XMLSchema(etree.parse(str(DEFAULT_XSD_DIR / "MensajeHacienda_V4.4.xsd")))


@pytest.fixture
def emulator(
    make_app: Callable[..., Starlette], serve: Callable[[Starlette], LiveServer]
) -> tuple[Starlette, str]:
    app = make_app()
    return app, serve(app).url


def _send_and_judge(client: HaciendaClient, factura: Factura, xml: bytes) -> Status:
    outcome = client.enviar(ACCOUNT, envio(factura, xml))
    assert isinstance(outcome, Received), outcome
    return final_status(client, factura.clave)


# -- accepted ---------------------------------------------------------------------------


def test_accepted_factura_goes_from_recibido_through_procesando_to_aceptado(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    make_client: Callable[..., HaciendaClient],
    clock: ManualClock,
    emisor_cert: Certificate,
) -> None:
    app = make_app(recibido_s=10, procesando_s=10)
    url = serve(app).url
    client = make_client(url)
    factura = Factura(fecha=clock.datetime())

    sent = client.enviar(ACCOUNT, envio(factura, signed_factura(factura, emisor_cert)))
    first = client.consultar(ACCOUNT, factura.clave)
    clock.advance(10)
    second = client.consultar(ACCOUNT, factura.clave)
    clock.advance(10)
    final = final_status(client, factura.clave)

    assert isinstance(sent, Received)
    assert sent.status_code == 202
    assert sent.location == f"{url}{RECEPCION}/{factura.clave}"
    assert not sent.duplicate
    assert isinstance(first, Status)
    assert (first.ind_estado, first.respuesta_xml, first.mensaje) == (IndEstado.RECIBIDO, None, None)
    assert isinstance(second, Status)
    assert second.ind_estado is IndEstado.PROCESANDO
    assert final.ind_estado is IndEstado.ACEPTADO
    assert final.fecha == factura.emitted.isoformat()
    mensaje = final.mensaje
    assert mensaje is not None
    assert mensaje.aceptado
    assert mensaje.clave == factura.clave
    assert (mensaje.mensaje, mensaje.estado_mensaje) == ("1", "Aceptado")
    assert mensaje.detalle_mensaje == SANDBOX_ACCEPTED
    assert (mensaje.nombre_emisor, mensaje.tipo_identificacion_emisor, mensaje.numero_cedula_emisor) == (
        EMISOR_NOMBRE,
        "02",
        EMISOR_CEDULA,
    )
    assert mensaje.numero_cedula_receptor == RECEPTOR_CEDULA
    assert mensaje.total_factura == Decimal("2260")
    assert mensaje.monto_total_impuesto == Decimal("260")


def test_mensaje_hacienda_is_schema_valid_and_signed_by_the_emulator(
    emulator: tuple[Starlette, str], make_client: Callable[..., HaciendaClient], emisor_cert: Certificate
) -> None:
    app, url = emulator
    client = make_client(url)
    factura = Factura()

    final = _send_and_judge(client, factura, signed_factura(factura, emisor_cert))

    assert final.respuesta_xml is not None
    root = etree.fromstring(final.respuesta_xml)
    assert MH_SCHEMA.validate(root), MH_SCHEMA.error_log
    results = XMLVerifier().verify(
        final.respuesta_xml,
        x509_cert=app.state.hacienda.certificate_pem.decode(),
        expect_config=SignatureConfiguration(expect_references=3),
    )
    assert len(results) == 3


def test_the_shipped_schemas_are_hacienda_files_byte_for_byte() -> None:
    shared = Path(__file__).resolve().parents[3] / "shared" / "hacienda" / "xsd"
    if not shared.exists():
        pytest.skip("../shared no está disponible")
    for ours in sorted(DEFAULT_XSD_DIR.glob("*.xsd")):
        assert ours.read_bytes() == (shared / "v4.4" / "2026" / ours.name).read_bytes(), ours.name
    assert (DEFAULT_XSD_DIR.parents[1] / "xmldsig-core-schema.xsd").read_bytes() == (
        shared / "xmldsig-core-schema.xsd"
    ).read_bytes()


def test_post_answers_carry_location_and_rate_limit_headers(
    emulator: tuple[Starlette, str], http: httpx2.Client, emisor_cert: Certificate
) -> None:
    _, url = emulator
    factura = Factura()
    response = http.post(
        url + RECEPCION,
        json=recepcion_body(factura, signed_factura(factura, emisor_cert)),
        headers=bearer(http, url),
    )

    assert response.status_code == 202
    assert response.content == b""
    assert response.headers["location"].endswith(f"/recepcion/v1/recepcion/{factura.clave}")
    assert response.headers["x-ratelimit-limit"] == "100"
    assert response.headers["x-ratelimit-remaining"] == "99"
    assert int(response.headers["x-ratelimit-reset"]) > time.time() - 5


def test_201_is_received_too_and_the_legacy_sandbox_path_works(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    make_client: Callable[..., HaciendaClient],
    emisor_cert: Certificate,
) -> None:
    client = make_client(serve(make_app(reception_status=201)).url, legacy=True)
    factura = Factura()

    sent = client.enviar(ACCOUNT, envio(factura, signed_factura(factura, emisor_cert)))

    assert isinstance(sent, Received)
    assert sent.status_code == 201
    assert sent.location is not None
    assert "/recepcion-sandbox/v1/recepcion/" in sent.location
    assert final_status(client, factura.clave).ind_estado is IndEstado.ACEPTADO


def test_certificate_from_openpse_test_helper_is_trusted_for_its_cedula(
    emulator: tuple[Starlette, str], make_client: Callable[..., HaciendaClient]
) -> None:
    _, url = emulator
    helper_cert = generate_test_certificate(EMISOR_CEDULA, EMISOR_NOMBRE)
    factura = Factura()

    final = _send_and_judge(make_client(url), factura, signed_factura(factura, helper_cert))

    assert final.ind_estado is IndEstado.ACEPTADO


def test_certificates_of_a_configured_authority_are_trusted(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    make_client: Callable[..., HaciendaClient],
) -> None:
    ca = make_cr_certificate("4000042147", "AUTORIDAD DE PRUEBA", ca=True)
    issued = make_cr_certificate(EMISOR_CEDULA, EMISOR_NOMBRE, issuer=ca)
    stranger = make_cr_certificate(EMISOR_CEDULA, EMISOR_NOMBRE)
    app = make_app(
        trusted_certificates=(ca.certificate.public_bytes(Encoding.PEM),), trust_named_certificates=False
    )
    client = make_client(serve(app).url)
    good, bad = Factura(numero=1), Factura(numero=2)

    accepted = _send_and_judge(client, good, signed_factura(good, issued))
    rejected = _send_and_judge(client, bad, signed_factura(bad, stranger))

    assert accepted.ind_estado is IndEstado.ACEPTADO
    assert rejected.ind_estado is IndEstado.RECHAZADO
    assert rejected.mensaje is not None
    assert "no es de una autoridad reconocida" in rejected.mensaje.detalle_mensaje


# -- 400 before reception -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("mutate", "cause"),
    [
        (lambda body: b"{no es json", "El cuerpo de la solicitud no es un JSON válido"),
        (lambda body: b"[]", "El cuerpo de la solicitud debe ser un objeto JSON"),
        (lambda body: _json(body, comprobanteXml=None), "El campo comprobanteXml es requerido"),
        (lambda body: _json(body, clave=None), "El campo clave es requerido"),
        (lambda body: _json(body, clave="5" * 51), "El campo clave excede la longitud máxima de 50"),
        (lambda body: _json(body, fecha="21/11/2026"), "El campo fecha (21/11/2026) no tiene el formato"),
        (lambda body: _json(body, emisor="3101123456"), "El campo emisor debe ser un objeto"),
        (
            lambda body: _json(
                body, emisor={"tipoIdentificacion": "002", "numeroIdentificacion": "3101123456"}
            ),
            "El campo tipoIdentificacion excede la longitud máxima de 2",
        ),
        (lambda body: _json(body, comprobanteXml="no*es*base64"), "no contiene un base64 válido"),
        (lambda body: _json(body, callbackUrl="ftp://x/y"), "no es un URL http(s)"),
        (lambda body: _json(body, consecutivoReceptor="123"), "consecutivoReceptor debe tener 20 dígitos"),
    ],
)
def test_malformed_json_is_400_with_validation_exception(
    emulator: tuple[Starlette, str],
    http: httpx2.Client,
    emisor_cert: Certificate,
    mutate: Callable[[dict[str, object]], bytes],
    cause: str,
) -> None:
    _, url = emulator
    factura = Factura()
    body = recepcion_body(factura, signed_factura(factura, emisor_cert))

    response = http.post(
        url + RECEPCION,
        content=mutate(body),
        headers={**bearer(http, url), "Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.headers["validation-exception"] == "true"
    assert cause in response.headers["x-error-cause"]
    assert "x-ratelimit-remaining" in response.headers


def _json(body: dict[str, object], **changes: object) -> bytes:
    changed = {**body, **changes}
    return json.dumps({key: value for key, value in changed.items() if value is not None}).encode()


def _xml_case(name: str, emisor_cert: Certificate) -> tuple[Factura, bytes]:
    factura = Factura()
    if name == "not-xml":
        return factura, b"esto no es XML"
    if name == "doctype":
        return factura, b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'
    if name == "other-root":
        return (
            factura,
            b'<Factura xmlns="https://cdn.comprobanteselectronicos.go.cr/xml-schemas/v4.4/factura"/>',
        )
    if name == "v4.3":
        xml = signed_factura(factura, emisor_cert).replace(
            b"/v4.4/facturaElectronica", b"/v4.3/facturaElectronica"
        )
        return factura, xml
    raise AssertionError(name)


@pytest.mark.parametrize(
    ("case", "cause"),
    [
        ("not-xml", "El comprobanteXml no es un XML válido"),
        ("doctype", "DOCTYPE"),
        ("other-root", "El elemento raíz Factura no corresponde a un comprobante electrónico"),
        ("v4.3", "La versión v4.3 del comprobante ya no se recibe"),
    ],
)
def test_unreadable_comprobante_is_400_through_the_client_verbatim(
    emulator: tuple[Starlette, str],
    http: httpx2.Client,
    make_client: Callable[..., HaciendaClient],
    emisor_cert: Certificate,
    case: str,
    cause: str,
) -> None:
    _, url = emulator
    factura, xml = _xml_case(case, emisor_cert)
    raw = http.post(url + RECEPCION, json=recepcion_body(factura, xml), headers=bearer(http, url))

    outcome = make_client(url).enviar(ACCOUNT, envio(factura, xml))

    assert raw.status_code == 400
    assert "validation-exception" not in raw.headers
    assert isinstance(outcome, RejectedAtReception)
    assert outcome.status_code == 400
    assert outcome.cause == raw.headers["x-error-cause"]
    assert cause in outcome.cause
    assert not outcome.validation_exception


@pytest.mark.parametrize(
    ("changes", "cause"),
    [
        (
            {"clave": "50601011600310112345600100001010000000099112345678"},
            "no corresponde a la Clave del comprobante",
        ),
        (
            {"emisor": Identificacion("02", "3101999999")},
            "El emisor no corresponde al Emisor del comprobante",
        ),
        ({"emisor": Identificacion("01", EMISOR_CEDULA)}, "El tipoIdentificacion del emisor no corresponde"),
        ({"receptor": None}, "El campo receptor es requerido: el comprobante tiene Receptor"),
        ({"receptor": Identificacion("01", "999999999")}, "El receptor no corresponde al Receptor"),
        ({"consecutivo_receptor": "00100001050000000001"}, "consecutivoReceptor solo corresponde"),
    ],
)
def test_json_inconsistent_with_the_xml_is_400(
    emulator: tuple[Starlette, str],
    make_client: Callable[..., HaciendaClient],
    emisor_cert: Certificate,
    changes: dict[str, object],
    cause: str,
) -> None:
    _, url = emulator
    factura = Factura()
    outcome = make_client(url).enviar(
        ACCOUNT, envio(factura, signed_factura(factura, emisor_cert), **changes)
    )

    assert isinstance(outcome, RejectedAtReception)
    assert cause in outcome.cause


def test_clave_whose_consecutivo_or_issuer_differ_from_the_xml_is_400(
    emulator: tuple[Starlette, str], make_client: Callable[..., HaciendaClient], emisor_cert: Certificate
) -> None:
    _, url = emulator
    client = make_client(url)
    good = Factura()
    other_number = good.clave[:21] + "00100001010000000777" + good.clave[41:]
    other_issuer = good.clave[:9] + "003101999999" + good.clave[21:]
    wrong_consecutivo = Factura(clave_override=other_number)
    wrong_issuer = Factura(clave_override=other_issuer)

    first = client.enviar(ACCOUNT, envio(wrong_consecutivo, signed_factura(wrong_consecutivo, emisor_cert)))
    second = client.enviar(ACCOUNT, envio(wrong_issuer, signed_factura(wrong_issuer, emisor_cert)))

    assert isinstance(first, RejectedAtReception)
    assert (
        "El consecutivo de la clave [00100001010000000777] no corresponde al NumeroConsecutivo" in first.cause
    )
    assert isinstance(second, RejectedAtReception)
    assert "La identificación de la clave [003101999999]" in second.cause


def test_duplicate_clave_is_ya_fue_recibido_and_the_client_treats_it_as_received(
    emulator: tuple[Starlette, str],
    http: httpx2.Client,
    make_client: Callable[..., HaciendaClient],
    emisor_cert: Certificate,
) -> None:
    app, url = emulator
    client = make_client(url)
    factura = Factura()
    xml = signed_factura(factura, emisor_cert)
    assert isinstance(client.enviar(ACCOUNT, envio(factura, xml)), Received)

    raw = http.post(url + RECEPCION, json=recepcion_body(factura, xml), headers=bearer(http, url))
    again = client.enviar(ACCOUNT, envio(factura, xml))

    assert raw.status_code == 400
    assert (
        raw.headers["x-error-cause"]
        == f"El comprobante con la Clave [{factura.clave}] ya fue recibido anteriormente."
    )
    assert isinstance(again, Received)
    assert again.duplicate
    assert again.message == raw.headers["x-error-cause"]
    assert len(app.state.hacienda.records()) == 1


def test_unauthenticated_post_is_401(emulator: tuple[Starlette, str], http: httpx2.Client) -> None:
    _, url = emulator
    missing = http.post(url + RECEPCION, json={})
    forged = http.post(url + RECEPCION, json={}, headers={"Authorization": "bearer a.b.c"})

    assert missing.status_code == 401
    assert forged.status_code == 401
    assert "x-ratelimit-limit" in missing.headers


def test_client_renews_its_token_once_after_a_401_and_the_send_succeeds(
    emulator: tuple[Starlette, str], make_client: Callable[..., HaciendaClient], emisor_cert: Certificate
) -> None:
    app, url = emulator
    client = make_client(url)
    client.session(ACCOUNT).access_token()
    app.state.hacienda.idp.end_all_sessions()
    factura = Factura()

    outcome = client.enviar(ACCOUNT, envio(factura, signed_factura(factura, emisor_cert)))

    assert isinstance(outcome, Received)
    assert app.state.hacienda.idp.grants() == {"password": 2, "refresh_failed": 1}


def test_strict_reception_rejects_schema_and_signature_errors_with_400(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    make_client: Callable[..., HaciendaClient],
    emisor_cert: Certificate,
) -> None:
    client = make_client(serve(make_app(strict_reception=True)).url)
    bad_schema = Factura(numero=1, lines=(Line(detalle="ab"),))
    tampered = Factura(numero=2)
    tampered_xml = signed_factura(tampered, emisor_cert).replace(b"Producto de prueba", b"Producto alterado!")

    schema = client.enviar(ACCOUNT, envio(bad_schema, signed_factura(bad_schema, emisor_cert)))
    signature = client.enviar(ACCOUNT, envio(tampered, tampered_xml))

    assert isinstance(schema, RejectedAtReception)
    assert "cvc-minLength-valid" in schema.cause
    assert isinstance(signature, RejectedAtReception)
    assert "El XML fue modificado luego de haber sido firmado" in signature.cause


# -- GET ---------------------------------------------------------------------------------


def test_unknown_clave_never_arrived_with_the_404_cause(
    emulator: tuple[Starlette, str], http: httpx2.Client, make_client: Callable[..., HaciendaClient]
) -> None:
    _, url = emulator
    clave = "5" * 50
    raw = http.get(f"{url}{RECEPCION}/{clave}", headers=bearer(http, url))

    outcome = make_client(url).consultar(ACCOUNT, clave)

    assert raw.status_code == 404
    assert raw.headers["x-error-cause"] == f"No existe el recurso con Clave = [{clave}]"
    assert "x-ratelimit-limit" in raw.headers
    assert isinstance(outcome, NeverArrived)
    assert outcome.status_code == 404
    assert outcome.cause == raw.headers["x-error-cause"]


def test_a_just_received_clave_may_not_be_indexed_yet(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    make_client: Callable[..., HaciendaClient],
    clock: ManualClock,
    emisor_cert: Certificate,
) -> None:
    client = make_client(serve(make_app(indexing_delay_s=3, recibido_s=60)).url)
    factura = Factura()
    assert isinstance(client.enviar(ACCOUNT, envio(factura, signed_factura(factura, emisor_cert))), Received)

    early = client.consultar(ACCOUNT, factura.clave)
    clock.advance(3)
    later = client.consultar(ACCOUNT, factura.clave)

    assert isinstance(early, NeverArrived)
    assert isinstance(later, Status)
    assert later.ind_estado is IndEstado.RECIBIDO


def test_processing_failure_ends_in_estado_error_without_respuesta(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    make_client: Callable[..., HaciendaClient],
    emisor_cert: Certificate,
) -> None:
    client = make_client(serve(make_app(error_rate=1.0, seed=3)).url)
    factura = Factura()

    final = _send_and_judge(client, factura, signed_factura(factura, emisor_cert))

    assert final.ind_estado is IndEstado.ERROR
    assert final.respuesta_xml is None
    assert final.mensaje is None


# -- rechazado ---------------------------------------------------------------------------


def _rejected(client: HaciendaClient, factura: Factura, xml: bytes) -> str:
    final = _send_and_judge(client, factura, xml)
    assert final.ind_estado is IndEstado.RECHAZADO, final
    assert final.mensaje is not None
    assert not final.mensaje.aceptado
    assert (final.mensaje.mensaje, final.mensaje.estado_mensaje) == ("3", "Rechazado")
    assert final.mensaje.detalle_mensaje.startswith(
        "El comprobante electrónico tiene los siguientes errores: \n\n[ codigo, mensaje, fila, columna\n"
    )
    assert final.respuesta_xml is not None
    assert MH_SCHEMA.validate(etree.fromstring(final.respuesta_xml))
    return final.mensaje.detalle_mensaje


def test_wrong_totals_are_rejected(
    emulator: tuple[Starlette, str], make_client: Callable[..., HaciendaClient], emisor_cert: Certificate
) -> None:
    _, url = emulator
    factura = Factura(total_comprobante=Decimal("2000"))

    detail = _rejected(make_client(url), factura, signed_factura(factura, emisor_cert))

    assert "El monto de TotalComprobante (2000.00000) no corresponde" in detail
    assert "TotalVentaNeta + TotalImpuesto + TotalOtrosCargos − TotalIVADevuelto da 2260" in detail


def test_line_arithmetic_is_checked(
    emulator: tuple[Starlette, str], make_client: Callable[..., HaciendaClient], emisor_cert: Certificate
) -> None:
    _, url = emulator
    factura = Factura()
    root = factura_element(factura)
    ns = {"fe": root.nsmap[None]}
    root.find(".//fe:LineaDetalle/fe:Impuesto/fe:Monto", ns).text = "200.00000"  # type: ignore[union-attr]

    detail = _rejected(make_client(url), factura, sign_xades_epes(root, emisor_cert))

    assert "El monto de Monto (200.00000) no corresponde: BaseImponible × Tarifa / 100 da 260" in detail
    assert "ImpuestoNeto" in detail


def test_clave_whose_date_is_not_the_emission_date_is_rejected(
    emulator: tuple[Starlette, str], make_client: Callable[..., HaciendaClient], emisor_cert: Certificate
) -> None:
    _, url = emulator
    factura = Factura(clave_fecha=dt.date(2026, 1, 2))

    detail = _rejected(make_client(url), factura, signed_factura(factura, emisor_cert))

    assert "La fecha de la clave (020126) no corresponde a la FechaEmision" in detail


def test_document_type_in_the_consecutivo_must_match_the_root(
    emulator: tuple[Starlette, str], make_client: Callable[..., HaciendaClient], emisor_cert: Certificate
) -> None:
    _, url = emulator
    factura = Factura(tipo="04")

    detail = _rejected(make_client(url), factura, signed_factura(factura, emisor_cert))

    assert '-1, "El tipo de documento no corresponde.", ' in detail


def test_schema_errors_come_back_as_cvc_lines_with_row_and_column(
    emulator: tuple[Starlette, str], make_client: Callable[..., HaciendaClient], emisor_cert: Certificate
) -> None:
    _, url = emulator
    factura = Factura()
    root = factura_element(factura)
    ns = {"fe": root.nsmap[None]}
    root.find("fe:CodigoActividadEmisor", ns).text = "62010"  # type: ignore[union-attr]
    xml = sign_xades_epes(root, emisor_cert)
    pretty = etree.tostring(etree.fromstring(xml), pretty_print=True)
    # Resign the indented form so that rows differ from 1.
    factura_root = etree.fromstring(pretty)
    factura_root.remove(factura_root[-1])
    xml = sign_xades_epes(factura_root, emisor_cert)
    row = next(number for number, text in enumerate(xml.splitlines(), 1) if b"CodigoActividadEmisor" in text)

    detail = _rejected(make_client(url), factura, xml)

    assert '-1, "cvc-minLength-valid: ' in detail
    assert "CodigoActividadEmisor" in detail
    assert f", {row}, " in detail


def test_modified_after_signing_is_rejected(
    emulator: tuple[Starlette, str], make_client: Callable[..., HaciendaClient], emisor_cert: Certificate
) -> None:
    _, url = emulator
    factura = Factura()
    xml = signed_factura(factura, emisor_cert).replace(b"Producto de prueba", b"Producto alterado!")

    detail = _rejected(make_client(url), factura, xml)

    assert "no es válida (El XML fue modificado luego de haber sido firmado)" in detail


def test_expired_certificate_is_rejected(
    emulator: tuple[Starlette, str], make_client: Callable[..., HaciendaClient]
) -> None:
    _, url = emulator
    now = dt.datetime.now(dt.UTC)
    expired = make_cr_certificate(
        EMISOR_CEDULA,
        EMISOR_NOMBRE,
        not_before=now - dt.timedelta(days=400),
        not_after=now - dt.timedelta(days=1),
    )
    factura = Factura()
    xml = signed_factura(factura, expired, Profile(signing_time=dt.datetime.now(CR) - dt.timedelta(days=2)))

    detail = _rejected(make_client(url), factura, xml)

    assert "El certificado utilizado para firmar el comprobante electrónico está vencido" in detail


def test_signer_who_is_not_the_emisor_is_rejected(
    emulator: tuple[Starlette, str], make_client: Callable[..., HaciendaClient], receptor_cert: Certificate
) -> None:
    _, url = emulator
    factura = Factura()

    detail = _rejected(make_client(url), factura, signed_factura(factura, receptor_cert))

    assert "El contribuyente que firma la factura electronica no es el emisor" in detail


def test_unsigned_comprobante_is_rejected(
    emulator: tuple[Starlette, str], make_client: Callable[..., HaciendaClient]
) -> None:
    _, url = emulator
    factura = Factura()
    xml = etree.tostring(factura_element(factura), xml_declaration=True, encoding="UTF-8")

    detail = _rejected(make_client(url), factura, xml)

    assert "falta ds:Signature" in detail
    assert "cvc-complex-type.2.4" in detail  # the XSD requires ds:Signature too


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        (Profile(claimed_role=None), "falta xades:SignerRole/ClaimedRoles/ClaimedRole"),
        (
            Profile(policy_hash="AAAA"),
            "SigPolicyHash no corresponde a la política de firma de la versión 4.4",
        ),
        (Profile(policy_identifier="https://example.org/politica.pdf"), "no es la de la versión 4.4"),
        (Profile(with_policy=False), "falta xades:SignaturePolicyIdentifier/SignaturePolicyId"),
    ],
)
def test_strict_profile_rejects_deviations_that_lenient_mode_accepts(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    make_client: Callable[..., HaciendaClient],
    emisor_cert: Certificate,
    profile: Profile,
    expected: str,
) -> None:
    strict = make_client(serve(make_app()).url)
    lenient = make_client(serve(make_app(strict_signature_profile=False)).url)
    factura = Factura()
    xml = signed_factura(factura, emisor_cert, profile)

    detail = _rejected(strict, factura, xml)
    lenient_final = _send_and_judge(lenient, factura, xml)

    assert expected in detail
    expected_lenient = IndEstado.RECHAZADO if not profile.with_policy else IndEstado.ACEPTADO
    assert lenient_final.ind_estado is expected_lenient


def test_signing_certificate_digest_must_match_the_signer(
    emulator: tuple[Starlette, str],
    make_client: Callable[..., HaciendaClient],
    emisor_cert: Certificate,
    receptor_cert: Certificate,
) -> None:
    _, url = emulator
    factura = Factura()

    detail = _rejected(
        make_client(url), factura, signed_factura(factura, emisor_cert, Profile(cert_digest_of=receptor_cert))
    )

    assert "SigningCertificate no corresponde al certificado de la firma" in detail


def test_late_documents_are_extemporaneos(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    make_client: Callable[..., HaciendaClient],
    clock: ManualClock,
    emisor_cert: Certificate,
) -> None:
    client = make_client(serve(make_app(max_age_s=3600)).url)
    factura = Factura(fecha=clock.datetime() - dt.timedelta(hours=2))

    detail = _rejected(client, factura, signed_factura(factura, emisor_cert))

    assert (
        '-16, "El archivo XML, fue enviado a la Dirección General de Tributación de manera extemporánea'
        in detail
    )


# -- MensajeReceptor ---------------------------------------------------------------------


def test_mensaje_receptor_is_keyed_by_clave_and_consecutivo(
    emulator: tuple[Starlette, str],
    make_client: Callable[..., HaciendaClient],
    emisor_cert: Certificate,
    receptor_cert: Certificate,
) -> None:
    app, url = emulator
    client = make_client(url)
    factura = Factura()
    assert (
        _send_and_judge(client, factura, signed_factura(factura, emisor_cert)).ind_estado
        is IndEstado.ACEPTADO
    )
    consecutivo = "00100001050000000001"
    mr = sign_xades_epes(
        mensaje_receptor_element(factura, consecutivo), receptor_cert, Profile(claimed_role="Receptor")
    )
    mr_envio = envio(factura, mr, consecutivo_receptor=consecutivo)

    sent = client.enviar(ACCOUNT, mr_envio)
    final = final_status(client, factura.clave, consecutivo)
    again = client.enviar(ACCOUNT, mr_envio)

    assert isinstance(sent, Received)
    assert sent.location is not None
    assert sent.location.endswith(f"/recepcion/{factura.clave}-{consecutivo}")
    assert final.clave == f"{factura.clave}-{consecutivo}"
    assert final.ind_estado is IndEstado.ACEPTADO
    assert final.mensaje is not None
    assert final.mensaje.nombre_emisor == EMISOR_NOMBRE
    assert final.mensaje.total_factura == Decimal("2260")
    assert isinstance(again, Received)
    assert again.duplicate
    assert app.state.hacienda.record(f"{factura.clave}-{consecutivo}") is not None


def test_mensaje_receptor_signed_by_the_supplier_is_rejected(
    emulator: tuple[Starlette, str], make_client: Callable[..., HaciendaClient], emisor_cert: Certificate
) -> None:
    _, url = emulator
    client = make_client(url)
    factura = Factura()
    consecutivo = "00100001050000000002"
    mr = sign_xades_epes(mensaje_receptor_element(factura, consecutivo), emisor_cert)

    sent = client.enviar(ACCOUNT, envio(factura, mr, consecutivo_receptor=consecutivo))
    final = final_status(client, factura.clave, consecutivo)

    assert isinstance(sent, Received)
    assert final.ind_estado is IndEstado.RECHAZADO
    assert final.mensaje is not None
    assert "no es el emisor" in final.mensaje.detalle_mensaje


def test_mensaje_receptor_needs_its_consecutivo(
    emulator: tuple[Starlette, str], make_client: Callable[..., HaciendaClient], receptor_cert: Certificate
) -> None:
    _, url = emulator
    factura = Factura()
    mr = sign_xades_epes(mensaje_receptor_element(factura, "00100001050000000003"), receptor_cert)

    outcome = make_client(url).enviar(ACCOUNT, envio(factura, mr))

    assert isinstance(outcome, RejectedAtReception)
    assert outcome.cause == "El campo consecutivoReceptor es requerido para un mensaje receptor"


def test_mensaje_receptor_days_after_the_factura_is_not_extemporaneo(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    make_client: Callable[..., HaciendaClient],
    clock: ManualClock,
    receptor_cert: Certificate,
) -> None:
    client = make_client(serve(make_app(max_age_s=3600)).url)
    factura = Factura(fecha=clock.datetime() - dt.timedelta(days=5))
    consecutivo = "00100001050000000004"
    mr = sign_xades_epes(mensaje_receptor_element(factura, consecutivo), receptor_cert)

    client.enviar(ACCOUNT, envio(factura, mr, consecutivo_receptor=consecutivo))

    assert final_status(client, factura.clave, consecutivo).ind_estado is IndEstado.ACEPTADO


@pytest.mark.parametrize(
    ("mensaje", "consecutivo", "expected"),
    [
        ("4", "00100001050000000005", "cvc-"),  # Mensaje is 1, 2 or 3 in the XSD
        ("1", "00100001070000000006", "tipo de documento"),  # 07 is a rejection, Mensaje 1 accepts
    ],
)
def test_mensaje_receptor_against_the_schema_and_its_consecutivo_is_rejected(
    emulator: tuple[Starlette, str],
    make_client: Callable[..., HaciendaClient],
    receptor_cert: Certificate,
    mensaje: str,
    consecutivo: str,
    expected: str,
) -> None:
    _, url = emulator
    client = make_client(url)
    factura = Factura()
    mr = sign_xades_epes(
        mensaje_receptor_element(factura, consecutivo, mensaje=mensaje),
        receptor_cert,
        Profile(claimed_role="Receptor"),
    )

    sent = client.enviar(ACCOUNT, envio(factura, mr, consecutivo_receptor=consecutivo))
    final = final_status(client, factura.clave, consecutivo)

    assert isinstance(sent, Received)
    assert final.ind_estado is IndEstado.RECHAZADO
    assert final.mensaje is not None
    assert expected in final.mensaje.detalle_mensaje
