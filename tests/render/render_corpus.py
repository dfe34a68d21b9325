"""Signed guías, retenciones, percepciones and Costa Rican comprobantes for the printing tests.

Every document is built and signed by OpenPSE's own code, as the API stores it:
``prepare_guia`` on the requests of ``tests/guias/guias_cases.py``,
``RetPerAuthority.prepare`` on the builders of ``tests/retper/retper_support.py`` and
``emitir`` (through ``tests/hacienda/hacienda_support.py``) for Costa Rica. The authorities'
answers that OpenPSE receives rather than builds (a GRE CDR with its QR link, a
MensajeHacienda) are written here after the recorded shapes (sunat.md §3.1,
hacienda_cr.md §3.6).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

_TESTS = Path(__file__).resolve().parents[1]
for _folder in ("guias", "retper", "hacienda"):
    _path = str(_TESTS / _folder)
    if _path not in sys.path:
        sys.path.append(_path)

import guias_cases  # noqa: E402
import hacienda_support  # noqa: E402
import httpx2  # noqa: E402
import retper_support  # noqa: E402

from openpse.authorities.hacienda import ComprobanteIn, emitir  # noqa: E402
from openpse.authorities.sunat.guias import Emisor, parse_guia, prepare_guia  # noqa: E402
from openpse.authorities.sunat.retper import RetPerAuthority  # noqa: E402
from openpse.core.timeutil import now_lima  # noqa: E402
from openpse.signing.certificates import Certificate  # noqa: E402

GRE_EMISORES = {
    "09": Emisor(guias_cases.EMPRESA, guias_cases.EMPRESA_NOMBRE),
    "31": Emisor(guias_cases.TRANSPORTES, guias_cases.TRANSPORTES_NOMBRE),
}
QR_LINK = "https://e-factura.sunat.gob.pe/v1/contribuyente/gre/comprobantes/descargaqr?hashqr="


@dataclass(frozen=True)
class Document:
    """A signed document as OpenPSE stores it, with what its printout must show."""

    xml: bytes
    hash: str
    number: str
    request: dict[str, Any]


# -- guías ---------------------------------------------------------------------------------------


def guia_cases() -> dict[str, dict[str, Any]]:
    return {name: body for name, (body, _observations) in guias_cases.positive_cases().items()}


def guia(certificate: Certificate, body: dict[str, Any], numero: int) -> Document:
    request = parse_guia(body)
    signed = prepare_guia(request, numero, GRE_EMISORES[request.tipo], certificate)
    return Document(signed.xml, signed.hash, f"{request.serie}-{numero}", body)


def gre_cdr(reference: str, code: str = "0", link: str | None = None, notes: tuple[str, ...] = ()) -> bytes:
    """A GRE CDR as the platform's ticket returns it (greenter's ``R-20000000001-09-T001-1.xml``)."""
    description = (
        f"El Comprobante  numero {reference}, ha sido aceptado"
        if code == "0"
        else "El numero de RUC del destinatario no existe"
    )
    note_xml = "".join(f"<cbc:Note>{escape(note)}</cbc:Note>" for note in notes)
    link_xml = f"<cbc:DocumentDescription>{escape(link)}</cbc:DocumentDescription>" if link else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ar:ApplicationResponse xmlns:ar="urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2"
    xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
    xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:UBLVersionID>2.0</cbc:UBLVersionID><cbc:CustomizationID>1.0</cbc:CustomizationID>
  <cbc:ID>b1f343dc-8650-438a-005f-5170bddf57b9</cbc:ID>
  <cbc:IssueDate>2026-11-21</cbc:IssueDate><cbc:IssueTime>10:23:59.909</cbc:IssueTime>
  <cbc:ResponseDate>2026-11-21</cbc:ResponseDate><cbc:ResponseTime>10:24:00</cbc:ResponseTime>
  {note_xml}
  <cac:DocumentResponse>
    <cac:Response><cbc:ReferenceID>{reference}</cbc:ReferenceID><cbc:ResponseCode>{code}</cbc:ResponseCode>
      <cbc:Description>{escape(description)}</cbc:Description></cac:Response>
    <cac:DocumentReference><cbc:ID>{reference}</cbc:ID>{link_xml}</cac:DocumentReference>
  </cac:DocumentResponse>
</ar:ApplicationResponse>""".encode()


# -- retenciones y percepciones ----------------------------------------------------------------


