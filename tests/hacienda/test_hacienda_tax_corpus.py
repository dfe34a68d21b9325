"""Tax corpus: every IVA rate code, exonerations, other charges, discounts, USD, export, tiquete,
specific taxes, factory IVA, returned IVA and the REP, with totals computed by hand.

Each expected figure below was worked out on paper from the formulas of reference §5 and the
XSD annotations (the arithmetic is in the comment of each case), then compared with what the
signed XML says. Bucket totals a case does not list must be written as zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from hacienda_support import emit, item, payload, resumen_xml, xsd_errors
from lxml import etree

EXONERACION = {
    "tipo_documento": "02",
    "numero_documento": "MREC-DM-123-2026",
    "articulo": 1,
    "inciso": 1,
    "nombre_institucion": "02",
    "fecha_emision": "2026-10-01T08:00:00-06:00",
}
BUCKETS = [
    "TotalServGravados",
    "TotalServExentos",
    "TotalServExonerado",
    "TotalServNoSujeto",
    "TotalMercanciasGravadas",
    "TotalMercanciasExentas",
    "TotalMercExonerada",
    "TotalMercNoSujeta",
    "TotalGravado",
    "TotalExento",
    "TotalExonerado",
    "TotalNoSujeto",
]


@dataclass(frozen=True)
class Caso:
    nombre: str
    datos: dict[str, Any]
    resumen: dict[str, str]
    desglose: list[tuple[str, str | None, str]] | None = None
    lineas: dict[int, dict[str, str]] = field(default_factory=dict)
    medios: list[str] | None = None
    total_crc: str | None = None


def iva(
    precio: str, cantidad: str = "1", tarifa: str = "08", servicio: bool = False, **extra: Any
) -> dict[str, Any]:
    return item(precio, cantidad, tarifa, servicio, **extra)


def factura(*lineas: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return payload("01", items=list(lineas), **extra)


def exonerada(tarifa_exonerada: str, tarifa: str = "08") -> list[dict[str, Any]]:
    return [
        {
            "codigo": "01",
            "codigo_tarifa_iva": tarifa,
            "exoneracion": {**EXONERACION, "tarifa_exonerada": tarifa_exonerada},
        }
    ]


def simple(
    total_venta: str, impuesto: str, total: str, bucket: str = "TotalMercanciasGravadas"
) -> dict[str, str]:
    generales = {
        "Gravad": "TotalGravado",
        "Exent": "TotalExento",
        "Exoner": "TotalExonerado",
        "Suje": "TotalNoSujeto",
    }
    general = next(total for parte, total in generales.items() if parte in bucket)
    return {
        bucket: total_venta,
        general: total_venta,
        "TotalVenta": total_venta,
        "TotalDescuentos": "0.00000",
        "TotalVentaNeta": total_venta,
        "TotalImpuesto": impuesto,
        "TotalComprobante": total,
    }


CASOS = [
    # Every CodigoTarifaIVA (nota 8.1) on 1000 of goods unless said otherwise.
    Caso(
        "tarifa_01_cero",
        factura(iva("1000", tarifa="01")),
        simple("1000.00000", "0.00000", "1000.00000"),
        [("01", "01", "0.00000")],
    ),
    # 2 × 500 = 1000; 1 % = 10.
    Caso(
        "tarifa_02_uno",
        factura(iva("500", "2", "02")),
        simple("1000.00000", "10.00000", "1010.00000"),
        [("01", "02", "10.00000")],
    ),
    # Service 1000 at 2 % = 20.
    Caso(
        "tarifa_03_dos_servicio",
        factura(iva("1000", tarifa="03", servicio=True)),
        simple("1000.00000", "20.00000", "1020.00000", "TotalServGravados"),
    ),
    # 3 × 333.33333 = 999.99999; 4 % = 39.9999996 → 40.00000; 999.99999 + 40 = 1039.99999.
    Caso(
        "tarifa_04_cuatro_redondeo",
        factura(iva("333.33333", "3", "04")),
        simple("999.99999", "40.00000", "1039.99999"),
    ),
    Caso(
        "tarifa_05_transitorio_cero",
        factura(iva("1000", tarifa="05")),
        simple("1000.00000", "0.00000", "1000.00000"),
    ),
    # 1250 at 4 % = 50.
    Caso(
        "tarifa_06_transitorio_cuatro",
        factura(iva("1250", tarifa="06")),
        simple("1250.00000", "50.00000", "1300.00000"),
    ),
    Caso("tarifa_07_ocho", factura(iva("1000", tarifa="07")), simple("1000.00000", "80.00000", "1080.00000")),
    Caso(
        "tarifa_08_general",
        factura(iva("1000")),
        simple("1000.00000", "130.00000", "1130.00000"),
        [("01", "08", "130.00000")],
    ),
    # 0.5 % of 1000 = 5.
    Caso("tarifa_09_medio", factura(iva("1000", tarifa="09")), simple("1000.00000", "5.00000", "1005.00000")),
    Caso(
        "tarifa_10_exenta",
        factura(iva("1000", tarifa="10")),
        simple("1000.00000", "0.00000", "1000.00000", "TotalMercanciasExentas"),
        [("01", "10", "0.00000")],
    ),
    Caso(
        "tarifa_11_cero_sin_credito",
        factura(iva("1000", tarifa="11")),
        simple("1000.00000", "0.00000", "1000.00000"),
    ),
    # 3 × 0.33333 = 0.99999; 13 % = 0.1299987 → 0.13000; total 1.12999.
    Caso("redondeo_centesimas", factura(iva("0.33333", "3")), simple("0.99999", "0.13000", "1.12999")),
    # 1 % of 1.0005 = 0.010005, an exact half at the sixth decimal: half up → 0.01001
    # (half even would give 0.01000); 1.00050 + 0.01001 = 1.01051.
    Caso(
        "redondeo_mitad_hacia_arriba",
        factura(iva("1.0005", tarifa="02")),
        simple("1.00050", "0.01001", "1.01051"),
    ),
    # 10 × 100 = 1000, discount 100 → 900; 13 % = 117; 900 + 117 = 1017.
    Caso(
        "descuento_monto",
        factura(iva("100", "10", descuentos=[{"monto": "100"}])),
        {
            **simple("1000.00000", "117.00000", "1017.00000"),
            "TotalDescuentos": "100.00000",
            "TotalVentaNeta": "900.00000",
        },
        lineas={1: {"SubTotal": "900.00000", "BaseImponible": "900.00000", "MontoTotalLinea": "1017.00000"}},
    ),
    # 1000 − 10 % (100) = 900; − 5 % of 900 (45) = 855; 13 % = 111.15; 855 + 111.15 = 966.15.
    Caso(
        "descuentos_porcentuales_encadenados",
        factura(iva("1000", descuentos=[{"porcentaje": "10"}, {"porcentaje": "5", "codigo": "04"}])),
        {
            **simple("1000.00000", "111.15000", "966.15000"),
            "TotalDescuentos": "145.00000",
            "TotalVentaNeta": "855.00000",
        },
    ),
    # Two units, one given away (regalía 01): subtotal 500 but the IVA base stays 1000 → 130.
    Caso(
        "regalia_no_baja_la_base",
        factura(iva("500", "2", descuentos=[{"monto": "500", "codigo": "01"}])),
        {
            **simple("1000.00000", "130.00000", "630.00000"),
            "TotalDescuentos": "500.00000",
            "TotalVentaNeta": "500.00000",
        },
        lineas={1: {"SubTotal": "500.00000", "BaseImponible": "1000.00000", "MontoTotalLinea": "630.00000"}},
    ),
    # Full exoneration (diplomat, 13 of 13): tax 130 exonerated 130, net 0; all of it exonerado.
    Caso(
        "exoneracion_total",
        factura(iva("1000", impuestos=exonerada("13"))),
        {
            **simple("1000.00000", "0.00000", "1000.00000", "TotalMercExonerada"),
            "TotalExonerado": "1000.00000",
        },
        [("01", "08", "0.00000")],
        lineas={1: {"ImpuestoNeto": "0.00000", "MontoTotalLinea": "1000.00000"}},
    ),
    # 9 of 13 points exonerated on a 1000 service: tax 130, exonerated 90, net 40.
    # Exonerated share 9/13 × 1000 = 692.307692… → 692.30769; taxed 307.69231.
    Caso(
        "exoneracion_parcial_servicio",
        factura(iva("1000", servicio=True, impuestos=exonerada("9"))),
        {
            "TotalServGravados": "307.69231",
            "TotalServExonerado": "692.30769",
            "TotalGravado": "307.69231",
            "TotalExonerado": "692.30769",
            "TotalVenta": "1000.00000",
            "TotalVentaNeta": "1000.00000",
            "TotalImpuesto": "40.00000",
            "TotalComprobante": "1040.00000",
        },
        [("01", "08", "40.00000")],
    ),
    # 1130 + Cruz Roja stamp 50.
    Caso(
        "otros_cargos_monto",
        factura(
            iva("1000"),
            otros_cargos=[{"tipo_documento": "02", "detalle": "Timbre de la Cruz Roja", "monto": "50"}],
        ),
        {**simple("1000.00000", "130.00000", "1180.00000"), "TotalOtrosCargos": "50.00000"},
    ),
    # Restaurant: 2 × 5000 = 10000, IVA 1300, service charge 10 % of the net sale = 1000.
    Caso(
        "impuesto_de_servicio_diez_por_ciento",
        factura(
            iva("5000", "2"),
            otros_cargos=[
                {"tipo_documento": "06", "detalle": "Impuesto de servicio 10%", "porcentaje": "10"}
            ],
        ),
        {**simple("10000.00000", "1300.00000", "12300.00000"), "TotalOtrosCargos": "1000.00000"},
    ),
    # 2 × 150.50 USD = 301; 13 % = 39.13; 340.13 USD × 512.34 = 174262.2042 CRC.
    Caso(
        "dolares",
        factura(iva("150.50", "2"), moneda="USD", tipo_cambio="512.34"),
        {**simple("301.00000", "39.13000", "340.13000"), "CodigoMoneda": "USD", "TipoCambio": "512.34000"},
        total_crc="174262.20420",
    ),
    # FEE: 100 × 25.5 USD of coffee at tarifa 01 (exports: 0 %).
    Caso(
        "exportacion",
        payload("09"),
        {
            "TotalMercanciasGravadas": "2550.00000",
            "TotalGravado": "2550.00000",
            "TotalVenta": "2550.00000",
            "TotalVentaNeta": "2550.00000",
            "TotalImpuesto": "0.00000",
            "TotalComprobante": "2550.00000",
        },
    ),
    # Tiquete: goods 1000 at 13 % (130) + service 500 at 4 % (20) + exempt goods 300.
    Caso(
        "tiquete_mixto",
        payload("04", items=[iva("1000"), iva("500", tarifa="04", servicio=True), iva("300", tarifa="10")]),
        {
            "TotalServGravados": "500.00000",
            "TotalMercanciasGravadas": "1000.00000",
            "TotalMercanciasExentas": "300.00000",
            "TotalGravado": "1500.00000",
            "TotalExento": "300.00000",
            "TotalVenta": "1800.00000",
            "TotalVentaNeta": "1800.00000",
            "TotalImpuesto": "150.00000",
            "TotalComprobante": "1950.00000",
        },
        [("01", "08", "130.00000"), ("01", "04", "20.00000"), ("01", "10", "0.00000")],
    ),
    Caso(
        "servicio_no_sujeto",
        factura(iva("1000", tarifa="01", servicio=True, no_sujeto=True)),
        simple("1000.00000", "0.00000", "1000.00000", "TotalServNoSujeto"),
    ),
    # Selectivo de consumo 10 % = 100 enters the IVA base: 1100 × 13 % = 143; taxes 243.
    Caso(
        "selectivo_de_consumo_en_la_base",
        factura(
            iva(
                "1000",
                impuestos=[{"codigo": "02", "tarifa": "10"}, {"codigo": "01", "codigo_tarifa_iva": "08"}],
            )
        ),
        simple("1000.00000", "243.00000", "1243.00000"),
        [("02", None, "100.00000"), ("01", "08", "143.00000")],
        lineas={1: {"BaseImponible": "1100.00000", "ImpuestoNeto": "243.00000"}},
    ),
    # 6 bottles × 2000 = 12000; alcohol tax 250.5 per bottle = 1503 (in the IVA base);
    # proporción 750 ml × 40 % = 300; IVA (12000 + 1503) × 13 % = 1755.39; taxes 3258.39.
    Caso(
        "bebidas_alcoholicas",
        factura(
            iva(
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
            )
        ),
        simple("12000.00000", "3258.39000", "15258.39000"),
        [("04", None, "1503.00000"), ("01", "08", "1755.39000")],
        lineas={1: {"BaseImponible": "13503.00000", "MontoTotalLinea": "15258.39000"}},
    ),
    # 40 L × 800 = 32000 exempt of IVA; impuesto único 300 per litre = 12000, outside the IVA base.
    Caso(
        "combustible",
        factura(
            iva(
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
            )
        ),
        simple("32000.00000", "12000.00000", "44000.00000", "TotalMercanciasExentas"),
        [("03", None, "12000.00000"), ("01", "10", "0.00000")],
        lineas={1: {"BaseImponible": "32000.00000"}},
    ),
    # Used goods: 5000 × factor 0.1 = 500.
    Caso(
        "bienes_usados_factor",
        factura(iva("5000", impuestos=[{"codigo": "08", "factor_calculo_iva": "0.1"}])),
        simple("5000.00000", "500.00000", "5500.00000"),
        [("08", None, "500.00000")],
    ),
    # IVA cálculo especial (07): the given base 600 × 13 % = 78.
    Caso(
        "iva_calculo_especial",
        factura(iva("1000", base_imponible="600", impuestos=[{"codigo": "07", "codigo_tarifa_iva": "08"}])),
        simple("1000.00000", "78.00000", "1078.00000"),
        lineas={1: {"BaseImponible": "600.00000"}},
    ),
    # IVA charged at factory level on a base of 800 (104) and assumed: net 0.
    Caso(
        "iva_cobrado_en_fabrica",
        factura(
            iva("1000", iva_cobrado_fabrica="01", base_imponible="800", impuesto_asumido_emisor_fabrica="104")
        ),
        {**simple("1000.00000", "0.00000", "1000.00000"), "TotalImpAsumEmisorFabrica": "104.00000"},
        [("01", "08", "104.00000")],
        lineas={1: {"ImpuestoAsumidoEmisorFabrica": "104.00000", "ImpuestoNeto": "0.00000"}},
    ),
    # Private health service 10000 at 4 % (400) paid by card: the IVA is returned.
    Caso(
        "iva_devuelto",
        factura(iva("10000", tarifa="04", servicio=True), medios_pago=[{"tipo": "02"}], iva_devuelto="400"),
        {
            **simple("10000.00000", "400.00000", "10000.00000", "TotalServGravados"),
            "TotalIVADevuelto": "400.00000",
        },
        medios=["10000.00000"],
    ),
    Caso(
        "varios_medios_de_pago",
        factura(iva("1000"), medios_pago=[{"tipo": "01", "monto": "130"}, {"tipo": "02", "monto": "1000"}]),
        simple("1000.00000", "130.00000", "1130.00000"),
        medios=["130.00000", "1000.00000"],
    ),
    # REP: payment of 50000 plus its 13 % IVA (6500).
    Caso(
        "recibo_electronico_de_pago",
        payload("10"),
        {
            "TotalVenta": "50000.00000",
            "TotalVentaNeta": "50000.00000",
            "TotalImpuesto": "6500.00000",
            "TotalComprobante": "56500.00000",
        },
        [("01", "08", "6500.00000")],
        medios=["56500.00000"],
    ),
    # Credit note: 500 at 13 % (65) + 300 at 1 % (3).
    Caso(
        "nota_de_credito",
        payload("03", items=[iva("500"), iva("300", tarifa="02")]),
        simple("800.00000", "68.00000", "868.00000"),
    ),
    Caso(
        "factura_de_compra",
        payload("08", items=[iva("1000", servicio=True)]),
        simple("1000.00000", "130.00000", "1130.00000", "TotalServGravados"),
    ),
    # Goods 2 × 1500 = 3000 − 10 % = 2700, IVA 351; service 1000 at 4 % fully exonerated (40 − 40);
    # exempt goods 500; Cruz Roja 25. Net sale 4200; total 4200 + 351 + 25 = 4576.
    Caso(
        "mixto_completo",
        factura(
            iva("1500", "2", descuentos=[{"porcentaje": "10"}]),
            iva("1000", servicio=True, impuestos=exonerada("4", "04")),
            iva("500", tarifa="10"),
            otros_cargos=[{"tipo_documento": "02", "detalle": "Timbre de la Cruz Roja", "monto": "25"}],
        ),
        {
            "TotalServExonerado": "1000.00000",
            "TotalMercanciasGravadas": "3000.00000",
            "TotalMercanciasExentas": "500.00000",
            "TotalGravado": "3000.00000",
            "TotalExento": "500.00000",
            "TotalExonerado": "1000.00000",
            "TotalVenta": "4500.00000",
            "TotalDescuentos": "300.00000",
            "TotalVentaNeta": "4200.00000",
            "TotalImpuesto": "351.00000",
            "TotalOtrosCargos": "25.00000",
            "TotalComprobante": "4576.00000",
        },
        [("01", "08", "351.00000"), ("01", "04", "0.00000"), ("01", "10", "0.00000")],
    ),
]


def test_corpus_has_at_least_thirty_cases():
    assert len(CASOS) >= 30
    assert len({c.nombre for c in CASOS}) == len(CASOS)


def _desglose(root: etree._Element) -> list[tuple[str, str | None, str]]:
    return [
        (
            d.findtext("{*}Codigo") or "",
            d.findtext("{*}CodigoTarifaIVA"),
            d.findtext("{*}TotalMontoImpuesto") or "",
        )
        for d in root.iterfind("{*}ResumenFactura/{*}TotalDesgloseImpuesto")
    ]


@pytest.mark.parametrize("caso", CASOS, ids=lambda c: c.nombre)
def test_tax_corpus(caso: Caso):
    firmado = emit(caso.datos)
    assert xsd_errors(firmado.xml, caso.datos["tipo"]) == []
    escrito = resumen_xml(firmado.xml)
    for campo, valor in caso.resumen.items():
        assert escrito[campo] == valor, campo
    for campo in BUCKETS:
        if campo in escrito and campo not in caso.resumen:
            assert escrito[campo] == "0.00000", campo
    root = etree.fromstring(firmado.xml)
    if caso.desglose is not None:
        assert _desglose(root) == caso.desglose
    lineas = root.findall("{*}DetalleServicio/{*}LineaDetalle")
    for numero, esperado in caso.lineas.items():
        for campo, valor in esperado.items():
            assert lineas[numero - 1].findtext("{*}" + campo) == valor, campo
    if caso.medios is not None:
        assert [
            m.findtext("{*}TotalMedioPago") for m in root.iterfind("{*}ResumenFactura/{*}MedioPago")
        ] == caso.medios
    if caso.total_crc is not None:
        assert firmado.calculo.resumen.total_comprobante_crc == Decimal(caso.total_crc)
