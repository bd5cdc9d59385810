"""A platform sells its pool's units on the order book (issue 14, item 3), SQLite and
PostgreSQL.

A pool sell freezes nothing: the units stay in the contributors' holds until a buyer's
cash takes them, in one ``pool_settle`` entry per fill that draws the holds pro rata,
delivers the grams to the buyer and pays each contributor their exact share, the
platform its fee and the market both trade fees. The market refuses a pool sell above
the pool's free units less what its open sells claim, below the floor, or by anyone but
the pool's platform on its own account; cancelling, amending or expiring a pool sell
releases no hold. Every refusal leaves every table as it was.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from pool_venue_world import (
    BATCH,
    BPS,
    CONTRACT,
    DAY,
    G_PER_T,
    PLATFORM,
    TRADE_FEE_BPS,
    VenueWorld,
    at,
    balances,
    build,
    cash,
    committed,
    expected_sale,
    holds,
    left,
    refused,
)

from pctrade.bootstrap.contexts import verify
from pctrade.ledger.model import State, SystemAccount
from pctrade.ledger.sql.store import SqlStore
from pctrade.market import queries
from pctrade.market.commands import AmendOrder, CancelOrder, CloseDay
from pctrade.market.sql import store as mdb
from pctrade.pools import commands as pc
from pctrade.pools.sql.schema import deposits_held, pool_deposits, sold_g
from personal_credits import issue_pcer
from table_snapshot import everything


@pytest.fixture
def w(any_store: SqlStore) -> VenueWorld:
    return build(any_store)


def _asset(w: VenueWorld) -> int:
    with w.store.reader() as uow:
        batch = uow.batch_named(BATCH)
    assert batch is not None
    return batch.asset_id


def _deposits(w: VenueWorld) -> dict[int, tuple[int, int]]:
    """Each deposit's (sold, withdrawn) grams."""
    d = pool_deposits.c
    with w.store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(d.deposit_id, sold_g.label("sold_g"), d.withdrawn_g).select_from(
                deposits_held
            )
        )
        return {int(r.deposit_id): (int(r.sold_g), int(r.withdrawn_g)) for r in rows}


def test_a_pool_sell_fills_a_buy_and_pays_every_contributor_exactly(w: VenueWorld) -> None:
    m, acc, asset = w.app.market, w.accounts, _asset(w)
    before = left(w)
    steel_cash = cash(w.store, acc["steel"])
    placed = m.place(PLATFORM, "s1", w.sell("p1", 8_000, 300_000))
    assert placed["state"] == "open" and len(placed["entries"]) == 0  # nothing frozen
    assert committed(w) == 300_000
    bought = m.place("steel", "b1", w.buy("steel", "b1", 8_000, 300_000))
    assert bought["state"] == "filled" and len(bought["trades"]) == 1
    assert bought["entries"][-1] == max(bought["entries"])
    drawn, paid, gross, trade_fee, pool_fee = expected_sale(w, 8_000, 300_000, before)
    after = left(w)
    for name in before:
        assert before[name] - after[name] == drawn[name]
        assert cash(w.store, acc[name]) == paid[name]
    assert sum(paid.values()) == gross - trade_fee - pool_fee
    assert cash(w.store, acc[PLATFORM]) == pool_fee
    assert cash(w.store, SystemAccount.FEES) == 2 * trade_fee
    assert cash(w.store, acc["steel"]) == steel_cash - gross - trade_fee
    assert cash(w.store, acc["steel"], State.FROZEN) == 0  # the buy's hold paid exactly
    assert balances(w.store)[(acc["steel"], asset, int(State.AVAILABLE))] == 300_000
    sold = _deposits(w)
    assert {n: sold[w.deposits[n]][0] for n in before} == drawn
    trade = queries.trades(w.store, CONTRACT)[0]
    assert (trade["price_fen_per_t"], trade["quantity_g"]) == (8_000, 300_000)
    with w.store.reader() as uow:
        entry = uow.entry(int(trade["entry_seq"]))
    assert entry is not None and entry.header.op_type == "pool_settle"
    assert committed(w) == 0
    report = verify(w.store)
    assert report.ok, report.problems


