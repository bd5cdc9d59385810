"""Collecting green energy, on SQLite and PostgreSQL.

Energy is credited uncollected; its holder (or an agent) collects what is younger than
the expiry period into available, and what is older lapses in the same entry; only
collected energy is spent, and only uncollected energy lapses. ``verify`` finds a
credit made on the wrong side of where collection began, and a collection row altered.
A property test replays random credits, collections, clock moves, spends and expiry
runs, and holds every person's energy to credited = collected + uncollected + lapsed
(collected = available + spent).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import hypothesis.strategies as st
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from registry_world import assert_verifies, snapshot

from pctrade import bootstrap
from pctrade.bootstrap.contexts import verify
from pctrade.energy import service as energy
from pctrade.energy.commands import CreditEnergy
from pctrade.energy.entries import credit_energy
from pctrade.energy.model import EnergyCredit, EnergyLine, EnergyOp
from pctrade.energy.sql import schema as energy_schema
from pctrade.kernel.clock import SetClock
from pctrade.kernel.errors import Conflict, Forbidden, InsufficientBalance
from pctrade.ledger import commands as c
from pctrade.ledger.journal import format_ts
from pctrade.ledger.model import ENERGY_ASSET, Role, State, SystemAccount
from pctrade.ledger.operations import Plan
from pctrade.ledger.postings import Posting, Postings
from pctrade.ledger.service import Registry
from pctrade.ledger.sql.store import SqlStore
from pctrade.rules import RuleBook

T0 = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
EXPIRY = timedelta(hours=72)  # the national rule set's, as Ant Forest's


@dataclass
class World:
    reg: Registry
    store: SqlStore
    clock: SetClock
    rules: RuleBook
    alice: int
    bob: int
    days: int = 0

    def credit(self, account: int, grams: int) -> int:
        """A credit of ``grams`` to ``account`` now, as one day's entry; its seq."""
        self.days += 1
        day = (T0.date() + timedelta(days=self.days)).isoformat()
        line = EnergyLine(
            day, account, str(account), "walking", "walking/v1", "steps", "step", 1,
            grams * 50, 20_000, grams * 1_000_000, 0, 0, grams, "",
        )  # fmt: skip
        cmd = CreditEnergy(EnergyCredit(day, ("walking/v1",), 0, (line,)))
        return credit_energy(self.reg, "registry", f"credit-{day}", cmd).seq

    def collect(self, account: int, who: str, key: str) -> energy.CollectReport:
        return energy.collect(self.reg, who, key, account, self.clock.now, rules=self.rules)

    def balance(self, account: int, state: State) -> int:
        with self.store.reader() as uow:
            return uow.balance(account, ENERGY_ASSET, state)


def _world(store: SqlStore) -> World:
    clock = SetClock(T0)
    app = bootstrap.build(store, clock=clock)
    ids = []
    for party in ("alice", "bob"):
        r = app.registry.open_account(
            "registry", f"o-{party}", c.OpenAccount(party, Role.INDIVIDUAL, party)
        )
        ids.append(int(r.payload["account"]))
    return World(app.registry, app.store, clock, app.rules, ids[0], ids[1])


@pytest.fixture
def world(any_store: SqlStore) -> Iterator[World]:
    w = _world(any_store)
    yield w
    assert_verifies(w.store)


def test_a_collection_moves_exactly_the_valid_uncollected_energy(world: World) -> None:
    world.credit(world.alice, 70)  # at T0: older than 72 h when collected
    world.clock.now = T0 + 48 * HOUR
    second = world.credit(world.alice, 30)
    world.clock.now = T0 + 80 * HOUR
    report = world.collect(world.alice, "alice", "c1")
    assert (report.collected_g, report.lapsed_g) == (30, 70)
    assert report.rule_set.startswith("CN/") and report.expiry_s == 259_200
    assert world.balance(world.alice, State.AVAILABLE) == 30
    assert world.balance(world.alice, State.EXPIRED) == 70
    assert world.balance(world.alice, State.UNCOLLECTED) == 0
    with world.store.reader() as uow:
        row = uow.execute(sa.select(energy_schema.energy_collections)).mappings().one()
    assert (row["seq"], row["first_seq"], row["collected_g"]) == (report.seq, second, 30)


