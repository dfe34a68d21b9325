"""Line and summary amounts of a v4.4 comprobante, computed with Decimal as the XSD annotations say.

Every amount is a ``DecimalDineroType`` (18 digits, 5 decimals), so each amount written in a
line is rounded half up to five decimals once, and every total is the exact sum of the
rounded line amounts: whoever adds up the lines of the XML (Hacienda, the receiver, an
auditor) gets the summary to the last decimal. Formulas (annotations of
``FacturaElectronica_V4.4.xsd``, reference §5):

* ``MontoTotal = Cantidad × PrecioUnitario``; each discount is an amount, or a percentage
  of what is left after the previous ones (DescuentoSurtido annotation); ``SubTotal =
  MontoTotal − Σ MontoDescuento``;
* ``BaseImponible = SubTotal + impuestos 02, 04, 05 y 12`` (editable with IVACobradoFabrica
  01 or tax 07); gifts and bonuses (discount codes 01–03) do not lower it
  (:data:`~openpse.authorities.hacienda.catalogs.DESCUENTOS_SIN_EFECTO_EN_BASE`);
* IVA ``Monto = BaseImponible × Tarifa / 100``, or ``× FactorCalculoIVA`` for tax 08; taxes
  02, 12 and 99 at a rate are ``SubTotal × Tarifa / 100``; the specific taxes 03–06 are
  ``Cantidad × ImpuestoUnidad`` and, for 04, ``Proporcion = CantidadUnidadMedida ×
  Porcentaje / 100``;
* ``MontoExoneracion = base × TarifaExonerada / 100``; ``ImpuestoNeto = Σ (Monto −
  MontoExoneracion) − ImpuestoAsumidoEmisorFabrica``; ``MontoTotalLinea = SubTotal +
  ImpuestoNeto``;
* summary buckets take each line's ``MontoTotal`` (services or goods by the CABYS section,
  CPC 5–9 services and 0–4 goods; by the unit for lines without CABYS); a partially
  exonerated line is split in the proportion ``TarifaExonerada / Tarifa`` (reference §5 notes
  this is the common practice; the XSD does not spell it out);
* ``TotalVenta = TotalGravado + TotalExento + TotalExonerado + TotalNoSujeto``,
  ``TotalVentaNeta = TotalVenta − TotalDescuentos``, ``TotalDesgloseImpuesto`` per
  (Codigo, CodigoTarifaIVA) the tax charged (Monto − MontoExoneracion), ``TotalImpuesto =
  Σ ImpuestoNeto`` and ``TotalComprobante = TotalVentaNeta + TotalImpuesto +
  TotalOtrosCargos − TotalIVADevuelto``.

``TotalImpuesto`` is the sum of the *net* line taxes: the annotation ("suma de todos campos
monto del impuesto") predates exonerations, and only the net sum keeps ``TotalComprobante``
equal to ``Σ MontoTotalLinea + TotalOtrosCargos − TotalIVADevuelto``, which is what the
buyer pays; without exonerations or assumed taxes both readings coincide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from openpse.authorities.hacienda import catalogs
from openpse.authorities.hacienda.models import (
    ComprobanteIn,
    DatosImpuestoEspecifico,
    Exoneracion,
    Impuesto,
    Item,
    MedioPago,
    OtroCargo,
)

ZERO = Decimal("0.00000")
"""Zero with exponent -5: every computed amount keeps that exponent, so ``str`` writes it
with exactly five decimals (the builder relies on it)."""
CIEN = Decimal(100)
_QUINTO = Decimal("0.00001")


def round5(value: Decimal) -> Decimal:
    """Round half up to five decimals, the precision of DecimalDineroType."""
    return value.quantize(_QUINTO, rounding=ROUND_HALF_UP)


def fmt5(value: Decimal) -> str:
    """An amount as written in the XML: five decimals, no exponent (``1130.00000``)."""
    return f"{round5(value):f}"


def es_servicio(item: Item) -> bool:
    """Service or goods, for the Serv/Merc summary buckets.

    The v4.4 annotations tie TotalServNoSujeto/TotalMercNoSujeta to "códigos CAByS que
    correspondan a un servicio/una mercancía". CABYS extends the UN CPC 2.1, whose sections
    0–4 are goods and 5–9 services; a line without CABYS (allowed only in notes) is a
    service when its unit only names services (Sp, Spe, St, Os, Al, Alc, Cm, I).
    """
    if item.cabys:
        return item.cabys[0] >= "5"
    return item.unidad in catalogs.UNIDADES_SERVICIO


class DescuentoCalculado(NamedTuple):
    monto: Decimal
    codigo: str
    codigo_otro: str | None
    naturaleza: str


class ImpuestoCalculado(NamedTuple):
    """One tax of a line, with the base it was computed on."""

    codigo: str
    codigo_otro: str | None
    codigo_tarifa_iva: str | None
    tarifa: Decimal | None
    factor: Decimal | None
    datos: DatosImpuestoEspecifico | None
    proporcion: Decimal | None
    base: Decimal
    monto: Decimal
    exoneracion: Exoneracion | None
    monto_exoneracion: Decimal
    monto_exportacion: Decimal | None

    @property
    def neto(self) -> Decimal:
        return self.monto - self.monto_exoneracion


class LineaCalculada(NamedTuple):
    numero: int
    item: Item
    servicio: bool
    monto_total: Decimal
    descuentos: tuple[DescuentoCalculado, ...]
    total_descuentos: Decimal
    subtotal: Decimal
    base_imponible: Decimal
    impuestos: tuple[ImpuestoCalculado, ...]
    impuesto_asumido: Decimal
    impuesto_neto: Decimal
    monto_total_linea: Decimal
    gravado: Decimal
    exento: Decimal
    exonerado: Decimal
    no_sujeto: Decimal


class CargoCalculado(NamedTuple):
    cargo: OtroCargo
    monto: Decimal


class MedioCalculado(NamedTuple):
    tipo: str
    otro: str | None
    monto: Decimal


class DesgloseImpuesto(NamedTuple):
    codigo: str
    codigo_tarifa_iva: str | None
    total: Decimal


class Resumen(NamedTuple):
    """ResumenFactura, every field already rounded.

    The computed records are named tuples: as immutable as frozen dataclasses, and built
    eight times faster, which matters once per line of every document."""

    moneda: str
    tipo_cambio: Decimal
    total_serv_gravados: Decimal
    total_serv_exentos: Decimal
    total_serv_exonerado: Decimal
    total_serv_no_sujeto: Decimal
    total_mercancias_gravadas: Decimal
    total_mercancias_exentas: Decimal
    total_merc_exonerada: Decimal
    total_merc_no_sujeta: Decimal
    total_gravado: Decimal
    total_exento: Decimal
    total_exonerado: Decimal
    total_no_sujeto: Decimal
    total_venta: Decimal
    total_descuentos: Decimal
    total_venta_neta: Decimal
    desglose: tuple[DesgloseImpuesto, ...]
    total_impuesto: Decimal
    total_imp_asum_emisor_fabrica: Decimal
    total_iva_devuelto: Decimal
    total_otros_cargos: Decimal
    medios_pago: tuple[MedioCalculado, ...]
    total_comprobante: Decimal

    @property
    def total_comprobante_crc(self) -> Decimal:
        """The total in colones (TipoCambio is 1 for CRC)."""
        return round5(self.total_comprobante * self.tipo_cambio)

    def como_texto(self) -> dict[str, str]:
        """The totals the API shows (``totales``), five decimals as in the XML."""
        return {
            "gravado": fmt5(self.total_gravado),
            "exento": fmt5(self.total_exento),
            "exonerado": fmt5(self.total_exonerado),
            "no_sujeto": fmt5(self.total_no_sujeto),
            "venta": fmt5(self.total_venta),
            "descuentos": fmt5(self.total_descuentos),
            "venta_neta": fmt5(self.total_venta_neta),
            "impuesto": fmt5(self.total_impuesto),
            "otros_cargos": fmt5(self.total_otros_cargos),
            "iva_devuelto": fmt5(self.total_iva_devuelto),
            "total": fmt5(self.total_comprobante),
            "total_crc": fmt5(self.total_comprobante_crc),
        }


@dataclass(frozen=True)
class Calculo:
    """Everything the builder writes: computed lines, charges and summary."""

    lineas: tuple[LineaCalculada, ...]
    otros_cargos: tuple[CargoCalculado, ...]
    resumen: Resumen


def _descuentos(item: Item, monto_total: Decimal) -> tuple[tuple[DescuentoCalculado, ...], Decimal]:
    restante = monto_total
    calculados = []
    for descuento in item.descuentos:
        if descuento.monto is not None:
            monto = round5(descuento.monto)
        else:
            # Rules guarantee one of monto/porcentaje.
            monto = round5(restante * (descuento.porcentaje or ZERO) / CIEN)
        restante -= monto
        naturaleza = descuento.naturaleza or catalogs.CODIGOS_DESCUENTO.get(descuento.codigo, "Descuento")
        calculados.append(DescuentoCalculado(monto, descuento.codigo, descuento.codigo_otro, naturaleza))
    return tuple(calculados), monto_total - restante


def _proporcion(datos: DatosImpuestoEspecifico | None) -> Decimal | None:
    if datos is None or datos.porcentaje is None:
        return datos.proporcion if datos is not None else None
    if datos.proporcion is not None:
        return datos.proporcion
    return round5(datos.cantidad_unidad_medida * datos.porcentaje / CIEN)


def _impuesto_no_iva(impuesto: Impuesto, item: Item, subtotal: Decimal) -> ImpuestoCalculado:
    proporcion = _proporcion(impuesto.datos_especificos)
    if impuesto.codigo in catalogs.IMPUESTOS_ESPECIFICOS and impuesto.datos_especificos is not None:
        base = item.cantidad
        monto = round5(item.cantidad * impuesto.datos_especificos.impuesto_unidad)
    elif impuesto.tarifa is not None:
        base = subtotal
        monto = round5(subtotal * impuesto.tarifa / CIEN)
    else:
        base = subtotal
        monto = round5(impuesto.monto or ZERO)
    exoneracion = ZERO
    if impuesto.exoneracion is not None and impuesto.tarifa is not None:
        exoneracion = min(monto, round5(base * impuesto.exoneracion.tarifa_exonerada / CIEN))
    return ImpuestoCalculado(
        codigo=impuesto.codigo,
        codigo_otro=impuesto.codigo_otro,
        codigo_tarifa_iva=None,
        tarifa=impuesto.tarifa,
        factor=None,
        datos=impuesto.datos_especificos,
        proporcion=proporcion,
        base=base,
        monto=monto,
        exoneracion=impuesto.exoneracion,
        monto_exoneracion=exoneracion,
        monto_exportacion=impuesto.monto_exportacion,
    )


def tarifa_iva(impuesto: Impuesto) -> Decimal | None:
    """The IVA rate of a tax: the one named by its CodigoTarifaIVA, else the one given."""
    if impuesto.codigo_tarifa_iva in catalogs.TARIFAS_IVA:
        return catalogs.TARIFAS_IVA[impuesto.codigo_tarifa_iva][0]
    return impuesto.tarifa


_TARIFAS = {codigo: tarifa for codigo, (tarifa, _nombre) in catalogs.TARIFAS_IVA.items()}


def _impuesto_iva(impuesto: Impuesto, base: Decimal) -> ImpuestoCalculado:
    tarifa = _TARIFAS.get(impuesto.codigo_tarifa_iva or "", impuesto.tarifa)
    factor = impuesto.factor_calculo_iva
    if impuesto.codigo == "08" and factor is not None:
        monto = (base * factor).quantize(_QUINTO, ROUND_HALF_UP)
    else:
        monto = (base * (tarifa or ZERO) / CIEN).quantize(_QUINTO, ROUND_HALF_UP)
    exoneracion = ZERO
    if impuesto.exoneracion is not None:
        exoneracion = min(monto, round5(base * impuesto.exoneracion.tarifa_exonerada / CIEN))
    # Positional arguments: this runs once per line of every document.
    return ImpuestoCalculado(
        impuesto.codigo,
        impuesto.codigo_otro,
        impuesto.codigo_tarifa_iva,
        tarifa,
        factor,
        None,
        None,
        base,
        monto,
        impuesto.exoneracion,
        exoneracion,
        impuesto.monto_exportacion,
    )


def _buckets(
    item: Item, monto_total: Decimal, iva: ImpuestoCalculado | None
) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """(gravado, exento, exonerado, no sujeto) parts of the line's MontoTotal."""
    if item.no_sujeto:
        return ZERO, ZERO, ZERO, monto_total
    if iva is None or iva.codigo_tarifa_iva == catalogs.TARIFA_EXENTA:
        return ZERO, monto_total, ZERO, ZERO
    if iva.exoneracion is not None and iva.tarifa:
        share = min(iva.exoneracion.tarifa_exonerada / iva.tarifa, Decimal(1))
        exonerado = round5(monto_total * share)
        return monto_total - exonerado, ZERO, exonerado, ZERO
    return monto_total, ZERO, ZERO, ZERO


