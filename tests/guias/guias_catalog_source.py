"""The GRE catalogues as SUNAT's SFS bundle publishes them, read from ``../shared``.

Used twice: the test suite checks that OpenPSE's copy in
``src/openpse/authorities/sunat/guias/data/`` is exactly what SUNAT's files say, and
running this module regenerates that copy when SUNAT publishes new catalogues::

    .venv/bin/python tests/guias/guias_catalog_source.py
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED_CATALOGS = ROOT.parent / "shared" / "sunat" / "xsl" / "commons" / "cpe" / "catalogo"
DATA = ROOT / "src" / "openpse" / "authorities" / "sunat" / "guias" / "data"
# The catalogues the GRE sheets read (ValidaExprRegGre{Remitente,Transportista}-2.0.1.xsl):
# 13 ubigeo, 18 modalidad, 20 motivo, 55 propiedades del ítem, 61 documentos relacionados
# (with the gre-r/gre-t flags), 62/62A bienes normalizados, 63/64 puertos y aeropuertos
# (with their ubigeo), 65/65A unidades de medida de aduanas, D37 entidades autorizadoras.
CATALOGS = ["13", "18", "20", "55", "61", "62", "62A", "63", "64", "65", "65A", "D37"]
# The SFS files declare a DOCTYPE (our XML policy refuses it) and are one flat list of
# <c id="..." attr="...">name</c>; some attributes are written with blanks around "=".
ENTRY = re.compile(r'<c\s+id\s*=\s*"([^"]+)"([^>]*)>([^<]*)</c>')
ATTR = re.compile(r'([\w-]+)\s*=\s*"([^"]*)"')


def gre_catalogs(folder: Path = SHARED_CATALOGS) -> dict[str, dict[str, dict[str, str]]]:
    """Every GRE catalogue: code → ``{"nombre": ..., <SFS attributes>}``."""
    catalogs: dict[str, dict[str, dict[str, str]]] = {}
    for number in CATALOGS:
        text = (folder / f"cat_{number}.xml").read_text("utf-8")
        entries: dict[str, dict[str, str]] = {}
        for code, attrs, name in ENTRY.findall(text):
            entry = {"nombre": name.strip()}
            entry.update(dict(ATTR.findall(attrs)))
            entries[code.strip()] = entry
        catalogs[number] = entries
    return catalogs


def product_code_ranges(folder: Path = SHARED_CATALOGS) -> str:
    """Catálogo 25 (códigos de producto SUNAT, UNSPSC) as runs of consecutive codes.

    53,317 eight-digit codes fit in about 5,000 runs (``10101501-10101506``), a sixth of
    the plain list; membership is all the GRE sheets ask of this catalogue (3373).
    """
    text = (folder / "cat_25.xml").read_text("utf-8")
    codes = sorted({int(code) for code, _attrs, _name in ENTRY.findall(text)})
    runs: list[tuple[int, int]] = []
    for code in codes:
        if runs and runs[-1][1] == code - 1:
            runs[-1] = (runs[-1][0], code)
        else:
            runs.append((code, code))
    lines = [f"{start}" if start == end else f"{start}-{end}" for start, end in runs]
    return "\n".join(lines) + "\n"


def catalogs_json(folder: Path = SHARED_CATALOGS) -> str:
    """The catalogues as JSON with one entry per line, so that a new SUNAT release diffs well."""
    blocks = []
    for number, entries in sorted(gre_catalogs(folder).items()):
        lines = ",\n".join(
            f"{json.dumps(code, ensure_ascii=False)}: {json.dumps(entry, ensure_ascii=False, sort_keys=True)}"
            for code, entry in sorted(entries.items())
        )
        blocks.append(f"{json.dumps(number)}: {{\n{lines}\n}}")
    return "{\n" + ",\n".join(blocks) + "\n}\n"


def main() -> None:
    (DATA / "catalogos_gre.json").write_text(catalogs_json(), "utf-8")
    (DATA / "productos_sunat.txt").write_text(product_code_ranges(), "utf-8")
    print(f"catálogos GRE y catálogo 25 -> {DATA}")


if __name__ == "__main__":
    main()
