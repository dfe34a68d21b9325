"""Costa Rica (Ministerio de Hacienda): comprobantes electrónicos v4.4, clave, taxes, XAdES-EPES.

The public surface for the document service and the API: request models, the function
that turns a request into a signed document, the MensajeReceptor, the signer of XML built
by an ERP, and the signature profile. Transport (IDP and recepción) lives in ``client``
and ``idp``.
"""

from openpse.authorities.hacienda.clave import Clave, Consecutivo, Numeracion, Situacion, asignar
from openpse.authorities.hacienda.codes import CodigoCR
from openpse.authorities.hacienda.emision import (
    ComprobanteFirmado,
    ComprobanteRecibido,
    MensajeFirmado,
    emitir,
    emitir_mensaje,
    firmar_xml,
    leer_recibido,
)
from openpse.authorities.hacienda.models import ComprobanteIn, Emisor, MensajeReceptorIn, Receptor
from openpse.authorities.hacienda.totals import Calculo, Resumen, calcular
from openpse.authorities.hacienda.xades import DEFAULT_PROFILE, HaciendaXadesProfile

__all__ = [
    "DEFAULT_PROFILE",
    "Calculo",
    "Clave",
    "CodigoCR",
    "ComprobanteFirmado",
    "ComprobanteIn",
    "ComprobanteRecibido",
    "Consecutivo",
    "Emisor",
    "HaciendaXadesProfile",
    "MensajeFirmado",
    "MensajeReceptorIn",
    "Numeracion",
    "Receptor",
    "Resumen",
    "Situacion",
    "asignar",
    "calcular",
    "emitir",
    "emitir_mensaje",
    "firmar_xml",
    "leer_recibido",
]
