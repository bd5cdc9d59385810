"""The OpenAPI document tells the truth: schemathesis fuzzes every operation against it.

For every operation of ``/openapi.json`` (routes added later included), schemathesis
generates requests from the document, valid and invalid, and sends them to the app as
the registry operator and as an individual on SQLite, and as the operator on PostgreSQL
(``RUNS``). A response fails the test if it is a 5xx, or if its status, content type,
headers or body are not what the document declares for that operation (an undeclared
status or problem code, a problem body as ``application/json``, ...), or if the server
accepts a request the document calls invalid, or does not refuse a request without a
required header. And every method a path does not declare is answered 405 with an
``Allow`` that lists the methods served there.

Examples are bounded (``EXAMPLES_MAX`` valid and as many invalid requests per operation
and identity; ``PCTRADE_SCHEMA_EXAMPLES`` raises it for a longer hunt) so that one
database takes well under two minutes on the project's 2-core machines.
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
import schemathesis
from api_world import PASSWORD, TOKEN_TTL_S, World
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    missing_required_header,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from identity_support import bearer
from pctrade.bootstrap import App
from pctrade.market.commands import ListContract

EXAMPLES_MAX = int(os.environ.get("PCTRADE_SCHEMA_EXAMPLES", "4"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    missing_required_header,
    unsupported_method,
]
# Who fuzzes on which backend: both callers on SQLite; on PostgreSQL the registry
# operator, whose requests reach every operation's database work (an individual's are
# mostly refused before it). A fourth run, the individual on PostgreSQL, cost the suite
# about a minute of CPU for requests the operator's run already sends to that database.
RUNS = [("sqlite", "registry"), ("sqlite", "alice"), ("postgresql", "registry")]
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
FAILURE_TEXT_MAX = 1_500
HTTP_METHODS = ("get", "put", "post", "delete", "patch")


@schemathesis.serializer("application/x-ndjson")
def _json_lines(ctx: Any, value: Any) -> bytes:
    """Behaviour events are JSON Lines: the document's body is their text."""
    return value if isinstance(value, bytes) else str(value).encode()


@pytest.fixture
def listed(funded: World) -> World:
    """The funded world with a contract listed, the one the market's routes name as
    their example, so that the fuzzer reaches their answers and not only their 404."""
    market = funded.client.app.state.app.market  # type: ignore[attr-defined]
    listing = ListContract("CCER", "CN", "2026Q3", reference_price_fen_per_t=8_000)
    market.list_contract("registry", "schema-listing", listing)
    return funded


def _fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> None:
    @settings(
        max_examples=EXAMPLES_MAX,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Case) -> None:
        # A copy: schemathesis adds its own headers to the mapping it is given.
        case.call_and_validate(headers=dict(headers), checks=CHECKS)

    run()


@pytest.mark.parametrize(("backend", "party"), RUNS, indirect=["backend"], scope="session")
def test_every_operation_answers_as_the_document_says(
    listed: World, party: str, wired: App
) -> None:
    """``party`` calls: the registry operator, or an individual (alice)."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", listed.client.app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in MODES:
            # A fresh login for each: an operation before may have logged the last out.
            headers = bearer(wired, party, PASSWORD, TOKEN_TTL_S)
            try:
                _fuzz(operation, mode, headers)
            except Unsatisfiable:
                pass  # nothing to make invalid (no parameters, no body): nothing to send
            except (Exception, BaseExceptionGroup) as exc:  # try all, report every failure
                failures.append(f"{operation.label} ({mode.value}): {exc}"[:FAILURE_TEXT_MAX])
    assert operations >= 50
    assert not failures, "\n\n".join(failures)


def _template(path: str) -> str:
    """The path template as a regular expression: a parameter is one segment."""
    return "^" + "[^/]+".join(re.escape(part) for part in re.split(r"\{[^}]+\}", path)) + "$"


def test_an_undeclared_method_is_405_with_the_methods_of_the_path(world: World) -> None:
    """``Allow`` names every method served at the URL, by any of the paths it matches."""
    paths = world.client.get("/openapi.json").json()["paths"]
    templates = {p: re.compile(_template(p)) for p in paths}
    for path in paths:
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        served = {m for p, item in paths.items() if templates[p].match(concrete) for m in item}
        for method in sorted(set(HTTP_METHODS) - served):
            response = world.client.request(method, concrete, headers=world.headers["registry"])
            assert response.status_code == 405, (method, path, response.status_code)
            allowed = {m.strip().lower() for m in response.headers["allow"].split(",")}
            assert allowed == served, (method, path, allowed)
