"""How a page answers a form: the page again, with what the write did or why not.

Each form of a page carries its own idempotency key (``new_key``). A write that
succeeds (or replays, when the same form is posted twice: its idempotency key is the
first post's) re-renders the page with a notice naming what was done and whether it was
a replay. A refusal re-renders it with the domain's code and message, translated where
the catalogue has the message, and the status the API would answer with, having written
nothing (the services refuse before they write).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from pctrade.api.problems import status_of
from pctrade.kernel.errors import PctradeError
from pctrade.web.templating import language_of


@dataclass(frozen=True, slots=True)
class Refusal:
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Done:
    what: str  # a catalogue message id, e.g. "Order placed"
    reference: str  # an order, entry or bid the write made
    replayed: bool


Page = Callable[..., HTMLResponse]


def new_key() -> str:
    """A fresh idempotency key for one form of a page that shows several: each form
    is its own write, so each carries its own key (the page's ``form`` has one)."""
    return str(uuid.uuid4())


def submit(
    request: Request, page: Page, write: Callable[[], Done], **page_args: Any
) -> HTMLResponse:
    """Run ``write`` and render ``page`` with its notice, or with its refusal."""
    try:
        done = write()
    except PctradeError as exc:
        return refuse(request, page, exc, **page_args)
    return page(request, done=done, **page_args)


def refusal_of(request: Request, exc: PctradeError) -> Refusal:
    """The domain's code, and its message in the request's language where the
    catalogue has it (``macros.refused_notice`` shows it)."""
    return Refusal(exc.code, language_of(request).gettext(exc.message))


def refuse(request: Request, page: Page, exc: PctradeError, **page_args: Any) -> HTMLResponse:
    """``page`` with the refusal's code and message, and the API's status for it."""
    return page(request, refused=refusal_of(request, exc), status=status_of(exc), **page_args)
