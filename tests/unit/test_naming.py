import io
import zipfile

import pytest

from openpse.authorities.sunat.naming import DocumentName, first_xml_in_zip, zip_single


def test_names_follow_sunat_convention_without_zero_padding():
    name = DocumentName("20000000001", "01", "F001", 1)
    assert (name.base, name.xml, name.zip, name.cdr_xml) == (
        "20000000001-01-F001-1",
        "20000000001-01-F001-1.xml",
        "20000000001-01-F001-1.zip",
        "R-20000000001-01-F001-1.xml",
    )


def test_parse_accepts_zero_padded_numbers_and_extensions():
    assert DocumentName.parse("20000000001-03-B001-00000042.zip") == DocumentName(
        "20000000001", "03", "B001", 42
    )


@pytest.mark.parametrize("bad", ["2000000000-01-F001-1", "20000000001-1-F001-1", "20000000001-01-F01-1", "x"])
def test_parse_refuses_malformed_names(bad):
    with pytest.raises(ValueError):
        DocumentName.parse(bad)


def test_zip_single_has_exactly_one_entry_and_is_deterministic():
    data = zip_single("a.xml", b"<a/>")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["a.xml"]
        assert archive.read("a.xml") == b"<a/>"
    assert zip_single("a.xml", b"<a/>") == data


def test_first_xml_skips_sunat_dummy_folder():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("dummy/", b"")
        archive.writestr("R-1.xml", b"<r/>")
    assert first_xml_in_zip(buffer.getvalue()) == ("R-1.xml", b"<r/>")


def test_first_xml_refuses_a_zip_without_xml():
    with pytest.raises(ValueError):
        first_xml_in_zip(zip_single("a.txt", b"x"))
