"""The printed comprobantes electrónicos of Costa Rica (v4.4), A4 and ticket.

One document of each type (FE, ND, NC, TE, FEC, FEE, REP) and a factura with every
optional part, built and signed by ``emitir``: the printout names the document, shows
its clave and consecutivo, the parties, the lines and the totals with the amount in
words, and its QR decodes to the clave. Hacienda's answer (MensajeHacienda) is printed
when given, and refused when it is about another document.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader
from render_corpus import CR_EMPRESA, comprobante_cr, cr_cases, mensaje_hacienda
from render_support import qr_codes, text_of

from openpse.authorities.hacienda.formatos import FORMATOS
from openpse.core.money import round2
from openpse.core.words import amount_in_words
from openpse.render import RenderError, qr_text, render_pdf

CASES = cr_cases()
FORMATS = ("a4", "ticket")


@pytest.fixture(scope="module")
def corpus() -> dict[str, tuple[Any, Any]]:
    return {name: comprobante_cr(body, numero) for numero, (name, body) in enumerate(CASES.items(), 1)}


def flat(pdf: bytes) -> str:
    return " ".join(text_of(pdf).split())


def money(value: Decimal, currency: str) -> str:
    symbol = {"CRC": "¢", "USD": "US$"}[currency]
    return f"{symbol} {round2(value):,.2f}"


@pytest.mark.parametrize("formato", FORMATS)
@pytest.mark.parametrize("name", list(CASES))
def test_every_type_prints_clave_consecutivo_parties_lines_totals_and_qr(corpus, name, formato):
    doc, signed = corpus[name]
    body = doc.request
    resumen = signed.calculo.resumen
    pdf = render_pdf(doc.xml, formato=formato)
    text = flat(pdf)
    nombre = FORMATOS[signed.tipo].nombre.upper()
    assert nombre in text
    assert f"Representación impresa {'del' if signed.tipo in ('04', '10') else 'de la'} {nombre}" in text
    assert f"Clave numérica: {signed.clave}" in text
    assert f"Número consecutivo: {signed.consecutivo}" in text
    assert CR_EMPRESA["nombre"] in text
    assert CR_EMPRESA["identificacion"]["numero"] in text
    if body.get("receptor"):
        assert body["receptor"]["nombre"] in text
    if body.get("proveedor"):
        assert body["proveedor"]["nombre"] in text
    for item in body["items"]:
        assert item["descripcion"] in text
        if item.get("cabys"):
            assert item["cabys"] in text
    assert f"Total comprobante {money(resumen.total_comprobante, resumen.moneda)}" in text
    assert f"SON: {amount_in_words(resumen.total_comprobante, resumen.moneda)}" in text
    assert "MH-DGT-RES-0027-2024" in text
    assert qr_text(doc.xml) == signed.clave
    assert qr_codes(pdf) == [signed.clave]


def test_colones_are_written_out_in_spanish(corpus):
    doc, _ = corpus["tipo-01"]
    text = flat(render_pdf(doc.xml))
    assert "SON: MIL CIENTO TREINTA CON 00/100 COLONES" in text
    assert "Total comprobante ¢ 1,130.00" in text
    assert "IVA 13 % ¢ 130.00" in text
    assert "Moneda: COLONES (CRC)" in text
    assert "Cédula jurídica N° 3101123456" in text
    assert "Receptor: María Pérez Rodríguez" in text
    assert "Cédula física: 106130584" in text
    assert "Condición de venta: 01 – Contado" in text
    assert "Medio de pago: Efectivo" in text
    assert "Avenida 7, calles 3 y 5, edificio <azul>, Barrio Amón, Carmen, San José, San José" in text


def test_export_invoice_in_dollars_with_its_exchange_rate(corpus):
    doc, _ = corpus["tipo-09"]
    text = flat(render_pdf(doc.xml))
    assert "FACTURA ELECTRÓNICA DE EXPORTACIÓN" in text
    assert "Moneda: DÓLARES AMERICANOS (USD)" in text
    assert "Tipo de cambio: 505.12" in text
    assert "Total comprobante US$ 2,550.00" in text
    assert "SON: DOS MIL QUINIENTOS CINCUENTA CON 00/100 DÓLARES AMERICANOS" in text
    assert "Partida arancelaria: 090111000000" in text
    assert "Extranjero no domiciliado: US998877" in text
    assert "1200 Brickell Ave, Miami, Florida" in text


def test_purchase_invoice_is_issued_by_the_buying_company(corpus):
    doc, _ = corpus["tipo-08"]
    text = flat(render_pdf(doc.xml))
    # The company that buys issues the factura de compra: its name heads the page, the
    # seller is the counterpart.
    assert text.index(CR_EMPRESA["nombre"]) < text.index("Proveedor: Juan Vendedor Informal")
    assert "Cédula física: 205550123" in text
    assert "Referencia: Comprobante aportado por contribuyente de Régimen Especial FAC-0001" in text


def test_notes_and_receipts_print_their_references(corpus):
    credit, _ = corpus["tipo-03"]
    text = flat(render_pdf(credit.xml))
    assert "NOTA DE CRÉDITO ELECTRÓNICA" in text
    assert (
        "Referencia: Factura electrónica 50601112600310112345600100001010000000001100000001 del 02/11/2026. "
        "01 – Anula documento de referencia: Anula la factura por devolución total"
    ) in text
    receipt, _ = corpus["tipo-10"]
    recibo = flat(render_pdf(receipt.xml, formato="ticket"))
    assert "RECIBO ELECTRÓNICO DE PAGO" in recibo
    assert "Pago parcial de la factura de servicios" in recibo
    assert "17 – Pago a comprobante electrónico" in recibo
    assert "Condición de venta: 09 – Pago del servicio prestado al Estado" in recibo


def test_rich_invoice_shows_credit_discounts_exoneration_and_other_charges(corpus):
    doc, signed = corpus["factura-credito-descuento-exoneracion-cargos"]
    text = flat(render_pdf(doc.xml))
    assert "Condición de venta: 02 – Crédito" in text
    assert "Plazo de crédito: 30 días" in text
    assert "Código del producto del vendedor: ART-778" in text
    assert "Descuento (Descuento comercial): ¢ 5,000.00" in text
    assert "Exoneración Autorizado por Ley Especial N° LEY-7210 (Ministerio de Hacienda): 1,950.00" in text
    assert "Total descuentos ¢ 5,000.00" in text
    assert "Total exonerado ¢ 15,000.00" in text
    assert "Otros cargos ¢ 6,000.00" in text
    assert "Impuesto de servicio 10%: Impuesto de servicio ¢ 6,000.00" in text
    assert "Observaciones: Entrega en bodega central" in text
    assert f"Total comprobante ¢ {round2(signed.calculo.resumen.total_comprobante):,.2f}" in text


def test_ticket_without_receptor_prints_without_a_customer(corpus):
    doc, _ = corpus["tiquete-sin-receptor-en-dolares"]
    for formato in FORMATS:
        text = flat(render_pdf(doc.xml, formato=formato))
        assert "TIQUETE ELECTRÓNICO" in text
        assert "Receptor" not in text
        assert "Medio de pago: Tarjeta" in text
        assert "DÓLARES AMERICANOS" in text


def test_the_clave_stays_whole_on_the_ticket(corpus):
    doc, signed = corpus["tipo-03"]
    lines = text_of(render_pdf(doc.xml, formato="ticket")).splitlines()
    assert any(signed.clave in line for line in lines)
    assert any("50601112600310112345600100001010000000001100000001" in line for line in lines)


@pytest.mark.parametrize("formato", FORMATS)
def test_haciendas_acceptance_is_printed(corpus, formato):
    doc, signed = corpus["tipo-01"]
    pdf = render_pdf(doc.xml, formato=formato, cdr=mensaje_hacienda(signed.clave))
    text = flat(pdf)
    assert "Respuesta del Ministerio de Hacienda: Aceptado" in text
    assert "Este comprobante fue aceptado en el ambiente de pruebas" in text
    assert qr_codes(pdf) == [signed.clave]


def test_haciendas_rejection_says_the_document_is_not_valid(corpus):
    doc, signed = corpus["tipo-01"]
    detalle = (
        "El comprobante electrónico tiene los siguientes errores: [ codigo, mensaje, fila, columna "
        '-1, "El tipo de documento no corresponde.", 0, 0 ]'
    )
    text = flat(render_pdf(doc.xml, cdr=mensaje_hacienda(signed.clave, aceptado=False, detalle=detalle)))
    assert "Respuesta del Ministerio de Hacienda: Rechazado" in text
    assert "RECHAZADO por el Ministerio de Hacienda: no tiene validez tributaria" in text
    assert "El tipo de documento no corresponde." in text


def test_an_answer_about_another_clave_is_refused(corpus):
    doc, _ = corpus["tipo-01"]
    other, _ = corpus["tipo-04"]
    with pytest.raises(RenderError, match="La respuesta de Hacienda es del comprobante"):
        render_pdf(doc.xml, cdr=mensaje_hacienda(corpus["tipo-04"][1].clave))
    with pytest.raises(RenderError, match="Respuesta de Hacienda ilegible"):
        render_pdf(doc.xml, cdr=b"<MensajeHacienda><Clave>1</Clave></MensajeHacienda>")
    with pytest.raises(RenderError, match="Respuesta de Hacienda ilegible"):
        render_pdf(doc.xml, cdr=other.xml)


@pytest.mark.parametrize("formato", FORMATS)
def test_the_company_logo_heads_every_costa_rican_layout(corpus, formato):
    buffer = io.BytesIO()
    Image.new("RGBA", (500, 200), (0, 120, 60, 255)).save(buffer, format="PNG")
    doc, signed = corpus["tipo-04"]
    pdf = render_pdf(doc.xml, formato=formato, logo=buffer.getvalue())
    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 2
    assert qr_codes(pdf) == [signed.clave]


def test_pdf_metadata_is_the_costa_rican_moment_of_issue(corpus):
    doc, signed = corpus["tipo-01"]
    info = PdfReader(io.BytesIO(render_pdf(doc.xml))).metadata
    assert info is not None
    assert info.creation_date == signed.fecha_emision
    assert info.title == f"FACTURA ELECTRÓNICA {signed.consecutivo}"
    assert info.author == CR_EMPRESA["nombre"]
