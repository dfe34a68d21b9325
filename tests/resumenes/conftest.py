"""Fixtures of the resumen (RC, RA, RR) tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from resumenes_support import SandboxSunat

from openpse.signing.certificates import Certificate


@pytest.fixture(scope="module")
def http() -> Iterator[httpx2.Client]:
    with httpx2.Client(timeout=20) as client:
        yield client


@pytest.fixture
def sunat(
    sandbox_url: str,
    sandbox_server: tuple[str, Any],
    http: httpx2.Client,
    test_certificate: Certificate,
) -> SandboxSunat:
    """The SUNAT sandbox over loopback HTTP, with an empty register for each test."""
    return SandboxSunat(sandbox_url, http, test_certificate, sandbox_server[1])
