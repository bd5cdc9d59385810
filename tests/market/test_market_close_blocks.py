"""The day's close ends the day's block proposals still open: they lapse, and the hold
of each is released exactly, in the close's own command."""

from __future__ import annotations

import sqlalchemy as sa
from market_world import at, holdings
from venue_world import CONTRACT, DAY, T, build_venues

from pctrade.bootstrap.contexts import verify
from pctrade.ledger.model import CASH_ASSET, State
from pctrade.ledger.sql.store import SqlStore
from pctrade.market.commands import CloseDay
from pctrade.market.sql import venues as vdb
from pctrade.market.venue_commands import ProposeBlock

QTY = 100_000 * T  # the national threshold


def _frozen(store: SqlStore, account: int, cash: bool) -> int:
    balances, _ = holdings(store)
    return sum(
        v
        for (acc, asset, state), v in balances.items()
        if acc == account and (asset == CASH_ASSET) == cash and state == int(State.FROZEN)
    )


def _nonzero(store: SqlStore) -> dict[tuple[int, int, int], int]:
    return {k: v for k, v in holdings(store)[0].items() if v}


def test_the_close_lapses_the_day_s_open_proposals_and_releases_their_holds(
    any_store: SqlStore,
) -> None:
    w = build_venues(any_store)
    b = w.app.blocks
    steel, plat = w.accounts["steel"], w.accounts["plat"]
    balances_before = _nonzero(any_store)
    w.clock.now = at(DAY, 14, 50)  # each proposal stands until the session's close, 15:00
    buy = b.propose("steel", "p1", ProposeBlock(CONTRACT, steel, "plat", "buy", QTY, 6_500, 600))
    w.clock.now = at(DAY, 14, 55)
    sell = b.propose("plat", "p2", ProposeBlock(CONTRACT, plat, "fund", "sell", QTY, 6_100, 300))
    assert _frozen(any_store, steel, cash=True) > 0 and _frozen(any_store, plat, cash=False) == QTY

    w.clock.now = at(DAY, 15, 5)  # after the last session: nobody lapsed them yet
    close = w.market.close_day("registry", "c1", CloseDay(CONTRACT, DAY.isoformat()))

    ids = [buy["proposal_id"], sell["proposal_id"]]
    assert close["lapsed_proposals"] == ids
    assert _frozen(any_store, steel, cash=True) == 0 and _frozen(any_store, plat, cash=False) == 0
    assert _nonzero(any_store) == balances_before  # released exactly: as before them
    with any_store.engine.connect() as conn:
        p = vdb.proposals.c
        rows = conn.execute(
            sa.select(p.proposal_id, p.outcome, p.ended_seq).order_by(p.proposal_id)
        )
        assert [tuple(r) for r in rows] == [(i, "lapsed", close["seq"]) for i in ids]
        held = [int(h) for h in conn.execute(sa.select(vdb.venue_holds.c.hold_id)).scalars()]
    # each hold of a proposal (the cash of one; three batches of the other's credits) is
    # released whole by an entry of the close's own command
    assert len(held) == 4 and len(close["entries"]) == 4
    assert all(holdings(any_store)[1][h] == 0 for h in held)
    again = w.market.close_day("registry", "c1", CloseDay(CONTRACT, DAY.isoformat()))
    assert again == {**close, "replayed": True}
    report = verify(any_store)
    assert report.ok, report.problems
