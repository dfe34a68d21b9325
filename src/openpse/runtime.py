"""The composition root: one object that holds what a process needs to serve and work.

Built once per process from :class:`~openpse.settings.Settings` (by the CLI, the tests and
the benchmarks); the API, the jobs and the CLI take it instead of reaching for globals.
"""

from __future__ import annotations

import errno
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import httpx2

from openpse import __version__
from openpse.authorities.base import Authority
from openpse.authorities.hacienda.authority import desde_configuracion
from openpse.authorities.sunat.authority import SunatAuthority
from openpse.authorities.sunat.guias.authority import GuiaAuthority
from openpse.authorities.sunat.retper import RetPerAuthority, SunatRouter
from openpse.core.errors import Code, Issue, Unavailable
from openpse.core.secretbox import SecretBox, SecretBoxError
from openpse.documents.notify import Notifier
from openpse.jobs.limits import RateLimiter, parse_rate_limits
from openpse.observability import InstrumentedTransport
from openpse.settings import Settings
from openpse.signing.certificates import KeyCache
from openpse.storage.blobs import BlobStore
from openpse.storage.db import Database

log = logging.getLogger("openpse")


def master_key_file(settings: Settings) -> Path:
    return settings.data_dir / "master.key"


def secret_box(settings: Settings, create: bool) -> SecretBox:
    """The master key from ``OPENPSE_MASTER_KEY``, else from the data directory.

    ``create`` (demo mode) generates the key file when there is none; otherwise a
    missing key is an error, because secrets encrypted with a lost key are lost.
    """
    if settings.master_key is not None:
        return SecretBox(settings.master_key.get_secret_value())
    path = master_key_file(settings)
    if path.exists() or create:
        return SecretBox.from_file(path)
    raise SecretBoxError(
        "Defina OPENPSE_MASTER_KEY (genere una con `openpse clave-maestra`) o use `openpse serve --demo`"
    )


_NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS})


class StorageFull(Unavailable):
    """The blob store cannot write (disk full, quota, read-only): a 503, retried by the client."""

    def __init__(self, exc: OSError) -> None:
        super().__init__(
            Issue(
                Code.NO_DISPONIBLE,
                f"El almacenamiento no admite escrituras en este momento; reintente ({exc.strerror})",
            )
        )


class GuardedBlobStore(BlobStore):
    """The blob store, with "no space left" turned into :class:`StorageFull`.

    A full disk is a moment, not a bug of the request: the API answers 503 and the same
    request succeeds once space is back (blob keys are content digests, so a retry
    overwrites nothing)."""

    def put(self, prefix: str, name: str, data: bytes) -> str:
        try:
            return super().put(prefix, name, data)
        except OSError as exc:
            if exc.errno in _NO_SPACE:
                raise StorageFull(exc) from exc
            raise

    def cache(self, key: str, data: bytes) -> None:
        try:
            super().cache(key, data)
        except OSError as exc:
            if exc.errno in _NO_SPACE:
                raise StorageFull(exc) from exc
            raise


class Enqueuer(Protocol):
    """What the documents service needs from the job queue."""

    def advance(self, doc_id: str, delay: float = 0.0) -> None: ...

    def notify(self) -> None:
        """Wake the sender of the notifications outbox (webhooks, e-mails)."""


@dataclass
class Runtime:
    settings: Settings
    db: Database
    blobs: BlobStore
    box: SecretBox
    http: httpx2.Client
    keys: KeyCache = field(default_factory=KeyCache)
    notifier: Notifier = field(default_factory=Notifier)
    authorities: dict[str, Authority] = field(default_factory=dict)
    queue: Enqueuer | None = None
    """The job queue, once started (``openpse.jobs.queue.JobQueue``)."""
    limiter: RateLimiter | None = None
    """Global rate limits per remote endpoint (``OPENPSE_RATE_LIMITS``), a hook of ``http``."""

    @classmethod
    def create(
        cls, settings: Settings, *, create_master_key: bool = False, http: httpx2.Client | None = None
    ) -> Runtime:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        box = secret_box(settings, create_master_key)
        limits = httpx2.Limits(
            max_connections=max(64, settings.workers * 2),
            max_keepalive_connections=max(32, settings.workers),
        )
        client = http or httpx2.Client(
            timeout=httpx2.Timeout(settings.http_timeout, connect=settings.http_connect_timeout),
            # Outbound TLS is verified; calls that end without an answer are counted.
            transport=InstrumentedTransport(httpx2.HTTPTransport(verify=True, limits=limits)),
            headers={"User-Agent": f"OpenPSE/{__version__}"},
        )
        db = Database(settings.resolved_database_url)
        runtime = cls(
            settings=settings,
            db=db,
            blobs=GuardedBlobStore(settings.data_dir / "blobs"),
            box=box,
            http=client,
        )
        rules = parse_rate_limits(settings.rate_limits)
        if rules:
            # Every remote call, of every authority, waits for its endpoint's slot first.
            runtime.limiter = RateLimiter(db, rules, settings.rate_limit_max_wait_s)
            hooks = client.event_hooks
            client.event_hooks = {
                "request": [*hooks["request"], runtime.limiter],
                "response": hooks["response"],
            }
        sandbox = settings.resolved_sandbox_url
        runtime.authorities["PE"] = SunatRouter(
            SunatAuthority(client, sandbox), RetPerAuthority(client, sandbox), GuiaAuthority(client, sandbox)
        )
        runtime.authorities["CR"] = desde_configuracion(settings, client, db, runtime.blobs)
        return runtime

    def authority(self, pais: str) -> Authority:
        return self.authorities[pais]

    def close(self) -> None:
        self.http.close()
        self.db.dispose()
