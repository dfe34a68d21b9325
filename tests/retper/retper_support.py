"""Builders and oracles for the retención (20) and percepción (40) tests.

Requests are the API's JSON; the empresa is the demo company with a test certificate.
The oracles are independent of the code under test: SUNAT's UBL 2.0 schemas from
../shared (lxml), signxml for the signature, and the sandbox emulator over real HTTP.
``build_unchecked`` writes a document with the production builder but without the
client's rules, so that a defect reaches the emulator and the emulator's own code for
the same row can be compared with the client's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx2
import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree
from signxml import SignatureConfiguration, XMLVerifier
from signxml.algorithms import DigestAlgorithm, SignatureMethod

from openpse import demo
from openpse.authorities.base import EmpresaContext
from openpse.authorities.sunat.cdr import Cdr, parse_cdr_zip
from openpse.authorities.sunat.naming import DocumentName, zip_single
from openpse.authorities.sunat.retper import authority, ubl
from openpse.authorities.sunat.retper.amounts import Calculo, calcular
from openpse.authorities.sunat.retper.kinds import KINDS
from openpse.authorities.sunat.retper.models import PercepcionIn, RetencionIn, Solicitud, receptor_de
from openpse.authorities.sunat.soap import Credentials, SoapFault, SunatSoapClient
from openpse.core.timeutil import now_lima
from openpse.signing import xmldsig
from openpse.signing.certificates import Certificate

RUC = demo.DEMO_RUC
RAZON_SOCIAL = demo.DEMO_RAZON_SOCIAL
PROVEEDOR = "20100070970"
CLIENTE = "20603343710"
BETA = "/ol-ti-itemision-otroscpe-gem-beta/billService"
PRODUCCION = "/ol-ti-itemision-otroscpe-gem/billService"
FACTURAS_BETA = "/ol-ti-itcpfegem-beta/billService"
CREDENTIALS = Credentials(RUC, "MODDATOS", "moddatos")
SCHEMAS = {"20": "UBLPE-Retention-1.0.xsd", "40": "UBLPE-Perception-1.0.xsd"}
# ../shared next to the repository, as the root conftest finds it (tests_support would
# import this folder's conftest under the same module name).
SHARED = Path(__file__).resolve().parents[2].parent / "shared"

INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
EXT = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"
DS = "http://www.w3.org/2000/09/xmldsig#"
SAC = "urn:sunat:names:specification:ubl:peru:schema:xsd:SunatAggregateComponents-1"
NS = {"cac": CAC, "cbc": CBC, "ext": EXT, "ds": DS, "sac": SAC}


def hoy() -> dt.date:
    return now_lima().date()


def empresa(certificate: Certificate, **overrides: Any) -> EmpresaContext:
    values: dict[str, Any] = {
        "id": 1,
        "pais": "PE",
        "identificacion": RUC,
        "razon_social": RAZON_SOCIAL,
        "nombre_comercial": "DEMO",
        "direccion": {
            "ubigeo": "150101",
            "direccion": "AV. JAVIER PRADO ESTE 123",
            "urbanizacion": "SAN ISIDRO",
            "provincia": "LIMA",
            "departamento": "LIMA",
            "distrito": "SAN ISIDRO",
        },
        "destino": "sunat",
        "ambiente": "sandbox",
        "ose_url": None,
        "usuario": None,
        "clave": None,
        "firma_algoritmo": "sha256",
        "certificate": certificate,
    }
    values.update(overrides)
    return EmpresaContext(**values)


def movimiento(
    importe: str,
    fecha: dt.date | None = None,
    numero: int | None = None,
    factor: str | None = None,
    fecha_cambio: dt.date | None = None,
) -> dict[str, Any]:
    """A payment (pagos) or collection (cobros)."""
    body: dict[str, Any] = {"fecha": (fecha or hoy()).isoformat(), "importe": importe}
    if numero is not None:
        body["numero"] = numero
    if factor is not None:
        cambio: dict[str, Any] = {"factor": factor}
        if fecha_cambio is not None:
            cambio["fecha"] = fecha_cambio.isoformat()
        body["tipo_cambio"] = cambio
    return body


def documento(
    movimientos: list[dict[str, Any]],
    tipo: str = "01",
    serie: str = "F001",
    numero: int = 1,
    fecha: dt.date | None = None,
    moneda: str = "PEN",
    total: str = "1180.00",
    clave: str = "pagos",
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "tipo": tipo,
        "serie": serie,
        "numero": numero,
        "fecha_emision": (fecha or hoy()).isoformat(),
        "moneda": moneda,
        "importe_total": total,
    }
    if movimientos:
        body[clave] = movimientos
    return body


def retencion(**overrides: Any) -> dict[str, Any]:
    """A valid comprobante de retención: one factura in PEN, paid in full today."""
    body: dict[str, Any] = {
        "tipo": "20",
        "serie": "R001",
        "regimen": "01",
        "proveedor": {
            "numero_documento": PROVEEDOR,
            "razon_social": "PROVEEDOR DEMO S.A.C.",
        },
        "documentos": [documento([movimiento("1180.00")])],
    }
    body.update(overrides)
    return body


def percepcion(**overrides: Any) -> dict[str, Any]:
    """A valid comprobante de percepción: one boleta in PEN, collected in full today."""
    body: dict[str, Any] = {
        "tipo": "40",
        "serie": "P001",
        "regimen": "01",
        "cliente": {
            "tipo_documento": "6",
            "numero_documento": CLIENTE,
            "razon_social": "CLIENTE DEMO S.A.C.",
        },
        "documentos": [documento([movimiento("1180.00")], tipo="03", serie="B001", clave="cobros")],
    }
    body.update(overrides)
    return body


@functools.cache
def _schema(tipo: str) -> etree.XMLSchema:
    path = SHARED / "sunat" / "xsd" / "2.0" / "maindoc" / SCHEMAS[tipo]
    if not path.exists():
        pytest.skip(f"../shared no está disponible ({path} no existe)")
    return etree.XMLSchema(etree.parse(str(path)))


def xsd_errors(xml: bytes, tipo: str) -> list[str]:
    """SUNAT's UBL 2.0 schema of the type, run by lxml."""
    schema = _schema(tipo)
    if schema.validate(etree.fromstring(xml)):
        return []
    return [f"{error.line}: {error.message}" for error in schema.error_log]


