"""``GET /v1/comprobantes``: pages by cursor and by number agree, and counting is bounded.

The cursor walk must visit every document exactly once in (creado, id) order, also when
several share the same ``creado`` (ties broken by id); ``total`` is exact up to the
bound and says so beyond it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from openpse.documents import listado
from openpse.storage.tables import Comprobante
from tests_support import boleta, factura


def _walk(api, auth, **params) -> list[str]:
    seen: list[str] = []
    cursor = None
    for _ in range(50):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = api.get("/v1/comprobantes", headers=auth, params=query).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["cursor_siguiente"]
        if cursor is None:
            return seen
    raise AssertionError("the cursor never ended")


def test_cursor_and_page_numbers_visit_every_document_once_in_order(api, auth, post_document, runtime):
    ids = [post_document(factura(numero=n), enviar="false").json()["id"] for n in range(1, 6)]
    ids += [post_document(boleta(numero=n), enviar="false").json()["id"] for n in range(1, 4)]
    # Three documents created in the same instant: the order falls back to the id.
    same = dt.datetime(2026, 11, 21, 15, 0, tzinfo=dt.UTC)
    with runtime.db.session() as session:
        session.execute(update(Comprobante).where(Comprobante.id.in_(ids[2:5])).values(creado=same))

    by_cursor = _walk(api, auth, tamano=3)
    assert len(by_cursor) == len(set(by_cursor)) == 8
    by_page = []
    for pagina in (1, 2, 3):
        page = api.get("/v1/comprobantes", headers=auth, params={"tamano": 3, "pagina": pagina}).json()
        by_page += [item["id"] for item in page["items"]]
    assert by_cursor == by_page
    with runtime.db.read() as session:
        rows = {row.id: row.creado for row in session.query(Comprobante)}
    assert by_cursor == sorted(rows, key=lambda i: (rows[i], i), reverse=True)

    assert _walk(api, auth, tamano=2, tipo="03") == [i for i in by_cursor if "-03-" in i]
    last = api.get("/v1/comprobantes", headers=auth, params={"tamano": 8}).json()
    assert last["cursor_siguiente"] is None, "no next page when everything fits"
    assert (last["total"], last["total_exacto"]) == (8, True)


def test_the_count_stops_at_its_bound_and_says_so(api, auth, post_document, monkeypatch):
    for n in range(1, 5):
        post_document(factura(numero=n), enviar="false")
    monkeypatch.setattr(listado, "CONTEO_MAXIMO", 3)
    page = api.get("/v1/comprobantes", headers=auth, params={"tamano": 2}).json()
    assert (page["total"], page["total_exacto"]) == (3, False)
    assert len(page["items"]) == 2
    assert page["cursor_siguiente"]
    monkeypatch.setattr(listado, "CONTEO_MAXIMO", 4)
    exact = api.get("/v1/comprobantes", headers=auth).json()
    assert (exact["total"], exact["total_exacto"]) == (4, True)


def test_a_cursor_we_did_not_hand_out_is_a_422_on_the_field(api, auth):
    for bad in ("nada", "bm8tZmVjaGF8eA", "MjAyNi0xMS0yMVQxNTowMDowMHx4"):  # noise, "no-fecha|x", naive date
        response = api.get("/v1/comprobantes", headers=auth, params={"cursor": bad})
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["errors"][0]["campo"] == "cursor"
