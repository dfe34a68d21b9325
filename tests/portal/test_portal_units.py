"""The portal's building blocks on their own: cookie signing, the key derivation, the
attempt limiter, the chart geometry and how the consultation reads what people type."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import itertools
from decimal import Decimal

import pytest
from pydantic import SecretStr

from openpse.core.secretbox import SecretBox
from openpse.portal import chart, consulta
from openpse.portal.security import AttemptLimiter, RevokedSessions, Signer, derive_key
from openpse.runtime import master_key_file
from openpse.settings import Settings

# -- signed cookies -------------------------------------------------------------------------


def test_signed_values_round_trip_for_their_purpose_only():
    signer = Signer(b"k" * 32)
    value = signer.sign("sesion", {"u": 7, "s": "abc"})
    assert signer.load("sesion", value) == {"u": 7, "s": "abc"}
    assert signer.load("consulta", value) is None
    assert Signer(b"j" * 32).load("sesion", value) is None


@pytest.mark.parametrize(
    "value",
    [None, "", "sin-punto", "a.b.c", "eyJ1Ijo3fQ.AAAA", "ñandú.mac", "%%%.%%%", "x" * 5000],
)
def test_garbage_is_never_a_signed_value(value):
    assert Signer(b"k" * 32).load("sesion", value) is None


def test_a_signed_value_with_a_changed_payload_is_refused():
    signer = Signer(b"k" * 32)
    body, mac = signer.sign("sesion", {"u": 7}).split(".")
    other_body = signer.sign("sesion", {"u": 8}).split(".")[0]
    assert signer.load("sesion", f"{other_body}.{mac}") is None
    assert signer.load("sesion", f"{body}.{mac}") == {"u": 7}


def test_a_validly_signed_list_is_not_a_payload():
    signer = Signer(b"k" * 32)
    list_body = base64.urlsafe_b64encode(b"[1,2]").rstrip(b"=").decode()
    mac = hmac.new(b"k" * 32, f"x.{list_body}".encode(), hashlib.sha256).digest()
    forged = f"{list_body}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    assert signer.load("x", forged) is None


def test_csrf_tokens_are_bound_to_their_value_and_purpose():
    signer = Signer(b"k" * 32)
    token = signer.token("csrf", "nonce-1")
    assert signer.check_token("csrf", "nonce-1", token)
    assert not signer.check_token("csrf", "nonce-2", token)
    assert not signer.check_token("csrf-sesion", "nonce-1", token)
    assert not signer.check_token("csrf", "nonce-1", "")
    assert not signer.check_token("csrf", "", token)
    assert not signer.check_token("csrf", "nonce-1", "ñ" + token)


def test_the_key_comes_from_the_first_master_key(tmp_path):
    first, second = SecretBox.generate_key(), SecretBox.generate_key()
    one = derive_key(Settings(data_dir=tmp_path, master_key=SecretStr(first)))
    assert len(one) == 32
    assert one == derive_key(Settings(data_dir=tmp_path, master_key=SecretStr(f" {first} , {second}")))
    assert one != derive_key(Settings(data_dir=tmp_path, master_key=SecretStr(second)))
    assert one != first.encode()[:32], "the cookie key is derived, never the master key itself"
    # Without OPENPSE_MASTER_KEY, the key file the runtime keeps in the data directory.
    settings = Settings(data_dir=tmp_path)
    SecretBox.from_file(master_key_file(settings))
    from_file = derive_key(settings)
    assert from_file == derive_key(
        Settings(data_dir=tmp_path, master_key=SecretStr(master_key_file(settings).read_text().strip()))
    )


# -- limits ---------------------------------------------------------------------------------


def test_the_limiter_allows_the_limit_then_blocks_until_the_oldest_failure_expires():
    limiter = AttemptLimiter(limit=3, window=100)
    for now in (0.0, 10.0, 20.0):
        assert limiter.retry_after("k", now=now) == 0
        limiter.fail("k", now=now)
    assert limiter.retry_after("k", now=20.0) == 80
    assert limiter.retry_after("k", now=99.5) == 1
    assert limiter.retry_after("k", now=100.0) == 0, "the first failure left the window"
    assert limiter.retry_after("otra", now=20.0) == 0


def test_the_limiter_forgets_on_reset_and_bounds_its_memory():
    limiter = AttemptLimiter(limit=1, window=100, max_keys=3)
    limiter.fail("a", now=0)
    assert limiter.retry_after("a", now=1) > 0
    limiter.reset("a")
    assert limiter.retry_after("a", now=1) == 0
    for key in ("a", "b", "c", "d"):
        limiter.fail(key, now=1)
    assert limiter.retry_after("a", now=2) == 0, "the oldest key was dropped"
    assert limiter.retry_after("d", now=2) > 0


def test_revoked_sessions_are_kept_until_they_would_expire(monkeypatch):
    revoked = RevokedSessions()
    now = 1_000_000.0
    monkeypatch.setattr("openpse.portal.security.time.time", lambda: now)
    revoked.revoke("s1", until=now + 10)
    assert "s1" in revoked
    assert "s2" not in revoked
    now += 11
    assert "s1" not in revoked
    revoked.revoke("s3", until=now + 10)
    assert revoked._until.keys() == {"s3"}, "expired entries are pruned"


# -- chart ----------------------------------------------------------------------------------

D0 = dt.date(2026, 11, 1)


@pytest.mark.parametrize(
    ("value", "expected"), [(0, 1), (1, 1), (2, 2), (3, 5), (5, 5), (6, 10), (11, 20), (21, 50), (101, 200)]
)
def test_scale_rounds_up_to_1_2_5(value, expected):
    assert chart.nice_ceiling(value) == expected


@pytest.mark.parametrize(
    ("peak", "values"),
    [
        (1, [0, 1]),
        (2, [0, 1, 2]),
        (5, [0, 1, 2, 3, 4, 5]),
        (10, [0, 2, 4, 6, 8, 10]),
        (20, [0, 5, 10, 15, 20]),
        (50, [0, 10, 20, 30, 40, 50]),
        (200, [0, 50, 100, 150, 200]),
    ],
)
def test_grid_lines_fall_on_whole_numbers(peak, values):
    drawn = chart.build(D0, D0, {D0: {"aceptado": peak}})
    assert [t.value for t in drawn.ticks] == values
    assert drawn.ticks[-1].y == chart.TOP
    assert drawn.ticks[0].y == chart.HEIGHT - chart.BOTTOM


def test_bars_stack_each_state_group_in_order_and_fill_the_scale():
    counts = {
        D0: {"aceptado": 3, "observado": 1, "rechazado": 1},
        D0 + dt.timedelta(days=2): {"pendiente": 1, "error": 1, "fallido": 2},
    }
    drawn = chart.build(D0, D0 + dt.timedelta(days=2), counts)
    assert [d.total for d in drawn.days] == [5, 0, 4]
    assert drawn.total == 9
    first = [s for s in drawn.segments if s.title.startswith("01/11/2026")]
    assert [s.grupo for s in first] == ["aceptado", "observado", "rechazado"]
    plot = chart.HEIGHT - chart.TOP - chart.BOTTOM
    # 5 documents on a scale of 5: the bar reaches the top; segments touch each other.
    assert first[0].y + first[0].height == pytest.approx(chart.HEIGHT - chart.BOTTOM)
    assert first[-1].y == pytest.approx(chart.TOP)
    for lower, upper in itertools.pairwise(first):
        assert upper.y + upper.height == pytest.approx(lower.y, abs=0.02)
    assert first[0].height == pytest.approx(plot * 3 / 5, abs=0.02)
    third = [s for s in drawn.segments if s.title.startswith("03/11/2026")]
    assert [(s.grupo, s.count) for s in third] == [("proceso", 2), ("fallido", 2)]
    assert third[0].title == "03/11/2026: 2 en proceso"
    assert [s.title for s in first] == [
        "01/11/2026: 3 aceptados",
        "01/11/2026: 1 con observaciones",
        "01/11/2026: 1 rechazado",
    ]
    assert drawn.grupos == [
        ("aceptado", "Aceptados"),
        ("observado", "Con observaciones"),
        ("proceso", "En proceso"),
        ("rechazado", "Rechazados"),
        ("fallido", "Fallidos"),
    ]
    assert [t.value for t in drawn.ticks] == [0, 1, 2, 3, 4, 5]


def test_an_empty_range_draws_an_empty_chart():
    drawn = chart.build(D0, D0 + dt.timedelta(days=29), {})
    assert drawn.total == 0
    assert drawn.segments == []
    assert len(drawn.days) == 30
    assert [t.value for t in drawn.ticks] == [0, 1]


def test_long_ranges_keep_their_last_92_days_and_label_the_last_one():
    hasta = D0 + dt.timedelta(days=364)
    drawn = chart.build(D0, hasta, {D0: {"aceptado": 1}, hasta: {"aceptado": 2}})
    assert len(drawn.days) == chart.MAX_DAYS
    assert drawn.desde == hasta - dt.timedelta(days=chart.MAX_DAYS - 1)
    assert drawn.total == 2
    assert drawn.labels[-1].text == f"{hasta:%d/%m}"
    assert len(drawn.labels) <= 11
    xs = [label.x for label in drawn.labels]
    gaps = {round(b - a, 1) for a, b in itertools.pairwise(xs)}
    assert len(gaps) == 1, "labels are evenly spaced"


def test_every_bar_stays_inside_the_plot():
    counts = {D0 + dt.timedelta(days=n): {"aceptado": n % 7, "rechazado": n % 3} for n in range(92)}
    drawn = chart.build(D0, D0 + dt.timedelta(days=91), counts)
    for s in drawn.segments:
        assert s.x >= chart.LEFT
        assert s.x + s.width <= chart.WIDTH - chart.RIGHT + 0.01
        assert s.y >= chart.TOP - 0.01
        assert s.y + s.height <= chart.HEIGHT - chart.BOTTOM + 0.01


def test_reversed_dates_are_swapped():
    drawn = chart.build(D0 + dt.timedelta(days=3), D0, {})
    assert (drawn.desde, drawn.hasta) == (D0, D0 + dt.timedelta(days=3))


# -- what customers type --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1180", Decimal("1180")),
        ("1180.5", Decimal("1180.5")),
        ("1,180.00", Decimal("1180.00")),
        ("S/ 1,180.00", Decimal("1180.00")),
        ("s/1180", Decimal("1180")),
        ("US$ 25.10", Decimal("25.10")),
        ("0.00", Decimal("0.00")),
        ("12,345,678.90", Decimal("12345678.90")),
    ],
)
def test_totals_as_printed_are_read(text, amount):
    assert consulta._parse_total(text) == amount


@pytest.mark.parametrize("text", ["", "abc", "1.180,00", "1,18", "1180.001", "-5", "1e3", "NaN", "1 180"])
def test_what_is_not_an_amount_is_refused(text):
    assert consulta._parse_total(text) is None


@pytest.mark.parametrize(
    ("text", "fecha"),
    [
        ("2026-11-21", dt.date(2026, 11, 21)),
        ("21/11/2026", dt.date(2026, 11, 21)),
        (" 01/02/2026 ", dt.date(2026, 2, 1)),
    ],
)
def test_dates_in_iso_or_as_printed_are_read(text, fecha):
    assert consulta._parse_fecha(text) == fecha


@pytest.mark.parametrize("text", ["", "21-11-2026", "2026/11/21", "31/02/2026", "hoy"])
def test_what_is_not_a_date_is_refused(text):
    assert consulta._parse_fecha(text) is None


@pytest.mark.parametrize(
    ("pais", "shown"),
    [("CR", "21/11/2026 10:00:00"), ("PE", "21/11/2026 11:00:00"), (None, "21/11/2026 11:00:00")],
)
def test_moments_are_shown_on_the_clock_of_the_signed_in_company(pais: str | None, shown: str) -> None:
    from types import SimpleNamespace

    from openpse.portal.web import templates

    moment = dt.datetime(2026, 11, 21, 16, 0, tzinfo=dt.UTC)
    sesion = SimpleNamespace(empresa=SimpleNamespace(pais=pais)) if pais else None
    assert templates.from_string("{{ t|fecha }}").render(t=moment, sesion=sesion) == shown
    assert templates.from_string("{{ d|fecha }}").render(d=moment.date(), sesion=sesion) == "21/11/2026"
