"""What people type, read exactly into grams and fen: never rounded, never a float."""

from __future__ import annotations

import pytest

from pctrade.kernel.errors import ValidationError
from pctrade.web.pages.amounts import positive_int, tonnes_to_g, yuan_to_fen


@pytest.mark.parametrize(
    ("text", "grams"),
    [("12.5", 12_500_000), ("1,000", 1_000_000_000), (" 0.000001 ", 1), ("20", 20_000_000)],
)
def test_tonnes_are_read_to_the_gram(text: str, grams: int) -> None:
    assert tonnes_to_g(text) == grams


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("0.0000001", "bad_quantity"),  # a tenth of a gram
        ("", "bad_quantity"),
        ("NaN", "bad_quantity"),
        ("1e400", "non_positive"),  # beyond 64 bits
        ("0", "non_positive"),
        ("-1", "non_positive"),
    ],
)
def test_a_quantity_that_is_not_whole_grams_is_refused(text: str, code: str) -> None:
    with pytest.raises(ValidationError) as refused:
        tonnes_to_g(text)
    assert refused.value.code == code


def test_yuan_are_read_to_the_fen() -> None:
    assert yuan_to_fen("58.00") == 5_800 and yuan_to_fen("72") == 7_200
    with pytest.raises(ValidationError) as refused:
        yuan_to_fen("58.005")
    assert refused.value.code == "not_integer"
    assert positive_int("1004", "account") == 1_004