def verify_signature(xml: bytes, certificate: Certificate) -> bytes:
    """signxml's verdict on the enveloped signature; returns the signed bytes it vouches for."""
    result = XMLVerifier().verify(
        xml,
        x509_cert=certificate.certificate.public_bytes(Encoding.PEM),
        expect_config=SignatureConfiguration(
            signature_methods=frozenset({SignatureMethod.RSA_SHA256}),
            digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
        ),
    )
    signed: bytes = result.signed_data
    return signed


def model_of(payload: dict[str, Any]) -> Solicitud:
    return (
        PercepcionIn.model_validate(payload)
        if payload["tipo"] == "40"
        else RetencionIn.model_validate(payload)
    )


def build_unchecked(
    payload: dict[str, Any],
    emp: EmpresaContext,
    numero: int = 1,
    tasa: Decimal | None = None,
    calculo: Calculo | None = None,
    serie: str | None = None,
) -> tuple[str, bytes]:
    """Zip name and zip of a signed document written without the client's rules.

    ``tasa`` replaces the rate of the régimen (a régimen outside the catalogue has none);
    ``calculo`` replaces the computed amounts.
    """
    model = model_of(payload)
    kind = KINDS[model.tipo]
    rate = tasa if tasa is not None else (model.tasa or kind.tasa(model.regimen) or Decimal(0))
    computed = calcular(
        authority.relacionados(model), rate, kind.percepcion, kind.fuera_de_totales, model.redondeo
    )
    document = ubl.Comprobante(
        kind=kind,
        serie=serie or model.serie,
        numero=numero,
        fecha_emision=model.fecha_emision or hoy(),
        hora_emision=dt.time(10, 0, 0),
        emisor=authority.emisor_de(emp),
        receptor=authority.parte_de(receptor_de(model)),
        regimen=model.regimen,
        tasa=rate,
        calculo=calculo or computed,
        excepcional=isinstance(model, PercepcionIn) and model.excepcional,
        observaciones=model.observaciones,
    )
    assert emp.certificate is not None
    signed = xmldsig.sign_canonical(ubl.build(document), emp.certificate)
    name = DocumentName(emp.identificacion, model.tipo, serie or model.serie, numero)
    return name.zip, zip_single(name.xml, signed.xml)


