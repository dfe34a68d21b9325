"""OpenPSE: an open-source Proveedor de Servicios Electrónicos for SUNAT (Peru) and Hacienda (Costa Rica)."""

__version__ = "0.1.0"
