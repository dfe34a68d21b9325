"""billService ``sendSummary`` and ``getStatus``: Resúmenes diarios and Comunicaciones de baja by ticket.

Follows ``sunat.md`` §1.2, §2.1, §2.3 and §8.5 and the sheets named in :mod:`summary`.

sendSummary runs, in order: zip name (0151; a comprobante name or RR is 0151 too), the
sender against the file's RUC (0154), zip and XML entry (0155–0161), parse and root
(0306), RUC in the XML (1034), and a name presented before: 2223 for an RC (Resumen
Diario row 03) and 2324 for an RA (Comunicación de Baja row 3). greenter#93 shows
SUNAT answering 2223 straight from sendSummary, so these are faults too. Everything
else is the sheet's business and comes back through the ticket.

The sandbox processes the summary at once and answers the ticket later: the first
``ticket_polls`` getStatus calls say 98 (in process), then 0 with the CDR, or 99 with a
CDR whose ResponseCode is the rejection. An exception code met while processing is a
fault of sendSummary and registers nothing. A processed summary (accepted or
rejected) consumes its name. An accepted Resumen diario informs (ConditionCode 1) or
annuls (3) its boletas and notes; an accepted Comunicación de baja annuls its
documents, so billConsultService then answers 0003.

getStatus of an unknown ticket answers statusCode 0127 with the plain text "El ticket
no existe" in ``content``, as SUNAT beta did in 2026 (crafter-research/sunat-cli#38);
in beta mode it is the fault ``soap-env:Client.0127`` instead, the other form seen in
the field. A ticket of another RUC (not linked as PSE) answers 0126 the same way.

An OSE never writes a CDR with a ResponseCode other than 0 (CDR-OSE-Resumen row 12,
2833), so on the OSE path an accepted summary gets the OSE CDR and a rejected one is a
fault on getStatus; an OSE rejection is not registered.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import threading
from dataclasses import dataclass

from openpse.sandbox import _xml
from openpse.sandbox.config import SandboxConfig
from openpse.sandbox.sunat import auth, cdr, codes, package, signature, soap, summary
from openpse.sandbox.sunat.errors import Finding, FindingError, SunatException
from openpse.sandbox.sunat.store import DocumentStore, Poll, RegisteredDocument, TicketBook

_PRESENTED = {"RC": "2223", "RA": "2324"}


@dataclass(frozen=True)
class SummaryOutcome:
    """How a processed summary ends: statusCode 0/99 and its CDR, or an OSE rejection (no CDR)."""

    status_code: str
    response_code: str
    cdr_zip: bytes | None
    detail: str


class SummaryService:
    def __init__(self, config: SandboxConfig, store: DocumentStore, signer: cdr.CdrSigner) -> None:
        self._config = config
        self._store = store
        self._signer = signer
        self._tickets: TicketBook[SummaryOutcome] = TicketBook()
        # Summaries read and change the register line by line; one at a time keeps a
        # boleta from being informed by two summaries at once. They are rare.
        self._lock = threading.Lock()

    def clear(self) -> None:
        self._tickets.clear()

    def send(self, user: auth.SolUser, params: dict[str, str], ose: bool) -> soap.SoapResponse:
        name = package.parse_summary_name(params.get("fileName", ""))
        if not self._config.may_send_for(user.ruc, name.ruc):
            raise SunatException("0154")
        xml = package.extract_xml(package.decode_content(params.get("contentFile", "")), name.base)
        try:
            root = _xml.parse(xml)
        except _xml.XmlRefused as exc:
            raise SunatException("0306", str(exc)) from exc

        with self._lock:
            ticket = self._store.next_ticket()
            try:
                header = summary.read_header(root, xml, name)
            except FindingError as exc:
                raise SunatException(exc.finding.code, exc.finding.detail(ticket)) from exc
            if self._store.was_presented(name.key):
                presented = Finding(_PRESENTED[name.tipo], f"/{header.root_name}/cbc:ID", header.document_id)
                raise SunatException(presented.code, presented.detail(ticket))
            received_at = dt.datetime.now(cdr.LIMA)
            finding, observations = summary.evaluate(header, self._store.get, received_at.date())
            if finding is not None and not codes.is_rejection(finding.code):
                raise SunatException(finding.code, finding.detail(ticket))
            outcome = self._process(header, user, ticket, received_at, finding, observations, ose)
            self._tickets.issue(ticket, user.ruc, self._config.ticket_polls, outcome)
        return soap.send_summary_response(ticket)

    def _process(
        self,
        header: summary.SummaryHeader,
        user: auth.SolUser,
        ticket: str,
        received_at: dt.datetime,
        finding: Finding | None,
        observations: list[Finding],
        ose: bool,
    ) -> SummaryOutcome:
        name = header.name
        if ose and finding is not None:
            return SummaryOutcome("99", finding.code, None, finding.detail(ticket))
        response_at = dt.datetime.now(cdr.LIMA)
        notes = tuple(observation.note() for observation in observations)
        if finding is None:
            response_code = "0"
            description = summary.DESCRIPTIONS[name.tipo].format(name.document_id)
        else:
            response_code = finding.code
            description = f"{finding.message} - Detalle: {finding.detail(ticket)}"
        if ose:
            content = cdr.OseCdrContent(
                file_base=name.base,
                sender_ruc=user.ruc,
                ose_ruc=self._config.ose_ruc,
                emisor_ruc=header.emisor_ruc,
                document_id=name.document_id,
                document_type=name.tipo,
                issue_date=header.issue_date,
                issue_time=None,
                document_hash=signature.digest_value(header.root),
                received_at=received_at,
                response_at=response_at,
                description=description,
                observations=tuple((item.code, f"{item.message} - {item.info()}") for item in observations),
                recipient=None,
            )
            cdr_zip = cdr.pack(name.base, cdr.build_ose(content, self._signer), response_at, dummy=False)
        else:
            issue_date, issue_time = cdr.sunat_issue_fields(header.issue_date, "")
            sunat_content = cdr.CdrContent(
                ticket=ticket,
                file_base=name.base,
                emisor_ruc=header.emisor_ruc,
                document_id=name.document_id,
                issue_date=issue_date,
                issue_time=issue_time,
                response_at=response_at,
                response_code=response_code,
                description=description,
                notes=notes,
                recipient="6-",
            )
            cdr_zip = cdr.pack(name.base, cdr.build(sunat_content, self._signer), response_at)

        self._store.present(name.key)
        if finding is None:
            self._apply(header, user, ticket, notes, cdr_zip, response_at)
        return SummaryOutcome("0" if finding is None else "99", response_code, cdr_zip, "")

    def _apply(
        self,
        header: summary.SummaryHeader,
        user: auth.SolUser,
        ticket: str,
        notes: tuple[str, ...],
        cdr_zip: bytes,
        at: dt.datetime,
    ) -> None:
        xml_sha256 = hashlib.sha256(header.xml).hexdigest()
        for effect in summary.effects(header):
            if effect.action == "anular":
                self._store.annul(effect.key)
                continue
            ruc, tipo, serie, numero = effect.key
            self._store.register_if_absent(
                RegisteredDocument(
                    ruc=ruc,
                    tipo=tipo,
                    serie=serie,
                    numero=numero,
                    document_id=effect.document_id,
                    issue_date=header.reference_date,
                    estado="aceptado",
                    response_code="0",
                    notes=notes,
                    file_name=f"{header.name.base}.zip",
                    sender=user.username,
                    xml_sha256=xml_sha256,
                    cdr_zip=cdr_zip,
                    ticket=ticket,
                    received_at=at,
                )
            )

    def status(self, user: auth.SolUser, params: dict[str, str]) -> soap.SoapResponse:
        ticket = params.get("ticket", "").strip()
        poll, outcome = self._tickets.poll(ticket, lambda owner: self._config.may_send_for(user.ruc, owner))
        if poll is Poll.UNKNOWN or poll is Poll.FOREIGN:
            code = "0127" if poll is Poll.UNKNOWN else "0126"
            if self._config.mode == "beta":
                raise SunatException(code)
            return soap.ticket_status_response(code, codes.message(code))
        if poll is Poll.PROCESSING or outcome is None:
            return soap.ticket_status_response("98")
        if outcome.cdr_zip is None:
            raise SunatException(outcome.response_code, outcome.detail)
        return soap.ticket_status_response(
            outcome.status_code, base64.b64encode(outcome.cdr_zip).decode("ascii")
        )
