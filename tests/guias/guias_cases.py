"""Requests of guías de remisión as an ERP would send them: the positive corpus and its variations.

Each case is the JSON body of a guía. The parties are fictitious companies with valid
RUC check digits; the places are real ubigeos (Lima, Callao, Arequipa, Trujillo) so
that the catalogue checks bite. Dates are today's in Lima, as SUNAT expects a guía to
be issued on the day it is sent.
"""

from __future__ import annotations

from typing import Any

from openpse.core.timeutil import now_lima

EMPRESA = "20100047218"
"""The remitente that issues the guías 09 (its own certificate signs them)."""
EMPRESA_NOMBRE = "DISTRIBUIDORA ANDINA S.A.C."
TRANSPORTES = "20131312955"
"""The carrier: public transport for the 09, issuer of the guías 31."""
TRANSPORTES_NOMBRE = "TRANSPORTES RAPIDOS DEL SUR S.A."
CLIENTE = "20100070970"
PROVEEDOR = "20100128056"
COMPRADOR = "20603343710"


def hoy() -> str:
    return now_lima().date().isoformat()


def empresa(nombre: str = EMPRESA_NOMBRE) -> dict[str, str]:
    return {"tipo_documento": "6", "numero_documento": EMPRESA, "razon_social": nombre}


def cliente() -> dict[str, str]:
    return {"tipo_documento": "6", "numero_documento": CLIENTE, "razon_social": "FERRETERIA EL CLAVO S.A.C."}


def persona() -> dict[str, str]:
    return {"tipo_documento": "1", "numero_documento": "46027897", "razon_social": "MARIA QUISPE MAMANI"}


def conductor(
    dni: str = "46027897", licencia: str = "Q46027897", nombres: str = "JUAN CARLOS"
) -> dict[str, str]:
    return {
        "tipo_documento": "1",
        "numero_documento": dni,
        "nombres": nombres,
        "apellidos": "PEREZ ROJAS",
        "licencia": licencia,
    }


def bien(**kw: Any) -> dict[str, Any]:
    return {
        "descripcion": "Cemento Portland tipo I bolsa 42.5 kg",
        "cantidad": "100",
        "unidad": "NIU",
        "codigo": "CEM-001",
        "codigo_producto_sunat": "30111601",
        **kw,
    }


LIMA = {"ubigeo": "150101", "direccion": "Av. Argentina 1234, Cercado de Lima"}
MIRAFLORES = {"ubigeo": "150122", "direccion": "Calle Los Pinos 456, Miraflores"}
CALLAO = {"ubigeo": "070101", "direccion": "Av. Contralmirante Mora s/n, Terminal Portuario del Callao"}
AREQUIPA = {"ubigeo": "040101", "direccion": "Av. Ejercito 710, Yanahuara"}
TRUJILLO = {"ubigeo": "130101", "direccion": "Jr. Pizarro 550, Trujillo"}


def remitente(**kw: Any) -> dict[str, Any]:
    """A minimal guía remitente: a sale carried in the company's own truck."""
    body: dict[str, Any] = {
        "tipo": "09",
        "serie": "T001",
        "destinatario": cliente(),
        "motivo_traslado": "01",
        "modalidad_traslado": "02",
        "fecha_inicio_traslado": hoy(),
        "peso_bruto_total": "4250.500",
        "unidad_peso": "KGM",
        "partida": LIMA,
        "llegada": MIRAFLORES,
        "vehiculos": [{"placa": "ABC123"}],
        "conductores": [conductor()],
        "documentos_relacionados": [{"tipo": "01", "numero": "F001-1520", "ruc_emisor": EMPRESA}],
        "bienes": [bien()],
    }
    body.update(kw)
    return body


def transportista(**kw: Any) -> dict[str, Any]:
    """A minimal guía transportista: the carrier moves goods of a guía remitente electrónica."""
    body: dict[str, Any] = {
        "tipo": "31",
        "serie": "V001",
        "registro_mtc": "15M22004567",
        "remitente": empresa(),
        "destinatario": cliente(),
        "pagador_flete": "remitente",
        "fecha_inicio_traslado": hoy(),
        "peso_bruto_total": "4.250",
        "unidad_peso": "TNE",
        "partida": LIMA,
        "llegada": AREQUIPA,
        "vehiculos": [{"placa": "F2E836", "tuc": "15M21028102E"}],
        "conductores": [conductor()],
        "documentos_relacionados": [{"tipo": "09", "numero": "T001-1520", "ruc_emisor": EMPRESA}],
    }
    body.update(kw)
    return body


