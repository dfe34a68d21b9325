"""Safe XML parsing for every emulator in the sandbox.

Follows the lxml FAQ "How do I use lxml safely as a web-service endpoint?": no entity
resolution, no network, no DTD loading, no huge trees; and, stricter than that, any
document that carries a DOCTYPE is refused outright, because no SUNAT or Hacienda
document has one and a DOCTYPE is the carrier of every entity-expansion attack.
"""

from __future__ import annotations

import threading

from lxml import etree

_local = threading.local()


class XmlRefused(ValueError):
    """The bytes are not well-formed XML, or they carry a DOCTYPE."""


def _parser() -> etree.XMLParser:
    # lxml parsers keep per-parse state and must not be shared between threads.
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
        _local.parser = parser
    return parser


def parse(data: bytes) -> etree._Element:
    """Parse ``data`` and return its root element, or raise :class:`XmlRefused`."""
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise XmlRefused(str(exc)) from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XmlRefused("el documento contiene una declaración DOCTYPE")
    return root


def local_name(element: etree._Element) -> str:
    return etree.QName(element).localname


def namespace(element: etree._Element) -> str | None:
    return etree.QName(element).namespace
