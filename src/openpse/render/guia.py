"""The printed guía de remisión electrónica: remitente (09) and transportista (31).

Read from the signed DespatchAdvice of SUNAT's GRE 2022 (UBL 2.1, CustomizationID 2.0),
at the XPaths of SUNAT's GRE sheets (``ValidaExprRegGreRemitente-2.0.1.xsl``,
``ValidaExprRegGreTransportista-2.0.1.xsl``), the same ones
:mod:`openpse.authorities.sunat.guias.ubl` writes: who sends and who receives, the
motive and the modality (GRE catálogos 20 and 18), the route (partida and llegada with
their ubigeo, catálogo 13), the carrier, vehicles and drivers, the goods and the gross
weight, the related documents (catálogo 61).

The QR of a guía is SUNAT's: since the GRE platform of 2022 the CDR of an accepted guía
carries the link to print (``cac:DocumentReference/cbc:DocumentDescription``; sunat.md
§3.1). Before that CDR exists the printout carries the RS 113-2018 fields instead, and
says that SUNAT's code is still to come.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from lxml import etree

from openpse.authorities.sunat.cdr import Cdr
from openpse.authorities.sunat.guias import catalogs as gre
from openpse.authorities.sunat.guias import constants as k
from openpse.authorities.sunat.guias.sending import qr_url
from openpse.authorities.sunat.guias.ubl import DESPATCH_ADVICE
from openpse.authorities.sunat.ubl.ns import CAC, CBC, DS, EXT
from openpse.render import content, qr, xmlread
from openpse.render.errors import RenderError
from openpse.render.sheet import Column, Fact, Issuer, Row, Section, Sheet, Table

_NS = {"cac": CAC, "cbc": CBC, "ext": EXT, "ds": DS}
ROOT = (DESPATCH_ADVICE, "DespatchAdvice")

NAMES = {
    "09": "GUÍA DE REMISIÓN ELECTRÓNICA REMITENTE",
    "31": "GUÍA DE REMISIÓN ELECTRÓNICA TRANSPORTISTA",
}
_INDICATORS = {
    k.TRANSBORDO: "Transbordo programado",
    k.VEHICULO_M1_L: "Traslado en vehículos de categoría M1 o L",
    k.RETORNO_ENVASE_VACIO: "Retorno del vehículo con envases o embalajes vacíos",
    k.RETORNO_VACIO: "Retorno del vehículo vacío",
    k.TRASLADO_TOTAL_DAM_DS: "Traslado total de la DAM o DS",
    k.VEHICULO_CONDUCTORES_TRANSP: "Vehículos y conductores del transportista",
    k.TRASLADO_TOTAL: "Traslado total de los bienes",
    k.SUBCONTRATADO: "Transporte subcontratado",
    k.PAGADOR_FLETE["remitente"]: "Paga el flete: el remitente",
    k.PAGADOR_FLETE["subcontratador"]: "Paga el flete: el subcontratador",
    k.PAGADOR_FLETE["tercero"]: "Paga el flete: un tercero",
}
"""The indicators of cac:Shipment/cbc:SpecialInstructions (rule 3388), in words."""


@dataclass(frozen=True)
class Party:
    name: str
    id_type: str
    id_number: str


@dataclass(frozen=True)
class Authorization:
    """Autorización especial: entity (catálogo D37) and number."""

    entity: str
    number: str


@dataclass(frozen=True)
class Place:
    """Punto de partida or de llegada."""

    ubigeo: str
    address: str
    establishment: str | None
    establishment_ruc: str | None
    latitude: str | None
    longitude: str | None


@dataclass(frozen=True)
class Vehicle:
    plate: str
    tuc: str | None
    authorization: Authorization | None


@dataclass(frozen=True)
class Driver:
    id_type: str
    id_number: str
    names: str
    surnames: str
    license: str
    role: str
    """cbc:JobTitle: Principal or Secundario."""


@dataclass(frozen=True)
class Goods:
    line: str
    quantity: Decimal | None
    unit: str
    description: str
    code: str | None
    gtin: str | None
    product_code: str | None
    properties: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Related:
    """cac:AdditionalDocumentReference: a document related to the transport (catálogo 61)."""

    tipo: str
    number: str
    name: str | None
    issuer: str | None


@dataclass(frozen=True)
class Port:
    kind: str
    """1 puerto (catálogo 63), 2 aeropuerto (catálogo 64)."""
    code: str
    name: str | None


@dataclass(frozen=True)
class Guia:
    tipo: str
    serie: str
    numero: str
    issue_date: dt.date
    issue_time: str | None
    supplier: Party
    consignee: Party | None
    buyer: Party | None
    seller: Party | None
    shipper: Party | None
    """The remitente named in a guía transportista (cac:Delivery/cac:Despatch/cac:DespatchParty)."""
    payer: Party | None
    subcontractor: Party | None
    note: str | None
    related: tuple[Related, ...]
    motive: str | None
    motive_description: str | None
    mode: str | None
    start_date: dt.date | None
    gross_weight: Decimal | None
    weight_unit: str
    items_weight: Decimal | None
    weight_note: str | None
    packages: str | None
    indicators: tuple[str, ...]
    carrier: Party | None
    carrier_mtc: str | None
    carrier_authorization: Authorization | None
    shipper_authorization: Authorization | None
    drivers: tuple[Driver, ...]
    vehicles: tuple[Vehicle, ...]
    containers: tuple[tuple[str, str | None], ...]
    port: Port | None
    origin: Place | None
    destination: Place | None
    goods: tuple[Goods, ...]
    digest_value: str

    @property
    def serie_numero(self) -> str:
        return f"{self.serie}-{self.numero}"


# -- reading --------------------------------------------------------------------------------


def _text(node: etree._Element | None, path: str) -> str:
    return xmlread.text(node, path, _NS)


def _optional(node: etree._Element | None, path: str) -> str | None:
    return xmlread.optional(node, path, _NS)


def _scheme(node: etree._Element, path: str) -> str:
    found = node.find(path, _NS)
    return (found.get("schemeID") or "").strip() if found is not None else ""


def _bare_party(node: etree._Element | None) -> Party | None:
    """A PartyType: identification and legal name (either may be all there is)."""
    if node is None:
        return None
    name = _text(node, "cac:PartyLegalEntity/cbc:RegistrationName")
    number = _text(node, "cac:PartyIdentification/cbc:ID")
    if not name and not number:
        return None
    return Party(name, _scheme(node, "cac:PartyIdentification/cbc:ID"), number)


def _party(root: etree._Element, path: str) -> Party | None:
    return _bare_party(root.find(path, _NS))


def _read_authorization(node: etree._Element | None) -> Authorization | None:
    if node is None:
        return None
    number = (node.text or "").strip()
    return Authorization((node.get("schemeID") or "").strip(), number) if number else None


def _read_place(node: etree._Element | None) -> Place | None:
    if node is None:
        return None
    lines = [(line.text or "").strip() for line in node.findall("cac:AddressLine/cbc:Line", _NS)]
    establishment = node.find("cbc:AddressTypeCode", _NS)
    code = owner = None
    if establishment is not None:
        # The establishment's code, and in its listID the RUC it is registered to.
        code = (establishment.text or "").strip() or None
        owner = (establishment.get("listID") or "").strip() or None
    return Place(
        ubigeo=_text(node, "cbc:ID"),
        address=" ".join(line for line in lines if line),
        establishment=code,
        establishment_ruc=owner,
        latitude=_optional(node, "cac:LocationCoordinate/cbc:LatitudeDegreesMeasure"),
        longitude=_optional(node, "cac:LocationCoordinate/cbc:LongitudeDegreesMeasure"),
    )


def _vehicle(node: etree._Element) -> Vehicle:
    return Vehicle(
        plate=_text(node, "cbc:ID"),
        tuc=_optional(node, "cac:ApplicableTransportMeans/cbc:RegistrationNationalityID"),
        authorization=_read_authorization(node.find("cac:ShipmentDocumentReference/cbc:ID", _NS)),
    )


def _goods(node: etree._Element) -> Goods:
    number = _text(node, "cbc:ID")
    quantity_node = node.find("cbc:DeliveredQuantity", _NS)
    quantity = None
    unit = ""
    if quantity_node is not None and (quantity_node.text or "").strip():
        quantity = xmlread.decimal(
            (quantity_node.text or "").strip(), f"cbc:DeliveredQuantity de la línea {number or '?'}"
        )
        unit = (quantity_node.get("unitCode") or "").strip()
    item = node.find("cac:Item", _NS)
    properties = []
    if item is not None:
        for prop in item.findall("cac:AdditionalItemProperty", _NS):
            name, value = _text(prop, "cbc:Name"), _text(prop, "cbc:Value")
            if value:
                properties.append((name, value))
    return Goods(
        line=number,
        quantity=quantity,
        unit=unit,
        description="\n".join(
            (d.text or "").strip() for d in (item.findall("cbc:Description", _NS) if item is not None else [])
        ).strip(),
        code=_optional(item, "cac:SellersItemIdentification/cbc:ID"),
        gtin=_optional(item, "cac:StandardItemIdentification/cbc:ID"),
        product_code=_optional(item, "cac:CommodityClassification/cbc:ItemClassificationCode"),
        properties=tuple(properties),
    )


def read_guia(root: etree._Element) -> Guia:
    """Read a signed guía remitente or transportista."""
    version = _text(root, "cbc:UBLVersionID")
    if version != "2.1":
        raise RenderError(f"Guía en UBL {version or '(sin versión)'}: SUNAT recibe guías en UBL 2.1")
    tipo = _text(root, "cbc:DespatchAdviceTypeCode")
    if tipo not in NAMES:
        raise RenderError(
            f"Tipo de guía {tipo or '(vacío)'} no soportado: una DespatchAdvice es guía remitente (09) o "
            "transportista (31)"
        )
    ident = _text(root, "cbc:ID")
    serie, dash, numero = ident.partition("-")
    if not dash or not serie or not numero:
        raise RenderError(f"cbc:ID {ident!r} no tiene la forma SERIE-NÚMERO")
    issue = _text(root, "cbc:IssueDate")
    if not issue:
        raise RenderError("Falta la fecha de emisión (cbc:IssueDate)")
    supplier = _party(root, "cac:DespatchSupplierParty/cac:Party")
    if supplier is None or not supplier.id_number:
        raise RenderError(
            "Falta el RUC del emisor (cac:DespatchSupplierParty/cac:Party/cac:PartyIdentification)"
        )
    if not supplier.name:
        raise RenderError("Falta la razón social del emisor (cac:PartyLegalEntity/cbc:RegistrationName)")
    shipment = root.find("cac:Shipment", _NS)
    if shipment is None:
        raise RenderError("Falta el envío (cac:Shipment): motivo, peso y puntos de partida y llegada")
    stage = shipment.find("cac:ShipmentStage", _NS)
    carrier = stage.find("cac:CarrierParty", _NS) if stage is not None else None
    despatch = shipment.find("cac:Delivery/cac:Despatch", _NS)
    despatch_party = despatch.find("cac:DespatchParty", _NS) if despatch is not None else None
    weight = shipment.find("cbc:GrossWeightMeasure", _NS)
    unit = shipment.find("cac:TransportHandlingUnit", _NS)
    equipment = unit.find("cac:TransportEquipment", _NS) if unit is not None else None
    vehicles: list[Vehicle] = []
    if equipment is not None:
        vehicles.append(_vehicle(equipment))
        vehicles.extend(_vehicle(node) for node in equipment.findall("cac:AttachedTransportEquipment", _NS))
    port = shipment.find("cac:FirstArrivalPortLocation", _NS)
    goods = tuple(_goods(node) for node in root.findall("cac:DespatchLine", _NS))
    if not goods:
        raise RenderError("La guía no tiene líneas (cac:DespatchLine)")
    return Guia(
        tipo=tipo,
        serie=serie,
        numero=numero,
        issue_date=xmlread.date(issue, "cbc:IssueDate"),
        issue_time=_text(root, "cbc:IssueTime")[:8] or None,
        supplier=supplier,
        consignee=_party(root, "cac:DeliveryCustomerParty/cac:Party"),
        buyer=_party(root, "cac:BuyerCustomerParty/cac:Party"),
        seller=_party(root, "cac:SellerSupplierParty/cac:Party"),
        shipper=_bare_party(despatch_party),
        payer=_party(root, "cac:OriginatorCustomerParty/cac:Party"),
        subcontractor=_bare_party(shipment.find("cac:Consignment/cac:LogisticsOperatorParty", _NS)),
        note=xmlread.join(*((n.text or "").strip() for n in root.findall("cbc:Note", _NS)), separator=" "),
        related=tuple(
            Related(
                tipo=_text(ref, "cbc:DocumentTypeCode"),
                number=_text(ref, "cbc:ID"),
                name=_optional(ref, "cbc:DocumentType"),
                issuer=_optional(ref, "cac:IssuerParty/cac:PartyIdentification/cbc:ID"),
            )
            for ref in root.findall("cac:AdditionalDocumentReference", _NS)
            if _text(ref, "cbc:ID")
        ),
        motive=_optional(shipment, "cbc:HandlingCode"),
        motive_description=_optional(shipment, "cbc:HandlingInstructions"),
        mode=_optional(stage, "cbc:TransportModeCode"),
        start_date=xmlread.optional_date(stage, "cac:TransitPeriod/cbc:StartDate", _NS),
        gross_weight=xmlread.amount(shipment, "cbc:GrossWeightMeasure", _NS),
        weight_unit=(weight.get("unitCode") or "").strip() if weight is not None else "",
        items_weight=xmlread.amount(shipment, "cbc:NetWeightMeasure", _NS),
        weight_note=_optional(shipment, "cbc:Information"),
        packages=_optional(shipment, "cbc:TotalTransportHandlingUnitQuantity"),
        indicators=tuple(
            (node.text or "").strip()
            for node in shipment.findall("cbc:SpecialInstructions", _NS)
            if (node.text or "").strip()
        ),
        carrier=_bare_party(carrier),
        carrier_mtc=_optional(carrier, "cac:PartyLegalEntity/cbc:CompanyID"),
        carrier_authorization=_read_authorization(
            carrier.find("cac:AgentParty/cac:PartyLegalEntity/cbc:CompanyID", _NS)
            if carrier is not None
            else None
        ),
        shipper_authorization=_read_authorization(
            despatch_party.find("cac:AgentParty/cac:PartyLegalEntity/cbc:CompanyID", _NS)
            if despatch_party is not None
            else None
        ),
        drivers=tuple(
            Driver(
                id_type=_scheme(node, "cbc:ID"),
                id_number=_text(node, "cbc:ID"),
                names=_text(node, "cbc:FirstName"),
                surnames=_text(node, "cbc:FamilyName"),
                license=_text(node, "cac:IdentityDocumentReference/cbc:ID"),
                role=_text(node, "cbc:JobTitle"),
            )
            for node in (stage.findall("cac:DriverPerson", _NS) if stage is not None else [])
        ),
        vehicles=tuple(vehicles),
        containers=tuple(
            (_text(node, "cbc:ID"), _optional(node, "cbc:TraceID"))
            for node in (unit.findall("cac:Package", _NS) if unit is not None else [])
        ),
        port=Port(_text(port, "cbc:LocationTypeCode"), _text(port, "cbc:ID"), _optional(port, "cbc:Name"))
        if port is not None
        else None,
        origin=_read_place(despatch.find("cac:DespatchAddress", _NS) if despatch is not None else None),
        destination=_read_place(shipment.find("cac:Delivery/cac:DeliveryAddress", _NS)),
        goods=goods,
        digest_value=xmlread.digest_value(
            root.findall(
                "ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent/ds:Signature/ds:SignedInfo/ds:Reference",
                _NS,
            ),
            _NS,
        ),
    )


# -- the sheet ------------------------------------------------------------------------------

_COLUMNS = (
    Column("N°", 8, "C"),
    Column("Código", 26, "L"),
    Column("Descripción", 104, "L"),
    Column("Unidad", 20, "C"),
    Column("Cantidad", 28, "R", numeric=True),
)


def sunat_qr_text(guia: Guia) -> str:
    """The RS 113-2018 Anexo 6 fields of a guía, printed until SUNAT's own link arrives in the CDR.

    A guía has no tax nor total: those two fields are empty, so that the fields after
    them keep their places for a reader that splits on "|". The destinatario stands
    where the adquirente of a comprobante goes.
    """
    consignee = guia.consignee or Party("", "", "")
    return qr.sunat_fields(
        guia.supplier.id_number,
        guia.tipo,
        guia.serie,
        guia.numero,
        "",
        "",
        guia.issue_date.isoformat(),
        consignee.id_type,
        consignee.id_number,
        guia.digest_value,
    )


def _who(party: Party) -> str:
    ident = f"{content.id_type(party.id_type)} {party.id_number}" if party.id_number else ""
    return " – ".join(part for part in (party.name, ident) if part)


def _ubigeo(code: str) -> str | None:
    """Distrito - provincia - departamento of an INEI ubigeo (GRE catálogo 13)."""
    if len(code) != 6 or not code.isdigit():
        return None
    names = [gre.nombre("13", code), gre.nombre("13", code[:4] + "00"), gre.nombre("13", code[:2] + "0000")]
    return " - ".join(name for name in names if name) or None


def _place(place: Place) -> str:
    text = xmlread.join(place.address, _ubigeo(place.ubigeo)) or ""
    if place.ubigeo:
        text += f" (ubigeo {place.ubigeo})"
    if place.establishment:
        owner = f" del RUC {place.establishment_ruc}" if place.establishment_ruc else ""
        text += f"; establecimiento {place.establishment}{owner}"
    if place.latitude or place.longitude:
        text += f"; coordenadas {place.latitude or '-'}, {place.longitude or '-'}"
    return text


def _authorization(authorization: Authorization) -> str:
    entity = gre.nombre("D37", authorization.entity)
    return f"{authorization.number} ({entity})" if entity else authorization.number


def _coded(catalogue: str, code: str | None) -> str | None:
    if not code:
        return None
    name = gre.nombre(catalogue, code)
    return f"{code} – {name}" if name else code


def _weight(value: Decimal, unit: str) -> str:
    return f"{value:,f} {unit}".strip()


def _parties(guia: Guia) -> list[Fact]:
    roles = (
        ("Destinatario", guia.consignee),
        ("Remitente", guia.shipper),
        ("Comprador", guia.buyer),
        ("Proveedor", guia.seller),
        ("Pagador del flete", guia.payer),
        ("Subcontratador", guia.subcontractor),
    )
    return [(label, _who(party)) for label, party in roles if party is not None]


def _facts(guia: Guia) -> list[Fact]:
    facts = [("Fecha de emisión", content.date(guia.issue_date))]
    if guia.issue_time:
        facts.append(("Hora de emisión", guia.issue_time))
    if guia.start_date:
        facts.append(("Inicio del traslado", content.date(guia.start_date)))
    optional = (
        ("Motivo de traslado", _coded("20", guia.motive)),
        ("Descripción del motivo", guia.motive_description),
        ("Modalidad de traslado", _coded("18", guia.mode)),
    )
    facts.extend((label, value) for label, value in optional if value)
    if guia.tipo == "31" and guia.carrier_mtc:
        facts.append(("Registro MTC", guia.carrier_mtc))
    for related in guia.related:
        name = related.name or gre.nombre("61", related.tipo) or "Documento relacionado"
        issuer = f" (RUC {related.issuer})" if related.issuer else ""
        facts.append((name, f"{related.number}{issuer}"))
    return facts


def _sections(guia: Guia) -> list[Section]:
    route: list[Fact] = []
    if guia.origin is not None:
        route.append(("Punto de partida", _place(guia.origin)))
    if guia.destination is not None:
        route.append(("Punto de llegada", _place(guia.destination)))
    if guia.port is not None:
        catalogue, label = ("63", "Puerto") if guia.port.kind == "1" else ("64", "Aeropuerto")
        name = guia.port.name or gre.nombre(catalogue, guia.port.code)
        route.append((label, f"{guia.port.code} – {name}" if name else guia.port.code))
    transport: list[Fact] = []
    if guia.tipo == "09" and guia.carrier is not None:
        transport.append(("Transportista", _who(guia.carrier)))
        if guia.carrier_mtc:
            transport.append(("Registro MTC", guia.carrier_mtc))
    if guia.carrier_authorization is not None:
        transport.append(("Autorización del transportista", _authorization(guia.carrier_authorization)))
    if guia.shipper_authorization is not None:
        transport.append(("Autorización del remitente", _authorization(guia.shipper_authorization)))
    for index, vehicle in enumerate(guia.vehicles):
        text = vehicle.plate + (f", TUC {vehicle.tuc}" if vehicle.tuc else "")
        if vehicle.authorization is not None:
            text += f", autorización {_authorization(vehicle.authorization)}"
        transport.append(("Vehículo principal" if index == 0 else "Vehículo secundario", text))
    for index, driver in enumerate(guia.drivers):
        name = f"{driver.names} {driver.surnames}".strip()
        text = " – ".join(
            part
            for part in (
                name,
                f"{content.id_type(driver.id_type)} {driver.id_number}",
                f"licencia {driver.license}",
            )
            if part
        )
        principal = driver.role == k.CONDUCTOR_PRINCIPAL or (not driver.role and index == 0)
        transport.append(("Conductor principal" if principal else "Conductor secundario", text))
    for number, seal in guia.containers:
        transport.append(("Contenedor", f"{number}, precinto {seal}" if seal else number))
    if guia.indicators:
        transport.append(("Indicadores", "; ".join(_INDICATORS.get(code, code) for code in guia.indicators)))
    sections = []
    if route:
        sections.append(Section("Punto de partida y punto de llegada", tuple(route)))
    if transport:
        sections.append(Section("Transporte", tuple(transport)))
    return sections


def _row(goods: Goods) -> Row:
    details = []
    if goods.product_code:
        details.append(f"Cód. SUNAT: {goods.product_code}")
    if goods.gtin:
        details.append(f"GTIN: {goods.gtin}")
    details.extend(f"{name}: {value}" if name else value for name, value in goods.properties)
    quantity = content.quantity(goods.quantity) if goods.quantity is not None else ""
    return Row(
        cells=(goods.line, goods.code or "", goods.description, goods.unit, quantity),
        details=tuple(details),
        ticket_title=f"{goods.code} – {goods.description}" if goods.code else goods.description,
        ticket_values="",
        ticket_amount=f"{quantity} {goods.unit}".strip(),
    )


def guia_sheet(guia: Guia, cdr: Cdr | None, consulta_url: str | None) -> Sheet:
    name = NAMES[guia.tipo]
    link = qr_url(cdr) if cdr is not None else None
    totals: list[tuple[str, str, bool]] = []
    if guia.packages:
        totals.append(("Número de bultos", guia.packages, False))
    if guia.items_weight is not None:
        totals.append(("Peso bruto de los ítems", _weight(guia.items_weight, "KGM"), False))
    if guia.gross_weight is not None:
        totals.append(("Peso bruto total", _weight(guia.gross_weight, guia.weight_unit), True))
    legends = []
    if guia.weight_note:
        legends.append((f"Sustento del peso: {guia.weight_note}", False))
    if guia.note:
        legends.append((f"Observaciones: {guia.note}", False))
    if link is None:
        # RS 123-2022: the printed guía carries the QR SUNAT issues with the CDR.
        legends.append(
            (
                "Guía sin constancia de recepción (CDR) de SUNAT: el código QR de consulta lo asigna SUNAT "
                "al aceptarla",
                False,
            )
        )
    proofs = [f"Valor resumen (hash): {guia.digest_value}"]
    if link:
        proofs.append(f"Consulta en SUNAT: {link}")
    if consulta_url:
        consult = f"Consulte su guía en {consulta_url}"
    elif link:
        consult = "Escanee el código QR para ver la guía en SUNAT"
    else:
        consult = "Puede verificar la validez de esta guía en www.sunat.gob.pe"
    return Sheet(
        name=name,
        number=guia.serie_numero,
        issuer=Issuer(
            name=guia.supplier.name,
            trade_name=None,
            id_label=f"R.U.C. N° {guia.supplier.id_number}",
            id_short=f"RUC {guia.supplier.id_number}",
        ),
        parties=tuple(_parties(guia)),
        facts=tuple(_facts(guia)),
        sections=tuple(_sections(guia)),
        table=Table(
            columns=_COLUMNS,
            detail_column=2,
            ticket_heading=("Bienes", "Cantidad"),
            rows=tuple(_row(goods) for goods in guia.goods),
        ),
        totals=tuple(totals),
        legends=tuple(legends),
        pending=None,
        schedule=(),
        representation=f"Representación impresa de la {name}",
        proofs=tuple(proofs),
        consult=consult,
        answer=tuple(content.cdr_lines(cdr)) if cdr is not None else (),
        qr=link or sunat_qr_text(guia),
        author=guia.supplier.name,
    )