def computed(payload: dict[str, Any]) -> Calculo:
    """The amounts the client computes for a payload (rules not applied)."""
    model = model_of(payload)
    kind = KINDS[model.tipo]
    rate = kind.tasa(model.regimen) or Decimal(0)
    return calcular(
        authority.relacionados(model), rate, kind.percepcion, kind.fuera_de_totales, model.redondeo
    )


def replace_first(calculo: Calculo, **changes: Any) -> Calculo:
    """The amounts with the first reference changed (a tampered retention or net amount)."""
    first = dataclasses.replace(calculo.referencias[0], **changes)
    return dataclasses.replace(calculo, referencias=(first, *calculo.referencias[1:]))


@dataclasses.dataclass(frozen=True)
class Answer:
    """What SUNAT's emulator said: the code (CDR ResponseCode or fault code), and the CDR if any."""

    code: str
    message: str
    cdr: Cdr | None


def send(http: httpx2.Client, url: str, zip_name: str, zip_bytes: bytes) -> Answer:
    try:
        cdr_zip = SunatSoapClient(http).send_bill(url, CREDENTIALS, zip_name, zip_bytes)
    except SoapFault as fault:
        return Answer(fault.code, fault.message, None)
    cdr = parse_cdr_zip(cdr_zip)
    return Answer(cdr.response_code, cdr.description, cdr)


def _sub(parent: etree._Element, namespace: str, name: str, value: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{namespace}}}{name}")
    if value is not None:
        element.text = value
    return element


def _amount(parent: etree._Element, name: str, value: Decimal, currency: str) -> None:
    _sub(parent, CBC, name, f"{value:.2f}").set("currencyID", currency)


def _tax_total(parent: etree._Element, base: Decimal, igv: Decimal, currency: str, percent: bool) -> None:
    total = _sub(parent, CAC, "TaxTotal")
    _amount(total, "TaxAmount", igv, currency)
    subtotal = _sub(total, CAC, "TaxSubtotal")
    _amount(subtotal, "TaxableAmount", base, currency)
    _amount(subtotal, "TaxAmount", igv, currency)
    category = _sub(subtotal, CAC, "TaxCategory")
    if percent:
        _sub(category, CBC, "Percent", "18")
        _sub(category, CBC, "TaxExemptionReasonCode", "10")
    scheme = _sub(category, CAC, "TaxScheme")
    _sub(scheme, CBC, "ID", "1000")
    _sub(scheme, CBC, "Name", "IGV")
    _sub(scheme, CBC, "TaxTypeCode", "VAT")


