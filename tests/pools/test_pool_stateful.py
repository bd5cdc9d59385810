"""Random pool operations on SQLite, with the registry's invariants after each step.

A small model keeps each person's available and frozen PCER and each deposit's
unsold grams; after every step the stored balances and holds must equal it, the pool's
public aggregates must add up, and ``verify`` must replay the journal and pass every
audit. Refused operations must change nothing. (Helper B extends this machine with
sales and payouts.)
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from pool_world import HOLDING_G, PEOPLE, PoolWorld, build, new_key, terms

from hypothesis_budget import examples
from pctrade.bootstrap.contexts import verify
from pctrade.kernel.errors import PctradeError
from pctrade.ledger.model import State
from pctrade.ledger.sql.store import SqlStore
from pctrade.pools import commands as pc
from pctrade.pools import queries
from table_snapshot import everything

grams = st.integers(min_value=1, max_value=HOLDING_G + 5_000)
POOLS_MAX = 3


@dataclass
class Deposit:
    deposit_id: int
    who: str
    pool_id: str
    left_g: int
    unlocks_after_days: int  # the day (of the machine's clock) its lock-in ends


class PoolMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = tempfile.TemporaryDirectory()
        self.store = SqlStore(f"sqlite:///{Path(self.dir.name) / 'p.db'}")
        self.w: PoolWorld
        self.pools: dict[str, int] = {}  # pool id -> lock-in days
        self.available = {who: HOLDING_G for who in PEOPLE}
        self.deposits: list[Deposit] = []
        self.day = 0

    @initialize()
    def setup(self) -> None:
        self.w = build(self.store)

    def refused(self, write: object) -> None:
        before = everything(self.store)
        try:
            write()  # type: ignore[operator]
        except PctradeError:
            pass
        else:
            raise AssertionError("an invalid operation was accepted")
        assert everything(self.store) == before

    # ---- rules -----------------------------------------------------------------------
    @precondition(lambda self: len(self.pools) < POOLS_MAX)
    @rule(lock_in_days=st.integers(0, 3))
    def open_pool(self, lock_in_days: int) -> None:
        pool_id = self.w.open(terms(lock_in_days=lock_in_days))
        self.pools[pool_id] = lock_in_days

    @precondition(lambda self: bool(self.pools))
    @rule(data=st.data(), who=st.sampled_from(PEOPLE), quantity=grams)
    def deposit(self, data: st.DataObject, who: str, quantity: int) -> None:
        pool_id = data.draw(st.sampled_from(sorted(self.pools)))
        if quantity > self.available[who]:
            self.refused(lambda: self.w.deposit(who, pool_id, quantity))
            return
        seq = self.w.deposit(who, pool_id, quantity)
        self.available[who] -= quantity
        self.deposits.append(Deposit(seq, who, pool_id, quantity, self.day + self.pools[pool_id]))

    @precondition(lambda self: bool(self.pools))
    @rule(data=st.data(), who=st.sampled_from(PEOPLE), quantity=grams)
    def withdraw(self, data: st.DataObject, who: str, quantity: int) -> None:
        pool_id = data.draw(st.sampled_from(sorted(self.pools)))
        mine = [d for d in self.deposits if d.who == who and d.pool_id == pool_id and d.left_g]
        free = [d for d in mine if d.unlocks_after_days <= self.day]
        if quantity > sum(d.left_g for d in free):
            self.refused(lambda: self.w.withdraw(who, pool_id, quantity))
            return
        self.w.withdraw(who, pool_id, quantity)
        left = quantity
        for d in sorted(free, key=lambda d: d.deposit_id):  # oldest unlocked first
            take = min(left, d.left_g)
            d.left_g -= take
            left -= take
        self.available[who] += quantity

    @rule(days=st.integers(1, 2))
    def later(self, days: int) -> None:
        # Whole days from the opening moment: a lock-in of n days ends exactly n days on.
        self.w.clock.now = self.w.clock.now + timedelta(days=days)
        self.day += days

    @precondition(lambda self: bool(self.pools))
    @rule(data=st.data(), who=st.sampled_from(PEOPLE))
    def replay_a_deposit(self, data: st.DataObject, who: str) -> None:
        """The same key and command again answers the first entry and moves nothing."""
        pool_id = data.draw(st.sampled_from(sorted(self.pools)))
        if self.available[who] == 0:
            return
        key = new_key()
        cmd = pc.DepositToPool(pool_id, self.w.people[who], self.w.pcer, 1)
        first = self.w.app.pools.deposit(who, key, cmd)
        self.available[who] -= 1
        self.deposits.append(Deposit(first.seq, who, pool_id, 1, self.day + self.pools[pool_id]))
        before = everything(self.store)
        again = self.w.app.pools.deposit(who, key, cmd)
        assert again.replayed and again.seq == first.seq
        assert everything(self.store) == before

    # ---- invariants ------------------------------------------------------------------
    @invariant()
    def balances_holds_and_aggregates_match_the_model_and_verify(self) -> None:
        if not hasattr(self, "w"):
            return
        with self.store.reader() as uow:
            batch = uow.batch_named(self.w.pcer)
            assert batch is not None
            for who, account in self.w.people.items():
                frozen = sum(d.left_g for d in self.deposits if d.who == who)
                assert uow.balance(account, batch.asset_id, State.AVAILABLE) == self.available[who]
                assert uow.balance(account, batch.asset_id, State.FROZEN) == frozen
            for d in self.deposits:
                hold = uow.hold(d.deposit_id)
                assert hold is not None and hold.remaining == d.left_g
        for pool_id in self.pools:
            page = queries.public_page(self.store, pool_id)
            ours = [d for d in self.deposits if d.pool_id == pool_id]
            assert page["unsold_g"] == sum(d.left_g for d in ours)
            assert page["contributors"] == len({d.who for d in ours if d.left_g})
        report = verify(self.store)
        assert report.ok, report.problems

    def teardown(self) -> None:
        self.store.dispose()
        self.dir.cleanup()


PoolMachine.TestCase.settings = settings(
    # Each example builds its world through the credit path (about 2.5 s).
    max_examples=examples(ci=4, thorough=12),
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestPoolStateful = PoolMachine.TestCase
