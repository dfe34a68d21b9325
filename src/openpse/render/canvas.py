"""Drawing on fpdf2 with the embedded DejaVu fonts, clean text and measured line breaks.

Text is laid out here rather than by fpdf2's ``cell``/``multi_cell``: one ``text()`` per
line is five times cheaper, and the same ``wrap()`` measures a block before a page
break and draws it after, so what was measured is what is drawn. Glyph widths come from
the font (fpdf2 applies no kerning without text shaping), so a line's width is the sum
of its words' widths.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from PIL import Image, UnidentifiedImageError

from openpse.render.errors import RenderError

FONT = "dejavu"
_FONT_DIR = Path(__file__).resolve().parent / "fonts"
_REGULAR = _FONT_DIR / "DejaVuSansCondensed.ttf"
_BOLD = _FONT_DIR / "DejaVuSansCondensed-Bold.ttf"

PT = 25.4 / 72
"""Millimetres per point."""
LEADING = 1.22
"""Line height as a multiple of the font size."""
ASCENT = 0.93
"""Baseline below the top of a line box, in font sizes, for LEADING: DejaVu's ascender is 0.76 em."""

_PAGES_ALIAS = "{~páginas~}"
"""Replaced by the page count when fpdf2 writes the PDF (only in cells, which the page number alone uses)."""

_LOGO_MAX_BYTES = 5 * 1024 * 1024
_LOGO_MAX_PIXELS = 40_000_000
_LOGO_MAX_SIDE = 800
"""Pixels kept on the longest side: 450 dpi at the 45 mm an A4 logo is printed at."""


def _new_pdf() -> FPDF:
    pdf = FPDF(unit="mm", format="A4")
    pdf.add_font(FONT, "", _REGULAR)
    pdf.add_font(FONT, "B", _BOLD)
    for font in pdf.fonts.values():
        # The subset keeps the glyphs' own bounding boxes; recomputing them when fpdf2
        # writes the font costs a quarter of the whole rendering.
        ttfont = getattr(font, "ttfont", None)
        if ttfont is not None:
            ttfont.recalcBBoxes = False
    return pdf


@dataclass(frozen=True)
class _Metrics:
    """Glyph advances of both fonts, in thousandths of an em, read once per process."""

    regular: dict[int, float]
    bold: dict[int, float]
    printable: frozenset[int]
    """Code points both fonts can draw; anything else prints as "?"."""


@functools.cache
def _metrics() -> _Metrics:
    fonts = _new_pdf().fonts
    regular = dict(getattr(fonts[FONT], "cw", {}))
    bold = dict(getattr(fonts[FONT + "B"], "cw", {}))
    return _Metrics(regular, bold, frozenset(regular) & frozenset(bold))


def clean(text: str) -> str:
    """Text the fonts can draw: NFC-composed (a decomposed "ñ" is one glyph), tabs as spaces."""
    text = unicodedata.normalize("NFC", text).replace("\t", " ").replace("\r\n", "\n").replace("\r", "\n")
    printable = _metrics().printable
    if all(ord(char) in printable or char == "\n" for char in text):
        return text
    return "".join(char if ord(char) in printable or char == "\n" else "?" for char in text)


@dataclass(frozen=True)
class Logo:
    """The issuer's logo, decoded once per process and kept as a JPEG that fpdf2 embeds as is."""

    jpeg: bytes
    width: int
    height: int

    def fit(self, max_width: float, max_height: float) -> tuple[float, float]:
        scale = min(max_width / self.width, max_height / self.height)
        return self.width * scale, self.height * scale


_LOGO_CACHE: dict[bytes, Logo] = {}
_LOGO_CACHE_SIZE = 64
_LOGO_LOCK = threading.Lock()


