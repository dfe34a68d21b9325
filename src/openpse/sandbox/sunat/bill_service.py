"""billService: ``sendBill`` end to end, ``sendSummary``/``getStatus`` by ticket, for SUNAT and for an OSE.

Follows ``sunat.md`` §1.2–§1.5, §2, §3 and §8.2–§8.5 and §8.8. sendBill runs SUNAT's
checks in order: clave SOL (0101–0104, 0111), zip name (0151/0152), sender against the
file's RUC (0154), zip and XML entry (0155–0161), parse (0306), name against content
(1034–1036, 1003/1004), signature (Firma sheet, 2335), register (0140 in process, 1033
accepted, 1032 rejected), then the business rules of :mod:`rules`.

Outcomes (``sunat.md`` §1.5): an exception (0100–1999) is a SOAP fault and registers
nothing; a rejection (2000–3999) registers the document as rejected and answers with a
CDR carrying the code, or, in beta mode, with a fault; an acceptance answers with a CDR
whose notes are the observations. sendSummary and getStatus live in
:mod:`summary_service`; sendPack (lotes, unused by any current client) answers 0153.

The OSE flavour (the ``/ol-ti-itcpe/billService`` path, ``sunat.md`` §3.2) answers an
accepted document with the OSE CDR (UBL 2.1, UUID, DocumentHash, observations as
``cac:Status``). The CDR-OSE sheets allow only ResponseCode 0 (2833), so an OSE has no
rejection CDR: a rejection is a fault ``soap-env:Client.<code>``, in every mode, and —
the sources being silent on whether an OSE reports rejections to SUNAT — nothing is
registered, so the number can be corrected and sent again.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

from openpse.sandbox import _xml
from openpse.sandbox.config import SandboxConfig
from openpse.sandbox.sunat import auth, cdr, codes, document, package, rules, signature, soap
from openpse.sandbox.sunat.errors import Finding, FindingError, SunatException
from openpse.sandbox.sunat.store import DocumentStore, Estado, RegisteredDocument, Reservation
from openpse.sandbox.sunat.summary_service import SummaryService


class BillService:
    def __init__(
        self, config: SandboxConfig, store: DocumentStore, signer: cdr.CdrSigner, summaries: SummaryService
    ) -> None:
        self._config = config
        self._store = store
        self._signer = signer
        self._summaries = summaries

    def handle(self, body: bytes, ose: bool = False) -> soap.SoapResponse:
        """Answer one POST to a billService path (``ose`` for the OSE flavour)."""
        try:
            request = soap.parse_request(body)
            user = auth.authenticate(request.token, self._config)
            if request.operation == "sendBill":
                return self._send_bill(user, request.params, ose)
            if request.operation == "sendSummary":
                return self._summaries.send(user, request.params, ose)
            if request.operation == "getStatus":
                return self._summaries.status(user, request.params)
            if request.operation == "sendPack":
                raise SunatException("0153", "el envío por lotes no está disponible")
            raise soap.SoapFault(
                "soap-env:Client", f"Internal Error - Detalle: operación desconocida {request.operation}"
            )
        except SunatException as exc:
            return soap.sunat_fault(exc)
        except soap.SoapFault as exc:
            return soap.fault(exc.faultcode, exc.faultstring)

    def _send_bill(self, user: auth.SolUser, params: dict[str, str], ose: bool) -> soap.SoapResponse:
        name = package.parse_bill_name(params.get("fileName", ""))
        if not self._config.may_send_for(user.ruc, name.ruc):
            raise SunatException("0154")
        xml = package.extract_xml(package.decode_content(params.get("contentFile", "")), name.base)
        try:
            root = _xml.parse(xml)
        except _xml.XmlRefused as exc:
            raise SunatException("0306", str(exc)) from exc

        received_at = dt.datetime.now(cdr.LIMA)
        ticket = self._store.next_ticket()
        try:
            header = document.read_header(root, name)
        except FindingError as exc:
            raise SunatException(exc.finding.code, exc.finding.detail(ticket)) from exc
        signature_failure: Finding | None = None
        try:
            signature.verify(xml, root)
        except FindingError as exc:
            signature_failure = exc.finding

        key = (name.ruc, name.tipo, name.serie, header.numero)
        held = self._store.reserve(key)
        if isinstance(held, Reservation):
            raise SunatException("0140")
        if held is not None and signature_failure is None:
            duplicate = Finding(
                "1033" if held.estado == "aceptado" else "1032",
                f"{header.root_name}/cbc:ID",
                header.document_id,
            )
            raise SunatException(duplicate.code, duplicate.detail(ticket))

        registered = False
        try:
            finding: Finding | None = signature_failure
            observations: list[Finding] = []
            if finding is None:
                finding, observations = rules.evaluate(header, user.ruc)
            if finding is not None and (ose or not codes.is_rejection(finding.code)):
                raise SunatException(finding.code, finding.detail(ticket))
            if ose:
                record = self._answer_ose(header, name, user, ticket, xml, received_at, observations)
            else:
                record = self._answer(header, name, user, ticket, xml, finding, observations)
            # A tampered resend of a registered number is answered but cannot take it over.
            if held is None:
                self._store.register(record)
                registered = True
        finally:
            if held is None and not registered:
                self._store.release(key)

        if finding is not None and self._config.mode == "beta":
            raise SunatException(finding.code, finding.detail(ticket))
        return soap.send_bill_response(base64.b64encode(record.cdr_zip).decode("ascii"))

    def _answer(
        self,
        header: document.DocumentHeader,
        name: package.BillName,
        user: auth.SolUser,
        ticket: str,
        xml: bytes,
        finding: Finding | None,
        observations: list[Finding],
    ) -> RegisteredDocument:
        if finding is None:
            response_code = "0"
            type_name = document.TYPE_NAMES[header.tipo]
            description = f"La {type_name} numero {header.document_id}, ha sido aceptada"
            notes = tuple(observation.note() for observation in observations)
        else:
            response_code = finding.code
            description = f"{finding.message} - Detalle: {finding.detail(ticket)}"
            notes = ()
        issue_date, issue_time = cdr.sunat_issue_fields(header.issue_date, header.issue_time)
        content = cdr.CdrContent(
            ticket=ticket,
            file_base=name.base,
            emisor_ruc=header.emisor_ruc,
            document_id=header.document_id,
            issue_date=issue_date,
            issue_time=issue_time,
            response_at=dt.datetime.now(cdr.LIMA),
            response_code=response_code,
            description=description,
            notes=notes,
            recipient=f"{header.customer_scheme or '6'}-{header.customer_id}",
        )
        return self._record(
            header,
            name,
            user,
            ticket,
            xml,
            "aceptado" if finding is None else "rechazado",
            response_code,
            notes,
            cdr.pack(name.base, cdr.build(content, self._signer), content.response_at),
            content.response_at,
        )

    def _answer_ose(
        self,
        header: document.DocumentHeader,
        name: package.BillName,
        user: auth.SolUser,
        ticket: str,
        xml: bytes,
        received_at: dt.datetime,
        observations: list[Finding],
    ) -> RegisteredDocument:
        response_at = dt.datetime.now(cdr.LIMA)
        type_name = document.TYPE_NAMES[header.tipo]
        content = cdr.OseCdrContent(
            file_base=name.base,
            sender_ruc=user.ruc,
            ose_ruc=self._config.ose_ruc,
            emisor_ruc=header.emisor_ruc,
            document_id=header.document_id,
            document_type=header.tipo,
            issue_date=header.issue_date,
            issue_time=header.issue_time or "00:00:00",
            document_hash=signature.digest_value(header.root),
            received_at=received_at,
            response_at=response_at,
            # The wording of the OSE sample efact_cdr1.xml.
            description=f"La {type_name} {header.document_id} ha sido aceptada.",
            observations=tuple((item.code, f"{item.message} - {item.info()}") for item in observations),
            recipient=(header.customer_scheme or "-", header.customer_id or "-"),
        )
        cdr_zip = cdr.pack(name.base, cdr.build_ose(content, self._signer), response_at, dummy=False)
        notes = tuple(observation.note() for observation in observations)
        return self._record(header, name, user, ticket, xml, "aceptado", "0", notes, cdr_zip, response_at)

    @staticmethod
    def _record(
        header: document.DocumentHeader,
        name: package.BillName,
        user: auth.SolUser,
        ticket: str,
        xml: bytes,
        estado: Estado,
        response_code: str,
        notes: tuple[str, ...],
        cdr_zip: bytes,
        at: dt.datetime,
    ) -> RegisteredDocument:
        return RegisteredDocument(
            ruc=name.ruc,
            tipo=name.tipo,
            serie=name.serie,
            numero=header.numero,
            document_id=header.document_id,
            issue_date=header.issue_date,
            estado=estado,
            response_code=response_code,
            notes=notes,
            file_name=f"{name.base}.zip",
            sender=user.username,
            xml_sha256=hashlib.sha256(xml).hexdigest(),
            cdr_zip=cdr_zip,
            ticket=ticket,
            received_at=at,
        )
