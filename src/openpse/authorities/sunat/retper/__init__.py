"""Comprobantes de retención (20) and de percepción (40): SUNAT's UBL 2.0 "otros CPE".

Public surface:

* :class:`RetencionIn`, :class:`PercepcionIn`: the API's JSON (``tipo`` 20 and 40);
* :class:`RetPerAuthority`: rules, amounts, UBL, signature, sendBill to "otros CPE";
* :class:`SunatRouter`: one ``Authority`` for Peru that sends each tipo to its class;
* :func:`check_and_compute`: the rules and the amounts without building anything.

Sources: sheets Retenciones1_0 and Percepciones1_0 of SUNAT's validation workbook
v2026-02-12, catálogos 22 and 23, schemas ``UBLPE-Retention-1.0.xsd`` and
``UBLPE-Perception-1.0.xsd``, and the SUNAT reference §1.1 for the service.
"""

from openpse.authorities.sunat.retper.authority import RetPerAuthority, check_and_compute
from openpse.authorities.sunat.retper.models import PercepcionIn, RetencionIn
from openpse.authorities.sunat.retper.routing import SunatRouter

__all__ = ["PercepcionIn", "RetPerAuthority", "RetencionIn", "SunatRouter", "check_and_compute"]
