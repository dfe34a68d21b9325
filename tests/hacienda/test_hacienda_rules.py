"""Negative cases: each rule refuses what Hacienda would reject, with its code and JSON path."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hacienda_support import (
    AHORA,
    CLAVE_FACTURA,
    certificado,
    emit,
    empresa,
    issues_of,
    item,
    payload,
    referencia,
)

from openpse.authorities.hacienda import CodigoCR, Emisor, MensajeReceptorIn, emitir, emitir_mensaje
from openpse.authorities.hacienda.models import ComprobanteIn
from openpse.core.errors import ValidationFailed

EXO = {
    "tipo_documento": "03",
    "numero_documento": "LEY-7210",
    "articulo": 20,
    "inciso": 1,
    "nombre_institucion": "01",
    "fecha_emision": "2026-10-01T08:00:00-06:00",
    "tarifa_exonerada": "13",
}


def con(tipo: str = "01", **extra: Any) -> dict[str, Any]:
    return payload(tipo, **extra)


def linea(**extra: Any) -> dict[str, Any]:
    return con(items=[item(**extra)])


def impuestos(*taxes: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return con(items=[item(impuestos=list(taxes), **extra)])


def receptor(**cambios: Any) -> dict[str, Any]:
    data = con()
    data["receptor"].update(cambios)
    return data


Caso = tuple[str, Callable[[], dict[str, Any]], str, str | None]
I0 = "items[0]"
T0 = "items[0].impuestos[0]"

CASOS: list[Caso] = [
    # PSE-CR001: codes outside their catalogue.
    ("condicion_desconocida", lambda: con(condicion_venta="16"), "PSE-CR001", "condicion_venta"),
    ("unidad_con_mayusculas_equivocadas", lambda: linea(unidad="kg"), "PSE-CR001", f"{I0}.unidad"),
    ("tarifa_iva_desconocida", lambda: linea(tarifa="12"), "PSE-CR001", f"{T0}.codigo_tarifa_iva"),
    ("impuesto_desconocido", lambda: impuestos({"codigo": "09"}), "PSE-CR001", f"{T0}.codigo"),
    (
        "descuento_desconocido",
        lambda: linea(descuentos=[{"monto": "1", "codigo": "10"}]),
        "PSE-CR001",
        f"{I0}.descuentos[0].codigo",
    ),
    (
        "medio_de_pago_desconocido",
        lambda: con(medios_pago=[{"tipo": "08"}]),
        "PSE-CR001",
        "medios_pago[0].tipo",
    ),
    ("moneda_desconocida", lambda: con(moneda="XXX", tipo_cambio="1.5"), "PSE-CR001", "moneda"),
    (
        "tipo_identificacion_desconocido",
        lambda: receptor(identificacion={"tipo": "07", "numero": "1"}),
        "PSE-CR001",
        "receptor.identificacion.tipo",
    ),
    (
        "otro_cargo_desconocido",
        lambda: con(otros_cargos=[{"tipo_documento": "11", "detalle": "x", "monto": "1"}]),
        "PSE-CR001",
        "otros_cargos[0].tipo_documento",
    ),
    (
        "tipo_referencia_desconocido",
        lambda: con("03", referencias=[referencia(tipo_documento="21")]),
        "PSE-CR001",
        "referencias[0].tipo_documento",
    ),
    (
        "codigo_referencia_desconocido",
        lambda: con("03", referencias=[referencia(codigo="03")]),
        "PSE-CR001",
        "referencias[0].codigo",
    ),
    (
        "pago_17_fuera_del_rep",
        lambda: con("03", referencias=[referencia(codigo="17")]),
        "PSE-CR001",
        "referencias[0].codigo",
    ),
    (
        "tipo_transaccion_desconocido",
        lambda: linea(tipo_transaccion="14"),
        "PSE-CR001",
        f"{I0}.tipo_transaccion",
    ),
    (
        "forma_farmaceutica_desconocida",
        lambda: linea(forma_farmaceutica="999"),
        "PSE-CR001",
        f"{I0}.forma_farmaceutica",
    ),
    (
        "codigo_comercial_desconocido",
        lambda: linea(codigos_comerciales=[{"tipo": "05", "codigo": "A1"}]),
        "PSE-CR001",
        f"{I0}.codigos_comerciales[0].tipo",
    ),
    (
        "exoneracion_desconocida",
        lambda: impuestos(
            {"codigo": "01", "codigo_tarifa_iva": "08", "exoneracion": {**EXO, "tipo_documento": "12"}}
        ),
        "PSE-CR001",
        f"{T0}.exoneracion.tipo_documento",
    ),
    (
        "institucion_desconocida",
        lambda: impuestos(
            {"codigo": "01", "codigo_tarifa_iva": "08", "exoneracion": {**EXO, "nombre_institucion": "13"}}
        ),
        "PSE-CR001",
        f"{T0}.exoneracion.nombre_institucion",
    ),
    (
        "iva_fabrica_desconocido",
        lambda: linea(iva_cobrado_fabrica="03"),
        "PSE-CR001",
        f"{I0}.iva_cobrado_fabrica",
    ),
    # PSE-CR002: code 99 without its description.
    ("condicion_99", lambda: con(condicion_venta="99"), "PSE-CR002", "condicion_venta_otros"),
    ("medio_99", lambda: con(medios_pago=[{"tipo": "99"}]), "PSE-CR002", "medios_pago[0].otro"),
    (
        "descuento_99",
        lambda: linea(descuentos=[{"monto": "1", "codigo": "99"}]),
        "PSE-CR002",
        f"{I0}.descuentos[0].codigo_otro",
    ),
    (
        "impuesto_99",
        lambda: impuestos({"codigo": "99", "tarifa": "1"}, {"codigo": "01", "codigo_tarifa_iva": "08"}),
        "PSE-CR002",
        f"{T0}.codigo_otro",
    ),
    (
        "exoneracion_99",
        lambda: impuestos(
            {"codigo": "01", "codigo_tarifa_iva": "08", "exoneracion": {**EXO, "tipo_documento": "99"}}
        ),
        "PSE-CR002",
        f"{T0}.exoneracion.tipo_documento_otro",
    ),
    (
        "institucion_99",
        lambda: impuestos(
            {"codigo": "01", "codigo_tarifa_iva": "08", "exoneracion": {**EXO, "nombre_institucion": "99"}}
        ),
        "PSE-CR002",
        f"{T0}.exoneracion.nombre_institucion_otros",
    ),
    (
        "cargo_99",
        lambda: con(otros_cargos=[{"tipo_documento": "99", "detalle": "x", "monto": "1"}]),
        "PSE-CR002",
        "otros_cargos[0].tipo_documento_otros",
    ),
    (
        "referencia_tipo_99",
        lambda: con("03", referencias=[referencia(tipo_documento="99", numero="X-1")]),
        "PSE-CR002",
        "referencias[0].tipo_documento_otro",
    ),
    (
        "referencia_codigo_99",
        lambda: con("03", referencias=[referencia(codigo="99")]),
        "PSE-CR002",
        "referencias[0].codigo_otro",
    ),
    # PSE-CR003: fields the document type does not have.
    (
        "actividad_receptor_en_tiquete",
        lambda: con("04", receptor={"nombre": "Cliente", "codigo_actividad": "721001"}),
        "PSE-CR003",
        "receptor.codigo_actividad",
    ),
    (
        "ubicacion_receptor_en_exportacion",
        lambda: _exportacion_con_ubicacion(),
        "PSE-CR003",
        "receptor.ubicacion",
    ),
    (
        "partida_en_factura",
        lambda: linea(partida_arancelaria="090111000000"),
        "PSE-CR003",
        f"{I0}.partida_arancelaria",
    ),
    (
        "tipo_transaccion_en_tiquete",
        lambda: con("04", items=[item(tipo_transaccion="01")]),
        "PSE-CR003",
        f"{I0}.tipo_transaccion",
    ),
    (
        "monto_exportacion_en_factura",
        lambda: impuestos({"codigo": "01", "codigo_tarifa_iva": "08", "monto_exportacion": "1"}),
        "PSE-CR003",
        f"{T0}.monto_exportacion",
    ),
    (
        "exoneracion_en_exportacion",
        lambda: con(
            "09",
            items=[
                item(tarifa=None, impuestos=[{"codigo": "01", "codigo_tarifa_iva": "08", "exoneracion": EXO}])
            ],
            moneda="USD",
            tipo_cambio="500",
        ),
        "PSE-CR003",
        f"{T0}.exoneracion",
    ),
    (
        "iva_fabrica_en_compra",
        lambda: con("08", items=[item(iva_cobrado_fabrica="01")]),
        "PSE-CR003",
        f"{I0}.iva_cobrado_fabrica",
    ),
    (
        "proveedor_en_factura",
        lambda: con(
            proveedor={"nombre": "Vendedor", "identificacion": {"tipo": "01", "numero": "106130584"}}
        ),
        "PSE-CR003",
        "proveedor",
    ),
    ("receptor_en_compra", lambda: con("08", receptor={"nombre": "Alguien"}), "PSE-CR003", "receptor"),
    ("cabys_en_recibo", lambda: _recibo(cabys="8314100000000"), "PSE-CR003", f"{I0}.cabys"),
    (
        "cargos_en_recibo",
        lambda: con("10", otros_cargos=[{"tipo_documento": "02", "detalle": "x", "monto": "1"}]),
        "PSE-CR003",
        "otros_cargos",
    ),
    (
        "iva_devuelto_en_exportacion",
        lambda: con("09", iva_devuelto="1", medios_pago=[{"tipo": "02"}]),
        "PSE-CR003",
        "iva_devuelto",
    ),
    (
        "factor_con_iva_01",
        lambda: impuestos({"codigo": "01", "codigo_tarifa_iva": "08", "factor_calculo_iva": "0.1"}),
        "PSE-CR003",
        f"{T0}.factor_calculo_iva",
    ),
    (
        "monto_de_iva_dado",
        lambda: impuestos({"codigo": "01", "codigo_tarifa_iva": "08", "monto": "130"}),
        "PSE-CR003",
        f"{T0}.monto",
    ),
    ("otros_en_recibo", lambda: con("10", otros=[{"texto": "Nota libre"}]), "PSE-CR003", "otros"),
    # PSE-CR004: what the document type requires.
    (
        "factura_sin_receptor",
        lambda: {k: v for k, v in con().items() if k != "receptor"},
        "PSE-CR004",
        "receptor",
    ),
    (
        "factura_receptor_sin_identificacion",
        lambda: con(receptor={"nombre": "Cliente sin cédula"}),
        "PSE-CR004",
        "receptor.identificacion",
    ),
    ("factura_sin_cabys", lambda: linea(cabys=None), "PSE-CR004", f"{I0}.cabys"),
    (
        "nota_sin_codigo_de_referencia",
        lambda: con("03", referencias=[referencia(codigo=None)]),
        "PSE-CR004",
        "referencias[0].codigo",
    ),
    ("recibo_sin_medio_de_pago", lambda: con("10", medios_pago=[]), "PSE-CR004", "medios_pago"),
    (
        "alcohol_sin_porcentaje",
        lambda: impuestos(
            {"codigo": "04", "datos_especificos": {"cantidad_unidad_medida": "750", "impuesto_unidad": "1"}},
            {"codigo": "01", "codigo_tarifa_iva": "08"},
        ),
        "PSE-CR004",
        f"{T0}.datos_especificos.porcentaje",
    ),
    (
        "bebida_sin_volumen",
        lambda: impuestos(
            {"codigo": "05", "datos_especificos": {"cantidad_unidad_medida": "1", "impuesto_unidad": "1"}},
            {"codigo": "01", "codigo_tarifa_iva": "08"},
        ),
        "PSE-CR004",
        f"{T0}.datos_especificos.volumen_unidad_consumo",
    ),
    (
        "referencia_electronica_sin_clave",
        lambda: con("03", referencias=[referencia(numero=None)]),
        "PSE-CR004",
        "referencias[0].numero",
    ),
    (
        "compra_sin_proveedor",
        lambda: {k: v for k, v in con("08").items() if k != "proveedor"},
        "PSE-CR004",
        "proveedor",
    ),
    (
        "recibo_sin_numero_de_documento",
        lambda: con("10", referencias=[referencia(tipo_documento="06", numero=None, codigo="17")]),
        "PSE-CR004",
        "referencias[0].numero",
    ),
    # PSE-CR005: more decimals than the XSD types allow.
    ("cantidad_cuatro_decimales", lambda: linea(cantidad="1.0001"), "PSE-CR005", f"{I0}.cantidad"),
    ("precio_seis_decimales", lambda: linea(precio="1.000001"), "PSE-CR005", f"{I0}.precio_unitario"),
    (
        "tipo_de_cambio_seis_decimales",
        lambda: con(moneda="USD", tipo_cambio="505.123456"),
        "PSE-CR005",
        "tipo_cambio",
    ),
    (
        "tarifa_tres_decimales",
        lambda: impuestos({"codigo": "02", "tarifa": "10.005"}, {"codigo": "01", "codigo_tarifa_iva": "08"}),
        "PSE-CR005",
        f"{T0}.tarifa",
    ),
    (
        "descuento_seis_decimales",
        lambda: linea(descuentos=[{"monto": "1.000001"}]),
        "PSE-CR005",
        f"{I0}.descuentos[0].monto",
    ),
    # PSE-CR006: amounts beyond 13 integer digits.
    ("monto_total_desborda", lambda: linea(cantidad="9999999999999", precio="10"), "PSE-CR006", I0),
    # Header, numbering and dates.
    (
        "fecha_futura",
        lambda: con(fecha_emision=(AHORA + dt.timedelta(days=1)).isoformat()),
        "PSE-CR102",
        "fecha_emision",
    ),
    ("contingencia_sin_referencia", lambda: con(situacion="2"), "PSE-CR103", "referencias"),
    # Parties.
    (
        "fisica_de_ocho_digitos",
        lambda: receptor(identificacion={"tipo": "01", "numero": "10613058"}),
        "PSE-CR201",
        "receptor.identificacion.numero",
    ),
    (
        "juridica_corta",
        lambda: receptor(identificacion={"tipo": "02", "numero": "3101123"}),
        "PSE-CR201",
        "receptor.identificacion.numero",
    ),
    (
        "dimex_con_cero_inicial",
        lambda: receptor(identificacion={"tipo": "03", "numero": "012345678901"}),
        "PSE-CR201",
        "receptor.identificacion.numero",
    ),
    (
        "nite_corto",
        lambda: receptor(identificacion={"tipo": "04", "numero": "123"}),
        "PSE-CR201",
        "receptor.identificacion.numero",
    ),
    (
        "extranjero_con_guiones",
        lambda: receptor(identificacion={"tipo": "05", "numero": "AB-12"}),
        "PSE-CR201",
        "receptor.identificacion.numero",
    ),
    (
        "provincia_inexistente",
        lambda: receptor(
            ubicacion={"provincia": "8", "canton": "01", "distrito": "01", "otras_senas": "Sin señas"}
        ),
        "PSE-CR203",
        "receptor.ubicacion",
    ),
    (
        "canton_inexistente",
        lambda: receptor(
            ubicacion={"provincia": "1", "canton": "99", "distrito": "01", "otras_senas": "Sin señas"}
        ),
        "PSE-CR203",
        "receptor.ubicacion",
    ),
    ("correo_invalido", lambda: receptor(correo="maria(arroba)ejemplo.cr"), "PSE-CR205", "receptor.correo"),
    # Sale conditions, currency, payments.
    ("condicion_09_en_factura", lambda: con(condicion_venta="09"), "PSE-CR301", "condicion_venta"),
    ("condicion_12_en_tiquete", lambda: con("04", condicion_venta="12"), "PSE-CR301", "condicion_venta"),
    ("condicion_01_en_recibo", lambda: con("10", condicion_venta="01"), "PSE-CR301", "condicion_venta"),
    ("credito_sin_plazo", lambda: con(condicion_venta="02"), "PSE-CR303", "plazo_credito"),
    ("dolares_sin_tipo_de_cambio", lambda: con(moneda="USD"), "PSE-CR305", "tipo_cambio"),
    ("colones_con_tipo_de_cambio", lambda: con(tipo_cambio="2"), "PSE-CR306", "tipo_cambio"),
    (
        "dos_medios_sin_monto",
        lambda: con(medios_pago=[{"tipo": "01", "monto": "130"}, {"tipo": "02"}]),
        "PSE-CR310",
        "medios_pago[1].monto",
    ),
    (
        "medios_no_cuadran",
        lambda: con(medios_pago=[{"tipo": "01", "monto": "100"}, {"tipo": "02", "monto": "900"}]),
        "PSE-CR311",
        "medios_pago",
    ),
    (
        "credito_con_pagos_de_mas",
        lambda: con(condicion_venta="02", plazo_credito=30, medios_pago=[{"tipo": "04", "monto": "2000"}]),
        "PSE-CR311",
        "medios_pago",
    ),
    # Discounts.
    (
        "descuento_con_monto_y_porcentaje",
        lambda: linea(descuentos=[{"monto": "1", "porcentaje": "1"}]),
        "PSE-CR401",
        f"{I0}.descuentos[0]",
    ),
    ("descuento_sin_monto_ni_porcentaje", lambda: linea(descuentos=[{}]), "PSE-CR401", f"{I0}.descuentos[0]"),
    (
        "descuento_mayor_que_la_linea",
        lambda: linea(descuentos=[{"monto": "2000"}]),
        "PSE-CR402",
        f"{I0}.descuentos",
    ),
    # Taxes.
    ("linea_sin_impuesto", lambda: linea(tarifa=None), "PSE-CR501", f"{I0}.impuestos"),
    (
        "dos_iva",
        lambda: impuestos(
            {"codigo": "01", "codigo_tarifa_iva": "08"}, {"codigo": "07", "codigo_tarifa_iva": "04"}
        ),
        "PSE-CR502",
        f"{I0}.impuestos",
    ),
    ("iva_sin_codigo_de_tarifa", lambda: impuestos({"codigo": "01"}), "PSE-CR503", f"{T0}.codigo_tarifa_iva"),
    (
        "tarifa_que_no_corresponde",
        lambda: impuestos({"codigo": "01", "codigo_tarifa_iva": "08", "tarifa": "4"}),
        "PSE-CR504",
        f"{T0}.tarifa",
    ),
    (
        "bienes_usados_sin_factor",
        lambda: impuestos({"codigo": "08"}),
        "PSE-CR505",
        f"{T0}.factor_calculo_iva",
    ),
    (
        "alcohol_sin_datos",
        lambda: impuestos({"codigo": "04"}, {"codigo": "01", "codigo_tarifa_iva": "08"}),
        "PSE-CR506",
        f"{T0}.datos_especificos",
    ),
    (
        "proporcion_equivocada",
        lambda: impuestos(
            {
                "codigo": "04",
                "datos_especificos": {
                    "cantidad_unidad_medida": "750",
                    "porcentaje": "40",
                    "proporcion": "30",
                    "impuesto_unidad": "1",
                },
            },
            {"codigo": "01", "codigo_tarifa_iva": "08"},
        ),
        "PSE-CR507",
        f"{T0}.datos_especificos.proporcion",
    ),
    (
        "selectivo_sin_tarifa",
        lambda: impuestos({"codigo": "02"}, {"codigo": "01", "codigo_tarifa_iva": "08"}),
        "PSE-CR508",
        f"{T0}.tarifa",
    ),
    (
        "otro_impuesto_sin_tarifa_ni_monto",
        lambda: impuestos(
            {"codigo": "99", "codigo_otro": "Impuesto municipal"}, {"codigo": "01", "codigo_tarifa_iva": "08"}
        ),
        "PSE-CR508",
        f"{T0}.tarifa",
    ),
    (
        "exoneracion_02_sin_articulo",
        lambda: impuestos(
            {
                "codigo": "01",
                "codigo_tarifa_iva": "08",
                "exoneracion": {**EXO, "tipo_documento": "02", "articulo": None, "inciso": None},
            }
        ),
        "PSE-CR511",
        f"{T0}.exoneracion.articulo",
    ),
    (
        "articulo_sin_inciso",
        lambda: impuestos(
            {"codigo": "01", "codigo_tarifa_iva": "08", "exoneracion": {**EXO, "inciso": None}}
        ),
        "PSE-CR512",
        f"{T0}.exoneracion.inciso",
    ),
    (
        "exoneracion_mayor_que_la_tarifa",
        lambda: impuestos({"codigo": "01", "codigo_tarifa_iva": "04", "exoneracion": EXO}),
        "PSE-CR513",
        f"{T0}.exoneracion.tarifa_exonerada",
    ),
    (
        "exoneracion_de_tarifa_cero",
        lambda: impuestos(
            {"codigo": "01", "codigo_tarifa_iva": "01", "exoneracion": {**EXO, "tarifa_exonerada": "0"}}
        ),
        "PSE-CR513",
        f"{T0}.exoneracion.tarifa_exonerada",
    ),
    (
        "exoneracion_posterior",
        lambda: impuestos(
            {
                "codigo": "01",
                "codigo_tarifa_iva": "08",
                "exoneracion": {**EXO, "fecha_emision": "2026-12-01T08:00:00-06:00"},
            }
        ),
        "PSE-CR514",
        f"{T0}.exoneracion.fecha_emision",
    ),
    ("no_sujeto_con_iva", lambda: linea(no_sujeto=True), "PSE-CR515", f"{T0}.codigo_tarifa_iva"),
    (
        "iva_fabrica_02_con_iva",
        lambda: linea(iva_cobrado_fabrica="02"),
        "PSE-CR520",
        f"{T0}.codigo_tarifa_iva",
    ),
    ("base_imponible_no_editable", lambda: linea(base_imponible="500"), "PSE-CR521", f"{I0}.base_imponible"),
    (
        "base_imponible_cero",
        lambda: linea(iva_cobrado_fabrica="01", base_imponible="0"),
        "PSE-CR522",
        f"{I0}.base_imponible",
    ),
    (
        "impuesto_asumido_excesivo",
        lambda: linea(impuesto_asumido_emisor_fabrica="200"),
        "PSE-CR523",
        f"{I0}.impuesto_asumido_emisor_fabrica",
    ),
    # Other charges.
    (
        "cobro_de_tercero_sin_tercero",
        lambda: con(otros_cargos=[{"tipo_documento": "04", "detalle": "Cobro", "monto": "1"}]),
        "PSE-CR601",
        "otros_cargos[0].tercero",
    ),
    (
        "cargo_sin_monto",
        lambda: con(otros_cargos=[{"tipo_documento": "02", "detalle": "Timbre"}]),
        "PSE-CR602",
        "otros_cargos[0]",
    ),
    # References.
    ("nota_sin_referencia", lambda: con("03", referencias=[]), "PSE-CR701", "referencias"),
    ("compra_sin_referencia", lambda: con("08", referencias=[]), "PSE-CR701", "referencias"),
    (
        "referencia_con_clave_mal_formada",
        lambda: con("03", referencias=[referencia(numero="123")]),
        "PSE-CR702",
        "referencias[0].numero",
    ),
    (
        "referencia_posterior",
        lambda: con("03", referencias=[referencia(fecha_emision="2026-12-01T00:00:00-06:00")]),
        "PSE-CR703",
        "referencias[0].fecha_emision",
    ),
    # Returned IVA.
    ("iva_devuelto_en_efectivo", lambda: con(iva_devuelto="10"), "PSE-CR801", "iva_devuelto"),
    (
        "iva_devuelto_excesivo",
        lambda: con(iva_devuelto="500", medios_pago=[{"tipo": "02"}]),
        "PSE-CR802",
        "iva_devuelto",
    ),
    # What OpenPSE does not build, and declared totals.
    (
        "exoneracion_de_impuesto_especifico",
        lambda: impuestos(
            {
                "codigo": "04",
                "datos_especificos": {
                    "cantidad_unidad_medida": "750",
                    "porcentaje": "40",
                    "impuesto_unidad": "1",
                },
                "exoneracion": EXO,
            },
            {"codigo": "01", "codigo_tarifa_iva": "08"},
        ),
        "PSE-0020",
        f"{T0}.exoneracion",
    ),
    (
        "impuesto_especifico_en_compra",
        lambda: con(
            "08",
            items=[
                item(
                    impuestos=[
                        {
                            "codigo": "06",
                            "datos_especificos": {"cantidad_unidad_medida": "20", "impuesto_unidad": "1"},
                        },
                        {"codigo": "01", "codigo_tarifa_iva": "08"},
                    ]
                )
            ],
        ),
        "PSE-0020",
        f"{T0}.codigo",
    ),
    (
        "totales_declarados_distintos",
        lambda: con(totales={"total_comprobante": "1000"}),
        "PSE-0021",
        "totales.total_comprobante",
    ),
]


def _exportacion_con_ubicacion() -> dict[str, Any]:
    data = con("09")
    data["receptor"]["ubicacion"] = {
        "provincia": "1",
        "canton": "01",
        "distrito": "01",
        "otras_senas": "San José centro",
    }
    return data


def _recibo(**extra: Any) -> dict[str, Any]:
    data = con("10")
    data["items"][0].update(extra)
    return data


@pytest.mark.parametrize(("nombre", "datos", "codigo", "campo"), CASOS, ids=[c[0] for c in CASOS])
def test_rule_refuses(nombre: str, datos: Callable[[], dict[str, Any]], codigo: str, campo: str | None):
    encontrados = issues_of(datos())
    assert (codigo, campo) in encontrados, encontrados


def test_every_issue_is_listed_at_once():
    data = con(condicion_venta="02", moneda="USD", items=[item(cantidad="1.0001", unidad="kg")])
    encontrados = issues_of(data)
    assert ("PSE-CR303", "plazo_credito") in encontrados
    assert ("PSE-CR305", "tipo_cambio") in encontrados
    assert ("PSE-CR005", f"{I0}.cantidad") in encontrados
    assert ("PSE-CR001", f"{I0}.unidad") in encontrados


def test_unit_error_suggests_the_right_case():
    with pytest.raises(ValidationFailed) as caught:
        emit(linea(unidad="kg"))
    assert "¿Kg?" in caught.value.issues[0].mensaje


def test_declared_totals_within_one_unit_are_accepted():
    firmado = emit(con(totales={"total_comprobante": "1130.40", "total_impuesto": "129.6"}))
    assert firmado.calculo.resumen.total_comprobante == Decimal("1130")


def _empresa(**cambios: Any) -> Emisor:
    return Emisor.model_validate({**empresa().model_dump(), **cambios})


@pytest.mark.parametrize(
    ("cambios", "codigo", "campo"),
    [
        ({"codigo_actividad": None}, "PSE-CR004", "codigo_actividad"),
        ({"correos": []}, "PSE-CR004", "emisor.correos"),
        ({"ubicacion": None}, "PSE-CR004", "emisor.ubicacion"),
        ({"correos": ["no-es-un-correo"]}, "PSE-CR205", "emisor.correos[0]"),
    ],
)
def test_company_data_rules(cambios: dict[str, Any], codigo: str, campo: str):
    with pytest.raises(ValidationFailed) as caught:
        emitir(ComprobanteIn.model_validate(con()), _empresa(**cambios), certificado(), numero=1, ahora=AHORA)
    assert (codigo, campo) in [(str(i.cod), i.campo) for i in caught.value.issues]


def test_issuer_id_must_fit_the_clave():
    extranjero = _empresa(identificacion={"tipo": "05", "numero": "ABCDEFGHIJKLM"})
    with pytest.raises(ValidationFailed) as caught:
        emitir(ComprobanteIn.model_validate(con()), extranjero, certificado(), numero=1, ahora=AHORA)
    assert ("PSE-CR207", "emisor.identificacion.numero") in [
        (str(i.cod), i.campo) for i in caught.value.issues
    ]


def test_notes_do_not_need_the_company_location_nor_its_emails():
    firmado = emitir(
        ComprobanteIn.model_validate(con("03")),
        _empresa(ubicacion=None, correos=[]),
        certificado(),
        numero=1,
        ahora=AHORA,
    )
    assert b"<Ubicacion>" not in firmado.xml.split(b"</Emisor>")[0]


# Observations (warnings): the document is built and the observation travels with it.


def test_cash_sale_without_payment_method_is_observed():
    firmado = emit(con(medios_pago=[]))
    assert [str(o.cod) for o in firmado.observaciones] == ["PSE-CR312"]


def test_export_with_iva_is_observed():
    firmado = emit(con("09", items=[item("10", "1", tarifa="08")]))
    assert [(str(o.cod), o.campo) for o in firmado.observaciones] == [("PSE-CR530", f"{T0}")]


# MensajeReceptor rules.

MENSAJE = {
    "clave": "50601112600310199999900100001010000000001100000001",
    "numero_cedula_emisor": "3101999999",
    "mensaje": 1,
    "monto_total_impuesto": "130",
    "condicion_impuesto": "01",
    "total_factura": "1130",
}


def mensaje_issues(receptor: Emisor | None = None, **cambios: Any) -> list[tuple[str, str | None]]:
    data = MensajeReceptorIn.model_validate({**MENSAJE, **cambios})
    with pytest.raises(ValidationFailed) as caught:
        emitir_mensaje(data, receptor or empresa(), certificado(), numero=1, ahora=AHORA)
    return [(str(i.cod), i.campo) for i in caught.value.issues]


@pytest.mark.parametrize(
    ("cambios", "codigo", "campo"),
    [
        ({"monto_total_impuesto_acreditar": "200"}, "PSE-CR902", "monto_total_impuesto_acreditar"),
        (
            {"condicion_impuesto": "04", "monto_total_impuesto_acreditar": "10"},
            "PSE-CR903",
            "monto_total_impuesto_acreditar",
        ),
        ({"monto_total_impuesto": "2000"}, "PSE-CR905", "monto_total_impuesto"),
        ({"numero_cedula_emisor": "3101888888"}, "PSE-CR906", "numero_cedula_emisor"),
        ({"condicion_impuesto": "02"}, "PSE-CR004", "monto_total_impuesto_acreditar"),
        ({"condicion_impuesto": "06"}, "PSE-CR001", "condicion_impuesto"),
        ({"clave": "50631022600310199999900100001010000000001100000001"}, "PSE-CR702", "clave"),
        ({"fecha_emision": "2026-12-24T00:00:00-06:00"}, "PSE-CR102", "fecha_emision"),
        ({"total_factura": "1130.000001"}, "PSE-CR005", "total_factura"),
        ({"tipo_identificacion_emisor": "09"}, "PSE-CR001", "tipo_identificacion_emisor"),
    ],
)
def test_mensaje_receptor_rules(cambios: dict[str, Any], codigo: str, campo: str):
    assert (codigo, campo) in mensaje_issues(**cambios)


def test_mensaje_receptor_needs_a_numeric_receiver_id():
    extranjero = _empresa(identificacion={"tipo": "05", "numero": "US12345"})
    assert ("PSE-CR901", "emisor.identificacion.numero") in mensaje_issues(extranjero)


def test_rejection_without_reason_is_observed():
    data = MensajeReceptorIn.model_validate({**MENSAJE, "mensaje": 3})
    firmado = emitir_mensaje(data, empresa(), certificado(), numero=1, ahora=AHORA)
    assert [str(o.cod) for o in firmado.observaciones] == ["PSE-CR904"]


def test_every_rule_code_has_a_negative_case():
    """Guard: a new rule code must come with a case in this module."""
    exercised = {c[2] for c in CASOS} | {
        "PSE-CR101",  # test_hacienda_clave: missing number
        "PSE-CR207",
        "PSE-CR312",
        "PSE-CR530",
        "PSE-CR901",
        "PSE-CR902",
        "PSE-CR903",
        "PSE-CR904",
        "PSE-CR905",
        "PSE-CR906",
        # hacienda_e2e/test_hacienda_e2e_recepciones: the received comprobante of a MensajeReceptor
        "PSE-CR907",
        "PSE-CR908",
        "PSE-CR909",
    }
    assert {code.value for code in CodigoCR} <= exercised


def test_clave_de_referencia_fixture_is_well_formed():
    # The fixture every note references must itself pass the clave rule.
    assert emit(con("03", referencias=[referencia(numero=CLAVE_FACTURA)])).clave
