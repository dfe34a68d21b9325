"""The "otros CPE" billService: sendBill of comprobantes de retención (20) and percepción (40).

SUNAT serves these documents on their own service (``sunat.md`` §1.1: beta
``/ol-ti-itemision-otroscpe-gem-beta/billService``, production
``/ol-ti-itemision-otroscpe-gem/billService``), with the contract of billService (same
WSDL, WS-Security and zip conventions). sendBill runs SUNAT's checks in the order of
:mod:`bill_service`: clave SOL (0101–0104, 0111), zip name (0151; 0152 for a summary),
sender against the file's RUC (0154), zip and XML entry (0155–0161), parse and root
(0306), name against content (1049, 1034), signature (Firma sheet, 2335), register
(0140 in process, 1033 accepted, 1032 rejected), then the sheets' rules of
:mod:`retper_rules`. The modules of the factura service are reused for all of that;
only the document, its rules and the CDR wording are this service's own.

Answers as on the factura service (``sunat.md`` §1.5, §3): exceptions are faults and
register nothing; a rejection registers the number as rejected and answers with a CDR
carrying the code (a fault in beta mode); an acceptance answers with a CDR whose notes
are the observations. The CDR describes the document as SUNAT's otros-CPE service does:
"El Comprobante numero R001-123 ha sido aceptado" (recorded by greenter's and
xhandler's integration tests against SUNAT beta). sendSummary of a Resumen de
reversiones (RR) and its tickets are not emulated: sendSummary answers the fault 0151
saying so, and getStatus finds no ticket (0127), which is the truth of a service that
issued none.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

from openpse.sandbox import _xml
from openpse.sandbox.config import SandboxConfig
from openpse.sandbox.sunat import auth, cdr, codes, package, retper_document, retper_rules, signature, soap
from openpse.sandbox.sunat.errors import Finding, FindingError, SunatException
from openpse.sandbox.sunat.store import DocumentStore, RegisteredDocument, Reservation

_TICKET_UNKNOWN = "El ticket no existe"


class RetPerBillService:
    def __init__(self, config: SandboxConfig, store: DocumentStore, signer: cdr.CdrSigner) -> None:
        self._config = config
        self._store = store
        self._signer = signer

    def handle(self, body: bytes) -> soap.SoapResponse:
        """Answer one POST to an "otros CPE" billService path."""
        try:
            request = soap.parse_request(body)
            user = auth.authenticate(request.token, self._config)
            if request.operation == "sendBill":
                return self._send_bill(user, request.params)
            if request.operation == "sendSummary":
                raise SunatException(
                    "0151", "el sandbox no emula el Resumen de reversiones (RR) del servicio de otros CPE"
                )
            if request.operation == "getStatus":
                if self._config.mode == "beta":
                    raise SunatException("0127")
                return soap.ticket_status_response("0127", _TICKET_UNKNOWN)
            if request.operation == "sendPack":
                raise SunatException("0153", "el envío por lotes no está disponible")
            raise soap.SoapFault(
                "soap-env:Client", f"Internal Error - Detalle: operación desconocida {request.operation}"
            )
        except SunatException as exc:
            return soap.sunat_fault(exc)
        except soap.SoapFault as exc:
            return soap.fault(exc.faultcode, exc.faultstring)

    def _send_bill(self, user: auth.SolUser, params: dict[str, str]) -> soap.SoapResponse:
        name = retper_document.parse_name(params.get("fileName", ""))
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
            header = retper_document.read_header(root, name)
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
                context = retper_rules.Context(
                    sender_ruc=user.ruc,
                    received=received_at.date(),
                    lookup=self._store.get,
                    padrones=self._config.padrones,
                )
                finding, observations = retper_rules.evaluate(header, context)
            if finding is not None and not codes.is_rejection(finding.code):
                raise SunatException(finding.code, finding.detail(ticket))
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
        header: retper_document.RetPerHeader,
        name: package.BillName,
        user: auth.SolUser,
        ticket: str,
        xml: bytes,
        finding: Finding | None,
        observations: list[Finding],
    ) -> RegisteredDocument:
        if finding is None:
            response_code = "0"
            description = f"El Comprobante numero {header.document_id} ha sido aceptado"
            notes = tuple(observation.note() for observation in observations)
        else:
            response_code = finding.code
            description = f"{finding.message} - Detalle: {finding.detail(ticket)}"
            notes = ()
        issue_date, issue_time = cdr.sunat_issue_fields(header.issue_date, header.issue_time)
        response_at = dt.datetime.now(cdr.LIMA)
        content = cdr.CdrContent(
            ticket=ticket,
            file_base=name.base,
            emisor_ruc=header.emisor_ruc,
            document_id=header.document_id,
            issue_date=issue_date,
            issue_time=issue_time,
            response_at=response_at,
            response_code=response_code,
            description=description,
            notes=notes,
            recipient=f"{header.receiver_scheme or '6'}-{header.receiver_id}",
        )
        return RegisteredDocument(
            ruc=name.ruc,
            tipo=name.tipo,
            serie=name.serie,
            numero=header.numero,
            document_id=header.document_id,
            issue_date=header.issue_date,
            estado="aceptado" if finding is None else "rechazado",
            response_code=response_code,
            notes=notes,
            file_name=f"{name.base}.zip",
            sender=user.username,
            xml_sha256=hashlib.sha256(xml).hexdigest(),
            cdr_zip=cdr.pack(name.base, cdr.build(content, self._signer), response_at),
            ticket=ticket,
            received_at=response_at,
        )
