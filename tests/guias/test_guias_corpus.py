"""Positive corpus: every guía a remitente or a transportista sends in practice, judged by SUNAT's judges.

Each case is built and signed by OpenPSE, then must be valid against the GRE 2022 schema,
draw no error from SUNAT's GRE sheet (and exactly the observations our rules announced),
verify with signxml, and be accepted by the sandbox's GRE platform: ticket, then
``codRespuesta`` 0 with a CDR that accepts the guía.
"""

from __future__ import annotations

import zipfile
from io import BytesIO

import httpx2
import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from guias_cases import positive_cases
from guias_oracles import run_sheet, xsd_errors
from guias_support import EMISORES, credentials
from lxml import etree
from signxml import SignatureConfiguration, XMLVerifier
from signxml.algorithms import CanonicalizationMethod

from openpse.authorities.sunat.guias import GreClient, GreEndpoints, SignedGuia, parse_guia, prepare_guia
from openpse.signing.certificates import Certificate
from openpse.signing.xmldsig import digest_value_of

pytest_plugins = ["guias_fixtures"]
pytestmark = pytest.mark.conformance

CASES = positive_cases()
_VERIFY = SignatureConfiguration(
    location="./{urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2}UBLExtensions/"
    "{urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2}UBLExtension/"
    "{urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2}ExtensionContent/",
    expect_references=1,
    default_reference_c14n_method=CanonicalizationMethod.CANONICAL_XML_1_0,
)


@pytest.fixture(scope="module")
def corpus(gre_certificates: dict[str, Certificate]) -> dict[str, SignedGuia]:
    """Every case built once, each with its own number."""
    built = {}
    for numero, (name, (body, _observations)) in enumerate(CASES.items(), start=1):
        guia = parse_guia(body)
        emisor = EMISORES[guia.tipo]
        built[name] = prepare_guia(guia, numero, emisor, gre_certificates[emisor.ruc])
    return built


def test_the_corpus_covers_every_motivo_and_both_types() -> None:
    guias = [parse_guia(body) for body, _ in CASES.values()]
    motivos = {getattr(guia, "motivo_traslado", None) for guia in guias}
    assert motivos >= {"01", "02", "03", "04", "05", "06", "07", "08", "09", "13", "14", "17", "18"}
    assert sum(guia.tipo == "31" for guia in guias) >= 6
    assert len(CASES) >= 15


@pytest.mark.parametrize("name", list(CASES))
def test_guia_passes_sunat_schema_sheet_and_signature_check(
    name: str,
    corpus: dict[str, SignedGuia],
    gre_certificates: dict[str, Certificate],
) -> None:
    signed = corpus[name]
    _body, expected_observations = CASES[name]

    assert xsd_errors(signed.xml) == []
    result = run_sheet(signed.name.tipo, signed.xml, signed.name.xml)
    assert not result.rejected, result.messages
    assert result.error_codes == []
    assert set(result.observation_codes) == expected_observations, result.messages
    assert {issue.cod for issue in signed.observaciones} == expected_observations

    certificate = gre_certificates[signed.name.ruc]
    verified = XMLVerifier().verify(
        signed.xml, x509_cert=certificate.certificate.public_bytes(Encoding.PEM), expect_config=_VERIFY
    )
    assert etree.QName(verified.signed_xml).localname == "DespatchAdvice"
    assert signed.hash == digest_value_of(etree.fromstring(signed.xml))
    with zipfile.ZipFile(BytesIO(signed.zip)) as archive:
        assert archive.namelist() == [f"{signed.name.base}.xml"]
        assert archive.read(f"{signed.name.base}.xml") == signed.xml


@pytest.mark.parametrize("name", list(CASES))
def test_guia_is_accepted_by_the_gre_platform(
    name: str,
    corpus: dict[str, SignedGuia],
    sandbox_url: str,
    gre_http: httpx2.Client,
) -> None:
    signed = corpus[name]
    client = GreClient(gre_http, GreEndpoints.single_host(sandbox_url))
    access = credentials(signed.name.ruc)

    ticket = client.send(access, signed.name.base, signed.zip)
    status = client.wait(access, ticket.numero, interval=0.01)

    assert (status.cod_respuesta, status.cdr_generado, status.error) == ("0", True, None)
    cdr = status.cdr()
    assert cdr is not None
    assert (cdr.response_code, cdr.reference_id) == ("0", signed.name.serie_numero)
    assert cdr.description == f"El Comprobante  numero {signed.name.serie_numero}, ha sido aceptado"
