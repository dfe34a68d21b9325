"""The customers' consultation in-process: a match shows the document and its files; a
mismatch of any datum, an unknown issuer or a document not yet issued all get one and
the same answer; brute force is limited; downloads need a grant from a match."""

from __future__ import annotations

import re
from html import unescape

import pytest
from portal_support import issue, page_csrf, replace_cookie, wait_state
from sqlalchemy import update

from openpse.core.timeutil import now_lima
from openpse.portal import consulta, web
from openpse.storage.tables import Comprobante
from tests_support import boleta, factura

HOY = now_lima().date()


@pytest.fixture
def emitidos(portal, issuer_auth, otra_auth, portal_runtime):
    """A factura of 1180.00 and a boleta of 118.00 accepted, a signed-only factura, and a
    factura F001-5 of another issuer (sent at once, then awaited: the workers overlap)."""
    big = factura(
        numero=5,
        items=[
            {
                "codigo": "P9",
                "descripcion": "Equipo",
                "unidad": "NIU",
                "cantidad": "1",
                "valor_unitario": "1000.00",
                "afectacion_igv": "10",
            }
        ],
    )
    docs = {
        "f5": issue(portal, issuer_auth, big),
        "b1": issue(portal, issuer_auth, boleta(numero=1)),
        "solo": issue(portal, issuer_auth, factura(numero=9), enviar="false"),
        "ajeno": issue(portal, otra_auth, factura(numero=5)),
    }
    for key in ("f5", "b1", "ajeno"):
        wait_state(portal_runtime, docs[key]["id"], "aceptado")
    assert docs["f5"]["totales"]["total"] == "1180.00"
    return docs


def _datos(**overrides: str) -> dict[str, str]:
    datos = {
        "ruc": "20000000001",
        "tipo": "01",
        "serie": "F001",
        "numero": "5",
        "fecha": HOY.isoformat(),
        "total": "1180.00",
    }
    datos.update(overrides)
    return datos


def _consultar(client, **overrides: str):
    token = page_csrf(client, "/consulta")
    return client.post("/consulta", data={"csrf": token, **_datos(**overrides)}, follow_redirects=False)


def _alert(html: str) -> str:
    match = re.search(r'<div class="alerta error" role="alert" id="mensaje">([^<]*)</div>', html)
    return unescape(match.group(1)) if match else ""


def test_form_has_a_label_for_every_field(portal):
    html = portal.get("/consulta").text
    for campo in ("ruc", "tipo", "serie", "numero", "fecha", "total"):
        assert re.search(rf'<label for="{campo}">[^<]+</label>', html), campo
        assert f'id="{campo}" name="{campo}"' in html
    assert '<option value="01">Factura</option>' in html
    assert '<option value="07">Nota de crédito</option>' in html
    assert '<option value="09">' not in html, "guías are not part of the consultation"


def test_a_matching_consultation_shows_the_document_and_its_files(portal, emitidos):
    response = _consultar(portal)
    doc_id = emitidos["f5"]["id"]
    assert response.status_code == 303
    assert response.headers["location"] == f"/consulta/{doc_id}"
    grant = response.headers["set-cookie"]
    assert grant.startswith(f"{web.GRANT_COOKIE}=")
    assert "Path=/consulta" in grant
    assert "HttpOnly" in grant
    page = portal.get(f"/consulta/{doc_id}")
    assert page.status_code == 200
    html = page.text
    assert "Factura electrónica F001-5" in html
    assert "EMPRESA DEMO S.A.C. · RUC 20000000001" in html
    assert "PEN 1,180.00" in html
    assert "Válido" in html
    assert page.headers["cache-control"] == "no-store"
    pdf = portal.get(f"/consulta/{doc_id}/pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF-")
    xml = portal.get(f"/consulta/{doc_id}/xml")
    assert xml.headers["content-disposition"] == 'attachment; filename="20000000001-01-F001-5.xml"'
    assert b"<ds:DigestValue>" in xml.content
    cdr = portal.get(f"/consulta/{doc_id}/cdr")
    assert b"ApplicationResponse" in cdr.content
    # What the issuer has in its portal only (the zip sent to SUNAT, the ticket format) is not offered.
    for archivo in ("cdr-zip", "ticket"):
        assert f"/consulta/{doc_id}/{archivo}" not in html
        assert portal.get(f"/consulta/{doc_id}/{archivo}").status_code == 404


