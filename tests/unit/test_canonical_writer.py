"""The canonical writer produces exactly what lxml's C14N 1.0 produces from the same XML."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from openpse.signing.canonical import CanonicalWriter, NotXmlText, attributes, check_text

NAMESPACES = {"": "urn:example:root", "a": "urn:example:a", "ds": "http://www.w3.org/2000/09/xmldsig#"}
xml_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ufffe\uffff").filter(
        lambda c: c in "\t\n\r" or ord(c) >= 0x20
    ),
    max_size=40,
)
names = st.sampled_from(["b", "id", "schemeID", "schemeAgencyName", "listURI", "Z", "currencyID"])


def c14n(text: str) -> str:
    return etree.tostring(etree.fromstring(text.encode("utf-8")), method="c14n").decode("utf-8")


@given(st.lists(st.tuples(xml_text, st.dictionaries(names, xml_text, max_size=4)), min_size=1, max_size=8))
def test_writer_output_is_its_own_canonical_form(leaves):
    w = CanonicalWriter()
    w.root("Root", NAMESPACES)
    w.start("a:Group", attributes({"z": "1", "a": "2"}))
    for text, attrs in leaves:
        w.leaf("a:Leaf", text, attributes(attrs))
    slot = w.empty("a:Slot")
    w.end()
    w.end()
    written = w.text()
    assert c14n(written) == written
    before, after = w.split(slot)
    assert before.endswith("<a:Slot>")
    assert after.startswith("</a:Slot>")


@pytest.mark.parametrize("bad", ["\x00", "a\x01b", "\ufffe", "x\x1f"])
def test_characters_xml_cannot_hold_are_refused(bad):
    with pytest.raises(NotXmlText):
        check_text(bad)
    w = CanonicalWriter()
    w.root("r", {})
    with pytest.raises(NotXmlText):
        w.leaf("x", bad)


def test_unclosed_elements_are_a_bug():
    w = CanonicalWriter()
    w.root("r", {})
    with pytest.raises(ValueError, match="sin cerrar"):
        w.text()
