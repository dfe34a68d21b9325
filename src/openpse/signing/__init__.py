"""Certificates and XML signatures (SUNAT's enveloped XMLDSig profile)."""
