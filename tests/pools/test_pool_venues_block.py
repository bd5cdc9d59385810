"""A platform sells its pool's units to a key emitter by block trade (大宗协议交易, issue 14
item 3), SQLite and PostgreSQL.

The platform proposes a block sell of pool units (``ProposeBlock.pool``) in the afternoon
block session: nothing is frozen, the proposal claims the pool's free units. The emitter
accepts from its own account: its cash is frozen as the desk says and the trade settles
in one ``pool_settle`` entry straight from the contributors' holds, each contributor paid
their exact share. Withdrawing or lapsing a pool proposal releases no hold.
"""

from __future__ import annotations

from typing import Any

import pytest
from pool_venue_world import (
    BPS,
    CONTRACT,
    DAY,
    G_PER_T,
    PLATFORM,
    TRADE_FEE_BPS,
    VenueWorld,
    at,
    build,
    cash,
    committed,
    expected_sale,
    holds,
    left,
    refused,
)

from pctrade.bootstrap.contexts import verify
from pctrade.kernel.errors import PctradeError
from pctrade.ledger.model import State, SystemAccount
from pctrade.ledger.sql.store import SqlStore
from pctrade.market import queries
from pctrade.market.venue_commands import AcceptBlock, ProposeBlock, WithdrawBlock
from table_snapshot import everything

T = 1_000_000  # the PCER block threshold: 1 t


@pytest.fixture
def w(any_store: SqlStore) -> VenueWorld:
    world = build(any_store)
    world.clock.now = at(DAY, 13, 30)  # the block session
    return world


def _propose(w: VenueWorld, grams: int, price: int = 8_000, **kw: Any) -> ProposeBlock:
    account = kw.pop("account", w.accounts[PLATFORM])
    side = kw.pop("side", "sell")
    pool = kw.pop("pool", w.pool_id)
    return ProposeBlock(CONTRACT, account, "steel", side, grams, price, 900, pool=pool)


def test_a_block_of_pool_units_to_a_key_emitter_settles_in_one_entry(w: VenueWorld) -> None:
    blocks, acc = w.app.blocks, w.accounts
    before = left(w)
    steel_cash = cash(w.store, acc["steel"])
    proposed = blocks.propose(PLATFORM, "b1", _propose(w, T))
    assert proposed["entries"] == [] and committed(w) == T
    w.clock.now = at(DAY, 13, 40)
    pid = int(proposed["proposal_id"])
    accepted = blocks.accept("steel", "b2", AcceptBlock(CONTRACT, pid, acc["steel"]))
    assert accepted["state"] == "agreed" and len(accepted["entries"]) == 2  # freeze, settle
    drawn, paid, gross, trade_fee, pool_fee = expected_sale(w, 8_000, T, before)
    after = left(w)
    for name in before:
        assert before[name] - after[name] == drawn[name]
        assert cash(w.store, acc[name]) == paid[name]
    assert cash(w.store, acc[PLATFORM]) == pool_fee
    assert cash(w.store, SystemAccount.FEES) == 2 * trade_fee
    assert cash(w.store, acc["steel"]) == steel_cash - gross - trade_fee
    assert cash(w.store, acc["steel"], State.FROZEN) == 0
    assert gross == 8_000 * T // G_PER_T and trade_fee == gross * TRADE_FEE_BPS // BPS > 0
    with w.store.reader() as uow:
        entry = uow.entry(accepted["entries"][-1])
    assert entry is not None and entry.header.op_type == "pool_settle"
    assert entry.header.payload["venue"] == "block"
    assert committed(w) == 0
    report = verify(w.store)
    assert report.ok, report.problems
    trades = queries.trades(w.store, CONTRACT)
    assert [(t["quantity_g"], t["entry_seq"]) for t in trades] == [(T, entry.seq)]


def test_a_pool_block_is_refused_above_free_below_floor_or_by_another(w: VenueWorld) -> None:
    blocks, acc = w.app.blocks, w.accounts
    cases: list[tuple[str, str, ProposeBlock]] = [
        ("exceeds_pool", PLATFORM, _propose(w, 2 * T)),
        ("below_floor", PLATFORM, _propose(w, T, price=7_400)),
        ("pool_sells_only", PLATFORM, _propose(w, T, side="buy")),
        ("not_pool_platform", "otherplat", _propose(w, T, account=acc["otherplat"])),
        ("unknown_pool", PLATFORM, _propose(w, T, pool="POOL-GD-0099")),
        ("block_below_threshold", PLATFORM, _propose(w, T - 10_000)),
    ]
    for code, actor, cmd in cases:
        refused(
            w, code, lambda actor=actor, cmd=cmd, key=f"k-{code}": blocks.propose(actor, key, cmd)
        )


def test_an_open_pool_proposal_claims_units_and_its_withdrawal_releases_none(
    w: VenueWorld,
) -> None:
    blocks, m = w.app.blocks, w.app.market
    before = holds(w.store)
    proposed = blocks.propose(PLATFORM, "b1", _propose(w, T))
    # The book's sell of the same pool gets only what the proposal leaves free.
    sell = w.sell("s1", 8_000, 250_000)
    refused(w, "exceeds_pool", lambda: m.place(PLATFORM, "s1", sell))
    pid = int(proposed["proposal_id"])
    withdrawn = blocks.withdraw(PLATFORM, "b2", WithdrawBlock(CONTRACT, pid))
    assert withdrawn["state"] == "withdrawn" and withdrawn["entries"] == []
    assert holds(w.store) == before and committed(w) == 0
    assert m.place(PLATFORM, "s2", w.sell("s2", 8_000, 250_000))["state"] == "open"
    report = verify(w.store)
    assert report.ok, report.problems


def test_an_acceptance_without_the_cash_is_refused_and_moves_nothing(w: VenueWorld) -> None:
    blocks, acc, reg = w.app.blocks, w.accounts, w.app.registry
    from pctrade.ledger import commands as c

    steel_cash = cash(w.store, acc["steel"])
    reg.withdraw("steel", "wd-steel", c.Withdraw(acc["steel"], steel_cash - 100, "bank-steel"))
    pid = int(blocks.propose(PLATFORM, "b1", _propose(w, T))["proposal_id"])
    before = everything(w.store)
    with pytest.raises(PctradeError) as exc:
        blocks.accept("steel", "b2", AcceptBlock(CONTRACT, pid, acc["steel"]))
    assert exc.value.code == "insufficient_funds"
    assert everything(w.store) == before
