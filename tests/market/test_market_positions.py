"""Position limits at order entry, block proposals and bids (issue 13, item 3).

The national rule set states no position limit, so these tests trade under CN's rules
with Beijing's ``[positions]`` added, its figures scaled down to the world's holdings
(150 t for anyone; an emitter's allocation, 0 until compliance records one, + 150 t).
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from market_world import CONTRACT, DAY, T, at, build_market, positions_rules
from venue_world import CEA_CONTRACT, build_venues, frozen_state

from pctrade.bootstrap.contexts import verify
from pctrade.kernel.errors import PctradeError
from pctrade.ledger.model import SystemAccount
from pctrade.ledger.sql.store import SqlStore
from pctrade.market.commands import AmendOrder, PlaceOrder
from pctrade.market.venue_commands import AcceptBlock, AnnounceAuction, ProposeBlock, SubmitBid
from pctrade.rules import RuleBook


def _refused(store: SqlStore, code: str, action: object) -> None:
    before = frozen_state(store)
    with pytest.raises(PctradeError) as err:
        action()  # type: ignore[operator]
    assert err.value.code == code
    assert frozen_state(store) == before


def test_a_buy_above_the_position_limit_is_refused_and_nothing_is_frozen(
    any_store: SqlStore,
) -> None:
    w = build_market(any_store, rules=positions_rules())
    alice = w.accounts["alice"]  # holds 100 t of CCER
    ok = w.market.place("alice", "b1", PlaceOrder(CONTRACT, alice, "b1", "buy", 6_000, 30 * T))
    assert ok["state"] == "open"
    # 100 held + 30 open + 21 more > 150
    big = PlaceOrder(CONTRACT, alice, "b2", "buy", 6_000, 21 * T)
    _refused(any_store, "position_limit", lambda: w.market.place("alice", "b2", big))
    up = AmendOrder(CONTRACT, ok["order_id"], 6_000, 51 * T)
    _refused(any_store, "position_limit", lambda: w.market.amend("alice", "a1", up))
    fits = PlaceOrder(CONTRACT, alice, "b3", "buy", 6_000, 20 * T)
    assert w.market.place("alice", "b3", fits)["state"] == "open"
    # sells never count against the limit
    sell = PlaceOrder(CONTRACT, alice, "s1", "sell", 6_100, 10 * T)
    assert w.market.place("alice", "s1", sell)["state"] == "open"
    assert verify(any_store).ok


def test_an_emitter_is_limited_to_its_allocation_plus_the_margin(any_store: SqlStore) -> None:
    w = build_market(any_store, rules=positions_rules())
    steel = w.accounts["steel"]
    cmd = PlaceOrder(CONTRACT, steel, "b1", "buy", 6_000, 151 * T)
    _refused(any_store, "position_limit", lambda: w.market.place("steel", "b1", cmd))


def test_block_proposals_and_bids_meet_the_position_limit(any_store: SqlStore) -> None:
    w = build_venues(any_store, rules=positions_rules())
    steel = w.accounts["steel"]
    block = ProposeBlock(CONTRACT, steel, "plat", "buy", 100_000 * T, 6_000, 600)
    _refused(any_store, "position_limit", lambda: w.app.blocks.propose("steel", "p1", block))
    now_s = int(at(DAY, 13, 30).timestamp())
    offer = AnnounceAuction(
        CEA_CONTRACT, int(SystemAccount.AUCTION), 10_000 * T, 4_000, now_s, now_s + 600
    )
    aid = w.app.auctions.announce("reg", "an", offer)["auction_id"]
    bid = SubmitBid(CEA_CONTRACT, aid, steel, 4_000, 1_000 * T)
    _refused(any_store, "position_limit", lambda: w.app.auctions.bid("steel", "b1", bid))
    assert verify(any_store).ok


def test_accepting_a_proposal_counts_it_once(any_store: SqlStore) -> None:
    rules = positions_rules()
    cn = rules.in_force("CN", DAY)
    assert cn.positions is not None
    wide = replace(
        cn, positions=replace(cn.positions, emitter_limit_above_allocation_g=150_000 * T)
    )
    book = RuleBook([wide, *(r for r in rules.rule_sets() if r is not cn)])
    w = build_venues(any_store, rules=book)
    steel, plat = w.accounts["steel"], w.accounts["plat"]
    sale = ProposeBlock(CONTRACT, plat, "steel", "sell", 100_000 * T, 6_000, 600)
    p = w.app.blocks.propose("plat", "p1", sale)
    # the proposal is steel's open buy of 100,000 t: the acceptance adds nothing to it
    accepted = w.app.blocks.accept("steel", "a1", AcceptBlock(CONTRACT, p["proposal_id"], steel))
    assert accepted["state"] == "agreed"
    again = ProposeBlock(CONTRACT, plat, "steel", "sell", 100_000 * T, 6_000, 600)
    p2 = w.app.blocks.propose("plat", "p2", again)
    accept = AcceptBlock(CONTRACT, p2["proposal_id"], steel)
    _refused(any_store, "position_limit", lambda: w.app.blocks.accept("steel", "a2", accept))
    assert verify(any_store).ok
