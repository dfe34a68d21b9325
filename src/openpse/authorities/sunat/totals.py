"""Line and document totals of facturas, boletas and notes, as SUNAT's validation recomputes them.

Formulas from SUNAT's 2026 "Reglas de validación" (sheet Factura2_0; the notes and the
boleta use the same ones), each noted with its code. Every check tolerates ±1; we compute
exactly so that no tolerance is spent:

* line value (LineExtensionAmount) = quantity × unit value − discounts 00 + charges 47
  (3271); for a free line (tributo 9996) the unit value is the referential one;
* line ISC = base × rate (3108); the IGV/IVAP base of the line is its value plus its ISC
  (3272); line IGV = base × rate (3103); ICBPER = bags × amount per bag (4318);
* line taxes (TaxTotal/TaxAmount) = IGV + IVAP + ISC + ICBPER + others (3292), so a free
  line's IGV, reported under 9996, is not among them;
* unit price with taxes (PricingReference 01) = (value + line taxes − discounts 01 +
  charges 48) / quantity (3270);
* header IGV = (Σ IGV bases of the lines − global discounts 02 + global charges 49) × rate
  (3291), computed once on the header base, not as a sum of rounded line IGVs;
* LegalMonetaryTotal: value = Σ onerous line values − 02 + 49 (3278); price = value +
  ISC + ICBPER + IGV (3279); discounts = 01 + 03 (3300); charges = 48 + 45/46/50 (3301);
  payable = price + charges − discounts (3280);
* a global charge or discount = base × factor (3307), a line one likewise (3290).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from decimal import Decimal

from openpse.core.money import ZERO, round2, round_to

IGV_RATE = Decimal("0.18")
IGV_RATE_MYPE = Decimal("0.105")
"""Reduced IGV of the MYPE restaurants and hotels in SUNAT's padrón; 10.5 % per the
workbook's Control de Cambios of 2026-02-09 (error 3291 accepts 18.00 or 10.50)."""
IVAP_RATE = Decimal("0.04")


@dataclass(frozen=True)
class Tributo:
    """A tax scheme of catálogo 05: code, name and international code."""

    codigo: str
    nombre: str
    codigo_internacional: str


IGV = Tributo("1000", "IGV", "VAT")
IVAP = Tributo("1016", "IVAP", "VAT")
ISC = Tributo("2000", "ISC", "EXC")
ICBPER = Tributo("7152", "ICBPER", "OTH")
OTROS = Tributo("9999", "OTROS", "OTH")
EXPORTACION = Tributo("9995", "EXP", "FRE")
GRATUITO = Tributo("9996", "GRA", "FRE")
EXONERADO = Tributo("9997", "EXO", "VAT")
INAFECTO = Tributo("9998", "INA", "FRE")


@dataclass(frozen=True)
class Afectacion:
    """An entry of catálogo 07 and what it means for the computation."""

    codigo: str
    tributo: Tributo
    gravada: bool
    """IGV (or IVAP) is computed on the line, at the document's rate."""
    gratuita: bool
    """A transfer without consideration: referential value, tributo 9996, nothing to pay."""


def _afectaciones() -> dict[str, Afectacion]:
    table = {
        "10": Afectacion("10", IGV, gravada=True, gratuita=False),
        "17": Afectacion("17", IVAP, gravada=True, gratuita=False),
        "20": Afectacion("20", EXONERADO, gravada=False, gratuita=False),
        "21": Afectacion("21", GRATUITO, gravada=False, gratuita=True),
        "30": Afectacion("30", INAFECTO, gravada=False, gratuita=False),
        "40": Afectacion("40", EXPORTACION, gravada=False, gratuita=False),
    }
    for codigo in ("11", "12", "13", "14", "15", "16"):
        table[codigo] = Afectacion(codigo, GRATUITO, gravada=True, gratuita=True)
    for codigo in ("31", "32", "33", "34", "35", "36", "37"):
        table[codigo] = Afectacion(codigo, GRATUITO, gravada=False, gratuita=True)
    return table


AFECTACIONES = _afectaciones()

# ICBPER per bag (Ley 30884): S/ 0.10 from August 2019, rising S/ 0.10 a year to S/ 0.50
# from 2023 on; 2019–2021 match the OSE parameter dump quoted in the SUNAT reference (§4.4).
# SUNAT checks the amount per bag against the rate in force on the issue date.
_ICBPER_POR_ANIO = {
    2019: Decimal("0.10"),
    2020: Decimal("0.20"),
    2021: Decimal("0.30"),
    2022: Decimal("0.40"),
}
ICBPER_DESDE_2023 = Decimal("0.50")


