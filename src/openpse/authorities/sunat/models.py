"""The JSON a Peruvian ERP sends to ``POST /v1/comprobantes``: factura (01), boleta (03),
nota de crédito (07) and nota de débito (08).

Field names are the API's (``../shared/design/API.md``); each docstring gives the meaning
in SUNAT's words and the catalogue that governs the value. Amounts and quantities are
decimals (strings or numbers on input, strings on output), never floats.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from openpse.signing.canonical import check_text

XmlStr = Annotated[str, AfterValidator(check_text)]
"""Text that XML 1.0 can hold (no control characters other than tab and line breaks)."""
Text = Annotated[XmlStr, StringConstraints(strip_whitespace=True, min_length=1)]
Amount = Annotated[Decimal, Field(allow_inf_nan=False, gt=Decimal("-1e15"), lt=Decimal("1e15"))]
"""A decimal; SUNAT's formats (12 integers, 2 or 10 decimals) are checked by the rules, with SUNAT's codes."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Cliente(_Model):
    """Adquirente o usuario (cac:AccountingCustomerParty)."""

    tipo_documento: Text = Field(
        description="Tipo de documento de identidad, catálogo 06: 6 RUC, 1 DNI, 4 carné de extranjería, "
        "7 pasaporte, 0 sin documento (boletas, exportación)."
    )
    numero_documento: Text = Field(max_length=15, description="Número de documento de identidad.")
    razon_social: Text = Field(
        max_length=1500, description="Apellidos y nombres, denominación o razón social."
    )
    direccion: XmlStr | None = Field(
        default=None, max_length=200, description="Dirección completa y detallada."
    )
    email: XmlStr | None = Field(
        default=None, max_length=320, description="Correo del adquirente (opcional)."
    )


class Ajuste(_Model):
    """Descuento o cargo (cac:AllowanceCharge, catálogo 53): un monto, o un porcentaje de una base."""

    codigo: Text | None = Field(
        default=None,
        description="Catálogo 53. Por ítem: 00 descuento que afecta la base del IGV (por defecto), 01 que no "
        "la afecta, 47/48 cargos. Global: 02 descuento que afecta la base (por defecto), 03 que no; "
        "49 cargo que afecta la base, 50 que no (por defecto), 45 FISE, 46 recargo al consumo.",
    )
    monto: Amount | None = Field(default=None, description="Importe del descuento o cargo.")
    porcentaje: Amount | None = Field(default=None, description="Porcentaje sobre la base (10 = 10 %).")
    base: Amount | None = Field(
        default=None, description="Base del porcentaje; por defecto la que SUNAT valida."
    )


class Isc(_Model):
    """Impuesto selectivo al consumo de la línea (catálogo 08)."""

    sistema: Text = Field(description="01 al valor, 02 monto fijo, 03 precio de venta al público.")
    tasa: Amount = Field(description="Porcentaje (01 y 03) o monto fijo por unidad (02).")
    precio_sugerido: Amount | None = Field(
        default=None, description="Precio de venta al público (sistema 03)."
    )


class OtrosTributos(_Model):
    """Otros tributos de la línea (código 9999 del catálogo 05), como porcentaje de una base."""

    tasa: Amount = Field(description="Porcentaje del tributo (p. ej. 10 = 10 %).")
    base: Amount | None = Field(
        default=None, description="Base imponible; por defecto el valor de venta de la línea."
    )


class Icbper(_Model):
    """Impuesto al consumo de las bolsas de plástico (tributo 7152)."""

    cantidad: int | None = Field(default=None, ge=0, le=99999, description="Bolsas; por defecto la cantidad.")


Ubigeo = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{6}$")]
"""Código de ubigeo del INEI (catálogo 13): seis dígitos."""


class RecursosHidrobiologicos(_Model):
    """Detracción por recursos hidrobiológicos (operación 1002): propiedades del ítem 3001–3006 del
    catálogo 55, obligatorias en cada línea (errores 3063, 3130–3134)."""

    matricula_embarcacion: Text = Field(
        max_length=15, description="Matrícula de la embarcación pesquera (3001)."
    )
    nombre_embarcacion: Text = Field(max_length=100, description="Nombre de la embarcación pesquera (3002).")
    especie: Text = Field(max_length=150, description="Tipo de especie vendida (3003).")
    lugar_descarga: Text = Field(max_length=100, description="Lugar de descarga (3004).")
    fecha_descarga: dt.date = Field(description="Fecha de descarga (3005).")
    cantidad_especie: Amount = Field(
        description="Cantidad de la especie vendida en toneladas métricas (3006, hasta 2 decimales)."
    )


