"""The code tables of ``catalogs.py`` and ``data/catalogos.json`` against Hacienda's own files."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from importlib import resources

import pytest
from hacienda_catalog_source import render
from lxml import etree

from openpse.authorities.hacienda import catalogs
from openpse.authorities.hacienda.formatos import FORMATOS
from tests_support import shared_path

XS = "{http://www.w3.org/2001/XMLSchema}"


def _root(xsd: str) -> etree._Element:
    return etree.parse(str(shared_path("hacienda", "xsd", "v4.4", "2026", xsd))).getroot()


def _doc(node: etree._Element) -> str:
    doc = node.find(f"{XS}annotation/{XS}documentation")
    return " ".join("".join(doc.itertext()).split()) if doc is not None else ""


def enumeration(xsd: str, name: str, within: str | None = None) -> dict[str, str]:
    """Values of the simple type ``name``, or of the inline type of element ``name``
    (inside the complex type ``within`` when given)."""
    root = _root(xsd)
    if within is not None:
        root = next(n for n in root.iter(f"{XS}complexType") if n.get("name") == within)
    for node in root.iter(f"{XS}simpleType"):
        if node.get("name") == name:
            return {e.get("value", ""): _doc(e) for e in node.iter(f"{XS}enumeration")}
    for element in root.iter(f"{XS}element"):
        if element.get("name") == name and element.find(f"{XS}simpleType") is not None:
            return {e.get("value", ""): _doc(e) for e in element.iter(f"{XS}enumeration")}
    raise KeyError(name)


FE = "FacturaElectronica_V4.4.xsd"


@pytest.mark.parametrize(
    ("tabla", "xsd", "nombre"),
    [
        (catalogs.MEDIOS_PAGO, FE, "TipoMedioPago"),
        (catalogs.TIPOS_IDENTIFICACION, FE, "IdentificacionType/Tipo"),
        (catalogs.CODIGOS_COMERCIALES, FE, "CodigoType/Tipo"),
        (catalogs.CODIGOS_DESCUENTO, FE, "CodigoDescuentoType"),
        (catalogs.CODIGOS_IMPUESTO, FE, "CodigoImpuestoType"),
        (catalogs.TARIFAS_IVA, FE, "CodigoTarifaIVAType"),
        (catalogs.TIPOS_DOCUMENTO_EXONERACION, FE, "TipoExoneracionType"),
        (catalogs.INSTITUCIONES, FE, "NombreInstitucion"),
        (catalogs.TIPOS_OTROS_CARGOS, FE, "TipoDocOtrosCargosType"),
        (catalogs.TIPOS_DOCUMENTO_REFERENCIA, FE, "TipoDocReferenciaType"),
        (catalogs.TIPOS_TRANSACCION, FE, "TipoTransaccionType"),
        (catalogs.IVA_COBRADO_FABRICA, FE, "IVACobradoFabrica"),
        (catalogs.CONDICIONES_IMPUESTO, "MensajeReceptor_V4.4.xsd", "CondicionImpuesto"),
    ],
)
def test_table_has_exactly_the_codes_of_the_xsd(tabla: dict[str, object], xsd: str, nombre: str):
    within, _, element = nombre.rpartition("/")
    assert set(tabla) == set(enumeration(xsd, element, within or None))


def test_reference_codes_are_the_invoice_ones_plus_the_rep_payment():
    factura = set(enumeration(FE, "CodigoReferenciaType"))
    recibo = set(enumeration("ReciboElectronicoPago_V4.4.xsd", "CodigoReferenciaType"))
    assert recibo - factura == {"17"}
    assert set(catalogs.CODIGOS_REFERENCIA) == factura | recibo


@pytest.mark.parametrize("tipo", sorted(FORMATOS))
def test_sale_conditions_per_document_type(tipo: str):
    assert catalogs.CONDICIONES_POR_TIPO[tipo] == set(enumeration(FORMATOS[tipo].xsd, "CondicionVenta"))
    assert catalogs.CONDICIONES_POR_TIPO[tipo] <= set(catalogs.CONDICIONES_VENTA)


def test_iva_rates_are_the_ones_named_in_the_xsd():
    for codigo, nombre in enumeration(FE, "CodigoTarifaIVAType").items():
        numero = re.search(r"(\d+(?:\.\d+)?)%", nombre)
        esperado = Decimal(numero.group(1)) if numero else Decimal(0)  # "Tarifa Exenta"
        assert catalogs.TARIFAS_IVA[codigo][0] == esperado, nombre


def test_packaged_data_is_what_the_official_files_say():
    shared_path("hacienda", "catalogs", "Codificacionubicacion_V4.4.xlsx")
    packaged = (
        resources.files("openpse.authorities.hacienda").joinpath("data/catalogos.json").read_text("utf-8")
    )
    assert json.loads(packaged) == json.loads(render())


def test_units_and_currencies_come_from_the_xsd():
    assert set(catalogs.unidades_medida()) == set(enumeration(FE, "UnidadMedidaType"))
    assert len(catalogs.unidades_medida()) == 101
    assert catalogs.monedas() == set(enumeration(FE, "CodigoMoneda"))
    assert catalogs.UNIDADES_SERVICIO.issubset(catalogs.unidades_medida())


def test_locations_of_codificacion_ubicacion():
    assert catalogs.ubicacion_valida("1", "01", "01")
    assert catalogs.nombre_ubicacion("1", "01", "01") == ("San José", "San José", "Carmen")
    assert catalogs.ubicacion_valida("7", "06", "04")  # Limón, Guácimo, Río Jiménez
    assert not catalogs.ubicacion_valida("8", "01", "01")
    assert not catalogs.ubicacion_valida("1", "21", "01")
    assert not catalogs.ubicacion_valida("1", "01", "99")
    assert catalogs.nombre_ubicacion("1", "01", "99") is None


def test_pharmaceutical_forms_of_nota_9():
    formas = catalogs.formas_farmaceuticas()
    assert len(formas) == 229
    assert formas["04"] == "Cápsula"
