"""The interface between the country-neutral core and each tax authority.

The core (API, documents service, jobs, store) only knows this module. An authority
turns a request into a signed, stored-ready document (:meth:`Authority.prepare`), sends
it (:meth:`Authority.submit`) and finds out what happened to one whose answer was lost
(:meth:`Authority.reconcile`); both return an :class:`Outcome` that the core applies to
the document row.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from openpse.core.errors import Code, Issue, ValidationFailed
from openpse.documents.states import Estado
from openpse.signing.certificates import Certificate


@dataclass(frozen=True)
class DocumentoEmitido:
    """One of the issuer's documents as OpenPSE built it: what a note's rules compare with."""

    fecha_emision: dt.date
    moneda: str
    total: str
    xml: bytes = field(repr=False)
    """The signed document as it was sent."""


DocumentLookup = Callable[[str, str, int], "DocumentoEmitido | None"]
"""An issuer's document by (tipo, serie, número), or None when OpenPSE did not issue it or
the authority rejected it."""


@dataclass(frozen=True)
class EmpresaContext:
    """What an authority needs to know about the issuer, secrets already decrypted."""

    id: int
    pais: str
    identificacion: str
    razon_social: str
    nombre_comercial: str | None
    direccion: dict[str, Any]
    destino: str
    ambiente: str
    ose_url: str | None
    usuario: str | None
    clave: str | None = field(repr=False)
    firma_algoritmo: str
    certificate: Certificate | None = field(repr=False)
    gre_client_id: str | None = None
    """SUNAT's GRE platform: the API client generated in SOL (guías de remisión)."""
    gre_client_secret: str | None = field(default=None, repr=False)
    documentos: DocumentLookup | None = field(default=None, repr=False, compare=False)
    """The issuer's own documents as OpenPSE stored them, for rules that compare a note with
    what it modifies (SUNAT's 3260, 3320, 3321); None outside a request."""


@dataclass(frozen=True)
class Draft:
    """A parsed, shape-valid request, before numbering and building."""

    tipo: str
    serie: str
    numero: int | None
    content_hash: str
    """SHA-256 of the canonical request without its number: same content ⇔ same hash."""
    model: Any


@dataclass(frozen=True)
class Prepared:
    """A built and signed document, ready to be stored and sent."""

    id: str
    tipo: str
    serie: str
    numero: int
    fecha_emision: dt.date
    moneda: str
    total: str
    totales: dict[str, str]
    cliente_tipo: str | None
    cliente_numero: str | None
    xml_name: str
    xml: bytes
    hash: str
    envio_name: str
    envio: bytes
    observaciones: list[dict[str, str]] = field(default_factory=list)
    cliente_nombre: str | None = None
    cliente_email: str | None = None
    """Where the customer receives the document by e-mail, when the request gives it."""


