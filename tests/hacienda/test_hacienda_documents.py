"""Every v4.4 document type, built and signed: valid against its April-2026 XSD and verified
by two independent XAdES verifiers (signxml's XAdESVerifier and ``hacienda_verifier``)."""

from __future__ import annotations

import base64
import copy
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from hacienda_support import (
    AHORA,
    CLAVE_FACTURA,
    certificado,
    emit,
    empresa,
    payload,
    xsd_errors,
)
from hacienda_verifier import HASH_POLITICA_V44, POLITICA_V44, VerificationError, verify
from lxml import etree
from signxml import DigestAlgorithm
from signxml.exceptions import InvalidDigest, InvalidSignature
from signxml.xades import XAdESSignaturePolicy, XAdESVerifier

from openpse.authorities.hacienda import (
    ComprobanteIn,
    Emisor,
    MensajeReceptorIn,
    emitir,
    emitir_mensaje,
    firmar_xml,
    leer_recibido,
    v44,
)
from openpse.authorities.hacienda.formatos import FORMATOS
from openpse.authorities.hacienda.rules import revisar
from openpse.core.errors import ValidationFailed
from openpse.signing.certificates import generate_test_certificate
from tests_support import shared_path

TIPOS = ["01", "02", "03", "04", "08", "09", "10"]
ROLES = {
    "01": "Emisor",
    "02": "Emisor",
    "03": "Emisor",
    "04": "Emisor",
    "08": "Receptor",
    "09": "Emisor",
    "10": "Emisor",
}
POLICY = XAdESSignaturePolicy(
    Identifier=POLITICA_V44,
    Description="",
    DigestMethod=DigestAlgorithm.SHA256,
    DigestValue=HASH_POLITICA_V44,
)


def signxml_verify(xml: bytes) -> None:
    pem = certificado().certificate.public_bytes(Encoding.PEM)
    results = XAdESVerifier().verify(xml, x509_cert=pem, expect_signature_policy=POLICY)
    assert len(results) == 3


def ns(tipo: str) -> str:
    return "{" + FORMATOS[tipo].namespace + "}"


@pytest.mark.parametrize("tipo", TIPOS)
def test_every_document_type_is_schema_valid_and_verifies(tipo: str):
    firmado = emit(payload(tipo))
    assert xsd_errors(firmado.xml, tipo) == []
    signxml_verify(firmado.xml)
    verified = verify(firmado.xml, role=ROLES[tipo])
    assert verified.document_digest == firmado.hash
    assert verified.certificate == certificado().certificate
    root = etree.fromstring(firmado.xml)
    assert root.tag == ns(tipo) + FORMATOS[tipo].raiz
    assert root.findtext(ns(tipo) + "Clave") == firmado.clave
    assert root.findtext(ns(tipo) + "NumeroConsecutivo") == firmado.consecutivo
    assert firmado.consecutivo[8:10] == tipo
    # The signature is the root's last child (reference §4).
    assert etree.QName(root[-1]).localname == "Signature"


def test_mensaje_receptor_is_schema_valid_and_signed_by_the_receiver():
    mensaje = MensajeReceptorIn(
        clave="50601112600310199999900100001010000000001100000001",
        numero_cedula_emisor="3101999999",
        mensaje=2,
        detalle_mensaje="Se acepta parcialmente: una línea no fue entregada",
        monto_total_impuesto=Decimal("130"),
        codigo_actividad="721001",
        condicion_impuesto="02",
        monto_total_impuesto_acreditar=Decimal("65"),
        total_factura=Decimal("1130"),
    )
    firmado = emitir_mensaje(mensaje, empresa(), certificado(), numero=7, ahora=AHORA)
    assert xsd_errors(firmado.xml, None) == []
    signxml_verify(firmado.xml)
    assert verify(firmado.xml, role="Receptor").document_digest == firmado.hash
    # Partial acceptance: type 06 in the consecutivo's type slot, its own sequence.
    assert firmado.consecutivo == "00100001060000000007"
    root = etree.fromstring(firmado.xml)
    mr = "{https://cdn.comprobanteselectronicos.go.cr/xml-schemas/v4.4/mensajeReceptor}"
    assert root.findtext(mr + "NumeroCedulaReceptor") == "3101123456"
    assert root.findtext(mr + "MontoTotalImpuestoAcreditar") == "65.00000"


