"""Helpers of the resumen tests: SUNAT's schemas and an independent signature check, typed
documents with sensible defaults, and a client of the SUNAT sandbox over real HTTP."""

from __future__ import annotations

import datetime as dt
import functools
import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
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
from openpse.authorities.sunat import resumenes as r
from openpse.authorities.sunat.authority import SunatAuthority
from openpse.authorities.sunat.cdr import Cdr, parse_cdr_zip
from openpse.authorities.sunat.endpoints import SANDBOX_BILL_PATH
from openpse.authorities.sunat.naming import first_xml_in_zip, zip_single
from openpse.authorities.sunat.soap import Credentials, SunatSoapClient
from openpse.core.timeutil import now_lima
from openpse.signing.certificates import Certificate
from openpse.signing.xmldsig import DEFAULT_PROFILE, SunatSignatureProfile

RUC = demo.DEMO_RUC
RAZON_SOCIAL = demo.DEMO_RAZON_SOCIAL
EMISOR = r.Emisor(RUC, RAZON_SOCIAL)
DS = "http://www.w3.org/2000/09/xmldsig#"
EXT = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"
_ANY_ALGORITHM = SignatureConfiguration(
    signature_methods=frozenset(SignatureMethod), digest_algorithms=frozenset(DigestAlgorithm)
)
_SCHEMAS = {
    "SummaryDocuments": "UBLPE-SummaryDocuments-1.0.xsd",
    "VoidedDocuments": "UBLPE-VoidedDocuments-1.0.xsd",
}


def hoy() -> dt.date:
    """SUNAT's (and the sandbox's) date: Lima time."""
    return now_lima().date()


# ../shared, next to the project (tests/conftest.py's SHARED; importing it from here would
# pick this folder's conftest module instead).
SHARED = Path(__file__).resolve().parents[2].parent / "shared"


def shared_file(*parts: str) -> Path:
    """A file of ../shared, or skip the test saying what is missing."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared no está disponible ({path} no existe)")
    return path


@functools.cache
def _schema(root: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SHARED / "sunat" / "xsd" / "2.0" / "maindoc" / _SCHEMAS[root])))


def schema(root: str) -> etree.XMLSchema:
    shared_file("sunat", "xsd", "2.0", "maindoc", _SCHEMAS[root])
    return _schema(root)


def assert_signed_and_valid(signed: r.SignedSummary, certificate: Certificate) -> etree._Element:
    """XSD-valid against SUNAT's UBLPE schema, signature in place and verified by signxml,
    zipped as SUNAT wants; returns the parsed root."""
    root = etree.fromstring(signed.xml)
    local = etree.QName(root).localname
    xsd = schema(local)
    assert xsd.validate(root), [f"{e.line}: {e.message}" for e in xsd.error_log]
    # sunat.md §5: the signature is the only child of the first ExtensionContent,
    # which is the first child of the root.
    assert etree.QName(root[0]).localname == "UBLExtensions"
    content = root.find(f"{{{EXT}}}UBLExtensions/{{{EXT}}}UBLExtension/{{{EXT}}}ExtensionContent")
    assert content is not None
    assert [child.tag for child in content] == [f"{{{DS}}}Signature"]
    assert content.findtext(f".//{{{DS}}}DigestValue") == signed.hash
    verified = XMLVerifier().verify(
        signed.xml,
        x509_cert=certificate.certificate.public_bytes(Encoding.PEM),
        expect_config=_ANY_ALGORITHM,
    )
    assert etree.QName(verified.signed_xml).localname == local
    with zipfile.ZipFile(io.BytesIO(signed.zip)) as archive:
        assert archive.namelist() == [signed.nombre.xml]
    assert first_xml_in_zip(signed.zip) == (signed.nombre.xml, signed.xml)
    return root


def boleta(
    numero: int,
    total: str = "118.00",
    *,
    serie: str = "B001",
    tipo: str = "03",
    condicion: str = "1",
    moneda: str = "PEN",
    cliente: r.Cliente | None = None,
    afectado: r.DocumentoAfectado | None = None,
    percepcion: r.Percepcion | None = None,
    anonimo: bool = False,
    **totales: str,
) -> r.LineaResumen:
    """An RC line; a gravado line of ``total`` (IGV 18 %) unless ``totales`` say otherwise.

    The customer is a DNI unless ``cliente`` says otherwise or ``anonimo`` leaves it out.
    """
    amount = Decimal(total)
    if totales:
        values = {name: Decimal(value) for name, value in totales.items()}
    else:
        gravado = (amount / Decimal("1.18")).quantize(Decimal("0.01"))
        values = {"gravado": gravado, "igv": amount - gravado}
    return r.LineaResumen(
        tipo=tipo,
        serie=serie,
        numero=numero,
        condicion=condicion,
        moneda=moneda,
        totales=r.TotalesLinea(total=amount, **values),
        cliente=None if anonimo else (cliente or r.Cliente("1", "46027897")),
        documento_afectado=afectado,
        percepcion=percepcion,
    )


def resumen(
    *lineas: r.LineaResumen,
    correlativo: int = 1,
    fecha_emision: dt.date | None = None,
    fecha_generacion: dt.date | None = None,
    emisor: r.Emisor = EMISOR,
) -> r.ResumenDiario:
    today = hoy()
    return r.ResumenDiario(
        emisor=emisor,
        fecha_emision=fecha_emision or today,
        fecha_generacion=fecha_generacion or today,
        correlativo=correlativo,
        lineas=lineas or (boleta(1),),
    )


def baja(
    *lineas: r.LineaBaja,
    correlativo: int = 1,
    fecha_emision: dt.date | None = None,
    fecha_generacion: dt.date | None = None,
) -> r.ComunicacionBaja:
    today = hoy()
    return r.ComunicacionBaja(
        emisor=EMISOR,
        fecha_emision=fecha_emision or today,
        fecha_generacion=fecha_generacion or today,
        correlativo=correlativo,
        lineas=lineas or (r.LineaBaja("01", "F001", 1, "ERROR EN EL RUC DEL CLIENTE"),),
    )


def reversiones(
    *lineas: r.LineaBaja,
    correlativo: int = 1,
    fecha_emision: dt.date | None = None,
    fecha_generacion: dt.date | None = None,
) -> r.ResumenReversiones:
    today = hoy()
    return r.ResumenReversiones(
        emisor=EMISOR,
        fecha_emision=fecha_emision or today,
        fecha_generacion=fecha_generacion or today,
        correlativo=correlativo,
        lineas=lineas or (r.LineaBaja("20", "R001", 1, "ERROR EN EL IMPORTE RETENIDO"),),
    )


class FakeRegistro:
    """The caller's database, as the rules ask it: a dict of comprobantes."""

    def __init__(self, entries: Mapping[tuple[str, str, int], r.Registrado] | None = None) -> None:
        self.entries = dict(entries or {})
        self.asked: list[r.ComprobanteRef] = []

    def __call__(self, ref: r.ComprobanteRef) -> r.Registrado | None:
        self.asked.append(ref)
        return self.entries.get((ref.tipo, ref.serie, ref.numero))