def test_a_pool_sell_takes_a_resting_buy_whose_rest_stays_reserved(w: VenueWorld) -> None:
    m, acc = w.app.market, w.accounts
    m.place("steel", "b1", w.buy("steel", "b1", 8_100, 500_000))
    frozen = cash(w.store, acc["steel"], State.FROZEN)
    sold = m.place(PLATFORM, "s1", w.sell("p1", 8_000, 200_000))
    assert sold["state"] == "filled"
    trade = queries.trades(w.store, CONTRACT)[0]
    assert trade["price_fen_per_t"] == 8_100  # the resting buy's price
    gross = 8_100 * 200_000 // G_PER_T
    fee = gross * TRADE_FEE_BPS // BPS
    # The buy's hold keeps the reservation of its 300 kg still open, and nothing more.
    rest = 8_100 * 300_000 // G_PER_T
    assert cash(w.store, acc["steel"], State.FROZEN) == rest + rest * TRADE_FEE_BPS // BPS
    assert cash(w.store, acc["steel"], State.FROZEN) <= frozen - gross - fee
    report = verify(w.store)
    assert report.ok, report.problems


def test_a_pool_sell_above_its_free_units_is_refused_and_moves_nothing(w: VenueWorld) -> None:
    m = w.app.market
    free = sum(left(w).values())  # 1,240,000 g
    refused(w, "exceeds_pool", lambda: m.place(PLATFORM, "s1", w.sell("p1", 8_000, 1_250_000)))
    m.place(PLATFORM, "s2", w.sell("p2", 8_000, 1_000_000))
    # Open sells claim their remaining: a second sell gets only what is left beside them.
    refused(w, "exceeds_pool", lambda: m.place(PLATFORM, "s3", w.sell("p3", 8_000, 250_000)))
    assert m.place(PLATFORM, "s4", w.sell("p4", 8_100, 240_000))["state"] == "open"
    assert committed(w) == free
    report = verify(w.store)
    assert report.ok, report.problems


def test_only_the_pools_platform_sells_its_units_at_or_above_its_floor(w: VenueWorld) -> None:
    m, acc = w.app.market, w.accounts
    cases: list[tuple[str, str, Any]] = [
        ("not_pool_platform", "otherplat", w.sell("o1", 8_000, 10_000, account=acc["otherplat"])),
        ("unknown_pool", PLATFORM, w.sell("u1", 8_000, 10_000, pool="POOL-GD-0099")),
        ("pool_sells_only", PLATFORM, w.sell("b1", 8_000, 10_000, side="buy")),
        ("bad_batches", PLATFORM, w.sell("n1", 8_000, 10_000, batches=(BATCH,))),
        ("below_floor", PLATFORM, w.sell("f1", 7_400, 10_000)),
    ]
    for code, actor, cmd in cases:
        refused(w, code, lambda actor=actor, cmd=cmd, key=f"k-{code}": m.place(actor, key, cmd))


def test_amending_and_cancelling_a_pool_sell_release_no_holds(w: VenueWorld) -> None:
    m = w.app.market
    before = holds(w.store)
    placed = m.place(PLATFORM, "s1", w.sell("p1", 8_000, 400_000))
    oid = int(placed["order_id"])
    amend = AmendOrder(CONTRACT, oid, 8_000, 1_300_000)
    refused(w, "exceeds_pool", lambda: m.amend(PLATFORM, "a0", amend))
    below = AmendOrder(CONTRACT, oid, 7_400, 400_000)
    refused(w, "below_floor", lambda: m.amend(PLATFORM, "a1", below))
    grown = m.amend(PLATFORM, "a2", AmendOrder(CONTRACT, oid, 8_000, 1_240_000))
    assert grown["entries"] == [] and committed(w) == 1_240_000
    shrunk = m.amend(PLATFORM, "a3", AmendOrder(CONTRACT, oid, 8_100, 100_000))
    assert shrunk["entries"] == [] and committed(w) == 100_000
    cancelled = m.cancel(PLATFORM, "c1", CancelOrder(CONTRACT, oid))
    assert cancelled["state"] == "cancelled" and cancelled["entries"] == []
    assert holds(w.store) == before and committed(w) == 0
    report = verify(w.store)
    assert report.ok, report.problems


