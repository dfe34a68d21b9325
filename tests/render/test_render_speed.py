"""Rendering stays fast: PSEs print thousands of documents (measured ~30 ms a page on one core).

`bench/render_bench.py` measures every type; these tests only keep a bound under a busy CI.
"""

from __future__ import annotations

import statistics
import time

import pytest
from render_corpus import comprobante_cr, cr_cases, guia, guia_cases, retper, retper_cases
from render_support import issue

from openpse.render import qr, render_pdf
from tests_support import factura


@pytest.mark.parametrize("formato", ["a4", "ticket"])
def test_a_ten_line_factura_renders_in_a_fraction_of_a_second(test_certificate, formato):
    items = [
        {"descripcion": f"Producto {n}", "cantidad": str(n), "valor_unitario": "9.90"} for n in range(1, 11)
    ]
    signed = issue(test_certificate, factura(items=items))
    render_pdf(signed.xml, formato=formato)
    times = []
    for _ in range(7):
        # A new document has a new QR: do not let the symbol cache hide its cost.
        qr.clear_cache()
        start = time.perf_counter()
        render_pdf(signed.xml, formato=formato)
        times.append(time.perf_counter() - start)
    # About 30 ms here; the bound leaves room for a busy CI machine.
    assert statistics.median(times) < 0.25


@pytest.fixture(scope="module")
def other_documents(test_certificate):
    return {
        "guia": guia(test_certificate, guia_cases()["varios-vehiculos-y-conductores"], 1).xml,
        "retencion": retper(test_certificate, retper_cases()["retencion-usd-dos-pagos-y-pen"], 1).xml,
        "factura-cr": comprobante_cr(cr_cases()["factura-credito-descuento-exoneracion-cargos"], 1)[0].xml,
    }


@pytest.mark.parametrize("formato", ["a4", "ticket"])
@pytest.mark.parametrize("kind", ["guia", "retencion", "factura-cr"])
def test_other_documents_render_as_fast_as_a_factura(other_documents, kind, formato):
    xml = other_documents[kind]
    render_pdf(xml, formato=formato)
    times = []
    for _ in range(5):
        qr.clear_cache()
        start = time.perf_counter()
        render_pdf(xml, formato=formato)
        times.append(time.perf_counter() - start)
    assert statistics.median(times) < 0.25
