"""Resumen diario (RC): built, checked, signed, XSD-valid and accepted by the SUNAT sandbox.

Each case goes the whole way: OpenPSE's rules find nothing, the signed XML validates
against SUNAT's ``UBLPE-SummaryDocuments-1.0.xsd`` and signxml verifies it, sendSummary
over loopback HTTP answers a ticket, getStatus answers 98 and then 0 with a CDR that
OpenPSE's CDR reader reads, and the sandbox's register holds the boletas and notes.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from decimal import Decimal

import pytest
from resumenes_support import (
    EMISOR,
    RUC,
    FakeRegistro,
    SandboxSunat,
    assert_signed_and_valid,
    boleta,
    hoy,
    resumen,
)

from openpse.authorities.sunat import resumenes as r
from openpse.authorities.sunat.totals import LineInput, compute_document, compute_line
from openpse.signing.certificates import Certificate
from openpse.signing.xmldsig import SunatSignatureProfile

SAC = "urn:sunat:names:specification:ubl:peru:schema:xsd:SunatAggregateComponents-1"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
NS = {"sac": SAC, "cbc": CBC, "cac": CAC}


def _from_document_totals() -> r.ResumenDiario:
    """A boleta computed by the tax engine and stored as ``DocumentTotals.as_api()``."""
    fecha = hoy()
    lines = [
        compute_line(
            LineInput(cantidad=Decimal(2), afectacion="10", valor_unitario=Decimal("50.00")), fecha=fecha
        ),
        compute_line(
            LineInput(cantidad=Decimal(1), afectacion="20", valor_unitario=Decimal("30.00")), fecha=fecha
        ),
        compute_line(
            LineInput(cantidad=Decimal(3), afectacion="10", valor_unitario=Decimal("0.10"), bolsas=3),
            fecha=fecha,
        ),
    ]
    totales = compute_document(lines).as_api()
    linea = r.linea_desde_comprobante(
        tipo="03",
        serie="B001",
        numero=7,
        cliente={"tipo_documento": "1", "numero_documento": "46027897", "razon_social": "JUAN PEREZ"},
        totales=totales,
        moneda="PEN",
    )
    assert linea.totales.total == Decimal(totales["total"])
    assert linea.totales.icbper == Decimal("1.50")
    return resumen(linea)


CASES: dict[str, Callable[[], r.ResumenDiario]] = {
    "boleta-gravada-dni": lambda: resumen(boleta(1)),
    "boleta-anonima-menor-700": lambda: resumen(
        r.LineaResumen(
            "03",
            "B001",
            2,
            "1",
            "PEN",
            r.TotalesLinea(Decimal("50.00"), gravado=Decimal("42.37"), igv=Decimal("7.63")),
        )
    ),
    "boleta-ruc-mayor-700": lambda: resumen(boleta(3, "1500.00", cliente=r.Cliente("6", "20100070970"))),
    "boleta-usd": lambda: resumen(boleta(4, "236.00", moneda="USD")),
    "boleta-exonerada": lambda: resumen(boleta(5, "100.00", exonerado="100.00")),
    "boleta-inafecta": lambda: resumen(boleta(6, "80.00", inafecto="80.00")),
    "boleta-gratuita": lambda: resumen(boleta(7, "0.00", gratuito="50.00")),
    "boleta-exportacion": lambda: resumen(
        boleta(8, "100.00", exportacion="100.00", cliente=r.Cliente("0", "X123"))
    ),
    "boleta-mixta": lambda: resumen(
        boleta(9, "198.00", gravado="100.00", exonerado="50.00", inafecto="30.00", igv="18.00")
    ),
    "boleta-icbper": lambda: resumen(boleta(10, "118.50", gravado="100.00", igv="18.00", icbper="0.50")),
    "boleta-isc-otros-tributos-y-cargos": lambda: resumen(
        boleta(
            11,
            "136.80",
            gravado="100.00",
            isc="10.00",
            igv="19.80",
            otros_tributos="2.00",
            otros_cargos="5.00",
        )
    ),
    "boleta-ivap": lambda: resumen(boleta(12, "104.00", gravado="100.00", ivap="4.00")),
    "boleta-con-percepcion": lambda: resumen(
        boleta(13, "1000.00", percepcion=r.Percepcion.calcular("01", Decimal("1000.00"), Decimal("1000.00")))
    ),
    "boleta-y-sus-notas": lambda: resumen(
        boleta(14, "236.00"),
        boleta(1, "118.00", tipo="07", serie="BC01", afectado=r.DocumentoAfectado("03", "B001", 14)),
        boleta(1, "23.60", tipo="08", serie="BD01", afectado=r.DocumentoAfectado("03", "B001", 14)),
    ),
    "desde-totales-almacenados": _from_document_totals,
}


@pytest.mark.parametrize("case", list(CASES))
def test_resumen_diario_is_accepted_by_the_sandbox(
    case: str, sunat: SandboxSunat, test_certificate: Certificate
) -> None:
    documento = CASES[case]()
    warnings = r.validate(documento, hoy(), registro=FakeRegistro())
    assert warnings == []
    assert_signed_and_valid(r.sign_summary(documento, test_certificate), test_certificate)

    status = sunat.submit(documento)

    assert status.estado is r.EstadoTicket.ACEPTADO, status.respuesta()
    assert status.cdr is not None
    assert status.cdr.response_code == "0"
    assert status.cdr.reference_id == documento.nombre.id
    assert status.cdr.description == f"El Resumen diario {documento.nombre.id}, ha sido aceptado"
    assert status.respuesta() == {
        "codigo": "0",
        "descripcion": status.cdr.description,
        "observaciones": [],
    }
    for linea in documento.lineas:
        assert sunat.estado(linea.tipo, linea.serie, linea.numero) == "aceptado"


def test_the_xml_carries_every_amount_of_the_line(test_certificate: Certificate) -> None:
    linea = boleta(
        1,
        "1157.80",
        gravado="900.00",
        exonerado="50.00",
        inafecto="30.00",
        exportacion="10.00",
        gratuito="25.00",
        isc="20.00",
        igv="165.60",
        icbper="0.50",
        otros_tributos="1.70",
        otros_cargos="10.00",
        cliente=r.Cliente("1", "46027897"),
    )
    root = assert_signed_and_valid(r.sign_summary(resumen(linea), test_certificate), test_certificate)
    line = root.find("sac:SummaryDocumentsLine", NS)
    assert line is not None
    payments = {
        p.findtext("cbc:InstructionID", namespaces=NS): p.findtext("cbc:PaidAmount", namespaces=NS)
        for p in line.findall("sac:BillingPayment", NS)
    }
    assert payments == {"01": "900.00", "02": "50.00", "03": "30.00", "04": "10.00", "05": "25.00"}
    taxes = {
        t.findtext("cac:TaxSubtotal/cac:TaxCategory/cac:TaxScheme/cbc:ID", namespaces=NS): (
            t.findtext("cbc:TaxAmount", namespaces=NS),
            t.findtext("cac:TaxSubtotal/cbc:TaxAmount", namespaces=NS),
            t.findtext("cac:TaxSubtotal/cac:TaxCategory/cac:TaxScheme/cbc:Name", namespaces=NS),
        )
        for t in line.findall("cac:TaxTotal", NS)
    }
    assert taxes == {
        "1000": ("165.60", "165.60", "IGV"),
        "2000": ("20.00", "20.00", "ISC"),
        "9999": ("1.70", "1.70", "OTROS"),
        "7152": ("0.50", "0.50", "ICBPER"),
    }
    assert line.findtext("cac:AllowanceCharge/cbc:ChargeIndicator", namespaces=NS) == "true"
    assert line.findtext("cac:AllowanceCharge/cbc:Amount", namespaces=NS) == "10.00"
    assert line.findtext("sac:TotalAmount", namespaces=NS) == "1157.80"
    assert line.findtext("cac:Status/cbc:ConditionCode", namespaces=NS) == "1"
    # The schema's order: customer, status, total, payments, charges, taxes.
    order = [child.tag.split("}")[1] for child in line]
    assert order == [
        "LineID", "DocumentTypeCode", "ID", "AccountingCustomerParty", "Status", "TotalAmount",
        *["BillingPayment"] * 5, "AllowanceCharge", *["TaxTotal"] * 4,
    ]  # fmt: skip


def test_percepcion_travels_in_soles_whatever_the_currency(test_certificate: Certificate) -> None:
    percepcion = r.Percepcion.calcular("02", Decimal("3400.00"), Decimal("3400.00"))
    assert (percepcion.tasa, percepcion.monto, percepcion.total_cobrado) == (
        Decimal("1"),
        Decimal("34.00"),
        Decimal("3434.00"),
    )
    linea = boleta(1, "1000.00", moneda="USD", percepcion=percepcion)
    root = assert_signed_and_valid(r.sign_summary(resumen(linea), test_certificate), test_certificate)
    reference = root.find("sac:SummaryDocumentsLine/sac:SUNATPerceptionSummaryDocumentReference", NS)
    assert reference is not None
    assert [(child.tag.split("}")[1], child.text, child.get("currencyID")) for child in reference] == [
        ("SUNATPerceptionSystemCode", "02", None),
        ("SUNATPerceptionPercent", "1.00", None),
        ("TotalInvoiceAmount", "34.00", "PEN"),
        ("SUNATTotalCashed", "3434.00", "PEN"),
        ("TaxableAmount", "3400.00", "PEN"),
    ]
    assert root.find("sac:SummaryDocumentsLine/sac:TotalAmount", NS).get("currencyID") == "USD"


def test_percepcion_of_an_unknown_regimen_is_refused() -> None:
    with pytest.raises(ValueError, match="catálogo 22"):
        r.Percepcion.calcular("04", Decimal("100.00"), Decimal("100.00"))


def test_signed_with_rsa_sha1_is_accepted_too(sunat: SandboxSunat, test_certificate: Certificate) -> None:
    documento = resumen(boleta(1))
    profile = SunatSignatureProfile.named("sha1")
    assert_signed_and_valid(r.sign_summary(documento, test_certificate, profile), test_certificate)
    assert sunat.submit(documento, profile).estado is r.EstadoTicket.ACEPTADO


def _registro_of(sunat: SandboxSunat) -> Callable[[r.ComprobanteRef], r.Registrado | None]:
    """The caller's database, played here by the sandbox's own register."""

    def lookup(ref: r.ComprobanteRef) -> r.Registrado | None:
        document = sunat.app.state.sandbox.document(RUC, ref.tipo, ref.serie, ref.numero)
        if document is None:
            return None
        return r.Registrado(document.estado, dt.date.fromisoformat(document.issue_date))

    return lookup


def test_a_boleta_is_informed_then_modified(sunat: SandboxSunat) -> None:
    sunat.accept(resumen(boleta(1, "118.00")))
    modificado = resumen(boleta(1, "236.00", condicion="2"), correlativo=2)
    assert r.validate(modificado, hoy(), registro=_registro_of(sunat)) == []

    status = sunat.submit(modificado)

    assert status.estado is r.EstadoTicket.ACEPTADO
    assert sunat.estado("03", "B001", 1) == "aceptado"


def test_a_boleta_and_its_note_are_annulled_by_condition_3(sunat: SandboxSunat) -> None:
    sunat.accept(
        resumen(
            boleta(1, "118.00"),
            boleta(1, "11.80", tipo="07", serie="BC01", afectado=r.DocumentoAfectado("03", "B001", 1)),
        )
    )
    # Annulling a note does not need its reference (rows 11.1/11.2 exempt ConditionCode 3).
    anulacion = resumen(
        boleta(1, "118.00", condicion="3"),
        boleta(1, "11.80", tipo="07", serie="BC01", condicion="3"),
        correlativo=2,
    )
    assert r.validate(anulacion, hoy(), registro=_registro_of(sunat)) == []

    status = sunat.submit(anulacion)

    assert status.estado is r.EstadoTicket.ACEPTADO
    assert sunat.estado("03", "B001", 1) == "anulado"
    assert sunat.estado("07", "BC01", 1) == "anulado"


def test_a_day_of_300_boletas_in_one_summary(sunat: SandboxSunat, test_certificate: Certificate) -> None:
    documento = resumen(*(boleta(numero, f"{numero}.18") for numero in range(1, 301)))
    started = time.perf_counter()
    warnings = r.validate(documento, hoy())
    signed = r.sign_summary(documento, test_certificate)
    elapsed = time.perf_counter() - started
    assert warnings == []
    assert_signed_and_valid(signed, test_certificate)
    # Checking, building and signing 300 lines is a matter of milliseconds, not seconds.
    assert elapsed < 1.0, elapsed

    status = sunat.submit(documento)

    assert status.estado is r.EstadoTicket.ACEPTADO
    assert sunat.estado("03", "B001", 300) == "aceptado"


def test_summary_names_follow_sunat_file_naming() -> None:
    documento = resumen(
        correlativo=33221, fecha_generacion=dt.date(2020, 10, 22), fecha_emision=dt.date(2020, 10, 20)
    )
    nombre = documento.nombre
    assert (nombre.id, nombre.zip, nombre.xml, nombre.cdr_xml) == (
        "RC-20201022-33221",
        f"{RUC}-RC-20201022-33221.zip",
        f"{RUC}-RC-20201022-33221.xml",
        f"R-{RUC}-RC-20201022-33221.xml",
    )
    assert r.SummaryName.parse(f"{RUC}-RC-20201022-00001.zip") == r.SummaryName(
        RUC, r.TipoResumen.RC, dt.date(2020, 10, 22), 1
    )
    assert r.SummaryName.parse("20123456789-RA-20200328-1").id == "RA-20200328-1"
    with pytest.raises(ValueError, match="no válido"):
        r.SummaryName.parse(f"{RUC}-01-F001-1.zip")
    with pytest.raises(ValueError, match="fecha"):
        r.SummaryName.parse(f"{RUC}-RR-20261340-1")
    assert EMISOR.ruc == RUC
