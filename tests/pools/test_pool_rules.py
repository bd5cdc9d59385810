"""The terms' rules (显失公平), each on two jurisdictions with different parameters, and
the pools' replay checks: no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from importlib import resources

import pytest

from pctrade.kernel.errors import PctradeError
from pctrade.ledger.invariants import StoredEntry
from pctrade.ledger.journal import GENESIS_HASH, EntryHeader
from pctrade.ledger.model import Denomination
from pctrade.ledger.operations import Plan
from pctrade.pools.model import (
    Draw,
    Terms,
    TermsVersion,
    Unsold,
    check_pool_deposit,
    check_pool_terms,
    check_pool_withdraw,
    check_terms,
    draws_for_withdrawal,
    plan_pool_deposit,
    plan_pool_terms,
    plan_pool_withdraw,
)
from pctrade.rules import shipped
from pctrade.rules.checks import RuleSetError
from pctrade.rules.loader import load_text
from pctrade.rules.model import RuleSet

BOOK = shipped()
CN, GD, SZ = (BOOK.by_version(v) for v in ("CN/2021-02-01", "GD/2022-05-06", "SZ/2021-12-16"))
# Terms every shipped rule set admits: everything disclosed, within the strictest limits.
FAIR = Terms(
    admitted=("PCER-GD",),
    fee_bps=500,
    floor_fen_per_t=3_000,
    draw_order="fifo",
    sale_schedule="monthly",
    payout_delay_days=5,
    withdrawal_notice_days=3,
    lock_in_days=30,
)


def _code(terms: Terms, rule_set: RuleSet) -> str | None:
    try:
        check_terms(terms, rule_set)
    except PctradeError as exc:
        assert rule_set.version in exc.message  # every refusal cites the rule set
        return exc.code
    return None


def test_the_shipped_rule_sets_differ_where_the_tests_rely_on_it() -> None:
    assert CN.require_fees().pool_fee_cap_bps > SZ.require_fees().pool_fee_cap_bps
    cn, gd = CN.require_pools(), GD.require_pools()
    assert cn.lock_in_days_max > gd.lock_in_days_max
    assert cn.withdrawal_notice_days_max > gd.withdrawal_notice_days_max
    assert cn.payout_delay_days_max > gd.payout_delay_days_max
    assert set(cn.disclosures) < set(gd.disclosures)
    for rule_set in BOOK.rule_sets():
        assert rule_set.require_pools().sale_below_floor_allowed is False
        assert _code(FAIR, rule_set) is None
        assert "pools.lock_in_days_max" in rule_set.assumptions()


def test_a_fee_above_the_cap_is_refused_by_each_jurisdictions_cap() -> None:
    fee = replace(FAIR, fee_bps=900)  # under CN's 1,000 bps, above SZ's 800
    assert _code(fee, CN) is None
    assert _code(fee, SZ) == "fee_above_cap"
    assert _code(replace(FAIR, fee_bps=1_001), CN) == "fee_above_cap"


@pytest.mark.parametrize(
    ("field", "value"),
    [("lock_in_days", 120), ("withdrawal_notice_days", 10), ("payout_delay_days", 20)],
)
def test_each_longest_delay_is_the_jurisdictions_own(field: str, value: int) -> None:
    terms = replace(FAIR, **{field: value})
    assert _code(terms, CN) is None  # within the national limits
    with pytest.raises(PctradeError) as err:
        check_terms(terms, GD)  # beyond Guangdong's
    assert err.value.code == "terms_manifestly_unfair"
    assert f"rule {field}_max of rule set GD/2022-05-06" in err.value.message
    too_long = replace(FAIR, **{field: getattr(CN.require_pools(), f"{field}_max") + 1})
    assert _code(too_long, CN) == "terms_manifestly_unfair"


def test_mandatory_disclosures_are_each_jurisdictions_list() -> None:
    silent = replace(FAIR, sale_schedule="")  # GD requires the schedule, CN does not
    assert _code(silent, CN) is None
    with pytest.raises(PctradeError) as err:
        check_terms(silent, GD)
    assert "disclosures.sale_schedule" in err.value.message
    no_floor = replace(FAIR, floor_fen_per_t=None)  # both require the floor
    assert _code(no_floor, CN) == _code(no_floor, GD) == "terms_manifestly_unfair"


def test_a_rule_set_may_never_allow_a_sale_below_the_floor() -> None:
    source = (resources.files("pctrade.rules") / "data" / "CN" / "2021-02-01.toml").read_text(
        encoding="utf-8"
    )
    never = "sale_below_floor_allowed = false"
    assert never in source
    with pytest.raises(RuleSetError, match="disclosed floor"):
        load_text(source.replace(never, "sale_below_floor_allowed = true"))
    with pytest.raises(RuleSetError, match="not a pool term"):
        load_text(source.replace('disclosures = ["floor', 'disclosures = ["fee_bps", "floor'))


@pytest.mark.parametrize(
    "body",
    [
        {"admitted": ["CCER-CN"], "fee_bps": 1},  # not personal credits
        {"admitted": [], "fee_bps": 1},
        {"admitted": ["PCER"], "fee_bps": -1},
        {"admitted": ["PCER"], "fee_bps": 1, "draw_order": "lottery"},
        {"admitted": ["PCER"], "fee_bps": 1, "lock_in_days": 10**6},
        {"admitted": ["PCER"], "fee_bps": 1, "surprise": 1},
        {"admitted": ["PCER", "PCER"], "fee_bps": 1},
    ],
)
def test_malformed_terms_are_refused_before_any_rule(body: dict[str, object]) -> None:
    with pytest.raises(PctradeError) as err:
        Terms.from_json(body)
    assert err.value.code == "bad_terms"


def test_terms_admit_by_instrument_series_or_batch() -> None:
    batch = Denomination.parse("PCER-GD-CI-2026Q3-001")
    assert Terms(("PCER",), 0).admits(batch)
    assert Terms(("PCER-GD-CI-2026Q3",), 0).admits(batch)
    assert Terms(("PCER-GD-CI-2026Q3-001",), 0).admits(batch)
    assert not Terms(("PCER-SZ",), 0).admits(batch)
    assert not Terms(("PCER-GD-C",), 0).admits(batch)  # a whole field, not a prefix


# ---- withdrawals, pure ------------------------------------------------------------------
def _at(day: int) -> datetime:
    return datetime(2026, 7, day, tzinfo=UTC)


def test_a_withdrawal_takes_the_oldest_unlocked_deposits_first() -> None:
    lots = [Unsold(7, 1, 300, _at(2)), Unsold(9, 1, 500, _at(1)), Unsold(12, 1, 400, _at(20))]
    draws = draws_for_withdrawal(lots, 600, _at(10), 10_000)
    assert draws == [Draw(7, 1, 300), Draw(9, 1, 300)]
    codes = []
    for grams, free in ((1_201, 10_000), (900, 10_000), (600, 500)):
        with pytest.raises(PctradeError) as err:
            draws_for_withdrawal(lots, grams, _at(10), free)
        codes.append(err.value.code)
    assert codes == ["pool_units_sold", "pool_units_locked", "pool_units_committed"]
    missing = [Unsold(7, 1, 300, _at(2), notice_missing=True)]
    with pytest.raises(PctradeError, match="notice") as err:
        draws_for_withdrawal(missing, 1, _at(10), 10_000)
    assert err.value.code == "pool_units_locked"


# ---- replay checks ----------------------------------------------------------------------
def _stored(plan: Plan, seq: int = 10) -> StoredEntry:
    header = EntryHeader(
        seq, plan.op_type, "x", "k", "r", "2026-07-01T00:00:00.000000Z", plan.payload
    )
    return StoredEntry(header, GENESIS_HASH, "h", plan.postings)


def _codes(check: object, plan: Plan) -> list[str]:
    return [p.code for p in check(_stored(plan))]  # type: ignore[operator]


def test_replay_accepts_honest_pool_entries_and_flags_forged_ones() -> None:
    version = TermsVersion("POOL-GD-0001", 1, FAIR, "GD/2022-05-06", "d" * 64, 1001, "Pool")
    terms = plan_pool_terms(version)
    deposit = plan_pool_deposit("POOL-GD-0001", 1002, 7, 300, 1)
    withdraw = plan_pool_withdraw("POOL-GD-0001", 1002, [Draw(10, 7, 100), Draw(11, 7, 50)])
    assert _codes(check_pool_terms, terms) == []
    assert _codes(check_pool_deposit, deposit) == []
    assert _codes(check_pool_withdraw, withdraw) == []
    forged_terms = Plan(
        terms.op_type, {**terms.payload, "terms": {**FAIR.to_json(), "fee_bps": 999}}
    )
    assert _codes(check_pool_terms, forged_terms) == ["pool_entry_mismatch"]
    forged_deposit = Plan(
        deposit.op_type, {**deposit.payload, "quantity_g": 30}, deposit.postings, holds=()
    )
    assert _codes(check_pool_deposit, forged_deposit) == ["pool_entry_mismatch"]
    other = plan_pool_withdraw("POOL-GD-0001", 1002, [Draw(10, 7, 100)])
    forged_withdraw = Plan(
        withdraw.op_type, {**withdraw.payload, "quantity_g": 100}, other.postings, holds=()
    )
    assert _codes(check_pool_withdraw, forged_withdraw) == ["pool_entry_mismatch"]
