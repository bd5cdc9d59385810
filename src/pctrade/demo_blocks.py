"""The demo's block trade and allowance auction, through the real services (issue 13).

    summary = run_block_trade(app, CONTRACT, seller="plat", seller_account=1005,
                              buyer="steel", buyer_account=1003,
                              quantity_g=100_000 * T, price_fen_per_t=6_300)
    summary = run_allowance_auction(app, "CEA-GD-2026", quantity_g=10_000 * T,
                                    reserve_price_fen_per_t=4_000,
                                    bids=[("steel", 1003, 4_200, 5_000 * T), ...])

The demo's second trading day (``demo_second_trading_day``) calls these on its scenario
clock (a ``SetClock``, which the auction moves past its window before clearing, and a
block's acceptance ``accept_after_s`` after its proposal). Each writes under stable keys
(``demo:block:…``, ``demo:auction:…``), so a rerun replays and writes nothing new;
``count`` hears, for each write, whether it was a replay. The auction sells from the
registry's auction account (``SystemAccount.AUCTION``): the regulator issues the
allocation there first when ``issue_batch`` names a new batch. Each returns a small
summary with no personal data beyond the parties given.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from pctrade.kernel.clock import SetClock
from pctrade.ledger import commands as c
from pctrade.ledger.journal import JsonDict
from pctrade.ledger.model import SystemAccount
from pctrade.market.venue_commands import (
    AcceptBlock,
    AnnounceAuction,
    ClearAuction,
    ProposeBlock,
    SubmitBid,
)

if TYPE_CHECKING:
    from pctrade.bootstrap import App

BIDS_MAX = 64


def _ignore(_replayed: bool) -> None:
    """The default ``count``: the caller keeps no tally."""


def run_block_trade(
    app: App,
    contract: str,
    *,
    seller: str,
    seller_account: int,
    buyer: str,
    buyer_account: int,
    quantity_g: int,
    price_fen_per_t: int,
    expires_in_s: int = 600,
    accept_after_s: int = 0,
    key: str = "demo:block",
    count: Callable[[bool], None] = _ignore,
) -> JsonDict:
    """The seller proposes a block sale to the buyer, who accepts ``accept_after_s``
    later (on a ``SetClock``, which it moves): one settlement entry."""
    proposal = ProposeBlock(
        contract, seller_account, buyer, "sell", quantity_g, price_fen_per_t, expires_in_s
    )
    proposed = app.blocks.propose(seller, f"{key}:propose", proposal)
    count(bool(proposed["replayed"]))
    pid = int(proposed["proposal_id"])
    if accept_after_s:
        if not isinstance(app.clock, SetClock):
            raise TypeError("a later acceptance moves the scenario clock: use a SetClock app")
        app.clock.now = app.clock.now + timedelta(seconds=accept_after_s)
    agreed = app.blocks.accept(buyer, f"{key}:accept", AcceptBlock(contract, pid, buyer_account))
    count(bool(agreed["replayed"]))
    return {
        "contract": contract,
        "proposal_id": pid,
        "state": agreed["state"],
        "trade": agreed["trades"][0] if agreed["trades"] else None,
        "quantity_g": quantity_g,
        "price_fen_per_t": price_fen_per_t,
        "entries": len(proposed["entries"]) + len(agreed["entries"]),
    }


def run_allowance_auction(
    app: App,
    contract: str,
    *,
    quantity_g: int,
    reserve_price_fen_per_t: int,
    bids: list[tuple[str, int, int, int]],  # (bidder, account, price fen/t, quantity g)
    window_s: int = 600,
    regulator: str = "registry",
    issue_batch: str | None = None,
    key: str = "demo:auction",
    count: Callable[[bool], None] = _ignore,
) -> JsonDict:
    """Paid allocation: announce, take the bids, move past the window, clear; the result,
    with each bid as accepted (``bids``: bidder, price, quantity, cash frozen) and the
    clearing's registry entries (``entries``: settlements and releases, by seq)."""
    if not isinstance(app.clock, SetClock):
        raise TypeError("the auction moves the scenario clock: run it on a SetClock app")
    if len(bids) > BIDS_MAX:
        raise ValueError(f"at most {BIDS_MAX} bids")
    auction_account = int(SystemAccount.AUCTION)
    if issue_batch is not None:
        allocation = c.Issue(issue_batch, [auction_account], [quantity_g])
        count(app.registry.issue(regulator, f"{key}:issue", allocation).replayed)
    opens_s = int(app.clock.now.timestamp())
    announce = AnnounceAuction(
        contract,
        auction_account,
        quantity_g,
        reserve_price_fen_per_t,
        opens_s,
        opens_s + window_s,
    )
    announced = app.auctions.announce(regulator, f"{key}:announce", announce)
    count(bool(announced["replayed"]))
    aid = int(announced["auction_id"])
    accepted: list[JsonDict] = []
    for n, (bidder, account, price, qty) in enumerate(bids):
        bid = SubmitBid(contract, aid, account, price, qty)
        done = app.auctions.bid(bidder, f"{key}:bid:{n}", bid)
        count(bool(done["replayed"]))
        accepted.append(
            {
                "bidder": bidder,
                "bid_id": int(done["bid_id"]),
                "price_fen_per_t": price,
                "quantity_g": qty,
                "frozen_fen": int(done["frozen_fen"]),
            }
        )
    app.clock.now = app.clock.now + timedelta(seconds=window_s)
    cleared = app.auctions.clear(regulator, f"{key}:clear", ClearAuction(contract, aid))
    count(bool(cleared["replayed"]))
    return {
        "contract": contract,
        "auction_id": aid,
        **cleared["result"],
        "bids": accepted,
        "entries": list(cleared["entries"]),
    }