def icbper_por_bolsa(fecha: dt.date) -> Decimal:
    if fecha < dt.date(2019, 8, 1):
        return ZERO
    return _ICBPER_POR_ANIO.get(fecha.year, ICBPER_DESDE_2023)


# Catálogo 53: which allowances and charges exist at line level and which move the IGV base.
CODIGOS_LINEA = {"00": (False, True), "01": (False, False), "47": (True, True), "48": (True, False)}
CODIGOS_GLOBALES = {
    "02": (False, True),
    "03": (False, False),
    "45": (True, False),
    "46": (True, False),
    "49": (True, True),
    "50": (True, False),
}
"""code → (is a charge, moves the IGV base)."""


@dataclass(frozen=True)
class Ajuste:
    """A discount or charge as the client asks for it: an amount, or a factor of a base."""

    codigo: str
    monto: Decimal | None = None
    factor: Decimal | None = None
    base: Decimal | None = None


@dataclass(frozen=True)
class AllowanceCharge:
    """A computed cac:AllowanceCharge (catálogo 53)."""

    codigo: str
    cargo: bool
    afecta_base: bool
    factor: Decimal
    monto: Decimal
    base: Decimal


def resolve(ajuste: Ajuste, cargo: bool, afecta_base: bool, default_base: Decimal) -> AllowanceCharge:
    """Amount and factor of a discount or charge; 3290/3307 check amount = base × factor."""
    base = round2(ajuste.base if ajuste.base is not None else default_base)
    if ajuste.factor is not None:
        factor = round_to(ajuste.factor, 5)
        monto = round2(base * factor)
    else:
        monto = round2(ajuste.monto or ZERO)
        # The factor travels with 5 decimals (MultiplierFactorNumeric n(3,5)).
        factor = round_to(monto / base, 5) if base else ZERO
    return AllowanceCharge(ajuste.codigo, cargo, afecta_base, factor, monto, base)


@dataclass(frozen=True)
class AnticipoInput:
    """An advance payment deducted in this document (catálogo 53 codes 04, 05, 06).

    ``valor`` is what leaves the base of its kind (the advance without IGV for 04);
    ``monto`` is what was paid (cbc:PaidAmount), which leaves the payable amount.
    """

    codigo: str
    valor: Decimal
    monto: Decimal


CODIGOS_ANTICIPO = ("04", "05", "06")


@dataclass(frozen=True)
class IscInput:
    """ISC of a line: system of catálogo 08 and its rate.

    ``01`` sistema al valor: rate over the line value. ``02`` monto fijo: ``tasa`` is an
    amount per unit. ``03`` precio de venta al público: rate over the suggested retail
    price (``precio_sugerido``) times the quantity.
    """

    sistema: str
    tasa: Decimal
    precio_sugerido: Decimal | None = None


@dataclass(frozen=True)
class LineInput:
    cantidad: Decimal
    afectacion: str
    valor_unitario: Decimal | None = None
    precio_unitario: Decimal | None = None
    valor_referencial: Decimal | None = None
    ajustes: tuple[Ajuste, ...] = ()
    isc: IscInput | None = None
    otros_tasa: Decimal | None = None
    """Rate (percent) of "otros tributos" (9999) over the line value (or ``otros_base``)."""
    otros_base: Decimal | None = None
    bolsas: int | None = None
    """Plastic bags subject to ICBPER in this line (usually the line's quantity)."""


@dataclass(frozen=True)
class LineTotals:
    """Computed amounts of one line (all in the document currency)."""

    cantidad: Decimal
    afectacion: Afectacion
    valor_unitario: Decimal
    """cac:Price/cbc:PriceAmount: unit value without taxes (0 for a free line), ≤ 10 decimals."""
    precio_referencia: Decimal
    """cac:PricingReference: unit price with taxes (tipo 01) or referential value (tipo 02)."""
    tipo_precio: str
    valor_venta: Decimal
    """cbc:LineExtensionAmount."""
    ajustes: tuple[AllowanceCharge, ...]
    base_igv: Decimal
    """TaxableAmount of the IGV/IVAP/EXO/INA/EXP/GRA subtotal: value + ISC."""
    igv: Decimal
    """IGV or IVAP of the line (for a free gravada line, the IGV reported under 9996)."""
    porcentaje: Decimal
    isc: Decimal = ZERO
    isc_base: Decimal = ZERO
    isc_porcentaje: Decimal = ZERO
    isc_sistema: str | None = None
    otros: Decimal = ZERO
    otros_base: Decimal = ZERO
    otros_porcentaje: Decimal = ZERO
    icbper: Decimal = ZERO
    bolsas: int = 0
    icbper_unitario: Decimal = ZERO

    @property
    def tributo(self) -> Tributo:
        return self.afectacion.tributo

    @property
    def impuestos(self) -> Decimal:
        """TaxTotal/TaxAmount of the line (3292): IGV/IVAP (if onerous) + ISC + ICBPER."""
        return (ZERO if self.afectacion.gratuita else self.igv) + self.isc + self.icbper + self.otros