def factura_xml(
    certificate: Certificate, serie: str, numero: int, fecha: dt.date, total: Decimal, moneda: str = "PEN"
) -> bytes:
    """A signed factura al crédito of one line, as the emulator's factura service accepts it.

    The comprobante a percepción refers to: SUNAT must hold it (Percepciones1_0, 2609).
    """
    root = etree.Element(
        f"{{{INVOICE}}}Invoice", nsmap={None: INVOICE, "cac": CAC, "cbc": CBC, "ext": EXT, "ds": DS}
    )
    _sub(_sub(_sub(root, EXT, "UBLExtensions"), EXT, "UBLExtension"), EXT, "ExtensionContent")
    _sub(root, CBC, "UBLVersionID", "2.1")
    _sub(root, CBC, "CustomizationID", "2.0")
    _sub(root, CBC, "ID", f"{serie}-{numero}")
    _sub(root, CBC, "IssueDate", fecha.isoformat())
    _sub(root, CBC, "IssueTime", "09:00:00")
    _sub(root, CBC, "InvoiceTypeCode", "01").set("listID", "0101")
    _sub(root, CBC, "DocumentCurrencyCode", moneda)
    signature = _sub(root, CAC, "Signature")
    _sub(signature, CBC, "ID", f"SIGN{RUC}")
    party = _sub(signature, CAC, "SignatoryParty")
    _sub(_sub(party, CAC, "PartyIdentification"), CBC, "ID", RUC)
    _sub(_sub(party, CAC, "PartyName"), CBC, "Name", RAZON_SOCIAL)
    _sub(_sub(_sub(signature, CAC, "DigitalSignatureAttachment"), CAC, "ExternalReference"), CBC, "URI", "#S")
    supplier = _sub(_sub(root, CAC, "AccountingSupplierParty"), CAC, "Party")
    _sub(_sub(supplier, CAC, "PartyIdentification"), CBC, "ID", RUC).set("schemeID", "6")
    _sub(_sub(supplier, CAC, "PartyLegalEntity"), CBC, "RegistrationName", RAZON_SOCIAL)
    customer = _sub(_sub(root, CAC, "AccountingCustomerParty"), CAC, "Party")
    _sub(_sub(customer, CAC, "PartyIdentification"), CBC, "ID", CLIENTE).set("schemeID", "6")
    _sub(_sub(customer, CAC, "PartyLegalEntity"), CBC, "RegistrationName", "CLIENTE DEMO S.A.C.")
    terms = _sub(root, CAC, "PaymentTerms")
    _sub(terms, CBC, "ID", "FormaPago")
    _sub(terms, CBC, "PaymentMeansID", "Credito")
    _amount(terms, "Amount", total, moneda)
    base = (total / Decimal("1.18")).quantize(Decimal("0.01"))
    igv = total - base
    _tax_total(root, base, igv, moneda, percent=False)
    totals = _sub(root, CAC, "LegalMonetaryTotal")
    _amount(totals, "LineExtensionAmount", base, moneda)
    _amount(totals, "TaxInclusiveAmount", total, moneda)
    _amount(totals, "PayableAmount", total, moneda)
    line = _sub(root, CAC, "InvoiceLine")
    _sub(line, CBC, "ID", "1")
    _sub(line, CBC, "InvoicedQuantity", "1").set("unitCode", "NIU")
    _amount(line, "LineExtensionAmount", base, moneda)
    _tax_total(line, base, igv, moneda, percent=True)
    _sub(_sub(line, CAC, "Item"), CBC, "Description", "MERCADERIA SUJETA A PERCEPCION")
    _amount(_sub(line, CAC, "Price"), "PriceAmount", base, moneda)
    return xmldsig.sign(root, certificate).xml


def register_factura(
    http: httpx2.Client,
    base_url: str,
    certificate: Certificate,
    serie: str = "F001",
    numero: int = 1,
    fecha: dt.date | None = None,
    total: str = "1180.00",
    moneda: str = "PEN",
) -> None:
    """Send a factura to the emulator's factura service, so that SUNAT holds it."""
    name = DocumentName(RUC, "01", serie, numero)
    xml = factura_xml(certificate, serie, numero, fecha or hoy(), Decimal(total), moneda)
    answer = send(http, base_url + FACTURAS_BETA, name.zip, zip_single(name.xml, xml))
    assert answer.code == "0", answer.message
