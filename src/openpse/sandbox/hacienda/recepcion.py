"""``POST /recepcion`` and ``GET /recepcion/{clave}`` of Hacienda's API de Recepción.

Follows ``hacienda_cr.md`` §2.2–§2.3 and the checklist of §8 item 2, in this order:

1. the JSON body against Hacienda's JSON schema (``clave`` ≤ 50, ``fecha``
   ``yyyy-MM-dd'T'HH:mm:ssZ``, ``emisor``/``receptor`` ``{tipoIdentificacion ≤ 2,
   numeroIdentificacion}``, ``callbackUrl``, ``consecutivoReceptor`` of 20 digits,
   ``comprobanteXml`` in base64): 400 with ``validation-exception: true`` and the reason in
   ``X-Error-Cause``;
2. the base64 and the XML itself (well-formed, no DOCTYPE, a v4.4 comprobante): 400;
3. the JSON against the XML: same clave, the consecutivo and the emisor's
   identification inside the clave equal to ``NumeroConsecutivo`` and
   ``Emisor/Identificacion/Numero``, the same emisor and receptor; for a MensajeReceptor
   the same ``consecutivoReceptor``, ``NumeroCedulaEmisor`` and ``NumeroCedulaReceptor``:
   400;
4. a clave (or ``clave-consecutivoReceptor``) already received: 400 "El comprobante con
   la Clave [...] ya fue recibido anteriormente." (the substring integrations match);
5. with ``strict_reception``, the XSD and the signature: 400;
6. otherwise 202 (or 201) with ``Location`` pointing at ``/recepcion/{clave}``.

An answer's body is empty; ``X-Error-Cause`` carries the reason, as Hacienda does.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509

from openpse.sandbox import _xml
from openpse.sandbox.hacienda.config import HaciendaSandboxConfig
from openpse.sandbox.hacienda.document import NotAComprobante, Received, read
from openpse.sandbox.hacienda.idp import Principal
from openpse.sandbox.hacienda.processing import schema_findings, signature_findings, status_body
from openpse.sandbox.hacienda.schemas import SchemaSet
from openpse.sandbox.hacienda.store import Record, RecordStore
from openpse.sandbox.hacienda.xades import normalize_id

_FECHA = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})")
_CONSECUTIVO_RECEPTOR = re.compile(r"\d{20}")


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None

    @property
    def outcome(self) -> str:
        """How the answer counts for the quotas."""
        if self.status < 300:
            return "ok"
        return "auth" if self.status in (401, 403) else "error"


def _bad(cause: str, validation: bool = False) -> Answer:
    headers = {"X-Error-Cause": cause}
    if validation:
        headers["validation-exception"] = "true"
    return Answer(400, headers)


class _Invalid(Exception):
    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause


def _string(body: dict[str, Any], name: str, max_length: int, required: bool) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise _Invalid(f"El campo {name} es requerido")
        return None
    if not isinstance(value, str):
        raise _Invalid(f"El campo {name} debe ser un texto")
    if len(value) > max_length:
        raise _Invalid(f"El campo {name} excede la longitud máxima de {max_length}")
    return value


def _party(body: dict[str, Any], name: str, required: bool, max_id: int) -> dict[str, str] | None:
    value = body.get(name)
    if value is None:
        if required:
            raise _Invalid(f"El campo {name} es requerido")
        return None
    if not isinstance(value, dict):
        raise _Invalid(f"El campo {name} debe ser un objeto con tipoIdentificacion y numeroIdentificacion")
    tipo = _string(value, "tipoIdentificacion", 2, True)
    numero = _string(value, "numeroIdentificacion", max_id, True)
    assert tipo is not None
    assert numero is not None
    return {"tipoIdentificacion": tipo, "numeroIdentificacion": numero}


@dataclass(frozen=True)
class _Request:
    clave: str
    fecha: str
    emisor: dict[str, str]
    receptor: dict[str, str] | None
    callback_url: str | None
    consecutivo_receptor: str | None
    xml: bytes


def _parse_request(raw: bytes, max_id: int) -> _Request:
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _Invalid("El cuerpo de la solicitud no es un JSON válido") from exc
    if not isinstance(body, dict):
        raise _Invalid("El cuerpo de la solicitud debe ser un objeto JSON")
    clave = _string(body, "clave", 50, True)
    fecha = _string(body, "fecha", 35, True)
    assert clave is not None
    assert fecha is not None
    if not _FECHA.fullmatch(fecha):
        raise _Invalid(f"El campo fecha ({fecha}) no tiene el formato yyyy-MM-dd'T'HH:mm:ssZ")
    emisor = _party(body, "emisor", True, max_id)
    assert emisor is not None
    receptor = _party(body, "receptor", False, max_id)
    callback = _string(body, "callbackUrl", 2048, False)
    if callback is not None:
        parts = urlsplit(callback)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise _Invalid(f"El campo callbackUrl ({callback}) no es un URL http(s)")
    consecutivo = _string(body, "consecutivoReceptor", 20, False)
    if consecutivo is not None and not _CONSECUTIVO_RECEPTOR.fullmatch(consecutivo):
        raise _Invalid("El campo consecutivoReceptor debe tener 20 dígitos")
    encoded = body.get("comprobanteXml")
    if encoded is None:
        raise _Invalid("El campo comprobanteXml es requerido")
    if not isinstance(encoded, str):
        raise _Invalid("El campo comprobanteXml debe ser un texto en base64")
    try:
        xml = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _Invalid("El campo comprobanteXml no contiene un base64 válido") from exc
    return _Request(clave, fecha, emisor, receptor, callback, consecutivo, xml)


def _same_id(left: str, right: str) -> bool:
    return normalize_id(left) == normalize_id(right) and bool(normalize_id(left))


def _consistency(request: _Request, document: Received) -> str | None:
    """Why the JSON and the XML do not describe the same comprobante, or None."""
    if request.clave != document.clave:
        return f"La clave [{request.clave}] no corresponde a la Clave del comprobante [{document.clave}]"
    json_emisor = request.emisor["numeroIdentificacion"]
    if document.is_mensaje_receptor:
        if request.consecutivo_receptor is None:
            return "El campo consecutivoReceptor es requerido para un mensaje receptor"
        if request.consecutivo_receptor != document.consecutivo_receptor:
            return (
                f"El consecutivoReceptor [{request.consecutivo_receptor}] no corresponde al "
                f"NumeroConsecutivoReceptor del mensaje [{document.consecutivo_receptor}]"
            )
        assert document.emisor is not None
        assert document.receptor is not None
        if not _same_id(json_emisor, document.emisor.numero):
            return "El emisor no corresponde al NumeroCedulaEmisor del mensaje receptor"
        if request.receptor is None:
            return "El campo receptor es requerido para un mensaje receptor"
        if not _same_id(request.receptor["numeroIdentificacion"], document.receptor.numero):
            return "El receptor no corresponde al NumeroCedulaReceptor del mensaje receptor"
        return None
    if request.consecutivo_receptor is not None:
        return "El campo consecutivoReceptor solo corresponde a un mensaje receptor"
    if request.clave[21:41] != document.consecutivo:
        return (
            f"El consecutivo de la clave [{request.clave[21:41]}] no corresponde al NumeroConsecutivo "
            f"[{document.consecutivo}]"
        )
    issuers = [document.emisor.numero] if document.emisor else []
    if document.root == "FacturaElectronicaCompra" and document.receptor:
        issuers.append(document.receptor.numero)
    if not any(_same_id(request.clave[9:21], issuer) for issuer in issuers):
        return (
            f"La identificación de la clave [{request.clave[9:21]}] no corresponde a la identificación "
            "del emisor del comprobante"
        )
    if document.emisor is None or not _same_id(json_emisor, document.emisor.numero):
        return "El emisor no corresponde al Emisor del comprobante"
    if request.emisor["tipoIdentificacion"] != document.emisor.tipo:
        return "El tipoIdentificacion del emisor no corresponde al Emisor del comprobante"
    if document.receptor is not None and document.receptor.numero:
        if request.receptor is None:
            return "El campo receptor es requerido: el comprobante tiene Receptor"
        if not _same_id(request.receptor["numeroIdentificacion"], document.receptor.numero):
            return "El receptor no corresponde al Receptor del comprobante"
    elif request.receptor is not None:
        return "El comprobante no tiene Receptor y la solicitud indica uno"
    return None


class ReceptionService:
    """The synchronous side of the API: what a POST or a GET answers."""

    def __init__(
        self,
        config: HaciendaSandboxConfig,
        clock: Callable[[], float],
        store: RecordStore,
        schemas: SchemaSet,
        trusted: list[x509.Certificate],
    ) -> None:
        self._config = config
        self._clock = clock
        self._store = store
        self._schemas = schemas
        self._trusted = trusted

    def receive(self, principal: Principal, raw: bytes, location_base: str) -> Answer:
        try:
            request = _parse_request(raw, self._config.max_identification_length)
        except _Invalid as exc:
            return _bad(exc.cause, validation=True)
        try:
            document = read(_xml.parse(request.xml))
        except _xml.XmlRefused as exc:
            return _bad(f"El comprobanteXml no es un XML válido: {exc}")
        except NotAComprobante as exc:
            return _bad(str(exc))
        inconsistency = _consistency(request, document)
        if inconsistency is not None:
            return _bad(inconsistency)
        key = request.clave
        if document.is_mensaje_receptor:
            key = f"{request.clave}-{request.consecutivo_receptor}"
        if self._store.get(key) is not None:
            return self._duplicate(key)
        if self._config.strict_reception:
            now = dt.datetime.fromtimestamp(self._clock(), dt.UTC)
            problems = schema_findings(self._schemas, document) or signature_findings(
                document, self._config, self._trusted, now
            )
            if problems:
                first = problems[0]
                return _bad(f"{first.mensaje} (fila {first.fila}, columna {first.columna})")
        record = Record(
            key=key,
            clave=request.clave,
            fecha=request.fecha,
            emisor=request.emisor,
            receptor=request.receptor,
            callback_url=request.callback_url,
            xml=request.xml,
            received_at=self._clock(),
            cedula=principal.cedula,
            issuer_name=document.emisor.nombre if document.emisor else "",
            document=document,
        )
        if not self._store.add(record):
            return self._duplicate(key)
        return Answer(self._config.reception_status, {"Location": f"{location_base.rstrip('/')}/{key}"})

    def _duplicate(self, key: str) -> Answer:
        return _bad(f"El comprobante con la Clave [{key}] ya fue recibido anteriormente.")

    def status(self, key: str) -> Answer:
        record = self._store.get(key)
        now = self._clock()
        if record is None or now < record.received_at + self._config.indexing_delay_s:
            return Answer(404, {"X-Error-Cause": f"No existe el recurso con Clave = [{key}]"})
        return Answer(200, body=status_body(record, now, self._config.recibido_s))
