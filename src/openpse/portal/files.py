"""The files of a document as downloads: signed XML, the authority's answer (CDR), the PDF.

Names and media types are those of ``/v1/comprobantes/{id}/...``, and PDFs come from
``openpse.documents.impresion``, so the portal, the consultation and the API hand out
the same bytes under the same names and share one rendered PDF.
"""

from __future__ import annotations

from enum import StrEnum

from fastapi.responses import Response

from openpse.documents import impresion
from openpse.render import RenderError
from openpse.runtime import Runtime
from openpse.storage.tables import Comprobante

PRINTABLE_TYPES = frozenset({"01", "03", "07", "08", "09", "31", "20", "40", "02", "04", "10"})
"""Types ``render_pdf`` draws: SUNAT's comprobantes, notes, guías, retenciones and
percepciones, and Hacienda's (whose 01/03/07/08 codes overlap SUNAT's). Summaries
(RC, RA, RR) have no printed form."""


class Archivo(StrEnum):
    XML = "xml"
    CDR = "cdr"
    CDR_ZIP = "cdr-zip"
    PDF = "pdf"
    TICKET = "ticket"


class FileMissing(Exception):
    """The document has no such file (yet): no CDR before the answer, no PDF for a summary."""


def has_pdf(row: Comprobante) -> bool:
    return row.tipo in PRINTABLE_TYPES and bool(row.totales)


def available(row: Comprobante) -> list[Archivo]:
    files = [Archivo.XML]
    if row.cdr_blob:
        files.append(Archivo.CDR)
    if row.cdr_zip_blob:
        files.append(Archivo.CDR_ZIP)
    if has_pdf(row):
        files += [Archivo.PDF, Archivo.TICKET]
    return files


def _pdf(runtime: Runtime, row: Comprobante, formato: str) -> bytes:
    try:
        return impresion.pdf(runtime, row, formato)
    except RenderError as exc:
        raise FileMissing(f"No se pudo generar el PDF: {exc}") from exc


def download(runtime: Runtime, row: Comprobante, archivo: Archivo) -> Response:
    """The file as an attachment (PDFs inline, so the browser shows them)."""
    if archivo not in available(row):
        raise FileMissing(
            f"El comprobante {row.serie}-{row.numero} no tiene ese archivo (estado {row.estado})"
        )
    if archivo is Archivo.XML:
        content, media, disposition = runtime.blobs.get(row.xml_blob), "application/xml", "attachment"
        name = row.xml_name
    elif archivo is Archivo.CDR:
        assert row.cdr_blob is not None
        content, media, disposition = runtime.blobs.get(row.cdr_blob), "application/xml", "attachment"
        name = f"R-{row.xml_name}"
    elif archivo is Archivo.CDR_ZIP:
        assert row.cdr_zip_blob is not None
        content, media, disposition = runtime.blobs.get(row.cdr_zip_blob), "application/zip", "attachment"
        name = f"R-{row.envio_name}"
    else:
        formato = "a4" if archivo is Archivo.PDF else "ticket"
        content, media, disposition = _pdf(runtime, row, formato), "application/pdf", "inline"
        name = f"{row.id}.pdf" if formato == "a4" else f"{row.id}-ticket.pdf"
    return Response(
        content,
        media_type=media,
        headers={
            "Content-Disposition": f'{disposition}; filename="{name}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