def calcular_linea(numero: int, item: Item) -> LineaCalculada:
    """The amounts of one line (see the module docstring for each formula)."""
    monto_total = (item.cantidad * item.precio_unitario).quantize(_QUINTO, ROUND_HALF_UP)
    if item.descuentos:
        descuentos, total_descuentos = _descuentos(item, monto_total)
        regalias = ZERO
        for descuento in descuentos:
            if descuento.codigo in catalogs.DESCUENTOS_SIN_EFECTO_EN_BASE:
                regalias += descuento.monto
    else:
        descuentos, total_descuentos, regalias = (), ZERO, ZERO
    subtotal = monto_total - total_descuentos
    base_imponible = subtotal + regalias
    if len(item.impuestos) == 1 and item.impuestos[0].codigo in catalogs.IMPUESTOS_IVA:
        # Most lines carry one IVA and nothing else: no bookkeeping of the order of taxes.
        if item.base_imponible is not None:
            base_imponible = round5(item.base_imponible)
        unico = _impuesto_iva(item.impuestos[0], base_imponible)
        return _linea(
            numero, item, monto_total, descuentos, total_descuentos, subtotal, base_imponible, (unico,), unico
        )
    calculados: list[ImpuestoCalculado | None] = [None] * len(item.impuestos)
    ivas = []
    for index, impuesto in enumerate(item.impuestos):
        if impuesto.codigo in catalogs.IMPUESTOS_IVA:
            ivas.append(index)
            continue
        calculado = _impuesto_no_iva(impuesto, item, subtotal)
        calculados[index] = calculado
        if impuesto.codigo in catalogs.IMPUESTOS_EN_BASE_IVA:
            base_imponible += calculado.monto
    if item.base_imponible is not None:
        base_imponible = round5(item.base_imponible)
    iva: ImpuestoCalculado | None = None
    for index in ivas:
        calculado = _impuesto_iva(item.impuestos[index], base_imponible)
        calculados[index] = calculado
        iva = iva or calculado
    impuestos = tuple(c for c in calculados if c is not None)
    return _linea(
        numero, item, monto_total, descuentos, total_descuentos, subtotal, base_imponible, impuestos, iva
    )


