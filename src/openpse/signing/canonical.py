"""Writing XML directly in Canonical XML 1.0 form (W3C REC-xml-c14n-20010315).

A document written this way is already its own canonical form, so the digest of an
enveloped signature with ``URI=""`` is the hash of the written text: no parse and no
canonicalisation pass, which is most of the cost of signing our own documents (see
``docs/decisions/0002-xml-canonico.md``). The rules the writer keeps (C14N §2.3, §5):

* namespace declarations only on the root, sorted by prefix, the default one first;
* other attributes sorted by name (ours are all unqualified);
* empty elements written as a start tag and an end tag;
* text escapes ``& < >`` and carriage return; attribute values ``& < "`` and tab,
  line feed, carriage return;
* no XML declaration inside the canonical text (it is added when serialising).

Only characters XML 1.0 allows may be written: :func:`check_text` says which are not.
The test suite checks the writer against lxml's canonicalisation on random content.
"""

from __future__ import annotations

import re

_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#xD;"})
_ATTR_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", '"': "&quot;", "\t": "&#x9;", "\n": "&#xA;", "\r": "&#xD;"}
)
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# One scan decides the common case (nothing to escape, nothing forbidden).
_TEXT_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class NotXmlText(ValueError):
    """The text holds characters XML 1.0 cannot represent."""


def check_text(value: str) -> str:
    """Return ``value`` if XML 1.0 can hold it; raise :class:`NotXmlText` otherwise."""
    match = _FORBIDDEN.search(value)
    if match:
        raise NotXmlText(f"carácter no permitido en XML: U+{ord(match.group()):04X}")
    return value


def escape_text(value: str) -> str:
    if _TEXT_SPECIAL.search(value) is None:
        return value
    return check_text(value).translate(_TEXT_ESCAPES)


def escape_attr(value: str) -> str:
    return check_text(value).translate(_ATTR_ESCAPES)


def attributes(pairs: dict[str, str]) -> str:
    """Render attributes in canonical order: ``' a="1" b="2"'``."""
    return "".join(f' {name}="{escape_attr(value)}"' for name, value in sorted(pairs.items()))


class CanonicalWriter:
    """Appends canonical XML, indented with ``indent`` per level (indentation is content too).

    ``attrs`` arguments are already-rendered attribute strings (see :func:`attributes`),
    so constant attribute sets are rendered once per process, not once per element.
    """

    __slots__ = ("_base", "_indent", "_newlines", "_open", "parts")

    def __init__(self, indent: str = " ", depth: int = 0) -> None:
        """``depth`` > 0 writes a fragment meant to sit that many levels deep in a document."""
        self.parts: list[str] = []
        self._open: list[str] = [""] * depth
        self._base = depth
        self._indent = indent
        self._newlines = ["\n" + indent * level for level in range(64)]

    def _newline(self) -> str:
        return self._newlines[len(self._open)]

    def root(self, tag: str, namespaces: dict[str, str]) -> None:
        """The document element, declaring every namespace the document uses."""
        decls = "".join(
            f' xmlns="{uri}"' if prefix == "" else f' xmlns:{prefix}="{uri}"'
            for prefix, uri in sorted(namespaces.items())
        )
        self.parts.append(f"<{tag}{decls}>")
        self._open.append(tag)

    def start(self, tag: str, attrs: str = "") -> None:
        self.parts.append(f"{self._newline()}<{tag}{attrs}>")
        self._open.append(tag)

    def end(self) -> None:
        tag = self._open.pop()
        self.parts.append(f"{self._newline()}</{tag}>")

    def leaf(self, tag: str, text: str, attrs: str = "") -> None:
        """An element with text content (escaped here)."""
        self.parts.append(f"{self._newline()}<{tag}{attrs}>{escape_text(text)}</{tag}>")

    def leaf_safe(self, tag: str, text: str, attrs: str = "") -> None:
        """An element whose text needs no escaping (numbers, codes, dates we formatted)."""
        self.parts.append(f"{self._newline()}<{tag}{attrs}>{text}</{tag}>")

    def empty(self, tag: str) -> int:
        """An empty element; returns the index where content could be inserted later."""
        self.parts.append(f"{self._newline()}<{tag}>")
        index = len(self.parts)
        self.parts.append(f"</{tag}>")
        return index

    def raw(self, fragment: str) -> None:
        """Append text already in canonical form (a filled template written by this class)."""
        self.parts.append(fragment)

    def text(self) -> str:
        if len(self._open) != self._base:
            raise ValueError(f"elementos sin cerrar: {self._open[self._base :]}")
        return "".join(self.parts)

    def split(self, index: int) -> tuple[str, str]:
        """The text before and after a slot returned by :meth:`empty`."""
        text = self.text()
        cut = sum(len(part) for part in self.parts[:index])
        return text[:cut], text[cut:]
