"""What ``verify`` checks of the block desk's and the auctions' holds (issue 13).

- an open proposal's holds have exactly the proposer's hold left (cash and highest fee
  of a buy, the credits of a sell); an ended proposal's nothing;
- an open auction's offer holds have exactly its quantity left, a cleared one nothing;
  an open bid's hold exactly its frozen cash, a bid of a cleared auction nothing;
- an agreed proposal and a filled bid name a trade row of the matching mode (whose
  entry ``market.audit`` checks against the journal);
- every open hold referenced ``blk:``, ``auc:`` or ``bid:`` covers one of them.
"""

from __future__ import annotations

from collections.abc import Iterator

from pctrade.ledger.invariants import Problem
from pctrade.ledger.ports import UnitOfWork
from pctrade.market.sql import store as db
from pctrade.market.sql import venues as vdb
from pctrade.market.venue_model import VENUE_PREFIXES


def audit_venues(uow: UnitOfWork) -> Iterator[Problem]:
    left: dict[tuple[int, str, int], int] = {}
    owned: set[int] = set()
    for h in vdb.all_holds(uow):
        owned.add(int(h["hold_id"]))
        hold = uow.hold(int(h["hold_id"]))
        k = (int(h["contract_id"]), str(h["venue"]), int(h["ref_id"]))
        left[k] = left.get(k, 0) + (0 if hold is None else hold.remaining)
    trades = {r["trade_id"]: r for r in db.all_trades(uow)}
    expected: dict[tuple[int, str, int], int] = {}
    for p in vdb.all_proposals(uow):
        k = (int(p["contract_id"]), vdb.PROPOSAL, int(p["proposal_id"]))
        is_open = p["outcome"] is None
        expected[k] = int(p["hold_cash_fen"]) + int(p["hold_credits_g"]) if is_open else 0
        if p["outcome"] == "agreed" and trades.get(p["trade_id"], {}).get("mode") != "block":
            yield Problem("market_block_without_trade", f"proposal {k}", None)
    for a in vdb.all_auctions(uow):
        cid, aid = int(a["contract_id"]), int(a["auction_id"])
        is_open = a["state"] == "open"
        # A pool's offer is the contributors' holds, not the market's (issue 14).
        offered = is_open and a["pool_id"] is None
        expected[(cid, vdb.OFFER, aid)] = int(a["quantity_g"]) if offered else 0
        for b in vdb.bids_of(uow, cid, aid):
            live = is_open and not b["withdrawn"]
            expected[(cid, vdb.BID, int(b["bid_id"]))] = int(b["frozen_fen"]) if live else 0
            if int(b["filled_g"]) and trades.get(b["trade_id"], {}).get("mode") != "auction":
                yield Problem("market_bid_without_trade", f"bid {cid}/{b['bid_id']}", None)
    for k in sorted(set(expected) | set(left)):
        if left.get(k, 0) != expected.get(k, 0):
            yield Problem(
                "market_venue_hold_mismatch",
                f"{k[1]} {k[0]}/{k[2]} has {left.get(k, 0)} held, covers {expected.get(k, 0)}",
                None,
            )
    for hold_id, remaining in uow.stored_holds():
        if remaining <= 0 or hold_id in owned:
            continue
        hold = uow.hold(hold_id)
        if hold is not None and hold.reference.startswith(VENUE_PREFIXES):
            yield Problem("market_orphan_hold", f"hold {hold_id} covers nothing", hold_id)
