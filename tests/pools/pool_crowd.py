"""The crowd scenario (issue 14, "done when"): ``n`` individuals' credits through one pool
sale to a key emitter, each one paid exactly, and ``verify`` passes.

    python tests/pools/pool_crowd.py --people 100000     # the issue's scenario, on SQLite
    run(store, n)                                   # what the tests call (a small n)

Every PCER comes the way the registry allows (the carbon-inclusive path), and every
deposit is the pools' own ``pool_deposit`` entry, one per person: nothing is written
around the journal. What makes 100,000 people affordable is the registry's bulk paths:
the accounts are opened in one ``OpenAccounts`` entry, the energy credited in one
``energy_credit`` entry and issued as PCER in one ``inclusive_issue`` entry; the
per-person entries (a collection, a deposit) are written many to a transaction through
``Journal.execute_in`` (as the market writes a command's entries), each planned by its
context's own planner and written with its own rows, so only the commits are shared
(the pools' service would read the same pool, terms and batch for each deposit: this
fixture knows them). The sale is one
block trade of the whole pool to the key emitter: one ``pool_settle`` entry paying all
``n`` contributors.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from pctrade import bootstrap
from pctrade.bootstrap import App
from pctrade.bootstrap.contexts import verify
from pctrade.energy.commands import CollectEnergy, CreditEnergy
from pctrade.energy.entries import _CollectionRow, collectable, credit_energy
from pctrade.energy.model import EnergyCredit, EnergyLine, plan_energy_collect
from pctrade.inclusive.claim import Period
from pctrade.kernel.clock import SetClock
from pctrade.ledger import commands as c
from pctrade.ledger.journal import format_ts
from pctrade.ledger.model import CASH_ASSET, SYSTEM_OWNER, Party, Role, State
from pctrade.ledger.operations import Plan
from pctrade.ledger.ports import UnitOfWork
from pctrade.ledger.service import account_of
from pctrade.ledger.sql import schema
from pctrade.ledger.sql.store import SqlStore
from pctrade.ledger.write import RowsBeside
from pctrade.market.commands import ListContract
from pctrade.market.venue_commands import AcceptBlock, ProposeBlock
from pctrade.pools import commands as pc
from pctrade.pools.model import Terms, plan_pool_deposit
from pctrade.pools.service import _write_deposit

PER_TRANSACTION = 2_000
CI_DAY = date(2026, 9, 15)
SALE_DAY = date(2026, 12, 7)  # a Monday: the block session is 13:00-15:00 CST
CONTRACT = "PCER-GD-2026Q3"
BATCH = "PCER-GD-CI-2026Q3-001"
PLATFORM, EMITTER, VERIFIER = "crowdplat", "steel", "ci-verifier"
PRICE_FEN_PER_T = 8_000
TERMS = Terms(
    admitted=("PCER-GD",),
    fee_bps=500,
    floor_fen_per_t=7_500,
    sale_schedule="one block sale to a key emitter",
    payout_delay_days=0,
    withdrawal_notice_days=0,
    lock_in_days=0,
)


def cst(day: date, hh: int, mm: int) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=UTC) - timedelta(hours=8)


def grams_of(i: int) -> int:
    """Person ``i``'s PCER: 1 kg to about 2 kg, uneven, so the split has remainders."""
    return 1_000 + (i * 7_919) % 1_013


@dataclass
class Crowd:
    app: App
    people: list[str]
    accounts: list[int]
    platform: int
    emitter: int
    pool_id: str
    seconds: dict[str, float]


def _batched(
    app: App,
    items: Sequence[Any],
    entry: Callable[[Any], tuple[str, str, Any, Callable[[UnitOfWork, Party], Plan], Any]],
) -> None:
    """One entry per item, ``PER_TRANSACTION`` to a transaction (``Journal.execute_in``)."""
    journal = app.registry.journal
    for start in range(0, len(items), PER_TRANSACTION):
        with app.store.writer() as uow:
            for item in items[start : start + PER_TRANSACTION]:
                journal.execute_in(uow, *entry(item))
            uow.commit()


def _collect(app: App, cutoff: str) -> Callable[[tuple[str, int]], Any]:
    def entry(item: tuple[str, int]) -> Any:
        person, account_id = item

        def planner(uow: UnitOfWork, who: Party) -> Plan:
            found = collectable(uow, account_of(uow, account_id), cutoff)
            return plan_energy_collect(found, cutoff, 259_200, "")

        return person, f"collect-{person}", CollectEnergy(account_id), planner, _CollectionRow()

    return entry


def _deposit(pool_id: str, asset_id: int) -> Callable[[tuple[int, str, int]], Any]:
    def entry(item: tuple[int, str, int]) -> Any:
        i, person, account_id = item
        cmd = pc.DepositToPool(pool_id, account_id, BATCH, grams_of(i))

        def planner(uow: UnitOfWork, who: Party) -> Plan:
            return plan_pool_deposit(pool_id, account_id, asset_id, grams_of(i), 1)

        return person, f"deposit-{person}", cmd, planner, RowsBeside(_write_deposit)

    return entry


def _line(day: str, account_id: int, person: str, grams: int) -> EnergyLine:
    """A day's metro energy, 1 g per km: the statement line is its own arithmetic."""
    return EnergyLine(
        day, account_id, person, "metro", "metro/v1", "metro_km", "km", 1, grams, 1_000_000,
        grams * 1_000_000, 0, 0, grams, "",
    )  # fmt: skip


