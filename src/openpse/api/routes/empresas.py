"""Companies (``/v1/empresas``): creation by an administrator, certificate, clients, users.

Every change is written to the audit log (``openpse.api.audit``) in its own transaction.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, update

from openpse.api.audit import ActorDep, record
from openpse.api.deps import AdminDep, Principal, PrincipalDep, RuntimeDep
from openpse.api.errors import error_responses
from openpse.core.errors import BadRequest, Code, Conflict, Forbidden, Issue, NotFound, ValidationFailed
from openpse.core.timeutil import iso
from openpse.documents import impresion
from openpse.notifications import config as notification_settings
from openpse.render import RenderError
from openpse.render.canvas import load_logo
from openpse.runtime import Runtime
from openpse.signing.certificates import CertificateError, load_any
from openpse.storage.tables import ApiCliente, Empresa, Token
from openpse.tenants import (
    EmpresaData,
    certificate_info,
    create_client,
    create_empresa,
    create_user,
    set_certificate,
)

router = APIRouter(tags=["empresas"])
RucPath = Annotated[str, Path(pattern=r"^[0-9A-Za-z-]{9,20}$", description="RUC (PE) o identificación (CR)")]
ClientIdPath = Annotated[str, Path(max_length=128, description="client_id del cliente de API")]
_SECRET_FIELDS = ("clave_sol", "gre_client_secret", "hacienda_clave")


class Direccion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ubigeo: str | None = Field(default=None, pattern=r"^\d{6}$", description="Ubigeo INEI (catálogo 13).")
    departamento: str | None = None
    provincia: str | None = None
    distrito: str | None = None
    urbanizacion: str | None = None
    direccion: str | None = None
    codigo_establecimiento: str | None = Field(
        default=None,
        pattern=r"^\d{4}$",
        description="Código de establecimiento SUNAT; 0000 domicilio fiscal.",
    )
    # Costa Rica (Emisor of the v4.4 documents).
    canton: str | None = Field(default=None, description="Cantón (Costa Rica).")
    barrio: str | None = Field(default=None, description="Barrio (Costa Rica, opcional).")
    otras_senas: str | None = Field(default=None, max_length=250, description="Otras señas (Costa Rica).")
    correo: str | None = Field(default=None, max_length=160, description="Correo electrónico del emisor.")
    correos: list[str] | None = Field(default=None, max_length=4)
    telefono: str | None = Field(default=None, max_length=20)
    codigo_actividad: str | None = Field(
        default=None, description="Actividad económica (Hacienda, 6 caracteres)."
    )
    tipo_identificacion: str | None = Field(default=None, pattern=r"^0[1-4]$")
    registro_fiscal_8707: str | None = Field(default=None, max_length=12)


class EmpresaIn(BaseModel):
    """Datos de la empresa emisora. Los secretos son de solo escritura."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    pais: str = Field(default="PE", pattern=r"^(PE|CR)$")
    ruc: str | None = Field(default=None, description="RUC (Perú)")
    identificacion: str | None = Field(default=None, description="Identificación (Costa Rica)")
    razon_social: str = Field(min_length=1, max_length=1500)
    nombre_comercial: str | None = Field(default=None, max_length=1500)
    direccion: Direccion = Field(default_factory=Direccion)
    destino: str | None = Field(
        default=None, pattern=r"^(sunat|ose|hacienda)$", description="Por defecto sunat (PE) o hacienda (CR)."
    )
    ambiente: str = Field(default="sandbox", pattern=r"^(sandbox|beta|produccion)$")
    ose_url: str | None = Field(default=None, max_length=500)
    usuario_sol: str | None = Field(default=None, max_length=64)
    clave_sol: str | None = Field(default=None, max_length=128)
    gre_client_id: str | None = None
    gre_client_secret: str | None = None
    hacienda_usuario: str | None = None
    hacienda_clave: str | None = None
    webhook_url: str | None = Field(default=None, max_length=500)
    firma_algoritmo: str = Field(default="sha256", pattern=r"^(sha256|sha1)$")
    boletas_por_resumen: bool | None = Field(
        default=None,
        description="Perú: true informa las boletas y sus notas en el resumen diario (RC) en lugar de "
        "enviarlas una por una (véase POST /v1/resumenes); por defecto false.",
    )


