"""The integration guide is produced by running the code, and the committed copy is current."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from tests_support import ROOT


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("generar_guia", ROOT / "docs" / "generar_guia.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _outline(text: str) -> list[str]:
    """Headings and the HTTP lines (method, path, status) of every example; a Costa Rican clave
    (its date and random security code) is not part of the outline."""
    lines = re.findall(r"^(#+ .*|(?:GET|POST|PUT) \S+|HTTP \d{3})$", text, re.MULTILINE)
    return [re.sub(r"506\d{47}", "<clave>", line) for line in lines]


def test_guide_is_generated_from_real_calls_and_matches_the_committed_one(tmp_path: Path):
    out = tmp_path / "guia.md"
    _generator().generate(out)
    generated = out.read_text(encoding="utf-8")
    for section in (
        "## 1. Autenticación y token",
        "## 2. Generación y firma",
        "## 3. Envío",
        "## 4. Consulta de estado y CDR",
        "## 5. Costa Rica: responder un comprobante recibido (mensaje receptor)",
    ):
        assert section in generated
    assert '"estado": "aceptado"' in generated
    assert "<ds:SignatureValue>" in generated
    assert "<applicationResponse>UEsDB" in generated, "the CDR zip travels in Base64"
    assert '"codError": "1083"' in generated
    assert '"tipo": "07"' in generated, "a rejection answered with a MensajeReceptor"
    assert "<xades:ClaimedRole>Receptor</xades:ClaimedRole>" in generated
    committed = (ROOT / "docs" / "guia-integracion.md").read_text(encoding="utf-8")
    assert _outline(committed) == _outline(generated), "regenerate the guide with `make docs`"