@pytest.mark.parametrize(("mensaje", "tipo"), [(1, "05"), (2, "06"), (3, "07")])
def test_mensaje_receptor_consecutivo_type_follows_the_answer(mensaje: int, tipo: str):
    data = MensajeReceptorIn(
        clave="50601112600310199999900100001010000000001100000001",
        numero_cedula_emisor="3101999999",
        mensaje=mensaje,
        detalle_mensaje="Motivo del mensaje",
        total_factura=Decimal("1000"),
    )
    firmado = emitir_mensaje(data, empresa(), certificado(), numero=3, ahora=AHORA)
    assert firmado.consecutivo[8:10] == tipo


@pytest.mark.parametrize("tipo", TIPOS)
def test_unsigned_text_is_already_canonical(tipo: str):
    """What the signer hashes (before + after) is what C14N of the parsed document gives."""
    data = payload(tipo)
    data["items"][0]["descripcion"] = 'Tornillos & tuercas <M8> "grado 5"\r\n con\ttab ñ €'
    modelo = ComprobanteIn.model_validate(data)
    revision = revisar(modelo, empresa(), AHORA)
    encabezado = v44.Encabezado(
        CLAVE_FACTURA, "00100001010000000001", AHORA, "3101123456", "721001", "721001"
    )
    documento = v44.construir(modelo, empresa(), revision.calculo, encabezado)
    text = (documento.before + documento.after).encode("utf-8")
    assert etree.tostring(etree.fromstring(text), method="c14n") == text


def test_tampering_with_any_amount_breaks_both_verifiers():
    firmado = emit(payload("01"))
    tampered = firmado.xml.replace(b"<TotalComprobante>1130.00000<", b"<TotalComprobante>1030.00000<")
    assert tampered != firmado.xml
    with pytest.raises(VerificationError, match="DigestValue"):
        verify(tampered)
    with pytest.raises(InvalidDigest):
        signxml_verify(tampered)


def test_tampering_with_the_signed_properties_breaks_the_signature():
    firmado = emit(payload("01"))
    tampered = firmado.xml.replace(b"<xades:ClaimedRole>Emisor<", b"<xades:ClaimedRole>Receptor<")
    with pytest.raises(VerificationError, match="DigestValue"):
        verify(tampered)
    with pytest.raises((InvalidDigest, InvalidSignature)):
        signxml_verify(tampered)


def test_signature_survives_reserialisation():
    """Hacienda re-reads the XML; any faithful serialisation keeps the digests (C14N)."""
    firmado = emit(payload("04"))
    reserialised = etree.tostring(etree.fromstring(firmado.xml), encoding="UTF-8", xml_declaration=True)
    verify(reserialised)
    signxml_verify(reserialised)


def test_factura_de_compra_swaps_the_roles():
    firmado = emit(payload("08"))
    root = etree.fromstring(firmado.xml)
    n = ns("08")
    assert root.findtext(f"{n}Emisor/{n}Identificacion/{n}Numero") == "205550123"
    assert root.findtext(f"{n}Receptor/{n}Identificacion/{n}Numero") == "3101123456"
    # The buyer issues the FEC: its identification goes in the clave, its activity is mandatory.
    assert firmado.clave[9:21] == "003101123456"
    assert root.findtext(f"{n}CodigoActividadReceptor") == "721001"
    assert root.find(f"{n}CodigoActividadEmisor") is None
    assert firmado.emisor.numero == "205550123"
    assert firmado.receptor is not None
    assert firmado.receptor.numero == "3101123456"