def test_a_replay_of_a_collection_answers_the_same_entry_later(world: World) -> None:
    world.credit(world.alice, 40)
    first = world.collect(world.alice, "alice", "c1")
    world.clock.now = T0 + 5 * HOUR  # the cutoff moves; the request is the same
    again = world.collect(world.alice, "alice", "c1")
    assert (again.seq, again.replayed, again.collected_g) == (first.seq, True, 40)
    assert world.balance(world.alice, State.AVAILABLE) == 40


def test_nothing_to_collect_is_refused_and_changes_nothing(world: World) -> None:
    before = snapshot(world.store)
    with pytest.raises(Conflict) as info:
        world.collect(world.alice, "alice", "c1")
    assert info.value.code == "nothing_to_collect"
    world.credit(world.alice, 40)
    world.clock.now = T0 + 73 * HOUR  # all of it is too old: only the expiry run lapses it
    before = snapshot(world.store)
    with pytest.raises(Conflict) as info:
        world.collect(world.alice, "alice", "c2")
    assert info.value.code == "nothing_to_collect"
    assert snapshot(world.store) == before
    assert energy.expire(world.reg, world.clock.now, rules=world.rules).expired_g == 40


def test_someone_elses_account_is_refused_unless_they_authorised_it(world: World) -> None:
    world.credit(world.alice, 40)
    before = snapshot(world.store)
    with pytest.raises(Forbidden) as info:
        world.collect(world.alice, "bob", "c1")
    assert info.value.code == "not_your_account"
    assert snapshot(world.store) == before
    world.reg.authorize("alice", "grant-bob", c.Authorize(world.alice, "bob"))
    assert world.collect(world.alice, "bob", "c1").collected_g == 40


def test_spending_draws_only_on_collected_energy(world: World) -> None:
    world.credit(world.alice, 100)
    before = snapshot(world.store)
    with pytest.raises(InsufficientBalance):
        energy.spend(world.reg, "alice", "sp-1", world.alice, 1, "sink_sponsorship", "tree-1")
    assert snapshot(world.store) == before
    world.collect(world.alice, "alice", "c1")
    world.credit(world.alice, 50)  # uncollected: not spendable
    with pytest.raises(InsufficientBalance):
        energy.spend(world.reg, "alice", "sp-2", world.alice, 101, "sink_sponsorship", "tree-1")
    energy.spend(world.reg, "alice", "sp-3", world.alice, 100, "sink_sponsorship", "tree-1")
    assert world.balance(world.alice, State.UNCOLLECTED) == 50


def test_collected_energy_never_lapses_and_uncollected_energy_does(world: World) -> None:
    world.credit(world.alice, 100)
    world.credit(world.bob, 60)
    world.collect(world.alice, "alice", "c1")
    world.clock.now = T0 + 1000 * HOUR
    report = energy.expire(world.reg, world.clock.now, rules=world.rules)
    assert (report.accounts, report.expired_g) == (1, 60)
    assert world.balance(world.alice, State.AVAILABLE) == 100
    assert world.balance(world.bob, State.EXPIRED) == 60


def test_pending_lists_each_credit_with_its_expiry_time(world: World) -> None:
    world.credit(world.alice, 70)
    world.clock.now = T0 + 48 * HOUR
    second = world.credit(world.alice, 30)
    world.clock.now = T0 + 80 * HOUR
    found = energy.pending(world.store, world.alice, world.clock.now, rules=world.rules)
    assert (found.uncollected_g, found.collectable_g, found.lapsed_g) == (100, 30, 70)
    [credit] = found.credits
    assert (credit.seq, credit.credited_g) == (second, 30)
    assert credit.expires_at == format_ts(T0 + 48 * HOUR + EXPIRY)
    st = energy.statement(
        world.store, world.alice, T0.date(), T0.date() + timedelta(days=5),
        now=world.clock.now, rules=world.rules,
    )  # fmt: skip
    assert st.uncollected_g == 100 and st.pending is not None and st.pending.collectable_g == 30


