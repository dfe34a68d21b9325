"""Scale-out benchmarks (issue 6): ``python bench/scale.py [--suite ingest|e2e|volume|all]``.

Every figure comes from real processes on loopback, sharing this machine's cores with
the load generator:

ingest  ``POST /v1/comprobantes`` answered 202 (validated, built, signed, stored, queued;
        no worker running) by one ``openpse serve --solo-api`` process, on SQLite and on
        PostgreSQL (queue on Redis): documents per second, p50 and p99.
e2e     ``POST`` until ``aceptado`` with the sandbox answering after 20 ms: the API
        process, separate ``openpse worker`` processes and ``openpse sandbox``, on
        PostgreSQL + Redis (and SQLite): accepted per second, and the peak RSS of the
        API and of each worker.
volume  ingest and listing (``GET /v1/comprobantes``) with 10k, 100k and 1M documents
        already stored (generated straight into the database), to show whether they
        stay flat.

Results are printed and written between the scale markers of ``bench/README.md``
(``--no-readme`` leaves it alone). PostgreSQL (user postgres, trust) and Redis must be
on 127.0.0.1; a temporary database is created and dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MARK_BEGIN, MARK_END = "<!-- escala:inicio -->", "<!-- escala:fin -->"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REDIS = "redis://127.0.0.1:6379/0"


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the most resident memory the process ever had."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def api_rss_mb(process: subprocess.Popen[bytes]) -> float:
    """Peak RSS of the API process, or of its largest replica under ``serve --procesos``."""
    replicas = children_of(process.pid)
    return max((peak_rss_mb(pid) for pid in replicas), default=peak_rss_mb(process.pid))


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


# -- the deployment under test --------------------------------------------------------------


@contextlib.contextmanager
def postgres() -> Iterator[str]:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"openpse_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def redis_queue() -> Iterator[str]:
    import redis

    client = redis.Redis.from_url(REDIS)
    name = f"openpse-bench-{uuid.uuid4().hex[:8]}"
    try:
        yield name
    finally:
        for key in client.scan_iter(match=f"huey.*.{name}*"):
            client.delete(key)
        client.close()


class Deployment:
    """Sandbox, API and workers as processes, on SQLite or PostgreSQL + Redis."""

    def __init__(self, backend: str, data: Path, latency_ms: int, extra: dict[str, str]) -> None:
        self.backend = backend
        self.data = data
        self.port = free_port()
        self.sandbox_port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "OPENPSE_DATA_DIR": str(data),
            "OPENPSE_PORT": str(self.port),
            "OPENPSE_SANDBOX_URL": f"http://127.0.0.1:{self.sandbox_port}",
            "OPENPSE_SANDBOX_PORT": str(self.sandbox_port),
            "OPENPSE_SANDBOX_LATENCY_MS": str(latency_ms),
            "OPENPSE_LOG_LEVEL": "WARNING",
            "OPENPSE_API_RATE_LIMIT": "0",
            **extra,
        }
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def _start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "openpse", *args],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=(self.data / f"{name}.log").open("ab"),
        )
        self.processes[name] = process
        return process

    def _wait(self, url: str, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args} terminó al arrancar; vea {self.data}/*.log")
            with contextlib.suppress(httpx2.TransportError):
                if httpx2.get(url, timeout=1).status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"{url} no respondió")

    def start(self, workers: int = 0, threads: int = 16, api_processes: int = 1) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        sandbox = self._start("sandbox", "sandbox", "--port", str(self.sandbox_port))
        self._wait(f"http://127.0.0.1:{self.sandbox_port}/health", sandbox)
        api = self._start("api", "serve", "--demo", "--solo-api", "--procesos", str(api_processes))
        self._wait(f"{self.url}/ready", api)
        for i in range(workers):
            self._start(f"worker{i}", "worker", "--hilos", str(threads))

    def token(self) -> str:
        response = httpx2.post(
            f"{self.url}/v1/oauth2/token",
            data={"grant_type": "client_credentials", "client_id": "demo-pe", "client_secret": "demo-secret"},
        )
        return str(response.json()["access_token"])

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


@contextlib.contextmanager
def deployment(backend: str, latency_ms: int = 0) -> Iterator[Deployment]:
    with tempfile.TemporaryDirectory(prefix="openpse-bench-") as tmp:
        data = Path(tmp) / "data"
        if backend == "sqlite":
            deploy = Deployment(backend, data, latency_ms, {})
            try:
                yield deploy
            finally:
                deploy.stop()
            return
        with postgres() as url, redis_queue() as name:
            deploy = Deployment(
                backend,
                data,
                latency_ms,
                {"OPENPSE_DATABASE_URL": url, "OPENPSE_QUEUE_URL": REDIS, "OPENPSE_QUEUE_NAME": name},
            )
            try:
                yield deploy
            finally:
                deploy.stop()


# -- load -----------------------------------------------------------------------------------


_numbers = iter(range(1, 10**9))


async def _post_load(
    url: str, token: str, total: int, concurrency: int, body: dict[str, Any], numbered: bool
) -> tuple[float, list[float], dict[str, int], list[str]]:
    latencies: list[float] = []
    codes: dict[str, int] = {}
    ids: list[str] = []
    remaining = iter(range(total))
    headers = {"Authorization": f"Bearer {token}"}

    async def worker(client: httpx2.AsyncClient) -> None:
        for _ in remaining:
            # numbered: the ERP numbers its documents (the usual case), so OpenPSE signs
            # before taking the series; otherwise OpenPSE takes the next number, and signs
            # while it holds the series (no gaps even if it crashes), one at a time per series.
            payload = body | {"serie": "F002", "numero": next(_numbers)} if numbered else body
            started = time.perf_counter()
            response = await client.post("/v1/comprobantes", json=payload, headers=headers)
            latencies.append(time.perf_counter() - started)
            codes[str(response.status_code)] = codes.get(str(response.status_code), 0) + 1
            if response.status_code in (200, 202):
                ids.append(response.json()["id"])

    limits = httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx2.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        start = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return elapsed, latencies, codes, ids


def post_load(
    url: str, token: str, total: int, concurrency: int, lines: int, numbered: bool = True
) -> dict[str, Any]:
    elapsed, latencies, codes, ids = asyncio.run(
        _post_load(url, token, total, concurrency, factura(lines), numbered)
    )
    return {
        "numbered": numbered,
        "documents": total,
        "concurrency": concurrency,
        "lines": lines,
        "seconds": elapsed,
        "per_s": codes.get("202", 0) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "codes": codes,
        "ids": ids,
    }


async def _get_load(url: str, token: str, paths: list[str], rounds: int) -> list[float]:
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx2.AsyncClient(base_url=url, timeout=60) as client:
        for _ in range(rounds):
            for path in paths:
                started = time.perf_counter()
                response = await client.get(path, headers=headers)
                latencies.append(time.perf_counter() - started)
                response.raise_for_status()
    return latencies


def _cursor_after(url: str, token: str, pages: int) -> str:
    """The cursor of page ``pages + 1``, reached by following ``cursor_siguiente``."""
    cursor = ""
    with httpx2.Client(base_url=url, timeout=60, headers={"Authorization": f"Bearer {token}"}) as client:
        for _ in range(pages):
            params = {"tamano": "50", **({"cursor": cursor} if cursor else {})}
            page = client.get("/v1/comprobantes", params=params).raise_for_status()
            cursor = page.json()["cursor_siguiente"]
    return cursor


# -- suites ---------------------------------------------------------------------------------


def http_ceiling(total: int, concurrency: int, lines: int) -> dict[str, Any]:
    """The same load against ``peers/http_ceiling.py`` (the server stack doing no work)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(HERE / "peers" / "http_ceiling.py"), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx2.TransportError):
                if httpx2.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("el servidor de referencia no arrancó")
            time.sleep(0.2)
        post_load(f"http://127.0.0.1:{port}", "-", 300, concurrency, lines)  # warm-up
        run = post_load(f"http://127.0.0.1:{port}", "-", total, concurrency, lines)
        run.pop("ids")
        run["load"] = os.getloadavg()[0]
        return run
    finally:
        process.terminate()
        process.wait(timeout=10)


