"""UBL 2.1 namespaces used in SUNAT documents and the tag helpers built on them."""

from __future__ import annotations

from lxml import etree

INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
EXT = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"
DS = "http://www.w3.org/2000/09/xmldsig#"
APPLICATION_RESPONSE = "urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2"


def cac(name: str) -> str:
    return "{" + CAC + "}" + name


def cbc(name: str) -> str:
    return "{" + CBC + "}" + name


def ext(name: str) -> str:
    return "{" + EXT + "}" + name


def sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    """Append a child element with optional text and attributes; return it."""
    node = etree.SubElement(parent, tag, attrs)
    if text is not None:
        node.text = text
    return node
