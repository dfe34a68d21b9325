"""The printed representation (representación impresa) of SUNAT comprobantes, as PDF.

``render_pdf`` draws a factura (01), boleta de venta (03), nota de crédito (07) or nota
de débito (08) from its signed UBL 2.1 XML alone, on an A4 page or an 80 mm ticket,
with the QR and the hash that RS 113-2018/SUNAT (Anexo 6) require; ``qr_text`` returns
the text of that QR. Malformed or unsupported input raises :class:`RenderError` before
anything is drawn, so a caller gets a whole PDF or an error, never part of one.
"""

from __future__ import annotations

import datetime as dt
import zipfile

from openpse.authorities.sunat.cdr import Cdr, CdrError, parse_cdr_xml, parse_cdr_zip
from openpse.render import a4, qr, ticket
from openpse.render.canvas import Canvas, load_logo
from openpse.render.content import document_name
from openpse.render.document import Comprobante, read_comprobante
from openpse.render.errors import RenderError

__all__ = ["FORMATS", "RenderError", "qr_text", "render_pdf"]

FORMATS = ("a4", "ticket")
_LIMA = dt.timezone(dt.timedelta(hours=-5), "America/Lima")


def qr_text(xml: bytes) -> str:
    """``RUC|TIPO|SERIE|NUMERO|IGV|TOTAL|FECHA|TIPODOCADQ|NUMDOCADQ|HASH|`` of a signed comprobante."""
    return qr.payload(read_comprobante(xml))


def _same_document(reference: str, serie_numero: str) -> bool:
    """``F001-00000001`` and ``F001-1`` name the same document (SUNAT's CDRs write both)."""
    serie, _, numero = reference.rpartition("-")
    own_serie, _, own_numero = serie_numero.rpartition("-")
    if serie != own_serie:
        return False
    if numero.isdigit() and own_numero.isdigit():
        return int(numero) == int(own_numero)
    return numero == own_numero


def _read_cdr(cdr: bytes, doc: Comprobante) -> Cdr:
    if not isinstance(cdr, bytes | bytearray):
        raise RenderError("El CDR debe pasarse como bytes (XML o zip)")
    data = bytes(cdr)
    try:
        answer = parse_cdr_zip(data) if data.startswith(b"PK") else parse_cdr_xml(data)
    except (CdrError, zipfile.BadZipFile) as exc:
        # parse_cdr_zip turns most zip failures into CdrError, but not zipfile's own.
        raise RenderError(f"CDR ilegible: {exc}") from None
    if answer.reference_id and not _same_document(answer.reference_id, doc.serie_numero):
        raise RenderError(f"El CDR es del comprobante {answer.reference_id}, no del {doc.serie_numero}")
    return answer


def _issued_at(doc: Comprobante) -> dt.datetime:
    time = dt.time()
    if doc.issue_time:
        try:
            time = dt.time.fromisoformat(doc.issue_time)
        except ValueError:
            raise RenderError(f"cbc:IssueTime no es una hora HH:MM:SS: {doc.issue_time!r}") from None
    return dt.datetime.combine(doc.issue_date, time, _LIMA)


def render_pdf(
    xml: bytes,
    *,
    formato: str = "a4",
    cdr: bytes | None = None,
    logo: bytes | None = None,
    consulta_url: str | None = None,
) -> bytes:
    """The PDF of a signed factura, boleta or nota: A4 pages (``"a4"``) or an 80 mm ticket (``"ticket"``).

    ``cdr`` is SUNAT's (or the OSE's) answer, XML or zip: its code, description and
    observations are printed. ``logo`` is a PNG or JPEG. ``consulta_url`` is where the
    buyer can download or check the document.
    """
    if formato not in FORMATS:
        raise RenderError(f"Formato {formato!r} no soportado: use 'a4' o 'ticket'")
    if logo is not None and not isinstance(logo, bytes | bytearray):
        raise RenderError("El logo debe pasarse como bytes (PNG o JPEG)")
    doc = read_comprobante(xml)
    answer = _read_cdr(cdr, doc) if cdr is not None else None
    picture = load_logo(bytes(logo)) if logo is not None else None
    symbol = qr.image(qr.payload(doc))
    canvas = Canvas(
        title=f"{document_name(doc.tipo)} {doc.serie_numero}",
        author=doc.supplier.name,
        created=_issued_at(doc),
    )
    layout = a4.render if formato == "a4" else ticket.render
    return layout(doc, canvas, symbol, picture, answer, consulta_url)
