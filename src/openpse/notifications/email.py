"""E-mail to the customer: the document's PDF and signed XML (and the authority's answer),
through the company's own SMTP server.

``seguridad`` is ``starttls`` (port 587, the default), ``ssl`` (implicit TLS, port 465) or
``ninguna`` (only for a relay on the same host); TLS certificates are verified.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

TIMEOUT = 20.0


class SmtpNotConfigured(Exception):
    """The company removed its SMTP settings after the e-mail was queued."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    puerto: int
    remitente: str
    usuario: str | None = None
    clave: str | None = None
    seguridad: str = "starttls"

    @classmethod
    def from_stored(cls, data: dict[str, Any], clave: str | None) -> SmtpSettings:
        seguridad = str(data.get("seguridad") or "starttls")
        default_port = 465 if seguridad == "ssl" else (25 if seguridad == "ninguna" else 587)
        return cls(
            host=str(data["host"]),
            puerto=int(data.get("puerto") or default_port),
            remitente=str(data["remitente"]),
            usuario=data.get("usuario") or None,
            clave=clave,
            seguridad=seguridad,
        )


@dataclass(frozen=True)
class Attachment:
    name: str
    content: bytes
    maintype: str
    subtype: str


def compose(
    *,
    remitente: str,
    empresa: str,
    destinatario: str,
    cliente: str | None,
    titulo: str,
    numero: str,
    fecha: str,
    moneda: str,
    total: str,
    hash_: str,
    adjuntos: list[Attachment],
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = f"{titulo} {numero} de {empresa}"
    message["From"] = formataddr((empresa, remitente))
    message["To"] = destinatario
    message["Message-ID"] = make_msgid(domain=remitente.rpartition("@")[2] or None)
    saludo = f"Estimado(a) {cliente}:" if cliente else "Estimado(a) cliente:"
    message.set_content(
        "\n".join(
            [
                saludo,
                "",
                f"{empresa} le envía su {titulo.lower()} {numero}, emitida el {fecha},",
                f"por un importe total de {moneda} {total}.",
                "",
                "Adjuntamos la representación impresa (PDF) y el archivo XML firmado, que es el",
                "comprobante electrónico con validez tributaria, junto con la constancia de la",
                "autoridad tributaria cuando está disponible.",
                "",
                f"Valor resumen (hash): {hash_}",
                "",
                "Este mensaje fue generado automáticamente; por favor no lo responda.",
            ]
        )
    )
    for attachment in adjuntos:
        message.add_attachment(
            attachment.content,
            maintype=attachment.maintype,
            subtype=attachment.subtype,
            filename=attachment.name,
        )
    return message


def send(settings: SmtpSettings, message: EmailMessage) -> None:
    """Raise :class:`smtplib.SMTPException` or :class:`OSError` when the server does not take it."""
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if settings.seguridad == "ssl":
        smtp = smtplib.SMTP_SSL(settings.host, settings.puerto, timeout=TIMEOUT, context=context)
    else:
        smtp = smtplib.SMTP(settings.host, settings.puerto, timeout=TIMEOUT)
    with smtp:
        if settings.seguridad == "starttls":
            smtp.starttls(context=context)
        if settings.usuario:
            smtp.login(settings.usuario, settings.clave or "")
        smtp.send_message(message)
