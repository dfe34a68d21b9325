"""The printed representation before it is drawn: what goes where, for any document.

Each family of documents (facturas and notas, guías de remisión, retenciones and
percepciones, Costa Rica's comprobantes) reads its signed XML into its own model and
turns it into one :class:`Sheet`; the A4 page and the 80 mm ticket draw any sheet. So
every layout prints the same facts of every document, with the issuer's logo, the QR
and the closing block, and a new document type is a new reader, not a new layout.
"""

from __future__ import annotations

from dataclasses import dataclass

Fact = tuple[str, str]
"""(label, value): ``("Fecha de emisión", "02/05/2024")``."""
Line = tuple[str, bool]
"""(text, emphasised)."""


@dataclass(frozen=True)
class Issuer:
    """Who issues the document, as its header shows them."""

    name: str
    trade_name: str | None
    id_label: str
    """Identity line of the A4 document box: ``R.U.C. N° 20000000001``."""
    id_short: str
    """The same identity in a few characters, for the ticket and the page footers: ``RUC 20000000001``."""
    address: str | None = None
    contact: tuple[str, ...] = ()
    """Telephone, e-mail: printed under the address."""


@dataclass(frozen=True)
class Column:
    """A column of the A4 table; widths add up to the printable width (186 mm)."""

    title: str
    width: float
    align: str
    numeric: bool = False
    """Numbers shrink to stay on one line instead of wrapping."""


@dataclass(frozen=True)
class Row:
    """One line of the document's table, as the A4 columns and as the ticket's three parts."""

    cells: tuple[str, ...]
    details: tuple[str, ...]
    """Smaller lines under the A4 detail column and under the ticket title."""
    ticket_title: str
    ticket_values: str
    ticket_amount: str


@dataclass(frozen=True)
class Table:
    columns: tuple[Column, ...]
    detail_column: int
    """Index of the column under whose text the details of a row go (the description)."""
    ticket_heading: tuple[str, str]
    """Heading of the ticket's rows: what ``ticket_values`` and ``ticket_amount`` hold."""
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Section:
    """A titled group of facts (the route of a guía, its vehicles and drivers...)."""

    title: str
    facts: tuple[Fact, ...]


@dataclass(frozen=True)
class Sheet:
    name: str
    """The document's name in capitals: ``FACTURA ELECTRÓNICA``."""
    number: str
    """Serie-número, or the consecutivo in Costa Rica."""
    issuer: Issuer
    parties: tuple[Fact, ...]
    """Customer, supplier or consignee: the A4's left box."""
    facts: tuple[Fact, ...]
    """Dates, currency, payment, related documents: the A4's right box."""
    sections: tuple[Section, ...]
    table: Table
    totals: tuple[tuple[str, str, bool], ...]
    """(label, value, emphasised)."""
    legends: tuple[Line, ...]
    pending: str | None
    """A sale on credit: the pending amount, printed before its installments."""
    schedule: tuple[tuple[str, str, str], ...]
    """Installments: (cuota, vencimiento, monto)."""
    representation: str
    """``Representación impresa de la ...``."""
    proofs: tuple[str, ...]
    """What ties the paper to the XML, beside the QR: the hash, the clave."""
    consult: str
    """Where the document can be checked."""
    answer: tuple[Line, ...]
    """The authority's answer (CDR or MensajeHacienda), when given."""
    qr: str
    """The text the QR code encodes."""
    author: str
    """The PDF's author metadata: the issuer's name."""

    @property
    def title(self) -> str:
        return f"{self.name} {self.number}"
