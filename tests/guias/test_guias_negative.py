"""Negative corpus: guías SUNAT rejects, each refused by our rules with SUNAT's code, and the
same guía, built with our rules switched off, refused by SUNAT's own GRE sheet with that code.

One mistake per case, one code: our rules must name only that mistake, and the sheet
(which stops at the first error) must stop at it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from guias_cases import (
    AREQUIPA,
    CALLAO,
    CLIENTE,
    EMPRESA,
    EMPRESA_NOMBRE,
    LIMA,
    MIRAFLORES,
    TRANSPORTES,
    TRANSPORTES_NOMBRE,
    TRUJILLO,
    bien,
    conductor,
    empresa,
    persona,
    remitente,
    transportista,
)
from guias_oracles import run_sheet
from guias_support import EMISORES

from openpse.authorities.sunat import codes
from openpse.authorities.sunat.guias import build_despatch, check_guia, parse_guia, prepare_guia
from openpse.authorities.sunat.naming import DocumentName
from openpse.core.errors import ValidationFailed
from openpse.core.timeutil import now_lima
from openpse.signing.certificates import Certificate
from openpse.signing.xmldsig import sign_canonical

pytest_plugins = ["guias_fixtures"]
pytestmark = pytest.mark.conformance

AYER = (now_lima().date() - dt.timedelta(days=1)).isoformat()
PUBLICO = {
    "modalidad_traslado": "01",
    "vehiculos": [],
    "conductores": [],
    "transportista": {"ruc": TRANSPORTES, "razon_social": TRANSPORTES_NOMBRE, "registro_mtc": "15M22004567"},
}
EXPORTADOR = {"tipo_documento": "0", "numero_documento": "US45129874", "razon_social": "ANDEAN IMPORTS LLC"}

CASES: list[tuple[str, dict[str, Any], str]] = [
    # Identity of the guía and of its parties.
    ("remitente-con-serie-de-factura", remitente(serie="F001"), "1001"),
    ("transportista-con-serie-de-remitente", transportista(serie="T001"), "1001"),
    ("motivo-fuera-del-catalogo-20", remitente(motivo_traslado="99"), "3405"),
    (
        "traslado-interno-a-otro-ruc",
        remitente(
            motivo_traslado="04",
            documentos_relacionados=[],
            partida={**LIMA, "codigo_establecimiento": "0000"},
            llegada={**TRUJILLO, "codigo_establecimiento": "0002"},
        ),
        "2554",
    ),
    ("venta-a-si-mismo", remitente(destinatario=empresa()), "2555"),
    (
        "devolucion-a-una-persona",
        remitente(motivo_traslado="06", destinatario=persona(), documentos_relacionados=[]),
        "3417",
    ),
    (
        "dni-del-destinatario-de-siete-digitos",
        remitente(
            motivo_traslado="18",
            destinatario={**persona(), "numero_documento": "4602789"},
            llegada=None,
            documentos_relacionados=[],
        ),
        "2758",
    ),
    # Modalidad, carrier, vehicles and drivers.
    ("publico-sin-transportista", remitente(**{**PUBLICO, "transportista": None}), "2558"),
    (
        "transportista-igual-al-remitente",
        remitente(
            **{
                **PUBLICO,
                "transportista": {"ruc": EMPRESA, "razon_social": EMPRESA_NOMBRE, "registro_mtc": "15M2"},
            }
        ),
        "2560",
    ),
    ("privado-con-datos-del-transportista", remitente(transportista=PUBLICO["transportista"]), "3347"),
    ("privado-sin-vehiculo", remitente(vehiculos=[]), "2566"),
    ("privado-sin-conductor", remitente(conductores=[]), "3357"),
    ("placa-con-guion", remitente(vehiculos=[{"placa": "ABC-123"}]), "2567"),
    ("licencia-de-cuatro-caracteres", remitente(conductores=[conductor(licencia="Q123")]), "2573"),
    (
        "conductor-identificado-con-ruc",
        remitente(conductores=[{**conductor(), "tipo_documento": "6", "numero_documento": CLIENTE}]),
        "2571",
    ),
    (
        "m1l-con-registro-del-transportista",
        remitente(
            **{**PUBLICO, "indicadores": {"vehiculo_m1_l": True, "vehiculo_conductores_transportista": True}}
        ),
        "3451",
    ),
    (
        "privado-con-registro-del-transportista",
        remitente(indicadores={"vehiculo_conductores_transportista": True}),
        "3450",
    ),
    ("inicio-del-traslado-antes-de-la-emision", remitente(fecha_inicio_traslado=AYER), "3343"),
    # Weight, places and motive data.
    ("peso-bruto-cero", remitente(peso_bruto_total="0"), "2523"),
    ("peso-bruto-con-cuatro-decimales", remitente(peso_bruto_total="10.1234"), "2523"),
    ("ubigeo-de-partida-inexistente", remitente(partida={**LIMA, "ubigeo": "159999"}), "3363"),
    ("ubigeo-de-llegada-inexistente", remitente(llegada={**MIRAFLORES, "ubigeo": "150199"}), "3368"),
    ("otros-sin-descripcion-del-motivo", remitente(motivo_traslado="13", documentos_relacionados=[]), "3457"),
    (
        "importacion-sin-dam-ni-ds",
        remitente(
            motivo_traslado="08",
            destinatario=empresa(),
            partida=CALLAO,
            documentos_relacionados=[],
            puerto={"tipo": "1", "codigo": "CLL"},
            numero_bultos=2,
            indicadores={"traslado_total_dam_ds": True},
            bienes=[bien(unidad="KG")],
        ),
        "3440",
    ),
    (
        "contenedor-repetido",
        remitente(
            motivo_traslado="09",
            destinatario=EXPORTADOR,
            partida=AREQUIPA,
            llegada=CALLAO,
            documentos_relacionados=[{"tipo": "50", "numero": "118-2026-40-000456"}],
            puerto={"tipo": "1", "codigo": "CLL"},
            contenedores=[
                {"numero": "MSCU1234565", "precinto": "PE1"},
                {"numero": "MSCU1234565", "precinto": "PE2"},
            ],
            indicadores={"traslado_total_dam_ds": True},
            bienes=[bien(unidad="U")],
        ),
        "3421",
    ),
    # Related documents.
    (
        "guia-transportista-relacionada-en-una-remitente",
        remitente(documentos_relacionados=[{"tipo": "31", "numero": "V001-1", "ruc_emisor": TRANSPORTES}]),
        "2692",
    ),
    (
        "mudanza-relacionada-en-una-remitente",
        remitente(documentos_relacionados=[{"tipo": "82", "numero": "DJ-1"}]),
        "2692",
    ),
    (
        "factura-con-serie-invalida",
        remitente(documentos_relacionados=[{"tipo": "01", "numero": "X001-1", "ruc_emisor": EMPRESA}]),
        "3441",
    ),
    # Goods.
    ("cantidad-cero", remitente(bienes=[bien(cantidad="0")]), "2580"),
    (
        "codigo-de-producto-fuera-del-catalogo-25",
        remitente(bienes=[bien(codigo_producto_sunat="12345678")]),
        "3373",
    ),
    (
        "bien-normalizado-sin-constancia-de-deposito",
        remitente(
            bienes=[
                bien(
                    bien_normalizado=True, codigo_producto_sunat="50161509", partida_arancelaria="1701140000"
                )
            ]
        ),
        "3379",
    ),
    # Guía transportista.
    (
        "transportista-se-declara-remitente",
        transportista(
            remitente={
                "tipo_documento": "6",
                "numero_documento": TRANSPORTES,
                "razon_social": TRANSPORTES_NOMBRE,
            },
            documentos_relacionados=[{"tipo": "09", "numero": "T001-1520", "ruc_emisor": TRANSPORTES}],
        ),
        "2560",
    ),
    ("transportista-sin-conductor", transportista(conductores=[]), "3357"),
    ("transportista-sin-vehiculo", transportista(vehiculos=[]), "2566"),
    (
        "transportista-con-dos-facturas",
        transportista(
            documentos_relacionados=[
                {"tipo": "01", "numero": "F001-1", "ruc_emisor": EMPRESA},
                {"tipo": "01", "numero": "F001-2", "ruc_emisor": EMPRESA},
            ],
            bienes=[bien()],
        ),
        "3346",
    ),
    ("anotacion-con-guia-remitente-electronica", transportista(anotacion="Segun guia T001-1520"), "3458"),
    ("transportista-sin-bienes-ni-documentos", transportista(documentos_relacionados=[]), "3435"),
    (
        "subcontratador-con-dni",
        transportista(subcontratador=persona(), pagador_flete="subcontratador"),
        "3391",
    ),
    ("transportista-inicia-antes-de-emitir", transportista(fecha_inicio_traslado=AYER), "3343"),
    (
        "guia-remitente-de-otro-emisor",
        transportista(documentos_relacionados=[{"tipo": "09", "numero": "T001-1520", "ruc_emisor": CLIENTE}]),
        "3381",
    ),
]
IDS = [name for name, _body, _code in CASES]


def test_every_code_of_the_negative_corpus_is_sunats() -> None:
    assert len(CASES) >= 10
    for _name, _body, code in CASES:
        assert codes.kind(code) in (codes.Kind.RECHAZO, codes.Kind.EXCEPCION)
        assert codes.message(code)


@pytest.mark.parametrize(("name", "body", "code"), CASES, ids=IDS)
def test_our_rules_refuse_with_sunats_code(
    name: str,
    body: dict[str, Any],
    code: str,
    gre_certificates: dict[str, Certificate],
) -> None:
    guia = parse_guia(body)
    emisor = EMISORES[guia.tipo]
    issues = check_guia(guia, emisor, now_lima().date())
    assert [issue.cod for issue in issues.issues] == [code], issues.issues
    assert issues.issues[0].mensaje.startswith(codes.message(code))
    assert issues.issues[0].campo

    with pytest.raises(ValidationFailed) as refused:
        prepare_guia(guia, 1, emisor, gre_certificates[emisor.ruc])
    assert refused.value.status == 422
    assert [issue.cod for issue in refused.value.issues] == [code]


@pytest.mark.parametrize(("name", "body", "code"), CASES, ids=IDS)
def test_sunats_sheet_refuses_the_same_guia_with_the_same_code(
    name: str,
    body: dict[str, Any],
    code: str,
    gre_certificates: dict[str, Certificate],
) -> None:
    guia = parse_guia(body)
    emisor = EMISORES[guia.tipo]
    now = now_lima()
    unchecked = build_despatch(guia, 1, emisor, now.date(), now.time())
    signed = sign_canonical(unchecked, gre_certificates[emisor.ruc])

    result = run_sheet(guia.tipo, signed.xml, DocumentName(emisor.ruc, guia.tipo, guia.serie, 1).xml)

    assert result.rejected
    assert result.error_codes == [code], result.messages
