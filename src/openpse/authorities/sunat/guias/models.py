"""The JSON of a guía de remisión electrónica: remitente (``09``) and transportista (``31``).

SUNAT's GRE 2022 format (UBL 2.1 DespatchAdvice, CustomizationID 2.0, RS 000123-2022/SUNAT
and its XML guides). Field names are the API's, in Spanish; each docstring says what SUNAT
calls the datum, where it travels in the XML and which catalogue governs it. Formats and
the rules that tie fields together are checked by :mod:`.rules` with SUNAT's own codes,
not here: a request SUNAT would reject gets SUNAT's code, not a generic type error.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from openpse.signing.canonical import check_text

XmlStr = Annotated[str, AfterValidator(check_text)]
"""Text that XML 1.0 can hold."""
Text = Annotated[XmlStr, StringConstraints(strip_whitespace=True, min_length=1)]
Number = Annotated[Decimal, Field(allow_inf_nan=False, gt=Decimal("-1e15"), lt=Decimal("1e15"))]
"""A decimal; SUNAT's formats (12 integer digits, 3 or 10 decimals) are checked by the rules."""


@dataclass(frozen=True)
class Emisor:
    """Who issues the guía, as the company record says: the remitente (09) or the transportista (31)."""

    ruc: str
    razon_social: str


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Participante(_Model):
    """A person or company named in the guía (destinatario, proveedor, comprador, remitente...)."""

    tipo_documento: Text = Field(
        description="Tipo de documento de identidad, catálogo 06: 6 RUC, 1 DNI, 4 carné de extranjería, "
        "7 pasaporte, 0 documento tributario de no domiciliado..."
    )
    numero_documento: Text = Field(max_length=20, description="Número de documento de identidad.")
    razon_social: Text = Field(
        max_length=1000, description="Apellidos y nombres, denominación o razón social (hasta 250)."
    )


class Direccion(_Model):
    """Punto de partida (cac:Delivery/cac:Despatch/cac:DespatchAddress) o de llegada (cac:DeliveryAddress)."""

    ubigeo: Text = Field(description="Ubigeo del INEI, catálogo 13 (seis dígitos).")
    direccion: Text = Field(max_length=1000, description="Dirección completa y detallada (3 a 500).")
    codigo_establecimiento: XmlStr | None = Field(
        default=None,
        description="Código del establecimiento anexo registrado en SUNAT (cbc:AddressTypeCode), p. ej. "
        "0000 para el domicilio fiscal. Obligatorio en el traslado entre establecimientos (motivo 04).",
    )
    ruc_establecimiento: XmlStr | None = Field(
        default=None,
        description="RUC al que pertenece el establecimiento (cbc:AddressTypeCode/@listID); por defecto el "
        "del emisor de la guía.",
    )
    latitud: Number | None = Field(default=None, description="Georreferencia: latitud en grados decimales.")
    longitud: Number | None = Field(default=None, description="Georreferencia: longitud en grados decimales.")


class Autorizacion(_Model):
    """Autorización especial (MTC, SUCAMEC, DIGESA...): número y entidad que la emite."""

    entidad: Text = Field(description="Entidad autorizadora, catálogo D37: 01 SUCAMEC, 06 MTC...")
    numero: Text = Field(max_length=100, description="Número de la autorización (3 a 50 caracteres).")


class Vehiculo(_Model):
    """Un vehículo (cac:TransportEquipment); el primero de la lista es el principal."""

    placa: Text = Field(description="Número de placa, sin guiones (6 a 8 letras mayúsculas y dígitos).")
    tuc: XmlStr | None = Field(
        default=None,
        description="Tarjeta Única de Circulación, Constancia de Inscripción o Certificado de Habilitación "
        "Vehicular (cac:ApplicableTransportMeans/cbc:RegistrationNationalityID, 10 a 15 caracteres).",
    )
    autorizacion: Autorizacion | None = Field(
        default=None, description="Autorización especial del vehículo (cac:ShipmentDocumentReference)."
    )


class Conductor(_Model):
    """Un conductor (cac:DriverPerson); el primero de la lista es el principal."""

    tipo_documento: Text = Field(description="Catálogo 06 (no RUC): 1 DNI, 4 carné de extranjería...")
    numero_documento: Text = Field(max_length=20)
    nombres: Text = Field(max_length=1000)
    apellidos: Text = Field(max_length=1000)
    licencia: Text = Field(description="Número de licencia de conducir (9 o 10 letras mayúsculas y dígitos).")