def _unit_value(line: LineInput, rate: Decimal) -> Decimal:
    if line.afectacion in AFECTACIONES and AFECTACIONES[line.afectacion].gratuita:
        unit = line.valor_referencial if line.valor_referencial is not None else line.valor_unitario
        if unit is None:
            raise ValueError("una línea gratuita necesita valor_referencial")
        return unit
    if line.valor_unitario is not None:
        return line.valor_unitario
    if line.precio_unitario is None:
        raise ValueError("la línea necesita valor_unitario o precio_unitario")
    return line.precio_unitario / (1 + rate)


@functools.lru_cache(maxsize=16)
def _percent(rate: Decimal) -> Decimal:
    return round2(rate * 100)


def compute_line(line: LineInput, rate: Decimal = IGV_RATE, fecha: dt.date | None = None) -> LineTotals:
    """Amounts of one line."""
    afectacion = AFECTACIONES[line.afectacion]
    line_rate = (IVAP_RATE if afectacion.tributo is IVAP else rate) if afectacion.gravada else ZERO
    # A price with tax and nothing else on the line: the customer pays quantity × price
    # to the cent, and the value is what remains once the IGV is taken out of that amount.
    importe = (
        round2(line.cantidad * line.precio_unitario)
        if line.precio_unitario is not None
        and not line.ajustes
        and line.isc is None
        and line.otros_tasa is None
        and not afectacion.gratuita
        else None
    )
    bruto_exacto = ZERO if importe is not None else line.cantidad * _unit_value(line, line_rate)
    ajustes = (
        tuple(resolve(a, *CODIGOS_LINEA[a.codigo], default_base=bruto_exacto) for a in line.ajustes)
        if line.ajustes
        else ()
    )
    if importe is not None:
        valor_venta = round2(importe / (1 + line_rate))
    elif ajustes:
        valor_venta = round2(
            bruto_exacto
            - sum((a.monto for a in ajustes if a.afecta_base and not a.cargo), ZERO)
            + sum((a.monto for a in ajustes if a.afecta_base and a.cargo), ZERO)
        )
    else:
        valor_venta = round2(bruto_exacto)

    isc = isc_base = isc_porcentaje = ZERO
    if line.isc is not None:
        if line.isc.sistema == "03":
            isc_base = round2(line.cantidad * (line.isc.precio_sugerido or ZERO))
            isc = round2(isc_base * line.isc.tasa / 100)
            isc_porcentaje = round_to(line.isc.tasa, 5)
        elif line.isc.sistema == "02":
            # A fixed amount per unit; SUNAT checks TaxAmount = TaxableAmount × Percent
            # (3108), so the percent written is the effective rate over the line value.
            isc_base = valor_venta
            isc = round2(line.cantidad * line.isc.tasa)
            isc_porcentaje = round_to(isc * 100 / valor_venta, 5) if valor_venta else ZERO
        else:
            isc_base = valor_venta
            isc = round2(valor_venta * line.isc.tasa / 100)
            isc_porcentaje = round_to(line.isc.tasa, 5)

    base_igv = valor_venta + isc
    otros = otros_base = otros_porcentaje = ZERO
    if line.otros_tasa is not None:
        # 3109: TaxAmount = TaxableAmount × Percent; "otros tributos" do not enter the IGV base.
        otros_base = round2(line.otros_base if line.otros_base is not None else valor_venta)
        otros_porcentaje = round_to(line.otros_tasa, 5)
        otros = round2(otros_base * otros_porcentaje / 100)
    igv = round2(base_igv * line_rate)
    if importe is not None:
        igv = importe - valor_venta

    bolsas = line.bolsas or 0
    icbper_unitario = icbper_por_bolsa(fecha or dt.date.today()) if bolsas else ZERO
    icbper = round2(bolsas * icbper_unitario)

    if afectacion.gratuita:
        valor_unitario = ZERO
        precio_referencia = round_to(_unit_value(line, line_rate), 10)
        tipo_precio = "02"
    else:
        # 3271 recomputes the line value as quantity × this unit value − discounts 00 +
        # charges 47: a price with tax and nothing else on the line gives back the value to
        # the cent; with discounts or charges it must be the value before them.
        valor_unitario = round_to(
            valor_venta / line.cantidad if importe is not None else _unit_value(line, line_rate), 10
        )
        impuestos = igv + isc + icbper + otros
        no_base = (
            sum((a.monto if a.cargo else -a.monto for a in ajustes if not a.afecta_base), ZERO)
            if ajustes
            else ZERO
        )
        precio_referencia = round_to((valor_venta + impuestos + no_base) / line.cantidad, 10)
        tipo_precio = "01"
    return LineTotals(
        cantidad=line.cantidad,
        afectacion=afectacion,
        valor_unitario=valor_unitario,
        precio_referencia=precio_referencia,
        tipo_precio=tipo_precio,
        valor_venta=valor_venta,
        ajustes=ajustes,
        base_igv=base_igv,
        igv=igv,
        porcentaje=_percent(line_rate),
        isc=isc,
        isc_base=isc_base,
        isc_porcentaje=isc_porcentaje,
        isc_sistema=line.isc.sistema if line.isc else None,
        otros=otros,
        otros_base=otros_base,
        otros_porcentaje=otros_porcentaje,
        icbper=icbper,
        bolsas=bolsas,
        icbper_unitario=icbper_unitario,
    )


