"""Operations 0301 (carta de porte aéreo), 2100–2102 (credits), 2103 (other untaxed
operations of the financial system), 2104 (insurers) and 2105 (AFP): the line data each
requires, refused by the engine with SUNAT's code and, where SUNAT's SFS sheet checks the
same thing, rejected by the sheet with that code too (the XML is built by the engine and
the data removed on the way, the way SUNAT would receive it from a careless issuer).

The positive paths are corpus cases (r-carta-porte-aereo*, r-credito-*, r-financiera-*,
r-seguros*, r-afp-boleta): XSD, sheet and emulator.
"""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from sunat_oracles import SCHEMAS, run_sheet, xsd_errors
from test_sunat_conformance import empresa

from openpse.authorities.sunat import authority as module
from openpse.authorities.sunat.authority import SunatAuthority
from openpse.core.errors import ValidationFailed
from openpse.core.timeutil import now_lima
from tests_support import boleta, factura

pytestmark = pytest.mark.conformance
HOY = now_lima().date()
AEREO = {
    "origen": {"ubigeo": "150101", "direccion": "Av. Elmer Faucett s/n, Callao"},
    "destino": {"ubigeo": "080101", "direccion": "Aeropuerto de Cusco"},
}
CREDITO = {"numero_contrato": "CT-2025-0001", "fecha_otorgamiento": "2025-10-15", "monto_capital": "5000"}
SEGURO_1 = {
    "tipo_seguro": "1",
    "numero_poliza": "VL-1",
    "vigencia_inicio": "2026-01-01",
    "vigencia_fin": "2026-12-31",
    "suma_asegurada": "10000",
}
AFP = {"cuspp": "582191JPQUI4", "periodo": "2026-01", "interes_moratorio": "0"}


def linea(**extra: Any) -> dict[str, Any]:
    return {"descripcion": "Servicio", "unidad": "ZZ", "cantidad": "1", "valor_unitario": "100", **extra}


@pytest.fixture(scope="module")
def authority() -> SunatAuthority:
    return SunatAuthority(httpx2.Client(), "http://127.0.0.1:9")


def build(authority: SunatAuthority, certificate: Any, body: dict[str, Any]) -> Any:
    return authority.prepare(authority.parse(body), 1, empresa(certificate), HOY)


def refused(
    authority: SunatAuthority, certificate: Any, body: dict[str, Any]
) -> list[tuple[str, str | None]]:
    with pytest.raises(ValidationFailed) as info:
        build(authority, certificate, body)
    return [(issue.cod, issue.campo) for issue in info.value.issues]


def sheet_without(
    authority: SunatAuthority, certificate: Any, body: dict[str, Any], monkeypatch: Any, quitar: set[str]
) -> Any:
    """Build ``body`` (valid) but drop the catálogo 55 properties ``quitar`` from its lines,
    and run SUNAT's sheet on the result."""
    original = module._propiedades

    def sin(item: Any) -> Any:
        return tuple(p for p in original(item) if p.codigo not in quitar)

    monkeypatch.setattr(module, "_propiedades", sin)
    result = build(authority, certificate, body)
    assert xsd_errors(result.xml, SCHEMAS[body["tipo"]]) == []
    return run_sheet(body["tipo"], result.xml, result.xml_name)


