"""Collecting green energy, without a database: the split, the plan, and replay's checks.

Replay follows each holder's uncollected energy from the journal alone, so a collection
that takes energy older than its cutoff, or an expiry run that lapses valid energy, is
found even when its postings agree with its payload.
"""

from __future__ import annotations

import pytest

from pctrade.bootstrap.contexts import CONTEXTS
from pctrade.energy.model import (
    Collectable,
    EnergyCredit,
    EnergyLine,
    EnergyOp,
    plan_energy_collect,
    plan_energy_credit,
    plan_energy_expire,
    uncollected_split,
)
from pctrade.kernel.errors import Conflict, ValidationError
from pctrade.ledger.extensions import replay_for
from pctrade.ledger.invariants import StoredEntry
from pctrade.ledger.journal import GENESIS_HASH, EntryHeader, entry_hash, opened_digest
from pctrade.ledger.model import ENERGY_ASSET, Account, HolderType, State
from pctrade.ledger.operations import Plan
from pctrade.ledger.postings import Posting, Postings

ALICE = Account(1000, HolderType.INDIVIDUAL, "alice")
DAY1, DAY2 = "2026-06-01", "2026-06-03"
T1, T2 = "2026-06-02T00:00:00.000000Z", "2026-06-04T00:00:00.000000Z"
CUTOFF = "2026-06-03T00:00:00.000000Z"  # T1 is older, T2 younger


def _credit(day: str, grams: int) -> Plan:
    line = EnergyLine(
        day, ALICE.account_id, "alice", "metro", "metro/v1", "metro_km", "m", 1, 1, 1,
        grams * 1_000_000, 0, 0, grams, "",
    )  # fmt: skip
    return plan_energy_credit(EnergyCredit(day, ("metro/v1",), 0, [line]))


def _collect(valid: int, lapsed: int, first_seq: int = 2) -> Plan:
    found = Collectable(ALICE, valid + lapsed, valid, lapsed, first_seq, 0)
    return plan_energy_collect(found, CUTOFF, 259_200)


def _codes(plans: list[tuple[str, Plan]]) -> list[str]:
    """Replay the plans as a hash-chained journal, each at its time; the problem codes."""
    replay = replay_for(CONTEXTS)
    prev = GENESIS_HASH
    for seq, (ts, plan) in enumerate(plans, start=1):
        header = EntryHeader(seq, str(plan.op_type), "alice", f"k{seq}", "r", ts, plan.payload)
        h = entry_hash(prev, header, plan.postings.digest(), opened_digest((), ()))
        replay.feed(StoredEntry(header, prev, h, plan.postings))
        prev = h
    return [p.code for p in replay.problems]


@pytest.mark.parametrize(
    ("uncollected", "after", "split"),
    [(100, 100, (100, 0)), (100, 30, (30, 70)), (100, 0, (0, 100)), (40, 100, (40, 0))],
)
def test_the_split_lapses_what_the_balance_holds_beyond_the_recent_credits(
    uncollected: int, after: int, split: tuple[int, int]
) -> None:
    assert uncollected_split(uncollected, after) == split


def test_a_collection_moves_valid_energy_to_available_and_lapses_the_old() -> None:
    plan = _collect(30, 70)
    assert plan.op_type == EnergyOp.COLLECT
    assert list(plan.postings) == [
        Posting(1000, ENERGY_ASSET, State.UNCOLLECTED, -100),
        Posting(1000, ENERGY_ASSET, State.AVAILABLE, 30),
        Posting(1000, ENERGY_ASSET, State.EXPIRED, 70),
    ]
    assert plan.payload["collected_g"] == 30 and plan.payload["lapsed_g"] == 70
    assert len(_collect(30, 0).postings) == 2  # nothing lapses: no expired posting


def test_a_collection_of_nothing_is_refused() -> None:
    with pytest.raises(Conflict) as info:
        _collect(0, 70)
    assert info.value.code == "nothing_to_collect"
    with pytest.raises(ValidationError):
        plan_energy_collect(Collectable(ALICE, 100, 30, 30, 1, 0), CUTOFF, 1)


def test_replay_accepts_an_honest_collection_after_two_credits() -> None:
    journal = [(T1, _credit(DAY1, 70)), (T2, _credit(DAY2, 30)), (T2, _collect(30, 70))]
    assert _codes(journal) == []


def test_replay_finds_a_collection_that_took_energy_older_than_its_cutoff() -> None:
    # The postings agree with the payload, but 70 g were older than the cutoff.
    journal = [(T1, _credit(DAY1, 70)), (T2, _credit(DAY2, 30)), (T2, _collect(100, 0))]
    assert _codes(journal) == ["energy_collection_mismatch"]


def test_replay_finds_a_collection_whose_postings_differ_from_its_payload() -> None:
    honest = _collect(30, 70)
    forged = Plan(
        EnergyOp.COLLECT,
        honest.payload,
        Postings.of(
            [
                Posting(1000, ENERGY_ASSET, State.UNCOLLECTED, -100),
                Posting(1000, ENERGY_ASSET, State.AVAILABLE, 100),
            ]
        ),
    )
    journal = [(T1, _credit(DAY1, 70)), (T2, _credit(DAY2, 30)), (T2, forged)]
    assert _codes(journal) == ["energy_collection_mismatch"]


def test_replay_finds_a_collection_of_more_than_was_uncollected() -> None:
    journal = [(T2, _credit(DAY2, 30)), (T2, _collect(50, 0))]
    assert set(_codes(journal)) == {"negative_balance", "energy_collection_mismatch"}


def test_replay_finds_an_expiry_run_that_lapsed_valid_energy() -> None:
    honest = plan_energy_expire([1000], [70], CUTOFF, 259_200)
    greedy = plan_energy_expire([1000], [100], CUTOFF, 259_200)
    assert _codes([(T1, _credit(DAY1, 70)), (T2, _credit(DAY2, 30)), (T2, honest)]) == []
    codes = _codes([(T1, _credit(DAY1, 70)), (T2, _credit(DAY2, 30)), (T2, greedy)])
    assert codes == ["energy_lapse_mismatch"]
    # After an honest lapse, the collection takes the 30 g left and lapses nothing.
    after = [(T1, _credit(DAY1, 70)), (T2, _credit(DAY2, 30)), (T2, honest)]
    assert _codes([*after, (T2, _collect(30, 0, first_seq=2))]) == []
