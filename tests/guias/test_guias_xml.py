"""The XML side of the guías: a client-built DespatchAdvice signed through lxml, the shape of
the XML OpenPSE writes, and the request model's own refusals."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from guias_cases import EMPRESA, TRANSPORTES, bien, remitente, transportista
from guias_oracles import run_sheet, xsd_errors
from guias_support import EMISORES, credentials
from lxml import etree
from signxml import SignatureConfiguration, XMLVerifier
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod

from openpse.authorities.sunat.guias import (
    GreClient,
    GreEndpoints,
    build_despatch,
    content_hash,
    parse_guia,
    prepare_guia,
    sign_despatch_xml,
)
from openpse.authorities.sunat.guias.ubl import DESPATCH_ADVICE
from openpse.core.errors import BadRequest, ValidationFailed
from openpse.core.timeutil import now_lima
from openpse.signing.certificates import Certificate
from openpse.signing.xmldsig import SunatSignatureProfile

pytest_plugins = ["guias_fixtures"]
EXT = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
_ANY = SignatureConfiguration(
    signature_methods=frozenset(SignatureMethod),
    digest_algorithms=frozenset(DigestAlgorithm),
    default_reference_c14n_method=CanonicalizationMethod.CANONICAL_XML_1_0,
)


def _client_xml(body: dict[str, Any], numero: int = 7) -> bytes:
    """A DespatchAdvice as an ERP would post it: indented, without UBLExtensions."""
    guia = parse_guia(body)
    now = now_lima()
    document = build_despatch(guia, numero, EMISORES[guia.tipo], now.date(), now.time())
    root = etree.fromstring((document.before + document.after).encode())
    root.remove(root.find(f"{{{EXT}}}UBLExtensions"))
    etree.indent(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@pytest.mark.conformance
@pytest.mark.parametrize(
    ("body", "ruc"),
    [(remitente(), EMPRESA), (transportista(), TRANSPORTES)],
    ids=["remitente", "transportista"],
)
def test_a_client_built_guia_is_signed_and_accepted(
    body: dict[str, Any],
    ruc: str,
    gre_certificates: dict[str, Certificate],
    sandbox_url: str,
    gre_http: httpx2.Client,
) -> None:
    xml = _client_xml(body)

    signed = sign_despatch_xml(xml, ruc, gre_certificates[ruc], SunatSignatureProfile.named("sha1"))

    assert signed.name.base == f"{ruc}-{body['tipo']}-{body['serie']}-7"
    assert xsd_errors(signed.xml) == []
    result = run_sheet(body["tipo"], signed.xml, signed.name.xml)
    assert (result.rejected, result.error_codes) == (False, []), result.messages
    XMLVerifier().verify(
        signed.xml, x509_cert=gre_certificates[ruc].certificate.public_bytes(Encoding.PEM), expect_config=_ANY
    )
    assert f"<cbc:ID>{body['serie']}-7</cbc:ID>".encode() in signed.xml, "the client's content, unchanged"
    client = GreClient(gre_http, GreEndpoints.single_host(sandbox_url))
    status = client.wait(credentials(ruc), client.send(credentials(ruc), signed.name.base, signed.zip).numero)
    assert status.aceptado


def test_signing_the_same_client_xml_twice_gives_the_same_identity(
    gre_certificates: dict[str, Certificate],
) -> None:
    xml = _client_xml(remitente())
    first = sign_despatch_xml(xml, EMPRESA, gre_certificates[EMPRESA])
    second = sign_despatch_xml(xml, EMPRESA, gre_certificates[EMPRESA])
    assert first.content_hash == second.content_hash
    assert first.hash == second.hash


def _edit(xml: bytes, path: str, value: str | None) -> bytes:
    root = etree.fromstring(xml)
    node = root.find(
        path, {"cbc": CBC, "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"}
    )
    assert node is not None
    if value is None:
        node.getparent().remove(node)
    else:
        node.text = value
    return etree.tostring(root)


@pytest.mark.parametrize(
    ("path", "value", "code"),
    [
        ("cbc:UBLVersionID", "2.0", "2110"),
        ("cbc:UBLVersionID", None, "2111"),
        ("cbc:CustomizationID", "1.0", "2112"),
        ("cbc:CustomizationID", None, "2113"),
        ("cbc:DespatchAdviceTypeCode", "01", "1051"),
        ("cbc:DespatchAdviceTypeCode", None, "1050"),
        ("cbc:ID", "F001-7", "1001"),
        ("cbc:ID", "T001-0", "1001"),
        ("cac:DespatchSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID", "20100070970", "1034"),
        ("cbc:IssueDate", "21/11/2026", "3436"),
    ],
)
def test_a_client_guia_with_a_wrong_identity_is_not_signed(
    path: str,
    value: str | None,
    code: str,
    gre_certificates: dict[str, Certificate],
) -> None:
    xml = _edit(_client_xml(remitente()), path, value)
    with pytest.raises(ValidationFailed) as refused:
        sign_despatch_xml(xml, EMPRESA, gre_certificates[EMPRESA])
    assert [issue.cod for issue in refused.value.issues] == [code]


@pytest.mark.parametrize(
    "xml",
    [
        b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>',
        b'<!DOCTYPE d [<!ENTITY e "x">]><DespatchAdvice xmlns="' + DESPATCH_ADVICE.encode() + b'"/>',
        b"<DespatchAdvice",
    ],
    ids=["otro-documento", "doctype", "mal-formado"],
)
def test_what_is_not_a_despatch_advice_is_a_bad_request(
    xml: bytes,
    gre_certificates: dict[str, Certificate],
) -> None:
    with pytest.raises(BadRequest):
        sign_despatch_xml(xml, EMPRESA, gre_certificates[EMPRESA])


def test_a_signed_guia_is_not_signed_again(gre_certificates: dict[str, Certificate]) -> None:
    signed = prepare_guia(parse_guia(remitente()), 7, EMISORES["09"], gre_certificates[EMPRESA])
    with pytest.raises(BadRequest) as refused:
        sign_despatch_xml(signed.xml, EMPRESA, gre_certificates[EMPRESA])
    assert "ExtensionContent" in refused.value.issues[0].mensaje


# -- the XML OpenPSE writes ---------------------------------------------------------------


def test_the_guia_is_written_canonical_and_without_whitespace_between_elements() -> None:
    guia = parse_guia(remitente())
    now = now_lima()
    document = build_despatch(guia, 1, EMISORES["09"], now.date(), now.time())
    text = document.before + document.after
    root = etree.fromstring(text.encode())
    assert etree.tostring(root, method="c14n").decode() == text
    # No text of their own in elements with children (SUNAT's 4165/4428 rows read it).
    assert all(not (element.text or "").strip(" \n") or len(element) == 0 for element in root.iter())
    assert all(element.tail is None for element in root.iter() if element is not root)


def test_indicators_travel_in_special_instructions() -> None:
    guia = parse_guia(
        transportista(
            indicadores={"transbordo_programado": True, "traslado_total": True},
            subcontratador={
                "tipo_documento": "6",
                "numero_documento": "20100128056",
                "razon_social": "LOGISTICA SAC",
            },
            pagador_flete="subcontratador",
        )
    )
    now = now_lima()
    document = build_despatch(guia, 1, EMISORES["31"], now.date(), now.time())
    root = etree.fromstring((document.before + document.after).encode())
    assert [node.text for node in root.iter(f"{{{CBC}}}SpecialInstructions")] == [
        "SUNAT_Envio_IndicadorTransbordoProgramado",
        "SUNAT_Envio_IndicadorTrasladoTotal",
        "SUNAT_Envio_IndicadorTrasporteSubcontratado",
        "SUNAT_Envio_IndicadorPagadorFlete_Subcontratador",
    ]


def test_the_observations_of_a_guia_travel_with_it(gre_certificates: dict[str, Certificate]) -> None:
    body = transportista(pagador_flete=None, registro_mtc=None)
    signed = prepare_guia(parse_guia(body), 1, EMISORES["31"], gre_certificates[TRANSPORTES])
    assert sorted((issue.cod, issue.campo) for issue in signed.observaciones) == [
        ("4388", "pagador_flete"),
        ("4391", "registro_mtc"),
    ]


# -- the request model --------------------------------------------------------------------


def test_a_tipo_that_is_not_a_guia_is_1051() -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_guia({"tipo": "01"})
    assert [(issue.cod, issue.campo) for issue in refused.value.issues] == [("1051", "tipo")]


def test_shape_errors_name_the_field() -> None:
    body = remitente(bienes=[bien(cantidad="mucho")], color="rojo")
    del body["partida"]
    with pytest.raises(ValidationFailed) as refused:
        parse_guia(body)
    campos = {issue.campo for issue in refused.value.issues}
    assert campos == {"bienes[0].cantidad", "partida", "color"}
    assert {issue.cod for issue in refused.value.issues} == {"PSE-0002"}


def test_the_content_hash_ignores_the_number_only() -> None:
    base = parse_guia(remitente())
    assert content_hash(base) == content_hash(parse_guia(remitente(numero=15)))
    assert content_hash(base) != content_hash(parse_guia(remitente(peso_bruto_total="4250.501")))


SOLO_RUC = {"ubigeo": "150101", "direccion": "Av. Lima 1", "ruc_establecimiento": EMPRESA}
ANA = {"tipo_documento": "1", "numero_documento": "46027897", "razon_social": "ANA"}


@pytest.mark.parametrize(
    ("body", "campo"),
    [
        (remitente(partida=SOLO_RUC), "partida.codigo_establecimiento"),
        (remitente(bienes=[bien(codigo_gtin="12345")]), "bienes[0].tipo_gtin"),
        (transportista(pagador=ANA), "pagador"),
        (transportista(bienes=[bien(numero_dam="118-2026-10-000001")]), "bienes[0].numero_dam"),
    ],
)
def test_what_openpse_cannot_write_is_pse_0002(
    body: dict[str, Any],
    campo: str,
    gre_certificates: dict[str, Certificate],
) -> None:
    guia = parse_guia(body)
    emisor = EMISORES[guia.tipo]
    with pytest.raises(ValidationFailed) as refused:
        prepare_guia(guia, 1, emisor, gre_certificates[emisor.ruc])
    assert [(issue.cod, issue.campo) for issue in refused.value.issues] == [("PSE-0002", campo)]
