"""Integer units: parsing is exact, refuses what it cannot represent, formats back."""

from __future__ import annotations

import pytest

from pctrade.kernel.errors import ValidationError
from pctrade.kernel.limits import INT64_MAX
from pctrade.kernel.units import (
    check_int64,
    format_carbon,
    format_money,
    parse_carbon_g,
    parse_money_fen,
    require_positive,
)


@pytest.mark.parametrize(
    ("text", "grams"),
    [
        ("1.5 t", 1_500_000),
        ("1.5t", 1_500_000),
        ("250 kg", 250_000),
        ("80", 80),
        ("80 g", 80),
        ("0.000001 t", 1),
        ("2 tCO2e", 2_000_000),
        ("-3 kg", -3_000),
        ("9223372036854.775807 t", INT64_MAX),
    ],
)
def test_carbon_text_parses_to_exact_grams(text: str, grams: int) -> None:
    assert parse_carbon_g(text) == grams


@pytest.mark.parametrize(
    ("text", "fen"),
    [("12.30 yuan", 1230), ("12.3 元", 1230), ("7", 7), ("1 CNY", 100), ("0.01 yuan", 1)],
)
def test_money_text_parses_to_exact_fen(text: str, fen: int) -> None:
    assert parse_money_fen(text) == fen


@pytest.mark.parametrize(
    "text",
    ["0.5 g", "0.0000001 t", "1.0001 kg", "1.000000000000000000000000000001 t"],
)
def test_quantities_finer_than_one_gram_are_refused(text: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_carbon_g(text)
    assert err.value.code == "bad_quantity"


def test_money_finer_than_one_fen_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        parse_money_fen("0.001 yuan")
    assert err.value.code == "bad_quantity"


@pytest.mark.parametrize("text", ["3 lb", "3 mt", "5 usd"])
def test_unknown_units_are_refused(text: str) -> None:
    parse = parse_money_fen if text.endswith("usd") else parse_carbon_g
    with pytest.raises(ValidationError) as err:
        parse(text)
    assert err.value.code == "bad_unit"


@pytest.mark.parametrize("text", ["", "t", "1.2.3 t", "one t", "1e6 g", "1,000 g"])
def test_unreadable_quantities_are_refused(text: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_carbon_g(text)
    assert err.value.code in {"bad_quantity", "bad_unit"}


@pytest.mark.parametrize("text", ["9223372036854.775808 t", "9223372036854775808", "1e30 g"])
def test_quantities_beyond_int64_are_refused(text: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_carbon_g(text)
    assert err.value.code in {"out_of_range", "bad_quantity"}
    if text[0] == "9":
        assert err.value.code == "out_of_range"


def test_check_int64_bounds() -> None:
    assert check_int64(INT64_MAX) == INT64_MAX
    assert check_int64(-INT64_MAX) == -INT64_MAX
    for bad in (INT64_MAX + 1, -INT64_MAX - 1, 10**30):
        with pytest.raises(ValidationError, match="64-bit"):
            check_int64(bad)


@pytest.mark.parametrize(("value", "code"), [(0, "non_positive"), (-1, "non_positive")])
def test_require_positive_refuses_zero_and_negative(value: int, code: str) -> None:
    with pytest.raises(ValidationError) as err:
        require_positive(value)
    assert err.value.code == code


@pytest.mark.parametrize("value", [True, 1.0, "1", None])
def test_require_positive_refuses_non_integers(value: object) -> None:
    with pytest.raises(ValidationError) as err:
        require_positive(value)  # type: ignore[arg-type]
    assert err.value.code == "bad_quantity"


def test_require_positive_refuses_beyond_int64() -> None:
    with pytest.raises(ValidationError) as err:
        require_positive(INT64_MAX + 1)
    assert err.value.code == "out_of_range"
    assert require_positive(INT64_MAX) == INT64_MAX


@pytest.mark.parametrize(
    ("grams", "text"),
    [
        (1_500_000, "1.5 t"),
        (2_000_000, "2 t"),
        (250_000, "250 kg"),
        (1_234, "1.234 kg"),
        (80, "80 g"),
        (0, "0 g"),
        (-1_500_000, "-1.5 t"),
        (INT64_MAX, "9223372036854.775807 t"),
    ],
)
def test_format_carbon_is_exact_and_parses_back(grams: int, text: str) -> None:
    assert format_carbon(grams) == text
    assert parse_carbon_g(text) == grams


@pytest.mark.parametrize(
    ("fen", "text"),
    [(1230, "¥12.30"), (5, "¥0.05"), (123_456_789, "¥1,234,567.89"), (-101, "-¥1.01")],
)
def test_format_money(fen: int, text: str) -> None:
    assert format_money(fen) == text
