"""The printed representation (representación impresa) of electronic documents, as PDF.

``render_pdf`` draws, from its signed XML alone, on an A4 page or an 80 mm ticket:

- SUNAT's factura (01), boleta de venta (03), nota de crédito (07) and nota de débito (08)
  (UBL 2.1), with the QR and the hash that RS 113-2018/SUNAT (Anexo 6) require;
- the guías de remisión remitente (09) and transportista (31) of the GRE 2022 (UBL 2.1
  DespatchAdvice), with the QR link SUNAT returns in the guía's CDR;
- the comprobantes de retención (20) and de percepción (40) (UBL 2.0);
- Costa Rica's v4.4 comprobantes (factura, notas, tiquete, factura de compra, factura de
  exportación, recibo electrónico de pago), with their clave and consecutivo.

``qr_text`` returns the text of the document's QR. Malformed or unsupported input raises
:class:`RenderError` before anything is drawn, so a caller gets a whole PDF or an error,
never part of one.
"""

from __future__ import annotations

import datetime as dt
import zipfile

from lxml import etree

from openpse.authorities.sunat.cdr import Cdr, CdrError, parse_cdr_xml, parse_cdr_zip
from openpse.authorities.sunat.ubl.ns import CREDIT_NOTE, DEBIT_NOTE, INVOICE
from openpse.render import a4, guia, hacienda, qr, retper, ticket
from openpse.render.canvas import Canvas, load_logo
from openpse.render.content import invoice_sheet
from openpse.render.document import read_invoice_root
from openpse.render.errors import RenderError
from openpse.render.sheet import Sheet
from openpse.render.xmlread import parse_root

__all__ = ["FORMATS", "RenderError", "qr_text", "render_pdf"]

FORMATS = ("a4", "ticket")
_LIMA = dt.timezone(dt.timedelta(hours=-5), "America/Lima")
_COSTA_RICA = dt.timezone(dt.timedelta(hours=-6), "America/Costa_Rica")
_INVOICE_ROOTS = frozenset({(INVOICE, "Invoice"), (CREDIT_NOTE, "CreditNote"), (DEBIT_NOTE, "DebitNote")})


def _same_document(reference: str, serie_numero: str) -> bool:
    """``F001-00000001`` and ``F001-1`` name the same document (SUNAT's CDRs write both)."""
    serie, _, numero = reference.rpartition("-")
    own_serie, _, own_numero = serie_numero.rpartition("-")
    if serie != own_serie:
        return False
    if numero.isdigit() and own_numero.isdigit():
        return int(numero) == int(own_numero)
    return numero == own_numero


def _read_cdr(cdr: bytes, serie_numero: str) -> Cdr:
    if not isinstance(cdr, bytes | bytearray):
        raise RenderError("El CDR debe pasarse como bytes (XML o zip)")
    data = bytes(cdr)
    try:
        answer = parse_cdr_zip(data) if data.startswith(b"PK") else parse_cdr_xml(data)
    except (CdrError, zipfile.BadZipFile) as exc:
        # parse_cdr_zip turns most zip failures into CdrError, but not zipfile's own.
        raise RenderError(f"CDR ilegible: {exc}") from None
    if answer.reference_id and not _same_document(answer.reference_id, serie_numero):
        raise RenderError(f"El CDR es del comprobante {answer.reference_id}, no del {serie_numero}")
    return answer


def _issued_at(date: dt.date, time: str | None) -> dt.datetime:
    moment = dt.time()
    if time:
        try:
            moment = dt.time.fromisoformat(time)
        except ValueError:
            raise RenderError(f"cbc:IssueTime no es una hora HH:MM:SS: {time!r}") from None
    return dt.datetime.combine(date, moment, _LIMA)


def _prepare(xml: bytes, cdr: bytes | None, consulta_url: str | None) -> tuple[Sheet, dt.datetime]:
    """The sheet of any supported document, and its moment of issue (the PDF's creation date)."""
    root = parse_root(xml)
    qname = etree.QName(root)
    key = (qname.namespace or "", qname.localname)
    if key in _INVOICE_ROOTS:
        doc = read_invoice_root(root)
        answer = _read_cdr(cdr, doc.serie_numero) if cdr is not None else None
        return invoice_sheet(doc, answer, consulta_url), _issued_at(doc.issue_date, doc.issue_time)
    if key == guia.ROOT:
        despatch = guia.read_guia(root)
        answer = _read_cdr(cdr, despatch.serie_numero) if cdr is not None else None
        sheet = guia.guia_sheet(despatch, answer, consulta_url)
        return sheet, _issued_at(despatch.issue_date, despatch.issue_time)
    kind = retper.ROOTS.get(key)
    if kind is not None:
        document = retper.read_retper(root, kind)
        answer = _read_cdr(cdr, document.serie_numero) if cdr is not None else None
        sheet = retper.retper_sheet(document, answer, consulta_url)
        return sheet, _issued_at(document.issue_date, document.issue_time)
    formato = hacienda.ROOTS.get(key)
    if formato is not None:
        comprobante = hacienda.read_documento(root, formato)
        mensaje = hacienda.read_answer(cdr, comprobante) if cdr is not None else None
        issued = comprobante.issued
        if issued.tzinfo is None:
            issued = issued.replace(tzinfo=_COSTA_RICA)
        return hacienda.documento_sheet(comprobante, mensaje, consulta_url), issued
    raise RenderError(
        f"Documento {qname.localname} no soportado: se imprimen los comprobantes de SUNAT (factura, boleta, "
        "notas de crédito y débito, guías de remisión remitente y transportista, retención y percepción) y "
        "los comprobantes electrónicos v4.4 del Ministerio de Hacienda de Costa Rica"
    )


def qr_text(xml: bytes, cdr: bytes | None = None) -> str:
    """The text of the document's QR.

    SUNAT's comprobantes: ``RUC|TIPO|SERIE|NUMERO|IGV|TOTAL|FECHA|TIPODOCADQ|NUMDOCADQ|HASH|``
    (retención and percepción: the amount retained or perceived and the amount paid or
    collected in the tax and total fields). A guía: the link of its CDR when ``cdr`` is
    given and carries one, else the same fields without amounts. Costa Rica: the clave.
    """
    return _prepare(xml, cdr, None)[0].qr


def render_pdf(
    xml: bytes,
    *,
    formato: str = "a4",
    cdr: bytes | None = None,
    logo: bytes | None = None,
    consulta_url: str | None = None,
) -> bytes:
    """The PDF of a signed document: A4 pages (``"a4"``) or an 80 mm ticket (``"ticket"``).

    ``cdr`` is the authority's answer: SUNAT's (or the OSE's) CDR, XML or zip, for a
    Peruvian document; the MensajeHacienda XML for a Costa Rican one. Its verdict and
    observations are printed, and a guía's QR becomes the link SUNAT put in it. ``logo``
    is the company's PNG or JPEG, drawn at the top of every layout. ``consulta_url`` is
    where the buyer can download or check the document.
    """
    if formato not in FORMATS:
        raise RenderError(f"Formato {formato!r} no soportado: use 'a4' o 'ticket'")
    if logo is not None and not isinstance(logo, bytes | bytearray):
        raise RenderError("El logo debe pasarse como bytes (PNG o JPEG)")
    sheet, issued = _prepare(xml, cdr, consulta_url)
    picture = load_logo(bytes(logo)) if logo is not None else None
    symbol = qr.image(sheet.qr)
    canvas = Canvas(title=sheet.title, author=sheet.author, created=issued)
    layout = a4.render if formato == "a4" else ticket.render
    return layout(sheet, canvas, symbol, picture)