@pytest.mark.parametrize(
    ("body", "quitar", "code", "campo"),
    [
        (
            factura(tipo_operacion="0301", items=[linea(carta_porte_aereo=AEREO)]),
            {"4030", "4031", "4032", "4033"},
            "3168",
            "items[0].carta_porte_aereo",
        ),
        (
            boleta(
                tipo_operacion="0301", items=[linea(carta_porte_aereo=AEREO), linea(carta_porte_aereo=AEREO)]
            ),
            {"4030", "4031", "4032", "4033"},
            "3168",
            "items[1].carta_porte_aereo",
        ),
        (
            factura(tipo_operacion="2100", items=[linea(afectacion_igv="20", credito=CREDITO)]),
            {"7004", "7005", "7012"},
            "3241",
            "items",
        ),
        (
            boleta(tipo_operacion="2102", items=[linea(afectacion_igv="20", credito=CREDITO)]),
            {"7012"},
            "3241",
            "items",
        ),
        (
            factura(tipo_operacion="2104", items=[linea(afectacion_igv="30", seguro=SEGURO_1)]),
            {"7013", "7014", "7015", "7016"},
            "3242",
            "items",
        ),
        (
            factura(tipo_operacion="2104", items=[linea(afectacion_igv="30", seguro=SEGURO_1)]),
            {"7013"},
            "2898",
            "items[0].seguro.numero_poliza",
        ),
        (
            boleta(
                tipo_operacion="2104",
                items=[linea(afectacion_igv="30", seguro={**SEGURO_1, "tipo_seguro": "2"})],
            ),
            {"7016"},
            "2898",
            "items[0].seguro.suma_asegurada",
        ),
        (
            factura(
                tipo_operacion="2104",
                items=[linea(afectacion_igv="30", seguro={"tipo_seguro": "3", "numero_poliza": "X-9"})],
            ),
            {"7013"},
            "2899",
            "items[0].seguro.numero_poliza",
        ),
    ],
)
def test_missing_line_data_engine_and_sheet_answer_the_same_code(
    authority, test_certificate, monkeypatch, body, quitar, code, campo
):
    sheet = sheet_without(authority, test_certificate, body, monkeypatch, quitar)
    assert sheet.rejected
    assert sheet.error_codes == [code], sheet.messages
    monkeypatch.undo()
    # The same request without the data: the engine refuses it before building.
    sin_datos = {**body, "items": [dict(item) for item in body["items"]]}
    for item in sin_datos["items"]:
        if code in ("3168", "3241", "3242"):
            for campo_datos in ("carta_porte_aereo", "credito", "seguro"):
                item.pop(campo_datos, None)
        else:
            seguro = dict(item["seguro"])
            seguro.pop(campo.rsplit(".", 1)[1])
            item["seguro"] = seguro
    assert (code, campo) in refused(authority, test_certificate, sin_datos)


def test_afp_data_is_required_by_the_engine_though_the_sheet_does_not_check_it(
    authority, test_certificate, monkeypatch
):
    """2595–2597 are ERRORs of the 2026 workbook (Boleta2_0 rows 132–134) that the SFS sheet
    does not implement: without them the sheet accepts, the engine refuses."""
    body = boleta(tipo_operacion="2105", items=[linea(afp=AFP)])
    sheet = sheet_without(authority, test_certificate, body, monkeypatch, {"7017", "7018", "7019"})
    assert not sheet.rejected, sheet.messages
    assert sheet.codes == [], sheet.messages
    monkeypatch.undo()
    assert refused(authority, test_certificate, boleta(tipo_operacion="2105")) == [("2595", "items")]


def test_afp_and_nrus_are_boleta_only(authority, test_certificate):
    assert refused(authority, test_certificate, factura(tipo_operacion="2105", items=[linea(afp=AFP)])) == [
        ("3206", "tipo_operacion")
    ]


def test_properties_are_written_with_sunat_shapes(authority, test_certificate):
    body = factura(
        tipo_operacion="2104",
        items=[linea(afectacion_igv="30", seguro=SEGURO_1)],
    )
    result = build(authority, test_certificate, body)
    xml = result.xml.decode()
    assert ">7014</cbc:NameCode>" in xml
    assert "<cbc:StartDate>2026-01-01</cbc:StartDate>" in xml
    assert "<cbc:EndDate>2026-12-31</cbc:EndDate>" in xml
    assert "<cbc:Value>10000.00</cbc:Value>" in xml
    afp = build(authority, test_certificate, boleta(tipo_operacion="2105", items=[linea(afp=AFP)]))
    assert "<cbc:ValueQuantity>0.00</cbc:ValueQuantity>" in afp.xml.decode()
    assert run_sheet("03", afp.xml, afp.xml_name).codes == []


def test_insurance_without_end_of_cover_is_observed_by_engine_and_sheet(authority, test_certificate):
    seguro = {"tipo_seguro": "3", "numero_poliza": "X-9", "vigencia_inicio": "2026-01-01"}
    result = build(
        authority,
        test_certificate,
        factura(tipo_operacion="2104", items=[linea(afectacion_igv="30", seguro=seguro)]),
    )
    assert [o["codigo"] for o in result.observaciones] == ["4366"]
    assert run_sheet("01", result.xml, result.xml_name).codes == ["4366"]


