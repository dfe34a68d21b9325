"""UBL builders for SUNAT documents."""
