"""A form's fields become the services' integers exactly, or are refused with a code."""

from __future__ import annotations

import pytest

from pctrade.kernel.errors import ValidationError
from pctrade.web.pages import form_fields as f


@pytest.mark.parametrize(
    ("typed", "fen"),
    [("82", 8_200), ("82.5", 8_250), ("82.05", 8_205), ("¥1,234.56", 123_456), (" 0.01 ", 1)],
)
def test_yuan_are_read_as_fen_exactly(typed: str, fen: int) -> None:
    assert f.yuan_as_fen({"price": typed}, "price") == fen


@pytest.mark.parametrize("typed", ["82.123", "-1", "1e3", "82,00.5x", "NaN", "８２"])
def test_yuan_that_do_not_read_are_refused(typed: str) -> None:
    with pytest.raises(ValidationError) as refused:
        f.yuan_as_fen({"price": typed}, "price")
    assert refused.value.code == "not_integer"


def test_whole_numbers_missing_fields_and_long_text_are_refused_by_code() -> None:
    assert f.whole_number({"g": "10,000"}, "g") == 10_000
    for typed in ("1.5", "-3", "9" * 19, "1 000"):
        with pytest.raises(ValidationError) as refused:
            f.whole_number({"g": typed}, "g")
        assert refused.value.code == "not_integer"
    with pytest.raises(ValidationError) as missing:
        f.whole_number({}, "g")
    assert missing.value.code == "missing_field"
    assert f.text({}, "reason", "my own footprint") == "my own footprint"
    with pytest.raises(ValidationError) as long:
        f.text({"reason": "x" * (f.TEXT_LEN_MAX + 1)}, "reason")
    assert long.value.code == "too_long"