@dataclass(frozen=True)
class TaxSummary:
    """One header cac:TaxSubtotal."""

    tributo: Tributo
    base: Decimal | None
    monto: Decimal


@dataclass(frozen=True)
class DocumentTotals:
    gravado: Decimal
    """Operaciones gravadas: TaxableAmount of the IGV (or IVAP) subtotal."""
    exonerado: Decimal
    inafecto: Decimal
    exportacion: Decimal
    gratuito: Decimal
    igv: Decimal
    """IGV or IVAP to pay."""
    igv_gratuito: Decimal
    isc: Decimal
    icbper: Decimal
    valor_venta: Decimal
    """LegalMonetaryTotal/LineExtensionAmount."""
    precio_venta: Decimal
    """LegalMonetaryTotal/TaxInclusiveAmount."""
    descuentos: Decimal
    """AllowanceTotalAmount: discounts that do not move the IGV base."""
    cargos: Decimal
    """ChargeTotalAmount: charges that do not move the IGV base."""
    total: Decimal
    """LegalMonetaryTotal/PayableAmount."""
    subtotales: tuple[TaxSummary, ...]
    globales: tuple[AllowanceCharge, ...] = field(default_factory=tuple)
    ivap: bool = False
    anticipos: Decimal = ZERO
    """LegalMonetaryTotal/PrepaidAmount: advances deducted from the payable amount."""
    otros: Decimal = ZERO
    """Otros tributos (9999)."""

    @property
    def impuestos(self) -> Decimal:
        """cac:TaxTotal/cbc:TaxAmount of the document (3294)."""
        return self.igv + self.isc + self.icbper + self.otros

    def as_api(self) -> dict[str, str]:
        values = {
            "gravado": self.gravado,
            "exonerado": self.exonerado,
            "inafecto": self.inafecto,
            "exportacion": self.exportacion,
            "gratuito": self.gratuito,
            "igv": self.igv,
            "isc": self.isc,
            "icbper": self.icbper,
            "otros_tributos": self.otros,
            "descuentos": self.descuentos,
            "cargos": self.cargos,
            "anticipos": self.anticipos,
            "total": self.total,
        }
        return {name: f"{value:.2f}" for name, value in values.items()}