def _linea(
    numero: int,
    item: Item,
    monto_total: Decimal,
    descuentos: tuple[DescuentoCalculado, ...],
    total_descuentos: Decimal,
    subtotal: Decimal,
    base_imponible: Decimal,
    impuestos: tuple[ImpuestoCalculado, ...],
    iva: ImpuestoCalculado | None,
) -> LineaCalculada:
    asumido = round5(item.impuesto_asumido_emisor_fabrica) if item.impuesto_asumido_emisor_fabrica else ZERO
    impuesto_neto = -asumido
    for impuesto in impuestos:
        impuesto_neto += impuesto.monto - impuesto.monto_exoneracion
    gravado, exento, exonerado, no_sujeto = _buckets(item, monto_total, iva)
    # Positional arguments: this runs once per line of every document.
    return LineaCalculada(
        numero,
        item,
        es_servicio(item),
        monto_total,
        descuentos,
        total_descuentos,
        subtotal,
        base_imponible,
        impuestos,
        asumido,
        impuesto_neto,
        subtotal + impuesto_neto,
        gravado,
        exento,
        exonerado,
        no_sujeto,
    )


def desglose(lineas: Sequence[LineaCalculada]) -> tuple[DesgloseImpuesto, ...]:
    """TotalDesgloseImpuesto: tax charged per (Codigo, CodigoTarifaIVA), in order of appearance."""
    totales: dict[tuple[str, str | None], Decimal] = {}
    for linea in lineas:
        for impuesto in linea.impuestos:
            key = (impuesto.codigo, impuesto.codigo_tarifa_iva)
            totales[key] = totales.get(key, ZERO) + impuesto.monto - impuesto.monto_exoneracion
    return tuple(DesgloseImpuesto(codigo, tarifa, total) for (codigo, tarifa), total in totales.items())