def setup(store: SqlStore, n: int) -> Crowd:
    seconds: dict[str, float] = {}
    clock = SetClock(datetime.combine(CI_DAY, clock_time(12), UTC))
    app = bootstrap.build(store, clock=clock)
    reg = app.registry
    started = time.perf_counter()
    for party, role in [("reg", Role.REGULATOR), (PLATFORM, Role.PLATFORM), (EMITTER, Role.EMITTER),
                        (VERIFIER, Role.VERIFIER)]:  # fmt: skip
        reg.open_account("registry", f"o-{party}", c.OpenAccount(party, role, party))
    people = [f"p{i:07d}" for i in range(n)]
    reg.open_accounts("registry", "o-people", c.OpenAccounts(Role.INDIVIDUAL, people))
    with store.reader() as uow:
        by_person = uow.individual_accounts(people)
        platform = uow.accounts_of(PLATFORM)[0].account_id
        emitter = uow.accounts_of(EMITTER)[0].account_id
    accounts = [by_person[p] for p in people]
    seconds["open"] = time.perf_counter() - started

    started = time.perf_counter()
    day = CI_DAY.isoformat()
    lines = [
        _line(day, a, p, grams_of(i)) for i, (p, a) in enumerate(zip(people, accounts, strict=True))
    ]
    credit = EnergyCredit(day, ("metro/v1",), 0, lines)
    credit_energy(reg, SYSTEM_OWNER, "crowd-energy", CreditEnergy(credit))
    cutoff = format_ts(clock() - timedelta(seconds=259_200))
    _batched(app, list(zip(people, accounts, strict=True)), _collect(app, cutoff))
    clock.now = datetime.combine(CI_DAY + timedelta(days=1), clock_time(2), UTC)
    opened = app.inclusive.open(SYSTEM_OWNER, "crowd-ci-open", "GD", Period(CI_DAY, CI_DAY))
    issuance = int(opened["issuance_id"])
    app.inclusive.verify(VERIFIER, "crowd-ci-verify", issuance, approve=True)
    assert app.inclusive.issue(SYSTEM_OWNER, "crowd-ci-issue", issuance).batch == BATCH
    seconds["pcer"] = time.perf_counter() - started

    clock.now = cst(SALE_DAY, 9, 0)
    listing = ListContract("PCER", "GD", "2026Q3", reference_price_fen_per_t=PRICE_FEN_PER_T)
    app.market.list_contract("registry", "crowd-list", listing)
    reg.deposit("reg", "crowd-cash", c.Deposit(emitter, 10 * n * 100, "bank-steel"))
    pool = app.pools.open(PLATFORM, "crowd-pool", pc.OpenPool(platform, "GD", "Crowd", TERMS))
    pool_id = str(pool.payload["pool_id"])
    with store.reader() as uow:
        batch = uow.batch_named(BATCH)
    assert batch is not None
    started = time.perf_counter()
    items = [(i, p, a) for i, (p, a) in enumerate(zip(people, accounts, strict=True))]
    _batched(app, items, _deposit(pool_id, batch.asset_id))
    seconds["deposits"] = time.perf_counter() - started
    return Crowd(app, people, accounts, platform, emitter, pool_id, seconds)


def sell_all(crowd: Crowd) -> int:
    """The platform sells the whole pool (its whole tonnes, in PCER's 10 kg lots) to the
    key emitter by block trade; the settlement entry's seq."""
    app, clock = crowd.app, crowd.app.clock
    assert isinstance(clock, SetClock)
    free = sum(grams_of(i) for i in range(len(crowd.people)))
    grams = free - free % 10_000
    clock.now = cst(SALE_DAY, 13, 30)
    propose = ProposeBlock(CONTRACT, crowd.platform, EMITTER, "sell", grams, PRICE_FEN_PER_T,
                           900, pool=crowd.pool_id)  # fmt: skip
    proposed = app.blocks.propose(PLATFORM, "crowd-propose", propose)
    clock.now = cst(SALE_DAY, 13, 40)
    accept = AcceptBlock(CONTRACT, int(proposed["proposal_id"]), crowd.emitter)
    started = time.perf_counter()
    accepted = app.blocks.accept(EMITTER, "crowd-accept", accept)
    crowd.seconds["sale"] = time.perf_counter() - started
    return int(accepted["entries"][-1])


def cash_of(store: SqlStore, accounts: Sequence[int]) -> dict[int, int]:
    b = schema.balances.c
    query = sa.select(b.account_id, b.amount).where(
        b.asset_id == CASH_ASSET, b.state == int(State.AVAILABLE)
    )
    wanted = set(accounts)
    with store.engine.connect() as conn:
        return {int(a): int(v) for a, v in conn.execute(query) if int(a) in wanted}


def exact(total: int, weights: Sequence[int]) -> Iterator[int]:
    """The scenario's own largest-remainder split (ties to the earlier weight)."""
    whole = sum(weights)
    shares = [total * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    yield from shares


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = SqlStore(f"sqlite:///{Path(tmp) / 'crowd.db'}")
        bootstrap.migrate(store)
        crowd = setup(store, args.people)
        seq = sell_all(crowd)
        with store.reader() as uow:
            entry = uow.entry(seq)
        assert entry is not None
        p = entry.header.payload
        paid = cash_of(store, crowd.accounts)
        payout = p["payout"]
        assert [paid.get(a, 0) for a in payout["accounts"]] == payout["net_fen"]
        assert sum(payout["net_fen"]) == p["net_fen"]
        started = time.perf_counter()
        report = verify(store)
        crowd.seconds["verify"] = time.perf_counter() - started
        print(f"{args.people} people, {p['contributors']} paid, {p['net_fen']} fen net, "
              f"verify {'OK' if report.ok else report.problems[:3]}, "
              + ", ".join(f"{k} {v:.1f} s" for k, v in crowd.seconds.items()))  # fmt: skip
        if not report.ok:
            sys.exit(1)


if __name__ == "__main__":
    main()
