"""Annulling accepted documents at SUNAT, and sending the summaries that do it.

SUNAT has no "cancel" call: a factura (and a note on a factura) is annulled by a
Comunicación de baja (RA), a boleta (and a note on a boleta) by a line with
ConditionCode 3 in a Resumen diario (RC), and both must go within seven days of the
issue date (Comunicación de Baja1_0 row 12 and Resumen Diario1_1 row 9.2, code 2957).
Summaries answer through a ticket (``sunat.md`` §2.3): sendSummary gives the ticket,
getStatus answers 98 (in process), then the CDR.

A summary is stored as a document row of its own (tipo ``RA``/``RC``/``RR``, series the
generation date, number the correlative of the day), so it moves through the same
state machine as any document: ``registrado`` → ``enviando`` → ``pendiente`` (ticket) →
``aceptado``/``rechazado``, with ``desconocido`` when sendSummary got no answer.
"""

from __future__ import annotations

import datetime as dt

from openpse.authorities.base import EmpresaContext, Outcome, Prepared, RegistryLookup, Submission, VoidTarget
from openpse.authorities.sunat import codes, resumenes
from openpse.authorities.sunat.cdr import CdrError, other_content
from openpse.authorities.sunat.soap import Credentials, SoapFault, SunatSoapClient, TransportError
from openpse.core.errors import Code, Issue, ValidationFailed
from openpse.documents.states import Estado
from openpse.signing.xmldsig import SunatSignatureProfile

SUMMARY_TYPES = frozenset({"RC", "RA", "RR"})
PLAZO_BAJA_DIAS = 7
"""2957: an RA line or an RC line with ConditionCode 3 within 7 days of the issue date."""
_ALREADY_PRESENTED = {"2223", "2324"}
"""sendSummary faults for a summary name already processed (RC row 03, RA row 3)."""


def void_kind(target: VoidTarget, today: dt.date) -> str:
    if target.tipo == "01" or (target.tipo in ("07", "08") and target.serie.startswith("F")):
        kind = "RA"
    elif target.tipo == "03" or (target.tipo in ("07", "08") and target.serie.startswith("B")):
        kind = "RC"
    elif target.tipo in ("20", "40"):
        kind = "RR"
    else:
        raise ValidationFailed(
            Issue(Code.NO_SOPORTADO, f"Un comprobante {target.tipo} no se anula por resumen", "tipo")
        )
    if (today - target.fecha_emision).days > PLAZO_BAJA_DIAS:
        raise ValidationFailed(
            Issue(
                "2957",
                f"{codes.message('2957')}: emitido el {target.fecha_emision:%Y-%m-%d}; SUNAT acepta la baja "
                f"hasta {PLAZO_BAJA_DIAS} días después. Emita una nota de crédito",
                "fecha_emision",
            )
        )
    return kind


def _registro(registry: RegistryLookup) -> resumenes.Registro:
    def lookup(ref: resumenes.ComprobanteRef) -> resumenes.Registrado | None:
        found = registry(ref.tipo, ref.serie, ref.numero)
        if found is None:
            return None
        estado, fecha = found
        if estado not in ("aceptado", "rechazado", "anulado"):
            return None
        return resumenes.Registrado(estado, fecha)  # type: ignore[arg-type]

    return lookup


def prepare_void(
    kind: str,
    targets: list[VoidTarget],
    motivo: str,
    empresa: EmpresaContext,
    today: dt.date,
    numero: int,
    registry: RegistryLookup,
) -> Prepared:
    if empresa.certificate is None:
        raise ValidationFailed(Issue(Code.SIN_CERTIFICADO, "La empresa no tiene certificado digital cargado"))
    fechas = {target.fecha_emision for target in targets}
    if len(fechas) != 1:
        # 2375: every line of one summary shares the issue date given as ReferenceDate.
        raise ValidationFailed(Issue("2375", codes.message("2375"), "fecha_emision"))
    emisor = resumenes.Emisor(empresa.identificacion, empresa.razon_social)
    fecha = fechas.pop()
    documento: resumenes.Resumen
    if kind == "RC":
        documento = resumenes.ResumenDiario(
            emisor,
            fecha,
            today,
            numero,
            tuple(
                resumenes.linea_desde_comprobante(
                    tipo=target.tipo,
                    serie=target.serie,
                    numero=target.numero,
                    cliente={
                        "tipo_documento": target.cliente_tipo,
                        "numero_documento": target.cliente_numero,
                    },
                    totales=target.totales,
                    moneda=target.moneda,
                    condicion=resumenes.Condicion.ANULAR,
                )
                for target in targets
            ),
        )
    else:
        lineas = tuple(resumenes.LineaBaja(t.tipo, t.serie, t.numero, motivo) for t in targets)
        documento = (
            resumenes.ComunicacionBaja(emisor, fecha, today, numero, lineas)
            if kind == "RA"
            else resumenes.ResumenReversiones(emisor, fecha, today, numero, lineas)
        )
    warnings = resumenes.validate(
        documento, today, registro=_registro(registry), ose=empresa.destino == "ose"
    )
    signed = resumenes.sign_summary(
        documento, empresa.certificate, SunatSignatureProfile.named(empresa.firma_algoritmo)
    )
    nombre = signed.nombre
    return Prepared(
        id=nombre.base,
        tipo=kind,
        serie=f"{nombre.fecha:%Y%m%d}",
        numero=nombre.correlativo,
        fecha_emision=today,
        moneda=targets[0].moneda,
        total="0.00",
        totales={},
        cliente_tipo=None,
        cliente_numero=None,
        xml_name=nombre.xml,
        xml=signed.xml,
        hash=signed.hash,
        envio_name=nombre.zip,
        envio=signed.zip,
        observaciones=[{"codigo": w.cod, "descripcion": w.mensaje, "campo": w.campo or ""} for w in warnings],
    )


