"""The emulator's own checks of comprobantes de retención (20) and percepción (40).

Written from the sheets Retenciones1_0 and Percepciones1_0 of SUNAT's validation workbook
"AjustesValidacionesCPE" v2026-02-12 and the Firma sheet, independently of OpenPSE's
client rules. Like SUNAT's validation XSL (``ValidaExprRegRetencion-1.0.3.xsl``,
``ValidaExprRegPercepcion-1.0.2.xsl``), the first ERROR stops the document and the
observations met before it accumulate; the order is the XSL's: header, issuer, receiver,
régimen, formats of the totals, each related document, and the sums of the totals last.
A row is an observation when the sheet says OBSERV, whatever its number (the 29xx
format rows are OBSERV although they sit in the rejection range).

Registers the sandbox has: the comprobantes it registered (rows 39–40 of Percepciones1_0,
2609 and 2610: an electronic factura, boleta or note referenced by a percepción must be
there, with the same issue date), the padrones when ``SandboxConfig.padrones`` is given
(2617, 4285, 4091, 4089, 4090, 4086), none of authorised physical series (every
numeric series is 3207). The RUC register behind 2621 and 2605 is stood in for by the
RUC check digit: a number that fails it cannot be registered. Rows that need data the
register does not keep (a factura's forma de pago and percepción indicator: 3312,
3325, 3326, 3328, 3329; the régimen of the related document: 3327; physical series:
3228) are not emulated.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from lxml import etree

from openpse.sandbox.sunat.errors import Finding
from openpse.sandbox.sunat.retper_document import NS, RECEIVER_ID, RetPerHeader, text
from openpse.sandbox.sunat.store import DocumentKey, RegisteredDocument

Rules = Iterator[Finding]

SEND_WINDOW_DAYS = 3
"""Parámetro 004 for 20 and 40 (row 5, 2600), as ``sunat.md`` §4.2 reports it."""
_TOLERANCE = Decimal(1)
_PEN = "PEN"
_HUNDRED = Decimal(100)
_AMOUNT = re.compile(r"(?!0+(\.0+)?$)\d{1,12}(\.\d{1,2})?")
_RATE = re.compile(r"(?!0+(\.0+)?$)\d{1,4}(\.\d{1,6})?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PAYMENT_ID = re.compile(r"\d{1,9}")
_TICKET = re.compile(r"[a-zA-Z0-9-]{1,20}(-[0-9]{1,20})")
_IDENTITY_TYPES = frozenset({"0", "1", "4", "6", "7", "A", "B", "C", "D", "E", "F", "G", "H"})
_ELECTRONIC_SERIES = re.compile(r"E001|EB01|[FB]")

# Observation rows of both sheets (TIPO DE RETORNO = OBSERV).
OBSERVATIONS = frozenset(
    {"2901", "2902", "2903", "2904", "2905", "2906", "2907", "2908", "2909", "2910", "2911", "2912"}
    | {"2913", "2914", "2915", "2916", "2917", "2918", "2919", "4086", "4089", "4090", "4091", "4285"}
)


@dataclass(frozen=True)
class _Sheet:
    """The parts of Retenciones1_0 and Percepciones1_0 that differ: names, catalogues, codes."""

    root: str
    perception: bool
    id_format: re.Pattern[str]
    regimes: dict[str, Decimal]
    related_types: frozenset[str]
    excluded_from_totals: frozenset[str]
    related_number: re.Pattern[str]
    system_code: str
    percent: str
    total_net: str
    reference: str
    information: str
    amount: str
    net: str
    # codes, in sheet order
    regime: str
    rate: str
    receiver_missing: str
    receiver_format: str
    receiver_is_issuer: str
    receiver_unknown: str
    receiver_trade_name: str
    receiver_address: tuple[str, str, str, str, str]
    total_currency: str
    total_net_format: str
    total_net_currency: str
    total_sum: str
    total_net_sum: str
    paid_date_missing: str
    paid_date_format: str
    same_period: str
    paid_date_range: str
    payment_id_missing: str
    payment_id_format: str
    paid_amount_missing: str
    paid_amount_format: str
    paid_currency: str
    amount_format: str
    amounts: str
    amount_currency: str
    net_format: str
    net_currency: str


RETENTION = _Sheet(
    root="Retention",
    perception=False,
    id_format=re.compile(r"(R[A-Z0-9]{3}|\d{1,4})-\d{1,8}"),
    regimes={"01": Decimal(3), "02": Decimal(6)},
    related_types=frozenset({"01", "12", "07", "08", "20"}),
    excluded_from_totals=frozenset({"07", "20"}),
    related_number=re.compile(r"(E001|((F|R)[A-Z0-9]{3})|([0-9]{4}))-(?!0+$)([0-9]{1,8})"),
    system_code="sac:SUNATRetentionSystemCode",
    percent="sac:SUNATRetentionPercent",
    total_net="sac:SUNATTotalPaid",
    reference="sac:SUNATRetentionDocumentReference",
    information="sac:SUNATRetentionInformation",
    amount="sac:SUNATRetentionAmount",
    net="sac:SUNATNetTotalPaid",
    regime="2618",
    rate="2619",
    receiver_missing="2723",
    receiver_format="2724",
    receiver_is_issuer="2620",
    receiver_unknown="2621",
    receiver_trade_name="2906",
    receiver_address=("2918", "2907", "2908", "2909", "2910"),
    total_currency="2728",
    total_net_format="2730",
    total_net_currency="2732",
    total_sum="2628",
    total_net_sum="2629",
    paid_date_missing="2737",
    paid_date_format="2738",
    same_period="2661",
    paid_date_range="2625",
    payment_id_missing="2733",
    payment_id_format="2734",
    paid_amount_missing="2735",
    paid_amount_format="2736",
    paid_currency="2622",
    amount_format="2740",
    amounts="2623",
    amount_currency="2742",
    net_format="2746",
    net_currency="2748",
)

PERCEPTION = _Sheet(
    root="Perception",
    perception=True,
    id_format=re.compile(r"(P[A-Z0-9]{3}|\d{1,4})-\d{1,8}"),
    regimes={"01": Decimal(2), "02": Decimal(1), "03": Decimal("0.5")},
    related_types=frozenset({"01", "03", "12", "07", "08", "40"}),
    excluded_from_totals=frozenset({"07", "40"}),
    related_number=re.compile(r"(E001|EB01|((F|P|B)[A-Z0-9]{3})|([0-9]{4}))-(?!0+$)([0-9]{1,8})"),
    system_code="sac:SUNATPerceptionSystemCode",
    percent="sac:SUNATPerceptionPercent",
    total_net="sac:SUNATTotalCashed",
    reference="sac:SUNATPerceptionDocumentReference",
    information="sac:SUNATPerceptionInformation",
    amount="sac:SUNATPerceptionAmount",
    net="sac:SUNATNetTotalCashed",
    regime="2602",
    rate="2603",
    receiver_missing="2679",
    receiver_format="2680",
    receiver_is_issuer="2604",
    receiver_unknown="2605",
    receiver_trade_name="2911",
    receiver_address=("2919", "2912", "2913", "2914", "2915"),
    total_currency="2685",
    total_net_format="2687",
    total_net_currency="2690",
    total_sum="2667",
    total_net_sum="2668",
    paid_date_missing="2702",
    paid_date_format="2703",
    same_period="2659",
    paid_date_range="2612",
    payment_id_missing="2697",
    payment_id_format="2698",
    paid_amount_missing="2699",
    paid_amount_format="2700",
    paid_currency="2607",
    amount_format="2705",
    amounts="2608",
    amount_currency="2707",
    net_format="2711",
    net_currency="2713",
)

SHEETS = {"20": RETENTION, "40": PERCEPTION}


@dataclass(frozen=True)
class Context:
    """What the rules need besides the document."""

    sender_ruc: str
    received: dt.date
    lookup: Callable[[DocumentKey], RegisteredDocument | None]
    padrones: Mapping[str, Collection[str]] | None


def _number(raw: str) -> Decimal | None:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _date(raw: str) -> dt.date | None:
    if not _DATE.fullmatch(raw):
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


def _one_line(value: str, limit: int) -> bool:
    """The sheets' "alfanumérico de hasta N caracteres": any character but line breaks and tabs."""
    return 1 <= len(value) <= limit and not any(character in value for character in "\n\r\t")


