"""The A4 printed representation: the layout Peruvian issuers and PSEs use for facturas.

Issuer top left (logo first), the document box top right (RUC, document name,
serie-número, as SUNAT's own SEE-SOL printout), the parties and the document's facts,
titled groups of facts (a guía's route and transport), the lines, totals beside the
legends, then the QR with the hash, "Representación impresa de la ..." and where to
consult the document. Long documents continue on further pages, each with a short
header (issuer, document, the table's column titles); every page ends with "Página n de
m". Any :class:`~openpse.render.sheet.Sheet` is drawn this way, whatever the document.
"""

from __future__ import annotations

from PIL import Image

from openpse.render.canvas import ASCENT, PT, Canvas, Logo
from openpse.render.sheet import Fact, Sheet

LEFT = 12.0
RIGHT = 198.0
WIDTH = RIGHT - LEFT
TOP = 12.0
BOTTOM = 281.0
"""Lowest point of the content; the footer sits below."""

BODY = 7.5
SMALL = 6.5
QR_SIZE = 30.0
"""Millimetres: within SUNAT's 6 × 6 cm; the usual symbol (version 8, 57 modules with the
quiet zone) gets modules of about half a millimetre, easy for any phone or reader."""


_SMALLEST = 5.5
_PAD = 1.2
"""Cell padding, mm."""


