"""Answering a comprobante a supplier sent: the MensajeReceptor (``POST /v1/recepciones``).

A Costa Rican company that receives a factura, nota de débito or nota de crédito confirms
it to Hacienda with a MensajeReceptor (``hacienda_cr.md`` §2.2, §3.5): Mensaje 1 accepts,
2 accepts in part, 3 rejects, and for the IVA the company says how it applies
(CondicionImpuesto, the tax it credits, the expense it books). The message is sent to the
same ``POST /recepcion`` with ``clave`` = the supplier's clave, ``emisor`` = the supplier,
``receptor`` = the company and ``consecutivoReceptor`` = the message's own consecutivo
(type 05, 06 or 07, one sequence per branch, terminal and type); Hacienda knows it as
``clave-consecutivoReceptor``, which is also its id here.

The company posts the XML it received. Before anything is numbered, OpenPSE checks it:
read safely (no DTD, no entities, no network); a v4.4 comprobante whose clave carries
its NumeroConsecutivo and its issuer; signed, with every digest and the RSA value
holding, by a certificate that names the issuer (what Hacienda checks of every
comprobante, §4); and addressed to this company. The message then takes its figures
from that XML (clave, supplier, TotalImpuesto, TotalComprobante), not from the request.

What the check cannot tell: whether the certificate was issued by Hacienda's authority
(there is no trust store of theirs here) and whether Hacienda accepted the supplier's
comprobante (only its issuer can ask).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from lxml import etree
from pydantic import Field, StringConstraints, ValidationError
from sqlalchemy import select

from openpse.authorities.base import Draft
from openpse.authorities.hacienda import catalogs
from openpse.authorities.hacienda.clave import Clave, ClaveError, Consecutivo, identificacion_en_clave
from openpse.authorities.hacienda.codes import CodigoCR
from openpse.authorities.hacienda.emision import leer_recibido
from openpse.authorities.hacienda.formatos import FORMATOS
from openpse.authorities.hacienda.models import Amount, Codigo2, MensajeReceptorIn, XmlStr, _Model
from openpse.core import xmlsafe
from openpse.core.errors import Code, Conflict, Issue, ValidationFailed
from openpse.documents.states import Estado

if TYPE_CHECKING:
    from openpse.documents.service import Registered
    from openpse.runtime import Runtime
    from openpse.storage.tables import Empresa

TIPOS_MENSAJE = frozenset(catalogs.TIPO_POR_MENSAJE.values())
"""05, 06 and 07: the consecutivo types of a MensajeReceptor."""
_SIN_EFECTO = (Estado.RECHAZADO.value, Estado.FALLIDO.value)
"""A message in these states did not answer the comprobante: another one may."""
_DS = "http://www.w3.org/2000/09/xmldsig#"
_POR_MENSAJE = {1: "una aceptación", 2: "una aceptación parcial", 3: "un rechazo"}


class RecepcionIn(_Model):
    """Respuesta a un comprobante recibido de un proveedor (MensajeReceptor)."""

    xml: str | None = Field(
        default=None,
        description="El XML firmado recibido del proveedor, en base64 (con Content-Type "
        "application/xml va como cuerpo y el resto como parámetros de la URL).",
    )
    mensaje: Literal[1, 2, 3] = Field(description="1 aceptado, 2 aceptado parcialmente, 3 rechazado.")
    detalle: XmlStr | None = Field(
        default=None, max_length=160, description="DetalleMensaje: el motivo (recomendado en un rechazo)."
    )
    codigo_actividad: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z.]{6}$")] | None = Field(
        default=None,
        description="Actividad económica de la empresa a la que se aplica el gasto; por defecto la "
        "CodigoActividadReceptor del comprobante, o la de la empresa.",
    )
    condicion_impuesto: Codigo2 | None = Field(
        default=None,
        description="01 general crédito IVA, 02 crédito parcial, 03 bienes de capital, 04 gasto corriente "
        "que no genera crédito, 05 proporcionalidad.",
    )
    monto_total_impuesto_acreditar: Amount | None = Field(
        default=None,
        description="Impuesto a acreditar; por defecto todo el impuesto con las condiciones 01 y 03 "
        "(obligatorio con 02 y 05).",
    )
    monto_total_gasto_aplicable: Amount | None = Field(
        default=None, description="Gasto a aplicar; por defecto el total del comprobante con la condición 04."
    )
    sucursal: int = Field(default=1, ge=1, le=999, description="Sucursal que responde (3 dígitos).")
    terminal: int = Field(default=1, ge=1, le=99999, description="Terminal o punto de venta (5 dígitos).")
    numero: int | None = Field(
        default=None,
        ge=1,
        le=9_999_999_999,
        description="Número del consecutivo del mensaje; por defecto el siguiente de su tipo (05, 06 o 07).",
    )
    fecha_emision: dt.datetime | None = Field(
        default=None, description="Fecha de la confirmación (FechaEmisionDoc); por defecto ahora."
    )


@dataclass(frozen=True)
class Recibido:
    """What OpenPSE verified of the supplier's comprobante."""

    tipo: str
    clave: str
    tipo_cedula_emisor: str
    numero_cedula_emisor: str
    nombre_emisor: str | None
    correo_emisor: str | None
    codigo_actividad_receptor: str | None
    moneda: str
    total_impuesto: Decimal | None
    total_comprobante: Decimal


