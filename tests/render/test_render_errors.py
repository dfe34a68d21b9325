"""Input that cannot be printed raises RenderError with a Spanish message, and nothing is returned."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image
from render_support import cdr_xml, invoice_xml, issue, sign_xml

from openpse.render import RenderError, qr_text, render_pdf
from tests_support import factura


@pytest.fixture(scope="module")
def signed(test_certificate):
    return issue(test_certificate, factura(), numero=8)


def test_malformed_xml(signed):
    with pytest.raises(RenderError, match="XML mal formado"):
        render_pdf(signed.xml[:-40])


def test_doctype_is_refused_before_any_entity_is_read():
    xxe = b'<?xml version="1.0"?>\n<!DOCTYPE Invoice [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<Invoice>&x;</Invoice>'
    with pytest.raises(RenderError, match="DOCTYPE"):
        render_pdf(xxe)
    with pytest.raises(RenderError, match="DOCTYPE"):
        qr_text(xxe)


def test_xml_must_be_bytes(signed):
    with pytest.raises(RenderError, match="bytes"):
        render_pdf(signed.xml.decode("utf-8"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        (
            b'<SummaryDocuments xmlns="urn:sunat:names:specification:ubl:peru:schema:xsd:SummaryDocuments-1"'
            b"/>",
            "SummaryDocuments no soportado",
        ),
        (
            b'<DespatchAdvice xmlns="urn:oasis:names:specification:ubl:schema:xsd:DespatchAdvice-2"/>',
            r"Guía en UBL \(sin versión\)",
        ),
        (
            b'<ApplicationResponse xmlns="urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2"'
            b"/>",
            "ApplicationResponse no soportado",
        ),
        (
            b'<MensajeReceptor xmlns="https://cdn.comprobanteselectronicos.go.cr/xml-schemas/v4.4/mensajeReceptor"/>',
            "MensajeReceptor no soportado",
        ),
        (b"<Invoice/>", "Invoice no soportado"),
    ],
)
def test_unsupported_documents(xml, message):
    with pytest.raises(RenderError, match=message):
        render_pdf(xml)


def test_unsupported_invoice_type(test_certificate):
    signed = sign_xml(test_certificate, invoice_xml(tipo="04"))
    with pytest.raises(RenderError, match="Tipo de comprobante 04 no soportado"):
        render_pdf(signed.xml)


def test_ubl_2_0_is_refused(test_certificate):
    signed = sign_xml(test_certificate, invoice_xml(version="2.0"))
    with pytest.raises(RenderError, match=r"UBL 2\.0 no soportado"):
        render_pdf(signed.xml)


def test_unsigned_xml_has_no_hash_to_print():
    with pytest.raises(RenderError, match="no está firmado"):
        render_pdf(invoice_xml().encode())


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ({"issue_date": "21/07/2020"}, "no es una fecha"),
        ({"payable": "1.180,00"}, "no es un número"),
        ({"payable": "NaN"}, "no es un número"),
        ({"ident": "F001"}, "SERIE-NÚMERO"),
    ],
)
def test_broken_values_are_named(test_certificate, broken, message):
    signed = sign_xml(test_certificate, invoice_xml(**broken))
    with pytest.raises(RenderError, match=message):
        render_pdf(signed.xml)


def test_unknown_format(signed):
    with pytest.raises(RenderError, match="Formato 'a5' no soportado"):
        render_pdf(signed.xml, formato="a5")


def test_logo_that_is_not_png_or_jpeg(signed):
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, format="GIF")
    with pytest.raises(RenderError, match="PNG o JPEG"):
        render_pdf(signed.xml, logo=gif.getvalue())
    with pytest.raises(RenderError, match="PNG o JPEG"):
        render_pdf(signed.xml, logo=b'<svg xmlns="http://www.w3.org/2000/svg"/>')


def test_truncated_png_logo(signed):
    png = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 200, 10)).save(png, format="PNG")
    with pytest.raises(RenderError, match="no es una imagen PNG o JPEG válida"):
        render_pdf(signed.xml, logo=png.getvalue()[:60])


def test_cdr_of_another_document(signed):
    with pytest.raises(RenderError, match="El CDR es del comprobante F001-9, no del F001-8"):
        render_pdf(signed.xml, cdr=cdr_xml("F001-9"))


def test_unreadable_cdr(signed):
    with pytest.raises(RenderError, match="CDR ilegible"):
        render_pdf(signed.xml, cdr=b"<Invoice/>")
    with pytest.raises(RenderError, match="CDR ilegible"):
        render_pdf(signed.xml, cdr=b"PK\x03\x04 not a zip")


def _png_header(width: int, height: int) -> bytes:
    """A PNG that declares its size and has no pixels: enough for the size check, which runs first."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"") + chunk(b"IEND", b"")


def test_logo_with_too_many_pixels_is_refused_before_decoding(signed):
    with pytest.raises(RenderError, match="demasiado grande"):
        render_pdf(signed.xml, logo=_png_header(8_000, 6_000))


def test_logo_over_5_mb_is_refused(signed):
    with pytest.raises(RenderError, match="el máximo es 5120 KB"):
        render_pdf(signed.xml, logo=_png_header(10, 10) + bytes(5 * 1024 * 1024))
