"""The explorer's API, fuzzed from its own OpenAPI schema by schemathesis.

A real server (uvicorn on a free port of 127.0.0.1) is sent requests generated from
``/api/openapi.json``, valid and invalid ones, with a bounded number of examples per
operation and a fixed seed (hypothesis' ``derandomize``), so the run is the same in CI
every time. Whatever is sent, the server never answers 500, and every answer is one the
schema declares: its status, its media type and its body's shape.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
import yaml
from helpers import ONE_OFFICE, LiveServer
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from sim.explore.server import create_app
from sim.model.load import scenario_from_dict

EXAMPLES = 40
"""Examples per operation and mode: 360 requests in about 15 s (each valid setting starts a
run of a small office, until every tab's place is taken)."""

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def api_schema() -> Iterator[schemathesis.BaseSchema]:
    data = yaml.safe_load(ONE_OFFICE.read_text())
    data["horizon_days"], data["warmup_days"] = 0.5, 0
    with LiveServer(create_app(scenario_from_dict(data), workers=1)) as server:
        yield schemathesis.openapi.from_url(f"{server.url}/api/openapi.json")


OPERATIONS = [
    ("GET", "/api/scenario"),
    ("POST", "/api/run"),
    ("GET", "/api/state"),
    ("GET", "/api/figures"),
    ("GET", "/api/scenario.yaml"),
]


def test_every_operation_of_the_schema_is_fuzzed(api_schema: schemathesis.BaseSchema) -> None:
    found = [result.ok() for result in api_schema.get_all_operations()]
    assert sorted((o.method.upper(), o.path) for o in found) == sorted(OPERATIONS)


POSITIVE, NEGATIVE = schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE
CASES = [
    pytest.param(method, path, mode, id=f"{method} {path} {mode.value}")
    for method, path in OPERATIONS
    for mode in (POSITIVE, NEGATIVE)
    if mode is POSITIVE or path != "/api/scenario"  # it takes nothing that could be wrong
]


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_no_request_gets_a_500_or_an_answer_outside_the_schema(
    api_schema: schemathesis.BaseSchema, method: str, path: str, mode: schemathesis.GenerationMode
) -> None:
    """Valid requests (positive) and requests that break the schema (negative)."""
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: schemathesis.Case) -> None:
        case.call_and_validate(checks=CHECKS)

    fuzz()