class EmpresaCambios(BaseModel):
    """Cambios a la configuración de envío de una empresa; un campo ausente no cambia."""

    model_config = ConfigDict(extra="forbid")
    boletas_por_resumen: bool | None = Field(
        default=None,
        description="true: las boletas y sus notas que se emitan desde ahora se informan en el resumen "
        "diario; false: se envían una por una. Las que ya esperan su resumen lo siguen esperando.",
    )


class EmpresaOut(BaseModel):
    ruc: str
    pais: str
    razon_social: str
    nombre_comercial: str | None
    direccion: dict[str, Any]
    destino: str
    ambiente: str
    ose_url: str | None
    usuario_sol: str | None
    tiene_clave_sol: bool
    hacienda_usuario: str | None = None
    tiene_clave_hacienda: bool = False
    webhook_url: str | None
    webhook_secreto: str | None = Field(
        default=None,
        description="Clave del HMAC de X-OpenPSE-Firma: se muestra una sola vez, al crearla.",
    )
    firma_algoritmo: str
    boletas_por_resumen: bool = False
    certificado: dict[str, str] | None
    logo: str | None = Field(default=None, description="Enlace al logo de la empresa, si tiene.")


class CertificadoIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pfx: str = Field(description="Archivo .pfx/.p12 (o PEM con clave y certificado) en Base64.")
    clave: str | None = Field(default=None, description="Contraseña del archivo.")


class LogoIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    imagen: str = Field(description="Imagen PNG o JPEG en Base64 (la petición entera admite hasta 5 MB).")


class LogoOut(BaseModel):
    enlace: str
    ancho: int = Field(description="Píxeles guardados (se reduce a 800 px en el lado mayor).")
    alto: int
    bytes: int
    sha256: str


class CertificadoOut(BaseModel):
    sujeto: str
    serie: str
    emitido: str
    vence: str


class ClienteOut(BaseModel):
    client_id: str
    client_secret: str = Field(description="Se muestra una sola vez.")


class ClienteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    nombre: str | None = Field(default=None, max_length=200)


class UsuarioIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=3, max_length=128)
    password: str = Field(min_length=8, max_length=256)


class UsuarioOut(BaseModel):
    username: str
    empresa: str


class ClienteInfo(BaseModel):
    client_id: str
    nombre: str | None
    activo: bool
    creado: str


def _out(empresa: Empresa) -> EmpresaOut:
    return EmpresaOut(
        ruc=empresa.identificacion,
        pais=empresa.pais,
        razon_social=empresa.razon_social,
        nombre_comercial=empresa.nombre_comercial,
        direccion=empresa.direccion,
        destino=empresa.destino,
        ambiente=empresa.ambiente,
        ose_url=empresa.ose_url,
        usuario_sol=empresa.usuario_sol,
        tiene_clave_sol=empresa.clave_sol_enc is not None,
        hacienda_usuario=empresa.hacienda_usuario,
        tiene_clave_hacienda=empresa.hacienda_clave_enc is not None,
        webhook_url=empresa.webhook_url,
        firma_algoritmo=empresa.firma_algoritmo,
        boletas_por_resumen=bool(empresa.boletas_por_resumen),
        certificado=certificate_info(empresa),
        logo=f"/v1/empresas/{empresa.identificacion}/logo" if empresa.logo_blob else None,
    )


