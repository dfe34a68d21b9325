"""Delivering the outbox: claim what is due, send it outside any transaction, record the result.

A notification is claimed by pushing its ``proximo_intento`` past the delivery timeout in
one conditional update, so two senders never take the same one; a sender that dies
leaves it due again once that moment passes (at-least-once delivery: receivers dedupe
by ``X-OpenPSE-Evento``). Failures back off from 30 s to one hour and give up after
three days, as ``fallido`` with the last error, visible next to the document.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from sqlalchemy import or_, select, update

from openpse.notifications import email as mail
from openpse.notifications import webhook
from openpse.storage.tables import Comprobante, Empresa, Notificacion, utcnow

if TYPE_CHECKING:
    from openpse.runtime import Runtime

log = logging.getLogger("openpse.notificaciones")

CLAIM = dt.timedelta(seconds=120)
FIRST_RETRY = 30.0
MAX_RETRY = 3600.0
GIVE_UP = dt.timedelta(days=3)


def _retry_delay(intentos: int) -> float:
    return float(min(FIRST_RETRY * 2 ** max(intentos - 1, 0), MAX_RETRY))


def _claim(runtime: Runtime, limit: int) -> list[int]:
    now = utcnow()
    with runtime.db.session() as session:
        ids = list(
            session.scalars(
                select(Notificacion.id)
                .where(
                    Notificacion.estado == "pendiente",
                    or_(Notificacion.proximo_intento.is_(None), Notificacion.proximo_intento <= now),
                )
                .order_by(Notificacion.id)
                .limit(limit)
            )
        )
        claimed = []
        for notification_id in ids:
            taken = session.execute(
                update(Notificacion)
                .where(
                    Notificacion.id == notification_id,
                    Notificacion.estado == "pendiente",
                    or_(Notificacion.proximo_intento.is_(None), Notificacion.proximo_intento <= now),
                )
                .values(proximo_intento=now + CLAIM, intentos=Notificacion.intentos + 1)
            ).rowcount  # type: ignore[attr-defined]
            if taken == 1:
                claimed.append(notification_id)
        return claimed


def deliver_due(runtime: Runtime, limit: int = 100) -> int:
    """Send what is due; return how many were delivered."""
    delivered = 0
    for notification_id in _claim(runtime, limit):
        with runtime.db.read() as session:
            notification = session.get(Notificacion, notification_id)
            assert notification is not None
            empresa = session.get(Empresa, notification.empresa_id)
            row = session.get(Comprobante, notification.comprobante_id)
            assert empresa is not None
            assert row is not None
            session.expunge_all()
        try:
            if notification.canal == "webhook":
                _send_webhook(runtime, notification, empresa)
            else:
                _send_email(runtime, notification, empresa, row)
        except Exception as exc:  # any failure is retried; none may stop the others
            _failed(runtime, notification, f"{type(exc).__name__}: {exc}")
            log.warning("notificación %s (%s) no entregada: %s", notification.id, notification.canal, exc)
            continue
        _delivered(runtime, notification)
        delivered += 1
    return delivered


def _send_webhook(runtime: Runtime, notification: Notificacion, empresa: Empresa) -> None:
    if empresa.webhook_secreto_enc is None:
        raise webhook.DeliveryError("la empresa no tiene secreto de webhook")
    secret = runtime.box.decrypt(empresa.webhook_secreto_enc)
    webhook.deliver(
        runtime.http,
        notification.destino,
        secret,
        notification.payload,
        notification.id,
        notification.intentos,
    )


def _send_email(runtime: Runtime, notification: Notificacion, empresa: Empresa, row: Comprobante) -> None:
    from openpse.documents import impresion

    if not empresa.smtp:
        raise mail.SmtpNotConfigured("la empresa ya no tiene configuración SMTP")
    clave = runtime.box.decrypt(empresa.smtp_clave_enc).decode() if empresa.smtp_clave_enc else None
    settings = mail.SmtpSettings.from_stored(empresa.smtp, clave)
    xml = runtime.blobs.get(row.xml_blob)
    cdr = runtime.blobs.get(row.cdr_blob) if row.cdr_blob else None
    adjuntos = [
        mail.Attachment(f"{row.id}.pdf", impresion.pdf(runtime, row, "a4", empresa), "application", "pdf"),
        mail.Attachment(row.xml_name, xml, "application", "xml"),
    ]
    if cdr is not None:
        adjuntos.append(mail.Attachment(f"R-{row.xml_name}", cdr, "application", "xml"))
    message = mail.compose(
        remitente=settings.remitente,
        empresa=empresa.razon_social,
        destinatario=notification.destino,
        cliente=row.cliente_nombre,
        titulo=runtime.authority(empresa.pais).document_title(row.tipo),
        numero=f"{row.serie}-{row.numero}",
        fecha=row.fecha_emision.isoformat(),
        moneda=row.moneda,
        total=row.total,
        hash_=row.hash,
        adjuntos=adjuntos,
    )
    mail.send(settings, message)


def _delivered(runtime: Runtime, notification: Notificacion) -> None:
    now = utcnow()
    with runtime.db.session() as session:
        session.execute(
            update(Notificacion)
            .where(Notificacion.id == notification.id)
            .values(estado="entregado", entregado=now, proximo_intento=None, ultimo_error=None)
        )


def _failed(runtime: Runtime, notification: Notificacion, error: str) -> None:
    now = utcnow()
    give_up = now - notification.creado > GIVE_UP
    with runtime.db.session() as session:
        session.execute(
            update(Notificacion)
            .where(Notificacion.id == notification.id)
            .values(
                estado="fallido" if give_up else "pendiente",
                proximo_intento=None
                if give_up
                else now + dt.timedelta(seconds=_retry_delay(notification.intentos)),
                ultimo_error=error[:2000],
            )
        )
