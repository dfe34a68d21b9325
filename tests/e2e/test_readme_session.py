"""The README's curl session, run as printed against ``openpse serve --demo`` in a real process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from tests_support import ROOT, free_port

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port, sandbox_port = free_port(), free_port()
    data = tmp_path_factory.mktemp("demo-data")
    env = {
        **os.environ,
        "OPENPSE_DATA_DIR": str(data),
        "OPENPSE_PORT": str(port),
        "OPENPSE_SANDBOX_PORT": str(sandbox_port),
    }
    env.pop("OPENPSE_MASTER_KEY", None)
    log = (data / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "openpse", "serve", "--demo"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(f"openpse serve --demo terminó: {(data / 'serve.log').read_text()}")
            try:
                if httpx2.get(f"{url}/ready", timeout=1).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("openpse serve --demo no respondió en 60 s")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
    assert not list(data.rglob(".tmp-*")), "ningún archivo a medio escribir"


def readme_session() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- sesion-curl -->\s*```bash\n(.*?)```", text, re.DOTALL)
    assert match, "el README debe tener la sesión curl marcada con <!-- sesion-curl -->"
    return match.group(1)


def test_readme_curl_session_works_as_printed(demo_server: str, tmp_path: Path):
    script = readme_session()
    assert "http://127.0.0.1:8000" in script
    script = script.replace("http://127.0.0.1:8000", demo_server)
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert '"estado":"aceptado"' in result.stdout
    assert "La Factura numero F001-1, ha sido aceptada" in result.stdout
    xml = (tmp_path / "20000000001-01-F001-1.xml").read_text(encoding="utf-8")
    assert "<ds:SignatureValue>" in xml
    cdr = (tmp_path / "R-20000000001-01-F001-1.xml").read_text(encoding="utf-8")
    assert "<cbc:ResponseCode>0</cbc:ResponseCode>" in cdr

    again = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    assert again.stdout.count('"id":"20000000001-01-F001-1"') == 2, (
        "re-running the session returns the same one"
    )


def test_demo_serves_openapi_and_docs(demo_server: str):
    schema = httpx2.get(f"{demo_server}/openapi.json", timeout=5).json()
    assert "/v1/comprobantes" in schema["paths"]
    assert "ComprobanteIn" in schema["components"]["schemas"]
    assert httpx2.get(f"{demo_server}/docs", timeout=5).status_code == 200


def test_emitir_posts_files_and_prints_each_result(demo_server: str, tmp_path: Path):
    good = tmp_path / "boleta.json"
    good.write_text(
        '{"tipo": "03", "serie": "B001", "cliente": {"tipo_documento": "1", "numero_documento": '
        '"46027897", "razon_social": "JUAN PEREZ"}, "items": [{"descripcion": "Pan", "cantidad": "10", '
        '"precio_unitario": "0.50"}]}',
        encoding="utf-8",
    )
    bad = tmp_path / "mala.json"
    bad.write_text(
        '{"tipo": "01", "serie": "F001", "cliente": {"tipo_documento": "6", "numero_documento": '
        '"20100070971", "razon_social": "X S.A.C."}, "items": [{"descripcion": "x", "cantidad": "1", '
        '"valor_unitario": "1"}]}',
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "openpse", "emitir", str(good), str(bad), "--url", demo_server],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, "a rejected file makes the command fail"
    assert "20000000001-03-B001-1 aceptado 0 La Boleta numero B001-1, ha sido aceptada" in result.stdout
    assert "HTTP 422: 1083" in result.stdout
