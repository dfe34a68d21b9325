"""What every portal page shares: templates, response headers, cookies, sessions and CSRF.

Sessions are signed cookies (``security.Signer``) scoped to ``/portal``: HttpOnly,
SameSite=Lax, Secure whenever the portal is served over HTTPS. Each request re-reads
the user and the company, so a deactivated user, a deactivated company or a changed
password ends the session at once; idle sessions end after ``SESSION_IDLE`` and every
session after ``SESSION_MAX``.

Every POST form carries a CSRF token: the MAC of the session id (signed-in forms) or of
a random nonce kept in its own cookie (sign-in and consultation forms), checked in
constant time, plus the ``Origin`` header when the browser sends one.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context

from openpse.core.hashing import hash_secret
from openpse.core.timeutil import LIMA, zona_de
from openpse.portal import labels
from openpse.portal.queries import user_by_id
from openpse.portal.security import (
    AttemptLimiter,
    RevokedSessions,
    Signer,
    derive_key,
    new_id,
    password_fingerprint,
)
from openpse.runtime import Runtime
from openpse.storage.tables import Empresa, Usuario

HERE = Path(__file__).parent
SESSION_COOKIE = "openpse_portal"
CSRF_COOKIE = "openpse_csrf"
GRANT_COOKIE = "openpse_consulta"
SESSION_IDLE = 30 * 60
"""Seconds without a request after which a session ends (a shared office computer)."""
SESSION_MAX = 10 * 3600
"""Seconds after sign-in after which a session ends whatever happens (a working day)."""
SESSION_REFRESH = 60
"""The cookie is re-issued (new "last seen") at most this often."""

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


def _money(value: Any) -> str:
    """``1234.5`` → ``1,234.50``: the way Peruvian printouts write amounts."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"{amount:,.2f}"


