"""Companies (``/v1/empresas``): creation by an administrator, certificate, clients, users."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Path, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from openpse.api.deps import AdminDep, Principal, PrincipalDep, RuntimeDep
from openpse.core.errors import BadRequest, Code, Forbidden, Issue, NotFound, ValidationFailed
from openpse.runtime import Runtime
from openpse.signing.certificates import CertificateError, load_any
from openpse.storage.tables import Empresa
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


class EmpresaIn(BaseModel):
    """Datos de la empresa emisora. Los secretos son de solo escritura."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    pais: str = Field(default="PE", pattern=r"^(PE|CR)$")
    ruc: str | None = Field(default=None, description="RUC (Perú)")
    identificacion: str | None = Field(default=None, description="Identificación (Costa Rica)")
    razon_social: str = Field(min_length=1, max_length=1500)
    nombre_comercial: str | None = Field(default=None, max_length=1500)
    direccion: Direccion = Field(default_factory=Direccion)
    destino: str = Field(default="sunat", pattern=r"^(sunat|ose|hacienda)$")
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
    webhook_url: str | None
    firma_algoritmo: str
    certificado: dict[str, str] | None


class CertificadoIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pfx: str = Field(description="Archivo .pfx/.p12 (o PEM con clave y certificado) en Base64.")
    clave: str | None = Field(default=None, description="Contraseña del archivo.")


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
        webhook_url=empresa.webhook_url,
        firma_algoritmo=empresa.firma_algoritmo,
        certificado=certificate_info(empresa),
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
)
def crear_empresa(body: EmpresaIn, runtime: RuntimeDep, _admin: AdminDep) -> EmpresaOut:
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
        destino=body.destino,
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
    )
    with runtime.db.session() as session:
        empresa = create_empresa(session, runtime.box, data)
    return _out(empresa)


@router.get("/v1/empresas/{ruc}", response_model=EmpresaOut, summary="Datos de una empresa")
def ver_empresa(ruc: RucPath, runtime: RuntimeDep, principal: PrincipalDep) -> EmpresaOut:
    return _out(_owned(runtime, principal, ruc))


@router.put(
    "/v1/empresas/{ruc}/certificado", response_model=CertificadoOut, summary="Cargar el certificado digital"
)
def cargar_certificado(
    ruc: RucPath, body: CertificadoIn, runtime: RuntimeDep, principal: PrincipalDep
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
        set_certificate(row, runtime.box, cert)
        info = certificate_info(row)
    assert info is not None
    return CertificadoOut(**info)


@router.post(
    "/v1/empresas/{ruc}/clientes",
    status_code=status.HTTP_201_CREATED,
    response_model=ClienteOut,
    summary="Crear un cliente de API para la empresa",
)
def crear_cliente(
    ruc: RucPath, runtime: RuntimeDep, principal: PrincipalDep, body: ClienteIn | None = None
) -> ClienteOut:
    empresa = _owned(runtime, principal, ruc)
    if principal.usuario_id is not None:
        raise Forbidden("Un token de usuario no crea clientes de API")
    with runtime.db.session() as session:
        client_id, secret = create_client(session, empresa, nombre=body.nombre if body else None)
    return ClienteOut(client_id=client_id, client_secret=secret)


@router.post(
    "/v1/empresas/{ruc}/usuarios",
    status_code=status.HTTP_201_CREATED,
    response_model=UsuarioOut,
    summary="Crear un usuario de la empresa (grant password y portal)",
)
def crear_usuario(ruc: RucPath, body: UsuarioIn, runtime: RuntimeDep, principal: PrincipalDep) -> UsuarioOut:
    empresa = _owned(runtime, principal, ruc)
    with runtime.db.session() as session:
        create_user(session, empresa, body.username, body.password)
    return UsuarioOut(username=body.username, empresa=empresa.identificacion)
