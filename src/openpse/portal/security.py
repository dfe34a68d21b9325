"""Signed cookies, CSRF tokens and brute-force limits for the portal and the consultation.

Cookies are ``base64url(json).base64url(HMAC-SHA256)``; the MAC covers a purpose label
as well, so a cookie made for one use (the session) is never accepted for another (a
consultation grant). The key is derived with HKDF from the master key
(``OPENPSE_MASTER_KEY`` or ``master.key``): every API replica that can open the
secrets can check a session, and nothing new has to be kept or shared. With several
master keys (rotation) the first one derives it, as it is the one that encrypts.

The limits count failed attempts in a sliding window, in this process's memory: enough
for the embedded deployment, and per replica when there are several (each replica still
caps what one address can try against it).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import OrderedDict, deque
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from openpse.runtime import master_key_file
from openpse.settings import Settings

_HKDF_INFO = b"openpse/portal/cookies/v1"


def derive_key(settings: Settings) -> bytes:
    """The portal's 32-byte MAC key, derived from the master key the runtime opens secrets with."""
    if settings.master_key is not None:
        material = settings.master_key.get_secret_value()
    else:
        material = master_key_file(settings).read_text(encoding="ascii")
    first = next((k.strip() for k in material.split(",") if k.strip()), "")
    if not first:
        raise RuntimeError("No hay clave maestra de la que derivar la clave de las sesiones del portal")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(first.encode())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """Signs and checks small JSON payloads for one purpose each."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, purpose: str, body: str) -> bytes:
        return hmac.new(self._key, f"{purpose}.{body}".encode("ascii"), hashlib.sha256).digest()

    def sign(self, purpose: str, payload: dict[str, Any]) -> str:
        body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8"))
        return f"{body}.{_b64(self._mac(purpose, body))}"

    def load(self, purpose: str, value: str | None) -> dict[str, Any] | None:
        """The payload of a value this signer made for ``purpose``, or None for anything else."""
        if not value or len(value) > 4096 or value.count(".") != 1:
            return None
        body, mac = value.split(".")
        try:
            if not body.isascii() or not hmac.compare_digest(_unb64(mac), self._mac(purpose, body)):
                return None
            payload = json.loads(_unb64(body))
        except (ValueError, binascii.Error, UnicodeError):
            return None
        return payload if isinstance(payload, dict) else None

    def token(self, purpose: str, value: str) -> str:
        """A MAC of ``value`` as text (CSRF tokens bound to a session id or a nonce)."""
        return _b64(self._mac(purpose, _b64(value.encode("utf-8"))))

    def check_token(self, purpose: str, value: str, token: str | None) -> bool:
        if not token or not value:
            return False
        return hmac.compare_digest(token.encode("ascii", "replace"), self.token(purpose, value).encode())


def new_id() -> str:
    return secrets.token_urlsafe(18)


def password_fingerprint(password_hash: str) -> str:
    """A short digest of the stored password hash: a session carries it, so changing the
    password ends every session opened with the old one."""
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:16]


class AttemptLimiter:
    """At most ``limit`` failures per key within ``window`` seconds; memory stays bounded.

    ``retry_after(key)`` is 0 while the key may try again, else the seconds until the
    oldest failure in the window expires (the ``Retry-After`` of the 429).
    """

    def __init__(self, limit: int, window: float, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float] | None:
        stamps = self._failures.get(key)
        if stamps is None:
            return None
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        if not stamps:
            del self._failures[key]
            return None
        return stamps

    def retry_after(self, key: str, now: float | None = None) -> int:
        now = time.monotonic() if now is None else now
        with self._lock:
            stamps = self._recent(key, now)
            if stamps is None or len(stamps) < self.limit:
                return 0
            return max(1, int(stamps[-self.limit] + self.window - now + 0.999))

    def fail(self, key: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            stamps = self._recent(key, now)
            if stamps is None:
                stamps = self._failures[key] = deque(maxlen=self.limit)
            stamps.append(now)
            self._failures.move_to_end(key)
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)

    def reset(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


class RevokedSessions:
    """Session ids closed with "Salir" before their expiry, kept until they would expire.

    A signed cookie stays valid on its own until it expires; this list makes a logout
    final in this process even if a copy of the cookie survives (a shared computer).
    """

    def __init__(self) -> None:
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def revoke(self, sid: str, until: float) -> None:
        with self._lock:
            now = time.time()
            for expired in [s for s, t in self._until.items() if t <= now]:
                del self._until[expired]
            self._until[sid] = until

    def __contains__(self, sid: object) -> bool:
        with self._lock:
            return isinstance(sid, str) and self._until.get(sid, 0.0) > time.time()