class Transportista(_Model):
    """Empresa de transporte público contratada por el remitente (modalidad 01)."""

    ruc: Text = Field(description="RUC del transportista (no puede ser el del remitente).")
    razon_social: Text = Field(max_length=1000)
    registro_mtc: XmlStr | None = Field(
        default=None, description="Número de registro del MTC (cbc:CompanyID, hasta 20 caracteres)."
    )
    autorizacion: Autorizacion | None = Field(
        default=None, description="Autorización especial del transportista (cac:AgentParty)."
    )


class DocumentoRelacionado(_Model):
    """Documento relacionado al transporte (cac:AdditionalDocumentReference), catálogo 61."""

    tipo: Text = Field(
        description="Catálogo 61: 01 factura, 03 boleta, 04 liquidación de compra, 09 guía remitente, "
        "12 ticket, 31 guía transportista, 48 comprobante de operaciones, 49 constancia IVAP, 50 DAM, "
        "52 declaración simplificada, 65–69 y 71–82 autorizaciones y otros."
    )
    numero: Text = Field(
        max_length=120,
        description="Serie y número (F001-123), número de DAM (118-2024-10-12345) u otro identificador.",
    )
    ruc_emisor: XmlStr | None = Field(
        default=None,
        description="RUC del emisor del documento (cac:IssuerParty); obligatorio para comprobantes y guías.",
    )
    descripcion: XmlStr | None = Field(
        default=None, description="Descripción del tipo de documento; por defecto el nombre del catálogo 61."
    )


class Contenedor(_Model):
    """Contenedor de una importación o exportación (cac:TransportHandlingUnit/cac:Package)."""

    numero: Text = Field(description="Número de contenedor (hasta 11 letras y dígitos).")
    precinto: XmlStr | None = Field(default=None, description="Número de precinto (cbc:TraceID).")


class Puerto(_Model):
    """Puerto o aeropuerto de embarque o desembarque (cac:FirstArrivalPortLocation)."""

    tipo: Literal["1", "2"] = Field(description="1 puerto (catálogo 63), 2 aeropuerto (catálogo 64).")
    codigo: Text = Field(description="Código del puerto o aeropuerto (CLL, LIM...).")
    nombre: XmlStr | None = Field(default=None, description="Nombre; por defecto el del catálogo.")


class Bien(_Model):
    """Bien trasladado (cac:DespatchLine)."""

    descripcion: Text = Field(max_length=1000, description="Descripción detallada (3 a 500 caracteres).")
    cantidad: Number | None = Field(
        default=None,
        description="Cantidad (hasta 12 enteros y 10 decimales, mayor que cero). Obligatoria salvo en el "
        "traslado total de una DAM o DS y en guías transportista que se apoyan en la guía del remitente.",
    )
    unidad: XmlStr | None = Field(
        default=None,
        description="Unidad de medida: catálogo 03 (UN/ECE rec 20: NIU, KGM, ZZ...); en importación y "
        "exportación el catálogo 65 de aduanas. Por defecto NIU cuando hay cantidad.",
    )
    codigo: XmlStr | None = Field(default=None, max_length=100, description="Código del bien del emisor.")
    codigo_producto_sunat: XmlStr | None = Field(
        default=None, description="Código de producto SUNAT (UNSPSC de 8 dígitos, catálogo 25)."
    )
    codigo_gtin: XmlStr | None = Field(
        default=None, description="Código GTIN del bien (cac:StandardItemIdentification, hasta 14)."
    )
    tipo_gtin: Literal["GTIN-8", "GTIN-12", "GTIN-13", "GTIN-14"] | None = Field(
        default=None, description="Estructura GS1 del código GTIN; por defecto según su longitud."
    )
    bien_normalizado: bool = Field(
        default=False,
        description="Indicador de bien normalizado por SUNAT (concepto 7022): azúcar, alcohol, "
        "cereales... exige partida arancelaria del catálogo 62 y código de producto del 62A.",
    )
    partida_arancelaria: XmlStr | None = Field(
        default=None, description="Subpartida nacional (concepto 7020, hasta 10 dígitos)."
    )
    numero_dam: XmlStr | None = Field(
        default=None,
        description="Numeración de la DAM o DS del ítem (concepto 7021, aduana-año-régimen-número).",
    )
    serie_dam: XmlStr | None = Field(
        default=None, description="Número de serie del ítem en la DAM o DS (concepto 7023, hasta 4 dígitos)."
    )


