"""Comunicación de baja (RA) and Resumen de reversiones (RR).

RA: facturas and notes issued through OpenPSE's own builder and sendBill, then annulled
by an RA that the SUNAT sandbox accepts over loopback HTTP (ticket, 98, then 0 and a
CDR), after which SUNAT's register holds them as annulled.

RR: the sandbox does not emulate SUNAT's "otros CPE" service (it answers RR names 0151,
see ``openpse.sandbox.sunat.package``), so RRs are checked against SUNAT's schema and
signxml, and their SOAP exchange is replayed from SUNAT beta's recorded answers.
"""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import httpx2
import pytest
from lxml import etree
from resumenes_support import (
    RUC,
    FakeRegistro,
    SandboxSunat,
    assert_signed_and_valid,
    baja,
    hoy,
    reversiones,
    shared_file,
)

from openpse.authorities.base import EmpresaContext
from openpse.authorities.sunat import resumenes as r
from openpse.authorities.sunat.soap import Credentials, SoapFault, SunatSoapClient
from openpse.signing.certificates import Certificate

SAC = "urn:sunat:names:specification:ubl:peru:schema:xsd:SunatAggregateComponents-1"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
NS = {"sac": SAC, "cbc": CBC}
NOTA_CREDITO = {
    "documento_afectado": {"tipo": "01", "serie": "F001", "numero": 1},
    "motivo": {"codigo": "07", "descripcion": "Devolución por ítem"},
}
NOTA_DEBITO = {
    "documento_afectado": {"tipo": "01", "serie": "F001", "numero": 1},
    "motivo": {"codigo": "02", "descripcion": "Aumento en el valor"},
}


def _registro(sunat: SandboxSunat) -> FakeRegistro:
    """The caller's database, filled from what the sandbox registered."""
    entries = {
        (d.tipo, d.serie, d.numero): r.Registrado(d.estado, dt.date.fromisoformat(d.issue_date))
        for d in sunat.app.state.sandbox.documents()
    }
    return FakeRegistro(entries)


def _accept_baja(
    sunat: SandboxSunat, documento: r.ComunicacionBaja, certificate: Certificate
) -> r.TicketStatus:
    assert r.validate(documento, hoy(), registro=_registro(sunat)) == []
    assert_signed_and_valid(r.sign_summary(documento, certificate), certificate)
    status = sunat.submit(documento)
    assert status.estado is r.EstadoTicket.ACEPTADO, status.respuesta()
    assert status.cdr is not None
    assert status.cdr.reference_id == documento.nombre.id
    assert status.cdr.description == f"La Comunicacion de baja {documento.nombre.id}, ha sido aceptada"
    return status


def test_baja_of_a_factura(sunat: SandboxSunat, test_certificate: Certificate) -> None:
    sunat.issue("01", "F001", 1, hoy())

    _accept_baja(sunat, baja(r.LineaBaja("01", "F001", 1, "ERROR EN EL RUC DEL CLIENTE")), test_certificate)

    assert sunat.estado("01", "F001", 1) == "anulado"


def test_baja_of_a_factura_and_its_notes_in_one_communication(
    sunat: SandboxSunat, test_certificate: Certificate
) -> None:
    fecha = hoy()
    sunat.issue("01", "F001", 1, fecha)
    sunat.issue("07", "FC01", 1, fecha, **NOTA_CREDITO)
    sunat.issue("08", "FD01", 1, fecha, **NOTA_DEBITO)
    documento = baja(
        r.LineaBaja("07", "FC01", 1, "Nota emitida por error"),
        r.LineaBaja("08", "FD01", 1, "Nota emitida por error"),
        r.LineaBaja("01", "F001", 1, "Operación anulada: el cliente desistió de la compra"),
    )
    root = assert_signed_and_valid(r.sign_summary(documento, test_certificate), test_certificate)
    assert [
        line.findtext("cbc:LineID", namespaces=NS) for line in root.findall("sac:VoidedDocumentsLine", NS)
    ] == [
        "1",
        "2",
        "3",
    ]
    assert root.findtext("sac:VoidedDocumentsLine/sac:VoidReasonDescription", namespaces=NS) == (
        "Nota emitida por error"
    )

    _accept_baja(sunat, documento, test_certificate)

    assert [sunat.estado(*key) for key in (("01", "F001", 1), ("07", "FC01", 1), ("08", "FD01", 1))] == [
        "anulado"
    ] * 3


def test_baja_of_facturas_issued_days_ago_within_the_term(
    sunat: SandboxSunat, test_certificate: Certificate
) -> None:
    fecha = hoy() - dt.timedelta(days=7)
    sunat.issue("01", "F001", 5, fecha)
    sunat.issue("01", "F001", 6, fecha)
    documento = baja(
        r.LineaBaja("01", "F001", 5, "Duplicado"),
        r.LineaBaja("01", "F001", 6, "Duplicado"),
        fecha_emision=fecha,
    )

    _accept_baja(sunat, documento, test_certificate)

    assert sunat.estado("01", "F001", 6) == "anulado"


def test_voided_documents_carry_customization_1_0_and_reference_date(test_certificate: Certificate) -> None:
    documento = baja(fecha_emision=dt.date(2020, 3, 26), fecha_generacion=dt.date(2020, 3, 28), correlativo=1)
    root = assert_signed_and_valid(r.sign_summary(documento, test_certificate), test_certificate)
    assert [
        root.findtext(f"cbc:{name}", namespaces=NS)
        for name in ("UBLVersionID", "CustomizationID", "ID", "ReferenceDate", "IssueDate")
    ] == ["2.0", "1.0", "RA-20200328-1", "2020-03-26", "2020-03-28"]


