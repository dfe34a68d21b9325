"""Annulling a Costa Rican document is a nota de crédito that references it and credits all of it.

Through the API against the sandbox: the document goes ``anulacion_pendiente``, the note
is accepted by Hacienda and the document ends ``anulado``. Without the network: notes built
for documents with every kind of amount (discounts, exonerations, specific and selective
taxes, factory IVA, other charges, foreign currency, no-sujeto lines, exports) repeat every
line and every total of the annulled document, and a document whose lines cannot be told
apart is refused instead of annulled by a wrong note.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hacienda_e2e_support import (
    CR,
    certificate_pem,
    comprobante_xsd,
    events,
    factura,
    item,
    local,
    payload,
    resumen,
    verify_signature,
    xsd_errors,
)
from lxml import etree
from starlette.testclient import TestClient

from openpse import demo
from openpse.authorities.base import EmpresaContext, VoidTarget
from openpse.authorities.hacienda.authority import HaciendaAuthority
from openpse.authorities.hacienda.perfil import generar_certificado_prueba
from openpse.core.errors import ValidationFailed
from openpse.signing.certificates import Certificate

Api = tuple[TestClient, dict[str, str]]
EXONERACION = {
    "tipo_documento": "02",
    "numero_documento": "MREC-DM-123-2026",
    "articulo": 1,
    "inciso": 1,
    "nombre_institucion": "02",
    "fecha_emision": "2026-10-01T08:00:00-06:00",
}


def _anular(api: Api, doc_id: str, **params: Any) -> Any:
    client, auth = api
    return client.post(
        f"/v1/comprobantes/{doc_id}/anulacion",
        json={"motivo": "Devolución total de la mercadería"},
        headers=auth,
        params=params,
    )


@pytest.mark.parametrize("tipo", ["01", "04"])
def test_an_accepted_document_is_annulled_by_a_credit_note(
    cr_api: Api, runtime: Any, hacienda: Any, tipo: str
) -> None:
    client, auth = cr_api
    original = client.post("/v1/comprobantes", json=payload(tipo), headers=auth, params={"espera": 30}).json()
    assert original["estado"] == "aceptado"

    response = _anular(cr_api, original["id"], espera=30)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["estado"] == "anulado"
    nota = body["anulacion"]
    assert (nota["tipo"], nota["serie"], nota["estado"]) == ("03", "00100001", "aceptado")
    assert nota["totales"] == original["totales"]
    xml = client.get(nota["enlaces"]["xml"], headers=auth).content
    assert xsd_errors(xml, comprobante_xsd("03")) == []
    verify_signature(xml, certificate_pem(runtime))
    root = etree.fromstring(xml)
    referencia = root.find("{*}InformacionReferencia")
    assert referencia is not None
    assert (local(referencia, "TipoDocIR"), local(referencia, "Numero"), local(referencia, "Codigo")) == (
        tipo,
        original["id"],
        "01",
    )
    assert local(referencia, "Razon") == "Devolución total de la mercadería"
    original_xml = client.get(original["enlaces"]["xml"], headers=auth).content
    assert resumen(xml) == resumen(original_xml)
    assert hacienda.record(nota["id"]).final_state == "aceptado"
    assert [e for e, _ in events(runtime, original["id"])][-2:] == ["anulacion_pendiente", "anulado"]
    again = _anular(cr_api, original["id"])
    assert again.status_code == 200
    assert again.json()["anulacion"]["id"] == nota["id"]


def test_a_credit_note_is_not_annulled_by_another(cr_api: Api) -> None:
    client, auth = cr_api
    factura_doc = client.post("/v1/comprobantes", json=factura(), headers=auth, params={"espera": 30}).json()
    xml = client.get(factura_doc["enlaces"]["xml"], headers=auth).content
    fecha = local(etree.fromstring(xml), "FechaEmision")
    assert fecha is not None
    nota = client.post(
        "/v1/comprobantes",
        json=payload("03", (factura_doc["id"], fecha)),
        headers=auth,
        params={"espera": 30},
    ).json()
    assert nota["estado"] == "aceptado"

    response = _anular(cr_api, nota["id"])

    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["codError"] == "PSE-0020"
    assert "nota de débito" in error["desError"]
    assert client.get(f"/v1/comprobantes/{nota['id']}", headers=auth).json()["estado"] == "aceptado"


# -- the note mirrors the document, without the network ----------------------------------------


_CERT: dict[str, Certificate] = {}


def _empresa() -> EmpresaContext:
    if "cert" not in _CERT:
        _CERT["cert"] = generar_certificado_prueba(demo.DEMO_CR_CEDULA, demo.DEMO_CR_RAZON_SOCIAL)
    return EmpresaContext(
        id=1,
        pais="CR",
        identificacion=demo.DEMO_CR_CEDULA,
        razon_social=demo.DEMO_CR_RAZON_SOCIAL,
        nombre_comercial="DEMO CR",
        direccion=dict(demo.DEMO_CR_DIRECCION),
        destino="hacienda",
        ambiente="sandbox",
        ose_url=None,
        usuario=None,
        clave=None,
        firma_algoritmo="sha256",
        certificate=_CERT["cert"],
    )


def _exonerada(tarifa_exonerada: str, tarifa: str = "08") -> list[dict[str, Any]]:
    return [
        {
            "codigo": "01",
            "codigo_tarifa_iva": tarifa,
            "exoneracion": {**EXONERACION, "tarifa_exonerada": tarifa_exonerada},
        }
    ]


CASOS: dict[str, dict[str, Any]] = {
    "descuentos_regalia_y_exoneracion_parcial": factura(
        items=[
            item("1500", "2", descuentos=[{"porcentaje": "10"}, {"monto": "12.5", "codigo": "04"}]),
            item("500", "2", descuentos=[{"monto": "500", "codigo": "01"}]),
            item("1000", servicio=True, impuestos=_exonerada("9")),
            item("300", tarifa="10"),
        ]
    ),
    "otros_cargos_y_credito": factura(
        condicion_venta="02",
        plazo_credito=30,
        medios_pago=[],
        items=[item("5000", "2")],
        otros_cargos=[
            {"tipo_documento": "06", "detalle": "Impuesto de servicio 10%", "porcentaje": "10"},
            {
                "tipo_documento": "04",
                "detalle": "Cobro de la agencia",
                "monto": "75.25",
                "tercero": {
                    "identificacion": {"tipo": "02", "numero": "3101999999"},
                    "nombre": "Agencia Tercera S.A.",
                },
            },
        ],
    ),
    "dolares_y_varios_medios": factura(
        moneda="USD",
        tipo_cambio="512.34",
        items=[item("150.50", "2"), item("99.99", "3", tarifa="04", servicio=True)],
        medios_pago=[{"tipo": "01", "monto": "100"}, {"tipo": "02", "monto": "552.0988"}],
    ),
    "impuestos_selectivo_especifico_y_combustible": factura(
        items=[
            item(
                "1000",
                impuestos=[{"codigo": "02", "tarifa": "10"}, {"codigo": "01", "codigo_tarifa_iva": "08"}],
            ),
            item(
                "2000",
                "6",
                impuestos=[
                    {
                        "codigo": "04",
                        "datos_especificos": {
                            "cantidad_unidad_medida": "750",
                            "porcentaje": "40",
                            "impuesto_unidad": "250.5",
                        },
                    },
                    {"codigo": "01", "codigo_tarifa_iva": "08"},
                ],
            ),
            item(
                "800",
                "40",
                unidad="L",
                impuestos=[
                    {
                        "codigo": "03",
                        "datos_especificos": {"cantidad_unidad_medida": "1", "impuesto_unidad": "300"},
                    },
                    {"codigo": "01", "codigo_tarifa_iva": "10"},
                ],
            ),
            item("5000", impuestos=[{"codigo": "08", "factor_calculo_iva": "0.1"}]),
            item("1000", base_imponible="600", impuestos=[{"codigo": "07", "codigo_tarifa_iva": "08"}]),
            item(
                "1000", iva_cobrado_fabrica="01", base_imponible="800", impuesto_asumido_emisor_fabrica="104"
            ),
            item("100", impuestos=[{"codigo": "99", "codigo_otro": "Impuesto municipal", "monto": "7.5"}]),
        ]
    ),
    "no_sujeto_en_servicios_y_exento_en_bienes": factura(
        items=[
            item("1000", tarifa="01", servicio=True, no_sujeto=True),
            item(
                "250", servicio=True, tarifa=None, no_sujeto=True, impuestos=[{"codigo": "02", "tarifa": "5"}]
            ),
            item("300", tarifa="10"),
            item("400", tarifa=None, impuestos=[{"codigo": "02", "tarifa": "5"}]),
        ]
    ),
    # A 0 % service that is no sujeto, an exempt one and a no-sujeto one of the same
    # amount: only the summary tells them apart, per bucket.
    "no_sujeto_y_exento_del_mismo_monto": factura(
        items=[
            item("1000", tarifa="01", servicio=True, no_sujeto=True),
            item("1000", servicio=True, tarifa=None, impuestos=[{"codigo": "02", "tarifa": "5"}]),
            item(
                "250", servicio=True, tarifa=None, no_sujeto=True, impuestos=[{"codigo": "02", "tarifa": "5"}]
            ),
            item("700", tarifa="01", servicio=True),
        ]
    ),
    "iva_devuelto": factura(
        items=[item("10000", tarifa="04", servicio=True)], medios_pago=[{"tipo": "02"}], iva_devuelto="400"
    ),
    "tiquete_mixto": payload(
        "04", items=[item("1000"), item("500", tarifa="04", servicio=True), item("300", tarifa="10")]
    ),
    "exportacion": payload("09"),
}


@pytest.mark.parametrize("nombre", list(CASOS))
def test_the_annulment_note_repeats_every_line_and_total(nombre: str) -> None:
    from openpse.authorities.hacienda import ComprobanteIn

    empresa = _empresa()
    datos = CASOS[nombre]
    store: dict[str, bytes] = {}
    authority = HaciendaAuthority(_no_http(), "http://127.0.0.1:9", originales=store.get)
    firmado = authority.build_signed(ComprobanteIn.model_validate(datos), 1, empresa)
    store[firmado.clave] = firmado.xml
    target = VoidTarget(
        id=firmado.clave,
        tipo=datos["tipo"],
        serie="00100001",
        numero=1,
        fecha_emision=firmado.fecha_emision.date(),
        moneda=firmado.calculo.resumen.moneda,
        totales=firmado.calculo.resumen.como_texto(),
        cliente_tipo=None,
        cliente_numero=None,
    )
    hoy = dt.datetime.now(CR).date()

    assert authority.void_kind(target, hoy) == "03"
    nota = authority.prepare_void("03", [target], "Anulación total", empresa, hoy, 4, _no_registry)

    assert xsd_errors(nota.xml, comprobante_xsd("03")) == []
    assert (nota.tipo, nota.serie, nota.numero) == ("03", "00100001", 4)
    assert nota.id[21:41] == "00100001030000000004"
    original, credito = etree.fromstring(firmado.xml), etree.fromstring(nota.xml)
    antes, despues = resumen(firmado.xml), resumen(nota.xml)
    for campo, valor in antes.items():
        assert despues.get(campo, "0.00000") == valor, campo
    assert nota.totales == firmado.calculo.resumen.como_texto()
    lineas_antes = original.findall("{*}DetalleServicio/{*}LineaDetalle")
    lineas_despues = credito.findall("{*}DetalleServicio/{*}LineaDetalle")
    assert len(lineas_antes) == len(lineas_despues)
    for antes_l, despues_l in zip(lineas_antes, lineas_despues, strict=True):
        for campo in (
            "CodigoCABYS",
            "Cantidad",
            "PrecioUnitario",
            "MontoTotal",
            "SubTotal",
            "MontoTotalLinea",
        ):
            assert local(despues_l, campo) == local(antes_l, campo), campo
        assert [local(i, "Monto") for i in antes_l.findall("{*}Impuesto")] == [
            local(i, "Monto") for i in despues_l.findall("{*}Impuesto")
        ]
    desglose = [
        (local(d, "Codigo"), local(d, "CodigoTarifaIVA"), local(d, "TotalMontoImpuesto"))
        for d in original.iterfind("{*}ResumenFactura/{*}TotalDesgloseImpuesto")
    ]
    assert desglose == [
        (local(d, "Codigo"), local(d, "CodigoTarifaIVA"), local(d, "TotalMontoImpuesto"))
        for d in credito.iterfind("{*}ResumenFactura/{*}TotalDesgloseImpuesto")
    ]
    receptor = credito.find("{*}Receptor")
    if datos.get("receptor"):
        assert receptor is not None
        assert local(receptor, "Nombre") == datos["receptor"]["nombre"]


def test_a_document_whose_totals_openpse_cannot_reproduce_is_not_annulled() -> None:
    """An ERP-built factura whose summary was rounded its own way: a note rebuilt from its
    lines would not credit exactly what it charged, so nothing is built."""
    from openpse.authorities.hacienda import ComprobanteIn

    empresa = _empresa()
    store: dict[str, bytes] = {}
    authority = HaciendaAuthority(_no_http(), "http://127.0.0.1:9", originales=store.get)
    firmado = authority.build_signed(ComprobanteIn.model_validate(factura()), 1, empresa)
    total = resumen(firmado.xml)["TotalComprobante"]
    store[firmado.clave] = firmado.xml.replace(
        f"<TotalComprobante>{total}</TotalComprobante>".encode(),
        f"<TotalComprobante>{Decimal(total) + Decimal('0.01'):f}</TotalComprobante>".encode(),
    )
    target = VoidTarget(
        firmado.clave, "01", "00100001", 1, firmado.fecha_emision.date(), "CRC", {}, None, None
    )

    with pytest.raises(ValidationFailed) as caught:
        authority.prepare_void("03", [target], "Anulación", empresa, dt.date.today(), 1, _no_registry)

    issue = caught.value.issues[0]
    assert issue.cod == "PSE-0020"
    assert "TotalComprobante" in issue.mensaje
    assert "POST /v1/comprobantes" in issue.mensaje


@pytest.mark.parametrize("tipo", ["03", "08", "10"])
def test_types_that_are_not_annulled_by_a_credit_note(tipo: str) -> None:
    authority = HaciendaAuthority(_no_http(), "http://127.0.0.1:9", originales={}.get)
    target = VoidTarget("x" * 50, tipo, "00100001", 1, dt.date.today(), "CRC", {}, None, None)
    with pytest.raises(ValidationFailed) as caught:
        authority.void_kind(target, dt.date.today())
    assert caught.value.issues[0].campo == "tipo"


def _no_http() -> Any:
    import httpx2

    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise AssertionError(f"no network expected: {request.url}")

    return httpx2.Client(transport=httpx2.MockTransport(refuse))


def _no_registry(tipo: str, serie: str, numero: int) -> None:
    raise AssertionError("Hacienda annulments do not look documents up by number")
