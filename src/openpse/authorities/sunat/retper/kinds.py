"""What differs between a comprobante de retención (20) and one de percepción (40).

The two documents are twins: UBL 2.0 roots ``Retention``/``Perception`` (schemas
``UBLPE-Retention-1.0.xsd`` and ``UBLPE-Perception-1.0.xsd``) with the same sequence,
SUNAT aggregate components of the same shape, and two rule sheets that check the same
rows with different return codes. One :class:`Kind` per document carries those
differences, so that rules and builder are written once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from openpse.authorities.sunat.retper import catalogs

RETENTION_NS = "urn:sunat:names:specification:ubl:peru:schema:xsd:Retention-1"
PERCEPTION_NS = "urn:sunat:names:specification:ubl:peru:schema:xsd:Perception-1"
SAC = "urn:sunat:names:specification:ubl:peru:schema:xsd:SunatAggregateComponents-1"


class Codigos(NamedTuple):
    """The return codes of the rows both sheets share (Retenciones1_0 / Percepciones1_0)."""

    regimen: str
    tasa: str
    receptor_formato: str
    receptor_es_emisor: str
    receptor_inexistente: str
    receptor_nombre_comercial: str
    receptor_calle: str
    receptor_urbanizacion: str
    receptor_provincia: str
    receptor_departamento: str
    receptor_distrito: str
    fecha_falta: str
    mismo_periodo: str
    fecha_fuera_de_rango: str
    importe_formato: str
    monto_formato: str
    neto_formato: str
    total_suma: str
    total_neto_formato: str
    total_neto_suma: str


@dataclass(frozen=True)
class Kind:
    tipo: str
    nombre: str
    root: str
    namespace: str
    prefijo_serie: str
    percepcion: bool
    regimenes: dict[str, catalogs.Regimen]
    documentos: dict[str, str]
    fuera_de_totales: frozenset[str]
    numero_relacionado: re.Pattern[str]
    codigos: Codigos
    movimientos: str
    """The API's name of the payments of a related document: ``pagos`` or ``cobros``."""
    receptor: str
    """The API's name of the counterpart: ``proveedor`` or ``cliente``."""
    system_code: str
    percent: str
    total_neto: str
    reference: str
    information: str
    amount: str
    date: str
    net: str

    def tasa(self, regimen: str) -> Decimal | None:
        entry = self.regimenes.get(regimen)
        return entry.tasa if entry is not None else None


RETENCION = Kind(
    tipo="20",
    nombre="Comprobante de Retención",
    root="Retention",
    namespace=RETENTION_NS,
    prefijo_serie="R",
    percepcion=False,
    regimenes=catalogs.REGIMENES_RETENCION,
    documentos=catalogs.DOCUMENTOS_RETENCION,
    fuera_de_totales=catalogs.FUERA_DE_TOTALES_RETENCION,
    numero_relacionado=catalogs.NUMERO_RETENCION,
    codigos=Codigos(
        regimen="2618",
        tasa="2619",
        receptor_formato="2724",
        receptor_es_emisor="2620",
        receptor_inexistente="2621",
        receptor_nombre_comercial="2906",
        receptor_calle="2918",
        receptor_urbanizacion="2907",
        receptor_provincia="2908",
        receptor_departamento="2909",
        receptor_distrito="2910",
        fecha_falta="2737",
        mismo_periodo="2661",
        fecha_fuera_de_rango="2625",
        importe_formato="2736",
        monto_formato="2740",
        neto_formato="2746",
        total_suma="2628",
        total_neto_formato="2730",
        total_neto_suma="2629",
    ),
    movimientos="pagos",
    receptor="proveedor",
    system_code="sac:SUNATRetentionSystemCode",
    percent="sac:SUNATRetentionPercent",
    total_neto="sac:SUNATTotalPaid",
    reference="sac:SUNATRetentionDocumentReference",
    information="sac:SUNATRetentionInformation",
    amount="sac:SUNATRetentionAmount",
    date="sac:SUNATRetentionDate",
    net="sac:SUNATNetTotalPaid",
)

PERCEPCION = Kind(
    tipo="40",
    nombre="Comprobante de Percepción",
    root="Perception",
    namespace=PERCEPTION_NS,
    prefijo_serie="P",
    percepcion=True,
    regimenes=catalogs.REGIMENES_PERCEPCION,
    documentos=catalogs.DOCUMENTOS_PERCEPCION,
    fuera_de_totales=catalogs.FUERA_DE_TOTALES_PERCEPCION,
    numero_relacionado=catalogs.NUMERO_PERCEPCION,
    codigos=Codigos(
        regimen="2602",
        tasa="2603",
        receptor_formato="2680",
        receptor_es_emisor="2604",
        receptor_inexistente="2605",
        receptor_nombre_comercial="2911",
        receptor_calle="2919",
        receptor_urbanizacion="2912",
        receptor_provincia="2913",
        receptor_departamento="2914",
        receptor_distrito="2915",
        fecha_falta="2702",
        mismo_periodo="2659",
        fecha_fuera_de_rango="2612",
        importe_formato="2700",
        monto_formato="2705",
        neto_formato="2711",
        total_suma="2667",
        total_neto_formato="2687",
        total_neto_suma="2668",
    ),
    movimientos="cobros",
    receptor="cliente",
    system_code="sac:SUNATPerceptionSystemCode",
    percent="sac:SUNATPerceptionPercent",
    total_neto="sac:SUNATTotalCashed",
    reference="sac:SUNATPerceptionDocumentReference",
    information="sac:SUNATPerceptionInformation",
    amount="sac:SUNATPerceptionAmount",
    date="sac:SUNATPerceptionDate",
    net="sac:SUNATNetTotalCashed",
)

KINDS = {RETENCION.tipo: RETENCION, PERCEPCION.tipo: PERCEPCION}
