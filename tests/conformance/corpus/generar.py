"""Writes the conformance corpus: one JSON request per case, under ``casos/``.

The cases follow SUNAT's homologation guide (Anexo 1, groups 1–12: facturas, boletas
and their notes, by series FF11–FF50 and BB11–BB50; group 6, percepción, comes with
percepción support) and add one case per tax path the engine computes (every catálogo 07
afectación, ISC systems, ICBPER, IVAP, exports, line and global discounts and charges,
the MYPE rate, credit sales, notes of every motive). The data is deterministic: run
``python tests/conformance/corpus/generar.py`` and commit the result.

Each file: ``{"caso", "orden", "grupo", "descripcion", "request", "observaciones"}``:
``orden`` is the order in which they are sent (a note after what it modifies) and
``observaciones`` lists the observation codes SUNAT's SFS sheet is expected to emit.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).with_name("casos")
CLIENTE_RUC = {
    "tipo_documento": "6",
    "numero_documento": "20100070970",
    "razon_social": "CLIENTE S.A.C.",
    "direccion": "Av. Lima 123, Lima",
}
CLIENTE_DNI = {"tipo_documento": "1", "numero_documento": "46027897", "razon_social": "JUAN PEREZ QUISPE"}
CLIENTE_ANONIMO = {"tipo_documento": "0", "numero_documento": "-", "razon_social": "CLIENTES VARIOS"}
CLIENTE_EXTERIOR = {
    "tipo_documento": "0",
    "numero_documento": "US-4471-9",
    "razon_social": "ACME IMPORTS LLC",
    "direccion": "100 Main St, Miami, FL",
}
PRODUCTOS = [
    ("P001", "Cuaderno A4 cuadriculado 100 hojas", "NIU", "6.50"),
    ("P002", "Lapicero azul punta fina", "NIU", "1.20"),
    ("P003", "Resma de papel bond 80 g", "NIU", "21.90"),
    ("P004", "Tóner para impresora láser", "NIU", "189.00"),
    ("S001", "Servicio de mantenimiento de equipos", "ZZ", "350.00"),
    ("P005", "Cable HDMI 2 m", "NIU", "24.75"),
    ("P006", "Arroz extra (saco)", "KGM", "3.85"),
    ("S002", "Horas de consultoría", "HUR", "120.00"),
    ("P007", "Mouse inalámbrico", "NIU", "45.00"),
    ("P008", "Café tostado molido", "KGM", "38.40"),
]
ICBPER = {
    "codigo": "B001",
    "descripcion": "Bolsa plástica",
    "unidad": "NIU",
    "valor_unitario": "0.10",
    "afectacion_igv": "10",
}


def items(
    n: int, afectaciones: list[str] | None = None, offset: int = 0, **extra: Any
) -> list[dict[str, Any]]:
    afectaciones = afectaciones or ["10"]
    result = []
    for i in range(n):
        codigo, descripcion, unidad, valor = PRODUCTOS[(i + offset) % len(PRODUCTOS)]
        afectacion = afectaciones[i % len(afectaciones)]
        item: dict[str, Any] = {
            "codigo": codigo,
            "descripcion": descripcion,
            "unidad": unidad,
            "cantidad": str((i + offset) % 4 + 1),
            "afectacion_igv": afectacion,
        }
        if afectacion in {"11", "12", "13", "14", "15", "16", "21", "31", "32", "33", "34", "35", "36", "37"}:
            item["valor_referencial"] = valor
        else:
            item["valor_unitario"] = valor
        item.update(extra)
        result.append(item)
    return result


def documento(
    tipo: str, serie: str, numero: int, cliente: dict[str, Any], lineas: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    body = {
        "tipo": tipo,
        "serie": serie,
        "numero": numero,
        "moneda": "PEN",
        "cliente": cliente,
        "items": lineas,
    }
    body.update(extra)
    return body


def nota(
    tipo: str,
    afectado: dict[str, Any],
    numero: int,
    motivo: str,
    descripcion: str,
    lineas: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body = documento(
        tipo,
        afectado["serie"],
        numero,
        afectado["cliente"],
        lineas or afectado["items"],
        moneda=afectado.get("moneda", "PEN"),
        documento_afectado={
            "tipo": afectado["tipo"],
            "serie": afectado["serie"],
            "numero": afectado["numero"],
        },
        motivo={"codigo": motivo, "descripcion": descripcion},
    )
    body.update(extra)
    return body


MOTIVOS_NC = [
    ("01", "Anulación de la operación"),
    ("06", "Devolución total"),
    ("07", "Devolución por ítem"),
    ("09", "Disminución en el valor"),
]
MOTIVOS_ND = [("01", "Intereses por mora"), ("02", "Aumento en el valor"), ("03", "Penalidades")]


def grupo(
    numero_caso: int,
    codigo: int,
    serie: str,
    tipo: str,
    cliente: dict[str, Any],
    conteos: list[int],
    notas_de: list[int],
    afectaciones: list[str],
    **extra: Any,
) -> list[tuple[int, str, dict[str, Any]]]:
    """A homologation group: five documents, then credit and debit notes of some of them."""
    cases = []
    docs = []
    caso = numero_caso
    nombre = "Factura" if tipo == "01" else "Boleta"
    for index, conteo in enumerate(conteos, start=1):
        body = documento(tipo, serie, index, cliente, items(conteo, afectaciones, offset=index), **extra)
        docs.append(body)
        cases.append((caso, f"{nombre} {index} con {conteo} ítems", body))
        caso += 1
    for position, de in enumerate(notas_de):
        motivo, texto = MOTIVOS_NC[position % len(MOTIVOS_NC)]
        afectado = docs[de - 1]
        lineas = afectado["items"][:1] if motivo == "07" else None
        cases.append(
            (
                caso,
                f"Nota de crédito de {nombre.lower()} {de}",
                nota("07", afectado, 100 + position, motivo, texto, lineas),
            )
        )
        caso += 1
    for position, de in enumerate(notas_de):
        motivo, texto = MOTIVOS_ND[position % len(MOTIVOS_ND)]
        afectado = docs[de - 1]
        cargo = [
            {
                "descripcion": f"{texto} sobre {afectado['serie']}-{afectado['numero']}",
                "unidad": "ZZ",
                "cantidad": "1",
                "valor_unitario": "15.00",
                "afectacion_igv": afectado["items"][0]["afectacion_igv"]
                if afectado["items"][0]["afectacion_igv"] in {"10", "20", "30"}
                else "10",
            }
        ]
        cases.append(
            (
                caso,
                f"Nota de débito de {nombre.lower()} {de}",
                nota("08", afectado, 200 + position, motivo, texto, cargo),
            )
        )
        caso += 1
    del codigo
    return cases


def homologacion() -> list[tuple[int, str, str, dict[str, Any]]]:
    all_cases: list[tuple[int, str, str, dict[str, Any]]] = []

    def add(grupo_id: str, cases: list[tuple[int, str, dict[str, Any]]]) -> None:
        all_cases.extend((caso, grupo_id, descripcion, body) for caso, descripcion, body in cases)

    add("1-gravadas", grupo(1, 1, "FF11", "01", CLIENTE_RUC, [3, 2, 1, 5, 4], [2, 3, 4], ["10"]))
    add(
        "2-inafectas-exoneradas",
        grupo(12, 2, "FF12", "01", CLIENTE_RUC, [1, 4, 7, 5, 6], [1, 3, 5], ["20", "30"]),
    )
    add(
        "3-gratuitas",
        grupo(
            23,
            3,
            "FF13",
            "01",
            CLIENTE_RUC,
            [7, 2, 5, 4, 3],
            [2, 3],
            ["10", "11", "12", "13", "14", "15", "16", "21", "31", "32", "33", "34", "35", "36", "37"],
        ),
    )
    add(
        "4-descuento-global",
        grupo(
            32,
            4,
            "FF14",
            "01",
            CLIENTE_RUC,
            [2, 1, 4, 3, 5],
            [2, 3, 5],
            ["10"],
            descuentos_globales=[{"codigo": "02", "porcentaje": "5"}],
        ),
    )
    isc = [{**item, "isc": {"sistema": "01", "tasa": "30"}} for item in items(5, ["10"])]
    factura_isc = documento("01", "FF30", 1, CLIENTE_RUC, isc)
    add(
        "5-isc",
        [
            (43, "Factura 1 con 5 ítems con ISC", factura_isc),
            (
                44,
                "Nota de crédito de factura 1",
                nota("07", factura_isc, 100, "01", "Anulación de la operación"),
            ),
            (
                45,
                "Nota de débito de factura 1",
                nota("08", factura_isc, 200, "02", "Aumento en el valor", isc[:1]),
            ),
        ],
    )
    factura_percepcion = documento(
        "01", "FF40", 1, CLIENTE_RUC, items(5, ["10"]), tipo_operacion="2001", percepcion={"codigo": "51"}
    )
    add(
        "6-percepcion",
        [
            (46, "Factura 1 con 5 ítems sujeta a percepción", factura_percepcion),
            (
                47,
                "Nota de crédito de factura 1",
                nota("07", factura_percepcion, 100, "01", "Anulación de la operación", percepcion=None),
            ),
            (
                48,
                "Nota de débito de factura 1",
                nota(
                    "08",
                    factura_percepcion,
                    200,
                    "01",
                    "Intereses por mora",
                    items(1, ["10"]),
                    percepcion=None,
                ),
            ),
        ],
    )
    factura_usd = documento("01", "FF50", 1, CLIENTE_RUC, items(5, ["10"]), moneda="USD")
    add(
        "7-otra-moneda",
        [
            (49, "Factura 1 con 5 ítems en dólares", factura_usd),
            (50, "Nota de crédito de factura 1", nota("07", factura_usd, 100, "06", "Devolución total")),
            (
                51,
                "Nota de débito de factura 1",
                nota("08", factura_usd, 200, "01", "Intereses por mora", items(1, ["10"])),
            ),
        ],
    )
    add("8-boletas-gravadas", grupo(52, 8, "BB11", "03", CLIENTE_DNI, [4, 7, 5, 3, 2], [2, 3, 4], ["10"]))
    add(
        "9-boletas-inafectas-exoneradas",
        grupo(63, 9, "BB12", "03", CLIENTE_DNI, [2, 4, 7, 5, 1], [1, 4, 5], ["20", "30"]),
    )
    add(
        "10-boletas-gratuitas",
        grupo(74, 10, "BB13", "03", CLIENTE_DNI, [7, 2, 5, 4, 9], [1, 2, 4], ["10", "21", "31", "13", "37"]),
    )
    add(
        "11-boletas-descuento-global",
        grupo(
            85,
            11,
            "BB14",
            "03",
            CLIENTE_DNI,
            [10, 7, 6, 9, 4],
            [1, 2, 4],
            ["10"],
            descuentos_globales=[{"codigo": "02", "monto": "3.50"}],
        ),
    )
    boleta_usd = documento("03", "BB50", 1, CLIENTE_ANONIMO, items(3, ["10"]), moneda="USD")
    add(
        "12-boletas-otra-moneda",
        [
            (96, "Boleta 1 con 3 ítems en dólares", boleta_usd),
            (97, "Nota de crédito de boleta 1", nota("07", boleta_usd, 100, "01", "Anulación")),
            (
                98,
                "Nota de débito de boleta 1",
                nota("08", boleta_usd, 200, "03", "Penalidades", items(1, ["10"])),
            ),
        ],
    )
    return all_cases


def pesca(
    descripcion: str, toneladas: str, valor: str, matricula: str, embarcacion: str, especie: str
) -> dict[str, Any]:
    """A line of operation 1002: the catch sold, with its vessel and landing (3001–3006)."""
    return {
        "descripcion": descripcion,
        "unidad": "TNE",
        "cantidad": toneladas,
        "valor_unitario": valor,
        "recursos_hidrobiologicos": {
            "matricula_embarcacion": matricula,
            "nombre_embarcacion": embarcacion,
            "especie": especie,
            "lugar_descarga": "Muelle fiscal de Chimbote",
            "fecha_descarga": "2026-01-15",
            "cantidad_especie": toneladas,
        },
    }


def carga(
    descripcion: str,
    valor: str,
    origen: tuple[str, str],
    destino: tuple[str, str],
    referenciales: tuple[str, str, str],
    vehiculo: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A line of operation 1004: a freight service with its trip and referential values."""
    return {
        "descripcion": descripcion,
        "unidad": "ZZ",
        "cantidad": "1",
        "valor_unitario": valor,
        "transporte_carga": {
            "origen": {"ubigeo": origen[0], "direccion": origen[1]},
            "destino": {"ubigeo": destino[0], "direccion": destino[1]},
            "detalle_viaje": descripcion,
            "valor_referencial_servicio": referenciales[0],
            "valor_referencial_carga_efectiva": referenciales[1],
            "valor_referencial_carga_util": referenciales[2],
            **(vehiculo or {}),
        },
    }


