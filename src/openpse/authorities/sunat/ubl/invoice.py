"""UBL 2.1 for factura (01), boleta (03), nota de crédito (07) and nota de débito (08).

Element order follows the OASIS UBL 2.1 schemas (Invoice, CreditNote, DebitNote: note
lines carry their AllowanceCharge after TaxTotal, invoice lines before it; the debit
note puts its global AllowanceCharge before PaymentTerms); content follows SUNAT's
"Guía de elaboración de documentos XML" and the 2026 validation sheets (the code of each
rule is noted where a choice matters). The document is written directly in canonical
form (``openpse.signing.canonical``), so signing it needs no parsing; it is indented, as
SUNAT's own samples, because people read these files.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from openpse.authorities.sunat.totals import AFECTACIONES, AllowanceCharge, DocumentTotals, LineTotals
from openpse.authorities.sunat.ubl.ns import CAC, CBC, CREDIT_NOTE, DEBIT_NOTE, DS, EXT, INVOICE
from openpse.core.money import fmt2, fmt_max, fmt_qty
from openpse.signing.canonical import CanonicalWriter, attributes, escape_attr, escape_text
from openpse.signing.xmldsig import CanonicalDocument


@dataclass(frozen=True)
class _Root:
    element: str
    namespace: str
    line: str
    quantity: str
    monetary_total: str


ROOTS = {
    "01": _Root("Invoice", INVOICE, "cac:InvoiceLine", "cbc:InvoicedQuantity", "cac:LegalMonetaryTotal"),
    "03": _Root("Invoice", INVOICE, "cac:InvoiceLine", "cbc:InvoicedQuantity", "cac:LegalMonetaryTotal"),
    "07": _Root(
        "CreditNote", CREDIT_NOTE, "cac:CreditNoteLine", "cbc:CreditedQuantity", "cac:LegalMonetaryTotal"
    ),
    # 2.1 debit notes total in RequestedMonetaryTotal (SUNAT's ND sheet).
    "08": _Root(
        "DebitNote", DEBIT_NOTE, "cac:DebitNoteLine", "cbc:DebitedQuantity", "cac:RequestedMonetaryTotal"
    ),
}
_CAT = "urn:pe:gob:sunat:cpe:see:gem:catalogos:catalogo"
_UNECE = "United Nations Economic Commission for Europe"

# Constant attribute sets, rendered once.
_A_CUSTOMIZATION = attributes({"schemeAgencyName": "PE:SUNAT"})
_A_RUC = attributes(
    {
        "schemeID": "6",
        "schemeName": "Documento de Identidad",
        "schemeAgencyName": "PE:SUNAT",
        "schemeURI": _CAT + "06",
    }
)
_A_UBIGEO = attributes({"schemeName": "Ubigeos", "schemeAgencyName": "PE:INEI"})
_A_ESTABLECIMIENTO = attributes({"listAgencyName": "PE:SUNAT", "listName": "Establecimientos anexos"})
_A_COUNTRY = attributes({"listID": "ISO 3166-1", "listAgencyName": _UNECE, "listName": "Country"})
_A_CURRENCY = attributes({"listID": "ISO 4217 Alpha", "listName": "Currency", "listAgencyName": _UNECE})
_A_TRIBUTO = attributes(
    {"schemeName": "Codigo de tributos", "schemeAgencyName": "PE:SUNAT", "schemeURI": _CAT + "05"}
)
_A_PRICE_TYPE = attributes(
    {"listName": "Tipo de Precio", "listAgencyName": "PE:SUNAT", "listURI": _CAT + "16"}
)
_A_AFECTACION = attributes(
    {"listAgencyName": "PE:SUNAT", "listName": "Afectacion del IGV", "listURI": _CAT + "07"}
)
_A_AJUSTE = attributes({"listAgencyName": "PE:SUNAT", "listName": "Cargo/descuento", "listURI": _CAT + "53"})
_A_UNSPSC = attributes({"listID": "UNSPSC", "listAgencyName": "GS1 US", "listName": "Item Classification"})
_A_DOC_TYPE = attributes(
    {"listAgencyName": "PE:SUNAT", "listName": "Tipo de Documento", "listURI": _CAT + "01"}
)
_A_RELATED = attributes(
    {"listAgencyName": "PE:SUNAT", "listName": "Documento Relacionado", "listURI": _CAT + "12"}
)
_A_PAYMENT_ID = attributes({"listAgencyName": "PE:SUNAT", "listName": "Anticipo"})
_A_PREPAID_ID = attributes({"schemeAgencyName": "PE:SUNAT", "schemeName": "Anticipo"})
_A_MEDIO_PAGO = attributes(
    {"listAgencyName": "PE:SUNAT", "listName": "Medio de pago", "listURI": _CAT + "59"}
)
_A_DETRACCION = attributes(
    {"schemeAgencyName": "PE:SUNAT", "schemeName": "Codigo de detraccion", "schemeURI": _CAT + "54"}
)
_A_PEN = attributes({"currencyID": "PEN"})
_A_PROPIEDAD = attributes(
    {"listAgencyName": "PE:SUNAT", "listName": "Propiedad del item", "listURI": _CAT + "55"}
)
_A_TNE = attributes({"unitCode": "TNE"})
# The sheet expects listName "Configuracion Vehícular" in a Latin-1 file; it is optional, so
# only the agency is written.
_A_CONFIGURACION = attributes({"listAgencyName": "PE:MTC"})


@dataclass(frozen=True)
class Emisor:
    """The issuer as it appears in cac:AccountingSupplierParty."""

    ruc: str
    razon_social: str
    nombre_comercial: str | None = None
    ubigeo: str | None = None
    departamento: str | None = None
    provincia: str | None = None
    distrito: str | None = None
    urbanizacion: str | None = None
    direccion: str | None = None
    codigo_establecimiento: str = "0000"
    """Código de establecimiento anexo (cbc:AddressTypeCode); 0000 is the domicilio fiscal."""


@dataclass(frozen=True)
class Receptor:
    tipo_documento: str
    numero_documento: str
    razon_social: str
    direccion: str | None = None


@dataclass(frozen=True)
class Propiedad:
    """An item property of catálogo 55 (cac:AdditionalItemProperty): a text, a quantity (in
    metric tonnes, or a plain amount), a date or a period, as the code requires (3064, 3135,
    3065, 3243)."""

    codigo: str
    nombre: str
    valor: str | None = None
    toneladas: Decimal | None = None
    fecha: dt.date | None = None
    fecha_fin: dt.date | None = None
    cantidad: Decimal | None = None


@dataclass(frozen=True)
class Direccion:
    """An address as cac:Address: ubigeo (catálogo 13) and the detailed line, plus the
    optional parts of an itinerant sale's delivery place."""

    direccion: str
    ubigeo: str | None = None
    urbanizacion: str | None = None
    provincia: str | None = None
    departamento: str | None = None
    distrito: str | None = None
    pais: str | None = None


