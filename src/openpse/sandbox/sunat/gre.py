"""SUNAT's GRE REST platform: token, send and status of guías de remisión electrónicas.

Follows ``sunat.md`` §6, ``greenter.md`` §3.5 and the OpenAPI ``thegreenter/gre-api``:

- ``POST /v1/clientessol/{client_id}/oauth2/token/`` takes an OAuth2 password grant
  (``grant_type=password``, ``scope=https://api-cpe.sunat.gob.pe``, client id and
  secret generated in SOL, ``username`` = RUC + usuario SOL, clave SOL) and answers
  ``{access_token, token_type, expires_in}``. Errors follow OAuth2 (RFC 6749 §5.2) with
  the ``{error, error_description}`` body SUNAT uses: a client the platform does not
  know is 401 ``invalid_client``; a wrong SOL user or clave is 400 ``access_denied``
  "Error en la autenticacion del usuario." (the text SUNAT production answers); a
  grant or scope other than the above is 400. The token is a JWT (HS256, signed with
  a key of this app) whose lifetime is :attr:`SandboxConfig.gre_token_ttl`; an
  expired or unknown token gets 401.
- ``POST /v1/contribuyente/gem/comprobantes/{filename}`` with ``{"archivo":
  {nomArchivo, arcGreZip, hashZip}}`` checks the request itself and answers 422
  ``{cod, msg, errors: [{cod, msg}]}`` (the shape of every SUNAT REST API, with the
  texts of SUNAT's REST manuals) when it is wrong, using the catalogue's codes: no
  ``archivo`` or no zip 0202, file name 0151 (``nomArchivo`` must be ``{filename}.zip``
  and the name a guía 09/31), sender 0154, base64 0156, and a ``hashZip`` that is not
  the SHA-256 of the decoded zip 0156 ("corrupt" is what a zip whose digest does not
  match is). Otherwise it answers ``{numTicket: UUID, fecRecepcion}``.
- The guía itself is judged as SUNAT does, asynchronously, and the verdict comes back
  through ``GET /v1/contribuyente/gem/comprobantes/envios/{numTicket}``: first
  ``{codRespuesta: "98"}`` (``ticket_polls`` times), then ``"0"`` with ``arcCdr`` and
  ``indCdrGenerado: "1"``, or ``"99"`` with ``error: {numError, desError}``. A
  rejection (2000–3999: 2110–2113, the Firma sheet, 2335) comes with a rejection CDR
  (``indCdrGenerado: "1"``) and consumes the number; an exception (zip 0155–0161,
  0306, 1001, 1034–1036) and a number already used (1033, or 1032 when it was
  rejected, the code Odoo's client treats as "already registered") come without CDR
  (``"0"``) and register nothing.
- An unknown ticket, or one of another RUC, answers 422 with 0127 / 0126: the OpenAPI
  documents 200, 422 and 500 only for the status operation, and SUNAT's REST APIs
  answer unknown resources with a 422 validation error, never with 404.

The accepted CDR has the shape of ``cdrGRE.zip``: a UUID as ID (the ticket), the QR URL
in ``DocumentDescription`` and "El Comprobante  numero T001-1, ha sido aceptado".
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from openpse.sandbox import _xml
from openpse.sandbox.config import SandboxConfig
from openpse.sandbox.sunat import auth, cdr, codes, despatch, package, signature
from openpse.sandbox.sunat.errors import Finding, FindingError, SunatException
from openpse.sandbox.sunat.soap import UsernameToken
from openpse.sandbox.sunat.store import DocumentStore, Poll, RegisteredDocument, Reservation, TicketBook

SCOPES = ("https://api-cpe.sunat.gob.pe", "https://api-cpe.sunat.gob.pe/")
# The generic texts of SUNAT's REST APIs (its REST manuals, e.g. SIRE's §"Result Fail").
INTERNAL_ERROR = {
    "cod": "500",
    "msg": "Internal Server Error - Se presento una condicion inesperada que impidio completar el Request",
}
_VALIDATION_ERROR = (
    "Unprocessable Entity - Se presentaron errores de validacion que impidieron completar el Request"
)
UNAUTHORIZED = {"cod": "401", "msg": "Unauthorized - El token de acceso no es válido o ha expirado"}
_QR_URL = "https://e-factura.sunat.gob.pe/v1/contribuyente/gre/comprobantes/descargaqr?hashqr="
_ACCEPTED = "El Comprobante  numero {}, ha sido aceptado"


@dataclass(frozen=True)
class RestAnswer:
    status: int
    payload: dict[str, Any]


@dataclass(frozen=True)
class GreOutcome:
    """How a guía's processing ended: code "0" or the error, its text, and the CDR if one was made."""

    code: str
    description: str
    cdr_zip: bytes | None


@dataclass(frozen=True)
class _Token:
    user: auth.SolUser
    expires_at: float


def _oauth_error(status: int, error: str, description: str) -> RestAnswer:
    return RestAnswer(status, {"error": error, "error_description": description})