def rutas() -> list[tuple[str, str, dict[str, Any]]]:
    """One case per computation path beyond the homologation groups."""
    f = "FT01"
    credito = {
        "tipo": "Credito",
        "cuotas": [
            {"monto": "100.00", "fecha_pago": "2099-01-31"},
            {"monto": "136.00", "fecha_pago": "2099-02-28"},
        ],
    }
    venta = documento("01", "FT02", 1, CLIENTE_RUC, items(2, ["10"]))
    venta_credito = documento(
        "01",
        "F214",
        1,
        CLIENTE_RUC,
        [{"descripcion": "Equipo de cómputo", "unidad": "NIU", "cantidad": "1", "valor_unitario": "1000"}],
        forma_pago={
            "tipo": "Credito",
            "cuotas": [
                {"monto": "590.00", "fecha_pago": "2099-01-31"},
                {"monto": "590.00", "fecha_pago": "2099-02-28"},
            ],
        },
    )
    return [
        (
            "isc-monto-fijo",
            "ISC sistema 02 (monto fijo por unidad)",
            documento("01", f, 1, CLIENTE_RUC, [{**items(1)[0], "isc": {"sistema": "02", "tasa": "1.50"}}]),
        ),
        (
            "isc-precio-publico",
            "ISC sistema 03 (precio de venta al público)",
            documento(
                "01",
                f,
                2,
                CLIENTE_RUC,
                [{**items(1)[0], "isc": {"sistema": "03", "tasa": "20", "precio_sugerido": "9.90"}}],
            ),
        ),
        (
            "icbper",
            "Bolsas plásticas con ICBPER",
            documento("01", f, 3, CLIENTE_RUC, [*items(2), {**ICBPER, "cantidad": "3", "icbper": {}}]),
        ),
        (
            "icbper-boleta",
            "Boleta con ICBPER",
            documento("03", "BT01", 1, CLIENTE_DNI, [{**ICBPER, "cantidad": "2", "icbper": {"cantidad": 2}}]),
        ),
        (
            "ivap",
            "Arroz pilado con IVAP (4 %)",
            documento(
                "01",
                f,
                4,
                CLIENTE_RUC,
                [
                    {
                        "descripcion": "Arroz pilado",
                        "unidad": "KGM",
                        "cantidad": "500",
                        "valor_unitario": "2.95",
                        "afectacion_igv": "17",
                    }
                ],
            ),
        ),
        (
            "exportacion-bienes",
            "Exportación de bienes (0200) en dólares",
            documento("01", f, 5, CLIENTE_EXTERIOR, items(3, ["40"]), moneda="USD", tipo_operacion="0200"),
        ),
        (
            "exportacion-servicios",
            "Exportación de servicios (0201)",
            documento(
                "01",
                f,
                6,
                CLIENTE_EXTERIOR,
                [
                    {
                        "descripcion": "Desarrollo de software",
                        "unidad": "ZZ",
                        "cantidad": "1",
                        "valor_unitario": "5000",
                        "afectacion_igv": "40",
                    }
                ],
                moneda="USD",
                tipo_operacion="0201",
            ),
        ),
        (
            "descuento-linea-base",
            "Descuento por ítem que afecta la base (00)",
            documento(
                "01",
                f,
                7,
                CLIENTE_RUC,
                [{**items(1)[0], "cantidad": "10", "descuento": {"porcentaje": "10"}}],
            ),
        ),
        (
            "descuento-linea-monto",
            "Descuento por ítem como monto",
            documento("01", f, 8, CLIENTE_RUC, [{**items(1, offset=3)[0], "descuento": "20.00"}]),
        ),
        (
            "descuento-linea-no-base",
            "Descuento por ítem que no afecta la base (01)",
            documento(
                "01",
                f,
                9,
                CLIENTE_RUC,
                [{**items(1, offset=3)[0], "descuento": {"codigo": "01", "monto": "5"}}],
            ),
        ),
        (
            "cargo-linea",
            "Cargos por ítem (47 y 48)",
            documento(
                "01",
                f,
                10,
                CLIENTE_RUC,
                [
                    {**items(1, offset=4)[0], "cargo": {"codigo": "47", "monto": "10"}},
                    {**items(1, offset=5)[0], "cargo": {"codigo": "48", "monto": "2"}},
                ],
            ),
        ),
        (
            "descuento-global-no-base",
            "Descuento global que no afecta la base (03)",
            documento(
                "01", f, 11, CLIENTE_RUC, items(3), descuentos_globales=[{"codigo": "03", "monto": "10.00"}]
            ),
        ),
        (
            "cargo-global-base",
            "Cargo global que afecta la base (49)",
            documento("01", f, 12, CLIENTE_RUC, items(3), cargos=[{"codigo": "49", "porcentaje": "2"}]),
        ),
        (
            "recargo-consumo",
            "Recargo al consumo (46)",
            documento(
                "01", f, 13, CLIENTE_RUC, items(2, offset=7), cargos=[{"codigo": "46", "porcentaje": "10"}]
            ),
        ),
        (
            "descuento-mixto",
            "Descuentos globales 02 y 03 en ventas mixtas",
            documento(
                "01",
                f,
                14,
                CLIENTE_RUC,
                items(4, ["10", "20", "30"]),
                descuentos_globales=[{"codigo": "02", "porcentaje": "3"}, {"codigo": "03", "monto": "1.00"}],
            ),
        ),
        (
            "mype",
            "Restaurante MYPE con IGV 10.5 %",
            documento("01", f, 15, CLIENTE_RUC, items(2, offset=7), porcentaje_igv="10.5"),
        ),
        (
            "credito-cuotas",
            "Venta al crédito en dos cuotas",
            documento(
                "01",
                f,
                16,
                CLIENTE_RUC,
                [
                    {
                        "descripcion": "Licencia anual",
                        "unidad": "NIU",
                        "cantidad": "1",
                        "valor_unitario": "200",
                        "afectacion_igv": "10",
                    }
                ],
                forma_pago=credito,
            ),
        ),
        (
            "gastos-deducibles",
            "Operación 0112 (gastos deducibles): alquiler de un inmueble a una persona natural",
            documento(
                "01",
                f,
                17,
                CLIENTE_DNI,
                [
                    {
                        "descripcion": "Alquiler de departamento, noviembre",
                        "unidad": "ZZ",
                        "cantidad": "1",
                        "valor_unitario": "1500",
                        "codigo_producto_sunat": "80131501",
                    }
                ],
                tipo_operacion="0112",
            ),
        ),
        (
            "solo-gratuitas",
            "Factura enteramente gratuita",
            documento("01", f, 18, CLIENTE_RUC, items(3, ["13", "31", "21"])),
        ),
        (
            "precio-con-igv",
            "Precios con IGV incluido",
            documento(
                "01",
                f,
                19,
                CLIENTE_RUC,
                [
                    {
                        "descripcion": "Menú del día",
                        "unidad": "NIU",
                        "cantidad": "3",
                        "precio_unitario": "15.90",
                        "afectacion_igv": "10",
                    }
                ],
            ),
        ),
        (
            "leyenda-adicional",
            "Leyenda 2001 (Amazonía)",
            documento(
                "01",
                f,
                20,
                CLIENTE_RUC,
                items(1, ["20"]),
                leyendas=[
                    {
                        "codigo": "2001",
                        "descripcion": "BIENES TRANSFERIDOS EN LA AMAZONÍA REGIÓN SELVA "
                        "PARA SER CONSUMIDOS EN LA MISMA",
                    }
                ],
            ),
        ),
        (
            "todas-gratuitas",
            "Cada afectación gratuita de catálogo 07, con una línea onerosa",
            documento(
                "01",
                f,
                21,
                CLIENTE_RUC,
                items(
                    15,
                    [
                        "10",
                        "11",
                        "12",
                        "13",
                        "14",
                        "15",
                        "16",
                        "21",
                        "31",
                        "32",
                        "33",
                        "34",
                        "35",
                        "36",
                        "37",
                    ],
                ),
            ),
        ),
        ("venta-para-notas", "Factura que modifican las notas siguientes", venta),
        (
            "detraccion-servicios",
            "Detracción 1001: demás servicios gravados (037), 12 %, al contado",
            documento(
                "01",
                "F201",
                1,
                CLIENTE_RUC,
                items(2, ["10"], offset=4),
                tipo_operacion="1001",
                detraccion={"codigo": "037", "porcentaje": "12", "cuenta": "00-099-025344"},
            ),
        ),
        (
            "detraccion-credito",
            "Detracción 1001 al crédito: las cuotas suman el total menos la detracción",
            documento(
                "01",
                "F201",
                2,
                CLIENTE_RUC,
                [
                    {
                        "descripcion": "Servicio de consultoría",
                        "unidad": "ZZ",
                        "cantidad": "1",
                        "valor_unitario": "1000",
                    }
                ],
                tipo_operacion="1001",
                detraccion={"codigo": "037", "porcentaje": "12", "cuenta": "00-099-025344"},
                forma_pago={
                    "tipo": "Credito",
                    "cuotas": [
                        {"monto": "519.20", "fecha_pago": "2099-01-31"},
                        {"monto": "519.20", "fecha_pago": "2099-02-28"},
                    ],
                },
            ),
        ),
        (
            "detraccion-usd",
            "Detracción 1001 en dólares: el monto de la detracción va en soles",
            documento(
                "01",
                "F201",
                3,
                CLIENTE_RUC,
                items(1, ["10"], offset=7),
                moneda="USD",
                tipo_operacion="1001",
                detraccion={"codigo": "037", "porcentaje": "12", "cuenta": "00-099-025344", "monto": "96.00"},
            ),
        ),
        (
            "detraccion-pasajeros",
            "Detracción 1003: transporte de pasajeros (028)",
            documento(
                "01",
                "F201",
                4,
                CLIENTE_RUC,
                [
                    {
                        "descripcion": "Pasaje Lima - Arequipa",
                        "unidad": "ZZ",
                        "cantidad": "10",
                        "valor_unitario": "80",
                    }
                ],
                tipo_operacion="1003",
                detraccion={
                    "codigo": "028",
                    "porcentaje": "10",
                    "cuenta": "00-099-025344",
                    "medio_pago": "003",
                },
            ),
        ),
        (
            "detraccion-boleta",
            "Boleta sujeta a detracción 1001",
            documento(
                "03",
                "B201",
                1,
                CLIENTE_DNI,
                [
                    {
                        "descripcion": "Servicio de reparación",
                        "unidad": "ZZ",
                        "cantidad": "1",
                        "valor_unitario": "800",
                    }
                ],
                tipo_operacion="1001",
                detraccion={"codigo": "020", "porcentaje": "12", "cuenta": "00-099-025344"},
            ),
        ),
        (
            "percepcion-combustible",
            "Percepción 52: adquisición de combustible (1 %)",
            documento(
                "01",
                "F202",
                1,
                CLIENTE_RUC,
                [
                    {
                        "descripcion": "Diésel B5",
                        "unidad": "GLL",
                        "cantidad": "120",
                        "precio_unitario": "16.90",
                    }
                ],
                tipo_operacion="2001",
                percepcion={"codigo": "52"},
            ),
        ),
        (
            "percepcion-usd",
            "Percepción 51 en una factura en dólares: base y monto en soles",
            documento(
                "01",
                "F202",
                2,
                CLIENTE_RUC,
                items(3, ["10"]),
                moneda="USD",
                tipo_operacion="2001",
                percepcion={"codigo": "51", "base": "2500.00"},
            ),
        ),
        (
            "percepcion-boleta",
            "Boleta sujeta a percepción 53 (0.5 %)",
            documento(
                "03",
                "B202",
                1,
                CLIENTE_DNI,
                items(2, ["10"], offset=2),
                tipo_operacion="2001",
                percepcion={"codigo": "53"},
            ),
        ),
        (
            "anticipo-factura",
            "Factura emitida por el anticipo (una venta de servicio como cualquier otra)",
            documento(
                "01",
                "F203",
                1,
                CLIENTE_RUC,
                [
                    {
                        "descripcion": "Anticipo por pedido 4471",
                        "unidad": "ZZ",
                        "cantidad": "1",
                        "precio_unitario": "354.00",
                    }
                ],
            ),
        ),
        (
            "anticipo-deduccion",
            "Factura final que deduce un anticipo gravado (04 y PrepaidPayment)",
            documento(
                "01",
                "F203",
                2,
                CLIENTE_RUC,
                items(4, ["10"], offset=3),
                anticipos=[{"tipo": "02", "serie": "F203", "numero": 1, "monto": "354.00"}],
            ),
        ),
        (
            "anticipo-dos",
            "Factura final con dos anticipos, gravado y exonerado",
            documento(
                "01",
                "F203",
                3,
                CLIENTE_RUC,
                items(4, ["10", "20"], offset=3),
                anticipos=[
                    {"tipo": "02", "serie": "F203", "numero": 1, "monto": "118.00"},
                    {"tipo": "02", "serie": "F203", "numero": 4, "monto": "50.00", "afectacion": "exonerado"},
                ],
            ),
        ),
        (
            "anticipo-total",
            "Factura final cubierta entera por el anticipo: importe 0.00",
            documento(
                "01",
                "F203",
                5,
                CLIENTE_RUC,
                [
                    {
                        "descripcion": "Pedido 4471",
                        "unidad": "NIU",
                        "cantidad": "1",
                        "precio_unitario": "354.00",
                    }
                ],
                anticipos=[{"tipo": "02", "serie": "F203", "numero": 1, "monto": "354.00"}],
            ),
        ),
        (
            "anticipo-boleta",
            "Boleta final que deduce un anticipo de boleta",
            documento(
                "03",
                "B203",
                2,
                CLIENTE_DNI,
                items(2, ["10"]),
                anticipos=[{"tipo": "03", "serie": "B203", "numero": 1, "monto": "10.00"}],
            ),
        ),
        (
            "otros-tributos",
            "Otros tributos (9999) sobre el valor de dos líneas",
            documento(
                "01",
                "F205",
                1,
                CLIENTE_RUC,
                [
                    {**linea, "otros_tributos": {"tasa": "10"}} if index < 2 else linea
                    for index, linea in enumerate(items(3, ["10"], offset=1))
                ],
            ),
        ),
        (
            "otros-tributos-boleta",
            "Boleta con otros tributos (9999) sobre una base propia",
            documento(
                "03",
                "B205",
                1,
                CLIENTE_DNI,
                [{**items(1, ["10"])[0], "otros_tributos": {"tasa": "5", "base": "10.00"}}],
            ),
        ),
        (
            "guias-relacionadas",
            "Factura con guías de remisión y otros documentos relacionados",
            documento(
                "01",
                "F204",
                1,
                CLIENTE_RUC,
                items(3, ["10"]),
                guias=[
                    {"tipo": "09", "serie": "T001", "numero": 15},
                    {"tipo": "31", "serie": "V001", "numero": 7},
                ],
                documentos_relacionados=[{"tipo": "99", "numero": "OC-2026-0042"}],
            ),
        ),
        (
            "nc-descuento-global",
            "Nota de crédito 04: descuento global",
            nota(
                "07",
                venta,
                101,
                "04",
                "Descuento global",
                [
                    {
                        "descripcion": "Descuento global",
                        "unidad": "ZZ",
                        "cantidad": "1",
                        "valor_unitario": "5.00",
                    }
                ],
            ),
        ),
        (
            "nc-correccion",
            "Nota de crédito 03: corrección de descripción",
            nota("07", venta, 102, "03", "Corrección de la descripción del ítem 1"),
        ),
        (
            "nd-otros",
            "Nota de débito 03 con dos cargos",
            nota("08", venta, 200, "03", "Penalidad por retraso", items(2, offset=4)),
        ),
        (
            "detraccion-hidrobiologicos",
            "Detracción 1002: recursos hidrobiológicos (004), embarcación y descarga en cada línea",
            documento(
                "01",
                "F211",
                1,
                CLIENTE_RUC,
                [
                    pesca("Anchoveta fresca", "120.5", "310.00", "CO-21467-PM", "DON LUCHO I", "Anchoveta"),
                    pesca("Jurel fresco", "8.25", "2150.00", "PL-10233-CM", "SANTA ROSA", "Jurel"),
                ],
                tipo_operacion="1002",
                detraccion={"codigo": "004", "porcentaje": "4", "cuenta": "00-099-025344"},
            ),
        ),
        (
            "detraccion-hidrobiologicos-credito",
            "Detracción 1002 al crédito: las cuotas suman el total menos la detracción",
            documento(
                "01",
                "F211",
                2,
                CLIENTE_RUC,
                [pesca("Pota congelada", "10", "1000.00", "CO-30110-PM", "MARIA AUXILIADORA", "Pota")],
                tipo_operacion="1002",
                detraccion={"codigo": "004", "porcentaje": "4", "cuenta": "00-099-025344"},
                forma_pago={
                    "tipo": "Credito",
                    "cuotas": [
                        {"monto": "5664.00", "fecha_pago": "2099-01-31"},
                        {"monto": "5664.00", "fecha_pago": "2099-02-28"},
                    ],
                },
            ),
        ),
        (
            "detraccion-hidrobiologicos-boleta",
            "Boleta sujeta a detracción 1002",
            documento(
                "03",
                "B211",
                1,
                CLIENTE_DNI,
                [pesca("Bonito fresco", "2.5", "1800.00", "PT-00871-BM", "EL CHAVELO", "Bonito")],
                tipo_operacion="1002",
                detraccion={"codigo": "004", "porcentaje": "4", "cuenta": "00-099-025344"},
            ),
        ),
        (
            "detraccion-carga",
            "Detracción 1004: transporte de carga (027), origen, destino y valores referenciales por línea",
            documento(
                "01",
                "F212",
                1,
                CLIENTE_RUC,
                [
                    carga(
                        "Flete Lima - Arequipa",
                        "4800.00",
                        ("150101", "Av. Argentina 1234, Cercado de Lima"),
                        ("040101", "Calle Mercaderes 100, Arequipa"),
                        ("4500.00", "4100.00", "4350.00"),
                        vehiculo={
                            "configuracion_vehicular": "T3S3",
                            "carga_util": "30.00",
                            "carga_efectiva": "27.50",
                        },
                    ),
                    carga(
                        "Flete Arequipa - Cusco",
                        "3200.00",
                        ("040101", "Calle Mercaderes 100, Arequipa"),
                        ("080101", "Av. de la Cultura 800, Cusco"),
                        ("3000.00", "2800.00", "2950.00"),
                    ),
                ],
                tipo_operacion="1004",
                detraccion={"codigo": "027", "porcentaje": "4", "cuenta": "00-099-025344"},
            ),
        ),
        (
            "detraccion-carga-usd",
            "Detracción 1004 en dólares: detracción y valores referenciales en soles",
            documento(
                "01",
                "F212",
                2,
                CLIENTE_RUC,
                [
                    carga(
                        "Flete Callao - Trujillo",
                        "1500.00",
                        ("070101", "Av. Néstor Gambetta 5500, Callao"),
                        ("130101", "Panamericana Norte km 560, Trujillo"),
                        ("5200.00", "5000.00", "5100.00"),
                    )
                ],
                moneda="USD",
                tipo_operacion="1004",
                detraccion={"codigo": "027", "porcentaje": "4", "cuenta": "00-099-025344", "monto": "266.00"},
            ),
        ),
        (
            "detraccion-carga-boleta",
            "Boleta sujeta a detracción 1004",
            documento(
                "03",
                "B212",
                1,
                CLIENTE_DNI,
                [
                    carga(
                        "Mudanza Lima - Huancayo",
                        "900.00",
                        ("150130", "Av. Javier Prado Este 2500, San Borja"),
                        ("120101", "Jr. Puno 300, Huancayo"),
                        ("950.00", "900.00", "920.00"),
                    )
                ],
                tipo_operacion="1004",
                detraccion={"codigo": "027", "porcentaje": "4", "cuenta": "00-099-025344"},
            ),
        ),
        (
            "venta-itinerante",
            "Venta itinerante: lugar de entrega (cac:Delivery) y leyenda 2005",
            documento(
                "01",
                "F213",
                1,
                CLIENTE_RUC,
                items(3, offset=2),
                venta_itinerante={
                    "direccion": "Feria de Gamarra, stand 12",
                    "ubigeo": "150115",
                    "urbanizacion": "Gamarra",
                    "provincia": "Lima",
                    "departamento": "Lima",
                    "distrito": "La Victoria",
                },
            ),
        ),
        (
            "venta-itinerante-boleta",
            "Boleta de venta itinerante con solo la dirección de entrega",
            documento(
                "03",
                "B213",
                1,
                CLIENTE_ANONIMO,
                items(2, offset=6),
                venta_itinerante={"direccion": "Plaza Constitución, Huancayo"},
            ),
        ),
        (
            "no-domiciliado",
            "Operación 0401: venta gravada a un no domiciliado que no califica como exportación",
            documento("01", "F215", 1, CLIENTE_EXTERIOR, items(2, offset=3), tipo_operacion="0401"),
        ),
        (
            "no-domiciliado-pasaporte-usd",
            "Operación 0401 en dólares, adquirente con pasaporte",
            documento(
                "01",
                "F215",
                2,
                {"tipo_documento": "7", "numero_documento": "AB1234567", "razon_social": "JOHN DOE"},
                items(1, offset=8),
                moneda="USD",
                tipo_operacion="0401",
            ),
        ),
        ("venta-credito-para-nc13", "Factura al crédito en dos cuotas que corrige la nota 13", venta_credito),
        (
            "nc-motivo-13",
            "Nota de crédito 13: nuevas fechas y montos de las cuotas, importe cero",
            nota(
                "07",
                venta_credito,
                103,
                "13",
                "Reprogramación de cuotas",
                [{**item, "valor_unitario": "0"} for item in venta_credito["items"]],
                forma_pago={
                    "tipo": "Credito",
                    "monto_pendiente": "1062.00",
                    "cuotas": [
                        {"monto": "354.00", "fecha_pago": "2099-03-31"},
                        {"monto": "354.00", "fecha_pago": "2099-04-30"},
                        {"monto": "354.00", "fecha_pago": "2099-05-31"},
                    ],
                },
            ),
        ),
        (
            "nc-motivo-13-sin-valores",
            "Nota de crédito 13 con líneas sin valor y el pendiente tomado de las cuotas",
            nota(
                "07",
                venta_credito,
                104,
                "13",
                "Corrección del monto pendiente",
                [
                    {
                        "descripcion": item["descripcion"],
                        "unidad": item["unidad"],
                        "cantidad": item["cantidad"],
                    }
                    for item in venta_credito["items"]
                ],
                forma_pago={"tipo": "Credito", "cuotas": [{"monto": "1000.00", "fecha_pago": "2099-06-30"}]},
            ),
        ),
        (
            "carta-porte-aereo",
            "Operación 0301: carta de porte aéreo nacional, origen y destino en cada línea",
            documento(
                "01",
                "F221",
                1,
                CLIENTE_RUC,
                [
                    porte_aereo(
                        "Flete aéreo Lima - Cusco, 120 kg",
                        "480.00",
                        ("150101", "Av. Elmer Faucett s/n, Callao"),
                        ("080101", "Aeropuerto Alejandro Velasco Astete, Cusco"),
                    ),
                    porte_aereo(
                        "Manipuleo de carga en origen",
                        "35.50",
                        ("150101", "Av. Elmer Faucett s/n, Callao"),
                        ("080101", "Aeropuerto Alejandro Velasco Astete, Cusco"),
                    ),
                ],
                tipo_operacion="0301",
            ),
        ),
        (
            "carta-porte-aereo-boleta",
            "Boleta de la operación 0301 a un adquirente con DNI",
            documento(
                "03",
                "B221",
                1,
                CLIENTE_DNI,
                [
                    porte_aereo(
                        "Envío aéreo de encomienda a Iquitos",
                        "95.00",
                        ("150101", "Jr. Ica 245, Lima"),
                        ("160101", "Av. José Abelardo Quiñones km 6, Iquitos"),
                    )
                ],
                tipo_operacion="0301",
            ),
        ),
        (
            "credito-empresas",
            "Operación 2100: intereses exonerados de un crédito a empresa y una comisión gravada",
            documento(
                "01",
                "F222",
                1,
                CLIENTE_RUC,
                [
                    {
                        "descripcion": "Intereses compensatorios cuota 3 de 12",
                        "unidad": "ZZ",
                        "cantidad": "1",
                        "afectacion_igv": "20",
                        "valor_unitario": "1250.40",
                        "credito": {
                            "numero_contrato": "CT-2025-000481",
                            "fecha_otorgamiento": "2025-10-15",
                            "monto_capital": "120000.00",
                        },
                    },
                    {
                        "descripcion": "Comisión por envío de estado de cuenta",
                        "unidad": "ZZ",
                        "cantidad": "1",
                        "afectacion_igv": "10",
                        "valor_unitario": "8.00",
                    },
                ],
                tipo_operacion="2100",
            ),
        ),
        (
            "credito-consumo-revolvente-boleta",
            "Operación 2101: boleta de intereses de una tarjeta de crédito",
            documento(
                "03",
                "B222",
                1,
                CLIENTE_DNI,
                [
                    credito_linea(
                        "Intereses del periodo, tarjeta 4557-XXXX", "86.35", "TC-99812", "2024-03-01", "5000"
                    )
                ],
                tipo_operacion="2101",
            ),
        ),
        (
            "credito-consumo-no-revolvente",
            "Operación 2102: factura de intereses de un préstamo personal, en dólares",
            documento(
                "01",
                "F222",
                2,
                CLIENTE_RUC,
                [credito_linea("Intereses cuota 7 de 24", "210.75", "PP-0045-2025", "2025-06-30", "8500.50")],
                moneda="USD",
                tipo_operacion="2102",
            ),
        ),
        (
            "financiera-no-gravada",
            "Operación 2103: otras operaciones no gravadas de una empresa del sistema financiero",
            documento(
                "01",
                "F223",
                1,
                CLIENTE_RUC,
                items(2, afectaciones=["20", "30"], offset=4),
                tipo_operacion="2103",
            ),
        ),
        (
            "seguros",
            "Operación 2104: prima de seguro de tipo 1 (póliza, vigencia, suma) y una línea de tipo 3",
            documento(
                "01",
                "F224",
                1,
                CLIENTE_RUC,
                [
                    {
                        "descripcion": "Prima seguro de vida ley, enero 2026",
                        "unidad": "ZZ",
                        "cantidad": "1",
                        "afectacion_igv": "30",
                        "valor_unitario": "640.00",
                        "seguro": {
                            "tipo_seguro": "1",
                            "numero_poliza": "VL-2026-00917",
                            "vigencia_inicio": "2026-01-01",
                            "vigencia_fin": "2026-12-31",
                            "suma_asegurada": "250000.00",
                        },
                    },
                    {
                        "descripcion": "Derecho de emisión de póliza",
                        "unidad": "ZZ",
                        "cantidad": "1",
                        "afectacion_igv": "30",
                        "valor_unitario": "15.00",
                        "seguro": {"tipo_seguro": "3", "numero_poliza": "VL-2026-00917"},
                    },
                ],
                tipo_operacion="2104",
            ),
        ),
        (
            "seguros-boleta",
            "Boleta de la operación 2104: seguro de tipo 2",
            documento(
                "03",
                "B224",
                1,
                CLIENTE_DNI,
                [
                    {
                        "descripcion": "Prima seguro de desgravamen, febrero 2026",
                        "unidad": "ZZ",
                        "cantidad": "1",
                        "afectacion_igv": "30",
                        "valor_unitario": "32.40",
                        "seguro": {
                            "tipo_seguro": "2",
                            "numero_poliza": "DG-88120",
                            "vigencia_inicio": "2026-02-01",
                            "vigencia_fin": "2026-02-28",
                            "suma_asegurada": "15000",
                        },
                    }
                ],
                tipo_operacion="2104",
            ),
        ),
        (
            "afp-boleta",
            "Operación 2105: boleta de una AFP con CUSPP, periodo e interés moratorio",
            documento(
                "03",
                "B225",
                1,
                CLIENTE_DNI,
                [
                    {
                        "descripcion": "Comisión por administración de fondos, aporte voluntario",
                        "unidad": "ZZ",
                        "cantidad": "1",
                        "afectacion_igv": "10",
                        "valor_unitario": "18.60",
                        "afp": {"cuspp": "582191JPQUI4", "periodo": "2026-01", "interes_moratorio": "1.35"},
                    }
                ],
                tipo_operacion="2105",
            ),
        ),
    ]


