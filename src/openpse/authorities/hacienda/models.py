"""The JSON a Costa Rican ERP sends for a comprobante electrónico v4.4, and the issuer's data.

Documents: factura (01), nota de débito (02), nota de crédito (03), tiquete (04), factura
de compra (08), factura de exportación (09) and recibo electrónico de pago (10), plus the
MensajeReceptor that accepts, partially accepts or rejects a received document. Field
names are the API's (Spanish snake_case, ``../shared/design/API.md``); each description is
the XSD annotation of the element the field fills (April-2026 revision of the v4.4 XSDs)
and names the "nota" of Hacienda's Anexos that lists its codes. Shapes and lengths are
checked here; everything that depends on more than one field (and every code list) is a
rule in :mod:`openpse.authorities.hacienda.rules`, which answers with our ``PSE-CR`` codes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from openpse.signing.canonical import check_text

XmlStr = Annotated[str, AfterValidator(check_text)]
"""Text that XML 1.0 can hold."""
Text = Annotated[XmlStr, StringConstraints(strip_whitespace=True, min_length=1)]
Amount = Annotated[Decimal, Field(allow_inf_nan=False, ge=Decimal(0), lt=Decimal("1e13"))]
"""A non-negative decimal below DecimalDineroType's maximum (13 integer digits)."""
Codigo2 = Annotated[str, StringConstraints(pattern=r"^\d{2}$")]
"""A two-digit catalogue code ("01"); whether the code exists is a rule, with its own message."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Identificacion(_Model):
    """Identificación del emisor, receptor o tercero (IdentificacionType)."""

    tipo: Codigo2 = Field(
        description="Tipo de identificación: 01 Cédula Física, 02 Cédula Jurídica, 03 DIMEX, 04 NITE, "
        "05 Extranjero No Domiciliado, 06 No Contribuyente."
    )
    numero: Text = Field(
        max_length=20,
        description="Número de identificación, el contribuyente debe estar inscrito ante la "
        "Administración Tributaria. Sin guiones: física 9 dígitos, jurídica 10, DIMEX 11 o 12, NITE 10.",
    )


class Ubicacion(_Model):
    """Ubicación (UbicacionType), con los códigos del anexo Codificacionubicacion_V4.4."""

    provincia: Annotated[str, StringConstraints(pattern=r"^\d$")] = Field(description="Provincia (1 dígito).")
    canton: Annotated[str, StringConstraints(pattern=r"^\d{2}$")] = Field(description="Cantón (2 dígitos).")
    distrito: Annotated[str, StringConstraints(pattern=r"^\d{2}$")] = Field(
        description="Distrito (2 dígitos)."
    )
    barrio: XmlStr | None = Field(
        default=None, min_length=5, max_length=50, description="Barrio o poblado (texto libre en v4.4)."
    )
    otras_senas: Text = Field(min_length=5, max_length=250, description="Otras señas.")


class Telefono(_Model):
    """Teléfono (TelefonoType)."""

    codigo_pais: Annotated[str, StringConstraints(pattern=r"^\d{1,3}$")] = Field(
        default="506", description="Código del país."
    )
    numero: Annotated[str, StringConstraints(pattern=r"^[1-9]\d{2,19}$")] = Field(
        description="Número de teléfono (solo dígitos, entero de 3 a 20 cifras)."
    )


class Emisor(_Model):
    """Emisor del documento (EmisorType).

    For our own documents this is the company (built by the caller from its stored data);
    in a factura electrónica de compra (08) it is the seller the company bought from.
    """

    nombre: Text = Field(min_length=5, max_length=100, description="Nombre o razón social.")
    identificacion: Identificacion
    registro_fiscal_8707: XmlStr | None = Field(
        default=None,
        max_length=12,
        description="Registrofiscal8707: obligatorio cuando se facturen códigos CAByS de bebidas "
        "alcohólicas según la Ley 8707 (registro de la Dirección General de Aduanas).",
    )
    nombre_comercial: XmlStr | None = Field(
        default=None, min_length=3, max_length=80, description="Nombre comercial, si se cuenta con él."
    )
    ubicacion: Ubicacion | None = Field(
        default=None, description="Ubicación; obligatoria en FE, TE, FEE y en las notas que la indiquen."
    )
    otras_senas_extranjero: XmlStr | None = Field(
        default=None,
        min_length=5,
        max_length=300,
        description="Dirección del extranjero (solo el vendedor de una factura de compra).",
    )
    telefono: Telefono | None = None
    correos: list[Annotated[XmlStr, StringConstraints(max_length=160)]] = Field(
        default_factory=list,
        max_length=4,
        description="CorreoElectronico, 1 a 4 (obligatorio salvo en notas y en el vendedor de una FEC).",
    )
    codigo_actividad: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z.]{6}$")] | None = Field(
        default=None,
        description="Código de la actividad económica inscrita (6 caracteres) a la que corresponde el "
        "comprobante (CodigoActividadEmisor).",
    )


class Receptor(_Model):
    """Receptor del documento (ReceptorType)."""

    nombre: Text = Field(min_length=3, max_length=100, description="Nombre o razón social.")
    identificacion: Identificacion | None = Field(
        default=None, description="Obligatoria en FE, FEC y REP; opcional en TE, FEE y notas."
    )
    nombre_comercial: XmlStr | None = Field(default=None, min_length=3, max_length=80)
    ubicacion: Ubicacion | None = None
    otras_senas_extranjero: XmlStr | None = Field(
        default=None, min_length=5, max_length=300, description="Dirección del extranjero, si se requiere."
    )
    telefono: Telefono | None = None
    correo: Annotated[XmlStr, StringConstraints(max_length=160)] | None = Field(
        default=None, description="Correo electrónico; obligatorio cuando el cliente lo requiera."
    )
    codigo_actividad: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z.]{6}$")] | None = Field(
        default=None,
        description="CodigoActividadReceptor: actividad económica del receptor, cuando la requiera para un "
        "crédito o gasto deducible (obligatoria en la factura de compra).",
    )


class CodigoComercial(_Model):
    """Código comercial del producto (CodigoType), nota 12."""

    tipo: Codigo2 = Field(
        description="01 del vendedor, 02 del comprador, 03 asignado por la industria, 04 de uso interno, "
        "99 otros."
    )
    codigo: Text = Field(max_length=20)


class Descuento(_Model):
    """Descuento de la línea (DescuentoType), nota 20. Cada descuento adicional se calcula sobre
    la base menos el descuento anterior."""

    monto: Amount | None = Field(default=None, description="Monto del descuento concedido.")
    porcentaje: Annotated[Decimal, Field(gt=0, le=100)] | None = Field(
        default=None, description="Alternativa a monto: porcentaje sobre el saldo de la línea (10 = 10 %)."
    )
    codigo: Codigo2 = Field(
        default="07",
        description="CodigoDescuento: 01 regalía, 02 regalía con IVA cobrado al cliente, 03 bonificación, "
        "04 volumen, 05 temporada, 06 promocional, 07 comercial (por defecto), 08 frecuencia, 09 sostenido, "
        "99 otros.",
    )
    codigo_otro: XmlStr | None = Field(
        default=None, min_length=5, max_length=100, description="Obligatorio con el código 99."
    )
    naturaleza: XmlStr | None = Field(
        default=None,
        min_length=3,
        max_length=80,
        description="Naturaleza del descuento, obligatoria si existe descuento; por defecto el nombre del "
        "código.",
    )


class DatosImpuestoEspecifico(_Model):
    """Datos para impuestos específicos no tarifarios (códigos 03, 04, 05 y 06 de la nota 8)."""

    cantidad_unidad_medida: Annotated[Decimal, Field(ge=0, lt=Decimal("1e5"))] = Field(
        description="Cantidad de la unidad de medida a utilizar (7 dígitos, 2 decimales)."
    )
    porcentaje: Annotated[Decimal, Field(ge=0, lt=100)] | None = Field(
        default=None, description="Obligatorio con el código 04 (13 = 13 %; 4 dígitos, 2 decimales)."
    )
    proporcion: Annotated[Decimal, Field(ge=0, lt=Decimal("1e5"))] | None = Field(
        default=None,
        description="Obligatorio con el código 04: cantidad de la unidad de medida × porcentaje; "
        "OpenPSE lo calcula si se omite.",
    )
    volumen_unidad_consumo: Annotated[Decimal, Field(ge=0, lt=Decimal("1e5"))] | None = Field(
        default=None, description="Obligatorio con el código 05."
    )
    impuesto_unidad: Amount = Field(description="Impuesto por unidad (códigos 03, 04, 05 y 06).")


class Exoneracion(_Model):
    """Exoneración o autorización que reduce un impuesto (ExoneracionType)."""

    tipo_documento: Codigo2 = Field(description="TipoDocumentoEX1, nota 10.1 (01–11, 99).")
    tipo_documento_otro: XmlStr | None = Field(
        default=None, min_length=5, max_length=100, description="Obligatorio con el tipo 99."
    )
    numero_documento: Text = Field(
        min_length=3, max_length=40, description="Número de documento de exoneración o autorización."
    )
    articulo: int | None = Field(
        default=None, ge=0, le=999999, description="Artículo que la establece (obligatorio para 02, 03 y 08)."
    )
    inciso: int | None = Field(
        default=None, ge=0, le=999999, description="Inciso; obligatorio cuando se indica el artículo."
    )
    nombre_institucion: Codigo2 = Field(
        description="Institución o dependencia que emitió la exoneración, nota 23 (01–12, 99)."
    )
    nombre_institucion_otros: XmlStr | None = Field(
        default=None, min_length=5, max_length=160, description="Obligatorio con la institución 99."
    )
    fecha_emision: dt.datetime = Field(description="Fecha y hora de emisión del documento de exoneración.")
    tarifa_exonerada: Annotated[Decimal, Field(ge=0, lt=100)] = Field(
        description="Tarifa exonerada en puntos porcentuales (13 exonera por completo el IVA general)."
    )


class Impuesto(_Model):
    """Impuesto de la línea (ImpuestoType), nota 8."""

    codigo: Codigo2 = Field(
        default="01",
        description="01 IVA, 02 Selectivo de Consumo, 03 único a los combustibles, 04 bebidas alcohólicas, "
        "05 bebidas envasadas sin alcohol y jabones de tocador, 06 tabaco, 07 IVA (cálculo especial), "
        "08 IVA bienes usados (factor), 12 cemento, 99 otros.",
    )
    codigo_otro: XmlStr | None = Field(
        default=None, min_length=5, max_length=100, description="CodigoImpuestoOTRO, obligatorio con 99."
    )
    codigo_tarifa_iva: Codigo2 | None = Field(
        default=None,
        description="CodigoTarifaIVA, nota 8.1 (obligatorio con el código 01): 01 0 %, 02 1 %, 03 2 %, "
        "04 4 %, 05 transitorio 0 %, 06 transitorio 4 %, 07 transitorio 8 %, 08 general 13 %, "
        "09 reducida 0.5 %, 10 exenta, 11 0 % sin derecho a crédito.",
    )
    tarifa: Annotated[Decimal, Field(ge=0, lt=100)] | None = Field(
        default=None,
        description="Tarifa en porcentaje (13 = 13 %). Para el IVA se deduce del código de tarifa; para los "
        "impuestos 02, 12 y 99 al valor es obligatoria.",
    )
    factor_calculo_iva: Annotated[Decimal, Field(gt=0, lt=10)] | None = Field(
        default=None,
        description="FactorCalculoIVA establecido por el Ministerio de Hacienda (obligatorio con el "
        "código 08).",
    )
    datos_especificos: DatosImpuestoEspecifico | None = Field(
        default=None, description="Obligatorio con los códigos 03, 04, 05 y 06."
    )
    monto: Amount | None = Field(
        default=None,
        description="Monto del impuesto: solo para el código 99 sin tarifa; en los demás casos lo calcula "
        "OpenPSE.",
    )
    monto_exportacion: Amount | None = Field(
        default=None,
        description="Uso exclusivo para exportación de mercancías que apliquen impuestos especiales "
        "(factura de exportación y sus notas).",
    )
    exoneracion: Exoneracion | None = None


class Item(_Model):
    """Línea del detalle (LineaDetalle)."""

    cabys: Annotated[str, StringConstraints(pattern=r"^\d{13}$")] | None = Field(
        default=None,
        description="CodigoCABYS (13 dígitos) del catálogo de bienes y servicios; obligatorio salvo en notas "
        "y en el recibo electrónico de pago.",
    )
    partida_arancelaria: Annotated[str, StringConstraints(pattern=r"^\d{12}$")] | None = Field(
        default=None, description="Partida arancelaria (12 dígitos), solo en exportación y sus notas."
    )
    codigos_comerciales: list[CodigoComercial] = Field(default_factory=list, max_length=5)
    cantidad: Annotated[Decimal, Field(gt=0, lt=Decimal("1e13"))] = Field(
        default=Decimal(1), description="Cantidad (13 enteros, 3 decimales)."
    )
    unidad: Text = Field(
        default="Unid",
        description="UnidadMedida (RTC 443:2010, 101 códigos sensibles a mayúsculas): Unid, Kg, L, Sp "
        "(servicios profesionales), Os (otros servicios), h...",
    )
    unidad_comercial: XmlStr | None = Field(
        default=None, max_length=20, description="Unidad de medida comercial (ej. 1 Tarima)."
    )
    tipo_transaccion: Codigo2 | None = Field(
        default=None, description="TipoTransaccion (01–13); no existe en el tiquete."
    )
    descripcion: Text = Field(
        min_length=3, max_length=200, description="Detalle de la mercancía transferida o servicio prestado."
    )
    numeros_vin_serie: list[Annotated[XmlStr, StringConstraints(max_length=17)]] = Field(
        default_factory=list, max_length=1000, description="Número de VIN o serie del medio de transporte."
    )
    registro_medicamento: XmlStr | None = Field(
        default=None, max_length=100, description="Registro del medicamento en el Ministerio de Salud."
    )
    forma_farmaceutica: XmlStr | None = Field(
        default=None, max_length=3, description="Código de la presentación del medicamento (nota 9)."
    )
    precio_unitario: Amount = Field(
        description="Precio unitario sin impuestos (5 decimales como máximo). En el REP, el monto del pago."
    )
    descuentos: list[Descuento] = Field(default_factory=list, max_length=5)
    iva_cobrado_fabrica: Codigo2 | None = Field(
        default=None,
        description="01 IVA cobrado a nivel de fábrica (la base imponible se puede indicar), 02 exento "
        "por el sistema especial (sin impuesto IVA en la línea).",
    )
    base_imponible: Amount | None = Field(
        default=None,
        description="Solo editable con IVA cobrado a nivel de fábrica 01 o con el impuesto 07; si no, "
        "OpenPSE la calcula (subtotal más los impuestos 02, 04, 05 y 12).",
    )
    impuestos: list[Impuesto] = Field(default_factory=list, max_length=1000)
    impuesto_asumido_emisor_fabrica: Amount | None = Field(
        default=None, description="Impuestos asumidos por el emisor o cobrados a nivel de fábrica."
    )
    no_sujeto: bool = Field(
        default=False,
        description="El CAByS de la línea es no sujeto de IVA (totales TotalServNoSujeto/TotalMercNoSujeta).",
    )


class MedioPago(_Model):
    """Medio de pago (ResumenFactura/MedioPago), nota 6."""

    tipo: Codigo2 = Field(
        default="01",
        description="01 efectivo, 02 tarjeta, 03 cheque, 04 transferencia, 05 recaudado por terceros, "
        "06 SINPE Móvil, 07 plataforma digital, 99 otros.",
    )
    otro: XmlStr | None = Field(default=None, min_length=3, max_length=100, description="Obligatorio con 99.")
    monto: Amount | None = Field(
        default=None,
        description="TotalMedioPago; obligatorio cuando se usa más de un medio de pago (con uno solo es el "
        "total del comprobante).",
    )


class Tercero(_Model):
    """Tercero a cuyo favor se cobra un cargo (OtrosCargos/IdentificacionTercero y NombreTercero)."""

    identificacion: Identificacion
    nombre: Text = Field(min_length=5, max_length=100)


class OtroCargo(_Model):
    """Otro cargo del comprobante (OtrosCargosType), nota 16."""

    tipo_documento: Codigo2 = Field(
        description="01 contribución parafiscal, 02 timbre Cruz Roja, 03 timbre Bomberos, 04 cobro de un "
        "tercero, 05 costos de exportación, 06 impuesto de servicio 10 %, 07 timbre de colegios "
        "profesionales, 08 depósitos de garantía, 09 multas, 10 intereses moratorios, 99 otros."
    )
    tipo_documento_otros: XmlStr | None = Field(
        default=None, min_length=5, max_length=100, description="Obligatorio con el tipo 99."
    )
    tercero: Tercero | None = Field(
        default=None, description="Obligatorio con el tipo 04 (cobro de un tercero)."
    )
    detalle: Text = Field(max_length=160, description="Detalle del cargo.")
    porcentaje: Annotated[Decimal, Field(gt=0, le=100)] | None = Field(
        default=None,
        description="Porcentaje del cargo sobre la venta neta; si no se indica el monto, OpenPSE lo calcula.",
    )
    monto: Amount | None = Field(default=None, description="Monto del cargo.")


class Referencia(_Model):
    """Información de referencia (InformacionReferencia), notas 9 y 10."""

    tipo_documento: Codigo2 = Field(
        description="TipoDocIR (nota 10): 01 FE, 02 ND, 03 NC, 04 TE, ... 99 otros."
    )
    tipo_documento_otro: XmlStr | None = Field(
        default=None, min_length=5, max_length=100, description="Obligatorio con el tipo 99."
    )
    numero: XmlStr | None = Field(
        default=None,
        max_length=50,
        description="Clave del comprobante electrónico (50 caracteres) o consecutivo del documento referido.",
    )
    fecha_emision: dt.datetime = Field(description="Fecha de emisión del documento de referencia.")
    codigo: Codigo2 | None = Field(
        default=None,
        description="CodigoReferencia (nota 9): 01 anula, 02 corrige texto, 04 referencia, 05 sustituye "
        "contingencia, 06 devolución, 07 sustituye, ... 17 pago (REP), 99 otros. Obligatorio en notas.",
    )
    codigo_otro: XmlStr | None = Field(
        default=None, min_length=5, max_length=100, description="Obligatorio con el código 99."
    )
    razon: XmlStr | None = Field(default=None, max_length=180, description="Razón de referencia.")


class OtroTexto(_Model):
    """Elemento Otros/OtroTexto (texto libre de hasta 500 caracteres, con atributo codigo opcional)."""

    texto: Text = Field(max_length=500)
    codigo: XmlStr | None = Field(default=None, max_length=100)


class TotalesDeclarados(_Model):
    """Totales que calculó el ERP: OpenPSE los compara con los suyos y rechaza diferencias."""

    total_venta: Amount | None = None
    total_descuentos: Amount | None = None
    total_venta_neta: Amount | None = None
    total_impuesto: Amount | None = None
    total_otros_cargos: Amount | None = None
    total_comprobante: Amount | None = None


TipoComprobante = Literal["01", "02", "03", "04", "08", "09", "10"]


class ComprobanteIn(_Model):
    """Comprobante electrónico v4.4 que OpenPSE construye, firma y envía."""

    tipo: TipoComprobante = Field(
        description="01 factura, 02 nota de débito, 03 nota de crédito, 04 tiquete, 08 factura de compra, "
        "09 factura de exportación, 10 recibo electrónico de pago."
    )
    sucursal: int = Field(default=1, ge=1, le=999, description="Casa matriz 1; sucursales 2–999.")
    terminal: int = Field(default=1, ge=1, le=99999, description="Terminal o punto de venta (1–99999).")
    numero: int | None = Field(
        default=None,
        ge=1,
        le=9_999_999_999,
        description="Número del consecutivo; si se omite, OpenPSE asigna.",
    )
    fecha_emision: dt.datetime | None = Field(
        default=None, description="Fecha y hora de emisión; por defecto ahora (hora de Costa Rica)."
    )
    situacion: Literal["1", "2", "3"] = Field(
        default="1", description="Situación del comprobante: 1 normal, 2 contingencia, 3 sin internet."
    )
    codigo_actividad: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z.]{6}$")] | None = Field(
        default=None,
        description="Actividad económica del emisor para este comprobante; por defecto la de la empresa.",
    )
    receptor: Receptor | None = None
    proveedor: Emisor | None = Field(
        default=None,
        description="Solo factura de compra (08): el vendedor, que figura como Emisor en el XML; la empresa "
        "figura como Receptor y firma el comprobante.",
    )
    condicion_venta: Codigo2 = Field(default="01", description="Nota 5: 01 contado, 02 crédito, ...")
    condicion_venta_otros: XmlStr | None = Field(
        default=None, min_length=5, max_length=100, description="Obligatorio con la condición 99."
    )
    plazo_credito: int | None = Field(
        default=None,
        ge=1,
        le=99999,
        description="Plazo del crédito en días; obligatorio en ventas a crédito.",
    )
    moneda: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = Field(
        default="CRC", description="CodigoMoneda ISO 4217."
    )
    tipo_cambio: Annotated[Decimal, Field(gt=0, lt=Decimal("1e13"))] | None = Field(
        default=None, description="Tipo de cambio a colones; obligatorio si la moneda no es CRC."
    )
    medios_pago: list[MedioPago] = Field(default_factory=list, max_length=4)
    items: list[Item] = Field(min_length=1, max_length=1000)
    otros_cargos: list[OtroCargo] = Field(default_factory=list, max_length=15)
    iva_devuelto: Amount | None = Field(
        default=None,
        description="TotalIVADevuelto: IVA devuelto al consumidor (servicios de salud pagados con tarjeta).",
    )
    referencias: list[Referencia] = Field(
        default_factory=list, max_length=10, description="Obligatoria al menos una en notas, FEC y REP."
    )
    otros: list[OtroTexto] = Field(default_factory=list, max_length=100, description="Otros/OtroTexto.")
    totales: TotalesDeclarados | None = Field(
        default=None, description="Totales calculados por el ERP, para verificación."
    )


class MensajeReceptorIn(_Model):
    """Aceptación (1), aceptación parcial (2) o rechazo (3) de un comprobante recibido."""

    clave: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{50}$")] = Field(
        description="Clave del comprobante recibido."
    )
    numero_cedula_emisor: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{1,20}$")] = Field(
        description="Identificación del vendedor que emitió el comprobante."
    )
    tipo_identificacion_emisor: Codigo2 | None = Field(
        default=None,
        description="Tipo de identificación del vendedor (01–06): no va en el XML, pero el API de "
        "recepción lo pide en «emisor».",
    )
    mensaje: Literal[1, 2, 3] = Field(description="1 aceptado, 2 aceptado parcialmente, 3 rechazado.")
    detalle_mensaje: XmlStr | None = Field(default=None, max_length=160, description="Detalle del mensaje.")
    monto_total_impuesto: Amount | None = Field(
        default=None, description="Monto total del impuesto del comprobante, obligatorio si tiene impuesto."
    )
    codigo_actividad: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z.]{6}$")] | None = Field(
        default=None, description="Actividad económica del receptor a la que se aplica el gasto."
    )
    condicion_impuesto: Codigo2 | None = Field(
        default=None,
        description="01 general crédito IVA, 02 crédito parcial, 03 bienes de capital, 04 gasto corriente "
        "que no genera crédito, 05 proporcionalidad.",
    )
    monto_total_impuesto_acreditar: Amount | None = Field(
        default=None,
        description="Impuesto a acreditar; por defecto todo el impuesto con las condiciones 01 y 03.",
    )
    monto_total_gasto_aplicable: Amount | None = Field(
        default=None, description="Gasto a aplicar; por defecto el total de la factura con la condición 04."
    )
    total_factura: Amount = Field(description="Monto total del comprobante recibido.")
    sucursal: int = Field(default=1, ge=1, le=999)
    terminal: int = Field(default=1, ge=1, le=99999)
    numero: int | None = Field(
        default=None, ge=1, le=9_999_999_999, description="Número del consecutivo del mensaje."
    )
    fecha_emision: dt.datetime | None = Field(
        default=None, description="Fecha de emisión de la confirmación; por defecto ahora."
    )
