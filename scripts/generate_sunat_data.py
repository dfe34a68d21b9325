"""Regenerate OpenPSE's copy of SUNAT's catalogues and return codes from ``../shared``.

The package must run without ``../shared``; this script copies the facts (codes and their
official names) into ``src/openpse/authorities/sunat/data/``. Run it when SUNAT publishes
new catalogues: ``python scripts/generate_sunat_data.py``.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "sunat"
OUT = ROOT / "src" / "openpse" / "authorities" / "sunat" / "data"
CATALOGS = "01 02 03 05 06 07 08 09 10 12 13 16 51 52 53 54 59".split()  # noqa: SIM905
ENTRY = re.compile(r'<c\s+id\s*=\s*"([^"]+)"([^>]*)>([^<]*)</c>')
ATTR = re.compile(r'(\w+)\s*=\s*"([^"]*)"')


def main() -> None:
    catalogs: dict[str, dict[str, dict[str, str]]] = {}
    for number in CATALOGS:
        # Read as text with a regex: the SFS files declare a DOCTYPE, which our own XML
        # policy refuses, and their structure is one flat list of <c id=...>name</c>.
        text = (SHARED / "xsl" / "commons" / "cpe" / "catalogo" / f"cat_{number}.xml").read_text("utf-8")
        entries: dict[str, dict[str, str]] = {}
        for code, attrs, name in ENTRY.findall(text):
            entry = {"nombre": name.strip()}
            entry.update(dict(ATTR.findall(attrs)))
            entries[code.strip()] = entry
        catalogs[number] = entries
    (OUT / "catalogos.json").write_text(
        json.dumps(catalogs, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n", "utf-8"
    )
    with (
        (SHARED / "codes.csv").open(encoding="utf-8") as src,
        (OUT / "codes.csv").open("w", encoding="utf-8") as dst,
    ):
        rows = list(csv.reader(src))
        csv.writer(dst, lineterminator="\n").writerows(rows)
    print(f"{len(catalogs)} catálogos, {len(rows) - 1} códigos de retorno -> {OUT}")


if __name__ == "__main__":
    main()