def test_exportacion_lines_have_no_base_nor_net_tax():
    firmado = emit(payload("09"))
    root = etree.fromstring(firmado.xml)
    n = ns("09")
    linea = root.find(f"{n}DetalleServicio/{n}LineaDetalle")
    assert linea is not None
    assert linea.findtext(f"{n}PartidaArancelaria") == "090111000000"
    assert linea.find(f"{n}BaseImponible") is None
    assert linea.find(f"{n}ImpuestoNeto") is None
    assert root.findtext(f"{n}ResumenFactura/{n}CodigoTipoMoneda/{n}TipoCambio") == "505.12000"
    assert root.find(f"{n}ResumenFactura/{n}TotalExonerado") is None


def test_recibo_electronico_de_pago_is_reduced():
    firmado = emit(payload("10"))
    root = etree.fromstring(firmado.xml)
    n = ns("10")
    assert [etree.QName(e).localname for e in root.find(f"{n}Emisor")] == [
        "Nombre",
        "Identificacion",
        "CorreoElectronico",
        "CorreoElectronico",
    ]
    linea = root.find(f"{n}DetalleServicio/{n}LineaDetalle")
    assert linea is not None
    assert [etree.QName(e).localname for e in linea] == [
        "NumeroLinea",
        "Detalle",
        "MontoTotal",
        "SubTotal",
        "Impuesto",
        "ImpuestoNeto",
        "MontoTotalLinea",
    ]
    assert root.findtext(f"{n}ResumenFactura/{n}TotalComprobante") == "56500.00000"


def test_tiquete_without_receptor():
    data = payload("04")
    data.pop("receptor", None)
    firmado = emit(data)
    assert firmado.receptor is None
    assert etree.fromstring(firmado.xml).find(ns("04") + "Receptor") is None


