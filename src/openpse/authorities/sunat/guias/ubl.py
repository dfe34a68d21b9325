"""UBL 2.1 DespatchAdvice for the guía remitente (09) and the guía transportista (31).

Element order follows the OASIS UBL 2.1 schema that SUNAT's GRE 2022 platform validates
(``maindoc-gre2022/UBL-DespatchAdvice-2.1.xsd`` with the 2.1 common library: a
DespatchLine needs an OrderLineReference, an ItemProperty a Name, a coordinate a
unitCode); the content follows the XPaths of SUNAT's GRE sheets
(``ValidaExprRegGreRemitente-2.0.1.xsl``, ``ValidaExprRegGreTransportista-2.0.1.xsl``),
with the list and scheme attributes their 4251–4259 rows expect. The document is written
in canonical form (``openpse.signing.canonical``) with an empty signature slot, like the
invoices, so it is signed without being parsed; unlike them it has no indentation (see
:class:`_CompactWriter`).
"""

from __future__ import annotations

import datetime as dt

from openpse.authorities.sunat.guias import catalogs
from openpse.authorities.sunat.guias import constants as k
from openpse.authorities.sunat.guias.models import (
    Autorizacion,
    Bien,
    Direccion,
    Emisor,
    GuiaRemitenteIn,
    GuiaTransportistaIn,
    Participante,
    Vehiculo,
)
from openpse.authorities.sunat.guias.rules import item_unit, ruc_of
from openpse.authorities.sunat.ubl.ns import CAC, CBC, DS, EXT
from openpse.signing.canonical import CanonicalWriter, attributes
from openpse.signing.xmldsig import CanonicalDocument

DESPATCH_ADVICE = "urn:oasis:names:specification:ubl:schema:xsd:DespatchAdvice-2"
NAMESPACES = {"": DESPATCH_ADVICE, "cac": CAC, "cbc": CBC, "ext": EXT, "ds": DS}
_CAT = "urn:pe:gob:sunat:cpe:see:gem:catalogos:catalogo"
_UNECE = "United Nations Economic Commission for Europe"


def _list(name: str, catalogo: str) -> str:
    return attributes({"listAgencyName": "PE:SUNAT", "listName": name, "listURI": _CAT + catalogo})


_A_CUSTOMIZATION = attributes({"schemeAgencyName": "PE:SUNAT"})
_A_TIPO = _list("Tipo de Documento", "01")
_A_DOC_RELACIONADO = _list("Documento relacionado al transporte", "61")
_A_MOTIVO = _list("Motivo de traslado", "20")
_A_MODALIDAD = _list("Modalidad de traslado", "18")
_A_PROPIEDAD = _list("Propiedad del item", "55")
_A_UBIGEO = attributes({"schemeName": "Ubigeos", "schemeAgencyName": "PE:INEI"})
_A_UNSPSC = attributes({"listID": "UNSPSC", "listAgencyName": "GS1 US", "listName": "Item Classification"})
_A_DEGREES = attributes({"unitCode": "DD"})
"""UN/ECE rec 20 "degree (unit of angle)": a UBL measure needs a unit; the sheets read the value."""


def _identity(tipo: str) -> str:
    return attributes(
        {
            "schemeID": tipo,
            "schemeName": "Documento de Identidad",
            "schemeAgencyName": "PE:SUNAT",
            "schemeURI": _CAT + "06",
        }
    )


def _entidad(codigo: str) -> str:
    return attributes(
        {"schemeID": codigo, "schemeName": "Entidad Autorizadora", "schemeAgencyName": "PE:SUNAT"}
    )


class _CompactWriter(CanonicalWriter):
    """The canonical writer without whitespace between elements.

    The remitente sheet checks the carrier's name (4165) and the weight explanation
    (4428) with ``regexpValidateElementIfExist`` on ``text()``, the context node's own
    text: the root element's. In an indented document that text is the line break before
    the first child, which fails the pattern, so every indented guía with a carrier would
    come back observed. Written without whitespace the root has no text of its own and
    the rows find nothing to object to, as with greenter's whitespace-free template.
    """

    __slots__ = ()

    def _newline(self) -> str:
        return ""


