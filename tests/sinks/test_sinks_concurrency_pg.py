"""Many people sponsor one project at once, on PostgreSQL (the server's database).

16 threads sponsor at random: some people cannot afford what they ask, some ask for more
units than are left, some retry with the same idempotency key (alone, or two threads at
once), some reuse a key for a different request. Afterwards: the units sold never exceed
the units on offer, every person's spent energy is exactly their shares × the unit
price, each successful request spent energy once (one entry, one sponsorship row), and
``verify`` — journal replay and the sink audit — finds nothing.
"""

from __future__ import annotations

import contextlib
import random
import threading
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from sinks_world import SinkWorld, approved_project, build, grant_energy, unit_g

from pctrade import bootstrap
from pctrade.bootstrap.contexts import verify
from pctrade.kernel.errors import PctradeError
from pctrade.ledger.model import ENERGY_ASSET, State
from pctrade.ledger.sql.store import SqlStore
from pctrade.sinks.service import Sinks
from pctrade.sinks.sql import store as sinks_store

pytestmark = pytest.mark.pg

THREADS = 16
PER_THREAD = 25
PEOPLE = tuple(f"p{i:02d}" for i in range(24))
UNITS_OFFERED = 600  # less than the threads ask for in all: some hit units_exhausted


@dataclass
class Outcome:
    answers: list[tuple[str, str, int, int, bool]] = field(default_factory=list)
    refused: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def applied(self) -> dict[tuple[str, str], tuple[int, int]]:
        """(person, key) → (seq, units) of each request applied; a key applies once."""
        first = [a for a in self.answers if not a[4]]
        applied = {(p, k): (seq, u) for p, k, seq, u, _ in first}
        assert len(applied) == len(first), "a key applied twice"
        for p, k, seq, u, _ in self.answers:  # every replay answers with the original
            assert applied[(p, k)] == (seq, u)
        return applied

    def refuse(self, code: str) -> None:
        with self.lock:
            self.refused[code] = self.refused.get(code, 0) + 1


def attempt(sinks: Sinks, w: SinkWorld, out: Outcome, person: str, key: str, units: int) -> None:
    try:
        done = sinks.sponsor(person, key, w.people[person], "AFF0007", units)
    except PctradeError as exc:
        out.refuse(exc.code)
        return
    except Exception as exc:  # anything else is a bug the test must show
        with out.lock:
            out.errors.append(f"{type(exc).__name__}: {exc}")
        return
    with out.lock:  # a replay may finish before the thread that applied the key records it
        out.answers.append((person, key, done.spend_seq, units, done.replayed))


def worker(
    sinks: Sinks, w: SinkWorld, out: Outcome, thread: int, barrier: threading.Barrier
) -> None:
    rng = random.Random(thread)
    for j in range(PER_THREAD):
        person, units = rng.choice(PEOPLE), rng.randint(1, 6)
        key = f"t{thread}-{j}"
        attempt(sinks, w, out, person, key, units)
        roll = rng.random()
        if roll < 0.15:  # a retry of the same request: answered as a replay, or refused again
            attempt(sinks, w, out, person, key, units)
        elif roll < 0.2:  # the same key for another request
            attempt(sinks, w, out, person, key, units + 1)
        if j % 5 == 0:  # a key two threads send at the same moment (each pair shares it)
            pair = thread // 2
            shared_person = PEOPLE[(pair * 7 + j) % len(PEOPLE)]
            barrier_wait(barrier)
            attempt(sinks, w, out, shared_person, f"shared-{pair}-{j}", 1)


def barrier_wait(barrier: threading.Barrier) -> None:
    with contextlib.suppress(threading.BrokenBarrierError):  # a failed thread shows as such
        barrier.wait(timeout=30)


@pytest.fixture
def world(pg_store: SqlStore) -> SinkWorld:
    w = build(pg_store, PEOPLE)
    rng = random.Random(99)
    # Some people hold energy for a few units only, some for many.
    grant_energy(w, {p: rng.choice([2, 5, 40, 80]) * unit_g(UNITS_OFFERED) for p in PEOPLE})
    approved_project(w, units=UNITS_OFFERED)
    return w


@pytest.mark.parametrize("group_commit", [False, True])
def test_concurrent_sponsorships_never_oversell_or_spend_twice(
    world: SinkWorld, group_commit: bool
) -> None:
    w = world
    app = bootstrap.build(w.store, clock=w.clock, group_commit=group_commit)
    reg, sinks = app.registry, app.sinks
    out = Outcome()
    barrier = threading.Barrier(THREADS)
    threads = [
        threading.Thread(target=worker, args=(sinks, w, out, t, barrier)) for t in range(THREADS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    reg.close()
    assert not any(t.is_alive() for t in threads)
    assert out.errors == []
    applied = out.applied()
    assert applied and len(out.answers) > len(applied)  # some requests were replays
    assert {"insufficient_balance", "idempotency_key_reused"} <= out.refused.keys(), out.refused

    with w.store.engine.connect() as conn:
        rows = conn.execute(sa.select(sinks_store.sponsorships)).mappings().all()
        sold = conn.execute(sa.select(sinks_store.projects.c.units_sold)).scalar_one()
        spends = conn.execute(
            sa.text("SELECT COUNT(*) FROM entries WHERE op_type = 'energy_spend'")
        ).scalar_one()
    assert sold == sum(r["units"] for r in rows) <= UNITS_OFFERED
    # One entry and one row per applied request: no energy was spent twice.
    assert spends == len(rows) == len(applied)
    assert sorted(r["spend_seq"] for r in rows) == sorted(s for s, _ in applied.values())
    with w.store.reader() as uow:
        for person in PEOPLE:
            account = w.people[person]
            units = sum(u for (p, _), (_, u) in applied.items() if p == person)
            assert uow.balance(account, ENERGY_ASSET, State.SPENT) == units * unit_g(UNITS_OFFERED)
            assert uow.balance(account, ENERGY_ASSET, State.AVAILABLE) >= 0
    report = verify(w.store)
    assert report.ok, report.problems
