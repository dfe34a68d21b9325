"""From a request to the signed, zipped guía that the GRE platform takes.

Two ways in, as for the comprobantes: a JSON request that OpenPSE validates, builds and
signs (:func:`prepare_guia`: rules of :mod:`.rules`, builder of :mod:`.ubl`, the fast
canonical signer), or an unsigned DespatchAdvice built by the client that OpenPSE checks
for identity and signs through lxml (:func:`sign_despatch_xml`). Both end in the
``{RUC}-{09|31}-{SERIE}-{NUMERO}.zip`` with one XML of the same name that
:class:`~.client.GreClient` sends (``sunat.md`` §2.1, §6).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from pydantic import ValidationError

from openpse.authorities.sunat import codes
from openpse.authorities.sunat.guias import rules
from openpse.authorities.sunat.guias.models import Emisor, GuiaRemitenteIn, GuiaTransportistaIn
from openpse.authorities.sunat.guias.ubl import DESPATCH_ADVICE, build_despatch
from openpse.authorities.sunat.naming import DocumentName, zip_single
from openpse.authorities.sunat.ubl.ns import CAC, CBC, EXT
from openpse.core import xmlsafe
from openpse.core.errors import BadRequest, Code, Issue, IssueCollector, ValidationFailed
from openpse.core.timeutil import now_lima
from openpse.signing import xmldsig
from openpse.signing.certificates import Certificate

_MODELS: dict[str, type[GuiaRemitenteIn] | type[GuiaTransportistaIn]] = {
    "09": GuiaRemitenteIn,
    "31": GuiaTransportistaIn,
}
_NS = {"cbc": CBC, "cac": CAC, "ext": EXT}
_ID = re.compile(r"([A-Z0-9]{4})-(\d{1,8})")


@dataclass(frozen=True)
class SignedGuia:
    """A signed guía, ready to be stored and sent: its bytes never change afterwards."""

    name: DocumentName
    xml: bytes
    hash: str
    """``ds:DigestValue``: the "valor resumen" of the printed guía."""
    zip: bytes
    fecha_emision: dt.date
    content_hash: str
    """SHA-256 of the request (JSON without its number, or the unsigned XML): its identity."""
    observaciones: tuple[Issue, ...] = field(default=())
    """SUNAT's observations (4000+) that the rules found: the guía goes, with these notes."""