def _owned(runtime: Runtime, principal: Principal, ruc: str) -> Empresa:
    with runtime.db.read() as session:
        empresa = session.scalar(select(Empresa).where(Empresa.identificacion == ruc))
    # Another tenant's company is "not found", exactly like one that does not exist.
    if empresa is None or (not principal.admin and principal.empresa_id != empresa.id):
        raise NotFound(f"No existe la empresa {ruc}")
    return empresa


@router.post(
    "/v1/empresas",
    status_code=status.HTTP_201_CREATED,
    response_model=EmpresaOut,
    summary="Crear una empresa (administrador)",
    responses=error_responses(401, 403, 409, 413, 422, 429),
)
def crear_empresa(body: EmpresaIn, runtime: RuntimeDep, _admin: AdminDep, actor: ActorDep) -> EmpresaOut:
    identificacion = body.ruc if body.pais == "PE" else body.identificacion
    if not identificacion:
        raise ValidationFailed(
            Issue(
                Code.CAMPO_INVALIDO,
                "Falta ruc (PE) o identificacion (CR)",
                "ruc" if body.pais == "PE" else "identificacion",
            )
        )
    data = EmpresaData(
        pais=body.pais,
        identificacion=identificacion,
        razon_social=body.razon_social,
        nombre_comercial=body.nombre_comercial,
        direccion=body.direccion.model_dump(exclude_none=True),
        destino=body.destino or ("hacienda" if body.pais == "CR" else "sunat"),
        ambiente=body.ambiente,
        ose_url=body.ose_url,
        usuario_sol=body.usuario_sol,
        clave_sol=body.clave_sol,
        gre_client_id=body.gre_client_id,
        gre_client_secret=body.gre_client_secret,
        hacienda_usuario=body.hacienda_usuario,
        hacienda_clave=body.hacienda_clave,
        webhook_url=body.webhook_url,
        firma_algoritmo=body.firma_algoritmo,
        boletas_por_resumen=bool(body.boletas_por_resumen),
    )
    given = body.model_dump(exclude_none=True, exclude=set(_SECRET_FIELDS)) | {"destino": data.destino}
    with runtime.db.session() as session:
        empresa = create_empresa(session, runtime.box, data)
        webhook_secreto = (
            notification_settings.set_webhook(empresa, runtime.box, body.webhook_url)
            if body.webhook_url
            else None
        )
        record(
            session,
            actor,
            "empresa.creada",
            empresa.identificacion,
            empresa.id,
            {
                "campos": sorted(given),
                "secretos": sorted(f for f in _SECRET_FIELDS if getattr(body, f)),
            },
        )
    return _out(empresa).model_copy(update={"webhook_secreto": webhook_secreto})


@router.get(
    "/v1/empresas/{ruc}",
    response_model=EmpresaOut,
    summary="Datos de una empresa",
    responses=error_responses(401, 404, 422, 429),
)
def ver_empresa(ruc: RucPath, runtime: RuntimeDep, principal: PrincipalDep) -> EmpresaOut:
    return _out(_owned(runtime, principal, ruc))


@router.patch(
    "/v1/empresas/{ruc}",
    response_model=EmpresaOut,
    summary="Cambiar la configuración de envío de una empresa",
    responses=error_responses(401, 404, 413, 422, 429),
)
def cambiar_empresa(
    ruc: RucPath, body: EmpresaCambios, runtime: RuntimeDep, principal: PrincipalDep, actor: ActorDep
) -> EmpresaOut:
    owned = _owned(runtime, principal, ruc)
    cambios = body.model_dump(exclude_none=True)
    with runtime.db.session() as session:
        empresa = session.get(Empresa, owned.id, with_for_update=True)
        assert empresa is not None
        for campo, valor in cambios.items():
            setattr(empresa, campo, valor)
        record(session, actor, "empresa.modificada", empresa.identificacion, empresa.id, cambios)
        return _out(empresa)


