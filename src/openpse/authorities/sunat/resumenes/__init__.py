"""Resumen diario (RC), Comunicación de baja (RA) and Resumen de reversiones (RR).

Build the typed input (:class:`ResumenDiario`, :class:`ComunicacionBaja`,
:class:`ResumenReversiones`; RC lines from stored boletas with
:func:`linea_desde_comprobante`), check it with :func:`validate` (SUNAT's codes; the
register rows through a ``registro`` callable), sign and zip it with
:func:`sign_summary`, send it with :func:`send_summary` to :func:`summary_url`, and
poll :func:`check_ticket` until the :class:`TicketStatus` is no longer en proceso.
"""

from openpse.authorities.sunat.resumenes.envio import (
    OTROS_CPE_BETA,
    OTROS_CPE_PRODUCCION,
    EstadoTicket,
    SignedSummary,
    TicketStatus,
    check_ticket,
    interpret_ticket,
    send_summary,
    sign_summary,
    summary_url,
)
from openpse.authorities.sunat.resumenes.models import (
    Cliente,
    ComprobanteRef,
    ComunicacionBaja,
    Condicion,
    DocumentoAfectado,
    Emisor,
    LineaBaja,
    LineaResumen,
    Percepcion,
    Presentado,
    Registrado,
    Registro,
    Resumen,
    ResumenDiario,
    ResumenReversiones,
    SummaryName,
    TipoResumen,
    TotalesLinea,
    linea_desde_comprobante,
)
from openpse.authorities.sunat.resumenes.rules import (
    check,
    check_comunicacion_baja,
    check_resumen_diario,
    check_resumen_reversiones,
    validate,
)
from openpse.authorities.sunat.resumenes.ubl import build, build_resumen_diario, build_voided

__all__ = [
    "OTROS_CPE_BETA",
    "OTROS_CPE_PRODUCCION",
    "Cliente",
    "ComprobanteRef",
    "ComunicacionBaja",
    "Condicion",
    "DocumentoAfectado",
    "Emisor",
    "EstadoTicket",
    "LineaBaja",
    "LineaResumen",
    "Percepcion",
    "Presentado",
    "Registrado",
    "Registro",
    "Resumen",
    "ResumenDiario",
    "ResumenReversiones",
    "SignedSummary",
    "SummaryName",
    "TicketStatus",
    "TipoResumen",
    "TotalesLinea",
    "build",
    "build_resumen_diario",
    "build_voided",
    "check",
    "check_comunicacion_baja",
    "check_resumen_diario",
    "check_resumen_reversiones",
    "check_ticket",
    "interpret_ticket",
    "linea_desde_comprobante",
    "send_summary",
    "sign_summary",
    "summary_url",
    "validate",
]
