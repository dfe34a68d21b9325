"""The emulator's parts on their own: signature checks, schemas, quotas, configuration, mounting."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import httpx2
import pytest
from hacienda_transport_support import (
    ACCOUNT,
    DS,
    EMISOR_CEDULA,
    Factura,
    LiveServer,
    ManualClock,
    Profile,
    bearer,
    envio,
    factura_element,
    final_status,
    sign_xades_epes,
    signed_factura,
)
from lxml import etree
from signxml import XMLVerifier
from signxml.algorithms import CanonicalizationMethod
from signxml.verifier import SignatureConfiguration
from starlette.applications import Starlette
from starlette.routing import Mount

from openpse.authorities.hacienda.client import HaciendaClient, IndEstado
from openpse.authorities.hacienda.idp import HaciendaEnvironment
from openpse.sandbox.hacienda import HaciendaSandboxConfig, IdpUser, Quota, StatusFaults, classify, xades
from openpse.sandbox.hacienda.quotas import QuotaBook
from openpse.sandbox.hacienda.schemas import SchemaSet, cvc_name
from openpse.signing.certificates import Certificate

SHARED_XSD = Path(__file__).resolve().parents[3] / "shared" / "hacienda" / "xsd"


def _shared(*parts: str) -> Path:
    path = SHARED_XSD.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared no está disponible ({path})")
    return path


# -- the test fixture is right by independent judges --------------------------------------


def test_fixture_factura_is_valid_for_both_official_schema_sets(emisor_cert: Certificate) -> None:
    xml = signed_factura(Factura(), emisor_cert)
    for revision in ("2024", "2026"):
        schema = etree.XMLSchema(etree.parse(str(_shared("v4.4", revision, "FacturaElectronica_V4.4.xsd"))))
        assert schema.validate(etree.fromstring(xml)), (revision, schema.error_log)


def test_fixture_signature_verifies_with_signxml(emisor_cert: Certificate) -> None:
    xml = signed_factura(Factura(), emisor_cert)
    config = SignatureConfiguration(
        expect_references=3, default_reference_c14n_method=CanonicalizationMethod.CANONICAL_XML_1_0
    )
    results = XMLVerifier().verify(xml, x509_cert=emisor_cert.certificate, expect_config=config)
    assert len(results) == 3


def test_emulator_can_judge_with_the_2024_schema_set(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    make_client: Callable[..., HaciendaClient],
    emisor_cert: Certificate,
) -> None:
    client = make_client(serve(make_app(xsd_dir=_shared("v4.4", "2024"))).url)
    factura = Factura()

    client.enviar(ACCOUNT, envio(factura, signed_factura(factura, emisor_cert)))

    assert final_status(client, factura.clave).ind_estado is IndEstado.ACEPTADO


# -- signature verification --------------------------------------------------------------


def _signed_root(cert: Certificate) -> etree._Element:
    return etree.fromstring(signed_factura(Factura(), cert))


def test_signature_wrapping_with_a_duplicated_id_is_refused(emisor_cert: Certificate) -> None:
    root = _signed_root(emisor_cert)
    signature = xades.signatures(root)[0]
    properties = signature.find(f".//{{{xades.XADES}}}SignedProperties")
    assert properties is not None
    # A second element with the SignedProperties Id, where the document digest does not see it.
    etree.SubElement(signature, f"{{{DS}}}Object").append(copy.deepcopy(properties))

    with pytest.raises(xades.SignatureInvalid, match="no identifica un único elemento"):
        xades.verify_signature(root, signature, strict=True)


def test_key_value_that_is_not_the_certificate_key_is_refused(
    emisor_cert: Certificate, receptor_cert: Certificate
) -> None:
    other = _signed_root(receptor_cert)
    root = _signed_root(emisor_cert)
    path = f"{{{DS}}}KeyInfo/{{{DS}}}KeyValue"
    signature = xades.signatures(root)[0]
    key_info = signature.find(f"{{{DS}}}KeyInfo")
    assert key_info is not None
    key_info.replace(
        signature.find(path),  # type: ignore[arg-type]
        copy.deepcopy(xades.signatures(other)[0].find(path)),  # type: ignore[arg-type]
    )

    # KeyInfo is covered by a reference, so its digest breaks first.
    with pytest.raises(xades.SignatureInvalid, match="KeyInfoId"):
        xades.verify_signature(root, signature, strict=True)


def test_unknown_transforms_are_refused(emisor_cert: Certificate) -> None:
    root = _signed_root(emisor_cert)
    signature = xades.signatures(root)[0]
    transform = signature.find(f".//{{{DS}}}Transform")
    assert transform is not None
    transform.set("Algorithm", "http://www.w3.org/TR/1999/REC-xslt-19991116")

    with pytest.raises(xades.SignatureInvalid, match="transformación no soportada"):
        xades.verify_signature(root, signature, strict=True)


def test_a_counter_signature_breaks_an_enveloped_first_signature(
    emisor_cert: Certificate, receptor_cert: Certificate
) -> None:
    first = etree.fromstring(signed_factura(Factura(), emisor_cert))
    both = etree.fromstring(sign_xades_epes(first, receptor_cert))
    issuer, counter = xades.signatures(both)

    with pytest.raises(xades.SignatureInvalid, match="modificado luego de haber sido firmado"):
        xades.verify_signature(both, issuer, strict=True)
    assert xades.verify_signature(both, counter, strict=True).certificate == receptor_cert.certificate


def test_a_first_signature_that_leaves_out_every_signature_survives_a_counter_signature(
    emisor_cert: Certificate, receptor_cert: Certificate
) -> None:
    first = etree.fromstring(signed_factura(Factura(), emisor_cert, Profile(without_signatures=True)))
    both = etree.fromstring(sign_xades_epes(first, receptor_cert, Profile(claimed_role="Receptor")))

    verified = [xades.verify_signature(both, signature, strict=True) for signature in xades.signatures(both)]

    assert [xades.certificate_ids(item.certificate) for item in verified] == [{EMISOR_CEDULA}, {"114480790"}]


def test_signing_time_outside_the_certificate_is_a_finding(emisor_cert: Certificate) -> None:
    now = dt.datetime.now(dt.UTC)
    late = now + dt.timedelta(days=3650)
    problems = xades.check_signer(emisor_cert.certificate, late, now, [EMISOR_CEDULA], [], True)
    assert problems == [
        "La fecha de la firma (SigningTime) está fuera del periodo de validez del certificado"
    ]


def test_identifications_are_compared_without_separators_or_leading_zeros() -> None:
    assert xades.normalize_id("CPF-01-0234-0567") == xades.normalize_id("102340567")
    assert xades.normalize_id("000003101123456") == "3101123456"


# -- schemas -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("libxml2", "xerces"),
    [
        ("SCHEMAV_CVC_PATTERN_VALID", "cvc-pattern-valid"),
        ("SCHEMAV_CVC_MINLENGTH_VALID", "cvc-minLength-valid"),
        ("SCHEMAV_CVC_TOTALDIGITS_VALID", "cvc-totalDigits-valid"),
        ("SCHEMAV_CVC_DATATYPE_VALID_1_2_1", "cvc-datatype-valid.1.2.1"),
        ("SCHEMAV_CVC_ENUMERATION_VALID", "cvc-enumeration-valid"),
        ("SCHEMAV_ELEMENT_CONTENT", "cvc-complex-type.2.4.a"),
    ],
)
def test_libxml2_errors_are_named_as_xerces_names_them(libxml2: str, xerces: str) -> None:
    assert cvc_name(libxml2) == xerces


def test_schema_errors_give_rows_of_the_received_text(emisor_cert: Certificate) -> None:
    root = factura_element(Factura())
    root.find(f"{{{root.nsmap[None]}}}CodigoActividadEmisor").text = "62"  # type: ignore[union-attr]
    text = etree.tostring(root, pretty_print=True)
    parsed = etree.fromstring(text)

    length, missing = SchemaSet().validate("FacturaElectronica", parsed)

    assert (length.constraint, length.line) == ("cvc-minLength-valid", 4)
    assert "CodigoActividadEmisor" in length.message
    assert (missing.constraint, missing.line) == ("cvc-complex-type.2.4.b", 1)
    assert "Signature" in missing.message


# -- quotas and configuration -------------------------------------------------------------


def test_quota_window_slides() -> None:
    clock = ManualClock(1000.0)
    book = QuotaBook((Quota("get", 2, 10.0),), clock)
    book.record("a", "get", "ok")
    clock.advance(4)
    book.record("a", "get", "error")

    refusal = book.check("a", "get")
    clock.advance(6)
    freed = book.check("a", "get")

    assert refusal is not None
    assert refusal.retry_after_s == 6
    assert freed is None
    assert book.check("b", "get") is None
    assert book.headers("a", "get") == {
        "X-Ratelimit-Limit": "2",
        "X-Ratelimit-Remaining": "1",
        "X-Ratelimit-Reset": "1014",
    }


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: IdpUser("x", "3101123456", realm="rut-dev"), "realm must be one of"),
        (lambda: IdpUser("x", "31-01"), "cedula must be 9 to 20 digits"),
        (lambda: Quota("posts", 1), "quota bucket must be one of"),
        (lambda: Quota("post", 0), "at least 1"),
        (lambda: StatusFaults(http499=0.7, http503=0.7), "must not add up to more than 1"),
        (lambda: HaciendaSandboxConfig(reception_status=200), "reception_status must be 201 or 202"),
        (lambda: HaciendaSandboxConfig(access_token_ttl=0), "access_token_ttl must be a positive"),
        (lambda: HaciendaSandboxConfig(max_identification_length=30), "between 12 and 20"),
    ],
)
def test_configuration_mistakes_fail_loudly(factory: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        factory()


def test_identification_longer_than_hacienda_json_schema_allows_behind_the_flag(
    make_app: Callable[..., Starlette], serve: Callable[[Starlette], LiveServer], http: httpx2.Client
) -> None:
    url = serve(make_app(max_identification_length=12)).url
    body = {
        "clave": "5" * 50,
        "fecha": "2026-11-21T10:30:00-06:00",
        "emisor": {"tipoIdentificacion": "05", "numeroIdentificacion": "1234567890123"},
        "comprobanteXml": "PHgvPg==",
    }

    response = http.post(url + "/recepcion/v1/recepcion", json=body, headers=bearer(http, url))

    assert response.status_code == 400
    assert response.headers["x-error-cause"] == (
        "El campo numeroIdentificacion excede la longitud máxima de 12"
    )


# -- mounted inside another app ----------------------------------------------------------


def test_works_mounted_under_a_prefix_with_faults_still_classified(
    make_app: Callable[..., Starlette],
    serve: Callable[[Starlette], LiveServer],
    http: httpx2.Client,
    clock: ManualClock,
    emisor_cert: Certificate,
) -> None:
    hacienda = make_app()
    parent = Starlette(routes=[Mount("/hacienda", app=hacienda)])
    url = serve(parent).url + "/hacienda"
    client = HaciendaClient(http, HaciendaEnvironment.emulator(url), clock=clock)
    factura = Factura()

    client.enviar(ACCOUNT, envio(factura, signed_factura(factura, emisor_cert)))
    final = final_status(client, factura.clave)

    assert final.ind_estado is IndEstado.ACEPTADO
    assert classify("/hacienda/recepcion/v1/recepcion", "POST") == "rest"
    assert classify("/hacienda/auth/realms/rut/protocol/openid-connect/token", "POST") == "rest"
    assert classify("/health", "GET") is None