def _ruc_exists(ruc: str) -> bool:
    """SUNAT's RUC check digit (module 11 with weights 5 4 3 2 7 6 5 4 3 2)."""
    if not re.fullmatch(r"(10|15|16|17|20)\d{9}", ruc):
        return False
    total = sum(
        int(digit) * weight for digit, weight in zip(ruc[:10], (5, 4, 3, 2, 7, 6, 5, 4, 3, 2), strict=True)
    )
    check = 11 - total % 11
    return int(ruc[10]) == check % 10


def _padron(context: Context, ruc: str) -> Collection[str]:
    assert context.padrones is not None
    return context.padrones.get(ruc, ())


def _versions(header: RetPerHeader) -> Rules:
    name, root = header.root_name, header.root
    ubl = text(root, "cbc:UBLVersionID")
    if not ubl:
        yield Finding("2111", f"{name}/cbc:UBLVersionID")
    elif ubl != "2.0":
        yield Finding("2110", f"{name}/cbc:UBLVersionID", ubl)
    customization = text(root, "cbc:CustomizationID")
    if not customization:
        yield Finding("2113", f"{name}/cbc:CustomizationID")
    elif customization != "1.0":
        yield Finding("2112", f"{name}/cbc:CustomizationID", customization)


def _signature(header: RetPerHeader, context: Context) -> Rules:
    """Row 3: the Firma sheet's cac:Signature rows."""
    root = header.root
    if not text(root, "cac:Signature/cbc:ID"):
        yield Finding("2076", "cac:Signature/cbc:ID")
    signatory = text(root, "cac:Signature/cac:SignatoryParty/cac:PartyIdentification/cbc:ID")
    if not signatory:
        yield Finding("2079", "cac:SignatoryParty/cac:PartyIdentification/cbc:ID")
    elif signatory not in (header.emisor_ruc, context.sender_ruc):
        yield Finding("2078", "cac:SignatoryParty/cac:PartyIdentification/cbc:ID", signatory)
    if not text(root, "cac:Signature/cac:SignatoryParty/cac:PartyName/cbc:Name"):
        yield Finding("2081", "cac:SignatoryParty/cac:PartyName/cbc:Name")
    if not text(root, "cac:Signature/cac:DigitalSignatureAttachment/cac:ExternalReference/cbc:URI"):
        yield Finding("2083", "cac:ExternalReference/cbc:URI")


