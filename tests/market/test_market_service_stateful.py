"""A stateful test of order entry through the service: place, amend, cancel, fills and
the close, on SQLite. After every step: no negative holding, cash and credits
conserved per asset, frozen equals the open orders' remaining reservations (``verify``'s
market audit), the book never crossed; a refused command changed nothing at all.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from market_world import CONTRACT, DAY, MarketWorld, T, at, build_market, holdings, market_rows

from hypothesis_budget import examples
from pctrade.bootstrap import sql as boot_sql
from pctrade.bootstrap.contexts import verify
from pctrade.kernel.errors import PctradeError
from pctrade.ledger.model import State
from pctrade.ledger.sql import schema
from pctrade.ledger.sql.store import SqlStore
from pctrade.market import queries
from pctrade.market.commands import AmendOrder, CancelOrder, CloseDay, PlaceOrder

TRADERS = ("alice", "bob", "plat", "steel")
PRICES = st.integers(5_700, 6_300).map(lambda p: p - p % 50)


def _totals(store: SqlStore) -> dict[int, int]:
    b = schema.balances.c
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(b.asset_id, sa.func.sum(b.amount))
            .where(b.state.in_([int(State.AVAILABLE), int(State.FROZEN)]))
            .group_by(b.asset_id)
        )
        return {int(a): int(s) for a, s in rows}


def machine_for(store: SqlStore) -> type[RuleBasedStateMachine]:
    class Orders(RuleBasedStateMachine):
        w: MarketWorld

        @initialize()
        def start(self) -> None:
            boot_sql.empty(store.engine)
            self.w = build_market(store)
            self.totals = _totals(store)
            self.orders: list[tuple[str, int]] = []
            self.day = DAY
            self.n = 0

        def _do(self, action: object) -> None:
            self.n += 1
            before = (holdings(store), market_rows(store))
            try:
                result = action()  # type: ignore[operator]
            except PctradeError:
                assert (holdings(store), market_rows(store)) == before
                return
            assert isinstance(result, dict)

        @rule(
            who=st.sampled_from(TRADERS),
            buy=st.booleans(),
            price=PRICES,
            lots=st.integers(1, 4),
            ioc=st.booleans(),
        )
        def place(self, who: str, buy: bool, price: int, lots: int, ioc: bool) -> None:
            side = "buy" if buy else "sell"
            cmd = PlaceOrder(
                CONTRACT,
                self.w.accounts[who],
                f"o{self.n}",
                side,
                price,
                lots * T,
                "ioc" if ioc else "day",
            )

            def act() -> dict[str, object]:
                out = self.w.market.place(who, f"k{self.n}", cmd)
                self.orders.append((who, int(out["order_id"])))
                return out

            self._do(act)

        @rule(pick=st.integers(0, 50), price=PRICES, lots=st.integers(1, 5))
        def amend(self, pick: int, price: int, lots: int) -> None:
            if self.orders:
                who, oid = self.orders[pick % len(self.orders)]
                cmd = AmendOrder(CONTRACT, oid, price, lots * T)
                self._do(lambda: self.w.market.amend(who, f"k{self.n}", cmd))

        @rule(pick=st.integers(0, 50))
        def cancel(self, pick: int) -> None:
            if self.orders:
                who, oid = self.orders[pick % len(self.orders)]
                self._do(
                    lambda: self.w.market.cancel(who, f"k{self.n}", CancelOrder(CONTRACT, oid))
                )

        @rule()
        def close_and_open_next_day(self) -> None:
            self.w.clock.now = at(self.day, 15, 1)
            self.w.market.close_day(
                "registry", f"close-{self.day}", CloseDay(CONTRACT, self.day.isoformat())
            )
            self.day += timedelta(days=1)
            while self.day.weekday() >= 5:
                self.day += timedelta(days=1)
            self.w.clock.now = at(self.day, 10, 0)
            self.orders = []

        @invariant()
        def holds(self) -> None:
            if not hasattr(self, "w"):
                return
            assert _totals(store) == self.totals
            balances, _ = holdings(store)
            assert all(
                v >= 0
                for (acc, _a, s), v in balances.items()
                if s in (int(State.AVAILABLE), int(State.FROZEN))
            )
            depth = queries.depth(store, CONTRACT)
            if depth["bids"] and depth["asks"]:
                assert depth["bids"][0]["price_fen_per_t"] < depth["asks"][0]["price_fen_per_t"]
            report = verify(store)
            assert report.ok, report.problems

    return Orders


def test_order_entry_keeps_every_invariant_after_every_step(store: SqlStore) -> None:
    machine = machine_for(store)
    machine.TestCase.settings = settings(
        max_examples=examples(ci=8, thorough=12),
        stateful_step_count=20,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    machine.TestCase().runTest()
