"""Property: any set of bids clears through the registry exactly (issue 13, items 4, 6).

For random bids (bidders, prices around the reserve, quantities on the lot) the auction
is announced, bid and cleared through the real services on SQLite. After clearing: no
cash or credit is frozen anywhere, cash and credits are conserved (what the bidders
lost the seller and the fee account gained; what the seller lost the bidders gained),
the seller received exactly the published revenue for exactly the published quantity
(the offer, or all that was bid if less), and ``verify`` passes.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from market_world import at, holdings
from venue_world import CEA_CONTRACT, DAY, T, build_venues

from hypothesis_budget import examples
from pctrade import bootstrap
from pctrade.bootstrap.contexts import verify
from pctrade.kernel.errors import PctradeError
from pctrade.ledger.model import CASH_ASSET, State, SystemAccount
from pctrade.ledger.sql.store import SqlStore
from pctrade.market.venue_commands import AnnounceAuction, ClearAuction, SubmitBid

BIDDERS = ("steel", "plat", "alice", "bob")
AUCTION = int(SystemAccount.AUCTION)

bid_lists = st.lists(
    st.tuples(
        st.sampled_from(BIDDERS),
        st.integers(min_value=4_000, max_value=4_050),
        st.integers(min_value=1_000, max_value=2_500),
    ),
    min_size=0,
    max_size=6,
)


def _totals(store: SqlStore) -> tuple[dict[int, int], dict[int, int], int]:
    balances, _ = holdings(store)
    cash: dict[int, int] = {}
    credits: dict[int, int] = {}
    frozen = 0
    for (acc, asset, state), v in balances.items():
        if state not in (int(State.AVAILABLE), int(State.FROZEN)):
            continue
        if state == int(State.FROZEN):
            frozen += v
        target = cash if asset == CASH_ASSET else credits
        target[acc] = target.get(acc, 0) + v
    return cash, credits, frozen


@settings(
    max_examples=examples(ci=6, thorough=12), deadline=None, suppress_health_check=list(HealthCheck)
)
@given(bids=bid_lists)
def test_any_bids_clear_exactly_through_the_registry(
    tmp_path_factory: object, bids: list[tuple[str, int, int]]
) -> None:
    path = Path(tmp_path_factory.mktemp("auction")) / "a.db"  # type: ignore[attr-defined]
    store = SqlStore(f"sqlite:///{path}")
    bootstrap.migrate(store)
    try:
        w = build_venues(store)
        now_s = int(at(DAY, 13, 30).timestamp())
        offer = AnnounceAuction(CEA_CONTRACT, AUCTION, 10_000 * T, 4_000, now_s, now_s + 600)
        aid = w.app.auctions.announce("reg", "an", offer)["auction_id"]
        cash0, credits0, _ = _totals(store)
        placed = []
        for n, (who, price, tonnes) in enumerate(bids):
            cmd = SubmitBid(CEA_CONTRACT, aid, w.accounts[who], price, tonnes * T)
            try:
                w.app.auctions.bid(who, f"b{n}", cmd)
                placed.append((who, price, tonnes))
            except PctradeError as exc:  # a bidder over its share: refused, nothing moved
                assert exc.code == "bidder_limit_exceeded", exc
        w.clock.now = at(DAY, 13, 45)
        result = w.app.auctions.clear("reg", "clr", ClearAuction(CEA_CONTRACT, aid))["result"]
        cash1, credits1, frozen = _totals(store)
        assert frozen == 0
        assert sum(cash1.values()) == sum(cash0.values())
        assert sum(credits1.values()) == sum(credits0.values())
        assert cash1.get(AUCTION, 0) - cash0.get(AUCTION, 0) == result["revenue_fen"]
        sold = credits0.get(AUCTION, 0) - credits1.get(AUCTION, 0)
        assert sold == result["sold_g"] == min(10_000 * T, sum(t for _, _, t in placed) * T)
        report = verify(store)
        assert report.ok, report.problems
    finally:
        store.dispose()
