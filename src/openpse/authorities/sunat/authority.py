"""SUNAT as an :class:`~openpse.authorities.base.Authority`: facturas and boletas by sendBill.

What each SUNAT answer means for the document (SUNAT reference §1.5, §3.3; greenter and
Odoo behaviour notes):

* CDR with ResponseCode 0 → aceptado, or observado when it carries notes ≥ 4000;
* CDR or fault 2000–3999 → rechazado (the number is consumed);
* fault 1033 ("registrado previamente") → the document is there: fetch its CDR
  (getStatusCdr) instead of failing; 1032 → it is there, rejected or voided;
* other faults 0100–1999 → nothing registered: retried with back-off when retrying can
  help, ``fallido`` at once when the same bytes can never pass (zip or XML format);
* timeout, reset, empty or unreadable answer → desconocido, reconciled by query.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

import httpx2
from lxml import etree
from pydantic import ValidationError

from openpse.authorities.base import (
    Authority,
    Draft,
    EmpresaContext,
    Outcome,
    Prepared,
    RegistryLookup,
    Submission,
    SummaryTarget,
    VoidTarget,
)
from openpse.authorities.sunat import anulacion, codes, resumen_diario, resumenes, rules
from openpse.authorities.sunat.cdr import Cdr, CdrError, other_content, parse_cdr_zip
from openpse.authorities.sunat.endpoints import endpoints_for
from openpse.authorities.sunat.models import Ajuste as AjusteIn
from openpse.authorities.sunat.models import ComprobanteIn, FormaPago, Item
from openpse.authorities.sunat.naming import DocumentName, zip_single
from openpse.authorities.sunat.soap import Credentials, SoapFault, SunatSoapClient, TransportError
from openpse.authorities.sunat.totals import (
    IVAP_RATE,
    Ajuste,
    AnticipoInput,
    DocumentTotals,
    IscInput,
    LineInput,
    compute_document,
    compute_line,
)
from openpse.authorities.sunat.ubl import invoice as ubl
from openpse.authorities.sunat.ubl.ns import CAC, CBC, CREDIT_NOTE, DEBIT_NOTE, EXT, INVOICE
from openpse.core import xmlsafe
from openpse.core.errors import BadRequest, Code, Issue, IssueCollector, ValidationFailed
from openpse.core.money import fmt2, round2, round_to
from openpse.core.timeutil import now_lima
from openpse.core.words import amount_in_words
from openpse.documents.states import Estado
from openpse.signing import xmldsig

TOLERANCIA = Decimal("1.00")
"""SUNAT checks every total "con una tolerancia + - 1"."""

# Exceptions worth retrying: SUNAT or its authentication service was unavailable, or
# the credentials/profile may be fixed by the issuer meanwhile.
_RETRYABLE_EXCEPTIONS = {
    "0100",
    "0101",
    "0102",
    "0103",
    "0104",
    "0105",
    "0106",
    "0109",
    "0110",
    "0111",
    "0112",
    "0113",
    "0125",
    "0140",
    "0154",
    "1078",
}
_RETRYABLE_RANGES = ((130, 138), (200, 299))
_NAMES = {"01": "Factura", "03": "Boleta", "07": "Nota de Credito", "08": "Nota de Debito"}
# Root element of a client-built document → its tipo (None: read InvoiceTypeCode).
_XML_ROOTS: dict[tuple[str, str], str | None] = {
    (INVOICE, "Invoice"): None,
    (CREDIT_NOTE, "CreditNote"): "07",
    (DEBIT_NOTE, "DebitNote"): "08",
}


LEYENDA_GRATUITA = "TRANSFERENCIA GRATUITA DE UN BIEN Y/O SERVICIO PRESTADO GRATUITAMENTE"
LEYENDA_IVAP = "Operación sujeta al IVAP"


def _ajuste(value: Decimal | AjusteIn | None, defecto: str) -> tuple[Ajuste, ...]:
    if value is None:
        return ()
    if isinstance(value, Decimal):
        return (Ajuste(defecto, monto=value),)
    factor = value.porcentaje / 100 if value.porcentaje is not None else None
    return (Ajuste(value.codigo or defecto, monto=value.monto, factor=factor, base=value.base),)


def _line_input(item: Item, sin_valor: bool = False) -> LineInput:
    """``sin_valor``: a line of a credit note of motivo 13, which corrects the cuotas and
    carries no amount (3315): its unit value is zero when omitted (the rules refuse any
    other value before this point)."""
    bolsas = None
    if item.icbper is not None:
        bolsas = item.icbper.cantidad if item.icbper.cantidad is not None else int(item.cantidad)
    return LineInput(
        cantidad=item.cantidad,
        afectacion=item.afectacion_igv,
        valor_unitario=Decimal(0)
        if sin_valor and item.valor_unitario is None and item.precio_unitario is None
        else item.valor_unitario,
        precio_unitario=item.precio_unitario,
        valor_referencial=item.valor_referencial,
        ajustes=_ajuste(item.descuento, "00") + _ajuste(item.cargo, "47"),
        isc=IscInput(item.isc.sistema, item.isc.tasa, item.isc.precio_sugerido) if item.isc else None,
        otros_tasa=item.otros_tributos.tasa if item.otros_tributos else None,
        otros_base=item.otros_tributos.base if item.otros_tributos else None,
        bolsas=bolsas,
    )


def _globales(model: ComprobanteIn) -> tuple[Ajuste, ...]:
    return tuple(ajuste for value in model.descuentos_globales for ajuste in _ajuste(value, "02")) + tuple(
        ajuste for value in model.cargos for ajuste in _ajuste(value, "50")
    )


_PROPIEDADES_1002 = (
    ("3001", "Matrícula de la embarcación", "matricula_embarcacion"),
    ("3002", "Nombre de la embarcación", "nombre_embarcacion"),
    ("3003", "Tipo de especie vendida", "especie"),
    ("3004", "Lugar de descarga", "lugar_descarga"),
)
LEYENDA_ITINERANTE = "Venta realizada por emisor itinerante"


def _propiedades(item: Item) -> tuple[ubl.Propiedad, ...]:
    """Catálogo 55 properties of a line: 3001–3006 (operation 1002, recursos
    hidrobiológicos), 4030–4033 (0301, carta de porte aéreo), 7004/7005/7012 (2100–2102,
    credits), 7013–7016 (2104, insurance) and 7017–7019 (2105, AFP)."""
    propiedades: list[ubl.Propiedad] = []
    datos = item.recursos_hidrobiologicos
    if datos is not None:
        propiedades.extend(
            ubl.Propiedad(codigo, nombre, getattr(datos, campo))
            for codigo, nombre, campo in _PROPIEDADES_1002
        )
        propiedades.append(ubl.Propiedad("3005", "Fecha de descarga", fecha=datos.fecha_descarga))
        propiedades.append(
            ubl.Propiedad("3006", "Cantidad de la especie vendida", toneladas=datos.cantidad_especie)
        )
    aereo = item.carta_porte_aereo
    if aereo is not None:
        propiedades += [
            ubl.Propiedad("4030", "Lugar de origen - Código de ubigeo", aereo.origen.ubigeo),
            ubl.Propiedad("4031", "Lugar de origen - Dirección detallada", aereo.origen.direccion),
            ubl.Propiedad("4032", "Lugar de destino - Código de ubigeo", aereo.destino.ubigeo),
            ubl.Propiedad("4033", "Lugar de destino - Dirección detallada", aereo.destino.direccion),
        ]
    credito = item.credito
    if credito is not None:
        propiedades += [
            ubl.Propiedad("7004", "Número de contrato", credito.numero_contrato),
            ubl.Propiedad(
                "7005", "Fecha de otorgamiento del crédito", credito.fecha_otorgamiento.isoformat()
            ),
            ubl.Propiedad("7012", "Monto del crédito otorgado (capital)", fmt2(credito.monto_capital)),
        ]
    seguro = item.seguro
    if seguro is not None:
        if seguro.numero_poliza is not None:
            propiedades.append(ubl.Propiedad("7013", "Número de póliza", seguro.numero_poliza))
        if seguro.vigencia_inicio is not None:
            propiedades.append(
                ubl.Propiedad(
                    "7014",
                    "Fecha de inicio/término de vigencia de cobertura",
                    fecha=seguro.vigencia_inicio,
                    fecha_fin=seguro.vigencia_fin,
                )
            )
        propiedades.append(ubl.Propiedad("7015", "Tipo de seguro", seguro.tipo_seguro))
        if seguro.suma_asegurada is not None:
            propiedades.append(ubl.Propiedad("7016", "Suma asegurada", fmt2(seguro.suma_asegurada)))
    afp = item.afp
    if afp is not None:
        propiedades += [
            ubl.Propiedad("7017", "CUSPP", afp.cuspp),
            ubl.Propiedad("7018", "Periodo", afp.periodo),
            ubl.Propiedad("7019", "Monto del interés moratorio", cantidad=afp.interes_moratorio),
        ]
    return tuple(propiedades)


def _transporte(item: Item) -> ubl.TransporteCarga | None:
    """The freight data of a line of operation 1004."""
    datos = item.transporte_carga
    if datos is None:
        return None
    return ubl.TransporteCarga(
        origen=ubl.Direccion(datos.origen.direccion, datos.origen.ubigeo),
        destino=ubl.Direccion(datos.destino.direccion, datos.destino.ubigeo),
        detalle=datos.detalle_viaje,
        valores=(
            ("01", round2(datos.valor_referencial_servicio)),
            ("02", round2(datos.valor_referencial_carga_efectiva)),
            ("03", round2(datos.valor_referencial_carga_util)),
        ),
        configuracion=datos.configuracion_vehicular,
        carga_util=datos.carga_util,
        carga_efectiva=datos.carga_efectiva,
    )


def _entrega(model: ComprobanteIn) -> ubl.Direccion | None:
    venta = model.venta_itinerante
    if venta is None:
        return None
    return ubl.Direccion(
        venta.direccion,
        venta.ubigeo,
        venta.urbanizacion,
        venta.provincia,
        venta.departamento,
        venta.distrito,
        pais="PE",
    )


_CONTADO = FormaPago()
_FORMA_PAGO = etree.XPath(
    "/*/cac:PaymentTerms[cbc:ID = 'FormaPago']/cbc:PaymentMeansID[1]/text()",
    namespaces={"cac": CAC, "cbc": CBC},
)


def _forma_pago(xml: bytes) -> str | None:
    """The FormaPago of a stored invoice (Contado, Credito), or None when it has none."""
    found = _FORMA_PAGO(xmlsafe.parse(xml))
    return str(found[0]).strip() if isinstance(found, list) and found else None


_TITLES = {
    "01": "Factura electrónica",
    "03": "Boleta de venta electrónica",
    "07": "Nota de crédito electrónica",
    "08": "Nota de débito electrónica",
    "09": "Guía de remisión remitente electrónica",
    "31": "Guía de remisión transportista electrónica",
    "20": "Comprobante de retención electrónico",
    "40": "Comprobante de percepción electrónico",
}
LEYENDA_DETRACCION = "OPERACIÓN SUJETA AL SISTEMA DE PAGO DE OBLIGACIONES TRIBUTARIAS CON EL GOBIERNO CENTRAL"
LEYENDA_PERCEPCION = "COMPROBANTE DE PERCEPCIÓN"
_ANTICIPO_CODIGO = {"gravado": "04", "exonerado": "05", "inafecto": "06"}


def _anticipos(model: ComprobanteIn, rate: Decimal) -> tuple[AnticipoInput, ...]:
    """Advances as the totals need them: a taxed advance leaves the base without its IGV."""
    return tuple(
        AnticipoInput(
            _ANTICIPO_CODIGO[a.afectacion],
            valor=round2(
                a.valor
                if a.valor is not None
                else (a.monto / (1 + rate) if a.afectacion == "gravado" else a.monto)
            ),
            monto=round2(a.monto),
        )
        for a in model.anticipos
    )


def _detraccion(model: ComprobanteIn, totals: DocumentTotals) -> ubl.Detraccion | None:
    detraccion = model.detraccion
    if detraccion is None:
        return None
    porcentaje = round_to(detraccion.porcentaje, 5)
    # In soles (3208); a document in another currency brings the amount (checked by the rules).
    monto = round2(detraccion.monto if detraccion.monto is not None else totals.total * porcentaje / 100)
    return ubl.Detraccion(detraccion.codigo, detraccion.cuenta, porcentaje, monto, detraccion.medio_pago)


def _percepcion(model: ComprobanteIn, totals: DocumentTotals) -> tuple[ubl.Percepcion | None, Decimal | None]:
    """The percepción to write, and the amount SUNAT expects (base × rate, 2798)."""
    percepcion = model.percepcion
    if percepcion is None or percepcion.codigo not in rules.PERCEPCION_TASAS:
        return None, None
    factor = rules.PERCEPCION_TASAS[percepcion.codigo]
    base = round2(percepcion.base if percepcion.base is not None else totals.total)
    calculada = round2(base * factor)
    monto = round2(percepcion.monto) if percepcion.monto is not None else calculada
    return ubl.Percepcion(percepcion.codigo, factor, base, monto, base + monto), calculada


def _retryable(code: str) -> bool:
    if code in _RETRYABLE_EXCEPTIONS:
        return True
    value = int(code) if code.isdigit() else 0
    return any(low <= value <= high for low, high in _RETRYABLE_RANGES)


def _validation_issues(exc: ValidationError) -> list[Issue]:
    issues = []
    for error in exc.errors():
        path = ""
        for part in error["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        issues.append(Issue(Code.CAMPO_INVALIDO, error["msg"], path or None))
    return issues


def _respuesta(
    codigo: str, descripcion: str, observaciones: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    return {"codigo": codigo, "descripcion": descripcion, "observaciones": observaciones or []}


def _same_document(reference_id: str, expected_id: str) -> bool:
    """``F001-00000001`` and ``F001-1`` are the same document; a CDR without reference is trusted."""
    if not reference_id:
        return True
    serie, _, numero = reference_id.rpartition("-")
    expected_serie, _, expected_numero = expected_id.rpartition("-")
    return serie == expected_serie and numero.isdigit() and int(numero) == int(expected_numero)


def outcome_from_cdr(
    cdr: Cdr, cdr_zip: bytes | None, expected_id: str, expected_hash: str | None = None
) -> Outcome:
    """The next state for a document given the CDR SUNAT (or an OSE) sent back; with
    ``expected_hash`` (the DigestValue of what we sent) an OSE's DocumentHash must match."""
    if not _same_document(cdr.reference_id, expected_id):
        return Outcome(Estado.ERROR, detalle=f"CDR de otro comprobante: {cdr.reference_id} ≠ {expected_id}")
    mismatch = other_content(cdr, expected_hash)
    if mismatch is not None:
        return mismatch
    respuesta = _respuesta(cdr.response_code, cdr.description, [o.as_api() for o in cdr.observaciones])
    kind = cdr.kind
    if kind is codes.Kind.ACEPTADO:
        return Outcome(Estado.ACEPTADO, respuesta, cdr=cdr.xml, cdr_zip=cdr_zip)
    if kind is codes.Kind.OBSERVACION:
        return Outcome(Estado.OBSERVADO, respuesta, cdr=cdr.xml, cdr_zip=cdr_zip)
    if kind is codes.Kind.RECHAZO:
        return Outcome(Estado.RECHAZADO, respuesta, cdr=cdr.xml, cdr_zip=cdr_zip)
    # A CDR carrying an exception code is not a decision on the document (greenter
    # treats it the same way): retry.
    return Outcome(Estado.ERROR, respuesta, detalle=f"CDR con código de excepción {cdr.response_code}")


