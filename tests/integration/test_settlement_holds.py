"""One entry draws down two holds partly (delivery versus payment), on both databases."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import pytest
from registry_world import BATCH, World, assert_verifies, build_world, snapshot

from pctrade.kernel.errors import Conflict
from pctrade.ledger import commands as c
from pctrade.ledger.model import CASH_ASSET, Party, State
from pctrade.ledger.operations import HoldChange, OpType, Plan, holds_payload
from pctrade.ledger.ports import UnitOfWork
from pctrade.ledger.postings import Posting, Postings
from pctrade.ledger.sql.store import SqlStore

CREDIT = 1  # the world's one batch


@dataclass(frozen=True, slots=True)
class Settle:
    """A test's settlement command: the plan is built directly, the key bound to it."""

    cash_hold: int
    credit_hold: int
    cash_fen: int
    credit_g: int

    def fingerprint(self) -> str:
        return json.dumps(
            ["Settle", self.cash_hold, self.credit_hold, self.cash_fen, self.credit_g]
        )


def settle(w: World, key: str, cmd: Settle, *, lean: bool = False) -> int:
    """Alice pays cash out of her hold; steel delivers credits out of its hold."""

    def planner(uow: UnitOfWork, who: Party) -> Plan:
        postings = Postings.of(
            [
                Posting(w.alice, CASH_ASSET, State.FROZEN, -cmd.cash_fen),
                Posting(w.steel, CASH_ASSET, State.AVAILABLE, cmd.cash_fen),
                Posting(w.steel, CREDIT, State.FROZEN, -cmd.credit_g),
                Posting(w.alice, CREDIT, State.AVAILABLE, cmd.credit_g),
            ]
        )
        holds = (
            HoldChange(cmd.cash_hold, w.alice, CASH_ASSET, -cmd.cash_fen),
            HoldChange(cmd.credit_hold, w.steel, CREDIT, -cmd.credit_g),
        )
        payload = {"trade": key, "holds": holds_payload(holds)}
        return Plan(OpType.TRANSFER, payload, postings=postings, holds=holds)

    return w.reg.journal.execute("registry", key, cmd, planner, lean=lean).seq


def orders(w: World) -> tuple[int, int, int]:
    """Alice freezes cash twice (two orders), steel freezes credits once."""
    cash = w.reg.freeze("alice", "f-cash", c.Freeze(w.alice, "CNY", 3_000, "pledge", "o-1")).seq
    other = w.reg.freeze("alice", "f-cash-2", c.Freeze(w.alice, "CNY", 1_000, "pledge", "o-2")).seq
    credit = w.reg.freeze("steel", "f-credit", c.Freeze(w.steel, BATCH, 200, "pledge", "o-3")).seq
    return cash, other, credit


@pytest.mark.parametrize("lean", [False, True], ids=["careful", "lean"])
def test_one_entry_draws_down_a_cash_hold_and_a_credit_hold_partly(
    any_store: SqlStore, lean: bool
) -> None:
    w = build_world(any_store)
    cash, _, credit = orders(w)
    settle(w, "dvp-1", Settle(cash, credit, 1_200, 80), lean=lean)
    _, balances, holds = snapshot(any_store)
    assert holds[cash] == 1_800 and holds[credit] == 120
    assert balances[(w.alice, CASH_ASSET, int(State.FROZEN))] == 2_800  # 1,800 + 1,000
    assert balances[(w.alice, CASH_ASSET, int(State.AVAILABLE))] == 6_000
    assert balances[(w.steel, CASH_ASSET, int(State.AVAILABLE))] == 1_200
    assert balances[(w.steel, CREDIT, int(State.FROZEN))] == 120
    assert balances[(w.steel, CREDIT, int(State.AVAILABLE))] == 300
    assert balances[(w.alice, CREDIT, int(State.AVAILABLE))] == 1_080
    assert_verifies(any_store)


@pytest.mark.parametrize("lean", [False, True], ids=["careful", "lean"])
def test_drawing_a_hold_down_beyond_it_writes_nothing(any_store: SqlStore, lean: bool) -> None:
    w = build_world(any_store)
    cash, _, credit = orders(w)
    before = snapshot(any_store)
    # Alice's frozen cash (4,000) covers it; the hold it is drawn from (3,000) does not.
    with pytest.raises(Conflict) as refused:
        settle(w, "dvp-2", Settle(cash, credit, 3_500, 80), lean=lean)
    assert refused.value.code == "exceeds_hold"
    assert snapshot(any_store) == before
    assert_verifies(any_store)


@dataclass(frozen=True, slots=True)
class DrawMany:
    holds: tuple[int, ...]
    each_fen: int
    extra_on_last: int = 0

    def fingerprint(self) -> str:
        facts = json.dumps([self.holds, self.each_fen, self.extra_on_last])
        return "DrawMany:" + hashlib.sha256(facts.encode()).hexdigest()[:32]


def draw_many(w: World, key: str, cmd: DrawMany) -> int:
    """One entry that pays steel out of many of alice's cash holds (above the keywise limit)."""

    def planner(uow: UnitOfWork, who: Party) -> Plan:
        takes = [cmd.each_fen] * len(cmd.holds)
        takes[-1] += cmd.extra_on_last
        total = sum(takes)
        postings = Postings.of(
            [
                Posting(w.alice, CASH_ASSET, State.FROZEN, -total),
                Posting(w.steel, CASH_ASSET, State.AVAILABLE, total),
            ]
        )
        holds = tuple(
            HoldChange(h, w.alice, CASH_ASSET, -take)
            for h, take in zip(cmd.holds, takes, strict=True)
        )
        return Plan(
            OpType.TRANSFER, {"holds": holds_payload(holds)}, postings=postings, holds=holds
        )

    return w.reg.journal.execute("registry", key, cmd, planner).seq


def test_an_entry_drawing_many_holds_draws_each_or_none(any_store: SqlStore) -> None:
    w = build_world(any_store)
    many = tuple(
        w.reg.freeze("alice", f"p-{i}", c.Freeze(w.alice, "CNY", 10, "pledge", f"p-{i}")).seq
        for i in range(100)
    )
    # another hold keeps the frozen balance above what the holds have left
    w.reg.freeze("alice", "p-spare", c.Freeze(w.alice, "CNY", 10, "pledge", "p-spare"))
    draw_many(w, "draw-1", DrawMany(many, 4))
    _, balances, holds = snapshot(any_store)
    assert all(holds[h] == 6 for h in many)
    assert balances[(w.steel, CASH_ASSET, int(State.AVAILABLE))] == 400
    before = snapshot(any_store)
    with pytest.raises(Conflict) as short:  # the last hold has 6 left, not 7
        draw_many(w, "draw-2", DrawMany(many, 6, extra_on_last=1))
    assert short.value.code == "exceeds_hold"
    assert snapshot(any_store) == before
    draw_many(w, "draw-3", DrawMany(many, 6))
    assert all(v == 0 for h, v in snapshot(any_store)[2].items() if h in many)
    assert_verifies(any_store)