def test_units_an_open_pool_sell_counts_on_cannot_be_withdrawn(w: VenueWorld) -> None:
    m, acc = w.app.market, w.accounts
    free = sum(left(w).values())
    placed = m.place(PLATFORM, "s1", w.sell("p1", 8_000, 1_000_000))
    bob = pc.WithdrawFromPool(w.pool_id, acc["bob"], 411_007)
    # Only 240,000 g of the pool are free beside the sell.
    refused(w, "pool_units_committed", lambda: w.app.pools.withdraw("bob", "w1", bob))
    w.app.pools.withdraw("bob", "w2", pc.WithdrawFromPool(w.pool_id, acc["bob"], 240_000))
    assert sum(left(w).values()) == free - 240_000
    m.cancel(PLATFORM, "c1", CancelOrder(CONTRACT, int(placed["order_id"])))
    w.app.pools.withdraw("bob", "w3", pc.WithdrawFromPool(w.pool_id, acc["bob"], 171_007))
    report = verify(w.store)
    assert report.ok, report.problems


def test_the_close_expires_a_pool_sell_and_releases_nothing(w: VenueWorld) -> None:
    m = w.app.market
    m.place(PLATFORM, "s1", w.sell("p1", 8_000, 500_000))
    before = holds(w.store)
    w.clock.now = at(DAY, 15, 30)
    closed = m.close_day("registry", "close-1", CloseDay(CONTRACT, DAY.isoformat()))
    assert closed["entries"] == []
    assert holds(w.store) == before and committed(w) == 0
    with w.store.reader() as uow:
        contract = mdb.contract(uow, CONTRACT)
        assert contract is not None
        orders = mdb.orders_of_day(uow, int(contract["contract_id"]), DAY.isoformat())
    assert [(o["pool_id"], o["state"]) for o in orders] == [(w.pool_id, "expired")]
    report = verify(w.store)
    assert report.ok, report.problems


def test_a_pool_sell_replays_by_its_key(w: VenueWorld) -> None:
    m = w.app.market
    first = m.place(PLATFORM, "s1", w.sell("p1", 8_000, 100_000))
    before = everything(w.store)
    again = m.place(PLATFORM, "s1", w.sell("p1", 8_000, 100_000))
    assert again["replayed"] and again["order_id"] == first["order_id"]
    assert everything(w.store) == before


def test_the_daily_statements_reconcile_around_a_pool_sale(w: VenueWorld) -> None:
    m, acc = w.app.market, w.accounts
    m.place(PLATFORM, "s1", w.sell("p1", 8_000, 300_000))
    m.place("steel", "b1", w.buy("steel", "b1", 8_000, 300_000))
    day = DAY.isoformat()
    reports = w.app.market_reports
    steel = reports.statement("steel", acc["steel"], day)
    assert [(x["side"], x["quantity_g"]) for x in steel["lines"]] == [("buy", 300_000)]
    assert steel["settled"] == {"cash_fen": steel["net_cash_fen"], "credits_g": 300_000}
    # The platform sold as the pool's agent, the contributors were paid in the same entry:
    # the pools report the sale to them, their market statements hold no line for it.
    for who in (PLATFORM, "alice", "bob", "chen"):
        st = reports.statement("registry", acc[who], day)
        assert st["lines"] == [] and st["settled"] == {"cash_fen": 0, "credits_g": 0}, who


def test_a_pool_that_holds_another_contracts_units_cannot_place_a_sell(w: VenueWorld) -> None:
    """The pool admits every PCER-GD batch, so a later quarter's units may join it; a sell
    on the 2026Q3 contract would then draw them too, and is refused when it is placed, not
    only at its fill."""
    m, acc = w.app.market, w.accounts
    later = issue_pcer(w.app, {acc["alice"]: 50_000}, day=date(2026, 10, 15), key="q4")
    assert later != BATCH
    w.app.pools.deposit("alice", "dep-q4", pc.DepositToPool(w.pool_id, acc["alice"], later, 50_000))
    refused(
        w, "pool_not_of_contract", lambda: m.place(PLATFORM, "s1", w.sell("p1", 8_000, 100_000))
    )
    report = verify(w.store)
    assert report.ok, report.problems