class _Writer:
    def __init__(
        self, guia: GuiaRemitenteIn | GuiaTransportistaIn, emisor: Emisor, signature_id: str
    ) -> None:
        self.guia = guia
        self.emisor = emisor
        self.signature_id = signature_id
        self.w = _CompactWriter()

    # -- parties -----------------------------------------------------------------------

    def party(self, container: str, tipo: str, numero: str, nombre: str) -> None:
        w = self.w
        w.start(container)
        w.start("cac:Party")
        w.start("cac:PartyIdentification")
        w.leaf("cbc:ID", numero, _identity(tipo))
        w.end()
        w.start("cac:PartyLegalEntity")
        w.leaf("cbc:RegistrationName", nombre)
        w.end()
        w.end()
        w.end()

    def customer(self, container: str, participante: Participante) -> None:
        self.party(
            container, participante.tipo_documento, participante.numero_documento, participante.razon_social
        )

    def bare_party(self, container: str, participante: Participante) -> None:
        """A party written directly as a PartyType (DespatchParty, LogisticsOperatorParty)."""
        w = self.w
        w.start(container)
        w.start("cac:PartyIdentification")
        w.leaf("cbc:ID", participante.numero_documento, _identity(participante.tipo_documento))
        w.end()
        w.start("cac:PartyLegalEntity")
        w.leaf("cbc:RegistrationName", participante.razon_social)
        w.end()
        w.end()

    def agent(self, autorizacion: Autorizacion) -> None:
        """Autorización especial: cac:AgentParty/cac:PartyLegalEntity/cbc:CompanyID (catálogo D37)."""
        w = self.w
        w.start("cac:AgentParty")
        w.start("cac:PartyLegalEntity")
        w.leaf("cbc:CompanyID", autorizacion.numero, _entidad(autorizacion.entidad))
        w.end()
        w.end()

    # -- header ------------------------------------------------------------------------

    def header(self, numero: int, fecha: dt.date, hora: dt.time) -> int:
        guia, w = self.guia, self.w
        w.root("DespatchAdvice", NAMESPACES)
        w.start("ext:UBLExtensions")
        w.start("ext:UBLExtension")
        slot = w.empty("ext:ExtensionContent")
        w.end()
        w.end()
        w.leaf_safe("cbc:UBLVersionID", "2.1")
        # 2.0 since the GRE platform of December 2022 (2112 with 1.0).
        w.leaf_safe("cbc:CustomizationID", "2.0", _A_CUSTOMIZATION)
        w.leaf("cbc:ID", f"{guia.serie}-{numero}")
        w.leaf_safe("cbc:IssueDate", fecha.isoformat())
        w.leaf_safe("cbc:IssueTime", hora.replace(microsecond=0, tzinfo=None).isoformat())
        w.leaf_safe("cbc:DespatchAdviceTypeCode", guia.tipo, _A_TIPO)
        if guia.observaciones:
            w.leaf("cbc:Note", guia.observaciones)
        for doc in guia.documentos_relacionados:
            w.start("cac:AdditionalDocumentReference")
            w.leaf("cbc:ID", doc.numero)
            w.leaf("cbc:DocumentTypeCode", doc.tipo, _A_DOC_RELACIONADO)
            descripcion = doc.descripcion or catalogs.nombre("61", doc.tipo)
            if descripcion:
                w.leaf("cbc:DocumentType", descripcion)
            if doc.ruc_emisor:
                w.start("cac:IssuerParty")
                w.start("cac:PartyIdentification")
                w.leaf("cbc:ID", doc.ruc_emisor, _identity("6"))
                w.end()
                w.end()
            w.end()
        self.signature()
        self.party("cac:DespatchSupplierParty", "6", self.emisor.ruc, self.emisor.razon_social)
        self.customer("cac:DeliveryCustomerParty", guia.destinatario)
        if isinstance(guia, GuiaRemitenteIn):
            if guia.comprador is not None:
                self.customer("cac:BuyerCustomerParty", guia.comprador)
            if guia.proveedor is not None:
                self.customer("cac:SellerSupplierParty", guia.proveedor)
        elif guia.pagador_flete == "tercero" and guia.pagador is not None:
            self.customer("cac:OriginatorCustomerParty", guia.pagador)
        return slot

    def signature(self) -> None:
        w, emisor = self.w, self.emisor
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
        w.leaf("cbc:URI", f"#{self.signature_id}")
        w.end()
        w.end()
        w.end()

    # -- shipment ----------------------------------------------------------------------

    def indicators(self) -> list[str]:
        guia = self.guia
        if isinstance(guia, GuiaRemitenteIn):
            ind = guia.indicadores
            flags = [
                (ind.transbordo_programado, k.TRANSBORDO),
                (ind.vehiculo_m1_l, k.VEHICULO_M1_L),
                (ind.retorno_vehiculo_envase_vacio, k.RETORNO_ENVASE_VACIO),
                (ind.retorno_vehiculo_vacio, k.RETORNO_VACIO),
                (ind.traslado_total_dam_ds, k.TRASLADO_TOTAL_DAM_DS),
                (ind.vehiculo_conductores_transportista, k.VEHICULO_CONDUCTORES_TRANSP),
            ]
        else:
            ind_t = guia.indicadores
            flags = [
                (ind_t.transbordo_programado, k.TRANSBORDO),
                (ind_t.retorno_vehiculo_envase_vacio, k.RETORNO_ENVASE_VACIO),
                (ind_t.retorno_vehiculo_vacio, k.RETORNO_VACIO),
                (ind_t.traslado_total, k.TRASLADO_TOTAL),
                (guia.subcontratador is not None, k.SUBCONTRATADO),
            ]
            if guia.pagador_flete is not None:
                flags.append((True, k.PAGADOR_FLETE[guia.pagador_flete]))
        return [text for on, text in flags if on]

    def shipment(self) -> None:
        guia, w = self.guia, self.w
        remitente = guia if isinstance(guia, GuiaRemitenteIn) else None
        w.start("cac:Shipment")
        w.leaf_safe("cbc:ID", "SUNAT_Envio")
        if remitente is not None:
            w.leaf("cbc:HandlingCode", remitente.motivo_traslado, _A_MOTIVO)
            if remitente.descripcion_motivo:
                w.leaf("cbc:HandlingInstructions", remitente.descripcion_motivo)
            if remitente.sustento_peso:
                w.leaf("cbc:Information", remitente.sustento_peso)
        w.leaf(
            "cbc:GrossWeightMeasure",
            k.decimal_text(guia.peso_bruto_total),
            attributes({"unitCode": guia.unidad_peso}),
        )
        if remitente is not None:
            if remitente.peso_bruto_items is not None:
                w.leaf(
                    "cbc:NetWeightMeasure",
                    k.decimal_text(remitente.peso_bruto_items),
                    attributes({"unitCode": "KGM"}),
                )
            if remitente.numero_bultos is not None:
                w.leaf_safe("cbc:TotalTransportHandlingUnitQuantity", str(remitente.numero_bultos))
        for text in self.indicators():
            w.leaf_safe("cbc:SpecialInstructions", text)
        if isinstance(guia, GuiaTransportistaIn) and guia.subcontratador is not None:
            w.start("cac:Consignment")
            w.leaf_safe("cbc:ID", "SUNAT_Envio")
            self.bare_party("cac:LogisticsOperatorParty", guia.subcontratador)
            w.end()
        self.stage()
        self.delivery()
        self.handling_unit()
        if remitente is not None and remitente.puerto is not None:
            puerto = remitente.puerto
            catalogo = "63" if puerto.tipo == "1" else "64"
            w.start("cac:FirstArrivalPortLocation")
            w.leaf(
                "cbc:ID",
                puerto.codigo,
                attributes(
                    {
                        "schemeName": "Puertos" if puerto.tipo == "1" else "Aeropuertos",
                        "schemeAgencyName": "PE:SUNAT",
                        "schemeURI": _CAT + catalogo,
                    }
                ),
            )
            w.leaf_safe("cbc:LocationTypeCode", puerto.tipo)
            nombre = puerto.nombre or catalogs.nombre(catalogo, puerto.codigo)
            if nombre:
                w.leaf("cbc:Name", nombre)
            w.end()
        w.end()

    def stage(self) -> None:
        guia, w = self.guia, self.w
        w.start("cac:ShipmentStage")
        if isinstance(guia, GuiaRemitenteIn):
            w.leaf("cbc:TransportModeCode", guia.modalidad_traslado, _A_MODALIDAD)
        w.start("cac:TransitPeriod")
        w.leaf_safe("cbc:StartDate", guia.fecha_inicio_traslado.isoformat())
        w.end()
        if isinstance(guia, GuiaRemitenteIn):
            carrier = guia.transportista
            if carrier is not None:
                w.start("cac:CarrierParty")
                w.start("cac:PartyIdentification")
                w.leaf("cbc:ID", carrier.ruc, _identity("6"))
                w.end()
                w.start("cac:PartyLegalEntity")
                w.leaf("cbc:RegistrationName", carrier.razon_social)
                if carrier.registro_mtc:
                    w.leaf("cbc:CompanyID", carrier.registro_mtc)
                w.end()
                if carrier.autorizacion is not None:
                    self.agent(carrier.autorizacion)
                w.end()
        elif guia.registro_mtc or guia.autorizacion_transportista is not None:
            # The carrier issues the guía: its MTC registration and authorisation only.
            w.start("cac:CarrierParty")
            if guia.registro_mtc:
                w.start("cac:PartyLegalEntity")
                w.leaf("cbc:CompanyID", guia.registro_mtc)
                w.end()
            if guia.autorizacion_transportista is not None:
                self.agent(guia.autorizacion_transportista)
            w.end()
        for index, conductor in enumerate(guia.conductores):
            w.start("cac:DriverPerson")
            w.leaf("cbc:ID", conductor.numero_documento, _identity(conductor.tipo_documento))
            w.leaf("cbc:FirstName", conductor.nombres)
            w.leaf("cbc:FamilyName", conductor.apellidos)
            w.leaf_safe("cbc:JobTitle", k.CONDUCTOR_PRINCIPAL if index == 0 else k.CONDUCTOR_SECUNDARIO)
            w.start("cac:IdentityDocumentReference")
            w.leaf("cbc:ID", conductor.licencia)
            w.end()
            w.end()
        w.end()

    def address(self, tag: str, direccion: Direccion, owner: str | None) -> None:
        w = self.w
        w.start(tag)
        w.leaf("cbc:ID", direccion.ubigeo, _A_UBIGEO)
        if direccion.codigo_establecimiento is not None:
            ruc = direccion.ruc_establecimiento or owner or ""
            w.leaf(
                "cbc:AddressTypeCode",
                direccion.codigo_establecimiento,
                attributes(
                    {"listID": ruc, "listAgencyName": "PE:SUNAT", "listName": "Establecimientos anexos"}
                ),
            )
        w.start("cac:AddressLine")
        w.leaf("cbc:Line", direccion.direccion)
        w.end()
        if direccion.latitud is not None or direccion.longitud is not None:
            w.start("cac:LocationCoordinate")
            if direccion.latitud is not None:
                w.leaf("cbc:LatitudeDegreesMeasure", k.decimal_text(direccion.latitud), _A_DEGREES)
            if direccion.longitud is not None:
                w.leaf("cbc:LongitudeDegreesMeasure", k.decimal_text(direccion.longitud), _A_DEGREES)
            w.end()
        w.end()

    def delivery(self) -> None:
        guia, w = self.guia, self.w
        partida_owner: str | None = self.emisor.ruc
        llegada_owner: str | None = self.emisor.ruc
        if isinstance(guia, GuiaTransportistaIn):
            # The carrier's guía: the places belong to the remitente and the destinatario.
            partida_owner, llegada_owner = ruc_of(guia.remitente), ruc_of(guia.destinatario)
        w.start("cac:Delivery")
        if guia.llegada is not None:
            self.address("cac:DeliveryAddress", guia.llegada, llegada_owner)
        w.start("cac:Despatch")
        self.address("cac:DespatchAddress", guia.partida, partida_owner)
        if isinstance(guia, GuiaTransportistaIn):
            self.bare_party("cac:DespatchParty", guia.remitente)
        elif guia.autorizacion_remitente is not None:
            w.start("cac:DespatchParty")
            self.agent(guia.autorizacion_remitente)
            w.end()
        w.end()
        w.end()

    def vehicle(self, tag: str, vehiculo: Vehiculo, secundarios: list[Vehiculo]) -> None:
        w = self.w
        w.start(tag)
        w.leaf("cbc:ID", vehiculo.placa)
        if vehiculo.tuc:
            w.start("cac:ApplicableTransportMeans")
            w.leaf("cbc:RegistrationNationalityID", vehiculo.tuc)
            w.end()
        for secundario in secundarios:
            self.vehicle("cac:AttachedTransportEquipment", secundario, [])
        if vehiculo.autorizacion is not None:
            w.start("cac:ShipmentDocumentReference")
            w.leaf("cbc:ID", vehiculo.autorizacion.numero, _entidad(vehiculo.autorizacion.entidad))
            w.end()
        w.end()

    def handling_unit(self) -> None:
        guia, w = self.guia, self.w
        contenedores = guia.contenedores if isinstance(guia, GuiaRemitenteIn) else []
        if not guia.vehiculos and not contenedores:
            return
        w.start("cac:TransportHandlingUnit")
        if guia.vehiculos:
            self.vehicle("cac:TransportEquipment", guia.vehiculos[0], list(guia.vehiculos[1:]))
        for contenedor in contenedores:
            w.start("cac:Package")
            w.leaf("cbc:ID", contenedor.numero)
            if contenedor.precinto:
                w.leaf("cbc:TraceID", contenedor.precinto)
            w.end()
        w.end()

    # -- lines -------------------------------------------------------------------------

    def line(self, index: int, bien: Bien | None, description: str | None = None) -> None:
        """A DespatchLine; ``bien`` None writes the annotation (line 0) or a line without goods."""
        w = self.w
        motivo = self.guia.motivo_traslado if isinstance(self.guia, GuiaRemitenteIn) else None
        w.start("cac:DespatchLine")
        w.leaf_safe("cbc:ID", str(index))
        unidad = item_unit(bien, motivo) if bien is not None else None
        if bien is not None and bien.cantidad is not None:
            w.leaf(
                "cbc:DeliveredQuantity",
                k.decimal_text(bien.cantidad),
                # Without a unit (customs lines must name theirs) the quantity goes bare,
                # as the request came: SUNAT answers 2883, as the rules do.
                attributes(
                    {"unitCode": unidad, "unitCodeListID": "UN/ECE rec 20", "unitCodeListAgencyName": _UNECE}
                    if unidad
                    else {}
                ),
            )
        w.start("cac:OrderLineReference")
        w.leaf_safe("cbc:LineID", str(index))
        w.end()
        w.start("cac:Item")
        text = bien.descripcion if bien is not None else description
        if text:
            w.leaf("cbc:Description", text)
        if bien is not None:
            self.item_identity(bien)
        w.end()
        w.end()

    def item_identity(self, bien: Bien) -> None:
        w = self.w
        if bien.codigo:
            w.start("cac:SellersItemIdentification")
            w.leaf("cbc:ID", bien.codigo)
            w.end()
        if bien.codigo_gtin:
            w.start("cac:StandardItemIdentification")
            tipo = bien.tipo_gtin or k.GTIN_TIPOS.get(len(bien.codigo_gtin))
            w.leaf("cbc:ID", bien.codigo_gtin, attributes({"schemeID": tipo}) if tipo else "")
            w.end()
        if bien.codigo_producto_sunat:
            w.start("cac:CommodityClassification")
            w.leaf("cbc:ItemClassificationCode", bien.codigo_producto_sunat, _A_UNSPSC)
            w.end()
        for codigo, valor in (
            (k.PARTIDA_ARANCELARIA, bien.partida_arancelaria),
            (k.NUMERO_DAM, bien.numero_dam),
            (k.BIEN_NORMALIZADO, "1" if bien.bien_normalizado else None),
            (k.SERIE_DAM, bien.serie_dam),
        ):
            if valor is None:
                continue
            w.start("cac:AdditionalItemProperty")
            w.leaf_safe("cbc:Name", k.PROPIEDADES[codigo])
            w.leaf_safe("cbc:NameCode", codigo, _A_PROPIEDAD)
            w.leaf("cbc:Value", valor)
            w.end()

    def lines(self) -> None:
        guia = self.guia
        if isinstance(guia, GuiaTransportistaIn):
            if guia.anotacion is not None:
                self.line(0, None, guia.anotacion)
            if not guia.bienes:
                if guia.anotacion is None:
                    # The schema needs one DespatchLine; when the guía remitente already
                    # details the goods SUNAT wants none of them here (4434): an empty item.
                    self.line(1, None)
                return
        for index, bien in enumerate(guia.bienes, start=1):
            self.line(index, bien)


def build_despatch(
    guia: GuiaRemitenteIn | GuiaTransportistaIn,
    numero: int,
    emisor: Emisor,
    fecha_emision: dt.date,
    hora_emision: dt.time,
    signature_id: str = "SignOpenPSE",
) -> CanonicalDocument:
    """The unsigned guía in canonical form, with an empty ``ext:ExtensionContent`` for the signature.

    ``signature_id`` is the ``Id`` the signer gives ``ds:Signature``, referenced from
    ``cac:Signature`` (SUNAT does not compare them, readers of the XML do).
    """
    writer = _Writer(guia, emisor, signature_id)
    slot = writer.header(numero, fecha_emision, hora_emision)
    writer.shipment()
    writer.lines()
    writer.w.end()
    before, after = writer.w.split(slot)
    return CanonicalDocument(before=before, after=after, namespaces=dict(NAMESPACES))
