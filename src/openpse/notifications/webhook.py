"""Webhook delivery: ``POST`` of the event to the company's URL, signed with HMAC-SHA256.

``X-OpenPSE-Firma: sha256=<hex>`` is the HMAC of the exact body bytes with the company's
webhook secret (API.md); ``X-OpenPSE-Evento`` carries the notification id, so a receiver
can drop the duplicates that at-least-once delivery may bring, and
``X-OpenPSE-Intento`` the attempt number. Any 2xx is delivered; anything else is retried.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx2

TIMEOUT = 10.0


def signature(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def body_of(payload: dict[str, Any], event_id: int) -> bytes:
    return json.dumps({"id": event_id, **payload}, ensure_ascii=False, separators=(",", ":")).encode()


def deliver(
    http: httpx2.Client, url: str, secret: bytes, payload: dict[str, Any], event_id: int, attempt: int
) -> None:
    """Raise :class:`DeliveryError` unless the receiver answered 2xx."""
    body = body_of(payload, event_id)
    try:
        response = http.post(
            url,
            content=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": "OpenPSE-Webhook/1",
                "X-OpenPSE-Firma": signature(secret, body),
                "X-OpenPSE-Evento": str(event_id),
                "X-OpenPSE-Intento": str(attempt),
            },
            timeout=TIMEOUT,
            follow_redirects=False,
        )
    except httpx2.HTTPError as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"HTTP {response.status_code}")


class DeliveryError(Exception):
    """The notification did not arrive; it will be tried again."""
