"""Global rate limits per remote endpoint, and turns of periodic jobs, kept in the database.

Authorities cap how fast one integrator may call them: Hacienda's gateway answers 429
past its per-minute quotas (``hacienda_cr.md`` §2.6, the ``X-Ratelimit-*`` headers), and
SUNAT throttles bursts from one RUC. A limit only means something if it holds for the
whole deployment, so it cannot live in one process: API replicas and every
``openpse worker`` share it through the one thing they all reach, the database.

The limiter is GCRA (the "generic cell rate algorithm"): one row per endpoint holds the
theoretical arrival time ``tat`` of the next call; a call reserves its slot with one
conditional ``UPDATE … RETURNING`` (SQLite ≥ 3.35 and PostgreSQL alike) and then sleeps
until that slot, so concurrent callers queue in order instead of retrying in a storm.
A caller whose slot would be more than ``max_wait`` away reserves nothing and fails
before sending (:class:`RateLimited`, a connection error: nothing left this machine, so
the document is reconciled and retried, never lost).

Rules are written ``host[:port][/path]=N/s|N/min|N/h[:burst]``; the longest matching
rule wins, and a call that matches none is not limited.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import cast

import httpx2
from sqlalchemy import Table, case, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from openpse.storage.db import Database
from openpse.storage.tables import Limite

log = logging.getLogger("openpse.jobs")

LIMITES = cast(Table, Limite.__table__)
"""Created by migration 0004."""

_UNITS = {"s": 1.0, "seg": 1.0, "min": 60.0, "m": 60.0, "h": 3600.0}
_RULE = re.compile(
    r"^(?P<key>[^=\s]+)\s*=\s*(?P<n>\d+(?:\.\d+)?)\s*/\s*(?P<unit>[a-z]+)(?::(?P<burst>\d+))?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class RateRule:
    """At most ``calls`` per ``period`` seconds to URLs under ``key``, ``burst`` at once."""

    key: str
    calls: float
    period: float
    burst: int = 1

    @property
    def interval(self) -> float:
        """Seconds between two calls at the sustained rate (GCRA's emission interval T)."""
        return self.period / self.calls

    @property
    def tolerance(self) -> float:
        """How far ahead of the sustained rate a burst may run (GCRA's τ)."""
        return (self.burst - 1) * self.interval

    def matches(self, host: str, path: str) -> bool:
        rule_host, _, rule_path = self.key.partition("/")
        if host != rule_host and host.split(":", 1)[0] != rule_host:
            return False
        return not rule_path or path.lstrip("/").startswith(rule_path)


def parse_rate_limits(text: str) -> tuple[RateRule, ...]:
    """Read ``OPENPSE_RATE_LIMITS``; raise ValueError naming the bad rule."""
    rules = []
    for chunk in text.split(","):
        item = chunk.strip()
        if not item:
            continue
        match = _RULE.match(item)
        if match is None or match["unit"].lower() not in _UNITS:
            raise ValueError(
                f"límite de tasa inválido {item!r}: use host[:puerto][/ruta]=N/s|N/min|N/h[:ráfaga]"
            )
        calls = float(match["n"])
        if calls <= 0:
            raise ValueError(f"límite de tasa inválido {item!r}: N debe ser positivo")
        # Host names are case-insensitive, paths are not.
        host, slash, path = (
            match["key"].removeprefix("https://").removeprefix("http://").rstrip("/").partition("/")
        )
        key = f"{host.lower()}{slash}{path}"
        rules.append(RateRule(key, calls, _UNITS[match["unit"].lower()], int(match["burst"] or 1)))
    return tuple(rules)


class RateLimited(httpx2.ConnectError):
    """No slot within the longest wait: the call was not made (nothing was sent)."""


class RateLimiter:
    """Reserves slots of the rules in the database; usable as an httpx request hook."""

    def __init__(self, db: Database, rules: tuple[RateRule, ...], max_wait: float) -> None:
        self.db = db
        self.rules = tuple(sorted(rules, key=lambda r: len(r.key), reverse=True))
        self.max_wait = max_wait
        self._known: set[str] = set()
        self._lock = threading.Lock()

    def rule_for(self, url: httpx2.URL) -> RateRule | None:
        host = url.host if url.port is None else f"{url.host}:{url.port}"
        for rule in self.rules:
            if rule.matches(host, url.path):
                return rule
        return None

    def _ensure_row(self, key: str) -> None:
        with self._lock:
            if key in self._known:
                return
        with self.db.session() as session:
            _insert_if_missing(session, key, 0.0)
        with self._lock:
            self._known.add(key)

    def reserve(self, rule: RateRule) -> float | None:
        """Reserve the next slot of ``rule``; return the seconds to wait for it, or None when
        it is further than ``max_wait`` (nothing reserved)."""
        key = f"tasa:{rule.key}"
        self._ensure_row(key)
        now = time.time()
        # GCRA: the call may go at max(tat, now) - τ, and moves tat to max(tat, now) + T.
        base = case((LIMITES.c.tat > now, LIMITES.c.tat), else_=now)
        with self.db.session() as session:
            tat = session.execute(
                update(LIMITES)
                .where(LIMITES.c.clave == key, base - rule.tolerance - now <= self.max_wait)
                .values(tat=base + rule.interval)
                .returning(LIMITES.c.tat)
            ).scalar_one_or_none()
        if tat is None:
            return None
        return max(0.0, float(tat) - rule.interval - rule.tolerance - now)

    def acquire(self, url: httpx2.URL) -> float:
        """Wait for a slot for ``url``; return the seconds waited. Raises RateLimited."""
        rule = self.rule_for(url)
        if rule is None:
            return 0.0
        wait = self.reserve(rule)
        if wait is None:
            raise RateLimited(f"límite de tasa de {rule.key}: sin turno en {self.max_wait:.0f} s")
        if wait > 0:
            time.sleep(wait)
        return wait

    def __call__(self, request: httpx2.Request) -> None:
        try:
            self.acquire(request.url)
        except RateLimited as exc:
            raise RateLimited(str(exc), request=request) from None


def _insert_if_missing(session: Session, key: str, tat: float) -> bool:
    """Create the row of ``key`` unless it exists; whether this call created it."""
    dialect = session.get_bind().dialect.name
    statement = (sqlite_insert if dialect == "sqlite" else postgresql_insert)(LIMITES).values(
        clave=key, tat=tat
    )
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT that SQLAlchemy batches.
    created = session.execute(
        statement.on_conflict_do_nothing(index_elements=["clave"]).returning(LIMITES.c.clave)
    ).first()
    return created is not None


def take_turn(db: Database, name: str, interval: float) -> bool:
    """Whether this process won the turn of periodic job ``name`` for the next ``interval``
    seconds (one winner per interval across every process that shares the database)."""
    key = f"turno:{name}"
    now = time.time()
    with db.session() as session:
        if _insert_if_missing(session, key, now + interval):
            return True
        won = session.execute(
            update(LIMITES)
            .where(LIMITES.c.clave == key, LIMITES.c.tat <= now)
            .values(tat=now + interval)
            .returning(LIMITES.c.clave)
        ).first()
    return won is not None