@dataclass(frozen=True)
class TransporteCarga:
    """The line's cac:Delivery of a freight-transport detracción (operation 1004, 3116–3126).

    ``valores`` are the referential values by type (01 service, 02 effective load, 03
    nominal payload), always in soles (3208).
    """

    origen: Direccion
    destino: Direccion
    detalle: str
    valores: tuple[tuple[str, Decimal], ...]
    configuracion: str | None = None
    carga_util: Decimal | None = None
    carga_efectiva: Decimal | None = None


@dataclass(frozen=True)
class Linea:
    descripcion: str
    unidad: str
    totals: LineTotals
    codigo: str | None = None
    codigo_producto_sunat: str | None = None
    propiedades: tuple[Propiedad, ...] = ()
    transporte: TransporteCarga | None = None


@dataclass(frozen=True)
class Cuota:
    monto: Decimal
    fecha_pago: dt.date


@dataclass(frozen=True)
class Nota:
    """What a credit or debit note modifies, and why (catálogo 09 or 10)."""

    tipo_afectado: str
    serie_numero_afectado: str
    motivo: str
    descripcion: str


@dataclass(frozen=True)
class Detraccion:
    """SPOT data (Factura2_0 rows 104–106): amount always in PEN (3208)."""

    codigo: str
    cuenta: str
    porcentaje: Decimal
    monto: Decimal
    medio_pago: str


@dataclass(frozen=True)
class Percepcion:
    """Percepción (Factura2_0 rows 63–64): an AllowanceCharge 51–53 and a PaymentTerms, in PEN."""

    codigo: str
    factor: Decimal
    base: Decimal
    monto: Decimal
    total_con_percepcion: Decimal


@dataclass(frozen=True)
class Anticipo:
    """An advance: AdditionalDocumentReference + PrepaidPayment tied by ``id_pago`` (3213/3214)."""

    id_pago: str
    tipo: str
    serie_numero: str
    ruc: str
    monto: Decimal


@dataclass(frozen=True)
class Invoice:
    tipo: str
    serie: str
    numero: int
    fecha_emision: dt.date
    hora_emision: dt.time
    moneda: str
    tipo_operacion: str
    emisor: Emisor
    receptor: Receptor
    lineas: list[Linea]
    totals: DocumentTotals
    leyendas: list[tuple[str, str]] = field(default_factory=list)
    forma_pago: str | None = "Contado"
    """None: no FormaPago (boletas, debit notes, credit notes other than motivo 13)."""
    monto_pendiente: Decimal | None = None
    cuotas: list[Cuota] = field(default_factory=list)
    fecha_vencimiento: dt.date | None = None
    observaciones: str | None = None
    orden_compra: str | None = None
    nota: Nota | None = None
    guias: list[tuple[str, str]] = field(default_factory=list)
    """(tipo 09/31, serie-número) of cac:DespatchDocumentReference."""
    documentos: list[tuple[str, str]] = field(default_factory=list)
    """(tipo of catálogo 12, número) of cac:AdditionalDocumentReference."""
    detraccion: Detraccion | None = None
    percepcion: Percepcion | None = None
    anticipos: list[Anticipo] = field(default_factory=list)
    entrega: Direccion | None = None
    """Where an itinerant sale delivers the goods (cac:Delivery/cac:DeliveryLocation)."""

    @property
    def serie_numero(self) -> str:
        return f"{self.serie}-{self.numero}"