def suite_ingest(
    backends: list[str], total: int, concurrency: int, lines: int, api_processes: list[int]
) -> list[dict[str, Any]]:
    print("techo HTTP (uvicorn + FastAPI sin trabajo) …", flush=True)
    ceiling = http_ceiling(total, concurrency, lines)
    print(f"  {ceiling['per_s']:.0f}/s p99 {ceiling['p99_ms']:.0f} ms", flush=True)
    results = [{**ceiling, "backend": "techo", "api_processes": 1}]
    for backend in backends:
        for processes in api_processes:
            print(f"ingesta, {backend}, {processes} proceso(s) del API …", flush=True)
            with deployment(backend) as deploy:
                deploy.start(workers=0, api_processes=processes)
                token = deploy.token()
                post_load(deploy.url, token, 300, concurrency, lines)  # warm-up
                for numbered in (True, False):
                    run = post_load(deploy.url, token, total, concurrency, lines, numbered)
                    run.pop("ids")
                    run["backend"] = backend
                    run["api_processes"] = processes
                    run["api_rss_mb"] = api_rss_mb(deploy.processes["api"])
                    run["load"] = os.getloadavg()[0]
                    results.append(run)
                    print(
                        f"  {'ERP' if numbered else 'automática'}: {run['per_s']:.0f}/s "
                        f"p50 {run['p50_ms']:.0f} ms p99 {run['p99_ms']:.0f} ms",
                        flush=True,
                    )
    return results