def _identity(sheet: _Sheet, header: RetPerHeader, context: Context) -> Rules:
    """Rows 4–6 (and 7 of Percepciones1_0)."""
    name, root = header.root_name, header.root
    if not sheet.id_format.fullmatch(header.document_id):
        yield Finding("1001", f"{name}/cbc:ID", header.document_id)
        return
    physical = header.serie[:1].isdigit()
    if physical:
        # No physical or contingency series is authorised in the sandbox.
        yield Finding("3207", f"{name}/cbc:ID", header.document_id)
    issue_text = header.issue_date
    if not issue_text:
        yield Finding("1010", f"{name}/cbc:IssueDate")
        return
    issued = _date(issue_text)
    if issued is None:
        yield Finding("1009", f"{name}/cbc:IssueDate", issue_text)
        return
    if not physical and (context.received - issued).days > SEND_WINDOW_DAYS:
        yield Finding("2600", f"{name}/cbc:IssueDate", issue_text)
    if sheet.perception:
        exceptional = root.find("sac:ExceptionalIndicator", NS)
        if exceptional is not None and (exceptional.text or "").strip() != "01":
            yield Finding("3322", "sac:ExceptionalIndicator", (exceptional.text or "").strip())


def _address(party: etree._Element, prefix: str, codes: tuple[str, str, str, str, str]) -> Rules:
    """Rows 11–17 / 22–28: formats are observations, a country other than PE an error."""
    address = party.find("cac:PostalAddress", NS)
    if address is None:
        return
    ubigeo = address.find("cbc:ID", NS)
    if ubigeo is not None and not re.fullmatch(r"\d{6}", (ubigeo.text or "").strip()):
        # Catálogo 13 (Parámetros 016): every ubigeo is six digits.
        yield Finding("2917", f"{prefix}/cac:PostalAddress/cbc:ID", (ubigeo.text or "").strip())
    street, urbanization, province, department, district = codes
    for element, limit, code in (
        ("cbc:StreetName", 100, street),
        ("cbc:CitySubdivisionName", 30, urbanization),
        ("cbc:CityName", 30, province),
        ("cbc:CountrySubentity", 30, department),
        ("cbc:District", 30, district),
    ):
        node = address.find(element, NS)
        if node is not None and not _one_line(node.text or "", limit):
            yield Finding(code, f"cac:PostalAddress/{element}", (node.text or "")[:50])
    country = address.find("cac:Country/cbc:IdentificationCode", NS)
    if country is not None and (country.text or "").strip() != "PE":
        yield Finding("2548", "cac:Country/cbc:IdentificationCode", (country.text or "").strip())


