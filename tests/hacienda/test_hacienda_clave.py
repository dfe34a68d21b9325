"""The clave (50) and the NumeroConsecutivo (20), reference §3.2."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hacienda_support import AHORA, emit, issues_of, payload

from openpse.authorities.hacienda.clave import (
    Clave,
    ClaveError,
    Consecutivo,
    Situacion,
    asignar,
    codigo_seguridad,
    identificacion_en_clave,
)

CR = dt.timezone(dt.timedelta(hours=-6))


def test_worked_example_of_the_reference():
    # CRLibre PR #88 output: 506 130518 000702320717 001 00001 01 1522773408 1 07756348
    numeracion = asignar(
        "702320717", 1, 1, "01", 1522773408, dt.datetime(2018, 5, 13, 9, 0, tzinfo=CR), "1", "07756348"
    )
    assert numeracion.clave == "50613051800070232071700100001011522773408107756348"
    assert numeracion.consecutivo == "00100001011522773408"
    assert len(numeracion.clave) == 50
    assert len(numeracion.consecutivo) == 20


def test_consecutivo_layout_branch_terminal_type_number():
    assert Consecutivo(12, 345, "04", 67).texto == "01200345040000000067"
    assert Consecutivo.parse("99999999109999999999") == Consecutivo(999, 99999, "10", 9_999_999_999)


def test_date_is_the_costa_rica_date_of_issue():
    # 03:30 UTC on the 22nd is still the 21st in Costa Rica (UTC-6, no daylight saving).
    utc = dt.datetime(2026, 11, 22, 3, 30, tzinfo=dt.UTC)
    assert asignar("3101123456", 1, 1, "01", 1, utc, seguridad="12345678").clave[3:9] == "211126"
    naive = dt.datetime(2026, 11, 22, 3, 30)
    assert asignar("3101123456", 1, 1, "01", 1, naive, seguridad="12345678").clave[3:9] == "221126"


def test_identification_is_left_padded_to_twelve():
    assert identificacion_en_clave("106130584") == "000106130584"
    assert identificacion_en_clave("155812994816") == "155812994816"
    # April-2026 revision: alphanumeric cédulas jurídicas (ClaveType [a-zA-Z0-9]{50}).
    assert identificacion_en_clave("3a0100b123") == "003A0100B123"
    with pytest.raises(ClaveError):
        identificacion_en_clave("1234567890123")
    with pytest.raises(ClaveError):
        identificacion_en_clave("3-101-123456")


def test_situacion_goes_in_position_42():
    for situacion in Situacion:
        clave = asignar("3101123456", 1, 1, "01", 1, AHORA, situacion, "00000000").clave
        assert clave[41] == situacion.value


def test_security_code_is_random_and_reused_when_given():
    codes = {codigo_seguridad() for _ in range(50)}
    assert all(re.fullmatch(r"\d{8}", code) for code in codes)
    assert len(codes) > 45
    first = asignar("3101123456", 1, 1, "01", 1, AHORA)
    again = asignar("3101123456", 1, 1, "01", 1, AHORA, seguridad=first.clave[42:])
    assert again == first


@pytest.mark.parametrize(
    "args",
    [
        (0, 1, "01", 1),
        (1000, 1, "01", 1),
        (1, 0, "01", 1),
        (1, 100000, "01", 1),
        (1, 1, "11", 1),
        (1, 1, "01", 0),
        (1, 1, "01", 10_000_000_000),
    ],
)
def test_out_of_range_parts_are_refused(args: tuple[int, int, str, int]):
    with pytest.raises(ClaveError):
        asignar("3101123456", *args, AHORA)


def test_bad_security_code_is_refused():
    with pytest.raises(ClaveError, match="8 dígitos"):
        asignar("3101123456", 1, 1, "01", 1, AHORA, seguridad="1234567")


def test_parse_splits_every_part():
    clave = Clave.parse("50621112600310112345600200003040000000123212345678")
    assert clave.fecha == dt.date(2026, 11, 21)
    assert clave.emisor == "003101123456"
    assert clave.consecutivo == Consecutivo(2, 3, "04", 123)
    assert clave.situacion is Situacion.CONTINGENCIA
    assert clave.codigo_seguridad == "12345678"
    assert clave.texto == "50621112600310112345600200003040000000123212345678"


@pytest.mark.parametrize(
    "texto",
    [
        "50621112600310112345600200003040000000123212345678X",  # 51 characters
        "50721112600310112345600200003040000000123212345678"[:50],  # country 507
        "50631022600310112345600200003040000000123212345678",  # 31 February
        "50621112600310112345600200003040000000123412345678",  # situación 4
    ],
)
def test_parse_refuses_malformed_claves(texto: str):
    with pytest.raises(ClaveError):
        Clave.parse(texto)


def test_emitir_assigns_clave_and_consecutivo_from_branch_terminal_and_number():
    firmado = emit(payload("04", sucursal=3, terminal=25, situacion="3"), numero=42, seguridad="87654321")
    assert firmado.consecutivo == "00300025040000000042"
    assert firmado.clave == "506211126003101123456" + "00300025040000000042" + "3" + "87654321"


def test_number_chosen_by_the_erp_wins_and_a_missing_one_is_refused():
    assert emit(payload("01", numero=9), numero=5).consecutivo.endswith("0000000009")
    assert issues_of(payload("01"), numero=None) == [("PSE-CR101", "numero")]
