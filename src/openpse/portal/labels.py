"""What a person reads for each code: document types (catálogo 01 and SUNAT's summary
identifiers), document states (ARCHITECTURE.md §4) and the totals of the API body."""

from __future__ import annotations

from dataclasses import dataclass

from openpse.documents.states import Estado

TIPOS: dict[str, str] = {
    "01": "Factura",
    "03": "Boleta de venta",
    "07": "Nota de crédito",
    "08": "Nota de débito",
    "09": "Guía de remisión remitente",
    "31": "Guía de remisión transportista",
    "20": "Comprobante de retención",
    "40": "Comprobante de percepción",
    "RA": "Comunicación de baja",
    "RC": "Resumen diario",
    "RR": "Resumen de reversiones",
}

ESTADOS: dict[Estado, str] = {
    Estado.REGISTRADO: "Registrado",
    Estado.ENVIANDO: "Enviando",
    Estado.PENDIENTE: "Pendiente de respuesta",
    Estado.DESCONOCIDO: "Por confirmar",
    Estado.ERROR: "Error, se reintentará",
    Estado.ACEPTADO: "Aceptado",
    Estado.OBSERVADO: "Aceptado con observaciones",
    Estado.RECHAZADO: "Rechazado",
    Estado.ANULACION_PENDIENTE: "Anulación en curso",
    Estado.ANULADO: "Anulado",
    Estado.FALLIDO: "Fallido",
}

ESTADO_AYUDA: dict[Estado, str] = {
    Estado.REGISTRADO: "Firmado y guardado; aún no se envía a la autoridad.",
    Estado.ENVIANDO: "Se está enviando a la autoridad.",
    Estado.PENDIENTE: "La autoridad lo recibió y responderá luego (ticket).",
    Estado.DESCONOCIDO: "No llegó respuesta; se consulta a la autoridad antes de reenviar.",
    Estado.ERROR: "La autoridad respondió con una excepción; se reintentará automáticamente.",
    Estado.ACEPTADO: "La autoridad lo aceptó.",
    Estado.OBSERVADO: "La autoridad lo aceptó con observaciones.",
    Estado.RECHAZADO: "La autoridad lo rechazó; ese número ya no puede usarse.",
    Estado.ANULACION_PENDIENTE: "La baja se envió; se espera la respuesta de la autoridad.",
    Estado.ANULADO: "Anulado ante la autoridad.",
    Estado.FALLIDO: "Se agotaron los reintentos; puede reintentar el envío.",
}


@dataclass(frozen=True)
class Grupo:
    nombre: str
    singular: str
    estados: frozenset[Estado]


GRUPOS: dict[str, Grupo] = {
    "aceptado": Grupo("Aceptados", "aceptado", frozenset({Estado.ACEPTADO})),
    "observado": Grupo("Con observaciones", "con observaciones", frozenset({Estado.OBSERVADO})),
    "proceso": Grupo(
        "En proceso",
        "en proceso",
        frozenset(
            {
                Estado.REGISTRADO,
                Estado.ENVIANDO,
                Estado.PENDIENTE,
                Estado.DESCONOCIDO,
                Estado.ERROR,
                Estado.ANULACION_PENDIENTE,
            }
        ),
    ),
    "rechazado": Grupo("Rechazados", "rechazado", frozenset({Estado.RECHAZADO})),
    "anulado": Grupo("Anulados", "anulado", frozenset({Estado.ANULADO})),
    "fallido": Grupo("Fallidos", "fallido", frozenset({Estado.FALLIDO})),
}
"""States grouped for the chart: six series a person can tell apart, in stacking order."""

GRUPO_DE: dict[str, str] = {estado.value: key for key, grupo in GRUPOS.items() for estado in grupo.estados}

TOTALES: dict[str, str] = {
    "gravado": "Op. gravadas",
    "exonerado": "Op. exoneradas",
    "inafecto": "Op. inafectas",
    "exportacion": "Exportación",
    "gratuito": "Op. gratuitas",
    "descuentos": "Descuentos",
    "cargos": "Cargos",
    "isc": "ISC",
    "igv": "IGV",
    "icbper": "ICBPER",
    "otros_tributos": "Otros tributos",
    "anticipos": "Anticipos",
    "total": "Importe total",
}


def tipo_nombre(tipo: str) -> str:
    return TIPOS.get(tipo, f"Tipo {tipo}")


def estado_nombre(estado: str) -> str:
    try:
        return ESTADOS[Estado(estado)]
    except ValueError:
        return estado


def estado_ayuda(estado: str) -> str:
    try:
        return ESTADO_AYUDA[Estado(estado)]
    except ValueError:
        return ""


def total_nombre(key: str) -> str:
    return TOTALES.get(key, key.replace("_", " ").capitalize())
