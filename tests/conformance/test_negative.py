"""Negative corpus: requests SUNAT rejects, each with the exact code from our engine and,
where SUNAT's SFS sheet implements the rule, the same code from the sheet.

For the sheet, the request is built with our rules switched off, so the XML carries the
mistake and SUNAT's own validation has to find it. ``sfs`` is False for rules of the 2026
workbook that the SFS copy in ../shared does not implement (it lags the workbook); for
those our engine is the only check and the test says so.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx2
import pytest
from sunat_oracles import run_sheet
from test_sunat_conformance import empresa

from openpse.authorities.sunat import rules
from openpse.authorities.sunat.authority import SunatAuthority
from openpse.core.errors import ValidationFailed
from openpse.core.timeutil import now_lima
from tests_support import boleta, factura

pytestmark = pytest.mark.conformance
# Where the SFS copy lags the 2026 workbook (sfs=False below): catálogo 51 membership
# (3206), a zero quantity (2024), units (2936), the send window (2108/2329), the RUC's
# existence (1083); and its credit-sale checks (3265/3267/3319) sit in a template whose
# context makes them unreachable (the same defect that raises 3249 on every credit sale).
# Detracción and percepción: the SFS copy does not check 3127, 3033 or 3308/3330, and
# emits 3129 as an INFO (on every PaymentTerms, FormaPago included); the workbook has them
# all as ERROR.
# A value with 11 decimals (2369) never reaches the XML: the engine writes 10.
# Motivo 13: the SFS copy does not compare the cuotas with the pending amount (3319) and
# rejects a zero cuota with an empty code instead of 3253; the factura being on credit
# (3260), its total (3320) and its issue date (3321) are in SUNAT's registry, not in the
# note, and no rule here can check them.
HOY = now_lima().date()


def item(**kw: Any) -> dict[str, Any]:
    return {"descripcion": "Producto", "cantidad": "1", "valor_unitario": "100", **kw}


def nota(
    tipo: str,
    serie: str,
    afectado_tipo: str,
    afectado_serie: str,
    motivo: str = "01",
    descripcion: str = "Anulación",
    **kw: Any,
) -> dict[str, Any]:
    base = factura() if serie.startswith("F") else boleta()
    return {
        **base,
        "tipo": tipo,
        "serie": serie,
        "forma_pago": None,
        "documento_afectado": {"tipo": afectado_tipo, "serie": afectado_serie, "numero": 1},
        "motivo": {"codigo": motivo, "descripcion": descripcion},
        **kw,
    }


credito = {"tipo": "Credito"}
PESCA = {
    "matricula_embarcacion": "CO-12345-PM",
    "nombre_embarcacion": "DOÑA ROSA",
    "especie": "Anchoveta",
    "lugar_descarga": "Muelle de Chimbote",
    "fecha_descarga": "2026-01-15",
    "cantidad_especie": "12.50",
}
CARGA = {
    "origen": {"ubigeo": "150101", "direccion": "Av. Argentina 1234, Lima"},
    "destino": {"ubigeo": "040101", "direccion": "Calle Mercaderes 100, Arequipa"},
    "detalle_viaje": "Traslado Lima - Arequipa",
    "valor_referencial_servicio": "2500.00",
    "valor_referencial_carga_efectiva": "2000.00",
    "valor_referencial_carga_util": "2200.00",
}


def detraccion(codigo: str) -> dict[str, str]:
    return {"codigo": codigo, "porcentaje": "4", "cuenta": "00-099-025344"}


def nota_13(forma_pago: dict[str, Any] | None, **kw: Any) -> dict[str, Any]:
    """A credit note of motivo 13 on factura F001-1, lines without value."""
    fields: dict[str, Any] = {
        "items": [{"descripcion": "Producto", "cantidad": "1"}],
        "forma_pago": forma_pago,
        **kw,
    }
    return nota("07", "F001", "01", "F001", motivo="13", descripcion="Reprogramación de cuotas", **fields)


cuota = {"monto": "100.00", "fecha_pago": "2099-01-31"}
CASES: list[tuple[str, dict[str, Any], str, bool]] = [
    # Identity of the customer (Factura2_0 rows 17–18, Boleta2_0 row 16).
    (
        "factura-con-dni",
        factura(
            cliente={"tipo_documento": "1", "numero_documento": "46027897", "razon_social": "JUAN PEREZ"}
        ),
        "2800",
        True,
    ),
    (
        "factura-con-carne",
        factura(cliente={"tipo_documento": "4", "numero_documento": "001234567", "razon_social": "JOHN DOE"}),
        "2800",
        True,
    ),
    (
        "factura-sin-documento",
        factura(cliente={"tipo_documento": "0", "numero_documento": "-", "razon_social": "VARIOS"}),
        "2800",
        True,
    ),
    (
        "exportacion-a-ruc",
        factura(tipo_operacion="0200", moneda="USD", items=[item(afectacion_igv="40")]),
        "2800",
        True,
    ),
    (
        "gastos-deducibles-con-carne",
        factura(
            tipo_operacion="0112",
            cliente={"tipo_documento": "4", "numero_documento": "001234567", "razon_social": "JOHN DOE"},
            items=[item(codigo_producto_sunat="80131501")],
        ),
        "2800",
        True,
    ),
    (
        "ruc-de-10-digitos",
        factura(
            cliente={"tipo_documento": "6", "numero_documento": "2010007097", "razon_social": "CLIENTE SAC"}
        ),
        "2017",
        True,
    ),
    (
        "ruc-con-letras",
        factura(
            cliente={"tipo_documento": "6", "numero_documento": "2010007097A", "razon_social": "CLIENTE SAC"}
        ),
        "2017",
        True,
    ),
    (
        "ruc-digito-verificador",
        factura(
            cliente={"tipo_documento": "6", "numero_documento": "20100070971", "razon_social": "CLIENTE SAC"}
        ),
        "1083",
        False,
    ),
    (
        "factura-0112-dni-de-7-digitos",
        factura(
            tipo_operacion="0112",
            cliente={"tipo_documento": "1", "numero_documento": "4602789", "razon_social": "JUAN PEREZ"},
            items=[item(codigo_producto_sunat="80131501")],
        ),
        "2801",
        True,
    ),
    (
        "factura-tipo-documento-fuera-de-catalogo",
        factura(cliente={"tipo_documento": "Z", "numero_documento": "123", "razon_social": "JUAN"}),
        "2800",
        True,
    ),
    (
        "nc-tipo-documento-fuera-de-catalogo",
        nota(
            "07",
            "B001",
            "03",
            "B001",
            cliente={"tipo_documento": "Z", "numero_documento": "123", "razon_social": "JUAN"},
        ),
        "2016",
        True,
    ),
    (
        "no-domiciliado-tipo-fuera-de-catalogo",
        factura(
            tipo_operacion="0401",
            cliente={"tipo_documento": "Z", "numero_documento": "X-1", "razon_social": "ACME LLC"},
        ),
        "2800",
        True,
    ),
    (
        "razon-social-corta",
        factura(cliente={"tipo_documento": "6", "numero_documento": "20100070970", "razon_social": "AB"}),
        "2022",
        True,
    ),
    (
        "exportacion-pasaporte-con-espacios",
        factura(
            tipo_operacion="0200",
            moneda="USD",
            cliente={"tipo_documento": "7", "numero_documento": "AB 12345", "razon_social": "JOHN DOE"},
            items=[item(afectacion_igv="40")],
        ),
        "2802",
        True,
    ),
    # The document.
    ("serie-de-boleta-en-factura", factura(serie="B001"), "1001", True),
    ("serie-de-factura-en-boleta", boleta(serie="F001"), "1001", True),
    ("moneda-fuera-de-catalogo", factura(moneda="XYZ"), "3088", True),
    ("operacion-fuera-de-catalogo", factura(tipo_operacion="9999"), "3206", False),
    ("operacion-de-boleta-en-factura", factura(tipo_operacion="0113"), "3206", False),
    ("operacion-de-factura-en-boleta", boleta(tipo_operacion="0112"), "3206", False),
    ("leyenda-fuera-de-catalogo", factura(leyendas=[{"codigo": "9999", "descripcion": "X"}]), "3027", False),
    # Amazonía and Tacna legends need exonerated operations (3283–3285, 3289): ERROR in the
    # 2026 workbook, not checked by the SFS copy, so only our engine can be the oracle.
    (
        "leyenda-amazonia-sin-exoneradas",
        factura(leyendas=[{"codigo": "2001", "descripcion": "BIENES TRANSFERIDOS EN LA AMAZONÍA"}]),
        "3283",
        False,
    ),
    (
        "leyenda-tacna-sin-exoneradas",
        factura(leyendas=[{"codigo": "2008", "descripcion": "VENTA EXONERADA DEL IGV-ISC-IPM"}]),
        "3289",
        False,
    ),
    (
        "leyenda-repetida",
        factura(leyendas=[{"codigo": "2001", "descripcion": "A"}, {"codigo": "2001", "descripcion": "B"}]),
        "3014",
        True,
    ),
    ("emision-hace-un-mes", factura(fecha_emision=(HOY - dt.timedelta(days=30)).isoformat()), "2108", False),
    ("emision-futura", factura(fecha_emision=(HOY + dt.timedelta(days=10)).isoformat()), "2329", False),
    ("tasa-igv-12", factura(porcentaje_igv="12"), "3291", False),
    # Lines.
    ("cantidad-cero", factura(items=[item(cantidad="0")]), "2024", False),
    ("cantidad-11-decimales", factura(items=[item(cantidad="1.12345678901")]), "2025", True),
    ("unidad-fuera-de-catalogo", factura(items=[item(unidad="XXX")]), "2936", False),
    ("valor-unitario-11-decimales", factura(items=[item(valor_unitario="1.12345678901")]), "2369", False),
    (
        "linea-que-redondea-a-cero",
        factura(items=[item(cantidad="0.001", valor_unitario="0.01")]),
        "3105",
        False,
    ),
    ("igv-de-linea-cero-en-boleta", boleta(items=[item(valor_unitario="0.02")]), "3111", True),
    (
        "exportacion-con-linea-gravada",
        factura(
            tipo_operacion="0200",
            moneda="USD",
            cliente={"tipo_documento": "0", "numero_documento": "X-1", "razon_social": "ACME LLC"},
            items=[item(afectacion_igv="10")],
        ),
        "2642",
        True,
    ),
    ("ivap-mezclado", factura(items=[item(afectacion_igv="17"), item(afectacion_igv="10")]), "2644", True),
    (
        "icbper-bolsas-distintas",
        factura(items=[item(valor_unitario="0.10", cantidad="3", icbper={"cantidad": 2})]),
        "3236",
        True,
    ),
    (
        "isc-sistema-fuera-de-catalogo",
        factura(items=[item(isc={"sistema": "09", "tasa": "10"})]),
        "2041",
        True,
    ),
    (
        "gastos-deducibles-sin-alquiler",
        factura(
            tipo_operacion="0112",
            cliente={"tipo_documento": "1", "numero_documento": "46027897", "razon_social": "JUAN PEREZ"},
        ),
        "3181",
        True,
    ),
    (
        "gastos-deducibles-hipotecario-sin-datos-del-credito",
        factura(
            tipo_operacion="0112",
            cliente={"tipo_documento": "1", "numero_documento": "46027897", "razon_social": "JUAN PEREZ"},
            items=[item(codigo_producto_sunat="84121901")],
        ),
        "3150",
        True,
    ),
    # Payment terms (Factura2_0 rows 176–177).
    ("credito-sin-cuotas", factura(forma_pago=credito), "3249", False),
    (
        "cuota-no-posterior",
        factura(forma_pago={**credito, "cuotas": [{"monto": "118", "fecha_pago": HOY.isoformat()}]}),
        "3267",
        False,
    ),
    (
        "cuotas-no-suman-el-pendiente",
        factura(forma_pago={**credito, "cuotas": [{"monto": "100", "fecha_pago": "2099-01-01"}]}),
        "3319",
        False,
    ),
    (
        "pendiente-mayor-al-total",
        factura(
            forma_pago={
                **credito,
                "monto_pendiente": "500",
                "cuotas": [{"monto": "500", "fecha_pago": "2099-01-01"}],
            }
        ),
        "3265",
        False,
    ),
    (
        "cuota-mayor-al-total",
        factura(
            forma_pago={
                **credito,
                "monto_pendiente": "118",
                "cuotas": [
                    {"monto": "200", "fecha_pago": "2099-01-01"},
                    {"monto": "-82", "fecha_pago": "2099-02-01"},
                ],
            }
        ),
        "3266",
        False,
    ),
    # Notes (NotaCredito2_0, NotaDebito2_0).
    ("nc-motivo-fuera-de-catalogo", nota("07", "F001", "01", "F001", motivo="99"), "2172", True),
    ("nd-motivo-fuera-de-catalogo", nota("08", "F001", "01", "F001", motivo="99"), "2172", True),
    ("nc-factura-que-modifica-boleta", nota("07", "F001", "03", "B001"), "2116", True),
    ("nc-boleta-que-modifica-factura", nota("07", "B001", "01", "F001"), "2399", True),
    ("nd-factura-que-modifica-boleta", nota("08", "F001", "03", "B001"), "2204", True),
    ("nd-boleta-que-modifica-factura", nota("08", "B001", "01", "F001"), "2400", True),
    ("nc-serie-afectada-invalida", nota("07", "F001", "01", "X01"), "2117", True),
    ("nd-serie-afectada-invalida", nota("08", "F001", "01", "X01"), "2205", True),
    (
        "nc-sustento-con-salto-de-linea",
        nota("07", "F001", "01", "F001", descripcion="Anula\nción"),
        "2135",
        True,
    ),
    # A boleta above S/ 700 names its customer (2514, as SUNAT answers it in a daily summary).
    (
        "boleta-anonima-de-mas-de-700-soles",
        boleta(
            cliente={"tipo_documento": "0", "numero_documento": "-", "razon_social": "CLIENTES VARIOS"},
            items=[item(valor_unitario="600")],
        ),
        "2514",
        False,
    ),
    # A zero rate would leave no 9999 subtotal in the XML, so only our engine can see it.
    (
        "otros-tributos-sin-tasa",
        factura(items=[item(otros_tributos={"tasa": "0"})]),
        "3102",
        False,
    ),
    # Detracción (Factura2_0 rows 104–106).
    ("detraccion-sin-datos", factura(tipo_operacion="1001"), "3127", False),
    (
        "detraccion-en-venta-interna",
        factura(detraccion={"codigo": "037", "porcentaje": "12", "cuenta": "00-099-025344"}),
        "3128",
        True,
    ),
    (
        "detraccion-codigo-fuera-de-catalogo",
        factura(tipo_operacion="1001", detraccion={"codigo": "999", "porcentaje": "12", "cuenta": "1"}),
        "3033",
        False,
    ),
    (
        "detraccion-pasajeros-con-otro-codigo",
        factura(tipo_operacion="1003", detraccion={"codigo": "037", "porcentaje": "12", "cuenta": "1"}),
        "3129",
        False,
    ),
    # Detracción 1002: every line carries the catch data 3001–3006 (rows 107–112; the SFS
    # sheet keys the line check on code 004, so a 1001 with code 004 needs them too).
    (
        "hidrobiologicos-sin-datos",
        factura(tipo_operacion="1002", detraccion=detraccion("004")),
        "3063",
        True,
    ),
    (
        "hidrobiologicos-segunda-linea-sin-datos",
        factura(
            tipo_operacion="1002",
            detraccion=detraccion("004"),
            items=[item(recursos_hidrobiologicos=PESCA), item()],
        ),
        "3063",
        True,
    ),
    (
        "hidrobiologicos-en-boleta-sin-datos",
        boleta(tipo_operacion="1002", detraccion=detraccion("004")),
        "3063",
        True,
    ),
    (
        "detraccion-1001-codigo-004-sin-datos",
        factura(tipo_operacion="1001", detraccion=detraccion("004")),
        "3063",
        True,
    ),
    (
        "hidrobiologicos-con-otro-codigo",
        factura(
            tipo_operacion="1002",
            detraccion=detraccion("037"),
            items=[item(recursos_hidrobiologicos=PESCA)],
        ),
        "3129",
        False,
    ),
    # Detracción 1004: every line carries its trip (rows 113–118).
    ("carga-sin-datos", factura(tipo_operacion="1004", detraccion=detraccion("027")), "3116", True),
    (
        "carga-en-boleta-sin-datos",
        boleta(tipo_operacion="1004", detraccion=detraccion("027")),
        "3116",
        True,
    ),
    (
        "carga-valor-referencial-cero",
        factura(
            tipo_operacion="1004",
            detraccion=detraccion("027"),
            items=[item(transporte_carga={**CARGA, "valor_referencial_servicio": "0"})],
        ),
        "3123",
        True,
    ),
    (
        "carga-valor-referencial-negativo",
        factura(
            tipo_operacion="1004",
            detraccion=detraccion("027"),
            items=[item(transporte_carga={**CARGA, "valor_referencial_carga_util": "-5"})],
        ),
        "3123",
        True,
    ),
    (
        "carga-con-otro-codigo",
        factura(
            tipo_operacion="1004",
            detraccion=detraccion("037"),
            items=[item(transporte_carga=CARGA)],
        ),
        "3129",
        False,
    ),
    # Credit note of motivo 13 (NotaCredito2_0 rows 18–19, 48, 63–64).
    ("nc13-sin-forma-de-pago", nota_13(None), "3257", True),
    ("nc13-al-contado", nota_13({"tipo": "Contado"}), "3246", True),
    ("nc13-credito-sin-cuotas", nota_13({"tipo": "Credito"}), "3249", True),
    (
        "nc13-sobre-boleta",
        nota("07", "B001", "03", "B001", motivo="13", items=[{"descripcion": "Producto", "cantidad": "1"}])
        | {"forma_pago": {"tipo": "Credito", "cuotas": [cuota]}},
        "3259",
        True,
    ),
    (
        "nc13-con-importe",
        nota_13({"tipo": "Credito", "cuotas": [cuota]}, items=[item(valor_unitario="10")]),
        "3315",
        True,
    ),
    (
        "nc13-cuotas-no-suman-el-pendiente",
        nota_13({"tipo": "Credito", "monto_pendiente": "150.00", "cuotas": [cuota]}),
        "3319",
        False,
    ),
    # The sheet rejects this one too, but its message carries no code (an empty
    # errorCode in the SFS copy), so only our engine gives SUNAT's 3253.
    (
        "nc13-cuota-cero",
        nota_13({"tipo": "Credito", "cuotas": [{"monto": "0", "fecha_pago": "2099-01-31"}]}),
        "3253",
        False,
    ),
    # Percepción (Factura2_0 rows 63–64).
    ("percepcion-sin-datos", factura(tipo_operacion="2001"), "3093", True),
    ("percepcion-en-venta-interna", factura(percepcion={"codigo": "51"}), "3308", False),
    (
        "percepcion-al-credito",
        factura(
            tipo_operacion="2001",
            percepcion={"codigo": "51"},
            forma_pago={"tipo": "Credito", "cuotas": [{"monto": "118.00", "fecha_pago": "2099-01-31"}]},
        ),
        "3330",
        False,
    ),
    (
        "percepcion-monto-incorrecto",
        factura(tipo_operacion="2001", percepcion={"codigo": "51", "monto": "9.00"}),
        "2798",
        True,
    ),
    (
        "percepcion-base-mayor-al-total",
        factura(tipo_operacion="2001", percepcion={"codigo": "51", "base": "500.00"}),
        "2797",
        True,
    ),
    # Advances (Factura2_0 rows 65–66) and related documents (rows 22–23).
    (
        "anticipo-tipo-invalido",
        factura(anticipos=[{"tipo": "01", "serie": "F001", "numero": 1, "monto": "11.80"}]),
        "2505",
        True,
    ),
    (
        "anticipo-serie-invalida",
        factura(anticipos=[{"tipo": "02", "serie": "B001", "numero": 1, "monto": "11.80"}]),
        "2521",
        True,
    ),
    (
        "anticipo-sin-monto",
        factura(anticipos=[{"tipo": "02", "serie": "F001", "numero": 1, "monto": "0"}]),
        "2503",
        True,
    ),
    (
        "guia-repetida",
        factura(guias=[{"serie": "T001", "numero": 1}, {"serie": "T001", "numero": 1}]),
        "2364",
        True,
    ),
    (
        "documento-relacionado-repetido",
        factura(documentos_relacionados=[{"tipo": "99", "numero": "OC-1"}, {"tipo": "99", "numero": "OC-1"}]),
        "2365",
        True,
    ),
]


@pytest.fixture(scope="module")
def authority() -> SunatAuthority:
    return SunatAuthority(httpx2.Client(), "http://127.0.0.1:9")


def test_at_least_forty_negative_cases():
    assert len(CASES) >= 40
    assert sum(1 for case in CASES if case[3]) >= 30, "most cases are confirmed by SUNAT's own sheet"


@pytest.mark.parametrize(("body", "code", "sfs"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_engine_and_sunat_sheet_reject_with_the_same_code(
    authority, test_certificate, monkeypatch, body, code, sfs
):
    context = empresa(test_certificate)
    draft = authority.parse(body)
    with pytest.raises(ValidationFailed) as info:
        authority.prepare(draft, 1, context, HOY)
    assert code in [i.cod for i in info.value.issues], info.value.issues
    if not sfs:
        return
    for check in (
        "check_document",
        "check_cliente",
        "check_items",
        "check_line_values",
        "check_forma_pago",
        "check_pagos",
        "check_pagos_totales",
        "check_leyendas_totales",
    ):
        monkeypatch.setattr(rules, check, lambda *_args: None)
    unchecked = authority.prepare(authority.parse(body), 1, context, HOY)
    sheet = run_sheet(body["tipo"], unchecked.xml, unchecked.xml_name)
    assert sheet.rejected, f"SUNAT's sheet accepted it: {sheet.messages}"
    assert sheet.error_codes == [code], sheet.messages


@pytest.mark.parametrize(
    ("cliente", "code"),
    [
        ({"tipo_documento": "1", "numero_documento": "4602789", "razon_social": "JUAN"}, "4207"),
        ({"tipo_documento": "1", "numero_documento": "4602789X", "razon_social": "JUAN"}, "4207"),
        ({"tipo_documento": "7", "numero_documento": "AB 12345", "razon_social": "JOHN DOE"}, "4208"),
    ],
)
def test_boleta_identity_formats_are_observations_not_errors(authority, test_certificate, cliente, code):
    prepared = authority.prepare(authority.parse(boleta(cliente=cliente)), 1, empresa(test_certificate), HOY)
    assert [o["codigo"] for o in prepared.observaciones] == [code]
    sheet = run_sheet("03", prepared.xml, prepared.xml_name)
    assert not sheet.rejected
    assert sheet.codes == [code]


def test_anonymous_boleta_up_to_700_soles_is_accepted(authority, test_certificate):
    anonima = {"tipo_documento": "0", "numero_documento": "-", "razon_social": "CLIENTES VARIOS"}
    body = boleta(cliente=anonima, items=[item(precio_unitario="700.00", valor_unitario=None)])
    prepared = authority.prepare(authority.parse(body), 1, empresa(test_certificate), HOY)
    assert prepared.total == "700.00"
    assert not run_sheet("03", prepared.xml, prepared.xml_name).rejected