# ---- verify -------------------------------------------------------------------------
def _append(store: SqlStore, plan: Plan, key: str, ts: datetime) -> None:
    with store.writer() as uow:
        uow.append(plan, "registry", key, key, format_ts(ts))
        uow.commit()


def test_verify_finds_a_credit_straight_to_available_after_collection_began(
    any_store: SqlStore,
) -> None:
    w = _world(any_store)
    honest = w.credit(w.alice, 10)
    rows = [
        Posting(SystemAccount.ISSUANCE, ENERGY_ASSET, State.SOURCE, -10),
        Posting(w.alice, ENERGY_ASSET, State.AVAILABLE, 10),
    ]
    forged = Plan(EnergyOp.CREDIT, {"day": "2026-07-01", "credited_g": 10}, Postings.of(rows))
    _append(w.store, forged, "forged", T0)
    found = [(p.code, p.seq) for p in verify(w.store).problems]
    assert ("energy_credit_off_rule", honest + 1) in found
    assert all(seq != honest for _, seq in found)


def test_verify_finds_an_altered_collection_row(world: World) -> None:
    world.credit(world.alice, 40)
    report = world.collect(world.alice, "alice", "c1")
    rows = energy_schema.energy_collections
    with world.store.engine.begin() as conn:
        conn.execute(sa.update(rows).values(collected_g=400))
    found = [(p.code, p.seq) for p in verify(world.store).problems]
    assert found == [("energy_collection_row_mismatch", report.seq)]
    with world.store.engine.begin() as conn:  # put it back, so the fixture's verify passes
        conn.execute(sa.update(rows).values(collected_g=40))


# ---- the property ---------------------------------------------------------------------
STEP = st.one_of(
    st.tuples(st.just("credit"), st.integers(0, 1), st.integers(1, 500)),
    st.tuples(st.just("collect"), st.integers(0, 1), st.just(0)),
    st.tuples(st.just("advance"), st.just(0), st.integers(1, 100)),
    st.tuples(st.just("spend"), st.integers(0, 1), st.integers(1, 300)),
    st.tuples(st.just("expire"), st.just(0), st.just(0)),
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(STEP, min_size=1, max_size=14))
def test_every_gram_credited_is_collected_uncollected_or_lapsed(
    any_store: SqlStore, steps: list[tuple[str, int, int]]
) -> None:
    bootstrap.migrate(any_store)
    app = bootstrap.build(any_store, clock=SetClock(T0), prepare=False)
    app.reset()
    w = _world(any_store)
    people = [(w.alice, "alice"), (w.bob, "bob")]
    credited = [0, 0]
    for i, (kind, who, amount) in enumerate(steps):
        account, owner = people[who]
        if kind == "credit":
            w.credit(account, amount)
            credited[who] += amount
        elif kind == "collect":
            try:
                w.collect(account, owner, f"c{i}")
            except Conflict as exc:
                assert exc.code == "nothing_to_collect"
        elif kind == "advance":
            w.clock.now += amount * HOUR
        elif kind == "spend":
            enough = w.balance(account, State.AVAILABLE) >= amount
            with contextlib.suppress(InsufficientBalance):
                energy.spend(w.reg, owner, f"s{i}", account, amount, "sink_sponsorship", "t")
                assert enough, "spent more than was collected"
        else:
            energy.expire(w.reg, w.clock.now, rules=w.rules)
    for who, (account, _) in enumerate(people):
        collected = w.balance(account, State.AVAILABLE) + w.balance(account, State.SPENT)
        uncollected = w.balance(account, State.UNCOLLECTED)
        lapsed = w.balance(account, State.EXPIRED)
        assert credited[who] == collected + uncollected + lapsed
        with w.store.reader() as uow:
            rows = uow.execute(
                sa.text("SELECT SUM(collected_g) FROM energy_collections WHERE account_id = :a"),
                {"a": account},
            ).scalar()
        assert collected == int(rows or 0)
    report = verify(w.store)
    assert report.ok, report.problems
