"""Logs, metrics and the context that ties them to a request, a company and a document.

Logs: structlog renders every record, ours and the standard library's (SQLAlchemy, Huey,
httpx2, the documents service), as one JSON object per line. The request id, the
company and the document id travel in structlog's context variables: the API binds them
per request (``openpse.api``), the queue binds them per job (:func:`job_context`), and
every line written meanwhile carries them, whichever thread writes it. A redaction
step is the last line of defence for secrets (ARCHITECTURE.md §1.8): fields whose name
says "secret" and values that look like credentials or key material are masked.

Metrics: Prometheus text exposition on ``/metrics`` (prometheus-client). Counters and
histograms are updated where things happen (HTTP requests, calls to the authorities,
state transitions); gauges that describe stored state (documents by state, queue depth)
are computed from the database and the queue when scraped, so every replica reports the
same truth. With ``PROMETHEUS_MULTIPROC_DIR`` set, the counters of every process
(``openpse serve`` and ``openpse worker``) are aggregated, as client_python's
*Multiprocess Mode* describes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import IO, TYPE_CHECKING, Any

import httpx2
import structlog
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from openpse import __version__
from openpse.storage.tables import Comprobante, Evento

if TYPE_CHECKING:
    from openpse.runtime import Runtime

# -- context --------------------------------------------------------------------------------

REQUEST_ID = "request_id"
EMPRESA = "empresa"
CLIENTE = "cliente"
COMPROBANTE = "comprobante"


def bind(**fields: str | int | None) -> None:
    """Add fields to the context of every log line written from here on in this request/job."""
    structlog.contextvars.bind_contextvars(**{k: v for k, v in fields.items() if v is not None})


def clear() -> None:
    structlog.contextvars.clear_contextvars()


@contextlib.contextmanager
def job_context(doc_id: str, **fields: str | int | None) -> Iterator[None]:
    """The log context of one queue job about one document.

    Jobs run on worker threads (or in ``openpse worker`` processes) that never saw the
    request; wrapping the job in this puts the document id, and whatever else is known,
    on every line the job writes, and leaves the thread clean for the next job.
    """
    with structlog.contextvars.bound_contextvars(
        **{COMPROBANTE: doc_id, **{k: v for k, v in fields.items() if v is not None}}
    ):
        yield


# -- redaction ------------------------------------------------------------------------------

MASK = "[oculto]"

_SECRET_FIELD = re.compile(
    r"(pass(word|wd)?|clave|secret|secreto|token|authorization|cookie|pfx|p12|private|llave|"
    r"key_der|cert_key|master_key|api_key)",
    re.IGNORECASE,
)
# Field names that contain one of the words above but hold nothing secret.
_PUBLIC_FIELDS = frozenset({"token_type", "expires_in", "tiene_clave_sol", "clave_hacienda_tipo"})


def _keep_label(match: re.Match[str]) -> str:
    return f"{match.group('label')}{MASK}{match.group('tail') or ''}"


# Credential-looking text, each with the part that stays ("label") and the part masked.
_SECRET_VALUES = (
    # PEM blocks of private keys (any flavour: PKCS#1, PKCS#8, encrypted).
    re.compile(
        r"(?P<label>)-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)(?P<tail>)",
        re.S,
    ),
    # HTTP credentials.
    re.compile(r"(?i)(?P<label>\b(?:bearer|basic)\s+)[A-Za-z0-9._~+/=-]{8,}(?P<tail>)"),
    # OAuth2 form fields and JSON members that carry secrets.
    re.compile(
        r"(?i)(?P<label>\b(?:client_secret|password|clave(?:_sol)?|access_token|refresh_token|token)"
        r"(?:\s*[=:]\s*\"?|\"\s*:\s*\"))[^&\s\"',;]+(?P<tail>)"
    ),
    # The password of a WS-Security UsernameToken (SUNAT's SOAP services).
    re.compile(r"(?is)(?P<label><(?:\w+:)?Password\b[^>]*>).*?(?P<tail></(?:\w+:)?Password>)"),
)


def _scrub(text: str) -> str:
    for pattern in _SECRET_VALUES:
        text = pattern.sub(_keep_label, text)
    return text


def _redact_value(key: str, value: Any) -> Any:
    if key not in _PUBLIC_FIELDS and _SECRET_FIELD.search(key) and value not in (None, "", False):
        return MASK
    if isinstance(value, str):
        return _scrub(value)
    if isinstance(value, bytes):
        return _scrub(value.decode("utf-8", "replace"))
    if isinstance(value, Mapping):
        return {str(k): _redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(key, v) for v in value]
    return value


def redact_secrets(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: mask secret-named fields and credential-looking text."""
    for key in list(event_dict):
        if key == "event":
            event_dict[key] = _scrub(str(event_dict[key]))
        else:
            event_dict[key] = _redact_value(key, event_dict[key])
    return event_dict