@router.put(
    "/v1/empresas/{ruc}/certificado",
    response_model=CertificadoOut,
    summary="Cargar el certificado digital",
    responses=error_responses(400, 401, 404, 413, 422, 429),
)
def cargar_certificado(
    ruc: RucPath, body: CertificadoIn, runtime: RuntimeDep, principal: PrincipalDep, actor: ActorDep
) -> CertificadoOut:
    empresa = _owned(runtime, principal, ruc)
    try:
        data = base64.b64decode(body.pfx, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest(Issue(Code.CERTIFICADO_INVALIDO, "pfx no es Base64 válido", "pfx")) from exc
    try:
        cert = load_any(data, body.clave)
    except CertificateError as exc:
        raise ValidationFailed(Issue(Code.CERTIFICADO_INVALIDO, str(exc), "pfx")) from exc
    with runtime.db.session() as session:
        row = session.get(Empresa, empresa.id)
        assert row is not None
        previous = row.cert_serie
        set_certificate(row, runtime.box, cert)
        info = certificate_info(row)
        record(
            session,
            actor,
            "certificado.cargado",
            cert.serie,
            row.id,
            {
                "sujeto": cert.sujeto,
                "huella": cert.fingerprint,
                "vence": cert.vence.isoformat(),
                "reemplaza": previous,
            },
        )
    assert info is not None
    return CertificadoOut(**info)


@router.post(
    "/v1/empresas/{ruc}/clientes",
    status_code=status.HTTP_201_CREATED,
    response_model=ClienteOut,
    summary="Crear un cliente de API para la empresa",
    responses=error_responses(401, 403, 404, 413, 422, 429),
)
def crear_cliente(
    ruc: RucPath, runtime: RuntimeDep, principal: PrincipalDep, actor: ActorDep, body: ClienteIn | None = None
) -> ClienteOut:
    empresa = _owned(runtime, principal, ruc)
    if principal.usuario_id is not None:
        raise Forbidden("Un token de usuario no crea clientes de API")
    with runtime.db.session() as session:
        client_id, secret = create_client(session, empresa, nombre=body.nombre if body else None)
        record(
            session,
            actor,
            "cliente.creado",
            client_id,
            empresa.id,
            {"nombre": body.nombre if body else None},
        )
    return ClienteOut(client_id=client_id, client_secret=secret)


@router.get(
    "/v1/empresas/{ruc}/clientes",
    response_model=list[ClienteInfo],
    summary="Clientes de API de la empresa (sin secretos)",
    responses=error_responses(401, 404, 422, 429),
)
def listar_clientes(ruc: RucPath, runtime: RuntimeDep, principal: PrincipalDep) -> list[ClienteInfo]:
    empresa = _owned(runtime, principal, ruc)
    with runtime.db.read() as session:
        clients = session.scalars(
            select(ApiCliente).where(ApiCliente.empresa_id == empresa.id).order_by(ApiCliente.id)
        ).all()
    return [
        ClienteInfo(client_id=c.client_id, nombre=c.nombre, activo=c.activo, creado=iso(c.creado))
        for c in clients
    ]


@router.delete(
    "/v1/empresas/{ruc}/clientes/{client_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Desactivar un cliente de API y revocar sus tokens",
    responses=error_responses(401, 403, 404, 422, 429),
)
def desactivar_cliente(
    ruc: RucPath, client_id: ClientIdPath, runtime: RuntimeDep, principal: PrincipalDep, actor: ActorDep
) -> Response:
    """Para un secreto filtrado: el cliente deja de obtener tokens y los que tenía dejan de valer
    al instante. No se puede deshacer; cree otro cliente."""
    empresa = _owned(runtime, principal, ruc)
    if principal.usuario_id is not None:
        raise Forbidden("Un token de usuario no administra clientes de API")
    with runtime.db.session() as session:
        client = session.scalar(
            select(ApiCliente).where(ApiCliente.client_id == client_id, ApiCliente.empresa_id == empresa.id)
        )
        if client is None:
            raise NotFound(f"No existe el cliente {client_id}")
        if client.activo:
            client.activo = False
            revoked = session.execute(
                update(Token)
                .where(Token.cliente_id == client.id, Token.revocado.is_(False))
                .values(revocado=True)
            ).rowcount  # type: ignore[attr-defined]
            record(
                session, actor, "cliente.desactivado", client_id, empresa.id, {"tokens_revocados": revoked}
            )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/v1/empresas/{ruc}/usuarios",
    status_code=status.HTTP_201_CREATED,
    response_model=UsuarioOut,
    summary="Crear un usuario de la empresa (grant password y portal)",
    responses=error_responses(401, 404, 409, 413, 422, 429),
)
def crear_usuario(
    ruc: RucPath, body: UsuarioIn, runtime: RuntimeDep, principal: PrincipalDep, actor: ActorDep
) -> UsuarioOut:
    empresa = _owned(runtime, principal, ruc)
    with runtime.db.session() as session:
        create_user(session, empresa, body.username, body.password)
        record(session, actor, "usuario.creado", body.username, empresa.id)
    return UsuarioOut(username=body.username, empresa=empresa.identificacion)


class SmtpIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    host: str = Field(min_length=1, max_length=255)
    puerto: int | None = Field(default=None, ge=1, le=65535)
    remitente: str = Field(min_length=3, max_length=320, description="Dirección de origen de los correos.")
    usuario: str | None = Field(default=None, max_length=320)
    clave: str | None = Field(default=None, max_length=256, description="Solo escritura.")
    seguridad: str = Field(default="starttls", pattern=r"^(starttls|ssl|ninguna)$")


class NotificacionesIn(BaseModel):
    """Dónde avisar: webhook a la empresa en cada cambio de estado; correo al cliente al aceptarse."""

    model_config = ConfigDict(extra="forbid")
    webhook_url: str | None = Field(
        default=None, max_length=500, description="https:// (http:// solo a localhost)."
    )
    smtp: SmtpIn | None = None


class NotificacionesOut(BaseModel):
    webhook_url: str | None
    webhook_secreto: str | None = Field(default=None, description="Solo cuando se crea: guárdela.")
    smtp: dict[str, Any] | None
    tiene_clave_smtp: bool


def _notificaciones_out(empresa: Empresa, secreto: str | None = None) -> NotificacionesOut:
    return NotificacionesOut(
        webhook_url=empresa.webhook_url,
        webhook_secreto=secreto,
        smtp=empresa.smtp,
        tiene_clave_smtp=empresa.smtp_clave_enc is not None,
    )


@router.put(
    "/v1/empresas/{ruc}/notificaciones",
    response_model=NotificacionesOut,
    summary="Configurar el webhook y el correo a clientes",
    responses=error_responses(401, 404, 413, 422, 429),
)
def configurar_notificaciones(
    ruc: RucPath, body: NotificacionesIn, runtime: RuntimeDep, principal: PrincipalDep, actor: ActorDep
) -> NotificacionesOut:
    """Reemplaza la configuración: un campo ausente (o null) la desactiva. El secreto del
    webhook se crea la primera vez y se conserva si solo cambia la URL."""
    owned = _owned(runtime, principal, ruc)
    with runtime.db.session() as session:
        empresa = session.get(Empresa, owned.id, with_for_update=True)
        assert empresa is not None
        secreto = notification_settings.set_webhook(empresa, runtime.box, body.webhook_url)
        notification_settings.set_smtp(
            empresa, runtime.box, body.smtp.model_dump(exclude_none=True) if body.smtp else None
        )
        record(
            session,
            actor,
            "notificaciones.configuradas",
            empresa.identificacion,
            empresa.id,
            {"webhook": body.webhook_url is not None, "smtp": body.smtp is not None},
        )
        return _notificaciones_out(empresa, secreto)


