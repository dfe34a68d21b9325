"""The sandbox over real HTTP (uvicorn on loopback) and against SUNAT's own signed sample."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient
from sunat_sandbox_support import (
    BETA_BILL,
    CONSULT,
    Invoice,
    LiveServer,
    SigningKey,
    cdr_text,
    cdr_xml,
    cdr_zip,
    send_bill,
    signed_package,
    status_of,
    status_query,
    zip_entries,
)

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
GREENTER_SAMPLE = SHARED / "sunat" / "samples" / "signed" / "greenter-F001-1" / "20123456789-01-F001-1.xml"


@pytest.fixture
def base_url(app: Starlette, serve: Callable[[Starlette], LiveServer]) -> str:
    return serve(app).url


def test_send_bill_and_get_status_cdr_over_http(base_url: str, signing_key: SigningKey) -> None:
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": "urn:sendBill"}
    with httpx2.Client(base_url=base_url, timeout=10) as http:
        sent = http.post(
            BETA_BILL, content=send_bill(*signed_package(Invoice(lines=10), signing_key)), headers=headers
        )
        assert sent.status_code == 200
        assert sent.headers["content-type"] == "text/xml;charset=UTF-8"
        assert (
            cdr_text(cdr_xml(cdr_zip(sent.content)), "cac:DocumentResponse/cac:Response/cbc:ResponseCode")
            == "0"
        )

        queried = http.post(CONSULT, content=status_query("getStatusCdr"), headers=headers)
        assert status_of(queried.content)[0] == "0004"

        assert http.get("/health").json()["documents"] == 1


@pytest.mark.skipif(not GREENTER_SAMPLE.exists(), reason=f"the shared SUNAT samples are not at {SHARED}")
def test_greenter_signed_sample_is_accepted(make_app: Callable[..., Starlette]) -> None:
    base = GREENTER_SAMPLE.stem
    request = send_bill(f"{base}.zip", zip_entries((f"{base}.xml", GREENTER_SAMPLE.read_bytes())))
    with TestClient(make_app()) as client:
        response = client.post(BETA_BILL, content=request)
    assert response.status_code == 200
    xml = cdr_xml(cdr_zip(response.content))
    assert cdr_text(xml, "cac:DocumentResponse/cac:Response/cbc:ResponseCode") == "0"
    assert cdr_text(xml, "cac:DocumentResponse/cac:Response/cbc:Description") == (
        "La Factura numero F001-1, ha sido aceptada"
    )
