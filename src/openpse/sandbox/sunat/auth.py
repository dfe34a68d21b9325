"""Clave SOL check of the WS-Security UsernameToken (and of the GRE token's password grant).

Follows ``sunat.md`` §1.3 (username = RUC + usuario SOL; SUNAT beta's public demo user
``MODDATOS``), the exception codes of §1.5 and the General sheet (0111):

- no UsernameToken, or no Username in it: 0101 "El encabezado de seguridad es incorrecto";
- credentials that cannot name a SOL user (a username that is not an 11-digit RUC
  followed by a user, or no password at all): 0102 "Usuario o contraseña incorrectos".
  The catalogue has the generic 0102 next to the specific 0103/0104 and no source says
  when SUNAT prefers it; the sandbox keeps it for the cases where neither "this user
  does not exist" nor "this clave is wrong" can be said;
- a well-formed user the sandbox does not know: 0103 "El Usuario ingresado no existe",
  the code recorded in the wild (``a:Client.0103``, ``ns0:0103``);
- a known user with a wrong password: 0104 "La Clave ingresada es incorrecta";
- a known user with the right clave but without the e-invoicing profile: 0111 "No
  tiene el perfil para enviar comprobantes electronicos" (General sheet; recorded from
  SUNAT beta as ``soap-env:Client.0111`` … "Rejected by policy").
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

    @property
    def username(self) -> str:
        return f"{self.ruc}{self.user}"


def is_demo_user(username: str, config: SandboxConfig) -> bool:
    """Whether ``username`` is SUNAT beta's public demo user (and the sandbox accepts it)."""
    return config.allow_moddatos and username not in config.users and bool(_MODDATOS.fullmatch(username))


def authenticate(token: UsernameToken | None, config: SandboxConfig) -> SolUser:
    if token is None:
        raise SunatException("0101")
    match = _USERNAME.fullmatch(token.username)
    if match is None:
        raise SunatException("0102", "el usuario debe ser el RUC seguido del usuario SOL")
    if not token.password:
        raise SunatException("0102", "falta la clave SOL")
    if token.username in config.users:
        expected: tuple[str, ...] = (config.users[token.username],)
    elif is_demo_user(token.username, config):
        expected = _MODDATOS_PASSWORDS
    else:
        raise SunatException("0103")
    password = token.password.encode()
    if not any(hmac.compare_digest(password, candidate.encode()) for candidate in expected):
        raise SunatException("0104")
    if token.username in config.users_without_profile:
        raise SunatException("0111", "Rejected by policy.")
    return SolUser(ruc=match.group(1), user=match.group(2))