class Punto(_Model):
    """Punto de origen o destino de un servicio de transporte de carga."""

    ubigeo: Ubigeo = Field(description="Código de ubigeo (catálogo 13).")
    # 4 characters: SUNAT's boleta sheet observes (4236) an origin of fewer.
    direccion: Text = Field(
        min_length=4, max_length=200, description="Dirección detallada (4 a 200 caracteres)."
    )


class TransporteCarga(_Model):
    """Detracción por servicio de transporte de bienes por vía terrestre (operación 1004): el
    cac:Delivery de cada línea (errores 3116–3126 de SUNAT)."""

    origen: Punto = Field(description="Punto de origen del viaje (3116, 3117).")
    destino: Punto = Field(description="Punto de destino del viaje (3118, 3119).")
    detalle_viaje: Text = Field(
        min_length=4,
        max_length=500,
        description="Detalle del viaje (3120), de 4 a 500 caracteres y sin saltos de línea.",
    )
    valor_referencial_servicio: Amount = Field(
        description="Valor referencial del servicio de transporte, en soles (tipo 01; 3124, 3122, 3123)."
    )
    valor_referencial_carga_efectiva: Amount = Field(
        description="Valor referencial sobre la carga efectiva, en soles (tipo 02; 3125)."
    )
    valor_referencial_carga_util: Amount = Field(
        description="Valor referencial sobre la carga útil nominal, en soles (tipo 03; 3126)."
    )
    configuracion_vehicular: XmlStr | None = Field(
        default=None,
        pattern=r"^\S.{0,14}$",
        description="Configuración vehicular del D.S. 058-2003-MTC (p. ej. T3S3), hasta 15 caracteres.",
    )
    carga_util: Amount | None = Field(
        default=None, description="Carga útil del vehículo en toneladas métricas (hasta 2 decimales)."
    )
    carga_efectiva: Amount | None = Field(
        default=None, description="Carga efectiva del vehículo en toneladas métricas (hasta 2 decimales)."
    )


class CartaPorteAereo(_Model):
    """Operación 0301 (carta de porte aéreo emitida en el ámbito nacional): origen y destino del
    envío en cada línea, propiedades 4030–4033 del catálogo 55 (errores 3168–3171)."""

    origen: Punto = Field(description="Lugar de origen: ubigeo (4030) y dirección detallada (4031).")
    destino: Punto = Field(description="Lugar de destino: ubigeo (4032) y dirección detallada (4033).")


class CreditoFinanciero(_Model):
    """Operaciones 2100–2102 (créditos a empresas y de consumo): datos del crédito de la línea,
    propiedades 7004, 7005 y 7012 del catálogo 55; al menos una línea los lleva (error 3241)."""

    numero_contrato: Text = Field(
        min_length=3, max_length=50, description="Número de contrato del crédito (7004), 3 a 50 caracteres."
    )
    fecha_otorgamiento: dt.date = Field(description="Fecha de otorgamiento del crédito (7005).")
    monto_capital: Amount = Field(
        description="Monto del crédito otorgado, el capital (7012): mayor que cero, hasta 2 decimales."
    )


class Seguro(_Model):
    """Operación 2104 (operaciones no gravadas de empresas del sistema de seguros): datos de la
    póliza, propiedades 7013–7016 del catálogo 55; al menos una línea los lleva (error 3242)."""

    tipo_seguro: Literal["1", "2", "3"] = Field(
        description="Tipo de seguro (7015): 1 y 2 exigen póliza, vigencia y suma asegurada (2898); "
        "3 (otros), la póliza (2899)."
    )
    numero_poliza: Text | None = Field(default=None, max_length=50, description="Número de póliza (7013).")
    vigencia_inicio: dt.date | None = Field(
        default=None, description="Inicio de la vigencia de cobertura (7014)."
    )
    vigencia_fin: dt.date | None = Field(
        default=None, description="Término de la vigencia de cobertura (7014)."
    )
    suma_asegurada: Amount | None = Field(
        default=None, description="Suma asegurada, alcance de cobertura o monto (7016), hasta 2 decimales."
    )