def _ajuste_fields(prefix: str, ajuste: AllowanceCharge) -> dict[str, str]:
    return {
        f"{prefix}_ind": "true" if ajuste.cargo else "false",
        f"{prefix}_cod": escape_text(ajuste.codigo),
        f"{prefix}_factor": fmt_max(ajuste.factor, 5),
        f"{prefix}_monto": fmt2(ajuste.monto),
        f"{prefix}_base": fmt2(ajuste.base),
    }


def _write_ajuste(w: CanonicalWriter, prefix: str, currency: str) -> None:
    """An AllowanceCharge with ``{prefix}_*`` placeholders."""
    w.start("cac:AllowanceCharge")
    w.leaf_safe("cbc:ChargeIndicator", "{" + prefix + "_ind}")
    w.leaf_safe("cbc:AllowanceChargeReasonCode", "{" + prefix + "_cod}", _A_AJUSTE)
    w.leaf_safe("cbc:MultiplierFactorNumeric", "{" + prefix + "_factor}")
    w.leaf_safe("cbc:Amount", "{" + prefix + "_monto}", currency)
    w.leaf_safe("cbc:BaseAmount", "{" + prefix + "_base}", currency)
    w.end()


@functools.lru_cache(maxsize=256)
def _one_attribute(name: str, value: str) -> str:
    return attributes({name: value})


@functools.lru_cache(maxsize=64)
def _invoice_type_attributes(tipo_operacion: str) -> str:
    return attributes(
        {
            "listID": tipo_operacion,
            "listAgencyName": "PE:SUNAT",
            "listName": "Tipo de Documento",
            "listURI": _CAT + "01",
            "name": "Tipo de Operacion",
        }
    )


@functools.lru_cache(maxsize=64)
def _customer_id_attributes(tipo_documento: str) -> str:
    return attributes(
        {
            "schemeID": tipo_documento,
            "schemeName": "Documento de Identidad",
            "schemeAgencyName": "PE:SUNAT",
            "schemeURI": _CAT + "06",
        }
    )


_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{(\w+)\}|%")


def _printf_template(text: str) -> str:
    """Turn a ``{field}`` template into a ``%(field)s`` one: filling it with ``%`` costs a
    third of ``str.format`` on a line-sized template."""

    def convert(match: re.Match[str]) -> str:
        token = match.group()
        if match.group(1):
            return f"%({match.group(1)})s"
        return {"{{": "{", "}}": "}", "%": "%%"}[token]

    return _PLACEHOLDER.sub(convert, text)


class _LineShape(NamedTuple):
    """What decides a line template: its elements and the values fixed per shape."""

    root: str
    with_code: bool
    with_product_code: bool
    ajustes: int
    isc: bool
    icbper: bool
    otros: bool
    currency: str
    afectacion: str
    delivery: bool = False
    propiedades: bool = False


def _literal(text: str) -> str:
    """Text baked into a format template: braces doubled."""
    return text.replace("{", "{{").replace("}", "}}")


