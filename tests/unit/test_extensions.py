"""A context registers op types, checks and trackers with the ledger; replay runs them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from journal_support import chain, history

from pctrade.bootstrap.contexts import CONTEXTS
from pctrade.compliance.model import ComplianceOp
from pctrade.energy.model import EnergyOp
from pctrade.inclusive.model import InclusiveOp
from pctrade.ledger.extensions import (
    Context,
    OperationType,
    RegistrationError,
    checked,
    replay_for,
)
from pctrade.ledger.invariants import Problem, StoredEntry
from pctrade.ledger.operations import OpType, Plan
from pctrade.market.model import MarketOp
from pctrade.pools.model import PoolOp

STAMP = "toy_stamp"


def _check_stamp(entry: StoredEntry) -> Iterator[Problem]:
    if entry.header.payload.get("ink") != "red":
        yield Problem("toy_ink", "a stamp must be red", entry.header.seq)


class _CountStamps:
    """A tracker: needs the whole history (at most two stamps in all)."""

    def __init__(self) -> None:
        self.stamps = 0

    def feed(self, entry: StoredEntry) -> Iterator[Problem]:
        self.stamps += entry.header.op_type == STAMP
        return iter(())

    def finish(self) -> Iterator[Problem]:
        if self.stamps > 2:
            yield Problem("toy_too_many", f"{self.stamps} stamps")


TOY = Context(
    "toy", operations=(OperationType(STAMP, check=_check_stamp),), trackers=(_CountStamps,)
)


def _replayed(inks: list[str], contexts: tuple[Context, ...]) -> list[tuple[str, int | None]]:
    stamps = [Plan(STAMP, {"ink": ink}) for ink in inks]
    r = replay_for(contexts)
    for entry in chain([*history(), *stamps]):
        r.feed(entry)
    r.finish(r.balances.items(), r.holds.items(), r.issued.items(), r.grants.items())
    return [(p.code, p.seq) for p in r.problems]


def test_a_registered_op_type_is_checked_on_replay_and_only_its_own_entries() -> None:
    assert _replayed(["red", "blue"], (*CONTEXTS, TOY)) == [("toy_ink", 8)]


def test_a_registered_tracker_sees_every_entry_and_reports_when_finished() -> None:
    assert _replayed(["red"] * 3, (*CONTEXTS, TOY)) == [("toy_too_many", None)]


def test_an_op_type_nobody_registered_is_not_checked() -> None:
    assert _replayed(["blue"] * 3, tuple(CONTEXTS)) == []


def test_the_shipped_op_types_are_each_registered_once() -> None:
    registered = [op.name for context in CONTEXTS for op in context.operations]
    shipped = [*OpType, *EnergyOp, *InclusiveOp, *MarketOp, *PoolOp, *ComplianceOp]
    assert sorted(registered) == sorted(shipped)


def test_a_context_cannot_claim_an_op_type_another_registered() -> None:
    thief = Context("thief", operations=(OperationType(OpType.TRANSFER),))
    with pytest.raises(RegistrationError, match="'transfer' registered by 'ledger' and 'thief'"):
        checked((*CONTEXTS, thief))
    with pytest.raises(RegistrationError, match="context 'toy' registered twice"):
        checked((TOY, TOY))


@pytest.mark.parametrize("name", ["", "Stamp", "toy stamp", "x" * 33])
def test_an_op_type_name_fits_the_journals_column(name: str) -> None:
    with pytest.raises(RegistrationError, match="is not 1-32 of"):
        OperationType(name)
