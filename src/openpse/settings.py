"""Runtime settings, read from the environment with the prefix ``OPENPSE_``.

One class holds every knob; the CLI and the tests build it explicitly, nothing reads
``os.environ`` elsewhere.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """OpenPSE settings (environment variables ``OPENPSE_<NAME>``)."""

    model_config = SettingsConfigDict(env_prefix="OPENPSE_", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="Where the database, queue and blobs live.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite (WAL) in the data directory."
    )
    queue_url: str | None = Field(
        default=None, description="Queue storage; default: Huey on SQLite in the data directory."
    )
    master_key: SecretStr | None = Field(
        default=None,
        description="Fernet key (urlsafe base64, 32 bytes) that encrypts secrets at rest. "
        "Several keys separated by commas: the first encrypts, all decrypt (rotation).",
    )
    demo_secret: SecretStr = Field(
        default=SecretStr("demo-secret"), description="Secret of the demo API clients."
    )

    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = Field(default=None, description="Base URL printed in links and the demo banner.")

    sandbox_url: str | None = Field(
        default=None,
        description="Base URL of the emulators used by companies with ambiente=sandbox; "
        "default http://127.0.0.1:<sandbox_port>.",
    )
    sandbox_port: int = 8001
    sandbox_mode: str = Field(
        default="produccion",
        description="SUNAT emulator flavour: 'beta' answers rejections with SOAP faults, "
        "'produccion' with a CDR carrying the rejection code.",
    )

    sandbox_latency_ms: int = Field(default=0, ge=0, description="Artificial latency of every emulator call.")
    sandbox_faults: str = Field(
        default="",
        description="Fault injection of the emulators, e.g. "
        "'timeout=0.1,lost_response=0.05,http500=0.05,empty200=0.05,reset=0.05,latency_ms=20,seed=7'.",
    )
    sandbox_cert_dir: Path | None = Field(
        default=None, description="Where the emulator keeps its CDR signing key; default <data_dir>/sandbox."
    )

    workers: int = Field(default=8, ge=1, le=256, description="Queue consumer threads inside `serve`.")
    ingest_concurrency: int = Field(
        default=4,
        ge=1,
        le=64,
        description="Documents one API process validates, builds, signs and stores at once; "
        "more requests wait their turn (the work is CPU-bound and ends in one writer).",
    )
    token_ttl: int = Field(default=3600, ge=60, description="Lifetime of API access tokens, seconds.")
    max_body_bytes: int = Field(
        default=5 * 1024 * 1024, ge=1024, description="Largest accepted request body."
    )
    http_timeout: float = Field(
        default=30.0, gt=0, description="Read timeout towards the authorities, seconds."
    )
    http_connect_timeout: float = Field(default=5.0, gt=0)
    max_intentos: int = Field(
        default=8, ge=1, description="Retry budget for exception answers before a document is `fallido`."
    )
    retry_base_delay: float = Field(
        default=2.0, gt=0, description="First retry delay, seconds; doubles each time."
    )
    reconcile_delays: str = Field(
        default="2,5,15,30,60,120,300,600",
        pattern=r"^\s*\d+(\.\d+)?(\s*,\s*\d+(\.\d+)?)*\s*$",
        description="Seconds before asking the authority again about a document whose answer was "
        "lost (timeout, reset, 5xx): the n-th time waits the n-th value, then the last one.",
    )
    log_level: str = "INFO"

    # -- scale-out (issue 6): queue engine, leases, sweeper, rate limits, ordering ---------------
    queue_name: str = Field(
        default="openpse",
        pattern=r"^[A-Za-z0-9_.-]{1,64}$",
        description="Queue name (Redis keys huey.*.<name>); deployments sharing a Redis use distinct names.",
    )
    queue_socket_timeout: float = Field(
        default=5.0,
        gt=1,
        description="Redis connect and read timeout, seconds (a dead Redis never hangs a request).",
    )
    lease_s: float = Field(
        default=120.0,
        ge=5,
        description="How long a worker owns a document while it talks to the authority; must exceed "
        "http_timeout + http_connect_timeout + rate_limit_max_wait_s.",
    )
    sweep_interval_s: float = Field(
        default=30.0, ge=0.5, description="How often one worker (whichever takes the turn) runs the sweeper."
    )
    sweep_older_than_s: float = Field(
        default=30.0, ge=0, description="A `registrado` document untouched this long is queued again."
    )
    rate_limits: str = Field(
        default="",
        description="Global limits per remote endpoint, shared by every process through the database: "
        "'host[:port][/path]=N/s|N/min|N/h[:burst]', comma separated, "
        "e.g. 'api.comprobanteselectronicos.go.cr=20/min:5'.",
    )
    rate_limit_max_wait_s: float = Field(
        default=30.0, ge=0, description="Longest wait for a rate-limit slot before the call gives up unsent."
    )
    ordered_types: str = Field(
        default="RC",
        description="Document types an issuer sends one at a time, in creation order (comma separated): "
        "SUNAT takes a daily summary that annuls a boleta only after the summary that informed it.",
    )

    resumen_interval_s: float = Field(
        default=300.0,
        ge=0.5,
        description="How often one worker looks for boletas to inform by Resumen diario (companies with "
        "boletas_por_resumen).",
    )
    resumen_espera_s: float | None = Field(
        default=None,
        ge=0,
        description="A boleta informed by Resumen diario goes out once its day is over (Lima time) or, when "
        "set, once it has waited this many seconds, whichever comes first.",
    )

    # -- observability and API protection (issue 6) ---------------------------------------------
    log_format: str = Field(
        default="json",
        pattern=r"^(json|texto)$",
        description="json: one JSON object per line; texto: console.",
    )
    metrics_token: SecretStr | None = Field(
        default=None, description="Bearer token that /metrics requires; unset: /metrics is open."
    )
    api_rate_limit: int = Field(
        default=600,
        ge=0,
        description="Requests per minute per API client (and token requests per client id); 0 disables. "
        "Enforced per API process.",
    )
    api_rate_limit_burst: int = Field(
        default=60,
        ge=1,
        description="Requests an API client may make at once before the per-minute pace applies.",
    )

    @model_validator(mode="after")
    def _lease_outlasts_a_call(self) -> Settings:
        longest = self.http_timeout + self.http_connect_timeout + self.rate_limit_max_wait_s
        if self.lease_s <= longest:
            raise ValueError(
                f"lease_s ({self.lease_s}) must exceed http_timeout + http_connect_timeout + "
                f"rate_limit_max_wait_s ({longest}): a worker must not lose a document mid-call"
            )
        return self

    @property
    def reconcile_schedule(self) -> tuple[float, ...]:
        return tuple(float(value) for value in self.reconcile_delays.split(","))

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'openpse.db').resolve()}"

    @property
    def resolved_sandbox_url(self) -> str:
        return (self.sandbox_url or f"http://127.0.0.1:{self.sandbox_port}").rstrip("/")

    @property
    def resolved_public_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")
