"""Every list route's two query parameters, ``cursor`` and ``limit``, and its answer.

A list answers ``{"items": [...], "next_cursor": "…"}``: pass ``next_cursor`` back as
``cursor`` for the next page; it is null on the last one. Pages are keyset pages behind
an opaque cursor (``kernel.paging``), so rows appended while a client pages through a
list never shift or repeat a page. Each route states its own largest page, named in
``kernel.limits``:

============================================  ===================  =======  =======
list                                          key                  default  maximum
============================================  ===================  =======  =======
``GET /journal``                              seq                  100      500
``GET /batches``                              asset id             100      500
``GET /me/accounts``                          account id           100      500
``GET /behaviour/held``                       (partner, event id)  1,000    1,000
``GET /inclusive/issuances``                  issuance id          100      500
``GET /inclusive/issuances/{id}/attributions``  account id         1,000    10,000
``GET /me/inclusive``                         issue seq            100      500
``GET /me/sinks``                             project code         100      500
``GET /rules``                                version              100      500
============================================  ===================  =======  =======
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, TypeVar

from fastapi import Query

from pctrade.kernel.limits import CURSOR_LEN_MAX, PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX
from pctrade.kernel.paging import Key, Page, decode_cursor, next_cursor

T = TypeVar("T")

CursorQuery = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=CURSOR_LEN_MAX,
        description="the previous page's next_cursor; omit it for the first page",
    ),
]
LimitQuery = Annotated[
    int, Query(ge=1, le=PAGE_SIZE_MAX, description=f"rows per page, at most {PAGE_SIZE_MAX}")
]
LIMIT_DEFAULT = PAGE_SIZE_DEFAULT


def after(list_name: str, cursor: str | None, shape: Sequence[type], first: Key) -> Key:
    """The key to read after: the cursor's, or ``first`` for the first page."""
    key = decode_cursor(list_name, cursor, shape)
    return first if key is None else key


def cursor_of(list_name: str, page: Page[T]) -> str | None:
    return next_cursor(list_name, page)
