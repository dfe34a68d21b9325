"""The zip a sendBill, sendSummary or GRE send carries: its name and its single XML entry.

Follows the "General" sheet of SUNAT's validation workbook and ``sunat.md`` §2.1, in
SUNAT's order: zip name (0151, or 0152 for a summary sent through sendBill), RUC of
the file against the SOL user (0154, checked by the caller), empty zip (0155), corrupt
zip (0156), no files (0157), more than one file (0158), XML name (0159), empty XML
(0160), XML name different from the zip name (0161). Directory entries do not count
as files: SUNAT's own zips start with an empty ``dummy/`` directory.

Summary names follow the General sheet's 0151 row for RC/RA/RR:
``RRRRRRRRRRR-TT-AAAAMMDD-NNNNN.zip``, correlativo 1 to 99999, RUC starting with 1 or
2. A comprobante name sent to sendSummary does not have that structure, so it is 0151
too. RR (reversiones of 20/40) belongs to the "otros CPE" service, which the sandbox
does not emulate, so this service answers it 0151 as well.
"""

from __future__ import annotations

import binascii
import datetime as dt
import io
import re
import zipfile
import zlib
from base64 import b64decode
from dataclasses import dataclass

from openpse.sandbox.sunat.errors import SunatException

BILL_TYPES = ("01", "03", "07", "08")
GRE_TYPES = ("09", "31")
SUMMARY_TYPES = ("RC", "RA")

# "El campo 'Número de RUC' espera que el valor inicie con 1 o 2" (General sheet, 0151).
_ZIP_NAME = re.compile(
    r"(?P<ruc>[12]\d{10})-(?P<tipo>\d{2})-(?P<serie>[A-Z0-9]{4})-(?P<numero>\d{1,8})\.(?:zip|ZIP)"
)
_GRE_NAME = re.compile(r"(?P<ruc>[12]\d{10})-(?P<tipo>\d{2})-(?P<serie>[A-Z0-9]{4})-(?P<numero>\d{1,8})")
_SUMMARY_NAME = re.compile(
    r"(?P<ruc>[12]\d{10})-(?P<tipo>RC|RA|RR)-(?P<fecha>\d{8})-(?P<numero>\d{1,5})\.(?:zip|ZIP)"
)
_XML_NAME = re.compile(
    r"(?P<base>\d{11}-(?:\d{2}-[A-Z0-9]{4}-\d{1,8}|(?:RC|RA|RR)-\d{8}-\d{1,5}))\.(?:xml|XML)"
)

# What zipfile raises on a damaged archive or entry: bad structure, CRC, truncation,
# a broken deflate stream, encryption or an unknown compression method.
_UNREADABLE = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    RuntimeError,
    NotImplementedError,
)

# An XML larger than this is refused before it is inflated, so a zip bomb costs nothing.
MAX_XML_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class BillName:
    """``RRRRRRRRRRR-TT-SSSS-NNNNNNNN``: the parts of a comprobante file name."""

    ruc: str
    tipo: str
    serie: str
    numero: str

    @property
    def base(self) -> str:
        return f"{self.ruc}-{self.tipo}-{self.serie}-{self.numero}"


@dataclass(frozen=True)
class SummaryName:
    """``RRRRRRRRRRR-TT-AAAAMMDD-NNNNN``: the parts of a Resumen diario or Comunicación de baja name."""

    ruc: str
    tipo: str
    fecha: dt.date
    numero: int
    correlativo: str

    @property
    def base(self) -> str:
        return f"{self.ruc}-{self.tipo}-{self.fecha:%Y%m%d}-{self.correlativo}"

    @property
    def document_id(self) -> str:
        """The ``cbc:ID`` the XML must carry (2220), e.g. ``RC-20201022-1``."""
        return f"{self.tipo}-{self.fecha:%Y%m%d}-{self.correlativo}"

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (self.ruc, self.tipo, f"{self.fecha:%Y%m%d}", self.numero)


def parse_bill_name(file_name: str) -> BillName:
    """Check the ``fileName`` of a sendBill: 0151, or 0152 for a summary."""
    name = file_name.strip()
    match = _ZIP_NAME.fullmatch(name)
    if match is None or match["tipo"] not in BILL_TYPES:
        if _SUMMARY_NAME.fullmatch(name):
            raise SunatException("0152")
        raise SunatException("0151", f"nombre recibido: {name!r}")
    return BillName(match["ruc"], match["tipo"], match["serie"], match["numero"])


def parse_gre_name(filename: str) -> BillName:
    """Check the ``{filename}`` of a GRE send (no extension): a guía 09 or 31, or 0151."""
    match = _GRE_NAME.fullmatch(filename)
    if match is None or match["tipo"] not in GRE_TYPES:
        raise SunatException("0151", f"nombre recibido: {filename!r}")
    return BillName(match["ruc"], match["tipo"], match["serie"], match["numero"])


def parse_summary_name(file_name: str) -> SummaryName:
    """Check the ``fileName`` of a sendSummary: 0151 unless it names an RC or RA."""
    name = file_name.strip()
    match = _SUMMARY_NAME.fullmatch(name)
    if match is None:
        detail = "un comprobante se envía con sendBill" if _ZIP_NAME.fullmatch(name) else "estructura"
        raise SunatException("0151", f"nombre recibido: {name!r} ({detail})")
    if match["tipo"] not in SUMMARY_TYPES:
        raise SunatException("0151", f"{match['tipo']} se envía al servicio de otros comprobantes")
    try:
        fecha = dt.datetime.strptime(match["fecha"], "%Y%m%d").date()
    except ValueError as exc:
        raise SunatException("0151", f"fecha inválida en el nombre: {match['fecha']}") from exc
    if int(match["numero"]) < 1:
        raise SunatException("0151", "el correlativo del archivo debe ser de 1 a 99999")
    return SummaryName(match["ruc"], match["tipo"], fecha, int(match["numero"]), match["numero"])


def decode_content(content_file: str) -> bytes:
    """Decode the base64 ``contentFile``: empty is 0155, undecodable 0156."""
    compact = "".join(content_file.split())
    if not compact:
        raise SunatException("0155")
    try:
        data = b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SunatException("0156", "contentFile no es base64") from exc
    if not data:
        raise SunatException("0155")
    return data


def extract_xml(zip_bytes: bytes, base: str) -> bytes:
    """Return the only XML of the zip, after checks 0156 to 0161."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(zip_bytes))
        entries = [info for info in archive.infolist() if not info.is_dir()]
    except _UNREADABLE as exc:
        raise SunatException("0156", str(exc)) from exc
    if not entries:
        raise SunatException("0157")
    if len(entries) > 1:
        raise SunatException("0158", f"{len(entries)} archivos")
    entry = entries[0]
    xml_name = _XML_NAME.fullmatch(entry.filename)
    if xml_name is None:
        raise SunatException("0159", f"nombre recibido: {entry.filename!r}")
    if entry.file_size == 0:
        raise SunatException("0160")
    if xml_name["base"] != base:
        raise SunatException("0161", f"{entry.filename} en {base}.zip")
    if entry.file_size > MAX_XML_BYTES:
        raise SunatException("0156", f"el XML declara {entry.file_size} bytes")
    try:
        with archive.open(entry) as stream:
            data = stream.read(MAX_XML_BYTES + 1)
    except _UNREADABLE as exc:
        raise SunatException("0156", str(exc)) from exc
    if len(data) > MAX_XML_BYTES:
        raise SunatException("0156", "el XML excede el tamaño permitido")
    if not data:
        raise SunatException("0160")
    return data
