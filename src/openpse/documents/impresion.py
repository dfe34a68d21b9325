"""The printed representation of a stored document, as the API, the portal and e-mail give it.

One place decides what a PDF shows (the signed XML, the authority's answer, the
company's logo and where to consult it) and so under which key it is cached: a PDF is
rendered on first request and kept in the blob store; the key changes whenever
something printed on it changes (the answer arrives, the logo is replaced), so a cached
PDF is never stale.
"""

from __future__ import annotations

import hashlib

from openpse.render import render_pdf
from openpse.runtime import Runtime
from openpse.storage.tables import Comprobante, Empresa

LOGO_PREFIX = "empresas"


CONSULTABLE_TYPES = ("01", "03", "07", "08")
"""What ``/consulta`` finds: Peruvian sale documents with a printed representation
(SUNAT's own "Consulta de validez del CPE" covers these for an adquiriente). Guías,
retenciones and percepciones point to SUNAT, Costa Rican documents to Hacienda's
consultation by clave (the renderer's default lines)."""


def consulta_url(runtime: Runtime, row: Comprobante, empresa: Empresa) -> str | None:
    """Where the customer consults this document: this installation's /consulta page, if it finds it."""
    if empresa.pais != "PE" or row.tipo not in CONSULTABLE_TYPES:
        return None
    return f"{runtime.settings.resolved_public_url}/consulta"


def logo_of(runtime: Runtime, empresa: Empresa) -> bytes | None:
    return runtime.blobs.get(empresa.logo_blob) if empresa.logo_blob else None


def _cache_key(row: Comprobante, empresa: Empresa, formato: str, consulta: str | None) -> str:
    answer = row.cdr_blob.rsplit("/", 1)[-1].split("-", 1)[0] if row.cdr_blob else "sin-cdr"
    # The logo's blob key starts with its content digest; the URL is hashed in too.
    look = hashlib.sha256(f"{empresa.logo_blob or ''}|{consulta or ''}".encode()).hexdigest()[:12]
    return f"{row.xml_blob.rsplit('/', 1)[0]}/pdf/{row.id}-{formato}-{answer}-{look}.pdf"


def pdf(runtime: Runtime, row: Comprobante, formato: str = "a4", empresa: Empresa | None = None) -> bytes:
    """The document's PDF (``a4`` or ``ticket``); raises ``RenderError`` for what cannot be drawn.

    ``empresa`` is the issuer when the caller has it at hand; otherwise it is read.
    """
    if empresa is None:
        with runtime.db.read() as session:
            empresa = session.get(Empresa, row.empresa_id)
        if empresa is None:
            raise LookupError(f"el comprobante {row.id} no tiene empresa")
    consulta = consulta_url(runtime, row, empresa)
    key = _cache_key(row, empresa, formato, consulta)
    cached = runtime.blobs.cached(key)
    if cached is not None:
        return cached
    cdr = runtime.blobs.get(row.cdr_blob) if row.cdr_blob else None
    content = render_pdf(
        runtime.blobs.get(row.xml_blob),
        formato=formato,
        cdr=cdr,
        logo=logo_of(runtime, empresa),
        consulta_url=consulta,
    )
    runtime.blobs.cache(key, content)
    return content