@router.post(
    "/v1/empresas/{ruc}/notificaciones/secreto",
    response_model=NotificacionesOut,
    summary="Renovar el secreto del webhook",
    responses=error_responses(401, 404, 409, 429),
)
def renovar_secreto_webhook(
    ruc: RucPath, runtime: RuntimeDep, principal: PrincipalDep, actor: ActorDep
) -> NotificacionesOut:
    owned = _owned(runtime, principal, ruc)
    with runtime.db.session() as session:
        empresa = session.get(Empresa, owned.id, with_for_update=True)
        assert empresa is not None
        if not empresa.webhook_url:
            raise Conflict(Issue(Code.CONFLICTO, "La empresa no tiene webhook configurado", "webhook_url"))
        secreto = notification_settings.rotate_webhook_secret(empresa, runtime.box)
        record(session, actor, "webhook.secreto_renovado", empresa.identificacion, empresa.id)
        return _notificaciones_out(empresa, secreto)


@router.put(
    "/v1/empresas/{ruc}/logo",
    response_model=LogoOut,
    summary="Cargar el logo que llevan los PDF de la empresa",
    responses=error_responses(400, 401, 404, 413, 422, 429),
)
def cargar_logo(
    ruc: RucPath, body: LogoIn, runtime: RuntimeDep, principal: PrincipalDep, actor: ActorDep
) -> LogoOut:
    """Reemplaza el logo. Se guarda normalizado (JPEG sobre fondo blanco, hasta 800 px en
    el lado mayor), tal como se imprime; los PDF ya generados se vuelven a generar con él."""
    owned = _owned(runtime, principal, ruc)
    try:
        data = base64.b64decode(body.imagen, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest(Issue(Code.CAMPO_INVALIDO, "imagen no es Base64 válido", "imagen")) from exc
    try:
        logo = load_logo(data)
    except RenderError as exc:
        raise ValidationFailed(Issue(Code.CAMPO_INVALIDO, str(exc), "imagen")) from exc
    key = runtime.blobs.put(f"{impresion.LOGO_PREFIX}/{owned.id}", "logo.jpg", logo.jpeg)
    with runtime.db.session() as session:
        empresa = session.get(Empresa, owned.id, with_for_update=True)
        assert empresa is not None
        previous = empresa.logo_blob
        empresa.logo_blob = key
        record(
            session,
            actor,
            "logo.cargado",
            empresa.identificacion,
            empresa.id,
            {"sha256": hashlib.sha256(logo.jpeg).hexdigest(), "reemplaza": previous is not None},
        )
    return LogoOut(
        enlace=f"/v1/empresas/{owned.identificacion}/logo",
        ancho=logo.width,
        alto=logo.height,
        bytes=len(logo.jpeg),
        sha256=hashlib.sha256(logo.jpeg).hexdigest(),
    )


@router.get(
    "/v1/empresas/{ruc}/logo",
    summary="El logo de la empresa (JPEG)",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}, **error_responses(401, 404, 429)},
)
def ver_logo(ruc: RucPath, runtime: RuntimeDep, principal: PrincipalDep) -> Response:
    empresa = _owned(runtime, principal, ruc)
    if not empresa.logo_blob:
        raise NotFound(f"La empresa {ruc} no tiene logo")
    return Response(runtime.blobs.get(empresa.logo_blob), media_type="image/jpeg")


@router.delete(
    "/v1/empresas/{ruc}/logo",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Quitar el logo de la empresa",
    responses=error_responses(401, 404, 429),
)
def quitar_logo(ruc: RucPath, runtime: RuntimeDep, principal: PrincipalDep, actor: ActorDep) -> Response:
    owned = _owned(runtime, principal, ruc)
    with runtime.db.session() as session:
        empresa = session.get(Empresa, owned.id, with_for_update=True)
        assert empresa is not None
        if not empresa.logo_blob:
            raise NotFound(f"La empresa {ruc} no tiene logo")
        empresa.logo_blob = None
        record(session, actor, "logo.quitado", empresa.identificacion, empresa.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
