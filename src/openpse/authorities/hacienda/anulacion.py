"""Annulment in Costa Rica: a nota de crédito that reverses the whole document.

Hacienda has no "baja": a comprobante is annulled by a nota de crédito electrónica that
references it with CodigoReferencia 01 "Anula documento de referencia" (nota 9) and
credits all of it (API.md, "Hacienda: nota de crédito"). For the credit to net out in the
issuer's and the buyer's IVA declarations it must carry the same lines, the same taxes
per rate and the same totals as the annulled document, so the note is rebuilt from the
signed XML of that document: every line, tax, exoneration, discount and charge is read
back into a request (:class:`~openpse.authorities.hacienda.models.ComprobanteIn`) that goes
through the same rules, computation and builder as any other note; then every total of
the note is compared with the original's and a difference stops the annulment instead
of sending a note that does not mirror it.

What can be annulled this way: the factura (01), the nota de débito (02), the tiquete
(04) and the factura de exportación (09). A nota de crédito is reverted with a nota de
débito, a factura de compra by its own notes (TipoDocIR 17), a recibo electrónico de
pago is not a sale: for those the integrator issues the note it needs.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree
from pydantic import ValidationError

from openpse.authorities.hacienda import catalogs
from openpse.authorities.hacienda.formatos import FORMATOS, Formato
from openpse.authorities.hacienda.models import ComprobanteIn, Item
from openpse.authorities.hacienda.totals import es_servicio, round5
from openpse.core import xmlsafe
from openpse.core.errors import Code, Issue, ValidationFailed

ANULABLES = {"01": "01", "02": "02", "04": "04", "09": "19"}
"""Document types annulled by a credit note, to the TipoDocIR (nota 10) that references
them: 19 "Factura Electrónica de Exportación" exists since the April-2026 revision."""
CODIGO_ANULA = "01"
"""CodigoReferencia 01: "Anula documento de referencia" (nota 9)."""
RAZON_MAXIMA = 180
"""InformacionReferencia/Razon holds up to 180 characters."""

_RESUMEN_COMPARADO = (
    "TotalServGravados",
    "TotalServExentos",
    "TotalServExonerado",
    "TotalServNoSujeto",
    "TotalMercanciasGravadas",
    "TotalMercanciasExentas",
    "TotalMercExonerada",
    "TotalMercNoSujeta",
    "TotalGravado",
    "TotalExento",
    "TotalExonerado",
    "TotalNoSujeto",
    "TotalVenta",
    "TotalDescuentos",
    "TotalVentaNeta",
    "TotalImpuesto",
    "TotalImpAsumEmisorFabrica",
    "TotalIVADevuelto",
    "TotalOtrosCargos",
    "TotalComprobante",
)
"""Summary amounts a full credit note must repeat (those the annulled document has)."""


class _Lector:
    """Reads children of a v4.4 element by local name in the document's namespace."""

    def __init__(self, namespace: str) -> None:
        self.ns = namespace

    def hijo(self, node: etree._Element, nombre: str) -> etree._Element | None:
        return node.find(f"{{{self.ns}}}{nombre}")

    def hijos(self, node: etree._Element, nombre: str) -> list[etree._Element]:
        return node.findall(f"{{{self.ns}}}{nombre}")

    def texto(self, node: etree._Element, nombre: str) -> str | None:
        child = self.hijo(node, nombre)
        return child.text if child is not None and child.text is not None else None

    def decimal(self, node: etree._Element, nombre: str) -> Decimal | None:
        text = self.texto(node, nombre)
        if text is None:
            return None
        try:
            return Decimal(text.strip())
        except InvalidOperation as exc:
            raise _Ilegible(f"{nombre} no es un número: {text!r}") from exc


class _Ilegible(ValueError):
    """The stored document does not have the shape OpenPSE writes."""


def _sin_nulos(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value is not None and value != []}


def _identificacion(lector: _Lector, node: etree._Element | None) -> dict[str, Any] | None:
    if node is None:
        return None
    return {"tipo": lector.texto(node, "Tipo"), "numero": lector.texto(node, "Numero")}


