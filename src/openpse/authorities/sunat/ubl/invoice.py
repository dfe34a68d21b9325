"""UBL 2.1 Invoice for factura (01) and boleta (03), CustomizationID 2.0.

Element order follows the OASIS UBL-Invoice-2.1 schema; content follows SUNAT's
"Guía de elaboración de documentos XML - Factura electrónica" and the Factura2_0 /
Boleta2_0 validation sheets (the code of each rule is noted where a choice matters).
The document is written directly in canonical form (``openpse.signing.canonical``), so
signing it needs no parsing; it is indented, as SUNAT's own samples, because people read
these files.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from decimal import Decimal

from openpse.authorities.sunat.totals import DocumentTotals, LineTotals
from openpse.authorities.sunat.ubl.ns import CAC, CBC, DS, EXT, INVOICE
from openpse.core.money import fmt2, fmt_max, fmt_qty
from openpse.signing.canonical import CanonicalWriter, attributes, escape_attr, escape_text
from openpse.signing.xmldsig import CanonicalDocument

NAMESPACES = {"": INVOICE, "cac": CAC, "cbc": CBC, "ext": EXT, "ds": DS}
_CAT = "urn:pe:gob:sunat:cpe:see:gem:catalogos:catalogo"
_UNECE = "United Nations Economic Commission for Europe"

# Constant attribute sets, rendered once.
_A_CUSTOMIZATION = attributes({"schemeAgencyName": "PE:SUNAT"})
_A_PARTY_ID = attributes(
    {"schemeName": "Documento de Identidad", "schemeAgencyName": "PE:SUNAT", "schemeURI": _CAT + "06"}
)
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
_A_UNSPSC = attributes({"listID": "UNSPSC", "listAgencyName": "GS1 US", "listName": "Item Classification"})


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
class Linea:
    descripcion: str
    unidad: str
    totals: LineTotals
    codigo: str | None = None
    codigo_producto_sunat: str | None = None


@dataclass(frozen=True)
class Cuota:
    monto: Decimal
    fecha_pago: dt.date


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
    forma_pago: str = "Contado"
    monto_pendiente: Decimal | None = None
    cuotas: list[Cuota] = field(default_factory=list)
    fecha_vencimiento: dt.date | None = None
    observaciones: str | None = None
    orden_compra: str | None = None

    @property
    def serie_numero(self) -> str:
        return f"{self.serie}-{self.numero}"


class _Builder:
    def __init__(self, doc: Invoice) -> None:
        self.doc = doc
        self.w = CanonicalWriter()
        self.currency = attributes({"currencyID": doc.moneda})
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
        w.root("Invoice", NAMESPACES)
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
        if doc.fecha_vencimiento:
            w.leaf_safe("cbc:DueDate", doc.fecha_vencimiento.isoformat())
        # 3205/3206: the operation type travels in @listID (catálogo 51), not in ProfileID.
        w.leaf(
            "cbc:InvoiceTypeCode",
            doc.tipo,
            attributes(
                {
                    "listID": doc.tipo_operacion,
                    "listAgencyName": "PE:SUNAT",
                    "listName": "Tipo de Documento",
                    "listURI": _CAT + "01",
                    "name": "Tipo de Operacion",
                }
            ),
        )
        for codigo, texto in doc.leyendas:
            w.leaf("cbc:Note", texto, attributes({"languageLocaleID": codigo}))
        if doc.observaciones:
            w.leaf("cbc:Note", doc.observaciones)
        w.leaf("cbc:DocumentCurrencyCode", doc.moneda, _A_CURRENCY)
        w.leaf_safe("cbc:LineCountNumeric", str(len(doc.lineas)))
        if doc.orden_compra:
            w.start("cac:OrderReference")
            w.leaf("cbc:ID", doc.orden_compra)
            w.end()
        return slot

    def signature_reference(self) -> None:
        emisor, w = self.doc.emisor, self.w
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

    def supplier(self) -> None:
        emisor, w = self.doc.emisor, self.w
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

    def customer(self) -> None:
        receptor, w = self.doc.receptor, self.w
        w.start("cac:AccountingCustomerParty")
        w.start("cac:Party")
        w.start("cac:PartyIdentification")
        w.leaf(
            "cbc:ID",
            receptor.numero_documento,
            attributes(
                {
                    "schemeID": receptor.tipo_documento,
                    "schemeName": "Documento de Identidad",
                    "schemeAgencyName": "PE:SUNAT",
                    "schemeURI": _CAT + "06",
                }
            ),
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

    def payment_terms(self) -> None:
        doc, w = self.doc, self.w
        if doc.tipo == "03":
            # FormaPago (3244) is a factura rule; the boleta sheet has no such element and
            # rejects a PaymentMeansID outside detracción (3128).
            return
        w.start("cac:PaymentTerms")
        w.leaf_safe("cbc:ID", "FormaPago")
        w.leaf_safe("cbc:PaymentMeansID", doc.forma_pago)
        if doc.forma_pago == "Credito":
            self.amount("cbc:Amount", doc.monto_pendiente or doc.totals.total)
        w.end()
        if doc.forma_pago == "Credito":
            for index, cuota in enumerate(doc.cuotas, start=1):
                w.start("cac:PaymentTerms")
                w.leaf_safe("cbc:ID", "FormaPago")
                w.leaf_safe("cbc:PaymentMeansID", f"Cuota{index:03d}")
                self.amount("cbc:Amount", cuota.monto)
                w.leaf_safe("cbc:PaymentDueDate", cuota.fecha_pago.isoformat())
                w.end()

    def tax_total(self) -> None:
        doc, w = self.doc, self.w
        totals = doc.totals
        w.start("cac:TaxTotal")
        self.amount("cbc:TaxAmount", totals.igv)
        present = {ln.totals.tributo.codigo for ln in doc.lineas}
        for codigo, base, tax, nombre, internacional in (
            ("1000", totals.gravado, totals.igv, "IGV", "VAT"),
            ("9997", totals.exonerado, Decimal(0), "EXO", "VAT"),
            ("9998", totals.inafecto, Decimal(0), "INA", "FRE"),
        ):
            if codigo not in present:
                continue
            w.start("cac:TaxSubtotal")
            self.amount("cbc:TaxableAmount", base)
            self.amount("cbc:TaxAmount", tax)
            w.start("cac:TaxCategory")
            self.tax_scheme(codigo, nombre, internacional)
            w.end()
            w.end()
        w.end()

    def monetary_total(self) -> None:
        totals, w = self.doc.totals, self.w
        w.start("cac:LegalMonetaryTotal")
        self.amount("cbc:LineExtensionAmount", totals.valor_venta)
        self.amount("cbc:TaxInclusiveAmount", totals.precio_venta)
        self.amount("cbc:PayableAmount", totals.total)
        w.end()

    def line(self, index: int, linea: Linea) -> None:
        t = linea.totals
        template = _line_template(bool(linea.codigo), bool(linea.codigo_producto_sunat))
        self.w.raw(
            template.format(
                index=index,
                cantidad=fmt_qty(t.cantidad),
                unidad=escape_attr(linea.unidad),
                currency=self.currency_code,
                # LineTotals amounts are already rounded to cents: written as they are.
                valor_venta=f"{t.valor_venta:f}",
                precio_unitario=fmt_max(t.precio_unitario),
                igv=f"{t.igv:f}",
                porcentaje=f"{t.porcentaje:f}",
                afectacion=escape_text(t.afectacion),
                tributo=t.tributo.codigo,
                tributo_nombre=t.tributo.nombre,
                tributo_internacional=t.tributo.codigo_internacional,
                descripcion=escape_text(linea.descripcion),
                codigo=escape_text(linea.codigo or ""),
                codigo_producto=escape_text(linea.codigo_producto_sunat or ""),
                valor_unitario=fmt_max(t.valor_unitario),
            )
        )


@functools.cache
def _line_template(with_code: bool, with_product_code: bool) -> str:
    """An InvoiceLine written once by the canonical writer with ``{field}`` placeholders.

    Lines are most of a document; filling a template costs a tenth of writing each
    element, and the template comes from the same writer, so the rules stay in one place.
    Placeholder values are escaped by the caller.
    """
    w = CanonicalWriter(depth=1)
    currency = ' currencyID="{currency}"'
    w.start("cac:InvoiceLine")
    w.leaf_safe("cbc:ID", "{index}")
    w.leaf_safe(
        "cbc:InvoicedQuantity",
        "{cantidad}",
        ' unitCode="{unidad}"'
        + attributes({"unitCodeListID": "UN/ECE rec 20", "unitCodeListAgencyName": _UNECE}),
    )
    w.leaf_safe("cbc:LineExtensionAmount", "{valor_venta}", currency)
    w.start("cac:PricingReference")
    w.start("cac:AlternativeConditionPrice")
    w.leaf_safe("cbc:PriceAmount", "{precio_unitario}", currency)
    w.leaf_safe("cbc:PriceTypeCode", "01", _A_PRICE_TYPE)
    w.end()
    w.end()
    w.start("cac:TaxTotal")
    w.leaf_safe("cbc:TaxAmount", "{igv}", currency)
    w.start("cac:TaxSubtotal")
    w.leaf_safe("cbc:TaxableAmount", "{valor_venta}", currency)
    w.leaf_safe("cbc:TaxAmount", "{igv}", currency)
    w.start("cac:TaxCategory")
    w.leaf_safe("cbc:Percent", "{porcentaje}")
    w.leaf_safe("cbc:TaxExemptionReasonCode", "{afectacion}", _A_AFECTACION)
    w.start("cac:TaxScheme")
    w.leaf_safe("cbc:ID", "{tributo}", _A_TRIBUTO)
    w.leaf_safe("cbc:Name", "{tributo_nombre}")
    w.leaf_safe("cbc:TaxTypeCode", "{tributo_internacional}")
    w.end()
    w.end()
    w.end()
    w.end()
    w.start("cac:Item")
    w.leaf_safe("cbc:Description", "{descripcion}")
    if with_code:
        w.start("cac:SellersItemIdentification")
        w.leaf_safe("cbc:ID", "{codigo}")
        w.end()
    if with_product_code:
        w.start("cac:CommodityClassification")
        w.leaf_safe("cbc:ItemClassificationCode", "{codigo_producto}", _A_UNSPSC)
        w.end()
    w.end()
    w.start("cac:Price")
    w.leaf_safe("cbc:PriceAmount", "{valor_unitario}", currency)
    w.end()
    w.end()
    return w.text()


def build_invoice(doc: Invoice) -> CanonicalDocument:
    """The unsigned Invoice in canonical form, with an empty ``ext:ExtensionContent`` for the signature."""
    builder = _Builder(doc)
    slot = builder.header()
    builder.signature_reference()
    builder.supplier()
    builder.customer()
    builder.payment_terms()
    builder.tax_total()
    builder.monetary_total()
    for index, linea in enumerate(doc.lineas, start=1):
        builder.line(index, linea)
    builder.w.end()
    before, after = builder.w.split(slot)
    return CanonicalDocument(before=before, after=after, namespaces=NAMESPACES)
