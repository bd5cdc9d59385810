"""Keyset pages behind opaque cursors (``kernel.paging``): the rules alone, no store."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pctrade.kernel.errors import ValidationError
from pctrade.kernel.limits import CURSOR_LEN_MAX, INT64_MAX
from pctrade.kernel.paging import (
    Page,
    decode_cursor,
    encode_cursor,
    fetch_size,
    next_cursor,
    page_of,
)

KEY_PART = st.one_of(
    st.integers(-INT64_MAX - 1, INT64_MAX), st.text(max_size=40).filter(lambda t: "\x00" not in t)
)


@given(st.lists(KEY_PART, min_size=1, max_size=3))
def test_a_cursor_gives_back_the_key_it_was_made_of(key: list[int | str]) -> None:
    shape = [type(part) for part in key]
    cursor = encode_cursor("held", tuple(key))
    assert decode_cursor("held", cursor, shape) == tuple(key)
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_no_cursor_means_the_first_page() -> None:
    assert decode_cursor("batches", None, (int,)) is None


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "x" * (CURSOR_LEN_MAX + 1),
        "%%%",
        encode_cursor("journal", (1,)),  # another list's
        encode_cursor("batches", ("1",)),  # a text where a number goes
        encode_cursor("batches", (1, 2)),  # one part too many
        encode_cursor("batches", (INT64_MAX + 1,)),
        encode_cursor("batches", ()),
    ],
)
def test_a_cursor_not_given_out_by_this_list_is_refused(cursor: str) -> None:
    with pytest.raises(ValidationError) as refused:
        decode_cursor("batches", cursor, (int,))
    assert refused.value.code == "bad_cursor"


def test_a_boolean_is_not_a_number_in_a_cursor() -> None:
    with pytest.raises(ValidationError):
        decode_cursor("batches", encode_cursor("batches", (True,)), (int,))


def test_one_row_more_than_the_page_tells_that_another_page_follows() -> None:
    assert fetch_size(10, 500) == 11
    more = page_of(list(range(11)), 10, lambda r: (r,))
    assert more.items == list(range(10)) and more.next_key == (9,)
    last = page_of(list(range(10)), 10, lambda r: (r,))
    assert last.next_key is None and not last.more
    assert next_cursor("x", last) is None
    assert decode_cursor("x", next_cursor("x", more), (int,)) == (9,)
    assert page_of([], 10, lambda r: (r,)) == Page([], None)


@pytest.mark.parametrize("limit", [0, -1, 501])
def test_a_page_holds_one_row_to_the_lists_maximum(limit: int) -> None:
    with pytest.raises(ValidationError) as refused:
        fetch_size(limit, 500)
    assert refused.value.code == "bad_limit"
