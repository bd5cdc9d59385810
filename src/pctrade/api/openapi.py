"""The OpenAPI document, made to tell the truth about failures.

FastAPI documents what a route declares; what the boundary adds is invisible to it. So
the document it generates is completed here, for every operation alike (routes added
later included), from what the operation itself shows:

- every error status it can answer: those its route declares
  (``problems.problem_responses``), those of the boundary that any request can meet
  (400 a repeated header, 413 too large, 422 a NUL or a malformed parameter), 401 when
  it is authenticated, and 400/409/422 of the ``Idempotency-Key`` when it takes one;
- each as ``application/problem+json`` (``ProblemDetails``), with the codes it may carry
  (``x-codes`` and an ``enum`` on ``code``, from ``api.codes``), ``WWW-Authenticate``
  on 401;
- the ``Idempotency-Key`` header as *required*, with its pattern, and the
  ``Idempotent-Replayed`` header on the answer of a write.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from fastapi import FastAPI

from pctrade.api import codes
from pctrade.api.deps import REPLAYED_HEADER
from pctrade.api.problems import DESCRIPTIONS, PROBLEM_MEDIA_TYPE, ProblemDetails
from pctrade.kernel.limits import IDEM_KEY_LEN_MAX

Document = dict[str, Any]
REF = "#/components/schemas/{model}"
IDEMPOTENCY_HEADER = "idempotency-key"
# FastAPI's own 422 body, replaced everywhere by the problem document.
_FASTAPI_SCHEMAS = ("HTTPValidationError", "ValidationError")


def install(app: FastAPI) -> None:
    """Serve the completed document at ``/openapi.json`` (built once, on first use)."""
    generate: Callable[[], Document] = app.openapi

    def openapi() -> Document:
        if app.openapi_schema is None:
            app.openapi_schema = truthful(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def truthful(doc: Document) -> Document:
    """``doc`` with every operation's failures documented (changed in place)."""
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    problem = ProblemDetails.model_json_schema(ref_template=REF)
    schemas.update(problem.pop("$defs", {}))
    schemas[ProblemDetails.__name__] = problem
    for item in doc.get("paths", {}).values():
        for operation in item.values():
            _complete(operation)
    text = json.dumps(doc)
    for name in _FASTAPI_SCHEMAS:
        if REF.format(model=name) not in text:
            schemas.pop(name, None)
    return doc


def _complete(operation: Document) -> None:
    responses: Document = operation.setdefault("responses", {})
    idempotent = _require_idempotency_key(operation)
    for status, found in sorted(_codes_of(operation, idempotent).items()):
        responses[str(status)] = _problem(status, sorted(found))
    if idempotent:
        for answer, response in responses.items():
            if answer.startswith("2"):
                response.setdefault("headers", {})[REPLAYED_HEADER] = {
                    "description": "true when this answers a replay of an earlier request",
                    "schema": {"type": "string", "enum": ["true"]},
                }


def _codes_of(operation: Document, idempotent: bool) -> dict[int, set[str]]:
    found: dict[int, set[str]] = defaultdict(set)

    def add(more: Mapping[int, Iterable[str]]) -> None:
        for status, names in more.items():
            found[status].update(names)

    add(codes.GENERIC)
    declared = [int(s) for s in operation["responses"] if s[:1] == "4" and s.isdigit()]
    add({s: codes.CODES.get(s, ()) for s in declared})
    if operation.get("security"):
        add(codes.AUTHENTICATED)
    if idempotent:
        add(codes.IDEMPOTENT)
    if operation.get("parameters") or "requestBody" in operation:
        add(codes.FIELDS)
    if "application/json" in operation.get("requestBody", {}).get("content", {}):
        add(codes.JSON_BODY)
    return found


def _require_idempotency_key(operation: Document) -> bool:
    for parameter in operation.get("parameters", ()):
        if parameter.get("in") == "header" and parameter["name"].lower() == IDEMPOTENCY_HEADER:
            parameter["required"] = True
            parameter["schema"] = {
                "type": "string",
                "minLength": 1,
                "maxLength": IDEM_KEY_LEN_MAX,
                # printable ASCII, no space, not the system keys' "~" first (ledger.write)
                "pattern": "^[!-}][!-~]*$",
                "title": "Idempotency-Key",
            }
            return True
    return False


def _problem(status: int, names: list[str]) -> Document:
    problem = {"$ref": REF.format(model=ProblemDetails.__name__)}
    if not names:  # a status the catalogue has no codes for yet: documented unconstrained
        return {
            "description": DESCRIPTIONS.get(status, "Error"),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": problem}},
        }
    response: Document = {
        "description": f"{DESCRIPTIONS.get(status, 'Error')}; code: {', '.join(names)}",
        "content": {
            PROBLEM_MEDIA_TYPE: {
                "schema": {
                    "allOf": [
                        problem,
                        {
                            "type": "object",
                            "properties": {
                                "status": {"type": "integer", "enum": [status]},
                                "code": {"type": "string", "enum": names},
                            },
                        },
                    ]
                }
            }
        },
        "x-codes": names,
    }
    if status == 401:
        response["headers"] = {
            "WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}
        }
    return response
