"""A Costa Rican company as Hacienda sees it: its ``Emisor`` block and a test certificate.

A company row keeps what the ``Emisor`` element needs (``EmisorType`` of the v4.4 XSDs,
reference §3.3) in its ``direccion`` JSON, next to the address:

``provincia``, ``canton``, ``distrito``, ``barrio`` (optional), ``otras_senas``
    The ``Ubicacion`` (codes of the Codificacionubicacion_V4.4 annex).
``correo`` or ``correos``
    ``CorreoElectronico``, one to four: mandatory in FE, TE and FEE.
``telefono``
    ``NumTelefono`` (digits; country code 506).
``codigo_actividad``
    The economic activity registered with Hacienda (``CodigoActividadEmisor``, 6
    characters), the default of every document.
``tipo_identificacion``
    01 física, 02 jurídica, 03 DIMEX, 04 NITE; deduced from the length of the
    identification when missing (9 física, 10 jurídica, 11–12 DIMEX).
``registro_fiscal_8707``
    Registro of the Dirección General de Aduanas, for sellers of alcoholic beverages.

:func:`emisor_de` turns that into a validated :class:`~openpse.authorities.hacienda.models.Emisor`
and keeps one object per company and content, because the XML builder reuses the
rendered ``Emisor`` block of an object it has seen (``v44._bloque_emisor``).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pydantic import ValidationError

from openpse.authorities.base import EmpresaContext
from openpse.authorities.hacienda import rules
from openpse.authorities.hacienda.models import Emisor
from openpse.core.errors import Code, Issue, IssueCollector, ValidationFailed
from openpse.signing.certificates import Certificate

CAMPOS_PERFIL = frozenset(
    {
        "tipo_identificacion",
        "provincia",
        "canton",
        "distrito",
        "barrio",
        "otras_senas",
        "correo",
        "correos",
        "telefono",
        "codigo_actividad",
        "registro_fiscal_8707",
    }
)
"""Keys of ``direccion`` that a Costa Rican company may carry."""


def tipo_identificacion(numero: str) -> str:
    """The identification type a number of this length usually is (reference §3.3)."""
    if len(numero) == 9:
        return "01"
    if len(numero) in (11, 12):
        return "03"
    return "02"


def _emisor_data(
    identificacion: str, razon_social: str, nombre_comercial: str | None, direccion: Mapping[str, Any]
) -> dict[str, Any]:
    desconocidos = sorted(set(direccion) - CAMPOS_PERFIL)
    if desconocidos:
        raise ValidationFailed(
            Issue(
                Code.EMPRESA_INVALIDA,
                "Campos desconocidos en la dirección de una empresa de Costa Rica: "
                + ", ".join(desconocidos),
                "direccion",
            )
        )
    correos = direccion.get("correos")
    if correos is None:
        correos = [direccion["correo"]] if direccion.get("correo") else []
    data: dict[str, Any] = {
        "nombre": razon_social,
        "identificacion": {
            "tipo": direccion.get("tipo_identificacion") or tipo_identificacion(identificacion),
            "numero": identificacion,
        },
        "nombre_comercial": nombre_comercial or None,
        "correos": correos,
        "codigo_actividad": direccion.get("codigo_actividad"),
        "registro_fiscal_8707": direccion.get("registro_fiscal_8707"),
    }
    if any(direccion.get(k) for k in ("provincia", "canton", "distrito", "otras_senas")):
        data["ubicacion"] = {
            "provincia": direccion.get("provincia"),
            "canton": direccion.get("canton"),
            "distrito": direccion.get("distrito"),
            "barrio": direccion.get("barrio") or None,
            "otras_senas": direccion.get("otras_senas"),
        }
    if direccion.get("telefono"):
        data["telefono"] = {"numero": str(direccion["telefono"])}
    return data


_CAMPOS_EMISOR = {
    "nombre": "razon_social",
    "identificacion": "identificacion",
    "nombre_comercial": "nombre_comercial",
    "ubicacion": "direccion",
    "correos": "direccion.correos",
    "telefono": "direccion.telefono",
    "codigo_actividad": "direccion.codigo_actividad",
    "registro_fiscal_8707": "direccion.registro_fiscal_8707",
}


def _campo_empresa(loc: list[str]) -> str:
    """Where a problem of the Emisor lies among the fields of ``POST /v1/empresas``."""
    if not loc:
        return "direccion"
    if loc[0] == "identificacion":
        return "direccion.tipo_identificacion" if loc[1:2] == ["tipo"] else "identificacion"
    if loc[0] == "ubicacion" and len(loc) > 1:
        return f"direccion.{loc[1]}"
    return _CAMPOS_EMISOR.get(loc[0], "direccion")


def validar_emisor(
    identificacion: str, razon_social: str, nombre_comercial: str | None, direccion: Mapping[str, Any]
) -> Emisor:
    """The company's ``Emisor``, or ValidationFailed naming the company's fields at fault.

    Beyond the shapes of ``EmisorType`` the company must be able to issue a factura: the
    rules of an FE's Emisor apply (a valid identification that fits the clave, a location
    of the annex, an e-mail) and the economic activity must be known.
    """
    try:
        emisor = Emisor.model_validate(
            _emisor_data(identificacion, razon_social, nombre_comercial, direccion)
        )
    except ValidationError as exc:
        raise ValidationFailed(
            [
                Issue(
                    Code.EMPRESA_INVALIDA,
                    f"{error['msg']} ({'.'.join(str(p) for p in error['loc'])})",
                    _campo_empresa([str(part) for part in error["loc"]]),
                )
                for error in exc.errors()
            ]
        ) from exc
    issues = IssueCollector()
    rules.reglas_emisor(emisor, issues)
    problemas = [
        Issue(
            issue.cod,
            issue.mensaje,
            _campo_empresa((issue.campo or "").removeprefix("emisor.").replace("[", ".[").split(".")),
        )
        for issue in issues.issues
    ]
    if emisor.codigo_actividad is None:
        problemas.append(
            Issue(
                Code.EMPRESA_INVALIDA,
                "Falta el código de actividad económica inscrito en Hacienda (6 caracteres)",
                "direccion.codigo_actividad",
            )
        )
    if problemas:
        raise ValidationFailed(problemas)
    return emisor


class Emisores:
    """One :class:`Emisor` per company and content. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[int, tuple[str, Emisor]] = {}

    def de(self, empresa: EmpresaContext) -> Emisor:
        key = json.dumps(
            [empresa.identificacion, empresa.razon_social, empresa.nombre_comercial, empresa.direccion],
            sort_keys=True,
            default=str,
        )
        with self._lock:
            hit = self._cache.get(empresa.id)
            if hit is not None and hit[0] == key:
                return hit[1]
        emisor = validar_emisor(
            empresa.identificacion, empresa.razon_social, empresa.nombre_comercial, empresa.direccion
        )
        with self._lock:
            self._cache[empresa.id] = (key, emisor)
        return emisor


