from decimal import Decimal

import pytest

from openpse.core.words import amount_in_words


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("118.00", "PEN", "CIENTO DIECIOCHO CON 00/100 SOLES"),
        ("1.00", "PEN", "UNO CON 00/100 SOLES"),
        ("21.05", "PEN", "VEINTIUNO CON 05/100 SOLES"),
        ("1000000.99", "USD", "UN MILLÓN CON 99/100 DÓLARES AMERICANOS"),
        ("0.5", "PEN", "CERO CON 50/100 SOLES"),
        ("1234.565", "PEN", "MIL DOSCIENTOS TREINTA Y CUATRO CON 57/100 SOLES"),
    ],
)
def test_amount_in_words(amount, currency, expected):
    assert amount_in_words(Decimal(amount), currency) == expected


def test_negative_amounts_are_refused():
    with pytest.raises(ValueError):
        amount_in_words(Decimal("-1"), "PEN")


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("21000", "VEINTIÚN MIL CON 00/100 SOLES"),
        ("31000", "TREINTA Y UN MIL CON 00/100 SOLES"),
        ("71850.50", "SETENTA Y UN MIL OCHOCIENTOS CINCUENTA CON 50/100 SOLES"),
        ("101000", "CIENTO UN MIL CON 00/100 SOLES"),
        ("21000000", "VEINTIÚN MILLONES CON 00/100 SOLES"),
        ("1021001", "UN MILLÓN VEINTIÚN MIL UNO CON 00/100 SOLES"),
        ("21", "VEINTIUNO CON 00/100 SOLES"),
        ("1001", "MIL UNO CON 00/100 SOLES"),
    ],
)
def test_uno_becomes_un_before_mil_and_millones(amount, words):
    assert amount_in_words(Decimal(amount), "PEN") == words