def _invalid(code: str, detail: str = "") -> RestAnswer:
    message = codes.message(code)
    item = {"cod": code, "msg": f"{message} - {detail}" if detail else message}
    return RestAnswer(422, {"cod": "422", "msg": _VALIDATION_ERROR, "errors": [item]})


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _description(finding: Finding) -> str:
    """``desError`` as the GRE platform writes it (``sunat.md`` §6)."""
    return (
        f"{finding.message} : error: INFO: errorCode {finding.code} "
        f'(nodo: "{finding.node}" valor: "{finding.value}")'
    )


class GreService:
    def __init__(self, config: SandboxConfig, store: DocumentStore, signer: cdr.CdrSigner) -> None:
        self._config = config
        self._store = store
        self._signer = signer
        self._tickets: TicketBook[GreOutcome] = TicketBook()
        self._tokens: dict[str, _Token] = {}
        self._lock = threading.Lock()
        self._secret = secrets.token_bytes(32)

    def clear(self) -> None:
        self._tickets.clear()

    # Token ------------------------------------------------------------------------------

    def token(self, client_id: str, body: bytes) -> RestAnswer:
        """Answer ``POST /v1/clientessol/{client_id}/oauth2/token/``."""
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        if form.get("grant_type") != "password":
            return _oauth_error(400, "unsupported_grant_type", "El tipo de autorización no es soportado")
        scope = form.get("scope", "")
        if scope not in SCOPES:
            return _oauth_error(400, "invalid_scope", "El scope solicitado no es válido")
        username, password = form.get("username", ""), form.get("password", "")
        if not self._client_is_valid(client_id, form, username):
            return _oauth_error(401, "invalid_client", "El cliente no está autorizado")
        try:
            user = auth.authenticate(UsernameToken(username, password), self._config)
        except SunatException:
            return _oauth_error(400, "access_denied", "Error en la autenticacion del usuario.")
        now = time.time()
        ttl = self._config.gre_token_ttl
        token = self._jwt(user, scope, now, ttl)
        with self._lock:
            moment = time.monotonic()
            self._tokens = {key: value for key, value in self._tokens.items() if value.expires_at > moment}
            self._tokens[token] = _Token(user, moment + ttl)
        return RestAnswer(200, {"access_token": token, "token_type": "JWT", "expires_in": int(ttl)})

    def _client_is_valid(self, client_id: str, form: Mapping[str, str], username: str) -> bool:
        if form.get("client_id", client_id) != client_id:
            return False
        secret = self._config.gre_clients.get(client_id)
        if secret is None:
            return auth.is_demo_user(username, self._config)
        return hmac.compare_digest(form.get("client_secret", "").encode(), secret.encode())

    def _jwt(self, user: auth.SolUser, scope: str, now: float, ttl: float) -> str:
        header = {"alg": "HS256", "typ": "JWT"}
        claims = {
            "iss": "openpse-sandbox",
            "sub": user.username,
            "aud": scope,
            "iat": int(now),
            "exp": int(now + ttl),
            "jti": uuid.uuid4().hex,
        }
        signing_input = ".".join(_b64url(json.dumps(part).encode()) for part in (header, claims))
        digest = hmac.new(self._secret, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64url(digest)}"

    def authorize(self, authorization: str | None) -> auth.SolUser | None:
        """The user of a ``Bearer`` token that is known and not expired, else None (401)."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer":
            return None
        with self._lock:
            entry = self._tokens.get(token.strip())
        if entry is None or entry.expires_at <= time.monotonic():
            return None
        return entry.user

    # Send -------------------------------------------------------------------------------

    def send(self, user: auth.SolUser, filename: str, body: bytes) -> RestAnswer:
        """Answer ``POST /v1/contribuyente/gem/comprobantes/{filename}``."""
        try:
            name = package.parse_gre_name(filename)
        except SunatException as exc:
            return _invalid(exc.code, exc.detail)
        if not self._config.may_send_for(user.ruc, name.ruc):
            return _invalid("0154")
        try:
            request = json.loads(body)
        except ValueError:
            return _invalid("0202", "el cuerpo no es JSON")
        archivo = request.get("archivo") if isinstance(request, dict) else None
        if not isinstance(archivo, dict) or not isinstance(archivo.get("arcGreZip"), str):
            return _invalid("0202", "falta archivo.arcGreZip")
        if archivo.get("nomArchivo") != f"{filename}.zip":
            return _invalid("0151", f"nomArchivo debe ser {filename}.zip")
        try:
            zip_bytes = package.decode_content(archivo["arcGreZip"])
        except SunatException as exc:
            return _invalid(exc.code, exc.detail)
        declared = archivo.get("hashZip")
        if not isinstance(declared, str) or declared.strip().lower() != hashlib.sha256(zip_bytes).hexdigest():
            return _invalid("0156", "hashZip no corresponde al SHA-256 del archivo")

        ticket = str(uuid.uuid4())
        received_at = dt.datetime.now(cdr.LIMA)
        outcome = self._process(user, name, zip_bytes, ticket, received_at)
        self._tickets.issue(ticket, user.ruc, self._config.ticket_polls, outcome)
        return RestAnswer(200, {"numTicket": ticket, "fecRecepcion": f"{received_at:%Y-%m-%dT%H:%M:%S}"})

    def _process(
        self, user: auth.SolUser, name: package.BillName, zip_bytes: bytes, ticket: str, at: dt.datetime
    ) -> GreOutcome:
        try:
            xml = package.extract_xml(zip_bytes, name.base)
            try:
                root = _xml.parse(xml)
            except _xml.XmlRefused as exc:
                raise SunatException("0306", str(exc)) from exc
            header = despatch.read_header(root)
        except SunatException as exc:
            return GreOutcome(exc.code, exc.faultstring, None)
        finding = despatch.evaluate(header, name)
        if finding is None:
            try:
                signature.verify(xml, root)
            except SunatException as exc:
                return GreOutcome(exc.code, exc.faultstring, None)
            except FindingError as exc:
                finding = exc.finding
        if finding is not None and not codes.is_rejection(finding.code):
            return GreOutcome(finding.code, _description(finding), None)

        key = (name.ruc, name.tipo, name.serie, int(name.numero))
        held = self._store.reserve(key)
        if isinstance(held, Reservation):
            return GreOutcome("0140", codes.message("0140"), None)
        if held is not None:
            code = "1033" if held.estado == "aceptado" else "1032"
            return GreOutcome(
                code, _description(Finding(code, "DespatchAdvice/cbc:ID", header.document_id)), None
            )
        try:
            outcome, record = self._answer(user, name, header, xml, ticket, at, finding)
            self._store.register(record)
        except BaseException:
            self._store.release(key)
            raise
        return outcome

    def _answer(
        self,
        user: auth.SolUser,
        name: package.BillName,
        header: despatch.DespatchHeader,
        xml: bytes,
        ticket: str,
        at: dt.datetime,
        finding: Finding | None,
    ) -> tuple[GreOutcome, RegisteredDocument]:
        document_id = f"{name.serie}-{name.numero}"
        response_at = dt.datetime.now(cdr.LIMA)
        if finding is None:
            code, description = "0", _ACCEPTED.format(document_id)
            qr_digest = hashlib.sha256(f"{name.base}|{ticket}".encode()).digest()
            document_description: str | None = _QR_URL + _b64url(qr_digest)
        else:
            code, description = finding.code, _description(finding)
            document_description = None
        content = cdr.CdrContent(
            ticket=ticket,
            file_base=name.base,
            emisor_ruc=name.ruc,
            document_id=document_id,
            issue_date=f"{at:%Y-%m-%d}",
            issue_time=f"{at:%H:%M:%S}.{at.microsecond // 1000:03d}",
            response_at=response_at,
            response_code=code,
            description=description,
            notes=(),
            recipient=f"{header.customer_scheme or '6'}-{header.customer_id}",
            document_description=document_description,
            notes_after_signature=True,
        )
        cdr_zip = cdr.pack(name.base, cdr.build(content, self._signer), response_at, dummy=False)
        record = RegisteredDocument(
            ruc=name.ruc,
            tipo=name.tipo,
            serie=name.serie,
            numero=int(name.numero),
            document_id=document_id,
            issue_date=header.issue_date,
            estado="aceptado" if finding is None else "rechazado",
            response_code=code,
            notes=(),
            file_name=f"{name.base}.zip",
            sender=user.username,
            xml_sha256=hashlib.sha256(xml).hexdigest(),
            cdr_zip=cdr_zip,
            ticket=ticket,
            received_at=at,
        )
        return GreOutcome(code, description, cdr_zip), record

    # Status -----------------------------------------------------------------------------

    def status(self, user: auth.SolUser, ticket: str) -> RestAnswer:
        """Answer ``GET /v1/contribuyente/gem/comprobantes/envios/{numTicket}``."""
        poll, outcome = self._tickets.poll(ticket, lambda owner: self._config.may_send_for(user.ruc, owner))
        if poll is Poll.UNKNOWN:
            return _invalid("0127")
        if poll is Poll.FOREIGN:
            return _invalid("0126")
        if poll is Poll.PROCESSING or outcome is None:
            return RestAnswer(200, {"codRespuesta": "98"})
        payload: dict[str, Any] = {"codRespuesta": "0" if outcome.code == "0" else "99"}
        if outcome.code != "0":
            payload["error"] = {"numError": outcome.code, "desError": outcome.description}
        if outcome.cdr_zip is not None:
            payload["arcCdr"] = base64.b64encode(outcome.cdr_zip).decode("ascii")
        payload["indCdrGenerado"] = "0" if outcome.cdr_zip is None else "1"
        return RestAnswer(200, payload)
