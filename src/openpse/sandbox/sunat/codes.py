"""SUNAT return codes: messages and the fault / rejection / observation ranges.

The messages come from SUNAT's "CódigosRetorno" sheet (validation workbook
v2026-02-12), shipped as ``openpse/authorities/sunat/data/codes.csv``. The file is read
as package data of ``openpse``, so the client's ``openpse.authorities.sunat`` code is
never imported. The billConsultService status texts are not in that sheet; they come
from ``sunat.md`` §1.2.
"""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib import resources

# sunat.md §3.3: 0100–1999 exceptions, 2000–3999 rejections, 4000+ observations.
FIRST_REJECTION = 2000
FIRST_OBSERVATION = 4000

CONSULT_STATUS = {
    "0001": "El comprobante existe y está aceptado.",
    "0002": "El comprobante existe pero está rechazado.",
    "0003": "El comprobante existe pero está de baja.",
    "0004": "El formato del RUC no es válido.",
    "0005": "El formato del tipo de comprobante no es válido.",
    "0006": "El formato de la serie no es válido.",
    "0007": "El número de comprobante debe ser mayor que cero.",
    "0009": "El tipo de comprobante debe ser (01, 07 o 08).",
    "0010": (
        "Sólo se puede consultar facturas, notas de crédito y débito electrónicas, cuya serie empieza con F."
    ),
    "0011": "El comprobante de pago electrónico no existe.",
    "0012": "El comprobante de pago electrónico no le pertenece.",
}
CONSULT_CDR_FOUND = ("0004", "La constancia existe")


@cache
def _catalogue() -> dict[str, str]:
    data = resources.files("openpse").joinpath("authorities", "sunat", "data", "codes.csv").read_bytes()
    reader = csv.DictReader(io.StringIO(data.decode("utf-8")))
    return {row["code"]: row["description"] for row in reader}


def message(code: str) -> str:
    """The catalogue text of ``code``; unknown codes get a neutral text, never an error."""
    return _catalogue().get(code, f"Código de retorno {code}")


def is_observation(code: str) -> bool:
    return int(code) >= FIRST_OBSERVATION


def is_rejection(code: str) -> bool:
    return FIRST_REJECTION <= int(code) < FIRST_OBSERVATION
