"""SUNAT's own validators, run from ../shared: UBL XSDs (lxml) and SFS validation sheets (saxonche).

The sheets stop with ``ERROR: ... errorCode NNNN`` on a rejection and emit observations as
further messages (MANIFEST.md recipe 2 and 3). One Saxon processor per test process; each
sheet is compiled once.
"""

from __future__ import annotations

import functools
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from tests_support import shared_path

SHEETS = {
    "01": "ValidaExprRegFactura-2.0.1.xsl",
    "03": "ValidaExprRegBoleta-2.0.1.xsl",
    "07": "ValidaExprRegNC-2.0.1.xsl",
    "08": "ValidaExprRegND-2.0.1.xsl",
}
SCHEMAS = {
    "01": "UBL-Invoice-2.1.xsd",
    "03": "UBL-Invoice-2.1.xsd",
    "07": "UBL-CreditNote-2.1.xsd",
    "08": "UBL-DebitNote-2.1.xsd",
}
_CODE = re.compile(r"(?:errorCode\s+|INFO\s*:\s*)(\d{4})")


@dataclass(frozen=True)
class XslResult:
    rejected: bool
    messages: list[str]

    @property
    def codes(self) -> list[str]:
        return [m.group(1) for text in self.messages for m in [_CODE.search(text)] if m]

    @property
    def error_codes(self) -> list[str]:
        return [
            m.group(1)
            for text in self.messages
            if text.startswith("ERROR")
            for m in [_CODE.search(text)]
            if m
        ]


@functools.cache
def _processor():  # type: ignore[no-untyped-def]
    from saxonche import PySaxonProcessor

    return PySaxonProcessor(license=False)


@functools.cache
def _compiled(sheet: str):  # type: ignore[no-untyped-def]
    path = shared_path("sunat", "xsl", "commons", "xsl", sheet)
    shared = path.parents[4]
    text = path.read_text(encoding="utf-8", errors="replace")
    # SFS resolves "sunat_archivos/sfs/VALI/commons/..." against its install dir.
    text = re.sub(r'href="[^"]*sunat_archivos/sfs/VALI/', f'href="file://{shared}/sunat/xsl/', text)
    xslt = _processor().new_xslt30_processor()
    xslt.set_cwd(str(path.parent))
    return xslt.compile_stylesheet(stylesheet_text=text)


def run_sheet(tipo: str, xml: bytes, file_name: str) -> XslResult:
    from saxonche import PySaxonApiError

    executable = _compiled(SHEETS[tipo])
    proc = _processor()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / file_name
        source.write_bytes(xml)
        executable.set_parameter("nombreArchivoEnviado", proc.make_string_value(file_name))
        executable.set_save_xsl_message(True)
        try:
            executable.transform_to_string(source_file=str(source))
            rejected = False
        except PySaxonApiError:
            rejected = True
        messages = executable.get_xsl_messages()
        texts = (
            [messages.item_at(i).string_value for i in range(messages.size)] if messages is not None else []
        )
    return XslResult(rejected, texts)


@functools.cache
def _schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(shared_path("sunat", "xsd", "2.1", "maindoc", name))))


def xsd_errors(xml: bytes, name: str = "UBL-Invoice-2.1.xsd") -> list[str]:
    schema = _schema(name)
    ok = schema.validate(etree.fromstring(xml))
    return [] if ok else [f"{e.line}: {e.message}" for e in schema.error_log]