@pass_context
def _fecha(context: Context, value: dt.date | dt.datetime | None) -> str:
    """A date, or a moment on the clock of the signed-in company (Costa Rica's for a ``CR``
    company, Lima's otherwise)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        sesion = context.get("sesion")
        zona = zona_de(sesion.empresa.pais) if sesion is not None else LIMA
        return value.astimezone(zona).strftime("%d/%m/%Y %H:%M:%S")
    return value.strftime("%d/%m/%Y")


templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html", "svg"], default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.filters.update(money=_money, fecha=_fecha)
templates.globals.update(
    tipo_nombre=labels.tipo_nombre,
    estado_nombre=labels.estado_nombre,
    estado_ayuda=labels.estado_ayuda,
    total_nombre=labels.total_nombre,
)


@dataclass
class PortalState:
    """Per-application state: the cookie signer, the limits and the closed sessions."""

    signer: Signer
    login_by_user: AttemptLimiter = field(default_factory=lambda: AttemptLimiter(5, 15 * 60))
    """Five wrong passwords for one user name lock it for 15 minutes (from the first)."""
    login_by_ip: AttemptLimiter = field(default_factory=lambda: AttemptLimiter(20, 15 * 60))
    consulta_by_ip: AttemptLimiter = field(default_factory=lambda: AttemptLimiter(10, 15 * 60))
    """Ten unmatched consultations per address per 15 minutes."""
    consulta_by_doc: AttemptLimiter = field(default_factory=lambda: AttemptLimiter(10, 60 * 60))
    """Ten unmatched consultations of one document number per hour, from any address:
    guessing a total from many addresses is limited as well."""
    revoked: RevokedSessions = field(default_factory=RevokedSessions)
    _dummy_hash: str | None = None

    @property
    def dummy_hash(self) -> str:
        """A hash to check unknown user names against, so they cost as much as known ones."""
        if self._dummy_hash is None:
            self._dummy_hash = hash_secret(new_id())
        return self._dummy_hash


_state_lock = threading.Lock()


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def state_of_app(app: Any) -> PortalState:
    """The portal state of an application, made on first use (the key needs its runtime)."""
    state: PortalState | None = getattr(app.state, "portal", None)
    if state is None:
        with _state_lock:
            state = getattr(app.state, "portal", None)
            if state is None:
                runtime: Runtime = app.state.runtime
                state = PortalState(Signer(derive_key(runtime.settings)))
                app.state.portal = state
    return state


def state_of(request: Request) -> PortalState:
    return state_of_app(request.app)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "desconocido"


def is_https(request: Request) -> bool:
    public = runtime_of(request).settings.public_url or ""
    return request.url.scheme == "https" or public.startswith("https://")


def set_cookie(request: Request, response: Response, name: str, value: str, path: str) -> None:
    response.set_cookie(
        name, value, path=path, httponly=True, samesite="lax", secure=is_https(request), max_age=None
    )


def delete_cookie(request: Request, response: Response, name: str, path: str) -> None:
    response.delete_cookie(name, path=path, httponly=True, samesite="lax", secure=is_https(request))


def _headers(response: Response, private: bool) -> None:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store" if private else "no-cache"


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    private: bool = True,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    html = templates.get_template(template).render(request_path=request.url.path, **context)
    response = HTMLResponse(html, status_code=status, headers=headers)
    _headers(response, private)
    return response


def minutes_text(seconds: int) -> str:
    """``Retry-After`` seconds as a person reads them: "1 minuto", "15 minutos"."""
    minutes = max(1, -(-seconds // 60))
    return f"{minutes} minuto{'s' if minutes != 1 else ''}"


def redirect(url: str) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


# -- sessions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sesion:
    """A signed-in user of one company."""

    usuario: Usuario
    empresa: Empresa
    sid: str
    iniciada: float
    csrf: str
    refreshed: str | None
    """A new cookie value to send back (the "last seen" moved), or None."""

    def keep(self, request: Request, response: Response) -> Response:
        """Send the refreshed cookie, if any, with ``response``."""
        if self.refreshed is not None:
            set_cookie(request, response, SESSION_COOKIE, self.refreshed, "/portal")
        return response


def start_session(request: Request, response: Response, usuario: Usuario) -> None:
    """A fresh session id on every sign-in (no fixation)."""
    now = int(time.time())
    payload = {
        "u": usuario.id,
        "p": password_fingerprint(usuario.password_hash),
        "s": new_id(),
        "i": now,
        "v": now,
    }
    set_cookie(request, response, SESSION_COOKIE, state_of(request).signer.sign("sesion", payload), "/portal")


def current_session(request: Request) -> Sesion | None:
    state = state_of(request)
    payload = state.signer.load("sesion", request.cookies.get(SESSION_COOKIE))
    if payload is None:
        return None
    try:
        usuario_id, fingerprint, sid = int(payload["u"]), str(payload["p"]), str(payload["s"])
        iniciada, visto = float(payload["i"]), float(payload["v"])
    except (KeyError, TypeError, ValueError):
        return None
    now = time.time()
    if now - iniciada > SESSION_MAX or now - visto > SESSION_IDLE or sid in state.revoked:
        return None
    found = user_by_id(runtime_of(request), usuario_id)
    if found is None:
        return None
    usuario, empresa = found
    if not (usuario.activo and empresa.activo) or password_fingerprint(usuario.password_hash) != fingerprint:
        return None
    refreshed = None
    if now - visto >= SESSION_REFRESH:
        refreshed = state.signer.sign("sesion", {**payload, "v": int(now)})
    return Sesion(usuario, empresa, sid, iniciada, state.signer.token("csrf-sesion", sid), refreshed)


def end_session(request: Request, response: Response, sesion: Sesion) -> None:
    state_of(request).revoked.revoke(sesion.sid, sesion.iniciada + SESSION_MAX)
    delete_cookie(request, response, SESSION_COOKIE, "/portal")


# -- CSRF -----------------------------------------------------------------------------------


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return True
    allowed = {f"{request.url.scheme}://{request.url.netloc}"}
    public = runtime_of(request).settings.public_url
    if public:
        parts = urlsplit(public)
        allowed.add(f"{parts.scheme}://{parts.netloc}")
    return origin in allowed


def anonymous_csrf(request: Request) -> tuple[str, str | None]:
    """The CSRF token for a sign-in or consultation form, and a new nonce cookie if needed."""
    signer = state_of(request).signer
    nonce = request.cookies.get(CSRF_COOKIE)
    fresh = None
    if not nonce or len(nonce) > 64:
        nonce = fresh = new_id()
    return signer.token("csrf", nonce), fresh


def keep_csrf_cookie(request: Request, response: Response, fresh: str | None) -> Response:
    if fresh is not None:
        set_cookie(request, response, CSRF_COOKIE, fresh, "/")
    return response


def anonymous_csrf_ok(request: Request, token: str) -> bool:
    nonce = request.cookies.get(CSRF_COOKIE) or ""
    return _same_origin(request) and state_of(request).signer.check_token("csrf", nonce, token)


def session_csrf_ok(request: Request, sesion: Sesion, token: str) -> bool:
    return _same_origin(request) and state_of(request).signer.check_token("csrf-sesion", sesion.sid, token)


def forbidden(request: Request, volver: str) -> HTMLResponse:
    """The answer to a POST whose CSRF token or origin does not check out."""
    return render(
        request,
        "error.html",
        {
            "titulo": "Formulario vencido",
            "mensaje": "El formulario ya no es válido (por seguridad). Vuelva a la página anterior, "
            "recárguela e inténtelo de nuevo.",
            "volver": volver,
            "sesion": None,
        },
        status=403,
    )