@functools.cache
def _line_template(shape: _LineShape) -> str:
    """A document line written once by the canonical writer with ``{field}`` placeholders.

    Lines are most of a document; filling a template costs a tenth of writing each
    element, and the template comes from the same writer, so the rules stay in one place.
    Placeholder values are escaped by the caller.
    """
    root = ROOTS[shape.root]
    afectacion = AFECTACIONES[shape.afectacion]
    tributo = afectacion.tributo
    w = CanonicalWriter(depth=1)
    currency = attributes({"currencyID": _literal(shape.currency)})
    w.start(root.line)
    w.leaf_safe("cbc:ID", "{index}")
    w.leaf_safe(
        root.quantity,
        "{cantidad}",
        ' unitCode="{unidad}"'
        + attributes({"unitCodeListID": "UN/ECE rec 20", "unitCodeListAgencyName": _UNECE}),
    )
    w.leaf_safe("cbc:LineExtensionAmount", "{valor_venta}", currency)
    w.start("cac:PricingReference")
    w.start("cac:AlternativeConditionPrice")
    w.leaf_safe("cbc:PriceAmount", "{precio_referencia}", currency)
    w.leaf_safe("cbc:PriceTypeCode", "02" if afectacion.gratuita else "01", _A_PRICE_TYPE)
    w.end()
    w.end()
    if shape.delivery:
        w.raw("{delivery}")
    invoice_line = root.element == "Invoice"
    if invoice_line:
        for index in range(shape.ajustes):
            _write_ajuste(w, f"aj{index}", currency)
    w.start("cac:TaxTotal")
    w.leaf_safe("cbc:TaxAmount", "{impuestos}", currency)
    if shape.isc:
        w.start("cac:TaxSubtotal")
        w.leaf_safe("cbc:TaxableAmount", "{isc_base}", currency)
        w.leaf_safe("cbc:TaxAmount", "{isc}", currency)
        w.start("cac:TaxCategory")
        w.leaf_safe("cbc:Percent", "{isc_porcentaje}")
        # TierRange is a plain TextType in UBL 2.1: catálogo 08 goes without list attributes.
        w.leaf_safe("cbc:TierRange", "{isc_sistema}")
        w.start("cac:TaxScheme")
        w.leaf_safe("cbc:ID", "2000", _A_TRIBUTO)
        w.leaf_safe("cbc:Name", "ISC")
        w.leaf_safe("cbc:TaxTypeCode", "EXC")
        w.end()
        w.end()
        w.end()
    w.start("cac:TaxSubtotal")
    w.leaf_safe("cbc:TaxableAmount", "{base_igv}", currency)
    w.leaf_safe("cbc:TaxAmount", "{igv}", currency)
    w.start("cac:TaxCategory")
    w.leaf_safe("cbc:Percent", "{porcentaje}")
    w.leaf("cbc:TaxExemptionReasonCode", _literal(afectacion.codigo), _A_AFECTACION)
    w.start("cac:TaxScheme")
    w.leaf("cbc:ID", _literal(tributo.codigo), _A_TRIBUTO)
    w.leaf("cbc:Name", _literal(tributo.nombre))
    w.leaf("cbc:TaxTypeCode", _literal(tributo.codigo_internacional))
    w.end()
    w.end()
    w.end()
    if shape.otros:
        w.start("cac:TaxSubtotal")
        w.leaf_safe("cbc:TaxableAmount", "{otros_base}", currency)
        w.leaf_safe("cbc:TaxAmount", "{otros}", currency)
        w.start("cac:TaxCategory")
        w.leaf_safe("cbc:Percent", "{otros_porcentaje}")
        w.start("cac:TaxScheme")
        w.leaf_safe("cbc:ID", "9999", _A_TRIBUTO)
        w.leaf_safe("cbc:Name", "OTROS")
        w.leaf_safe("cbc:TaxTypeCode", "OTH")
        w.end()
        w.end()
        w.end()
    if shape.icbper:
        # ICBPER: bags in BaseUnitMeasure (3237, 3236: equal to the quantity) and the
        # amount per bag in PerUnitAmount (3238); no Percent for 7152.
        w.start("cac:TaxSubtotal")
        w.leaf_safe("cbc:TaxAmount", "{icbper}", currency)
        w.leaf_safe("cbc:BaseUnitMeasure", "{bolsas}", attributes({"unitCode": "NIU"}))
        w.start("cac:TaxCategory")
        w.leaf_safe("cbc:PerUnitAmount", "{icbper_unitario}", currency)
        w.start("cac:TaxScheme")
        w.leaf_safe("cbc:ID", "7152", _A_TRIBUTO)
        w.leaf_safe("cbc:Name", "ICBPER")
        w.leaf_safe("cbc:TaxTypeCode", "OTH")
        w.end()
        w.end()
        w.end()
    w.end()
    if not invoice_line:
        for index in range(shape.ajustes):
            _write_ajuste(w, f"aj{index}", currency)
    w.start("cac:Item")
    w.leaf_safe("cbc:Description", "{descripcion}")
    if shape.with_code:
        w.start("cac:SellersItemIdentification")
        w.leaf_safe("cbc:ID", "{codigo}")
        w.end()
    if shape.with_product_code:
        w.start("cac:CommodityClassification")
        w.leaf_safe("cbc:ItemClassificationCode", "{codigo_producto}", _A_UNSPSC)
        w.end()
    if shape.propiedades:
        w.raw("{propiedades}")
    w.end()
    w.start("cac:Price")
    w.leaf_safe("cbc:PriceAmount", "{valor_unitario}", currency)
    w.end()
    w.end()
    return _printf_template(w.text())


def _address(w: CanonicalWriter, tag: str, direccion: Direccion) -> None:
    """A cac:Address-like element in UBL order: ID, CitySubdivisionName, CityName,
    CountrySubentity, District, AddressLine, Country."""
    w.start(tag)
    if direccion.ubigeo:
        w.leaf("cbc:ID", direccion.ubigeo, _A_UBIGEO)
    for child, value in (
        ("cbc:CitySubdivisionName", direccion.urbanizacion),
        ("cbc:CityName", direccion.provincia),
        ("cbc:CountrySubentity", direccion.departamento),
        ("cbc:District", direccion.distrito),
    ):
        if value:
            w.leaf(child, value)
    w.start("cac:AddressLine")
    w.leaf("cbc:Line", direccion.direccion)
    w.end()
    if direccion.pais:
        w.start("cac:Country")
        w.leaf("cbc:IdentificationCode", direccion.pais, _A_COUNTRY)
        w.end()
    w.end()


