"""What each v4.4 document type holds: root element, namespace and the per-type deltas.

Read off the April-2026 XSDs (reference §3.1 and §3.3): the factura (01), the notes (02,
03) and the tiquete (04) share one structure with different cardinalities; the factura de
compra (08) drops the factory-IVA, specific-tax and assumed-tax fields; the factura de
exportación (09) drops the IVA base, the net tax and the exonerations; the recibo
electrónico de pago (10) is a reduced document. Rules and the XML builder both read this
table, so what is validated is what is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

NS_BASE = "https://cdn.comprobanteselectronicos.go.cr/xml-schemas/v4.4/"

Linea = Literal["completa", "compra", "exportacion", "recibo"]
Resumen = Literal["completo", "compra", "exportacion", "recibo"]


@dataclass(frozen=True)
class Formato:
    tipo: str
    raiz: str
    nombre: str
    actividad_emisor: bool
    """CodigoActividadEmisor is mandatory (FE, TE, FEE); optional in notes and FEC, absent in REP."""
    actividad_receptor: Literal["requerida", "opcional", "no"]
    receptor_requerido: bool
    receptor_identificacion_requerida: bool
    receptor_ubicacion: bool
    emisor_ubicacion_requerida: bool
    emisor_correo_requerido: bool
    reducido: bool
    """Recibo electrónico de pago: parties with name, identification and e-mail only."""
    linea: Linea
    cabys_requerido: bool
    partida_arancelaria: bool
    tipo_transaccion: bool
    monto_exportacion: bool
    resumen: Resumen
    referencia_requerida: bool
    rol_firmante: str
    """ClaimedRole of the signer: the FEC is signed by its receptor (bitácora v4.4 item 146)."""

    @property
    def con_articulo(self) -> str:
        """The name with its article, for messages: «la factura electrónica», «el tiquete…»."""
        articulo = "el" if self.raiz in ("TiqueteElectronico", "ReciboElectronicoPago") else "la"
        return f"{articulo} {self.nombre[0].lower()}{self.nombre[1:]}"

    @property
    def namespace(self) -> str:
        return NS_BASE + self.raiz[0].lower() + self.raiz[1:]

    @property
    def xsd(self) -> str:
        return f"{self.raiz}_V4.4.xsd"

    @property
    def exoneracion(self) -> bool:
        return self.linea in ("completa", "compra")

    @property
    def iva_fabrica(self) -> bool:
        """IVACobradoFabrica, DatosImpuestoEspecifico and ImpuestoAsumidoEmisorFabrica."""
        return self.linea == "completa"


_COMUN = {
    "actividad_emisor": True,
    "actividad_receptor": "opcional",
    "receptor_requerido": True,
    "receptor_identificacion_requerida": True,
    "receptor_ubicacion": True,
    "emisor_ubicacion_requerida": True,
    "emisor_correo_requerido": True,
    "reducido": False,
    "linea": "completa",
    "cabys_requerido": True,
    "partida_arancelaria": False,
    "tipo_transaccion": True,
    "monto_exportacion": False,
    "resumen": "completo",
    "referencia_requerida": False,
    "rol_firmante": "Emisor",
}


def _formato(tipo: str, raiz: str, nombre: str, **cambios: object) -> Formato:
    datos = {**_COMUN, **cambios}
    return Formato(tipo=tipo, raiz=raiz, nombre=nombre, **datos)  # type: ignore[arg-type]


_NOTA = {
    "actividad_emisor": False,
    "receptor_requerido": False,
    "receptor_identificacion_requerida": False,
    "emisor_ubicacion_requerida": False,
    "emisor_correo_requerido": False,
    "cabys_requerido": False,
    "partida_arancelaria": True,
    "monto_exportacion": True,
    "referencia_requerida": True,
}

FORMATOS: dict[str, Formato] = {
    "01": _formato("01", "FacturaElectronica", "Factura electrónica"),
    "02": _formato("02", "NotaDebitoElectronica", "Nota de débito electrónica", **_NOTA),
    "03": _formato("03", "NotaCreditoElectronica", "Nota de crédito electrónica", **_NOTA),
    "04": _formato(
        "04",
        "TiqueteElectronico",
        "Tiquete electrónico",
        actividad_receptor="no",
        receptor_requerido=False,
        receptor_identificacion_requerida=False,
        tipo_transaccion=False,
    ),
    "08": _formato(
        "08",
        "FacturaElectronicaCompra",
        "Factura electrónica de compra",
        actividad_emisor=False,
        actividad_receptor="requerida",
        emisor_ubicacion_requerida=False,
        emisor_correo_requerido=False,
        linea="compra",
        resumen="compra",
        referencia_requerida=True,
        rol_firmante="Receptor",
    ),
    "09": _formato(
        "09",
        "FacturaElectronicaExportacion",
        "Factura electrónica de exportación",
        actividad_receptor="no",
        receptor_requerido=False,
        receptor_identificacion_requerida=False,
        receptor_ubicacion=False,
        linea="exportacion",
        partida_arancelaria=True,
        monto_exportacion=True,
        resumen="exportacion",
    ),
    "10": _formato(
        "10",
        "ReciboElectronicoPago",
        "Recibo electrónico de pago",
        actividad_emisor=False,
        actividad_receptor="no",
        receptor_ubicacion=False,
        emisor_ubicacion_requerida=False,
        reducido=True,
        linea="recibo",
        cabys_requerido=False,
        tipo_transaccion=False,
        resumen="recibo",
        referencia_requerida=True,
    ),
}

MENSAJE_RECEPTOR_RAIZ = "MensajeReceptor"
MENSAJE_RECEPTOR_NS = NS_BASE + "mensajeReceptor"
MENSAJE_RECEPTOR_XSD = "MensajeReceptor_V4.4.xsd"
