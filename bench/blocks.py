"""Block trades and one allowance auction through the registry: how long each step takes.

    python bench/blocks.py [--quick] [--engine sqlite|postgresql|both] [--bids N]

One client, sequentially (block trades and auctions are few and bilateral; the order
book's bench measures concurrency): B block trades (propose + accept, each a
transaction: the proposer's freeze; the acceptor's freeze and the ``trade_settle``
entry), then one CEA auction with N sealed bids from N emitters (one freeze each) and
its clearing (one ``auction_settle`` entry per winning bid, one release per losing
bid, the unsold rest released, in one transaction). Figures, one JSON line each:

- ``block_trades_per_s``: agreed block trades per second (propose + accept);
- ``auction_bids_per_s``: bids accepted per second;
- ``auction_clear_s``: seconds to clear the auction (N bids, half of them winning).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import drop_pg_database, emit, fresh_pg_database, timer
from pctrade import bootstrap
from pctrade.kernel.clock import SetClock
from pctrade.ledger import commands as c
from pctrade.ledger.model import Role, SystemAccount
from pctrade.ledger.sql.store import SqlStore
from pctrade.market.commands import ListContract
from pctrade.market.venue_commands import (
    AcceptBlock,
    AnnounceAuction,
    ClearAuction,
    ProposeBlock,
    SubmitBid,
)

BENCH = "blocks"
DB_NAME = "pctrade_bench_blocks"
T = 1_000_000
# Monday 2026-12-07, 13:30 China Standard Time: in the afternoon (block) session.
AFTERNOON = datetime(2026, 12, 7, 5, 30, tzinfo=UTC)


def run(store: SqlStore, name: str, blocks: int, bids: int) -> None:
    clock = SetClock(AFTERNOON)
    app = bootstrap.build(store, clock=clock)
    reg = app.registry
    reg.open_account("registry", "o-reg", c.OpenAccount("reg", Role.REGULATOR, "Regulator"))
    seller = int(
        reg.open_account("registry", "o-s", c.OpenAccount("plat", Role.PLATFORM)).payload["account"]
    )
    emitters = []
    for i in range(max(bids, 1)):
        r = reg.open_account("registry", f"o-e{i}", c.OpenAccount(f"e{i}", Role.EMITTER))
        emitters.append((f"e{i}", int(r.payload["account"])))
        reg.deposit("reg", f"d-e{i}", c.Deposit(emitters[-1][1], 10**12, f"bank-{i}"))
    reg.issue("reg", "i-p", c.Issue("CCER-CN-AFF0001-2026-001", [seller], [blocks * 100_000 * T]))
    offer_g = bids * 1_000 * T // 2
    reg.issue(
        "reg", "i-c", c.Issue("CEA-GD-ALLOC-2026-001", [int(SystemAccount.AUCTION)], [offer_g])
    )
    for code, inst, where in (("CCER", "CCER", "CN"), ("CEA", "CEA", "GD")):
        app.market.list_contract(
            "registry",
            f"l-{code}",
            ListContract(inst, where, "2026", reference_price_fen_per_t=6_000),
        )
    buyer, buyer_account = emitters[0]
    with timer() as elapsed:
        for i in range(blocks):
            p = app.blocks.propose(
                "plat",
                f"p{i}",
                ProposeBlock("CCER-CN-2026", seller, buyer, "sell", 100_000 * T, 6_000, 600),
            )
            app.blocks.accept(
                buyer, f"a{i}", AcceptBlock("CCER-CN-2026", int(p["proposal_id"]), buyer_account)
            )
    emit(BENCH, f"block_trades_per_s[{name}]", blocks / elapsed[0], "trades/s", None)
    now_s = int(AFTERNOON.timestamp())
    offer = AnnounceAuction(
        "CEA-GD-2026", int(SystemAccount.AUCTION), offer_g, 4_000, now_s, now_s + 600
    )
    aid = int(app.auctions.announce("registry", "an", offer)["auction_id"])
    with timer() as elapsed:
        for i, (party, account) in enumerate(emitters[:bids]):
            app.auctions.bid(
                party, f"b{i}", SubmitBid("CEA-GD-2026", aid, account, 4_000 + i % 500, 1_000 * T)
            )
    emit(BENCH, f"auction_bids_per_s[{name}]", bids / elapsed[0], "bids/s", None)
    clock.now = AFTERNOON + timedelta(seconds=601)
    with timer() as elapsed:
        app.auctions.clear("registry", "clr", ClearAuction("CEA-GD-2026", aid))
    emit(BENCH, f"auction_clear_s[{name}]", elapsed[0], "s", None)
    app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, seconds")
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--bids", type=int, default=None)
    args = parser.parse_args()
    bids = args.bids or (40 if args.quick else 400)
    blocks = 10 if args.quick else 100
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    for engine in engines:
        if engine == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                store = SqlStore(f"sqlite:///{tmp}/blocks.db")
                run(store, "sqlite", blocks, bids)
                store.dispose()
        else:
            url = fresh_pg_database(DB_NAME)
            if url is None:
                continue
            store = SqlStore(url)
            run(store, "postgresql", blocks, bids)
            store.dispose()
            drop_pg_database(DB_NAME)


if __name__ == "__main__":
    main()
