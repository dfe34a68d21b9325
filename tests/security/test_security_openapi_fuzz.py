"""schemathesis against ``/openapi.json``: no 5xx, and every answer as the document says
(status declared, content type, body schema, headers), for every operation.

Bounded examples per operation keep the run well under a minute. The API runs in
process without queue consumers; documents it registers stay `registrado`.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from openpse.api.app import create_app
from openpse.jobs.queue import JobQueue
from tests_support import make_runtime, token_for

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = 40


def _fuzz(operation, headers, failures: list[str], statuses: list[int]):
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def run(case):
        try:
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            statuses.append(response.status_code)
        except Exception as exc:  # collect them all, report at the end
            failures.append(f"{operation.label}: {str(exc)[:600]}")

    return run


def test_the_api_keeps_its_openapi_contract_under_fuzzing(tmp_path, sandbox_url, test_certificate):
    runtime = make_runtime(tmp_path / "data", sandbox_url, test_certificate, api_rate_limit=0)
    JobQueue(runtime)
    app = create_app(runtime)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    from starlette.testclient import TestClient

    with TestClient(app) as client:
        company = token_for(client)
    failures: list[str] = []
    statuses: list[int] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        _fuzz(operation, company, failures, statuses)()
    runtime.close()
    assert failures == []
    # The run did exercise the API: many calls, successes and refusals both.
    assert len(statuses) > 5 * len(operations)
    assert {200, 401, 404, 422} <= set(statuses), sorted(set(statuses))