def _ubicacion(lector: _Lector, node: etree._Element | None) -> dict[str, Any] | None:
    if node is None:
        return None
    return _sin_nulos(
        {
            "provincia": lector.texto(node, "Provincia"),
            "canton": lector.texto(node, "Canton"),
            "distrito": lector.texto(node, "Distrito"),
            "barrio": lector.texto(node, "Barrio"),
            "otras_senas": lector.texto(node, "OtrasSenas"),
        }
    )


def _telefono(lector: _Lector, node: etree._Element | None) -> dict[str, Any] | None:
    if node is None:
        return None
    return {"codigo_pais": lector.texto(node, "CodigoPais"), "numero": lector.texto(node, "NumTelefono")}


def _receptor(lector: _Lector, root: etree._Element) -> dict[str, Any] | None:
    node = lector.hijo(root, "Receptor")
    if node is None:
        return None
    return _sin_nulos(
        {
            "nombre": lector.texto(node, "Nombre"),
            "identificacion": _identificacion(lector, lector.hijo(node, "Identificacion")),
            "nombre_comercial": lector.texto(node, "NombreComercial"),
            "ubicacion": _ubicacion(lector, lector.hijo(node, "Ubicacion")),
            "otras_senas_extranjero": lector.texto(node, "OtrasSenasExtranjero"),
            "telefono": _telefono(lector, lector.hijo(node, "Telefono")),
            "correo": lector.texto(node, "CorreoElectronico"),
            "codigo_actividad": lector.texto(root, "CodigoActividadReceptor"),
        }
    )


def _exoneracion(lector: _Lector, node: etree._Element | None) -> dict[str, Any] | None:
    if node is None:
        return None
    return _sin_nulos(
        {
            "tipo_documento": lector.texto(node, "TipoDocumentoEX1"),
            "tipo_documento_otro": lector.texto(node, "TipoDocumentoOTRO"),
            "numero_documento": lector.texto(node, "NumeroDocumento"),
            "articulo": lector.texto(node, "Articulo"),
            "inciso": lector.texto(node, "Inciso"),
            "nombre_institucion": lector.texto(node, "NombreInstitucion"),
            "nombre_institucion_otros": lector.texto(node, "NombreInstitucionOtros"),
            "fecha_emision": lector.texto(node, "FechaEmisionEX"),
            "tarifa_exonerada": lector.texto(node, "TarifaExonerada"),
        }
    )


def _impuesto(lector: _Lector, node: etree._Element) -> dict[str, Any]:
    codigo = lector.texto(node, "Codigo")
    codigo_tarifa = lector.texto(node, "CodigoTarifaIVA")
    datos_node = lector.hijo(node, "DatosImpuestoEspecifico")
    datos = None
    if datos_node is not None:
        # Proporcion is left out: the computation derives it from these two, as it did
        # for the annulled document.
        datos = _sin_nulos(
            {
                "cantidad_unidad_medida": lector.texto(datos_node, "CantidadUnidadMedida"),
                "porcentaje": lector.texto(datos_node, "Porcentaje"),
                "volumen_unidad_consumo": lector.texto(datos_node, "VolumenUnidadConsumo"),
                "impuesto_unidad": lector.texto(datos_node, "ImpuestoUnidad"),
            }
        )
    tarifa = lector.texto(node, "Tarifa")
    if codigo in catalogs.IMPUESTOS_IVA and codigo_tarifa is not None:
        # The rate of an IVA follows from its CodigoTarifaIVA (nota 8.1).
        tarifa = None
    monto = None
    if codigo == "99" and tarifa is None:
        # A tax 99 without a rate is an amount the issuer gave.
        monto = lector.texto(node, "Monto")
    return _sin_nulos(
        {
            "codigo": codigo,
            "codigo_otro": lector.texto(node, "CodigoImpuestoOTRO"),
            "codigo_tarifa_iva": codigo_tarifa,
            "tarifa": tarifa,
            "factor_calculo_iva": lector.texto(node, "FactorCalculoIVA"),
            "datos_especificos": datos,
            "monto": monto,
            "monto_exportacion": lector.texto(node, "MontoExportacion"),
            "exoneracion": _exoneracion(lector, lector.hijo(node, "Exoneracion")),
        }
    )


