"""Guías, retenciones, percepciones and Costa Rican comprobantes that cannot be printed.

Each case breaks one element of a document OpenPSE signed and expects RenderError with a
Spanish message naming what is wrong, in both formats: the check runs before anything
is drawn.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from lxml import etree
from render_corpus import comprobante_cr, cr_cases, guia, guia_cases, retper, retper_cases

from openpse.render import RenderError, qr_text, render_pdf
from tests_support import shared_path

CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
DS = "http://www.w3.org/2000/09/xmldsig#"
UBL = {"cac": CAC, "cbc": CBC, "ds": DS}
FORMATS = ("a4", "ticket")

Change = Callable[[etree._Element], None]


def mutate(xml: bytes, change: Change) -> bytes:
    root = etree.fromstring(xml)
    change(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def remove(path: str, ns: dict[str, str] = UBL) -> Change:
    def change(root: etree._Element) -> None:
        found = root.findall(path, ns)
        assert found, path
        for node in found:
            parent = node.getparent()
            assert parent is not None
            parent.remove(node)

    return change


def set_text(path: str, value: str, ns: dict[str, str] = UBL) -> Change:
    def change(root: etree._Element) -> None:
        node = root.find(path, ns)
        assert node is not None, path
        node.text = value

    return change


@pytest.fixture(scope="module")
def guia_xml(test_certificate) -> bytes:
    return guia(test_certificate, guia_cases()["venta-transporte-privado"], 3).xml


@pytest.fixture(scope="module")
def retencion_xml(test_certificate) -> bytes:
    return retper(test_certificate, retper_cases()["retencion-una-factura"], 3).xml


@pytest.fixture(scope="module")
def factura_cr() -> bytes:
    return comprobante_cr(cr_cases()["tipo-01"], 3)[0].xml


GUIA_CASES = {
    "sin-lineas": (remove("cac:DespatchLine"), r"no tiene líneas \(cac:DespatchLine\)"),
    "tipo-desconocido": (set_text("cbc:DespatchAdviceTypeCode", "10"), "Tipo de guía 10 no soportado"),
    "sin-emisor": (remove("cac:DespatchSupplierParty"), "Falta el RUC del emisor"),
    "sin-firma": (remove(".//ds:Signature"), "no está firmado"),
    "fecha-peruana": (set_text("cbc:IssueDate", "21/11/2026"), "no es una fecha AAAA-MM-DD"),
    "cantidad-con-coma": (set_text("cac:DespatchLine/cbc:DeliveredQuantity", "1,5"), "no es un número"),
    "sin-envio": (remove("cac:Shipment"), r"Falta el envío \(cac:Shipment\)"),
    "ubl-2-0": (set_text("cbc:UBLVersionID", "2.0"), r"Guía en UBL 2\.0"),
    "sin-serie": (set_text("cbc:ID", "T001"), "SERIE-NÚMERO"),
}


@pytest.mark.parametrize("formato", FORMATS)
@pytest.mark.parametrize("case", list(GUIA_CASES))
def test_broken_guias(guia_xml, case, formato):
    change, message = GUIA_CASES[case]
    broken = mutate(guia_xml, change)
    with pytest.raises(RenderError, match=message):
        render_pdf(broken, formato=formato)
    with pytest.raises(RenderError, match=message):
        qr_text(broken)


RETPER_CASES = {
    "sin-proveedor": (remove("cac:ReceiverParty"), "Falta el proveedor"),
    "sin-agente": (remove("cac:AgentParty"), "Falta el RUC del emisor"),
    "total-no-numerico": (set_text("cbc:TotalInvoiceAmount", "treinta"), "no es un número"),
    "sin-total": (remove("cbc:TotalInvoiceAmount"), r"Falta el importe total"),
    "sin-documentos": (
        remove(
            "{urn:sunat:names:specification:ubl:peru:schema:xsd:SunatAggregateComponents-1}"
            "SUNATRetentionDocumentReference"
        ),
        "no relaciona ningún documento",
    ),
    "ubl-2-1": (set_text("cbc:UBLVersionID", "2.1"), r"en UBL 2\.1: SUNAT recibe retenciones"),
    "sin-firma": (remove(".//ds:Signature"), "no está firmado"),
    "fecha-de-pago-rota": (set_text(".//cac:Payment/cbc:PaidDate", "mañana"), "no es una fecha"),
}


@pytest.mark.parametrize("formato", FORMATS)
@pytest.mark.parametrize("case", list(RETPER_CASES))
def test_broken_retentions(retencion_xml, case, formato):
    change, message = RETPER_CASES[case]
    with pytest.raises(RenderError, match=message):
        render_pdf(mutate(retencion_xml, change), formato=formato)


CR = {"h": "https://cdn.comprobanteselectronicos.go.cr/xml-schemas/v4.4/facturaElectronica", "ds": DS}


def _type_slot(value: str) -> Change:
    """Rewrite the document type inside the consecutivo and the clave (both agree, but not with the root)."""

    def change(root: etree._Element) -> None:
        clave = root.find("h:Clave", CR)
        consecutivo = root.find("h:NumeroConsecutivo", CR)
        assert clave is not None
        assert clave.text
        assert consecutivo is not None
        assert consecutivo.text
        consecutivo.text = consecutivo.text[:8] + value + consecutivo.text[10:]
        clave.text = clave.text[:21] + consecutivo.text + clave.text[41:]

    return change


CR_CASES = {
    "clave-corta": (set_text("h:Clave", "506123", CR), "Clave ilegible"),
    "consecutivo-ajeno": (
        set_text("h:NumeroConsecutivo", "00100001010000000999", CR),
        "no es el de la clave",
    ),
    "consecutivo-de-tiquete": (_type_slot("04"), "es de tipo 04, no de factura electrónica"),
    "fecha-sin-hora": (set_text("h:FechaEmision", "21 de noviembre", CR), "no es una fecha y hora"),
    "sin-lineas": (remove("h:DetalleServicio/h:LineaDetalle", CR), "no tiene líneas"),
    "sin-total": (remove("h:ResumenFactura/h:TotalComprobante", CR), "Falta el total del comprobante"),
    "sin-emisor": (remove("h:Emisor", CR), "Falta el emisor"),
    "sin-firma": (remove("ds:Signature", CR), "no está firmado"),
    "monto-no-numerico": (
        set_text("h:DetalleServicio/h:LineaDetalle/h:MontoTotalLinea", "mil", CR),
        "no es un número",
    ),
}


@pytest.mark.parametrize("formato", FORMATS)
@pytest.mark.parametrize("case", list(CR_CASES))
def test_broken_costa_rican_documents(factura_cr, case, formato):
    change, message = CR_CASES[case]
    with pytest.raises(RenderError, match=message):
        render_pdf(mutate(factura_cr, change), formato=formato)


def test_an_answer_that_is_not_xml_is_refused_for_every_family(guia_xml, retencion_xml, factura_cr):
    with pytest.raises(RenderError, match="CDR ilegible"):
        render_pdf(guia_xml, cdr=b"not xml")
    with pytest.raises(RenderError, match="CDR ilegible"):
        render_pdf(retencion_xml, cdr=b"PK\x03\x04 broken")
    with pytest.raises(RenderError, match="Respuesta de Hacienda ilegible"):
        render_pdf(factura_cr, cdr=b"<<<")
    with pytest.raises(RenderError, match="bytes"):
        render_pdf(factura_cr, cdr="<MensajeHacienda/>")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "name",
    [
        "20123456789-09-T001-123.xml",
        "20123456789-20-R001-123.xml",
        "20123456789-40-P001-123.xml",
        "20123456789-07-FF01-123.xml",
        "20123456789-RR-20190122-00111.xml",
    ],
)
def test_greenters_unsigned_fragments_are_refused_with_a_reason(name):
    """Fragments of greenter's naming tests: the right roots, but far from printable."""
    xml = shared_path("sunat", "samples", "naming", name).read_bytes()
    with pytest.raises(RenderError) as caught:
        render_pdf(xml)
    assert str(caught.value)
