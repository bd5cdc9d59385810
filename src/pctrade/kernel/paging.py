"""Pages of a list: keyset paging behind an opaque cursor.

Every list pctrade answers (the journal, batches, held events, issuances, attribution
tables, …) is read a page at a time. A list is ordered by a key that never changes for
a row once it exists — a journal seq, an asset id, (partner, event id) — and a page is
the first ``limit`` rows *after* the key of the last row seen, never an offset. So a
row that existed when paging began is seen exactly once however many rows are written
meanwhile: new rows take new keys, and no page already read shifts.

The key of the last row travels to the client as a **cursor**: the list's name and the
key, as JSON, in URL-safe base64. Clients treat it as opaque and hand it back
unchanged; a cursor that does not decode, or that was made for another list, is
refused (``bad_cursor``) rather than guessed at. A cursor grants nothing: whoever
passes it is checked as on the first page.

A reader asks the store for ``limit + 1`` rows (``fetch_size``): the extra row, never
returned, tells whether another page follows, so the last page says so
(``next_key`` None) instead of sending the client for an empty one.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from pctrade.kernel.errors import ValidationError
from pctrade.kernel.limits import CURSOR_LEN_MAX, INT64_MAX

T = TypeVar("T")
KeyPart = int | str
Key = tuple[KeyPart, ...]


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """Up to a page of rows, in key order, and the key to read the next page after."""

    items: list[T]
    next_key: Key | None = None

    @property
    def more(self) -> bool:
        return self.next_key is not None


def fetch_size(limit: int, maximum: int) -> int:
    """The rows to read for a page of ``limit``: one more, to tell whether more follow."""
    if not 0 < limit <= maximum:
        raise ValidationError(f"a page holds 1 to {maximum} rows, not {limit}", code="bad_limit")
    return limit + 1


def page_of(rows: Sequence[T], limit: int, key: Callable[[T], Key]) -> Page[T]:
    """The page of ``rows`` (read with ``fetch_size(limit)``, in key order)."""
    items = list(rows[:limit])
    return Page(items, key(items[-1]) if len(rows) > limit else None)


def encode_cursor(list_name: str, key: Key) -> str:
    """The opaque cursor of the row with ``key`` in the list ``list_name``."""
    text = json.dumps([list_name, *key], ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def next_cursor(list_name: str, page: Page[T]) -> str | None:
    return None if page.next_key is None else encode_cursor(list_name, page.next_key)


def decode_cursor(list_name: str, cursor: str | None, shape: Sequence[type]) -> Key | None:
    """The key a cursor of ``list_name`` carries (None: no cursor, the first page).

    ``shape`` is the key's types, part by part (``int`` or ``str``); anything else —
    bad base64, bad JSON, another list's cursor, a part of the wrong type or out of
    range — is ``bad_cursor``.
    """
    if cursor is None:
        return None
    parts = _parts(cursor)
    key = tuple(p for p in parts[1:] if isinstance(p, int | str))
    if (
        not parts
        or parts[0] != list_name
        or len(key) != len(parts) - 1
        or len(key) != len(shape)
        or not all(_fits(p, kind) for p, kind in zip(key, shape, strict=True))
    ):
        raise ValidationError("the cursor is not one this list gave out", code="bad_cursor")
    return key


def _parts(cursor: str) -> list[object]:
    if not 0 < len(cursor) <= CURSOR_LEN_MAX:
        raise ValidationError(f"a cursor is 1 to {CURSOR_LEN_MAX} characters", code="bad_cursor")
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        parts = json.loads(text)
    except (binascii.Error, ValueError) as exc:  # UnicodeError and JSONDecodeError too
        raise ValidationError("the cursor does not decode", code="bad_cursor") from exc
    return parts if isinstance(parts, list) else []


def _fits(part: object, kind: type) -> bool:
    if kind is int:
        # bool is an int to Python, never to a cursor.
        return type(part) is int and -INT64_MAX - 1 <= part <= INT64_MAX
    return isinstance(part, str) and "\x00" not in part
