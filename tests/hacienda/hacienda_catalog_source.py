"""Reads Hacienda's own catalogue files in ``../shared`` and renders ``data/catalogos.json``.

The package ships the JSON so that it runs without ``../shared``; the test suite rebuilds
it from the official files (v4.4 XSD of April 2026, ``Codificacionubicacion_V4.4.xlsx`` and
``Nota_9_Codigo_Forma_Farmaceutica.xlsx``) and compares, so the two never drift apart.
Run ``python tests/hacienda/hacienda_catalog_source.py`` to regenerate the file.
"""

from __future__ import annotations

import collections
import json
import sys
import zipfile
from pathlib import Path
from typing import Any

from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
XSD = SHARED / "hacienda/xsd/v4.4/2026/FacturaElectronica_V4.4.xsd"
UBICACIONES = SHARED / "hacienda/catalogs/Codificacionubicacion_V4.4.xlsx"
FORMAS = SHARED / "hacienda/catalogs/Nota_9_Codigo_Forma_Farmaceutica.xlsx"
TARGET = ROOT / "src/openpse/authorities/hacienda/data/catalogos.json"

_XS = "{http://www.w3.org/2001/XMLSchema}"
_SHEET = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _documentation(node: etree._Element) -> str:
    doc = node.find(f"{_XS}annotation/{_XS}documentation")
    return " ".join("".join(doc.itertext()).split()) if doc is not None else ""


def _enumeration(root: etree._Element, type_name: str) -> dict[str, str]:
    for node in root.iter(f"{_XS}simpleType", f"{_XS}complexType"):
        if node.get("name") == type_name:
            return {e.get("value", ""): _documentation(e) for e in node.iter(f"{_XS}enumeration")}
    raise KeyError(type_name)


def _sheet_rows(path: Path) -> list[dict[str, str]]:
    """Rows of the first sheet as {column letter: text}."""
    with zipfile.ZipFile(path) as book:
        strings = ["".join(item.itertext()) for item in etree.fromstring(book.read("xl/sharedStrings.xml"))]
        sheet = etree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in sheet.iter(f"{_SHEET}row"):
        cells = {}
        for cell in row.iter(f"{_SHEET}c"):
            value = cell.find(f"{_SHEET}v")
            if value is None or value.text is None:
                continue
            text = strings[int(value.text)] if cell.get("t") == "s" else value.text
            column = "".join(ch for ch in cell.get("r", "") if ch.isalpha())
            cells[column] = text.strip()
        rows.append(cells)
    return rows


def _most_common(names: list[str]) -> str:
    # The workbook writes the first row of each district in capitals and the rest in
    # title case; the most frequent spelling is the readable one.
    return collections.Counter(n for n in names if n).most_common(1)[0][0]


def ubicaciones(path: Path = UBICACIONES) -> dict[str, Any]:
    provincias: dict[str, list[str]] = collections.defaultdict(list)
    cantones: dict[tuple[str, str], list[str]] = collections.defaultdict(list)
    distritos: dict[tuple[str, str, str], list[str]] = collections.defaultdict(list)
    for cells in _sheet_rows(path)[1:]:
        provincia = str(int(cells["B"]))
        canton = f"{int(cells['D']):02d}"
        distrito = f"{int(cells['F']):02d}"
        provincias[provincia].append(cells.get("C", ""))
        cantones[provincia, canton].append(cells.get("E", ""))
        distritos[provincia, canton, distrito].append(cells.get("G", ""))
    tree: dict[str, Any] = {}
    for provincia in sorted(provincias):
        tree[provincia] = {"nombre": _most_common(provincias[provincia]), "cantones": {}}
    for (provincia, canton), names in sorted(cantones.items()):
        tree[provincia]["cantones"][canton] = {"nombre": _most_common(names), "distritos": {}}
    for (provincia, canton, distrito), names in sorted(distritos.items()):
        tree[provincia]["cantones"][canton]["distritos"][distrito] = _most_common(names)
    return tree


def formas_farmaceuticas(path: Path = FORMAS) -> dict[str, str]:
    return {cells["A"]: cells["B"] for cells in _sheet_rows(path)[1:] if cells.get("A")}


def catalogos() -> dict[str, Any]:
    root = etree.parse(str(XSD)).getroot()
    return {
        "fuente": {
            "xsd": "FacturaElectronica_V4.4.xsd (revisión de abril de 2026)",
            "ubicaciones": "Codificacionubicacion_V4.4.xlsx",
            "formas_farmaceuticas": "Nota_9_Codigo_Forma_Farmaceutica.xlsx",
        },
        "unidades_medida": _enumeration(root, "UnidadMedidaType"),
        "monedas": sorted(_enumeration(root, "CodigoMonedaType")),
        "ubicaciones": ubicaciones(),
        "formas_farmaceuticas": formas_farmaceuticas(),
    }


def render() -> str:
    return json.dumps(catalogos(), ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


if __name__ == "__main__":
    TARGET.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"{TARGET} escrito\n")
