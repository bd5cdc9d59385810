"""The locale-aware filters: carbon, money, prices, percentages and dates per language."""

from __future__ import annotations

from datetime import date

import pytest

from pctrade.web import formatting
from pctrade.web.i18n import Language, choose_locale, load_languages

LANGUAGES = load_languages()
ZH, EN = LANGUAGES["zh"], LANGUAGES["en"]


@pytest.mark.parametrize(
    ("value_g", "language", "shown"),
    [
        (1_234_000_000, EN, "1,234 t"),
        (1_234_000_000, ZH, "1,234 吨"),
        (12_500, EN, "12.5 kg"),
        (12_500, ZH, "12.5 千克"),
        (999, ZH, "999 克"),
        (1_500_000, EN, "1.5 t"),
        (-2_000, EN, "-2 kg"),
    ],
)
def test_grams_pick_the_largest_unit_that_keeps_the_amount_at_least_one(
    value_g: int, language: Language, shown: str
) -> None:
    assert formatting.grams(value_g, language) == shown


def test_money_and_prices_are_yuan_with_grouping_and_two_decimals() -> None:
    assert formatting.yuan(123_456, EN) == "¥1,234.56"
    assert formatting.yuan(-5, ZH) == "-¥0.05"
    assert formatting.price_per_t(5_800, EN) == "¥58.00/t"
    assert formatting.price_per_t(5_800, ZH) == "¥58.00/吨"


def test_basis_points_read_as_a_percentage() -> None:
    assert formatting.bps(125, EN) == "1.25%"
    assert formatting.bps(10_000, ZH) == "100%"


def test_dates_follow_the_locale_and_instants_are_china_standard_time() -> None:
    assert formatting.day(date(2026, 11, 23), ZH) == "2026年11月23日"
    assert formatting.day("2026-11-23", EN) == "Nov 23, 2026"
    # 17:30 UTC on the 23rd is 01:30 on the 24th in Beijing.
    assert formatting.instant("2026-11-23T17:30:00Z", ZH) == "2026-11-24 01:30"
    assert formatting.day("2026-11-23T17:30:00Z", EN) == "Nov 24, 2026"
    assert formatting.number(1234567, ZH) == "1,234,567"


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "chosen"),
    [
        ("en", "zh", "zh-CN", "en"),  # the query wins
        (None, "en", "zh-CN", "en"),  # then the cookie
        ("fr", None, "en-GB,en;q=0.9", "en"),  # an unknown query is ignored
        (None, None, "fr-FR, en;q=0.5, zh;q=0.8", "zh"),  # by weight
        (None, None, "de", "zh"),  # nothing of ours: Chinese
        (None, None, None, "zh"),
    ],
)
def test_the_locale_is_the_query_then_the_cookie_then_accept_language_then_chinese(
    query: str | None, cookie: str | None, accept: str | None, chosen: str
) -> None:
    assert choose_locale(query, cookie, accept) == chosen
