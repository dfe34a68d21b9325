"""OpenPSE benchmarks, one command: ``make bench`` (or ``python bench/run.py``).

(a) Build + sign of a 10-line factura per second on one core, next to the physical limit
    measured in the same run (RSA-2048 PKCS#1 v1.5 signatures per second with
    ``cryptography``) and next to a peer doing the same work in the same run (sunat-py
    0.5.0 from PyPI, in its own virtual environment).
(b) End to end: ``POST /v1/comprobantes`` until ``aceptado``, per second, against
    ``openpse serve --demo`` and its sandbox running as real processes on loopback.

Results are printed and written between the markers of ``bench/README.md``. The
scale-out figures (PostgreSQL, Redis, ``openpse worker``, stored volume) come from
``bench/scale.py``, which writes its own markers there.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from openpse.authorities.base import EmpresaContext
from openpse.authorities.sunat import rules
from openpse.authorities.sunat.authority import SunatAuthority, _line_input
from openpse.authorities.sunat.totals import compute_document, compute_line
from openpse.core.errors import IssueCollector
from openpse.core.timeutil import now_lima
from openpse.signing.certificates import Certificate, generate_test_certificate, to_pkcs12
from render_bench import measure_render_on_one_core, render_rows

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PEER_VENV = ROOT / ".venv-bench-sunatpy"
PEER_PACKAGE = "sunat-py==0.5.0"
MARK_BEGIN, MARK_END = "<!-- resultados:inicio -->", "<!-- resultados:fin -->"


def factura(lines: int) -> dict[str, Any]:
    return {
        "tipo": "01",
        "serie": "F001",
        "cliente": {
            "tipo_documento": "6",
            "numero_documento": "20100070970",
            "razon_social": "CLIENTE S.A.C.",
        },
        "items": [
            {
                "codigo": f"P{i:03d}",
                "descripcion": f"Producto {i}",
                "cantidad": str(i),
                "precio_unitario": "11.80",
            }
            for i in range(1, lines + 1)
        ],
    }


def pin_to_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})


def rate(work: Any, seconds: float) -> tuple[float, int]:
    """Calls per second of ``work(i)`` during about ``seconds``, after a warm-up."""
    for i in range(20):
        work(i)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        work(count)
        count += 1
    return count / (time.perf_counter() - start), count


def measure_build_sign(cert: Certificate, seconds: float) -> dict[str, float]:
    authority = SunatAuthority(httpx2.Client(), "http://127.0.0.1:9")
    empresa = EmpresaContext(
        id=1,
        pais="PE",
        identificacion="20000000001",
        razon_social="EMPRESA DEMO S.A.C.",
        nombre_comercial=None,
        direccion={"ubigeo": "150101", "direccion": "AV. DEMO 123"},
        destino="sunat",
        ambiente="sandbox",
        ose_url=None,
        usuario=None,
        clave=None,
        firma_algoritmo="sha256",
        certificate=cert,
    )
    payload = factura(10)
    today = now_lima().date()
    model = authority.parse(payload).model
    large = factura(100)
    large_model = authority.parse(large).model

    def build_sign_100(i: int) -> None:
        # Issue 3: a 100-line factura, JSON validation included (build + validate + sign).
        authority.prepare(authority.parse(large), i + 1, empresa, today)

    def rules_only(_i: int) -> None:
        # The rule engine alone on the 100-line factura: every check, totals, no XML.
        issues = IssueCollector()
        fecha = today
        rules.check_document(large_model, fecha, today, issues)
        rules.check_cliente(large_model, issues)
        rules.check_items(large_model, issues)
        rules.check_pagos(large_model, empresa.identificacion, issues)
        rate_igv = Decimal("0.18")
        lines = [compute_line(_line_input(item), rate_igv, fecha) for item in large_model.items]
        totals = compute_document(lines, rate_igv)
        rules.check_line_values(lines, issues)
        rules.check_pagos_totales(large_model, totals, None, issues)
        rules.check_forma_pago(large_model, fecha, totals.total, issues)
        assert not issues.issues

    def build_sign(i: int) -> None:
        # From a validated request, like the peer from its dataclasses: SUNAT's rules,
        # Decimal totals, the UBL document and its signature.
        authority.build_signed(model, i + 1, empresa, today)

    def api_path(i: int) -> None:
        # What the API does per document before storing it: JSON validation, the above, the zip.
        authority.prepare(authority.parse(payload), i + 1, empresa, today)

    probe = authority.prepare(authority.parse(payload), 1, empresa, today)
    signed_info = probe.xml[probe.xml.index(b"<ds:SignedInfo") : probe.xml.index(b"</ds:SignedInfo>") + 16]

    def rsa(_i: int) -> None:
        cert.private_key.sign(signed_info, padding.PKCS1v15(), hashes.SHA256())

    ours, _ = rate(build_sign, seconds)
    full, _ = rate(api_path, seconds)
    hundred, _ = rate(build_sign_100, seconds)
    rules_rate, _ = rate(rules_only, seconds)
    limit, _ = rate(rsa, seconds)
    return {
        "build_sign_per_s": ours,
        "prepare_per_s": full,
        "build_sign_100_per_s": hundred,
        "rules_100_per_s": rules_rate,
        "rsa_per_s": limit,
        "xml_bytes": float(len(probe.xml)),
    }


def factura_cr(lines: int) -> dict[str, Any]:
    """A 10-line Costa Rican factura (v4.4): goods and services at 13 % IVA, one cash payment."""
    return {
        "tipo": "01",
        "receptor": {
            "nombre": "CLIENTE DE PRUEBA S.A.",
            "identificacion": {"tipo": "02", "numero": "3101999999"},
        },
        "medios_pago": [{"tipo": "01"}],
        "items": [
            {
                "cabys": "8314100000000" if i % 2 else "2211100000000",
                "cantidad": str(i),
                "unidad": "Sp" if i % 2 else "Unid",
                "descripcion": f"Producto {i}",
                "precio_unitario": "1180.50",
                "impuestos": [{"codigo": "01", "codigo_tarifa_iva": "08"}],
            }
            for i in range(1, lines + 1)
        ],
    }


def measure_build_sign_cr(seconds: float) -> dict[str, float]:
    """(a) for Costa Rica: rules, totals, clave, v4.4 XML and XAdES-EPES of a 10-line factura."""
    from openpse.authorities.hacienda.authority import HaciendaAuthority
    from openpse.authorities.hacienda.perfil import generar_certificado_prueba

    cert = generar_certificado_prueba("3101123456", "EMPRESA DEMO COSTA RICA S.A.")
    authority = HaciendaAuthority(httpx2.Client(), "http://127.0.0.1:9")
    empresa = EmpresaContext(
        id=2,
        pais="CR",
        identificacion="3101123456",
        razon_social="EMPRESA DEMO COSTA RICA S.A.",
        nombre_comercial=None,
        direccion={
            "provincia": "1",
            "canton": "01",
            "distrito": "01",
            "otras_senas": "Avenida 7, calles 3 y 5",
            "correo": "facturas@demo-cr.example",
            "codigo_actividad": "721001",
        },
        destino="hacienda",
        ambiente="sandbox",
        ose_url=None,
        usuario=None,
        clave=None,
        firma_algoritmo="sha256",
        certificate=cert,
    )
    model = authority.parse(factura_cr(10)).model
    probe = authority.build_signed(model, 1, empresa)
    ours, _ = rate(lambda i: authority.build_signed(model, i + 1, empresa), seconds)
    return {"cr_build_sign_per_s": ours, "cr_xml_bytes": float(len(probe.xml))}


def measure_peer(pfx: Path, password: str, seconds: float) -> dict[str, Any]:
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        print(f"preparando {PEER_VENV.name} con {PEER_PACKAGE} …", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", PEER_PACKAGE], check=True)
    result = subprocess.run(
        [str(python), str(HERE / "peers" / "sunatpy_build_sign.py"), str(pfx), password, str(seconds)],
        capture_output=True,
        text=True,
        check=True,
    )
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _load(
    url: str, token: str, total: int, concurrency: int
) -> tuple[float, list[float], dict[str, int]]:
    latencies: list[float] = []
    states: dict[str, int] = {}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(total):
        queue.put_nowait(n)
    body = factura(10)
    headers = {"Authorization": f"Bearer {token}"}

    async def worker(client: httpx2.AsyncClient) -> None:
        while True:
            try:
                queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            started = time.perf_counter()
            response = await client.post(
                "/v1/comprobantes", params={"espera": 30}, json=body, headers=headers
            )
            latencies.append(time.perf_counter() - started)
            estado = response.json().get("estado", f"http-{response.status_code}")
            states[estado] = states.get(estado, 0) + 1

    limits = httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx2.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        start = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return elapsed, latencies, states


def measure_end_to_end(total: int, concurrency: int, latency_ms: int) -> dict[str, Any]:
    port, sandbox_port = _free_port(), _free_port()
    with tempfile.TemporaryDirectory() as data:
        env = {
            **os.environ,
            "OPENPSE_DATA_DIR": data,
            "OPENPSE_PORT": str(port),
            "OPENPSE_SANDBOX_PORT": str(sandbox_port),
            "OPENPSE_SANDBOX_LATENCY_MS": str(latency_ms),
            "OPENPSE_LOG_LEVEL": "WARNING",
            # One load generator is one API client: the per-client limit would measure itself.
            "OPENPSE_API_RATE_LIMIT": "0",
            "OPENPSE_WORKERS": os.environ.get("OPENPSE_WORKERS_OVERRIDE", str(concurrency)),
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "openpse", "serve", "--demo"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx2.get(f"{url}/ready", timeout=1).status_code == 200:
                        break
                except httpx2.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("openpse serve --demo no arrancó")
                time.sleep(0.2)
            token = httpx2.post(
                f"{url}/v1/oauth2/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": "demo-pe",
                    "client_secret": "demo-secret",
                },
            ).json()["access_token"]
            asyncio.run(_load(url, token, 50, concurrency))  # warm-up
            elapsed, latencies, states = asyncio.run(_load(url, token, total, concurrency))
        finally:
            server.terminate()
            server.wait(timeout=30)
    latencies.sort()
    accepted = states.get("aceptado", 0)
    return {
        "documents": total,
        "concurrency": concurrency,
        "sandbox_latency_ms": latency_ms,
        "accepted": accepted,
        "states": states,
        "seconds": elapsed,
        "accepted_per_s": accepted / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


def render(results: dict[str, Any]) -> str:
    a, peer = results["build_sign"], results["peer"]
    rows = [
        f"Medido el {results['date']} en {results['machine']} (Python {results['python']}).",
        "",
        "| medida | resultado | referencia | proporción |",
        "|---|---|---|---|",
        f"| (a) construir + firmar una factura de 10 líneas (reglas, totales, UBL, XMLDSig), 1 núcleo | "
        f"{a['build_sign_per_s']:,.0f}/s | "
        f"límite físico: RSA-2048 de `cryptography`, {a['rsa_per_s']:,.0f}/s | "
        f"**{a['build_sign_per_s'] / a['rsa_per_s']:.0%}** del límite (meta ≥ 40 %) |",
        f"| (a) ruta completa del API por documento: + validación JSON + zip, 1 núcleo | "
        f"{a['prepare_per_s']:,.0f}/s | RSA-2048, {a['rsa_per_s']:,.0f}/s | "
        f"{a['prepare_per_s'] / a['rsa_per_s']:.0%} del límite |",
        f"| (a) factura de 100 líneas: validación JSON, reglas, totales, UBL, XMLDSig, zip, 1 núcleo | "
        f"{a['build_sign_100_per_s']:,.0f}/s | RSA-2048, {a['rsa_per_s']:,.0f}/s | "
        f"{a['build_sign_100_per_s'] / a['rsa_per_s']:.0%} del límite |",
        f"| (a) solo el motor de reglas y totales, factura de 100 líneas, 1 núcleo | "
        f"{a['rules_100_per_s']:,.0f}/s ({1e6 / a['rules_100_per_s']:,.0f} µs por factura) | "
        f"firma de la misma factura: {1e6 / a['build_sign_100_per_s']:,.0f} µs | "
        f"{a['build_sign_100_per_s'] / a['rules_100_per_s']:.0%} del costo total |",
        f"| (a) Costa Rica: construir + firmar una factura v4.4 de 10 líneas (reglas, totales, clave, "
        f"XML, XAdES-EPES), 1 núcleo | {a['cr_build_sign_per_s']:,.0f}/s | "
        f"RSA-2048, {a['rsa_per_s']:,.0f}/s | "
        f"**{a['cr_build_sign_per_s'] / a['rsa_per_s']:.0%}** del límite |",
        f"| (a) construir + firmar con sunat-py 0.5.0 (PyPI) | {peer['ops_per_s']:,.1f}/s | "
        "OpenPSE, misma corrida | "
        f"**{a['build_sign_per_s'] / peer['ops_per_s']:,.0f}×** más rápido (meta ≥ 20×) |",
    ]
    rows.extend(render_rows(results["render"]))
    for run in results["end_to_end"]:
        rows.append(
            f"| (b) API `POST` → `aceptado` ({run['documents']} facturas, {run['concurrency']} clientes, "
            f"sandbox con {run['sandbox_latency_ms']} ms) | {run['accepted_per_s']:,.0f}/s "
            f"(p50 {run['p50_ms']:.0f} ms, p99 {run['p99_ms']:.0f} ms) | estados: {run['states']} | — |"
        )
    return "\n".join(rows) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="duración de cada medida de (a)")
    parser.add_argument("--documents", type=int, default=1000, help="facturas de (b)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--no-readme", action="store_true", help="no actualizar bench/README.md")
    args = parser.parse_args()

    cert = generate_test_certificate("20000000001", "EMPRESA DEMO S.A.C.")
    results: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} núcleos",
        "python": platform.python_version(),
    }
    with tempfile.TemporaryDirectory() as tmp:
        pfx = Path(tmp) / "bench.pfx"
        pfx.write_bytes(to_pkcs12(cert, "bench"))
        print("(a) sunat-py …", flush=True)
        results["peer"] = measure_peer(pfx, "bench", args.seconds)
    print("(a) OpenPSE y RSA …", flush=True)
    pid = os.fork()
    if pid == 0:
        # The single-core measurement runs in a child pinned to core 0, so that (b)
        # below keeps both cores.
        pin_to_one_core()
        (HERE / ".out").mkdir(exist_ok=True)
        measured = measure_build_sign(cert, args.seconds) | measure_build_sign_cr(args.seconds)
        (HERE / ".out" / "build_sign.json").write_text(json.dumps(measured))
        os._exit(0)
    os.waitpid(pid, 0)
    results["build_sign"] = json.loads((HERE / ".out" / "build_sign.json").read_text())
    print("(c) representación impresa …", flush=True)
    results["render"] = measure_render_on_one_core(args.seconds, cert)
    results["end_to_end"] = []
    for latency in (0, 20):
        print(f"(b) extremo a extremo, sandbox con {latency} ms …", flush=True)
        results["end_to_end"].append(measure_end_to_end(args.documents, args.concurrency, latency))
    (HERE / ".out" / "results.json").write_text(json.dumps(results, indent=2))
    table = render(results)
    print(table)
    if not args.no_readme:
        readme = HERE / "README.md"
        text = readme.read_text(encoding="utf-8")
        head, _, rest = text.partition(MARK_BEGIN)
        _, _, tail = rest.partition(MARK_END)
        readme.write_text(f"{head}{MARK_BEGIN}\n{table}{MARK_END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    main()