def _count_states(db: Any) -> dict[str, int]:
    from sqlalchemy import func, select

    from openpse.storage.tables import Comprobante

    with db.read() as session:
        rows = session.execute(select(Comprobante.estado, func.count()).group_by(Comprobante.estado)).all()
    return {estado: int(count) for estado, count in rows}


def suite_e2e(
    backends: list[str], total: int, concurrency: int, lines: int, workers: int, threads: int, latency: int
) -> list[dict[str, Any]]:
    from openpse.storage.db import Database

    results = []
    for backend in backends:
        print(f"extremo a extremo, {backend}, {workers} trabajadores × {threads} hilos …", flush=True)
        with deployment(backend, latency_ms=latency) as deploy:
            deploy.start(workers=workers, threads=threads)
            db = Database(deploy.env.get("OPENPSE_DATABASE_URL") or f"sqlite:///{deploy.data / 'openpse.db'}")
            token = deploy.token()
            warm = post_load(deploy.url, token, 200, concurrency, lines)
            while _count_states(db).get("aceptado", 0) < len(warm["ids"]):
                time.sleep(0.2)
            start = time.perf_counter()
            run = post_load(deploy.url, token, total, concurrency, lines)
            target = len(warm["ids"]) + total
            deadline = time.monotonic() + 600
            while True:
                states = _count_states(db)
                if states.get("aceptado", 0) >= target or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            elapsed = time.perf_counter() - start
            db.dispose()
            result = {
                "backend": backend,
                "documents": total,
                "concurrency": concurrency,
                "workers": workers,
                "threads": threads,
                "sandbox_latency_ms": latency,
                "states": states,
                "seconds": elapsed,
                "accepted_per_s": (states.get("aceptado", 0) - len(warm["ids"])) / elapsed,
                "ingest_per_s": run["per_s"],
                "ingest_p99_ms": run["p99_ms"],
                "api_rss_mb": api_rss_mb(deploy.processes["api"]),
                "worker_rss_mb": [peak_rss_mb(deploy.processes[f"worker{i}"].pid) for i in range(workers)],
                "sandbox_rss_mb": peak_rss_mb(deploy.processes["sandbox"].pid),
            }
            results.append(result)
            print(
                f"  {result['accepted_per_s']:.0f}/s aceptados; RSS API {result['api_rss_mb']:.0f} MB, "
                f"trabajadores {[round(x) for x in result['worker_rss_mb']]} MB",
                flush=True,
            )
    return results


