"""Fixtures of the retención and percepción tests: the company, the authority, HTTP to the sandbox.

The sandbox is the session's live emulator over loopback (``sandbox_url`` of the root
conftest, reset before each test).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest
from retper_support import empresa

from openpse.authorities.base import EmpresaContext
from openpse.authorities.sunat.retper import RetPerAuthority
from openpse.signing.certificates import Certificate


@pytest.fixture
def http() -> Iterator[httpx2.Client]:
    with httpx2.Client(timeout=15) as client:
        yield client


@pytest.fixture
def emp(test_certificate: Certificate) -> EmpresaContext:
    return empresa(test_certificate)


@pytest.fixture
def retper(http: httpx2.Client, sandbox_url: str) -> RetPerAuthority:
    return RetPerAuthority(http, sandbox_url)
