"""The JSON of a comprobante de retención (20) and of a comprobante de percepción (40).

Field names are the API's; each docstring gives the meaning in SUNAT's words (sheets
Retenciones1_0 and Percepciones1_0 of the 2026 validation workbook) and the catalogue
that governs the value. Amounts are decimals, never floats; what SUNAT computes from
them (importes retenidos/percibidos, netos, totales) is computed by OpenPSE and, when the
client sends its own figures in ``totales``, checked against ours.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from openpse.authorities.sunat.models import Amount, Text, XmlStr


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Direccion(_Model):
    """Domicilio fiscal (cac:PostalAddress). SUNAT only observes formats here (2916–2919, 2902–2915)."""

    ubigeo: XmlStr | None = Field(
        default=None, max_length=6, description="Ubigeo INEI, catálogo 13 (6 dígitos)."
    )
    direccion: XmlStr | None = Field(
        default=None,
        max_length=500,
        description="Dirección completa y detallada (SUNAT: hasta 100 caracteres).",
    )
    urbanizacion: XmlStr | None = Field(default=None, max_length=200, description="Urbanización (hasta 30).")
    provincia: XmlStr | None = Field(default=None, max_length=200, description="Provincia (hasta 30).")
    departamento: XmlStr | None = Field(default=None, max_length=200, description="Departamento (hasta 30).")
    distrito: XmlStr | None = Field(default=None, max_length=200, description="Distrito (hasta 30).")
    pais: Text = Field(default="PE", description="Código de país, catálogo 04: solo PE (2548).")


class Proveedor(_Model):
    """Proveedor al que se retiene (cac:ReceiverParty): siempre un RUC (regla 19, 2511)."""

    tipo_documento: Text = Field(default="6", description="Tipo de documento, catálogo 06: 6 (RUC).")
    numero_documento: Text = Field(max_length=15, description="Número de RUC del proveedor (11 dígitos).")
    razon_social: Text = Field(
        max_length=1500, description="Apellidos y nombres, denominación o razón social."
    )
    nombre_comercial: XmlStr | None = Field(default=None, max_length=1500, description="Nombre comercial.")
    direccion: Direccion | None = Field(default=None, description="Domicilio fiscal del proveedor.")


class ClientePercepcion(_Model):
    """Cliente al que se percibe (cac:ReceiverParty)."""

    tipo_documento: Text = Field(
        default="6",
        description="Tipo de documento de identidad, catálogo 06: 6 RUC, 1 DNI, 4 carné de extranjería, "
        "7 pasaporte…",
    )
    numero_documento: Text = Field(
        max_length=15, description="Número de documento de identidad (alfanumérico, hasta 15)."
    )
    razon_social: Text = Field(
        max_length=1500, description="Apellidos y nombres, denominación o razón social."
    )
    nombre_comercial: XmlStr | None = Field(default=None, max_length=1500, description="Nombre comercial.")
    direccion: Direccion | None = Field(default=None, description="Domicilio fiscal del cliente.")


class TipoCambio(_Model):
    """Tipo de cambio del pago o cobro de un documento en moneda extranjera (cac:ExchangeRate).

    La moneda de origen es la del documento relacionado y la de destino PEN (reglas 51–54
    de Retenciones1_0, 52–55 de Percepciones1_0).
    """

    factor: Amount = Field(
        description="Soles por unidad de la moneda del documento (cbc:CalculationRate), n(4,6), "
        "mayor que cero."
    )
    fecha: dt.date | None = Field(
        default=None,
        description="Fecha del tipo de cambio (cbc:Date); por defecto la fecha del pago o cobro.",
    )


class Pago(_Model):
    """Un pago del documento relacionado (cac:Payment) y la retención que se le aplica."""

    numero: int | None = Field(
        default=None,
        ge=1,
        le=999999999,
        description="Número de pago (cbc:ID, hasta 9 dígitos); por defecto su posición en la lista (1, 2…).",
    )
    fecha: dt.date = Field(
        description="Fecha de pago (cbc:PaidDate), que también es la fecha de la retención. Todas en el mes "
        "de emisión del comprobante, desde la emisión del documento si es de ese mismo mes."
    )
    importe: Amount = Field(
        description="Importe del pago sin retención (cbc:PaidAmount), en la moneda del documento relacionado."
    )
    tipo_cambio: TipoCambio | None = Field(
        default=None, description="Obligatorio si el documento relacionado no está en PEN."
    )


class Cobro(_Model):
    """Un cobro del documento relacionado (cac:Payment) y la percepción que se le aplica."""

    numero: int | None = Field(
        default=None,
        ge=1,
        le=999999999,
        description="Número de cobro (cbc:ID, hasta 9 dígitos); por defecto su posición en la lista (1, 2…).",
    )
    fecha: dt.date = Field(
        description="Fecha de cobro (cbc:PaidDate), que también es la fecha de la percepción. Todas en el "
        "mes de emisión del comprobante, desde la emisión del documento si es de ese mismo mes."
    )
    importe: Amount = Field(
        description="Importe del cobro sin percepción (cbc:PaidAmount), en la moneda del documento "
        "relacionado."
    )
    tipo_cambio: TipoCambio | None = Field(
        default=None, description="Obligatorio si el documento relacionado no está en PEN."
    )


class DocumentoRetencion(_Model):
    """Comprobante pagado al proveedor (sac:SUNATRetentionDocumentReference, uno por pago)."""

    tipo: Text = Field(
        description="Tipo de documento, catálogo 01: 01 factura, 12 ticket, 07 nota de crédito, 08 nota de "
        "débito, 20 comprobante de retención revertido (cuando este lo reemplaza)."
    )
    serie: Text = Field(
        max_length=20, description="Serie: E001, F + 3, R + 3 (tipo 20) o 4 dígitos (físico)."
    )
    numero: int = Field(ge=1, le=99999999999999999999, description="Número correlativo.")
    fecha_emision: dt.date = Field(description="Fecha de emisión del documento relacionado.")
    moneda: Text = Field(default="PEN", description="Moneda del documento, catálogo 02 (ISO 4217).")
    importe_total: Amount = Field(description="Importe total del documento relacionado, en su moneda.")
    pagos: list[Pago] = Field(
        default_factory=list,
        max_length=999,
        description="Pagos del documento: al menos uno, salvo en notas de crédito (tipo 07), que no se "
        "pagan.",
    )


class DocumentoPercepcion(_Model):
    """Comprobante cobrado al cliente (sac:SUNATPerceptionDocumentReference, uno por cobro)."""

    tipo: Text = Field(
        description="Tipo de documento, catálogo 01: 01 factura, 03 boleta, 12 ticket, 07 nota de crédito, "
        "08 nota de débito, 40 comprobante de percepción revertido (cuando este lo reemplaza)."
    )
    serie: Text = Field(
        max_length=20, description="Serie: E001, EB01, F/B + 3, P + 3 (tipo 40) o 4 dígitos (físico)."
    )
    numero: int = Field(ge=1, le=99999999999999999999, description="Número correlativo.")
    fecha_emision: dt.date = Field(description="Fecha de emisión del documento relacionado.")
    moneda: Text = Field(default="PEN", description="Moneda del documento, catálogo 02 (ISO 4217).")
    importe_total: Amount = Field(description="Importe total del documento relacionado, en su moneda.")
    cobros: list[Cobro] = Field(
        default_factory=list,
        max_length=999,
        description="Cobros del documento: al menos uno, salvo en notas de crédito (tipo 07), que no se "
        "cobran.",
    )


class TotalesRetencion(_Model):
    """Totales que el ERP calculó: se comparan con los de OpenPSE (tolerancia ±1)."""

    retenido: Amount | None = Field(
        default=None, description="Importe total retenido (cbc:TotalInvoiceAmount)."
    )
    pagado: Amount | None = Field(default=None, description="Importe total pagado (sac:SUNATTotalPaid).")


class TotalesPercepcion(_Model):
    """Totales que el ERP calculó: se comparan con los de OpenPSE (tolerancia ±1)."""

    percibido: Amount | None = Field(
        default=None, description="Importe total percibido (cbc:TotalInvoiceAmount)."
    )
    cobrado: Amount | None = Field(default=None, description="Importe total cobrado (sac:SUNATTotalCashed).")


class RetencionIn(_Model):
    """Comprobante de retención electrónico (CRE, tipo 20): UBL 2.0, versión 1.0 de SUNAT."""

    tipo: Literal["20"] = Field(description="Tipo de comprobante, catálogo 01: 20 comprobante de retención.")
    serie: Text = Field(description="Serie: R + 3 caracteres alfanuméricos (R001).")
    numero: int | None = Field(
        default=None, ge=1, le=99999999, description="Correlativo; si se omite, OpenPSE asigna el siguiente."
    )
    fecha_emision: dt.date | None = Field(
        default=None, description="Fecha de emisión; por defecto hoy (Lima)."
    )
    hora_emision: dt.time | None = Field(
        default=None, description="Hora de emisión; por defecto ahora (Lima)."
    )
    regimen: Text = Field(
        default="01",
        description="Régimen de retención, catálogo 23: 01 tasa 3 %, 02 tasa 6 % (solo documentos emitidos "
        "hasta el 28/02/2014).",
    )
    tasa: Amount | None = Field(
        default=None, description="Tasa en porcentaje; por defecto la del régimen (debe coincidir, 2619)."
    )
    proveedor: Proveedor
    documentos: list[DocumentoRetencion] = Field(min_length=1, max_length=1000)
    redondeo: Amount | None = Field(
        default=None,
        description="Redondeo del importe total pagado (cbc:PayableRoundingAmount), en PEN, entre -1 y 1.",
    )
    observaciones: XmlStr | None = Field(
        default=None, max_length=250, description="Observaciones (cbc:Note)."
    )
    totales: TotalesRetencion | None = Field(
        default=None, description="Totales calculados por el ERP, para verificación."
    )


class PercepcionIn(_Model):
    """Comprobante de percepción electrónico (CPE, tipo 40): UBL 2.0, versión 1.0 de SUNAT."""

    tipo: Literal["40"] = Field(description="Tipo de comprobante, catálogo 01: 40 comprobante de percepción.")
    serie: Text = Field(description="Serie: P + 3 caracteres alfanuméricos (P001).")
    numero: int | None = Field(
        default=None, ge=1, le=99999999, description="Correlativo; si se omite, OpenPSE asigna el siguiente."
    )
    fecha_emision: dt.date | None = Field(
        default=None, description="Fecha de emisión; por defecto hoy (Lima)."
    )
    hora_emision: dt.time | None = Field(
        default=None, description="Hora de emisión; por defecto ahora (Lima)."
    )
    regimen: Text = Field(
        default="01",
        description="Régimen de percepción, catálogo 22: 01 venta interna (2 %), 02 adquisición de "
        "combustible (1 %), 03 agente de percepción con tasa especial (0.5 %).",
    )
    tasa: Amount | None = Field(
        default=None, description="Tasa en porcentaje; por defecto la del régimen (debe coincidir, 2603)."
    )
    excepcional: bool = Field(
        default=False,
        description="Emisión excepcional (sac:ExceptionalIndicator 01): una sola factura al contado.",
    )
    cliente: ClientePercepcion
    documentos: list[DocumentoPercepcion] = Field(min_length=1, max_length=1000)
    redondeo: Amount | None = Field(
        default=None,
        description="Redondeo del importe total cobrado (cbc:PayableRoundingAmount), en PEN, entre -1 y 1.",
    )
    observaciones: XmlStr | None = Field(
        default=None, max_length=250, description="Observaciones (cbc:Note)."
    )
    totales: TotalesPercepcion | None = Field(
        default=None, description="Totales calculados por el ERP, para verificación."
    )


Solicitud = RetencionIn | PercepcionIn
"""Either request; the rules and the builder read both through the accessors below."""


def receptor_de(model: Solicitud) -> Proveedor | ClientePercepcion:
    """The counterpart: the supplier retained from, or the customer perceived from."""
    return model.proveedor if isinstance(model, RetencionIn) else model.cliente


def movimientos_de(documento: DocumentoRetencion | DocumentoPercepcion) -> Sequence[Pago | Cobro]:
    """The payments (retención) or collections (percepción) of a related document."""
    return documento.pagos if isinstance(documento, DocumentoRetencion) else documento.cobros


def documentos_de(model: Solicitud) -> Sequence[DocumentoRetencion | DocumentoPercepcion]:
    return model.documentos
