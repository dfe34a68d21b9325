"""OpenPSE's copy of the GRE catalogues is exactly what SUNAT's SFS files say."""

from __future__ import annotations

from importlib import resources

import pytest
from guias_catalog_source import catalogs_json, product_code_ranges

from openpse.authorities.sunat.guias import catalogs
from tests_support import shared_path

pytestmark = pytest.mark.conformance
DATA = resources.files("openpse.authorities.sunat.guias").joinpath("data")


def test_the_gre_catalogues_match_sunats_files() -> None:
    folder = shared_path("sunat", "xsl", "commons", "cpe", "catalogo")
    assert DATA.joinpath("catalogos_gre.json").read_text("utf-8") == catalogs_json(folder)


def test_the_product_codes_match_sunats_catalogue_25() -> None:
    folder = shared_path("sunat", "xsl", "commons", "cpe", "catalogo")
    assert DATA.joinpath("productos_sunat.txt").read_text("utf-8") == product_code_ranges(folder)


def test_every_code_of_catalogue_25_and_nothing_else_is_a_product_code() -> None:
    text = shared_path("sunat", "xsl", "commons", "cpe", "catalogo", "cat_25.xml").read_text("utf-8")
    listed = {line.split('"')[1] for line in text.splitlines() if line.startswith('<c id="')}
    assert len(listed) > 50_000
    assert all(catalogs.is_product_code(code) for code in listed)
    neighbours = {str(int(code) + 1) for code in listed} | {str(int(code) - 1) for code in listed}
    assert not any(catalogs.is_product_code(code) for code in neighbours - listed)


@pytest.mark.parametrize("code", ["1010150", "101015011", "1010150A", "", "00000000"])
def test_malformed_product_codes_are_not_in_catalogue_25(code: str) -> None:
    assert not catalogs.is_product_code(code)


def test_catalogue_61_says_which_documents_each_guia_takes() -> None:
    assert catalogs.attribute("61", "31", "gre-r") == "0"
    assert catalogs.attribute("61", "31", "gre-t") == "1"
    assert catalogs.attribute("61", "49", "gre-t") == "0"
    assert catalogs.nombre("61", "50") == "Declaración Aduanera de Mercancías"


def test_ports_and_airports_carry_their_ubigeo() -> None:
    assert catalogs.attribute("63", "CLL", "ubigeo") == "070101"
    assert catalogs.attribute("64", "LIM", "ubigeo") == "070101"
    assert catalogs.nombre("18", "02") == "Transporte privado"
