"""XSD validation of received comprobantes against Hacienda's v4.4 schemas.

The schemas are Hacienda's own files (``xsd/v4.4/2026``: the April-2026 revision,
mandatory since 2026-11-01, byte-identical to ``../shared/hacienda/xsd/v4.4/2026``; see
``MANIFEST.md`` there), chosen by the root element as ``hacienda_cr.md`` §8 item 2 says.
Each imports ``../../xmldsig-core-schema.xsd``, which sits at ``xsd/``.

Errors are reported the way Hacienda writes them in a MensajeHacienda (§3.6): the
Xerces constraint name (``cvc-pattern-valid``, ``cvc-complex-type.2.4.a``…), the text,
and the row and column in the XML as it was received. libxml2 names its errors
differently (``SCHEMAV_CVC_PATTERN_VALID``); :func:`cvc_name` translates.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

DEFAULT_XSD_DIR = Path(__file__).resolve().parent / "xsd" / "v4.4" / "2026"

# libxml2's facet names are upper case; Xerces writes them in camel case.
_FACETS = {
    "MINLENGTH": "minLength",
    "MAXLENGTH": "maxLength",
    "LENGTH": "length",
    "TOTALDIGITS": "totalDigits",
    "FRACTIONDIGITS": "fractionDigits",
    "MININCLUSIVE": "minInclusive",
    "MAXINCLUSIVE": "maxInclusive",
    "MINEXCLUSIVE": "minExclusive",
    "MAXEXCLUSIVE": "maxExclusive",
}
# libxml2 errors without a CVC name, to the Xerces constraint that reports the same fault.
_CONTENT_ERRORS = {
    "SCHEMAV_ELEMENT_CONTENT": "cvc-complex-type.2.4.a",
    "SCHEMAV_CVC_ELT_1": "cvc-elt.1",
    "SCHEMAV_CVC_COMPLEX_TYPE_4": "cvc-complex-type.4",
    "SCHEMAV_CVC_COMPLEX_TYPE_3_2_1": "cvc-complex-type.3.2.1",
}


def cvc_name(type_name: str) -> str:
    """``SCHEMAV_CVC_DATATYPE_VALID_1_2_1`` → ``cvc-datatype-valid.1.2.1``."""
    if type_name in _CONTENT_ERRORS:
        return _CONTENT_ERRORS[type_name]
    if not type_name.startswith("SCHEMAV_CVC_"):
        return "cvc-complex-type"
    words: list[str] = []
    numbers: list[str] = []
    for token in type_name.removeprefix("SCHEMAV_CVC_").split("_"):
        if token.isdigit():
            numbers.append(token)
        else:
            words.append(_FACETS.get(token, token.lower()))
    name = "cvc-" + "-".join(words)
    return ".".join([name, *numbers])


@dataclass(frozen=True)
class SchemaError:
    constraint: str
    message: str
    line: int
    column: int


class SchemaSet:
    """The v4.4 schemas of one folder, compiled on first use, once per thread.

    lxml validators keep an error log per object, so one compiled schema must not
    validate in two threads at once.
    """

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or DEFAULT_XSD_DIR
        self._local = threading.local()

    def _schema(self, root: str) -> etree.XMLSchema:
        cache: dict[str, etree.XMLSchema] | None = getattr(self._local, "cache", None)
        if cache is None:
            cache = {}
            self._local.cache = cache
        schema = cache.get(root)
        if schema is None:
            path = self.directory / f"{root}_V4.4.xsd"
            schema = etree.XMLSchema(etree.parse(str(path)))
            cache[root] = schema
        return schema

    def validate(self, root: str, element: etree._Element) -> list[SchemaError]:
        """Every XSD error of ``element`` (a comprobante whose root element is ``root``)."""
        schema = self._schema(root)
        if schema.validate(element.getroottree()):
            return []
        return [
            SchemaError(_constraint(error.type_name, error.message), error.message, error.line, error.column)
            for error in schema.error_log
        ]


def _constraint(type_name: str, message: str) -> str:
    # libxml2 has one error for unexpected and for missing content; Xerces tells them
    # apart (2.4.a: an element that should not be there, 2.4.b: content ended too soon).
    if type_name == "SCHEMAV_ELEMENT_CONTENT" and "Missing child element" in message:
        return "cvc-complex-type.2.4.b"
    return cvc_name(type_name)
