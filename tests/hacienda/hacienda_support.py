"""Builders of Costa Rican requests and the official v4.4 XSDs, for the Hacienda tests."""

from __future__ import annotations

import copy
import datetime as dt
import functools
from decimal import Decimal
from typing import Any

import pytest
from lxml import etree

from openpse.authorities.hacienda import ComprobanteIn, Emisor, emitir
from openpse.authorities.hacienda.emision import ComprobanteFirmado
from openpse.authorities.hacienda.formatos import FORMATOS, MENSAJE_RECEPTOR_XSD
from openpse.core.errors import ValidationFailed
from openpse.signing.certificates import Certificate, generate_test_certificate
from tests_support import shared_path

CR = dt.timezone(dt.timedelta(hours=-6))
AHORA = dt.datetime(2026, 11, 21, 10, 15, 2, tzinfo=CR)
"""A fixed moment of issue (after the April-2026 XSDs became mandatory on 2026-11-01)."""
CABYS_BIEN = "2211100000000"
"""A CABYS of section 2 (goods, CPC 2.1)."""
CABYS_SERVICIO = "8314100000000"
"""A CABYS of section 8 (business services)."""
CLAVE_FACTURA = "50601112600310112345600100001010000000001100000001"
"""A well-formed clave of a factura of the demo company, for references."""

EMPRESA = {
    "nombre": "Servicios Demo Sociedad Anónima",
    "identificacion": {"tipo": "02", "numero": "3101123456"},
    "nombre_comercial": "Demo & Cía",
    "ubicacion": {
        "provincia": "1",
        "canton": "01",
        "distrito": "01",
        "barrio": "Barrio Amón",
        "otras_senas": "Avenida 7, calles 3 y 5, edificio <azul>",
    },
    "telefono": {"codigo_pais": "506", "numero": "22223333"},
    "correos": ["facturas@demo.cr", "contabilidad@demo.cr"],
    "codigo_actividad": "721001",
}
CLIENTE = {
    "nombre": "María Pérez Rodríguez",
    "identificacion": {"tipo": "01", "numero": "106130584"},
    "correo": "maria@ejemplo.cr",
}


@functools.cache
def certificado() -> Certificate:
    return generate_test_certificate("3101123456", "SERVICIOS DEMO S.A.")


@functools.cache
def empresa() -> Emisor:
    """One Emisor object for the session, as the document service keeps one per company."""
    return Emisor.model_validate(EMPRESA)


def item(
    precio: str | Decimal = "1000",
    cantidad: str | Decimal = "1",
    tarifa: str | None = "08",
    servicio: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """A line with IVA at the rate code ``tarifa`` (None: no default tax)."""
    line: dict[str, Any] = {
        "cabys": CABYS_SERVICIO if servicio else CABYS_BIEN,
        "cantidad": str(cantidad),
        "unidad": "Sp" if servicio else "Unid",
        "descripcion": "Servicio profesional" if servicio else "Producto de prueba",
        "precio_unitario": str(precio),
        "impuestos": [{"codigo": "01", "codigo_tarifa_iva": tarifa}] if tarifa else [],
    }
    line.update(extra)
    return line


def referencia(**extra: Any) -> dict[str, Any]:
    ref = {
        "tipo_documento": "01",
        "numero": CLAVE_FACTURA,
        "fecha_emision": "2026-11-02T09:00:00-06:00",
        "codigo": "01",
        "razon": "Anula la factura por devolución total",
    }
    ref.update(extra)
    return ref


def proveedor() -> dict[str, Any]:
    return {
        "nombre": "Juan Vendedor Informal",
        "identificacion": {"tipo": "01", "numero": "205550123"},
        "ubicacion": {"provincia": "2", "canton": "01", "distrito": "01", "otras_senas": "Mercado central"},
    }


def payload(tipo: str = "01", **extra: Any) -> dict[str, Any]:
    """A minimal valid request of each document type; ``extra`` overrides its fields."""
    base: dict[str, Any] = {"tipo": tipo, "items": [item()]}
    if tipo in ("01", "02", "03"):
        base["receptor"] = copy.deepcopy(CLIENTE)
    if tipo in ("01", "04"):
        base["medios_pago"] = [{"tipo": "01"}]
    if tipo in ("02", "03"):
        base["referencias"] = [referencia()]
    if tipo == "08":
        base["proveedor"] = proveedor()
        base["referencias"] = [
            referencia(tipo_documento="14", numero="FAC-0001", codigo="04", razon="Compra a régimen especial")
        ]
        base["medios_pago"] = [{"tipo": "04"}]
    if tipo == "09":
        base["receptor"] = {
            "nombre": "Importadora del Norte LLC",
            "identificacion": {"tipo": "05", "numero": "US998877"},
            "otras_senas_extranjero": "1200 Brickell Ave, Miami, Florida",
        }
        base["moneda"] = "USD"
        base["tipo_cambio"] = "505.12"
        base["items"] = [item("25.5", "100", tarifa="01", partida_arancelaria="090111000000")]
        base["medios_pago"] = [{"tipo": "04"}]
    if tipo == "10":
        base["receptor"] = {
            "nombre": "Ministerio de Ejemplo",
            "identificacion": {"tipo": "02", "numero": "2100042005"},
        }
        base["condicion_venta"] = "09"
        base["items"] = [
            {
                "descripcion": "Pago parcial de la factura de servicios",
                "precio_unitario": "50000",
                "impuestos": [{"codigo": "01", "codigo_tarifa_iva": "08"}],
            }
        ]
        base["referencias"] = [referencia(codigo="17", razon="Pago a comprobante electrónico")]
        base["medios_pago"] = [{"tipo": "04"}]
    base.update(extra)
    return base


def emit(data: dict[str, Any], **kwargs: Any) -> ComprobanteFirmado:
    kwargs.setdefault("numero", 1)
    kwargs.setdefault("ahora", AHORA)
    return emitir(ComprobanteIn.model_validate(data), empresa(), certificado(), **kwargs)


def issues_of(data: dict[str, Any], **kwargs: Any) -> list[tuple[str, str | None]]:
    """(code, campo) of every issue the request raises; fails if it is accepted."""
    with pytest.raises(ValidationFailed) as caught:
        emit(data, **kwargs)
    return [(str(issue.cod), issue.campo) for issue in caught.value.issues]


@functools.cache
def schema(xsd: str) -> etree.XMLSchema:
    """An official April-2026 v4.4 schema (``../shared``), compiled once."""
    return etree.XMLSchema(etree.parse(str(shared_path("hacienda", "xsd", "v4.4", "2026", xsd))))


def xsd_errors(xml: bytes, tipo: str | None) -> list[str]:
    """Errors of ``xml`` against the XSD of its type (None: MensajeReceptor)."""
    compiled = schema(FORMATOS[tipo].xsd if tipo else MENSAJE_RECEPTOR_XSD)
    if compiled.validate(etree.fromstring(xml)):
        return []
    return [f"{e.line}: {e.message}" for e in compiled.error_log]


def resumen_xml(xml: bytes) -> dict[str, str]:
    """ResumenFactura leaves as written, with CodigoMoneda and TipoCambio (repeated groups skipped)."""
    root = etree.fromstring(xml)
    resumen = root.find("{*}ResumenFactura")
    assert resumen is not None
    leaves = list(resumen) + list(resumen.iterfind("{*}CodigoTipoMoneda/*"))
    return {etree.QName(child).localname: child.text or "" for child in leaves if len(child) == 0}
