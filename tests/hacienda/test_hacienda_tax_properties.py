"""Properties of random comprobantes: the summary written in the XML is always the sum of the
lines written in the XML, every line obeys the XSD-annotation formulas, every amount has five
decimals, and the unsigned text is its own Canonical XML form."""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hacienda_support import AHORA, CABYS_SERVICIO, emit, empresa, item, payload, xsd_errors
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from openpse.authorities.hacienda import ComprobanteIn, v44
from openpse.authorities.hacienda.catalogs import CODIGOS_DESCUENTO, TARIFAS_IVA
from openpse.authorities.hacienda.rules import revisar

Q5 = Decimal("0.00001")
AMOUNT = re.compile(r"^\d+\.\d{5}$")
MONEY_TAGS = {
    "MontoTotal",
    "SubTotal",
    "BaseImponible",
    "Monto",
    "MontoExoneracion",
    "ImpuestoNeto",
    "MontoTotalLinea",
    "MontoDescuento",
    "MontoCargo",
    "TotalMontoImpuesto",
    "TotalMedioPago",
    "TipoCambio",
    "ImpuestoAsumidoEmisorFabrica",
} | {
    f"Total{x}" for x in ("Venta", "VentaNeta", "Descuentos", "Impuesto", "Comprobante", "Gravado", "Exento")
}
EXONERACION = {
    "tipo_documento": "03",
    "numero_documento": "LEY-7210-ART-20",
    "articulo": 20,
    "inciso": 1,
    "nombre_institucion": "01",
    "fecha_emision": "2026-10-01T08:00:00-06:00",
}
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def r5(value: Decimal) -> Decimal:
    return value.quantize(Q5, rounding=ROUND_HALF_UP)


@st.composite
def lineas(draw: st.DrawFn) -> dict[str, Any]:
    tarifa = draw(st.sampled_from(sorted(TARIFAS_IVA)))
    rate = TARIFAS_IVA[tarifa][0]
    cantidad = draw(st.decimals(min_value=Decimal("0.001"), max_value=Decimal("5000"), places=3))
    precio = draw(st.decimals(min_value=Decimal("0"), max_value=Decimal("250000"), places=5))
    line = item(precio, cantidad, tarifa, servicio=draw(st.booleans()))
    # Percentages of what is left never exceed the line amount.
    line["descuentos"] = [
        {"porcentaje": str(p), "codigo": c}
        for p, c in draw(
            st.lists(
                st.tuples(
                    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("40"), places=2),
                    st.sampled_from(sorted(set(CODIGOS_DESCUENTO) - {"99"})),
                ),
                max_size=3,
            )
        )
    ]
    impuestos: list[dict[str, Any]] = []
    if draw(st.booleans()):
        impuestos.append(
            {"codigo": "02", "tarifa": str(draw(st.decimals(min_value=0, max_value=30, places=2)))}
        )
    iva: dict[str, Any] = {"codigo": "01", "codigo_tarifa_iva": tarifa}
    if rate > 0 and tarifa != "10" and draw(st.booleans()):
        exonerada = draw(st.decimals(min_value=Decimal("0.01"), max_value=rate, places=2))
        iva["exoneracion"] = {**EXONERACION, "tarifa_exonerada": str(exonerada)}
    elif rate == 0 and draw(st.booleans()):
        line["no_sujeto"] = True
    impuestos.append(iva)
    line["impuestos"] = impuestos
    return line


@st.composite
def comprobantes(draw: st.DrawFn) -> dict[str, Any]:
    items = draw(st.lists(lineas(), min_size=1, max_size=6))
    cargos = [
        {"tipo_documento": "02", "detalle": "Timbre de la Cruz Roja", "monto": str(m)}
        for m in draw(st.lists(st.decimals(min_value=0, max_value=10000, places=5), max_size=2))
    ]
    if draw(st.booleans()):
        cargos.append({"tipo_documento": "06", "detalle": "Impuesto de servicio", "porcentaje": "10"})
    extra: dict[str, Any] = {"items": items, "otros_cargos": cargos}
    if draw(st.booleans()):
        extra["moneda"] = "USD"
        extra["tipo_cambio"] = str(
            draw(st.decimals(min_value=Decimal("400"), max_value=Decimal("700"), places=5))
        )
    return payload(draw(st.sampled_from(["01", "04"])), **extra)


def _d(node: etree._Element, tag: str) -> Decimal:
    return Decimal(node.findtext("{*}" + tag) or "0")


def _sum(nodes: list[etree._Element], tag: str) -> Decimal:
    return sum((_d(n, tag) for n in nodes), Decimal(0))


