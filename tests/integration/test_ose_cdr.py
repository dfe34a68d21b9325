"""A company that sends through an OSE: the OSE's CDR (UBL 2.1, UUID, DocumentHash,
observations as StatusReasonCode) is read, its DocumentHash checked against the
document we signed, and stored.

The emulator's OSE flavour (``/ol-ti-itcpe/billService``) answers as the CDR-OSE sheets
of SUNAT's workbook describe; OpenPSE talks to it over real HTTP.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from openpse import demo
from openpse.authorities.sunat.authority import outcome_from_cdr
from openpse.authorities.sunat.cdr import parse_cdr_xml, parse_cdr_zip
from openpse.documents.states import Estado
from openpse.storage.tables import Comprobante, Empresa
from tests_support import boleta, factura, shared_path

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
OSE_BILL = "/ol-ti-itcpe/billService"


@pytest.fixture
def ose(runtime, sandbox_url):
    with runtime.db.session() as session:
        empresa = session.scalars(select(Empresa).where(Empresa.identificacion == demo.DEMO_RUC)).one()
        empresa.destino = "ose"
        empresa.ose_url = sandbox_url + OSE_BILL
    return runtime


def _row(runtime, doc_id: str) -> Comprobante:
    with runtime.db.read() as session:
        row = session.get(Comprobante, doc_id)
        assert row is not None
        return row


def test_a_factura_sent_to_an_ose_stores_the_ose_cdr_with_our_hash(ose, api, auth, post_document):
    doc = post_document(factura(numero=1), espera=20).json()
    assert doc["estado"] == "aceptado", doc
    row = _row(ose, doc["id"])
    cdr = parse_cdr_xml(ose.blobs.get(row.cdr_blob))
    assert UUID.fullmatch(cdr.id), "the OSE's CDR is identified by a UUID"
    assert cdr.document_hash == row.hash, "DocumentHash is the DigestValue of what we signed"
    assert b"<cbc:UBLVersionID>2.1</cbc:UBLVersionID>" in ose.blobs.get(row.cdr_blob)
    assert api.get(f"/v1/comprobantes/{doc['id']}/cdr", headers=auth).status_code == 200
    # The same CDR given for other bytes is not this document's answer.
    zipped = ose.blobs.get(row.cdr_zip_blob)
    outcome = outcome_from_cdr(parse_cdr_zip(zipped), zipped, "F001-1", "b3RybyBoYXNo")
    assert outcome.estado is Estado.FALLIDO
    assert outcome.cdr is None, "a CDR for other content is not stored as the document's"
    assert "DocumentHash" in outcome.respuesta["descripcion"]


def test_a_summary_sent_to_an_ose_gets_the_ose_summary_cdr(ose, api, auth, post_document):
    with ose.db.session() as session:
        empresa = session.scalars(select(Empresa).where(Empresa.identificacion == demo.DEMO_RUC)).one()
        empresa.boletas_por_resumen = True
    doc = post_document(boleta(numero=1)).json()
    created = api.post("/v1/resumenes", headers=auth).json()["resumenes"]
    summary = api.get(f"/v1/comprobantes/{created[0]['id']}", headers=auth, params={"espera": 30}).json()
    assert summary["estado"] == "aceptado", summary
    informed = api.get(f"/v1/comprobantes/{doc['id']}", headers=auth, params={"espera": 10}).json()
    assert informed["estado"] == "aceptado"
    row = _row(ose, summary["id"])
    cdr = parse_cdr_xml(ose.blobs.get(row.cdr_blob))
    assert cdr.document_hash == row.hash
    assert _row(ose, doc["id"]).cdr_blob == row.cdr_blob


def test_ose_observations_come_as_status_reason_codes():
    # The OSE variant carries observations in cac:Response/cac:Status, not in cbc:Note.
    sample = shared_path("sunat", "samples", "cdr", "greenter", "efact_cdr1.xml").read_bytes()
    cdr = parse_cdr_xml(sample)
    assert cdr.document_hash == "RwNDwdsWs4XMKM4BoTAf5MKh3T8="
    observed = sample.replace(
        b"</ns3:Response>",
        b"<ns3:Status><StatusReasonCode>4312</StatusReasonCode>"
        b"<StatusReason>El importe total no coincide</StatusReason></ns3:Status></ns3:Response>",
        1,
    )
    assert observed != sample
    parsed = parse_cdr_xml(observed)
    assert [(o.codigo, o.descripcion) for o in parsed.observaciones] == [
        ("4312", "El importe total no coincide")
    ]
    assert outcome_from_cdr(parsed, None, parsed.reference_id, "RwNDwdsWs4XMKM4BoTAf5MKh3T8=").estado is (
        Estado.OBSERVADO
    )
    assert outcome_from_cdr(parsed, None, parsed.reference_id, "otro").estado is Estado.FALLIDO


def test_a_sunat_cdr_has_no_document_hash_and_nothing_to_compare():
    sample = shared_path("sunat", "samples", "cdr", "greenter", "R-20600995805-01-F001-1.xml").read_bytes()
    cdr = parse_cdr_xml(sample)
    assert cdr.document_hash is None
    assert outcome_from_cdr(cdr, None, cdr.reference_id, "cualquiera").estado is Estado.ACEPTADO
