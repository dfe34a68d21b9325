"""The printed guía de remisión remitente (09) and transportista (31), A4 and ticket.

Every case of the guías' positive corpus is built and signed by OpenPSE, printed in both
formats and read back: the text must hold the guía's key facts and the QR must decode to
SUNAT's fields, or to the link of the guía's CDR once that CDR is given.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader
from render_corpus import QR_LINK, Document, gre_cdr, guia, guia_cases
from render_support import page_size_mm, qr_codes, text_of

from openpse.authorities.sunat.guias import catalogs as gre
from openpse.render import RenderError, qr_text, render_pdf
from tests_support import shared_path

CASES = guia_cases()
FORMATS = ("a4", "ticket")


@pytest.fixture(scope="module")
def corpus(test_certificate) -> dict[str, Document]:
    return {
        name: guia(test_certificate, body, numero) for numero, (name, body) in enumerate(CASES.items(), 1)
    }


def flat(pdf: bytes) -> str:
    return " ".join(text_of(pdf).split())


def expected_facts(body: dict[str, Any]) -> list[str]:
    """What any printout of the request must show, whatever the layout."""
    facts = [body["destinatario"]["razon_social"], body["destinatario"]["numero_documento"]]
    facts += [bien["descripcion"] for bien in body.get("bienes", [])]
    facts += [documento["numero"] for documento in body.get("documentos_relacionados", [])]
    facts += [vehiculo["placa"] for vehiculo in body.get("vehiculos", [])]
    facts += [conductor["licencia"] for conductor in body.get("conductores", [])]
    facts += [body["partida"]["direccion"]]
    if body.get("llegada"):
        facts.append(body["llegada"]["direccion"])
    if body["tipo"] == "09":
        facts.append(f"{body['motivo_traslado']} – {gre.nombre('20', body['motivo_traslado'])}")
        facts.append(f"{body['modalidad_traslado']} – {gre.nombre('18', body['modalidad_traslado'])}")
    else:
        facts += [body["remitente"]["razon_social"], body["registro_mtc"]]
    if body.get("anotacion"):
        facts.append(body["anotacion"])
    return facts


@pytest.mark.parametrize("formato", FORMATS)
@pytest.mark.parametrize("name", list(CASES))
def test_every_guia_of_the_corpus_prints_its_facts_and_qr(corpus, name, formato):
    doc = corpus[name]
    body = doc.request
    pdf = render_pdf(doc.xml, formato=formato)
    text = flat(pdf)
    titulo = "REMITENTE" if body["tipo"] == "09" else "TRANSPORTISTA"
    emisor = "20100047218" if body["tipo"] == "09" else "20131312955"
    assert f"GUÍA DE REMISIÓN ELECTRÓNICA {titulo}" in text
    assert doc.number in text
    assert emisor in text
    assert f"Valor resumen (hash): {doc.hash}" in text
    assert f"Representación impresa de la GUÍA DE REMISIÓN ELECTRÓNICA {titulo}" in text
    for fact in expected_facts(body):
        assert fact in text, fact
    serie, numero = doc.number.split("-")
    destinatario = body["destinatario"]
    fields = qr_text(doc.xml).split("|")
    assert fields[:4] == [emisor, body["tipo"], serie, numero]
    assert fields[4:6] == ["", ""]
    assert fields[7:] == [destinatario["tipo_documento"], destinatario["numero_documento"], doc.hash, ""]
    assert qr_codes(pdf) == [qr_text(doc.xml)]


def test_guia_without_cdr_says_sunats_qr_is_still_to_come(corpus):
    text = flat(render_pdf(corpus["venta-transporte-privado"].xml))
    assert "Guía sin constancia de recepción (CDR) de SUNAT" in text


@pytest.mark.parametrize("formato", FORMATS)
def test_the_qr_of_an_accepted_guia_is_the_link_in_its_cdr(corpus, formato):
    doc = corpus["venta-transporte-publico"]
    link = QR_LINK + "Yx7kQ2mZ0pR4sT8uV1wX3yZ5aB7cD9eF0gH2iJ4kL6mN8oP0qR2sT4uV6wX8yZ0"
    cdr = gre_cdr(doc.number, link=link, notes=("4398 - El Número de placa no se encuentra en las bases",))
    pdf = render_pdf(doc.xml, formato=formato, cdr=cdr)
    text = flat(pdf)
    assert qr_codes(pdf) == [link]
    assert qr_text(doc.xml, cdr) == link
    # On 72 mm of paper the link cannot stay on one line even shrunk: it wraps.
    assert f"ConsultaenSUNAT:{link}" in "".join(text.split())
    assert f"Respuesta de SUNAT: 0 – El Comprobante numero {doc.number}, ha sido aceptado" in text
    assert "Observación 4398: El Número de placa no se encuentra en las bases" in text
    assert "sin constancia de recepción" not in text
    # The transport of a public carrier names the carrier and its MTC registration.
    assert "TRANSPORTES RAPIDOS DEL SUR S.A. – RUC 20131312955" in text
    assert "15M22004567" in text


def test_a_cdr_as_its_zip_gives_the_same_qr(corpus):
    import zipfile

    doc = corpus["consignacion"]
    link = QR_LINK + "abc123"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("dummy/", b"")
        archive.writestr(f"R-20100047218-09-{doc.number}.xml", gre_cdr(doc.number, link=link))
    assert qr_codes(render_pdf(doc.xml, cdr=buffer.getvalue())) == [link]


def test_a_rejected_guia_keeps_sunats_fields_and_says_it_is_rejected(corpus):
    doc = corpus["consignacion"]
    pdf = render_pdf(doc.xml, cdr=gre_cdr(doc.number, code="2555"))
    text = flat(pdf)
    assert "Respuesta de SUNAT: 2555" in text
    assert "RECHAZADO" in text
    assert qr_codes(pdf) == [qr_text(doc.xml)]


def test_greenters_recorded_gre_cdr_gives_the_link_it_carries(test_certificate):
    body = CASES["venta-transporte-privado"]
    doc = guia(test_certificate, body, 1)
    cdr = shared_path("sunat", "samples", "cdr", "greenter", "R-20000000001-09-T001-1.xml").read_bytes()
    pdf = render_pdf(doc.xml, formato="ticket", cdr=cdr)
    link = "https://e-factura.sunat.gob.pe/v1/contribuyente/gre/comprobantes/descargaqr?hashqr=xxxxxxxxxxxxxxxxxxxxxxxxxxx"
    assert qr_codes(pdf) == [link]
    assert "Observación 4398" in flat(pdf)


def test_a_cdr_of_another_guia_is_refused(corpus):
    doc = corpus["consignacion"]
    with pytest.raises(RenderError, match=f"El CDR es del comprobante T001-999, no del {doc.number}"):
        render_pdf(doc.xml, cdr=gre_cdr("T001-999", link=QR_LINK + "x"))


def test_guia_remitente_prints_route_transport_and_customs(corpus):
    text = flat(render_pdf(corpus["exportacion-por-el-callao"].xml))
    assert (
        "Punto de partida: Av. Ejercito 710, Yanahuara, AREQUIPA - AREQUIPA - AREQUIPA (ubigeo 040101)"
        in text
    )
    assert "Puerto: CLL – Callao" in text
    assert "Contenedor: MSCU1234565, precinto PE7781234" in text
    assert "Subpartida nacional: 0901119000" in text
    assert "Peso bruto de los ítems 3,980.000 KGM" in text
    assert "Peso bruto total 4,250.500 KGM" in text
    assert "Sustento del peso: Diferencia por pallets y embalaje de madera" in text


def test_guia_with_several_vehicles_drivers_and_indicators(corpus):
    text = flat(render_pdf(corpus["varios-vehiculos-y-conductores"].xml, formato="ticket"))
    assert "Vehículo principal: ABC123" in text
    assert text.count("Vehículo secundario") == 2
    assert "Conductor principal: JUAN CARLOS PEREZ ROJAS – DNI 46027897 – licencia Q46027897" in text
    assert text.count("Conductor secundario") == 2
    indicators = flat(render_pdf(corpus["transbordo-y-retorno"].xml))
    assert "Transbordo programado" in indicators
    assert "Retorno del vehículo vacío" in indicators


def test_guia_transportista_names_shipper_payer_and_subcontractor(corpus):
    tercero = flat(render_pdf(corpus["transportista-con-factura-y-pagador-tercero"].xml))
    assert "Remitente: DISTRIBUIDORA ANDINA S.A.C. – RUC 20100047218" in tercero
    assert "Pagador del flete: CONSTRUCTORA LOS ANDES S.A.C. – RUC 20603343710" in tercero
    assert "Paga el flete: un tercero" in tercero
    subcontratado = flat(render_pdf(corpus["transportista-subcontratado"].xml))
    assert "Subcontratador: LOGISTICA INTEGRAL DEL PERU S.A.C." in subcontratado
    assert "MTC-CARGA-2026-7781" in subcontratado


@pytest.mark.parametrize("formato", FORMATS)
def test_the_company_logo_is_drawn_on_a_guia(corpus, formato):
    buffer = io.BytesIO()
    Image.new("RGB", (300, 120), (10, 90, 160)).save(buffer, format="PNG")
    doc = corpus["venta-transporte-privado"]
    pdf = render_pdf(doc.xml, formato=formato, logo=buffer.getvalue())
    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 2
    assert qr_codes(pdf) == [qr_text(doc.xml)]
    if formato == "ticket":
        assert page_size_mm(pdf)[0] == pytest.approx(80, abs=0.05)