class SunatAuthority(Authority):
    pais = "PE"

    def __init__(self, http: httpx2.Client, sandbox_url: str) -> None:
        self._soap = SunatSoapClient(http)
        self._sandbox_url = sandbox_url

    # -- building -------------------------------------------------------------------------

    def parse(self, payload: Any) -> Draft:
        try:
            model = ComprobanteIn.model_validate(payload)
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

    def prepare(self, draft: Draft, numero: int, empresa: EmpresaContext, today: dt.date) -> Prepared:
        model: ComprobanteIn = draft.model
        warnings: list[Issue] = []
        document, signed = self.build_signed(model, numero, empresa, today, warnings)
        name = DocumentName(empresa.identificacion, model.tipo, model.serie, numero)
        return Prepared(
            id=name.base,
            tipo=model.tipo,
            serie=model.serie,
            numero=numero,
            fecha_emision=document.fecha_emision,
            moneda=model.moneda,
            total=f"{document.totals.total:.2f}",
            totales=document.totals.as_api(),
            cliente_tipo=model.cliente.tipo_documento,
            cliente_numero=model.cliente.numero_documento,
            cliente_nombre=model.cliente.razon_social,
            cliente_email=model.cliente.email,
            xml_name=name.xml,
            xml=signed.xml,
            hash=signed.digest_value,
            envio_name=name.zip,
            envio=zip_single(name.xml, signed.xml),
            observaciones=[
                {"codigo": w.cod, "descripcion": w.mensaje, "campo": w.campo or ""} for w in warnings
            ],
        )

    def build_signed(
        self,
        model: ComprobanteIn,
        numero: int,
        empresa: EmpresaContext,
        today: dt.date,
        warnings: list[Issue] | None = None,
    ) -> tuple[ubl.Invoice, xmldsig.SignedXml]:
        """Apply the rules, compute the totals, build the UBL and sign it.

        SUNAT's observations found on the way are appended to ``warnings``.
        """
        now = now_lima()
        fecha = model.fecha_emision or today
        issues = IssueCollector()
        rules.check_document(model, fecha, today, issues)
        rules.check_cliente(model, issues)
        rules.check_items(model, issues)
        rules.check_pagos(model, empresa.identificacion, issues)
        issues.raise_if_any()

        rate = (model.porcentaje_igv or Decimal(18)) / 100
        sin_valor = rules.is_motivo_13(model)
        lines = [compute_line(_line_input(item, sin_valor), rate, fecha) for item in model.items]
        anticipos = _anticipos(model, IVAP_RATE if rules.is_ivap(lines) else rate)
        totals = compute_document(lines, rate, _globales(model), anticipos)
        detraccion = _detraccion(model, totals)
        percepcion, percepcion_calculada = _percepcion(model, totals)
        if not sin_valor:
            rules.check_line_values(lines, issues)
        rules.check_pagos_totales(model, totals, percepcion_calculada, issues)
        rules.check_boleta_identificada(model, totals.total, issues)
        rules.check_leyendas_totales(model, totals, issues)
        neto = totals.total - detraccion.monto if detraccion is not None and model.moneda == "PEN" else None
        rules.check_forma_pago(model, fecha, totals.total, issues, neto)
        if sin_valor and model.documento_afectado is not None and empresa.documentos is not None:
            afectado_doc = model.documento_afectado
            original = empresa.documentos(afectado_doc.tipo, afectado_doc.serie, afectado_doc.numero)
            if original is not None:
                rules.check_motivo_13_original(
                    model,
                    rules.FacturaOriginal(
                        original.fecha_emision,
                        original.moneda,
                        Decimal(original.total),
                        _forma_pago(original.xml),
                    ),
                    empresa.destino == "ose",
                    issues,
                )
        self._check_declared_totals(model, totals, issues)
        issues.raise_if_any()
        if warnings is not None:
            warnings.extend(issues.warnings)

        if empresa.certificate is None:
            raise ValidationFailed(
                Issue(Code.SIN_CERTIFICADO, "La empresa no tiene certificado digital cargado")
            )
        leyendas = [("1000", amount_in_words(totals.total, model.moneda))]
        if totals.gratuito:
            leyendas.append(("1002", LEYENDA_GRATUITA))
        if totals.ivap:
            leyendas.append(("2007", LEYENDA_IVAP))
        if detraccion is not None:
            leyendas.append(("2006", LEYENDA_DETRACCION))
        if percepcion is not None:
            leyendas.append(("2000", LEYENDA_PERCEPCION))
        if model.venta_itinerante is not None:
            leyendas.append(("2005", LEYENDA_ITINERANTE))
        leyendas.extend((leyenda.codigo, leyenda.descripcion) for leyenda in model.leyendas)
        afectado, motivo = model.documento_afectado, model.motivo
        # FormaPago travels in facturas (3244) and in credit notes of motivo 13 (3257) only;
        # a boleta's "Contado" is accepted in the request and not written (3128).
        forma_pago: FormaPago | None = None
        if model.tipo == "01":
            forma_pago = model.forma_pago or _CONTADO
        elif model.tipo == "07" and motivo is not None and motivo.codigo == "13":
            forma_pago = model.forma_pago
        document = ubl.Invoice(
            tipo=model.tipo,
            serie=model.serie,
            numero=numero,
            fecha_emision=fecha,
            hora_emision=model.hora_emision or now.time(),
            moneda=model.moneda,
            tipo_operacion=model.tipo_operacion,
            emisor=self._emisor(empresa),
            receptor=ubl.Receptor(
                model.cliente.tipo_documento,
                model.cliente.numero_documento,
                model.cliente.razon_social,
                model.cliente.direccion,
            ),
            lineas=[
                ubl.Linea(
                    item.descripcion,
                    item.unidad,
                    line,
                    item.codigo,
                    item.codigo_producto_sunat,
                    _propiedades(item),
                    _transporte(item),
                )
                for item, line in zip(model.items, lines, strict=True)
            ],
            totals=totals,
            leyendas=leyendas,
            forma_pago=forma_pago.tipo if forma_pago is not None else None,
            monto_pendiente=rules.monto_pendiente(model, forma_pago) if forma_pago is not None else None,
            cuotas=[ubl.Cuota(c.monto, c.fecha_pago) for c in forma_pago.cuotas]
            if forma_pago is not None
            else [],
            fecha_vencimiento=model.fecha_vencimiento,
            observaciones=model.observaciones,
            orden_compra=model.orden_compra,
            nota=ubl.Nota(
                afectado.tipo, f"{afectado.serie}-{afectado.numero}", motivo.codigo, motivo.descripcion
            )
            if afectado is not None and motivo is not None
            else None,
            guias=[(g.tipo, f"{g.serie}-{g.numero}") for g in model.guias],
            documentos=[(d.tipo, d.numero) for d in model.documentos_relacionados],
            detraccion=detraccion,
            percepcion=percepcion,
            anticipos=[
                ubl.Anticipo(
                    f"{index:02d}",
                    a.tipo,
                    f"{a.serie}-{a.numero}",
                    a.ruc_emisor or empresa.identificacion,
                    round2(a.monto),
                )
                for index, a in enumerate(model.anticipos, start=1)
            ],
            entrega=_entrega(model),
        )
        signed = xmldsig.sign_canonical(
            ubl.build_invoice(document),
            empresa.certificate,
            xmldsig.SunatSignatureProfile.named(empresa.firma_algoritmo),
        )
        return document, signed

    @staticmethod
    def _emisor(empresa: EmpresaContext) -> ubl.Emisor:
        d = empresa.direccion
        return ubl.Emisor(
            ruc=empresa.identificacion,
            razon_social=empresa.razon_social,
            nombre_comercial=empresa.nombre_comercial,
            ubigeo=d.get("ubigeo"),
            departamento=d.get("departamento"),
            provincia=d.get("provincia"),
            distrito=d.get("distrito"),
            urbanizacion=d.get("urbanizacion"),
            direccion=d.get("direccion"),
            codigo_establecimiento=d.get("codigo_establecimiento") or "0000",
        )

    @staticmethod
    def _check_declared_totals(model: ComprobanteIn, totals: DocumentTotals, issues: IssueCollector) -> None:
        declared = model.totales
        if declared is None:
            return
        # The codes of the sheet's total checks: ERROR for facturas and their notes, the
        # older OBSERV codes for boletas and theirs (Control de Cambios, 2021-04-06).
        factura = model.tipo == "01" or (model.tipo in ("07", "08") and model.serie.startswith("F"))
        checks = {
            "gravado": (totals.gravado, "3277", "4299"),
            "exonerado": (totals.exonerado, "3275", "4297"),
            "inafecto": (totals.inafecto, "3274", "4296"),
            "exportacion": (totals.exportacion, "3273", "4295"),
            "gratuito": (totals.gratuito, "3276", "4298"),
            "igv": (totals.igv, "3291", "4290"),
            "isc": (totals.isc, "3294", "4301"),
            "icbper": (totals.icbper, "3306", "3306"),
            "otros_tributos": (totals.otros, "3294", "3294"),
            "anticipos": (totals.anticipos, "2509", "2509"),
            "total": (totals.total, "3280", "4312"),
        }
        for campo, (ours, error, observation) in checks.items():
            theirs = getattr(declared, campo)
            if theirs is not None and abs(round2(theirs) - ours) > TOLERANCIA:
                code = error if factura else observation
                issues.add(
                    code,
                    f"{codes.message(code)} (declarado {round2(theirs):.2f}, calculado {ours:.2f})",
                    f"totales.{campo}",
                )

    def _sign_client_xml(
        self, xml: bytes, empresa: EmpresaContext
    ) -> tuple[etree._Element, xmldsig.SignedXml, str, str, int, str]:
        """Check the identity of a client-built UBL document and sign it.

        Returns the signed tree, the signature, tipo, serie, número and the SHA-256 of the
        canonical unsigned document (its identity for idempotency).
        """
        root = xmlsafe.parse_request(xml)
        qname = etree.QName(root)
        key = (qname.namespace or "", qname.localname)
        if key not in _XML_ROOTS:
            raise ValidationFailed(
                Issue(
                    Code.NO_SOPORTADO,
                    f"Documento XML {qname.localname} aún no soportado; se aceptan Invoice (01, 03), "
                    "CreditNote (07) y DebitNote (08) UBL 2.1",
                )
            )
        ns = {"cbc": CBC, "cac": CAC, "ext": EXT}
        tipo = _XML_ROOTS[key] or (root.findtext("cbc:InvoiceTypeCode", namespaces=ns) or "")
        if tipo not in rules.TIPOS_SOPORTADOS:
            raise ValidationFailed(Issue("1003", codes.message("1003"), "InvoiceTypeCode"))
        serie, _, numero_text = (root.findtext("cbc:ID", namespaces=ns) or "").partition("-")
        if (
            not rules.SERIE[tipo].match(serie)
            or not numero_text.isdigit()
            or not 1 <= int(numero_text) <= 99999999
        ):
            raise ValidationFailed(Issue("1001", codes.message("1001"), "ID"))
        ruc = root.findtext(
            "cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID", namespaces=ns
        )
        if ruc != empresa.identificacion:
            raise ValidationFailed(
                Issue(
                    "1034",
                    codes.message("1034") + f" ({ruc} ≠ {empresa.identificacion})",
                    "AccountingSupplierParty",
                )
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
        return root, signed, tipo, serie, int(numero_text), content_hash

    def sign_xml(self, xml: bytes, empresa: EmpresaContext) -> tuple[bytes, str]:
        _root, signed, *_rest = self._sign_client_xml(xml, empresa)
        return signed.xml, signed.digest_value

    def prepare_xml(self, xml: bytes, empresa: EmpresaContext) -> tuple[Draft, Prepared]:
        root, signed, tipo, serie, numero, content_hash = self._sign_client_xml(xml, empresa)
        ns = {"cbc": CBC, "cac": CAC}
        name = DocumentName(empresa.identificacion, tipo, serie, numero)
        fecha = dt.date.fromisoformat(
            root.findtext("cbc:IssueDate", namespaces=ns) or now_lima().date().isoformat()
        )
        monetary = "cac:RequestedMonetaryTotal" if tipo == "08" else "cac:LegalMonetaryTotal"
        payable = root.findtext(f"{monetary}/cbc:PayableAmount", namespaces=ns) or "0"
        igv = root.findtext("cac:TaxTotal/cbc:TaxAmount", namespaces=ns) or "0"
        customer = root.find("cac:AccountingCustomerParty/cac:Party/cac:PartyIdentification/cbc:ID", ns)
        draft = Draft(tipo=tipo, serie=serie, numero=numero, content_hash=content_hash, model=None)
        prepared = Prepared(
            id=name.base,
            tipo=tipo,
            serie=serie,
            numero=numero,
            fecha_emision=fecha,
            moneda=root.findtext("cbc:DocumentCurrencyCode", namespaces=ns) or "PEN",
            total=payable,
            totales={"igv": igv, "total": payable},
            cliente_tipo=customer.get("schemeID") if customer is not None else None,
            cliente_numero=customer.text if customer is not None else None,
            cliente_nombre=root.findtext(
                "cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName",
                namespaces=ns,
            ),
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

    def document_title(self, tipo: str) -> str:
        return _TITLES.get(tipo, "Comprobante electrónico")

    def void_kind(self, target: VoidTarget, today: dt.date) -> str:
        return anulacion.void_kind(target, today)

    def prepare_void(
        self,
        kind: str,
        targets: list[VoidTarget],
        motivo: str,
        empresa: EmpresaContext,
        today: dt.date,
        numero: int,
        registry: RegistryLookup,
    ) -> Prepared:
        return anulacion.prepare_void(kind, targets, motivo, empresa, today, numero, registry)

    def summary_kind(self, tipo: str, serie: str) -> str | None:
        return "RC" if resumen_diario.by_summary(tipo, serie) else None

    def summary_reference(self, target: SummaryTarget) -> tuple[str, str, int] | None:
        return resumen_diario.affected_boleta(target.tipo, target.xml)

    def check_summary_line(
        self, target: SummaryTarget, empresa: EmpresaContext, today: dt.date, registry: RegistryLookup
    ) -> list[Issue]:
        return resumen_diario.check_line(target, empresa, today, registry)

    def prepare_summary(
        self,
        targets: list[SummaryTarget],
        empresa: EmpresaContext,
        today: dt.date,
        numero: int,
        registry: RegistryLookup,
    ) -> Prepared:
        return resumen_diario.prepare_summary(targets, empresa, today, numero, registry)

    def _summary_url(self, doc: Submission, empresa: EmpresaContext) -> str:
        return resumenes.summary_url(resumenes.TipoResumen(doc.tipo), empresa, self._sandbox_url)

    def submit(self, doc: Submission, empresa: EmpresaContext) -> Outcome:
        if doc.tipo in anulacion.SUMMARY_TYPES:
            return anulacion.submit_summary(
                self._soap, self._summary_url(doc, empresa), self._credentials(empresa), doc
            )
        endpoints = endpoints_for(empresa, self._sandbox_url)
        try:
            cdr_zip = self._soap.send_bill(
                endpoints.bill, self._credentials(empresa), doc.envio_name, doc.envio
            )
        except TransportError as exc:
            return Outcome(Estado.DESCONOCIDO, detalle=str(exc))
        except SoapFault as fault:
            return self._fault_outcome(fault, doc, empresa, after_resend=False)
        try:
            cdr = parse_cdr_zip(cdr_zip)
        except CdrError as exc:
            return Outcome(Estado.DESCONOCIDO, detalle=f"respuesta sin CDR legible: {exc}")
        return outcome_from_cdr(cdr, cdr_zip, f"{doc.serie}-{doc.numero}", doc.hash)

    def _fault_outcome(
        self, fault: SoapFault, doc: Submission, empresa: EmpresaContext, after_resend: bool
    ) -> Outcome:
        respuesta = _respuesta(fault.code, fault.message)
        detalle = f"SOAP fault {fault.faultcode}: {fault.message}"
        if fault.code == "1033":
            if after_resend:
                return self._registered_without_cdr(doc, fault)
            return self.reconcile(doc, empresa)
        if fault.code == "1032":
            return Outcome(Estado.RECHAZADO, respuesta, detalle=detalle)
        kind = codes.kind(fault.code)
        if kind is codes.Kind.RECHAZO:
            return Outcome(Estado.RECHAZADO, respuesta, detalle=detalle)
        if _retryable(fault.code):
            return Outcome(Estado.ERROR, respuesta, detalle=detalle)
        # Zip, name or XML format errors: the same bytes will never pass.
        return Outcome(Estado.FALLIDO, respuesta, detalle=detalle)

    @staticmethod
    def _registered_without_cdr(doc: Submission, fault: SoapFault) -> Outcome:
        # Resending the same signed bytes got "registrado previamente": SUNAT holds this
        # document as accepted (1033 applies to state 1), but gives no CDR for it here.
        name = _NAMES.get(doc.tipo, "Comprobante")
        return Outcome(
            Estado.ACEPTADO,
            _respuesta(
                "0",
                f"La {name} numero {doc.serie}-{doc.numero} ya estaba registrada en SUNAT (1033); "
                "su CDR no está disponible por consulta",
            ),
            detalle=f"1033 al reenviar: {fault.message}",
        )

    def reconcile(self, doc: Submission, empresa: EmpresaContext) -> Outcome:
        if doc.tipo in anulacion.SUMMARY_TYPES:
            return anulacion.poll_summary(
                self._soap, self._summary_url(doc, empresa), self._credentials(empresa), doc
            )
        endpoints = endpoints_for(empresa, self._sandbox_url)
        # billConsultService answers only for series starting with F (code 0010 otherwise).
        if endpoints.consult is not None and doc.serie.startswith("F"):
            try:
                status = self._soap.get_status_cdr(
                    endpoints.consult,
                    self._credentials(empresa),
                    empresa.identificacion,
                    doc.tipo,
                    doc.serie,
                    doc.numero,
                )
            except TransportError as exc:
                return Outcome(Estado.DESCONOCIDO, detalle=f"consulta sin respuesta: {exc}")
            except SoapFault as fault:
                return Outcome(Estado.DESCONOCIDO, detalle=f"consulta rechazada: {fault}")
            if status.content and status.content.startswith(b"PK"):
                try:
                    cdr = parse_cdr_zip(status.content)
                except CdrError as exc:
                    return Outcome(Estado.DESCONOCIDO, detalle=f"CDR de consulta ilegible: {exc}")
                return outcome_from_cdr(cdr, status.content, f"{doc.serie}-{doc.numero}", doc.hash)
            if status.status_code in ("0011", "0127"):
                return Outcome(
                    Estado.REGISTRADO,
                    detalle=f"SUNAT no tiene el comprobante ({status.status_code}): se reenvía",
                )
            return Outcome(
                Estado.DESCONOCIDO, detalle=f"consulta {status.status_code}: {status.status_message}"
            )
        # No consult service for this document: the same bytes are sent again, which SUNAT
        # either processes (first arrival) or answers 1033/1032 (already registered).
        try:
            cdr_zip = self._soap.send_bill(
                endpoints.bill, self._credentials(empresa), doc.envio_name, doc.envio
            )
        except TransportError as exc:
            return Outcome(Estado.DESCONOCIDO, detalle=str(exc))
        except SoapFault as fault:
            return self._fault_outcome(fault, doc, empresa, after_resend=True)
        try:
            cdr = parse_cdr_zip(cdr_zip)
        except CdrError as exc:
            return Outcome(Estado.DESCONOCIDO, detalle=f"respuesta sin CDR legible: {exc}")
        return outcome_from_cdr(cdr, cdr_zip, f"{doc.serie}-{doc.numero}", doc.hash)
