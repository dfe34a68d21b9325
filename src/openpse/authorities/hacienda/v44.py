"""The v4.4 XML of every comprobante and of the MensajeReceptor, written in canonical form.

Element order and cardinalities follow the April-2026 XSDs (``FacturaElectronica``,
``NotaDebitoElectronica``, ``NotaCreditoElectronica``, ``TiqueteElectronico``,
``FacturaElectronicaCompra``, ``FacturaElectronicaExportacion``, ``ReciboElectronicoPago``,
``MensajeReceptor``); the namespace is ``…/xml-schemas/v4.4/<raízEnCamelCase>`` (reference
§3.1). The text is written directly in Canonical XML 1.0 form, so the XAdES signer hashes
it as it is, without parsing (``docs/decisions/0002-xml-canonico.md``): the header and the
parties with :class:`~openpse.signing.canonical.CanonicalWriter`, the lines, charges and
summary (most of a document) with f-strings at their known depth under the same rules
(escaped text, start and end tags, the writer's indentation), which costs a fraction of a
call per element; the tests compare the result with lxml's C14N on random content. Amounts
carry five decimals, as ``DecimalDineroType`` allows, so nothing the totals module computed
is lost in writing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from openpse.authorities.hacienda.formatos import (
    FORMATOS,
    MENSAJE_RECEPTOR_NS,
    MENSAJE_RECEPTOR_RAIZ,
    Formato,
)
from openpse.authorities.hacienda.models import (
    ComprobanteIn,
    Emisor,
    Identificacion,
    MensajeReceptorIn,
    Receptor,
    Telefono,
    Ubicacion,
)
from openpse.authorities.hacienda.totals import Calculo, ImpuestoCalculado, LineaCalculada, Resumen, fmt5
from openpse.signing.canonical import CanonicalWriter, attributes, escape_text
from openpse.signing.xmldsig import DS_NS, CanonicalDocument


def fecha_xml(momento: dt.datetime) -> str:
    """xs:dateTime with offset and no fraction: ``2026-11-21T10:15:02-06:00``."""
    return momento.replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class Encabezado:
    """What numbering decided for one document."""

    clave: str
    consecutivo: str
    fecha: dt.datetime
    proveedor_sistemas: str
    codigo_actividad_emisor: str | None
    codigo_actividad_receptor: str | None


def _identificacion(w: CanonicalWriter, ident: Identificacion, tag: str = "Identificacion") -> None:
    w.start(tag)
    w.leaf_safe("Tipo", ident.tipo)
    w.leaf("Numero", ident.numero)
    w.end()


def _ubicacion(w: CanonicalWriter, ubicacion: Ubicacion) -> None:
    w.start("Ubicacion")
    w.leaf_safe("Provincia", ubicacion.provincia)
    w.leaf_safe("Canton", ubicacion.canton)
    w.leaf_safe("Distrito", ubicacion.distrito)
    if ubicacion.barrio:
        w.leaf("Barrio", ubicacion.barrio)
    w.leaf("OtrasSenas", ubicacion.otras_senas)
    w.end()


def _telefono(w: CanonicalWriter, telefono: Telefono) -> None:
    w.start("Telefono")
    w.leaf_safe("CodigoPais", str(int(telefono.codigo_pais)))
    w.leaf_safe("NumTelefono", telefono.numero)
    w.end()


def _emisor(w: CanonicalWriter, emisor: Emisor, formato: Formato, extranjero: bool) -> None:
    w.start("Emisor")
    w.leaf("Nombre", emisor.nombre)
    _identificacion(w, emisor.identificacion)
    if not formato.reducido:
        if emisor.registro_fiscal_8707:
            w.leaf("Registrofiscal8707", emisor.registro_fiscal_8707)
        if emisor.nombre_comercial:
            w.leaf("NombreComercial", emisor.nombre_comercial)
        if emisor.ubicacion is not None:
            _ubicacion(w, emisor.ubicacion)
        if extranjero and emisor.otras_senas_extranjero:
            w.leaf("OtrasSenasExtranjero", emisor.otras_senas_extranjero)
        if emisor.telefono is not None:
            _telefono(w, emisor.telefono)
    for correo in emisor.correos:
        w.leaf("CorreoElectronico", correo)
    w.end()


_BLOQUES_EMISOR: dict[tuple[int, str], tuple[Emisor, str]] = {}
"""The company's Emisor element per document type, by ``id(emisor)``: it repeats in every
document of the company (keep one Emisor object per company to profit from it)."""


def _bloque_emisor(emisor: Emisor, formato: Formato) -> str:
    key = (id(emisor), formato.tipo)
    hit = _BLOQUES_EMISOR.get(key)
    if hit is not None and hit[0] is emisor:
        return hit[1]
    w = CanonicalWriter(depth=1)
    _emisor(w, emisor, formato, extranjero=False)
    text = w.text()
    if len(_BLOQUES_EMISOR) >= 1024:
        _BLOQUES_EMISOR.clear()
    _BLOQUES_EMISOR[key] = (emisor, text)
    return text


def _receptor(w: CanonicalWriter, receptor: Receptor, formato: Formato) -> None:
    w.start("Receptor")
    w.leaf("Nombre", receptor.nombre)
    if receptor.identificacion is not None:
        _identificacion(w, receptor.identificacion)
    if not formato.reducido:
        if receptor.nombre_comercial:
            w.leaf("NombreComercial", receptor.nombre_comercial)
        if receptor.ubicacion is not None and formato.receptor_ubicacion:
            _ubicacion(w, receptor.ubicacion)
        if receptor.otras_senas_extranjero and formato.tipo != "08":
            w.leaf("OtrasSenasExtranjero", receptor.otras_senas_extranjero)
        if receptor.telefono is not None:
            _telefono(w, receptor.telefono)
    if receptor.correo:
        w.leaf("CorreoElectronico", receptor.correo)
    w.end()


def _empresa_como_receptor(emisor: Emisor) -> Receptor:
    """In a factura de compra the company (who buys and signs) is the XML Receptor."""
    return Receptor(
        nombre=emisor.nombre,
        identificacion=emisor.identificacion,
        nombre_comercial=emisor.nombre_comercial,
        ubicacion=emisor.ubicacion,
        telefono=emisor.telefono,
        correo=emisor.correos[0] if emisor.correos else None,
    )


_IND = ["\n" + " " * depth for depth in range(8)]
"""Line breaks with the indentation of each depth, as CanonicalWriter writes them.