def _descuento(lector: _Lector, node: etree._Element) -> dict[str, Any]:
    return _sin_nulos(
        {
            "monto": lector.texto(node, "MontoDescuento"),
            "codigo": lector.texto(node, "CodigoDescuento"),
            "codigo_otro": lector.texto(node, "CodigoDescuentoOTRO"),
            "naturaleza": lector.texto(node, "NaturalezaDescuento"),
        }
    )


def _item(lector: _Lector, node: etree._Element) -> dict[str, Any]:
    impuestos = [_impuesto(lector, impuesto) for impuesto in lector.hijos(node, "Impuesto")]
    fabrica = lector.texto(node, "IVACobradoFabrica")
    base = None
    if fabrica == "01" or any(impuesto["codigo"] == "07" for impuesto in impuestos):
        # Only then was the base given rather than computed (BaseImponible annotation).
        base = lector.texto(node, "BaseImponible")
    asumido = lector.decimal(node, "ImpuestoAsumidoEmisorFabrica")
    return _sin_nulos(
        {
            "cabys": lector.texto(node, "CodigoCABYS"),
            "partida_arancelaria": lector.texto(node, "PartidaArancelaria"),
            "codigos_comerciales": [
                {"tipo": lector.texto(codigo, "Tipo"), "codigo": lector.texto(codigo, "Codigo")}
                for codigo in lector.hijos(node, "CodigoComercial")
            ],
            "cantidad": lector.texto(node, "Cantidad"),
            "unidad": lector.texto(node, "UnidadMedida"),
            "unidad_comercial": lector.texto(node, "UnidadMedidaComercial"),
            "tipo_transaccion": lector.texto(node, "TipoTransaccion"),
            "descripcion": lector.texto(node, "Detalle"),
            "numeros_vin_serie": [vin.text or "" for vin in lector.hijos(node, "NumeroVINoSerie")],
            "registro_medicamento": lector.texto(node, "RegistroMedicamento"),
            "forma_farmaceutica": lector.texto(node, "FormaFarmaceutica"),
            "precio_unitario": lector.texto(node, "PrecioUnitario"),
            "descuentos": [_descuento(lector, descuento) for descuento in lector.hijos(node, "Descuento")],
            "iva_cobrado_fabrica": fabrica,
            "base_imponible": base,
            "impuestos": impuestos,
            "impuesto_asumido_emisor_fabrica": asumido if asumido else None,
        }
    )


def _otro_cargo(lector: _Lector, node: etree._Element) -> dict[str, Any]:
    tercero_id = _identificacion(lector, lector.hijo(node, "IdentificacionTercero"))
    return _sin_nulos(
        {
            "tipo_documento": lector.texto(node, "TipoDocumentoOC"),
            "tipo_documento_otros": lector.texto(node, "TipoDocumentoOTROS"),
            "tercero": {"identificacion": tercero_id, "nombre": lector.texto(node, "NombreTercero")}
            if tercero_id is not None
            else None,
            "detalle": lector.texto(node, "Detalle"),
            "porcentaje": lector.texto(node, "PorcentajeOC"),
            "monto": lector.texto(node, "MontoCargo"),
        }
    )


MAX_CANDIDATOS = 16
"""Lines of one bucket that could be "no sujeto", searched exhaustively (2^16 choices)."""


def _iva_de(item: dict[str, Any]) -> dict[str, Any] | None:
    return next((i for i in item.get("impuestos", []) if i.get("codigo") in catalogs.IMPUESTOS_IVA), None)


def _tipo_candidato(item: dict[str, Any]) -> str | None:
    """How a line that could be "no sujeto" counts otherwise: ``exento`` (no IVA, or the
    exempt rate 10) or ``gravado`` (IVA at a zero rate); None when it charges IVA."""
    iva = _iva_de(item)
    if iva is None or iva.get("codigo_tarifa_iva") == catalogs.TARIFA_EXENTA:
        return "exento"
    codigo = iva.get("codigo_tarifa_iva")
    tarifa = catalogs.TARIFAS_IVA[codigo][0] if codigo in catalogs.TARIFAS_IVA else iva.get("tarifa")
    if iva.get("factor_calculo_iva") is None and not Decimal(tarifa or 0):
        return "gravado"
    return None


