"""Retenciones (20) and percepciones (40) as an :class:`~openpse.authorities.base.Authority`.

Building: the request is checked with SUNAT's codes (:mod:`.rules`), its amounts
computed (:mod:`.amounts`), the UBL 2.0 written in canonical form (:mod:`.ubl`) and
signed once with :func:`~openpse.signing.xmldsig.sign_canonical`; the zip carries SUNAT's
name ``{RUC}-20-R001-1``.

Sending: sendBill to the "otros CPE" billService (:mod:`.endpoints`), whose answers mean
what they mean for facturas (SUNAT reference §1.5, §3.3): a CDR decides the state
(:func:`~openpse.authorities.sunat.authority.outcome_from_cdr`), exception faults
(0100–1999) are retried or failed, rejections (2000–3999, as a CDR or as a beta fault)
are final. SUNAT has no consult service for these documents (billConsultService answers
only 01, 07 and 08), so a lost answer is reconciled by sending the same signed bytes
again: SUNAT processes them if they never arrived, or answers 1033 if they did. A 1033
on the very first send of a number, on the other hand, means that SUNAT already holds
*another* document with it ("registrado previamente con otros datos"): that number is
lost, and the document is rejected rather than taken for accepted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from typing import Any

import httpx2
from lxml import etree
from pydantic import ValidationError

from openpse.authorities.base import Authority, Draft, EmpresaContext, Outcome, Prepared, Submission
from openpse.authorities.sunat import codes
from openpse.authorities.sunat.authority import outcome_from_cdr
from openpse.authorities.sunat.cdr import CdrError, parse_cdr_zip
from openpse.authorities.sunat.naming import DocumentName, zip_single
from openpse.authorities.sunat.retper import endpoints, rules, ubl
from openpse.authorities.sunat.retper.amounts import Calculo, Movimiento, Relacionado, calcular
from openpse.authorities.sunat.retper.kinds import KINDS, SAC, Kind
from openpse.authorities.sunat.retper.models import (
    ClientePercepcion,
    Direccion,
    PercepcionIn,
    Proveedor,
    RetencionIn,
    Solicitud,
    documentos_de,
    movimientos_de,
    receptor_de,
)
from openpse.authorities.sunat.soap import Credentials, SoapFault, SunatSoapClient, TransportError
from openpse.authorities.sunat.ubl.ns import CAC, CBC, EXT
from openpse.core import xmlsafe
from openpse.core.errors import BadRequest, Code, Issue, IssueCollector, ValidationFailed
from openpse.core.timeutil import now_lima
from openpse.documents.states import Estado
from openpse.signing import xmldsig

# Exceptions worth retrying: SUNAT or its authentication service was unavailable, or the
# credentials or the PSE link may be fixed by the issuer meanwhile (General sheet).
_RETRYABLE = frozenset(
    {"0100", "0101", "0102", "0103", "0104", "0105", "0106", "0109", "0110", "0111", "0112", "0113", "0125"}
    | {"0140", "0154", "1078"}
)
_RETRYABLE_RANGES = ((130, 138), (200, 299))
_ID = re.compile(r"([A-Z0-9]{4})-(\d{1,8})")


def _validation_issues(exc: ValidationError) -> list[Issue]:
    issues = []
    for error in exc.errors():
        path = ""
        for part in error["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        issues.append(Issue(Code.CAMPO_INVALIDO, error["msg"], path or None))
    return issues


def _retryable(code: str) -> bool:
    value = int(code) if code.isdigit() else 0
    return code in _RETRYABLE or any(low <= value <= high for low, high in _RETRYABLE_RANGES)


def _respuesta(codigo: str, descripcion: str) -> dict[str, Any]:
    return {"codigo": codigo, "descripcion": descripcion, "observaciones": []}


def relacionados(model: Solicitud) -> tuple[Relacionado, ...]:
    """The related documents with their payments numbered (1, 2… when the client omits it)."""
    result = []
    for documento in documentos_de(model):
        movimientos = tuple(
            Movimiento(
                numero=movimiento.numero if movimiento.numero is not None else position + 1,
                fecha=movimiento.fecha,
                importe=movimiento.importe,
                factor=movimiento.tipo_cambio.factor if movimiento.tipo_cambio is not None else None,
                fecha_cambio=movimiento.tipo_cambio.fecha if movimiento.tipo_cambio is not None else None,
            )
            for position, movimiento in enumerate(movimientos_de(documento))
        )
        result.append(
            Relacionado(
                tipo=documento.tipo,
                serie=documento.serie,
                numero=documento.numero,
                fecha_emision=documento.fecha_emision,
                moneda=documento.moneda,
                importe_total=documento.importe_total,
                movimientos=movimientos,
            )
        )
    return tuple(result)


def emisor_de(empresa: EmpresaContext) -> ubl.Parte:
    """The issuing company as cac:AgentParty."""
    d = empresa.direccion
    domicilio = ubl.Domicilio(
        ubigeo=d.get("ubigeo"),
        direccion=d.get("direccion"),
        urbanizacion=d.get("urbanizacion"),
        provincia=d.get("provincia"),
        departamento=d.get("departamento"),
        distrito=d.get("distrito"),
    )
    has_address = any(
        (
            domicilio.ubigeo,
            domicilio.direccion,
            domicilio.provincia,
            domicilio.departamento,
            domicilio.distrito,
        )
    )
    return ubl.Parte(
        tipo_documento="6",
        numero_documento=empresa.identificacion,
        razon_social=empresa.razon_social,
        nombre_comercial=empresa.nombre_comercial,
        domicilio=domicilio if has_address else None,
    )


def _domicilio(direccion: Direccion | None) -> ubl.Domicilio | None:
    if direccion is None:
        return None
    return ubl.Domicilio(
        ubigeo=direccion.ubigeo,
        direccion=direccion.direccion,
        urbanizacion=direccion.urbanizacion,
        provincia=direccion.provincia,
        departamento=direccion.departamento,
        distrito=direccion.distrito,
        pais=direccion.pais,
    )


def parte_de(receptor: Proveedor | ClientePercepcion) -> ubl.Parte:
    """The supplier or customer as cac:ReceiverParty."""
    return ubl.Parte(
        tipo_documento=receptor.tipo_documento,
        numero_documento=receptor.numero_documento,
        razon_social=receptor.razon_social,
        nombre_comercial=receptor.nombre_comercial,
        domicilio=_domicilio(receptor.direccion),
    )


def check_and_compute(
    model: Solicitud, empresa: EmpresaContext, fecha: dt.date, today: dt.date, issues: IssueCollector
) -> Calculo:
    """Apply every rule and compute the amounts; raise :class:`ValidationFailed` on any error.

    Observations stay in ``issues.warnings``.
    """
    kind = KINDS[model.tipo]
    emisor = emisor_de(empresa)
    rules.check_header(kind, model.serie, fecha, today, issues)
    rules.check_emisor(emisor, issues)
    rules.check_receptor(kind, model, empresa.identificacion, issues)
    rules.check_regimen(kind, model, issues)
    rules.check_documentos(kind, model, fecha, issues)
    issues.raise_if_any()
    tasa = kind.tasa(model.regimen)
    assert tasa is not None  # check_regimen refused an unknown régimen
    calculo = calcular(relacionados(model), tasa, kind.percepcion, kind.fuera_de_totales, model.redondeo)
    rules.check_calculo(kind, model, calculo, issues)
    rules.check_totales_declarados(kind, model, calculo, issues)
    issues.raise_if_any()
    return calculo


class RetPerAuthority(Authority):
    """SUNAT's comprobantes de retención (20) and percepción (40), by sendBill to "otros CPE"."""

    pais = "PE"

    def __init__(self, http: httpx2.Client, sandbox_url: str) -> None:
        self._soap = SunatSoapClient(http)
        self._sandbox_url = sandbox_url

    # -- building -------------------------------------------------------------------------

    def parse(self, payload: Any) -> Draft:
        tipo = payload.get("tipo") if isinstance(payload, dict) else None
        model_class: type[RetencionIn] | type[PercepcionIn] = PercepcionIn if tipo == "40" else RetencionIn
        try:
            model = model_class.model_validate(payload)
        except ValidationError as exc:
            raise ValidationFailed(_validation_issues(exc)) from exc
        canonical = json.dumps(model.model_dump(mode="json", exclude={"numero"}), sort_keys=True)
        return Draft(
            tipo=model.tipo,
            serie=model.serie,
            numero=model.numero,
            content_hash=hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
            model=model,
        )

    def build_signed(
        self,
        model: Solicitud,
        numero: int,
        empresa: EmpresaContext,
        today: dt.date,
        warnings: list[Issue] | None = None,
    ) -> tuple[ubl.Comprobante, xmldsig.SignedXml]:
        """Apply the rules, compute the amounts, build the UBL 2.0 and sign it.

        SUNAT's observations found on the way are appended to ``warnings``.
        """
        kind = KINDS[model.tipo]
        fecha = model.fecha_emision or today
        issues = IssueCollector()
        calculo = check_and_compute(model, empresa, fecha, today, issues)
        if warnings is not None:
            warnings.extend(issues.warnings)
        if empresa.certificate is None:
            raise ValidationFailed(
                Issue(Code.SIN_CERTIFICADO, "La empresa no tiene certificado digital cargado")
            )
        tasa = kind.tasa(model.regimen)
        assert tasa is not None
        document = ubl.Comprobante(
            kind=kind,
            serie=model.serie,
            numero=numero,
            fecha_emision=fecha,
            hora_emision=model.hora_emision or now_lima().time(),
            emisor=emisor_de(empresa),
            receptor=parte_de(receptor_de(model)),
            regimen=model.regimen,
            tasa=tasa,
            calculo=calculo,
            excepcional=isinstance(model, PercepcionIn) and model.excepcional,
            observaciones=model.observaciones,
        )
        signed = xmldsig.sign_canonical(
            ubl.build(document),
            empresa.certificate,
            xmldsig.SunatSignatureProfile.named(empresa.firma_algoritmo),
        )
        return document, signed

    def prepare(self, draft: Draft, numero: int, empresa: EmpresaContext, today: dt.date) -> Prepared:
        model: Solicitud = draft.model
        warnings: list[Issue] = []
        document, signed = self.build_signed(model, numero, empresa, today, warnings)
        name = DocumentName(empresa.identificacion, model.tipo, model.serie, numero)
        receptor = receptor_de(model)
        return Prepared(
            id=name.base,
            tipo=model.tipo,
            serie=model.serie,
            numero=numero,
            fecha_emision=document.fecha_emision,
            moneda="PEN",
            total=f"{document.calculo.total:.2f}",
            totales=document.calculo.as_api(document.kind.percepcion),
            cliente_tipo=receptor.tipo_documento,
            cliente_numero=receptor.numero_documento,
            cliente_nombre=receptor.razon_social,
            xml_name=name.xml,
            xml=signed.xml,
            hash=signed.digest_value,
            envio_name=name.zip,
            envio=zip_single(name.xml, signed.xml),
            observaciones=[
                {"codigo": w.cod, "descripcion": w.mensaje, "campo": w.campo or ""} for w in warnings
            ],
        )

    # -- documents the client built itself ------------------------------------------------

    def _sign_client_xml(
        self, xml: bytes, empresa: EmpresaContext
    ) -> tuple[etree._Element, xmldsig.SignedXml, Kind, str, int, str]:
        root = xmlsafe.parse_request(xml)
        qname = etree.QName(root)
        kind = next(
            (k for k in KINDS.values() if (k.namespace, k.root) == (qname.namespace, qname.localname)), None
        )
        if kind is None:
            raise ValidationFailed(
                Issue(
                    Code.NO_SOPORTADO,
                    f"Documento XML {qname.localname} no es un Retention ni un Perception UBL 2.0 de SUNAT",
                )
            )
        ns = {"cbc": CBC, "cac": CAC, "ext": EXT}
        match = _ID.fullmatch(root.findtext("cbc:ID", namespaces=ns) or "")
        if match is None or not match.group(1).startswith(kind.prefijo_serie) or int(match.group(2)) < 1:
            raise ValidationFailed(Issue("1001", codes.message("1001"), "ID"))
        ruc = root.findtext("cac:AgentParty/cac:PartyIdentification/cbc:ID", namespaces=ns)
        if ruc != empresa.identificacion:
            raise ValidationFailed(
                Issue("1034", codes.message("1034") + f" ({ruc} ≠ {empresa.identificacion})", "AgentParty")
            )
        if empresa.certificate is None:
            raise ValidationFailed(
                Issue(Code.SIN_CERTIFICADO, "La empresa no tiene certificado digital cargado")
            )
        if root.find("ext:UBLExtensions", ns) is None:
            extensions = etree.Element(f"{{{EXT}}}UBLExtensions")
            etree.SubElement(
                etree.SubElement(extensions, f"{{{EXT}}}UBLExtension"), f"{{{EXT}}}ExtensionContent"
            )
            root.insert(0, extensions)
        content_hash = hashlib.sha256(etree.tostring(root, method="c14n")).hexdigest()
        try:
            signed = xmldsig.sign(
                root, empresa.certificate, xmldsig.SunatSignatureProfile.named(empresa.firma_algoritmo)
            )
        except xmldsig.SigningError as exc:
            raise BadRequest(Issue(Code.CAMPO_INVALIDO, str(exc), "UBLExtensions")) from exc
        return root, signed, kind, match.group(1), int(match.group(2)), content_hash

    def sign_xml(self, xml: bytes, empresa: EmpresaContext) -> tuple[bytes, str]:
        _root, signed, *_rest = self._sign_client_xml(xml, empresa)
        return signed.xml, signed.digest_value

    def prepare_xml(self, xml: bytes, empresa: EmpresaContext) -> tuple[Draft, Prepared]:
        root, signed, kind, serie, numero, content_hash = self._sign_client_xml(xml, empresa)
        ns = {"cbc": CBC, "cac": CAC}
        name = DocumentName(empresa.identificacion, kind.tipo, serie, numero)
        fecha = dt.date.fromisoformat(
            root.findtext("cbc:IssueDate", namespaces=ns) or now_lima().date().isoformat()
        )
        total = root.findtext("cbc:TotalInvoiceAmount", namespaces=ns) or "0"
        neto = root.findtext(kind.total_neto, namespaces={"sac": SAC}) or "0"
        receptor = root.find("cac:ReceiverParty/cac:PartyIdentification/cbc:ID", ns)
        draft = Draft(tipo=kind.tipo, serie=serie, numero=numero, content_hash=content_hash, model=None)
        names = ("percibido", "cobrado") if kind.percepcion else ("retenido", "pagado")
        prepared = Prepared(
            id=name.base,
            tipo=kind.tipo,
            serie=serie,
            numero=numero,
            fecha_emision=fecha,
            moneda="PEN",
            total=total,
            totales={names[0]: total, names[1]: neto},
            cliente_tipo=receptor.get("schemeID") if receptor is not None else None,
            cliente_numero=receptor.text if receptor is not None else None,
            xml_name=name.xml,
            xml=signed.xml,
            hash=signed.digest_value,
            envio_name=name.zip,
            envio=zip_single(name.xml, signed.xml),
        )
        return draft, prepared

    # -- sending --------------------------------------------------------------------------

    def _credentials(self, empresa: EmpresaContext) -> Credentials:
        if not empresa.usuario and empresa.ambiente in ("sandbox", "beta"):
            # SUNAT's public test user, valid with any RUC at beta (and in our sandbox).
            return Credentials(empresa.identificacion, "MODDATOS", "moddatos")
        return Credentials(empresa.identificacion, empresa.usuario or "", empresa.clave or "")

    def _send(self, doc: Submission, empresa: EmpresaContext, resend: bool) -> Outcome:
        url = endpoints.bill_url(empresa, self._sandbox_url)
        try:
            cdr_zip = self._soap.send_bill(url, self._credentials(empresa), doc.envio_name, doc.envio)
        except TransportError as exc:
            return Outcome(Estado.DESCONOCIDO, detalle=str(exc))
        except SoapFault as fault:
            return self._fault_outcome(fault, doc, resend)
        try:
            cdr = parse_cdr_zip(cdr_zip)
        except CdrError as exc:
            return Outcome(Estado.DESCONOCIDO, detalle=f"respuesta sin CDR legible: {exc}")
        return outcome_from_cdr(cdr, cdr_zip, f"{doc.serie}-{doc.numero}", doc.hash)

    @staticmethod
    def _fault_outcome(fault: SoapFault, doc: Submission, resend: bool) -> Outcome:
        respuesta = _respuesta(fault.code, fault.message)
        detalle = f"SOAP fault {fault.faultcode}: {fault.message}"
        if fault.code == "1033":
            if resend or doc.intentos > 1:
                # These bytes (or an earlier attempt of this document) already reached
                # SUNAT, which holds the number as accepted; no service returns its CDR.
                nombre = KINDS[doc.tipo].nombre if doc.tipo in KINDS else "Comprobante"
                return Outcome(
                    Estado.ACEPTADO,
                    _respuesta(
                        "0",
                        f"El {nombre} numero {doc.serie}-{doc.numero} ya estaba registrado en SUNAT (1033); "
                        "su CDR no está disponible por consulta",
                    ),
                    detalle=f"1033 al reenviar: {fault.message}",
                )
            return Outcome(
                Estado.RECHAZADO, respuesta, detalle=f"número ya usado por otro documento: {detalle}"
            )
        if fault.code == "1032" or codes.kind(fault.code) is codes.Kind.RECHAZO:
            return Outcome(Estado.RECHAZADO, respuesta, detalle=detalle)
        if _retryable(fault.code):
            return Outcome(Estado.ERROR, respuesta, detalle=detalle)
        # Zip, name or XML format errors: the same bytes will never pass.
        return Outcome(Estado.FALLIDO, respuesta, detalle=detalle)

    def submit(self, doc: Submission, empresa: EmpresaContext) -> Outcome:
        return self._send(doc, empresa, resend=False)

    def reconcile(self, doc: Submission, empresa: EmpresaContext) -> Outcome:
        # No consult service for 20/40: the same signed bytes again (see the module docstring).
        return self._send(doc, empresa, resend=True)
