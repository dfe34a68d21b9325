"""Emulators of SUNAT's services: SOAP billService and billConsultService, an OSE, the GRE REST platform.

Follows ``sunat.md`` §1–§3, §6 and §8 and SUNAT's validation workbook
"AjustesValidacionesCPE" (sheets General, Firma, Factura2_0, Boleta2_0,
NotaCredito2_0, NotaDebito2_0, Resumen Diario1_1, Comunicación de Baja1_0,
CDR-OSE-Comprobante, CDR-OSE-Resumen). Nothing here imports the client side of OpenPSE.
"""
