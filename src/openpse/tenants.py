"""Companies (empresas), their API clients, users and certificates.

Shared by the admin API and the CLI, so that both create exactly the same rows. Secrets
are encrypted with the master key before they touch the database and never leave it
decrypted except inside :func:`empresa_context`, for the authority that needs them.
"""

from __future__ import annotations

import secrets as pysecrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.pe import ruc as stdnum_ruc

from openpse.authorities.base import EmpresaContext
from openpse.authorities.hacienda.perfil import validar_emisor
from openpse.core.errors import Code, Conflict, Issue, IssueCollector, ValidationFailed
from openpse.core.hashing import hash_secret
from openpse.core.secretbox import SecretBox
from openpse.signing.certificates import Certificate, KeyCache, load_stored
from openpse.storage.tables import ApiCliente, Empresa, Usuario

DESTINOS = {"sunat", "ose", "hacienda"}
AMBIENTES = {"sandbox", "beta", "produccion"}


@dataclass(frozen=True)
class EmpresaData:
    """Fields of ``POST /v1/empresas`` (API.md)."""

    pais: str
    identificacion: str
    razon_social: str
    nombre_comercial: str | None = None
    direccion: dict[str, Any] | None = None
    destino: str = "sunat"
    ambiente: str = "sandbox"
    ose_url: str | None = None
    usuario_sol: str | None = None
    clave_sol: str | None = None
    gre_client_id: str | None = None
    gre_client_secret: str | None = None
    hacienda_usuario: str | None = None
    hacienda_clave: str | None = None
    webhook_url: str | None = None
    firma_algoritmo: str = "sha256"
    boletas_por_resumen: bool = False


def validate_empresa(data: EmpresaData) -> None:
    issues = IssueCollector()
    if data.pais == "PE":
        if not stdnum_ruc.is_valid(data.identificacion):
            issues.add(
                Code.EMPRESA_INVALIDA, "RUC inválido (11 dígitos con dígito verificador correcto)", "ruc"
            )
        if data.destino == "hacienda":
            issues.add(Code.EMPRESA_INVALIDA, "Una empresa peruana envía a sunat u ose", "destino")
        ubigeo = (data.direccion or {}).get("ubigeo")
        if ubigeo is not None and not (isinstance(ubigeo, str) and len(ubigeo) == 6 and ubigeo.isdigit()):
            issues.add(Code.EMPRESA_INVALIDA, "El ubigeo tiene 6 dígitos (catálogo 13)", "direccion.ubigeo")
    elif data.pais == "CR":
        _validate_cr(data, issues)
    else:
        issues.add(Code.EMPRESA_INVALIDA, "pais debe ser PE o CR", "pais")
    if data.destino not in DESTINOS:
        issues.add(Code.EMPRESA_INVALIDA, f"destino debe ser uno de {sorted(DESTINOS)}", "destino")
    if data.ambiente not in AMBIENTES:
        issues.add(Code.EMPRESA_INVALIDA, f"ambiente debe ser uno de {sorted(AMBIENTES)}", "ambiente")
    if data.destino == "ose" and not data.ose_url:
        issues.add(Code.EMPRESA_INVALIDA, "Un destino ose necesita ose_url", "ose_url")
    if data.ose_url and not data.ose_url.startswith("https://") and data.ambiente == "produccion":
        issues.add(Code.EMPRESA_INVALIDA, "En producción el OSE se llama por https", "ose_url")
    if data.firma_algoritmo not in {"sha256", "sha1"}:
        issues.add(Code.EMPRESA_INVALIDA, "firma_algoritmo debe ser sha256 o sha1", "firma_algoritmo")
    if data.destino == "sunat" and data.ambiente != "sandbox" and not (data.usuario_sol and data.clave_sol):
        issues.add(
            Code.EMPRESA_INVALIDA, "Para enviar a SUNAT se necesitan usuario_sol y clave_sol", "usuario_sol"
        )
    issues.raise_if_any()


def _validate_cr(data: EmpresaData, issues: IssueCollector) -> None:
    """A Costa Rican company: what every v4.4 Emisor needs, and Hacienda as destination."""
    try:
        validar_emisor(data.identificacion, data.razon_social, data.nombre_comercial, data.direccion or {})
    except ValidationFailed as exc:
        issues.issues.extend(exc.issues)
    if data.destino != "hacienda":
        issues.add(Code.EMPRESA_INVALIDA, "Una empresa costarricense envía a hacienda", "destino")
    if data.firma_algoritmo != "sha256":
        # XAdES-EPES of Hacienda: RSA-SHA256 and SHA-256 digests only (hacienda_cr.md §4).
        issues.add(Code.EMPRESA_INVALIDA, "Hacienda exige firmas RSA-SHA256", "firma_algoritmo")
    if data.ambiente != "sandbox" and not (data.hacienda_usuario and data.hacienda_clave):
        issues.add(
            Code.EMPRESA_INVALIDA,
            "Para enviar a Hacienda se necesitan hacienda_usuario y hacienda_clave (usuario del IDP "
            "generado en ATV/TRIBU-CR)",
            "hacienda_usuario",
        )


def _encrypt(box: SecretBox, value: str | None) -> bytes | None:
    return box.encrypt_text(value) if value else None