def _issuer(sheet: _Sheet, header: RetPerHeader, context: Context) -> Rules:
    """Rows 7–17 (retención) / 8–18 (percepción)."""
    root = header.root
    agent = root.find("cac:AgentParty", NS)
    if context.padrones is not None:
        padron = _padron(context, header.emisor_ruc)
        if not sheet.perception and "03" not in padron:
            yield Finding("2617", "cac:AgentParty/cac:PartyIdentification/cbc:ID", header.emisor_ruc)
        if sheet.perception and not {"01", "02"} & set(padron):
            yield Finding("4285", "cac:AgentParty/cac:PartyIdentification/cbc:ID", header.emisor_ruc)
    identifier = root.find("cac:AgentParty/cac:PartyIdentification/cbc:ID", NS)
    scheme = "" if identifier is None else (identifier.get("schemeID") or "").strip()
    if not scheme:
        yield Finding("2678", "cac:AgentParty/cac:PartyIdentification/cbc:ID/@schemeID")
    elif scheme != "6":
        yield Finding("2511", "cac:AgentParty/cac:PartyIdentification/cbc:ID/@schemeID", scheme)
    if agent is None:
        yield Finding("1037", "cac:AgentParty/cac:PartyLegalEntity/cbc:RegistrationName")
        return
    trade_name = agent.find("cac:PartyName/cbc:Name", NS)
    if trade_name is not None and not _one_line(trade_name.text or "", 1500):
        yield Finding("2901", "cac:AgentParty/cac:PartyName/cbc:Name")
    yield from _address(agent, "cac:AgentParty", ("2916", "2902", "2903", "2904", "2905"))
    legal_name = text(agent, "cac:PartyLegalEntity/cbc:RegistrationName")
    if not legal_name:
        yield Finding("1037", "cac:AgentParty/cac:PartyLegalEntity/cbc:RegistrationName")
    elif not _one_line(legal_name, 1500):
        yield Finding("1038", "cac:AgentParty/cac:PartyLegalEntity/cbc:RegistrationName")


def _receiver(sheet: _Sheet, header: RetPerHeader, context: Context) -> Rules:
    """Rows 18–28 (proveedor) / 19–29 (cliente)."""
    root = header.root
    number, scheme = header.receiver_id, header.receiver_scheme
    node = f"{header.root_name}/{RECEIVER_ID}"
    if not number:
        yield Finding(sheet.receiver_missing, node)
        return
    if sheet.perception:
        valid_format = re.fullmatch(r"[A-Za-z0-9]{1,15}", number) is not None
    else:
        valid_format = re.fullmatch(r"\d{11}", number) is not None
    if not valid_format:
        yield Finding(sheet.receiver_format, node, number)
        return
    if number == header.emisor_ruc:
        yield Finding(sheet.receiver_is_issuer, node, number)
    if (not sheet.perception or scheme == "6") and not _ruc_exists(number):
        yield Finding(sheet.receiver_unknown, node, number)
    if context.padrones is not None:
        padron = set(_padron(context, number))
        if not sheet.perception and padron & {"01", "02", "03", "10"}:
            yield Finding("4091", node, number)
        if sheet.perception:
            if "03" in padron:
                yield Finding("4089", node, number)
            if "04" in padron:
                yield Finding("4090", node, number)
            if "02" in padron and "02" in _padron(context, header.emisor_ruc):
                yield Finding("4086", node, number)
    if not scheme:
        yield Finding("2516", f"{node}/@schemeID")
    elif (sheet.perception and scheme not in _IDENTITY_TYPES) or (not sheet.perception and scheme != "6"):
        yield Finding("2511", f"{node}/@schemeID", scheme)
    receiver = root.find("cac:ReceiverParty", NS)
    if receiver is None:
        return
    trade_name = receiver.find("cac:PartyName/cbc:Name", NS)
    if trade_name is not None and not _one_line(trade_name.text or "", 1500):
        yield Finding(sheet.receiver_trade_name, "cac:ReceiverParty/cac:PartyName/cbc:Name")
    legal_name = text(receiver, "cac:PartyLegalEntity/cbc:RegistrationName")
    if not legal_name:
        yield Finding("2134", "cac:ReceiverParty/cac:PartyLegalEntity/cbc:RegistrationName")
    elif not _one_line(legal_name, 1500):
        yield Finding("2133", "cac:ReceiverParty/cac:PartyLegalEntity/cbc:RegistrationName")
    yield from _address(receiver, "cac:ReceiverParty", sheet.receiver_address)