def _line_delivery(transporte: TransporteCarga) -> str:
    """The cac:Delivery of a 1004 line (Factura2_0 rows 113–125), at line depth."""
    w = CanonicalWriter(depth=2)
    w.start("cac:Delivery")
    w.start("cac:DeliveryLocation")
    _address(w, "cac:Address", transporte.destino)
    w.end()
    w.start("cac:Despatch")
    w.leaf("cbc:Instructions", transporte.detalle)
    _address(w, "cac:DespatchAddress", transporte.origen)
    w.end()
    for tipo, monto in transporte.valores:
        w.start("cac:DeliveryTerms")
        w.leaf_safe("cbc:ID", tipo)
        w.leaf_safe("cbc:Amount", fmt2(monto), _A_PEN)
        w.end()
    if transporte.configuracion or transporte.carga_util is not None or transporte.carga_efectiva is not None:
        w.start("cac:Shipment")
        w.leaf_safe("cbc:ID", "1")
        w.start("cac:Consignment")
        w.leaf_safe("cbc:ID", "1")
        w.start("cac:TransportHandlingUnit")
        if transporte.configuracion:
            w.start("cac:TransportEquipment")
            w.leaf("cbc:SizeTypeCode", transporte.configuracion, _A_CONFIGURACION)
            w.end()
        for tipo, toneladas in (("01", transporte.carga_util), ("02", transporte.carga_efectiva)):
            if toneladas is not None:
                w.start("cac:MeasurementDimension")
                w.leaf_safe("cbc:AttributeID", tipo)
                w.leaf_safe("cbc:Measure", fmt2(toneladas), _A_TNE)
                w.end()
        w.end()
        w.end()
        w.end()
    w.end()
    return w.text()


def _item_properties(propiedades: tuple[Propiedad, ...]) -> str:
    """cac:AdditionalItemProperty elements (catálogo 55), at item depth."""
    w = CanonicalWriter(depth=3)
    for propiedad in propiedades:
        w.start("cac:AdditionalItemProperty")
        w.leaf("cbc:Name", propiedad.nombre)
        w.leaf("cbc:NameCode", propiedad.codigo, _A_PROPIEDAD)
        if propiedad.valor is not None:
            w.leaf("cbc:Value", propiedad.valor)
        if propiedad.toneladas is not None:
            w.leaf_safe("cbc:ValueQuantity", fmt2(propiedad.toneladas), _A_TNE)
        if propiedad.cantidad is not None:
            w.leaf_safe("cbc:ValueQuantity", fmt2(propiedad.cantidad))
        if propiedad.fecha is not None:
            w.start("cac:UsabilityPeriod")
            w.leaf_safe("cbc:StartDate", propiedad.fecha.isoformat())
            if propiedad.fecha_fin is not None:
                w.leaf_safe("cbc:EndDate", propiedad.fecha_fin.isoformat())
            w.end()
        w.end()
    return w.text()


@functools.lru_cache(maxsize=1024)
def _issuer_block(emisor: Emisor) -> str:
    w = CanonicalWriter(depth=1)
    _signature_reference(w, emisor)
    _supplier(w, emisor)
    return w.text()


def _signature_reference(w: CanonicalWriter, emisor: Emisor) -> None:
    w.start("cac:Signature")
    w.leaf("cbc:ID", f"SIGN{emisor.ruc}")
    w.start("cac:SignatoryParty")
    w.start("cac:PartyIdentification")
    w.leaf("cbc:ID", emisor.ruc)
    w.end()
    w.start("cac:PartyName")
    w.leaf("cbc:Name", emisor.razon_social)
    w.end()
    w.end()
    w.start("cac:DigitalSignatureAttachment")
    w.start("cac:ExternalReference")
    w.leaf_safe("cbc:URI", "#SignOpenPSE")
    w.end()
    w.end()
    w.end()


def _supplier(w: CanonicalWriter, emisor: Emisor) -> None:
    w.start("cac:AccountingSupplierParty")
    w.start("cac:Party")
    w.start("cac:PartyIdentification")
    w.leaf("cbc:ID", emisor.ruc, _A_RUC)
    w.end()
    if emisor.nombre_comercial:
        w.start("cac:PartyName")
        w.leaf("cbc:Name", emisor.nombre_comercial)
        w.end()
    w.start("cac:PartyLegalEntity")
    w.leaf("cbc:RegistrationName", emisor.razon_social)
    w.start("cac:RegistrationAddress")
    if emisor.ubigeo:
        w.leaf("cbc:ID", emisor.ubigeo, _A_UBIGEO)
    # 3030 (observation) when missing: the establishment that issues the document.
    w.leaf("cbc:AddressTypeCode", emisor.codigo_establecimiento, _A_ESTABLECIMIENTO)
    for tag, value in (
        ("cbc:CitySubdivisionName", emisor.urbanizacion),
        ("cbc:CityName", emisor.provincia),
        ("cbc:CountrySubentity", emisor.departamento),
        ("cbc:District", emisor.distrito),
    ):
        if value:
            w.leaf(tag, value)
    if emisor.direccion:
        w.start("cac:AddressLine")
        w.leaf("cbc:Line", emisor.direccion)
        w.end()
    w.start("cac:Country")
    w.leaf_safe("cbc:IdentificationCode", "PE", _A_COUNTRY)
    w.end()
    w.end()
    w.end()
    w.end()
    w.end()