def _medios(medios: Sequence[MedioPago], total: Decimal) -> tuple[MedioCalculado, ...]:
    if len(medios) == 1 and medios[0].monto is None:
        return (MedioCalculado(medios[0].tipo, medios[0].otro, total),)
    return tuple(MedioCalculado(m.tipo, m.otro, round5(m.monto or ZERO)) for m in medios)


def calcular(comprobante: ComprobanteIn) -> Calculo:
    """Compute every line, charge and total of a comprobante that passed the shape rules."""
    lineas = tuple(calcular_linea(numero, item) for numero, item in enumerate(comprobante.items, start=1))
    # [services, goods] × [gravado, exento, exonerado, no sujeto]
    buckets = [[ZERO, ZERO, ZERO, ZERO], [ZERO, ZERO, ZERO, ZERO]]
    total_descuentos = total_impuesto = total_asumido = ZERO
    for linea in lineas:
        bucket = buckets[0 if linea.servicio else 1]
        bucket[0] += linea.gravado
        bucket[1] += linea.exento
        bucket[2] += linea.exonerado
        bucket[3] += linea.no_sujeto
        total_descuentos += linea.total_descuentos
        total_impuesto += linea.impuesto_neto
        total_asumido += linea.impuesto_asumido
    (
        (serv_gravados, serv_exentos, serv_exonerado, serv_no_sujeto),
        (
            merc_gravadas,
            merc_exentas,
            merc_exonerada,
            merc_no_sujeta,
        ),
    ) = buckets
    total_gravado = serv_gravados + merc_gravadas
    total_exento = serv_exentos + merc_exentas
    total_exonerado = serv_exonerado + merc_exonerada
    total_no_sujeto = serv_no_sujeto + merc_no_sujeta
    total_venta = total_gravado + total_exento + total_exonerado + total_no_sujeto
    total_venta_neta = total_venta - total_descuentos
    cargos = tuple(
        CargoCalculado(
            cargo,
            round5(cargo.monto)
            if cargo.monto is not None
            else round5(total_venta_neta * (cargo.porcentaje or ZERO) / CIEN),
        )
        for cargo in comprobante.otros_cargos
    )
    total_otros_cargos = sum((c.monto for c in cargos), ZERO)
    total_iva_devuelto = round5(comprobante.iva_devuelto or ZERO)
    total_comprobante = total_venta_neta + total_impuesto + total_otros_cargos - total_iva_devuelto
    resumen = Resumen(
        moneda=comprobante.moneda,
        tipo_cambio=round5(comprobante.tipo_cambio if comprobante.tipo_cambio is not None else Decimal(1)),
        total_serv_gravados=serv_gravados,
        total_serv_exentos=serv_exentos,
        total_serv_exonerado=serv_exonerado,
        total_serv_no_sujeto=serv_no_sujeto,
        total_mercancias_gravadas=merc_gravadas,
        total_mercancias_exentas=merc_exentas,
        total_merc_exonerada=merc_exonerada,
        total_merc_no_sujeta=merc_no_sujeta,
        total_gravado=total_gravado,
        total_exento=total_exento,
        total_exonerado=total_exonerado,
        total_no_sujeto=total_no_sujeto,
        total_venta=total_venta,
        total_descuentos=total_descuentos,
        total_venta_neta=total_venta_neta,
        desglose=desglose(lineas),
        total_impuesto=total_impuesto,
        total_imp_asum_emisor_fabrica=total_asumido,
        total_iva_devuelto=total_iva_devuelto,
        total_otros_cargos=total_otros_cargos,
        medios_pago=_medios(comprobante.medios_pago, total_comprobante),
        total_comprobante=total_comprobante,
    )
    return Calculo(lineas=lineas, otros_cargos=cargos, resumen=resumen)