def _validation_issues(exc: ValidationError) -> list[Issue]:
    issues = []
    for error in exc.errors():
        path = ""
        for part in error["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        issues.append(Issue(Code.CAMPO_INVALIDO, error["msg"], path or None))
    return issues


def parse_guia(payload: Any) -> GuiaRemitenteIn | GuiaTransportistaIn:
    """Validate the shape of a guía request; ``tipo`` (09 or 31) picks the model.

    Raises :class:`ValidationFailed` with 1051 for another ``tipo`` and ``PSE-0002`` with
    the JSON path of every field that has the wrong shape.
    """
    tipo = payload.get("tipo") if isinstance(payload, dict) else None
    model = _MODELS.get(tipo) if isinstance(tipo, str) else None
    if model is None:
        raise ValidationFailed(Issue("1051", codes.message("1051") + " (09 o 31)", "tipo"))
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise ValidationFailed(_validation_issues(exc)) from exc


def content_hash(guia: GuiaRemitenteIn | GuiaTransportistaIn) -> str:
    """Same request without its number ⇔ same hash (idempotency of ``POST /v1/comprobantes``)."""
    canonical = json.dumps(guia.model_dump(mode="json", exclude={"numero"}), sort_keys=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def check_guia(
    guia: GuiaRemitenteIn | GuiaTransportistaIn, emisor: Emisor, fecha_emision: dt.date
) -> IssueCollector:
    """Apply every rule; the collector holds SUNAT's rejections (``issues``) and observations."""
    issues = IssueCollector()
    if isinstance(guia, GuiaRemitenteIn):
        rules.check_remitente(guia, emisor, fecha_emision, issues)
    else:
        rules.check_transportista(guia, emisor, fecha_emision, issues)
    return issues


def prepare_guia(
    guia: GuiaRemitenteIn | GuiaTransportistaIn,
    numero: int,
    emisor: Emisor,
    certificate: Certificate,
    profile: xmldsig.SunatSignatureProfile = xmldsig.DEFAULT_PROFILE,
    now: dt.datetime | None = None,
) -> SignedGuia:
    """Check, build, sign and zip a guía; raises :class:`ValidationFailed` with SUNAT's codes."""
    moment = now or now_lima()
    fecha = guia.fecha_emision or moment.date()
    hora = guia.hora_emision or moment.time()
    issues = check_guia(guia, emisor, fecha)
    issues.raise_if_any()
    document = build_despatch(guia, numero, emisor, fecha, hora, profile.signature_id)
    signed = xmldsig.sign_canonical(document, certificate, profile)
    name = DocumentName(emisor.ruc, guia.tipo, guia.serie, numero)
    return SignedGuia(
        name=name,
        xml=signed.xml,
        hash=signed.digest_value,
        zip=zip_single(name.xml, signed.xml),
        fecha_emision=fecha,
        content_hash=content_hash(guia),
        observaciones=tuple(issues.warnings),
    )


def _refuse(code: str, campo: str, detalle: str = "") -> ValidationFailed:
    text = codes.message(code)
    return ValidationFailed(Issue(code, f"{text} ({detalle})" if detalle else text, campo))


def sign_despatch_xml(
    xml: bytes,
    emisor_ruc: str,
    certificate: Certificate,
    profile: xmldsig.SunatSignatureProfile = xmldsig.DEFAULT_PROFILE,
) -> SignedGuia:
    """Sign an unsigned DespatchAdvice that the client built.

    Its identity is checked first with the codes the GRE platform answers (the opening
    rows of the GRE sheets): UBL 2.1 (2111/2110), customization 2.0 (2113/2112), type of
    guía (1050/1051), ``T###-n`` or ``V###-n`` (1001), RUC of the issuer (1034). Its
    content is the client's: OpenPSE does not rewrite it, so the signed bytes are the
    client's document plus the signature.
    """
    root = xmlsafe.parse_request(xml)
    qname = etree.QName(root)
    if (qname.namespace, qname.localname) != (DESPATCH_ADVICE, "DespatchAdvice"):
        raise BadRequest(
            Issue(Code.NO_SOPORTADO, f"Se esperaba una guía DespatchAdvice UBL 2.1, llegó {qname.localname}")
        )
    version = (root.findtext("cbc:UBLVersionID", namespaces=_NS) or "").strip()
    if version != "2.1":
        raise _refuse("2110" if version else "2111", "UBLVersionID", version)
    customization = (root.findtext("cbc:CustomizationID", namespaces=_NS) or "").strip()
    if customization != "2.0":
        raise _refuse("2112" if customization else "2113", "CustomizationID", customization)
    tipo = (root.findtext("cbc:DespatchAdviceTypeCode", namespaces=_NS) or "").strip()
    if tipo not in _MODELS:
        raise _refuse("1051" if tipo else "1050", "DespatchAdviceTypeCode", tipo)
    document_id = (root.findtext("cbc:ID", namespaces=_NS) or "").strip()
    match = _ID.fullmatch(document_id)
    if match is None or not rules.SERIE[tipo].fullmatch(match.group(1)) or int(match.group(2)) < 1:
        raise _refuse("1001", "ID", document_id)
    serie, numero = match.group(1), int(match.group(2))
    ruc = (
        root.findtext("cac:DespatchSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID", namespaces=_NS)
        or ""
    ).strip()
    if ruc != emisor_ruc:
        raise _refuse("1034", "DespatchSupplierParty", f"{ruc} ≠ {emisor_ruc}")
    issue_date = (root.findtext("cbc:IssueDate", namespaces=_NS) or "").strip()
    try:
        fecha = dt.date.fromisoformat(issue_date)
    except ValueError as exc:
        raise _refuse("3436", "IssueDate", issue_date) from exc
    if root.find("ext:UBLExtensions", _NS) is None:
        extensions = etree.Element(f"{{{EXT}}}UBLExtensions")
        etree.SubElement(etree.SubElement(extensions, f"{{{EXT}}}UBLExtension"), f"{{{EXT}}}ExtensionContent")
        root.insert(0, extensions)
    unsigned_hash = hashlib.sha256(etree.tostring(root, method="c14n")).hexdigest()
    try:
        signed = xmldsig.sign(root, certificate, profile)
    except xmldsig.SigningError as exc:
        raise BadRequest(Issue(Code.CAMPO_INVALIDO, str(exc), "UBLExtensions")) from exc
    name = DocumentName(emisor_ruc, tipo, serie, numero)
    return SignedGuia(
        name=name,
        xml=signed.xml,
        hash=signed.digest_value,
        zip=zip_single(name.xml, signed.xml),
        fecha_emision=fecha,
        content_hash=unsigned_hash,
    )
