"""Comprobantes de retención and percepción that SUNAT accepts, end to end.

Every case is built and signed by OpenPSE, validated against SUNAT's UBL 2.0 schema,
its signature verified with signxml, and sent with ``SunatSoapClient.send_bill`` over
real HTTP to the emulated "otros CPE" billService, which must accept it with a CDR. The
expected amounts are computed by hand from the sheets' formulas (rate × payment ×
exchange rate, half-up to cents; net = payment in soles ∓ that amount).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest
from lxml import etree
from retper_support import (
    BETA,
    NS,
    PRODUCCION,
    documento,
    hoy,
    movimiento,
    percepcion,
    register_factura,
    retencion,
    send,
    verify_signature,
    xsd_errors,
)

from openpse.authorities.base import EmpresaContext
from openpse.authorities.sunat.retper import RetPerAuthority
from openpse.signing.certificates import Certificate


@dataclass(frozen=True)
class Case:
    payload: Callable[[], dict[str, Any]]
    total: str
    neto: str
    path: str = BETA
    facturas: tuple[tuple[str, int, str, str], ...] = ()
    """Facturas SUNAT must hold first: (serie, número, total, moneda), issued today."""
    referencias: int = 1
    extra: dict[str, str] = field(default_factory=dict)


def _first_of_month() -> dt.date:
    return hoy().replace(day=1)


CASES = {
    "retencion-01-pen-una-factura": Case(lambda: retencion(), "35.40", "1144.60"),
    "retencion-01-pen-varias-facturas": Case(
        lambda: retencion(
            documentos=[
                documento([movimiento("1180.00")], numero=11),
                documento([movimiento("2360.00")], serie="F002", numero=12, total="2360.00"),
                documento([movimiento("590.50")], serie="E001", numero=13, total="590.50"),
            ]
        ),
        "123.92",
        "4006.58",
        referencias=3,
    ),
    "retencion-01-usd": Case(
        lambda: retencion(
            documentos=[
                documento(
                    [movimiento("1000.00", factor="3.725")],
                    moneda="USD",
                    total="1000.00",
                    fecha=_first_of_month(),
                )
            ]
        ),
        "111.75",
        "3613.25",
        path=PRODUCCION,
    ),
    "retencion-01-usd-dos-pagos-y-pen": Case(
        lambda: retencion(
            documentos=[
                documento(
                    [movimiento("1200.00", factor="3.71"), movimiento("800.00", factor="3.7155")],
                    moneda="USD",
                    total="2000.00",
                    numero=21,
                ),
                documento([movimiento("590.00")], serie="F003", numero=22, total="590.00"),
            ]
        ),
        "240.43",
        "7773.97",
        referencias=3,
    ),
    "retencion-02-tasa-6-documento-2014": Case(
        lambda: retencion(
            regimen="02",
            tasa="6",
            documentos=[documento([movimiento("1180.00")], fecha=dt.date(2014, 1, 20))],
        ),
        "70.80",
        "1109.20",
    ),
    "retencion-01-factura-nd-nc-ticket": Case(
        lambda: retencion(
            documentos=[
                documento([movimiento("1180.00")], numero=31),
                documento([movimiento("118.00")], tipo="08", numero=32, total="118.00"),
                documento([], tipo="07", numero=33, total="59.00"),
                documento([movimiento("700.00")], tipo="12", serie="TKT01", numero=55, total="700.00"),
            ]
        ),
        "59.94",
        "1938.06",
        referencias=4,
    ),
    "retencion-01-redondeo-direccion-observaciones": Case(
        lambda: retencion(
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
        "35.40",
        "1145.00",
        extra={"redondeo": "0.40"},
    ),
    "retencion-01-eur": Case(
        lambda: retencion(
            documentos=[documento([movimiento("500.00", factor="4.105")], moneda="EUR", total="500.00")]
        ),
        "61.58",
        "1990.92",
    ),
    "percepcion-01-factura-pen": Case(
        lambda: percepcion(
            documentos=[documento([movimiento("1180.00")], clave="cobros")],
        ),
        "23.60",
        "1203.60",
        facturas=(("F001", 1, "1180.00", "PEN"),),
    ),
    "percepcion-02-combustible-usd-dos-cobros": Case(
        lambda: percepcion(
            regimen="02",
            documentos=[
                documento(
                    [movimiento("1000.00", factor="3.75"), movimiento("1360.00", factor="3.76")],
                    moneda="USD",
                    total="2360.00",
                    clave="cobros",
                )
            ],
        ),
        "88.64",
        "8952.24",
        path=PRODUCCION,
        facturas=(("F001", 1, "2360.00", "USD"),),
        referencias=2,
    ),
    "percepcion-03-tasa-especial-boleta": Case(
        lambda: percepcion(
            regimen="03",
            documentos=[
                documento(
                    [movimiento("300.00")], tipo="03", serie="B001", numero=8, total="300.00", clave="cobros"
                )
            ],
        ),
        "1.50",
        "301.50",
    ),
    "percepcion-01-varios-documentos": Case(
        lambda: percepcion(
            documentos=[
                documento([movimiento("1180.00")], clave="cobros"),
                documento(
                    [movimiento("590.00")], tipo="03", serie="B001", numero=2, total="590.00", clave="cobros"
                ),
                documento(
                    [movimiento("236.00")], tipo="12", serie="TK01", numero=9, total="236.00", clave="cobros"
                ),
                documento([], tipo="07", serie="B001", numero=3, total="59.00", clave="cobros"),
            ],
        ),
        "40.12",
        "2046.12",
        facturas=(("F001", 1, "1180.00", "PEN"),),
        referencias=4,
    ),
    "percepcion-01-excepcional": Case(
        lambda: percepcion(
            excepcional=True,
            documentos=[documento([movimiento("1180.00")], numero=4, clave="cobros")],
        ),
        "23.60",
        "1203.60",
        facturas=(("F001", 4, "1180.00", "PEN"),),
    ),
    "percepcion-01-cliente-dni": Case(
        lambda: percepcion(
            cliente={"tipo_documento": "1", "numero_documento": "46027897", "razon_social": "JUAN PEREZ"},
            documentos=[
                documento([movimiento("450.00")], tipo="03", serie="B001", total="450.00", clave="cobros")
            ],
        ),
        "9.00",
        "459.00",
    ),
    "percepcion-01-boleta-usd-redondeo": Case(
        lambda: percepcion(
            redondeo="-0.30",
            documentos=[
                documento(
                    [movimiento("100.00", factor="3.8")],
                    tipo="03",
                    serie="B002",
                    numero=3,
                    moneda="USD",
                    total="100.00",
                    clave="cobros",
                )
            ],
        ),
        "7.60",
        "387.30",
        extra={"redondeo": "-0.30"},
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_document_is_schema_valid_signed_and_accepted_by_sunat(
    case: Case,
    retper: RetPerAuthority,
    emp: EmpresaContext,
    test_certificate: Certificate,
    http: httpx2.Client,
    sandbox_url: str,
) -> None:
    for serie, numero, total, moneda in case.facturas:
        register_factura(http, sandbox_url, test_certificate, serie, numero, total=total, moneda=moneda)
    payload = case.payload()
    draft = retper.parse(payload)
    prepared = retper.prepare(draft, 1, emp, hoy())

    assert prepared.observaciones == []
    assert xsd_errors(prepared.xml, payload["tipo"]) == []
    assert verify_signature(prepared.xml, test_certificate)
    root = etree.fromstring(prepared.xml)
    percibe = payload["tipo"] == "40"
    neto_tag = "sac:SUNATTotalCashed" if percibe else "sac:SUNATTotalPaid"
    assert root.findtext("cbc:TotalInvoiceAmount", namespaces=NS) == case.total
    assert root.findtext(neto_tag, namespaces=NS) == case.neto
    assert root.findtext("cbc:PayableRoundingAmount", namespaces=NS) == case.extra.get("redondeo")
    reference = "sac:SUNATPerceptionDocumentReference" if percibe else "sac:SUNATRetentionDocumentReference"
    assert len(root.findall(reference, NS)) == case.referencias
    names = ("percibido", "cobrado") if percibe else ("retenido", "pagado")
    assert prepared.totales == {names[0]: case.total, names[1]: case.neto}
    assert prepared.envio_name == f"20000000001-{payload['tipo']}-{payload['serie']}-1.zip"

    answer = send(http, sandbox_url + case.path, prepared.envio_name, prepared.envio)

    assert answer.code == "0", answer.message
    assert answer.cdr is not None
    assert answer.cdr.description == f"El Comprobante numero {payload['serie']}-1 ha sido aceptado"
    assert answer.cdr.reference_id == f"{payload['serie']}-1"
    assert answer.cdr.observaciones == []
