"""The printed comprobante de retención (20) and comprobante de percepción (40).

Read from SUNAT's UBL 2.0 ``Retention``/``Perception`` (schemas ``UBLPE-Retention-1.0.xsd``
and ``UBLPE-Perception-1.0.xsd``, element names as the sheets Retenciones1_0 and
Percepciones1_0 read them): the agent (``cac:AgentParty``), the supplier or customer
(``cac:ReceiverParty``), the régimen and its rate (catálogos 23 and 22), each related
document with its payment or collection, the amount retained or perceived and the net,
and the totals, which are always in soles.

The QR keeps the field order of RS 113-2018 Anexo 6, the one every Peruvian printout's
reader knows: in the tax field goes the amount retained (perceived), in the total field
the amount paid (collected) with it, and the supplier (customer) stands where the
adquirente goes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from lxml import etree

from openpse.authorities.sunat.cdr import Cdr
from openpse.authorities.sunat.retper.catalogs import Regimen
from openpse.authorities.sunat.retper.kinds import KINDS, SAC, Kind
from openpse.authorities.sunat.ubl.ns import CAC, CBC, DS, EXT
from openpse.core.money import fmt2
from openpse.core.words import amount_in_words
from openpse.render import content, qr, xmlread
from openpse.render.errors import RenderError
from openpse.render.sheet import Column, Fact, Issuer, Row, Sheet, Table

_NS = {"cac": CAC, "cbc": CBC, "ext": EXT, "ds": DS, "sac": SAC}
ROOTS = {(kind.namespace, kind.root): kind for kind in KINDS.values()}
_PEN = "PEN"

NAMES = {"20": "COMPROBANTE DE RETENCIÓN ELECTRÓNICO", "40": "COMPROBANTE DE PERCEPCIÓN ELECTRÓNICO"}


@dataclass(frozen=True)
class Party:
    name: str
    id_type: str
    id_number: str
    trade_name: str | None
    address: str | None


@dataclass(frozen=True)
class Movement:
    """cac:Payment: one payment (retención) or collection (percepción) of the related document."""

    number: str
    amount: Decimal | None
    date: dt.date | None


@dataclass(frozen=True)
class Exchange:
    source: str
    rate: Decimal | None
    date: dt.date | None


@dataclass(frozen=True)
class Related:
    """sac:SUNATRetentionDocumentReference or sac:SUNATPerceptionDocumentReference."""

    tipo: str
    number: str
    issue_date: dt.date | None
    total: Decimal | None
    currency: str
    movement: Movement | None
    amount: Decimal | None
    """Retained or perceived, in soles."""
    net: Decimal | None
    """Net paid (payment − retention) or total collected (collection + perception), in soles."""
    exchange: Exchange | None


@dataclass(frozen=True)
class RetPer:
    kind: Kind
    serie: str
    numero: str
    issue_date: dt.date
    issue_time: str | None
    agent: Party
    receiver: Party
    regime: str
    percent: Decimal | None
    note: str | None
    total: Decimal
    """cbc:TotalInvoiceAmount: total retained or perceived."""
    rounding: Decimal | None
    total_net: Decimal | None
    """sac:SUNATTotalPaid or sac:SUNATTotalCashed."""
    exceptional: bool
    related: tuple[Related, ...]
    digest_value: str

    @property
    def tipo(self) -> str:
        return self.kind.tipo

    @property
    def serie_numero(self) -> str:
        return f"{self.serie}-{self.numero}"


# -- reading --------------------------------------------------------------------------------


def _text(node: etree._Element | None, path: str) -> str:
    return xmlread.text(node, path, _NS)


def _amount(node: etree._Element | None, path: str) -> Decimal | None:
    return xmlread.amount(node, path, _NS)


def _party(node: etree._Element | None) -> Party | None:
    if node is None:
        return None
    ident = node.find("cac:PartyIdentification/cbc:ID", _NS)
    address = node.find("cac:PostalAddress", _NS)
    place = " - ".join(
        part
        for part in (
            _text(address, "cbc:District"),
            _text(address, "cbc:CityName"),
            _text(address, "cbc:CountrySubentity"),
        )
        if part and part != "-"
    )
    return Party(
        name=_text(node, "cac:PartyLegalEntity/cbc:RegistrationName"),
        id_type=(ident.get("schemeID") or "").strip() if ident is not None else "",
        id_number=(ident.text or "").strip() if ident is not None else "",
        trade_name=xmlread.optional(node, "cac:PartyName/cbc:Name", _NS),
        address=xmlread.join(
            _text(address, "cbc:StreetName"), _text(address, "cbc:CitySubdivisionName"), place
        )
        if address is not None
        else None,
    )


def _related(node: etree._Element, kind: Kind) -> Related:
    ident = node.find("cbc:ID", _NS)
    total = node.find("cbc:TotalInvoiceAmount", _NS)
    payment = node.find("cac:Payment", _NS)
    information = node.find(kind.information, _NS)
    exchange = information.find("cac:ExchangeRate", _NS) if information is not None else None
    return Related(
        tipo=(ident.get("schemeID") or "").strip() if ident is not None else "",
        number=_text(node, "cbc:ID"),
        issue_date=xmlread.optional_date(node, "cbc:IssueDate", _NS),
        total=_amount(node, "cbc:TotalInvoiceAmount"),
        currency=(total.get("currencyID") or "").strip() if total is not None else "",
        movement=Movement(
            number=_text(payment, "cbc:ID"),
            amount=_amount(payment, "cbc:PaidAmount"),
            date=xmlread.optional_date(payment, "cbc:PaidDate", _NS),
        )
        if payment is not None
        else None,
        amount=_amount(information, kind.amount),
        net=_amount(information, kind.net),
        exchange=Exchange(
            source=_text(exchange, "cbc:SourceCurrencyCode"),
            rate=_amount(exchange, "cbc:CalculationRate"),
            date=xmlread.optional_date(exchange, "cbc:Date", _NS),
        )
        if exchange is not None
        else None,
    )


def read_retper(root: etree._Element, kind: Kind) -> RetPer:
    """Read a signed comprobante de retención or de percepción."""
    version = _text(root, "cbc:UBLVersionID")
    if version and version != "2.0":
        raise RenderError(
            f"{kind.nombre} en UBL {version}: SUNAT recibe retenciones y percepciones en UBL 2.0"
        )
    ident = _text(root, "cbc:ID")
    serie, dash, numero = ident.partition("-")
    if not dash or not serie or not numero:
        raise RenderError(f"cbc:ID {ident!r} no tiene la forma SERIE-NÚMERO")
    issue = _text(root, "cbc:IssueDate")
    if not issue:
        raise RenderError("Falta la fecha de emisión (cbc:IssueDate)")
    agent = _party(root.find("cac:AgentParty", _NS))
    if agent is None or not agent.id_number:
        raise RenderError("Falta el RUC del emisor (cac:AgentParty/cac:PartyIdentification)")
    if not agent.name:
        raise RenderError("Falta la razón social del emisor (cac:AgentParty/cac:PartyLegalEntity)")
    receiver = _party(root.find("cac:ReceiverParty", _NS))
    if receiver is None or not receiver.id_number:
        raise RenderError(f"Falta el {kind.receptor} (cac:ReceiverParty/cac:PartyIdentification)")
    total = _amount(root, "cbc:TotalInvoiceAmount")
    if total is None:
        raise RenderError("Falta el importe total (cbc:TotalInvoiceAmount)")
    related = tuple(_related(node, kind) for node in root.findall(kind.reference, _NS))
    if not related:
        raise RenderError(f"El comprobante no relaciona ningún documento ({kind.reference})")
    return RetPer(
        kind=kind,
        serie=serie,
        numero=numero,
        issue_date=xmlread.date(issue, "cbc:IssueDate"),
        issue_time=_text(root, "cbc:IssueTime")[:8] or None,
        agent=agent,
        receiver=receiver,
        regime=_text(root, kind.system_code),
        percent=_amount(root, kind.percent),
        note=xmlread.join(*((n.text or "").strip() for n in root.findall("cbc:Note", _NS)), separator=" "),
        total=total,
        rounding=_amount(root, "cbc:PayableRoundingAmount"),
        total_net=_amount(root, kind.total_neto),
        exceptional=_text(root, "sac:ExceptionalIndicator") == "01",
        related=related,
        digest_value=xmlread.digest_value(
            root.findall(
                "ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent/ds:Signature/ds:SignedInfo/ds:Reference",
                _NS,
            ),
            _NS,
        ),
    )


# -- the sheet ------------------------------------------------------------------------------


def qr_text(doc: RetPer) -> str:
    return qr.sunat_fields(
        doc.agent.id_number,
        doc.tipo,
        doc.serie,
        doc.numero,
        fmt2(doc.total),
        fmt2(doc.total_net) if doc.total_net is not None else "",
        doc.issue_date.isoformat(),
        doc.receiver.id_type,
        doc.receiver.id_number,
        doc.digest_value,
    )


def _words(kind: Kind) -> tuple[str, str, str, str]:
    """(movement, movement's date, amount, net) as the columns and totals name them."""
    if kind.percepcion:
        return "Cobro", "F. cobro", "Percibido", "Total cobrado"
    return "Pago", "F. pago", "Retenido", "Neto pagado"


def _columns(kind: Kind) -> tuple[Column, ...]:
    movement, when, retained, net = _words(kind)
    # Dates and amounts shrink rather than wrap, as the numbers of the invoice table do.
    return (
        Column("Documento", 30, "L"),
        Column("Emisión", 18, "C", numeric=True),
        Column("Importe total", 23, "R", numeric=True),
        Column(movement, 10, "C"),
        Column(when, 18, "C", numeric=True),
        Column(f"Importe {movement.lower()}", 22, "R", numeric=True),
        Column("T. cambio", 15, "R", numeric=True),
        Column(f"{retained} S/", 22, "R", numeric=True),
        Column(f"{net} S/", 28, "R", numeric=True),
    )


def _document_name(kind: Kind, tipo: str) -> str:
    return kind.documentos.get(tipo) or content.affected_name(tipo).capitalize()


def _row(doc: RetPer, related: Related) -> Row:
    kind = doc.kind
    movement_word, _, _, net_word = _words(kind)
    name = f"{_document_name(kind, related.tipo)} {related.number}"
    total = content.money(related.total, related.currency) if related.total is not None else ""
    movement = related.movement
    paid = (
        content.money(movement.amount, related.currency)
        if movement is not None and movement.amount is not None
        else ""
    )
    rate = related.exchange.rate if related.exchange is not None else None
    details = []
    if related.exchange is not None and related.exchange.date is not None:
        details.append(
            f"Tipo de cambio {related.exchange.source or related.currency}/PEN del "
            f"{content.date(related.exchange.date)}"
        )
    issued = content.date(related.issue_date) if related.issue_date else ""
    ticket_values = ""
    if movement is not None:
        ticket_values = f"{movement_word} {movement.number}"
        if movement.date is not None:
            ticket_values += f" del {content.date(movement.date)}"
        if paid:
            ticket_values += f": {paid}"
        if rate is not None:
            ticket_values += f" × T.C. {content.unit_value(rate)}"
    if related.net is not None:
        ticket_values += f"; {net_word.lower()} {content.money(related.net, _PEN)}"
    return Row(
        cells=(
            name,
            issued,
            total,
            movement.number if movement is not None else "",
            content.date(movement.date) if movement is not None and movement.date is not None else "",
            paid,
            content.unit_value(rate) if rate is not None else "",
            content.amount(related.amount) if related.amount is not None else "",
            content.amount(related.net) if related.net is not None else "",
        ),
        details=tuple(details),
        ticket_title=f"{name}" + (f" del {issued}" if issued else "") + (f", total {total}" if total else ""),
        ticket_values=ticket_values,
        ticket_amount=content.money(related.amount, _PEN) if related.amount is not None else "",
    )


def _party_facts(label: str, party: Party) -> list[Fact]:
    facts = [(label, party.name or "-"), (content.id_type(party.id_type), party.id_number)]
    if party.address:
        facts.append(("Dirección", party.address))
    return facts


def _regime(kind: Kind, code: str) -> str:
    entry: Regimen | None = kind.regimenes.get(code)
    return f"{code} – {entry.descripcion}" if entry is not None else code


def retper_sheet(doc: RetPer, cdr: Cdr | None, consulta_url: str | None) -> Sheet:
    kind = doc.kind
    name = NAMES[kind.tipo]
    movement, _, retained, _ = _words(kind)
    facts: list[Fact] = [("Fecha de emisión", content.date(doc.issue_date))]
    if doc.issue_time:
        facts.append(("Hora de emisión", doc.issue_time))
    label = "Régimen de percepción" if kind.percepcion else "Régimen de retención"
    facts.append((label, _regime(kind, doc.regime)))
    if doc.percent is not None:
        facts.append(("Tasa", content.percent(doc.percent)))
    facts.append(("Moneda", content.currency_name(_PEN)))
    if doc.exceptional:
        facts.append(("Emisión excepcional", "Sí (01)"))
    totals: list[tuple[str, str, bool]] = []
    if doc.total_net is not None:
        totals.append(
            (
                f"Importe total {'cobrado' if kind.percepcion else 'pagado'}",
                content.money(doc.total_net, _PEN),
                False,
            )
        )
    if doc.rounding:
        totals.append(("Redondeo", content.money(doc.rounding, _PEN), False))
    totals.append(
        (
            f"Importe total {'percibido' if kind.percepcion else 'retenido'}",
            content.money(doc.total, _PEN),
            True,
        )
    )
    legends: list[tuple[str, bool]] = []
    if doc.total >= 0:
        legends.append((f"SON: {amount_in_words(doc.total, _PEN)}", True))
    if doc.note:
        legends.append((f"Observaciones: {doc.note}", False))
    receiver_label = "Cliente" if kind.percepcion else "Proveedor"
    return Sheet(
        name=name,
        number=doc.serie_numero,
        issuer=Issuer(
            name=doc.agent.name,
            trade_name=doc.agent.trade_name,
            id_label=f"R.U.C. N° {doc.agent.id_number}",
            id_short=f"RUC {doc.agent.id_number}",
            address=doc.agent.address,
        ),
        parties=tuple(_party_facts(receiver_label, doc.receiver)),
        facts=tuple(facts),
        sections=(),
        table=Table(
            columns=_columns(kind),
            detail_column=0,
            ticket_heading=(f"Documento, {movement.lower()}", retained),
            rows=tuple(_row(doc, related) for related in doc.related),
        ),
        totals=tuple(totals),
        legends=tuple(legends),
        pending=None,
        schedule=(),
        representation=f"Representación impresa del {name}",
        proofs=(f"Valor resumen (hash): {doc.digest_value}",),
        consult=content.consult(consulta_url),
        answer=tuple(content.cdr_lines(cdr)) if cdr is not None else (),
        qr=qr_text(doc),
        author=doc.agent.name,
    )
