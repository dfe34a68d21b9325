"""Amount in words for legend 1000 of catálogo 52 ("SON: CIENTO DIECIOCHO CON 00/100 SOLES").

SUNAT does not fix the wording; Peruvian PSEs and SUNAT's own SFS write the integer part
in capital letters, then ``CON cc/100`` and the currency name. The integer part comes from
num2words; the cents and the currency are ours, computed with Decimal.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal

from num2words import num2words

from openpse.core.money import round2

CURRENCY_NAMES: dict[str, str] = {
    "PEN": "SOLES",
    "USD": "DÓLARES AMERICANOS",
    "EUR": "EUROS",
    "CRC": "COLONES",
}


def amount_in_words(amount: Decimal, currency: str) -> str:
    """Return the legend text for ``amount`` in ``currency``.

    >>> amount_in_words(Decimal("118.00"), "PEN")
    'CIENTO DIECIOCHO CON 00/100 SOLES'
    >>> amount_in_words(Decimal("1001.5"), "USD")
    'MIL UNO CON 50/100 DÓLARES AMERICANOS'
    >>> amount_in_words(Decimal("0.99"), "PEN")
    'CERO CON 99/100 SOLES'
    """
    value = round2(amount)
    if value < 0:
        raise ValueError("amount must not be negative")
    whole = int(value)
    cents = int((value - whole) * 100)
    words = _integer_words(whole)
    name = CURRENCY_NAMES.get(currency, currency)
    return f"{words} CON {cents:02d}/100 {name}"


# Before "mil" and "millones" Spanish apocopates "uno" (veintiún mil, treinta y un mil,
# ciento un millones); num2words writes the full form ("veintiuno mil").
_APOCOPE = re.compile(r"\b(VEINTI)?UNO (?=MIL\b|MILLONES\b|MILLÓN\b)")


def _apocope(match: re.Match[str]) -> str:
    return "VEINTIÚN " if match.group(1) else "UN "


@functools.lru_cache(maxsize=4096)
def _integer_words(whole: int) -> str:
    # Sales totals repeat (same prices, same baskets): the words are worth keeping.
    return _APOCOPE.sub(_apocope, str(num2words(whole, lang="es")).upper())