class Afp(_Model):
    """Operación 2105 (comprobante emitido por una AFP, solo boletas): propiedades 7017–7019 del
    catálogo 55; al menos una línea las lleva (errores 2595–2597)."""

    cuspp: XmlStr = Field(
        pattern=r"^[0-9A-Za-z]{1,12}$",
        description="Código único de identificación del SPP (7017): hasta 12 letras y dígitos.",
    )
    periodo: XmlStr = Field(
        pattern=r"^20\d\d-(0[1-9]|1[012])$", description="Periodo del aporte, AAAA-MM (7018)."
    )
    interes_moratorio: Amount = Field(
        description="Monto del interés moratorio de las comisiones (7019), hasta 2 decimales."
    )


class Item(_Model):
    """Línea del comprobante (cac:InvoiceLine, CreditNoteLine o DebitNoteLine)."""

    codigo: XmlStr | None = Field(default=None, max_length=30, description="Código del producto del emisor.")
    descripcion: Text = Field(max_length=500, description="Descripción detallada del bien o servicio.")
    unidad: Text = Field(
        default="NIU", description="Unidad de medida, catálogo 03 (UN/ECE rec 20): NIU, ZZ, KGM..."
    )
    cantidad: Amount = Field(description="Cantidad de unidades (mayor que cero, hasta 10 decimales).")
    valor_unitario: Amount | None = Field(
        default=None, description="Valor unitario sin impuestos (cac:Price/cbc:PriceAmount)."
    )
    precio_unitario: Amount | None = Field(
        default=None, description="Precio unitario con impuestos; alternativa a valor_unitario."
    )
    valor_referencial: Amount | None = Field(
        default=None,
        description="Valor referencial unitario de una transferencia gratuita (PricingReference tipo 02).",
    )
    afectacion_igv: Text = Field(
        default="10",
        description="Afectación al IGV, catálogo 07: 10 gravado, 11–16 gravado gratuito, 17 IVAP, "
        "20 exonerado, 21 exonerado gratuito, 30 inafecto, 31–37 inafecto gratuito, 40 exportación.",
    )
    descuento: Amount | Ajuste | None = Field(
        default=None, description="Descuento de la línea: un monto (código 00) o un objeto Ajuste."
    )
    cargo: Amount | Ajuste | None = Field(
        default=None, description="Cargo de la línea: un monto (47) o un Ajuste."
    )
    isc: Isc | None = None
    icbper: Icbper | None = Field(default=None, description="Bolsas de plástico gravadas con ICBPER.")
    otros_tributos: OtrosTributos | None = Field(default=None, description="Otros tributos (9999).")
    codigo_producto_sunat: XmlStr | None = Field(
        default=None, pattern=r"^\d{8}$", description="Código de producto SUNAT (UNSPSC, catálogo 25)."
    )
    recursos_hidrobiologicos: RecursosHidrobiologicos | None = Field(
        default=None, description="Datos de la pesca vendida; obligatorio en cada línea de la operación 1002."
    )
    transporte_carga: TransporteCarga | None = Field(
        default=None, description="Datos del viaje; obligatorio en cada línea de la operación 1004."
    )
    carta_porte_aereo: CartaPorteAereo | None = Field(
        default=None,
        description="Origen y destino del envío; obligatorio en cada línea de la operación 0301.",
    )
    credito: CreditoFinanciero | None = Field(
        default=None, description="Datos del crédito (operaciones 2100–2102; al menos una línea)."
    )
    seguro: Seguro | None = Field(
        default=None, description="Datos de la póliza (operación 2104; al menos una línea)."
    )
    afp: Afp | None = Field(
        default=None, description="Datos del aporte (operación 2105; al menos una línea)."
    )


class Cuota(_Model):
    """Cuota de una venta al crédito (cac:PaymentTerms CuotaNNN)."""

    monto: Amount = Field(description="Monto de la cuota.")
    fecha_pago: dt.date = Field(description="Fecha de vencimiento de la cuota (posterior a la emisión).")


class FormaPago(_Model):
    """Forma de pago (cac:PaymentTerms con ID FormaPago), obligatoria en facturas desde 2022."""

    tipo: Literal["Contado", "Credito"] = "Contado"
    monto_pendiente: Amount | None = Field(
        default=None, description="Monto neto pendiente de pago (crédito); por defecto el importe total."
    )
    cuotas: list[Cuota] = Field(default_factory=list, max_length=999)