def test_firmar_xml_signs_a_document_the_erp_built():
    """An ERP's unsigned v4.4 XML (its own prefixes and formatting) is signed as it is."""
    firmado = emit(payload("01"))
    root = etree.fromstring(firmado.xml)
    root.remove(root[-1])
    # The ERP's own serialisation: no ds declaration, declaration, an extra namespace, a comment.
    erp = etree.Element(
        root.tag,
        nsmap={None: etree.QName(root).namespace, "xsi": "http://www.w3.org/2001/XMLSchema-instance"},
    )
    erp.extend(copy.deepcopy(list(root)))
    erp.insert(1, etree.Comment(" generado por el ERP "))
    unsigned = etree.tostring(erp, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    signed = firmar_xml(unsigned, certificado(), ahora=AHORA)
    assert xsd_errors(signed.xml, "01") == []
    assert verify(signed.xml, role="Emisor").document_digest == signed.digest_value
    signxml_verify(signed.xml)


def test_firmar_xml_uses_the_role_of_the_document_type():
    firmado = emit(payload("08"))
    root = etree.fromstring(firmado.xml)
    root.remove(root[-1])
    signed = firmar_xml(etree.tostring(root), certificado(), ahora=AHORA)
    verify(signed.xml, role="Receptor")


def test_firmar_xml_refuses_what_it_cannot_sign():
    firmado = emit(payload("01"))
    with pytest.raises(ValidationFailed, match="ya está firmado"):
        firmar_xml(firmado.xml, certificado())
    with pytest.raises(ValidationFailed, match=r"no es un comprobante v4\.4"):
        firmar_xml(
            b"<Invoice xmlns='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'/>", certificado()
        )
    xxe = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    with pytest.raises(ValidationFailed) as caught:
        firmar_xml(xxe, certificado())
    assert caught.value.issues[0].cod == "PSE-0005"


def test_leer_recibido_reads_what_a_mensaje_receptor_needs():
    firmado = emit(payload("01"))
    recibido = leer_recibido(firmado.xml)
    assert recibido.clave == firmado.clave
    assert recibido.numero_cedula_emisor == "3101123456"
    assert recibido.numero_cedula_receptor == "106130584"
    assert recibido.total_comprobante == Decimal("1130.00000")
    assert recibido.total_impuesto == Decimal("130.00000")
    assert recibido.tipo == "01"


def test_signed_xml_is_what_the_recepcion_api_receives():
    firmado = emit(payload("01"))
    # The recepción API takes base64 of the exact UTF-8 bytes; nothing may touch them after signing.
    assert base64.b64decode(base64.b64encode(firmado.xml)) == firmado.xml
    assert firmado.xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<FacturaElectronica ')
    assert firmado.nombre_archivo == f"{firmado.clave}.xml"


@pytest.mark.parametrize("tipo", TIPOS)
def test_documents_without_2026_only_codes_also_fit_the_2024_schemas(tipo: str):
    """Until 2026-10-31 the 2024 set was in force: only the April-2026 codes (CodigoReferencia
    13–17, TipoDocIR 19–20) and alphanumeric claves separate them."""
    data = payload(tipo)
    for ref in data.get("referencias", []):
        if ref.get("codigo") == "17":
            ref["codigo"] = None
    firmado = emit(data)
    schema = etree.XMLSchema(
        etree.parse(str(shared_path("hacienda", "xsd", "v4.4", "2024", FORMATOS[tipo].xsd)))
    )
    assert schema.validate(etree.fromstring(firmado.xml)), schema.error_log


def test_proveedor_sistemas_is_written_and_checked():
    firmado = emit(payload("01"), proveedor_sistemas="3102987654")
    assert etree.fromstring(firmado.xml).findtext(ns("01") + "ProveedorSistemas") == "3102987654"
    with pytest.raises(ValidationFailed) as caught:
        emit(payload("01"), proveedor_sistemas="3-102-987654")
    assert (caught.value.issues[0].cod, caught.value.issues[0].campo) == ("PSE-0002", "proveedor_sistemas")
    # Without a provider, the company runs its own system: its own cédula.
    assert etree.fromstring(emit(payload("01")).xml).findtext(ns("01") + "ProveedorSistemas") == "3101123456"


def test_mensaje_receptor_from_a_received_factura():
    """A supplier's factura arrives; the company accepts it with what leer_recibido read."""
    proveedor = Emisor.model_validate(
        {
            "nombre": "Proveedora del Valle S.A.",
            "identificacion": {"tipo": "02", "numero": "3101000001"},
            "ubicacion": {
                "provincia": "3",
                "canton": "01",
                "distrito": "01",
                "otras_senas": "Frente al parque",
            },
            "correos": ["ventas@valle.cr"],
            "codigo_actividad": "523401",
        }
    )
    data = payload("01")
    data["receptor"] = {
        "nombre": "Servicios Demo S.A.",
        "identificacion": {"tipo": "02", "numero": "3101123456"},
    }
    recibida = emitir(
        ComprobanteIn.model_validate(data),
        proveedor,
        generate_test_certificate("3101000001", "PROVEEDORA DEL VALLE"),
        numero=77,
        ahora=AHORA,
    )
    leido = leer_recibido(recibida.xml)
    assert (leido.tipo_cedula_emisor, leido.numero_cedula_emisor) == ("02", "3101000001")
    mensaje = MensajeReceptorIn(
        clave=leido.clave,
        numero_cedula_emisor=leido.numero_cedula_emisor,
        tipo_identificacion_emisor=leido.tipo_cedula_emisor,
        mensaje=1,
        monto_total_impuesto=leido.total_impuesto,
        condicion_impuesto="01",
        total_factura=leido.total_comprobante,
    )
    firmado = emitir_mensaje(mensaje, empresa(), certificado(), numero=1, ahora=AHORA)
    assert xsd_errors(firmado.xml, None) == []
    verify(firmado.xml, role="Receptor")
    assert firmado.emisor is not None
    assert (firmado.emisor.tipo, firmado.emisor.numero) == ("02", "3101000001")
    assert firmado.receptor.numero == "3101123456"
    mr = "{https://cdn.comprobanteselectronicos.go.cr/xml-schemas/v4.4/mensajeReceptor}"
    # Condición 01: the whole tax is credited by default.
    assert etree.fromstring(firmado.xml).findtext(mr + "MontoTotalImpuestoAcreditar") == "130.00000"
