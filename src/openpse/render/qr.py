"""The QR code of the printed representation.

Content, as SUNAT's Anexo 6 of RS 113-2018/SUNAT lists it (sunat.md §5; Nubefact's
manual, pse_products.md §3.3): ``RUC|TIPO|SERIE|NUMERO|IGV|TOTAL|FECHA|TIPODOCADQ|NUMDOCADQ|HASH|``,
amounts with two decimals, the date as AAAA-MM-DD, the hash being the signature's
``ds:DigestValue``. Greenter prints the same fields without the hash; the fields before
it are identical, so a reader that splits on "|" reads both.

Symbol: QR Code 2005, UTF-8 (the text is ASCII in practice), error correction level Q
and at most 6 × 6 cm, as the same manual quotes the resolution (greenter's
``QrRender`` uses Q too). The quiet zone is the four modules ISO/IEC 18004 asks for,
more than the 1 mm SUNAT requires.
"""

from __future__ import annotations

import functools
from decimal import Decimal

import segno
from PIL import Image

from openpse.core.money import fmt2
from openpse.render.document import Comprobante

ERROR_LEVEL = "Q"
QUIET_ZONE = 4
PIXELS_PER_MODULE = 4
"""Pixels per module in the embedded image: sharp at any zoom, whatever the viewer's interpolation."""


def sunat_fields(*fields: str) -> str:
    """Fields in Anexo 6's order, each followed by "|" (the last one too)."""
    return "|".join(fields) + "|"


def payload(doc: Comprobante) -> str:
    """The text the QR of a factura, boleta or nota encodes."""
    return sunat_fields(
        doc.supplier.id_number,
        doc.tipo,
        doc.serie,
        doc.numero,
        fmt2(doc.totals.igv if doc.totals.igv is not None else Decimal(0)),
        fmt2(doc.totals.payable),
        doc.issue_date.isoformat(),
        doc.customer.id_type,
        doc.customer.id_number,
        doc.digest_value,
    )


@functools.lru_cache(maxsize=256)
def _modules(text: str) -> tuple[int, bytes]:
    # Cached by text: the A4 and the ticket of one document share the symbol, and
    # choosing the mask is most of the cost of encoding.
    code = segno.make(text, error=ERROR_LEVEL, boost_error=False, micro=False, encoding="utf-8")
    rows = [bytes(0 if dark else 255 for dark in row) for row in code.matrix_iter(scale=1, border=QUIET_ZONE)]
    return len(rows), b"".join(rows)


def image(text: str) -> Image.Image:
    """A greyscale image of the symbol with its quiet zone, ``PIXELS_PER_MODULE`` pixels per module."""
    size, data = _modules(text)
    side = size * PIXELS_PER_MODULE
    return Image.frombytes("L", (size, size), data).resize((side, side), Image.Resampling.NEAREST)


def clear_cache() -> None:
    """Forget the symbols encoded so far: a benchmark's documents then cost what new ones do."""
    _modules.cache_clear()
