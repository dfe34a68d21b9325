"""SUNAT (Peru): UBL 2.1 comprobantes, XMLDSig, billService/billConsultService, CDRs."""
