"""Fixtures of the observability tests: logs captured as the service writes them."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from openpse import observability


class CapturedLogs:
    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines() if line.strip()]


@pytest.fixture
def json_logs() -> Iterator[CapturedLogs]:
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    observability.configure_logging("INFO", "json", stream)
    yield CapturedLogs(stream)
    observability.unconfigure_logging()
    root.setLevel(level)
