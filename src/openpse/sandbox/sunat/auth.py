"""Clave SOL check of the WS-Security UsernameToken.

Follows ``sunat.md`` §1.3 (username = RUC + usuario SOL; SUNAT beta's public demo user
``MODDATOS``) and the exception codes of §1.5:

- no UsernameToken, or no Username in it: 0101 "El encabezado de seguridad es incorrecto";
- a user the sandbox does not know: 0103 "El Usuario ingresado no existe". SUNAT has
  both 0102 (user or password wrong) and 0103; 0103 is the one recorded in the wild
  (``a:Client.0103``, ``ns0:0103``), and telling a missing user from a wrong password
  is what a developer needs from a sandbox;
- a known user with a wrong or missing password: 0104 "La Clave ingresada es incorrecta".
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass

from openpse.sandbox.config import SandboxConfig
from openpse.sandbox.sunat.errors import SunatException
from openpse.sandbox.sunat.soap import UsernameToken

_USERNAME = re.compile(r"(\d{11})(\S+)")
_MODDATOS = re.compile(r"[12]\d{10}MODDATOS")
_MODDATOS_PASSWORDS = ("moddatos", "MODDATOS")


@dataclass(frozen=True)
class SolUser:
    """An authenticated SOL user: the RUC it belongs to and the user name inside it."""

    ruc: str
    user: str


def authenticate(token: UsernameToken | None, config: SandboxConfig) -> SolUser:
    if token is None:
        raise SunatException("0101")
    match = _USERNAME.fullmatch(token.username)
    if match is None:
        raise SunatException("0103")
    if token.username in config.users:
        expected: tuple[str, ...] = (config.users[token.username],)
    elif config.allow_moddatos and _MODDATOS.fullmatch(token.username):
        expected = _MODDATOS_PASSWORDS
    else:
        raise SunatException("0103")
    password = (token.password or "").encode()
    if not any(hmac.compare_digest(password, candidate.encode()) for candidate in expected):
        raise SunatException("0104")
    return SolUser(ruc=match.group(1), user=match.group(2))
