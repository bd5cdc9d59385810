"""The rule sets' [compliance] sections: deadlines, banking and borrowing, linking and
penalties as data, each refused on load when malformed (with its line)."""

from __future__ import annotations

from datetime import date
from importlib import resources

import pytest

from pctrade.kernel.errors import Conflict, ValidationError
from pctrade.rules import RuleSetError, load_text, shipped
from pctrade.rules.diff import diff
from pctrade.rules.model import months_before, period_years

CN = (resources.files("pctrade.rules") / "data" / "CN" / "2021-02-01.toml").read_text()
JURISDICTIONS = ("CN", "GD", "SZ", "HB", "BJ", "FJ", "SH", "TJ", "CQ")


def test_every_jurisdiction_of_the_issue_ships_offsets_and_compliance() -> None:
    book = shipped()
    for j in JURISDICTIONS:
        rule_set = book.in_force(j, date(2026, 12, 1))
        assert rule_set.offsets is not None and rule_set.compliance is not None, j
        assert rule_set.compliance.accepts, j
        assert rule_set.compliance.cited.sources, j


def test_deadlines_by_notice_and_by_the_annual_rule_differ_per_jurisdiction() -> None:
    book = shipped()
    cn = book.in_force("CN", date(2026, 1, 1)).compliance
    gd = book.in_force("GD", date(2026, 1, 1)).compliance
    sh = book.in_force("SH", date(2026, 1, 1)).compliance
    assert cn is not None and gd is not None and sh is not None
    assert cn.deadline("2019-2020") == date(2021, 12, 31)
    assert cn.deadline("2021-2022") == date(2023, 12, 31)
    assert cn.deadline("2025") == date(2026, 12, 31)
    assert gd.deadline("2025") == date(2026, 6, 20)
    assert sh.deadline("2021") == date(2022, 12, 30)  # extended by notice
    assert sh.deadline("2022") == date(2023, 6, 30)
    with pytest.raises(Conflict) as unset:
        gd.deadline("2023-2024")  # a span no notice fixed
    assert unset.value.code == "no_rule"


def test_borrowing_linking_and_penalties_differ_per_jurisdiction() -> None:
    book = shipped()
    cn = book.in_force("CN", date(2026, 1, 1)).compliance
    gd = book.in_force("GD", date(2026, 1, 1)).compliance
    assert cn is not None and gd is not None
    assert (cn.borrowing_shortfall_min_bps, cn.borrowing_max_bps) == (1_000, 5_000)
    assert gd.borrowing_max_bps is None
    assert cn.preallocation_bps == 7_000
    assert cn.accepts == ("CN",) and gd.accepts == ("CN", "GD")
    assert gd.offset_local_min_bps == 7_000 and cn.offset_local_min_bps is None
    assert (cn.penalty_deduction_multiple, gd.penalty_deduction_multiple) == (1, 2)


def test_period_labels() -> None:
    assert period_years("2023") == (2023, 2023)
    assert period_years("2019-2020") == (2019, 2020)
    for bad in ("23", "2020-2019", "2020/2021", ""):
        with pytest.raises(ValidationError):
            period_years(bad)


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ('"2019-2020" = 2021-12-31', '"2019-2020" = 2020-12-31', "not after the period ends"),
        ('"2019-2020" = 2021-12-31', '"2019/2020" = 2021-12-31', "not a compliance period"),
        ('"2019-2020" = 2021-12-31', '"2019-2020" = "soon"', "TOML date"),
        ('annual_deadline = "12-31"', 'annual_deadline = "02-30"', "no day of the year"),
        ('annual_deadline = "12-31"', 'annual_deadline = "02-29"', "day of the year"),
        ("borrowing_max_bps = 5_000 ", "# ", "borrowing needs both"),
        ("penalty_fine_min_fen = 2_000_000", "penalty_fine_min_fen = 4_000_000", "above"),
        ("banking = true", "banking = 1", "true or false"),
        ('accepts = ["CN"]', "accepts = []", "must not be empty"),
        (
            "late_surrender_allowed = false",
            "late_surrender_allowed = false\nlate = 1",
            "unknown key",
        ),
    ],
)
def test_a_malformed_compliance_section_is_refused_with_its_line(
    old: str, new: str, says: str
) -> None:
    assert old in CN, old
    with pytest.raises(RuleSetError) as refused:
        load_text(CN.replace(old, new, 1), "CN/x.toml")
    message = refused.value.message
    assert says in message and "[compliance]" in message, message
    assert "(line " in message, message


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("gas = { supply_g_per_mwh = 392_000", "gas = { supply_g_per_mwh = 392.5", "integer"),
        ("gas = { supply_g_per_mwh = 392_000", "gas = { supply = 392_000", "<output>_g_per_<unit>"),
        ('sector = "power"', 'sector = "Power!"', "does not match"),
    ],
)
def test_a_malformed_benchmark_is_refused_with_its_line(old: str, new: str, says: str) -> None:
    assert old in CN, old
    with pytest.raises(RuleSetError) as refused:
        load_text(CN.replace(old, new, 1), "CN/x.toml")
    message = refused.value.message
    assert says in message and "[allocation]" in message and "(line " in message, message


