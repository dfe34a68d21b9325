"""Builders for the SUNAT sandbox tests: small UBL documents, signatures, zips, envelopes.

The invoices follow the shape of SUNAT's "guía XML factura v2.1", the summaries the
templates of ``sunat.md`` §4.7–§4.8 and the guías §4.9; they are built here on purpose:
the tests must not depend on the client side of OpenPSE, nor on ../shared.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import re
import socket
import threading
import time
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.signer import XMLSigner
from starlette.applications import Starlette

from openpse.sandbox import SandboxServer

INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
ROOTS = {
    "Invoice": (INVOICE, "InvoiceLine", "InvoicedQuantity", "LegalMonetaryTotal"),
    "CreditNote": (
        "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
        "CreditNoteLine",
        "CreditedQuantity",
        "LegalMonetaryTotal",
    ),
    "DebitNote": (
        "urn:oasis:names:specification:ubl:schema:xsd:DebitNote-2",
        "DebitNoteLine",
        "DebitedQuantity",
        "RequestedMonetaryTotal",
    ),
}
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
EXT = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"
DS = "http://www.w3.org/2000/09/xmldsig#"
NS = {"cbc": CBC, "cac": CAC, "ext": EXT, "ds": DS}
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"

SAC = "urn:sunat:names:specification:ubl:peru:schema:xsd:SunatAggregateComponents-1"
SUMMARY_NS = "urn:sunat:names:specification:ubl:peru:schema:xsd:SummaryDocuments-1"
VOIDED_NS = "urn:sunat:names:specification:ubl:peru:schema:xsd:VoidedDocuments-1"
DESPATCH_NS = "urn:oasis:names:specification:ubl:schema:xsd:DespatchAdvice-2"
SIGNATURE_PATH = "ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent/ds:Signature"
BETA_BILL = "/ol-ti-itcpfegem-beta/billService"
OSE_BILL = "/ol-ti-itcpe/billService"
CONSULT = "/ol-it-wsconscpegem/billConsultService"
GRE_CPE = "/v1/contribuyente/gem/comprobantes"
LIMA = dt.timezone(dt.timedelta(hours=-5))
RUC = "20123456789"
USER = f"{RUC}MODDATOS"
PASSWORD = "moddatos"


@dataclass(frozen=True)
class SigningKey:
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate


def make_signing_key(common_name: str = "EMISOR DE PRUEBA") -> SigningKey:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return SigningKey(key, certificate)


@dataclass
class Invoice:
    """A factura (01), boleta (03) or note (07, 08) with ``lines`` taxed lines of 100.00 + IGV each."""

    tipo: str = "01"
    root: str = "Invoice"
    ruc: str = RUC
    document_id: str = "F001-1"
    type_code: str | None = None
    operation: str | None = "0101"
    customization: str = "2.0"
    customer_scheme: str = "6"
    customer_id: str = "20603343710"
    lines: int = 1
    igv_delta: Decimal = Decimal(0)
    payable_delta: Decimal = Decimal(0)
    forma_pago: bool = True
    issue_date: str = "2026-01-15"
    extra_notes: list[tuple[str, str]] = field(default_factory=list)

    def element(self) -> etree._Element:
        namespace, line_name, quantity_name, totals_name = ROOTS[self.root]
        nsmap = {None: namespace, "cac": CAC, "cbc": CBC, "ext": EXT, "ds": DS}
        root = etree.Element(f"{{{namespace}}}{self.root}", nsmap=nsmap)
        content = _sub(_sub(_sub(root, EXT, "UBLExtensions"), EXT, "UBLExtension"), EXT, "ExtensionContent")
        _sub(content, DS, "Signature").set("Id", "placeholder")
        _sub(root, CBC, "UBLVersionID", "2.1")
        _sub(root, CBC, "CustomizationID", self.customization)
        _sub(root, CBC, "ID", self.document_id)
        _sub(root, CBC, "IssueDate", self.issue_date)
        _sub(root, CBC, "IssueTime", "10:20:30")
        if self.root == "Invoice":
            type_code = _sub(root, CBC, "InvoiceTypeCode", self.type_code or self.tipo)
            if self.operation is not None:
                type_code.set("listID", self.operation)
        for code, value in [("1000", "SON CIENTO DIECIOCHO CON 00/100 SOLES"), *self.extra_notes]:
            _sub(root, CBC, "Note", value).set("languageLocaleID", code)
        _sub(root, CBC, "DocumentCurrencyCode", "PEN")
        if self.root != "Invoice":
            discrepancy = _sub(root, CAC, "DiscrepancyResponse")
            _sub(discrepancy, CBC, "ReferenceID", "F001-1")
            _sub(discrepancy, CBC, "ResponseCode", "01" if self.root == "CreditNote" else "02")
            _sub(discrepancy, CBC, "Description", "AJUSTE")
            reference = _sub(_sub(root, CAC, "BillingReference"), CAC, "InvoiceDocumentReference")
            _sub(reference, CBC, "ID", "F001-1")
            _sub(reference, CBC, "DocumentTypeCode", "01")

        signature = _sub(root, CAC, "Signature")
        _sub(signature, CBC, "ID", f"SIGN{self.ruc}")
        party = _sub(signature, CAC, "SignatoryParty")
        _sub(_sub(party, CAC, "PartyIdentification"), CBC, "ID", self.ruc)
        _sub(_sub(party, CAC, "PartyName"), CBC, "Name", "EMPRESA DE PRUEBA S.A.C.")
        _sub(
            _sub(_sub(signature, CAC, "DigitalSignatureAttachment"), CAC, "ExternalReference"),
            CBC,
            "URI",
            "#SIGN",
        )

        supplier = _sub(_sub(root, CAC, "AccountingSupplierParty"), CAC, "Party")
        _sub(_sub(supplier, CAC, "PartyIdentification"), CBC, "ID", self.ruc).set("schemeID", "6")
        legal = _sub(supplier, CAC, "PartyLegalEntity")
        _sub(legal, CBC, "RegistrationName", "EMPRESA DE PRUEBA S.A.C.")
        _sub(_sub(legal, CAC, "RegistrationAddress"), CBC, "AddressTypeCode", "0000")
        customer = _sub(_sub(root, CAC, "AccountingCustomerParty"), CAC, "Party")
        _sub(_sub(customer, CAC, "PartyIdentification"), CBC, "ID", self.customer_id).set(
            "schemeID", self.customer_scheme
        )
        _sub(_sub(customer, CAC, "PartyLegalEntity"), CBC, "RegistrationName", "CLIENTE S.A.C.")
        if self.forma_pago and self.root == "Invoice":
            terms = _sub(root, CAC, "PaymentTerms")
            _sub(terms, CBC, "ID", "FormaPago")
            _sub(terms, CBC, "PaymentMeansID", "Contado")

        base = Decimal(100) * self.lines
        igv = base * Decimal("0.18")
        _tax_total(root, base, igv + self.igv_delta, percent=None)
        totals = _sub(root, CAC, totals_name)
        _amount(totals, "LineExtensionAmount", base)
        _amount(totals, "TaxInclusiveAmount", base + igv)
        _amount(totals, "PayableAmount", base + igv + self.payable_delta)
        for number in range(1, self.lines + 1):
            line = _sub(root, CAC, line_name)
            _sub(line, CBC, "ID", str(number))
            _sub(line, CBC, quantity_name, "1").set("unitCode", "NIU")
            _amount(line, "LineExtensionAmount", Decimal(100))
            _tax_total(line, Decimal(100), Decimal("18.00"), percent="18")
            _sub(_sub(line, CAC, "Item"), CBC, "Description", f"PRODUCTO {number}")
            _amount(_sub(line, CAC, "Price"), "PriceAmount", Decimal(100))
        return root


def _sub(parent: etree._Element, namespace: str, name: str, value: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{namespace}}}{name}")
    if value is not None:
        element.text = value
    return element


def _amount(parent: etree._Element, name: str, value: Decimal) -> None:
    _sub(parent, CBC, name, f"{value:.2f}").set("currencyID", "PEN")


def _tax_total(parent: etree._Element, base: Decimal, igv: Decimal, percent: str | None) -> None:
    total = _sub(parent, CAC, "TaxTotal")
    _amount(total, "TaxAmount", igv)
    subtotal = _sub(total, CAC, "TaxSubtotal")
    _amount(subtotal, "TaxableAmount", base)
    _amount(subtotal, "TaxAmount", igv)
    category = _sub(subtotal, CAC, "TaxCategory")
    if percent is not None:
        _sub(category, CBC, "Percent", percent)
        _sub(category, CBC, "TaxExemptionReasonCode", "10")
    scheme = _sub(category, CAC, "TaxScheme")
    _sub(scheme, CBC, "ID", "1000")
    _sub(scheme, CBC, "Name", "IGV")
    _sub(scheme, CBC, "TaxTypeCode", "VAT")


def sign(
    root: etree._Element,
    signing_key: SigningKey,
    signature_id: str | None = "SignOpenPSE",
    algorithms: tuple[SignatureMethod, DigestAlgorithm, CanonicalizationMethod] = (
        SignatureMethod.RSA_SHA256,
        DigestAlgorithm.SHA256,
        CanonicalizationMethod.CANONICAL_XML_1_0,
    ),
) -> bytes:
    """Sign like a SUNAT client: enveloped, inside ExtensionContent, by default RSA-SHA256 and C14N 1.0.

    signxml drops the placeholder's Id; SUNAT's Firma sheet requires one (2085). The Id is
    outside the signed content (the enveloped transform removes the whole signature), so
    it is set after signing.
    """
    signature_method, digest_algorithm, c14n_algorithm = algorithms
    signer = XMLSigner(
        signature_algorithm=signature_method, digest_algorithm=digest_algorithm, c14n_algorithm=c14n_algorithm
    )
    signed = signer.sign(root, key=signing_key.key, cert=[signing_key.certificate])
    if signature_id is not None:
        signature = signed.find(SIGNATURE_PATH, NS)
        assert signature is not None
        signature.set("Id", signature_id)
    data: bytes = etree.tostring(signed, xml_declaration=True, encoding="UTF-8")
    return data


def zip_entries(*entries: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def envelope(
    operation: str,
    params: dict[str, str],
    username: str | None = USER,
    password: str = PASSWORD,
    prefix: str = "ser",
) -> bytes:
    header = (
        "<soapenv:Header/>"
        if username is None
        else f'<soapenv:Header><wsse:Security xmlns:wsse="{WSSE}"><wsse:UsernameToken>'
        f"<wsse:Username>{username}</wsse:Username>"
        f"<wsse:Password>{password}</wsse:Password>"
        "</wsse:UsernameToken></wsse:Security></soapenv:Header>"
    )
    children = "".join(f"<{name}>{value}</{name}>" for name, value in params.items())
    return (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP}" xmlns:{prefix}="http://service.sunat.gob.pe">'
        f"{header}<soapenv:Body><{prefix}:{operation}>{children}</{prefix}:{operation}></soapenv:Body>"
        "</soapenv:Envelope>"
    ).encode()


def send_bill(
    file_name: str, zip_bytes: bytes, username: str | None = USER, password: str = PASSWORD
) -> bytes:
    content = base64.b64encode(zip_bytes).decode()
    return envelope("sendBill", {"fileName": file_name, "contentFile": content}, username, password)


def signed_package(invoice: Invoice, signing_key: SigningKey, base: str | None = None) -> tuple[str, bytes]:
    """The ``fileName`` and zip of a signed invoice, named after its RUC, type and ID unless told."""
    base = base or f"{invoice.ruc}-{invoice.tipo}-{invoice.document_id}"
    return f"{base}.zip", zip_entries((f"{base}.xml", sign(invoice.element(), signing_key)))


def status_query(
    operation: str, ruc: str = RUC, tipo: str = "01", serie: str = "F001", numero: str = "1"
) -> bytes:
    params = {
        "rucComprobante": ruc,
        "tipoComprobante": tipo,
        "serieComprobante": serie,
        "numeroComprobante": numero,
    }
    return envelope(operation, params)


def fault_code(body: bytes) -> str:
    fault = etree.fromstring(body).find(f"{{{SOAP}}}Body/{{{SOAP}}}Fault")
    assert fault is not None, body[:500]
    return fault.findtext("faultcode") or ""


def fault_string(body: bytes) -> str:
    return etree.fromstring(body).findtext(f"{{{SOAP}}}Body/{{{SOAP}}}Fault/faultstring") or ""


def cdr_zip(body: bytes) -> bytes:
    match = re.search(rb"<applicationResponse>([^<]+)</applicationResponse>", body)
    assert match is not None, body[:500]
    return base64.b64decode(match.group(1))


def cdr_xml(zip_bytes: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        entry = next(info for info in archive.infolist() if info.filename.endswith(".xml"))
        return archive.read(entry)


def cdr_text(xml: bytes, path: str) -> str:
    return etree.fromstring(xml).findtext(path, namespaces=NS) or ""


def status_of(body: bytes) -> tuple[str, str, str | None]:
    """statusCode, statusMessage and content of a getStatus / getStatusCdr answer."""
    root = etree.fromstring(body)
    status = next(root.iter("status", "statusCdr"))
    return (
        status.findtext("statusCode") or "",
        status.findtext("statusMessage") or "",
        status.findtext("content"),
    )


def lima_today() -> dt.date:
    return dt.datetime.now(LIMA).date()


def _signed_head(root: etree._Element) -> None:
    """The UBLExtensions placeholder, and later the cac:Signature block, of every SUNAT document."""
    content = _sub(_sub(_sub(root, EXT, "UBLExtensions"), EXT, "UBLExtension"), EXT, "ExtensionContent")
    _sub(content, DS, "Signature").set("Id", "placeholder")


def _signature_block(root: etree._Element, ruc: str) -> None:
    signature = _sub(root, CAC, "Signature")
    _sub(signature, CBC, "ID", ruc)
    party = _sub(signature, CAC, "SignatoryParty")
    _sub(_sub(party, CAC, "PartyIdentification"), CBC, "ID", ruc)
    _sub(_sub(party, CAC, "PartyName"), CBC, "Name", "EMPRESA DE PRUEBA S.A.C.")
    reference = _sub(_sub(signature, CAC, "DigitalSignatureAttachment"), CAC, "ExternalReference")
    _sub(reference, CBC, "URI", "#SIGN")


def _summary_supplier(root: etree._Element, ruc: str, account_type: str | None, name: str) -> None:
    supplier = _sub(root, CAC, "AccountingSupplierParty")
    _sub(supplier, CBC, "CustomerAssignedAccountID", ruc)
    if account_type is not None:
        _sub(supplier, CBC, "AdditionalAccountID", account_type)
    _sub(_sub(_sub(supplier, CAC, "Party"), CAC, "PartyLegalEntity"), CBC, "RegistrationName", name)


@dataclass
class SummaryLine:
    """One sac:SummaryDocumentsLine: a boleta (or note) with its ConditionCode (1 add, 2 modify, 3 annul)."""

    document_id: str = "B001-1"
    condition: str = "1"
    tipo: str = "03"
    total: str = "118.00"
    line_id: str | None = None


@dataclass
class DailySummary:
    """A Resumen diario (RC) dated today in Lima unless told."""

    lines: list[SummaryLine] = field(default_factory=lambda: [SummaryLine()])
    ruc: str = RUC
    fecha: dt.date = field(default_factory=lima_today)
    correlativo: str = "1"
    reference_date: dt.date | None = None
    customization: str = "1.1"
    document_id: str | None = None
    issue_date: str | None = None
    account_type: str | None = "6"
    registration_name: str = "EMPRESA DE PRUEBA S.A.C."

    @property
    def base(self) -> str:
        return f"{self.ruc}-RC-{self.fecha:%Y%m%d}-{self.correlativo}"

    def element(self) -> etree._Element:
        nsmap = {None: SUMMARY_NS, "cac": CAC, "cbc": CBC, "ext": EXT, "ds": DS, "sac": SAC}
        root = etree.Element(f"{{{SUMMARY_NS}}}SummaryDocuments", nsmap=nsmap)
        _signed_head(root)
        _sub(root, CBC, "UBLVersionID", "2.0")
        _sub(root, CBC, "CustomizationID", self.customization)
        _sub(root, CBC, "ID", self.document_id or f"RC-{self.fecha:%Y%m%d}-{self.correlativo}")
        _sub(root, CBC, "ReferenceDate", f"{self.reference_date or self.fecha:%Y-%m-%d}")
        _sub(root, CBC, "IssueDate", self.issue_date or f"{self.fecha:%Y-%m-%d}")
        _signature_block(root, self.ruc)
        _summary_supplier(root, self.ruc, self.account_type, self.registration_name)
        for number, item in enumerate(self.lines, start=1):
            line = _sub(root, SAC, "SummaryDocumentsLine")
            _sub(line, CBC, "LineID", item.line_id or str(number))
            _sub(line, CBC, "DocumentTypeCode", item.tipo)
            _sub(line, CBC, "ID", item.document_id)
            customer = _sub(line, CAC, "AccountingCustomerParty")
            _sub(customer, CBC, "CustomerAssignedAccountID", "12345678")
            _sub(customer, CBC, "AdditionalAccountID", "1")
            _sub(_sub(line, CAC, "Status"), CBC, "ConditionCode", item.condition)
            _sub(line, SAC, "TotalAmount", item.total).set("currencyID", "PEN")
            payment = _sub(line, SAC, "BillingPayment")
            _sub(payment, CBC, "PaidAmount", "100.00").set("currencyID", "PEN")
            _sub(payment, CBC, "InstructionID", "01")
            _tax_total(line, Decimal(100), Decimal(18), percent=None)
        return root


@dataclass
class VoidedLine:
    """One sac:VoidedDocumentsLine."""

    serie: str = "F001"
    numero: str = "1"
    tipo: str = "01"
    reason: str = "ERROR EN EL RUC DEL CLIENTE"
    line_id: str | None = None


@dataclass
class Voided:
    """A Comunicación de baja (RA) dated today in Lima unless told."""

    lines: list[VoidedLine] = field(default_factory=lambda: [VoidedLine()])
    ruc: str = RUC
    fecha: dt.date = field(default_factory=lima_today)
    correlativo: str = "1"
    reference_date: dt.date | None = None
    customization: str = "1.0"
    document_id: str | None = None
    issue_date: str | None = None

    @property
    def base(self) -> str:
        return f"{self.ruc}-RA-{self.fecha:%Y%m%d}-{self.correlativo}"

    def element(self) -> etree._Element:
        nsmap = {None: VOIDED_NS, "cac": CAC, "cbc": CBC, "ext": EXT, "ds": DS, "sac": SAC}
        root = etree.Element(f"{{{VOIDED_NS}}}VoidedDocuments", nsmap=nsmap)
        _signed_head(root)
        _sub(root, CBC, "UBLVersionID", "2.0")
        _sub(root, CBC, "CustomizationID", self.customization)
        _sub(root, CBC, "ID", self.document_id or f"RA-{self.fecha:%Y%m%d}-{self.correlativo}")
        _sub(root, CBC, "ReferenceDate", f"{self.reference_date or self.fecha:%Y-%m-%d}")
        _sub(root, CBC, "IssueDate", self.issue_date or f"{self.fecha:%Y-%m-%d}")
        _signature_block(root, self.ruc)
        _summary_supplier(root, self.ruc, "6", "EMPRESA DE PRUEBA S.A.C.")
        for number, item in enumerate(self.lines, start=1):
            line = _sub(root, SAC, "VoidedDocumentsLine")
            _sub(line, CBC, "LineID", item.line_id or str(number))
            _sub(line, CBC, "DocumentTypeCode", item.tipo)
            _sub(line, SAC, "DocumentSerialID", item.serie)
            _sub(line, SAC, "DocumentNumberID", item.numero)
            _sub(line, SAC, "VoidReasonDescription", item.reason)
        return root


@dataclass
class Despatch:
    """A guía de remisión remitente (09) in the GRE 2022 shape (``sunat.md`` §4.9)."""

    document_id: str = "T001-1"
    tipo: str = "09"
    ruc: str = RUC
    customization: str = "2.0"
    issue_date: str = "2026-01-15"

    @property
    def base(self) -> str:
        return f"{self.ruc}-{self.tipo}-{self.document_id}"

    def element(self) -> etree._Element:
        nsmap = {None: DESPATCH_NS, "cac": CAC, "cbc": CBC, "ext": EXT, "ds": DS}
        root = etree.Element(f"{{{DESPATCH_NS}}}DespatchAdvice", nsmap=nsmap)
        _signed_head(root)
        _sub(root, CBC, "UBLVersionID", "2.1")
        _sub(root, CBC, "CustomizationID", self.customization)
        _sub(root, CBC, "ID", self.document_id)
        _sub(root, CBC, "IssueDate", self.issue_date)
        _sub(root, CBC, "IssueTime", "10:20:30")
        _sub(root, CBC, "DespatchAdviceTypeCode", self.tipo)
        _signature_block(root, self.ruc)
        supplier = _sub(_sub(root, CAC, "DespatchSupplierParty"), CAC, "Party")
        _sub(_sub(supplier, CAC, "PartyIdentification"), CBC, "ID", self.ruc).set("schemeID", "6")
        _sub(_sub(supplier, CAC, "PartyLegalEntity"), CBC, "RegistrationName", "EMPRESA DE PRUEBA S.A.C.")
        customer = _sub(_sub(root, CAC, "DeliveryCustomerParty"), CAC, "Party")
        _sub(_sub(customer, CAC, "PartyIdentification"), CBC, "ID", "20603343710").set("schemeID", "6")
        _sub(_sub(customer, CAC, "PartyLegalEntity"), CBC, "RegistrationName", "CLIENTE S.A.C.")
        shipment = _sub(root, CAC, "Shipment")
        _sub(shipment, CBC, "ID", "SUNAT_Envio")
        _sub(shipment, CBC, "HandlingCode", "01")
        _sub(shipment, CBC, "GrossWeightMeasure", "10.000").set("unitCode", "KGM")
        line = _sub(root, CAC, "DespatchLine")
        _sub(line, CBC, "ID", "1")
        _sub(line, CBC, "DeliveredQuantity", "1").set("unitCode", "NIU")
        _sub(_sub(line, CAC, "OrderLineReference"), CBC, "LineID", "1")
        _sub(_sub(line, CAC, "Item"), CBC, "Description", "PRODUCTO 1")
        return root


def signed_zip(document: DailySummary | Voided | Despatch, signing_key: SigningKey) -> tuple[str, bytes]:
    """The file name and zip of a signed summary or guía."""
    return f"{document.base}.zip", zip_entries(
        (f"{document.base}.xml", sign(document.element(), signing_key))
    )


def send_summary(
    file_name: str, zip_bytes: bytes, username: str | None = USER, password: str = PASSWORD
) -> bytes:
    content = base64.b64encode(zip_bytes).decode()
    return envelope("sendSummary", {"fileName": file_name, "contentFile": content}, username, password)


def get_status(ticket: str, username: str | None = USER) -> bytes:
    return envelope("getStatus", {"ticket": ticket}, username)


def ticket_of(body: bytes) -> str:
    ticket = etree.fromstring(body).findtext(".//ticket")
    assert ticket, body[:500]
    return ticket


def ticket_status(body: bytes) -> tuple[str, str | None]:
    """statusCode and content of a billService getStatus answer."""
    status = next(etree.fromstring(body).iter("status"))
    return status.findtext("statusCode") or "", status.findtext("content")


def gre_token_form(
    username: str = USER, password: str = PASSWORD, client_id: str = "cliente", client_secret: str = "secreto"
) -> dict[str, str]:
    return {
        "grant_type": "password",
        "scope": "https://api-cpe.sunat.gob.pe",
        "client_id": client_id,
        "client_secret": client_secret,
        "username": username,
        "password": password,
    }


def gre_body(file_name: str, zip_bytes: bytes, hash_zip: str | None = None) -> bytes:
    archivo = {
        "nomArchivo": file_name,
        "arcGreZip": base64.b64encode(zip_bytes).decode(),
        "hashZip": hashlib.sha256(zip_bytes).hexdigest() if hash_zip is None else hash_zip,
    }
    return json.dumps({"archivo": archivo}).encode()


class LiveServer:
    """A sandbox app served by :class:`SandboxServer` on a loopback port, in a thread."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        port: int = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.server = SandboxServer(uvicorn.Config(app, log_level="critical"))
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self._socket.close()


def child(element: etree._Element, path: str, namespaces: dict[str, str] = NS) -> etree._Element:
    """The element at ``path``, which must exist."""
    found = element.find(path, namespaces)
    assert found is not None, f"{path} not found"
    return found