def suite_drain(
    backends: list[str], total: int, concurrency: int, lines: int, workers: int, threads: int, latency: int
) -> list[dict[str, Any]]:
    """Workers alone: a backlog of ``total`` queued documents, then the workers start;
    accepted per second until the last one, and CPU per document of each process."""
    from openpse.storage.db import Database

    results = []
    for backend in backends:
        print(f"vaciado de cola, {backend}, {workers} trabajadores × {threads} hilos …", flush=True)
        with deployment(backend, latency_ms=latency) as deploy:
            deploy.start(workers=0)
            db = Database(deploy.env.get("OPENPSE_DATABASE_URL") or f"sqlite:///{deploy.data / 'openpse.db'}")
            post_load(deploy.url, deploy.token(), total, concurrency, lines)
            sandbox = deploy.processes["sandbox"].pid
            sandbox_cpu = cpu_seconds(sandbox)
            start = time.perf_counter()
            for i in range(workers):
                deploy._start(f"worker{i}", "worker", "--hilos", str(threads))
            deadline = time.monotonic() + 600
            while _count_states(db).get("aceptado", 0) < total and time.monotonic() < deadline:
                time.sleep(0.05)
            elapsed = time.perf_counter() - start
            states = _count_states(db)
            db.dispose()
            pids = [deploy.processes[f"worker{i}"].pid for i in range(workers)]
            results.append(
                {
                    "backend": backend,
                    "documents": total,
                    "workers": workers,
                    "threads": threads,
                    "sandbox_latency_ms": latency,
                    "accepted_per_s": states.get("aceptado", 0) / elapsed,
                    "states": states,
                    "worker_cpu_ms": sum(cpu_seconds(pid) for pid in pids) / total * 1000,
                    "sandbox_cpu_ms": (cpu_seconds(sandbox) - sandbox_cpu) / total * 1000,
                    "worker_rss_mb": [peak_rss_mb(pid) for pid in pids],
                    "load": os.getloadavg()[0],
                }
            )
            print(f"  {results[-1]}", flush=True)
    return results


def generate(db_url: str, empresa_ruc: str, count: int, start: int) -> None:
    """Store ``count`` accepted facturas (numbers ``start``…) straight into the database,
    copying one real signed document's row (its blobs are shared)."""
    from sqlalchemy import insert, select

    from openpse.storage.db import Database
    from openpse.storage.tables import Comprobante, Empresa

    db = Database(db_url)
    with db.read() as session:
        empresa = session.scalars(select(Empresa).where(Empresa.identificacion == empresa_ruc)).one()
        template = session.scalars(select(Comprobante).limit(1)).one()
    base = {c.key: getattr(template, c.key) for c in Comprobante.__table__.columns}
    created = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    batch: list[dict[str, Any]] = []
    for n in range(start, start + count):
        batch.append(
            base
            | {
                "id": f"{empresa.identificacion}-01-F900-{n}",
                "serie": "F900",
                "numero": n,
                "estado": "aceptado",
                "idempotency_key": None,
                "content_hash": f"{n:064d}",
                "creado": created + dt.timedelta(seconds=n % 86400 * 30),
                "actualizado": created,
                "lease_hasta": None,
                "lease_token": None,
                "proximo_intento": None,
            }
        )
        if len(batch) == 20000:
            with db.session() as session:
                session.execute(insert(Comprobante), batch)
            batch = []
    if batch:
        with db.session() as session:
            session.execute(insert(Comprobante), batch)
    db.dispose()


