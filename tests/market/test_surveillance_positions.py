"""Position limits at order entry and the large-holder report, from Beijing's [positions]
(emitters: own allocation + 1,000,000 t, others 1,000,000 t; disclosure above 500,000 t,
for emitters above their allocation + 500,000 t)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from market_records import T

from pctrade.kernel.errors import Conflict, ValidationError
from pctrade.market.surveillance import (
    HolderPosition,
    check_position,
    large_holder_report,
    require_within_position_limit,
    would_breach_position_limit,
)
from pctrade.rules import shipped

BJ = shipped().by_version("BJ/2014-01-01")
CN = shipped().by_version("CN/2021-02-01")


def test_a_buy_may_reach_the_limit_but_not_pass_it() -> None:
    ok = check_position(
        BJ, holding_g=999_990 * T, open_buy_g=5 * T, order_g=5 * T, allocation_g=None
    )
    assert (ok.limit_g, ok.after_g, ok.breach) == (1_000_000 * T, 1_000_000 * T, False)
    assert ok.rule is not None and ok.rule.keys == ("limit_g",) and ok.rule.rule_set == BJ.version
    over = dict(holding_g=999_990 * T, open_buy_g=5 * T, order_g=6 * T, allocation_g=None)
    assert check_position(BJ, **over).breach  # type: ignore[arg-type]
    with pytest.raises(Conflict) as exc:
        require_within_position_limit(BJ, **over)  # type: ignore[arg-type]
    assert exc.value.code == "position_limit" and BJ.version in exc.value.message


def test_an_emitters_limit_is_its_allocation_plus_the_margin() -> None:
    emitter = check_position(
        BJ, holding_g=2_500_000 * T, open_buy_g=0, order_g=500_000 * T, allocation_g=2_000_000 * T
    )
    assert (emitter.limit_g, emitter.breach) == (3_000_000 * T, False)
    assert emitter.rule is not None and emitter.rule.keys == ("emitter_limit_above_allocation_g",)
    with pytest.raises(Conflict):
        require_within_position_limit(
            BJ,
            holding_g=2_500_000 * T,
            open_buy_g=1,
            order_g=500_000 * T,
            allocation_g=2_000_000 * T,
        )


def test_a_rule_set_without_positions_sets_no_limit() -> None:
    free = check_position(CN, holding_g=10**15, open_buy_g=0, order_g=10**15, allocation_g=None)
    assert (free.limit_g, free.breach, free.rule) == (None, False, None)
    with pytest.raises(Conflict) as exc:
        large_holder_report([], CN)
    assert exc.value.code == "no_rule"


@given(
    st.integers(0, 10**13),
    st.integers(0, 10**13),
    st.integers(1, 10**13),
    st.integers(1, 3 * 10**13),
)
def test_the_breach_check_is_the_sum_against_the_limit(
    holding: int, open_buy: int, order: int, limit: int
) -> None:
    assert would_breach_position_limit(holding, open_buy, order, limit) == (
        holding + open_buy + order > limit
    )
    assert not would_breach_position_limit(holding, open_buy, order, None)


def test_negative_figures_are_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        would_breach_position_limit(-1, 0, 1, 10)
    assert exc.value.code == "bad_quantity"
    with pytest.raises(ValidationError):
        large_holder_report([HolderPosition("x", -1, None)], BJ)


def test_large_holders_are_those_strictly_above_their_threshold_largest_first() -> None:
    report = large_holder_report(
        [
            HolderPosition("fund", 500_000 * T, None),  # at the threshold: not above
            HolderPosition("investor", 500_001 * T, None),
            HolderPosition("emitter-a", 1_500_001 * T, 1_000_000 * T),
            HolderPosition("emitter-b", 1_500_000 * T, 1_000_000 * T),
            HolderPosition("broker", 700_000 * T, None),
        ],
        BJ,
    )
    assert [(h.party, h.above_g, h.emitter) for h in report.holders] == [
        ("emitter-a", 1 * T, True),
        ("broker", 200_000 * T, False),
        ("investor", 1 * T, False),
    ]
    assert (
        report.rule.section == "positions"
        and "bj_exchange_detailed_rules_2014" in report.rule.sources
    )
