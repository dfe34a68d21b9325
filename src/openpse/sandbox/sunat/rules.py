"""The emulator's own subset of SUNAT's business rules, written from the rule sheets.

Source: the Factura2_0, Boleta2_0, NotaCredito2_0, NotaDebito2_0 and Firma sheets of
SUNAT's validation workbook "AjustesValidacionesCPE" v2026-02-12. Rules run in the
sheets' row order; like SUNAT's validation XSL, the first ERROR stops the document and
observations (4000+) accumulate until then. Every arithmetic check has the sheets'
tolerance of ±1.

Implemented rows (code, ERROR/OBSERV as the sheet says):

- row 1–2, all types: UBLVersionID 2075/2074, CustomizationID 2073/2072 (ERROR);
  CustomizationID@schemeAgencyName other than PE:SUNAT 4256 (OBSERV).
- row 3, all types: cbc:ID format 1001 (ERROR): ``F…`` for facturas, ``B…`` for
  boletas, ``F…`` or ``B…`` for notes, or a numeric series.
- Firma sheet (row 9), all types: cac:Signature/cbc:ID 2076, SignatoryParty ID 2079
  (missing) and 2078 (neither the emisor nor the sender), SignatoryParty name 2081,
  ExternalReference URI 2083 (ERROR).
- row 17, invoices: customer document number 2014, its schemeID 2015 (ERROR); the
  schemeID allowed for the operation type 2800 (ERROR).
- rows 46/47, invoices: global IGV (tributo 1000) = (line bases − global discounts 02/04
  + global charges 49 − ISC anticipos 20) × the lines' rate: factura 3291 (ERROR),
  boleta 4290 (OBSERV).
- row 53, invoices: PayableAmount = TaxInclusiveAmount + ChargeTotalAmount −
  AllowanceTotalAmount − PrepaidAmount + PayableRoundingAmount: factura 3280 (ERROR),
  boleta 4312 (OBSERV).
- row 58, invoices: InvoiceTypeCode@listID present, 3205 (ERROR).
- row 174, facturas: a cac:PaymentTerms with cbc:ID "FormaPago", 3244 (ERROR).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation

from lxml import etree

from openpse.sandbox.sunat import codes
from openpse.sandbox.sunat.document import CUSTOMER_ID, NS, DocumentHeader, text
from openpse.sandbox.sunat.errors import Finding

Rules = Iterator[Finding]

_ID_FORMATS = {
    "01": re.compile(r"F[A-Z0-9]{3}-\d{1,8}|\d{1,4}-\d{1,8}"),
    "03": re.compile(r"B[A-Z0-9]{3}-\d{1,8}|\d{1,4}-\d{1,8}"),
    "07": re.compile(r"[FB][A-Z0-9]{3}-\d{1,8}|\d{1,4}-\d{1,8}"),
    "08": re.compile(r"[FB][A-Z0-9]{3}-\d{1,8}|\d{1,4}-\d{1,8}"),
}

# Catálogo 51: export and non-domiciled operation types (Factura2_0 row 17).
_EXPORT_OPERATIONS = frozenset(
    ("0200", "0201", "0202", "0203", "0204", "0205", "0206", "0207", "0208", "0401"),
)
_EXPORT_WITHOUT_RUC = frozenset({"0200", "0201", "0204"})
_BOLETA_EXPORT_WITHOUT_RUC = _EXPORT_OPERATIONS - {"0202"}
_TOLERANCE = Decimal(1)
_DEFAULT_IGV_PERCENT = Decimal(18)
_IGV = "1000"
_TAX_SCHEME_ID = "cac:TaxCategory/cac:TaxScheme/cbc:ID"
_ADJUSTMENTS = (
    "cbc:ChargeTotalAmount",
    "cbc:AllowanceTotalAmount",
    "cbc:PrepaidAmount",
    "cbc:PayableRoundingAmount",
)


def _decimal(raw: str) -> Decimal | None:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _amount(element: etree._Element, path: str) -> Decimal | None:
    """A mandatory amount: None when absent or not a number."""
    raw = text(element, path)
    return _decimal(raw) if raw else None


def _optional_amount(element: etree._Element, path: str) -> Decimal | None:
    """An optional amount: zero when absent, None when present but not a number."""
    raw = text(element, path)
    return _decimal(raw) if raw else Decimal(0)


def _operation(root: etree._Element) -> str:
    type_code = root.find("cbc:InvoiceTypeCode", namespaces=NS)
    return "" if type_code is None else (type_code.get("listID") or "").strip()


def _versions(header: DocumentHeader) -> Rules:
    root, name = header.root, header.root_name
    ubl_version = text(root, "cbc:UBLVersionID")
    if not ubl_version:
        yield Finding("2075", f"{name}/cbc:UBLVersionID")
    elif ubl_version != "2.1":
        yield Finding("2074", f"{name}/cbc:UBLVersionID", ubl_version)
    customization = root.find("cbc:CustomizationID", namespaces=NS)
    customization_id = text(root, "cbc:CustomizationID")
    if not customization_id:
        yield Finding("2073", f"{name}/cbc:CustomizationID")
    elif customization_id != "2.0":
        yield Finding("2072", f"{name}/cbc:CustomizationID", customization_id)
    agency = None if customization is None else customization.get("schemeAgencyName")
    if agency is not None and agency != "PE:SUNAT":
        yield Finding("4256", "cbc:CustomizationID/schemeAgencyName", agency)


def _id_format(header: DocumentHeader) -> Rules:
    if not _ID_FORMATS[header.tipo].fullmatch(header.document_id):
        yield Finding("1001", f"{header.root_name}/cbc:ID", header.document_id)


def _signatory(header: DocumentHeader, sender_ruc: str) -> Rules:
    root = header.root
    if not text(root, "cac:Signature/cbc:ID"):
        yield Finding("2076", "cac:Signature/cbc:ID")
    signatory = text(root, "cac:Signature/cac:SignatoryParty/cac:PartyIdentification/cbc:ID")
    if not signatory:
        yield Finding("2079", "cac:PartyIdentification/cbc:ID")
    elif signatory not in (header.emisor_ruc, sender_ruc):
        yield Finding("2078", "cac:PartyIdentification/cbc:ID", signatory)
    if not text(root, "cac:Signature/cac:SignatoryParty/cac:PartyName/cbc:Name"):
        yield Finding("2081", "cac:PartyName/cbc:Name")
    if not text(root, "cac:Signature/cac:DigitalSignatureAttachment/cac:ExternalReference/cbc:URI"):
        yield Finding("2083", "cac:ExternalReference/cbc:URI")


def _has_legend(root: etree._Element, code: str) -> bool:
    return any(note.get("languageLocaleID") == code for note in root.iterfind("cbc:Note", namespaces=NS))


def _customer(header: DocumentHeader) -> Rules:
    customer = header.root.find(CUSTOMER_ID, namespaces=NS)
    if customer is None:
        yield Finding("2014", "cac:PartyIdentification/cbc:ID")
        return
    scheme = header.customer_scheme
    if not scheme:
        yield Finding("2015", "cbc:ID/schemeID")
        return
    operation = _operation(header.root)
    if header.tipo == "03":
        allowed = not (operation in _BOLETA_EXPORT_WITHOUT_RUC and scheme == "6")
    elif operation in _EXPORT_OPERATIONS:
        # The "listado" of Parámetros (006) is not emulated; only the RUC case is.
        without_ruc = operation in _EXPORT_WITHOUT_RUC and not _has_legend(header.root, "2008")
        allowed = not (without_ruc and scheme == "6")
    elif operation == "0112":
        allowed = scheme in ("1", "6")
    elif operation == "2106":
        allowed = scheme in ("7", "B", "G")
    else:
        allowed = scheme == "6"
    if not allowed:
        yield Finding("2800", "cbc:ID/schemeID", scheme)


def _tax_scheme(subtotal: etree._Element) -> str:
    return text(subtotal, _TAX_SCHEME_ID)


def _igv(header: DocumentHeader, code: str) -> Rules:
    root = header.root
    subtotal = next(
        (s for s in root.iterfind("cac:TaxTotal/cac:TaxSubtotal", namespaces=NS) if _tax_scheme(s) == _IGV),
        None,
    )
    if subtotal is None:
        return
    declared_text = text(subtotal, "cbc:TaxAmount")
    declared = _decimal(declared_text) if declared_text else None
    if declared is None or (header.tipo == "03" and _operation(root) == "0113" and declared == 0):
        return
    base = Decimal(0)
    percent: Decimal | None = None
    for line in root.iterfind("cac:InvoiceLine/cac:TaxTotal/cac:TaxSubtotal", namespaces=NS):
        if _tax_scheme(line) != _IGV:
            continue
        taxable = _amount(line, "cbc:TaxableAmount")
        if taxable is None:
            return
        base += taxable
        if percent is None:
            percent = _amount(line, "cac:TaxCategory/cbc:Percent")
    for allowance_charge in root.iterfind("cac:AllowanceCharge", namespaces=NS):
        reason = text(allowance_charge, "cbc:AllowanceChargeReasonCode")
        is_charge = text(allowance_charge, "cbc:ChargeIndicator").lower() == "true"
        amount = _amount(allowance_charge, "cbc:Amount")
        if amount is None:
            return
        if is_charge and reason == "49":
            base += amount
        elif not is_charge and reason in ("02", "04", "20"):
            base -= amount
    expected = base * (percent if percent is not None else _DEFAULT_IGV_PERCENT) / 100
    if abs(declared - expected) > _TOLERANCE:
        yield Finding(code, "cac:TaxSubtotal/cbc:TaxAmount", declared_text)


def _payable(header: DocumentHeader, code: str) -> Rules:
    totals = header.root.find("cac:LegalMonetaryTotal", namespaces=NS)
    if totals is None:
        return
    payable = _amount(totals, "cbc:PayableAmount")
    inclusive = _amount(totals, "cbc:TaxInclusiveAmount")
    adjustments = [_optional_amount(totals, path) for path in _ADJUSTMENTS]
    if payable is None or inclusive is None or None in adjustments:
        return
    charges, allowances, prepaid, rounding = (amount or Decimal(0) for amount in adjustments)
    expected = inclusive + charges - allowances - prepaid + rounding
    if abs(payable - expected) > _TOLERANCE:
        yield Finding(code, "cac:LegalMonetaryTotal/cbc:PayableAmount", text(totals, "cbc:PayableAmount"))


def _operation_type(header: DocumentHeader) -> Rules:
    if not _operation(header.root):
        yield Finding("3205", "cbc:InvoiceTypeCode/listID")


def _payment_terms(header: DocumentHeader) -> Rules:
    terms = header.root.iterfind("cac:PaymentTerms", namespaces=NS)
    if not any(text(term, "cbc:ID") == "FormaPago" for term in terms):
        yield Finding("3244", "cac:PaymentTerms/cbc:ID")


def _factura(header: DocumentHeader, sender_ruc: str) -> Rules:
    yield from _versions(header)
    yield from _id_format(header)
    yield from _signatory(header, sender_ruc)
    yield from _customer(header)
    yield from _igv(header, "3291")
    yield from _payable(header, "3280")
    yield from _operation_type(header)
    yield from _payment_terms(header)


def _boleta(header: DocumentHeader, sender_ruc: str) -> Rules:
    yield from _versions(header)
    yield from _id_format(header)
    yield from _signatory(header, sender_ruc)
    yield from _customer(header)
    yield from _igv(header, "4290")
    yield from _payable(header, "4312")
    yield from _operation_type(header)


def _nota(header: DocumentHeader, sender_ruc: str) -> Rules:
    yield from _versions(header)
    yield from _id_format(header)
    yield from _signatory(header, sender_ruc)


_BY_TYPE: dict[str, Callable[[DocumentHeader, str], Rules]] = {
    "01": _factura,
    "03": _boleta,
    "07": _nota,
    "08": _nota,
}


def evaluate(header: DocumentHeader, sender_ruc: str) -> tuple[Finding | None, list[Finding]]:
    """Run the rules of the document type: the stopping finding (if any) and the observations before it."""
    observations: list[Finding] = []
    for finding in _BY_TYPE[header.tipo](header, sender_ruc):
        if not codes.is_observation(finding.code):
            return finding, observations
        observations.append(finding)
    return None, observations