def suite_volume(
    backends: list[str], sizes: list[int], total: int, concurrency: int, lines: int
) -> list[dict[str, Any]]:
    results = []
    for backend in backends:
        with deployment(backend) as deploy:
            deploy.start(workers=0)
            token = deploy.token()
            db_url = deploy.env.get("OPENPSE_DATABASE_URL") or f"sqlite:///{deploy.data / 'openpse.db'}"
            post_load(deploy.url, token, 200, concurrency, lines)  # warm-up, and the template row
            stored = 200
            for size in sizes:
                print(f"volumen, {backend}, {size:,} documentos …", flush=True)
                started = time.perf_counter()
                generate(db_url, "20000000001", size - stored, stored + 1_000_000)
                generated_s = time.perf_counter() - started
                stored = size
                if backend == "postgresql":
                    from sqlalchemy import text

                    from openpse.storage.db import Database

                    db = Database(db_url)
                    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                        connection.execute(text("ANALYZE"))
                    db.dispose()
                ingest = post_load(deploy.url, token, total, concurrency, lines)
                stored += len(ingest.pop("ids"))
                deep = _cursor_after(deploy.url, token, 19)
                listing = asyncio.run(
                    _get_load(
                        deploy.url,
                        token,
                        [
                            "/v1/comprobantes?tamano=50",
                            "/v1/comprobantes?tamano=50&estado=registrado",
                            "/v1/comprobantes?tamano=50&pagina=20",
                            f"/v1/comprobantes?tamano=50&cursor={deep}",
                        ],
                        20,
                    )
                )
                lookup = asyncio.run(
                    _get_load(deploy.url, token, ["/v1/comprobantes/20000000001-01-F900-1000300"], 50)
                )
                results.append(
                    {
                        "backend": backend,
                        "stored": size,
                        "generated_s": generated_s,
                        "ingest_per_s": ingest["per_s"],
                        "ingest_p50_ms": ingest["p50_ms"],
                        "ingest_p99_ms": ingest["p99_ms"],
                        "list_p50_ms": statistics.median(listing) * 1000,
                        "list_p99_ms": percentile(listing, 0.99) * 1000,
                        "get_p50_ms": statistics.median(lookup) * 1000,
                    }
                )
                print(f"  {results[-1]}", flush=True)
    return results


# -- report ---------------------------------------------------------------------------------


SUITES = ("ingest", "e2e", "drain", "volume")


