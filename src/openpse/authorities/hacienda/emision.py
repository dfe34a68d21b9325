"""From a request to a signed v4.4 document: rules, totals, numbering, XML and XAdES-EPES.

This is what the document service calls for Costa Rica. ``emitir`` validates a
:class:`~openpse.authorities.hacienda.models.ComprobanteIn` against Hacienda's rules,
computes every amount, assigns the clave and the consecutivo, writes the XML and signs it;
``emitir_mensaje`` does the same for a MensajeReceptor; ``firmar_xml`` signs a document an
ERP built itself; ``leer_recibido`` reads what a MensajeReceptor needs from a received
comprobante.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from lxml import etree

from openpse.authorities.hacienda import catalogs, rules, v44, xades
from openpse.authorities.hacienda.clave import (
    Clave,
    ClaveError,
    Consecutivo,
    Situacion,
    asignar,
    fecha_costa_rica,
)
from openpse.authorities.hacienda.codes import CodigoCR
from openpse.authorities.hacienda.formatos import (
    FORMATOS,
    MENSAJE_RECEPTOR_NS,
    MENSAJE_RECEPTOR_RAIZ,
    NS_BASE,
)
from openpse.authorities.hacienda.models import ComprobanteIn, Emisor, Identificacion, MensajeReceptorIn
from openpse.authorities.hacienda.totals import Calculo
from openpse.core import xmlsafe
from openpse.core.errors import Code, Issue, ValidationFailed
from openpse.core.timeutil import COSTA_RICA
from openpse.signing.certificates import Certificate
from openpse.signing.xmldsig import SignedXml

_PROVEEDOR_SISTEMAS = re.compile(r"[0-9A-Za-z]{1,20}")


@dataclass(frozen=True)
class ComprobanteFirmado:
    """A signed comprobante and what the store and the recepción API need from it."""

    tipo: str
    clave: str
    consecutivo: str
    fecha_emision: dt.datetime
    xml: bytes
    hash: str
    """DigestValue of the document reference (the "hash" the API shows)."""
    calculo: Calculo
    emisor: Identificacion
    """Identification in the XML Emisor element (the seller, also in a factura de compra)."""
    receptor: Identificacion | None
    """Identification in the XML Receptor element, if any."""
    observaciones: tuple[Issue, ...] = ()

    @property
    def nombre_archivo(self) -> str:
        return f"{self.clave}.xml"


@dataclass(frozen=True)
class MensajeFirmado:
    """A signed MensajeReceptor: the clave it answers and its own consecutivo."""

    clave: str
    consecutivo: str
    fecha_emision: dt.datetime
    xml: bytes
    hash: str
    emisor: Identificacion | None
    """The seller (``emisor`` of the recepción JSON), when its identification type is known."""
    receptor: Identificacion
    """The company that answers (``receptor`` of the recepción JSON)."""
    observaciones: tuple[Issue, ...] = ()


def _numeracion_error(exc: ClaveError, campo: str) -> ValidationFailed:
    return ValidationFailed(Issue(CodigoCR.NUMERACION_INVALIDA, str(exc), campo))


def emitir(
    comprobante: ComprobanteIn,
    emisor: Emisor,
    cert: Certificate,
    *,
    numero: int | None = None,
    ahora: dt.datetime | None = None,
    proveedor_sistemas: str | None = None,
    seguridad: str | None = None,
    perfil: xades.HaciendaXadesProfile = xades.DEFAULT_PROFILE,
    signature_id: str | None = None,
) -> ComprobanteFirmado:
    """Validate, compute, number, build and sign one comprobante.

    ``emisor`` is the company (with its ``codigo_actividad``); ``numero`` the consecutive
    number the document service reserved (``comprobante.numero`` when the ERP chose it);
    ``proveedor_sistemas`` the cédula of the system's provider (the company's own when it
    runs OpenPSE itself); ``seguridad`` the 8-digit security code of a clave assigned before
    (a retry must reuse it). Raises :class:`ValidationFailed` with every issue found.
    """
    momento = ahora or dt.datetime.now(COSTA_RICA)
    if proveedor_sistemas is not None and not _PROVEEDOR_SISTEMAS.fullmatch(proveedor_sistemas):
        raise ValidationFailed(
            Issue(
                Code.CAMPO_INVALIDO,
                "ProveedorSistemas es la cédula del proveedor del sistema: hasta 20 letras o dígitos",
                "proveedor_sistemas",
            )
        )
    revision = rules.revisar(comprobante, emisor, momento)
    numero_final = comprobante.numero if comprobante.numero is not None else numero
    if numero_final is None:
        raise ValidationFailed(
            Issue(CodigoCR.NUMERACION_INVALIDA, "Falta el número del consecutivo", "numero")
        )
    fecha = fecha_costa_rica(comprobante.fecha_emision or momento)
    formato = FORMATOS[comprobante.tipo]
    try:
        numeracion = asignar(
            emisor.identificacion.numero,
            comprobante.sucursal,
            comprobante.terminal,
            comprobante.tipo,
            numero_final,
            fecha,
            Situacion(comprobante.situacion),
            seguridad,
        )
    except ClaveError as exc:
        raise _numeracion_error(exc, "numero") from exc
    actividad_empresa = comprobante.codigo_actividad or emisor.codigo_actividad
    parte_receptor: Identificacion | None
    if formato.tipo == "08":
        assert comprobante.proveedor is not None
        actividad_emisor = comprobante.proveedor.codigo_actividad
        actividad_receptor = actividad_empresa
        parte_emisor, parte_receptor = comprobante.proveedor.identificacion, emisor.identificacion
    else:
        actividad_emisor = actividad_empresa
        actividad_receptor = comprobante.receptor.codigo_actividad if comprobante.receptor else None
        parte_emisor = emisor.identificacion
        parte_receptor = comprobante.receptor.identificacion if comprobante.receptor else None
    encabezado = v44.Encabezado(
        clave=numeracion.clave,
        consecutivo=numeracion.consecutivo,
        fecha=fecha,
        proveedor_sistemas=proveedor_sistemas or emisor.identificacion.numero,
        codigo_actividad_emisor=actividad_emisor,
        codigo_actividad_receptor=actividad_receptor,
    )
    documento = v44.construir(comprobante, emisor, revision.calculo, encabezado)
    firmado = xades.firmar_canonico(documento, cert, formato.rol_firmante, perfil, momento, signature_id)
    return ComprobanteFirmado(
        tipo=comprobante.tipo,
        clave=numeracion.clave,
        consecutivo=numeracion.consecutivo,
        fecha_emision=fecha,
        xml=firmado.xml,
        hash=firmado.digest_value,
        calculo=revision.calculo,
        emisor=parte_emisor,
        receptor=parte_receptor,
        observaciones=revision.observaciones,
    )


def emitir_mensaje(
    mensaje: MensajeReceptorIn,
    receptor: Emisor,
    cert: Certificate,
    *,
    numero: int | None = None,
    ahora: dt.datetime | None = None,
    perfil: xades.HaciendaXadesProfile = xades.DEFAULT_PROFILE,
    signature_id: str | None = None,
) -> MensajeFirmado:
    """Validate, number, build and sign a MensajeReceptor from the company ``receptor``.

    Its consecutivo carries 05 (aceptación), 06 (parcial) or 07 (rechazo) in the type slot
    and a sequence of its own; it is signed by the receiver (ClaimedRole ``Receptor``).
    """
    momento = ahora or dt.datetime.now(COSTA_RICA)
    cedula, observaciones = rules.revisar_mensaje(mensaje, receptor, momento)
    numero_final = mensaje.numero if mensaje.numero is not None else numero
    if numero_final is None:
        raise ValidationFailed(
            Issue(CodigoCR.NUMERACION_INVALIDA, "Falta el número del consecutivo", "numero")
        )
    try:
        consecutivo = Consecutivo(
            mensaje.sucursal, mensaje.terminal, catalogs.TIPO_POR_MENSAJE[mensaje.mensaje], numero_final
        ).texto
    except ClaveError as exc:
        raise _numeracion_error(exc, "numero") from exc
    fecha = fecha_costa_rica(mensaje.fecha_emision or momento)
    documento = v44.construir_mensaje(mensaje, cedula, consecutivo, fecha)
    firmado = xades.firmar_canonico(documento, cert, "Receptor", perfil, momento, signature_id)
    vendedor = (
        Identificacion(tipo=mensaje.tipo_identificacion_emisor, numero=mensaje.numero_cedula_emisor)
        if mensaje.tipo_identificacion_emisor
        else None
    )
    return MensajeFirmado(
        clave=mensaje.clave,
        consecutivo=consecutivo,
        fecha_emision=fecha,
        xml=firmado.xml,
        hash=firmado.digest_value,
        emisor=vendedor,
        receptor=receptor.identificacion,
        observaciones=observaciones,
    )


_RAICES = {formato.raiz: formato for formato in FORMATOS.values()}


def firmar_xml(
    xml: bytes,
    cert: Certificate,
    *,
    perfil: xades.HaciendaXadesProfile = xades.DEFAULT_PROFILE,
    ahora: dt.datetime | None = None,
) -> SignedXml:
    """Sign a v4.4 document an ERP built (``POST /v1/firma``, ``application/xml``).

    The root must be one of the v4.4 documents in its namespace; the role is the one of the
    document type (``Receptor`` for a factura de compra or a MensajeReceptor).
    """
    try:
        root = xmlsafe.parse(xml)
    except xmlsafe.UnsafeXml as exc:
        raise ValidationFailed(Issue(Code.XML_INSEGURO, str(exc))) from exc
    except etree.XMLSyntaxError as exc:
        raise ValidationFailed(Issue(Code.XML_MALFORMADO, f"XML mal formado: {exc}")) from exc
    qname = etree.QName(root)
    if qname.localname == MENSAJE_RECEPTOR_RAIZ and qname.namespace == MENSAJE_RECEPTOR_NS:
        role = "Receptor"
    else:
        formato = _RAICES.get(qname.localname)
        if formato is None or qname.namespace != formato.namespace:
            raise ValidationFailed(
                Issue(
                    Code.NO_SOPORTADO,
                    f"La raíz {{{qname.namespace}}}{qname.localname} no es un comprobante v4.4 de Hacienda "
                    f"(espacio de nombres {NS_BASE}…)",
                )
            )
        role = formato.rol_firmante
    try:
        return xades.firmar_arbol(root, cert, role, perfil, ahora)
    except xades.FirmaError as exc:
        raise ValidationFailed(Issue(Code.NO_SOPORTADO, str(exc))) from exc


@dataclass(frozen=True)
class ComprobanteRecibido:
    """What a MensajeReceptor needs from a comprobante a supplier sent us."""

    tipo: str
    clave: str
    tipo_cedula_emisor: str | None
    numero_cedula_emisor: str
    tipo_cedula_receptor: str | None
    numero_cedula_receptor: str | None
    fecha_emision: str
    moneda: str
    total_impuesto: Decimal | None
    total_comprobante: Decimal


def _texto(root: etree._Element, ruta: str, ns: str) -> str | None:
    node = root.find("/".join(f"{{{ns}}}{parte}" for parte in ruta.split("/")))
    return node.text.strip() if node is not None and node.text else None


def leer_recibido(xml: bytes) -> ComprobanteRecibido:
    """Read the clave, parties and totals of a received v4.4 comprobante (parsed safely)."""
    try:
        root = xmlsafe.parse(xml)
    except (xmlsafe.UnsafeXml, etree.XMLSyntaxError) as exc:
        raise ValidationFailed(Issue(Code.XML_MALFORMADO, f"No se pudo leer el comprobante: {exc}")) from exc
    qname = etree.QName(root)
    formato = _RAICES.get(qname.localname)
    ns = qname.namespace or ""
    if formato is None or ns != formato.namespace:
        raise ValidationFailed(
            Issue(Code.NO_SOPORTADO, f"{qname.localname} no es un comprobante v4.4 de Hacienda")
        )
    clave = _texto(root, "Clave", ns)
    emisor = _texto(root, "Emisor/Identificacion/Numero", ns)
    total = _texto(root, "ResumenFactura/TotalComprobante", ns)
    if clave is None or emisor is None or total is None:
        raise ValidationFailed(
            Issue(Code.CAMPO_INVALIDO, "El comprobante no tiene Clave, Emisor o TotalComprobante")
        )
    impuesto = _texto(root, "ResumenFactura/TotalImpuesto", ns)
    try:
        Clave.parse(clave)
        total_comprobante = Decimal(total)
        total_impuesto = Decimal(impuesto) if impuesto is not None else None
    except (ClaveError, InvalidOperation) as exc:
        raise ValidationFailed(Issue(Code.CAMPO_INVALIDO, f"Comprobante ilegible: {exc}")) from exc
    return ComprobanteRecibido(
        tipo=formato.tipo,
        clave=clave,
        tipo_cedula_emisor=_texto(root, "Emisor/Identificacion/Tipo", ns),
        numero_cedula_emisor=emisor,
        tipo_cedula_receptor=_texto(root, "Receptor/Identificacion/Tipo", ns),
        numero_cedula_receptor=_texto(root, "Receptor/Identificacion/Numero", ns),
        fecha_emision=_texto(root, "FechaEmision", ns) or "",
        moneda=_texto(root, "ResumenFactura/CodigoTipoMoneda/CodigoMoneda", ns) or "CRC",
        total_impuesto=total_impuesto,
        total_comprobante=total_comprobante,
    )
