"""The 50-character clave and the 20-digit NumeroConsecutivo of a comprobante (reference §3.2).

``Consecutivo = sucursal(3) | terminal(5) | tipo(2) | número(10)`` and
``Clave = 506 | día(2) | mes(2) | año(2) | emisor(12) | consecutivo(20) | situación(1) | seguridad(8)``,
with the date of issue in Costa Rica time (UTC-6, no daylight saving) and the issuer's
identification left-padded with zeros. The XSDs say ``ClaveType \\d{50}`` (2024 set) and
``[a-zA-Z0-9]{50}`` (April-2026 set, for the alphanumeric cédulas jurídicas of the Registro
Nacional), ``NumeroConsecutivoType \\d{20}``. A MensajeReceptor uses 05/06/07 in the type
slot of its own consecutivo.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

from openpse.core.timeutil import COSTA_RICA

PAIS = "506"
_CLAVE = re.compile(r"^506(\d{2})(\d{2})(\d{2})([0-9A-Za-z]{12})(\d{20})([123])(\d{8})$")
_CONSECUTIVO = re.compile(r"^(\d{3})(\d{5})(\d{2})(\d{10})$")
_IDENTIFICACION = re.compile(r"^[0-9A-Za-z]{1,12}$")
_SEGURIDAD = re.compile(r"^\d{8}$")
TIPOS_CONSECUTIVO = frozenset({"01", "02", "03", "04", "05", "06", "07", "08", "09", "10"})


class Situacion(StrEnum):
    """Situación del comprobante (position 42 of the clave)."""

    NORMAL = "1"
    CONTINGENCIA = "2"
    SIN_INTERNET = "3"


class ClaveError(ValueError):
    """A part of the clave or the consecutivo is out of its format."""


@dataclass(frozen=True)
class Consecutivo:
    """NumeroConsecutivo: where and in which sequence a document was numbered."""

    sucursal: int
    terminal: int
    tipo: str
    numero: int

    def __post_init__(self) -> None:
        if not 1 <= self.sucursal <= 999:
            raise ClaveError(f"La sucursal debe estar entre 1 y 999: {self.sucursal}")
        if not 1 <= self.terminal <= 99999:
            raise ClaveError(f"La terminal debe estar entre 1 y 99999: {self.terminal}")
        if self.tipo not in TIPOS_CONSECUTIVO:
            raise ClaveError(f"Tipo de comprobante desconocido en el consecutivo: {self.tipo}")
        if not 1 <= self.numero <= 9_999_999_999:
            raise ClaveError(f"El número del consecutivo debe estar entre 1 y 9999999999: {self.numero}")

    @property
    def texto(self) -> str:
        return f"{self.sucursal:03d}{self.terminal:05d}{self.tipo}{self.numero:010d}"

    @classmethod
    def parse(cls, texto: str) -> Consecutivo:
        match = _CONSECUTIVO.fullmatch(texto)
        if match is None:
            raise ClaveError(f"El consecutivo debe tener 20 dígitos: {texto!r}")
        sucursal, terminal, tipo, numero = match.groups()
        return cls(int(sucursal), int(terminal), tipo, int(numero))


@dataclass(frozen=True)
class Clave:
    """The 50-character key of a comprobante, and its parts."""

    fecha: dt.date
    emisor: str
    """The issuer's identification as written in the key (12 characters, zero-padded)."""
    consecutivo: Consecutivo
    situacion: Situacion
    codigo_seguridad: str

    @property
    def texto(self) -> str:
        return (
            f"{PAIS}{self.fecha:%d%m%y}{self.emisor}{self.consecutivo.texto}"
            f"{self.situacion.value}{self.codigo_seguridad}"
        )

    @classmethod
    def parse(cls, texto: str) -> Clave:
        """Split a clave; the date's century is taken as 20yy."""
        match = _CLAVE.fullmatch(texto)
        if match is None:
            raise ClaveError(f"La clave no tiene el formato de Hacienda (506 + 47 caracteres): {texto!r}")
        dia, mes, anio, emisor, consecutivo, situacion, seguridad = match.groups()
        try:
            fecha = dt.date(2000 + int(anio), int(mes), int(dia))
        except ValueError as exc:
            raise ClaveError(f"La fecha de la clave no existe: {dia}/{mes}/{anio}") from exc
        return cls(fecha, emisor, Consecutivo.parse(consecutivo), Situacion(situacion), seguridad)


@dataclass(frozen=True)
class Numeracion:
    """The pair assigned to one document."""

    clave: str
    consecutivo: str


def identificacion_en_clave(numero: str) -> str:
    """The issuer's identification as it goes in positions 10–21: left-padded to 12."""
    if not _IDENTIFICACION.fullmatch(numero):
        raise ClaveError(
            f"La identificación del emisor no cabe en la clave (1 a 12 caracteres alfanuméricos): {numero!r}"
        )
    return numero.upper().rjust(12, "0")


def codigo_seguridad() -> str:
    """Eight random digits from the operating system's CSPRNG: keys must not be guessable."""
    return f"{secrets.randbelow(100_000_000):08d}"


def fecha_costa_rica(momento: dt.datetime) -> dt.datetime:
    """``momento`` in Costa Rica time; a naive datetime is taken as already local."""
    if momento.tzinfo is None:
        return momento.replace(tzinfo=COSTA_RICA)
    return momento.astimezone(COSTA_RICA)


def asignar(
    emisor: str,
    sucursal: int,
    terminal: int,
    tipo: str,
    numero: int,
    fecha: dt.datetime,
    situacion: Situacion | str = Situacion.NORMAL,
    seguridad: str | None = None,
) -> Numeracion:
    """Clave and NumeroConsecutivo of document ``numero`` of a series.

    ``emisor`` is the identification of whoever issues and signs (the buyer in a factura de
    compra, the receiver in a MensajeReceptor); ``fecha`` the moment of issue, whose Costa
    Rica date goes in the key; ``seguridad`` eight digits, random when omitted. Store the
    result with the document: a retry must reuse it, never draw a new security code.
    """
    consecutivo = Consecutivo(sucursal, terminal, tipo, numero)
    codigo = codigo_seguridad() if seguridad is None else seguridad
    if not _SEGURIDAD.fullmatch(codigo):
        raise ClaveError(f"El código de seguridad debe tener 8 dígitos: {codigo!r}")
    clave = Clave(
        fecha=fecha_costa_rica(fecha).date(),
        emisor=identificacion_en_clave(emisor),
        consecutivo=consecutivo,
        situacion=Situacion(situacion),
        codigo_seguridad=codigo,
    )
    return Numeracion(clave=clave.texto, consecutivo=consecutivo.texto)