Computed amounts are written with ``str()``: :mod:`~openpse.authorities.hacienda.totals`
gives every one of them the exponent -5, so ``str`` prints exactly five decimals (and costs
a third of a format specification); amounts taken from the request use ``:.5f``."""


def _impuesto(p: list[str], impuesto: ImpuestoCalculado, formato: Formato, d: int) -> None:
    """Append an ``Impuesto`` element at depth ``d`` (canonical text, see module docstring)."""
    i, j = _IND[d], _IND[d + 1]
    if impuesto.codigo_otro is None and impuesto.datos is None and impuesto.exoneracion is None:
        # The common shape (IVA at a rate) in one piece.
        tarifa_codigo = (
            f"{j}<CodigoTarifaIVA>{impuesto.codigo_tarifa_iva}</CodigoTarifaIVA>"
            if impuesto.codigo_tarifa_iva
            else ""
        )
        tarifa = f"{j}<Tarifa>{impuesto.tarifa:.2f}</Tarifa>" if impuesto.tarifa is not None else ""
        factor = (
            f"{j}<FactorCalculoIVA>{impuesto.factor:.4f}</FactorCalculoIVA>"
            if impuesto.factor is not None
            else ""
        )
        exportacion = (
            f"{j}<MontoExportacion>{impuesto.monto_exportacion:.5f}</MontoExportacion>"
            if impuesto.monto_exportacion is not None and formato.monto_exportacion
            else ""
        )
        p.append(
            f"{i}<Impuesto>{j}<Codigo>{impuesto.codigo}</Codigo>{tarifa_codigo}{tarifa}{factor}"
            f"{j}<Monto>{impuesto.monto!s}</Monto>{exportacion}{i}</Impuesto>"
        )
        return
    p.append(f"{i}<Impuesto>{j}<Codigo>{impuesto.codigo}</Codigo>")
    if impuesto.codigo_otro:
        p.append(f"{j}<CodigoImpuestoOTRO>{escape_text(impuesto.codigo_otro)}</CodigoImpuestoOTRO>")
    if impuesto.codigo_tarifa_iva:
        p.append(f"{j}<CodigoTarifaIVA>{impuesto.codigo_tarifa_iva}</CodigoTarifaIVA>")
    if impuesto.tarifa is not None and impuesto.datos is None:
        p.append(f"{j}<Tarifa>{impuesto.tarifa:.2f}</Tarifa>")
    if impuesto.factor is not None:
        p.append(f"{j}<FactorCalculoIVA>{impuesto.factor:.4f}</FactorCalculoIVA>")
    datos = impuesto.datos
    if datos is not None and formato.iva_fabrica:
        k = _IND[d + 2]
        p.append(
            f"{j}<DatosImpuestoEspecifico>{k}<CantidadUnidadMedida>{datos.cantidad_unidad_medida:.2f}"
            "</CantidadUnidadMedida>"
        )
        if datos.porcentaje is not None:
            p.append(f"{k}<Porcentaje>{datos.porcentaje:.2f}</Porcentaje>")
        if impuesto.proporcion is not None:
            p.append(f"{k}<Proporcion>{impuesto.proporcion:.5f}</Proporcion>")
        if datos.volumen_unidad_consumo is not None:
            p.append(f"{k}<VolumenUnidadConsumo>{datos.volumen_unidad_consumo:.2f}</VolumenUnidadConsumo>")
        p.append(
            f"{k}<ImpuestoUnidad>{datos.impuesto_unidad:.5f}</ImpuestoUnidad>{j}</DatosImpuestoEspecifico>"
        )
    p.append(f"{j}<Monto>{impuesto.monto!s}</Monto>")
    if impuesto.monto_exportacion is not None and formato.monto_exportacion:
        p.append(f"{j}<MontoExportacion>{impuesto.monto_exportacion:.5f}</MontoExportacion>")
    ex = impuesto.exoneracion
    if ex is not None and formato.exoneracion:
        k = _IND[d + 2]
        p.append(f"{j}<Exoneracion>{k}<TipoDocumentoEX1>{ex.tipo_documento}</TipoDocumentoEX1>")
        if ex.tipo_documento_otro:
            p.append(f"{k}<TipoDocumentoOTRO>{escape_text(ex.tipo_documento_otro)}</TipoDocumentoOTRO>")
        p.append(f"{k}<NumeroDocumento>{escape_text(ex.numero_documento)}</NumeroDocumento>")
        if ex.articulo is not None:
            p.append(f"{k}<Articulo>{ex.articulo}</Articulo>")
        if ex.inciso is not None:
            p.append(f"{k}<Inciso>{ex.inciso}</Inciso>")
        p.append(f"{k}<NombreInstitucion>{ex.nombre_institucion}</NombreInstitucion>")
        if ex.nombre_institucion_otros:
            p.append(
                f"{k}<NombreInstitucionOtros>{escape_text(ex.nombre_institucion_otros)}</NombreInstitucionOtros>"
            )
        p.append(
            f"{k}<FechaEmisionEX>{fecha_xml(ex.fecha_emision)}</FechaEmisionEX>"
            f"{k}<TarifaExonerada>{ex.tarifa_exonerada:.2f}</TarifaExonerada>"
            f"{k}<MontoExoneracion>{impuesto.monto_exoneracion!s}</MontoExoneracion>{j}</Exoneracion>"
        )
    p.append(f"{i}</Impuesto>")


def _linea(p: list[str], linea: LineaCalculada, formato: Formato) -> None:
    """Append a ``LineaDetalle`` (depth 2)."""
    item = linea.item
    i, j = _IND[2], _IND[3]
    p.append(f"{i}<LineaDetalle>{j}<NumeroLinea>{linea.numero}</NumeroLinea>")
    if formato.linea == "recibo":
        p.append(
            f"{j}<Detalle>{escape_text(item.descripcion)}</Detalle>"
            f"{j}<MontoTotal>{linea.monto_total!s}</MontoTotal>{j}<SubTotal>{linea.subtotal!s}</SubTotal>"
        )
        for impuesto in linea.impuestos:
            _impuesto(p, impuesto, formato, 3)
        p.append(
            f"{j}<ImpuestoNeto>{linea.impuesto_neto!s}</ImpuestoNeto>"
            f"{j}<MontoTotalLinea>{linea.monto_total_linea!s}</MontoTotalLinea>{i}</LineaDetalle>"
        )
        return
    cabys = f"{j}<CodigoCABYS>{item.cabys}</CodigoCABYS>" if item.cabys else ""
    if item.partida_arancelaria and formato.partida_arancelaria:
        cabys = f"{j}<PartidaArancelaria>{item.partida_arancelaria}</PartidaArancelaria>{cabys}"
    k = _IND[4]
    for codigo in item.codigos_comerciales:
        cabys += (
            f"{j}<CodigoComercial>{k}<Tipo>{codigo.tipo}</Tipo>{k}<Codigo>{escape_text(codigo.codigo)}</Codigo>"
            f"{j}</CodigoComercial>"
        )
    # The unit was checked against the catalogue: no character to escape.
    p.append(
        f"{cabys}{j}<Cantidad>{item.cantidad:.3f}</Cantidad>{j}<UnidadMedida>{item.unidad}</UnidadMedida>"
    )
    if item.tipo_transaccion and formato.tipo_transaccion:
        p.append(f"{j}<TipoTransaccion>{item.tipo_transaccion}</TipoTransaccion>")
    if item.unidad_comercial:
        p.append(f"{j}<UnidadMedidaComercial>{escape_text(item.unidad_comercial)}</UnidadMedidaComercial>")
    p.append(f"{j}<Detalle>{escape_text(item.descripcion)}</Detalle>")
    for vin in item.numeros_vin_serie:
        p.append(f"{j}<NumeroVINoSerie>{escape_text(vin)}</NumeroVINoSerie>")
    if item.registro_medicamento:
        p.append(f"{j}<RegistroMedicamento>{escape_text(item.registro_medicamento)}</RegistroMedicamento>")
    if item.forma_farmaceutica:
        p.append(f"{j}<FormaFarmaceutica>{escape_text(item.forma_farmaceutica)}</FormaFarmaceutica>")
    p.append(
        f"{j}<PrecioUnitario>{item.precio_unitario:.5f}</PrecioUnitario>{j}<MontoTotal>{linea.monto_total!s}</MontoTotal>"
    )
    for descuento in linea.descuentos:
        otro = (
            f"{k}<CodigoDescuentoOTRO>{escape_text(descuento.codigo_otro)}</CodigoDescuentoOTRO>"
            if descuento.codigo_otro
            else ""
        )
        p.append(
            f"{j}<Descuento>{k}<MontoDescuento>{descuento.monto!s}</MontoDescuento>"
            f"{k}<CodigoDescuento>{descuento.codigo}</CodigoDescuento>{otro}"
            f"{k}<NaturalezaDescuento>{escape_text(descuento.naturaleza)}</NaturalezaDescuento>{j}</Descuento>"
        )
    completa = formato.linea != "exportacion"
    fabrica = (
        f"{j}<IVACobradoFabrica>{item.iva_cobrado_fabrica}</IVACobradoFabrica>"
        if formato.iva_fabrica and item.iva_cobrado_fabrica
        else ""
    )
    base = f"{j}<BaseImponible>{linea.base_imponible!s}</BaseImponible>" if completa else ""
    p.append(f"{j}<SubTotal>{linea.subtotal!s}</SubTotal>{fabrica}{base}")
    for impuesto in linea.impuestos:
        _impuesto(p, impuesto, formato, 3)
    asumido = (
        f"{j}<ImpuestoAsumidoEmisorFabrica>{linea.impuesto_asumido!s}</ImpuestoAsumidoEmisorFabrica>"
        if formato.iva_fabrica
        else ""
    )
    neto = f"{j}<ImpuestoNeto>{linea.impuesto_neto!s}</ImpuestoNeto>" if completa else ""
    p.append(
        f"{asumido}{neto}{j}<MontoTotalLinea>{linea.monto_total_linea!s}</MontoTotalLinea>{i}</LineaDetalle>"
    )


def _otros_cargos(p: list[str], calculo: Calculo) -> None:
    i, j, k = _IND[1], _IND[2], _IND[3]
    for cargo in calculo.otros_cargos:
        datos = cargo.cargo
        p.append(f"{i}<OtrosCargos>{j}<TipoDocumentoOC>{datos.tipo_documento}</TipoDocumentoOC>")
        if datos.tipo_documento_otros:
            p.append(f"{j}<TipoDocumentoOTROS>{escape_text(datos.tipo_documento_otros)}</TipoDocumentoOTROS>")
        if datos.tercero is not None:
            ident = datos.tercero.identificacion
            p.append(
                f"{j}<IdentificacionTercero>{k}<Tipo>{ident.tipo}</Tipo>{k}<Numero>{escape_text(ident.numero)}"
                f"</Numero>{j}</IdentificacionTercero>{j}<NombreTercero>{escape_text(datos.tercero.nombre)}"
                "</NombreTercero>"
            )
        p.append(f"{j}<Detalle>{escape_text(datos.detalle)}</Detalle>")
        if datos.porcentaje is not None:
            p.append(f"{j}<PorcentajeOC>{datos.porcentaje:.5f}</PorcentajeOC>")
        p.append(f"{j}<MontoCargo>{cargo.monto!s}</MontoCargo>{i}</OtrosCargos>")


def _resumen(p: list[str], resumen: Resumen, formato: Formato) -> None:
    i, j, k = _IND[1], _IND[2], _IND[3]
    p.append(
        f"{i}<ResumenFactura>{j}<CodigoTipoMoneda>{k}<CodigoMoneda>{resumen.moneda}</CodigoMoneda>"
        f"{k}<TipoCambio>{resumen.tipo_cambio!s}</TipoCambio>{j}</CodigoTipoMoneda>"
    )
    if formato.resumen == "exportacion":
        p.append(
            f"{j}<TotalServGravados>{resumen.total_serv_gravados!s}</TotalServGravados>"
            f"{j}<TotalServExentos>{resumen.total_serv_exentos!s}</TotalServExentos>"
            f"{j}<TotalMercanciasGravadas>{resumen.total_mercancias_gravadas!s}</TotalMercanciasGravadas>"
            f"{j}<TotalMercanciasExentas>{resumen.total_mercancias_exentas!s}</TotalMercanciasExentas>"
            f"{j}<TotalGravado>{resumen.total_gravado!s}</TotalGravado>"
            f"{j}<TotalExento>{resumen.total_exento!s}</TotalExento>"
        )
    elif formato.resumen != "recibo":
        p.append(
            f"{j}<TotalServGravados>{resumen.total_serv_gravados!s}</TotalServGravados>"
            f"{j}<TotalServExentos>{resumen.total_serv_exentos!s}</TotalServExentos>"
            f"{j}<TotalServExonerado>{resumen.total_serv_exonerado!s}</TotalServExonerado>"
            f"{j}<TotalServNoSujeto>{resumen.total_serv_no_sujeto!s}</TotalServNoSujeto>"
            f"{j}<TotalMercanciasGravadas>{resumen.total_mercancias_gravadas!s}</TotalMercanciasGravadas>"
            f"{j}<TotalMercanciasExentas>{resumen.total_mercancias_exentas!s}</TotalMercanciasExentas>"
            f"{j}<TotalMercExonerada>{resumen.total_merc_exonerada!s}</TotalMercExonerada>"
            f"{j}<TotalMercNoSujeta>{resumen.total_merc_no_sujeta!s}</TotalMercNoSujeta>"
            f"{j}<TotalGravado>{resumen.total_gravado!s}</TotalGravado>"
            f"{j}<TotalExento>{resumen.total_exento!s}</TotalExento>"
            f"{j}<TotalExonerado>{resumen.total_exonerado!s}</TotalExonerado>"
            f"{j}<TotalNoSujeto>{resumen.total_no_sujeto!s}</TotalNoSujeto>"
        )
    p.append(f"{j}<TotalVenta>{resumen.total_venta!s}</TotalVenta>")
    if formato.resumen != "recibo":
        p.append(f"{j}<TotalDescuentos>{resumen.total_descuentos!s}</TotalDescuentos>")
    p.append(f"{j}<TotalVentaNeta>{resumen.total_venta_neta!s}</TotalVentaNeta>")
    for desglose in resumen.desglose:
        tarifa = (
            f"{k}<CodigoTarifaIVA>{desglose.codigo_tarifa_iva}</CodigoTarifaIVA>"
            if desglose.codigo_tarifa_iva
            else ""
        )
        p.append(
            f"{j}<TotalDesgloseImpuesto>{k}<Codigo>{desglose.codigo}</Codigo>{tarifa}"
            f"{k}<TotalMontoImpuesto>{desglose.total!s}</TotalMontoImpuesto>{j}</TotalDesgloseImpuesto>"
        )
    p.append(f"{j}<TotalImpuesto>{resumen.total_impuesto!s}</TotalImpuesto>")
    if formato.resumen != "recibo":
        if resumen.total_imp_asum_emisor_fabrica and formato.iva_fabrica:
            p.append(
                f"{j}<TotalImpAsumEmisorFabrica>{resumen.total_imp_asum_emisor_fabrica!s}"
                "</TotalImpAsumEmisorFabrica>"
            )
        if resumen.total_iva_devuelto and formato.resumen == "completo":
            p.append(f"{j}<TotalIVADevuelto>{resumen.total_iva_devuelto!s}</TotalIVADevuelto>")
        if resumen.total_otros_cargos:
            p.append(f"{j}<TotalOtrosCargos>{resumen.total_otros_cargos!s}</TotalOtrosCargos>")
    for medio in resumen.medios_pago:
        otro = f"{k}<MedioPagoOtros>{escape_text(medio.otro)}</MedioPagoOtros>" if medio.otro else ""
        p.append(
            f"{j}<MedioPago>{k}<TipoMedioPago>{medio.tipo}</TipoMedioPago>{otro}"
            f"{k}<TotalMedioPago>{medio.monto!s}</TotalMedioPago>{j}</MedioPago>"
        )
    p.append(f"{j}<TotalComprobante>{resumen.total_comprobante!s}</TotalComprobante>{i}</ResumenFactura>")


def _referencias(w: CanonicalWriter, comprobante: ComprobanteIn) -> None:
    for ref in comprobante.referencias:
        w.start("InformacionReferencia")
        w.leaf_safe("TipoDocIR", ref.tipo_documento)
        if ref.tipo_documento_otro:
            w.leaf("TipoDocRefOTRO", ref.tipo_documento_otro)
        if ref.numero:
            w.leaf("Numero", ref.numero)
        w.leaf_safe("FechaEmisionIR", fecha_xml(ref.fecha_emision))
        if ref.codigo:
            w.leaf_safe("Codigo", ref.codigo)
        if ref.codigo_otro:
            w.leaf("CodigoReferenciaOTRO", ref.codigo_otro)
        if ref.razon:
            w.leaf("Razon", ref.razon)
        w.end()


def _otros(w: CanonicalWriter, comprobante: ComprobanteIn) -> None:
    if not comprobante.otros:
        return
    w.start("Otros")
    for otro in comprobante.otros:
        w.leaf("OtroTexto", otro.texto, attributes({"codigo": otro.codigo}) if otro.codigo else "")
    w.end()


def _documento(w: CanonicalWriter, raiz: str, namespace: str) -> CanonicalDocument:
    """Split the finished text where the signature goes: last child of the root."""
    text = w.text()
    closing = f"\n</{raiz}>"
    assert text.endswith(closing)
    return CanonicalDocument(
        before=text[: -len(closing)] + "\n ", after=closing, namespaces=_namespaces(namespace)
    )


def _namespaces(namespace: str) -> dict[str, str]:
    return {"": namespace, "ds": DS_NS}


def construir(
    comprobante: ComprobanteIn, emisor: Emisor, calculo: Calculo, encabezado: Encabezado
) -> CanonicalDocument:
    """The unsigned document, ready for :func:`~openpse.authorities.hacienda.xades.firmar_canonico`.

    ``emisor`` is the company; in a factura de compra it goes in the Receptor element and
    ``comprobante.proveedor`` in the Emisor one.
    """
    formato = FORMATOS[comprobante.tipo]
    w = CanonicalWriter()
    w.root(formato.raiz, _namespaces(formato.namespace))
    w.leaf_safe("Clave", encabezado.clave)
    w.leaf("ProveedorSistemas", encabezado.proveedor_sistemas)
    if encabezado.codigo_actividad_emisor and formato.tipo != "10":
        w.leaf("CodigoActividadEmisor", encabezado.codigo_actividad_emisor)
    if encabezado.codigo_actividad_receptor and formato.actividad_receptor != "no":
        w.leaf("CodigoActividadReceptor", encabezado.codigo_actividad_receptor)
    w.leaf_safe("NumeroConsecutivo", encabezado.consecutivo)
    w.leaf_safe("FechaEmision", fecha_xml(encabezado.fecha))
    if formato.tipo == "08":
        assert comprobante.proveedor is not None
        _emisor(w, comprobante.proveedor, formato, extranjero=True)
        _receptor(w, _empresa_como_receptor(emisor), formato)
    else:
        w.raw(_bloque_emisor(emisor, formato))
        if comprobante.receptor is not None:
            _receptor(w, comprobante.receptor, formato)
    w.leaf_safe("CondicionVenta", comprobante.condicion_venta)
    if comprobante.condicion_venta_otros and not formato.reducido:
        w.leaf("CondicionVentaOtros", comprobante.condicion_venta_otros)
    if comprobante.plazo_credito is not None and not formato.reducido:
        w.leaf_safe("PlazoCredito", str(comprobante.plazo_credito))
    partes: list[str] = [f"{_IND[1]}<DetalleServicio>"]
    for linea in calculo.lineas:
        _linea(partes, linea, formato)
    partes.append(f"{_IND[1]}</DetalleServicio>")
    if not formato.reducido:
        _otros_cargos(partes, calculo)
    _resumen(partes, calculo.resumen, formato)
    w.raw("".join(partes))
    _referencias(w, comprobante)
    if not formato.reducido:
        _otros(w, comprobante)
    w.end()
    return _documento(w, formato.raiz, formato.namespace)


@dataclass(frozen=True)
class MensajeCalculado:
    """The MensajeReceptor amounts after defaults (condición 01/03 credit the whole tax...)."""

    monto_total_impuesto_acreditar: Decimal | None
    monto_total_gasto_aplicable: Decimal | None


def montos_mensaje(mensaje: MensajeReceptorIn) -> MensajeCalculado:
    """Defaults of the amounts a MensajeReceptor declares."""
    acreditar = mensaje.monto_total_impuesto_acreditar
    gasto = mensaje.monto_total_gasto_aplicable
    if acreditar is None and mensaje.condicion_impuesto in ("01", "03"):
        acreditar = mensaje.monto_total_impuesto or Decimal(0)
    if gasto is None and mensaje.condicion_impuesto == "04":
        gasto = mensaje.total_factura
    return MensajeCalculado(acreditar, gasto)


def construir_mensaje(
    mensaje: MensajeReceptorIn, cedula_receptor: str, consecutivo: str, fecha: dt.datetime
) -> CanonicalDocument:
    """The unsigned MensajeReceptor (``MensajeReceptor_V4.4.xsd``)."""
    montos = montos_mensaje(mensaje)
    w = CanonicalWriter()
    w.root(MENSAJE_RECEPTOR_RAIZ, _namespaces(MENSAJE_RECEPTOR_NS))
    w.leaf_safe("Clave", mensaje.clave)
    w.leaf_safe("NumeroCedulaEmisor", mensaje.numero_cedula_emisor)
    w.leaf_safe("FechaEmisionDoc", fecha_xml(fecha))
    w.leaf_safe("Mensaje", str(mensaje.mensaje))
    if mensaje.detalle_mensaje:
        w.leaf("DetalleMensaje", mensaje.detalle_mensaje)
    if mensaje.monto_total_impuesto is not None:
        w.leaf_safe("MontoTotalImpuesto", fmt5(mensaje.monto_total_impuesto))
    if mensaje.codigo_actividad:
        w.leaf("CodigoActividad", mensaje.codigo_actividad)
    if mensaje.condicion_impuesto:
        w.leaf_safe("CondicionImpuesto", mensaje.condicion_impuesto)
    if montos.monto_total_impuesto_acreditar is not None:
        w.leaf_safe("MontoTotalImpuestoAcreditar", fmt5(montos.monto_total_impuesto_acreditar))
    if montos.monto_total_gasto_aplicable is not None:
        w.leaf_safe("MontoTotalDeGastoAplicable", fmt5(montos.monto_total_gasto_aplicable))
    w.leaf_safe("TotalFactura", fmt5(mensaje.total_factura))
    w.leaf_safe("NumeroCedulaReceptor", cedula_receptor)
    w.leaf_safe("NumeroConsecutivoReceptor", consecutivo)
    w.end()
    return _documento(w, MENSAJE_RECEPTOR_RAIZ, MENSAJE_RECEPTOR_NS)
