"""Encryption of secrets at rest (private keys, SOL passwords, API credentials).

Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) under a master key that the
operator provides in ``OPENPSE_MASTER_KEY``. Several comma-separated keys make rotation
possible: the first encrypts, every key decrypts (``MultiFernet``).
"""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SecretBoxError(RuntimeError):
    """The master key is missing, malformed, or does not open a stored secret."""


class SecretBox:
    """Encrypts and decrypts small secrets with the master key(s)."""

    def __init__(self, keys: str) -> None:
        parts = [k.strip() for k in keys.split(",") if k.strip()]
        if not parts:
            raise SecretBoxError("OPENPSE_MASTER_KEY está vacía")
        try:
            self._fernet = MultiFernet([Fernet(k.encode()) for k in parts])
        except (ValueError, TypeError) as exc:
            raise SecretBoxError(
                "OPENPSE_MASTER_KEY no es una clave Fernet válida (32 bytes en base64 urlsafe); "
                "genere una con: openpse clave-maestra"
            ) from exc

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode()

    @classmethod
    def from_file(cls, path: Path) -> SecretBox:
        """Load the key stored in ``path``, creating it (mode 0600) if it does not exist."""
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            key = cls.generate_key()
            path.touch(mode=0o600)
            path.write_text(key + "\n", encoding="ascii")
        return cls(path.read_text(encoding="ascii").strip())

    def encrypt(self, plaintext: bytes) -> bytes:
        return self._fernet.encrypt(plaintext)

    def decrypt(self, token: bytes) -> bytes:
        try:
            return self._fernet.decrypt(token)
        except InvalidToken as exc:
            raise SecretBoxError("No se pudo descifrar un secreto: ¿cambió la clave maestra?") from exc

    def encrypt_text(self, plaintext: str) -> bytes:
        return self.encrypt(plaintext.encode("utf-8"))

    def decrypt_text(self, token: bytes) -> str:
        return self.decrypt(token).decode("utf-8")
