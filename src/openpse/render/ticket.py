"""The 80 mm ticket: the same printed representation for a receipt printer's paper roll.

One page as long as its content: the layout runs twice over the same code, first
measuring (nothing drawn, no page yet) and then drawing on a page of exactly the height
measured. 80 mm paper prints about 72 mm, hence the 4 mm margins. Every fact of the A4
page is here, condensed: each row of the document's table takes its title, its details,
then its values and amount on one line. Any :class:`~openpse.render.sheet.Sheet` prints
this way.
"""

from __future__ import annotations

from PIL import Image

from openpse.render.canvas import Canvas, Logo
from openpse.render.errors import RenderError
from openpse.render.sheet import Sheet

PAPER_WIDTH = 80.0
MARGIN = 4.0
WIDTH = PAPER_WIDTH - 2 * MARGIN
BODY = 7.5
SMALL = 6.5
QR_SIZE = 32.0
MAX_HEIGHT = 5000.0
"""Millimetres. PDF readers may refuse pages longer than 200 inches (Adobe's implementation limit)."""


class _Ticket:
    def __init__(self, sheet: Sheet, canvas: Canvas, qr: Image.Image, logo: Logo | None) -> None:
        self.sheet = sheet
        self.c = canvas
        self.qr = qr
        self.logo = logo
        self.draw = False
        self.y = MARGIN

    # -- primitives: each advances y, and draws only in the drawing pass --------------------

    def para(
        self, text: str, size: float = BODY, *, bold: bool = False, align: str = "L", after: float = 0.3
    ) -> None:
        self.y += (
            self.c.block(MARGIN, self.y, WIDTH, text, size, bold=bold, align=align, draw=self.draw) + after
        )

    def unbroken(self, text: str, size: float = BODY, *, bold: bool = False, align: str = "L") -> None:
        """A paragraph whose long words (a clave of 50 digits, a link) shrink rather than break."""
        self.para(text, self.c.unbroken(text, WIDTH, size, 4.5, bold), bold=bold, align=align)

    def gap(self, height: float) -> None:
        self.y += height

    def rule(self) -> None:
        self.gap(1.2)
        if self.draw:
            self.c.rule(MARGIN, self.y, MARGIN + WIDTH, grey=90)
        self.gap(1.5)

    def fact(self, label: str, value: str) -> None:
        """``label:`` in bold, the value beside it (below it when the label is long)."""
        c = self.c
        label = f"{label}: "
        label_width = c.width(label, BODY, bold=True)
        if label_width > WIDTH * 0.5:
            self.para(label.strip(), bold=True, after=0)
            self.para(value)
            return
        if self.draw:
            c.text(MARGIN, self.y, label, BODY, bold=True)
        self.y += (
            c.block(MARGIN + label_width, self.y, WIDTH - label_width, value, BODY, draw=self.draw) + 0.3
        )

    def pair(self, left: str, right: str, size: float = BODY, *, bold: bool = False) -> None:
        """``left`` wrapped in what ``right`` leaves free, ``right`` flush right on the first line."""
        c = self.c
        right_width = c.width(right, size, bold) if right else 0.0
        left_height = c.block(MARGIN, self.y, WIDTH - right_width - 2, left, size, bold=bold, draw=self.draw)
        if self.draw and right:
            c.text(MARGIN, self.y, right, size, bold=bold, align="R", width=WIDTH)
        self.y += max(left_height, c.leading(size)) + 0.3

    # -- sections --------------------------------------------------------------------------

    def header(self) -> None:
        sheet, issuer = self.sheet, self.sheet.issuer
        if self.logo:
            width, height = self.logo.fit(56, 22)
            if self.draw:
                self.c.image(self.logo.jpeg, MARGIN + (WIDTH - width) / 2, self.y, width, height)
            self.gap(height + 2)
        self.para(issuer.name, 9, bold=True, align="C")
        trade = issuer.trade_name
        if trade and trade.casefold() != issuer.name.casefold():
            self.para(trade, 8, align="C")
        self.para(issuer.id_short, 8, bold=True, align="C")
        if issuer.address:
            self.para(issuer.address, SMALL, align="C")
        for line in issuer.contact:
            self.para(line, SMALL, align="C")
        self.rule()
        self.para(sheet.name, 9, bold=True, align="C")
        self.para(sheet.number, 10, bold=True, align="C")
        self.rule()
        for label, value in sheet.facts:
            self.fact(label, value)
        for label, value in sheet.parties:
            self.fact(label, value)
        self.rule()
        for section in sheet.sections:
            self.para(section.title, 8, bold=True)
            for label, value in section.facts:
                self.fact(label, value)
            self.rule()

    def lines(self) -> None:
        table = self.sheet.table
        self.pair(*table.ticket_heading, 7, bold=True)
        self.rule()
        for row in table.rows:
            if row.ticket_title:
                self.para(row.ticket_title, after=0)
            for detail in row.details:
                self.para(detail, SMALL, after=0)
            self.pair(row.ticket_values, row.ticket_amount)
            self.gap(0.6)
        self.rule()

    def totals(self) -> None:
        if not self.sheet.totals:
            return
        for label, value, strong in self.sheet.totals:
            self.pair(label, value, 8.5 if strong else BODY, bold=strong)
        self.rule()

    def legends(self) -> None:
        sheet = self.sheet
        for text, strong in sheet.legends:
            self.unbroken(text, bold=strong)
        if sheet.pending:
            self.para(sheet.pending, bold=True)
        for cuota, due, value in sheet.schedule:
            self.pair(f"{cuota}, vence {due}", value)
        if sheet.legends or sheet.pending or sheet.schedule:
            self.rule()

    def closing(self) -> None:
        sheet = self.sheet
        if self.draw:
            self.c.image(self.qr, MARGIN + (WIDTH - QR_SIZE) / 2, self.y, QR_SIZE, QR_SIZE)
        self.gap(QR_SIZE + 1.5)
        self.para(sheet.representation, 7.5, bold=True, align="C")
        for proof in sheet.proofs:
            self.unbroken(proof, SMALL, align="C")
        self.para(sheet.consult, SMALL, align="C")
        if sheet.answer:
            self.rule()
            for text, strong in sheet.answer:
                self.para(text, SMALL, bold=strong)

    def run(self) -> None:
        self.y = MARGIN
        self.header()
        self.lines()
        self.totals()
        self.legends()
        self.closing()
        self.gap(MARGIN + 2)

    def render(self) -> bytes:
        self.run()
        height = self.y
        if height > MAX_HEIGHT:
            raise RenderError(
                f"El ticket mediría {height / 1000:.1f} m con {len(self.sheet.table.rows)} líneas; "
                "use el formato A4 para este comprobante"
            )
        self.c.pdf.add_page(format=(PAPER_WIDTH, height))
        self.draw = True
        self.run()
        return self.c.output()


def render(sheet: Sheet, canvas: Canvas, qr: Image.Image, logo: Logo | None) -> bytes:
    return _Ticket(sheet, canvas, qr, logo).render()
