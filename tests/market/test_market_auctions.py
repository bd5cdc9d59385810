"""One-way bidding through the registry, on SQLite and PostgreSQL (issue 13, item 4)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from market_world import at, cash, holdings
from venue_world import CEA_CONTRACT, CONTRACT, DAY, T, build_venues, frozen_state

from pctrade.bootstrap.contexts import verify
from pctrade.kernel.errors import PctradeError
from pctrade.ledger import commands as c
from pctrade.ledger.model import CASH_ASSET, State, SystemAccount
from pctrade.ledger.sql.store import SqlStore
from pctrade.market.sql import store as mdb
from pctrade.market.venue_commands import AnnounceAuction, ClearAuction, SubmitBid

AUCTION = int(SystemAccount.AUCTION)


def _ok(store: SqlStore) -> None:
    report = verify(store)
    assert report.ok, report.problems


def _credits(store: SqlStore, account: int, state: State = State.AVAILABLE) -> int:
    balances, _ = holdings(store)
    return sum(
        v
        for (acc, asset, st), v in balances.items()
        if acc == account and asset != CASH_ASSET and st == int(state)
    )


def _announce(w: object, key: str = "an1") -> int:
    now_s = int(at(DAY, 13, 30).timestamp())
    cmd = AnnounceAuction(CEA_CONTRACT, AUCTION, 10_000 * T, 4_000, now_s, now_s + 3_600)
    answer = w.app.auctions.announce("reg", key, cmd)  # type: ignore[attr-defined]
    return int(answer["auction_id"])


def test_an_allowance_auction_clears_at_a_uniform_price_and_settles_dvp(
    any_store: SqlStore,
) -> None:
    w = build_venues(any_store)
    au = w.app.auctions
    aid = _announce(w)
    assert _credits(any_store, AUCTION, State.FROZEN) == 10_000 * T
    bids = [("steel", 4_500, 5_000), ("plat", 4_300, 4_000), ("alice", 4_100, 2_000)]
    before = {name: cash(any_store, w.accounts[name]) for name, _, _ in bids}
    had = {name: _credits(any_store, w.accounts[name]) for name, _, _ in bids}
    for n, (name, price, tonnes) in enumerate(bids):
        cmd = SubmitBid(CEA_CONTRACT, aid, w.accounts[name], price, tonnes * T)
        out = au.bid(name, f"b{n}", cmd)
        gross = price * tonnes
        assert out["frozen_fen"] == gross + -(-gross * 5 // 10_000)
        assert cash(any_store, w.accounts[name], State.FROZEN) == out["frozen_fen"]
    _ok(any_store)
    late = SubmitBid(CEA_CONTRACT, aid, w.accounts["bob"], 4_200, 1_000 * T)
    w.clock.now = at(DAY, 14, 30)
    state = frozen_state(any_store)
    with pytest.raises(PctradeError) as err:
        au.bid("bob", "late", late)
    assert err.value.code == "auction_closed" and frozen_state(any_store) == state
    done = au.clear("reg", "clr", ClearAuction(CEA_CONTRACT, aid))
    r = done["result"]
    assert r["clearing_price_fen_per_t"] == 4_100 and r["sold_g"] == 10_000 * T
    assert r["cover_ratio_bps"] == 11_000 and r["unsold_g"] == 0
    assert "steel" not in str(r) and "alice" not in str(r)  # no personal data
    fills = {"steel": 5_000, "plat": 4_000, "alice": 1_000}
    revenue = 0
    for name, tonnes in fills.items():
        paid = 4_100 * tonnes
        fee = -(-paid * 5 // 10_000)
        revenue += paid
        assert cash(any_store, w.accounts[name]) == before[name] - paid - fee
        assert cash(any_store, w.accounts[name], State.FROZEN) == 0
        assert _credits(any_store, w.accounts[name]) - had[name] == tonnes * T
    assert cash(any_store, AUCTION) == revenue
    assert _credits(any_store, AUCTION, State.FROZEN) == 0
    with any_store.engine.connect() as conn:
        modes = [r.mode for r in conn.execute(sa.select(mdb.trades.c.mode))]
    assert modes == ["auction"] * 3
    _ok(any_store)


def test_losing_bids_and_the_unsold_rest_are_released_exactly(any_store: SqlStore) -> None:
    w = build_venues(any_store)
    au = w.app.auctions
    aid = _announce(w)
    steel = w.accounts["steel"]
    before = cash(any_store, steel)
    au.bid("steel", "b1", SubmitBid(CEA_CONTRACT, aid, steel, 4_000, 3_000 * T))
    w.clock.now = at(DAY, 14, 31)
    done = au.clear("reg", "clr", ClearAuction(CEA_CONTRACT, aid))
    assert done["result"]["unsold_g"] == 7_000 * T
    assert _credits(any_store, AUCTION) == 7_000 * T
    assert _credits(any_store, AUCTION, State.FROZEN) == 0
    paid = 4_000 * 3_000
    assert cash(any_store, steel) == before - paid - -(-paid * 5 // 10_000)
    _ok(any_store)


@pytest.mark.parametrize(
    ("code", "price", "grams"),
    [
        ("bid_below_reserve", 3_999, 1_000 * T),
        ("bid_below_min", 4_000, 999 * T),
        ("quantity_off_lot", 4_000, 1_000 * T + 1),
        ("quantity_not_positive", 4_000, 0),
        ("price_not_positive", 0, 1_000 * T),
        ("bid_above_max", 4_000, 10_001 * T),
        ("bidder_limit_exceeded", 4_000, 5_001 * T),
        ("insufficient_funds", 25_000, 5_000 * T),
        ("not_eligible", 4_000, 1_000 * T),
        ("unknown_auction", 4_000, 1_000 * T),
    ],
)
def test_a_refused_bid_has_its_code_and_freezes_nothing(
    any_store: SqlStore, code: str, price: int, grams: int
) -> None:
    w = build_venues(any_store)
    aid = _announce(w) + (99 if code == "unknown_auction" else 0)
    name = {"insufficient_funds": "bob", "not_eligible": "carol"}.get(code, "steel")
    cmd = SubmitBid(CEA_CONTRACT, aid, w.accounts[name], price, grams)
    state = frozen_state(any_store)
    with pytest.raises(PctradeError) as err:
        w.app.auctions.bid(name, "bad", cmd)
    assert err.value.code == code
    assert frozen_state(any_store) == state


def test_clearing_before_the_close_or_twice_is_refused(any_store: SqlStore) -> None:
    w = build_venues(any_store)
    aid = _announce(w)
    with pytest.raises(PctradeError) as err:
        w.app.auctions.clear("reg", "c0", ClearAuction(CEA_CONTRACT, aid))
    assert err.value.code == "auction_not_closed"
    w.clock.now = at(DAY, 14, 31)
    w.app.auctions.clear("reg", "c1", ClearAuction(CEA_CONTRACT, aid))
    with pytest.raises(PctradeError) as err:
        w.app.auctions.clear("reg", "c2", ClearAuction(CEA_CONTRACT, aid))
    assert err.value.code == "auction_already_cleared"
    again = w.app.auctions.clear("reg", "c1", ClearAuction(CEA_CONTRACT, aid))
    assert again["replayed"]
    _ok(any_store)


def test_only_an_authority_auctions_the_allocation_account(any_store: SqlStore) -> None:
    w = build_venues(any_store)
    now_s = int(at(DAY, 13, 30).timestamp())
    cmd = AnnounceAuction(CEA_CONTRACT, AUCTION, 10_000 * T, 4_000, now_s, now_s + 3_600)
    with pytest.raises(PctradeError) as err:
        w.app.auctions.announce("steel", "x", cmd)
    assert err.value.code == "forbidden"


def test_a_bid_before_the_window_opens_is_refused(any_store: SqlStore) -> None:
    w = build_venues(any_store)
    now_s = int(at(DAY, 13, 30).timestamp())
    later = AnnounceAuction(CEA_CONTRACT, AUCTION, 10_000 * T, 4_000, now_s + 60, now_s + 600)
    aid = w.app.auctions.announce("reg", "an", later)["auction_id"]
    cmd = SubmitBid(CEA_CONTRACT, aid, w.accounts["steel"], 4_000, 1_000 * T)
    state = frozen_state(any_store)
    with pytest.raises(PctradeError) as err:
        w.app.auctions.bid("steel", "early", cmd)
    assert err.value.code == "auction_not_open" and frozen_state(any_store) == state


def test_the_seller_does_not_bid_in_its_own_auction(any_store: SqlStore) -> None:
    w = build_venues(any_store)
    now_s = int(at(DAY, 13, 30).timestamp())
    plat = w.accounts["plat"]
    offer = AnnounceAuction(CONTRACT, plat, 10_000 * T, 6_000, now_s, now_s + 600)
    aid = w.app.auctions.announce("plat", "an", offer)["auction_id"]
    state = frozen_state(any_store)
    with pytest.raises(PctradeError) as err:
        w.app.auctions.bid("plat", "own", SubmitBid(CONTRACT, aid, plat, 6_000, 1_000 * T))
    assert err.value.code == "own_auction" and frozen_state(any_store) == state


def test_allowances_are_issued_into_the_auction_account_but_no_other_system_account(
    any_store: SqlStore,
) -> None:
    w = build_venues(any_store)  # issued CEA into the auction account already
    assert _credits(any_store, AUCTION) == 10_000 * T
    fees = c.Issue("CEA-GD-ALLOC-2026-009", [int(SystemAccount.FEES)], [T])
    with pytest.raises(PctradeError) as err:
        w.app.registry.issue("reg", "to-fees", fees)
    assert err.value.code == "bad_account"