def retper_cases() -> dict[str, dict[str, Any]]:
    """Requests of retención and percepción, as the retper tests build them."""
    rs = retper_support
    return {
        "retencion-una-factura": rs.retencion(),
        "retencion-usd-dos-pagos-y-pen": rs.retencion(
            documentos=[
                rs.documento(
                    [rs.movimiento("1200.00", factor="3.71"), rs.movimiento("800.00", factor="3.7155")],
                    moneda="USD",
                    total="2000.00",
                    numero=21,
                ),
                rs.documento([rs.movimiento("590.00")], serie="F003", numero=22, total="590.00"),
            ]
        ),
        "retencion-factura-nd-nc-ticket": rs.retencion(
            documentos=[
                rs.documento([rs.movimiento("1180.00")], numero=31),
                rs.documento([rs.movimiento("118.00")], tipo="08", numero=32, total="118.00"),
                rs.documento([], tipo="07", numero=33, total="59.00"),
                rs.documento([rs.movimiento("700.00")], tipo="12", serie="TKT01", numero=55, total="700.00"),
            ]
        ),
        "retencion-redondeo-direccion-observaciones": rs.retencion(
            redondeo="0.40",
            observaciones="Pago de la quincena; retención según RS 037-2002/SUNAT",
            proveedor={
                "numero_documento": "20601327318",
                "razon_social": "PROVEEDORA ANDINA S.A.",
                "nombre_comercial": "ANDINA",
                "direccion": {
                    "ubigeo": "040101",
                    "direccion": "CALLE MERCADERES 410",
                    "urbanizacion": "CENTRO",
                    "provincia": "AREQUIPA",
                    "departamento": "AREQUIPA",
                    "distrito": "AREQUIPA",
                },
            },
        ),
        "percepcion-una-boleta": rs.percepcion(),
        "percepcion-combustible-usd-dos-cobros": rs.percepcion(
            regimen="02",
            documentos=[
                rs.documento(
                    [rs.movimiento("1000.00", factor="3.75"), rs.movimiento("1360.00", factor="3.76")],
                    moneda="USD",
                    total="2360.00",
                    clave="cobros",
                )
            ],
        ),
        "percepcion-tasa-especial": rs.percepcion(
            regimen="03",
            documentos=[
                rs.documento(
                    [rs.movimiento("300.00")],
                    tipo="03",
                    serie="B001",
                    numero=8,
                    total="300.00",
                    clave="cobros",
                )
            ],
        ),
    }


def retper(certificate: Certificate, body: dict[str, Any], numero: int) -> Document:
    authority = RetPerAuthority(httpx2.Client(), "http://127.0.0.1:9")
    prepared = authority.prepare(
        authority.parse(body), numero, retper_support.empresa(certificate), now_lima().date()
    )
    return Document(prepared.xml, prepared.hash, f"{prepared.serie}-{prepared.numero}", body)


RETPER_RUC = retper_support.RUC
RETPER_RAZON_SOCIAL = retper_support.RAZON_SOCIAL


# -- Costa Rica --------------------------------------------------------------------------------

CR_EMPRESA = hacienda_support.EMPRESA
EXONERACION = {
    "tipo_documento": "03",
    "numero_documento": "LEY-7210",
    "articulo": 20,
    "inciso": 1,
    "nombre_institucion": "01",
    "fecha_emision": "2026-10-01T08:00:00-06:00",
    "tarifa_exonerada": "13",
}


def cr_cases() -> dict[str, dict[str, Any]]:
    """One request of every v4.4 type, and a factura with every optional part."""
    hs = hacienda_support
    cases = {f"tipo-{tipo}": hs.payload(tipo) for tipo in ("01", "02", "03", "04", "08", "09", "10")}
    cases["factura-credito-descuento-exoneracion-cargos"] = hs.payload(
        "01",
        condicion_venta="02",
        plazo_credito=30,
        items=[
            hs.item(
                "25000",
                "2",
                descuentos=[{"monto": "5000", "codigo": "07", "naturaleza": "Descuento comercial"}],
                codigos_comerciales=[{"tipo": "01", "codigo": "ART-778"}],
            ),
            hs.item(
                "15000",
                "1",
                servicio=True,
                impuestos=[{"codigo": "01", "codigo_tarifa_iva": "08", "exoneracion": EXONERACION}],
            ),
        ],
        otros_cargos=[{"tipo_documento": "06", "detalle": "Impuesto de servicio", "porcentaje": "10"}],
        otros=[{"texto": "Entrega en bodega central"}],
        medios_pago=[{"tipo": "04"}],
    )
    cases["tiquete-sin-receptor-en-dolares"] = hs.payload(
        "04", moneda="USD", tipo_cambio="505.12", medios_pago=[{"tipo": "02"}]
    )
    return cases


def comprobante_cr(body: dict[str, Any], numero: int) -> tuple[Document, Any]:
    """The signed document and what ``emitir`` returned (clave, consecutivo, totals)."""
    signed = emitir(
        ComprobanteIn.model_validate(body),
        hacienda_support.empresa(),
        hacienda_support.certificado(),
        numero=numero,
        ahora=hacienda_support.AHORA,
    )
    return Document(signed.xml, signed.hash, signed.consecutivo, body), signed


def mensaje_hacienda(
    clave: str, aceptado: bool = True, detalle: str | None = None, total: str = "1130.00000"
) -> bytes:
    """A MensajeHacienda v4.4 (``MensajeHacienda_V4.4.xsd``), signature left out."""
    mensaje, estado = ("1", "Aceptado") if aceptado else ("3", "Rechazado")
    detalle = detalle or (
        "Este comprobante fue aceptado en el ambiente de pruebas, por lo cual no tiene validez para "
        "fines tributarios"
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<MensajeHacienda xmlns="https://cdn.comprobanteselectronicos.go.cr/xml-schemas/v4.4/mensajeHacienda">
  <Clave>{clave}</Clave>
  <NombreEmisor>Servicios Demo Sociedad Anónima</NombreEmisor>
  <TipoIdentificacionEmisor>02</TipoIdentificacionEmisor>
  <NumeroCedulaEmisor>3101123456</NumeroCedulaEmisor>
  <Mensaje>{mensaje}</Mensaje>
  <EstadoMensaje>{estado}</EstadoMensaje>
  <DetalleMensaje>{escape(detalle)}</DetalleMensaje>
  <TotalFactura>{total}</TotalFactura>
</MensajeHacienda>""".encode()
