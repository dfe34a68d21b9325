"""The queue on Redis and SQLite, the outbox guarantee, global rate limits, turns and ordering."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx2
import pytest
from huey import RedisHuey, SqliteHuey
from scale_support import REDIS_URL, ROOT, TcpProxy
from sqlalchemy import select, update

from openpse.documents import service
from openpse.documents.states import FINAL, Estado
from openpse.jobs.limits import RateLimited, RateLimiter, RateRule, parse_rate_limits, take_turn
from openpse.jobs.queue import JobQueue, make_huey
from openpse.settings import Settings
from openpse.storage.db import Database
from openpse.storage.tables import Comprobante, Empresa, Evento
from tests_support import boleta, factura, make_runtime


def _empresa(runtime) -> Empresa:
    with runtime.db.read() as session:
        return session.scalars(select(Empresa)).one()


def _final(runtime, empresa_id: int, doc_id: str, timeout: float = 60) -> Comprobante:
    deadline = time.monotonic() + timeout
    while True:
        row = service.get_for(runtime, empresa_id, doc_id)
        if Estado(row.estado) in FINAL or time.monotonic() > deadline:
            return row
        time.sleep(0.1)


def test_queue_url_chooses_the_engine(tmp_path):
    assert isinstance(make_huey(Settings(data_dir=tmp_path)), SqliteHuey)
    assert isinstance(
        make_huey(Settings(data_dir=tmp_path, queue_url=f"sqlite:///{tmp_path}/q.db")), SqliteHuey
    )
    assert (tmp_path / "q.db").exists()
    redis = make_huey(Settings(data_dir=tmp_path, queue_url=REDIS_URL, queue_name="x"))
    assert isinstance(redis, RedisHuey)
    assert redis.storage.queue_key == "huey.redis.x"
    with pytest.raises(ValueError, match="no soportada"):
        make_huey(Settings(data_dir=tmp_path, queue_url="amqp://127.0.0.1"))


def test_documents_go_through_huey_on_redis_and_postgresql(
    tmp_path, sandbox_url, test_certificate, pg_url, queue_name
):
    runtime = make_runtime(
        tmp_path / "data",
        sandbox_url,
        test_certificate,
        database_url=pg_url,
        queue_url=REDIS_URL,
        queue_name=queue_name,
    )
    queue = JobQueue(runtime)
    queue.start_consumer(4)
    try:
        empresa = _empresa(runtime)
        ids = [service.register(runtime, empresa, payload=factura(numero=n)).row.id for n in range(1, 11)]
        rows = [_final(runtime, empresa.id, doc_id) for doc_id in ids]
        assert [row.estado for row in rows] == ["aceptado"] * 10
        assert queue.enqueue_failures == 0
    finally:
        queue.stop_consumer()
        runtime.close()


def test_a_document_whose_wake_up_never_reached_redis_is_sent_by_the_sweeper(
    tmp_path, sandbox_url, test_certificate, queue_name
):
    # Redis is down at the moment of the commit: the request still succeeds (the row is
    # the truth), and once Redis is back the sweeper queues what it missed.
    with TcpProxy(6379) as proxy:
        runtime = make_runtime(
            tmp_path / "data",
            sandbox_url,
            test_certificate,
            queue_url=f"redis://127.0.0.1:{proxy.port}/0",
            queue_name=queue_name,
            queue_socket_timeout=2,
            sweep_older_than_s=0,
        )
        queue = JobQueue(runtime)
        try:
            empresa = _empresa(runtime)
            proxy.cut()
            started = time.monotonic()
            row = service.register(runtime, empresa, payload=factura(numero=1)).row
            assert time.monotonic() - started < 5, "a dead Redis must not hang the request"
            assert row.estado == "registrado"
            assert queue.enqueue_failures == 1
            # The sweeper finds it, and cannot queue it either; nothing raises.
            assert "barrido" in queue.run_due()
            assert queue.enqueue_failures == 2
            proxy.restore()
            queue.start_consumer(2)
            assert queue.sweep() == 1
            assert _final(runtime, empresa.id, row.id).estado == "aceptado"
        finally:
            queue.stop_consumer()
            runtime.close()


def test_a_document_whose_process_died_before_the_enqueue_is_found_by_the_sweeper(
    tmp_path, sandbox_url, test_certificate
):
    runtime = make_runtime(tmp_path / "data", sandbox_url, test_certificate, sweep_older_than_s=0)
    empresa = _empresa(runtime)
    # No queue at registration: exactly what a crash between the commit and the enqueue
    # leaves behind.
    row = service.register(runtime, empresa, payload=factura(numero=1)).row
    queue = JobQueue(runtime)
    assert queue.pending() == 0
    queue.start_consumer(2)
    try:
        assert "barrido" in queue.run_due()
        assert _final(runtime, empresa.id, row.id).estado == "aceptado"
    finally:
        queue.stop_consumer()
        runtime.close()


def test_one_turn_per_interval_across_processes(tmp_path, database_url):
    db = Database(database_url)
    db.migrate()
    others = [Database(database_url) for _ in range(4)]
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            wins = list(pool.map(lambda i: take_turn(others[i % 4], "barrido", 1.0), range(16)))
        assert wins.count(True) == 1
        assert not take_turn(db, "barrido", 1.0)
        time.sleep(1.05)
        assert take_turn(db, "barrido", 1.0)
        assert take_turn(db, "otro", 1.0), "each periodic job has its own turn"
    finally:
        for database in (db, *others):
            database.dispose()


def test_rate_limit_rules_are_parsed_and_bad_ones_named():
    rules = parse_rate_limits(
        "api.comprobanteselectronicos.go.cr=20/min:5, 127.0.0.1:8001/ol-ti-itcpfegem-beta=2/s,x=3600/h"
    )
    assert rules[0] == RateRule("api.comprobanteselectronicos.go.cr", 20, 60.0, 5)
    assert rules[0].interval == 3.0
    assert rules[0].tolerance == 12.0
    assert rules[1].matches("127.0.0.1:8001", "/ol-ti-itcpfegem-beta/billService")
    assert not rules[1].matches("127.0.0.1:8001", "/ol-it-wsconscpegem-beta/billConsultService")
    assert not rules[1].matches("127.0.0.1:9999", "/ol-ti-itcpfegem-beta/billService")
    assert rules[2].interval == 1.0
    assert parse_rate_limits("") == ()
    for bad in ("host=10", "host=10/semana", "=1/s", "host=0/s"):
        with pytest.raises(ValueError, match="límite de tasa inválido"):
            parse_rate_limits(bad)


_CHILD = """
import json, sys, time
from openpse.jobs.limits import RateLimiter, RateRule
from openpse.storage.db import Database
db = Database(sys.argv[1])
limiter = RateLimiter(db, (RateRule("sunat", 10, 1.0, 1),), max_wait=60)
stamps = []
for _ in range(int(sys.argv[2])):
    wait = limiter.reserve(limiter.rules[0])
    time.sleep(wait)
    stamps.append(time.time())