def render(results: dict[str, Any]) -> str:
    rows = [f"Medido el {results['date']} en {results['machine']} (Python {results['python']}).", ""]
    if results.get("ingest"):
        rows += [
            "**Ingesta** — `POST /v1/comprobantes` → 202 (validar, construir, firmar, guardar, encolar), "
            "un proceso `openpse serve --solo-api`, sin trabajadores; meta 500/s con p99 < 100 ms:",
            "",
            "| base | procesos API | numeración | documentos | clientes | por segundo | p50 | p99 | "
            "RSS pico API | carga de la máquina |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        ceiling = next((r["per_s"] for r in results["ingest"] if r["backend"] == "techo"), None)
        for r in results["ingest"]:
            if r["backend"] == "techo":
                rows.append(
                    f"| techo HTTP: uvicorn + FastAPI sin trabajo (`bench/peers/http_ceiling.py`) | 1 | — | "
                    f"{r['documents']:,} | {r['concurrency']} | **{r['per_s']:,.0f}/s** | "
                    f"{r['p50_ms']:.0f} ms | {r['p99_ms']:.0f} ms | — | {r['load']:.1f} |"
                )
                continue
            numbering = "del ERP" if r["numbered"] else "automática"
            share = f" ({r['per_s'] / ceiling:.0%} del techo)" if ceiling else ""
            rows.append(
                f"| {r['backend']} | {r['api_processes']} | {numbering} | {r['documents']:,} | "
                f"{r['concurrency']} | **{r['per_s']:,.0f}/s**{share} | {r['p50_ms']:.0f} ms | "
                f"{r['p99_ms']:.0f} ms | {r['api_rss_mb']:.0f} MB | {r['load']:.1f} |"
            )
        rows.append("")
    if results.get("e2e"):
        rows += [
            "**Extremo a extremo** — `POST` → `aceptado`, sandbox con latencia, API y trabajadores en "
            "procesos separados; meta 200/s, RSS < 300 MB por proceso:",
            "",
            "| base | documentos | trabajadores × hilos | latencia sandbox | aceptados/s | ingesta/s (p99) | "
            "RSS pico API | RSS pico trabajadores | estados |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in results["e2e"]:
            rows.append(
                f"| {r['backend']} | {r['documents']:,} | {r['workers']} × {r['threads']} | "
                f"{r['sandbox_latency_ms']} ms | **{r['accepted_per_s']:,.0f}/s** | "
                f"{r['ingest_per_s']:,.0f}/s ({r['ingest_p99_ms']:.0f} ms) | {r['api_rss_mb']:.0f} MB | "
                f"{', '.join(f'{x:.0f}' for x in r['worker_rss_mb'])} MB | {r['states']} |"
            )
        rows.append("")
    if results.get("drain"):
        rows += [
            "**Vaciado de cola** — solo los trabajadores: N documentos ya en cola, luego arrancan los "
            "procesos `openpse worker`; CPU por documento medida en /proc (incluye el arranque del proceso):",
            "",
            "| base | documentos | trabajadores × hilos | latencia sandbox | aceptados/s | "
            "CPU trabajadores / doc | CPU sandbox / doc | RSS pico trabajadores | carga |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in results["drain"]:
            rss = ", ".join(f"{x:.0f}" for x in r["worker_rss_mb"])
            rows.append(
                f"| {r['backend']} | {r['documents']:,} | {r['workers']} × {r['threads']} | "
                f"{r['sandbox_latency_ms']} ms | **{r['accepted_per_s']:,.0f}/s** | "
                f"{r['worker_cpu_ms']:.1f} ms | {r['sandbox_cpu_ms']:.1f} ms | {rss} MB | {r['load']:.1f} |"
            )
        rows.append("")
    if results.get("volume"):
        rows += [
            "**Volumen** — con N documentos ya guardados (generados en la base): ingesta y listado "
            "(`GET /v1/comprobantes`, páginas 1 y 20 por número y 20 por cursor, con y sin filtro de estado) "
            "y lectura de uno:",
            "",
            "| base | guardados | ingesta/s | ingesta p50 / p99 | listado p50 / p99 | lectura p50 |",
            "|---|---|---|---|---|---|",
        ]
        for r in results["volume"]:
            rows.append(
                f"| {r['backend']} | {r['stored']:,} | {r['ingest_per_s']:,.0f}/s | "
                f"{r['ingest_p50_ms']:.0f} / {r['ingest_p99_ms']:.0f} ms | "
                f"{r['list_p50_ms']:.0f} / {r['list_p99_ms']:.0f} ms | {r['get_p50_ms']:.1f} ms |"
            )
    return "\n".join(rows) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--suite", choices=["ingest", "e2e", "drain", "volume", "all"], default="all")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--documents", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--lines", type=int, default=10, help="líneas por factura")
    parser.add_argument("--api-processes", default="1,2", help="procesos del API en ingest (lista)")
    parser.add_argument("--workers", type=int, default=2, help="procesos `openpse worker` en e2e")
    parser.add_argument("--threads", type=int, default=16, help="hilos por trabajador en e2e")
    parser.add_argument("--latency", type=int, default=20, help="latencia del sandbox en e2e, ms")
    parser.add_argument("--sizes", default="10000,100000,1000000", help="documentos guardados en volume")
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} núcleos",
        "python": platform.python_version(),
    }
    if args.suite in ("ingest", "all"):
        processes = [int(p) for p in args.api_processes.split(",")]
        results["ingest"] = suite_ingest(backends, args.documents, args.concurrency, args.lines, processes)
    if args.suite in ("e2e", "all"):
        results["e2e"] = suite_e2e(
            backends, args.documents, args.concurrency, args.lines, args.workers, args.threads, args.latency
        )
    if args.suite in ("drain", "all"):
        results["drain"] = suite_drain(
            backends, args.documents, args.concurrency, args.lines, args.workers, args.threads, args.latency
        )
    if args.suite in ("volume", "all"):
        sizes = [int(s) for s in args.sizes.split(",")]
        results["volume"] = suite_volume(
            backends, sizes, min(args.documents, 1000), args.concurrency, args.lines
        )
    # Kept in the repository: a suite not run now keeps its last figures on a fresh checkout too.
    out = HERE / "resultados"
    out.mkdir(exist_ok=True)
    for suite in SUITES:
        if suite in results:
            (out / f"scale-{suite}.json").write_text(json.dumps(results[suite], indent=2))
        elif (out / f"scale-{suite}.json").exists():
            # A suite not run now keeps its last measured figures in the README's table.
            results[suite] = json.loads((out / f"scale-{suite}.json").read_text())
    table = render(results)
    print(table)
    if not args.no_readme:
        readme = HERE / "README.md"
        text = readme.read_text(encoding="utf-8")
        if MARK_BEGIN not in text:
            text += f"\n{MARK_BEGIN}\n{MARK_END}\n"
        head, _, rest = text.partition(MARK_BEGIN)
        _, _, tail = rest.partition(MARK_END)
        readme.write_text(f"{head}{MARK_BEGIN}\n{table}{MARK_END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    main()