def _marcar_no_sujetos(lector: _Lector, resumen: etree._Element, items: list[dict[str, Any]]) -> None:
    """Tell the lines that were "no sujeto" of IVA.

    A line does not say it (no element carries it); the summary does, per services and
    goods: TotalServNoSujeto/TotalMercNoSujeta. A no-sujeto line charges no IVA, so it
    would otherwise count as exempt (no IVA, or rate 10) or taxed at zero (a 0 % rate).
    The lines marked are a choice of those candidates whose amounts add up to the bucket's
    no-sujeto total while the unchosen exempt-like ones add up to its exempt total; any
    such choice gives the note the original's summary. When none is found (more than
    :data:`MAX_CANDIDATOS` candidates) nothing is marked and the final comparison of the
    totals refuses the note.
    """
    buckets = (
        (True, "TotalServNoSujeto", "TotalServExentos"),
        (False, "TotalMercNoSujeta", "TotalMercanciasExentas"),
    )
    for servicio, nombre_no_sujeto, nombre_exento in buckets:
        objetivo = lector.decimal(resumen, nombre_no_sujeto) or Decimal(0)
        if not objetivo:
            continue
        exento = lector.decimal(resumen, nombre_exento) or Decimal(0)
        candidatos = [
            (item, tipo, round5(Decimal(item["cantidad"]) * Decimal(item["precio_unitario"])))
            for item in items
            if es_servicio(Item.model_validate(item)) == servicio
            and (tipo := _tipo_candidato(item)) is not None
        ]
        if len(candidatos) > MAX_CANDIDATOS:
            continue
        for mascara in range(1, 1 << len(candidatos)):
            elegidos = [c for bit, c in enumerate(candidatos) if mascara >> bit & 1]
            restantes = [c for bit, c in enumerate(candidatos) if not mascara >> bit & 1]
            if (
                sum((monto for _, _, monto in elegidos), Decimal(0)) == objetivo
                and sum((monto for _, tipo, monto in restantes if tipo == "exento"), Decimal(0)) == exento
            ):
                for item, _, _ in elegidos:
                    item["no_sujeto"] = True
                break


def nota_de_anulacion(
    original: bytes,
    motivo: str,
    *,
    sucursal: int,
    terminal: int,
    fecha: dt.datetime,
) -> tuple[ComprobanteIn, str]:
    """The credit note that annuls ``original`` (its signed XML), and the clave it annuls.

    Raises ValidationFailed when the document is not of a type annulled this way or
    cannot be read back.
    """
    try:
        root = xmlsafe.parse(original)
    except (xmlsafe.UnsafeXml, etree.XMLSyntaxError) as exc:
        raise ValidationFailed(Issue(Code.XML_MALFORMADO, f"No se pudo leer el comprobante: {exc}")) from exc
    qname = etree.QName(root)
    formato = next((f for f in FORMATOS.values() if f.raiz == qname.localname), None)
    if formato is None or qname.namespace != formato.namespace:
        raise ValidationFailed(Issue(Code.NO_SOPORTADO, f"{qname.localname} no es un comprobante v4.4"))
    if formato.tipo not in ANULABLES:
        raise ValidationFailed(no_anulable(formato.tipo))
    lector = _Lector(formato.namespace)
    clave = lector.texto(root, "Clave") or ""
    try:
        data = _solicitud(lector, root, formato, clave, motivo, sucursal, terminal, fecha)
        return ComprobanteIn.model_validate(data), clave
    except (_Ilegible, ValidationError) as exc:
        raise ValidationFailed(
            Issue(
                Code.NO_SOPORTADO,
                f"No se pudo leer de vuelta el comprobante {clave} para anularlo: {exc}",
                "id",
            )
        ) from exc