def load_logo(data: bytes) -> Logo:
    """The logo, decoded once per process: cached by its SHA-256 (not by the bytes, which may be large)."""
    if len(data) > _LOGO_MAX_BYTES:
        raise RenderError(f"El logo pesa {len(data) // 1024} KB; el máximo es {_LOGO_MAX_BYTES // 1024} KB")
    key = hashlib.sha256(data).digest()
    with _LOGO_LOCK:
        cached = _LOGO_CACHE.get(key)
    if cached is not None:
        return cached
    logo = _decode_logo(data)
    with _LOGO_LOCK:
        if len(_LOGO_CACHE) >= _LOGO_CACHE_SIZE:
            del _LOGO_CACHE[next(iter(_LOGO_CACHE))]
        _LOGO_CACHE[key] = logo
    return logo


def _decode_logo(data: bytes) -> Logo:
    """Decode a PNG or JPEG logo, flatten it on white and keep at most ``_LOGO_MAX_SIDE`` pixels.

    Flattening on white loses nothing (the logo is printed on a white page) and lets every
    document embed the same JPEG bytes without decoding or compressing again.
    """
    if not (data.startswith(b"\x89PNG\r\n\x1a\n") or data.startswith(b"\xff\xd8\xff")):
        raise RenderError("El logo debe ser una imagen PNG o JPEG")
    try:
        with Image.open(io.BytesIO(data), formats=["PNG", "JPEG"]) as original:
            if original.width * original.height > _LOGO_MAX_PIXELS:
                raise RenderError(
                    f"El logo es demasiado grande ({original.width} × {original.height} píxeles)"
                )
            original.draft("RGB", (_LOGO_MAX_SIDE, _LOGO_MAX_SIDE))
            image = original.convert("RGBA")
    except RenderError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise RenderError(f"El logo no es una imagen PNG o JPEG válida: {exc}") from None
    image.thumbnail((_LOGO_MAX_SIDE, _LOGO_MAX_SIDE), Image.Resampling.LANCZOS)
    flat = Image.new("RGB", image.size, (255, 255, 255))
    flat.paste(image, mask=image.getchannel("A"))
    out = io.BytesIO()
    # 4:4:4 chroma and high quality: a logo's sharp colour edges stay clean.
    flat.save(out, format="JPEG", quality=92, subsampling=0)
    return Logo(out.getvalue(), flat.width, flat.height)


