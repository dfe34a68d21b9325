"""``openpse worker``: queue consumer processes, apart from the API (ARCHITECTURE.md §5).

One process runs ``threads`` consumer threads (sending is waiting on the network, so
threads scale it well under one GIL), Huey's scheduler for delayed jobs, and the
periodic jobs. ``processes`` > 1 runs a small supervisor that starts that many such
processes (each with its own database pool and HTTP client), restarts one that dies,
and passes SIGTERM and SIGINT on; every child also gets SIGTERM if the supervisor is
killed, so no orphan keeps consuming.

SIGTERM stops gracefully: sends in progress finish and are recorded. ``kill -9`` loses
nothing either: the job that was running is gone from the queue, but its document is
``enviando`` under a lease, and once the lease ends the sweeper queues it again, to be
reconciled with the authority before anything is sent again.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from types import FrameType

from openpse.jobs.queue import JobQueue
from openpse.runtime import Runtime
from openpse.settings import Settings

log = logging.getLogger("openpse.jobs")

RESTART_DELAY = 1.0


def run_consumer(settings: Settings, threads: int) -> None:
    """Consume in this process until SIGTERM or SIGINT."""
    runtime = Runtime.create(settings)
    try:
        runtime.db.migrate()
        queue = JobQueue(runtime)
        consumer = queue.make_consumer(threads, embedded=False)
        # After a crash of everything, whatever was moving moves again now, not at the
        # first sweep; one process of those starting together does it.
        if queue.run_due():
            log.info("trabajador: barrido inicial hecho")
        queue.start_periodic()
        log.info(
            "trabajador %d: %d hilos, cola %s, base %s",
            os.getpid(),
            threads,
            type(queue.huey).__name__,
            runtime.db.display_url,
        )
        try:
            consumer.run()
        finally:
            queue.stop_periodic()
    finally:
        runtime.close()


def _die_with_parent() -> None:
    # Linux: the child gets SIGTERM when the supervisor dies, even by kill -9.
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def supervise(arguments: list[str], processes: int) -> int:
    """Run ``processes`` copies of ``openpse <arguments>``; restart the ones that die; pass
    SIGTERM and SIGINT on; return an exit code. Used by ``worker`` and ``serve --procesos``."""
    command = [sys.executable, "-m", "openpse", *arguments]
    stopping: list[int] = []

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(  # noqa: S603 (our own interpreter and module, fixed arguments)
            command, preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None
        )

    def forward(signum: int, _frame: FrameType | None) -> None:
        stopping.append(signum)
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    children = [start() for _ in range(processes)]
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    log.info("supervisor %d: %d procesos `openpse %s`", os.getpid(), processes, arguments[0])
    while True:
        if stopping:
            for child in children:
                child.wait()
            return 0
        for index, child in enumerate(children):
            code = child.poll()
            if code is not None and not stopping:
                log.warning("el proceso %d terminó (código %s); se reinicia", child.pid, code)
                time.sleep(RESTART_DELAY)
                children[index] = start()
        time.sleep(0.2)
