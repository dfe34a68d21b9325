"""The issuers' portal in-process: every page, every form error, sessions, CSRF and
tenant isolation, against the SUNAT emulator (documents really go through it)."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from portal_support import csrf_of, issue, page_csrf, replace_cookie, sign_in, wait_state
from sqlalchemy import select, update

from openpse.core.hashing import hash_secret
from openpse.core.timeutil import now_lima
from openpse.portal import routes, web
from openpse.storage.tables import Comprobante, Empresa, Usuario
from tests_support import boleta, factura

HOY = now_lima().date()


def _rows(html: str) -> list[str]:
    """The document ids listed in the table, in order."""
    return re.findall(r'<th scope="row"><a href="/portal/comprobantes/([^"]+)">', html)


def _text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


# -- signing in -----------------------------------------------------------------------------


def test_sign_in_page_has_labelled_fields_and_sets_a_csrf_cookie(portal):
    response = portal.get("/portal/ingresar")
    assert response.status_code == 200
    html = response.text
    assert '<html lang="es">' in html
    for field in ("usuario", "clave"):
        assert f'<label for="{field}">' in html
        assert f'id="{field}" name="{field}"' in html
    assert 'autocomplete="current-password"' in html
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{web.CSRF_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie, "plain http (tests) cannot carry Secure cookies"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert response.headers["x-frame-options"] == "DENY"


def test_pages_need_a_session_and_come_back_after_signing_in(portal, issuer_auth):
    doc = issue(portal, issuer_auth, factura(numero=1), espera=20)
    for path in (
        "/portal",
        f"/portal/comprobantes/{doc['id']}",
        f"/portal/comprobantes/{doc['id']}/archivos/xml",
    ):
        response = portal.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/portal/ingresar?siguiente=")
        assert b"<?xml" not in response.content
    target = f"/portal/comprobantes/{doc['id']}"
    login = portal.get(f"/portal/ingresar?siguiente={target}")
    assert f'name="siguiente" value="{target}"' in login.text
    response = portal.post(
        "/portal/ingresar",
        data={"usuario": "demo", "clave": "demo-secret", "csrf": csrf_of(login.text), "siguiente": target},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == target
    session_cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith(web.SESSION_COOKIE)
    )
    assert "HttpOnly" in session_cookie
    assert "SameSite=lax" in session_cookie
    assert "Path=/portal" in session_cookie
    assert portal.get(target).status_code == 200


@pytest.mark.parametrize(
    ("usuario", "clave"),
    [("demo", "clave-equivocada"), ("nadie", "demo-secret"), ("DEMO ", "demo-secret")],
)
def test_wrong_credentials_get_one_answer_and_no_session(portal, usuario, clave):
    token = page_csrf(portal, "/portal/ingresar")
    response = portal.post(
        "/portal/ingresar", data={"usuario": usuario, "clave": clave, "csrf": token}, follow_redirects=False
    )
    assert response.status_code == 401
    assert "Usuario o contraseña incorrectos." in response.text
    assert web.SESSION_COOKIE not in portal.cookies
    assert portal.get("/portal", follow_redirects=False).status_code == 303


def test_empty_fields_are_a_form_error(portal):
    token = page_csrf(portal, "/portal/ingresar")
    response = portal.post("/portal/ingresar", data={"usuario": " ", "clave": "", "csrf": token})
    assert response.status_code == 400
    assert "Escriba su usuario y su contraseña." in response.text


def test_sign_in_without_a_valid_csrf_token_is_refused(portal):
    portal.get("/portal/ingresar")
    for token in ("", "falso"):
        response = portal.post(
            "/portal/ingresar", data={"usuario": "demo", "clave": "demo-secret", "csrf": token}
        )
        assert response.status_code == 403
        assert web.SESSION_COOKIE not in portal.cookies
    # A token from another browser (another nonce cookie) does not fit this one's cookie.
    stolen = page_csrf(portal, "/portal/ingresar")
    portal.cookies.clear()
    portal.get("/portal/ingresar")
    response = portal.post(
        "/portal/ingresar", data={"usuario": "demo", "clave": "demo-secret", "csrf": stolen}
    )
    assert response.status_code == 403


def test_a_cross_origin_post_is_refused_even_with_a_token(portal):
    token = page_csrf(portal, "/portal/ingresar")
    response = portal.post(
        "/portal/ingresar",
        data={"usuario": "demo", "clave": "demo-secret", "csrf": token},
        headers={"Origin": "https://atacante.example"},
    )
    assert response.status_code == 403
    same = portal.post(
        "/portal/ingresar",
        data={"usuario": "demo", "clave": "demo-secret", "csrf": token},
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert same.status_code == 303


@pytest.mark.parametrize(
    "siguiente",
    [
        "https://atacante.example/",
        "//atacante.example",
        "/v1/empresas",
        "/portal/../v1/empresas",
        "/portal\\x",
    ],
)
def test_sign_in_never_redirects_outside_the_portal(portal, siguiente):
    token = page_csrf(portal, "/portal/ingresar")
    response = portal.post(
        "/portal/ingresar",
        data={"usuario": "demo", "clave": "demo-secret", "csrf": token, "siguiente": siguiente},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/portal"


def test_repeated_wrong_passwords_lock_the_user_name(portal):
    token = page_csrf(portal, "/portal/ingresar")
    for _ in range(5):
        wrong = portal.post("/portal/ingresar", data={"usuario": "demo", "clave": "no", "csrf": token})
        assert wrong.status_code == 401
    locked = portal.post(
        "/portal/ingresar",
        data={"usuario": "demo", "clave": "demo-secret", "csrf": token},
        follow_redirects=False,
    )
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 14 * 60
    assert "Demasiados intentos fallidos. Espere 15 minutos" in locked.text
    assert web.SESSION_COOKIE not in portal.cookies


def test_a_good_sign_in_clears_the_user_name_failures(portal):
    token = page_csrf(portal, "/portal/ingresar")
    for _ in range(4):
        portal.post("/portal/ingresar", data={"usuario": "demo", "clave": "no", "csrf": token})
    sign_in(portal)
    portal.cookies.delete(web.SESSION_COOKIE, path="/portal")
    token = page_csrf(portal, "/portal/ingresar")
    for _ in range(4):
        assert (
            portal.post(
                "/portal/ingresar", data={"usuario": "demo", "clave": "no", "csrf": token}
            ).status_code
            == 401
        )
    sign_in(portal)


# -- sessions -------------------------------------------------------------------------------


def test_logout_needs_the_token_and_ends_the_session_for_good(portal):
    sign_in(portal)
    stolen = portal.cookies.get(web.SESSION_COOKIE, path="/portal")
    assert portal.post("/portal/salir", data={"csrf": "falso"}).status_code == 403
    assert portal.get("/portal").status_code == 200
    token = page_csrf(portal, "/portal")
    response = portal.post("/portal/salir", data={"csrf": token}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/portal/ingresar?salida=1"
    assert web.SESSION_COOKIE not in portal.cookies
    assert "Cerró su sesión." in portal.get("/portal/ingresar?salida=1").text
    # A copy of the cookie taken before "Salir" is no longer a session.
    replace_cookie(portal, web.SESSION_COOKIE, stolen, "/portal")
    assert portal.get("/portal", follow_redirects=False).status_code == 303


def test_a_tampered_session_cookie_is_no_session(portal):
    sign_in(portal)
    value = portal.cookies.get(web.SESSION_COOKIE, path="/portal")
    body, mac = value.split(".")
    replace_cookie(portal, web.SESSION_COOKIE, body + "x." + mac, "/portal")
    assert portal.get("/portal", follow_redirects=False).status_code == 303
    # A consultation grant is signed for another purpose and is not a session either.
    signer = web.state_of_app(portal.app).signer
    replace_cookie(portal, web.SESSION_COOKIE, signer.sign("consulta", {"u": 1}), "/portal")
    assert portal.get("/portal", follow_redirects=False).status_code == 303


def test_idle_and_old_sessions_end(portal, monkeypatch):
    sign_in(portal)
    real = web.time.time()
    monkeypatch.setattr(web.time, "time", lambda: real + web.SESSION_IDLE - 30)
    assert portal.get("/portal").status_code == 200, "activity before the idle limit keeps it"
    # That request refreshed "last seen": another idle period is allowed from there.
    monkeypatch.setattr(web.time, "time", lambda: real + 2 * web.SESSION_IDLE - 90)
    assert portal.get("/portal").status_code == 200
    monkeypatch.setattr(web.time, "time", lambda: real + 3 * web.SESSION_IDLE)
    assert portal.get("/portal", follow_redirects=False).status_code == 303


def test_a_session_ends_after_its_maximum_age_even_when_active(portal, monkeypatch):
    sign_in(portal)
    real = web.time.time()
    step = web.SESSION_IDLE - 60
    elapsed = 0
    while elapsed + step < web.SESSION_MAX:
        elapsed += step
        monkeypatch.setattr(web.time, "time", lambda e=elapsed: real + e)
        assert portal.get("/portal").status_code == 200
    monkeypatch.setattr(web.time, "time", lambda: real + web.SESSION_MAX + 1)
    assert portal.get("/portal", follow_redirects=False).status_code == 303


def test_deactivating_the_user_or_changing_the_password_ends_the_session(portal, portal_runtime):
    sign_in(portal)
    with portal_runtime.db.session() as session:
        session.execute(update(Usuario).where(Usuario.username == "demo").values(activo=False))
    assert portal.get("/portal", follow_redirects=False).status_code == 303
    with portal_runtime.db.session() as session:
        session.execute(update(Usuario).where(Usuario.username == "demo").values(activo=True))
    sign_in(portal)
    with portal_runtime.db.session() as session:
        session.execute(
            update(Usuario).where(Usuario.username == "demo").values(password_hash=hash_secret("nueva-clave"))
        )
    assert portal.get("/portal", follow_redirects=False).status_code == 303
    sign_in(portal, clave="nueva-clave")


def test_a_deactivated_company_cannot_sign_in(portal, portal_runtime):
    with portal_runtime.db.session() as session:
        session.execute(update(Empresa).where(Empresa.identificacion == "20000000001").values(activo=False))
    token = page_csrf(portal, "/portal/ingresar")
    response = portal.post(
        "/portal/ingresar", data={"usuario": "demo", "clave": "demo-secret", "csrf": token}
    )
    assert response.status_code == 401


def test_cookies_are_secure_when_the_portal_is_served_over_https(portal, portal_runtime, monkeypatch):
    monkeypatch.setattr(portal_runtime.settings, "public_url", "https://pse.example.pe")
    response = portal.get("/portal/ingresar")
    assert "Secure" in response.headers["set-cookie"]


# -- listing --------------------------------------------------------------------------------


@pytest.fixture
def documentos(portal, issuer_auth, portal_runtime):
    """Two facturas, a boleta with an observation (all accepted) and a signed-only factura,
    issued in this order."""
    cliente = {"tipo_documento": "1", "numero_documento": "4602789", "razon_social": "JUAN"}
    docs = {
        "f1": issue(portal, issuer_auth, factura(numero=1)),
        "f2": issue(portal, issuer_auth, factura(serie="F002", numero=7)),
        "b1": issue(portal, issuer_auth, boleta(numero=3, cliente=cliente)),
        "solo": issue(portal, issuer_auth, factura(numero=2), enviar="false"),
    }
    for key in ("f1", "f2", "b1"):
        wait_state(portal_runtime, docs[key]["id"], "aceptado")
    return docs


def test_listing_shows_the_company_documents_newest_first_with_state_badges(portal, documentos):
    sign_in(portal)
    response = portal.get("/portal")
    assert response.status_code == 200
    html = response.text
    ids = [d["id"] for d in documentos.values()]
    assert _rows(html) == list(reversed(ids))
    assert html.count('class="estado estado-aceptado">Aceptado</span>') == 3
    assert 'class="estado estado-registrado">Registrado</span>' in html
    assert "PEN 118.00" in html
    assert "4 comprobantes" in _text(html)
    assert "EMPRESA DEMO S.A.C." in html
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tipo=03", ["b1"]),
        ("serie=F002", ["f2"]),
        ("serie=f002", ["f2"]),
        ("estado=registrado", ["solo"]),
        ("tipo=01&estado=aceptado", ["f2", "f1"]),
        (f"desde={HOY.isoformat()}&hasta={HOY.isoformat()}", ["solo", "b1", "f2", "f1"]),
        (f"hasta={(HOY - dt.timedelta(days=1)).isoformat()}", []),
    ],
)
def test_listing_filters(portal, documentos, query, expected):
    sign_in(portal)
    response = portal.get(f"/portal?{query}")
    assert response.status_code == 200
    assert _rows(response.text) == [documentos[key]["id"] for key in expected]
    if not expected:
        assert "Ningún comprobante cumple los filtros." in response.text


def test_filters_are_kept_in_the_form_and_the_series_are_offered(portal, documentos):
    sign_in(portal)
    html = portal.get("/portal?tipo=01&estado=aceptado&serie=F002").text
    assert '<option value="01" selected>Factura</option>' in html
    assert '<option value="aceptado" selected>Aceptado</option>' in html
    assert 'id="serie" name="serie" type="text" list="series" value="F002"' in html
    assert '<option value="F001">' in html
    assert '<option value="B001">' in html
    assert "Quitar filtros" in html


@pytest.mark.parametrize(
    ("query", "campo", "mensaje"),
    [
        ("tipo=99", "tipo", "Elija un tipo de la lista."),
        ("serie=F00%3B1", "serie", "La serie tiene de 1 a 8 letras o números"),
        ("estado=perdido", "estado", "Elija un estado de la lista."),
        ("desde=21-11-2026", "desde", "Use una fecha válida."),
        ("desde=2026-11-21&hasta=2026-11-01", "hasta", "La fecha «hasta» no puede ser anterior a «desde»."),
    ],
)
def test_invalid_filters_are_form_errors_tied_to_their_field(portal, query, campo, mensaje):
    sign_in(portal)
    response = portal.get(f"/portal?{query}")
    assert response.status_code == 400
    html = response.text
    assert 'role="alert"' in html
    assert f'<p class="error-campo" id="{campo}-error">' in html
    assert mensaje in unescape(html)
    assert f'aria-invalid="true" aria-describedby="{campo}-error"' in html
    assert f'<a href="#{campo}">' in html


def test_listing_pages(portal, issuer_auth, monkeypatch):
    for numero in range(1, 6):
        issue(portal, issuer_auth, factura(numero=numero), enviar="false")
    monkeypatch.setattr(routes, "PAGE_SIZE", 2)
    sign_in(portal)
    first = portal.get("/portal?tipo=01").text
    assert _rows(first) == ["20000000001-01-F001-5", "20000000001-01-F001-4"]
    assert "página 1 de 3" in first
    assert 'href="/portal?tipo=01&amp;pagina=2" rel="next"' in first
    assert 'rel="prev"' not in first
    third = portal.get("/portal?tipo=01&pagina=3").text
    assert _rows(third) == ["20000000001-01-F001-1"]
    assert 'href="/portal?tipo=01&amp;pagina=2" rel="prev"' in third
    assert 'rel="next"' not in third
    assert _rows(portal.get("/portal?pagina=abc").text) == _rows(first)
    beyond = portal.get("/portal?tipo=01&pagina=9").text
    assert _rows(beyond) == []
    assert "Esta página no existe: hay 3 páginas." in beyond
    assert 'href="/portal?tipo=01&amp;pagina=1">Ir a la primera</a>' in beyond


def test_chart_counts_documents_per_day_and_state(portal, documentos, portal_runtime):
    with portal_runtime.db.session() as session:
        session.execute(
            update(Comprobante).where(Comprobante.id == documentos["f2"]["id"]).values(estado="rechazado")
        )
    sign_in(portal)
    html = portal.get("/portal").text
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'role="img"' in svg
    assert 'aria-labelledby="svg-titulo svg-desc"' in svg
    titles = re.findall(r'<rect class="serie-(\w+)"[^>]*><title>([^<]+)</title>', svg)
    hoy = f"{HOY:%d/%m/%Y}"
    assert sorted(titles) == sorted(
        [
            ("aceptado", f"{hoy}: 2 aceptados"),
            ("proceso", f"{hoy}: 1 en proceso"),
            ("rechazado", f"{hoy}: 1 rechazado"),
        ]
    )
    # The accessible table carries the same numbers.
    table = html[html.index("<details>") : html.index("</details>")]
    assert re.search(rf"<th scope=\"row\">{hoy}</th>(<td class=\"num\">\d+</td>)+", table)
    cells = "".join(f'<td class="num">{n}</td>' for n in (2, 1, 1, 4))
    assert f'<th scope="row">{hoy}</th>{cells}' in table
    assert "4 comprobantes" in _text(html)
    # Filters apply to the chart as well.
    only_boletas = portal.get("/portal?tipo=03").text
    assert only_boletas.count('<rect class="serie-') == 1


# -- one document ---------------------------------------------------------------------------


def test_detail_shows_the_answer_observations_totals_history_and_downloads(portal, documentos):
    sign_in(portal)
    doc = documentos["b1"]
    response = portal.get(f"/portal/comprobantes/{doc['id']}")
    assert response.status_code == 200
    text = _text(response.text)
    assert "Boleta de venta B001-3" in text
    assert "Aceptado" in text
    assert "La Boleta numero B001-3, ha sido aceptada" in text
    assert "4207" in text, "the observation predicted at intake is shown"
    assert "Importe total 118.00" in text
    assert "IGV 18.00" in text
    assert doc["hash"] in text
    assert "Registrado → Enviando" in text
    assert "Enviando → Aceptado" in text
    for archivo in ("xml", "cdr", "cdr-zip", "pdf", "ticket"):
        assert f'href="/portal/comprobantes/{doc["id"]}/archivos/{archivo}"' in response.text
    assert "Solicitar la anulación" in response.text
    assert "Reintentar el envío" not in response.text


def test_downloads_are_the_stored_files(portal, documentos, portal_runtime):
    sign_in(portal)
    doc_id = documentos["f1"]["id"]
    with portal_runtime.db.read() as session:
        row = session.get(Comprobante, doc_id)
    base = f"/portal/comprobantes/{doc_id}/archivos"
    xml = portal.get(f"{base}/xml")
    assert xml.content == portal_runtime.blobs.get(row.xml_blob)
    assert xml.headers["content-disposition"] == f'attachment; filename="{row.xml_name}"'
    cdr = portal.get(f"{base}/cdr")
    assert cdr.content == portal_runtime.blobs.get(row.cdr_blob)
    assert cdr.headers["content-disposition"] == f'attachment; filename="R-{row.xml_name}"'
    cdr_zip = portal.get(f"{base}/cdr-zip")
    assert cdr_zip.headers["content-type"] == "application/zip"
    assert cdr_zip.content.startswith(b"PK")
    for archivo, name in (("pdf", f"{doc_id}.pdf"), ("ticket", f"{doc_id}-ticket.pdf")):
        pdf = portal.get(f"{base}/{archivo}")
        assert pdf.status_code == 200
        assert pdf.content.startswith(b"%PDF-")
        assert pdf.headers["content-disposition"] == f'inline; filename="{name}"'
        assert pdf.headers["cache-control"] == "private, no-store"


def test_a_document_without_an_answer_has_no_cdr_to_download(portal, documentos):
    sign_in(portal)
    doc_id = documentos["solo"]["id"]
    html = portal.get(f"/portal/comprobantes/{doc_id}").text
    assert "/archivos/cdr" not in html
    assert "Aún no hay respuesta de la autoridad." in html
    assert "Enviar a la autoridad" in html
    response = portal.get(f"/portal/comprobantes/{doc_id}/archivos/cdr")
    assert response.status_code == 404
    assert "Archivo no disponible" in response.text
    assert portal.get(f"/portal/comprobantes/{doc_id}/archivos/otro").status_code == 404


def test_unknown_document_is_a_404_page(portal):
    sign_in(portal)
    response = portal.get("/portal/comprobantes/20000000001-01-F001-999")
    assert response.status_code == 404
    assert "Comprobante no encontrado" in response.text
    assert response.headers["content-type"].startswith("text/html")


def test_sending_a_signed_only_document(portal, documentos, portal_runtime):
    sign_in(portal)
    doc_id = documentos["solo"]["id"]
    token = page_csrf(portal, f"/portal/comprobantes/{doc_id}")
    response = portal.post(
        f"/portal/comprobantes/{doc_id}/reenvio", data={"csrf": token}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/portal/comprobantes/{doc_id}?aviso=envio"
    assert wait_state(portal_runtime, doc_id, "aceptado") == "aceptado"
    assert "El comprobante se enviará a la autoridad." in portal.get(response.headers["location"]).text


def test_a_fallido_document_is_retried_from_its_page(portal, issuer_auth, portal_runtime, switch):
    switch.failing = True
    doc = issue(portal, issuer_auth, factura(numero=40), espera=20)
    assert doc["estado"] == "fallido"
    switch.failing = False
    sign_in(portal)
    page = portal.get(f"/portal/comprobantes/{doc['id']}").text
    assert "Reintentar el envío" in page
    assert "0100" in page
    assert portal.post(f"/portal/comprobantes/{doc['id']}/reenvio", data={"csrf": "x"}).status_code == 403
    assert wait_state(portal_runtime, doc["id"], "fallido", seconds=0) == "fallido"
    response = portal.post(
        f"/portal/comprobantes/{doc['id']}/reenvio", data={"csrf": csrf_of(page)}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"].endswith("?aviso=reenvio")
    assert wait_state(portal_runtime, doc["id"], "aceptado") == "aceptado"
    history = _text(portal.get(f"/portal/comprobantes/{doc['id']}").text)
    assert "Fallido → Registrado : reintento manual" in history


def test_resending_an_accepted_document_is_a_conflict_shown_on_its_page(portal, documentos):
    sign_in(portal)
    doc_id = documentos["f1"]["id"]
    token = page_csrf(portal, f"/portal/comprobantes/{doc_id}")
    response = portal.post(f"/portal/comprobantes/{doc_id}/reenvio", data={"csrf": token})
    assert response.status_code == 409
    assert "No se pudo completar la solicitud" in response.text
    assert "El comprobante está aceptado: no hay nada que enviar (código PSE-0013)" in response.text


def test_void_from_the_portal_goes_through_the_authority(portal, documentos, portal_runtime):
    sign_in(portal)
    doc_id = documentos["f1"]["id"]
    token = page_csrf(portal, f"/portal/comprobantes/{doc_id}")
    response = portal.post(
        f"/portal/comprobantes/{doc_id}/anulacion",
        data={"csrf": token, "motivo": "  Error en   el precio  "},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"].endswith("?aviso=anulacion")
    assert wait_state(portal_runtime, doc_id, "anulado") == "anulado"
    html = portal.get(f"/portal/comprobantes/{doc_id}").text
    ra = f"20000000001-RA-{HOY:%Y%m%d}-1"
    assert f'href="/portal/comprobantes/{ra}"' in html
    assert "Motivo: Error en el precio" in html
    assert "Solicitar la anulación" not in html
    summary = portal.get(f"/portal/comprobantes/{ra}").text
    assert "Comunicación de baja" in summary
    assert f'<a href="/portal/comprobantes/{doc_id}">{doc_id}</a> — Error en el precio' in summary
    assert "/archivos/pdf" not in summary
    assert f"/portal/comprobantes/{ra}/archivos/xml" in summary


@pytest.mark.parametrize("motivo", ["", "no", "x" * 101])
def test_void_needs_a_reason_of_3_to_100_characters(portal, documentos, portal_runtime, motivo):
    sign_in(portal)
    doc_id = documentos["f1"]["id"]
    token = page_csrf(portal, f"/portal/comprobantes/{doc_id}")
    response = portal.post(f"/portal/comprobantes/{doc_id}/anulacion", data={"csrf": token, "motivo": motivo})
    assert response.status_code == 400
    assert "Escriba el motivo de la anulación (de 3 a 100 caracteres)." in response.text
    assert wait_state(portal_runtime, doc_id, "aceptado", seconds=0) == "aceptado"


def test_void_of_a_document_that_is_not_accepted_is_a_conflict(portal, documentos):
    sign_in(portal)
    doc_id = documentos["solo"]["id"]
    token = page_csrf(portal, f"/portal/comprobantes/{doc_id}")
    html = portal.get(f"/portal/comprobantes/{doc_id}").text
    assert "Solicitar la anulación" not in html
    response = portal.post(
        f"/portal/comprobantes/{doc_id}/anulacion", data={"csrf": token, "motivo": "Error"}
    )
    assert response.status_code == 409
    assert "solo se anula uno aceptado por la autoridad" in response.text


def test_void_without_the_session_token_changes_nothing(portal, documentos, portal_runtime):
    sign_in(portal)
    doc_id = documentos["f1"]["id"]
    anonymous = page_csrf(portal, "/consulta")
    response = portal.post(
        f"/portal/comprobantes/{doc_id}/anulacion", data={"csrf": anonymous, "motivo": "Error"}
    )
    assert response.status_code == 403
    assert wait_state(portal_runtime, doc_id, "aceptado", seconds=0) == "aceptado"


def test_posts_without_a_session_go_to_sign_in_and_change_nothing(portal, documentos, portal_runtime):
    doc_id = documentos["f1"]["id"]
    response = portal.post(
        f"/portal/comprobantes/{doc_id}/anulacion",
        data={"csrf": "x", "motivo": "Error"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/portal/ingresar?siguiente=%2Fportal"
    assert wait_state(portal_runtime, doc_id, "aceptado", seconds=0) == "aceptado"


# -- tenant isolation -----------------------------------------------------------------------


def test_a_user_sees_only_their_company(portal, documentos, otra, otra_auth, portal_runtime):
    ajeno = issue(portal, otra_auth, factura(numero=1), espera=20)
    assert ajeno["estado"] == "aceptado"
    sign_in(portal)
    listing = portal.get("/portal").text
    assert ajeno["id"] not in listing
    assert otra.ruc not in listing
    assert _rows(portal.get("/portal?serie=F001&tipo=01").text) == [
        documentos["solo"]["id"],
        documentos["f1"]["id"],
    ]
    assert portal.get(f"/portal/comprobantes/{ajeno['id']}").status_code == 404
    for archivo in ("xml", "cdr", "pdf"):
        response = portal.get(f"/portal/comprobantes/{ajeno['id']}/archivos/{archivo}")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
    token = page_csrf(portal, "/portal")
    assert (
        portal.post(
            f"/portal/comprobantes/{ajeno['id']}/anulacion", data={"csrf": token, "motivo": "Ajeno"}
        ).status_code
        == 404
    )
    assert portal.post(f"/portal/comprobantes/{ajeno['id']}/reenvio", data={"csrf": token}).status_code == 404
    assert wait_state(portal_runtime, ajeno["id"], "aceptado", seconds=0) == "aceptado"

    # The other company's user sees exactly the other side.
    portal.cookies.clear()
    sign_in(portal, otra.usuario, otra.clave)
    assert _rows(portal.get("/portal").text) == [ajeno["id"]]
    assert portal.get(f"/portal/comprobantes/{documentos['f1']['id']}").status_code == 404
    with portal_runtime.db.read() as session:
        assert session.scalar(select(Usuario.empresa_id).where(Usuario.username == otra.usuario)) != 1


def test_the_chart_and_the_series_are_per_company(portal, documentos, otra, otra_auth):
    issue(portal, otra_auth, factura(serie="F777", numero=1), espera=20)
    sign_in(portal)
    html = portal.get("/portal").text
    assert "F777" not in html
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert sum(int(n) for n in re.findall(r"<title>[^:<]+: (\d+) ", svg)) == 4


# -- static files ---------------------------------------------------------------------------


def test_stylesheet_is_served_with_an_etag(portal):
    response = portal.get("/portal/static/portal.css")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/css; charset=utf-8"
    etag = response.headers["etag"]
    again = portal.get("/portal/static/portal.css", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert portal.get("/portal/static/secreto.py").status_code == 404
    assert portal.get("/portal/static/..%2F__init__.py").status_code == 404


def test_unknown_addresses_under_the_portal_are_html_404_pages(portal):
    for path in ("/portal/nada", "/portal/comprobantes/x/y/z/w", "/consulta/a/b/c"):
        response = portal.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")
        assert "Página no encontrada" in response.text
    slash = portal.get("/portal/", follow_redirects=False)
    assert slash.status_code == 303
    assert slash.headers["location"] == "/portal"
