"""A company's notification settings: webhook URL and secret, SMTP server for e-mail."""

from __future__ import annotations

import ipaddress
import secrets
from typing import Any
from urllib.parse import urlsplit

from openpse.core.errors import Code, Issue, ValidationFailed
from openpse.core.secretbox import SecretBox
from openpse.storage.tables import Empresa

SEGURIDAD = ("starttls", "ssl", "ninguna")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_webhook_url(url: str) -> str:
    """https, or http only to this machine (a local receiver or a test): a webhook carries
    the company's documents and must not travel in clear over a network."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return url
    if parts.scheme == "http" and _loopback(host):
        return url
    raise ValidationFailed(
        Issue(
            Code.CAMPO_INVALIDO, "El webhook debe ser https:// (http:// solo hacia localhost)", "webhook_url"
        )
    )


def set_webhook(empresa: Empresa, box: SecretBox, url: str | None) -> str | None:
    """Set (or remove, with None) the webhook; return a new secret when one is created.

    The secret is created once and kept when only the URL changes, so receivers need not
    be reconfigured; it is shown once, like a client secret.
    """
    if url is None:
        empresa.webhook_url = None
        return None
    empresa.webhook_url = check_webhook_url(url)
    if empresa.webhook_secreto_enc is None:
        secret = secrets.token_urlsafe(32)
        empresa.webhook_secreto_enc = box.encrypt_text(secret)
        return secret
    return None


def rotate_webhook_secret(empresa: Empresa, box: SecretBox) -> str:
    secret = secrets.token_urlsafe(32)
    empresa.webhook_secreto_enc = box.encrypt_text(secret)
    return secret


def set_smtp(empresa: Empresa, box: SecretBox, settings: dict[str, Any] | None) -> None:
    """Store SMTP settings (``host``, ``puerto``, ``remitente``, ``usuario``, ``clave``,
    ``seguridad``); the password is encrypted, never stored in the JSON."""
    if settings is None:
        empresa.smtp = None
        empresa.smtp_clave_enc = None
        return
    data = dict(settings)
    clave = data.pop("clave", None)
    if not data.get("host") or not data.get("remitente") or "@" not in str(data.get("remitente")):
        raise ValidationFailed(Issue(Code.CAMPO_INVALIDO, "SMTP necesita host y remitente (correo)", "smtp"))
    seguridad = data.setdefault("seguridad", "starttls")
    if seguridad not in SEGURIDAD:
        raise ValidationFailed(
            Issue(Code.CAMPO_INVALIDO, f"seguridad es {', '.join(SEGURIDAD)}", "smtp.seguridad")
        )
    if seguridad == "ninguna" and not _loopback(str(data["host"])):
        raise ValidationFailed(
            Issue(Code.CAMPO_INVALIDO, "Sin TLS solo se admite un servidor SMTP local", "smtp.seguridad")
        )
    empresa.smtp = data
    empresa.smtp_clave_enc = box.encrypt_text(str(clave)) if clave else None