class DocumentoAfectado(_Model):
    """Comprobante que modifica una nota (cac:BillingReference/cac:InvoiceDocumentReference)."""

    tipo: Text = Field(description="Catálogo 01: 01 factura, 03 boleta.")
    serie: Text
    numero: int = Field(ge=1, le=99999999)


class Motivo(_Model):
    """Motivo de la nota (cac:DiscrepancyResponse)."""

    codigo: Text = Field(description="Catálogo 09 (nota de crédito) o 10 (nota de débito).")
    descripcion: Text = Field(max_length=500, description="Sustento de la nota.")


class Leyenda(_Model):
    codigo: Text = Field(description="Catálogo 52.")
    descripcion: Text = Field(max_length=200)


class Detraccion(_Model):
    """Sistema de pago de obligaciones tributarias (SPOT): operaciones 1001–1004 del catálogo 51.

    Se escribe como cac:PaymentMeans (cuenta en el Banco de la Nación) y cac:PaymentTerms
    (bien o servicio, porcentaje y monto en soles), con la leyenda 2006.
    """

    codigo: Text = Field(
        description="Bien o servicio sujeto a detracción, catálogo 54 (p. ej. 037 demás servicios gravados, "
        "027 transporte de carga, 028 transporte de pasajeros, 004 recursos hidrobiológicos)."
    )
    cuenta: Text = Field(
        max_length=100, description="Número de cuenta de detracciones en el Banco de la Nación."
    )
    porcentaje: Amount = Field(
        description="Porcentaje de detracción vigente para el bien o servicio (p. ej. 12 para 037). SUNAT no "
        "lo valida y sus tablas cambian por resolución, por eso OpenPSE no lo supone."
    )
    monto: Amount | None = Field(
        default=None,
        description="Monto de la detracción en soles; por defecto el importe total por el porcentaje "
        "(obligatorio si el comprobante no está en soles).",
    )
    medio_pago: Text = Field(
        default="001", description="Medio de pago, catálogo 59 (001 depósito en cuenta)."
    )


class Percepcion(_Model):
    """Percepción del IGV (operación 2001 del catálogo 51), siempre en soles y solo al contado."""

    codigo: Text = Field(
        default="51",
        description="Régimen, catálogo 53: 51 venta interna (2 %), 52 adquisición de combustible (1 %), "
        "53 agente de percepción con tasa especial (0.5 %).",
    )
    base: Amount | None = Field(
        default=None, description="Base imponible de la percepción en soles; por defecto el importe total."
    )
    monto: Amount | None = Field(
        default=None, description="Monto percibido; por defecto base × tasa del régimen."
    )


class Anticipo(_Model):
    """Anticipo recibido antes y deducido en este comprobante (cac:PrepaidPayment)."""

    tipo: Text = Field(
        default="02",
        description="Catálogo 12: 02 factura emitida por anticipos, 03 boleta emitida por anticipos.",
    )
    serie: Text = Field(description="Serie del comprobante del anticipo.")
    numero: int = Field(ge=1, le=99999999, description="Número del comprobante del anticipo.")
    ruc_emisor: XmlStr | None = Field(
        default=None, description="RUC del emisor del anticipo; por defecto el de la empresa."
    )
    monto: Amount = Field(description="Importe total del anticipo (con impuestos), cbc:PaidAmount.")
    afectacion: Literal["gravado", "exonerado", "inafecto"] = Field(
        default="gravado",
        description="Cómo se gravó el anticipo: descuento global 04 (gravado), 05 (exonerado) "
        "o 06 (inafecto).",
    )
    valor: Amount | None = Field(
        default=None,
        description="Valor del anticipo sin IGV que se descuenta de la base; por defecto monto / (1 + tasa) "
        "si es gravado, o el monto.",
    )


class GuiaRelacionada(_Model):
    """Guía de remisión relacionada (cac:DespatchDocumentReference)."""

    tipo: Literal["09", "31"] = Field(default="09", description="09 guía remitente, 31 guía transportista.")
    serie: Text
    numero: int = Field(ge=1, le=99999999)


class DocumentoRelacionado(_Model):
    """Otro documento relacionado con la operación (cac:AdditionalDocumentReference)."""

    tipo: Text = Field(description="Catálogo 12: 04 ticket de salida ENAPU, 05 código SCOP, 99 otros...")
    numero: Text = Field(max_length=30, description="Número del documento, sin espacios.")


