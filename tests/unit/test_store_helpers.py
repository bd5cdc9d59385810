"""Pure helpers of the SQL store, checked against their plain-Python meaning."""

from __future__ import annotations

from array import array

from hypothesis import given
from hypothesis import strategies as st

from pctrade.ledger.sql.bulk import _all_distinct

ids = st.lists(st.integers(min_value=0, max_value=20), max_size=16)


@given(ids, st.booleans())
def test_all_distinct_agrees_with_a_set(values: list[int], fan_out: bool) -> None:
    if fan_out and len(values) > 1:  # a source first, then sorted recipients
        values = [values[0], *sorted(set(values[1:]))]
    assert _all_distinct(array("q", values)) == (len(set(values)) == len(values))