def _regime(sheet: _Sheet, header: RetPerHeader) -> Rules:
    """Rows 29–30 (2618/2619) / 30–31 (2602/2603)."""
    code = text(header.root, sheet.system_code)
    rate = sheet.regimes.get(code)
    if rate is None:
        yield Finding(sheet.regime, sheet.system_code, code)
        return
    declared = _number(text(header.root, sheet.percent))
    if declared is None or declared != rate:
        yield Finding(sheet.rate, sheet.percent, text(header.root, sheet.percent))


def _total_formats(sheet: _Sheet, header: RetPerHeader) -> Rules:
    """Rows 32–36 / 33–37 without the sums, which come after the related documents."""
    root = header.root
    total = root.find("cbc:TotalInvoiceAmount", NS)
    total_text = "" if total is None else (total.text or "").strip()
    if not _AMOUNT.fullmatch(total_text):
        yield Finding("2669", "cbc:TotalInvoiceAmount", total_text)
    if total is not None and total.get("currencyID") != _PEN:
        yield Finding(sheet.total_currency, "cbc:TotalInvoiceAmount/@currencyID", total.get("currencyID", ""))
    net = root.find(sheet.total_net, NS)
    net_text = "" if net is None else (net.text or "").strip()
    if not _AMOUNT.fullmatch(net_text):
        yield Finding(sheet.total_net_format, sheet.total_net, net_text)
    if net is not None and net.get("currencyID") != _PEN:
        yield Finding(sheet.total_net_currency, f"{sheet.total_net}/@currencyID", net.get("currencyID", ""))
    rounding = root.find("cbc:PayableRoundingAmount", NS)
    if rounding is not None:
        value = _number((rounding.text or "").strip())
        if value is None or abs(value) > 1:
            yield Finding("3303", "cbc:PayableRoundingAmount", (rounding.text or "").strip())
        if rounding.get("currencyID") != _PEN:
            yield Finding("3304", "cbc:PayableRoundingAmount/@currencyID", rounding.get("currencyID", ""))


