"""Detracción 1002 and 1004, itinerant sales and credit notes of motivo 13: properties and
the engine's own refusals.

The property tests draw random documents along these paths and require what the corpus
requires of its fixed cases: XSD-valid, no ERROR from SUNAT's SFS sheet and only the
observations the sheet is known to emit on any such document (an INFO 3129 per FormaPago
term of a detracción, the 3249 its factura credit template raises on every credit sale).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import httpx2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from sunat_oracles import SCHEMAS, run_sheet, xsd_errors
from test_sunat_conformance import empresa

from openpse.authorities.sunat.authority import SunatAuthority
from openpse.core.errors import ValidationFailed
from openpse.core.timeutil import now_lima
from tests_support import boleta, factura

pytestmark = pytest.mark.conformance
HOY = now_lima().date()
NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
CARGA = {
    "origen": {"ubigeo": "150101", "direccion": "Av. Argentina 1234, Lima"},
    "destino": {"ubigeo": "040101", "direccion": "Calle Mercaderes 100, Arequipa"},
    "detalle_viaje": "Traslado Lima - Arequipa",
    "valor_referencial_servicio": "2500.00",
    "valor_referencial_carga_efectiva": "2000.00",
    "valor_referencial_carga_util": "2200.00",
}
PESCA = {
    "matricula_embarcacion": "CO-12345-PM",
    "nombre_embarcacion": "DOÑA ROSA",
    "especie": "Anchoveta",
    "lugar_descarga": "Muelle de Chimbote",
    "fecha_descarga": "2026-01-15",
    "cantidad_especie": "12.50",
}


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


amounts = st.decimals(min_value=Decimal("10"), max_value=Decimal("99999"), places=2)
tonnes = st.decimals(min_value=Decimal("0.5"), max_value=Decimal("9999"), places=2)
texts = st.text(alphabet="ABCDEFGHIJKLMNÑOPQRSTUVWXYZáéíóú0123456789 -.,", min_size=4, max_size=40).filter(
    lambda t: t.strip() == t and len(t) >= 4
)
ubigeos = st.sampled_from(["150101", "040101", "080101", "130101", "200101", "250101"])


@st.composite
def linea_carga(draw: st.DrawFn) -> dict[str, Any]:
    transporte: dict[str, Any] = {
        "origen": {"ubigeo": draw(ubigeos), "direccion": draw(texts)},
        "destino": {"ubigeo": draw(ubigeos), "direccion": draw(texts)},
        "detalle_viaje": draw(texts),
        "valor_referencial_servicio": str(draw(amounts)),
        "valor_referencial_carga_efectiva": str(draw(amounts)),
        "valor_referencial_carga_util": str(draw(amounts)),
    }
    if draw(st.booleans()):
        transporte["configuracion_vehicular"] = draw(st.sampled_from(["C2", "T3S3", "T2S2", "C3R2"]))
    for campo in ("carga_util", "carga_efectiva"):
        if draw(st.booleans()):
            transporte[campo] = str(draw(tonnes))
    return {
        "descripcion": draw(texts),
        "unidad": "ZZ",
        "cantidad": "1",
        "valor_unitario": str(draw(amounts)),
        "transporte_carga": transporte,
    }


@st.composite
def linea_pesca(draw: st.DrawFn) -> dict[str, Any]:
    cantidad = draw(tonnes)
    return {
        "descripcion": draw(texts),
        "unidad": "TNE",
        "cantidad": str(cantidad),
        "valor_unitario": str(draw(amounts)),
        "recursos_hidrobiologicos": {
            "matricula_embarcacion": draw(texts.map(lambda t: t[:15].strip()).filter(bool)),
            "nombre_embarcacion": draw(texts),
            "especie": draw(texts),
            "lugar_descarga": draw(texts),
            "fecha_descarga": str(HOY - dt.timedelta(days=draw(st.integers(0, 30)))),
            "cantidad_especie": str(cantidad),
        },
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.sampled_from(["1002", "1004"]),
    st.sampled_from(["01", "03"]),
    st.data(),
    st.booleans(),
)
def test_random_detracciones_1002_1004_pass_sunat_sheet(
    authority, test_certificate, operacion, tipo, data, usd
):
    lineas = data.draw(
        st.lists(linea_pesca() if operacion == "1002" else linea_carga(), min_size=1, max_size=6)
    )
    detraccion: dict[str, Any] = {
        "codigo": "004" if operacion == "1002" else "027",
        "porcentaje": "4",
        "cuenta": "00-099-025344",
    }
    extra: dict[str, Any] = {"moneda": "USD"} if usd else {}
    if usd:
        detraccion["monto"] = "100.00"
    body = (factura if tipo == "01" else boleta)(
        tipo_operacion=operacion, items=lineas, detraccion=detraccion, **extra
    )
    result = build(authority, test_certificate, body)
    assert xsd_errors(result.xml, SCHEMAS[tipo]) == []
    sheet = run_sheet(tipo, result.xml, result.xml_name)
    assert not sheet.rejected, sheet.messages
    assert set(sheet.codes) <= {"3129"}, sheet.messages
    root = etree.fromstring(result.xml)
    lines = root.findall("cac:InvoiceLine", NS)
    assert len(lines) == len(lineas)
    for line in lines:
        if operacion == "1002":
            codes = [e.text for e in line.findall("cac:Item/cac:AdditionalItemProperty/cbc:NameCode", NS)]
            assert codes == ["3001", "3002", "3003", "3004", "3005", "3006"]
        else:
            terms = line.findall("cac:Delivery/cac:DeliveryTerms", NS)
            assert [t.findtext("cbc:ID", namespaces=NS) for t in terms] == ["01", "02", "03"]
            assert {t.find("cbc:Amount", NS).get("currencyID") for t in terms} == {"PEN"}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(amounts, min_size=1, max_size=8),
    st.booleans(),
    st.integers(min_value=1, max_value=4),
    st.sampled_from(["PEN", "USD"]),
)
def test_random_motivo_13_notes_total_zero_and_pass_sunat_sheet(
    authority, test_certificate, montos, declara_pendiente, lineas, moneda
):
    cuotas = [
        {"monto": str(monto), "fecha_pago": str(HOY + dt.timedelta(days=30 * (i + 1)))}
        for i, monto in enumerate(montos)
    ]
    forma: dict[str, Any] = {"tipo": "Credito", "cuotas": cuotas}
    if declara_pendiente:
        forma["monto_pendiente"] = str(sum(montos))
    body = {
        **factura(),
        "tipo": "07",
        "moneda": moneda,
        "forma_pago": forma,
        "documento_afectado": {"tipo": "01", "serie": "F001", "numero": 7},
        "motivo": {"codigo": "13", "descripcion": "Reprogramación de cuotas"},
        "items": [{"descripcion": f"Producto {i}", "cantidad": str(i + 1)} for i in range(lineas)],
    }
    result = build(authority, test_certificate, body)
    assert result.total == "0.00"
    assert xsd_errors(result.xml, SCHEMAS["07"]) == []
    sheet = run_sheet("07", result.xml, result.xml_name)
    assert not sheet.rejected, sheet.messages
    assert sheet.codes == [], sheet.messages
    root = etree.fromstring(result.xml)
    terms = root.findall("cac:PaymentTerms", NS)
    assert [t.findtext("cbc:PaymentMeansID", namespaces=NS) for t in terms] == ["Credito"] + [
        f"Cuota{i:03d}" for i in range(1, len(montos) + 1)
    ]
    assert Decimal(terms[0].findtext("cbc:Amount", namespaces=NS)) == sum(montos)


def test_itinerant_sale_writes_the_delivery_place_and_legend_2005(authority, test_certificate):
    body = factura(
        venta_itinerante={
            "direccion": "Feria de Gamarra, stand 12",
            "ubigeo": "150115",
            "distrito": "La Victoria",
        }
    )
    result = build(authority, test_certificate, body)
    root = etree.fromstring(result.xml)
    address = root.find("cac:Delivery/cac:DeliveryLocation/cac:Address", NS)
    assert address.findtext("cbc:ID", namespaces=NS) == "150115"
    assert address.findtext("cac:AddressLine/cbc:Line", namespaces=NS) == "Feria de Gamarra, stand 12"
    assert root.find("cbc:Note[@languageLocaleID='2005']", NS) is not None
    sheet = run_sheet("01", result.xml, result.xml_name)
    assert not sheet.rejected, sheet.messages
    assert sheet.codes == [], sheet.messages


def test_without_legend_2005_sunat_observes_4266(authority, test_certificate, monkeypatch):
    """Why OpenPSE adds the legend: without it the sheet observes the itinerant sale (4266)."""
    from openpse.authorities.sunat import authority as module

    body = factura(venta_itinerante={"direccion": "Feria de Gamarra, stand 12"})
    original = module.ubl.Invoice

    def without_2005(**kwargs: Any) -> Any:
        kwargs["leyendas"] = [ley for ley in kwargs["leyendas"] if ley[0] != "2005"]
        return original(**kwargs)

    monkeypatch.setattr(module.ubl, "Invoice", without_2005)
    result = build(authority, test_certificate, body)
    assert run_sheet("01", result.xml, result.xml_name).codes == ["4266"]


@pytest.mark.parametrize(
    ("body", "campo"),
    [
        # Data of one operation type in another: refused rather than dropped.
        (
            factura(
                items=[
                    {"descripcion": "X", "cantidad": "1", "valor_unitario": "10", "transporte_carga": CARGA}
                ]
            ),
            "items[0].transporte_carga",
        ),
        (
            factura(
                tipo_operacion="1001",
                detraccion={"codigo": "037", "porcentaje": "12", "cuenta": "1"},
                items=[
                    {
                        "descripcion": "X",
                        "cantidad": "1",
                        "valor_unitario": "10",
                        "recursos_hidrobiologicos": PESCA,
                    }
                ],
            ),
            "items[0].recursos_hidrobiologicos",
        ),
        # An export is not an itinerant sale (in 0201/0208 SUNAT reads the address as the
        # country where the service is used, 3098/3099).
        (
            factura(
                tipo_operacion="0200",
                moneda="USD",
                cliente={"tipo_documento": "0", "numero_documento": "X-1", "razon_social": "ACME LLC"},
                items=[{"descripcion": "X", "cantidad": "1", "valor_unitario": "10", "afectacion_igv": "40"}],
                venta_itinerante={"direccion": "Feria de Gamarra"},
            ),
            "venta_itinerante",
        ),
        (
            factura(
                venta_itinerante={"direccion": "Feria de Gamarra"},
                leyendas=[{"codigo": "2005", "descripcion": "Venta itinerante"}],
            ),
            "leyendas[0].codigo",
        ),
        (
            factura(
                tipo_operacion="1002",
                detraccion={"codigo": "004", "porcentaje": "4", "cuenta": "1"},
                items=[
                    {
                        "descripcion": "X",
                        "cantidad": "1",
                        "valor_unitario": "10",
                        "recursos_hidrobiologicos": {**PESCA, "cantidad_especie": "1.555"},
                    }
                ],
            ),
            "items[0].recursos_hidrobiologicos.cantidad_especie",
        ),
        (
            {
                **factura(),
                "tipo": "07",
                "forma_pago": {"tipo": "Credito", "cuotas": [{"monto": "10", "fecha_pago": "2099-01-01"}]},
                "documento_afectado": {"tipo": "01", "serie": "F001", "numero": 1},
                "motivo": {"codigo": "13", "descripcion": "Cuotas"},
                "items": [
                    {"descripcion": "X", "cantidad": "1", "afectacion_igv": "13", "valor_referencial": "5"}
                ],
            },
            "items[0].afectacion_igv",
        ),
    ],
)
def test_engine_refuses_what_it_cannot_write_faithfully(authority, test_certificate, body, campo):
    assert ("PSE-0002", campo) in refused(authority, test_certificate, body)


def test_itinerant_sale_is_refused_in_notes(authority, test_certificate):
    body = {
        **factura(),
        "tipo": "08",
        "forma_pago": None,
        "documento_afectado": {"tipo": "01", "serie": "F001", "numero": 1},
        "motivo": {"codigo": "02", "descripcion": "Aumento"},
        "venta_itinerante": {"direccion": "Feria de Gamarra"},
    }
    assert ("PSE-0002", "venta_itinerante") in refused(authority, test_certificate, body)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (factura(venta_itinerante={"direccion": "Feria de Gamarra", "ubigeo": "999999"}), "4231"),
        (
            factura(
                tipo_operacion="1004",
                detraccion={"codigo": "027", "porcentaje": "4", "cuenta": "1"},
                items=[
                    {
                        "descripcion": "Flete",
                        "cantidad": "1",
                        "valor_unitario": "100",
                        "transporte_carga": {
                            **CARGA,
                            "destino": {"ubigeo": "999999", "direccion": "Calle 1"},
                        },
                    }
                ],
            ),
            "4200",
        ),
    ],
)
def test_unknown_ubigeo_is_observed_by_engine_and_sheet(authority, test_certificate, body, code):
    """SUNAT accepts an ubigeo outside catálogo 13 with an observation; so does the engine."""
    result = build(authority, test_certificate, body)
    assert [o["codigo"] for o in result.observaciones] == [code]
    sheet = run_sheet("01", result.xml, result.xml_name)
    assert not sheet.rejected, sheet.messages
    assert code in sheet.codes, sheet.messages


odd_amounts = st.sampled_from(["0", "-1", "0.001", "1.555", "999999999999.99", "1e14", "12.5", "3"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data(), st.sampled_from(["1002", "1004", "nc13"]))
def test_odd_amounts_are_answered_with_codes_never_a_crash(authority, test_certificate, data, ruta):
    """Whatever the amounts, the answer is a built document or a ValidationFailed with codes."""
    if ruta == "1002":
        pesca = {**PESCA, "cantidad_especie": data.draw(odd_amounts)}
        body = factura(
            tipo_operacion="1002",
            detraccion={"codigo": "004", "porcentaje": "4", "cuenta": "1"},
            items=[
                {
                    "descripcion": "X",
                    "cantidad": "1",
                    "valor_unitario": "10",
                    "recursos_hidrobiologicos": pesca,
                }
            ],
        )
    elif ruta == "1004":
        campo = data.draw(
            st.sampled_from(
                [
                    "valor_referencial_servicio",
                    "valor_referencial_carga_efectiva",
                    "valor_referencial_carga_util",
                    "carga_util",
                    "carga_efectiva",
                ]
            )
        )
        body = factura(
            tipo_operacion="1004",
            detraccion={"codigo": "027", "porcentaje": "4", "cuenta": "1"},
            items=[
                {
                    "descripcion": "X",
                    "cantidad": "1",
                    "valor_unitario": "10",
                    "transporte_carga": {**CARGA, campo: data.draw(odd_amounts)},
                }
            ],
        )
    else:
        body = {
            **factura(),
            "tipo": "07",
            "forma_pago": {
                "tipo": "Credito",
                "monto_pendiente": data.draw(st.none() | odd_amounts),
                "cuotas": [{"monto": data.draw(odd_amounts), "fecha_pago": "2099-01-01"}],
            },
            "documento_afectado": {"tipo": "01", "serie": "F001", "numero": 1},
            "motivo": {"codigo": "13", "descripcion": "Cuotas"},
            "items": [
                {"descripcion": "X", "cantidad": "1", "valor_unitario": data.draw(st.none() | odd_amounts)}
            ],
        }
    try:
        result = build(authority, test_certificate, body)
    except ValidationFailed as exc:
        codes = [issue.cod for issue in exc.issues]
    else:
        codes = []
    if codes:
        assert all(codes), codes
        return
    tipo = body["tipo"]
    assert xsd_errors(result.xml, SCHEMAS[tipo]) == []
    assert not run_sheet(tipo, result.xml, result.xml_name).rejected
