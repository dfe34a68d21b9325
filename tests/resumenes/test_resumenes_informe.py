"""RC lines built from stored boletas and notes (boletas by daily summary), over the corpus.

Every boleta-series case of the conformance corpus (boletas, and notes on boletas, with
IVAP, percepción, ICBPER, otros tributos, anticipos, …) is built and signed as OpenPSE
stores it, turned into its RC line from the stored row and XML, checked alone with the
Resumen Diario sheet, and informed in summaries of up to 500 lines that pass SUNAT's
schema and the emulator; every line's amounts match the document's.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from resumenes_support import SandboxSunat, hoy, schema

from openpse.authorities.base import SummaryTarget
from openpse.authorities.sunat import resumen_diario
from openpse.authorities.sunat import resumenes as r
from openpse.authorities.sunat.authority import SunatAuthority
from openpse.documents import resumen_diario as informe
from openpse.signing.certificates import Certificate
from tests_support import demo_empresa

CORPUS = Path(__file__).parents[1] / "conformance" / "corpus" / "casos"
SAC = "urn:sunat:names:specification:ubl:peru:schema:xsd:SunatAggregateComponents-1"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"


def _cases() -> list[dict[str, Any]]:
    cases = [json.loads(p.read_text("utf-8")) for p in sorted(CORPUS.glob("*.json"))]
    return [c for c in cases if resumen_diario.by_summary(c["request"]["tipo"], c["request"]["serie"])]


def _target(authority: SunatAuthority, request: dict[str, Any], certificate: Certificate) -> SummaryTarget:
    draft = authority.parse(request)
    prepared = authority.prepare(draft, draft.numero or 1, demo_empresa(certificate), hoy())
    return SummaryTarget(
        id=prepared.id,
        tipo=prepared.tipo,
        serie=prepared.serie,
        numero=prepared.numero,
        fecha_emision=prepared.fecha_emision,
        moneda=prepared.moneda,
        totales=prepared.totales,
        cliente_tipo=prepared.cliente_tipo,
        cliente_numero=prepared.cliente_numero,
        xml=prepared.xml,
    )


def _held(tipo: str, serie: str, numero: int) -> tuple[str, Any] | None:
    """SUNAT's register as the notes of the corpus need it: the boletas they modify are held."""
    return ("aceptado", hoy()) if tipo == "03" and serie.startswith("B") else None


@pytest.fixture(scope="module")
def targets(test_certificate: Certificate) -> list[SummaryTarget]:
    authority = SunatAuthority(None, "http://127.0.0.1:1")  # type: ignore[arg-type]
    cases = _cases()
    assert len(cases) >= 20, "the corpus has boletas and notes on boletas"
    return [_target(authority, case["request"], test_certificate) for case in cases]


def test_every_corpus_boleta_and_note_makes_an_rc_line_sunat_accepts(
    targets: list[SummaryTarget], sunat: SandboxSunat, test_certificate: Certificate
) -> None:
    empresa = demo_empresa(test_certificate)
    for target in targets:
        registry = _held if target.tipo != "03" else (lambda *_key: None)
        assert resumen_diario.check_line(target, empresa, hoy(), registry) == [], target.id
    # Boletas first (their own numbers are new to SUNAT), then the notes, which need them held.
    boletas = [t for t in targets if t.tipo == "03"]
    notas = [t for t in targets if t.tipo != "03"]
    for numero, group in enumerate((boletas, notas), start=1):
        prepared = resumen_diario.prepare_summary(
            group, empresa, hoy(), numero, _held if numero == 2 else _none
        )
        root = etree.fromstring(prepared.xml)
        schema("SummaryDocuments").assertValid(root)
        lines = root.findall(f"{{{SAC}}}SummaryDocumentsLine")
        assert len(lines) == len(group)
        for line, target in zip(lines, group, strict=True):
            assert line.findtext(f"{{{CBC}}}ID") == f"{target.serie}-{target.numero}"
            total = Decimal(line.findtext(f"{{{SAC}}}TotalAmount") or "")
            assert total == Decimal(target.totales["total"]), target.id
        ticket = sunat.client.send_summary(sunat.url, sunat.credentials, prepared.envio_name, prepared.envio)
        nombre = r.SummaryName.parse(prepared.envio_name)
        status = r.check_ticket(sunat.client, sunat.url, sunat.credentials, ticket, nombre)
        if status.estado is r.EstadoTicket.EN_PROCESO:
            status = r.check_ticket(sunat.client, sunat.url, sunat.credentials, ticket, nombre)
        assert status.estado is r.EstadoTicket.ACEPTADO, status.respuesta()
        for target in group:
            assert sunat.estado(target.tipo, target.serie, target.numero) == "aceptado", target.id
    # The corpus covers the RC line's special cases read back from the stored XML.
    assert any(b">Percepcion<" in t.xml for t in boletas), "a boleta with percepción"
    assert any(t.totales.get("otros_tributos") not in (None, "0.00") for t in boletas), "otros tributos"


def _none(*_key: Any) -> None:
    return None


def test_summaries_are_cut_at_500_lines_and_a_note_stays_with_its_boleta() -> None:
    class Stub:
        def summary_reference(self, target: SummaryTarget) -> tuple[str, str, int] | None:
            return ("03", "B001", int(target.xml)) if target.tipo == "07" else None

    def doc(tipo: str, numero: int, afecta: int = 0) -> SummaryTarget:
        return SummaryTarget(
            id=f"{tipo}-{numero}",
            tipo=tipo,
            serie="B001",
            numero=numero,
            fecha_emision=hoy(),
            moneda="PEN",
            totales={},
            cliente_tipo=None,
            cliente_numero=None,
            xml=str(afecta).encode(),
        )

    boletas = [doc("03", n) for n in range(1, 1002)]
    notes = [doc("07", 1, afecta=1), doc("07", 2, afecta=1000), doc("07", 3, afecta=5000)]
    batch = {("03", "B001", n) for n in range(1, 1002)}
    chunks = informe._chunks(Stub(), [*boletas, *notes], batch)  # type: ignore[arg-type]
    assert [len(c) for c in chunks] == [500, 500, 2]
    last = [t.id for t in chunks[-1]]
    # B001-1 went in the first summary: its note waits for the next run (SUNAT must hold
    # the boleta first); B001-1000's went in the second, closed too; a note on a boleta
    # outside the batch goes with the last summary.
    assert last == ["03-1001", "07-3"]
    assert "07-1" not in {t.id for c in chunks for t in c}
    assert "07-2" not in {t.id for c in chunks for t in c}
