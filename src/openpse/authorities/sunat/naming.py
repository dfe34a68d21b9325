"""File names SUNAT expects (Manual del programador, "nombre del archivo"; errors 0151/0159).

``{RUC}-{TT}-{SERIE}-{NUMERO}`` for comprobantes, zipped as ``.zip`` with a single
``.xml`` of the same base name; the CDR comes back as ``R-{base}.xml``. The number is not
zero-padded (``F001-1``), as greenter and SUNAT's samples do.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

_COMPROBANTE = re.compile(r"^(\d{11})-(\d{2})-([A-Z0-9]{4})-(\d{1,8})$")


@dataclass(frozen=True)
class DocumentName:
    """The identity of a comprobante as SUNAT names it."""

    ruc: str
    tipo: str
    serie: str
    numero: int

    @property
    def base(self) -> str:
        return f"{self.ruc}-{self.tipo}-{self.serie}-{self.numero}"

    @property
    def xml(self) -> str:
        return f"{self.base}.xml"

    @property
    def zip(self) -> str:
        return f"{self.base}.zip"

    @property
    def cdr_xml(self) -> str:
        return f"R-{self.base}.xml"

    @property
    def cdr_zip(self) -> str:
        return f"R-{self.base}.zip"

    @property
    def serie_numero(self) -> str:
        return f"{self.serie}-{self.numero}"

    @classmethod
    def parse(cls, base: str) -> DocumentName:
        """Parse ``20000000001-01-F001-1`` (with or without ``.zip``/``.xml``)."""
        stem = re.sub(r"\.(zip|xml)$", "", base, flags=re.IGNORECASE)
        match = _COMPROBANTE.match(stem)
        if not match:
            raise ValueError(f"nombre de comprobante no válido: {base}")
        ruc, tipo, serie, numero = match.groups()
        return cls(ruc, tipo, serie, int(numero))


def zip_single(name: str, content: bytes) -> bytes:
    """A zip with exactly one DEFLATE entry, as sendBill requires (0158 otherwise)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        # Level 1: about a third less CPU than the default, for a few hundred bytes more.
        archive.writestr(info, content, compresslevel=1)
    return buffer.getvalue()


def first_xml_in_zip(data: bytes, max_bytes: int = 10 * 1024 * 1024) -> tuple[str, bytes]:
    """Name and bytes of the first ``*.xml`` entry (SUNAT's CDR zips start with ``dummy/``)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if info.is_dir() or not info.filename.lower().endswith(".xml"):
                continue
            if info.file_size > max_bytes:
                raise ValueError(f"{info.filename}: {info.file_size} bytes excede el máximo permitido")
            # The declared size may lie (a zip bomb): never inflate more than the limit.
            with archive.open(info) as stream:
                data = stream.read(max_bytes + 1)
            if len(data) > max_bytes:
                raise ValueError(f"{info.filename}: excede el máximo permitido de {max_bytes} bytes")
            return info.filename.rsplit("/", 1)[-1], data
    raise ValueError("el zip no contiene ningún XML")
