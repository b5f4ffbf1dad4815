"""The API against its own OpenAPI schema: Schemathesis with every check, against a live
server process (the real event loop and worker pool), seeded and derandomized so CI sees
the same cases each run.

Program text is a language no JSON schema describes, so a body the schema admits may
still hold a program with a mistake: the server answers it 422 with an engine error type
(parse, name, shape, value, limit). `positive_data_acceptance` therefore admits 422, and
`valid_bodies_pass_the_schema` makes sure such a 422 is the engine's verdict, never a
refusal by the request schema (which would mean the schema promised too much)."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from tests.server.live import live_server

EXAMPLES_PER_OPERATION = 70  # 18 operations: about 1,150 cases
ENGINE_KINDS = {"parse", "name", "shape", "value", "limit"}

CONFIG = SchemathesisConfig.from_dict({
    "seed": 9,
    "generation": {"mode": "all"},
    "phases": {"coverage": {"enabled": False}},
    "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "422"]}},
})


@pytest.fixture(scope="module")
def api_schema():
    with live_server() as (_, url):
        yield schemathesis.openapi.from_url(url + "/openapi.json", config=CONFIG)


schema = schemathesis.pytest.from_fixture("api_schema")


@schemathesis.check
def valid_bodies_pass_the_schema(ctx, response, case):
    """A 422 to a body the schema admits must come from the engine, not from validation."""
    meta = case.meta
    if response.status_code != 422 or meta is None or not meta.generation.mode.is_positive:
        return None
    types = {item.get("type") for item in response.json()["detail"]}
    if not types <= ENGINE_KINDS | {"unexpected"}:
        raise AssertionError(f"a body the schema admits was refused by validation: {types}")
    return None


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_the_api_conforms_to_its_schema(case):
    case.call_and_validate(additional_checks=[valid_bodies_pass_the_schema])