@dataclass(frozen=True)
class Recepcion:
    """A parsed and verified request: the ``model`` of its :class:`Draft`."""

    peticion: RecepcionIn
    recibido: Recibido

    def mensaje(self, codigo_actividad_empresa: str | None) -> MensajeReceptorIn:
        """The MensajeReceptor, with the figures of the received XML."""
        p = self.peticion
        return MensajeReceptorIn(
            clave=self.recibido.clave,
            numero_cedula_emisor=self.recibido.numero_cedula_emisor,
            tipo_identificacion_emisor=self.recibido.tipo_cedula_emisor,
            mensaje=p.mensaje,
            detalle_mensaje=p.detalle,
            monto_total_impuesto=self.recibido.total_impuesto,
            codigo_actividad=p.codigo_actividad
            or self.recibido.codigo_actividad_receptor
            or codigo_actividad_empresa,
            condicion_impuesto=p.condicion_impuesto,
            monto_total_impuesto_acreditar=p.monto_total_impuesto_acreditar,
            monto_total_gasto_aplicable=p.monto_total_gasto_aplicable,
            total_factura=self.recibido.total_comprobante,
            sucursal=p.sucursal,
            terminal=p.terminal,
            numero=p.numero,
            fecha_emision=p.fecha_emision,
        )


def _rechazo(codigo: str, mensaje: str, campo: str = "xml") -> ValidationFailed:
    return ValidationFailed(Issue(codigo, mensaje, campo))


def _validation_issues(exc: ValidationError) -> list[Issue]:
    issues = []
    for error in exc.errors():
        path = ".".join(str(part) for part in error["loc"])
        issues.append(Issue(Code.CAMPO_INVALIDO, error["msg"], path or None))
    return issues


