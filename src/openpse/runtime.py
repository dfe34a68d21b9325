"""The composition root: one object that holds what a process needs to serve and work.

Built once per process from :class:`~openpse.settings.Settings` (by the CLI, the tests and
the benchmarks); the API, the jobs and the CLI take it instead of reaching for globals.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import httpx2

from openpse import __version__
from openpse.authorities.base import Authority
from openpse.authorities.sunat.authority import SunatAuthority
from openpse.authorities.sunat.retper import RetPerAuthority, SunatRouter
from openpse.core.secretbox import SecretBox, SecretBoxError
from openpse.documents.notify import Notifier
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


class Enqueuer(Protocol):
    """What the documents service needs from the job queue."""

    def advance(self, doc_id: str, delay: float = 0.0) -> None: ...


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

    @classmethod
    def create(
        cls, settings: Settings, *, create_master_key: bool = False, http: httpx2.Client | None = None
    ) -> Runtime:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        box = secret_box(settings, create_master_key)
        client = http or httpx2.Client(
            timeout=httpx2.Timeout(settings.http_timeout, connect=settings.http_connect_timeout),
            limits=httpx2.Limits(
                max_connections=max(64, settings.workers * 2),
                max_keepalive_connections=max(32, settings.workers),
            ),
            headers={"User-Agent": f"OpenPSE/{__version__}"},
            verify=True,
        )
        db = Database(settings.resolved_database_url)
        runtime = cls(
            settings=settings, db=db, blobs=BlobStore(settings.data_dir / "blobs"), box=box, http=client
        )
        sandbox = settings.resolved_sandbox_url
        runtime.authorities["PE"] = SunatRouter(
            SunatAuthority(client, sandbox), RetPerAuthority(client, sandbox)
        )
        return runtime

    def authority(self, pais: str) -> Authority:
        return self.authorities[pais]

    def close(self) -> None:
        self.http.close()
        self.db.dispose()
