"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error body has ``type``, ``title``, ``status``, ``detail`` and ``code``; ``code``
is the stable code of the domain error (``insufficient_balance``, ``terminal_state``,
...), so clients branch on it rather than on the text. Every code, by status, is listed
in ``api.codes`` and, per operation, in the OpenAPI document. The status follows the
domain's error tree:

    ValidationError → 422      NotFound → 404      Forbidden → 403
    Conflict (and subclasses) → 409                 AuthenticationError → 401
    Throttled → 429 (with Retry-After)              IntegrityError → 500
    other PctradeError → 400

422 is for a request that is wrong in itself, whatever the state; 409 for a well-formed
request that the state forbids (a party or batch that exists, a hold released already,
an account that is not an emitter's). Request validation (malformed JSON, wrong types,
unknown fields) is 422 ``invalid_request``, except the limits the domain also names: a
quantity that is not positive (``non_positive``), one beyond the 64-bit range
(``out_of_range``) and a day that is not ``YYYY-MM-DD`` (``bad_date``). The boundary
(``api.guard``) refuses what no route should see before any runs. A 405 names in
``Allow`` every method served at the path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

# Raised by identity; named here too, where the API's routes have always found it.
from pctrade.kernel.errors import AuthenticationError as AuthenticationError
from pctrade.kernel.errors import (
    Conflict,
    Forbidden,
    IntegrityError,
    NotFound,
    PctradeError,
    Throttled,
    ValidationError,
)
from pctrade.kernel.limits import INT64_MAX
from pctrade.market.eligibility import POOLS_HINT, NotEligible

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://pctrade.org/problems/"
ERRORS_LISTED_MAX = 20
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# Field checks of our own (pydantic custom errors) whose type is the answer's code.
FIELD_CODES = frozenset({"bad_date"})


class HttpProblem(Exception):
    """A failure of the HTTP layer itself (a missing header, an oversized body)."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class FailedCondition(BaseModel):
    """A condition of direct trading the party does not meet (``not_eligible``)."""

    code: str
    reason: str


class ProblemDetails(BaseModel):
    """The body of every error response."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    errors: list[FieldError] | None = None
    conditions: list[FailedCondition] | None = Field(
        default=None, description="not_eligible: each failed condition of direct trading"
    )
    rule_set: str | None = Field(default=None, description="not_eligible: the rule set cited")
    pools: str | None = Field(
        default=None, description="not_eligible: the way still open, a platform pool"
    )


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    instance: str | None = None,
    errors: list[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> JSONResponse:
    body = ProblemDetails(
        type=PROBLEM_TYPE_BASE + code,
        title=code.replace("_", " ").capitalize(),
        status=status,
        detail=detail,
        code=code,
        instance=instance,
        errors=errors,
        **dict(extra or {}),
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=dict(headers or {}),
    )


def status_of(exc: PctradeError) -> int:
    # Order matters: the most specific class first.
    for cls, status in (
        (AuthenticationError, 401),
        (Throttled, 429),
        (ValidationError, 422),
        (NotFound, 404),
        (Forbidden, 403),
        (Conflict, 409),
        (IntegrityError, 500),
    ):
        if isinstance(exc, cls):
            return status
    return 400


def _field_code(error: Mapping[str, Any]) -> str:
    """The domain's code for the two numeric limits; ``invalid_request`` otherwise."""
    kind = error.get("type")
    ctx = error.get("ctx") or {}
    if kind == "greater_than" and ctx.get("gt") == 0:
        return "non_positive"
    if kind == "less_than_equal" and ctx.get("le") == INT64_MAX:
        return "out_of_range"
    if kind in FIELD_CODES:
        return str(kind)
    return "invalid_request"


def _field_errors(errors: Sequence[Any]) -> list[FieldError]:
    # The input is not echoed back: it may be a password.
    return [
        FieldError(
            loc=[p if isinstance(p, int) else str(p) for p in e.get("loc", ())],
            msg=str(e.get("msg", "")),
            type=str(e.get("type", "")),
        )
        for e in errors[:ERRORS_LISTED_MAX]
    ]


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into a problem document."""

    @app.exception_handler(PctradeError)
    async def _domain(request: Request, exc: PctradeError) -> JSONResponse:
        status = status_of(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if isinstance(exc, Throttled):
            headers = {"Retry-After": str(exc.retry_after_s)}
        return problem_response(
            status,
            exc.code,
            exc.message,
            instance=request.url.path,
            headers=headers,
            extra=_extensions(exc),
        )

    @app.exception_handler(HttpProblem)
    async def _http_problem(request: Request, exc: HttpProblem) -> JSONResponse:
        return problem_response(exc.status, exc.code, exc.detail, instance=request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        codes = [_field_code(e) for e in errors]
        code = next((c for c in codes if c != "invalid_request"), "invalid_request")
        first = errors[0] if errors else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        detail = f"{where}: {first.get('msg', 'invalid request')}" if where else "invalid request"
        return problem_response(
            422, code, detail, instance=request.url.path, errors=_field_errors(errors)
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Starlette still re-raises after answering, so the failure is logged in full;
        # the client gets a problem document that reveals nothing of the internals.
        return problem_response(
            500,
            "internal_error",
            "the server failed to handle the request",
            instance=request.url.path,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # FastAPI's own answer to a body it could not read (bytes that are no
            # Unicode, sent without a Content-Type): malformed, like any other.
            return problem_response(
                422, "invalid_request", "the body could not be read", instance=request.url.path
            )
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request.app, request.scope))
        return problem_response(
            exc.status_code,
            code,
            str(exc.detail),
            instance=request.url.path,
            headers=headers,
        )


def _extensions(exc: PctradeError) -> dict[str, Any] | None:
    """The members a problem adds for its kind: an ineligible party's conditions."""
    if isinstance(exc, NotEligible):
        return {
            "conditions": [FailedCondition(code=str(c), reason=r) for c, r in exc.failed],
            "rule_set": exc.rule_set,
            "pools": POOLS_HINT,
        }
    return None


def allowed_methods(app: Any, scope: Mapping[str, Any]) -> list[str]:
    """Every method some route serves at this path. Starlette's 405 names only the
    first route that matched the path, so ``Allow`` listed one method of two. Each
    method is tried against the routes (included routers answer ``matches`` too)."""
    probe = {"type": "http", "path": scope["path"], "root_path": scope.get("root_path", "")}
    return [
        method
        for method in HTTP_METHODS
        if any(
            route.matches({**probe, "method": method})[0] == Match.FULL
            for route in app.router.routes
        )
    ]


DESCRIPTIONS = {
    400: "Bad request (no Idempotency-Key, a header sent twice)",
    401: "Missing, unknown or expired credentials",
    403: "The actor may not do this",
    404: "Unknown account, batch, hold, entry or other resource",
    405: "Method not allowed (Allow names the path's methods)",
    409: "Well-formed, but the state forbids it (balance, hold, status, terminal state, key)",
    413: "Payload too large",
    422: "Invalid request (malformed, out of range, text no database stores)",
    429: "Too many requests (Retry-After says when to try again)",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting problem bodies for these statuses."""
    return {
        s: {"model": ProblemDetails, "description": DESCRIPTIONS.get(s, "Error")}
        | _HEADERS.get(s, {})
        for s in statuses
    }


_HEADERS: dict[int, dict[str, Any]] = {
    429: {
        "headers": {
            "Retry-After": {
                "description": "seconds until the throttle's window ends",
                "schema": {"type": "integer", "minimum": 1},
            }
        }
    }
}
