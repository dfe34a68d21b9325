"""Fixed vocabulary of the GRE 2022 XML, shared by the rules and the builder.

The indicator texts are the ones SUNAT's sheets accept in ``cac:Shipment/cbc:SpecialInstructions``
(rule 3388 of ValidaExprRegGreRemitente-2.0.1.xsl and ValidaExprRegGreTransportista-2.0.1.xsl;
"Trasporte" is SUNAT's own spelling). Numbers are written exactly as :func:`decimal_text`
renders them, and the rules check that same text against SUNAT's patterns.
"""

from __future__ import annotations

from decimal import Decimal

REMITENTE = "09"
TRANSPORTISTA = "31"

TRANSBORDO = "SUNAT_Envio_IndicadorTransbordoProgramado"
VEHICULO_M1_L = "SUNAT_Envio_IndicadorTrasladoVehiculoM1L"
RETORNO_ENVASE_VACIO = "SUNAT_Envio_IndicadorRetornoVehiculoEnvaseVacio"
RETORNO_VACIO = "SUNAT_Envio_IndicadorRetornoVehiculoVacio"
TRASLADO_TOTAL_DAM_DS = "SUNAT_Envio_IndicadorTrasladoTotalDAMoDS"
VEHICULO_CONDUCTORES_TRANSP = "SUNAT_Envio_IndicadorVehiculoConductoresTransp"
TRASLADO_TOTAL = "SUNAT_Envio_IndicadorTrasladoTotal"
SUBCONTRATADO = "SUNAT_Envio_IndicadorTrasporteSubcontratado"
PAGADOR_FLETE = {
    "remitente": "SUNAT_Envio_IndicadorPagadorFlete_Remitente",
    "subcontratador": "SUNAT_Envio_IndicadorPagadorFlete_Subcontratador",
    "tercero": "SUNAT_Envio_IndicadorPagadorFlete_Tercero",
}

PARTIDA_ARANCELARIA = "7020"
NUMERO_DAM = "7021"
BIEN_NORMALIZADO = "7022"
SERIE_DAM = "7023"
PROPIEDADES = {
    # Catálogo 55 names for 7020 and 7021; the SFS copy of the catalogue predates 7022
    # and 7023, whose names are those of SUNAT's GRE rules (3396, 3428).
    PARTIDA_ARANCELARIA: "Subpartida nacional",
    NUMERO_DAM: "Numero de declaracion aduanera (DAM)",
    BIEN_NORMALIZADO: "Indicador de bien normalizado",
    SERIE_DAM: "Numero de serie en la DAM o DS",
}

CONDUCTOR_PRINCIPAL = "Principal"
CONDUCTOR_SECUNDARIO = "Secundario"
GTIN_TIPOS = {8: "GTIN-8", 12: "GTIN-12", 13: "GTIN-13", 14: "GTIN-14"}


def decimal_text(value: Decimal) -> str:
    """The text written for a quantity, weight or coordinate: positional, never exponent."""
    return format(value, "f")