def create_empresa(session: Session, box: SecretBox, data: EmpresaData) -> Empresa:
    validate_empresa(data)
    if session.scalar(select(Empresa.id).where(Empresa.identificacion == data.identificacion)) is not None:
        raise Conflict(Issue(Code.CONFLICTO, f"La empresa {data.identificacion} ya existe", "ruc"))
    empresa = Empresa(
        pais=data.pais,
        identificacion=data.identificacion,
        razon_social=data.razon_social,
        nombre_comercial=data.nombre_comercial,
        direccion=data.direccion or {},
        destino=data.destino,
        ambiente=data.ambiente,
        ose_url=data.ose_url,
        usuario_sol=data.usuario_sol,
        clave_sol_enc=_encrypt(box, data.clave_sol),
        gre_client_id=data.gre_client_id,
        gre_client_secret_enc=_encrypt(box, data.gre_client_secret),
        hacienda_usuario=data.hacienda_usuario,
        hacienda_clave_enc=_encrypt(box, data.hacienda_clave),
        webhook_url=data.webhook_url,
        firma_algoritmo=data.firma_algoritmo,
        boletas_por_resumen=data.boletas_por_resumen,
    )
    session.add(empresa)
    session.flush()
    return empresa


def set_certificate(empresa: Empresa, box: SecretBox, cert: Certificate) -> None:
    """Store a validated certificate: the key encrypted, the certificate in clear."""
    empresa.cert_key_enc = box.encrypt(cert.key_der())
    empresa.cert_der = cert.cert_der()
    empresa.cert_fingerprint = cert.fingerprint
    empresa.cert_sujeto = cert.sujeto
    empresa.cert_serie = cert.serie
    empresa.cert_emitido = cert.emitido
    empresa.cert_vence = cert.vence


def certificate_info(empresa: Empresa) -> dict[str, str] | None:
    if empresa.cert_der is None or empresa.cert_emitido is None or empresa.cert_vence is None:
        return None
    return {
        "sujeto": empresa.cert_sujeto or "",
        "serie": empresa.cert_serie or "",
        "emitido": empresa.cert_emitido.isoformat(),
        "vence": empresa.cert_vence.isoformat(),
    }


def create_client(
    session: Session,
    empresa: Empresa | None,
    *,
    client_id: str | None = None,
    secret: str | None = None,
    admin: bool = False,
    nombre: str | None = None,
) -> tuple[str, str]:
    """Create an API client; return ``(client_id, secret)``: the secret is shown only once."""
    client_id = client_id or f"{empresa.identificacion if empresa else 'admin'}-{pysecrets.token_hex(4)}"
    secret = secret or pysecrets.token_urlsafe(24)
    if session.scalar(select(ApiCliente.id).where(ApiCliente.client_id == client_id)) is not None:
        raise Conflict(Issue(Code.CONFLICTO, f"El cliente {client_id} ya existe", "client_id"))
    session.add(
        ApiCliente(
            client_id=client_id,
            secret_hash=hash_secret(secret),
            empresa_id=empresa.id if empresa else None,
            admin=admin,
            nombre=nombre,
        )
    )
    session.flush()
    return client_id, secret


def create_user(session: Session, empresa: Empresa, username: str, password: str) -> Usuario:
    if session.scalar(select(Usuario.id).where(Usuario.username == username)) is not None:
        raise Conflict(Issue(Code.CONFLICTO, f"El usuario {username} ya existe", "username"))
    user = Usuario(empresa_id=empresa.id, username=username, password_hash=hash_secret(password))
    session.add(user)
    session.flush()
    return user


def empresa_context(empresa: Empresa, box: SecretBox, keys: KeyCache) -> EmpresaContext:
    """Everything an authority needs, with secrets decrypted and the key loaded once per process."""
    certificate = None
    if empresa.cert_key_enc is not None and empresa.cert_der is not None and empresa.cert_fingerprint:
        key_id = f"{empresa.id}:{empresa.cert_fingerprint}"
        certificate = keys.get(key_id)
        if certificate is None:
            certificate = load_stored(box.decrypt(empresa.cert_key_enc), empresa.cert_der)
            keys.put(key_id, certificate)
    return EmpresaContext(
        id=empresa.id,
        pais=empresa.pais,
        identificacion=empresa.identificacion,
        razon_social=empresa.razon_social,
        nombre_comercial=empresa.nombre_comercial,
        direccion=empresa.direccion,
        destino=empresa.destino,
        ambiente=empresa.ambiente,
        ose_url=empresa.ose_url,
        usuario=empresa.usuario_sol if empresa.pais == "PE" else empresa.hacienda_usuario,
        clave=_clave(empresa, box),
        firma_algoritmo=empresa.firma_algoritmo,
        certificate=certificate,
        gre_client_id=empresa.gre_client_id,
        gre_client_secret=box.decrypt_text(empresa.gre_client_secret_enc)
        if empresa.gre_client_secret_enc
        else None,
    )


def _clave(empresa: Empresa, box: SecretBox) -> str | None:
    """The company's password with its authority: clave SOL in Peru, the IDP's in Costa Rica."""
    encrypted = empresa.clave_sol_enc if empresa.pais == "PE" else empresa.hacienda_clave_enc
    return box.decrypt_text(encrypted) if encrypted else None
