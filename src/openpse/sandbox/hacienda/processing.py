"""Hacienda's asynchronous side: judging received comprobantes and calling back.

After a 202 the comprobante is ``recibido``, then ``procesando``; then Hacienda decides
and writes a signed MensajeHacienda (``hacienda_cr.md`` §2.3, §3.6, §8 items 3–5), and
POSTs the same JSON as ``GET /recepcion/{clave}`` to the ``callbackUrl`` (§2.4: one
attempt, no documented retry or authentication).

The judgement lists every error, as Hacienda's answers do: the XSD errors first (with
the row and column of the XML as received); when the schema holds, the clave, the dates
and the arithmetic (:mod:`.rules`); and always the signature (:mod:`.xades`) and its
signer (validity, trust, and that it is the issuer: the emisor, the receptor for a
MensajeReceptor, and either party for a FacturaElectronicaCompra, whose signer §3.3
describes ambiguously).

A background thread looks for documents whose time has come every ``tick_s``; the
judgement and the callback run in the app's worker threads. The thread starts with the
first POST, so an app mounted inside another (whose lifespan never runs) works too.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx2
from cryptography import x509

from openpse.sandbox.hacienda import xades
from openpse.sandbox.hacienda.config import HaciendaSandboxConfig
from openpse.sandbox.hacienda.document import Received
from openpse.sandbox.hacienda.mensaje import (
    ACCEPTED,
    ACCEPTED_SANDBOX,
    MensajeSigner,
    Verdict,
    amount,
    detail_of,
)
from openpse.sandbox.hacienda.rules import Finding, check_clave, check_dates, check_totals
from openpse.sandbox.hacienda.schemas import SchemaSet
from openpse.sandbox.hacienda.store import CallbackDelivery, Record, RecordStore

log = logging.getLogger("openpse.sandbox.hacienda")


def issuer_ids(document: Received) -> tuple[str, ...]:
    """Whose certificate may sign ``document``."""
    emisor = document.emisor.numero if document.emisor else ""
    receptor = document.receptor.numero if document.receptor else ""
    if document.is_mensaje_receptor:
        return (receptor,)
    if document.root == "FacturaElectronicaCompra":
        return (emisor, receptor)
    return (emisor,)


def schema_findings(schemas: SchemaSet, document: Received) -> list[Finding]:
    return [
        Finding("-1", f"{error.constraint}: {error.message}", error.line, error.column)
        for error in schemas.validate(document.root, document.element)
    ]


def signature_findings(
    document: Received, config: HaciendaSandboxConfig, trusted: list[x509.Certificate], now: dt.datetime
) -> list[Finding]:
    found = xades.signatures(document.element)
    if not found:
        return [Finding("-1", xades.MISSING, document.element.sourceline or 0)]
    findings: list[Finding] = []
    for index, signature in enumerate(found):
        line = signature.sourceline or 0
        try:
            verified = xades.verify_signature(document.element, signature, config.strict_signature_profile)
        except xades.SignatureInvalid as exc:
            findings.append(Finding("-1", exc.message, line))
            continue
        if index == 0:
            # The first signature is the issuer's; later ones (v4.4 allows up to five)
            # are counter-signatures, checked for integrity only.
            problems = xades.check_signer(
                verified.certificate,
                verified.signing_time,
                now,
                issuer_ids(document),
                trusted,
                config.trust_named_certificates,
            )
            findings.extend(Finding("-1", problem, line) for problem in problems)
    return findings


def judge(
    document: Received,
    config: HaciendaSandboxConfig,
    schemas: SchemaSet,
    trusted: list[x509.Certificate],
    now: dt.datetime,
) -> list[Finding]:
    """Every reason to reject ``document`` (empty: accepted)."""
    findings = schema_findings(schemas, document)
    if not findings:
        findings += check_clave(document)
        if not document.is_mensaje_receptor:
            # A MensajeReceptor carries the supplier's FechaEmisionDoc, not its own date.
            findings += check_dates(document, now, config.max_age_s, config.max_future_s)
        findings += check_totals(document, config.totals_tolerance)
    findings += signature_findings(document, config, trusted, now)
    return findings


def status_body(record: Record, now: float, recibido_s: float) -> dict[str, Any]:
    """The JSON of ``GET /recepcion/{clave}`` and of the callback (§2.3, §2.4)."""
    body: dict[str, Any] = {
        "clave": record.key,
        "fecha": record.fecha,
        "ind-estado": record.state(now, recibido_s),
    }
    if record.respuesta_xml is not None:
        body["respuesta-xml"] = base64.b64encode(record.respuesta_xml).decode("ascii")
    if record.callback_url:
        body["callbackUrl"] = record.callback_url
    return body


_IDENTIFICATION_TYPES = frozenset({"01", "02", "03", "04", "05", "06"})


def _identification_type(*candidates: object) -> str | None:
    """The first candidate that the MensajeHacienda schema accepts as an identification type."""
    for candidate in candidates:
        if isinstance(candidate, str) and candidate in _IDENTIFICATION_TYPES:
            return candidate
    return None


class Processor:
    """Moves received comprobantes to their final state and calls back."""

    def __init__(
        self,
        config: HaciendaSandboxConfig,
        clock: Callable[[], float],
        store: RecordStore,
        schemas: SchemaSet,
        trusted: list[x509.Certificate],
        signer: MensajeSigner,
        executor: ThreadPoolExecutor,
    ) -> None:
        self._config = config
        self._clock = clock
        self._store = store
        self._schemas = schemas
        self._trusted = trusted
        self._signer = signer
        self._executor = executor
        self._random = random.Random(config.seed)  # noqa: S311 (reproducible chaos, not secrets)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._http = httpx2.Client(timeout=config.callback_timeout_s)

    def ensure_started(self) -> None:
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._run, name="openpse-hacienda-processor", daemon=True
                )
                self._thread.start()

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout=5)
        self._http.close()

    def _run(self) -> None:
        while not self._stop.wait(self._config.tick_s):
            self.tick()

    def tick(self) -> None:
        """Judge every document whose ``procesando`` time is over."""
        now = self._clock()
        due = self._config.recibido_s + self._config.procesando_s
        for record in self._store.pending():
            if now >= record.received_at + due:
                record.judging = True
                try:
                    self._executor.submit(self._finish, record)
                except RuntimeError:
                    return  # the executor is shutting down with the app

    def _verdict(self, record: Record, aceptado: bool, detalle: str) -> Verdict:
        document = record.document
        assert document is not None
        emisor, receptor = document.emisor, document.receptor
        if document.is_mensaje_receptor:
            original = self._store.get(document.clave)
            nombre_emisor = original.issuer_name if original is not None else ""
        else:
            nombre_emisor = emisor.nombre if emisor else ""
        json_receptor = record.receptor or {}
        return Verdict(
            clave=document.clave,
            # CRLibre #53: a sender Hacienda cannot read comes back as DESCONOCIDO/000000000.
            nombre_emisor=nombre_emisor or "DESCONOCIDO",
            tipo_emisor=_identification_type(
                emisor.tipo if emisor else "", record.emisor.get("tipoIdentificacion")
            )
            or "01",
            cedula_emisor=(emisor.numero if emisor and emisor.numero else "000000000"),
            nombre_receptor=receptor.nombre if receptor and receptor.nombre else None,
            tipo_receptor=_identification_type(
                receptor.tipo if receptor else "", json_receptor.get("tipoIdentificacion")
            ),
            cedula_receptor=receptor.numero if receptor and receptor.numero else None,
            aceptado=aceptado,
            detalle=detalle,
            total_impuesto=amount(document.total_impuesto),
            total_factura=amount(document.total_comprobante) or "0",
        )

    def _finish(self, record: Record) -> None:
        now = self._clock()
        moment = dt.datetime.fromtimestamp(now, dt.UTC)
        try:
            with self._lock:
                failed = self._random.random() < self._config.error_rate
            if failed:
                record.final_state = "error"
            else:
                assert record.document is not None
                findings = judge(record.document, self._config, self._schemas, self._trusted, moment)
                if findings:
                    detalle = detail_of(findings)
                elif self._config.sandbox_environment:
                    detalle = ACCEPTED_SANDBOX
                else:
                    detalle = ACCEPTED
                record.findings = findings
                record.respuesta_xml = self._signer.build(
                    self._verdict(record, not findings, detalle), moment
                )
                record.final_state = "rechazado" if findings else "aceptado"
        except Exception:
            log.exception("el emulador de Hacienda no pudo procesar %s", record.key)
            record.final_state = "error"
        record.document = None
        if record.callback_url and self._config.callbacks:
            self._call_back(record)

    def _call_back(self, record: Record) -> None:
        assert record.callback_url is not None
        body = status_body(record, self._clock(), self._config.recibido_s)
        try:
            response = self._http.post(record.callback_url, json=body)
        except httpx2.HTTPError as exc:
            self._store.add_callback(CallbackDelivery(record.key, record.callback_url, body, None, str(exc)))
            return
        self._store.add_callback(
            CallbackDelivery(record.key, record.callback_url, body, response.status_code, None)
        )