# -- logging setup --------------------------------------------------------------------------

_HANDLER_NAME = "openpse"
_NOISY = ("huey", "alembic", "httpx2", "httpcore2", "httpcore", "sqlalchemy.engine", "uvicorn.access")


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="ts"),
        structlog.stdlib.ExtraAdder(),
    ]


def configure_logging(level: str = "INFO", fmt: str = "json", stream: IO[str] | None = None) -> None:
    """Send every log record of the process to ``stream`` (stderr) as JSON (or console text).

    Idempotent: calling it again replaces OpenPSE's handler. Below DEBUG, the chatty
    libraries (queue, HTTP client, SQL) only say warnings.
    """
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"nivel de log desconocido: {level}")
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_secrets,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter)
    unconfigure_logging()
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(numeric)
    for name in _NOISY:
        # Explicit levels: SQLAlchemy sets its own root logger to WARNING when it has none.
        logging.getLogger(name).setLevel(logging.DEBUG if numeric <= logging.DEBUG else logging.WARNING)


def unconfigure_logging() -> None:
    """Remove OpenPSE's handler (tests that configured logging put things back)."""
    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == _HANDLER_NAME:
            root.removeHandler(existing)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A structlog logger that hands its events to the standard library's ``name`` logger.

    Its key-value pairs travel as the record's ``extra``: with :func:`configure_logging`
    they become JSON members next to the context; under any other logging setup the
    line still reads well (the event text alone)."""
    logger: structlog.stdlib.BoundLogger = structlog.wrap_logger(
        logging.getLogger(name),
        processors=[
            structlog.stdlib.filter_by_level,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.render_to_log_kwargs,
        ],
        wrapper_class=structlog.stdlib.BoundLogger,
    )
    return logger


# -- metrics --------------------------------------------------------------------------------

_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)
_HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

HTTP_REQUESTS = Counter(
    "openpse_http_solicitudes",
    "Solicitudes atendidas por la API, por método, ruta (plantilla) y código HTTP.",
    ["metodo", "ruta", "codigo"],
)
HTTP_LATENCY = Histogram(
    "openpse_http_duracion_segundos",
    "Duración de las solicitudes a la API, por método y ruta (plantilla).",
    ["metodo", "ruta"],
    buckets=_HTTP_BUCKETS,
)
AUTHORITY_LATENCY = Histogram(
    "openpse_autoridad_duracion_segundos",
    "Tiempo hasta la respuesta de una autoridad (SUNAT, OSE, Hacienda), por destino y operación.",
    ["destino", "operacion", "codigo"],
    buckets=_LATENCY_BUCKETS,
)
AUTHORITY_FAILURES = Counter(
    "openpse_autoridad_fallos_transporte",
    "Llamadas a una autoridad que no obtuvieron respuesta HTTP (timeout, conexión), por destino.",
    ["destino", "tipo"],
)
TRANSITIONS = Counter(
    "openpse_transiciones",
    "Cambios de estado de los comprobantes (ARCHITECTURE.md §4).",
    ["desde", "hacia"],
)
RETRIES = Counter(
    "openpse_reintentos",
    "Reenvíos de comprobantes: tras una excepción de la autoridad (error), tras confirmar que "
    "no llegó (no_recibido) o pedidos por una persona (manual).",
    ["motivo"],
)
RATE_LIMITED = Counter(
    "openpse_limite_solicitudes_rechazadas",
    "Solicitudes rechazadas con 429 por superar el límite de su cliente de API.",
    ["ruta"],
)

_RETRY_REASONS = {("error", "enviando"): "error", ("desconocido", "registrado"): "no_recibido"}
_MANUAL_RETRY = ("fallido", "registrado")


def record_transition(desde: str | None, hacia: str) -> None:
    TRANSITIONS.labels(desde=desde or "", hacia=hacia).inc()
    key = (desde or "", hacia)
    if key in _RETRY_REASONS:
        RETRIES.labels(motivo=_RETRY_REASONS[key]).inc()
    elif key == _MANUAL_RETRY:
        RETRIES.labels(motivo="manual").inc()


_PENDING_KEY = "openpse_transiciones"


def _after_flush(session: Session, _context: Any) -> None:
    note_transitions(
        session, [(obj.estado_anterior, obj.estado) for obj in session.new if isinstance(obj, Evento)]
    )


def note_transitions(session: Session, moves: list[tuple[str | None, str]]) -> None:
    """Count these state changes once ``session`` commits (events inserted without the ORM
    call this themselves)."""
    # A document that stays `pendiente` while its ticket is polled writes no event; an
    # event with the same state before and after is a note, not a transition.
    moves = [(a, b) for a, b in moves if a != b]
    if moves:
        session.info.setdefault(_PENDING_KEY, []).extend(moves)


def _after_commit(session: Session) -> None:
    for desde, hacia in session.info.pop(_PENDING_KEY, []):
        record_transition(desde, hacia)


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


# Only the path's shape is a label: tickets, claves and client ids would explode the series.
_VARIABLE_SEGMENT = re.compile(r"^(?:\D*\d){4}|^.{25,}$")


def _operation(request: httpx2.Request) -> str:
    action = request.headers.get("soapaction", "").strip('"')
    if action:
        return action.rsplit(":", 1)[-1].rsplit("/", 1)[-1] or "soap"
    segments = [
        "{id}" if _VARIABLE_SEGMENT.match(segment) else segment
        for segment in request.url.path.split("/")
        if segment
    ]
    return f"{request.method} /{'/'.join(segments)}"


_STARTED = "openpse_inicio"


def _on_request(request: httpx2.Request) -> None:
    request.extensions[_STARTED] = time.perf_counter()


def _on_response(response: httpx2.Response) -> None:
    request = response.request
    started = request.extensions.get(_STARTED)
    if started is None:
        return
    AUTHORITY_LATENCY.labels(
        destino=request.url.netloc.decode("ascii", "replace"),
        operacion=_operation(request),
        codigo=str(response.status_code),
    ).observe(time.perf_counter() - started)


class InstrumentedTransport(httpx2.BaseTransport):
    """A transport that counts the calls ending without an HTTP answer (timeouts, refused or
    reset connections), which response hooks never see. Wraps the real transport:
    ``httpx2.Client(transport=InstrumentedTransport(httpx2.HTTPTransport(...)))``."""

    def __init__(self, inner: httpx2.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        destino = request.url.netloc.decode("ascii", "replace")
        try:
            return self.inner.handle_request(request)
        except httpx2.TimeoutException:
            AUTHORITY_FAILURES.labels(destino=destino, tipo="timeout").inc()
            raise
        except httpx2.TransportError:
            AUTHORITY_FAILURES.labels(destino=destino, tipo="conexion").inc()
            raise

    def close(self) -> None:
        self.inner.close()


_instrumented: set[int] = set()
_instrumented_lock = threading.Lock()


def instrument_runtime(runtime: Runtime) -> None:
    """Hook the metrics into a runtime's HTTP client and database sessions (idempotent).

    Called by the API; ``openpse worker`` processes call it too, since that is where
    the authorities are called and most transitions happen.
    """
    with _instrumented_lock:
        if id(runtime) in _instrumented:
            return
        _instrumented.add(id(runtime))
    hooks = runtime.http.event_hooks
    hooks["request"].append(_on_request)
    hooks["response"].append(_on_response)
    sessions = runtime.db.sessions
    event.listen(sessions, "after_flush", _after_flush)
    event.listen(sessions, "after_commit", _after_commit)
    event.listen(sessions, "after_rollback", _after_rollback)


class StoredStateCollector(Collector):
    """Gauges read from the database and the queue at scrape time."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterable[Metric]:
        documents = GaugeMetricFamily(
            "openpse_comprobantes", "Comprobantes guardados, por estado y tipo.", labels=["estado", "tipo"]
        )
        with self.runtime.db.read() as session:
            rows = session.execute(
                select(Comprobante.estado, Comprobante.tipo, func.count()).group_by(
                    Comprobante.estado, Comprobante.tipo
                )
            ).all()
        for estado, tipo, count in rows:
            documents.add_metric([estado, tipo], float(count))
        yield documents
        queue = self.runtime.queue
        pending = getattr(queue, "pending", None)
        huey = getattr(queue, "huey", None)
        depth = GaugeMetricFamily("openpse_cola_pendientes", "Trabajos en la cola listos para ejecutarse.")
        scheduled = GaugeMetricFamily(
            "openpse_cola_programados",
            "Trabajos programados para más tarde (reintentos, consultas de ticket).",
        )
        if callable(pending):
            depth.add_metric([], float(pending()))
            yield depth
        if huey is not None:
            scheduled.add_metric([], float(huey.scheduled_count()))
            yield scheduled
        info = InfoMetricFamily("openpse", "Versión de OpenPSE.")
        info.add_metric([], {"version": __version__})
        yield info


class _Forward(Collector):
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterable[Metric]:
        return self.registry.collect()


def metrics_registry(runtime: Runtime) -> CollectorRegistry:
    """The registry ``/metrics`` exposes for ``runtime``: process metrics plus stored state."""
    registry = CollectorRegistry(auto_describe=False)
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    else:
        registry.register(_Forward(REGISTRY))
    registry.register(StoredStateCollector(runtime))
    return registry


def exposition(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
