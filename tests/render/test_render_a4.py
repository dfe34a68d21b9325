"""The A4 printed representation shows every fact SUNAT requires, readable as text, with a working QR."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from pypdf import PdfReader
from render_support import (
    EMISOR_RAZON_SOCIAL,
    EMISOR_RUC,
    cdr_xml,
    issue,
    page_size_mm,
    pages_text,
    qr_codes,
    text_of,
)

from openpse.render import qr_text, render_pdf
from tests_support import boleta, factura


def items(count: int) -> list[dict[str, str]]:
    return [
        {
            "codigo": f"SKU-{n:03d}",
            "descripcion": f"Artículo número {n} de la prueba",
            "unidad": "NIU",
            "cantidad": str(n % 5 + 1),
            "valor_unitario": f"{n * 1.25 + 3:.2f}",
        }
        for n in range(1, count + 1)
    ]


def nota(tipo: str, motivo: dict[str, str]) -> dict[str, object]:
    body = factura(
        tipo=tipo, documento_afectado={"tipo": "01", "serie": "F001", "numero": 123}, motivo=motivo
    )
    del body["forma_pago"]
    return body


@pytest.fixture(scope="module")
def ten_lines(test_certificate):
    return issue(test_certificate, factura(items=items(10), orden_compra="OC-2024-118"), numero=123)


def test_factura_shows_issuer_document_customer_lines_totals_legend_and_hash(ten_lines):
    text = text_of(render_pdf(ten_lines.xml))
    for fact in (
        EMISOR_RAZON_SOCIAL,
        "El Ñandú",
        f"R.U.C. N° {EMISOR_RUC}",
        "FACTURA ELECTRÓNICA",
        "F001-123",
        "CLIENTE S.A.C.",
        "20100070970",
        "Av. Lima 123",
        "AV. LARCO 1234 OF. 5, SAN ANTONIO, MIRAFLORES - LIMA - LIMA",
        "SOLES (PEN)",
        "Contado",
        "OC-2024-118",
        "Op. gravadas",
        "IGV (18 %)",
        "Importe total",
        "SON: ",
        "SOLES",
        f"Valor resumen (hash): {ten_lines.hash}",
        "Representación impresa de la FACTURA ELECTRÓNICA",
        "Página 1 de 1",
    ):
        assert fact in text, fact
    for n in range(1, 11):
        assert f"Artículo número {n} de la prueba" in text
        assert f"SKU-{n:03d}" in text


def test_totals_are_the_xml_amounts(test_certificate):
    signed = issue(
        test_certificate,
        factura(
            items=[
                {"descripcion": "Gravado", "cantidad": "2", "valor_unitario": "50.00"},
                {
                    "descripcion": "Exonerado",
                    "cantidad": "1",
                    "valor_unitario": "30.00",
                    "afectacion_igv": "20",
                },
                {
                    "descripcion": "Inafecto",
                    "cantidad": "1",
                    "valor_unitario": "20.00",
                    "afectacion_igv": "30",
                },
            ]
        ),
    )
    text = text_of(render_pdf(signed.xml))
    assert re.search(r"Op\. gravadas\s*S/ 100\.00", text)
    assert re.search(r"Op\. exoneradas\s*S/ 30\.00", text)
    assert re.search(r"Op\. inafectas\s*S/ 20\.00", text)
    assert re.search(r"IGV \(18 %\)\s*S/ 18\.00", text)
    assert re.search(r"Importe total\s*S/ 168\.00", text)
    assert "SON: CIENTO SESENTA Y OCHO CON 00/100 SOLES" in text


def test_the_qr_decodes_to_qr_text(ten_lines):
    pdf = render_pdf(ten_lines.xml)
    assert qr_codes(pdf) == [qr_text(ten_lines.xml)]


def test_boleta_names_the_document_and_the_dni(test_certificate):
    signed = issue(test_certificate, boleta())
    pdf = render_pdf(signed.xml)
    text = text_of(pdf)
    assert "BOLETA DE VENTA ELECTRÓNICA" in text
    assert "Representación impresa de la BOLETA DE VENTA ELECTRÓNICA" in text
    assert "JUAN PEREZ" in text
    assert "DNI" in text
    assert "46027897" in text
    assert qr_codes(pdf) == [qr_text(signed.xml)]


def test_credit_sale_lists_each_installment_with_its_due_date(test_certificate):
    signed = issue(
        test_certificate,
        factura(
            fecha_vencimiento="2099-02-28",
            forma_pago={
                "tipo": "Credito",
                "cuotas": [
                    {"monto": "50.00", "fecha_pago": "2099-01-31"},
                    {"monto": "68.00", "fecha_pago": "2099-02-28"},
                ],
            },
        ),
    )
    text = text_of(render_pdf(signed.xml))
    assert "Crédito" in text
    assert "Fecha de vencimiento" in text
    assert "Monto neto pendiente de pago: S/ 118.00" in text
    assert re.search(r"Cuota 1\s*vence 31/01/2099\s*S/ 50\.00", text)
    assert re.search(r"Cuota 2\s*vence 28/02/2099\s*S/ 68\.00", text)


def test_dollars_print_with_their_symbol_and_name(test_certificate):
    signed = issue(
        test_certificate,
        factura(
            moneda="USD", items=[{"descripcion": "Servidor", "cantidad": "3", "valor_unitario": "1234.5678"}]
        ),
    )
    text = text_of(render_pdf(signed.xml))
    assert "DÓLARES AMERICANOS (USD)" in text
    assert re.search(r"Op\. gravadas\s*US\$ 3,703\.70", text)
    assert re.search(r"Importe total\s*US\$ 4,370\.37", text)
    assert "1,234.5678" in text
    assert "SON: CUATRO MIL TRESCIENTOS SETENTA CON 37/100 DÓLARES AMERICANOS" in " ".join(text.split())


def test_special_characters_survive_xml_and_pdf(test_certificate):
    signed = issue(
        test_certificate,
        factura(
            cliente={
                "tipo_documento": "6",
                "numero_documento": "20100070970",
                "razon_social": 'ÑANDÚ & CÍA <S.A.C.> "LA ÚNICA"',
                "direccion": "Jr. Ayacucho 123 — 2° piso, Cercado",
            },
            items=[
                {
                    "descripcion": "Café «orgánico» ¿1/2 kg? ¡Oferta! € 5 ü ç ß",
                    "cantidad": "1",
                    "valor_unitario": "10",
                }
            ],
        ),
    )
    text = text_of(render_pdf(signed.xml))
    assert 'ÑANDÚ & CÍA <S.A.C.> "LA ÚNICA"' in text
    assert "Jr. Ayacucho 123 — 2° piso, Cercado" in text
    assert "Café «orgánico» ¿1/2 kg? ¡Oferta! € 5 ü ç ß" in text


def test_characters_outside_the_font_print_as_question_marks(test_certificate):
    signed = issue(
        test_certificate,
        factura(items=[{"descripcion": "Té 绿茶 verde", "cantidad": "1", "valor_unitario": "10"}]),
    )
    assert "Té ?? verde" in text_of(render_pdf(signed.xml))


def test_many_lines_continue_on_numbered_pages_with_the_header_repeated(test_certificate):
    signed = issue(test_certificate, factura(items=items(120)), numero=9)
    pdf = render_pdf(signed.xml)
    pages = pages_text(pdf)
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert f"Página {number} de {len(pages)}" in text
        assert "FACTURA ELECTRÓNICA" in text
        assert "F001-9" in text
        assert EMISOR_RAZON_SOCIAL in text
        if "Artículo número" in text:
            assert "Cant. Unidad Código Descripción" in text
    everything = "\n".join(pages)
    for n in range(1, 121):
        assert everything.count(f"Artículo número {n} de la prueba") == 1
    assert everything.count("Importe total") == 1
    assert "Importe total" not in pages[0]
    assert "Representación impresa de la FACTURA ELECTRÓNICA" in pages[-1]
    assert qr_codes(pdf, page=-1) == [qr_text(signed.xml)]
    assert all(page_size_mm(pdf, n) == pytest.approx((210, 297), abs=0.1) for n in range(len(pages)))


def test_logo_is_drawn_top_left(ten_lines):
    buffer = io.BytesIO()
    Image.new("RGBA", (400, 160), (200, 30, 30, 180)).save(buffer, format="PNG")
    pdf = render_pdf(ten_lines.xml, logo=buffer.getvalue())
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert len(page.images) == 2
    without = PdfReader(io.BytesIO(render_pdf(ten_lines.xml))).pages[0]
    assert len(without.images) == 1
    assert qr_codes(pdf) == [qr_text(ten_lines.xml)]


def test_jpeg_logo_is_accepted(ten_lines):
    buffer = io.BytesIO()
    Image.new("RGB", (300, 300), (20, 60, 160)).save(buffer, format="JPEG")
    pdf = render_pdf(ten_lines.xml, logo=buffer.getvalue())
    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 2


def test_cdr_answer_and_observations_are_printed(ten_lines):
    cdr = cdr_xml(
        "F001-00000123",
        notes=(
            "4252 - El dato ingresado como atributo @listName es incorrecto.",
            "4031 - Debe indicar el nombre comercial",
        ),
    )
    text = text_of(render_pdf(ten_lines.xml, cdr=cdr))
    assert "Respuesta de SUNAT: 0 – La Factura numero F001-00000123, ha sido aceptada" in text
    assert "Observación 4252: El dato ingresado como atributo @listName es incorrecto." in text
    assert "Observación 4031: Debe indicar el nombre comercial" in text


def test_rejected_cdr_says_the_document_is_not_valid(ten_lines):
    cdr = cdr_xml(
        "F001-123", code="2800", description="El dato ingresado en el tipo de documento es inválido"
    )
    text = text_of(render_pdf(ten_lines.xml, cdr=cdr))
    assert "Respuesta de SUNAT: 2800" in text
    assert "RECHAZADO" in text


def test_consulta_url_tells_where_to_consult(ten_lines):
    url = "https://facturas.example.pe/consulta"
    text = text_of(render_pdf(ten_lines.xml, consulta_url=url))
    assert f"Consulte su comprobante en {url}" in text
    assert "sunat.gob.pe" in text_of(render_pdf(ten_lines.xml))


def test_credit_note_shows_the_modified_document_and_the_motive(test_certificate):
    signed = issue(
        test_certificate,
        nota("07", {"codigo": "01", "descripcion": "Anulación por pedido del cliente"}),
        numero=5,
    )
    pdf = render_pdf(signed.xml)
    text = text_of(pdf)
    assert "NOTA DE CRÉDITO ELECTRÓNICA" in text
    assert "FACTURA F001-123" in text
    assert "01 – Anulación de la operación" in text
    assert "Anulación por pedido del cliente" in text
    assert "Representación impresa de la NOTA DE CRÉDITO ELECTRÓNICA" in text
    assert qr_codes(pdf) == [qr_text(signed.xml)]
    assert qr_text(signed.xml).split("|")[1] == "07"


def test_debit_note_reads_requested_monetary_total(test_certificate):
    signed = issue(
        test_certificate,
        nota("08", {"codigo": "01", "descripcion": "Intereses por pago tardío"}),
        numero=6,
    )
    text = text_of(render_pdf(signed.xml))
    assert "NOTA DE DÉBITO ELECTRÓNICA" in text
    assert "01 – Intereses por mora" in text
    assert re.search(r"Importe total\s*S/ 118\.00", text)


def test_the_same_xml_gives_the_same_bytes(ten_lines):
    assert render_pdf(ten_lines.xml) == render_pdf(ten_lines.xml)


def test_pdf_embeds_a_font_subset_and_stays_small(ten_lines):
    pdf = render_pdf(ten_lines.xml)
    assert len(pdf) < 40_000
    fonts = {
        font["/BaseFont"]
        for page in PdfReader(io.BytesIO(pdf)).pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert all(re.fullmatch(r"/[A-Z]{6}\+DejaVuSansCondensed.*", str(name)) for name in fonts), fonts
