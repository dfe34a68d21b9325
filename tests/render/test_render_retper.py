"""The printed comprobante de retención (20) and de percepción (40), A4 and ticket.

The amounts expected are the ones the retper tests compute by hand from SUNAT's formulas
(rate × payment × exchange rate, half up; net = payment ∓ that amount).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from PIL import Image
from pypdf import PdfReader
from render_corpus import RETPER_RAZON_SOCIAL, RETPER_RUC, Document, retper, retper_cases
from render_support import cdr_xml, qr_codes, text_of

from openpse.core.timeutil import now_lima
from openpse.core.words import amount_in_words
from openpse.render import RenderError, qr_text, render_pdf

CASES = retper_cases()
AMOUNTS = {
    # case: (total retained or perceived, total paid or collected)
    "retencion-una-factura": ("35.40", "1,144.60"),
    "retencion-usd-dos-pagos-y-pen": ("240.43", "7,773.97"),
    "retencion-factura-nd-nc-ticket": ("59.94", "1,938.06"),
    "retencion-redondeo-direccion-observaciones": ("35.40", "1,145.00"),
    "percepcion-una-boleta": ("23.60", "1,203.60"),
    "percepcion-combustible-usd-dos-cobros": ("88.64", "8,952.24"),
    "percepcion-tasa-especial": ("1.50", "301.50"),
}
FORMATS = ("a4", "ticket")


@pytest.fixture(scope="module")
def corpus(test_certificate) -> dict[str, Document]:
    return {
        name: retper(test_certificate, body, numero) for numero, (name, body) in enumerate(CASES.items(), 1)
    }


def flat(pdf: bytes) -> str:
    return " ".join(text_of(pdf).split())


def test_every_case_has_its_expected_amounts():
    assert set(AMOUNTS) == set(CASES)


@pytest.mark.parametrize("formato", FORMATS)
@pytest.mark.parametrize("name", list(CASES))
def test_every_retention_and_perception_prints_its_facts_and_qr(corpus, name, formato):
    doc = corpus[name]
    body = doc.request
    percepcion = body["tipo"] == "40"
    total, neto = AMOUNTS[name]
    pdf = render_pdf(doc.xml, formato=formato)
    text = flat(pdf)
    nombre = "COMPROBANTE DE PERCEPCIÓN ELECTRÓNICO" if percepcion else "COMPROBANTE DE RETENCIÓN ELECTRÓNICO"
    contraparte = body["cliente"] if percepcion else body["proveedor"]
    assert nombre in text
    assert f"Representación impresa del {nombre}" in text
    assert doc.number in text
    assert RETPER_RAZON_SOCIAL in text
    assert RETPER_RUC in text
    assert contraparte["razon_social"] in text
    assert contraparte["numero_documento"] in text
    assert f"Valor resumen (hash): {doc.hash}" in text
    percibido, cobrado = ("percibido", "cobrado") if percepcion else ("retenido", "pagado")
    assert f"Importe total {percibido} S/ {total}" in text
    assert f"Importe total {cobrado} S/ {neto}" in text
    assert f"SON: {amount_in_words(Decimal(total), 'PEN')}" in text
    for documento in body["documentos"]:
        assert f"{documento['serie']}-{documento['numero']}" in text
    serie, numero = doc.number.split("-")
    fecha = now_lima().date().isoformat()
    expected = (
        f"{RETPER_RUC}|{body['tipo']}|{serie}|{numero}|{total}|{neto.replace(',', '')}|{fecha}|"
        f"{contraparte.get('tipo_documento', '6')}|{contraparte['numero_documento']}|{doc.hash}|"
    )
    assert qr_text(doc.xml) == expected
    assert qr_codes(pdf) == [expected]


def test_retention_in_dollars_shows_each_payment_its_exchange_rate_and_net(corpus):
    text = flat(render_pdf(corpus["retencion-usd-dos-pagos-y-pen"].xml))
    assert "Régimen de retención: 01 – Tasa 3%" in text
    assert "Tasa: 3 %" in text
    # One row per payment: the dollars paid, the rate of the day, the soles retained and net.
    assert re.search(r"US\$ 2,000\.00 1 \S+ US\$ 1,200\.00 3\.71 133\.56 4,318\.44", text)
    assert re.search(r"US\$ 2,000\.00 2 \S+ US\$ 800\.00 3\.7155 89\.17 2,883\.23", text)
    assert "Factura F003-22" in text
    assert "Tipo de cambio USD/PEN del" in text


def test_retention_ticket_puts_each_payment_on_its_own_line(corpus):
    text = flat(render_pdf(corpus["retencion-usd-dos-pagos-y-pen"].xml, formato="ticket"))
    hoy = now_lima().date().strftime("%d/%m/%Y")
    assert f"Pago 1 del {hoy}: US$ 1,200.00 × T.C. 3.71; neto pagado S/ 4,318.44 S/ 133.56" in text
    assert f"Pago 2 del {hoy}: US$ 800.00 × T.C. 3.7155; neto pagado S/ 2,883.23 S/ 89.17" in text


def test_credit_notes_and_tickets_are_listed(corpus):
    text = flat(render_pdf(corpus["retencion-factura-nd-nc-ticket"].xml))
    assert "Nota de débito F001-32" in text
    assert "Nota de crédito F001-33" in text
    assert "Ticket o cinta emitido por máquina registradora TKT01-55" in text


def test_rounding_address_trade_name_and_observations(corpus):
    text = flat(render_pdf(corpus["retencion-redondeo-direccion-observaciones"].xml))
    assert "Redondeo S/ 0.40" in text
    assert "CALLE MERCADERES 410, CENTRO, AREQUIPA - AREQUIPA - AREQUIPA" in text
    assert "Observaciones: Pago de la quincena; retención según RS 037-2002/SUNAT" in text


def test_perception_names_its_regime_and_collections(corpus):
    text = flat(render_pdf(corpus["percepcion-combustible-usd-dos-cobros"].xml))
    assert "Régimen de percepción: 02 – Percepción a la adquisición de combustible" in text
    assert "Tasa: 1 %" in text
    assert "Percibido S/" in text
    assert "Total cobrado S/" in text
    especial = flat(render_pdf(corpus["percepcion-tasa-especial"].xml, formato="ticket"))
    assert "03 – Percepción realizada al agente de percepción con tasa especial" in especial
    assert "Boleta de venta B001-8" in especial


@pytest.mark.parametrize("formato", FORMATS)
def test_sunats_answer_and_the_logo_are_printed(corpus, formato):
    doc = corpus["retencion-una-factura"]
    buffer = io.BytesIO()
    Image.new("RGB", (200, 200), (200, 20, 20)).save(buffer, format="JPEG")
    cdr = cdr_xml(
        doc.number, description=f"El Comprobante de Retencion numero {doc.number}, ha sido aceptado"
    )
    pdf = render_pdf(doc.xml, formato=formato, cdr=cdr, logo=buffer.getvalue())
    assert (
        f"Respuesta de SUNAT: 0 – El Comprobante de Retencion numero {doc.number}, ha sido aceptado"
        in flat(pdf)
    )
    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 2
    assert qr_codes(pdf) == [qr_text(doc.xml)]


def test_a_cdr_of_another_retention_is_refused(corpus):
    with pytest.raises(RenderError, match="El CDR es del comprobante R001-77"):
        render_pdf(corpus["retencion-una-factura"].xml, cdr=cdr_xml("R001-77"))


def test_the_pdf_is_dated_when_the_document_was_issued(corpus):
    info = PdfReader(io.BytesIO(render_pdf(corpus["percepcion-una-boleta"].xml))).metadata
    assert info is not None
    assert info.creation_date is not None
    assert info.creation_date.date() == now_lima().date()
    assert info.creation_date.utcoffset() == dt.timedelta(hours=-5)
    assert info.title.startswith("COMPROBANTE DE PERCEPCIÓN ELECTRÓNICO P001-")
