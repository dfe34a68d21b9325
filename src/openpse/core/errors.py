"""Typed errors that carry the authority's code, mapped one-to-one to ``errors[]`` in the API.

Every rule raises (or collects) an :class:`Issue` with the code SUNAT or Hacienda would
return for the same mistake; when no authority code applies we use our own ``PSE-*`` codes,
listed in :class:`Code` and in the integration guide.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Code(StrEnum):
    """OpenPSE's own error codes, for faults that no authority catalogue names."""

    JSON_MALFORMADO = "PSE-0001"
    CAMPO_INVALIDO = "PSE-0002"
    MEDIA_NO_SOPORTADO = "PSE-0003"
    CUERPO_DEMASIADO_GRANDE = "PSE-0004"
    XML_INSEGURO = "PSE-0005"
    XML_MALFORMADO = "PSE-0006"
    NO_AUTENTICADO = "PSE-0010"
    PROHIBIDO = "PSE-0011"
    NO_ENCONTRADO = "PSE-0012"
    CONFLICTO = "PSE-0013"
    LIMITE_EXCEDIDO = "PSE-0014"
    NO_SOPORTADO = "PSE-0020"
    TOTALES_NO_CUADRAN = "PSE-0021"
    SIN_CERTIFICADO = "PSE-0022"
    CERTIFICADO_INVALIDO = "PSE-0023"
    EMPRESA_INVALIDA = "PSE-0024"
    INTERNO = "PSE-0500"
    NO_DISPONIBLE = "PSE-0503"


@dataclass(frozen=True)
class Issue:
    """One problem found in a request: the authority's code, its text and the JSON path."""

    cod: str
    mensaje: str
    campo: str | None = None


class OpenPSEError(Exception):
    """Base of every error the API turns into an answer; ``status`` is the HTTP status."""

    status: int = 500

    def __init__(self, issues: list[Issue] | Issue, status: int | None = None) -> None:
        self.issues = [issues] if isinstance(issues, Issue) else list(issues)
        if status is not None:
            self.status = status
        super().__init__("; ".join(f"{i.cod} {i.mensaje}" for i in self.issues))


class ValidationFailed(OpenPSEError):
    """The request breaks one or more rules (422)."""

    status = 422


class BadRequest(OpenPSEError):
    """The request cannot be read at all (400)."""

    status = 400


class NotFound(OpenPSEError):
    """Unknown resource, also for another tenant's resource (404)."""

    status = 404

    def __init__(self, what: str = "El recurso solicitado no existe") -> None:
        super().__init__(Issue(Code.NO_ENCONTRADO, what))


class Forbidden(OpenPSEError):
    """Authenticated but not allowed (403)."""

    status = 403

    def __init__(self, what: str = "No tiene permiso para esta operación") -> None:
        super().__init__(Issue(Code.PROHIBIDO, what))


class Conflict(OpenPSEError):
    """The request clashes with what is stored (409)."""

    status = 409


class Unavailable(OpenPSEError):
    """A dependency of ours is down (503); the client may retry."""

    status = 503


@dataclass
class IssueCollector:
    """Collects issues so that one answer lists every problem, not only the first.

    ``warnings`` are the authority's observations (SUNAT 4000+): they do not stop the
    document, and are shown with it.
    """

    issues: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)

    def add(self, cod: str, mensaje: str, campo: str | None = None) -> None:
        self.issues.append(Issue(cod, mensaje, campo))

    def warn(self, cod: str, mensaje: str, campo: str | None = None) -> None:
        self.warnings.append(Issue(cod, mensaje, campo))

    def raise_if_any(self) -> None:
        if self.issues:
            raise ValidationFailed(self.issues)
