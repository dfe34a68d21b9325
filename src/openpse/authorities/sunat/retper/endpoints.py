"""Where comprobantes de retención and percepción go: SUNAT's "otros CPE" billService.

URLs from the SUNAT reference §1.1 (greenter's ``SunatEndpoints``: ``RETENCION_BETA`` and
``RETENCION_PRODUCCION``): 20 and 40 are sent with sendBill to their own service, not to
the one of facturas and boletas. SUNAT publishes no consult service for them.
"""

from __future__ import annotations

from openpse.authorities.base import EmpresaContext

SUNAT_BETA = "https://e-beta.sunat.gob.pe/ol-ti-itemision-otroscpe-gem-beta/billService"
SUNAT_PRODUCCION = "https://e-factura.sunat.gob.pe/ol-ti-itemision-otroscpe-gem/billService"
SANDBOX_PATH = "/ol-ti-itemision-otroscpe-gem-beta/billService"
"""The beta path, which the sandbox serves as SUNAT does (it serves the production path too)."""


def bill_url(empresa: EmpresaContext, sandbox_url: str) -> str:
    """The sendBill URL for a company's retenciones and percepciones."""
    if empresa.destino == "ose":
        # An OSE publishes one billService for every document it validates.
        if not empresa.ose_url:
            raise ValueError("la empresa envía a un OSE pero no tiene ose_url")
        return empresa.ose_url
    if empresa.ambiente == "sandbox":
        return sandbox_url + SANDBOX_PATH
    if empresa.ambiente == "beta":
        return SUNAT_BETA
    return SUNAT_PRODUCCION