@pytest.mark.parametrize(
    "override",
    [
        {"total": "1180.01"},
        {"total": "118.00"},
        {"fecha": "2020-01-01"},
        {"numero": "6"},
        {"serie": "F002"},
        {"tipo": "03"},
        {"ruc": "20131312955"},
        {"ruc": "20100070970"},
    ],
    ids=["total", "total-otro", "fecha", "numero", "serie", "tipo", "otra-empresa", "ruc-sin-empresa"],
)
def test_any_wrong_datum_gets_the_same_answer_and_reveals_nothing(portal, emitidos, override):
    baseline = _consultar(portal, ruc="20100070970")
    response = _consultar(portal, **override)
    assert response.status_code == 404
    assert _alert(response.text) == consulta.NOT_FOUND
    assert web.GRANT_COOKIE not in response.headers.get("set-cookie", "")
    for secret in ("EMPRESA DEMO", "OTRA EMPRESA", "1,180.00", "Válido", "20000000001-01-F001-5"):
        assert secret not in response.text

    # Apart from the echoed input, the answer is the page a non-existent issuer gets.
    def shape(html: str) -> str:
        html = re.sub(r'<option value="(\d+)" selected>', r'<option value="\1">', html)
        return re.sub(r'value="[^"]*"', 'value=""', html)

    assert shape(response.text) == shape(baseline.text)


def test_a_signed_only_document_is_not_found(portal, emitidos):
    response = _consultar(portal, numero="9", total="118.00")
    assert response.status_code == 404
    assert _alert(response.text) == consulta.NOT_FOUND


@pytest.mark.parametrize(
    "override",
    [
        {"total": "1180"},
        {"total": "1,180.00"},
        {"total": "S/ 1180.0"},
        {"fecha": f"{HOY:%d/%m/%Y}"},
        {"numero": "00000005"},
        {"serie": "f001"},
    ],
)
def test_data_as_printed_on_the_document_match(portal, emitidos, override):
    response = _consultar(portal, **override)
    assert response.status_code == 303, _alert(response.text)


@pytest.mark.parametrize(
    ("override", "campo", "mensaje"),
    [
        ({"ruc": "20000000002"}, "ruc", "Escriba los 11 dígitos del RUC del emisor."),
        ({"ruc": "2000000000"}, "ruc", "Escriba los 11 dígitos del RUC del emisor."),
        ({"tipo": "09"}, "tipo", "Elija el tipo de comprobante."),
        ({"serie": "F0011"}, "serie", "La serie tiene 4 caracteres"),
        ({"numero": "0"}, "numero", "Escriba el número sin la serie"),
        ({"numero": "F001-5"}, "numero", "Escriba el número sin la serie"),
        ({"fecha": "mañana"}, "fecha", "Escriba la fecha de emisión"),
        ({"total": "1.180,00"}, "total", "Escriba el importe total con punto decimal"),
        ({"total": ""}, "total", "Escriba el importe total con punto decimal"),
    ],
)
def test_malformed_data_is_a_form_error_that_queries_nothing(portal, override, campo, mensaje):
    response = _consultar(portal, **override)
    assert response.status_code == 400
    html = unescape(response.text)
    assert f'<p class="error-campo" id="{campo}-error">' in html
    assert mensaje in html
    assert 'aria-invalid="true"' in html
    assert '<h2 id="resumen-errores">Revise este dato</h2>' in html
    # A malformed query does not count against the address.
    state = web.state_of_app(portal.app)
    assert state.consulta_by_ip.retry_after("ip:testclient") == 0


def test_the_form_keeps_what_was_typed(portal):
    html = _consultar(portal, total="999.99", serie="f001").text
    assert 'value="999.99"' in html
    assert 'value="F001"' in html
    assert '<option value="01" selected>Factura</option>' in html


def test_consultation_needs_its_csrf_token(portal):
    portal.get("/consulta")
    response = portal.post("/consulta", data={"csrf": "x", **_datos()}, follow_redirects=False)
    assert response.status_code == 403
    assert web.GRANT_COOKIE not in response.headers.get("set-cookie", "")