class _Page:
    def __init__(self, sheet: Sheet, canvas: Canvas, qr: Image.Image, logo: Logo | None) -> None:
        self.sheet = sheet
        self.c = canvas
        self.qr = qr
        self.logo = logo
        self.y = TOP
        self.in_table = False

    # -- pages ---------------------------------------------------------------------------

    def new_page(self) -> None:
        self.c.pdf.add_page(format="A4")
        self.footer()
        if self.c.pdf.page == 1:
            self.y = self.first_header()
        else:
            self.y = self.continuation_header()
            if self.in_table:
                self.table_header()

    def ensure(self, height: float) -> None:
        """Start a new page unless ``height`` mm fit above the footer."""
        if self.y + height > BOTTOM:
            self.new_page()

    def first_header(self) -> float:
        c, issuer = self.c, self.sheet.issuer
        box_width = 64.0
        box_x = RIGHT - box_width
        box_bottom = self.document_box(box_x, TOP, box_width)
        text_x, logo_bottom = LEFT, TOP
        if self.logo:
            width, height = self.logo.fit(48, 24)
            c.image(self.logo.jpeg, LEFT, TOP, width, height)
            text_x, logo_bottom = LEFT + width + 4, TOP + height
        text_width = box_x - 4 - text_x
        y = TOP + 1
        y += c.block(text_x, y, text_width, issuer.name, 10.5, bold=True)
        trade = issuer.trade_name
        if trade and trade.casefold() != issuer.name.casefold():
            y += c.block(text_x, y, text_width, trade, 8.5)
        if issuer.address:
            y += 0.8 + c.block(text_x, y + 0.8, text_width, issuer.address, BODY)
        for line in issuer.contact:
            y += c.block(text_x, y, text_width, line, BODY)
        return max(box_bottom, y, logo_bottom) + 4

    def document_box(self, x: float, top: float, width: float) -> float:
        c, sheet = self.c, self.sheet
        inner = width - 6
        y = top + 3
        # A long identity (a Costa Rican cédula with its type) shrinks to stay on one line.
        size = c.fit(sheet.issuer.id_label, inner, 11, 8, bold=True)
        c.text(x, y, sheet.issuer.id_label, size, bold=True, align="C", width=width)
        y += c.leading(11) + 1.5
        title = c.wrap(sheet.name, inner, 10.5, bold=True)
        band = len(title) * c.leading(10.5) + 2
        c.fill(x, y, width, band, 50)
        c.pdf.set_text_color(255)
        for index, line in enumerate(title):
            c.text(x, y + 1 + index * c.leading(10.5), line, 10.5, bold=True, align="C", width=width)
        c.pdf.set_text_color(0)
        y += band + 1.5
        size = c.fit(sheet.number, inner, 12, 8, bold=True)
        c.text(x, y, sheet.number, size, bold=True, align="C", width=width)
        y += c.leading(12) + 2
        c.frame(x, top, width, y - top)
        return y

    def continuation_header(self) -> float:
        c, sheet = self.c, self.sheet
        c.text(LEFT, TOP, sheet.issuer.name, 9, bold=True)
        c.text(LEFT, TOP + c.leading(9), sheet.issuer.id_short, BODY)
        c.text(LEFT, TOP, sheet.name, 9, bold=True, align="R", width=WIDTH)
        c.text(LEFT, TOP + c.leading(9), sheet.number, 9, bold=True, align="R", width=WIDTH)
        bottom = TOP + c.leading(9) * 2 + 1.5
        c.rule(LEFT, bottom, RIGHT)
        return bottom + 3

    def footer(self) -> None:
        c, sheet = self.c, self.sheet
        c.rule(LEFT, BOTTOM + 4, RIGHT, grey=170)
        c.text(LEFT, BOTTOM + 5, f"{sheet.name} {sheet.number} · {sheet.issuer.id_short}", SMALL)
        c.page_number(LEFT, BOTTOM + 5, WIDTH, SMALL)

    # -- facts ---------------------------------------------------------------------------

    def facts(
        self,
        x: float,
        top: float,
        width: float,
        rows: tuple[Fact, ...],
        widest_label: float,
        draw: bool = True,
    ) -> float:
        """Label/value rows, values aligned after the widest label (labels wrap past ``widest_label`` mm)."""
        c, y = self.c, top
        widest = max((c.width(f"{label}:", BODY, bold=True) for label, _ in rows), default=0)
        label_width = min(widest, widest_label) + 2
        for label, value in rows:
            # The widest label is measured with the same sum it is wrapped with: a hair of
            # slack keeps rounding from breaking it.
            label_height = c.block(x, y, label_width - 1.99, f"{label}:", BODY, bold=True, draw=draw)
            value_height = c.block(x + label_width, y, width - label_width, value, BODY, draw=draw)
            y += max(label_height, value_height) + 0.4
        return y - top

    def parties(self) -> None:
        sheet = self.sheet
        top = self.y
        if not sheet.parties:
            # Nothing on the left (a document without counterpart): the facts take the width.
            height = self.facts(LEFT + 2.5, top + 2.5, WIDTH - 5, sheet.facts, 40) + 4.5
        else:
            left_height = self.facts(LEFT + 2.5, top + 2.5, 100, sheet.parties, 38)
            right_height = self.facts(LEFT + 108, top + 2.5, WIDTH - 110.5, sheet.facts, 33)
            height = max(left_height, right_height) + 4.5
        self.c.frame(LEFT, top, WIDTH, height)
        self.y = top + height + 4

    def sections(self) -> None:
        """Each titled group of facts in a frame, its facts in two columns."""
        c = self.c
        half = (WIDTH - 7.5) / 2
        for section in self.sheet.sections:
            middle = (len(section.facts) + 1) // 2
            left, right = section.facts[:middle], section.facts[middle:]
            title = c.leading(8) + 1
            body = max(
                self.facts(LEFT + 2.5, 0, half, left, 34, draw=False),
                self.facts(LEFT + 5 + half, 0, half, right, 34, draw=False),
            )
            height = title + body + 4
            self.ensure(height)
            top = self.y
            c.text(LEFT + 2.5, top + 1.5, section.title, 8, bold=True)
            self.facts(LEFT + 2.5, top + 1.5 + title, half, left, 34)
            self.facts(LEFT + 5 + half, top + 1.5 + title, half, right, 34)
            c.frame(LEFT, top, WIDTH, height)
            self.y = top + height + 3
        if self.sheet.sections:
            self.y += 1

    # -- lines ---------------------------------------------------------------------------

    def table_header(self) -> None:
        c, x = self.c, LEFT
        height = c.leading(7) + 2.4
        c.fill(LEFT, self.y, WIDTH, height, 225)
        for column in self.sheet.table.columns:
            c.text(
                x + _PAD,
                self.y + 1.2,
                column.title,
                7,
                bold=True,
                align=column.align,
                width=column.width - 2 * _PAD,
            )
            x += column.width
        self.y += height

    def row_cells(self, index: int) -> list[tuple[list[str], float]]:
        """Per column, the text of one row of the table and its size.

        Text columns wrap; a number shrinks to stay on one line (SUNAT allows unit values
        with ten decimals), and wraps only if it cannot fit even at ``_SMALLEST``.
        """
        c, table = self.c, self.sheet.table
        cells = []
        for column, value in zip(table.columns, table.rows[index].cells, strict=True):
            width = column.width - 2 * _PAD
            size = c.fit(value, width, BODY, _SMALLEST) if column.numeric else BODY
            cells.append((c.wrap(value, width, size), size))
        return cells

    def lines(self) -> None:
        c, table = self.c, self.sheet.table
        self.in_table = True
        self.ensure(c.leading(7) + 2.4 + c.leading(BODY) + 2 * _PAD)
        self.table_header()
        body, small = c.leading(BODY), c.leading(SMALL)
        detail = table.detail_column
        detail_x = LEFT + sum(column.width for column in table.columns[:detail]) + _PAD
        detail_width = table.columns[detail].width - 2 * _PAD
        for index, row in enumerate(table.rows):
            cells = self.row_cells(index)
            details = [d for text in row.details for d in c.wrap(text, detail_width, SMALL)]
            heights = [len(lines) * c.leading(size) for lines, size in cells]
            heights[detail] += len(details) * small
            height = max(heights) + 2 * _PAD
            self.ensure(height)
            x, top = LEFT, self.y + _PAD
            for column, (lines, size) in zip(table.columns, cells, strict=True):
                # A shrunken number sits on the same baseline as the text beside it.
                shift = (BODY - size) * PT * ASCENT
                for number, text in enumerate(lines):
                    c.text(
                        x + _PAD,
                        top + shift + number * c.leading(size),
                        text,
                        size,
                        align=column.align,
                        width=column.width - 2 * _PAD,
                    )
                x += column.width
            if details:
                first = top + len(cells[detail][0]) * body
                c.pdf.set_text_color(70)
                for number, text in enumerate(details):
                    c.text(detail_x, first + number * small, text, SMALL)
                c.pdf.set_text_color(0)
            self.y += height
            c.rule(LEFT, self.y, RIGHT, grey=200)
        self.in_table = False
        self.y += 3

    # -- totals, legends, payment ---------------------------------------------------------

    def summary(self) -> None:
        c, sheet = self.c, self.sheet
        if not sheet.totals:
            self.legend_column(WIDTH)
            self.y += 4
            return
        row = c.leading(BODY) + 0.9
        totals_height = row * len(sheet.totals) + 1.5
        self.ensure(totals_height)
        x, width = RIGHT - 70, 70.0
        top = self.y
        y = top
        for label, value, strong in sheet.totals:
            if strong:
                c.rule(x, y + 0.3, RIGHT)
                y += 0.8
            size = 8.5 if strong else BODY
            c.text(x + 1, y, label, size, bold=strong)
            c.text(x, y, value, size, bold=strong, align="R", width=width - 1)
            y += row
        totals_bottom, totals_page = y, c.pdf.page
        self.y = top
        self.legend_column(RIGHT - 76 - LEFT)
        if c.pdf.page == totals_page:
            self.y = max(self.y, totals_bottom)
        self.y += 4

    def legend_column(self, width: float) -> None:
        c, sheet = self.c, self.sheet
        for text, strong in sheet.legends:
            size = 8 if strong else BODY
            height = len(c.wrap(text, width, size, strong)) * c.leading(size)
            self.ensure(height)
            self.y += c.block(LEFT, self.y, width, text, size, bold=strong) + 1
        if sheet.pending:
            self.ensure(c.leading(BODY) * 2)
            self.y += c.block(LEFT, self.y + 1, width, sheet.pending, BODY, bold=True) + 1.5
        for cuota, due, value in sheet.schedule:
            self.ensure(c.leading(BODY))
            c.text(LEFT + 2, self.y, cuota, BODY)
            c.text(LEFT + 24, self.y, f"vence {due}", BODY)
            c.text(LEFT, self.y, value, BODY, align="R", width=72)
            self.y += c.leading(BODY) + 0.3

    # -- closing: QR, hash, where to consult, the authority's answer ---------------------------

    def closing(self) -> None:
        c, sheet = self.c, self.sheet
        text_x = LEFT + QR_SIZE + 5
        text_width = RIGHT - text_x
        texts = [(sheet.representation, 8.5, True)]
        texts += [(proof, c.unbroken(proof, text_width, BODY, 5), False) for proof in sheet.proofs]
        texts.append((sheet.consult, BODY, False))
        height = sum(len(c.wrap(t, text_width, s, b)) * c.leading(s) + 1 for t, s, b in texts)
        self.ensure(max(QR_SIZE, height) + 2)
        top = self.y
        c.image(self.qr, LEFT, top, QR_SIZE, QR_SIZE)
        y = top + 2
        for text, size, bold in texts:
            y += c.block(text_x, y, text_width, text, size, bold=bold) + 1
        self.y = max(top + QR_SIZE, y) + 3
        for text, strong in sheet.answer:
            height = len(c.wrap(text, WIDTH, BODY, strong)) * c.leading(BODY)
            self.ensure(height)
            self.y += c.block(LEFT, self.y, WIDTH, text, BODY, bold=strong) + 0.6

    def render(self) -> bytes:
        self.new_page()
        self.parties()
        self.sections()
        self.lines()
        self.summary()
        self.closing()
        return self.c.output()


def render(sheet: Sheet, canvas: Canvas, qr: Image.Image, logo: Logo | None) -> bytes:
    return _Page(sheet, canvas, qr, logo).render()
