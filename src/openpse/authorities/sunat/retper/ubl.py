"""UBL 2.0 for the comprobante de retención (20) and the comprobante de percepción (40).

Element order follows SUNAT's schemas ``UBLPE-Retention-1.0.xsd`` and
``UBLPE-Perception-1.0.xsd`` (``cac:Signature`` comes *before* ``cbc:ID`` in these
roots, unlike UBL 2.1 invoices; ``sac:ExceptionalIndicator`` sits after ``cbc:IssueTime``
in the perception) and ``UBLPE-SunatAggregateComponents-1.0.xsd`` for the
``SUNAT…DocumentReference`` blocks (ID, IssueDate, TotalInvoiceAmount, one
``cac:Payment``, then the ``SUNAT…Information``). Party and address children follow the
UBL 2.0 ``PartyType`` and ``AddressType`` sequences; which address element holds what is
said by the rule sheets (rows 11–17): ``CityName`` is the provincia and
``CountrySubentity`` the departamento. Amounts of the retention or perception, the net
amounts and the totals are always PEN (rows 33, 35, 47, 50).

The document is written directly in canonical form, so :func:`sign_canonical` signs it
without parsing it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from openpse.authorities.sunat.retper.amounts import PEN, Calculo, Referencia
from openpse.authorities.sunat.retper.kinds import SAC, Kind
from openpse.authorities.sunat.ubl.ns import CAC, CBC, DS, EXT
from openpse.core.money import fmt2, round_to
from openpse.signing.canonical import CanonicalWriter, attributes
from openpse.signing.xmldsig import CanonicalDocument

_PEN = attributes({"currencyID": PEN})


@dataclass(frozen=True)
class Domicilio:
    """cac:PostalAddress of a party."""

    ubigeo: str | None = None
    direccion: str | None = None
    urbanizacion: str | None = None
    provincia: str | None = None
    departamento: str | None = None
    distrito: str | None = None
    pais: str = "PE"


@dataclass(frozen=True)
class Parte:
    """cac:AgentParty (the issuer) or cac:ReceiverParty (supplier or customer)."""

    tipo_documento: str
    numero_documento: str
    razon_social: str
    nombre_comercial: str | None = None
    domicilio: Domicilio | None = None


@dataclass(frozen=True)
class Comprobante:
    kind: Kind
    serie: str
    numero: int
    fecha_emision: dt.date
    hora_emision: dt.time
    emisor: Parte
    receptor: Parte
    regimen: str
    tasa: Decimal
    calculo: Calculo
    excepcional: bool = False
    observaciones: str | None = None

    @property
    def serie_numero(self) -> str:
        return f"{self.serie}-{self.numero}"


def _currency(code: str) -> str:
    return attributes({"currencyID": code})


def _party(w: CanonicalWriter, tag: str, parte: Parte) -> None:
    w.start(tag)
    w.start("cac:PartyIdentification")
    w.leaf("cbc:ID", parte.numero_documento, attributes({"schemeID": parte.tipo_documento}))
    w.end()
    if parte.nombre_comercial:
        w.start("cac:PartyName")
        w.leaf("cbc:Name", parte.nombre_comercial)
        w.end()
    domicilio = parte.domicilio
    if domicilio is not None:
        w.start("cac:PostalAddress")
        for element, value in (
            ("cbc:ID", domicilio.ubigeo),
            ("cbc:StreetName", domicilio.direccion),
            ("cbc:CitySubdivisionName", domicilio.urbanizacion),
            ("cbc:CityName", domicilio.provincia),
            ("cbc:CountrySubentity", domicilio.departamento),
            ("cbc:District", domicilio.distrito),
        ):
            if value:
                w.leaf(element, value)
        w.start("cac:Country")
        w.leaf("cbc:IdentificationCode", domicilio.pais)
        w.end()
        w.end()
    w.start("cac:PartyLegalEntity")
    w.leaf("cbc:RegistrationName", parte.razon_social)
    w.end()
    w.end()


def _signature_reference(w: CanonicalWriter, emisor: Parte) -> None:
    """cac:Signature as the Firma sheet asks (2076–2083): issuer RUC and name, #SignOpenPSE."""
    w.start("cac:Signature")
    w.leaf("cbc:ID", f"SIGN{emisor.numero_documento}")
    w.start("cac:SignatoryParty")
    w.start("cac:PartyIdentification")
    w.leaf("cbc:ID", emisor.numero_documento)
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


