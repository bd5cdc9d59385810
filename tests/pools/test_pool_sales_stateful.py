"""Deposits, withdrawals, sales and payouts in random order, on SQLite, with the
registry's invariants (``verify``: the journal, the holds, every context's audit) and a
model of the pool after every step.

The model knows what each contributor deposited, withdrew and sold, and the cash the
buyer paid. After each step: every contributor's PCER is what they were issued less
what they sold; their frozen PCER is their unsold deposits; the buyer holds exactly the
grams sold; every fen the buyer paid is in a contributor's, the platform's or the fee
account's hands; each sale drew from each contributor within a gram of their pro-rata
share and paid them within a fen of theirs. A refused step changes nothing.
"""

from __future__ import annotations

import tempfile
from fractions import Fraction
from pathlib import Path

import hypothesis.strategies as st
from hypothesis import HealthCheck, event, settings
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from pool_world import HOLDING_G, PEOPLE, build, new_key, terms
from sale_support import sell

from hypothesis_budget import examples
from integration.registry_world import snapshot
from pctrade.bootstrap.contexts import verify
from pctrade.kernel.errors import PctradeError
from pctrade.ledger import commands as c
from pctrade.ledger.model import CASH_ASSET, Role, State, SystemAccount
from pctrade.ledger.sql.store import SqlStore
from pctrade.pools import sales
from pctrade.pools.settle import PoolSale

BUYER_CASH_FEN = 10**12
FLOOR = 3_000
# The codes a random step may be refused with; anything else is a failure.
REFUSALS = {
    "insufficient_balance",
    "pool_units_locked",
    "exceeds_pool",
    "non_positive",
    "below_floor",
    "pool_units_sold",
    "units_frozen",
}


class PoolSalesMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = tempfile.TemporaryDirectory()
        self.store = SqlStore(f"sqlite:///{Path(self.dir.name) / 'p.db'}")
        self.w = build(self.store)
        self.unsold: dict[str, int] = dict.fromkeys(PEOPLE, 0)
        self.sold: dict[str, int] = dict.fromkeys(PEOPLE, 0)
        self.paid_fen = 0
        self.sales = 0

    @initialize()
    def setup(self) -> None:
        reg = self.w.app.registry
        r = reg.open_account("registry", "o-steel", c.OpenAccount("steel", Role.EMITTER, "S"))
        self.buyer = int(r.payload["account"])
        reg.deposit("reg", "d-steel", c.Deposit(self.buyer, BUYER_CASH_FEN, "bank"))
        self.pool = self.w.open(terms(floor_fen_per_t=FLOOR))
        with self.store.reader() as uow:
            batch = uow.batch_named(self.w.pcer)
            assert batch is not None
            self.asset = batch.asset_id
        # Every example starts with a pool to sell from: one deposit of each person.
        for i, who in enumerate(PEOPLE):
            self.w.deposit(who, self.pool, 5_000 * (i + 1))
            self.unsold[who] += 5_000 * (i + 1)

    def refused(self, call: object) -> None:
        before = snapshot(self.store)
        try:
            call()  # type: ignore[operator]
        except PctradeError as exc:
            assert exc.code in REFUSALS, exc
            assert snapshot(self.store) == before
        else:
            raise AssertionError("a refusal was expected")

    def balance(self, account: int, asset: int, state: State) -> int:
        with self.store.reader() as uow:
            return int(uow.balance(account, asset, state))

    @rule(who=st.sampled_from(PEOPLE), grams=st.integers(1, 30_000))
    def deposit(self, who: str, grams: int) -> None:
        available = HOLDING_G - self.sold[who] - self.unsold[who]
        if grams > available:
            self.refused(lambda: self.w.deposit(who, self.pool, grams))
            return
        self.w.deposit(who, self.pool, grams)
        self.unsold[who] += grams
        event("a deposit")

    @rule(who=st.sampled_from(PEOPLE), grams=st.integers(1, 20_000))
    def withdraw(self, who: str, grams: int) -> None:
        try:
            self.w.withdraw(who, self.pool, grams)
        except PctradeError as exc:
            assert exc.code in REFUSALS, exc
            return  # the refusal's snapshot is checked by ``refused`` in the other rules
        self.unsold[who] -= grams
        event("a withdrawal")

    @rule(days=st.integers(1, 40))
    def later(self, days: int) -> None:
        self.w.later(days)

    @rule(data=st.data(), price=st.integers(1, 3_000_000))
    def sale(self, data: st.DataObject, price: int) -> None:
        # Mostly within what the pool holds, sometimes a little beyond it.
        quantity = data.draw(st.integers(1, sum(self.unsold.values()) + 10))
        self.sales += 1
        sale = PoolSale(
            self.pool,
            f"S-{self.sales}",
            "block",
            price,
            quantity,
            self.buyer,
            self.w.platform_account,
            500,
            30,
        )
        free = sum(self.unsold.values())
        if quantity > free or price < FLOOR or price * quantity < 10**6:
            self.refused(lambda: sell(self.w.app.registry, new_key(), sale))
            event("a sale refused")
            return
        before = dict(self.unsold)
        receipt = sell(self.w.app.registry, new_key(), sale)
        p = receipt.entry.header.payload
        payout = p["payout"]
        by_account = {a: w for w, a in self.w.people.items()}
        for account, grams, net in zip(
            payout["accounts"], payout["grams"], payout["net_fen"], strict=True
        ):
            who = by_account[account]
            assert abs(grams - Fraction(quantity * before[who], free)) < 1
            assert abs(net - Fraction(p["net_fen"] * grams, quantity)) < 1
            self.unsold[who] -= grams
            self.sold[who] += grams
        assert sum(payout["net_fen"]) == p["net_fen"]
        self.paid_fen += p["gross_fen"] + p["buyer_fee_fen"]
        event("a sale settled")

    @invariant()
    def the_registry_verifies_and_matches_the_model(self) -> None:
        if not hasattr(self, "pool"):
            return
        report = verify(self.store)
        assert report.ok, report.problems
        for who, account in self.w.people.items():
            frozen = self.balance(account, self.asset, State.FROZEN)
            available = self.balance(account, self.asset, State.AVAILABLE)
            assert frozen == self.unsold[who]
            assert frozen + available == HOLDING_G - self.sold[who]
        assert self.balance(self.buyer, self.asset, State.AVAILABLE) == sum(self.sold.values())
        with self.store.reader() as uow:
            assert sales.free_g(uow, self.pool) == sum(self.unsold.values())
        received = sum(self.balance(a, CASH_ASSET, State.AVAILABLE) for a in self.w.people.values())
        received += self.balance(self.w.platform_account, CASH_ASSET, State.AVAILABLE)
        received += self.balance(SystemAccount.FEES, CASH_ASSET, State.AVAILABLE)
        assert received == self.paid_fen
        assert (
            self.balance(self.buyer, CASH_ASSET, State.AVAILABLE) == BUYER_CASH_FEN - self.paid_fen
        )

    def teardown(self) -> None:
        self.w.app.close()
        self.store.dispose()
        self.dir.cleanup()


PoolSalesMachine.TestCase.settings = settings(
    max_examples=examples(ci=12, thorough=25),
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestPoolSalesStateful = PoolSalesMachine.TestCase
