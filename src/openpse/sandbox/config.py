"""Configuration of the sandbox emulators.

The knobs mirror the differences between SUNAT's environments described in
``sunat.md`` §1.3 and §1.5 (beta versus production answers, demo credentials, the
PSE–emisor link behind error 0154).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from openpse.settings import Settings

MODES = ("beta", "produccion")


@dataclass(frozen=True)
class SandboxConfig:
    """How the SUNAT emulator behaves.

    mode:
        ``"produccion"`` answers a rejection (codes 2000–3999) with a CDR whose
        ResponseCode is the error; ``"beta"`` answers it with a SOAP fault
        ``soap-env:Client.NNNN``, as SUNAT's beta service often does.
    users:
        Extra SOL users, ``RUC + usuario`` (e.g. ``20123456789FACTURADOR``) to clave SOL.
    latency_ms:
        Artificial delay added to every SOAP call.
    allow_moddatos:
        Accept SUNAT beta's public demo user: any RUC that starts with 1 or 2 followed by
        ``MODDATOS``, password ``moddatos`` or ``MODDATOS``.
    pse_links:
        RUC of a PSE to the RUCs of the emisores it may send for (SUNAT's listado
        "Contribuyentes asociados a los emisores"). Without a link, a user may only send
        its own documents (error 0154) and query its own documents (status 0012).
    cert_dir:
        Where the CDR signing key and certificate live (``sandbox-key.pem``,
        ``sandbox-cert.pem``). Missing files are generated and written there. Without a
        directory a fresh pair is generated for every app.
    max_request_bytes:
        Largest request body accepted; bigger ones get HTTP 413 from the gateway.
    threads:
        Worker threads for the CPU-bound part of a call (zip, parse, signature, CDR).
    """

    mode: str = "produccion"
    users: Mapping[str, str] = field(default_factory=dict)
    latency_ms: int = 0
    allow_moddatos: bool = True
    pse_links: Mapping[str, Collection[str]] = field(default_factory=dict)
    cert_dir: Path | None = None
    max_request_bytes: int = 16 * 1024 * 1024
    threads: int = 2

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {self.mode!r}")
        if self.latency_ms < 0:
            raise ValueError("latency_ms must not be negative")
        if self.max_request_bytes < 1024:
            raise ValueError("max_request_bytes must be at least 1024")
        if self.threads < 1:
            raise ValueError("threads must be at least 1")

    @classmethod
    def from_settings(cls, settings: Settings) -> SandboxConfig:
        """The emulator as ``OPENPSE_SANDBOX_*`` settings describe it."""
        return cls(
            mode=settings.sandbox_mode.strip().lower(),
            latency_ms=settings.sandbox_latency_ms,
            cert_dir=settings.sandbox_cert_dir or settings.data_dir / "sandbox",
        )

    def may_send_for(self, user_ruc: str, emisor_ruc: str) -> bool:
        """Whether the SOL user of ``user_ruc`` may act for ``emisor_ruc``."""
        return user_ruc == emisor_ruc or emisor_ruc in self.pse_links.get(user_ruc, ())