def test_unknown_ubigeo_of_air_waybill_is_observed_by_engine_and_sheet(authority, test_certificate):
    aereo = {**AEREO, "destino": {"ubigeo": "999999", "direccion": "Aeródromo desconocido"}}
    result = build(
        authority, test_certificate, factura(tipo_operacion="0301", items=[linea(carta_porte_aereo=aereo)])
    )
    assert [o["codigo"] for o in result.observaciones] == ["4280"]
    sheet = run_sheet("01", result.xml, result.xml_name)
    assert not sheet.rejected, sheet.messages
    assert sheet.codes == ["4280"], sheet.messages


@pytest.mark.parametrize(
    ("body", "campo"),
    [
        (factura(items=[linea(carta_porte_aereo=AEREO)]), "items[0].carta_porte_aereo"),
        (factura(tipo_operacion="2103", items=[linea(credito=CREDITO)]), "items[0].credito"),
        (factura(tipo_operacion="2100", items=[linea(credito=CREDITO, seguro=SEGURO_1)]), "items[0].seguro"),
        (boleta(items=[linea(afp=AFP)]), "items[0].afp"),
        (
            factura(tipo_operacion="2100", items=[linea(credito={**CREDITO, "monto_capital": "0"})]),
            "items[0].credito.monto_capital",
        ),
        (
            factura(tipo_operacion="2100", items=[linea(credito={**CREDITO, "monto_capital": "10.555"})]),
            "items[0].credito.monto_capital",
        ),
        (
            factura(
                tipo_operacion="2104",
                items=[linea(seguro={**SEGURO_1, "vigencia_inicio": "2027-01-01"})],
            ),
            "items[0].seguro.vigencia_fin",
        ),
        (
            boleta(tipo_operacion="2105", items=[linea(afp={**AFP, "interes_moratorio": "1.005"})]),
            "items[0].afp.interes_moratorio",
        ),
    ],
)
def test_data_out_of_place_or_malformed_is_refused(authority, test_certificate, body, campo):
    assert ("PSE-0002", campo) in refused(authority, test_certificate, body)


@pytest.mark.parametrize(
    ("body", "campo"),
    [
        (
            boleta(tipo_operacion="2105", items=[linea(afp={**AFP, "periodo": "2026-13"})]),
            "items[0].afp.periodo",
        ),
        (boleta(tipo_operacion="2105", items=[linea(afp={**AFP, "cuspp": "ABC-123"})]), "items[0].afp.cuspp"),
        (
            factura(tipo_operacion="2104", items=[linea(seguro={**SEGURO_1, "tipo_seguro": "4"})]),
            "items[0].seguro.tipo_seguro",
        ),
        (
            factura(tipo_operacion="2100", items=[linea(credito={**CREDITO, "numero_contrato": "AB"})]),
            "items[0].credito.numero_contrato",
        ),
    ],
)
def test_formats_sunat_observes_are_refused_at_parse(authority, body, campo):
    """Formats the sheet only observes (4280) are refused: the document would carry data
    SUNAT reads as wrong."""
    with pytest.raises(ValidationFailed) as info:
        authority.parse(body)
    assert [(issue.cod, issue.campo) for issue in info.value.issues] == [("PSE-0002", campo)]


@pytest.mark.parametrize("operacion", ["0113", "0302"])
def test_operations_not_built_yet_are_refused_with_pse_0020(authority, test_certificate, operacion):
    assert refused(authority, test_certificate, boleta(tipo_operacion=operacion)) == [
        ("PSE-0020", "tipo_operacion")
    ]


def test_credits_in_notes_are_refused(authority, test_certificate):
    nota = factura(
        tipo="07",
        tipo_operacion="0101",
        documento_afectado={"tipo": "01", "serie": "F001", "numero": 1},
        motivo={"codigo": "07", "descripcion": "Devolución"},
        items=[linea(credito=CREDITO)],
    )
    assert ("PSE-0002", "items[0].credito") in refused(authority, test_certificate, nota)