# ---- the 2024 Interim Regulations and the price window --------------------------------
CN_2024 = (resources.files("pctrade.rules") / "data" / "CN" / "2024-05-01.toml").read_text()


def test_the_national_versions_differ_only_in_the_penalty_and_its_citation() -> None:
    book = shipped()
    before, after = book.by_version("CN/2021-02-01"), book.by_version("CN/2024-05-01")
    assert book.in_force("CN", date(2024, 4, 30)) is before
    assert book.in_force("CN", date(2024, 5, 1)) is after
    changed = {(c.section, c.field) for c in diff(before, after)}
    assert changed == {
        ("", "effective_from"),
        ("compliance", "assumed"),
        ("compliance", "sources"),
        ("compliance", "penalty_fine_min_fen"),
        ("compliance", "penalty_fine_max_fen"),
        ("compliance", "penalty_market_value_multiple_min"),
        ("compliance", "penalty_market_value_multiple_max"),
        ("compliance", "penalty_price_window_months"),
        ("compliance", "penalty_price_window_end"),
        ("sources", "mee_decree_19_penalties"),
        ("sources", "state_council_decree_775"),
    }
    c = after.compliance
    assert c is not None
    assert (c.penalty_fine_min_fen, c.penalty_fine_max_fen) == (None, None)
    assert (c.penalty_market_value_multiple_min, c.penalty_market_value_multiple_max) == (5, 10)
    assert c.penalty_deduction_multiple == 1
    assert (c.penalty_price_window_months, c.penalty_price_window_end) == (1, "deadline")
    assert after.sources["state_council_decree_775"].assumption  # art. 24 not read


def test_which_jurisdictions_name_a_price_window() -> None:
    book = shipped()
    windows = {}
    for j in JURISDICTIONS:
        c = book.in_force(j, date(2026, 12, 1)).compliance
        assert c is not None
        windows[j] = c.penalty_price_window("2025")
    assert windows["CN"] == (date(2026, 12, 1), date(2026, 12, 31))
    assert windows["SZ"] == (date(2026, 1, 1), date(2026, 6, 30))
    # Beijing and Hubei fine at market value but their sources name no price: given only
    assert {j for j, w in windows.items() if w is not None} == {"CN", "SZ"}


def test_a_window_counts_back_whole_months_from_the_day_after_the_deadline() -> None:
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2024, 3, 31), 1) == date(2024, 2, 29)
    assert months_before(date(2027, 1, 1), 1) == date(2026, 12, 1)
    assert months_before(date(2026, 7, 1), 6) == date(2026, 1, 1)
    assert months_before(date(2026, 6, 16), 1) == date(2026, 5, 16)
    assert months_before(date(2026, 1, 15), 120) == date(2016, 1, 15)


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ('penalty_price_window_end = "deadline"', "", "needs both"),
        ("penalty_price_window_months = 1 ", "", "needs both"),
        ("penalty_price_window_months = 1 ", "penalty_price_window_months = 0 ", "outside 1..120"),
        ("penalty_price_window_months = 1 ", "penalty_price_window_months = 121 ", "outside"),
        ("penalty_price_window_months = 1 ", 'penalty_price_window_months = "1" ', "integer"),
        ('window_end = "deadline"', 'window_end = "decision"', "is not one of deadline"),
        (
            "penalty_market_value_multiple_min = 5\npenalty_market_value_multiple_max = 10",
            "penalty_fine_min_fen = 1",
            "no penalty_market_value_multiple",
        ),
    ],
)
def test_a_malformed_price_window_is_refused_with_its_line(old: str, new: str, says: str) -> None:
    assert old in CN_2024, old
    with pytest.raises(RuleSetError) as refused:
        load_text(CN_2024.replace(old, new, 1), "CN/x.toml")
    message = refused.value.message
    assert says in message and "[compliance]" in message, message
    assert "(line " in message, message


def test_hubei_caps_its_market_value_fine_and_a_cap_needs_such_a_fine() -> None:
    hubei = shipped().in_force("HB", date(2026, 6, 1)).compliance
    assert hubei is not None
    # "1-3 times ... but at most 150,000 yuan": a ceiling on that fine, not a fixed fine
    assert (hubei.penalty_fine_min_fen, hubei.penalty_fine_max_fen) == (None, None)
    assert hubei.penalty_market_value_fine_max_fen == 15_000_000
    capped = CN_2024.replace(
        "penalty_market_value_multiple_max = 10",
        "penalty_market_value_multiple_max = 10\npenalty_market_value_fine_max_fen = 0",
        1,
    )
    with pytest.raises(RuleSetError) as refused:
        load_text(capped, "CN/x.toml")
    assert "penalty_market_value_fine_max_fen" in refused.value.message
    uncapped = CN_2024.replace(
        "penalty_market_value_multiple_min = 5\npenalty_market_value_multiple_max = 10",
        "penalty_market_value_fine_max_fen = 1",
        1,
    )
    with pytest.raises(RuleSetError) as refused:
        load_text(uncapped, "CN/x.toml")
    assert "caps a market-value fine" in refused.value.message
