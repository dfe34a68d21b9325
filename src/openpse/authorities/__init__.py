"""Everything specific to one tax authority lives in one package here, behind ``base.Authority``."""
