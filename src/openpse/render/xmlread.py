"""Reading values out of a signed XML for printing: text, numbers, dates, the digest.

Shared by every reader of the renderer. Each function names the element it could not read
in the :class:`RenderError` it raises, so the caller learns which element is broken
before anything is drawn.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from lxml import etree

from openpse.core import xmlsafe
from openpse.render.errors import RenderError

Namespaces = Mapping[str, str]


def parse_root(xml: bytes) -> etree._Element:
    """The root element of ``xml``, parsed without DTDs, entities or network."""
    if not isinstance(xml, bytes | bytearray):
        raise RenderError("El XML debe pasarse como bytes")
    try:
        return xmlsafe.parse(bytes(xml))
    except xmlsafe.UnsafeXml as exc:
        raise RenderError(f"XML rechazado: {exc}") from None
    except etree.XMLSyntaxError as exc:
        raise RenderError(f"XML mal formado: {exc}") from None


def text(node: etree._Element | None, path: str, ns: Namespaces) -> str:
    """The stripped text of the first element at ``path``; "" when there is none."""
    if node is None:
        return ""
    found = node.find(path, ns)
    return (found.text or "").strip() if found is not None else ""


def optional(node: etree._Element | None, path: str, ns: Namespaces) -> str | None:
    return text(node, path, ns) or None


def decimal(value: str, where: str) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise RenderError(f"{where} no es un número: {value!r}") from None
    if not number.is_finite():
        raise RenderError(f"{where} no es un número: {value!r}")
    return number


def amount(node: etree._Element | None, path: str, ns: Namespaces) -> Decimal | None:
    value = text(node, path, ns)
    return decimal(value, path) if value else None


def date(value: str, where: str) -> dt.date:
    # xsd:date may carry a time zone ("2024-05-01-05:00") and xs:dateTime a time: the
    # date is the first ten characters.
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise RenderError(f"{where} no es una fecha AAAA-MM-DD: {value!r}") from None


def optional_date(node: etree._Element | None, path: str, ns: Namespaces) -> dt.date | None:
    value = text(node, path, ns)
    return date(value, path) if value else None


def join(*parts: str | None, separator: str = ", ") -> str | None:
    """Parts joined, without blanks or the "-" SUNAT samples use for "none"."""
    kept = [p for p in parts if p and p != "-"]
    return separator.join(kept) or None


def digest_value(references: Iterable[etree._Element], ns: Namespaces) -> str:
    """The ``ds:DigestValue`` of the signature's reference to the whole document (``URI=""``).

    That digest is the "valor resumen" the printout and SUNAT's QR carry (RS 113-2018
    Anexo 6; sunat.md §5); the other references of a XAdES signature (KeyInfo,
    SignedProperties) are not the document's.
    """
    for reference in sorted(references, key=lambda r: r.get("URI") != ""):
        value = text(reference, "ds:DigestValue", ns)
        if value:
            return value
    raise RenderError(
        "El XML no está firmado: falta ds:DigestValue, el valor resumen que la representación impresa "
        "y el código QR deben mostrar"
    )