class IndicadoresRemitente(_Model):
    """Indicadores de la guía remitente (cac:Shipment/cbc:SpecialInstructions)."""

    transbordo_programado: bool = Field(
        default=False, description="SUNAT_Envio_IndicadorTransbordoProgramado"
    )
    vehiculo_m1_l: bool = Field(
        default=False,
        description="Traslado en vehículos de categoría M1 o L (SUNAT_Envio_IndicadorTrasladoVehiculoM1L): "
        "no se informan transportista, vehículos ni conductores.",
    )
    retorno_vehiculo_envase_vacio: bool = Field(
        default=False, description="SUNAT_Envio_IndicadorRetornoVehiculoEnvaseVacio"
    )
    retorno_vehiculo_vacio: bool = Field(
        default=False, description="SUNAT_Envio_IndicadorRetornoVehiculoVacio"
    )
    traslado_total_dam_ds: bool = Field(
        default=False,
        description="Traslado total de la DAM o DS (SUNAT_Envio_IndicadorTrasladoTotalDAMoDS), solo en "
        "importación y exportación.",
    )
    vehiculo_conductores_transportista: bool = Field(
        default=False,
        description="Registro de vehículos y conductores del transportista "
        "(SUNAT_Envio_IndicadorVehiculoConductoresTransp), solo en transporte público.",
    )


class IndicadoresTransportista(_Model):
    """Indicadores de la guía transportista (cac:Shipment/cbc:SpecialInstructions)."""

    transbordo_programado: bool = Field(
        default=False, description="SUNAT_Envio_IndicadorTransbordoProgramado"
    )
    retorno_vehiculo_envase_vacio: bool = Field(
        default=False, description="SUNAT_Envio_IndicadorRetornoVehiculoEnvaseVacio"
    )
    retorno_vehiculo_vacio: bool = Field(
        default=False, description="SUNAT_Envio_IndicadorRetornoVehiculoVacio"
    )
    traslado_total: bool = Field(
        default=False,
        description="Traslado total de los bienes del comprobante o DAM relacionado "
        "(SUNAT_Envio_IndicadorTrasladoTotal).",
    )


class _GuiaBase(_Model):
    serie: Text = Field(description="Serie: T + 3 alfanuméricos (remitente) o V + 3 (transportista).")
    numero: int | None = Field(
        default=None, ge=1, le=99999999, description="Correlativo; si se omite, OpenPSE asigna el siguiente."
    )
    fecha_emision: dt.date | None = Field(
        default=None, description="Fecha de emisión; por defecto hoy (Lima)."
    )
    hora_emision: dt.time | None = Field(
        default=None, description="Hora de emisión; por defecto ahora (Lima)."
    )
    observaciones: XmlStr | None = Field(
        default=None, max_length=1000, description="Observaciones (cbc:Note, hasta 250 caracteres)."
    )
    documentos_relacionados: list[DocumentoRelacionado] = Field(default_factory=list, max_length=100)
    destinatario: Participante = Field(description="Destinatario de los bienes (cac:DeliveryCustomerParty).")
    fecha_inicio_traslado: dt.date = Field(
        description="Fecha de inicio del traslado o de entrega de los bienes al transportista "
        "(cac:TransitPeriod/cbc:StartDate); no anterior a la emisión."
    )
    peso_bruto_total: Number = Field(description="Peso bruto total de la carga (hasta 3 decimales).")
    unidad_peso: XmlStr = Field(default="KGM", description="KGM kilogramos o TNE toneladas.")
    partida: Direccion = Field(description="Punto de partida.")
    vehiculos: list[Vehiculo] = Field(
        default_factory=list, max_length=10, description="Vehículos: el primero es el principal."
    )
    conductores: list[Conductor] = Field(
        default_factory=list, max_length=10, description="Conductores: el primero es el principal."
    )