def test_brute_force_from_one_address_is_limited(portal, emitidos):
    for numero in range(100, 110):
        assert _consultar(portal, numero=str(numero)).status_code == 404
    blocked = _consultar(portal)
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["retry-after"]) <= 15 * 60
    assert "Demasiadas consultas sin resultado. Espere 15 minutos" in unescape(blocked.text)
    assert web.GRANT_COOKIE not in blocked.headers.get("set-cookie", "")


def test_guessing_one_document_from_many_addresses_is_limited(portal, emitidos, monkeypatch):
    addresses = iter(f"10.0.0.{n}" for n in range(1, 100))
    monkeypatch.setattr(consulta, "client_ip", lambda _request: next(addresses))
    for total in range(10):
        assert _consultar(portal, total=f"{total}.50").status_code == 404
    assert _consultar(portal).status_code == 429
    # Another document of the same issuer is not locked by it.
    assert _consultar(portal, tipo="03", serie="B001", numero="1", total="118.00").status_code == 303


def test_matches_do_not_count_as_failures(portal, emitidos):
    for _ in range(12):
        assert _consultar(portal).status_code == 303


def test_without_a_grant_the_document_is_not_shown(portal, emitidos):
    doc_id = emitidos["f5"]["id"]
    for path in (f"/consulta/{doc_id}", f"/consulta/{doc_id}/pdf", f"/consulta/{doc_id}/xml"):
        response = portal.get(path)
        assert response.status_code == 404
        assert "Consulta vencida o no válida" in response.text
        assert b"%PDF" not in response.content
    # A grant for one document opens that one only.
    assert _consultar(portal, tipo="03", serie="B001", numero="1", total="118.00").status_code == 303
    assert portal.get(f"/consulta/{emitidos['b1']['id']}").status_code == 200
    assert portal.get(f"/consulta/{doc_id}").status_code == 404
    assert portal.get(f"/consulta/{emitidos['ajeno']['id']}/xml").status_code == 404


def test_a_forged_or_expired_grant_opens_nothing(portal, emitidos, monkeypatch):
    doc_id = emitidos["f5"]["id"]
    forged = web.Signer(b"k" * 32).sign("consulta", {"d": [[doc_id, 9_999_999_999]]})
    replace_cookie(portal, web.GRANT_COOKIE, forged, "/consulta")
    assert portal.get(f"/consulta/{doc_id}").status_code == 404
    # A session cookie, validly signed for its own purpose, is no grant.
    signer = web.state_of_app(portal.app).signer
    replace_cookie(
        portal, web.GRANT_COOKIE, signer.sign("sesion", {"d": [[doc_id, 9_999_999_999]]}), "/consulta"
    )
    assert portal.get(f"/consulta/{doc_id}").status_code == 404
    assert _consultar(portal).status_code == 303
    assert portal.get(f"/consulta/{doc_id}").status_code == 200
    real = consulta.time.time()
    monkeypatch.setattr(consulta.time, "time", lambda: real + consulta.GRANT_TTL + 1)
    assert portal.get(f"/consulta/{doc_id}").status_code == 404


def test_a_browser_holds_the_latest_grants_only(portal, emitidos, monkeypatch):
    monkeypatch.setattr(consulta, "GRANT_MAX_DOCS", 1)
    assert _consultar(portal).status_code == 303
    assert _consultar(portal, tipo="03", serie="B001", numero="1", total="118.00").status_code == 303
    assert portal.get(f"/consulta/{emitidos['b1']['id']}").status_code == 200
    assert portal.get(f"/consulta/{emitidos['f5']['id']}").status_code == 404


def test_an_annulled_document_says_so(portal, emitidos, portal_runtime):
    with portal_runtime.db.session() as session:
        session.execute(
            update(Comprobante).where(Comprobante.id == emitidos["f5"]["id"]).values(estado="anulado")
        )
    assert _consultar(portal).status_code == 303
    html = portal.get(f"/consulta/{emitidos['f5']['id']}").text
    assert "El emisor anuló este comprobante ante la autoridad tributaria." in html
    assert "Válido" not in html


def test_consultation_pages_send_the_security_headers(portal):
    form = portal.get("/consulta")
    assert form.headers["content-security-policy"].startswith("default-src 'none'")
    assert form.headers["referrer-policy"] == "same-origin"
    assert form.headers["x-frame-options"] == "DENY"
    assert form.headers["cache-control"] == "no-store"