def _rate(factor: Decimal) -> str:
    """cbc:CalculationRate, n(4,6): six decimals, as SUNAT's samples write it."""
    return f"{round_to(factor, 6):f}"


def _reference(w: CanonicalWriter, kind: Kind, referencia: Referencia) -> None:
    documento, movimiento = referencia.documento, referencia.movimiento
    currency = _currency(documento.moneda)
    w.start(kind.reference)
    w.leaf("cbc:ID", documento.serie_numero, attributes({"schemeID": documento.tipo}))
    w.leaf_safe("cbc:IssueDate", documento.fecha_emision.isoformat())
    w.leaf("cbc:TotalInvoiceAmount", fmt2(documento.importe_total), currency)
    if movimiento is not None:
        w.start("cac:Payment")
        w.leaf_safe("cbc:ID", str(movimiento.numero))
        w.leaf("cbc:PaidAmount", fmt2(movimiento.importe), currency)
        w.leaf_safe("cbc:PaidDate", movimiento.fecha.isoformat())
        w.end()
    if movimiento is not None and referencia.importe is not None and referencia.neto is not None:
        w.start(kind.information)
        w.leaf_safe(kind.amount, fmt2(referencia.importe), _PEN)
        # The retention (perception) happens when the payment is made (collected).
        w.leaf_safe(kind.date, movimiento.fecha.isoformat())
        w.leaf_safe(kind.net, fmt2(referencia.neto), _PEN)
        if movimiento.factor is not None:
            w.start("cac:ExchangeRate")
            w.leaf("cbc:SourceCurrencyCode", documento.moneda)
            w.leaf_safe("cbc:TargetCurrencyCode", PEN)
            w.leaf_safe("cbc:CalculationRate", _rate(movimiento.factor))
            fecha_cambio = movimiento.fecha_cambio or movimiento.fecha
            w.leaf_safe("cbc:Date", fecha_cambio.isoformat())
            w.end()
        w.end()
    w.end()


def build(doc: Comprobante) -> CanonicalDocument:
    """The unsigned document in canonical form, with its empty signature slot."""
    kind, calculo = doc.kind, doc.calculo
    namespaces = {"": kind.namespace, "cac": CAC, "cbc": CBC, "ds": DS, "ext": EXT, "sac": SAC}
    w = CanonicalWriter()
    w.root(kind.root, namespaces)
    w.start("ext:UBLExtensions")
    w.start("ext:UBLExtension")
    slot = w.empty("ext:ExtensionContent")
    w.end()
    w.end()
    w.leaf_safe("cbc:UBLVersionID", "2.0")
    w.leaf_safe("cbc:CustomizationID", "1.0")
    _signature_reference(w, doc.emisor)
    w.leaf("cbc:ID", doc.serie_numero)
    w.leaf_safe("cbc:IssueDate", doc.fecha_emision.isoformat())
    w.leaf_safe("cbc:IssueTime", doc.hora_emision.replace(microsecond=0, tzinfo=None).isoformat())
    if doc.excepcional:
        # Percepciones1_0 row 7 (3322): the only value is 01, "emisión excepcional".
        w.leaf_safe("sac:ExceptionalIndicator", "01")
    _party(w, "cac:AgentParty", doc.emisor)
    _party(w, "cac:ReceiverParty", doc.receptor)
    w.leaf(kind.system_code, doc.regimen)
    w.leaf_safe(kind.percent, fmt2(doc.tasa))
    if doc.observaciones:
        w.leaf("cbc:Note", doc.observaciones)
    w.leaf_safe("cbc:TotalInvoiceAmount", fmt2(calculo.total), _PEN)
    if calculo.redondeo:
        w.leaf_safe("cbc:PayableRoundingAmount", fmt2(calculo.redondeo), _PEN)
    w.leaf_safe(kind.total_neto, fmt2(calculo.total_neto), _PEN)
    for referencia in calculo.referencias:
        _reference(w, kind, referencia)
    w.end()
    before, after = w.split(slot)
    return CanonicalDocument(before=before, after=after, namespaces=namespaces)
