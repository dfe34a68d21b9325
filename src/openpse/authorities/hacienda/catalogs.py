"""Hacienda's v4.4 code tables ("notas" of the Anexos y Estructuras), as the XSDs enumerate them.

The names are the XSD annotations of the April-2026 revision (``FacturaElectronica_V4.4.xsd``,
``ReciboElectronicoPago_V4.4.xsd``, ``MensajeReceptor_V4.4.xsd``); the test suite checks
every table here against the enumerations of those files. The long lists (units of measure,
ISO 4217 currencies, the province/canton/district codes of ``Codificacionubicacion_V4.4``
and the pharmaceutical forms of nota 9) live in ``data/catalogos.json``, generated from the
official files by ``tests/hacienda/hacienda_catalog_source.py``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

TIPOS_COMPROBANTE = {
    "01": "Factura electrónica",
    "02": "Nota de débito electrónica",
    "03": "Nota de crédito electrónica",
    "04": "Tiquete electrónico",
    "05": "Confirmación de aceptación del comprobante electrónico",
    "06": "Confirmación de aceptación parcial del comprobante electrónico",
    "07": "Confirmación de rechazo del comprobante electrónico",
    "08": "Factura electrónica de compra",
    "09": "Factura electrónica de exportación",
    "10": "Recibo electrónico de pago",
}
"""Códigos del tipo de comprobante en el consecutivo (nota 3; 10 added by the v4.4 bitácora)."""

TIPOS_IDENTIFICACION = {
    "01": "Cédula física",
    "02": "Cédula jurídica",
    "03": "DIMEX",
    "04": "NITE",
    "05": "Extranjero no domiciliado",
    "06": "No contribuyente",
}

SITUACIONES = {"1": "Normal", "2": "Contingencia", "3": "Sin internet"}
"""Situación del comprobante, posición 42 de la clave (reference §3.2)."""

CONDICIONES_VENTA = {
    "01": "Contado",
    "02": "Crédito",
    "03": "Consignación",
    "04": "Apartado",
    "05": "Arrendamiento con opción de compra",
    "06": "Arrendamiento en función financiera",
    "07": "Cobro a favor de un tercero",
    "08": "Servicios prestados al Estado a crédito",
    "09": "Pago del servicio prestado al Estado",
    "10": "Venta a crédito en IVA hasta 90 días (Artículo 27, LIVA)",
    "11": "Pago de venta a crédito en IVA hasta 90 días",
    "12": "Venta mercancía no nacionalizada",
    "13": "Venta bienes usados no contribuyente",
    "14": "Arrendamiento operativo",
    "15": "Arrendamiento financiero",
    "99": "Otros",
}
"""Nota 5. Each document type admits a subset (see :data:`CONDICIONES_POR_TIPO`)."""

_CONDICIONES_FE = frozenset(
    {"01", "02", "03", "04", "05", "06", "07", "08", "10", "12", "13", "14", "15", "99"}
)
CONDICIONES_POR_TIPO: dict[str, frozenset[str]] = {
    "01": _CONDICIONES_FE,
    # Notes may pay a state service or a 90-day IVA credit (09/11 in their XSDs).
    "02": _CONDICIONES_FE | {"09", "11"},
    "03": _CONDICIONES_FE | {"09", "11"},
    # Tiquete, compra and exportación drop "12 mercancía no nacionalizada".
    "04": _CONDICIONES_FE - {"12"},
    "08": _CONDICIONES_FE - {"12"},
    "09": _CONDICIONES_FE - {"12"},
    # The REP only records the payment of a state service (09) or of a 90-day IVA credit (11).
    "10": frozenset({"09", "11"}),
}
CONDICIONES_CREDITO = frozenset({"02", "08", "10"})
"""Sales on credit: PlazoCredito "es obligatorio cuando la venta ... sea a crédito"."""

MEDIOS_PAGO = {
    "01": "Efectivo",
    "02": "Tarjeta",
    "03": "Cheque",
    "04": "Transferencia - depósito bancario",
    "05": "Recaudado por terceros",
    "06": "SINPE MÓVIL",
    "07": "Plataforma digital",
    "99": "Otros",
}
"""Nota 6."""

CODIGOS_COMERCIALES = {
    "01": "Código del producto del vendedor",
    "02": "Código del producto del comprador",
    "03": "Código del producto asignado por la industria",
    "04": "Código de uso interno",
    "99": "Otros",
}
"""Nota 12 (CodigoComercial/Tipo)."""

TIPOS_TRANSACCION = {
    "01": "Venta normal de bienes y servicios (transacción general)",
    "02": "Mercancía de autoconsumo exento",
    "03": "Mercancía de autoconsumo gravado",
    "04": "Servicio de autoconsumo exento",
    "05": "Servicio de autoconsumo gravado",
    "06": "Cuota de afiliación",
    "07": "Cuota de afiliación exenta",
    "08": "Bienes de capital para el emisor",
    "09": "Bienes de capital para el receptor",
    "10": "Bienes de capital para el emisor y el receptor",
    "11": "Bienes de capital de autoconsumo exento para el emisor",
    "12": "Bienes de capital sin contraprestación a terceros exento para el emisor",
    "13": "Sin contraprestación a terceros",
}

CODIGOS_DESCUENTO = {
    "01": "Descuento por regalía",
    "02": "Descuento por regalía IVA cobrado al cliente",
    "03": "Descuento por bonificación",
    "04": "Descuento por volumen",
    "05": "Descuento por temporada (estacional)",
    "06": "Descuento promocional",
    "07": "Descuento comercial",
    "08": "Descuento por frecuencia",
    "09": "Descuento sostenido",
    "99": "Otros descuentos",
}
"""Nota 20."""

DESCUENTOS_SIN_EFECTO_EN_BASE = frozenset({"01", "02", "03"})
"""Gifts and bonuses: they do not lower the IVA base.

