"""Emulator of SUNAT's SOAP services (billService, billConsultService).

Follows ``sunat.md`` §1–§3 and §8 and SUNAT's validation workbook
"AjustesValidacionesCPE" (sheets General, Firma, Factura2_0, Boleta2_0,
NotaCredito2_0, NotaDebito2_0). Nothing here imports the client side of OpenPSE.
"""