class Canvas:
    """One PDF being drawn: fonts, text in mm from the top of a line box, wrapping."""

    def __init__(self, *, title: str, author: str, created: dt.datetime) -> None:
        pdf = _new_pdf()
        pdf.set_auto_page_break(False)
        pdf.set_compression(True)
        pdf.set_title(title)
        pdf.set_author(author)
        pdf.set_creator("OpenPSE")
        pdf.set_lang("es-PE")
        # A fixed date makes the same XML give the same bytes (cacheable, comparable).
        pdf.set_creation_date(created)
        pdf.set_line_width(0.2)
        pdf.alias_nb_pages(_PAGES_ALIAS)
        self.pdf = pdf
        self._font: tuple[float, bool] | None = None

    def font(self, size: float, bold: bool = False) -> None:
        if self._font != (size, bold):
            self.pdf.set_font(FONT, "B" if bold else "", size)
            self._font = (size, bold)

    @staticmethod
    def leading(size: float) -> float:
        """Height of one line of text at ``size`` points, in mm."""
        return size * PT * LEADING

    @staticmethod
    def width(text: str, size: float, bold: bool = False) -> float:
        """Width of ``text`` in mm: fpdf2's own sum of advances, without its per-call overhead.

        A character the fonts lack counts as the "?" that :func:`clean` prints instead.
        """
        metrics = _metrics()
        advances = metrics.bold if bold else metrics.regular
        missing = advances[ord("?")]
        return sum(advances.get(ord(char), missing) for char in text) * size * 0.001 * PT

    def wrap(self, text: str, width: float, size: float, bold: bool = False) -> list[str]:
        """``text`` broken into lines no wider than ``width``: at spaces, inside a word only when it must."""

        def measure(part: str) -> float:
            return self.width(part, size, bold)

        space = measure(" ")
        lines: list[str] = []
        for paragraph in clean(text).split("\n"):
            current, current_width = "", 0.0
            for word in paragraph.split():
                word_width = measure(word)
                if current and current_width + space + word_width <= width:
                    current, current_width = f"{current} {word}", current_width + space + word_width
                    continue
                if current:
                    lines.append(current)
                while word_width > width and len(word) > 1:
                    cut = self._fit(word, width, size, bold)
                    lines.append(word[:cut])
                    word = word[cut:]
                    word_width = measure(word)
                current, current_width = word, word_width
            lines.append(current)
        return lines

    def fit(self, text: str, width: float, size: float, smallest: float, bold: bool = False) -> float:
        """The largest size up to ``size`` (not below ``smallest``) at which ``text`` fits on one line."""
        natural = self.width(text, size, bold)
        return size if natural <= width else max(smallest, size * width / natural)

    def unbroken(self, text: str, width: float, size: float, smallest: float, bold: bool = False) -> float:
        """The size at which the longest word of ``text`` fits in ``width`` (a clave, a link), if any does.

        Such words are read by people and copied by machines: breaking them would make
        both harder, so they shrink instead, down to ``smallest``.
        """
        widest = max((self.width(word, size, bold) for word in text.split()), default=0.0)
        # A hair below the exact ratio, so that the word's width is not lost to rounding.
        return size if widest <= width else max(smallest, size * width / widest * 0.999)

    def _fit(self, word: str, width: float, size: float, bold: bool) -> int:
        """How many leading characters of ``word`` fit in ``width`` (at least one)."""
        low, high = 1, len(word)
        while low < high:
            middle = (low + high + 1) // 2
            if self.width(word[:middle], size, bold) <= width:
                low = middle
            else:
                high = middle - 1
        return low

    def text(
        self,
        x: float,
        top: float,
        text: str,
        size: float,
        *,
        bold: bool = False,
        align: str = "L",
        width: float = 0,
    ) -> None:
        """One line of text whose line box starts at ``top``; ``align`` L, C or R within ``width``."""
        text = clean(text).replace("\n", " ")
        self.font(size, bold)
        if align != "L":
            free = width - self.width(text, size, bold)
            x += free if align == "R" else free / 2
        self.pdf.text(x, top + size * PT * ASCENT, text)

    def block(
        self,
        x: float,
        top: float,
        width: float,
        text: str,
        size: float,
        *,
        bold: bool = False,
        align: str = "L",
        draw: bool = True,
    ) -> float:
        """A wrapped paragraph; returns its height. With ``draw=False`` it only measures."""
        lines = self.wrap(text, width, size, bold)
        step = self.leading(size)
        if draw:
            for index, line in enumerate(lines):
                self.text(x, top + index * step, line, size, bold=bold, align=align, width=width)
        return step * len(lines)

    def page_number(self, x: float, top: float, width: float, size: float) -> None:
        """ "Página n de m", right-aligned, m being filled in by fpdf2 when the PDF is written."""
        self.font(size)
        label = f"Página {self.pdf.page} de {_PAGES_ALIAS}"
        # The alias is wider than the number it stands for: align as if it were "999".
        text_width = self.width(f"Página {self.pdf.page} de 999", size)
        margin = self.pdf.c_margin
        self.pdf.set_xy(x + width - text_width - margin, top)
        self.pdf.cell(text_width + 2 * margin, self.leading(size), label)

    def rule(self, x1: float, y: float, x2: float, grey: int = 120) -> None:
        self.pdf.set_draw_color(grey)
        self.pdf.line(x1, y, x2, y)

    def frame(self, x: float, y: float, w: float, h: float) -> None:
        """A thin grey frame with rounded corners."""
        self.pdf.set_draw_color(120)
        self.pdf.rect(x, y, w, h, style="D", round_corners=True, corner_radius=1.5)

    def fill(self, x: float, y: float, w: float, h: float, grey: int) -> None:
        self.pdf.set_fill_color(grey)
        self.pdf.rect(x, y, w, h, style="F")

    def image(self, image: Image.Image | bytes, x: float, y: float, w: float, h: float) -> None:
        self.pdf.image(io.BytesIO(image) if isinstance(image, bytes) else image, x=x, y=y, w=w, h=h)

    def output(self) -> bytes:
        return bytes(self.pdf.output())
