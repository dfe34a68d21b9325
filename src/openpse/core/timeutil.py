"""Time zones of the authorities and timestamps as the API shows them."""

from __future__ import annotations

from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

LIMA = ZoneInfo("America/Lima")
COSTA_RICA = ZoneInfo("America/Costa_Rica")


def now_lima() -> datetime:
    """Current time in Lima (SUNAT's clock: dates in names, CDRs and send windows)."""
    return datetime.now(LIMA)


def zona_de(pais: str) -> ZoneInfo:
    """The clock of a company's authority: Costa Rica's for ``CR``, Lima's otherwise."""
    return COSTA_RICA if pais == "CR" else LIMA


def iso(ts: datetime, zona: tzinfo = LIMA) -> str:
    """ISO-8601 with offset and no microseconds, e.g. ``2026-11-21T10:15:02-05:00`` in Lima
    (``zona``: the company's, :func:`zona_de`; ``-06:00`` for a Costa Rican company)."""
    return ts.astimezone(zona).replace(microsecond=0).isoformat()
