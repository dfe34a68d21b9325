"""Rendering stays fast: PSEs print thousands of documents (measured ~30 ms a page on one core)."""

from __future__ import annotations

import statistics
import time

import pytest
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
        qr._modules.cache_clear()
        start = time.perf_counter()
        render_pdf(signed.xml, formato=formato)
        times.append(time.perf_counter() - start)
    # About 30 ms here; the bound leaves room for a busy CI machine.
    assert statistics.median(times) < 0.25
