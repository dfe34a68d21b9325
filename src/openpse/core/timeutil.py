"""Time zones of the authorities and timestamps as the API shows them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

LIMA = ZoneInfo("America/Lima")
COSTA_RICA = ZoneInfo("America/Costa_Rica")


def now_lima() -> datetime:
    """Current time in Lima (SUNAT's clock: dates in names, CDRs and send windows)."""
    return datetime.now(LIMA)


def iso(ts: datetime) -> str:
    """ISO-8601 with offset and no microseconds, e.g. ``2026-11-21T10:15:02-05:00``."""
    return ts.astimezone(LIMA).replace(microsecond=0).isoformat()
