"""A company's logo: uploaded once through the API, printed on every PDF it issues.

The PDFs are read back with pypdf: the logo is an image XObject of the stored size, the
"where to consult" line names this installation's /consulta page, and a cached PDF is
never served after the logo changes.
"""

from __future__ import annotations

import base64
import io

from PIL import Image
from pypdf import PdfReader

from tests_support import factura

RUC = "20000000001"


def _png(width: int, height: int) -> bytes:
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    for x in range(width // 2):
        for y in range(height):
            image.putpixel((x, y), (200, 20, 20, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _images(pdf: bytes) -> list[tuple[int, int]]:
    sizes = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for image in page.images:
            sizes.append(image.image.size)
    return sizes


def test_the_logo_is_stored_normalised_and_printed_on_every_format(api, auth, admin_auth, post_document):
    body = post_document(factura(numero=70), espera=20).json()
    before = api.get(body["enlaces"]["pdf"], headers=auth)
    assert before.status_code == 200
    assert (800, 200) not in _images(before.content)

    put = api.put(
        f"/v1/empresas/{RUC}/logo", headers=auth, json={"imagen": base64.b64encode(_png(1600, 400)).decode()}
    )
    assert put.status_code == 200, put.text
    info = put.json()
    assert (info["ancho"], info["alto"]) == (800, 200), "reduced to 800 px on its longest side"
    assert info["enlace"] == f"/v1/empresas/{RUC}/logo"
    stored = api.get(info["enlace"], headers=auth)
    assert stored.headers["content-type"] == "image/jpeg"
    picture = Image.open(io.BytesIO(stored.content))
    assert picture.size == (800, 200)
    assert picture.getpixel((700, 100))[0] > 240, "transparency flattened on white"
    assert picture.getpixel((100, 100))[0] > 150 > picture.getpixel((100, 100))[1]
    assert api.get(f"/v1/empresas/{RUC}", headers=auth).json()["logo"] == info["enlace"]

    after = api.get(body["enlaces"]["pdf"], headers=auth)
    assert after.content != before.content, "the cached PDF without the logo is not served again"
    assert (800, 200) in _images(after.content)
    text = PdfReader(io.BytesIO(after.content)).pages[0].extract_text().replace("\n", " ")
    assert "Consulte su comprobante en http://127.0.0.1:8000/consulta" in text
    ticket = api.get(body["enlaces"]["pdf"], headers=auth, params={"formato": "ticket"})
    assert (800, 200) in _images(ticket.content)

    # Documents issued later carry it too, from the first rendering.
    later = post_document(factura(numero=71), espera=20).json()
    assert (800, 200) in _images(api.get(later["enlaces"]["pdf"], headers=auth).content)

    removed = api.delete(f"/v1/empresas/{RUC}/logo", headers=auth)
    assert removed.status_code == 204
    assert api.get(info["enlace"], headers=auth).status_code == 404
    assert api.get(f"/v1/empresas/{RUC}", headers=auth).json()["logo"] is None
    assert (800, 200) not in _images(api.get(body["enlaces"]["pdf"], headers=auth).content)
    assert api.delete(f"/v1/empresas/{RUC}/logo", headers=auth).status_code == 404

    audit = api.get("/v1/auditoria", headers=admin_auth, params={"empresa": RUC}).json()
    acciones = [entry["accion"] for entry in audit["items"]]
    assert {"logo.cargado", "logo.quitado"} <= set(acciones)


def test_what_is_not_a_png_or_jpeg_is_refused_with_the_field(api, auth):
    not_base64 = api.put(f"/v1/empresas/{RUC}/logo", headers=auth, json={"imagen": "no es base64!"})
    assert not_base64.status_code == 400
    assert not_base64.json()["errors"][0]["campo"] == "imagen"

    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    refused = api.put(
        f"/v1/empresas/{RUC}/logo", headers=auth, json={"imagen": base64.b64encode(gif.getvalue()).decode()}
    )
    assert refused.status_code == 422
    error = refused.json()["errors"][0]
    assert error["campo"] == "imagen"
    assert "PNG o JPEG" in error["desError"]

    truncated = _png(40, 40)[:60]
    broken = api.put(
        f"/v1/empresas/{RUC}/logo", headers=auth, json={"imagen": base64.b64encode(truncated).decode()}
    )
    assert broken.status_code == 422
    assert api.get(f"/v1/empresas/{RUC}/logo", headers=auth).status_code == 404, "nothing stored"
