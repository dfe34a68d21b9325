"""The A4 printed representation: the layout Peruvian issuers and PSEs use for facturas.

Issuer top left (logo first), the document box top right (RUC, document name,
serie-número, as SUNAT's own SEE-SOL printout), buyer and document facts, the lines,
totals beside the legends, then the QR with the hash, "Representación impresa de la
..." and where to consult the document. Long documents continue on further pages, each
with a short header (issuer, document, the table's column titles); every page ends with
"Página n de m".
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from openpse.authorities.sunat.cdr import Cdr
from openpse.render import content
from openpse.render.canvas import ASCENT, PT, Canvas, Logo
from openpse.render.document import Comprobante

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


@dataclass(frozen=True)
class _Column:
    title: str
    width: float
    align: str
    numeric: bool = False


_COLUMNS = (
    _Column("Cant.", 14, "R", numeric=True),
    _Column("Unidad", 13, "C"),
    _Column("Código", 20, "L"),
    _Column("Descripción", 75, "L"),
    _Column("V. unitario", 21, "R", numeric=True),
    _Column("P. unitario", 21, "R", numeric=True),
    _Column("Importe", 22, "R", numeric=True),
)
_SMALLEST = 5.5
_PAD = 1.2
"""Cell padding, mm."""


class _Page:
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
        self.name = content.document_name(doc.tipo)
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
        c, doc = self.c, self.doc
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
        y += c.block(text_x, y, text_width, doc.supplier.name, 10.5, bold=True)
        trade = doc.supplier.trade_name
        if trade and trade.casefold() != doc.supplier.name.casefold():
            y += c.block(text_x, y, text_width, trade, 8.5)
        if doc.supplier.address:
            y += 0.8 + c.block(text_x, y + 0.8, text_width, doc.supplier.address, BODY)
        return max(box_bottom, y, logo_bottom) + 4

    def document_box(self, x: float, top: float, width: float) -> float:
        c, doc = self.c, self.doc
        inner = width - 6
        y = top + 3
        c.text(x, y, f"R.U.C. N° {doc.supplier.id_number}", 11, bold=True, align="C", width=width)
        y += c.leading(11) + 1.5
        title = c.wrap(self.name, inner, 10.5, bold=True)
        band = len(title) * c.leading(10.5) + 2
        c.fill(x, y, width, band, 50)
        c.pdf.set_text_color(255)
        for index, line in enumerate(title):
            c.text(x, y + 1 + index * c.leading(10.5), line, 10.5, bold=True, align="C", width=width)
        c.pdf.set_text_color(0)
        y += band + 1.5
        c.text(x, y, doc.serie_numero, 12, bold=True, align="C", width=width)
        y += c.leading(12) + 2
        c.frame(x, top, width, y - top)
        return y

    def continuation_header(self) -> float:
        c, doc = self.c, self.doc
        c.text(LEFT, TOP, doc.supplier.name, 9, bold=True)
        c.text(LEFT, TOP + c.leading(9), f"RUC {doc.supplier.id_number}", BODY)
        c.text(LEFT, TOP, self.name, 9, bold=True, align="R", width=WIDTH)
        c.text(LEFT, TOP + c.leading(9), doc.serie_numero, 9, bold=True, align="R", width=WIDTH)
        bottom = TOP + c.leading(9) * 2 + 1.5
        c.rule(LEFT, bottom, RIGHT)
        return bottom + 3

    def footer(self) -> None:
        c = self.c
        c.rule(LEFT, BOTTOM + 4, RIGHT, grey=170)
        c.text(
            LEFT,
            BOTTOM + 5,
            f"{self.name} {self.doc.serie_numero} · RUC {self.doc.supplier.id_number}",
            SMALL,
        )
        c.page_number(LEFT, BOTTOM + 5, WIDTH, SMALL)

    # -- facts ---------------------------------------------------------------------------

    def facts(
        self, x: float, top: float, width: float, rows: list[tuple[str, str]], widest_label: float
    ) -> float:
        """Label/value rows, values aligned after the widest label (labels wrap past ``widest_label`` mm)."""
        c, y = self.c, top
        widest = max((c.width(f"{label}:", BODY, bold=True) for label, _ in rows), default=0)
        label_width = min(widest, widest_label) + 2
        for label, value in rows:
            label_height = c.block(x, y, label_width - 2, f"{label}:", BODY, bold=True)
            value_height = c.block(x + label_width, y, width - label_width, value, BODY)
            y += max(label_height, value_height) + 0.4
        return y - top

    def parties(self) -> None:
        doc = self.doc
        left = content.customer_facts(doc) + content.note_facts(doc)
        right = content.header_facts(doc)
        top = self.y
        left_height = self.facts(LEFT + 2.5, top + 2.5, 100, left, 38)
        right_height = self.facts(LEFT + 108, top + 2.5, WIDTH - 110.5, right, 33)
        height = max(left_height, right_height) + 4.5
        self.c.frame(LEFT, top, WIDTH, height)
        self.y = top + height + 4

    # -- lines ---------------------------------------------------------------------------

    def table_header(self) -> None:
        c, x = self.c, LEFT
        height = c.leading(7) + 2.4
        c.fill(LEFT, self.y, WIDTH, height, 225)
        for column in _COLUMNS:
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

    def line_cells(self, index: int) -> list[tuple[list[str], float]]:
        """Per column, the text of one line of the document and its size.

        Text columns wrap; a number shrinks to stay on one line (SUNAT allows unit values
        with ten decimals), and wraps only if it cannot fit even at ``_SMALLEST``.
        """
        c, line = self.c, self.doc.lines[index]
        values = (
            content.quantity(line.quantity),
            line.unit,
            line.code or "",
            line.description,
            content.unit_value(line.unit_value) if line.unit_value is not None else "",
            content.unit_value(line.unit_price) if line.unit_price is not None else "",
            content.amount(line.amount),
        )
        cells = []
        for column, value in zip(_COLUMNS, values, strict=True):
            width = column.width - 2 * _PAD
            size = c.fit(value, width, BODY, _SMALLEST) if column.numeric else BODY
            cells.append((c.wrap(value, width, size), size))
        return cells

    def lines(self) -> None:
        c, doc = self.c, self.doc
        self.in_table = True
        self.ensure(c.leading(7) + 2.4 + c.leading(BODY) + 2 * _PAD)
        self.table_header()
        body, small = c.leading(BODY), c.leading(SMALL)
        description_width = _COLUMNS[3].width - 2 * _PAD
        for index in range(len(doc.lines)):
            cells = self.line_cells(index)
            details = [
                d for text in content.line_details(doc, index) for d in c.wrap(text, description_width, SMALL)
            ]
            heights = [len(lines) * c.leading(size) for lines, size in cells]
            heights[3] += len(details) * small
            height = max(heights) + 2 * _PAD
            self.ensure(height)
            x, top = LEFT, self.y + _PAD
            for column, (lines, size) in zip(_COLUMNS, cells, strict=True):
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
                x = LEFT + sum(col.width for col in _COLUMNS[:3]) + _PAD
                first = top + len(cells[3][0]) * body
                c.pdf.set_text_color(70)
                for number, text in enumerate(details):
                    c.text(x, first + number * small, text, SMALL)
                c.pdf.set_text_color(0)
            self.y += height
            c.rule(LEFT, self.y, RIGHT, grey=200)
        self.in_table = False
        self.y += 3

    # -- totals, legends, payment ---------------------------------------------------------

    def summary(self) -> None:
        c, doc = self.c, self.doc
        rows = content.total_rows(doc)
        row = c.leading(BODY) + 0.9
        totals_height = row * len(rows) + 1.5
        self.ensure(totals_height)
        x, width = RIGHT - 70, 70.0
        top = self.y
        y = top
        for label, value, strong in rows:
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
        c, doc = self.c, self.doc
        for text, strong in content.legends(doc):
            size = 8 if strong else BODY
            height = len(c.wrap(text, width, size, strong)) * c.leading(size)
            self.ensure(height)
            self.y += c.block(LEFT, self.y, width, text, size, bold=strong) + 1
        pending = content.pending_amount(doc)
        if pending:
            self.ensure(c.leading(BODY) * 2)
            self.y += c.block(LEFT, self.y + 1, width, pending, BODY, bold=True) + 1.5
            for cuota, due, amount in content.payment_lines(doc):
                self.ensure(c.leading(BODY))
                c.text(LEFT + 2, self.y, cuota, BODY)
                c.text(LEFT + 24, self.y, f"vence {due}", BODY)
                c.text(LEFT, self.y, amount, BODY, align="R", width=72)
                self.y += c.leading(BODY) + 0.3

    # -- closing: QR, hash, where to consult, SUNAT's answer ------------------------------------

    def closing(self) -> None:
        c, doc = self.c, self.doc
        text_x = LEFT + QR_SIZE + 5
        text_width = RIGHT - text_x
        texts = [
            (content.representation(doc), 8.5, True),
            (f"Valor resumen (hash): {doc.digest_value}", BODY, False),
            (content.consult(self.consulta_url), BODY, False),
        ]
        height = sum(len(c.wrap(t, text_width, s, b)) * c.leading(s) + 1 for t, s, b in texts)
        self.ensure(max(QR_SIZE, height) + 2)
        top = self.y
        c.image(self.qr, LEFT, top, QR_SIZE, QR_SIZE)
        y = top + 2
        for text, size, bold in texts:
            y += c.block(text_x, y, text_width, text, size, bold=bold) + 1
        self.y = max(top + QR_SIZE, y) + 3
        if self.cdr is not None:
            for text, strong in content.cdr_lines(self.cdr):
                height = len(c.wrap(text, WIDTH, BODY, strong)) * c.leading(BODY)
                self.ensure(height)
                self.y += c.block(LEFT, self.y, WIDTH, text, BODY, bold=strong) + 0.6

    def render(self) -> bytes:
        self.new_page()
        self.parties()
        self.lines()
        self.summary()
        self.closing()
        return self.c.output()


def render(
    doc: Comprobante,
    canvas: Canvas,
    qr: Image.Image,
    logo: Logo | None,
    cdr: Cdr | None,
    consulta_url: str | None,
) -> bytes:
    return _Page(doc, canvas, qr, logo, cdr, consulta_url).render()