def _serial_number(cedula: str, tipo: str) -> str:
    """``CPJ-3-101-123456`` / ``CPF-01-0234-0567``: how Hacienda's keys name their owner (§4)."""
    if tipo == "02" and len(cedula) == 10:
        return f"CPJ-{cedula[0]}-{cedula[1:4]}-{cedula[4:]}"
    if tipo == "01":
        padded = cedula.zfill(10)
        return f"CPF-{padded[:2]}-{padded[2:6]}-{padded[6:]}"
    return f"NITE-{cedula}" if tipo == "04" else f"DIMEX-{cedula}"


def generar_certificado_prueba(cedula: str, nombre: str, days: int = 3650) -> Certificate:
    """A self-signed RSA-2048 key in the shape of Hacienda's "llave criptográfica" (§4):
    ``SERIALNUMBER=CPJ-3-101-123456, OU=CPJ, O=PERSONA JURIDICA, C=CR``. For the demo and the
    sandbox only: Hacienda accepts only keys issued through ATV/TRIBU-CR."""
    tipo = tipo_identificacion(cedula)
    juridica = tipo == "02"
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CR"),
            x509.NameAttribute(
                NameOID.ORGANIZATION_NAME, "PERSONA JURIDICA" if juridica else "PERSONA FISICA"
            ),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "CPJ" if juridica else "CPF"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, _serial_number(cedula, tipo)),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{nombre[:48]} (PRUEBA)"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return Certificate(private_key=key, certificate=certificate)