# Resumen de reversiones -----------------------------------------------------------------

RR_CASES = {
    "retencion": reversiones(r.LineaBaja("20", "R001", 123, "Error en el importe retenido")),
    "percepcion": reversiones(r.LineaBaja("40", "P001", 9, "Error en la tasa de percepción")),
    "liquidacion-de-compra": reversiones(r.LineaBaja("04", "L001", 3, "Liquidación emitida por error")),
    "varias": reversiones(
        r.LineaBaja("20", "R001", 1, "Error en el importe retenido"),
        r.LineaBaja("20", "0001", 2, "Comprobante físico de contingencia"),
        r.LineaBaja("40", "P001", 2, "Error en el cliente"),
        correlativo=111,
    ),
}


def _recorded(name: str) -> bytes:
    return Path(shared_file("sunat", "samples", "soap", name)).read_bytes()


@pytest.mark.parametrize("case", list(RR_CASES))
def test_resumen_de_reversiones_is_built_signed_and_sent(case: str, test_certificate: Certificate) -> None:
    documento = RR_CASES[case]
    registro = FakeRegistro(
        {
            (ln.tipo, ln.serie, ln.numero): r.Registrado("aceptado", documento.fecha_emision)
            for ln in documento.lineas
        }
    )
    assert r.validate(documento, hoy(), registro=registro) == []
    signed = r.sign_summary(documento, test_certificate)
    root = assert_signed_and_valid(signed, test_certificate)
    assert root.findtext("cbc:ID", namespaces=NS) == f"RR-{hoy():%Y%m%d}-{documento.correlativo}"
    assert root.findtext("cbc:CustomizationID", namespaces=NS) == "1.0"
    assert signed.zip_name == f"{RUC}-RR-{hoy():%Y%m%d}-{documento.correlativo}.zip"

    # SUNAT beta's recorded answers of sendSummary (a ticket) and getStatus (0 and a CDR).
    requests: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        requests.append(request)
        recording = "bill_service_response_ticket.xml" if len(requests) == 1 else "get_status_response_ok.xml"
        return httpx2.Response(200, content=_recorded(recording))

    url = r.OTROS_CPE_BETA
    credentials = Credentials(RUC, "MODDATOS", "moddatos")
    with httpx2.Client(transport=httpx2.MockTransport(handler)) as http:
        client = SunatSoapClient(http)
        ticket = r.send_summary(client, url, credentials, signed)
        status = r.check_ticket(client, url, credentials, ticket)

    assert ticket == "1703154974517"
    assert status.estado is r.EstadoTicket.ACEPTADO
    assert status.cdr is not None
    assert status.cdr.response_code == "0"
    sent = etree.fromstring(requests[0].content)
    assert sent.findtext(".//fileName") == signed.zip_name
    assert base64.b64decode(sent.findtext(".//contentFile") or "") == signed.zip
    assert requests[0].headers["SOAPAction"] == "urn:sendSummary"
    assert str(requests[0].url) == url
    assert etree.fromstring(requests[1].content).findtext(".//ticket") == ticket


def _empresa(ambiente: str, destino: str = "sunat", ose_url: str | None = None) -> EmpresaContext:
    return EmpresaContext(
        id=1,
        pais="PE",
        identificacion=RUC,
        razon_social="EMPRESA",
        nombre_comercial=None,
        direccion={},
        destino=destino,
        ambiente=ambiente,
        ose_url=ose_url,
        usuario=None,
        clave=None,
        firma_algoritmo="sha256",
        certificate=None,
    )


def test_each_summary_goes_to_its_service() -> None:
    sandbox = "http://127.0.0.1:9"
    assert r.summary_url(r.TipoResumen.RC, _empresa("beta"), sandbox).endswith(
        "/ol-ti-itcpfegem-beta/billService"
    )
    assert r.summary_url(r.TipoResumen.RA, _empresa("produccion"), sandbox) == (
        "https://e-factura.sunat.gob.pe/ol-ti-itcpfegem/billService"
    )
    assert r.summary_url(r.TipoResumen.RR, _empresa("beta"), sandbox) == r.OTROS_CPE_BETA
    assert r.summary_url(r.TipoResumen.RR, _empresa("produccion"), sandbox) == r.OTROS_CPE_PRODUCCION
    assert r.summary_url(r.TipoResumen.RR, _empresa("sandbox"), sandbox) == (
        sandbox + "/ol-ti-itemision-otroscpe-gem-beta/billService"
    )
    ose = "https://ose.example.pe/ol-ti-itcpe/billService"
    assert r.summary_url(r.TipoResumen.RR, _empresa("produccion", "ose", ose), sandbox) == ose


def test_the_sandbox_does_not_emulate_the_otros_cpe_service(
    sunat: SandboxSunat, test_certificate: Certificate
) -> None:
    """Documents the gap: an RR sent to the facturas billService is refused with 0151."""
    signed = r.sign_summary(reversiones(), test_certificate)
    with pytest.raises(SoapFault) as raised:
        r.send_summary(sunat.client, sunat.url, sunat.credentials, signed)
    assert raised.value.code == "0151"