print(json.dumps(stamps))
"""


def test_rate_limit_holds_across_processes(tmp_path, database_url):
    # Two threads here and another process share 10 calls/s: 30 calls take about 3 s, and
    # no second holds more than 10 + 1 of them.
    db = Database(database_url)
    db.migrate()
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, database_url, "10"], stdout=subprocess.PIPE, cwd=ROOT, text=True
    )
    limiter = RateLimiter(db, (RateRule("sunat", 10, 1.0, 1),), max_wait=60)
    stamps: list[float] = []
    lock = threading.Lock()

    def call(_i: int) -> None:
        wait = limiter.reserve(limiter.rules[0])
        assert wait is not None
        time.sleep(wait)
        with lock:
            stamps.append(time.time())

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(call, range(20)))
    out, _ = child.communicate(timeout=60)
    stamps += json.loads(out.strip().splitlines()[-1])
    db.dispose()
    stamps.sort()
    assert len(stamps) == 30
    assert stamps[-1] - stamps[0] >= 2.8
    for i, start in enumerate(stamps):
        assert sum(1 for t in stamps[i:] if t < start + 1.0) <= 11


def test_rate_limit_is_a_hook_on_every_remote_call(tmp_path, sandbox_url, test_certificate):
    port = httpx2.URL(sandbox_url).port
    runtime = make_runtime(
        tmp_path / "data",
        sandbox_url,
        test_certificate,
        rate_limits=f"127.0.0.1:{port}/health=5/s",
        rate_limit_max_wait_s=5,
    )
    try:
        started = time.monotonic()
        for _ in range(6):
            assert runtime.http.get(f"{sandbox_url}/health").status_code == 200
        assert time.monotonic() - started >= 0.95
        # A path no rule names is not limited.
        started = time.monotonic()
        for _ in range(6):
            runtime.http.get(f"{sandbox_url}/nada")
        assert time.monotonic() - started < 0.5
    finally:
        runtime.close()


def test_a_call_that_would_wait_too_long_is_not_made(tmp_path, sandbox_url, test_certificate):
    port = httpx2.URL(sandbox_url).port
    runtime = make_runtime(
        tmp_path / "data",
        sandbox_url,
        test_certificate,
        rate_limits=f"127.0.0.1:{port}=1/min",
        rate_limit_max_wait_s=1,
    )
    try:
        assert runtime.http.get(f"{sandbox_url}/health").status_code == 200
        started = time.monotonic()
        with pytest.raises(RateLimited):
            runtime.http.get(f"{sandbox_url}/health")
        assert time.monotonic() - started < 0.5
        assert isinstance(RateLimited("x"), httpx2.ConnectError), "callers treat it as 'never sent'"
    finally:
        runtime.close()


def _events(runtime, doc_id: str) -> list[tuple[str, float]]:
    with runtime.db.read() as session:
        return [
            (e.estado, e.creado.timestamp())
            for e in session.scalars(
                select(Evento).where(Evento.comprobante_id == doc_id).order_by(Evento.id)
            )
        ]


@pytest.mark.parametrize("ordered", [True, False])
def test_an_issuers_daily_summaries_go_one_after_the_other(tmp_path, sandbox_url, test_certificate, ordered):
    # Two boletas annulled one after the other: each goes in its own Resumen diario (RC).
    # SUNAT answers the first by ticket a poll later; the second must not be sent before.
    runtime = make_runtime(
        tmp_path / "data", sandbox_url, test_certificate, ordered_types="RC" if ordered else ""
    )
    queue = JobQueue(runtime)
    queue.start_consumer(4)
    try:
        empresa = _empresa(runtime)
        docs = [service.register(runtime, empresa, payload=boleta(numero=n)).row.id for n in (1, 2)]
        assert [_final(runtime, empresa.id, d).estado for d in docs] == ["aceptado", "aceptado"]
        summaries = [
            service.request_void(runtime, empresa, d, "Anulación de la operación").summary for d in docs
        ]
        assert all(s is not None and s.tipo == "RC" for s in summaries)
        first, second = (s.id for s in summaries if s is not None)
        assert _final(runtime, empresa.id, first).estado == "aceptado"
        assert _final(runtime, empresa.id, second).estado == "aceptado"
        first_done = next(t for estado, t in _events(runtime, first) if estado == "aceptado")
        second_sent = next(t for estado, t in _events(runtime, second) if estado == "enviando")
        assert (second_sent >= first_done) is ordered
        assert [_final(runtime, empresa.id, d).estado for d in docs] == ["anulado", "anulado"]
    finally:
        queue.stop_consumer()
        runtime.close()


def test_a_summary_waits_for_the_documents_it_carries(tmp_path, sandbox_url, test_certificate):
    runtime = make_runtime(tmp_path / "data", sandbox_url, test_certificate)
    try:
        empresa = _empresa(runtime)
        doc = service.register(runtime, empresa, payload=boleta(numero=1)).row.id
        assert service.advance(runtime, doc) is Estado.ACEPTADO
        summary = service.request_void(runtime, empresa, doc, "Anulación de la operación").summary
        assert summary is not None
        # The boleta the summary carries is (say) being sent again: the summary holds back.
        with runtime.db.session() as session:
            session.execute(update(Comprobante).where(Comprobante.id == doc).values(estado="enviando"))
        assert service.advance(runtime, summary.id) is None
        assert service.get_for(runtime, empresa.id, summary.id).estado == "registrado"
        with runtime.db.session() as session:
            session.execute(
                update(Comprobante).where(Comprobante.id == doc).values(estado="anulacion_pendiente")
            )
        assert service.advance(runtime, summary.id) in (Estado.PENDIENTE, Estado.ACEPTADO)
    finally:
        runtime.close()
