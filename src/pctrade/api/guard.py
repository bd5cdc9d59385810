"""The request's boundary: what is refused before any route sees it.

Every request, to any route (so routes added later are covered too), is refused whole,
with nothing read or written, if

- its path, its query string (once percent-decoded) or one of its headers holds
  U+0000: 422 ``nul_character`` (``pctrade.kernel.text``: PostgreSQL cannot store it,
  SQLite would, so neither may see it);
- a header that is read once (``Idempotency-Key``, ``Authorization``, ``X-API-Key``)
  is sent twice: 400 ``duplicate_header`` (which one was meant?);
- its JSON body is not JSON (422 ``invalid_request``), gives one key twice in an
  object (422 ``duplicate_key``: a parser keeps the last, another the first), or holds
  U+0000 or an unpaired surrogate in any string, key or value (422 ``nul_character``,
  ``invalid_unicode``).

A body is JSON when FastAPI would parse it as JSON: ``application/json`` or
``application/…+json``, or no ``Content-Type`` (then a body that does not parse goes
on to its route, which may read it otherwise). Others (the JSON Lines of behaviour
events) go to their route as they are: it validates them line by line. A query
parameter given twice is refused by ``deps.parameters_as_documented``, which knows the
route's parameters.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from pctrade.api.limits import BODY_BYTES_MAX, read_up_to, replay
from pctrade.api.problems import HttpProblem, problem_response, status_of
from pctrade.kernel.errors import PctradeError, ValidationError
from pctrade.kernel.text import check_text

SINGLE_HEADERS = (b"idempotency-key", b"authorization", b"x-api-key")
INLINE_BYTES_MAX = 64 * 1024  # larger JSON bodies are parsed in a worker thread


class RequestGuard:
    def __init__(self, app: ASGIApp, body_bytes_max: int = BODY_BYTES_MAX) -> None:
        self.app = app
        self.body_bytes_max = body_bytes_max

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            check_head(scope)
            media = _json_media(scope)
            if media is not None:
                messages, size = await read_up_to(receive, self.body_bytes_max)
                if size > self.body_bytes_max:
                    raise HttpProblem(413, "payload_too_large", "the request body is too large")
                body = b"".join(m.get("body", b"") for m in messages)
                if len(body) <= INLINE_BYTES_MAX:
                    check_json(body, bool(media))
                else:  # parsed off the event loop, like the routes' own work
                    await run_in_threadpool(check_json, body, bool(media))
                receive = replay(messages, receive)
        except (PctradeError, HttpProblem) as exc:
            await _refuse(exc, scope, receive, send)
            return
        await self.app(scope, receive, send)


def check_head(scope: Scope) -> None:
    """The path, the query string and the headers: no NUL, no repeated single header."""
    check_text(scope["path"], "the path")
    query: bytes = scope.get("query_string", b"")
    if b"\x00" in unquote_to_bytes(query):
        raise ValidationError("the query string contains U+0000 (NUL)", code="nul_character")
    seen: set[bytes] = set()
    for name, value in scope.get("headers", ()):
        if b"\x00" in value:
            raise ValidationError(
                f"header {name.decode('latin-1')} contains U+0000 (NUL)", code="nul_character"
            )
        if name in SINGLE_HEADERS:
            if name in seen:
                raise HttpProblem(
                    400, "duplicate_header", f"header {name.decode()} is sent more than once"
                )
            seen.add(name)


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return found


def check_json(body: bytes, declared: bool = True) -> None:
    """Refuse a JSON body that repeats a key or holds text no database stores, and one
    that does not parse if it was ``declared`` JSON (without a ``Content-Type`` it may be
    the JSON Lines of behaviour events: its route decides). An empty body is left to the
    route (a body that is required is missing)."""
    if not body:
        return
    try:
        document = json.loads(body, object_pairs_hook=_object)
    except _DuplicateKey as exc:
        shown = json.dumps(exc.key[:64])
        raise ValidationError(
            f"key {shown} is given twice in one JSON object", code="duplicate_key"
        ) from None
    except RecursionError:
        raise ValidationError("the JSON body nests too deeply", code="invalid_request") from None
    except ValueError as exc:  # JSONDecodeError, or bytes that are no Unicode
        if not declared:
            return
        raise ValidationError(f"the body is not JSON: {exc}", code="invalid_request") from None
    _check_strings(document)


def _check_strings(document: Any) -> None:
    # Iterative: a body may nest as deep as the parser allows.
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            check_text(value, "a text in the JSON body")
        elif isinstance(value, dict):
            pending.extend(value)
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)


def _json_media(scope: Scope) -> bytes | None:
    """The body's JSON media type, ``b""`` if none is declared (FastAPI then reads JSON
    too), or None when the body is not JSON or the method sends none."""
    if scope.get("method") in ("GET", "HEAD", "OPTIONS"):
        return None
    content_type = next((v for k, v in scope.get("headers", ()) if k == b"content-type"), b"")
    media: bytes = content_type.split(b";", 1)[0].strip().lower()
    if not media or media == b"application/json":
        return media
    if media.startswith(b"application/") and media.endswith(b"+json"):
        return media
    return None


async def _refuse(
    exc: PctradeError | HttpProblem, scope: Scope, receive: Receive, send: Send
) -> None:
    if isinstance(exc, HttpProblem):
        status, code, detail = exc.status, exc.code, exc.detail
    else:
        status, code, detail = status_of(exc), exc.code, exc.message
    path = str(scope.get("path", "")).replace("\x00", "%00")  # not echoed back raw
    response = problem_response(status, code, detail, instance=path)
    await response(scope, receive, send)