@dataclass(frozen=True)
class Submission:
    """A stored document as the sender sees it."""

    id: str
    tipo: str
    serie: str
    numero: int
    hash: str
    envio_name: str
    envio: bytes
    intentos: int
    ticket: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What the authority said, or that it said nothing.

    ``estado`` is the next state; ``respuesta`` is what the API shows
    (``{"codigo", "descripcion", "observaciones"}``); ``cdr``/``cdr_zip`` the
    authority's signed answer when there is one.
    """

    estado: Estado
    respuesta: dict[str, Any] | None = None
    cdr: bytes | None = None
    cdr_zip: bytes | None = None
    ticket: str | None = None
    detalle: str | None = None
    """Technical detail for the event log (never shown as the authority's answer)."""
    retry_after: float | None = None
    """Seconds the authority asked to wait before the next call (HTTP 429 ``Retry-After``):
    the next step is scheduled exactly then instead of by the usual back-off."""


@dataclass(frozen=True)
class VoidTarget:
    """A stored, accepted document that its issuer wants to annul."""

    id: str
    tipo: str
    serie: str
    numero: int
    fecha_emision: dt.date
    moneda: str
    totales: dict[str, str]
    cliente_tipo: str | None
    cliente_numero: str | None


@dataclass(frozen=True)
class SummaryTarget(VoidTarget):
    """A stored document to inform in a summary (SUNAT's Resumen diario), with its signed XML."""

    xml: bytes = field(default=b"", repr=False)


RegistryLookup = Callable[[str, str, int], tuple[str, dt.date] | None]
"""What OpenPSE knows about one of the issuer's documents, by (tipo, serie, número): the
authority's verdict (``aceptado``, ``rechazado``, ``anulado``) and its issue date, or
None when the authority never received it."""


class Authority(ABC):
    """One tax authority (or one flavour of it, such as an OSE)."""

    pais: str

    @abstractmethod
    def parse(self, payload: Any) -> Draft:
        """Validate the shape of a JSON request; raise ValidationFailed with the authority's codes."""

    @abstractmethod
    def prepare(self, draft: Draft, numero: int, empresa: EmpresaContext, today: dt.date) -> Prepared:
        """Apply every rule, compute totals, build and sign the document."""

    @abstractmethod
    def prepare_xml(self, xml: bytes, empresa: EmpresaContext) -> tuple[Draft, Prepared]:
        """Sign an unsigned document that the client built itself."""

    @abstractmethod
    def sign_xml(self, xml: bytes, empresa: EmpresaContext) -> tuple[bytes, str]:
        """Sign an unsigned document without storing or sending it: (signed XML, hash)."""

    @abstractmethod
    def submit(self, doc: Submission, empresa: EmpresaContext) -> Outcome:
        """Send the document; never raises for anything the authority or the network does."""

    @abstractmethod
    def reconcile(self, doc: Submission, empresa: EmpresaContext) -> Outcome:
        """Ask the authority what happened to a document whose answer was lost, or to one
        that is ``pendiente`` (poll its ticket or its status)."""

    def document_title(self, tipo: str) -> str:
        """How the authority names a document type, for people (e-mail subjects, portal)."""
        return "Comprobante electrónico"

    def void_kind(self, target: VoidTarget, today: dt.date) -> str:
        """The kind of document that annuls ``target`` (SUNAT: RA or RC; Hacienda: a credit
        note); raise ValidationFailed when it cannot be annulled (any more)."""
        raise ValidationFailed(
            Issue(Code.NO_SOPORTADO, f"El tipo {target.tipo} no se puede anular por OpenPSE", "tipo")
        )

    def prepare_void(
        self,
        kind: str,
        targets: list[VoidTarget],
        motivo: str,
        empresa: EmpresaContext,
        today: dt.date,
        numero: int,
        registry: RegistryLookup,
    ) -> Prepared:
        """Build and sign the document that annuls ``targets``; ``numero`` is its
        correlative among the documents of ``kind`` generated ``today``."""
        raise ValidationFailed(Issue(Code.NO_SOPORTADO, f"{kind} no se puede emitir por OpenPSE", "tipo"))

    def summary_kind(self, tipo: str, serie: str) -> str | None:
        """The summary that informs documents of ``tipo``/``serie`` when the issuer informs
        them by summary (SUNAT: RC for boletas and their notes); None: sent one by one."""
        return None

    def summary_reference(self, target: SummaryTarget) -> tuple[str, str, int] | None:
        """The (tipo, serie, número) that must be informed before ``target`` (SUNAT: the
        boleta a note modifies), or None."""
        return None

    def check_summary_line(
        self, target: SummaryTarget, empresa: EmpresaContext, today: dt.date, registry: RegistryLookup
    ) -> list[Issue]:
        """What the authority would answer against ``target`` as a line of a summary (none: it may go)."""
        return [Issue(Code.NO_SOPORTADO, f"El tipo {target.tipo} no se informa por resumen", "tipo")]

    def prepare_summary(
        self,
        targets: list[SummaryTarget],
        empresa: EmpresaContext,
        today: dt.date,
        numero: int,
        registry: RegistryLookup,
    ) -> Prepared:
        """Build and sign the summary that informs ``targets`` (one issue date)."""
        raise ValidationFailed(Issue(Code.NO_SOPORTADO, "Esta autoridad no recibe resúmenes", "tipo"))

    def void_series(self, kind: str, today: dt.date) -> str:
        """The series under which annulment documents of ``kind`` are numbered."""
        return f"{today:%Y%m%d}"
