"""SUNAT's own judges of a guía, run from ../shared: the GRE 2022 schema and the GRE sheets.

The schema is ``sunat/xsd/2.1/maindoc-gre2022/UBL-DespatchAdvice-2.1.xsd`` (lxml), the
sheets ``ValidaExprRegGreRemitente-2.0.1.xsl`` and ``ValidaExprRegGreTransportista-2.0.1.xsl``
of SUNAT's SFS bundle (saxonche), run as MANIFEST.md's recipes 2 and 3 describe: an
error stops the sheet with ``ERROR: ... errorCode NNNN``, an observation is a further
message. Each sheet is compiled once per test process.
"""

from __future__ import annotations

import functools
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from tests_support import shared_path

SHEETS = {"09": "ValidaExprRegGreRemitente-2.0.1.xsl", "31": "ValidaExprRegGreTransportista-2.0.1.xsl"}
_CODE = re.compile(r"errorCode\s+(\d{4})")


@dataclass(frozen=True)
class SheetResult:
    rejected: bool
    messages: list[str]

    @property
    def error_codes(self) -> list[str]:
        return [
            m.group(1)
            for text in self.messages
            if text.startswith("ERROR")
            for m in [_CODE.search(text)]
            if m
        ]

    @property
    def observation_codes(self) -> list[str]:
        return [
            m.group(1)
            for text in self.messages
            if not text.startswith("ERROR")
            for m in [_CODE.search(text)]
            if m
        ]


@functools.cache
def _processor() -> Any:
    from saxonche import PySaxonProcessor

    return PySaxonProcessor(license=False)


@functools.cache
def _compiled(sheet: str) -> Any:
    path = shared_path("sunat", "xsl", "commons", "xsl", sheet)
    shared = path.parents[4]
    # The remitente sheet has one stray Latin-1 byte in a comment (MANIFEST.md recipe 3).
    text = path.read_text(encoding="utf-8", errors="replace")
    # SFS resolves "sunat_archivos/sfs/VALI/commons/..." against its install directory.
    text = re.sub(r'href="[^"]*sunat_archivos/sfs/VALI/', f'href="file://{shared}/sunat/xsl/', text)
    xslt = _processor().new_xslt30_processor()
    xslt.set_cwd(str(path.parent))
    return xslt.compile_stylesheet(stylesheet_text=text)


def run_sheet(tipo: str, xml: bytes, file_name: str) -> SheetResult:
    """Run SUNAT's sheet for guía ``tipo`` on ``xml`` sent as ``file_name`` (``RUC-TT-SERIE-N.xml``)."""
    from saxonche import PySaxonApiError

    executable = _compiled(SHEETS[tipo])
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / file_name
        source.write_bytes(xml)
        executable.set_parameter("nombreArchivoEnviado", _processor().make_string_value(file_name))
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
    return SheetResult(rejected, texts)


@functools.cache
def _schema() -> etree.XMLSchema:
    path = shared_path("sunat", "xsd", "2.1", "maindoc-gre2022", "UBL-DespatchAdvice-2.1.xsd")
    return etree.XMLSchema(etree.parse(str(path)))


def xsd_errors(xml: bytes) -> list[str]:
    """The GRE 2022 schema's complaints about ``xml`` (empty when it is valid)."""
    schema = _schema()
    if schema.validate(etree.fromstring(xml)):
        return []
    return [f"{error.line}: {error.message}" for error in schema.error_log]
