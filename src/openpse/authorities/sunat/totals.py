"""Line and document totals for facturas and boletas, as SUNAT's validation recomputes them.

Formulas from the "Reglas de validación" sheet Factura2_0 (rows on LineExtensionAmount,
TaxTotal and LegalMonetaryTotal; codes 3271, 3103, 3291, 3277, 3278, 3279, 3280):

* line value  = quantity × unit value, rounded to cents (3271);
* line IGV    = line value × rate, rounded to cents (3103);
* unit price  = (line value + line IGV) / quantity, up to ten decimals (3270);
* header IGV  = Σ taxable line values × rate, rounded to cents (3291);
* payable     = Σ line values + header taxes (3279, 3280).

SUNAT tolerates ±1 on each check; computing the header IGV from the header base (not as
the sum of rounded line IGVs) keeps us exact on 3291 whatever the number of lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from openpse.core.money import ZERO, round2, round_to

IGV_RATE = Decimal("0.18")


@dataclass(frozen=True)
class Tributo:
    """A tax scheme of catálogo 05: code, name and international code."""

    codigo: str
    nombre: str
    codigo_internacional: str


IGV = Tributo("1000", "IGV", "VAT")
EXONERADO = Tributo("9997", "EXO", "VAT")
INAFECTO = Tributo("9998", "INA", "FRE")

# Afectaciones (catálogo 07) this module computes, with the tributo each maps to.
TRIBUTO_POR_AFECTACION: dict[str, Tributo] = {"10": IGV, "20": EXONERADO, "30": INAFECTO}


@dataclass(frozen=True)
class LineInput:
    cantidad: Decimal
    afectacion: str
    valor_unitario: Decimal | None = None
    precio_unitario: Decimal | None = None


@dataclass(frozen=True)
class LineTotals:
    """Computed amounts of one line (all in document currency)."""

    cantidad: Decimal
    afectacion: str
    tributo: Tributo
    valor_unitario: Decimal
    """cac:Price/cbc:PriceAmount: unit value without taxes, up to 10 decimals."""
    precio_unitario: Decimal
    """cac:PricingReference (tipo 01): unit price with taxes, up to 10 decimals."""
    valor_venta: Decimal
    """cbc:LineExtensionAmount: quantity × unit value, 2 decimals."""
    igv: Decimal
    porcentaje: Decimal
    """Tax rate in percent (18.00 for gravado, 0.00 otherwise)."""


@dataclass(frozen=True)
class DocumentTotals:
    gravado: Decimal
    exonerado: Decimal
    inafecto: Decimal
    igv: Decimal
    valor_venta: Decimal
    """LegalMonetaryTotal/LineExtensionAmount."""
    precio_venta: Decimal
    """LegalMonetaryTotal/TaxInclusiveAmount."""
    total: Decimal
    """LegalMonetaryTotal/PayableAmount."""

    def as_api(self) -> dict[str, str]:
        return {
            "gravado": f"{self.gravado:.2f}",
            "exonerado": f"{self.exonerado:.2f}",
            "inafecto": f"{self.inafecto:.2f}",
            "igv": f"{self.igv:.2f}",
            "total": f"{self.total:.2f}",
        }


def compute_line(line: LineInput, rate: Decimal = IGV_RATE) -> LineTotals:
    """Amounts of one line from its quantity and either its value or its price."""
    tributo = TRIBUTO_POR_AFECTACION[line.afectacion]
    line_rate = rate if tributo is IGV else ZERO
    if line.valor_unitario is not None:
        valor_venta = round2(line.cantidad * line.valor_unitario)
        igv = round2(valor_venta * line_rate)
        valor_unitario = round_to(line.valor_unitario, 10)
    elif line.precio_unitario is not None:
        # A price with tax: the customer pays quantity × price to the cent; the value
        # without tax is what remains after taking the IGV out of that amount.
        importe = round2(line.cantidad * line.precio_unitario)
        valor_venta = round2(importe / (1 + line_rate))
        igv = importe - valor_venta
        valor_unitario = round_to(valor_venta / line.cantidad, 10)
    else:
        raise ValueError("la línea necesita valor_unitario o precio_unitario")
    precio_unitario = round_to((valor_venta + igv) / line.cantidad, 10)
    return LineTotals(
        cantidad=line.cantidad,
        afectacion=line.afectacion,
        tributo=tributo,
        valor_unitario=valor_unitario,
        precio_unitario=precio_unitario,
        valor_venta=valor_venta,
        igv=igv,
        porcentaje=round2(line_rate * 100),
    )


def compute_document(lines: list[LineTotals], rate: Decimal = IGV_RATE) -> DocumentTotals:
    """Header totals from computed lines."""
    gravado = sum((ln.valor_venta for ln in lines if ln.tributo is IGV), ZERO)
    exonerado = sum((ln.valor_venta for ln in lines if ln.tributo is EXONERADO), ZERO)
    inafecto = sum((ln.valor_venta for ln in lines if ln.tributo is INAFECTO), ZERO)
    igv = round2(gravado * rate)
    valor_venta = gravado + exonerado + inafecto
    precio_venta = valor_venta + igv
    return DocumentTotals(
        gravado=gravado,
        exonerado=exonerado,
        inafecto=inafecto,
        igv=igv,
        valor_venta=valor_venta,
        precio_venta=precio_venta,
        total=precio_venta,
    )