def _related(sheet: _Sheet, header: RetPerHeader, context: Context) -> Rules:
    """Rows 37–54 / 38–55, for each related document in order."""
    root = header.root
    references = root.findall(sheet.reference, NS)
    exceptional = sheet.perception and root.find("sac:ExceptionalIndicator", NS) is not None
    if exceptional and len(references) > 1:
        yield Finding("3323", sheet.reference, str(len(references)))
    issued = _date(header.issue_date)
    assert issued is not None  # _identity stopped otherwise
    regime = text(root, sheet.system_code)
    period: tuple[int, int] | None = None
    seen: set[tuple[str, str, str]] = set()
    for position, reference in enumerate(references, start=1):
        line = f"{sheet.reference}[{position}]/"
        identifier = reference.find("cbc:ID", NS)
        related_type = "" if identifier is None else (identifier.get("schemeID") or "").strip()
        if not related_type:
            yield Finding("2691", line + "cbc:ID/@schemeID")
            continue
        if related_type not in sheet.related_types:
            yield Finding("2692", line + "cbc:ID/@schemeID", related_type)
            continue
        if exceptional and related_type != "01":
            yield Finding("3324", line + "cbc:ID/@schemeID", related_type)
        number = "" if identifier is None else (identifier.text or "").strip()
        if not number:
            yield Finding("2693", line + "cbc:ID")
            continue
        pattern = _TICKET if related_type == "12" else sheet.related_number
        if not pattern.fullmatch(number):
            yield Finding("2694", line + "cbc:ID", number)
            continue
        related_issue_text = text(reference, "cbc:IssueDate")
        related_issued = _date(related_issue_text)
        if related_issued is None:
            yield Finding("1009", line + "cbc:IssueDate", related_issue_text)
            continue
        if sheet.perception:
            yield from _registered(header, context, related_type, number, related_issue_text, line)
        elif regime == "02" and related_issued > dt.date(2014, 2, 28):
            # Rule 39: the 6 % rate is for documents issued until 28/02/2014.
            yield Finding("2985", line + "cbc:IssueDate", related_issue_text)
        total = reference.find("cbc:TotalInvoiceAmount", NS)
        total_text = "" if total is None else (total.text or "").strip()
        if not _AMOUNT.fullmatch(total_text):
            yield Finding("2696", line + "cbc:TotalInvoiceAmount", total_text)
            continue
        currency = "" if total is None else (total.get("currencyID") or "").strip()
        if related_type == "07":
            continue
        payment = reference.find("cac:Payment", NS)
        paid_date_text = "" if payment is None else text(payment, "cbc:PaidDate")
        if not paid_date_text:
            yield Finding(sheet.paid_date_missing, line + "cac:Payment/cbc:PaidDate")
            continue
        paid_date = _date(paid_date_text)
        if paid_date is None:
            # Not in the sheets (the schema refuses a malformed date first); the code is
            # the one of SUNAT's own XSL for the pattern YYYY-MM-DD.
            yield Finding(sheet.paid_date_format, line + "cac:Payment/cbc:PaidDate", paid_date_text)
            continue
        month = (paid_date.year, paid_date.month)
        if period is None:
            period = month
        elif month != period:
            yield Finding(sheet.same_period, line + "cac:Payment/cbc:PaidDate", paid_date_text)
        same_period = (related_issued.year, related_issued.month) == (issued.year, issued.month)
        earliest = related_issued if same_period else issued.replace(day=1)
        if not earliest <= paid_date <= issued:
            yield Finding(sheet.paid_date_range, line + "cac:Payment/cbc:PaidDate", paid_date_text)
        assert payment is not None
        payment_id = text(payment, "cbc:ID")
        if not payment_id:
            yield Finding(sheet.payment_id_missing, line + "cac:Payment/cbc:ID")
        elif not _PAYMENT_ID.fullmatch(payment_id):
            yield Finding(sheet.payment_id_format, line + "cac:Payment/cbc:ID", payment_id)
        key = (related_type, number, payment_id)
        if key in seen:
            yield Finding("2626", line + "cac:Payment/cbc:ID", payment_id)
        seen.add(key)
        paid = payment.find("cbc:PaidAmount", NS)
        paid_text = "" if paid is None else (paid.text or "").strip()
        if paid is None:
            yield Finding(sheet.paid_amount_missing, line + "cac:Payment/cbc:PaidAmount")
            continue
        if not _AMOUNT.fullmatch(paid_text):
            yield Finding(sheet.paid_amount_format, line + "cac:Payment/cbc:PaidAmount", paid_text)
            continue
        if (paid.get("currencyID") or "").strip() != currency:
            yield Finding(
                sheet.paid_currency, line + "cbc:PaidAmount/@currencyID", paid.get("currencyID", "")
            )
        yield from _information(sheet, reference, Decimal(paid_text), currency, regime, line)


def _registered(
    header: RetPerHeader, context: Context, related_type: str, number: str, issue_text: str, line: str
) -> Rules:
    """Rows 39–40 of Percepciones1_0: electronic comprobantes SUNAT must hold (2609, 2610)."""
    serie, _, correlativo = number.partition("-")
    electronic = (related_type in ("01", "03", "07", "08") and serie in ("E001", "EB01")) or (
        related_type in ("01", "07", "08") and serie.startswith("F")
    )
    if not electronic:
        return
    registered = context.lookup((header.emisor_ruc, related_type, serie, int(correlativo)))
    if registered is None:
        yield Finding("2609", line + "cbc:ID", number)
    elif registered.issue_date != issue_text:
        yield Finding("2610", line + "cbc:IssueDate", issue_text)


