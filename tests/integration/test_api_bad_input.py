"""Bad input: a clear 4xx in the API.md format, with SUNAT's code where one applies, and
nothing stored half-way."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from openpse.storage.tables import Comprobante
from tests_support import boleta, factura


def _stored(runtime) -> int:
    with runtime.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Comprobante)) or 0)


def _blob_files(runtime) -> int:
    return sum(1 for path in runtime.blobs.root.rglob("*") if path.is_file())


def _assert_error(response, status, code, campo=None):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"cod", "msg", "exc", "errors"}
    assert body["cod"] == str(status)
    assert body["exc"].startswith("req-")
    assert body["exc"] == response.headers["x-request-id"]
    codes = [e["codError"] for e in body["errors"]]
    assert code in codes, body
    if campo is not None:
        assert campo in [e["campo"] for e in body["errors"]], body
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    ("body", "code", "campo"),
    [
        (
            factura(
                cliente={
                    "tipo_documento": "6",
                    "numero_documento": "20100070971",
                    "razon_social": "CLIENTE SAC",
                }
            ),
            "1083",
            "cliente.numero_documento",
        ),
        (
            factura(
                cliente={
                    "tipo_documento": "6",
                    "numero_documento": "2010007097",
                    "razon_social": "CLIENTE SAC",
                }
            ),
            "2017",
            "cliente.numero_documento",
        ),
        (
            factura(cliente={"tipo_documento": "1", "numero_documento": "46027897", "razon_social": "JUAN"}),
            "2800",
            "cliente.tipo_documento",
        ),
        (
            factura(
                tipo_operacion="0112",
                cliente={"tipo_documento": "1", "numero_documento": "4602789", "razon_social": "JUAN"},
            ),
            "2801",
            "cliente.numero_documento",
        ),
        (
            factura(cliente={"tipo_documento": "Z", "numero_documento": "1", "razon_social": "JUAN"}),
            "2800",
            "cliente.tipo_documento",
        ),
        (
            boleta(cliente={"tipo_documento": "Z", "numero_documento": "1", "razon_social": "JUAN"}),
            "PSE-0002",
            "cliente.tipo_documento",
        ),
        (
            factura(
                items=[{"descripcion": "x", "cantidad": "1", "valor_unitario": "1", "afectacion_igv": "99"}]
            ),
            "2040",
            "items[0].afectacion_igv",
        ),
        (
            factura(items=[{"descripcion": "x", "cantidad": "1", "valor_unitario": "1", "unidad": "XXX"}]),
            "2936",
            "items[0].unidad",
        ),
        (
            factura(items=[{"descripcion": "x", "cantidad": "0", "valor_unitario": "1"}]),
            "2024",
            "items[0].cantidad",
        ),
        (
            factura(items=[{"descripcion": "x", "cantidad": "1", "valor_unitario": "0"}]),
            "2369",
            "items[0].valor_unitario",
        ),
        (factura(moneda="XYZ"), "3088", "moneda"),
        (factura(tipo_operacion="9999"), "3206", "tipo_operacion"),
        (factura(serie="B001"), "1001", "serie"),
        (factura(tipo="99"), "1003", "tipo"),
        (factura(fecha_emision="2020-01-01"), "2108", "fecha_emision"),
        (factura(fecha_emision="2099-01-01"), "2329", "fecha_emision"),
        (factura(forma_pago={"tipo": "Credito"}), "3249", "forma_pago.cuotas"),
        (
            factura(forma_pago={"tipo": "Credito", "cuotas": [{"monto": "100", "fecha_pago": "2099-01-01"}]}),
            "3319",
            "forma_pago.cuotas",
        ),
        (factura(totales={"total": "120.00"}), "3280", "totales.total"),
        (boleta(totales={"igv": "25.00"}), "4290", "totales.igv"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_rules_answer_with_sunat_codes(post_document, runtime, body, code, campo):
    _assert_error(post_document(body), 422, code, campo)
    assert _stored(runtime) == 0


def test_declared_totals_within_one_sol_are_accepted(post_document):
    assert post_document(factura(totales={"total": "118.90", "igv": "18.00"})).status_code == 202


def test_totals_error_shows_both_values(post_document):
    error = post_document(factura(totales={"total": "150.00"})).json()["errors"][0]["desError"]
    assert "declarado 150.00" in error
    assert "calculado 118.00" in error


def test_every_problem_is_reported_at_once(post_document):
    body = factura(
        moneda="XYZ", items=[{"descripcion": "x", "cantidad": "0", "valor_unitario": "1", "unidad": "XXX"}]
    )
    codes = {e["codError"] for e in post_document(body).json()["errors"]}
    assert {"3088", "2024", "2936"} <= codes


def test_malformed_json(api, auth, runtime):
    response = api.post(
        "/v1/comprobantes", content=b'{"tipo": "01",', headers={**auth, "Content-Type": "application/json"}
    )
    _assert_error(response, 400, "PSE-0001")
    _assert_error(
        api.post("/v1/comprobantes", content=b"[1]", headers={**auth, "Content-Type": "application/json"}),
        400,
        "PSE-0001",
    )
    assert _stored(runtime) == 0


@pytest.mark.parametrize(
    ("body", "campo"),
    [
        (
            factura(items=[{"descripcion": "x", "cantidad": "dos", "valor_unitario": "1"}]),
            "items[0].cantidad",
        ),
        (factura(numero="uno"), "numero"),
        (factura(cliente="20100070970"), "cliente"),
        (factura(items=[]), "items"),
        (factura(campo_desconocido=1), "campo_desconocido"),
        (factura(fecha_emision="21/11/2026"), "fecha_emision"),
        (factura(items=[{"descripcion": "x", "cantidad": "1"}]), "items[0].valor_unitario"),
    ],
)
def test_wrong_types_and_unknown_fields(post_document, runtime, body, campo):
    _assert_error(post_document(body), 422, "PSE-0002", campo)
    assert _stored(runtime) == 0


def test_wrong_media_type(api, auth):
    _assert_error(
        api.post("/v1/comprobantes", content=b"tipo=01", headers={**auth, "Content-Type": "text/plain"}),
        415,
        "PSE-0003",
    )
    _assert_error(api.post("/v1/comprobantes", content=b"{}", headers=auth), 415, "PSE-0003")


def test_oversized_body(api, auth, runtime):
    big = b'{"x": "' + b"a" * (runtime.settings.max_body_bytes + 10) + b'"}'
    _assert_error(
        api.post("/v1/comprobantes", content=big, headers={**auth, "Content-Type": "application/json"}),
        413,
        "PSE-0004",
    )
    assert _stored(runtime) == 0


@pytest.mark.parametrize(
    "xml",
    [
        b'<!DOCTYPE Invoice [<!ENTITY x SYSTEM "file:///etc/passwd">]><Invoice>&x;</Invoice>',
        b'<?xml version="1.0"?>\n<!DOCTYPE a [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><a>&b;</a>',
    ],
)
def test_xml_with_dtd_or_entities(api, auth, runtime, xml):
    before = _blob_files(runtime)
    _assert_error(
        api.post("/v1/comprobantes", content=xml, headers={**auth, "Content-Type": "application/xml"}),
        400,
        "PSE-0005",
    )
    assert _stored(runtime) == 0
    assert _blob_files(runtime) == before


def test_malformed_xml(api, auth):
    _assert_error(
        api.post(
            "/v1/comprobantes", content=b"<Invoice>", headers={**auth, "Content-Type": "application/xml"}
        ),
        400,
        "PSE-0006",
    )


def test_xml_of_another_company_is_refused(api, auth, post_document):
    xml = api.get(
        post_document(factura(numero=1), enviar="false").json()["enlaces"]["xml"], headers=auth
    ).content
    foreign = xml.replace(b">20000000001<", b">20100070970<")
    response = api.post(
        "/v1/comprobantes", content=foreign, headers={**auth, "Content-Type": "application/xml"}
    )
    assert response.status_code in (400, 422)


def test_bad_query_parameters(api, auth):
    _assert_error(
        api.post("/v1/comprobantes", json=factura(), headers=auth, params={"espera": 99}),
        422,
        "PSE-0002",
        "espera",
    )
    _assert_error(api.get("/v1/comprobantes", headers=auth, params={"estado": "inventado"}), 422, "PSE-0002")


def test_unknown_route_and_document(api, auth):
    _assert_error(api.get("/v1/comprobantes/20000000001-01-F001-999", headers=auth), 404, "PSE-0012")
    _assert_error(api.get("/v1/nada", headers=auth), 404, "PSE-0012")


def test_text_that_xml_cannot_hold(post_document, runtime):
    body = factura(items=[{"descripcion": "Producto\x01", "cantidad": "1", "valor_unitario": "10"}])
    _assert_error(post_document(body), 422, "PSE-0002", "items[0].descripcion")
    _assert_error(post_document(factura(observaciones="nota\x00")), 422, "PSE-0002", "observaciones")
    assert _stored(runtime) == 0


@pytest.mark.parametrize(
    ("item", "code", "campo"),
    [
        ({"cantidad": "1.12345678901", "valor_unitario": "1"}, "2025", "items[0].cantidad"),
        ({"cantidad": "1000000000000", "valor_unitario": "1"}, "2025", "items[0].cantidad"),
        ({"cantidad": "1", "valor_unitario": "0.00000000001"}, "2369", "items[0].valor_unitario"),
        ({"cantidad": "1e400", "valor_unitario": "1"}, "PSE-0002", "items[0].cantidad"),
        ({"cantidad": "NaN", "valor_unitario": "1"}, "PSE-0002", "items[0].cantidad"),
    ],
)
def test_number_formats(post_document, item, code, campo):
    _assert_error(post_document(factura(items=[{"descripcion": "x", **item}])), 422, code, campo)
