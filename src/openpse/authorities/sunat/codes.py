"""SUNAT's return codes (sheet "CódigosRetorno" of the 2026 validation workbook).

Ranges, as SUNAT defines them: ``0`` accepted; ``0100``–``1999`` exceptions (nothing was
registered, the same number may be sent again); ``2000``–``3999`` rejections (the number is
consumed); ``4000`` and above observations (accepted with notes).
"""

from __future__ import annotations

import csv
import io
from enum import StrEnum
from functools import cache
from importlib import resources


class Kind(StrEnum):
    ACEPTADO = "aceptado"
    EXCEPCION = "excepcion"
    RECHAZO = "rechazo"
    OBSERVACION = "observacion"


@cache
def _table() -> dict[str, str]:
    text = resources.files("openpse.authorities.sunat").joinpath("data/codes.csv").read_text("utf-8")
    reader = csv.reader(io.StringIO(text))
    next(reader)
    return {row[0]: row[1] for row in reader if row}


def normalize(code: str | int) -> str:
    """``"98"`` → ``"0098"``, ``2335`` → ``"2335"``; ``"0"`` stays ``"0"``."""
    text = str(code).strip()
    if text.isdigit() and int(text) == 0:
        return "0"
    return text.zfill(4) if text.isdigit() else text


def message(code: str | int) -> str:
    """SUNAT's text for a code, or an empty string when SUNAT lists none."""
    return _table().get(normalize(code), "")


def kind(code: str | int) -> Kind:
    """Classify a code by SUNAT's ranges."""
    text = normalize(code)
    value = int(text) if text.isdigit() else -1
    if value == 0:
        return Kind.ACEPTADO
    if 2000 <= value <= 3999:
        return Kind.RECHAZO
    if value >= 4000:
        return Kind.OBSERVACION
    return Kind.EXCEPCION
