"""The 80 mm ticket: the same printed representation for a receipt printer's paper roll.

One page as long as its content: the layout runs twice over the same code, first
measuring (nothing drawn, no page yet) and then drawing on a page of exactly the height
measured. 80 mm paper prints about 72 mm, hence the 4 mm margins. Every fact of the A4
page is here, condensed: each line of the document takes its description, then quantity,
unit values and amount on one row.
"""

from __future__ import annotations

from PIL import Image

from openpse.authorities.sunat.cdr import Cdr
from openpse.render import content
from openpse.render.canvas import Canvas, Logo
from openpse.render.document import Comprobante
from openpse.render.errors import RenderError

PAPER_WIDTH = 80.0
MARGIN = 4.0
WIDTH = PAPER_WIDTH - 2 * MARGIN
BODY = 7.5
SMALL = 6.5
QR_SIZE = 32.0
MAX_HEIGHT = 5000.0
"""Millimetres. PDF readers may refuse pages longer than 200 inches (Adobe's implementation limit)."""


class _Ticket:
    def __init__(
        self,
        doc: Comprobante,
        canvas: Canvas,
        qr: Image.Image,
        logo: Logo | None,
        cdr: Cdr | None,
        consulta_url: str | None,
    ) -> None:
        self.doc = doc
        self.c = canvas
        self.qr = qr
        self.logo = logo
        self.cdr = cdr
        self.consulta_url = consulta_url
        self.draw = False
        self.y = MARGIN

    # -- primitives: each advances y, and draws only in the drawing pass --------------------

    def para(
        self, text: str, size: float = BODY, *, bold: bool = False, align: str = "L", after: float = 0.3
    ) -> None:
        self.y += (
            self.c.block(MARGIN, self.y, WIDTH, text, size, bold=bold, align=align, draw=self.draw) + after
        )

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
        right_width = c.width(right, size, bold)
        left_height = c.block(MARGIN, self.y, WIDTH - right_width - 2, left, size, bold=bold, draw=self.draw)
        if self.draw:
            c.text(MARGIN, self.y, right, size, bold=bold, align="R", width=WIDTH)
        self.y += max(left_height, c.leading(size)) + 0.3

    # -- sections --------------------------------------------------------------------------

    def header(self) -> None:
        doc = self.doc
        if self.logo:
            width, height = self.logo.fit(56, 22)
            if self.draw:
                self.c.image(self.logo.jpeg, MARGIN + (WIDTH - width) / 2, self.y, width, height)
            self.gap(height + 2)
        self.para(doc.supplier.name, 9, bold=True, align="C")
        trade = doc.supplier.trade_name
        if trade and trade.casefold() != doc.supplier.name.casefold():
            self.para(trade, 8, align="C")
        self.para(f"RUC {doc.supplier.id_number}", 8, bold=True, align="C")
        if doc.supplier.address:
            self.para(doc.supplier.address, SMALL, align="C")
        self.rule()
        self.para(content.document_name(doc.tipo), 9, bold=True, align="C")
        self.para(doc.serie_numero, 10, bold=True, align="C")
        self.rule()
        for label, value in content.header_facts(doc):
            self.fact(label, value)
        for label, value in content.customer_facts(doc) + content.note_facts(doc):
            self.fact(label, value)
        self.rule()

    def lines(self) -> None:
        doc = self.doc
        self.pair("Cant. Unidad × V. unitario (P. unitario)", "Importe", 7, bold=True)
        self.rule()
        for index, line in enumerate(doc.lines):
            description = f"{line.code} – {line.description}" if line.code else line.description
            self.para(description, after=0)
            for detail in content.line_details(doc, index):
                self.para(detail, SMALL, after=0)
            values = f"{content.quantity(line.quantity)} {line.unit}"
            if line.unit_value is not None:
                values += f" × {content.unit_value(line.unit_value)}"
            if line.unit_price is not None:
                values += f" (P.U. {content.unit_value(line.unit_price)})"
            self.pair(values, content.amount(line.amount))
            self.gap(0.6)
        self.rule()

    def totals(self) -> None:
        for label, value, strong in content.total_rows(self.doc):
            self.pair(label, value, 8.5 if strong else BODY, bold=strong)
        self.rule()

    def legends(self) -> None:
        doc = self.doc
        legends = content.legends(doc)
        for text, strong in legends:
            self.para(text, bold=strong)
        pending = content.pending_amount(doc)
        if pending:
            self.para(pending, bold=True)
            for cuota, due, amount in content.payment_lines(doc):
                self.pair(f"{cuota}, vence {due}", amount)
        if legends or pending:
            self.rule()

    def closing(self) -> None:
        doc = self.doc
        if self.draw:
            self.c.image(self.qr, MARGIN + (WIDTH - QR_SIZE) / 2, self.y, QR_SIZE, QR_SIZE)
        self.gap(QR_SIZE + 1.5)
        self.para(content.representation(doc), 7.5, bold=True, align="C")
        self.para(f"Valor resumen (hash): {doc.digest_value}", SMALL, align="C")
        self.para(content.consult(self.consulta_url), SMALL, align="C")
        if self.cdr is not None:
            self.rule()
            for text, strong in content.cdr_lines(self.cdr):
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
                f"El ticket mediría {height / 1000:.1f} m con {len(self.doc.lines)} líneas; "
                "use el formato A4 para este comprobante"
            )
        self.c.pdf.add_page(format=(PAPER_WIDTH, height))
        self.draw = True
        self.run()
        return self.c.output()


def render(
    doc: Comprobante,
    canvas: Canvas,
    qr: Image.Image,
    logo: Logo | None,
    cdr: Cdr | None,
    consulta_url: str | None,
) -> bytes:
    return _Ticket(doc, canvas, qr, logo, cdr, consulta_url).render()
