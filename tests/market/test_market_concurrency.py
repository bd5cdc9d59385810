"""Sixteen clients on one contract, through two market services (two "processes", each
with its own cached books) over one PostgreSQL database: placing, amending, cancelling.

Afterwards: no negative holding, cash and credits conserved, what is frozen for orders
is exactly the open orders' remaining reservations (``verify``'s market audit), the
book is not crossed, and ``verify`` passes.
"""

from __future__ import annotations

import random
import threading

import pytest
import sqlalchemy as sa
from market_world import CONTRACT, T, build_market

from pctrade import bootstrap
from pctrade.bootstrap.contexts import verify
from pctrade.kernel.errors import PctradeError
from pctrade.ledger.model import State
from pctrade.ledger.sql import schema
from pctrade.ledger.sql.store import SqlStore
from pctrade.market import queries
from pctrade.market.commands import AmendOrder, CancelOrder, PlaceOrder
from pctrade.market.service import Market

CLIENTS = 16
OPS = 25
TRADERS = ("alice", "bob", "plat", "steel")


def _totals(store: SqlStore) -> dict[int, int]:
    """Per asset, what holder accounts hold available or frozen."""
    b = schema.balances.c
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(b.asset_id, sa.func.sum(b.amount))
            .where(b.state.in_([int(State.AVAILABLE), int(State.FROZEN)]))
            .group_by(b.asset_id)
        )
        return {int(a): int(s) for a, s in rows}


def _client(market: Market, accounts: dict[str, int], n: int, errors: list[BaseException]) -> None:
    rng = random.Random(n)
    who = TRADERS[n % len(TRADERS)]
    mine: list[int] = []
    try:
        for i in range(OPS):
            key = f"c{n}-{i}"
            roll = rng.random()
            try:
                if mine and roll < 0.2:
                    market.cancel(
                        who, key, CancelOrder(CONTRACT, mine.pop(rng.randrange(len(mine))))
                    )
                elif mine and roll < 0.4:
                    oid = rng.choice(mine)
                    price = rng.randrange(5_950, 6_051, 10)
                    market.amend(who, key, AmendOrder(CONTRACT, oid, price, rng.randint(1, 4) * T))
                else:
                    side = "buy" if who == "steel" or rng.random() < 0.5 else "sell"
                    price = rng.randrange(5_950, 6_051, 10)
                    order = PlaceOrder(
                        CONTRACT, accounts[who], f"o{n}-{i}", side, price, rng.randint(1, 3) * T
                    )
                    mine.append(int(market.place(who, key, order)["order_id"]))
            except PctradeError:
                pass  # a refusal (filled, short of funds, T+1 …) changes nothing
    except BaseException as exc:  # reported to the test's thread
        errors.append(exc)


@pytest.mark.pg
def test_sixteen_clients_on_one_contract_keep_every_invariant(pg_store: SqlStore) -> None:
    w = build_market(pg_store)
    second = bootstrap.build(pg_store, clock=w.clock)  # another worker process's services
    markets = (w.market, second.market)
    before = _totals(pg_store)
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_client, args=(markets[n % 2], w.accounts, n, errors))
        for n in range(CLIENTS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _totals(pg_store) == before  # per asset: cash (fees in the fee account) and credits
    with pg_store.engine.connect() as conn:
        b = schema.balances.c
        negative = conn.execute(
            sa.select(sa.func.count()).where(
                b.amount < 0, b.state.in_([int(State.AVAILABLE), int(State.FROZEN)])
            )
        ).scalar_one()
    assert negative == 0
    depth = queries.depth(pg_store, CONTRACT)
    if depth["bids"] and depth["asks"]:
        assert depth["bids"][0]["price_fen_per_t"] < depth["asks"][0]["price_fen_per_t"]
    trades = queries.trades(pg_store, CONTRACT, limit=500)
    assert trades, "the flow crossed: some orders must have filled"
    report = verify(pg_store)
    assert report.ok, report.problems
    # both services' books agree with the registry once each has caught up
    for market in markets:
        market.place(
            "steel",
            f"sync-{id(market)}",
            PlaceOrder(CONTRACT, w.accounts["steel"], f"z{id(market)}", "buy", 5_400, T),
        )
        cached, rebuilt = market.book_state(CONTRACT)
        assert cached == rebuilt