The XSD annotation of ``CodigoImpuestoSurtido`` says that with discount 01 ("Regalías") or
03 ("Bonificaciones") and tax 01 the tax is computed on the total amount, not on the
discounted one; code 02 is the gift whose IVA "se cobra al cliente", so its IVA is charged
on the full amount too (Ley 9635 art. 2 taxes transfers without consideration).
"""

CODIGOS_IMPUESTO = {
    "01": "Impuesto al Valor Agregado",
    "02": "Impuesto Selectivo de Consumo",
    "03": "Impuesto único a los combustibles",
    "04": "Impuesto específico de bebidas alcohólicas",
    "05": "Impuesto específico sobre las bebidas envasadas sin contenido alcohólico y jabones de tocador",
    "06": "Impuesto a los productos de tabaco",
    "07": "IVA (cálculo especial)",
    "08": "IVA Régimen de Bienes Usados (Factor)",
    "12": "Impuesto específico al cemento",
    "99": "Otros",
}
"""Nota 8."""

IMPUESTOS_IVA = frozenset({"01", "07", "08"})
IMPUESTOS_ESPECIFICOS = frozenset({"03", "04", "05", "06"})
"""Non-tariff taxes: ``DatosImpuestoEspecifico`` "es de condición obligatoria" for them."""
IMPUESTOS_EN_BASE_IVA = frozenset({"02", "04", "05", "12"})
"""Taxes added to the IVA base (BaseImponible annotation: SubTotal + 02, 04, 05 and 12)."""

TARIFAS_IVA: dict[str, tuple[Decimal, str]] = {
    "01": (Decimal("0"), "Tarifa 0% (Artículo 32, num 1, RLIVA)"),
    "02": (Decimal("1"), "Tarifa reducida 1%"),
    "03": (Decimal("2"), "Tarifa reducida 2%"),
    "04": (Decimal("4"), "Tarifa reducida 4%"),
    "05": (Decimal("0"), "Transitorio 0%"),
    "06": (Decimal("4"), "Transitorio 4%"),
    "07": (Decimal("8"), "Tarifa transitoria 8%"),
    "08": (Decimal("13"), "Tarifa general 13%"),
    "09": (Decimal("0.5"), "Tarifa reducida 0.5%"),
    "10": (Decimal("0"), "Tarifa exenta"),
    "11": (Decimal("0"), "Tarifa 0% sin derecho a crédito"),
}
"""Nota 8.1, ``CodigoTarifaIVA`` → (percentage, name); the rate is the one in the name."""

TARIFA_EXENTA = "10"
"""The only IVA code that makes a line *exenta*; the 0 % codes are taxed at a zero rate."""

TIPOS_DOCUMENTO_EXONERACION = {
    "01": "Compras autorizadas por la Dirección General de Tributación",
    "02": "Ventas exentas a diplomáticos",
    "03": "Autorizado por Ley Especial",
    "04": "Exenciones Dirección General de Hacienda Autorización Local Genérica",
    "05": "Exenciones Dirección General de Hacienda Transitorio V (servicios de ingeniería, arquitectura, "
    "topografía obra civil)",
    "06": "Servicios turísticos inscritos ante el Instituto Costarricense de Turismo (ICT)",
    "07": "Transitorio XVII (Recolección, Clasificación, almacenamiento de Reciclaje y reutilizable)",
    "08": "Exoneración a Zona Franca",
    "09": "Exoneración de servicios complementarios para la exportación articulo 11 RLIVA",
    "10": "Órgano de las corporaciones municipales",
    "11": "Exenciones Dirección General de Hacienda Autorización de Impuesto Local Concreta",
    "99": "Otros",
}
"""Nota 10.1 (TipoDocumentoEX1)."""

EXONERACIONES_CON_ARTICULO = frozenset({"02", "03", "08"})
"""Bitácora v4.4 item 86: the article is mandatory for document types 02, 03 and 08."""

INSTITUCIONES = {
    "01": "Ministerio de Hacienda",
    "02": "Ministerio de Relaciones Exteriores y Culto",
    "03": "Ministerio de Agricultura y Ganadería",
    "04": "Ministerio de Economía, Industria y Comercio",
    "05": "Cruz Roja Costarricense",
    "06": "Benemérito Cuerpo de Bomberos de Costa Rica",
    "07": "Asociación Obras del Espíritu Santo",
    "08": "Federación Cruzada Nacional de protección al Anciano (Fecrunapa)",
    "09": "Escuela de Agricultura de la Región Húmeda (EARTH)",
    "10": "Instituto Centroamericano de Administración de Empresas (INCAE)",
    "11": "Junta de Protección Social (JPS)",
    "12": "Autoridad Reguladora de los Servicios Públicos (Aresep)",
    "99": "Otros",
}
"""Nota 23 (NombreInstitucion)."""

TIPOS_OTROS_CARGOS = {
    "01": "Contribución parafiscal",
    "02": "Timbre de la Cruz Roja",
    "03": "Timbre de Benemérito Cuerpo de Bomberos de Costa Rica",
    "04": "Cobro de un tercero",
    "05": "Costos de Exportación",
    "06": "Impuesto de servicio 10%",
    "07": "Timbre de Colegios Profesionales",
    "08": "Depósitos de Garantía",
    "09": "Multas o Penalizaciones",
    "10": "Intereses Moratorios",
    "99": "Otros Cargos",
}
"""Nota 16 (TipoDocumentoOC)."""

TIPOS_DOCUMENTO_REFERENCIA = {
    "01": "Factura electrónica",
    "02": "Nota de débito electrónica",
    "03": "Nota de crédito electrónica",
    "04": "Tiquete electrónico",
    "05": "Nota de despacho",
    "06": "Contrato",
    "07": "Procedimiento",
    "08": "Comprobante emitido en contingencia",
    "09": "Devolución mercadería",
    "10": "Comprobante electrónico rechazado por el Ministerio de Hacienda",
    "11": "Sustituye factura rechazada por el Receptor del comprobante",
    "12": "Sustituye Factura de exportación",
    "13": "Facturación mes vencido",
    "14": "Comprobante aportado por contribuyente de Régimen Especial",
    "15": "Sustituye una Factura electrónica de Compra",
    "16": "Comprobante de Proveedor No Domiciliado",
    "17": "Nota de Crédito a Factura Electrónica de Compra",
    "18": "Nota de Débito a Factura Electrónica de Compra",
    "19": "Factura Electrónica de Exportación",
    "20": "Recibo Electrónico de Pago",
    "99": "Otros",
}
"""Nota 10 (TipoDocIR); 19 and 20 are new in the April-2026 revision."""

REFERENCIAS_ELECTRONICAS = frozenset({"01", "02", "03", "04", "17", "18", "19", "20"})
"""Referenced document types that are electronic comprobantes, identified by their clave."""

CODIGOS_REFERENCIA = {
    "01": "Anula documento de referencia",
    "02": "Corrige texto de documento de referencia",
    "04": "Referencia a otro documento",
    "05": "Sustituye comprobante provisional por contingencia",
    "06": "Devolución de mercancía",
    "07": "Sustituye comprobante electrónico",
    "08": "Factura endosada",
    "09": "Nota de crédito financiera",
    "10": "Nota de débito financiera",
    "11": "Proveedor no domiciliado",
    "12": "Crédito por exoneración posterior a la facturación",
    "13": "Anula documento de referencia por error material",
    "14": "Corrige monto por error material",
    "15": "Sustituye comprobante electrónico por error material",
    "16": "Sustituye comprobante electrónico rechazado",
    "17": "Pago a comprobante electrónico",
    "99": "Otros",
}
"""Nota 9 (CodigoReferencia); 13–16 are new in April 2026, 17 exists only in the REP."""

IVA_COBRADO_FABRICA = {
    "01": "Venta de bienes con IVA según el sistema especial de determinación de IVA a nivel de fábrica",
    "02": "Ventas exentas según el sistema especial de determinación de IVA a nivel de fábrica, "
    "mayorista y aduanas",
}

MENSAJES_RECEPTOR = {1: "Aceptado", 2: "Aceptado parcialmente", 3: "Rechazado"}
TIPO_POR_MENSAJE = {1: "05", 2: "06", 3: "07"}
"""The consecutivo of a MensajeReceptor carries 05, 06 or 07 in its type slot (reference §3.2)."""

CONDICIONES_IMPUESTO = {
    "01": "General crédito IVA",
    "02": "General crédito parcial del IVA",
    "03": "Bienes de capital",
    "04": "Gasto corriente no genera crédito",
    "05": "Proporcionalidad",
}
"""CondicionImpuesto of the MensajeReceptor."""

UNIDADES_SERVICIO = frozenset({"Al", "Alc", "Cm", "I", "Os", "Sp", "Spe", "St"})
"""Units that only name services (alquileres, comisiones, intereses, servicios)."""


@cache
def _data() -> dict[str, Any]:
    text = resources.files("openpse.authorities.hacienda").joinpath("data/catalogos.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def unidades_medida() -> dict[str, str]:
    """UnidadMedidaType: 101 case-sensitive codes (``Cm`` comisiones ≠ ``cm`` centímetro)."""
    units: dict[str, str] = _data()["unidades_medida"]
    return units


@cache
def monedas() -> frozenset[str]:
    """CodigoMoneda (ISO 4217 as enumerated in the XSD)."""
    return frozenset(_data()["monedas"])


@cache
def formas_farmaceuticas() -> dict[str, str]:
    """Nota 9: FormaFarmaceutica codes."""
    forms: dict[str, str] = _data()["formas_farmaceuticas"]
    return forms


def ubicacion_valida(provincia: str, canton: str, distrito: str) -> bool:
    """Whether the triple exists in ``Codificacionubicacion_V4.4``."""
    entry = _data()["ubicaciones"].get(provincia)
    if entry is None:
        return False
    canton_entry = entry["cantones"].get(canton)
    return canton_entry is not None and distrito in canton_entry["distritos"]


def nombre_ubicacion(provincia: str, canton: str, distrito: str) -> tuple[str, str, str] | None:
    """Names of province, canton and district, for printed representations."""
    if not ubicacion_valida(provincia, canton, distrito):
        return None
    entry = _data()["ubicaciones"][provincia]
    canton_entry = entry["cantones"][canton]
    return entry["nombre"], canton_entry["nombre"], canton_entry["distritos"][distrito]
