"""Fixtures of the Costa Rica (Hacienda v4.4) tests: the demo company and its certificate."""

from __future__ import annotations

import pytest
from hacienda_support import certificado, empresa

from openpse.authorities.hacienda import Emisor
from openpse.signing.certificates import Certificate


@pytest.fixture(scope="session")
def cert() -> Certificate:
    return certificado()


@pytest.fixture(scope="session")
def compania() -> Emisor:
    return empresa()
