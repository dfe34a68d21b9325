"""Helpers for the printed-representation tests: signed documents, PDF text and QR reading.

Documents are built and signed by OpenPSE itself (``SunatAuthority.prepare``), as the API
would; the few shapes OpenPSE does not emit (detracción, percepción, anticipos) are
written by hand below and signed with the same signer.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from xml.sax.saxutils import escape

import httpx2
import zxingcpp
from lxml import etree
from pypdf import PdfReader

from openpse.authorities.base import EmpresaContext
from openpse.authorities.sunat.authority import SunatAuthority
from openpse.core.timeutil import now_lima
from openpse.signing import xmldsig
from openpse.signing.certificates import Certificate

CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
EMISOR_RUC = "20000000001"
EMISOR_RAZON_SOCIAL = "COMERCIAL ÑANDÚ & HIJOS S.A.C."


def empresa(certificate: Certificate, **overrides: Any) -> EmpresaContext:
    values: dict[str, Any] = {
        "id": 1,
        "pais": "PE",
        "identificacion": EMISOR_RUC,
        "razon_social": EMISOR_RAZON_SOCIAL,
        "nombre_comercial": "El Ñandú",
        "direccion": {
            "ubigeo": "150101",
            "departamento": "LIMA",
            "provincia": "LIMA",
            "distrito": "MIRAFLORES",
            "urbanizacion": "SAN ANTONIO",
            "direccion": "AV. LARCO 1234 OF. 5",
        },
        "destino": "sunat",
        "ambiente": "sandbox",
        "ose_url": None,
        "usuario": None,
        "clave": None,
        "firma_algoritmo": "sha256",
        "certificate": certificate,
    }
    values.update(overrides)
    return EmpresaContext(**values)


class Signed:
    """A signed comprobante as OpenPSE stores it: the XML bytes and its DigestValue."""

    def __init__(self, xml: bytes, digest: str, serie_numero: str) -> None:
        self.xml = xml
        self.hash = digest
        self.serie_numero = serie_numero


def issue(
    certificate: Certificate, body: dict[str, Any], numero: int = 1, **empresa_overrides: Any
) -> Signed:
    """Build and sign ``body`` (the API's JSON) exactly as ``POST /v1/comprobantes`` does."""
    authority = SunatAuthority(httpx2.Client(), "http://127.0.0.1:9")
    draft = authority.parse(body)
    prepared = authority.prepare(
        draft, body.get("numero") or numero, empresa(certificate, **empresa_overrides), now_lima().date()
    )
    return Signed(prepared.xml, prepared.hash, f"{prepared.serie}-{prepared.numero}")


def sign_xml(certificate: Certificate, xml: str) -> Signed:
    """Sign a hand-written UBL document (with an empty ext:ExtensionContent)."""
    root = etree.fromstring(xml.encode("utf-8"))
    signed = xmldsig.sign(root, certificate)
    return Signed(signed.xml, signed.digest_value, root.findtext(f"{{{CBC}}}ID") or "")


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def text_of(pdf: bytes) -> str:
    return "\n".join(pages_text(pdf))


def qr_codes(pdf: bytes, page: int = -1) -> list[str]:
    """Every QR code found in the images of one page (the last by default)."""
    found = []
    for image in PdfReader(io.BytesIO(pdf)).pages[page].images:
        for barcode in zxingcpp.read_barcodes(image.image):
            if barcode.format == zxingcpp.BarcodeFormat.QRCode:
                found.append(barcode.text)
    return found


def page_size_mm(pdf: bytes, page: int = 0) -> tuple[float, float]:
    box = PdfReader(io.BytesIO(pdf)).pages[page].mediabox
    return float(box.width) * 25.4 / 72, float(box.height) * 25.4 / 72


CONTADO = (
    "<cac:PaymentTerms><cbc:ID>FormaPago</cbc:ID>"
    "<cbc:PaymentMeansID>Contado</cbc:PaymentMeansID></cac:PaymentTerms>"
)
_NAMESPACES = (
    'xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" '
    'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" '
    'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2" '
    'xmlns:ext="urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2" '
    'xmlns:ds="http://www.w3.org/2000/09/xmldsig#"'
)


def invoice_xml(
    *,
    ident: str = "F001-77",
    tipo: str = "01",
    version: str = "2.1",
    notes: str = '<cbc:Note languageLocaleID="1000">MIL CIENTO OCHENTA CON 00/100 SOLES</cbc:Note>',
    before_parties: str = "",
    after_parties: str = CONTADO,
    payable: str = "1180.00",
    issue_date: str | None = None,
    extra_line: str = "",
) -> str:
    """A SUNAT-shaped Invoice written by hand, for shapes OpenPSE's builder does not emit."""
    date = issue_date or dt.date(2024, 5, 2).isoformat()
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Invoice {_NAMESPACES}>
  <ext:UBLExtensions><ext:UBLExtension><ext:ExtensionContent/></ext:UBLExtension></ext:UBLExtensions>
  <cbc:UBLVersionID>{version}</cbc:UBLVersionID>
  <cbc:CustomizationID>2.0</cbc:CustomizationID>
  <cbc:ID>{ident}</cbc:ID>
  <cbc:IssueDate>{date}</cbc:IssueDate>
  <cbc:InvoiceTypeCode listID="1001">{tipo}</cbc:InvoiceTypeCode>
  {notes}
  <cbc:DocumentCurrencyCode>PEN</cbc:DocumentCurrencyCode>
  {before_parties}
  <cac:AccountingSupplierParty><cac:Party>
    <cac:PartyIdentification><cbc:ID schemeID="6">{EMISOR_RUC}</cbc:ID></cac:PartyIdentification>
    <cac:PartyLegalEntity><cbc:RegistrationName>TRANSPORTES DEL SUR S.A.</cbc:RegistrationName>
      <cac:RegistrationAddress><cbc:AddressTypeCode>0000</cbc:AddressTypeCode>
        <cac:AddressLine><cbc:Line>JR. UNIÓN 100</cbc:Line></cac:AddressLine></cac:RegistrationAddress>
    </cac:PartyLegalEntity>
  </cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party>
    <cac:PartyIdentification><cbc:ID schemeID="6">20100070970</cbc:ID></cac:PartyIdentification>
    <cac:PartyLegalEntity>
      <cbc:RegistrationName>MINERA ANDINA S.A.A.</cbc:RegistrationName>
    </cac:PartyLegalEntity>
  </cac:Party></cac:AccountingCustomerParty>
  {after_parties}
  <cac:TaxTotal>
    <cbc:TaxAmount currencyID="PEN">180.00</cbc:TaxAmount>
    <cac:TaxSubtotal>
      <cbc:TaxableAmount currencyID="PEN">1000.00</cbc:TaxableAmount>
      <cbc:TaxAmount currencyID="PEN">180.00</cbc:TaxAmount>
      <cac:TaxCategory><cac:TaxScheme><cbc:ID>1000</cbc:ID><cbc:Name>IGV</cbc:Name>
        <cbc:TaxTypeCode>VAT</cbc:TaxTypeCode></cac:TaxScheme></cac:TaxCategory>
    </cac:TaxSubtotal>
  </cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="PEN">1000.00</cbc:LineExtensionAmount>
    <cbc:TaxInclusiveAmount currencyID="PEN">1180.00</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="PEN">{payable}</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
  <cac:InvoiceLine>
    <cbc:ID>1</cbc:ID>
    <cbc:InvoicedQuantity unitCode="ZZ">1</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="PEN">1000.00</cbc:LineExtensionAmount>
    <cac:PricingReference><cac:AlternativeConditionPrice>
      <cbc:PriceAmount currencyID="PEN">1180.00</cbc:PriceAmount><cbc:PriceTypeCode>01</cbc:PriceTypeCode>
    </cac:AlternativeConditionPrice></cac:PricingReference>
    <cac:TaxTotal><cbc:TaxAmount currencyID="PEN">180.00</cbc:TaxAmount>
      <cac:TaxSubtotal><cbc:TaxableAmount currencyID="PEN">1000.00</cbc:TaxableAmount>
        <cbc:TaxAmount currencyID="PEN">180.00</cbc:TaxAmount>
        <cac:TaxCategory><cbc:Percent>18.00</cbc:Percent><cbc:TaxExemptionReasonCode>10</cbc:TaxExemptionReasonCode>
          <cac:TaxScheme><cbc:ID>1000</cbc:ID><cbc:Name>IGV</cbc:Name><cbc:TaxTypeCode>VAT</cbc:TaxTypeCode></cac:TaxScheme>
        </cac:TaxCategory></cac:TaxSubtotal></cac:TaxTotal>
    <cac:Item><cbc:Description>Transporte de carga Lima - Arequipa</cbc:Description>
      <cac:AdditionalItemProperty>
        <cbc:Name>Placa del vehículo</cbc:Name><cbc:Value>ABC-123</cbc:Value>
      </cac:AdditionalItemProperty>
    </cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="PEN">1000.00</cbc:PriceAmount></cac:Price>
  </cac:InvoiceLine>
  {extra_line}
</Invoice>"""


def cdr_xml(
    reference: str, code: str = "0", description: str | None = None, notes: tuple[str, ...] = ()
) -> bytes:
    """A CDR shaped like SUNAT's beta answers (sunat.md §3.1)."""
    description = description or f"La Factura numero {reference}, ha sido aceptada"
    note_xml = "".join(f"<cbc:Note>{escape(note)}</cbc:Note>" for note in notes)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ar:ApplicationResponse xmlns:ar="urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2"
    xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
    xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:UBLVersionID>2.0</cbc:UBLVersionID><cbc:CustomizationID>1.0</cbc:CustomizationID>
  <cbc:ID>1703151265372</cbc:ID>
  <cbc:IssueDate>2024-05-02</cbc:IssueDate><cbc:IssueTime>00:00:00</cbc:IssueTime>
  <cbc:ResponseDate>2024-05-02</cbc:ResponseDate><cbc:ResponseTime>10:00:00</cbc:ResponseTime>
  {note_xml}
  <cac:DocumentResponse>
    <cac:Response><cbc:ReferenceID>{reference}</cbc:ReferenceID><cbc:ResponseCode>{code}</cbc:ResponseCode>
      <cbc:Description>{escape(description)}</cbc:Description></cac:Response>
    <cac:DocumentReference><cbc:ID>{reference}</cbc:ID></cac:DocumentReference>
  </cac:DocumentResponse>
</ar:ApplicationResponse>""".encode()
