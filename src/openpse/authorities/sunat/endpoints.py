"""Where a company's documents go: SUNAT's published URLs, the sandbox, or an OSE.

URLs from SUNAT's billService/billConsultService WSDL publications (see the SUNAT
reference §1.1). The consult service exists only in production; in beta the answer of
a lost sendBill is recovered by sending the same bytes again (1033 means registered).
"""

from __future__ import annotations

from dataclasses import dataclass

from openpse.authorities.base import EmpresaContext

SUNAT_BETA = "https://e-beta.sunat.gob.pe/ol-ti-itcpfegem-beta/billService"
SUNAT_PRODUCCION = "https://e-factura.sunat.gob.pe/ol-ti-itcpfegem/billService"
SUNAT_CONSULTA = "https://e-factura.sunat.gob.pe/ol-it-wsconscpegem/billConsultService"
SANDBOX_BILL_PATH = "/ol-ti-itcpfegem-beta/billService"
SANDBOX_CONSULT_PATH = "/ol-it-wsconscpegem/billConsultService"


@dataclass(frozen=True)
class Endpoints:
    bill: str
    consult: str | None


def endpoints_for(empresa: EmpresaContext, sandbox_url: str) -> Endpoints:
    if empresa.destino == "ose":
        if not empresa.ose_url:
            raise ValueError("la empresa envía a un OSE pero no tiene ose_url")
        return Endpoints(bill=empresa.ose_url, consult=None)
    if empresa.ambiente == "sandbox":
        return Endpoints(bill=sandbox_url + SANDBOX_BILL_PATH, consult=sandbox_url + SANDBOX_CONSULT_PATH)
    if empresa.ambiente == "beta":
        return Endpoints(bill=SUNAT_BETA, consult=None)
    return Endpoints(bill=SUNAT_PRODUCCION, consult=SUNAT_CONSULTA)
