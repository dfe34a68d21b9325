"""The conformance corpus (``corpus/casos/*.json``): every case is built, signed, valid
against SUNAT's XSD and SFS sheet (only the observations the case expects), its signature
verifies, and the SUNAT emulator accepts it — the notes after what they modify."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx2
import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from signxml import SignatureConfiguration, XMLVerifier
from signxml.algorithms import DigestAlgorithm, SignatureMethod
from sunat_oracles import SCHEMAS, run_sheet, xsd_errors
from test_sunat_conformance import empresa

from openpse.authorities.sunat.authority import SunatAuthority
from openpse.authorities.sunat.cdr import parse_cdr_zip
from openpse.authorities.sunat.naming import DocumentName, zip_single
from openpse.authorities.sunat.soap import Credentials, SunatSoapClient
from openpse.core.timeutil import now_lima

pytestmark = pytest.mark.conformance
CASOS = sorted(
    (json.loads(p.read_text("utf-8")) for p in (Path(__file__).parent / "corpus" / "casos").glob("*.json")),
    key=lambda c: c["orden"],
)
CONFIG = SignatureConfiguration(
    signature_methods=frozenset(SignatureMethod), digest_algorithms=frozenset(DigestAlgorithm)
)


def test_corpus_covers_the_homologation_groups_and_the_tax_paths():
    assert len(CASOS) >= 80
    grupos = {c["grupo"] for c in CASOS}
    assert {
        "1-gravadas",
        "2-inafectas-exoneradas",
        "3-gratuitas",
        "4-descuento-global",
        "5-isc",
        "6-percepcion",
        "7-otra-moneda",
        "8-boletas-gravadas",
        "10-boletas-gratuitas",
        "12-boletas-otra-moneda",
    } <= grupos
    afectaciones = {i.get("afectacion_igv", "10") for c in CASOS for i in c["request"]["items"]}
    assert afectaciones == {
        "10",
        "11",
        "12",
        "13",
        "14",
        "15",
        "16",
        "17",
        "20",
        "21",
        "30",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "40",
    }
    assert {c["request"]["tipo"] for c in CASOS} == {"01", "03", "07", "08"}
    operaciones = {c["request"].get("tipo_operacion", "0101") for c in CASOS}
    requests = [c["request"] for c in CASOS]
    assert {"0101", "0112", "0200", "0401", "1001", "1002", "1003", "1004", "2001"} <= operaciones
    assert {"0301", "2100", "2101", "2102", "2103", "2104", "2105"} <= operaciones
    assert any(r.get("venta_itinerante") for r in requests)
    assert any(r["tipo"] == "07" and r["motivo"]["codigo"] == "13" for r in requests)
    assert any(r.get("anticipos") for r in requests)
    assert any(a.get("afectacion") == "exonerado" for r in requests for a in r.get("anticipos", []))
    assert any(r.get("guias") for r in requests)


@pytest.fixture(scope="module")
def built(test_certificate) -> dict[str, Any]:
    authority = SunatAuthority(httpx2.Client(), "http://127.0.0.1:9")
    context = empresa(test_certificate)
    today = now_lima().date()
    result = {}
    for caso in CASOS:
        draft = authority.parse(caso["request"])
        result[caso["caso"]] = authority.prepare(draft, caso["request"]["numero"], context, today)
    return result


@pytest.mark.parametrize("caso", CASOS, ids=[c["caso"] for c in CASOS])
def test_case_passes_sunat_validators(built, test_certificate, caso):
    prepared = built[caso["caso"]]
    tipo = caso["request"]["tipo"]
    assert xsd_errors(prepared.xml, SCHEMAS[tipo]) == []
    sheet = run_sheet(tipo, prepared.xml, prepared.xml_name)
    if "sfs_anterior_rechaza" in caso:
        # The SFS copy lags the 2026 workbook on this rule (see generar.py): it must reject
        # with exactly that code and nothing else.
        assert sheet.rejected
        assert sheet.error_codes == [caso["sfs_anterior_rechaza"]], sheet.messages
    else:
        assert not sheet.rejected, sheet.messages
        assert sheet.codes == caso["observaciones"], sheet.messages
    XMLVerifier().verify(
        prepared.xml, x509_cert=test_certificate.certificate.public_bytes(Encoding.PEM), expect_config=CONFIG
    )


def test_every_case_is_accepted_by_the_sunat_emulator(built, sandbox_url):
    client = SunatSoapClient(httpx2.Client(timeout=30))
    url = f"{sandbox_url}/ol-ti-itcpfegem-beta/billService"
    credentials = Credentials("20000000001", "MODDATOS", "moddatos")
    refused = {}
    for caso in CASOS:
        prepared = built[caso["caso"]]
        name = DocumentName.parse(prepared.id)
        cdr = parse_cdr_zip(client.send_bill(url, credentials, name.zip, zip_single(name.xml, prepared.xml)))
        if cdr.response_code != "0":
            refused[caso["caso"]] = (cdr.response_code, cdr.description)
    assert refused == {}