class GuiaRemitenteIn(_GuiaBase):
    """Guía de remisión remitente (09): quien traslada sus bienes o los de un tercero."""

    tipo: Literal["09"] = "09"
    motivo_traslado: Text = Field(
        description="Motivo de traslado, catálogo 20: 01 venta, 02 compra, 03 venta con entrega a terceros, "
        "04 traslado entre establecimientos de la misma empresa, 05 consignación, 06 devolución, "
        "07 recojo de bienes transformados, 08 importación, 09 exportación, 13 otros, 14 venta sujeta a "
        "confirmación del comprador, 17 traslado de bienes para transformación, 18 emisor itinerante."
    )
    descripcion_motivo: XmlStr | None = Field(
        default=None,
        max_length=1000,
        description="Descripción del motivo (cbc:HandlingInstructions), obligatoria con el motivo 13.",
    )
    modalidad_traslado: Text = Field(
        description="Modalidad de traslado, catálogo 18: 01 transporte público, 02 transporte privado."
    )
    proveedor: Participante | None = Field(
        default=None, description="Proveedor (cac:SellerSupplierParty): motivos 02, 07 y 13."
    )
    comprador: Participante | None = Field(
        default=None, description="Comprador (cac:BuyerCustomerParty): motivos 03 y 13."
    )
    transportista: Transportista | None = Field(
        default=None, description="Transportista del transporte público (modalidad 01)."
    )
    autorizacion_remitente: Autorizacion | None = Field(
        default=None, description="Autorización especial del remitente para trasladar los bienes."
    )
    peso_bruto_items: Number | None = Field(
        default=None,
        description="Peso bruto total de los ítems seleccionados en kilogramos (cbc:NetWeightMeasure): "
        "importación y exportación que no son traslado total de la DAM o DS.",
    )
    sustento_peso: XmlStr | None = Field(
        default=None,
        max_length=1000,
        description="Sustento de la diferencia del peso bruto total de la carga (cbc:Information), "
        "importación y exportación.",
    )
    numero_bultos: int | None = Field(
        default=None,
        ge=0,
        description="Número de bultos o pallets (obligatorio en importación y exportación sin contenedores).",
    )
    contenedores: list[Contenedor] = Field(default_factory=list, max_length=10)
    puerto: Puerto | None = Field(default=None, description="Puerto o aeropuerto: importación y exportación.")
    llegada: Direccion | None = Field(
        default=None, description="Punto de llegada (no se informa con el motivo 18, emisor itinerante)."
    )
    indicadores: IndicadoresRemitente = Field(default_factory=IndicadoresRemitente)
    bienes: list[Bien] = Field(min_length=1, max_length=9999)


class GuiaTransportistaIn(_GuiaBase):
    """Guía de remisión transportista (31): emitida por la empresa de transporte que traslada los bienes."""

    tipo: Literal["31"] = "31"
    registro_mtc: XmlStr | None = Field(
        default=None, description="Número de registro MTC del transportista (emisor de la guía)."
    )
    autorizacion_transportista: Autorizacion | None = Field(
        default=None, description="Autorización especial del transportista."
    )
    remitente: Participante = Field(
        description="Remitente de los bienes (cac:Delivery/cac:Despatch/cac:DespatchParty), distinto del "
        "transportista."
    )
    pagador_flete: Literal["remitente", "subcontratador", "tercero"] | None = Field(
        default=None,
        description="Quién paga el servicio (SUNAT_Envio_IndicadorPagadorFlete_Remitente/_Subcontratador/"
        "_Tercero).",
    )
    pagador: Participante | None = Field(
        default=None, description="Quien paga el flete, cuando es un tercero (cac:OriginatorCustomerParty)."
    )
    subcontratador: Participante | None = Field(
        default=None,
        description="Empresa que subcontrató el transporte (cac:Consignment/cac:LogisticsOperatorParty); "
        "marca SUNAT_Envio_IndicadorTrasporteSubcontratado.",
    )
    llegada: Direccion = Field(description="Punto de llegada.")
    indicadores: IndicadoresTransportista = Field(default_factory=IndicadoresTransportista)
    bienes: list[Bien] = Field(
        default_factory=list,
        max_length=9999,
        description="Bienes; pueden omitirse cuando la guía se apoya en la guía remitente electrónica.",
    )
    anotacion: XmlStr | None = Field(
        default=None,
        max_length=1000,
        description="Anotación opcional sobre los bienes (ítem 0), cuando el traslado se apoya en una guía "
        "remitente física o en una declaración jurada de mudanza.",
    )


Guia = Annotated[GuiaRemitenteIn | GuiaTransportistaIn, Field(discriminator="tipo")]
"""A guía of either type, told apart by ``tipo``."""