_PUBLICO = {
    "modalidad_traslado": "01",
    "vehiculos": [],
    "conductores": [],
    "transportista": {"ruc": TRANSPORTES, "razon_social": TRANSPORTES_NOMBRE, "registro_mtc": "15M22004567"},
}


def positive_cases() -> dict[str, tuple[dict[str, Any], set[str]]]:
    """Case name → (request, the SUNAT observations it is expected to draw)."""
    cases: dict[str, tuple[dict[str, Any], set[str]]] = {
        # -- guía remitente ---------------------------------------------------------------
        "venta-transporte-privado": (remitente(), set()),
        "venta-transporte-publico": (remitente(**_PUBLICO), set()),
        "venta-publico-vehiculos-del-transportista": (
            remitente(
                **{
                    **_PUBLICO,
                    "vehiculos": [{"placa": "F2E836", "tuc": "15M21028102E"}],
                    "conductores": [conductor()],
                    "indicadores": {"vehiculo_conductores_transportista": True},
                }
            ),
            set(),
        ),
        "compra-recojo-en-el-proveedor": (
            remitente(
                motivo_traslado="02",
                destinatario=empresa(),
                proveedor={
                    "tipo_documento": "6",
                    "numero_documento": PROVEEDOR,
                    "razon_social": "CEMENTOS DEL PACIFICO S.A.",
                },
                partida={**CALLAO, "codigo_establecimiento": "0003", "ruc_establecimiento": PROVEEDOR},
                llegada={**LIMA, "codigo_establecimiento": "0000"},
                documentos_relacionados=[{"tipo": "01", "numero": "F020-88871", "ruc_emisor": PROVEEDOR}],
            ),
            set(),
        ),
        "venta-con-entrega-a-terceros": (
            remitente(
                motivo_traslado="03",
                comprador={
                    "tipo_documento": "6",
                    "numero_documento": COMPRADOR,
                    "razon_social": "CONSTRUCTORA LOS ANDES S.A.C.",
                },
            ),
            set(),
        ),
        "traslado-entre-establecimientos": (
            remitente(
                motivo_traslado="04",
                destinatario=empresa(),
                partida={**LIMA, "codigo_establecimiento": "0000"},
                llegada={**TRUJILLO, "codigo_establecimiento": "0002"},
                documentos_relacionados=[],
                observaciones="Reposicion de stock del almacen de Trujillo",
            ),
            set(),
        ),
        "consignacion": (remitente(motivo_traslado="05", documentos_relacionados=[]), set()),
        "devolucion-al-proveedor": (
            remitente(
                motivo_traslado="06",
                destinatario={
                    "tipo_documento": "6",
                    "numero_documento": PROVEEDOR,
                    "razon_social": "CEMENTOS DEL PACIFICO S.A.",
                },
                documentos_relacionados=[{"tipo": "01", "numero": "F020-88871", "ruc_emisor": PROVEEDOR}],
            ),
            set(),
        ),
        "recojo-de-bienes-transformados": (
            remitente(
                motivo_traslado="07",
                destinatario=empresa(),
                proveedor={
                    "tipo_documento": "6",
                    "numero_documento": PROVEEDOR,
                    "razon_social": "METALMECANICA DEL CENTRO S.A.C.",
                },
                partida={**CALLAO, "codigo_establecimiento": "0001", "ruc_establecimiento": PROVEEDOR},
                documentos_relacionados=[],
            ),
            set(),
        ),
        "importacion-traslado-total-de-la-dam": (
            remitente(
                motivo_traslado="08",
                destinatario=empresa(),
                partida=CALLAO,
                llegada={**LIMA, "codigo_establecimiento": "0000"},
                documentos_relacionados=[{"tipo": "50", "numero": "118-2026-10-004512"}],
                puerto={"tipo": "1", "codigo": "CLL"},
                numero_bultos=20,
                indicadores={"traslado_total_dam_ds": True},
                bienes=[bien(unidad="KG", descripcion="Planchas de acero laminado en caliente")],
            ),
            set(),
        ),
        "exportacion-por-el-callao": (
            remitente(
                motivo_traslado="09",
                destinatario={
                    "tipo_documento": "0",
                    "numero_documento": "US45129874",
                    "razon_social": "ANDEAN IMPORTS LLC",
                },
                partida=AREQUIPA,
                llegada=CALLAO,
                documentos_relacionados=[{"tipo": "50", "numero": "118-2026-40-000456"}],
                puerto={"tipo": "1", "codigo": "CLL"},
                peso_bruto_items="3980.000",
                sustento_peso="Diferencia por pallets y embalaje de madera",
                contenedores=[
                    {"numero": "MSCU1234565", "precinto": "PE7781234"},
                    {"numero": "MSCU7654321", "precinto": "PE7781235"},
                ],
                bienes=[
                    bien(
                        descripcion="Cafe verde en grano sacos de 69 kg",
                        cantidad="40",
                        unidad="U",
                        codigo_producto_sunat="50201706",
                        partida_arancelaria="0901119000",
                        numero_dam="118-2026-40-000456",
                        serie_dam="1",
                    ),
                    bien(
                        descripcion="Cacao en grano crudo",
                        cantidad="1200.5",
                        unidad="KG",
                        codigo_producto_sunat="50161500",
                        numero_dam="118-2026-40-000456",
                        serie_dam="2",
                    ),
                ],
            ),
            set(),
        ),
        "importacion-parcial-por-aeropuerto": (
            remitente(
                motivo_traslado="08",
                destinatario=empresa(),
                partida=CALLAO,
                llegada={**LIMA, "codigo_establecimiento": "0000"},
                documentos_relacionados=[{"tipo": "50", "numero": "235-2026-10-018874"}],
                puerto={"tipo": "2", "codigo": "LIM"},
                peso_bruto_items="812.300",
                sustento_peso="Peso de las cajas y del pallet de la primera entrega",
                numero_bultos=12,
                bienes=[
                    bien(
                        descripcion="Repuestos para maquinaria textil",
                        cantidad="12",
                        unidad="U",
                        codigo_producto_sunat="23201001",
                        numero_dam="235-2026-10-018874",
                        serie_dam="3",
                    )
                ],
            ),
            # SUNAT reminds that the balance of a partial import is the importer's to control.
            {"4437"},
        ),
        "otros-motivos": (
            remitente(
                motivo_traslado="13",
                descripcion_motivo="Traslado de muestras para feria comercial",
                documentos_relacionados=[],
                bienes=[bien(unidad="KGM", descripcion="Muestras de cemento en sacos pequenos")],
            ),
            set(),
        ),
        "venta-sujeta-a-confirmacion": (remitente(motivo_traslado="14"), set()),
        "traslado-para-transformacion": (
            remitente(
                motivo_traslado="17",
                destinatario={
                    "tipo_documento": "6",
                    "numero_documento": PROVEEDOR,
                    "razon_social": "METALMECANICA DEL CENTRO S.A.C.",
                },
                documentos_relacionados=[],
            ),
            set(),
        ),
        "emisor-itinerante": (
            remitente(motivo_traslado="18", destinatario=persona(), llegada=None, documentos_relacionados=[]),
            set(),
        ),
        "vehiculo-m1-l-privado": (
            remitente(
                vehiculos=[],
                conductores=[],
                indicadores={"vehiculo_m1_l": True},
                peso_bruto_total="35.2",
                bienes=[
                    bien(cantidad="1", descripcion="Laptop 14 pulgadas", codigo_producto_sunat="43211503")
                ],
            ),
            set(),
        ),
        "vehiculo-m1-l-publico": (
            remitente(
                modalidad_traslado="01",
                vehiculos=[],
                conductores=[],
                indicadores={"vehiculo_m1_l": True},
                bienes=[
                    bien(
                        cantidad="2",
                        descripcion="Monitores LED 24 pulgadas",
                        codigo_producto_sunat="43211902",
                    )
                ],
            ),
            set(),
        ),
        "varios-vehiculos-y-conductores": (
            remitente(
                vehiculos=[
                    {"placa": "ABC123"},
                    {"placa": "XYZ987"},
                    {"placa": "T1K456"},
                ],
                conductores=[
                    conductor(),
                    conductor(dni="40112233", licencia="Q40112233", nombres="PEDRO"),
                    conductor(dni="41223344", licencia="Q41223344", nombres="LUIS ALBERTO"),
                ],
                numero_bultos=300,
            ),
            set(),
        ),
        "transbordo-y-retorno": (
            remitente(
                indicadores={
                    "transbordo_programado": True,
                    "retorno_vehiculo_envase_vacio": True,
                    "retorno_vehiculo_vacio": True,
                },
                llegada=AREQUIPA,
            ),
            set(),
        ),
        "bien-normalizado-con-detraccion": (
            remitente(
                documentos_relacionados=[
                    {"tipo": "01", "numero": "F001-1521", "ruc_emisor": EMPRESA},
                    {"tipo": "80", "numero": "304512789"},
                ],
                bienes=[
                    bien(
                        descripcion="Azucar rubia de cana bolsa 50 kg",
                        cantidad="80",
                        unidad="NIU",
                        codigo_producto_sunat="50161509",
                        partida_arancelaria="1701140000",
                        bien_normalizado=True,
                    )
                ],
            ),
            set(),
        ),
        "georreferencia-autorizaciones-y-gtin": (
            remitente(
                partida={**LIMA, "latitud": "-12.0464", "longitud": "-77.04279"},
                llegada={**MIRAFLORES, "latitud": "-12.1211", "longitud": "-77.0297"},
                autorizacion_remitente={"entidad": "04", "numero": "SENASA-2026-00451"},
                vehiculos=[
                    {"placa": "ABC123", "autorizacion": {"entidad": "06", "numero": "MTC-MATPEL-8871"}}
                ],
                bienes=[bien(codigo_gtin="7751234567895", descripcion="Fertilizante foliar 1 litro")],
            ),
            set(),
        ),
        "venta-publico-sin-registro-mtc": (
            remitente(
                **{
                    **_PUBLICO,
                    "transportista": {"ruc": TRANSPORTES, "razon_social": TRANSPORTES_NOMBRE},
                }
            ),
            {"4391"},
        ),
        # -- guía transportista -----------------------------------------------------------
        "transportista-con-guia-remitente-electronica": (transportista(), set()),
        "transportista-con-factura-y-pagador-tercero": (
            transportista(
                documentos_relacionados=[{"tipo": "01", "numero": "F001-1520", "ruc_emisor": EMPRESA}],
                pagador_flete="tercero",
                pagador={
                    "tipo_documento": "6",
                    "numero_documento": COMPRADOR,
                    "razon_social": "CONSTRUCTORA LOS ANDES S.A.C.",
                },
                vehiculos=[
                    {"placa": "F2E836", "tuc": "15M21028102E"},
                    {"placa": "C3P771", "tuc": "15M21028103E"},
                ],
                conductores=[conductor(), conductor(dni="40112233", licencia="Q40112233", nombres="PEDRO")],
                bienes=[
                    bien(),
                    bien(descripcion="Fierro corrugado 1/2 pulgada", codigo="FIE-012", cantidad="250"),
                ],
            ),
            set(),
        ),
        "transportista-subcontratado": (
            transportista(
                documentos_relacionados=[],
                pagador_flete="subcontratador",
                subcontratador={
                    "tipo_documento": "6",
                    "numero_documento": PROVEEDOR,
                    "razon_social": "LOGISTICA INTEGRAL DEL PERU S.A.C.",
                },
                autorizacion_transportista={"entidad": "06", "numero": "MTC-CARGA-2026-7781"},
                bienes=[bien(cantidad="12", unidad="BX", descripcion="Cajas de repuestos automotrices")],
            ),
            set(),
        ),
        "transportista-con-guia-fisica-y-anotacion": (
            transportista(
                documentos_relacionados=[{"tipo": "09", "numero": "0001-004512", "ruc_emisor": EMPRESA}],
                anotacion="Bienes segun guia de remision fisica 0001-004512",
            ),
            set(),
        ),
        "transportista-traslado-total-de-boleta": (
            transportista(
                documentos_relacionados=[{"tipo": "03", "numero": "B001-7781", "ruc_emisor": EMPRESA}],
                indicadores={"traslado_total": True, "retorno_vehiculo_vacio": True},
                anotacion="Traslado total de los bienes de la boleta B001-7781",
                remitente=empresa(),
                destinatario=persona(),
            ),
            set(),
        ),
        "transportista-sin-pagador-de-flete": (transportista(pagador_flete=None), {"4388"}),
        "transportista-con-guia-fisica-sin-anotacion": (
            transportista(
                documentos_relacionados=[{"tipo": "09", "numero": "0001-004513", "ruc_emisor": EMPRESA}]
            ),
            {"4429"},
        ),
        "transportista-repite-los-bienes-de-la-guia-electronica": (transportista(bienes=[bien()]), {"4434"}),
    }
    return cases