class VentaItinerante(_Model):
    """Lugar donde se entrega el bien en una venta itinerante (cac:Delivery/cac:DeliveryLocation).

    OpenPSE agrega la leyenda 2005 "Venta realizada por emisor itinerante" (4266).
    """

    direccion: Text = Field(min_length=3, max_length=200, description="Dirección completa y detallada.")
    ubigeo: Ubigeo | None = Field(default=None, description="Código de ubigeo (catálogo 13).")
    # 2 to 25 characters: SUNAT's boleta sheet observes (4238) a single one.
    urbanizacion: Text | None = Field(default=None, min_length=2, max_length=25)
    provincia: Text | None = Field(default=None, max_length=30)
    departamento: Text | None = Field(default=None, max_length=30)
    distrito: Text | None = Field(default=None, max_length=30)


class TotalesDeclarados(_Model):
    """Totales que el ERP calculó: se comparan con los de OpenPSE (tolerancia ±1 como SUNAT)."""

    gravado: Amount | None = None
    exonerado: Amount | None = None
    inafecto: Amount | None = None
    exportacion: Amount | None = None
    gratuito: Amount | None = None
    igv: Amount | None = None
    isc: Amount | None = None
    icbper: Amount | None = None
    otros_tributos: Amount | None = None
    anticipos: Amount | None = None
    total: Amount | None = None


class ComprobanteIn(_Model):
    """Factura (01), boleta (03), nota de crédito (07) o de débito (08): UBL 2.1, versión 2.0 de SUNAT."""

    tipo: Text = Field(description="Tipo de comprobante, catálogo 01: 01 factura, 03 boleta, 07 y 08 notas.")
    serie: Text = Field(
        description="Serie: F + 3 alfanuméricos (facturas y sus notas), B + 3 (boletas y sus notas)."
    )
    numero: int | None = Field(
        default=None, ge=1, le=99999999, description="Correlativo; si se omite, OpenPSE asigna el siguiente."
    )
    fecha_emision: dt.date | None = Field(
        default=None, description="Fecha de emisión; por defecto hoy (Lima)."
    )
    hora_emision: dt.time | None = Field(
        default=None, description="Hora de emisión; por defecto ahora (Lima)."
    )
    fecha_vencimiento: dt.date | None = Field(default=None, description="Fecha de vencimiento (cbc:DueDate).")
    moneda: Text = Field(default="PEN", description="Moneda, catálogo 02 (ISO 4217): PEN, USD...")
    tipo_operacion: Text = Field(
        default="0101", description="Tipo de operación, catálogo 51: 0101 venta interna, 0200 exportación..."
    )
    porcentaje_igv: Amount | None = Field(
        default=None, description="Tasa del IGV: 18 (por defecto) o 10.5 (MYPE del padrón de SUNAT)."
    )
    cliente: Cliente
    items: list[Item] = Field(min_length=1, max_length=5000)
    descuentos_globales: list[Ajuste] = Field(default_factory=list, max_length=10)
    cargos: list[Ajuste] = Field(default_factory=list, max_length=10)
    forma_pago: FormaPago | None = Field(
        default=None, description="Contado por defecto en facturas; en notas de crédito solo con motivo 13."
    )
    documento_afectado: DocumentoAfectado | None = Field(default=None, description="Solo notas (07, 08).")
    motivo: Motivo | None = Field(default=None, description="Solo notas (07, 08).")
    detraccion: Detraccion | None = Field(
        default=None, description="Operaciones 1001–1004 (facturas y boletas)."
    )
    percepcion: Percepcion | None = Field(default=None, description="Operación 2001, al contado.")
    venta_itinerante: VentaItinerante | None = Field(
        default=None, description="Venta itinerante: dirección donde se entrega el bien (facturas y boletas)."
    )
    anticipos: list[Anticipo] = Field(
        default_factory=list, max_length=99, description="Anticipos que este comprobante deduce."
    )
    guias: list[GuiaRelacionada] = Field(
        default_factory=list, max_length=50, description="Guías de remisión."
    )
    documentos_relacionados: list[DocumentoRelacionado] = Field(default_factory=list, max_length=50)
    leyendas: list[Leyenda] = Field(default_factory=list, max_length=10, description="Leyendas adicionales.")
    observaciones: XmlStr | None = Field(default=None, max_length=1000)
    orden_compra: XmlStr | None = Field(default=None, max_length=20, description="Número de orden de compra.")
    totales: TotalesDeclarados | None = Field(
        default=None, description="Totales calculados por el ERP, para verificación."
    )