@PROPERTY
@given(comprobantes())
def test_written_summary_is_the_sum_of_the_written_lines(data: dict[str, Any]):
    firmado = emit(data)
    root = etree.fromstring(firmado.xml)
    resumen = root.find("{*}ResumenFactura")
    assert resumen is not None
    lines = root.findall("{*}DetalleServicio/{*}LineaDetalle")
    taxes_by_code: dict[tuple[str, str | None], Decimal] = defaultdict(Decimal)
    for line in lines:
        monto_total = _d(line, "MontoTotal")
        assert monto_total == r5(_d(line, "Cantidad") * _d(line, "PrecioUnitario"))
        descuentos = _sum(line.findall("{*}Descuento"), "MontoDescuento")
        assert _d(line, "SubTotal") == monto_total - descuentos
        neto = -_d(line, "ImpuestoAsumidoEmisorFabrica")
        for tax in line.findall("{*}Impuesto"):
            exonerado = (
                _d(tax, "Exoneracion/{*}MontoExoneracion") if tax.find("{*}Exoneracion") is not None else 0
            )
            if tax.findtext("{*}Codigo") == "01":
                assert _d(tax, "Monto") == r5(_d(line, "BaseImponible") * _d(tax, "Tarifa") / 100)
            neto += _d(tax, "Monto") - exonerado
            taxes_by_code[(tax.findtext("{*}Codigo") or "", tax.findtext("{*}CodigoTarifaIVA"))] += (
                _d(tax, "Monto") - exonerado
            )
        assert _d(line, "ImpuestoNeto") == neto
        assert _d(line, "MontoTotalLinea") == _d(line, "SubTotal") + neto

    servicios = [line for line in lines if (line.findtext("{*}CodigoCABYS") or "")[0] >= "5"]
    bienes = [line for line in lines if line not in servicios]
    serv = sum(
        _d(resumen, t)
        for t in ("TotalServGravados", "TotalServExentos", "TotalServExonerado", "TotalServNoSujeto")
    )
    merc = sum(
        _d(resumen, t)
        for t in (
            "TotalMercanciasGravadas",
            "TotalMercanciasExentas",
            "TotalMercExonerada",
            "TotalMercNoSujeta",
        )
    )
    assert serv == _sum(servicios, "MontoTotal")
    assert merc == _sum(bienes, "MontoTotal")
    assert _d(resumen, "TotalGravado") == _d(resumen, "TotalServGravados") + _d(
        resumen, "TotalMercanciasGravadas"
    )
    assert _d(resumen, "TotalExento") == _d(resumen, "TotalServExentos") + _d(
        resumen, "TotalMercanciasExentas"
    )
    assert _d(resumen, "TotalExonerado") == _d(resumen, "TotalServExonerado") + _d(
        resumen, "TotalMercExonerada"
    )
    assert _d(resumen, "TotalNoSujeto") == _d(resumen, "TotalServNoSujeto") + _d(resumen, "TotalMercNoSujeta")
    total_venta = _d(resumen, "TotalVenta")
    assert total_venta == _sum(lines, "MontoTotal")
    assert total_venta == sum(
        _d(resumen, t) for t in ("TotalGravado", "TotalExento", "TotalExonerado", "TotalNoSujeto")
    )
    assert _d(resumen, "TotalDescuentos") == _sum(root.findall(".//{*}Descuento"), "MontoDescuento")
    assert _d(resumen, "TotalVentaNeta") == _sum(lines, "SubTotal")
    assert _d(resumen, "TotalImpuesto") == _sum(lines, "ImpuestoNeto")
    desglose = {
        (d.findtext("{*}Codigo") or "", d.findtext("{*}CodigoTarifaIVA")): _d(d, "TotalMontoImpuesto")
        for d in resumen.findall("{*}TotalDesgloseImpuesto")
    }
    assert desglose == dict(taxes_by_code)
    otros = _sum(root.findall("{*}OtrosCargos"), "MontoCargo")
    assert _d(resumen, "TotalOtrosCargos") == otros
    total = _d(resumen, "TotalComprobante")
    assert total == _d(resumen, "TotalVentaNeta") + _d(resumen, "TotalImpuesto") + otros
    assert total == _sum(lines, "MontoTotalLinea") + otros
    assert _sum(resumen.findall("{*}MedioPago"), "TotalMedioPago") == total
    for node in root.iter():
        if isinstance(node.tag, str) and etree.QName(node).localname in MONEY_TAGS and len(node) == 0:
            assert AMOUNT.match(node.text or ""), (etree.QName(node).localname, node.text)


@PROPERTY
@given(comprobantes())
def test_bucket_parts_add_up_to_each_line(data: dict[str, Any]):
    calculo = revisar(ComprobanteIn.model_validate(data), empresa(), AHORA).calculo
    for linea in calculo.lineas:
        assert linea.gravado + linea.exento + linea.exonerado + linea.no_sujeto == linea.monto_total
        assert min(linea.gravado, linea.exento, linea.exonerado, linea.no_sujeto) >= 0
        assert linea.servicio == (linea.item.cabys == CABYS_SERVICIO)


@settings(max_examples=25, deadline=None)
@given(comprobantes())
def test_random_documents_are_schema_valid(data: dict[str, Any]):
    firmado = emit(data)
    assert xsd_errors(firmado.xml, data["tipo"]) == []


_XML_TEXT = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters="\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17"
        "\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\ufffe\uffff",
    ),
    min_size=5,
    max_size=60,
).filter(lambda s: len(s.strip()) >= 5)


@settings(max_examples=80, deadline=None)
@given(descripcion=_XML_TEXT, senas=_XML_TEXT, otro=_XML_TEXT, codigo=_XML_TEXT)
def test_unsigned_text_with_any_characters_is_canonical(descripcion: str, senas: str, otro: str, codigo: str):
    data = payload(
        "01",
        items=[item(descripcion=descripcion.strip()[:200])],
        otros=[{"texto": otro.strip(), "codigo": codigo.strip()}],
    )
    data["receptor"]["ubicacion"] = {
        "provincia": "1",
        "canton": "01",
        "distrito": "02",
        "otras_senas": senas.strip(),
    }
    modelo = ComprobanteIn.model_validate(data)
    revision = revisar(modelo, empresa(), AHORA)
    encabezado = v44.Encabezado("5" * 50, "0" * 20, AHORA, "3101123456", "721001", None)
    documento = v44.construir(modelo, empresa(), revision.calculo, encabezado)
    text = (documento.before + documento.after).encode("utf-8")
    assert etree.tostring(etree.fromstring(text), method="c14n") == text
