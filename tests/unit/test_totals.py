"""Totals as SUNAT recomputes them (Factura2_0: 3271, 3103, 3291, 3279, 3280)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from openpse.authorities.sunat.totals import LineInput, compute_document, compute_line
from openpse.core.money import round2

D = Decimal


def test_gravado_line_from_unit_value():
    line = compute_line(LineInput(D("2"), "10", valor_unitario=D("50.00")))
    assert (line.valor_venta, line.igv, line.precio_unitario) == (D("100.00"), D("18.00"), D("59.0000000000"))
    assert line.tributo.codigo == "1000"
    assert line.porcentaje == D("18.00")


def test_gravado_line_from_price_with_igv_keeps_what_the_customer_pays():
    line = compute_line(LineInput(D("3"), "10", precio_unitario=D("10.00")))
    assert line.valor_venta + line.igv == D("30.00")
    assert line.valor_venta == D("25.42")
    assert line.igv == D("4.58")
    assert line.valor_unitario == D("8.4733333333")


def test_exonerado_and_inafecto_lines_carry_no_igv():
    exonerado = compute_line(LineInput(D("1"), "20", valor_unitario=D("10")))
    inafecto = compute_line(LineInput(D("1"), "30", valor_unitario=D("10")))
    assert (exonerado.igv, exonerado.tributo.codigo) == (D("0.00"), "9997")
    assert (inafecto.igv, inafecto.tributo.codigo) == (D("0.00"), "9998")
    assert exonerado.precio_unitario == D("10")


def test_document_igv_comes_from_the_header_base_not_from_rounded_lines():
    # Three lines whose IGV rounds up each time: 0.333 × 0.18 = 0.05994 → 0.06.
    lines = [compute_line(LineInput(D("1"), "10", valor_unitario=D("0.333"))) for _ in range(3)]
    totals = compute_document(lines)
    assert sum(ln.igv for ln in lines) == D("0.18")
    assert totals.gravado == D("0.99")
    assert totals.igv == D("0.18")  # round2(0.99 × 0.18) = 0.1782 → 0.18
    assert totals.total == D("1.17")


def test_mixed_document_totals():
    lines = [
        compute_line(LineInput(D("2"), "10", valor_unitario=D("50"))),
        compute_line(LineInput(D("1"), "20", valor_unitario=D("30"))),
        compute_line(LineInput(D("4"), "30", valor_unitario=D("2.5"))),
    ]
    totals = compute_document(lines)
    assert totals.as_api() == {
        "gravado": "100.00",
        "exonerado": "30.00",
        "inafecto": "10.00",
        "igv": "18.00",
        "total": "158.00",
    }


def test_half_cents_round_up():
    line = compute_line(LineInput(D("1"), "10", valor_unitario=D("0.125")))
    assert line.valor_venta == D("0.13")


amounts = st.decimals(
    min_value=D("0.01"), max_value=D("99999"), places=4, allow_nan=False, allow_infinity=False
)
quantities = st.decimals(
    min_value=D("0.001"), max_value=D("1000"), places=3, allow_nan=False, allow_infinity=False
)


@given(
    st.lists(
        st.tuples(quantities, amounts, st.sampled_from(["10", "20", "30"]), st.booleans()),
        min_size=1,
        max_size=60,
    )
)
def test_totals_stay_within_sunat_tolerance(items):
    lines = [
        compute_line(
            LineInput(q, a, valor_unitario=None if with_tax else v, precio_unitario=v if with_tax else None)
        )
        for q, v, a, with_tax in items
    ]
    totals = compute_document(lines)
    # 3291: header IGV = base × 18 % exactly; 3279/3280: payable = values + IGV.
    assert totals.igv == round2(totals.gravado * D("0.18"))
    assert totals.total == totals.valor_venta + totals.igv
    for line in lines:
        # 3271: LineExtensionAmount = quantity × unit value, ±1.
        assert abs(line.cantidad * line.valor_unitario - line.valor_venta) <= 1
        # 3270: unit price = (value + IGV) / quantity, ±1.
        assert abs(line.precio_unitario * line.cantidad - (line.valor_venta + line.igv)) <= 1
        # 3103: line IGV = base × rate, ±1.
        assert abs(line.igv - line.valor_venta * (D("0.18") if line.afectacion == "10" else 0)) <= 1
