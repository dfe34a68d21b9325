"""What the emulator reads from a received comprobante before judging it.

Roots, codes and namespaces from ``hacienda_cr.md`` §3.1 (v4.4:
``https://cdn.comprobanteselectronicos.go.cr/xml-schemas/v4.4/<lowerCamelRoot>``), the
clave and consecutivo layouts of §3.2, and the MensajeReceptor fields of §3.5. Elements
are read in the document's own namespace, as the XSD makes them qualified.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

NS_BASE = "https://cdn.comprobanteselectronicos.go.cr/xml-schemas/"
DS = "http://www.w3.org/2000/09/xmldsig#"

DOCUMENT_CODES = {
    "FacturaElectronica": "01",
    "NotaDebitoElectronica": "02",
    "NotaCreditoElectronica": "03",
    "TiqueteElectronico": "04",
    "FacturaElectronicaCompra": "08",
    "FacturaElectronicaExportacion": "09",
    "ReciboElectronicoPago": "10",
}
MENSAJE_RECEPTOR = "MensajeReceptor"
# Mensaje 1 aceptado, 2 aceptado parcialmente, 3 rechazado: consecutivo codes 05/06/07 (§3.1).
MENSAJE_RECEPTOR_CODES = {"1": "05", "2": "06", "3": "07"}
ROOTS = (*DOCUMENT_CODES, MENSAJE_RECEPTOR)


def namespace_of(root: str, version: str = "v4.4") -> str:
    return f"{NS_BASE}{version}/{root[0].lower()}{root[1:]}"


@dataclass(frozen=True)
class Party:
    tipo: str
    numero: str
    nombre: str


@dataclass(frozen=True)
class Received:
    """The fields of a received comprobante that reception and processing look at."""

    root: str
    version: str
    element: etree._Element
    clave: str
    consecutivo: str
    fecha_emision: str
    emisor: Party | None
    receptor: Party | None
    total_comprobante: str
    total_impuesto: str
    consecutivo_receptor: str = ""
    """MensajeReceptor only: NumeroConsecutivoReceptor."""
    mensaje_receptor: str = ""
    """MensajeReceptor only: Mensaje (1, 2 or 3)."""

    @property
    def is_mensaje_receptor(self) -> bool:
        return self.root == MENSAJE_RECEPTOR

    @property
    def code(self) -> str:
        """The document's code in the consecutivo (01–10, 05–07 for MensajeReceptor)."""
        if self.is_mensaje_receptor:
            return MENSAJE_RECEPTOR_CODES.get(self.mensaje_receptor, "")
        return DOCUMENT_CODES[self.root]


class NotAComprobante(ValueError):
    """The XML is not a v4.4 comprobante that Hacienda receives."""


def _text(parent: etree._Element | None, ns: str, path: str) -> str:
    if parent is None:
        return ""
    found = parent.find("/".join(f"{{{ns}}}{step}" for step in path.split("/")))
    return (found.text or "").strip() if found is not None else ""


def _party(root: etree._Element, ns: str, name: str) -> Party | None:
    element = root.find(f"{{{ns}}}{name}")
    if element is None:
        return None
    return Party(
        tipo=_text(element, ns, "Identificacion/Tipo"),
        numero=_text(element, ns, "Identificacion/Numero"),
        nombre=_text(element, ns, "Nombre"),
    )


def read(root: etree._Element) -> Received:
    """Read a parsed comprobante; raise :class:`NotAComprobante` for anything else."""
    qname = etree.QName(root)
    name, ns = qname.localname, qname.namespace or ""
    if name not in ROOTS or not ns.startswith(NS_BASE):
        raise NotAComprobante(f"El elemento raíz {name} no corresponde a un comprobante electrónico")
    version = ns[len(NS_BASE) :].split("/", 1)[0]
    if ns != namespace_of(name, version):
        raise NotAComprobante(f"El espacio de nombres {ns} no corresponde a {name}")
    if version != "v4.4":
        raise NotAComprobante(
            f"La versión {version} del comprobante ya no se recibe; use la versión 4.4 ({namespace_of(name)})"
        )
    if name == MENSAJE_RECEPTOR:
        return Received(
            root=name,
            version=version,
            element=root,
            clave=_text(root, ns, "Clave"),
            consecutivo="",
            fecha_emision=_text(root, ns, "FechaEmisionDoc"),
            emisor=Party("", _text(root, ns, "NumeroCedulaEmisor"), ""),
            receptor=Party("", _text(root, ns, "NumeroCedulaReceptor"), ""),
            total_comprobante=_text(root, ns, "TotalFactura"),
            total_impuesto=_text(root, ns, "MontoTotalImpuesto"),
            consecutivo_receptor=_text(root, ns, "NumeroConsecutivoReceptor"),
            mensaje_receptor=_text(root, ns, "Mensaje"),
        )
    return Received(
        root=name,
        version=version,
        element=root,
        clave=_text(root, ns, "Clave"),
        consecutivo=_text(root, ns, "NumeroConsecutivo"),
        fecha_emision=_text(root, ns, "FechaEmision"),
        emisor=_party(root, ns, "Emisor"),
        receptor=_party(root, ns, "Receptor"),
        total_comprobante=_text(root, ns, "ResumenFactura/TotalComprobante"),
        total_impuesto=_text(root, ns, "ResumenFactura/TotalImpuesto"),
    )
