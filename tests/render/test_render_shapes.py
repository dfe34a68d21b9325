"""SUNAT shapes OpenPSE does not emit yet but other issuers' XML carries: detracción, percepción,
anticipos, guías, item properties. Written by hand after SUNAT's guide (sunat.md §4.6)."""

from __future__ import annotations

from render_support import CONTADO, invoice_xml, qr_codes, sign_xml, text_of

from openpse.render import qr_text, render_pdf

DETRACCION = (
    "<cac:PaymentMeans><cbc:ID>Detraccion</cbc:ID><cbc:PaymentMeansCode>001</cbc:PaymentMeansCode>"
    "<cac:PayeeFinancialAccount><cbc:ID>00-000-123456</cbc:ID></cac:PayeeFinancialAccount></cac:PaymentMeans>"
    "<cac:PaymentTerms><cbc:ID>Detraccion</cbc:ID><cbc:PaymentMeansID>027</cbc:PaymentMeansID>"
    "<cbc:PaymentPercent>4.00</cbc:PaymentPercent>"
    '<cbc:Amount currencyID="PEN">47.20</cbc:Amount></cac:PaymentTerms>'
)
NOTES = (
    '<cbc:Note languageLocaleID="1000">MIL CIENTO OCHENTA CON 00/100 SOLES</cbc:Note>'
    '<cbc:Note languageLocaleID="2006">Operación sujeta a detracción</cbc:Note>'
    "<cbc:Note>Entrega en planta Cerro Verde</cbc:Note>"
)


def test_detraccion_prints_goods_rate_amount_and_account(test_certificate):
    signed = sign_xml(test_certificate, invoice_xml(notes=NOTES, after_parties=DETRACCION + CONTADO))
    pdf = render_pdf(signed.xml)
    text = " ".join(text_of(pdf).split())
    assert "SON: MIL CIENTO OCHENTA CON 00/100 SOLES" in text
    assert "Operación sujeta a detracción" in text
    assert "Operación sujeta al Sistema de Pago de Obligaciones Tributarias" in text
    assert "Bien o servicio: 027 – Servicio de transporte de carga" in text
    assert "Porcentaje: 4 %" in text
    assert "Monto de la detracción: S/ 47.20" in text
    assert "Cuenta en el Banco de la Nación: 00-000-123456" in text
    assert "Medio de pago: 001 – Depósito en cuenta" in text
    assert "Observaciones: Entrega en planta Cerro Verde" in text
    assert "Placa del vehículo: ABC-123" in text
    assert qr_codes(pdf) == [qr_text(signed.xml)]
    ticket = " ".join(text_of(render_pdf(signed.xml, formato="ticket")).split())
    assert "Cuenta en el Banco de la Nación: 00-000-123456" in ticket


def test_percepcion_prints_rate_amount_and_total_to_collect(test_certificate):
    percepcion = (
        "<cac:PaymentTerms><cbc:ID>Percepcion</cbc:ID>"
        '<cbc:Amount currencyID="PEN">1203.60</cbc:Amount></cac:PaymentTerms>'
        "<cac:AllowanceCharge><cbc:ChargeIndicator>true</cbc:ChargeIndicator>"
        "<cbc:AllowanceChargeReasonCode>51</cbc:AllowanceChargeReasonCode>"
        "<cbc:MultiplierFactorNumeric>0.02</cbc:MultiplierFactorNumeric>"
        '<cbc:Amount currencyID="PEN">23.60</cbc:Amount>'
        '<cbc:BaseAmount currencyID="PEN">1180.00</cbc:BaseAmount>'
        "</cac:AllowanceCharge>"
    )
    signed = sign_xml(test_certificate, invoice_xml(ident="F001-78", after_parties=CONTADO + percepcion))
    text = " ".join(text_of(render_pdf(signed.xml)).split())
    assert "Percepción venta interna (2 %): S/ 23.60 sobre S/ 1,180.00" in text
    assert "Importe total incluida la percepción: S/ 1,203.60" in text
    assert "Importe total S/ 1,180.00" in text


def test_anticipos_and_related_documents(test_certificate):
    before = (
        "<cac:OrderReference><cbc:ID>OC-555</cbc:ID></cac:OrderReference>"
        "<cac:DespatchDocumentReference><cbc:ID>T001-42</cbc:ID>"
        "<cbc:DocumentTypeCode>09</cbc:DocumentTypeCode></cac:DespatchDocumentReference>"
        "<cac:AdditionalDocumentReference><cbc:ID>F001-2</cbc:ID>"
        "<cbc:DocumentTypeCode>02</cbc:DocumentTypeCode></cac:AdditionalDocumentReference>"
    )
    after = (
        CONTADO + "<cac:PrepaidPayment><cbc:ID>F001-2</cbc:ID>"
        '<cbc:PaidAmount currencyID="PEN">100.00</cbc:PaidAmount></cac:PrepaidPayment>'
    )
    signed = sign_xml(
        test_certificate, invoice_xml(ident="F001-79", before_parties=before, after_parties=after)
    )
    text = " ".join(text_of(render_pdf(signed.xml)).split())
    assert "Orden de compra: OC-555" in text
    assert "Guía de remisión: T001-42" in text
    assert "Factura – emitida por anticipos: F001-2" in text
    assert "Anticipo F001-2: S/ 100.00" in text