class _Builder:
    def __init__(self, doc: Invoice) -> None:
        self.doc = doc
        self.root = ROOTS[doc.tipo]
        self.w = CanonicalWriter()
        self.currency = _one_attribute("currencyID", doc.moneda)
        self.currency_code = escape_attr(doc.moneda)

    def amount(self, tag: str, value: Decimal) -> None:
        self.w.leaf_safe(tag, fmt2(value), self.currency)

    def tax_scheme(self, codigo: str, nombre: str, internacional: str) -> None:
        w = self.w
        w.start("cac:TaxScheme")
        w.leaf_safe("cbc:ID", codigo, _A_TRIBUTO)
        w.leaf_safe("cbc:Name", nombre)
        w.leaf_safe("cbc:TaxTypeCode", internacional)
        w.end()

    def header(self) -> int:
        doc, w = self.doc, self.w
        w.root(self.root.element, {"": self.root.namespace, "cac": CAC, "cbc": CBC, "ext": EXT, "ds": DS})
        w.start("ext:UBLExtensions")
        w.start("ext:UBLExtension")
        slot = w.empty("ext:ExtensionContent")
        w.end()
        w.end()
        w.leaf_safe("cbc:UBLVersionID", "2.1")
        w.leaf_safe("cbc:CustomizationID", "2.0", _A_CUSTOMIZATION)
        w.leaf("cbc:ID", doc.serie_numero)
        w.leaf_safe("cbc:IssueDate", doc.fecha_emision.isoformat())
        w.leaf_safe("cbc:IssueTime", doc.hora_emision.replace(microsecond=0).isoformat())
        if self.root.element == "Invoice":
            if doc.fecha_vencimiento:
                w.leaf_safe("cbc:DueDate", doc.fecha_vencimiento.isoformat())
            # 3205/3206: the operation type travels in @listID (catálogo 51), not in ProfileID.
            w.leaf(
                "cbc:InvoiceTypeCode",
                doc.tipo,
                _invoice_type_attributes(doc.tipo_operacion),
            )
        for codigo, texto in doc.leyendas:
            w.leaf("cbc:Note", texto, _one_attribute("languageLocaleID", codigo))
        if doc.observaciones:
            w.leaf("cbc:Note", doc.observaciones)
        w.leaf("cbc:DocumentCurrencyCode", doc.moneda, _A_CURRENCY)
        w.leaf_safe("cbc:LineCountNumeric", str(len(doc.lineas)))
        if doc.nota is not None:
            w.start("cac:DiscrepancyResponse")
            w.leaf("cbc:ReferenceID", doc.nota.serie_numero_afectado)
            catalogo = "09" if doc.tipo == "07" else "10"
            w.leaf(
                "cbc:ResponseCode",
                doc.nota.motivo,
                attributes(
                    {
                        "listAgencyName": "PE:SUNAT",
                        "listName": "Tipo de nota de credito"
                        if doc.tipo == "07"
                        else "Tipo de nota de debito",
                        "listURI": _CAT + catalogo,
                    }
                ),
            )
            w.leaf("cbc:Description", doc.nota.descripcion)
            w.end()
        if doc.orden_compra:
            w.start("cac:OrderReference")
            w.leaf("cbc:ID", doc.orden_compra)
            w.end()
        if doc.nota is not None:
            w.start("cac:BillingReference")
            w.start("cac:InvoiceDocumentReference")
            w.leaf("cbc:ID", doc.nota.serie_numero_afectado)
            w.leaf("cbc:DocumentTypeCode", doc.nota.tipo_afectado, _A_DOC_TYPE)
            w.end()
            w.end()
        for tipo, serie_numero in doc.guias:
            w.start("cac:DespatchDocumentReference")
            w.leaf("cbc:ID", serie_numero)
            w.leaf("cbc:DocumentTypeCode", tipo, _A_DOC_TYPE)
            w.end()
        for tipo, numero in doc.documentos:
            w.start("cac:AdditionalDocumentReference")
            w.leaf("cbc:ID", numero)
            w.leaf("cbc:DocumentTypeCode", tipo, _A_RELATED)
            w.end()
        for anticipo in doc.anticipos:
            w.start("cac:AdditionalDocumentReference")
            w.leaf("cbc:ID", anticipo.serie_numero)
            w.leaf("cbc:DocumentTypeCode", anticipo.tipo, _A_RELATED)
            w.leaf_safe("cbc:DocumentStatusCode", anticipo.id_pago, _A_PAYMENT_ID)
            w.start("cac:IssuerParty")
            w.start("cac:PartyIdentification")
            w.leaf("cbc:ID", anticipo.ruc, _A_RUC)
            w.end()
            w.end()
            w.end()
        return slot

    def issuer(self) -> None:
        """cac:Signature and cac:AccountingSupplierParty: the same for every document of an issuer."""
        self.w.raw(_issuer_block(self.doc.emisor))

    def customer(self) -> None:
        receptor, w = self.doc.receptor, self.w
        w.start("cac:AccountingCustomerParty")
        w.start("cac:Party")
        w.start("cac:PartyIdentification")
        w.leaf(
            "cbc:ID",
            receptor.numero_documento,
            _customer_id_attributes(receptor.tipo_documento),
        )
        w.end()
        w.start("cac:PartyLegalEntity")
        w.leaf("cbc:RegistrationName", receptor.razon_social)
        if receptor.direccion:
            w.start("cac:RegistrationAddress")
            w.start("cac:AddressLine")
            w.leaf("cbc:Line", receptor.direccion)
            w.end()
            w.end()
        w.end()
        w.end()
        w.end()

    def delivery(self) -> None:
        """Itinerant sale: the place where the goods are delivered (Factura2_0 row 14)."""
        entrega = self.doc.entrega
        if entrega is None:
            return
        self.w.start("cac:Delivery")
        self.w.start("cac:DeliveryLocation")
        _address(self.w, "cac:Address", entrega)
        self.w.end()
        self.w.end()

    def payment_means(self) -> None:
        detraccion, w = self.doc.detraccion, self.w
        if detraccion is None:
            return
        w.start("cac:PaymentMeans")
        w.leaf_safe("cbc:ID", "Detraccion")
        w.leaf("cbc:PaymentMeansCode", detraccion.medio_pago, _A_MEDIO_PAGO)
        w.start("cac:PayeeFinancialAccount")
        w.leaf("cbc:ID", detraccion.cuenta)
        w.end()
        w.end()

    def special_payment_terms(self) -> None:
        """PaymentTerms of detracción and percepción, both in PEN whatever the document currency."""
        doc, w = self.doc, self.w
        if doc.detraccion is not None:
            w.start("cac:PaymentTerms")
            w.leaf_safe("cbc:ID", "Detraccion")
            w.leaf("cbc:PaymentMeansID", doc.detraccion.codigo, _A_DETRACCION)
            w.leaf_safe("cbc:PaymentPercent", fmt_max(doc.detraccion.porcentaje, 5))
            w.leaf_safe("cbc:Amount", fmt2(doc.detraccion.monto), _A_PEN)
            w.end()
        if doc.percepcion is not None:
            w.start("cac:PaymentTerms")
            w.leaf_safe("cbc:ID", "Percepcion")
            w.leaf_safe("cbc:Amount", fmt2(doc.percepcion.total_con_percepcion), _A_PEN)
            w.end()

    def prepaid_payments(self) -> None:
        for anticipo in self.doc.anticipos:
            self.w.start("cac:PrepaidPayment")
            self.w.leaf_safe("cbc:ID", anticipo.id_pago, _A_PREPAID_ID)
            self.amount("cbc:PaidAmount", anticipo.monto)
            self.w.end()

    def payment_terms(self) -> None:
        doc, w = self.doc, self.w
        self.special_payment_terms()
        if doc.forma_pago is None:
            return
        w.start("cac:PaymentTerms")
        w.leaf_safe("cbc:ID", "FormaPago")
        w.leaf_safe("cbc:PaymentMeansID", doc.forma_pago)
        if doc.forma_pago == "Credito":
            self.amount(
                "cbc:Amount", doc.monto_pendiente if doc.monto_pendiente is not None else doc.totals.total
            )
        w.end()
        if doc.forma_pago == "Credito":
            for index, cuota in enumerate(doc.cuotas, start=1):
                w.start("cac:PaymentTerms")
                w.leaf_safe("cbc:ID", "FormaPago")
                w.leaf_safe("cbc:PaymentMeansID", f"Cuota{index:03d}")
                self.amount("cbc:Amount", cuota.monto)
                w.leaf_safe("cbc:PaymentDueDate", cuota.fecha_pago.isoformat())
                w.end()

    def global_allowances(self) -> None:
        for ajuste in self.doc.totals.globales:
            self.w.raw(_global_template() % {**_ajuste_fields("g", ajuste), "currency": self.currency_code})
        percepcion = self.doc.percepcion
        if percepcion is not None:
            charge = AllowanceCharge(
                percepcion.codigo, True, False, percepcion.factor, percepcion.monto, percepcion.base
            )
            # 2792/2788: the percepción is always in soles.
            self.w.raw(_global_template() % {**_ajuste_fields("g", charge), "currency": "PEN"})

    def tax_total(self) -> None:
        totals, w = self.doc.totals, self.w
        w.start("cac:TaxTotal")
        self.amount("cbc:TaxAmount", totals.impuestos)
        for summary in totals.subtotales:
            w.start("cac:TaxSubtotal")
            if summary.base is not None:
                self.amount("cbc:TaxableAmount", summary.base)
            self.amount("cbc:TaxAmount", summary.monto)
            w.start("cac:TaxCategory")
            self.tax_scheme(
                summary.tributo.codigo, summary.tributo.nombre, summary.tributo.codigo_internacional
            )
            w.end()
            w.end()
        w.end()

    def monetary_total(self) -> None:
        totals, w = self.doc.totals, self.w
        w.start(self.root.monetary_total)
        self.amount("cbc:LineExtensionAmount", totals.valor_venta)
        self.amount("cbc:TaxInclusiveAmount", totals.precio_venta)
        if totals.descuentos:
            self.amount("cbc:AllowanceTotalAmount", totals.descuentos)
        if totals.cargos:
            self.amount("cbc:ChargeTotalAmount", totals.cargos)
        if totals.anticipos:
            self.amount("cbc:PrepaidAmount", totals.anticipos)
        self.amount("cbc:PayableAmount", totals.total)
        w.end()

    def line(self, index: int, linea: Linea) -> None:
        t = linea.totals
        shape = _LineShape(
            self.doc.tipo if self.doc.tipo in ("07", "08") else "01",
            bool(linea.codigo),
            bool(linea.codigo_producto_sunat),
            len(t.ajustes),
            t.isc_sistema is not None,
            t.bolsas > 0,
            t.otros_porcentaje > 0,
            self.doc.moneda,
            t.afectacion.codigo,
            linea.transporte is not None,
            bool(linea.propiedades),
        )
        fields = {
            "index": str(index),
            "cantidad": fmt_qty(t.cantidad),
            "unidad": escape_attr(linea.unidad),
            # LineTotals amounts are already rounded to cents: written as they are.
            "valor_venta": f"{t.valor_venta:f}",
            "precio_referencia": fmt_max(t.precio_referencia),
            "impuestos": f"{t.impuestos:f}",
            "base_igv": f"{t.base_igv:f}",
            "igv": f"{t.igv:f}",
            "porcentaje": f"{t.porcentaje:f}",
            "descripcion": escape_text(linea.descripcion),
            "valor_unitario": fmt_max(t.valor_unitario),
        }
        # Only what the line's template holds.
        if shape.with_code:
            fields["codigo"] = escape_text(linea.codigo or "")
        if shape.with_product_code:
            fields["codigo_producto"] = escape_text(linea.codigo_producto_sunat or "")
        if shape.isc:
            fields["isc_base"] = f"{t.isc_base:f}"
            fields["isc"] = f"{t.isc:f}"
            fields["isc_porcentaje"] = fmt_max(t.isc_porcentaje, 5)
            fields["isc_sistema"] = escape_text(t.isc_sistema or "")
        if shape.otros:
            fields["otros_base"] = f"{t.otros_base:f}"
            fields["otros"] = f"{t.otros:f}"
            fields["otros_porcentaje"] = fmt_max(t.otros_porcentaje, 5)
        if shape.icbper:
            fields["icbper"] = f"{t.icbper:f}"
            fields["bolsas"] = str(t.bolsas)
            fields["icbper_unitario"] = fmt2(t.icbper_unitario)
        if linea.transporte is not None:
            fields["delivery"] = _line_delivery(linea.transporte)
        if linea.propiedades:
            fields["propiedades"] = _item_properties(linea.propiedades)
        for position, ajuste in enumerate(t.ajustes):
            fields.update(_ajuste_fields(f"aj{position}", ajuste))
        self.w.raw(_line_template(shape) % fields)


@functools.cache
def _global_template() -> str:
    w = CanonicalWriter(depth=1)
    _write_ajuste(w, "g", ' currencyID="{currency}"')
    return _printf_template(w.text())


def build_invoice(doc: Invoice) -> CanonicalDocument:
    """The unsigned document in canonical form, with an empty ``ext:ExtensionContent`` for the signature."""
    builder = _Builder(doc)
    slot = builder.header()
    builder.issuer()
    builder.customer()
    builder.delivery()
    builder.payment_means()
    if doc.tipo == "08":
        builder.global_allowances()
        builder.payment_terms()
    else:
        builder.payment_terms()
        builder.prepaid_payments()
        builder.global_allowances()
    builder.tax_total()
    builder.monetary_total()
    for index, linea in enumerate(doc.lineas, start=1):
        builder.line(index, linea)
    builder.w.end()
    before, after = builder.w.split(slot)
    namespaces = {"": builder.root.namespace, "cac": CAC, "cbc": CBC, "ext": EXT, "ds": DS}
    return CanonicalDocument(before=before, after=after, namespaces=namespaces)
