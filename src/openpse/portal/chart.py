"""The "documents per day by state" chart as geometry for a server-drawn SVG.

Stacked bars, one per issue date, one segment per state group (``labels.GRUPOS``), on a
vertical scale rounded up to a 1-2-5 step so the grid lines fall on whole numbers.
The template draws it; the same numbers feed the table that screen readers get.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from openpse.portal.labels import GRUPO_DE, GRUPOS

WIDTH = 760
HEIGHT = 260
LEFT = 44
RIGHT = 12
TOP = 12
BOTTOM = 40
MAX_DAYS = 92
"""Longest range drawn, one bar per day (a quarter); a longer filter shows its last 92 days."""


@dataclass(frozen=True)
class Segment:
    grupo: str
    x: float
    y: float
    width: float
    height: float
    count: int
    title: str


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class DayLabel:
    x: float
    text: str


@dataclass(frozen=True)
class Day:
    fecha: dt.date
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Chart:
    desde: dt.date
    hasta: dt.date
    days: list[Day]
    segments: list[Segment]
    ticks: list[Tick]
    labels: list[DayLabel]
    grupos: list[tuple[str, str]]
    """``(key, name)`` of the groups that appear, for the legend and the table."""
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = RIGHT
    top: int = TOP
    bottom: int = BOTTOM

    @property
    def total(self) -> int:
        return sum(day.total for day in self.days)

    @property
    def baseline(self) -> int:
        return self.height - self.bottom


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten that is >= ``value`` (at least 1)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def tick_step(peak: int) -> int:
    """Grid spacing for a 1-2-5 ``peak``: whole numbers, 3 to 6 lines (5 → 1, 20 → 5, 100 → 20)."""
    if peak <= 2:
        return 1
    leading = int(str(peak)[0])
    return peak // 4 if leading == 2 else peak // 5


def _named(count: int, grupo: str) -> str:
    names = GRUPOS[grupo]
    return names.singular if count == 1 else names.nombre.lower()


def build(desde: dt.date, hasta: dt.date, by_state: dict[dt.date, dict[str, int]]) -> Chart:
    """The chart of ``by_state`` (issue date → state → count) over ``desde``..``hasta``."""
    if hasta < desde:
        desde, hasta = hasta, desde
    desde = max(desde, hasta - dt.timedelta(days=MAX_DAYS - 1))
    span = (hasta - desde).days + 1
    days: list[Day] = []
    for offset in range(span):
        fecha = desde + dt.timedelta(days=offset)
        grouped: dict[str, int] = {}
        for estado, count in by_state.get(fecha, {}).items():
            grupo = GRUPO_DE.get(estado)
            if grupo is not None and count:
                grouped[grupo] = grouped.get(grupo, 0) + count
        days.append(Day(fecha, grouped))
    peak = nice_ceiling(max((day.total for day in days), default=0))
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    slot = plot_width / span
    bar = max(slot * 0.72, 1.0)
    segments: list[Segment] = []
    for index, day in enumerate(days):
        x = LEFT + index * slot + (slot - bar) / 2
        stacked = 0
        for grupo in GRUPOS:
            count = day.counts.get(grupo, 0)
            if not count:
                continue
            top = HEIGHT - BOTTOM - (stacked + count) * plot_height / peak
            height = count * plot_height / peak
            segments.append(
                Segment(
                    grupo,
                    round(x, 2),
                    round(top, 2),
                    round(bar, 2),
                    round(height, 2),
                    count,
                    f"{day.fecha:%d/%m/%Y}: {count} {_named(count, grupo)}",
                )
            )
            stacked += count
    ticks = [
        Tick(value, round(HEIGHT - BOTTOM - value * plot_height / peak, 2))
        for value in range(0, peak + 1, tick_step(peak))
    ]
    # At most ~10 date labels, evenly spaced and counted back from the last day, which
    # is always labelled (it is the day a person looks for first).
    every = max(1, -(-span // 10))
    labels = [
        DayLabel(round(LEFT + index * slot + slot / 2, 2), f"{day.fecha:%d/%m}")
        for index, day in enumerate(days)
        if (span - 1 - index) % every == 0
    ]
    present = {grupo for day in days for grupo in day.counts}
    grupos = [(key, grupo.nombre) for key, grupo in GRUPOS.items() if key in present]
    return Chart(desde, hasta, days, segments, ticks, labels, grupos)
