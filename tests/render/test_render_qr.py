"""qr_text follows RUC|TIPO|SERIE|NUMERO|IGV|TOTAL|FECHA|TIPODOCADQ|NUMDOCADQ|HASH| (RS 113-2018, Anexo 6)."""

from __future__ import annotations

import datetime as dt
import io
import re

import zxingcpp
from pypdf import PdfReader
from render_support import EMISOR_RUC, invoice_xml, issue, sign_xml

from openpse.core.timeutil import now_lima
from openpse.render import qr_text, render_pdf
from tests_support import boleta, factura


def test_factura_qr_fields_in_order_with_hash_and_trailing_bar(test_certificate):
    signed = issue(test_certificate, factura(), numero=123)
    today = now_lima().date().isoformat()
    assert (
        qr_text(signed.xml) == f"{EMISOR_RUC}|01|F001|123|18.00|118.00|{today}|6|20100070970|{signed.hash}|"
    )


def test_boleta_to_an_anonymous_buyer(test_certificate):
    signed = issue(
        test_certificate,
        boleta(
            cliente={"tipo_documento": "0", "numero_documento": "-", "razon_social": "VARIOS"},
            items=[{"descripcion": "Menú", "cantidad": "1", "precio_unitario": "15.00"}],
        ),
        numero=4,
    )
    fields = qr_text(signed.xml).split("|")
    assert fields[:6] == [EMISOR_RUC, "03", "B001", "4", "2.29", "15.00"]
    assert fields[7:] == ["0", "-", signed.hash, ""]


def test_amounts_always_have_two_decimals_and_exempt_igv_is_zero(test_certificate):
    signed = issue(
        test_certificate,
        factura(
            items=[{"descripcion": "Libro", "cantidad": "1", "valor_unitario": "40", "afectacion_igv": "20"}]
        ),
    )
    fields = qr_text(signed.xml).split("|")
    assert fields[4:6] == ["0.00", "40.00"]


def test_the_hash_is_the_signatures_digest_value(test_certificate):
    signed = sign_xml(
        test_certificate, invoice_xml(ident="F002-15", issue_date=dt.date(2024, 3, 9).isoformat())
    )
    assert (
        qr_text(signed.xml)
        == f"{EMISOR_RUC}|01|F002|15|180.00|1180.00|2024-03-09|6|20100070970|{signed.hash}|"
    )


def test_symbol_uses_error_correction_q_and_fits_sunats_six_centimetres(test_certificate):
    signed = issue(test_certificate, factura(), numero=5)
    page = PdfReader(io.BytesIO(render_pdf(signed.xml))).pages[0]
    (image,) = page.images
    (barcode,) = zxingcpp.read_barcodes(image.image)
    assert barcode.ec_level == "Q"
    assert barcode.text == qr_text(signed.xml)
    # The image is drawn at 30 mm: the cm (transformation) operator before "Do" scales it.
    assert re.search(rb"85\.04 0 0 85\.04 [\d.]+ [\d.]+ cm", page.get_contents().get_data())
