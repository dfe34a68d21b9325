"""The portal and the consultation in a real headless Chromium, driven by Playwright,
against the API served over loopback HTTP and the SUNAT emulator.

Uses Debian's ``chromium`` (``apt-get install chromium``; Playwright does not download a
browser here) and skips, saying which, when it or Playwright is missing. Screenshots go
to ``tests/portal/artifacts/`` for a person to look at.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from portal_support import wait_state

from openpse.api.app import create_app
from openpse.core.timeutil import now_lima
from openpse.jobs.queue import JobQueue
from openpse.portal import consulta
from openpse.runtime import Runtime
from openpse.storage.tables import Comprobante
from tests_support import ThreadedServer, boleta, factura, make_runtime

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="Playwright no está instalado o no carga (pip install playwright en .venv)",
    exc_type=ImportError,
)

CHROMIUM = os.environ.get("OPENPSE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(
        f"No hay Chromium en {CHROMIUM} (apt-get install -y chromium, u OPENPSE_CHROMIUM=<ruta>)",
        allow_module_level=True,
    )

ARTIFACTS = Path(__file__).parent / "artifacts"
HOY = now_lima().date()
AYER = HOY - dt.timedelta(days=1)


class Site:
    """The API with its portal on a loopback port, and what was issued before the tests."""

    def __init__(self, url: str, runtime: Runtime, docs: dict[str, dict[str, Any]]) -> None:
        self.url = url
        self.runtime = runtime
        self.docs = docs

    def row(self, key: str) -> Comprobante:
        with self.runtime.db.read() as session:
            row = session.get(Comprobante, self.docs[key]["id"])
        assert row is not None
        return row


@pytest.fixture(scope="module")
def site(tmp_path_factory, sandbox_server, test_certificate) -> Iterator[Site]:
    sandbox_url, sandbox = sandbox_server
    sandbox.state.sandbox.reset()
    runtime = make_runtime(tmp_path_factory.mktemp("portal-browser") / "data", sandbox_url, test_certificate)
    JobQueue(runtime)
    with (
        ThreadedServer(create_app(runtime, start_workers=2)) as server,
        httpx2.Client(base_url=server.url) as http,
    ):
        token = http.post(
            "/v1/oauth2/token",
            data={"grant_type": "client_credentials", "client_id": "demo-pe", "client_secret": "demo-secret"},
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}

        def post(body: dict[str, Any], **params: Any) -> dict[str, Any]:
            response = http.post("/v1/comprobantes", json=body, headers=auth, params=params, timeout=60)
            assert response.status_code in (200, 202), response.text
            result: dict[str, Any] = response.json()
            return result

        docs = {
            "f_ayer": post(factura(numero=1, fecha_emision=AYER.isoformat()), espera=20),
            "f1": post(factura(numero=2), espera=20),
            "f_anular": post(factura(numero=3), espera=20),
            "b1": post(boleta(numero=1), espera=20),
            "b2": post(boleta(numero=2), espera=20),
            "solo": post(factura(numero=4), enviar="false"),
        }
        for key, doc in docs.items():
            assert doc["estado"] == ("registrado" if key == "solo" else "aceptado"), doc
        yield Site(server.url, runtime, docs)
    runtime.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, site) -> Iterator[Any]:
    context = browser.new_context(
        base_url=site.url, locale="es-PE", viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in_with_the_keyboard(page: Any) -> None:
    page.goto("/portal")
    assert "/portal/ingresar" in page.url
    # The user name field has the focus on arrival (autofocus is applied just after the
    # load event); Tab goes to the password, Enter submits.
    page.wait_for_function("() => document.activeElement.id === 'usuario'")
    page.keyboard.type("demo")
    page.keyboard.press("Tab")
    page.keyboard.type("demo-secret")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/portal"), page.locator("main").inner_text()


def listed(page: Any) -> list[str]:
    return page.locator("#comprobantes tbody th a").all_inner_texts()


def test_sign_in_list_and_filter(page, site):
    page.goto("/portal")
    shot(page, "01-ingresar")
    sign_in_with_the_keyboard(page)
    assert page.locator("h1").inner_text() == "Comprobantes"
    assert len(listed(page)) == 6
    assert page.locator(".estado-aceptado").count() == 5
    assert page.locator("svg.barras rect").count() == 3, "today: aceptados + en proceso; yesterday: aceptados"
    shot(page, "02-lista")

    page.get_by_label("Tipo").select_option("03")
    page.get_by_role("button", name="Filtrar").click()
    page.wait_for_url("**/portal?tipo=03**")
    assert listed(page) == ["Boleta de venta B001-2", "Boleta de venta B001-1"]
    shot(page, "03-lista-boletas")

    page.get_by_role("link", name="Quitar filtros").click()
    page.get_by_label("Emitidos desde").fill(AYER.isoformat())
    page.get_by_label("Emitidos hasta").fill(AYER.isoformat())
    page.get_by_label("Estado", exact=True).select_option("aceptado")
    page.get_by_role("button", name="Filtrar").click()
    page.wait_for_url("**hasta=**")
    assert listed(page) == ["Factura F001-1"]

    page.goto("/portal?desde=2026-13-01")
    assert page.get_by_role("alert").inner_text().startswith("Revise este dato")
    assert page.locator("#desde").get_attribute("aria-invalid") == "true"
    shot(page, "04-lista-error")


def test_document_page_answer_and_downloads(page, site):
    sign_in_with_the_keyboard(page)
    page.get_by_role("link", name="Factura F001-2").click()
    page.wait_for_url(f"**/portal/comprobantes/{site.docs['f1']['id']}")
    assert page.locator("h1").inner_text() == "Factura F001-2"
    assert "La Factura numero F001-2, ha sido aceptada" in page.locator("#titulo-respuesta + dl").inner_text()
    shot(page, "05-detalle")

    row = site.row("f1")
    with page.expect_download() as xml_download:
        page.get_by_role("link", name="XML firmado").click()
    assert xml_download.value.suggested_filename == row.xml_name
    assert Path(xml_download.value.path()).read_bytes() == site.runtime.blobs.get(row.xml_blob)

    with page.expect_download() as cdr_download:
        page.get_by_role("link", name="CDR (XML)").click()
    assert cdr_download.value.suggested_filename == f"R-{row.xml_name}"
    assert b"ApplicationResponse" in Path(cdr_download.value.path()).read_bytes()

    pdf = page.request.get(page.get_by_role("link", name="PDF A4").get_attribute("href"))
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF-")


def test_void_from_the_browser(page, site):
    sign_in_with_the_keyboard(page)
    doc_id = site.docs["f_anular"]["id"]
    page.goto(f"/portal/comprobantes/{doc_id}")
    page.get_by_label("Motivo de la anulación").fill("Precio equivocado")
    page.get_by_role("button", name="Solicitar la anulación").click()
    page.wait_for_url("**?aviso=anulacion")
    assert "Se solicitó la anulación." in page.get_by_role("status").inner_text()
    wait_state(site.runtime, doc_id, "anulado")
    page.reload()
    assert page.locator(".titulo-con-estado .estado").inner_text() == "Anulado"
    assert page.get_by_role("button", name="Solicitar la anulación").count() == 0
    shot(page, "06-anulado")


def test_logout(page, site):
    sign_in_with_the_keyboard(page)
    page.get_by_role("button", name="Salir").click()
    page.wait_for_url("**/portal/ingresar?salida=1")
    assert page.get_by_role("status").inner_text() == "Cerró su sesión."
    assert not [c for c in page.context.cookies() if c["name"] == "openpse_portal"]
    page.goto("/portal")
    assert "/portal/ingresar" in page.url


def _fill_consulta(page: Any, total: str) -> None:
    page.goto("/consulta")
    page.get_by_label("RUC del emisor").fill("20000000001")
    page.get_by_label("Tipo de comprobante").select_option("03")
    page.get_by_label("Serie").fill("b001")
    page.get_by_label("Número").fill("2")
    page.get_by_label("Fecha de emisión").fill(HOY.isoformat())
    page.get_by_label("Importe total").fill(total)
    page.get_by_role("button", name="Consultar").click()


def test_customer_consultation(page, site):
    _fill_consulta(page, "117.00")
    assert page.get_by_role("alert").first.inner_text() == consulta.NOT_FOUND
    assert page.get_by_label("Importe total").input_value() == "117.00"
    shot(page, "07-consulta-sin-resultado")

    _fill_consulta(page, "118")
    doc_id = site.docs["b2"]["id"]
    page.wait_for_url(f"**/consulta/{doc_id}")
    assert page.locator("h1").inner_text() == "Boleta de venta electrónica B001-2"
    assert "Válido" in page.locator(".situacion").inner_text()
    shot(page, "08-consulta-resultado")

    with page.expect_download() as xml_download:
        page.get_by_role("link", name="XML firmado").click()
    assert xml_download.value.suggested_filename == site.row("b2").xml_name
    pdf = page.request.get(f"/consulta/{doc_id}/pdf")
    assert pdf.status == 200
    assert pdf.body().startswith(b"%PDF-")
    # Another browser (no grant) sees nothing at the same address.
    other = page.context.browser.new_context(base_url=site.url)
    try:
        response = other.new_page().goto(f"/consulta/{doc_id}")
        assert response.status == 404
    finally:
        other.close()


# -- accessibility ----------------------------------------------------------------------------

AUDIT = """
() => {
  const visible = (el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 1 && box.height > 1 && style.visibility !== 'hidden' && style.display !== 'none';
  };
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const lum = ({r, g, b}) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const c = parse(getComputedStyle(node).backgroundColor);
      if (c && c.a > 0.99) return c;
    }
    return {r: 255, g: 255, b: 255, a: 1};
  };
  const unlabelled = [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
    .filter((el) => el.labels.length === 0 && !el.getAttribute('aria-label'))
    .map((el) => el.id || el.name);
  const low = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let text = walker.nextNode(); text; text = walker.nextNode()) {
    const el = text.parentElement;
    if (!text.textContent.trim() || !el || !visible(el) || el.closest('title, desc')) continue;
    const style = getComputedStyle(el);
    const fg = parse(el.closest('svg') ? style.fill : style.color);
    if (!fg) continue;
    const [hi, lo] = [lum(fg), lum(background(el))].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) low.push(`${text.textContent.trim().slice(0, 30)}: ${ratio.toFixed(2)}`);
  }
  const unnamedImages = [...document.querySelectorAll('[role=img]')]
    .filter((el) => !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby')).length;
  return {lang: document.documentElement.lang, unlabelled, low, unnamedImages,
          h1: document.querySelectorAll('h1').length};
}
"""


def _audit(page: Any, name: str) -> None:
    result = page.evaluate(AUDIT)
    assert result["lang"] == "es", name
    assert result["unlabelled"] == [], f"{name}: campos sin etiqueta"
    assert result["low"] == [], f"{name}: texto con contraste insuficiente"
    assert result["unnamedImages"] == 0, name
    assert result["h1"] == 1, name


def _focus_ring(page: Any) -> str:
    return page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")


def test_pages_are_labelled_contrasted_and_usable_with_the_keyboard(page, site):
    page.goto("/portal/ingresar")
    _audit(page, "ingresar")
    sign_in_with_the_keyboard(page)
    _audit(page, "lista")

    # The first Tab from the top reaches the skip link, which becomes visible.
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Saltar al contenido")
    assert page.evaluate("() => document.activeElement.textContent") == "Saltar al contenido"
    assert skip.bounding_box()["y"] >= 0
    assert _focus_ring(page) != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "contenido"

    # Every filter and the button are reached by Tab, in reading order, with a focus ring
    # (a date input takes one Tab per segment, which the browser itself highlights).
    order: list[str] = []
    for _ in range(20):
        page.keyboard.press("Tab")
        name, kind, outline = page.evaluate(
            "() => { const el = document.activeElement;"
            " return [el.id || el.textContent.trim(), el.type || '', getComputedStyle(el).outlineStyle]; }"
        )
        if kind != "date":
            assert outline != "none", name
        if not order or order[-1] != name:
            order.append(name)
        if name == "Filtrar":
            break
    assert order == ["tipo", "serie", "estado", "desde", "hasta", "Filtrar"]

    page.goto(f"/portal/comprobantes/{site.docs['f1']['id']}")
    _audit(page, "detalle")
    page.goto("/consulta")
    _audit(page, "consulta")
    _fill_consulta(page, "1")
    _audit(page, "consulta con error")


def test_pages_are_small_and_fast(page, site):
    sign_in_with_the_keyboard(page)
    started = time.monotonic()
    response = page.goto("/portal")
    elapsed = time.monotonic() - started
    assert response.status == 200
    size = len(response.body())
    assert size < 60_000, f"la lista pesa {size} bytes"
    assert elapsed < 2.0, f"la lista tardó {elapsed:.2f} s"
    scripts = page.evaluate("() => document.scripts.length")
    assert scripts == 0, "the portal runs without JavaScript"
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.reload()
    assert [url for url in requests if not url.endswith(("/portal", "/portal/static/portal.css"))] == []