def compute_document(
    lines: list[LineTotals],
    rate: Decimal = IGV_RATE,
    globales: tuple[Ajuste, ...] = (),
    anticipos: tuple[AnticipoInput, ...] = (),
) -> DocumentTotals:
    """Header totals from computed lines, global discounts and charges, and advances.

    Advances (Factura2_0 rows 46–55, 65–66): a 04 discount lowers the IGV/IVAP base and
    the IGV of the TaxTotal (3277, 3291), 05 and 06 lower the exonerated and unaffected
    totals (3275, 3274); the LineExtensionAmount and the TaxInclusiveAmount keep the whole
    sale (3278, 3279), and the payable amount drops by what was paid (3280).
    """

    def total_of(tributo: Tributo) -> Decimal:
        return sum((ln.valor_venta for ln in lines if ln.tributo is tributo), ZERO)

    ivap = any(ln.tributo is IVAP for ln in lines)
    gravado_lineas = total_of(IVAP if ivap else IGV)
    base_lineas = sum((ln.base_igv for ln in lines if ln.tributo is (IVAP if ivap else IGV)), ZERO)
    onerosas = sum((ln.valor_venta for ln in lines if not ln.afectacion.gratuita), ZERO)

    resolved = []
    for ajuste in globales:
        cargo, afecta_base = CODIGOS_GLOBALES[ajuste.codigo]
        resolved.append(resolve(ajuste, cargo, afecta_base, gravado_lineas if afecta_base else onerosas))
    base_moves = sum((g.monto if g.cargo else -g.monto for g in resolved if g.afecta_base), ZERO)

    deducido = {
        codigo: sum((a.valor for a in anticipos if a.codigo == codigo), ZERO) for codigo in CODIGOS_ANTICIPO
    }
    bases_anticipo = {
        "04": gravado_lineas + base_moves,
        "05": total_of(EXONERADO),
        "06": total_of(INAFECTO),
    }
    por_anticipos: list[AllowanceCharge] = []
    for anticipo in anticipos:
        base = bases_anticipo[anticipo.codigo]
        por_anticipos.append(
            AllowanceCharge(
                anticipo.codigo,
                cargo=False,
                afecta_base=anticipo.codigo == "04",
                factor=round_to(anticipo.valor / base, 5) if base else ZERO,
                monto=round2(anticipo.valor),
                base=round2(base),
            )
        )

    igv_rate = IVAP_RATE if ivap else rate
    gravado = gravado_lineas + base_moves - deducido["04"]
    igv = round2((base_lineas + base_moves - deducido["04"]) * igv_rate)
    igv_venta = round2((base_lineas + base_moves) * igv_rate) if deducido["04"] else igv
    isc = sum((ln.isc for ln in lines), ZERO)
    icbper = sum((ln.icbper for ln in lines), ZERO)
    otros = sum((ln.otros for ln in lines), ZERO)
    gratuito = total_of(GRATUITO)
    igv_gratuito = sum((ln.igv for ln in lines if ln.afectacion.gratuita), ZERO)
    valor_venta = onerosas + base_moves
    precio_venta = valor_venta + isc + icbper + otros + igv_venta
    pagado = sum((a.monto for a in anticipos), ZERO)
    descuentos = sum((a.monto for ln in lines for a in ln.ajustes if not a.cargo and not a.afecta_base), ZERO)
    descuentos += sum((g.monto for g in resolved if not g.cargo and not g.afecta_base), ZERO)
    cargos = sum((a.monto for ln in lines for a in ln.ajustes if a.cargo and not a.afecta_base), ZERO)
    cargos += sum((g.monto for g in resolved if g.cargo and not g.afecta_base), ZERO)

    present = {ln.tributo.codigo for ln in lines}
    subtotales: list[TaxSummary] = []
    if ivap:
        subtotales.append(TaxSummary(IVAP, gravado, igv))
    elif IGV.codigo in present:
        subtotales.append(TaxSummary(IGV, gravado, igv))
    if isc:
        subtotales.append(TaxSummary(ISC, sum((ln.isc_base for ln in lines), ZERO), isc))
    exonerado = total_of(EXONERADO) - deducido["05"]
    inafecto = total_of(INAFECTO) - deducido["06"]
    for tributo, base in ((EXPORTACION, total_of(EXPORTACION)), (EXONERADO, exonerado), (INAFECTO, inafecto)):
        if tributo.codigo in present:
            subtotales.append(TaxSummary(tributo, base, ZERO))
    if GRATUITO.codigo in present:
        subtotales.append(TaxSummary(GRATUITO, gratuito, igv_gratuito))
    if otros:
        subtotales.append(TaxSummary(OTROS, sum((ln.otros_base for ln in lines), ZERO), otros))
    if icbper:
        subtotales.append(TaxSummary(ICBPER, None, icbper))
    return DocumentTotals(
        gravado=gravado if (ivap or IGV.codigo in present) else ZERO,
        exonerado=exonerado,
        inafecto=inafecto,
        exportacion=total_of(EXPORTACION),
        gratuito=gratuito,
        igv=igv,
        igv_gratuito=igv_gratuito,
        isc=isc,
        icbper=icbper,
        valor_venta=valor_venta,
        precio_venta=precio_venta,
        descuentos=descuentos,
        cargos=cargos,
        total=precio_venta + cargos - descuentos - pagado,
        subtotales=tuple(subtotales),
        globales=tuple(resolved + por_anticipos),
        ivap=ivap,
        anticipos=pagado,
        otros=otros,
    )