def _nombre(doc: Submission) -> resumenes.SummaryName:
    return resumenes.SummaryName.parse(doc.envio_name)


def submit_summary(soap: SunatSoapClient, url: str, credentials: Credentials, doc: Submission) -> Outcome:
    """sendSummary: a ticket puts the summary ``pendiente``; silence makes it ``desconocido``."""
    try:
        ticket = soap.send_summary(url, credentials, doc.envio_name, doc.envio)
    except TransportError as exc:
        return Outcome(Estado.DESCONOCIDO, detalle=str(exc))
    except SoapFault as fault:
        respuesta = {"codigo": fault.code, "descripcion": fault.message, "observaciones": []}
        detalle = f"SOAP fault {fault.faultcode}: {fault.message}"
        if fault.code in _ALREADY_PRESENTED or codes.kind(fault.code) is codes.Kind.RECHAZO:
            # The name is consumed (or the summary refused as it is): its documents get
            # their state back, and a new annulment goes under a new correlative.
            return Outcome(Estado.RECHAZADO, respuesta, detalle=detalle)
        if codes.kind(fault.code) is codes.Kind.EXCEPCION and not fault.code.startswith("01"):
            # Zip, name and XML format exceptions (0150–0999): these bytes never pass.
            return Outcome(Estado.FALLIDO, respuesta, detalle=detalle)
        return Outcome(Estado.ERROR, respuesta, detalle=detalle)
    return Outcome(Estado.PENDIENTE, ticket=ticket, detalle=f"ticket {ticket}")


def poll_summary(soap: SunatSoapClient, url: str, credentials: Credentials, doc: Submission) -> Outcome:
    """getStatus of the ticket; without a ticket the same bytes go again (``sunat.md`` §2.3)."""
    if not doc.ticket:
        return Outcome(
            Estado.REGISTRADO, detalle="sendSummary quedó sin respuesta: se reenvía el mismo resumen"
        )
    try:
        status = resumenes.check_ticket(soap, url, credentials, doc.ticket, _nombre(doc))
    except (TransportError, SoapFault, CdrError) as exc:
        # The ticket is still ours: ask again later.
        return Outcome(Estado.PENDIENTE, detalle=f"getStatus sin respuesta útil: {exc}")
    estado = status.estado
    if estado is resumenes.EstadoTicket.EN_PROCESO:
        return Outcome(Estado.PENDIENTE)
    if status.cdr is not None:
        mismatch = other_content(status.cdr, doc.hash)
        if mismatch is not None:
            return mismatch
    respuesta = status.respuesta()
    cdr = status.cdr.xml if status.cdr is not None else None
    if estado is resumenes.EstadoTicket.ACEPTADO:
        return Outcome(Estado.ACEPTADO, respuesta, cdr=cdr, cdr_zip=status.cdr_zip)
    if estado is resumenes.EstadoTicket.OBSERVADO:
        return Outcome(Estado.OBSERVADO, respuesta, cdr=cdr, cdr_zip=status.cdr_zip)
    if estado is resumenes.EstadoTicket.RECHAZADO:
        return Outcome(Estado.RECHAZADO, respuesta, cdr=cdr, cdr_zip=status.cdr_zip)
    # 0127 (the ticket is unknown) and other exceptions: nothing was registered.
    return Outcome(
        Estado.REGISTRADO,
        respuesta,
        detalle=f"ticket {doc.ticket}: {status.codigo} {status.mensaje}; se reenvía el mismo resumen",
    )
