"""Reading SUNAT's and OSEs' Constancias de Recepción (ApplicationResponse).

Structure from the CDR samples recorded at SUNAT beta and the CDR-OSE sheets of the 2026
validation workbook: ``cac:DocumentResponse/cac:Response/{ReferenceID, ResponseCode,
Description}``, observations as ``cbc:Note`` ("4252 - text") in SUNAT's CDR or as
``cac:Response/cac:Status/{StatusReasonCode, StatusReason}`` in the OSE variant.
Real CDRs are not always schema-valid (empty ExtensionContent, placeholder signatures
at beta), so the reader is lenient: it asks only for what it uses.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field

from lxml import etree

from openpse.authorities.base import Outcome
from openpse.authorities.sunat import codes
from openpse.authorities.sunat.naming import first_xml_in_zip
from openpse.authorities.sunat.ubl.ns import CAC, CBC
from openpse.core import xmlsafe
from openpse.documents.states import Estado

_NS = {"cac": CAC, "cbc": CBC}
_NOTE = re.compile(r"^\s*(\d{4})\s*-\s*(.*)$", re.DOTALL)


class CdrError(ValueError):
    """The answer is not a readable CDR."""


@dataclass(frozen=True)
class Observacion:
    codigo: str
    descripcion: str

    def as_api(self) -> dict[str, str]:
        return {"codigo": self.codigo, "descripcion": self.descripcion}


@dataclass(frozen=True)
class Cdr:
    """What a CDR says about one document."""

    response_code: str
    description: str
    reference_id: str
    id: str
    observaciones: list[Observacion] = field(default_factory=list)
    document_hash: str | None = None
    xml: bytes = b""

    @property
    def kind(self) -> codes.Kind:
        if self.response_code == "0" and self.observaciones:
            return codes.Kind.OBSERVACION
        return codes.kind(self.response_code)


def _text(root: etree._Element, path: str) -> str:
    node = root.find(path, _NS)
    return (node.text or "").strip() if node is not None else ""


def parse_cdr_xml(xml: bytes) -> Cdr:
    """Parse the XML of a CDR."""
    try:
        root = xmlsafe.parse(xml)
    except (etree.XMLSyntaxError, xmlsafe.UnsafeXml) as exc:
        raise CdrError(f"CDR ilegible: {exc}") from exc
    if etree.QName(root).localname != "ApplicationResponse":
        raise CdrError(f"se esperaba ApplicationResponse y llegó {etree.QName(root).localname}")
    response = root.find("cac:DocumentResponse/cac:Response", _NS)
    if response is None:
        raise CdrError("el CDR no tiene cac:DocumentResponse/cac:Response")
    code = _text(response, "cbc:ResponseCode")
    if not code:
        raise CdrError("el CDR no tiene ResponseCode")
    observaciones: list[Observacion] = []
    for note in root.findall("cbc:Note", _NS):
        match = _NOTE.match(note.text or "")
        if match:
            observaciones.append(Observacion(match.group(1), match.group(2).strip()))
    for status in response.findall("cac:Status", _NS):
        reason = _text(status, "cbc:StatusReasonCode")
        if reason:
            observaciones.append(Observacion(codes.normalize(reason), _text(status, "cbc:StatusReason")))
    return Cdr(
        response_code=codes.normalize(code),
        description=_text(response, "cbc:Description"),
        reference_id=_text(response, "cbc:ReferenceID"),
        id=_text(root, "cbc:ID"),
        observaciones=observaciones,
        document_hash=_text(
            root,
            "cac:DocumentResponse/cac:DocumentReference/cac:Attachment/"
            "cac:ExternalReference/cbc:DocumentHash",
        )
        or None,
        xml=xml,
    )


def parse_cdr_zip(data: bytes) -> Cdr:
    """Parse a CDR zip as SUNAT sends it (``dummy/`` entry first, then ``R-*.xml``)."""
    if not data.startswith(b"PK"):
        raise CdrError("la respuesta no es un zip")
    try:
        # A CDR is a few kilobytes even with hundreds of notes: 2 MB bounds a hostile one.
        _name, xml = first_xml_in_zip(data, max_bytes=2 * 1024 * 1024)
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        raise CdrError(f"zip de CDR ilegible: {exc}") from exc
    return parse_cdr_xml(xml)


def other_content(cdr: Cdr, expected_hash: str | None) -> Outcome | None:
    """``fallido`` when the CDR certifies other bytes than the ones we signed, else None.

    An OSE's CDR carries the hash of the document it judged (CDR-OSE-Comprobante and
    CDR-OSE-Resumen row 20, cbc:DocumentHash: the document's DigestValue). A different
    one means the OSE holds another version of the document under this number (or
    answers for another): the CDR is not this document's, and a person must look.
    SUNAT's own CDR has no hash, and then there is nothing to compare."""
    if cdr.document_hash is None or not expected_hash or cdr.document_hash.strip() == expected_hash.strip():
        return None
    return Outcome(
        Estado.FALLIDO,
        {
            "codigo": cdr.response_code,
            "descripcion": f"El CDR recibido certifica otro contenido (DocumentHash {cdr.document_hash}, "
            f"hash del comprobante firmado {expected_hash}); revise en la autoridad qué documento tiene",
            "observaciones": [],
        },
        detalle=f"DocumentHash del CDR {cdr.document_hash} ≠ {expected_hash}",
    )
