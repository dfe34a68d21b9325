"""Configuration of the sandbox emulators.

The knobs mirror the differences between SUNAT's environments described in
``sunat.md`` §1.3 and §1.5 (beta versus production answers, demo credentials, the
PSE–emisor link behind error 0154), the ticket flow of §2.3 and §6, and the failures a
PSE meets in the field (§1.5: empty 200 answers, internal 01xx faults, lost answers),
which :class:`FaultConfig` injects on purpose.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING

from openpse.settings import Settings

if TYPE_CHECKING:
    # Imported for the annotation only: the Hacienda emulator's package imports this module.
    from openpse.sandbox.hacienda.config import HaciendaSandboxConfig

MODES = ("beta", "produccion")
FAULTS = ("timeout", "lost_response", "http500", "empty200", "reset")

_RUC = re.compile(r"\d{11}")


@dataclass(frozen=True)
class FaultConfig:
    """Failures injected into every emulated call (SOAP and REST), drawn per call.

    Each fault has a probability per call; one uniform draw from a generator seeded
    with ``seed`` picks at most one fault, so a run is reproducible call for call.

    timeout:
        Hold the request ``timeout_hold_s`` seconds (longer than any client timeout),
        then drop the connection without answering. Nothing is processed.
    lost_response:
        Process the request completely (the document IS registered), then drop the
        connection without sending the answer.
    http500:
        Answer HTTP 500 with an internal-error fault (SOAP: SUNAT's 01xx exceptions;
        REST: ``{cod: "500", msg}``). Nothing is processed.
    empty200:
        Answer HTTP 200 with an empty body, as SUNAT production was seen doing
        (``sunat.md`` §1.5). Nothing is processed.
    reset:
        Reset the connection (TCP RST) before processing anything.
    latency_ms:
        Added to every emulated call, on top of :attr:`SandboxConfig.latency_ms`.
    """

    timeout: float = 0.0
    lost_response: float = 0.0
    http500: float = 0.0
    empty200: float = 0.0
    reset: float = 0.0
    latency_ms: int = 0
    seed: int | None = None
    timeout_hold_s: float = 60.0

    def __post_init__(self) -> None:
        for name in FAULTS:
            probability = getattr(self, name)
            if not (math.isfinite(probability) and 0 <= probability <= 1):
                raise ValueError(f"the probability of {name} must be between 0 and 1, not {probability}")
        if sum(probability for _, probability in self.probabilities) > 1 + 1e-9:
            raise ValueError("the fault probabilities must not add up to more than 1")
        if self.latency_ms < 0:
            raise ValueError("latency_ms must not be negative")
        if not (math.isfinite(self.timeout_hold_s) and self.timeout_hold_s > 0):
            raise ValueError("timeout_hold_s must be a positive number of seconds")

    @property
    def probabilities(self) -> tuple[tuple[str, float], ...]:
        """``(fault, probability)`` in the order the draw walks them."""
        return tuple((name, float(getattr(self, name))) for name in FAULTS)

    @property
    def active(self) -> bool:
        return any(probability > 0 for _, probability in self.probabilities)

    @classmethod
    def parse(cls, text: str) -> FaultConfig:
        """Read ``"timeout=0.1,lost_response=0.05,latency_ms=20,seed=7"`` (``OPENPSE_SANDBOX_FAULTS``)."""
        known = {item.name for item in fields(cls)}
        raw: dict[str, str] = {}
        for chunk in text.split(","):
            item = chunk.strip()
            if not item:
                continue
            key, separator, value = (part.strip() for part in item.partition("="))
            if not separator or key not in known:
                raise ValueError(f"unknown sandbox fault setting {item!r}; expected one of {sorted(known)}")
            if key in raw:
                raise ValueError(f"sandbox fault setting {key!r} given twice")
            raw[key] = value

        def number(key: str, default: float) -> float:
            try:
                return float(raw[key]) if key in raw else default
            except ValueError as exc:
                raise ValueError(f"sandbox fault setting {key!r} needs a number, not {raw[key]!r}") from exc

        def integer(key: str) -> int | None:
            try:
                return int(raw[key]) if key in raw else None
            except ValueError as exc:
                raise ValueError(f"sandbox fault setting {key!r} needs an integer, not {raw[key]!r}") from exc

        return cls(
            timeout=number("timeout", 0.0),
            lost_response=number("lost_response", 0.0),
            http500=number("http500", 0.0),
            empty200=number("empty200", 0.0),
            reset=number("reset", 0.0),
            latency_ms=integer("latency_ms") or 0,
            seed=integer("seed"),
            timeout_hold_s=number("timeout_hold_s", 60.0),
        )


@dataclass(frozen=True)
class SandboxConfig:
    """How the SUNAT emulators behave.

    mode:
        ``"produccion"`` answers a rejection (codes 2000–3999) with a CDR whose
        ResponseCode is the error; ``"beta"`` answers it with a SOAP fault
        ``soap-env:Client.NNNN``, as SUNAT's beta service often does. For tickets,
        beta answers an unknown ticket with the fault ``Client.0127`` instead of the
        ``statusCode`` 0127 of production.
    users:
        Extra SOL users, ``RUC + usuario`` (e.g. ``20123456789FACTURADOR``) to clave SOL.
    users_without_profile:
        Users of ``users`` whose clave is right but who lack the e-invoicing profile:
        every service answers them 0111 (General sheet).
    latency_ms:
        Artificial delay added to every emulated call.
    allow_moddatos:
        Accept SUNAT beta's public demo user: any RUC that starts with 1 or 2 followed by
        ``MODDATOS``, password ``moddatos`` or ``MODDATOS``. For the GRE platform the
        demo user may also use any ``client_id``/``client_secret`` not configured in
        ``gre_clients``, as public GRE test platforms do.
    pse_links:
        RUC of a PSE to the RUCs of the emisores it may send for (SUNAT's listado
        "Contribuyentes asociados a los emisores"). Without a link, a user may only send
        its own documents (error 0154) and query its own documents (status 0012).
    ticket_polls:
        How many ticket queries (SOAP getStatus, GRE envíos) answer "98, en proceso"
        before the final answer.
    gre_clients:
        GRE API credentials generated in SOL: ``client_id`` to ``client_secret``.
    gre_token_ttl:
        Lifetime of a GRE access token in seconds (``expires_in``).
    ose_ruc:
        RUC the OSE emulator (``/ol-ti-itcpe/billService``) writes in its CDRs.
    padrones:
        SUNAT's "Padrones de contribuyentes" listado (Listados sheet): RUC to its
        ``ind_padron`` codes (01 agente de percepción de ventas internas, 02 de
        combustibles, 03 agente de retención, 04 exceptuado de la percepción, 10 buen
        contribuyente). The retención and percepción service checks issuers and
        counterparts against it (2617, 4285, 4091, 4089, 4090, 4086). None: the padrones
        are not emulated, every issuer is taken for the agent it claims to be.
    faults:
        Failures injected on purpose; see :class:`FaultConfig`. The Hacienda emulator
        draws the same faults, from its own seeded generator.
    hacienda:
        The Hacienda emulator served under ``/hacienda`` (IDP and API de Recepción); None:
        its defaults, with this sandbox's latency and key directory.
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
    users_without_profile: Collection[str] = frozenset()
    latency_ms: int = 0
    allow_moddatos: bool = True
    pse_links: Mapping[str, Collection[str]] = field(default_factory=dict)
    ticket_polls: int = 1
    gre_clients: Mapping[str, str] = field(default_factory=dict)
    gre_token_ttl: float = 3600.0
    ose_ruc: str = "20000000036"
    padrones: Mapping[str, Collection[str]] | None = None
    faults: FaultConfig = field(default_factory=FaultConfig)
    hacienda: HaciendaSandboxConfig | None = None
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
        if self.ticket_polls < 0:
            raise ValueError("ticket_polls must not be negative")
        if not (math.isfinite(self.gre_token_ttl) and self.gre_token_ttl > 0):
            raise ValueError("gre_token_ttl must be a positive number of seconds")
        if not _RUC.fullmatch(self.ose_ruc):
            raise ValueError(f"ose_ruc must be an 11-digit RUC, not {self.ose_ruc!r}")
        if self.padrones is not None and not all(_RUC.fullmatch(ruc) for ruc in self.padrones):
            raise ValueError("padrones must be keyed by 11-digit RUCs")
        unknown = set(self.users_without_profile) - set(self.users)
        if unknown:
            raise ValueError(f"users_without_profile names users that are not in users: {sorted(unknown)}")

    @classmethod
    def from_settings(cls, settings: Settings) -> SandboxConfig:
        """The emulators as ``OPENPSE_SANDBOX_*`` settings describe them."""
        from openpse.sandbox.hacienda.config import HaciendaSandboxConfig

        cert_dir = settings.sandbox_cert_dir or settings.data_dir / "sandbox"
        return cls(
            mode=settings.sandbox_mode.strip().lower(),
            latency_ms=settings.sandbox_latency_ms,
            faults=FaultConfig.parse(settings.sandbox_faults),
            hacienda=HaciendaSandboxConfig(latency_ms=settings.sandbox_latency_ms, cert_dir=cert_dir),
            cert_dir=cert_dir,
        )

    def hacienda_config(self) -> HaciendaSandboxConfig:
        """The Hacienda emulator's configuration (its defaults when none was given)."""
        from openpse.sandbox.hacienda.config import HaciendaSandboxConfig

        if self.hacienda is not None:
            return self.hacienda
        return HaciendaSandboxConfig(latency_ms=self.latency_ms, cert_dir=self.cert_dir)

    def may_send_for(self, user_ruc: str, emisor_ruc: str) -> bool:
        """Whether the SOL user of ``user_ruc`` may act for ``emisor_ruc``."""
        return user_ruc == emisor_ruc or emisor_ruc in self.pse_links.get(user_ruc, ())

    @property
    def total_latency_s(self) -> float:
        """Delay added to every emulated call, in seconds."""
        return (self.latency_ms + self.faults.latency_ms) / 1000