def porte_aereo(
    descripcion: str, valor: str, origen: tuple[str, str], destino: tuple[str, str]
) -> dict[str, Any]:
    """A line of operation 0301: an air waybill's service, with its origin and destination."""
    return {
        "descripcion": descripcion,
        "unidad": "ZZ",
        "cantidad": "1",
        "valor_unitario": valor,
        "carta_porte_aereo": {
            "origen": {"ubigeo": origen[0], "direccion": origen[1]},
            "destino": {"ubigeo": destino[0], "direccion": destino[1]},
        },
    }


def credito_linea(descripcion: str, valor: str, contrato: str, fecha: str, capital: str) -> dict[str, Any]:
    """A line of operations 2100–2102: exonerated interest with the credit's data (3241)."""
    return {
        "descripcion": descripcion,
        "unidad": "ZZ",
        "cantidad": "1",
        "afectacion_igv": "20",
        "valor_unitario": valor,
        "credito": {"numero_contrato": contrato, "fecha_otorgamiento": fecha, "monto_capital": capital},
    }


SFS_OBSERVA = {
    # The SFS sheet applies row 104's "1003 needs code 028" to every PaymentTerms, so
    # the FormaPago terms ("Contado") draw an INFO 3129; the workbook limits the row to
    # the terms whose ID is "Detraccion", and the document is not rejected.
    "detraccion-pasajeros": ["3129"],
    "detraccion-hidrobiologicos": ["3129"],
    # One INFO 3129 per FormaPago term: Credito and each cuota.
    "detraccion-hidrobiologicos-credito": ["3129", "3129", "3129"],
    "detraccion-carga": ["3129"],
    "detraccion-carga-usd": ["3129"],
}


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.json"):
        old.unlink()
    count = 0
    for caso, grupo_id, descripcion, body in homologacion():
        observaciones: list[str] = []
        path = OUT / f"h{caso:03d}.json"
        path.write_text(
            json.dumps(
                {
                    "caso": f"h{caso:03d}",
                    "orden": count,
                    "grupo": grupo_id,
                    "descripcion": descripcion,
                    "request": body,
                    "observaciones": observaciones,
                },
                ensure_ascii=False,
                indent=1,
            )
            + "\n",
            encoding="utf-8",
        )
        count += 1
    for nombre, descripcion, body in rutas():
        observaciones = (
            ["3249"] if body.get("forma_pago", {}).get("tipo") == "Credito" and body["tipo"] == "01" else []
        )
        observaciones += SFS_OBSERVA.get(nombre, [])
        case: dict[str, Any] = {
            "caso": f"r-{nombre}",
            "orden": count,
            "grupo": "rutas",
            "descripcion": descripcion,
            "request": body,
            "observaciones": observaciones,
        }
        if body.get("porcentaje_igv") == "10.5":
            # SUNAT's SFS sheet in ../shared predates the 2026 workbook, whose Control de
            # Cambios of 2026-02-09 moved the MYPE rate from 10 % to 10.5 %: the old sheet
            # still rejects 10.5 with 3462. Recorded here so that the test shows it.
            case["sfs_anterior_rechaza"] = "3462"
        (OUT / f"r-{nombre}.json").write_text(
            json.dumps(case, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
        count += 1
    print(f"{count} casos en {OUT}")


if __name__ == "__main__":
    main()
