"""The amounts of a comprobante de retención or de percepción, in Decimal with SUNAT's rounding.

One payment (or collection) of a related document is one ``SUNAT…DocumentReference``
of the XML, and carries, in PEN (Retenciones1_0 rows 46–50, Percepciones1_0 rows 47–51):

* the amount retained or perceived: payment × rate × exchange rate;
* the net amount: payment × exchange rate, minus the retention or plus the perception.

Each figure is rounded half up to cents once, at the end (SUNAT's own XSL rounds with
``round(x * 100) div 100``, which is half up for these positive amounts); the net
amount is the rounded PEN payment minus (plus) the rounded retention (perception), so
that the two always add up to the payment in soles exactly. The totals are plain sums
of those rounded figures, leaving out the types SUNAT leaves out (credit notes and
reverted comprobantes, rows 32–35 / 33–36), plus the optional rounding of the total
paid or collected (row 36 / 37).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from openpse.core.money import ZERO, round2

PEN = "PEN"
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Movimiento:
    """A payment (retención) or collection (percepción) of a related document."""

    numero: int
    fecha: dt.date
    importe: Decimal
    """In the currency of the related document, before retention or perception."""
    factor: Decimal | None
    """Soles per unit of that currency; None when the document is in PEN."""
    fecha_cambio: dt.date | None


@dataclass(frozen=True)
class Relacionado:
    """A related document as the XML lists it."""

    tipo: str
    serie: str
    numero: int
    fecha_emision: dt.date
    moneda: str
    importe_total: Decimal
    movimientos: tuple[Movimiento, ...]

    @property
    def serie_numero(self) -> str:
        return f"{self.serie}-{self.numero}"


@dataclass(frozen=True)
class Referencia:
    """One ``sac:SUNATRetentionDocumentReference`` or ``sac:SUNATPerceptionDocumentReference``."""

    documento: Relacionado
    movimiento: Movimiento | None
    importe: Decimal | None
    """Retained or perceived amount in PEN; None for a credit note without payment."""
    neto: Decimal | None
    """Net amount paid (retención) or collected (percepción) in PEN."""
    en_totales: bool


@dataclass(frozen=True)
class Calculo:
    referencias: tuple[Referencia, ...]
    total: Decimal
    """Importe total retenido / percibido (cbc:TotalInvoiceAmount), PEN."""
    total_neto: Decimal
    """Importe total pagado / cobrado (sac:SUNATTotalPaid / SUNATTotalCashed), PEN, rounding included."""
    redondeo: Decimal | None

    def as_api(self, percepcion: bool) -> dict[str, str]:
        """The totals as the API shows them (``totales`` of the document body)."""
        if percepcion:
            return {"percibido": f"{self.total:.2f}", "cobrado": f"{self.total_neto:.2f}"}
        return {"retenido": f"{self.total:.2f}", "pagado": f"{self.total_neto:.2f}"}


def en_soles(importe: Decimal, factor: Decimal | None) -> Decimal:
    """A payment in PEN: as it is for PEN documents, times the exchange rate otherwise."""
    return round2(importe if factor is None else importe * factor)


def referencia(
    documento: Relacionado, movimiento: Movimiento, tasa: Decimal, percepcion: bool, en_totales: bool
) -> Referencia:
    factor = movimiento.factor if movimiento.factor is not None else Decimal(1)
    importe = round2(movimiento.importe * tasa / HUNDRED * factor)
    soles = en_soles(movimiento.importe, movimiento.factor)
    neto = soles + importe if percepcion else soles - importe
    return Referencia(documento, movimiento, importe, neto, en_totales)


def calcular(
    documentos: Iterable[Relacionado],
    tasa: Decimal,
    percepcion: bool,
    fuera_de_totales: frozenset[str],
    redondeo: Decimal | None = None,
) -> Calculo:
    """Every reference of the comprobante and its totals."""
    referencias: list[Referencia] = []
    for documento in documentos:
        en_totales = documento.tipo not in fuera_de_totales
        if not documento.movimientos:
            referencias.append(Referencia(documento, None, None, None, False))
            continue
        referencias.extend(
            referencia(documento, movimiento, tasa, percepcion, en_totales)
            for movimiento in documento.movimientos
        )
    total = sum((r.importe for r in referencias if r.en_totales and r.importe is not None), ZERO)
    neto = sum((r.neto for r in referencias if r.en_totales and r.neto is not None), ZERO)
    return Calculo(tuple(referencias), total, neto + (redondeo or ZERO), redondeo)
