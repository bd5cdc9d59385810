"""``rules diff``: what changed from one rule set to another, and nothing else."""

from __future__ import annotations

from importlib import resources

from pctrade.rules import load_text, shipped
from pctrade.rules.diff import Change, diff

GD = (resources.files("pctrade.rules") / "data" / "GD" / "2022-05-06.toml").read_text()


def _next_version(*edits: tuple[str, str]) -> str:
    text = GD.replace("effective_from = 2022-05-06", "effective_from = 2027-01-01")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def test_a_rule_set_has_no_changes_from_itself() -> None:
    for rule_set in shipped().rule_sets():
        assert diff(rule_set, rule_set) == ()


def test_each_changed_figure_assumption_and_session_is_one_line() -> None:
    before = load_text(GD, "GD/2022-05-06")
    after = load_text(
        _next_version(
            ("pool_fee_cap_bps = 1_000", "pool_fee_cap_bps = 800"),
            ("13:30-15:30", "13:00-15:00"),
        ),
        "GD/2027-01-01",
    )
    changes = diff(before, after)
    assert Change("", "effective_from", "2022-05-06", "2027-01-01") in changes
    assert Change("fees", "pool_fee_cap_bps", 1_000, 800) in changes
    sessions = [c for c in changes if c.section == "trading" and c.field == "sessions"]
    assert sessions == [
        Change(
            "trading", "sessions", ["09:30-11:30", "13:30-15:30"], ["09:30-11:30", "13:00-15:00"]
        )
    ]
    # nothing else moved: the date, the fee cap and the two sessions it names
    assert {(c.section, c.field) for c in changes} <= {
        ("", "effective_from"),
        ("fees", "pool_fee_cap_bps"),
        ("trading", "sessions"),
        ("block_trades", "sessions"),
    }


def test_a_section_added_or_removed_and_a_lot_changed_show_as_such() -> None:
    cn = shipped().by_version("CN/2021-02-01")
    gd = shipped().by_version("GD/2022-05-06")
    changes = {(c.section, c.field): c for c in diff(cn, gd)}
    assert changes[("carbon_inclusive", "")].before is None  # GD adds the section
    assert changes[("surveillance", "")].after is None  # GD has none
    assert changes[("trading", "lots.PCER")].after is None  # only CN trades PCER in lots
    assert changes[("offsets", "cap_bps")] == Change("offsets", "cap_bps", 500, 1_000)
