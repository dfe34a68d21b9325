"""The 80 mm ticket: one page as wide as the paper roll and as long as its content, with every fact."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from pypdf import PdfReader
from render_support import EMISOR_RAZON_SOCIAL, EMISOR_RUC, cdr_xml, issue, page_size_mm, qr_codes, text_of

from openpse.render import RenderError, qr_text, render_pdf
from tests_support import boleta, factura


def items(count: int) -> list[dict[str, str]]:
    return [
        {"codigo": f"P{n:03d}", "descripcion": f"Producto {n}", "cantidad": "2", "valor_unitario": "5.50"}
        for n in range(1, count + 1)
    ]


@pytest.fixture(scope="module")
def ten_lines(test_certificate):
    return issue(test_certificate, factura(items=items(10)), numero=77)


def test_ticket_is_one_page_80_mm_wide(ten_lines):
    pdf = render_pdf(ten_lines.xml, formato="ticket")
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    width, height = page_size_mm(pdf)
    assert width == pytest.approx(80, abs=0.05)
    assert 150 < height < 400


def test_ticket_grows_with_the_lines(test_certificate, ten_lines):
    longer = issue(test_certificate, factura(items=items(60)), numero=78)
    short_height = page_size_mm(render_pdf(ten_lines.xml, formato="ticket"))[1]
    long_height = page_size_mm(render_pdf(longer.xml, formato="ticket"))[1]
    assert long_height > short_height + 50 * 5
    assert len(PdfReader(io.BytesIO(render_pdf(longer.xml, formato="ticket"))).pages) == 1


def test_ticket_has_the_same_facts_as_the_a4(ten_lines):
    text = " ".join(text_of(render_pdf(ten_lines.xml, formato="ticket")).split())
    for fact in (
        EMISOR_RAZON_SOCIAL,
        f"RUC {EMISOR_RUC}",
        "FACTURA ELECTRÓNICA",
        "F001-77",
        "CLIENTE S.A.C.",
        "20100070970",
        "Fecha de emisión",
        "SOLES (PEN)",
        "Op. gravadas S/ 110.00",
        "IGV (18 %) S/ 19.80",
        "Importe total S/ 129.80",
        "SON: CIENTO VEINTINUEVE CON 80/100 SOLES",
        f"Valor resumen (hash): {ten_lines.hash}",
        "Representación impresa de la FACTURA ELECTRÓNICA",
    ):
        assert fact in text, fact
    for n in range(1, 11):
        assert f"P{n:03d} – Producto {n}" in text
    assert text.count("2 NIU × 5.50 (P.U. 6.49) 11.00") == 10


def test_ticket_qr_decodes_to_qr_text(ten_lines):
    assert qr_codes(render_pdf(ten_lines.xml, formato="ticket")) == [qr_text(ten_lines.xml)]


def test_ticket_of_a_boleta_with_logo_cdr_and_consulta(test_certificate):
    signed = issue(test_certificate, boleta(), numero=31)
    buffer = io.BytesIO()
    Image.new("L", (240, 240), 40).save(buffer, format="PNG")
    pdf = render_pdf(
        signed.xml,
        formato="ticket",
        logo=buffer.getvalue(),
        cdr=cdr_xml("B001-31", description="La Boleta numero B001-31, ha sido aceptada"),
        consulta_url="https://cpe.example.pe/buscar",
    )
    text = " ".join(text_of(pdf).split())
    assert "BOLETA DE VENTA ELECTRÓNICA" in text
    assert "DNI: 46027897" in text
    assert "Respuesta de SUNAT: 0 – La Boleta numero B001-31, ha sido aceptada" in text
    assert "Consulte su comprobante en https://cpe.example.pe/buscar" in text
    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 2
    assert qr_codes(pdf) == [qr_text(signed.xml)]


def test_ticket_lists_installments(test_certificate):
    signed = issue(
        test_certificate,
        factura(
            forma_pago={
                "tipo": "Credito",
                "cuotas": [
                    {"monto": "18.00", "fecha_pago": "2099-01-15"},
                    {"monto": "100.00", "fecha_pago": "2099-02-15"},
                ],
            }
        ),
    )
    text = " ".join(text_of(render_pdf(signed.xml, formato="ticket")).split())
    assert "Forma de pago: Crédito" in text
    assert "Cuota 1, vence 15/01/2099 S/ 18.00" in text
    assert "Cuota 2, vence 15/02/2099 S/ 100.00" in text


def test_a_ticket_longer_than_pdf_readers_accept_is_refused(test_certificate):
    signed = issue(test_certificate, factura(items=items(900)), numero=79)
    with pytest.raises(RenderError, match="use el formato A4"):
        render_pdf(signed.xml, formato="ticket")
    assert len(PdfReader(io.BytesIO(render_pdf(signed.xml))).pages) > 20