def _information(
    sheet: _Sheet, reference: etree._Element, paid: Decimal, currency: str, regime: str, line: str
) -> Rules:
    """Rows 46–54 / 47–55: the retention or perception of one payment, and its exchange rate."""
    information = reference.find(sheet.information, NS)
    foreign = currency != _PEN
    factor = Decimal(1)
    rate_node = None if information is None else information.find("cac:ExchangeRate", NS)
    if rate_node is not None or foreign:
        source = "" if rate_node is None else text(rate_node, "cbc:SourceCurrencyCode")
        if foreign and not source:
            yield Finding("2719", line + "cbc:SourceCurrencyCode")
            return
        if source and source != currency:
            yield Finding("2749", line + "cbc:SourceCurrencyCode", source)
        target = "" if rate_node is None else text(rate_node, "cbc:TargetCurrencyCode")
        if target and target != _PEN:
            yield Finding("2715", line + "cbc:TargetCurrencyCode", target)
        calculation = "" if rate_node is None else text(rate_node, "cbc:CalculationRate")
        if foreign and not calculation:
            yield Finding("2721", line + "cbc:CalculationRate")
            return
        if calculation and not _RATE.fullmatch(calculation):
            yield Finding("2716", line + "cbc:CalculationRate", calculation)
            return
        if foreign and not (rate_node is not None and text(rate_node, "cbc:Date")):
            yield Finding("2722", line + "cbc:Date")
        factor = Decimal(calculation) if foreign else Decimal(1)
    if information is None:
        return
    percent = sheet.regimes.get(regime, Decimal(0))
    amount_node = information.find(sheet.amount, NS)
    amount_text = "" if amount_node is None else (amount_node.text or "").strip()
    if amount_node is not None:
        if not _AMOUNT.fullmatch(amount_text):
            yield Finding(sheet.amount_format, line + sheet.amount, amount_text)
            return
        expected = paid * percent / _HUNDRED * factor
        if abs(Decimal(amount_text) - expected) > _TOLERANCE:
            yield Finding(sheet.amounts, line + sheet.amount, amount_text)
        if amount_node.get("currencyID") != _PEN:
            yield Finding(sheet.amount_currency, line + f"{sheet.amount}/@currencyID")
    net_node = information.find(sheet.net, NS)
    if net_node is None:
        return
    net_text = (net_node.text or "").strip()
    if not _AMOUNT.fullmatch(net_text):
        yield Finding(sheet.net_format, line + sheet.net, net_text)
        return
    amount = Decimal(amount_text) if amount_node is not None else Decimal(0)
    in_soles = paid * factor
    expected_net = in_soles + amount if sheet.perception else in_soles - amount
    if abs(Decimal(net_text) - expected_net) > _TOLERANCE:
        yield Finding(sheet.amounts, line + sheet.net, net_text)
    if net_node.get("currencyID") != _PEN:
        yield Finding(sheet.net_currency, line + f"{sheet.net}/@currencyID")


def _sums(sheet: _Sheet, header: RetPerHeader) -> Rules:
    """Rows 32 and 34 / 33 and 35: the totals are the sums of the related documents', exactly.

    SUNAT's XSL rounds the sums to cents and compares without tolerance; credit notes and
    reverted comprobantes are left out.
    """
    root = header.root
    total_amount = Decimal(0)
    total_net = Decimal(0)
    for reference in root.findall(sheet.reference, NS):
        identifier = reference.find("cbc:ID", NS)
        if identifier is None or (identifier.get("schemeID") or "") in sheet.excluded_from_totals:
            continue
        information = reference.find(sheet.information, NS)
        if information is None:
            continue
        total_amount += _number(text(information, sheet.amount)) or Decimal(0)
        total_net += _number(text(information, sheet.net)) or Decimal(0)
    declared = _number(text(root, "cbc:TotalInvoiceAmount"))
    if declared is None or declared != total_amount.quantize(Decimal("0.01")):
        yield Finding(sheet.total_sum, "cbc:TotalInvoiceAmount", text(root, "cbc:TotalInvoiceAmount"))
    rounding = _number(text(root, "cbc:PayableRoundingAmount")) or Decimal(0)
    declared_net = _number(text(root, sheet.total_net))
    if declared_net is None or declared_net != (total_net + rounding).quantize(Decimal("0.01")):
        yield Finding(sheet.total_net_sum, sheet.total_net, text(root, sheet.total_net))


def _all(header: RetPerHeader, context: Context) -> Rules:
    sheet = SHEETS[header.tipo]
    yield from _versions(header)
    yield from _signature(header, context)
    yield from _identity(sheet, header, context)
    yield from _issuer(sheet, header, context)
    yield from _receiver(sheet, header, context)
    yield from _regime(sheet, header)
    yield from _total_formats(sheet, header)
    yield from _related(sheet, header, context)
    yield from _sums(sheet, header)


def is_observation(code: str) -> bool:
    return code in OBSERVATIONS


def evaluate(header: RetPerHeader, context: Context) -> tuple[Finding | None, list[Finding]]:
    """The stopping finding (if any) and the observations met before it."""
    observations: list[Finding] = []
    for finding in _all(header, context):
        if not is_observation(finding.code):
            return finding, observations
        observations.append(finding)
    return None, observations
