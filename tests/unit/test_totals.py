"""Totals as SUNAT recomputes them (Factura2_0: 3270–3280, 3290–3307, 3103, 3108)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from openpse.authorities.sunat.totals import (
    IGV_RATE_MYPE,
    Ajuste,
    IscInput,
    LineInput,
    compute_document,
    compute_line,
    icbper_por_bolsa,
)
from openpse.core.money import round2, round_to

D = Decimal


def test_gravado_line_from_unit_value():
    line = compute_line(LineInput(D("2"), "10", valor_unitario=D("50.00")))
    assert (line.valor_venta, line.igv, line.precio_referencia) == (
        D("100.00"),
        D("18.00"),
        D("59.0000000000"),
    )
    assert line.tributo.codigo == "1000"
    assert line.porcentaje == D("18.00")
    assert line.tipo_precio == "01"


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
    assert exonerado.precio_referencia == D("10")


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
    api = compute_document(lines).as_api()
    assert (api["gravado"], api["exonerado"], api["inafecto"], api["igv"], api["total"]) == (
        "100.00",
        "30.00",
        "10.00",
        "18.00",
        "158.00",
    )


def test_half_cents_round_up():
    line = compute_line(LineInput(D("1"), "10", valor_unitario=D("0.125")))
    assert line.valor_venta == D("0.13")


def test_free_gravada_line_reports_its_igv_under_9996_and_pays_nothing():
    line = compute_line(LineInput(D("2"), "13", valor_referencial=D("50")))
    # 3271: value = referential × quantity; 2640: cac:Price is zero; PricingReference 02.
    assert (line.valor_venta, line.valor_unitario, line.tipo_precio) == (D("100.00"), D("0"), "02")
    assert (line.tributo.codigo, line.igv, line.impuestos) == ("9996", D("18.00"), D("0"))
    totals = compute_document([line, compute_line(LineInput(D("1"), "10", valor_unitario=D("10")))])
    assert (totals.gratuito, totals.igv_gratuito) == (D("100.00"), D("18.00"))
    assert (totals.valor_venta, totals.igv, totals.total) == (D("10.00"), D("1.80"), D("11.80"))


def test_free_inafecta_line_has_no_tax():
    line = compute_line(LineInput(D("1"), "31", valor_referencial=D("20")))
    assert (line.igv, line.porcentaje) == (D("0.00"), D("0.00"))


def test_isc_al_valor_enters_the_igv_base():
    line = compute_line(LineInput(D("10"), "10", valor_unitario=D("10"), isc=IscInput("01", D("30"))))
    # 3108: ISC = base × rate; 3272: IGV base = value + ISC.
    assert (line.valor_venta, line.isc, line.base_igv, line.igv) == (
        D("100.00"),
        D("30.00"),
        D("130.00"),
        D("23.40"),
    )
    assert line.impuestos == D("53.40")
    totals = compute_document([line])
    assert (totals.gravado, totals.isc, totals.igv, totals.total) == (
        D("100.00"),
        D("30.00"),
        D("23.40"),
        D("153.40"),
    )


def test_isc_monto_fijo_and_precio_publico():
    fijo = compute_line(LineInput(D("4"), "10", valor_unitario=D("25"), isc=IscInput("02", D("1.50"))))
    assert fijo.isc == D("6.00")
    assert abs(fijo.isc_base * fijo.isc_porcentaje / 100 - fijo.isc) <= 1
    publico = compute_line(
        LineInput(D("2"), "10", valor_unitario=D("10"), isc=IscInput("03", D("50"), precio_sugerido=D("15")))
    )
    assert (publico.isc_base, publico.isc) == (D("30.00"), D("15.00"))


def test_icbper_by_year():
    assert icbper_por_bolsa(dt.date(2019, 7, 31)) == 0
    assert icbper_por_bolsa(dt.date(2019, 8, 1)) == D("0.10")
    assert icbper_por_bolsa(dt.date(2022, 6, 1)) == D("0.40")
    assert icbper_por_bolsa(dt.date(2026, 11, 21)) == D("0.50")
    line = compute_line(
        LineInput(D("3"), "10", valor_unitario=D("0.10"), bolsas=3), fecha=dt.date(2026, 11, 21)
    )
    assert (line.icbper, line.icbper_unitario) == (D("1.50"), D("0.50"))
    # 3270: the unit price with taxes includes the bag tax.
    assert line.precio_referencia == round_to((line.valor_venta + line.igv + line.icbper) / 3, 10)


def test_line_discounts_moving_and_not_moving_the_base():
    line = compute_line(
        LineInput(
            D("2"),
            "10",
            valor_unitario=D("50"),
            ajustes=(Ajuste("00", factor=D("0.10")), Ajuste("01", monto=D("5"))),
        )
    )
    # 3271: value = 2 × 50 − 10 % (code 00); the 01 discount leaves the IGV base alone.
    assert (line.valor_venta, line.igv) == (D("90.00"), D("16.20"))
    totals = compute_document([line])
    assert (totals.descuentos, totals.total) == (D("5.00"), D("101.20"))


def test_global_discount_02_lowers_the_igv_base_and_03_only_the_payable():
    lines = [compute_line(LineInput(D("1"), "10", valor_unitario=D("200")))]
    totals = compute_document(lines, globales=(Ajuste("02", factor=D("0.05")), Ajuste("03", monto=D("10"))))
    # 3277/3291: gravadas 200 − 10; 3300: allowances = 03 only.
    assert (totals.gravado, totals.igv, totals.valor_venta) == (D("190.00"), D("34.20"), D("190.00"))
    assert (totals.descuentos, totals.total) == (D("10.00"), D("214.20"))
    assert [(g.codigo, g.monto, g.base) for g in totals.globales] == [
        ("02", D("10.00"), D("200.00")),
        ("03", D("10.00"), D("200.00")),
    ]


def test_charges_49_and_50():
    lines = [compute_line(LineInput(D("1"), "10", valor_unitario=D("100")))]
    totals = compute_document(lines, globales=(Ajuste("49", monto=D("10")), Ajuste("50", factor=D("0.10"))))
    assert (totals.gravado, totals.igv, totals.cargos, totals.total) == (
        D("110.00"),
        D("19.80"),
        D("10.00"),
        D("139.80"),
    )


def test_ivap_at_four_percent():
    totals = compute_document([compute_line(LineInput(D("10"), "17", valor_unitario=D("10")))])
    assert totals.ivap
    assert (totals.gravado, totals.igv, totals.total) == (D("100.00"), D("4.00"), D("104.00"))
    assert totals.subtotales[0].tributo.codigo == "1016"


def test_reduced_mype_rate():
    line = compute_line(LineInput(D("1"), "10", valor_unitario=D("100")), IGV_RATE_MYPE)
    assert (line.igv, line.porcentaje) == (D("10.50"), D("10.50"))


amounts = st.decimals(
    min_value=D("0.01"), max_value=D("99999"), places=4, allow_nan=False, allow_infinity=False
)
quantities = st.decimals(
    min_value=D("0.001"), max_value=D("1000"), places=3, allow_nan=False, allow_infinity=False
)


@given(
    st.lists(
        st.tuples(quantities, amounts, st.sampled_from(["10", "20", "30", "13", "21", "40"]), st.booleans()),
        min_size=1,
        max_size=60,
    )
)
def test_totals_stay_within_sunat_tolerance(items):
    lines = []
    for q, v, a, with_tax in items:
        gratuita = a in ("13", "21")
        lines.append(
            compute_line(
                LineInput(
                    q,
                    a,
                    valor_unitario=None if (with_tax or gratuita) else v,
                    precio_unitario=v if with_tax and not gratuita else None,
                    valor_referencial=v if gratuita else None,
                )
            )
        )
    totals = compute_document(lines)
    # 3291: header IGV = base × 18 % exactly; 3279/3280: payable = values + taxes.
    assert totals.igv == round2(totals.gravado * D("0.18"))
    assert totals.total == totals.valor_venta + totals.igv
    for line in lines:
        if line.afectacion.gratuita:
            # 3271 (free line): value = referential × quantity.
            assert abs(line.cantidad * line.precio_referencia - line.valor_venta) <= 1
            continue
        # 3271: LineExtensionAmount = quantity × unit value, ±1.
        assert abs(line.cantidad * line.valor_unitario - line.valor_venta) <= 1
        # 3270: unit price = (value + taxes) / quantity, ±1.
        assert abs(line.precio_referencia * line.cantidad - (line.valor_venta + line.impuestos)) <= 1
        # 3103: line IGV = base × rate, ±1.
        assert abs(line.igv - line.base_igv * (D("0.18") if line.afectacion.gravada else 0)) <= 1
