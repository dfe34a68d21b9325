"""Amounts of retenciones and percepciones: SUNAT's formulas, half-up cents, totals without 07/20/40."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from openpse.authorities.sunat.retper.amounts import Movimiento, Relacionado, calcular, en_soles, referencia
from openpse.authorities.sunat.retper.catalogs import FUERA_DE_TOTALES_PERCEPCION, FUERA_DE_TOTALES_RETENCION

DAY = dt.date(2026, 11, 20)


def _documento(tipo: str, *pagos: tuple[str, str | None], moneda: str = "PEN") -> Relacionado:
    movimientos = tuple(
        Movimiento(n, DAY, Decimal(importe), Decimal(factor) if factor else None, None)
        for n, (importe, factor) in enumerate(pagos, start=1)
    )
    return Relacionado(tipo, "F001", 1, DAY, moneda, Decimal("10000"), movimientos)


def test_a_retention_rounds_half_up_and_nets_the_payment_exactly() -> None:
    # 0.50 × 3 % = 0.015: half up to 0.02 (SUNAT's round(x * 100) div 100), net 0.48.
    ref = referencia(
        _documento("01", ("0.50", None)),
        Movimiento(1, DAY, Decimal("0.50"), None, None),
        Decimal(3),
        False,
        True,
    )
    assert (ref.importe, ref.neto) == (Decimal("0.02"), Decimal("0.48"))


def test_a_perception_in_dollars_is_converted_then_added() -> None:
    # 1360.00 USD × 3.76 = 5113.60 PEN; 1 % = 51.136 → 51.14; collected 5164.74.
    ref = referencia(
        _documento("01", ("1360.00", "3.76"), moneda="USD"),
        Movimiento(1, DAY, Decimal("1360.00"), Decimal("3.76"), None),
        Decimal(1),
        True,
        True,
    )
    assert (ref.importe, ref.neto) == (Decimal("51.14"), Decimal("5164.74"))


def test_totals_leave_out_credit_notes_and_reverted_comprobantes() -> None:
    retention = calcular(
        [
            _documento("01", ("1000.00", None)),
            _documento("07"),
            _documento("20", ("500.00", None)),
            _documento("08", ("100.00", None)),
        ],
        Decimal(3),
        False,
        FUERA_DE_TOTALES_RETENCION,
        Decimal("0.10"),
    )
    assert [r.en_totales for r in retention.referencias] == [True, False, False, True]
    assert retention.referencias[1].importe is None
    assert (retention.total, retention.total_neto) == (Decimal("33.00"), Decimal("1067.10"))
    perception = calcular(
        [_documento("03", ("200.00", None)), _documento("40", ("200.00", None))],
        Decimal(2),
        True,
        FUERA_DE_TOTALES_PERCEPCION,
    )
    assert (perception.total, perception.total_neto) == (Decimal("4.00"), Decimal("204.00"))
    assert perception.as_api(True) == {"percibido": "4.00", "cobrado": "204.00"}


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999999.99"), places=2)
factors = st.one_of(st.none(), st.decimals(min_value=Decimal("0.5"), max_value=Decimal("9999"), places=6))
rates = st.sampled_from([Decimal(3), Decimal(6), Decimal(2), Decimal(1), Decimal("0.5")])


@settings(max_examples=300, deadline=None)
@given(importe=amounts, factor=factors, tasa=rates, percepcion=st.booleans())
def test_amount_and_net_always_add_up_to_the_payment_in_soles(
    importe: Decimal, factor: Decimal | None, tasa: Decimal, percepcion: bool
) -> None:
    ref = referencia(_documento("01"), Movimiento(1, DAY, importe, factor, None), tasa, percepcion, True)
    assert ref.importe is not None
    assert ref.neto is not None
    exact = importe * tasa / 100 * (factor or 1)
    # Within half a cent of the exact figure, so far inside SUNAT's ±1 (rows 46/47).
    assert abs(ref.importe - exact) <= Decimal("0.005")
    assert ref.importe.as_tuple().exponent == -2
    soles = en_soles(importe, factor)
    assert ref.neto == (soles + ref.importe if percepcion else soles - ref.importe)
