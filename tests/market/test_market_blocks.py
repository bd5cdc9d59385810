"""Block trades through the registry, on SQLite and PostgreSQL (issue 13, item 3)."""

from __future__ import annotations

import pytest
from market_world import at, cash, holdings
from venue_world import CONTRACT, DAY, T, build_venues, frozen_state

from pctrade.bootstrap.contexts import verify
from pctrade.kernel.errors import PctradeError
from pctrade.ledger.model import CASH_ASSET, State, SystemAccount
from pctrade.ledger.sql.store import SqlStore
from pctrade.market.commands import CloseDay, PlaceOrder
from pctrade.market.venue_commands import (
    AcceptBlock,
    DeclineBlock,
    LapseBlocks,
    ProposeBlock,
    WithdrawBlock,
)

QTY = 100_000 * T  # the national threshold


def _ok(store: SqlStore) -> None:
    report = verify(store)
    assert report.ok, report.problems


def _credits(store: SqlStore, account: int, state: State) -> int:
    balances, _ = holdings(store)
    return sum(
        v
        for (acc, asset, st), v in balances.items()
        if acc == account and asset != CASH_ASSET and st == int(state)
    )


def test_a_block_trade_freezes_the_proposer_then_settles_in_one_entry(any_store: SqlStore) -> None:
    w = build_venues(any_store)
    b = w.app.blocks
    steel, plat = w.accounts["steel"], w.accounts["plat"]
    steel_cash = cash(any_store, steel)
    p = b.propose("steel", "p1", ProposeBlock(CONTRACT, steel, "plat", "buy", QTY, 6_500, 600))
    assert p["state"] == "open" and len(p["entries"]) == 1
    gross = 6_500 * 100_000
    ceil_fee = -(-gross * 5 // 10_000)
    assert cash(any_store, steel, State.FROZEN) == gross + ceil_fee
    _ok(any_store)
    a = b.accept("plat", "a1", AcceptBlock(CONTRACT, p["proposal_id"], plat))
    assert a["state"] == "agreed" and len(a["trades"]) == 1
    fee = gross * 5 // 10_000
    assert cash(any_store, steel) == steel_cash - gross - fee
    assert cash(any_store, steel, State.FROZEN) == 0
    assert cash(any_store, SystemAccount.FEES) == 2 * fee
    assert _credits(any_store, steel, State.AVAILABLE) == QTY
    assert _credits(any_store, plat, State.FROZEN) == 0
    with any_store.engine.connect() as conn:
        import sqlalchemy as sa

        from pctrade.market.sql import store as mdb

        rows = list(conn.execute(sa.select(mdb.trades.c.mode, mdb.trades.c.entry_seq)))
    assert [r.mode for r in rows] == ["block"]
    # the settlement is one trade_settle entry: the accept made a hold, then that entry
    assert a["entries"][-1] == rows[0].entry_seq
    _ok(any_store)


def test_block_trades_count_in_volume_but_never_set_the_close(any_store: SqlStore) -> None:
    w = build_venues(any_store)
    steel, plat = w.accounts["steel"], w.accounts["plat"]
    p = w.app.blocks.propose(
        "steel", "p1", ProposeBlock(CONTRACT, steel, "plat", "buy", QTY, 7_000, 600)
    )
    w.app.blocks.accept("plat", "a1", AcceptBlock(CONTRACT, p["proposal_id"], plat))
    w.clock.now = at(DAY, 15, 5)
    close = w.market.close_day("registry", "c1", CloseDay(CONTRACT, DAY.isoformat()))
    assert close["carried"] and close["close_fen_per_t"] == 6_000
    bars = w.app.market_reports.daily_bars(CONTRACT, DAY.isoformat(), DAY.isoformat())
    assert bars[0]["volume_g"] == QTY and bars[0]["close_fen_per_t"] == 6_000
    assert bars[0]["high_fen_per_t"] is None
    _ok(any_store)


@pytest.mark.parametrize("how", ["decline", "withdraw", "lapse"])
def test_an_unanswered_proposal_releases_its_hold_exactly(any_store: SqlStore, how: str) -> None:
    w = build_venues(any_store)
    b = w.app.blocks
    plat, steel = w.accounts["plat"], w.accounts["steel"]
    before = cash(any_store, steel), _credits(any_store, plat, State.AVAILABLE)
    p = b.propose("plat", "p1", ProposeBlock(CONTRACT, plat, "steel", "sell", QTY, 6_000, 600))
    assert _credits(any_store, plat, State.FROZEN) == QTY
    pid = p["proposal_id"]
    if how == "decline":
        out = b.decline("steel", "d1", DeclineBlock(CONTRACT, pid))
    elif how == "withdraw":
        out = b.withdraw("plat", "w1", WithdrawBlock(CONTRACT, pid))
    else:
        w.clock.now = at(DAY, 13, 41)
        out = b.lapse("registry", "l1", LapseBlocks(CONTRACT))
        assert out["lapsed"] == [pid]
    assert _credits(any_store, plat, State.FROZEN) == 0
    assert (cash(any_store, steel), _credits(any_store, plat, State.AVAILABLE)) == before
    assert out["replayed"] is False
    _ok(any_store)


def _refused(any_store: SqlStore, code: str, action: object) -> None:
    before = frozen_state(any_store)
    with pytest.raises(PctradeError) as err:
        action()  # type: ignore[operator]
    assert err.value.code == code
    assert frozen_state(any_store) == before


def test_every_refusal_has_its_code_and_moves_nothing(any_store: SqlStore) -> None:
    """Each refusal the desk can give under CN's rules (the tick is 1 fen, so no price is
    off it; a proposal's id is its command's seq, so none is a duplicate; an expired one
    lapses before an answer is judged, so the answer finds it ``proposal_not_open``)."""
    w = build_venues(any_store)
    b = w.app.blocks
    plat, steel, alice = w.accounts["plat"], w.accounts["steel"], w.accounts["alice"]

    def prop(**kw: object) -> ProposeBlock:
        base: dict[str, object] = dict(
            contract=CONTRACT,
            account_id=plat,
            counterparty="steel",
            side="sell",
            quantity_g=QTY,
            price_fen_per_t=6_000,
            expires_in_s=600,
        )
        base.update(kw)
        return ProposeBlock(**base)  # type: ignore[arg-type]

    cases = [
        ("quantity_not_positive", prop(quantity_g=0)),
        ("expiry_not_after_now", prop(expires_in_s=0)),
        ("bad_request", prop(expires_in_s=86_401)),
        ("block_below_threshold", prop(quantity_g=QTY - T)),
        ("quantity_off_lot", prop(quantity_g=QTY + 1)),
        ("price_off_tick", prop(price_fen_per_t=0)),
        ("block_price_outside_band", prop(price_fen_per_t=7_801)),
        ("proposal_to_self", prop(counterparty="plat")),
        ("expiry_too_late", prop(expires_in_s=3 * 3_600)),
        ("unknown_party", prop(counterparty="nobody")),
        ("insufficient_credits", prop(quantity_g=400_000 * T)),
    ]
    for n, (code, cmd) in enumerate(cases):
        if code == "price_off_tick":
            code = "price_not_positive"
        _refused(any_store, code, lambda cmd=cmd, n=n: b.propose("plat", f"x{n}", cmd))
    buy = prop(account_id=alice, side="buy", counterparty="plat")
    _refused(any_store, "insufficient_funds", lambda: b.propose("alice", "x-funds", buy))
    p = b.propose("plat", "p1", prop())
    pid = p["proposal_id"]
    fund = w.accounts["fund"]
    _refused(
        any_store,
        "not_your_proposal",
        lambda: b.accept("fund", "x-a", AcceptBlock(CONTRACT, pid, fund)),
    )
    _refused(
        any_store, "not_proposer", lambda: b.withdraw("steel", "x-w", WithdrawBlock(CONTRACT, pid))
    )
    _refused(
        any_store,
        "proposal_not_found",
        lambda: b.accept("steel", "x-n", AcceptBlock(CONTRACT, pid + 99, steel)),
    )
    # once its expiry has come it lapses first, so an answer finds it ended
    w.clock.now = at(DAY, 14, 30)
    _refused(
        any_store,
        "proposal_not_open",
        lambda: b.decline("steel", "x-e", DeclineBlock(CONTRACT, pid)),
    )
    w.clock.now = at(DAY, 10, 0)
    # a morning proposal: the block session is the afternoon's
    _refused(any_store, "block_session_closed", lambda: b.propose("plat", "x-s", prop()))
    w.clock.now = at(DAY.replace(day=12), 13, 30)  # a Saturday
    _refused(any_store, "market_closed", lambda: b.propose("plat", "x-d", prop()))
    _ok(any_store)


def test_an_ineligible_acceptor_is_refused_and_nothing_is_frozen(any_store: SqlStore) -> None:
    w = build_venues(any_store)
    b = w.app.blocks
    plat, carol = w.accounts["plat"], w.accounts["carol"]
    p = b.propose("plat", "p1", ProposeBlock(CONTRACT, plat, "carol", "sell", QTY, 6_000, 600))
    _refused(
        any_store,
        "not_eligible",
        lambda: b.accept("carol", "a1", AcceptBlock(CONTRACT, p["proposal_id"], carol)),
    )


def test_a_replayed_proposal_answers_the_same(any_store: SqlStore) -> None:
    w = build_venues(any_store)
    plat = w.accounts["plat"]
    cmd = ProposeBlock(CONTRACT, plat, "steel", "sell", QTY, 6_000, 600)
    first = w.app.blocks.propose("plat", "p1", cmd)
    again = w.app.blocks.propose("plat", "p1", cmd)
    assert again["replayed"] and again["proposal_id"] == first["proposal_id"]
    # and the order book still works around it (the book is rebuilt at the new seq)
    order = PlaceOrder(CONTRACT, w.accounts["alice"], "s1", "sell", 6_000, 10 * T)
    assert w.market.place("alice", "o1", order)["state"] == "open"
    _ok(any_store)
