"""Guías de remisión electrónicas (GRE 2022): remitente (09) and transportista (31).

- :func:`parse_guia` validates the shape of a JSON request (:mod:`.models`);
- :func:`prepare_guia` applies SUNAT's GRE rules (:mod:`.rules`), builds the
  DespatchAdvice (:mod:`.ubl`), signs and zips it; :func:`sign_despatch_xml` signs a
  DespatchAdvice the client built;
- :class:`GreClient` sends the zip to SUNAT's GRE REST platform and reads the verdict
  of its ticket (:mod:`.client`); :func:`submit_guia` and :func:`follow_guia` turn its
  answers into the document's next state (:mod:`.sending`).
"""

from openpse.authorities.sunat.guias.client import (
    GreApiError,
    GreAuthError,
    GreClient,
    GreCredentials,
    GreEndpoints,
    GreError,
    GreErrorItem,
    GreStatus,
    GreTicket,
    GreUnavailable,
    GreUnknownOutcome,
)
from openpse.authorities.sunat.guias.models import Emisor, Guia, GuiaRemitenteIn, GuiaTransportistaIn
from openpse.authorities.sunat.guias.sending import follow_guia, outcome_of_status, qr_url, submit_guia
from openpse.authorities.sunat.guias.service import (
    SignedGuia,
    check_guia,
    content_hash,
    parse_guia,
    prepare_guia,
    sign_despatch_xml,
)
from openpse.authorities.sunat.guias.ubl import build_despatch

__all__ = [
    "Emisor",
    "GreApiError",
    "GreAuthError",
    "GreClient",
    "GreCredentials",
    "GreEndpoints",
    "GreError",
    "GreErrorItem",
    "GreStatus",
    "GreTicket",
    "GreUnavailable",
    "GreUnknownOutcome",
    "Guia",
    "GuiaRemitenteIn",
    "GuiaTransportistaIn",
    "SignedGuia",
    "build_despatch",
    "check_guia",
    "content_hash",
    "follow_guia",
    "outcome_of_status",
    "parse_guia",
    "prepare_guia",
    "qr_url",
    "sign_despatch_xml",
    "submit_guia",
]
