"""Other issuers' signed XML prints too: greenter's and openubl's samples, and every case of
OpenPSE's conformance corpus (every afectación, ISC, ICBPER, discounts, notes, exports)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from render_support import issue, qr_codes, text_of

from openpse.render import RenderError, qr_text, render_pdf
from tests_support import shared_path

SIGNED = ("sunat", "samples", "signed")
CORPUS = Path(__file__).resolve().parents[1] / "conformance" / "corpus" / "casos"
CASES = sorted(
    (json.loads(path.read_text("utf-8")) for path in CORPUS.glob("*.json")), key=lambda case: case["orden"]
)


def test_greenter_factura_with_its_cdr():
    xml = shared_path(*SIGNED, "greenter-F001-1", "20123456789-01-F001-1.xml").read_bytes()
    cdr = shared_path("sunat", "samples", "cdr", "greenter", "R-20600995805-01-F001-1.xml").read_bytes()
    assert (
        qr_text(xml)
        == "20123456789|01|F001|1|18.00|118.00|2020-07-21|6|20603343710|/wKIPKeZOhFEIOIyP1+T4AJDpfw=|"
    )
    for formato in ("a4", "ticket"):
        pdf = render_pdf(xml, formato=formato, cdr=cdr)
        text = " ".join(text_of(pdf).split())
        assert "MI EMPRESA S.A.C" in text
        assert "TIJERAS - PRUEBA DE SISTEMAS" in text
        assert "NEGOCIOS S.A.C." in text
        assert "Importe total S/ 118.00" in text
        assert "SON: CIENTO DIECIOCHO CON 00 /100 SOLES" in text
        assert "/wKIPKeZOhFEIOIyP1+T4AJDpfw=" in text
        assert "La Factura numero F001-00000001, ha sido aceptada" in text
        assert qr_codes(pdf) == [qr_text(xml)]


@pytest.mark.parametrize("name", ["F001-1.xml", "150101-F001-11.xml"])
def test_openubl_iso_8859_1_facturas(name):
    xml = shared_path(*SIGNED, "openubl", name).read_bytes()
    assert b'encoding="ISO-8859-1"' in xml[:60]
    pdf = render_pdf(xml)
    text = text_of(pdf)
    assert "Representación impresa de la FACTURA ELECTRÓNICA" in text
    assert qr_codes(pdf) == [qr_text(xml)]


def test_openubl_gratuitas_are_marked():
    xml = shared_path(*SIGNED, "openubl", "150101-F001-11.xml").read_bytes()
    text = " ".join(text_of(render_pdf(xml)).split())
    assert "INCA LATA 355 ML" in text
    assert "Transferencia gratuita, valor referencial 10.00" in text
    assert "Op. gratuitas S/ 50.00" in text
    assert "IGV (10 %) S/ 4.55" in text


def test_greenter_ubl_2_0_sample_is_refused():
    xml = shared_path(*SIGNED, "greenter", "20600055519-01-F001-00000001.xml").read_bytes()
    with pytest.raises(RenderError, match=r"UBL 2\.0"):
        render_pdf(xml)


def test_voided_documents_sample_is_refused():
    xml = shared_path(*SIGNED, "openubl", "RA-20200328-1.xml").read_bytes()
    with pytest.raises(RenderError, match="VoidedDocuments no soportado"):
        render_pdf(xml)


@pytest.fixture(scope="module")
def corpus(test_certificate):
    return {case["caso"]: issue(test_certificate, case["request"]) for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=[case["caso"] for case in CASES])
def test_every_conformance_case_prints_in_both_formats(corpus, case):
    signed = corpus[case["caso"]]
    for formato in ("a4", "ticket"):
        pdf = render_pdf(signed.xml, formato=formato)
        text = " ".join(text_of(pdf).split())
        assert signed.serie_numero in text
        assert f"Valor resumen (hash): {signed.hash}" in text
        for item in case["request"]["items"]:
            assert item["descripcion"] in text
        assert qr_codes(pdf) == [qr_text(signed.xml)]
