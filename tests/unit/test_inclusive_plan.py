"""The carbon-inclusive entry: credits equal to energy spent, per person, checked by replay."""

from __future__ import annotations

from array import array
from datetime import date

import pytest
from journal_support import chain

from pctrade.bootstrap.contexts import CONTEXTS
from pctrade.energy.model import (
    Collectable,
    EnergyCredit,
    EnergyLine,
    plan_energy_collect,
    plan_energy_credit,
)
from pctrade.inclusive.claim import Claim, Period, apply_minimum, denomination
from pctrade.inclusive.model import InclusiveIssue, InclusiveOp, plan_inclusive_issue
from pctrade.kernel.errors import PctradeError
from pctrade.ledger.extensions import replay_for
from pctrade.ledger.invariants import Replay
from pctrade.ledger.model import (
    ENERGY_ASSET,
    Account,
    Batch,
    Denomination,
    HolderType,
    Party,
    Role,
    State,
    SystemAccount,
)
from pctrade.ledger.operations import Plan, plan_genesis, plan_open_accounts
from pctrade.ledger.postings import Postings

BATCH = Batch(1, Denomination.parse("PCER-GD-CI-2026Q2-001"), 500, 0)
WHY = InclusiveIssue(7, "GD/2022-05-06", ("bus/v1", "walking/v1"))


def _line(account_id: int, grams: int) -> EnergyLine:
    return EnergyLine(
        "2026-06-30", account_id, str(account_id), "bus", "bus/v1", "bus_trip", "trip",
        1, 1, grams * 10**6, grams * 10**6, 0, 0, grams, "",
    )  # fmt: skip


def _replay(plans: list[Plan]) -> Replay:
    """Feed the chained plans (the credit's lines are the energy audit's, not replay's)."""
    replay = replay_for(CONTEXTS)
    for stored in chain(plans):
        replay.feed(stored)
    return replay


def _collections(credit: Plan) -> list[Plan]:
    """Each person collects what the credit brought (only collected energy is spent)."""
    plans = []
    for (account_id, _, state), grams in credit.postings.net_by_key().items():
        if state == State.UNCOLLECTED:
            found = Collectable(
                Account(account_id, HolderType.INDIVIDUAL, str(account_id)), grams, grams, 0, 3, 0
            )
            plans.append(plan_energy_collect(found, "2000-01-01T00:00:00.000000Z", 259_200))
    return plans


def _history(issue: Plan, credit: EnergyCredit | None = None) -> list[Plan]:
    parties = [Party("alice", Role.INDIVIDUAL, "A"), Party("bob", Role.INDIVIDUAL, "B")]
    if credit is None:
        lines = [_line(1000, 400), _line(1001, 300)]
        credit = EnergyCredit("2026-06-30", ("bus/v1",), 0, lines)
    credited = plan_energy_credit(credit)
    opened = plan_open_accounts(parties, 1000)
    return [plan_genesis(), opened, credited, *_collections(credited), issue]


def test_the_entry_spends_each_persons_energy_and_issues_them_the_same_grams() -> None:
    plan = plan_inclusive_issue(BATCH, [1000, 1001], [300, 200], WHY)
    assert plan.op_type == InclusiveOp.ISSUE
    net = plan.postings.net_by_key()
    assert net[(SystemAccount.ISSUANCE, 1, State.SOURCE)] == -500
    assert net[(1000, 1, State.AVAILABLE)] == 300
    assert net[(1000, ENERGY_ASSET, State.AVAILABLE)] == -300
    assert net[(1000, ENERGY_ASSET, State.SPENT)] == 300
    assert net[(1001, ENERGY_ASSET, State.SPENT)] == 200
    assert plan.payload["rule_set"] == "GD/2022-05-06"
    assert plan.payload["methodologies"] == ["bus/v1", "walking/v1"]
    assert plan.payload["batch"]["issued_g"] == plan.payload["energy_spent_g"] == 500
    replay = _replay(_history(plan))
    assert replay.problems == []
    assert replay.balances[(1000, ENERGY_ASSET, State.AVAILABLE)] == 100
    assert replay.issued[1] == 500


@pytest.mark.parametrize(
    ("ids", "amounts", "code"),
    [
        ([], [], "missing_field"),
        ([1000, 1000], [300, 200], "duplicate_recipient"),
        ([1000, 1001], [500, 0], "non_positive"),
        ([1000, 1001], [300, 100], "unbalanced"),
        ([1000], [300, 200], "bad_request"),
    ],
)
def test_a_malformed_issue_is_refused(ids: list[int], amounts: list[int], code: str) -> None:
    with pytest.raises(PctradeError) as exc:
        plan_inclusive_issue(BATCH, ids, amounts, WHY)
    assert exc.value.code == code


def test_replay_finds_credits_that_no_energy_backs() -> None:
    honest = plan_inclusive_issue(BATCH, [1000, 1001], [300, 200], WHY)
    p = honest.postings
    # Bob is credited 200 g but alice's energy pays for all 500 g: still balanced per
    # asset, so only the per-person check can see it.
    deltas = array("q", p.deltas)
    energy_rows = [i for i, a in enumerate(p.assets) if a == ENERGY_ASSET]
    for i in energy_rows:
        if p.accounts[i] == 1001:
            deltas[i] = 0
    keep = [i for i in range(len(deltas)) if deltas[i] != 0]
    alice_rows = [i for i in energy_rows if p.accounts[i] == 1000]
    for i in alice_rows:
        deltas[i] = 500 if deltas[i] > 0 else -500
    forged = Postings(
        array("q", (p.accounts[i] for i in keep)),
        array("q", (p.assets[i] for i in keep)),
        array("q", (p.states[i] for i in keep)),
        array("q", (deltas[i] for i in keep)),
    )
    plan = Plan(InclusiveOp.ISSUE, honest.payload, forged, batch=BATCH)
    credit = EnergyCredit("2026-06-30", ("bus/v1",), 0, [_line(1000, 600), _line(1001, 300)])
    replay = _replay(_history(plan, credit))
    assert [p.code for p in replay.problems] == ["inclusive_mismatch"]


def test_the_minimum_keeps_people_at_or_above_it_and_counts_the_rest() -> None:
    claim = Claim(*(array("q", col) for col in ([1, 2, 3], [999, 1000, 5000], [9] * 3,
                                                 [0, 1, 2], [9] * 3, [0, 1, 2])))  # fmt: skip
    kept, below = apply_minimum(claim, 1000)
    assert (list(kept.account_ids), list(kept.amounts_g), below) == ([2, 3], [1000, 5000], 1)
    assert list(kept.first_idx) == [1, 2]
    assert kept.digest() != claim.digest() and apply_minimum(kept, 1000)[0] is kept


def test_batch_names_count_serials_per_quarter() -> None:
    june = Period(date(2026, 6, 1), date(2026, 6, 30))
    assert denomination("GD", june, 2) == "PCER-GD-CI-2026Q2-002"
    with pytest.raises(PctradeError) as exc:
        denomination("GD", june, 1000)
    assert exc.value.code == "full"
