"""Request size limit: a named bound on every body the API will read.

A body larger than ``body_bytes_max`` is refused with 413 ``payload_too_large``
before any route runs. A declared ``Content-Length`` is checked without reading;
a body without one (chunked) is read up to the limit, then replayed to the app, so a
client cannot stream an unbounded body into memory.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pctrade.api.problems import problem_response

BODY_BYTES_MAX = 1024 * 1024


class BodyLimit:
    def __init__(self, app: ASGIApp, body_bytes_max: int = BODY_BYTES_MAX) -> None:
        self.app = app
        self.body_bytes_max = body_bytes_max

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.body_bytes_max:
            await self._refuse(scope, receive, send)
            return
        if declared is not None:
            await self.app(scope, receive, send)
            return
        messages, size = await read_up_to(receive, self.body_bytes_max)
        if size > self.body_bytes_max:
            await self._refuse(scope, receive, send)
            return
        await self.app(scope, replay(messages, receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            413,
            "payload_too_large",
            f"request body exceeds {self.body_bytes_max} bytes",
            instance=scope.get("path"),
        )
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def read_up_to(receive: Receive, limit: int) -> tuple[list[Message], int]:
    """The body's messages until it ends or passes ``limit`` bytes; and its size so far."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, size
        size += len(message.get("body", b""))
        if size > limit or not message.get("more_body", False):
            return messages, size


def replay(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that hands out ``messages`` (already read) first, then the rest."""
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed
