"""SUNAT's catalogues for retención (20) and percepción (40) that the general data file lacks.

Catálogo 22 (régimen de percepción, with its rate) and catálogo 23 (régimen de
retención) come from the "Catálogos" sheet of the 2026 validation workbook (Anexo 8) and
the SFS files ``cat_22.xml``/``cat_23.xml``, whose ``tasa`` attribute gives the rate of
catálogo 23 (3 % and 6 %). The related-document types and the number formats are the
ones rows 37–38 (Retenciones1_0) and 38–39 (Percepciones1_0) accept.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Regimen:
    """One entry of catálogo 22 or 23: its code, SUNAT's name and the rate in percent."""

    codigo: str
    descripcion: str
    tasa: Decimal


REGIMENES_RETENCION = {
    "01": Regimen("01", "Tasa 3%", Decimal("3")),
    "02": Regimen("02", "Tasa 6%", Decimal("6")),
}
"""Catálogo 23, régimen de retención del IGV."""

REGIMENES_PERCEPCION = {
    "01": Regimen("01", "Percepción Venta Interna", Decimal("2")),
    "02": Regimen("02", "Percepción a la adquisición de combustible", Decimal("1")),
    "03": Regimen("03", "Percepción realizada al agente de percepción con tasa especial", Decimal("0.5")),
}
"""Catálogo 22, régimen de percepción del IGV."""

RETENCION_6_HASTA = dt.date(2014, 2, 28)
"""Rule 39 of Retenciones1_0 (2985): the 6 % rate applies only to documents issued up to
28/02/2014, when the rate went down to 3 %."""

DOCUMENTOS_RETENCION = {
    "01": "Factura",
    "12": "Ticket o cinta emitido por máquina registradora",
    "07": "Nota de crédito",
    "08": "Nota de débito",
    "20": "Comprobante de retención revertido",
}
"""Rule 37 of Retenciones1_0 (2692): the documents a comprobante de retención may list."""

DOCUMENTOS_PERCEPCION = {
    "01": "Factura",
    "03": "Boleta de venta",
    "12": "Ticket o cinta emitido por máquina registradora",
    "07": "Nota de crédito",
    "08": "Nota de débito",
    "40": "Comprobante de percepción revertido",
}
"""Rule 38 of Percepciones1_0 (2692): the documents a comprobante de percepción may list."""

TIPOS_DOCUMENTO_IDENTIDAD = frozenset({"0", "1", "4", "6", "7", "A", "B", "C", "D", "E", "F", "G", "H"})
"""Catálogo 06 as the 2026 "Catálogos" sheet lists it (H, the CPP, is newer than the SFS file
the general data file comes from); Percepciones1_0 row 20 (2511) checks the customer's
type against it (Parámetros 006)."""

FUERA_DE_TOTALES_RETENCION = frozenset({"07", "20"})
"""Rules 32 and 34 (2628, 2629): the totals leave out credit notes and reverted retentions."""
FUERA_DE_TOTALES_PERCEPCION = frozenset({"07", "40"})
"""Rules 33 and 35 (2667, 2668): the totals leave out credit notes and reverted perceptions."""

NUMERO_TICKET = re.compile(r"[a-zA-Z0-9-]{1,20}(-[0-9]{1,20})")
"""Rule 38/39 (2694) for tickets (tipo 12)."""
NUMERO_RETENCION = re.compile(r"(E001|((F|R)[A-Z0-9]{3})|([0-9]{4}))-(?!0+$)([0-9]{1,8})")
"""Rule 38 of Retenciones1_0 (2694) for every other related document."""
NUMERO_PERCEPCION = re.compile(r"(E001|EB01|((F|P|B)[A-Z0-9]{3})|([0-9]{4}))-(?!0+$)([0-9]{1,8})")
"""Rule 39 of Percepciones1_0 (2694) for every other related document."""

MONEDAS_FUERA_DEL_ESQUEMA = frozenset(
    {
        "AZN",
        "BOV",
        "BYN",
        "CHE",
        "CHW",
        "CLF",
        "COU",
        "CUC",
        "GHS",
        "MGA",
        "MRU",
        "MXV",
        "MZN",
        "RON",
        "RSD",
        "SDG",
        "SRD",
        "SSP",
        "STN",
        "TMT",
        "TRY",
        "USN",
        "UYI",
        "VEF",
        "XBA",
        "XBB",
        "XBC",
        "XBD",
        "XSU",
        "XTS",
        "XUA",
        "XXX",
        "ZMW",
        "ZWL",
    }
)
"""Codes of catálogo 02 that the UBL 2.0 schemas of these documents do not know.

``currencyID`` is typed by ``CodeList_CurrencyCode_ISO_7_04.xsd`` (the ISO 4217 list of
2004), against which SUNAT validates the XML before any rule: a document in one of
these currencies is refused with 0306 whatever its content.
"""