def payload(tipo: str, serie: str, numero: int, fecha: dt.date, **extra: Any) -> dict[str, Any]:
    """An API request for a factura (or a note on one), as an ERP would send it."""
    body: dict[str, Any] = {
        "tipo": tipo,
        "serie": serie,
        "numero": numero,
        "fecha_emision": fecha.isoformat(),
        "moneda": "PEN",
        "cliente": {
            "tipo_documento": "6",
            "numero_documento": "20100070970",
            "razon_social": "CLIENTE S.A.C.",
            "direccion": "Av. Lima 123",
        },
        "items": [
            {
                "codigo": "P001",
                "descripcion": "Producto",
                "unidad": "NIU",
                "cantidad": "2",
                "valor_unitario": "50.00",
                "afectacion_igv": "10",
            }
        ],
    }
    if tipo == "01":
        body["tipo_operacion"] = "0101"
        body["forma_pago"] = {"tipo": "Contado"}
    body.update(extra)
    return body


@dataclass
class SandboxSunat:
    """The SUNAT emulator over real HTTP, driven through OpenPSE's own client."""

    base_url: str
    http: httpx2.Client
    certificate: Certificate
    app: Any

    @property
    def url(self) -> str:
        return self.base_url + SANDBOX_BILL_PATH

    @property
    def client(self) -> SunatSoapClient:
        return SunatSoapClient(self.http)

    @property
    def credentials(self) -> Credentials:
        return Credentials(RUC, "MODDATOS", "moddatos")

    def empresa(self) -> EmpresaContext:
        return EmpresaContext(
            id=1,
            pais="PE",
            identificacion=RUC,
            razon_social=RAZON_SOCIAL,
            nombre_comercial=None,
            direccion={"ubigeo": "150101", "direccion": "Av. Demo 123", "distrito": "LIMA"},
            destino="sunat",
            ambiente="sandbox",
            ose_url=None,
            usuario=None,
            clave=None,
            firma_algoritmo="sha256",
            certificate=self.certificate,
        )

    def submit(
        self, documento: r.Resumen, profile: SunatSignatureProfile = DEFAULT_PROFILE
    ) -> r.TicketStatus:
        """sendSummary, then getStatus: 98 first (the sandbox's ``ticket_polls``), then the outcome."""
        signed = r.sign_summary(documento, self.certificate, profile)
        ticket = r.send_summary(self.client, self.url, self.credentials, signed)
        first = r.check_ticket(self.client, self.url, self.credentials, ticket, signed.nombre)
        assert first.estado is r.EstadoTicket.EN_PROCESO, first
        assert first.respuesta() is None
        final = r.check_ticket(self.client, self.url, self.credentials, ticket, signed.nombre)
        assert final.ticket == ticket
        return final

    def accept(self, documento: r.Resumen) -> r.TicketStatus:
        status = self.submit(documento)
        assert status.estado in (r.EstadoTicket.ACEPTADO, r.EstadoTicket.OBSERVADO), status.respuesta()
        return status

    def issue(
        self, tipo: str, serie: str, numero: int, fecha: dt.date, *, tamper: bool = False, **extra: Any
    ) -> Cdr:
        """Send a factura or note through OpenPSE's own builder and sendBill.

        ``tamper`` alters the signed bytes, so that SUNAT registers the number as
        rejected (2335, "El documento electrónico ingresado ha sido alterado").
        """
        authority = SunatAuthority(self.http, self.base_url)
        empresa = self.empresa()
        prepared = authority.prepare(
            authority.parse(payload(tipo, serie, numero, fecha, **extra)), numero, empresa, fecha
        )
        envio = prepared.envio
        if tamper:
            altered = prepared.xml.replace(b"CLIENTE S.A.C.", b"CLIENTE S.A.X.")
            assert altered != prepared.xml
            envio = zip_single(prepared.xml_name, altered)
        cdr = parse_cdr_zip(self.client.send_bill(self.url, self.credentials, prepared.envio_name, envio))
        assert cdr.response_code == ("2335" if tamper else "0"), cdr.description
        return cdr

    def estado(self, tipo: str, serie: str, numero: int) -> str | None:
        """What the sandbox's register holds for a comprobante of the issuer."""
        document = self.app.state.sandbox.document(RUC, tipo, serie, numero)
        return None if document is None else str(document.estado)