def leer_peticion(payload: dict[str, Any], xml: bytes | None) -> tuple[RecepcionIn, bytes]:
    """The request and the received XML (the body itself, or ``xml`` in base64 in a JSON body)."""
    try:
        peticion = RecepcionIn.model_validate(payload)
    except ValidationError as exc:
        raise ValidationFailed(_validation_issues(exc)) from exc
    if xml is not None:
        return peticion, xml
    if not peticion.xml:
        raise _rechazo(Code.CAMPO_INVALIDO, "Falta el XML del comprobante recibido (base64)")
    try:
        return peticion, base64.b64decode(peticion.xml, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _rechazo(Code.CAMPO_INVALIDO, f"El XML recibido no es base64 válido: {exc}") from exc


def _mismo_id(a: str | None, b: str | None) -> bool:
    """Two identifications written with or without leading zeros."""
    return bool(a) and bool(b) and (a or "").upper().lstrip("0") == (b or "").upper().lstrip("0")


def _texto(root: etree._Element, ruta: str, ns: str) -> str | None:
    node = root.find("/".join(f"{{{ns}}}{parte}" for parte in ruta.split("/")))
    return node.text.strip() if node is not None and node.text else None


def _verificar_firma(root: etree._Element, emisor: str) -> None:
    """The first signature (the issuer's) holds and its certificate names ``emisor``."""
    # The emulator's verifier, written from XMLDSig, XAdES and §4 (imported here: the
    # sandbox package is heavy and not needed by anything else on this path).
    from openpse.sandbox.hacienda import xades as verificador

    firmas = root.findall(f"{{{_DS}}}Signature")
    if not firmas:
        raise _rechazo(CodigoCR.FIRMA_RECIBIDA_INVALIDA, "El comprobante recibido no está firmado")
    try:
        verificada = verificador.verify_signature(root, firmas[0], strict=False)
    except verificador.SignatureInvalid as exc:
        raise _rechazo(CodigoCR.FIRMA_RECIBIDA_INVALIDA, f"Comprobante recibido: {exc.message}") from exc
    certificado = verificada.certificate
    if verificador.normalize_id(emisor) not in verificador.certificate_ids(certificado):
        raise _rechazo(
            CodigoCR.FIRMA_RECIBIDA_INVALIDA,
            f"El comprobante recibido no está firmado por su emisor ({emisor}): el certificado es de "
            f"{certificado.subject.rfc4514_string()}",
        )
    momento = verificada.signing_time
    if momento is not None and not (
        certificado.not_valid_before_utc <= momento <= certificado.not_valid_after_utc
    ):
        raise _rechazo(
            CodigoCR.FIRMA_RECIBIDA_INVALIDA,
            "El comprobante recibido se firmó fuera del periodo de validez de su certificado",
        )


def verificar(xml: bytes, identificacion_empresa: str) -> Recibido:
    """Check a received comprobante (see the module) and read what the message needs."""
    try:
        root = xmlsafe.parse(xml)
    except xmlsafe.UnsafeXml as exc:
        raise _rechazo(Code.XML_INSEGURO, f"Comprobante recibido: {exc}") from exc
    except etree.XMLSyntaxError as exc:
        raise _rechazo(Code.XML_MALFORMADO, f"El comprobante recibido no es XML: {exc}") from exc
    leido = leer_recibido(xml)  # root, namespace, clave, parties and totals
    formato = FORMATOS[leido.tipo]
    ns = formato.namespace
    if leido.tipo == "08":
        raise _rechazo(
            CodigoCR.COMPROBANTE_NO_RESPONDIBLE,
            "Una factura electrónica de compra la emite el comprador mismo: no se responde con un mensaje "
            "receptor",
        )
    consecutivo_texto = _texto(root, "NumeroConsecutivo", ns) or ""
    try:
        clave = Clave.parse(leido.clave)
        consecutivo = Consecutivo.parse(consecutivo_texto)
        emisor_en_clave = identificacion_en_clave(leido.numero_cedula_emisor)
    except ClaveError as exc:
        raise _rechazo(CodigoCR.NUMERACION_INVALIDA, f"Comprobante recibido: {exc}") from exc
    if clave.consecutivo != consecutivo or consecutivo.tipo != leido.tipo:
        raise _rechazo(
            CodigoCR.NUMERACION_INVALIDA,
            f"La clave del comprobante recibido no contiene su NumeroConsecutivo {consecutivo_texto} "
            f"de {formato.con_articulo}",
        )
    if clave.emisor != emisor_en_clave:
        raise _rechazo(
            CodigoCR.CLAVE_NO_ES_DEL_EMISOR,
            f"La clave del comprobante recibido no es de su emisor {leido.numero_cedula_emisor}",
        )
    if not _mismo_id(leido.numero_cedula_receptor, identificacion_empresa):
        destino = leido.numero_cedula_receptor or "nadie (no tiene Receptor)"
        raise _rechazo(
            CodigoCR.RECEPTOR_NO_ES_LA_EMPRESA,
            f"El comprobante recibido está dirigido a {destino}, no a la empresa ({identificacion_empresa})",
        )
    if not leido.tipo_cedula_emisor:
        raise _rechazo(Code.CAMPO_INVALIDO, "El comprobante recibido no tiene Emisor/Identificacion/Tipo")
    _verificar_firma(root, leido.numero_cedula_emisor)
    return Recibido(
        tipo=leido.tipo,
        clave=leido.clave,
        tipo_cedula_emisor=leido.tipo_cedula_emisor,
        numero_cedula_emisor=leido.numero_cedula_emisor,
        nombre_emisor=_texto(root, "Emisor/Nombre", ns),
        correo_emisor=_texto(root, "Emisor/CorreoElectronico", ns),
        codigo_actividad_receptor=_texto(root, "CodigoActividadReceptor", ns),
        moneda=leido.moneda,
        total_impuesto=leido.total_impuesto,
        total_comprobante=leido.total_comprobante,
    )


def borrador(peticion: RecepcionIn, xml: bytes, identificacion_empresa: str) -> Draft:
    """The :class:`Draft` of a MensajeReceptor: type 05/06/07, the series of its branch and
    terminal, and a content hash of the request and the received XML (without the number)."""
    recibido = verificar(xml, identificacion_empresa)
    canonical = json.dumps(
        {
            "peticion": peticion.model_dump(mode="json", exclude={"numero", "xml"}),
            "recibido": hashlib.sha256(xml).hexdigest(),
        },
        sort_keys=True,
    )
    return Draft(
        tipo=catalogs.TIPO_POR_MENSAJE[peticion.mensaje],
        serie=f"{peticion.sucursal:03d}{peticion.terminal:05d}",
        numero=peticion.numero,
        content_hash=hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        model=Recepcion(peticion, recibido),
    )


# -- registering ---------------------------------------------------------------------------


def registrar(
    runtime: Runtime,
    empresa: Empresa,
    payload: dict[str, Any],
    xml: bytes | None,
    *,
    idempotency_key: str | None = None,
    enviar: bool = True,
) -> Registered:
    """Verify, number, sign, store and queue the MensajeReceptor of a received comprobante.

    One answer per received comprobante: the same request again returns the stored message;
    another answer to a comprobante already answered is a 409, unless that answer came to
    nothing (``rechazado`` or ``fallido``). Without an ``Idempotency-Key`` the received
    clave is the key, so two requests racing for the same comprobante store one message.
    """
    from openpse.documents import service  # the document service imports the runtime
    from openpse.storage.tables import Comprobante

    if empresa.pais != "CR":
        raise ValidationFailed(
            Issue(Code.NO_SOPORTADO, "Los mensajes receptor son de Costa Rica (empresa con pais CR)")
        )
    peticion, recibido_xml = leer_peticion(payload, xml)
    draft = borrador(peticion, recibido_xml, empresa.identificacion)
    clave = draft.model.recibido.clave
    with runtime.db.read() as session:
        anteriores = session.scalars(
            select(Comprobante)
            .where(
                Comprobante.empresa_id == empresa.id,
                Comprobante.tipo.in_(sorted(TIPOS_MENSAJE)),
                Comprobante.id.startswith(f"{clave}-", autoescape=True),
            )
            .order_by(Comprobante.creado)
        ).all()
    for anterior in reversed(anteriores):
        if anterior.content_hash == draft.content_hash:
            return service.Registered(anterior, created=False)
    vigentes = [a for a in anteriores if a.estado not in _SIN_EFECTO]
    if vigentes:
        vigente = vigentes[-1]
        tipo_respuesta = next(m for m, t in catalogs.TIPO_POR_MENSAJE.items() if t == vigente.tipo)
        raise Conflict(
            Issue(
                Code.CONFLICTO,
                f"El comprobante {clave} ya se respondió con {_POR_MENSAJE[tipo_respuesta]} ({vigente.id}, "
                f"{vigente.estado}); solo si esa respuesta es rechazada o falla se puede enviar otra",
                "mensaje",
            )
        )
    key = idempotency_key or f"recepcion:{clave}:{len(anteriores) + 1}"
    return service.register(runtime, empresa, draft=draft, idempotency_key=key, enviar=enviar)
