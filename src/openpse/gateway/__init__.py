"""SUNAT's billService spoken by OpenPSE itself (API.md, "Compatibility surfaces").

An ERP that already signs its own UBL and talks to SUNAT or an OSE points its SOAP client
at ``/ol-ti-itcpe/billService`` on OpenPSE, unchanged: OpenPSE authenticates it
(WS-Security UsernameToken, RUC + user of the company), checks and stores what it sends,
forwards it to the authority through the normal pipeline, and answers as SUNAT would:
the CDR for sendBill, a ticket for sendSummary, the summary's state for getStatus.
"""

from openpse.gateway.billservice import GATEWAY_PATH, router

__all__ = ["GATEWAY_PATH", "router"]
