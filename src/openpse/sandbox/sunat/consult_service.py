"""billConsultService: ``getStatus`` and ``getStatusCdr`` over the sandbox's register.

Follows ``sunat.md`` §1.2 (WSDL ``billConsultService.wsdl``; status codes 0001–0012)
and §8.6: getStatus answers 0001 accepted, 0002 rejected, 0003 annulled (de baja, by
a Comunicación de baja or a Resumen diario line), 0011 unknown; getStatusCdr
answers 0004 "La constancia existe" with the CDR zip, 0011 when unknown. Both validate
their four parameters first with the same codes, in the order RUC (0004), tipo (0005,
0009), serie (0006, 0010: only series starting with F), número (0007), ownership (0012).
For getStatusCdr that makes 0004 ambiguous, as it is at SUNAT: only a status with
``content`` carries a CDR.
"""

from __future__ import annotations

import base64
import re

from openpse.sandbox.config import SandboxConfig
from openpse.sandbox.sunat import auth, codes, soap
from openpse.sandbox.sunat.errors import SunatException
from openpse.sandbox.sunat.store import DocumentStore, RegisteredDocument

_RUC = re.compile(r"\d{11}")
_TIPO = re.compile(r"\d{2}")
_SERIE = re.compile(r"[A-Z0-9]{4}")
_CONSULTABLE = ("01", "07", "08")
_STATUS_BY_ESTADO = {"aceptado": "0001", "rechazado": "0002", "anulado": "0003"}


class ConsultService:
    def __init__(self, config: SandboxConfig, store: DocumentStore) -> None:
        self._config = config
        self._store = store

    def handle(self, body: bytes) -> soap.SoapResponse:
        """Answer one POST to the billConsultService path."""
        try:
            request = soap.parse_request(body)
            user = auth.authenticate(request.token, self._config)
            if request.operation not in ("getStatus", "getStatusCdr"):
                raise soap.SoapFault(
                    "soap-env:Client", f"Internal Error - Detalle: operación desconocida {request.operation}"
                )
            refused, document = self._find(user, request.params)
        except SunatException as exc:
            return soap.sunat_fault(exc)
        except soap.SoapFault as exc:
            return soap.fault(exc.faultcode, exc.faultstring)

        if request.operation == "getStatus":
            if refused:
                code = refused
            elif document is None:
                code = "0011"
            else:
                code = _STATUS_BY_ESTADO[document.estado]
            return soap.status_response(code, codes.CONSULT_STATUS[code])
        if refused or document is None:
            code = refused or "0011"
            return soap.status_cdr_response(code, codes.CONSULT_STATUS[code])
        found_code, found_message = codes.CONSULT_CDR_FOUND
        content = base64.b64encode(document.cdr_zip).decode("ascii")
        return soap.status_cdr_response(found_code, found_message, content)

    def _find(
        self, user: auth.SolUser, params: dict[str, str]
    ) -> tuple[str | None, RegisteredDocument | None]:
        """Validate the query: a refusing status code, or the registered document (None if unknown)."""
        ruc = params.get("rucComprobante", "").strip()
        tipo = params.get("tipoComprobante", "").strip()
        serie = params.get("serieComprobante", "").strip()
        numero_text = params.get("numeroComprobante", "").strip()
        if not _RUC.fullmatch(ruc):
            return "0004", None
        if not _TIPO.fullmatch(tipo):
            return "0005", None
        if tipo not in _CONSULTABLE:
            return "0009", None
        if not _SERIE.fullmatch(serie):
            return "0006", None
        if not serie.startswith("F"):
            return "0010", None
        if not numero_text.isdigit() or int(numero_text) <= 0:
            return "0007", None
        if not self._config.may_send_for(user.ruc, ruc):
            return "0012", None
        return None, self._store.get((ruc, tipo, serie, int(numero_text)))