def no_anulable(tipo: str) -> Issue:
    nombre = catalogs.TIPOS_COMPROBANTE.get(tipo, tipo).lower()
    razones = {
        "03": "una nota de crédito se revierte con una nota de débito",
        "08": "una factura de compra se corrige con sus propias notas (tipo de documento 17)",
        "10": "un recibo electrónico de pago no es una venta",
    }
    motivo = razones.get(tipo, "Hacienda no prevé anularlo con una nota de crédito")
    return Issue(
        Code.NO_SOPORTADO,
        f"La {nombre} no se anula con una nota de crédito de OpenPSE: {motivo}; "
        "emita el documento que corresponda por POST /v1/comprobantes",
        "tipo",
    )


def _solicitud(
    lector: _Lector,
    root: etree._Element,
    formato: Formato,
    clave: str,
    motivo: str,
    sucursal: int,
    terminal: int,
    fecha: dt.datetime,
) -> dict[str, Any]:
    detalle = lector.hijo(root, "DetalleServicio")
    resumen = lector.hijo(root, "ResumenFactura")
    fecha_original = lector.texto(root, "FechaEmision")
    if detalle is None or resumen is None or fecha_original is None or not clave:
        raise _Ilegible("faltan Clave, FechaEmision, DetalleServicio o ResumenFactura")
    items = [_item(lector, linea) for linea in lector.hijos(detalle, "LineaDetalle")]
    _marcar_no_sujetos(lector, resumen, items)
    moneda_node = lector.hijo(resumen, "CodigoTipoMoneda")
    moneda = lector.texto(moneda_node, "CodigoMoneda") if moneda_node is not None else None
    tipo_cambio = lector.texto(moneda_node, "TipoCambio") if moneda_node is not None else None
    medios = [
        _sin_nulos(
            {
                "tipo": lector.texto(medio, "TipoMedioPago"),
                "otro": lector.texto(medio, "MedioPagoOtros"),
                "monto": lector.texto(medio, "TotalMedioPago"),
            }
        )
        for medio in lector.hijos(resumen, "MedioPago")
    ]
    plazo = lector.texto(root, "PlazoCredito")
    return _sin_nulos(
        {
            "tipo": "03",
            "sucursal": sucursal,
            "terminal": terminal,
            "fecha_emision": fecha,
            "codigo_actividad": lector.texto(root, "CodigoActividadEmisor"),
            "receptor": _receptor(lector, root),
            "condicion_venta": lector.texto(root, "CondicionVenta"),
            "condicion_venta_otros": lector.texto(root, "CondicionVentaOtros"),
            "plazo_credito": plazo,
            "moneda": moneda or "CRC",
            "tipo_cambio": tipo_cambio if moneda and moneda != "CRC" else None,
            "medios_pago": medios,
            "items": items,
            "otros_cargos": [_otro_cargo(lector, cargo) for cargo in lector.hijos(root, "OtrosCargos")],
            "iva_devuelto": lector.texto(resumen, "TotalIVADevuelto"),
            "referencias": [
                {
                    "tipo_documento": ANULABLES[formato.tipo],
                    "numero": clave,
                    "fecha_emision": fecha_original,
                    "codigo": CODIGO_ANULA,
                    "razon": motivo[:RAZON_MAXIMA],
                }
            ],
        }
    )


def comparar_totales(original: bytes, nota: bytes) -> list[str]:
    """The summary amounts of ``nota`` that differ from ``original`` (empty: it mirrors it)."""
    diferencias = []
    resumenes = []
    for xml in (original, nota):
        root = xmlsafe.parse(xml)
        lector = _Lector(etree.QName(root).namespace or "")
        resumen = lector.hijo(root, "ResumenFactura")
        if resumen is None:
            return ["ResumenFactura"]
        resumenes.append({nombre: lector.decimal(resumen, nombre) for nombre in _RESUMEN_COMPARADO})
    antes, despues = resumenes
    for nombre in _RESUMEN_COMPARADO:
        esperado = antes[nombre]
        if esperado is None:
            continue
        obtenido = despues[nombre] or Decimal(0)
        if obtenido != esperado:
            diferencias.append(f"{nombre}: {obtenido} ≠ {esperado}")
    return diferencias
