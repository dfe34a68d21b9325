"""Money arithmetic with :class:`~decimal.Decimal` and the authorities' rounding.

SUNAT validates amounts with two decimals (``n(12,2)``), unit values with up to ten
(``n(12,10)``), and rounds half up; see the "Reglas de validación" sheets, rows on
``LineExtensionAmount`` and ``PriceAmount``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal("0")
CENT = Decimal("0.01")
TEN_DECIMALS = Decimal("0.0000000001")


def round2(value: Decimal) -> Decimal:
    """Round half up to cents."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


_EXPONENTS = [Decimal(1).scaleb(-places) for places in range(29)]


def round_to(value: Decimal, places: int) -> Decimal:
    """Round half up to ``places`` decimals."""
    return value.quantize(_EXPONENTS[places], rounding=ROUND_HALF_UP)


def fmt2(value: Decimal) -> str:
    """Two-decimal text, as every amount in the UBL and the API."""
    return f"{round2(value):f}"


def fmt_max(value: Decimal, places: int = 10) -> str:
    """Text with at most ``places`` decimals and no trailing zeros beyond two.

    Unit values keep the precision they need (``33.3333333333``) but never lose the
    usual two decimals (``50.00``), which is what integrators expect to read back.
    """
    cents = value.quantize(CENT, rounding=ROUND_HALF_UP)
    if cents == value:
        # The common case: already at most two decimals.
        return f"{cents:f}"
    rounded = round_to(value, places)
    text = f"{rounded:f}"
    if "." in text:
        whole, frac = text.split(".")
        frac = frac.rstrip("0")
        frac = frac.ljust(2, "0")
        return f"{whole}.{frac}"
    return f"{text}.00"


def fmt_qty(value: Decimal) -> str:
    """A quantity as plain text without exponent or pointless trailing zeros."""
    return f"{value.normalize():f}" if value != ZERO else "0"
