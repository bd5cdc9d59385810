"""A platform sells its pool's units by one-way bidding (单向竞价, issue 14 item 3), the
pool the auction's single seller, SQLite and PostgreSQL.

The announcement freezes nothing: the offer claims the pool's free units until the
clearing. Bids are taken in the contract's own lot and tick (10 kg, ¥1.00/t), each
bidder's cash frozen as for any auction; at the clearing each winning bid settles in one
``pool_settle`` entry from the contributors' holds (the market's trade fee on each side,
as every pool sale), and what is unsold stays in the holds. A contributor cannot bid for
the pool's units.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pool_venue_world import (
    BATCH,
    CONTRACT,
    CONTRIBUTORS,
    DAY,
    PLATFORM,
    VenueWorld,
    at,
    build,
    cash,
    committed,
    left,
    refused,
)

from pctrade.bootstrap.contexts import verify
from pctrade.identity.commands import RecordFacts
from pctrade.identity.model import Facts, RiskLevel, VerificationMethod
from pctrade.ledger.model import State
from pctrade.ledger.sql.store import SqlStore
from pctrade.market.venue_commands import AnnounceAuction, ClearAuction, SubmitBid
from pctrade.pools import commands as pc

T = 1_000_000


@pytest.fixture
def w(any_store: SqlStore) -> VenueWorld:
    return build(any_store)


def _announce(w: VenueWorld, grams: int, reserve: int = 7_600, **kw: Any) -> AnnounceAuction:
    now = int(w.clock.now.timestamp())
    account = kw.pop("account", w.accounts[PLATFORM])
    pool = kw.pop("pool", w.pool_id)
    return AnnounceAuction(CONTRACT, account, grams, reserve, now, now + 600, pool=pool)


def _bid(w: VenueWorld, aid: int, who: str, price: int, grams: int) -> SubmitBid:
    return SubmitBid(CONTRACT, aid, w.accounts[who], price, grams)


def _settlements(w: VenueWorld, seqs: list[int]) -> list[dict[str, Any]]:
    found = []
    with w.store.reader() as uow:
        for seq in seqs:
            entry = uow.entry(seq)
            if entry is not None and entry.header.op_type == "pool_settle":
                found.append(entry.header.payload)
    return found


def test_a_pool_auction_settles_each_winning_bid_from_the_holds(w: VenueWorld) -> None:
    auctions, acc = w.app.auctions, w.accounts
    before = left(w)
    announced = auctions.announce(PLATFORM, "a1", _announce(w, T))
    assert announced["entries"] == [] and committed(w) == T
    aid = int(announced["auction_id"])
    w.clock.now = at(DAY, 10, 2)
    for i, (who, price, grams) in enumerate(
        [("steel", 8_200, 500_000), ("cement", 8_000, 300_000), ("cement", 7_700, 200_000)]
    ):
        auctions.bid(who, f"b{i}", _bid(w, aid, who, price, grams))
    w.clock.now = at(DAY, 10, 11)
    cleared = auctions.clear(PLATFORM, "c1", ClearAuction(CONTRACT, aid))
    result = cleared["result"]
    assert (result["sold_g"], result["clearing_price_fen_per_t"]) == (T, 7_700)
    sales = _settlements(w, [int(s) for s in cleared["entries"]])
    assert [int(p["quantity_g"]) for p in sales] == [500_000, 300_000, 200_000]
    assert {int(p["price_fen_per_t"]) for p in sales} == {7_700}
    after = left(w)
    assert sum(before.values()) - sum(after.values()) == T
    paid = sum(cash(w.store, acc[n]) for n in before)
    assert paid == sum(int(p["net_fen"]) for p in sales)
    for p in sales:  # each sale's payout adds up and each share is within a fen
        payout = p["payout"]
        assert sum(payout["net_fen"]) == int(p["net_fen"])
        for grams, fen in zip(payout["grams"], payout["net_fen"], strict=True):
            assert abs(fen * int(p["quantity_g"]) - int(p["net_fen"]) * grams) < int(
                p["quantity_g"]
            )
    assert cash(w.store, acc[PLATFORM]) == sum(int(p["pool_fee_fen"]) for p in sales)
    for who in ("steel", "cement"):
        assert cash(w.store, acc[who], State.FROZEN) == 0  # each bid's hold drawn whole
    assert committed(w) == 0
    report = verify(w.store)
    assert report.ok, report.problems


def test_what_a_pool_auction_leaves_unsold_stays_in_the_holds(w: VenueWorld) -> None:
    auctions = w.app.auctions
    before = left(w)
    aid = int(auctions.announce(PLATFORM, "a1", _announce(w, T))["auction_id"])
    w.clock.now = at(DAY, 10, 2)
    auctions.bid("steel", "b1", _bid(w, aid, "steel", 7_800, 300_000))
    w.clock.now = at(DAY, 10, 11)
    cleared = auctions.clear(PLATFORM, "c1", ClearAuction(CONTRACT, aid))
    assert (cleared["result"]["sold_g"], cleared["result"]["unsold_g"]) == (300_000, 700_000)
    assert sum(before.values()) - sum(left(w).values()) == 300_000
    assert committed(w) == 0
    report = verify(w.store)
    assert report.ok, report.problems


def test_a_pool_auction_is_refused_above_free_below_floor_or_by_another(w: VenueWorld) -> None:
    auctions, acc = w.app.auctions, w.accounts
    cases: list[tuple[str, str, AnnounceAuction]] = [
        ("exceeds_pool", PLATFORM, _announce(w, 2 * T)),
        ("below_floor", PLATFORM, _announce(w, T, reserve=7_400)),
        ("not_pool_platform", "otherplat", _announce(w, T, account=acc["otherplat"])),
        ("unknown_pool", PLATFORM, _announce(w, T, pool="POOL-GD-0099")),
    ]
    for code, actor, cmd in cases:
        refused(
            w,
            code,
            lambda actor=actor, cmd=cmd, key=f"k-{code}": auctions.announce(actor, key, cmd),
        )
    aid = int(auctions.announce(PLATFORM, "a1", _announce(w, T))["auction_id"])
    w.clock.now = at(DAY, 10, 2)
    w.app.registry.deposit("reg", "d-alice", _cash(acc["alice"]))
    bid = _bid(w, aid, "alice", 8_000, 100_000)
    refused(w, "own_auction", lambda: auctions.bid("alice", "b1", bid))


_ADULT = Facts(
    real_name_verified=True,
    real_name_verified_on=date(2026, 1, 5),
    real_name_method=VerificationMethod.CTID,
    risk_level=RiskLevel.C3,
    risk_assessed_on=date(2026, 1, 5),
    birth_date=date(1990, 3, 1),
)


def _cash(account: int) -> Any:
    from pctrade.ledger import commands as c

    return c.Deposit(account, 1_000_000, "bank-alice")


def test_a_bidder_in_the_pools_auction_cannot_deposit_into_the_pool(w: VenueWorld) -> None:
    """Alice leaves the pool, bids in its auction, then tries to come back: she would sell
    in an auction she bids in (a contributor may not bid, ``own_auction``), so the deposit
    is refused until the auction clears; afterwards it is taken."""
    auctions, acc, pools = w.app.auctions, w.accounts, w.app.pools
    grams = CONTRIBUTORS["alice"]
    pools.withdraw("alice", "w-alice", pc.WithdrawFromPool(w.pool_id, acc["alice"], grams))
    w.app.identity.record_facts("registry", "f-alice", RecordFacts("alice", _ADULT))
    aid = int(auctions.announce(PLATFORM, "a1", _announce(w, 500_000))["auction_id"])
    w.clock.now = at(DAY, 10, 2)
    w.app.registry.deposit("reg", "d-alice", _cash(acc["alice"]))
    auctions.bid("alice", "b1", _bid(w, aid, "alice", 8_000, 100_000))
    back = pc.DepositToPool(w.pool_id, acc["alice"], BATCH, grams)
    refused(w, "bids_in_pool_auction", lambda: pools.deposit("alice", "dep-again", back))
    w.clock.now = at(DAY, 10, 11)
    auctions.clear(PLATFORM, "c1", ClearAuction(CONTRACT, aid))
    assert pools.deposit("alice", "dep-again", back).seq > 0
    report = verify(w.store)
    assert report.ok, report.problems
