"""A small world for the carbon-inclusive tests: parties, people, energy lines, a clock."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime

from pctrade import bootstrap
from pctrade.bootstrap import App
from pctrade.energy import service as energy_service
from pctrade.energy.commands import CreditEnergy
from pctrade.energy.entries import credit_energy
from pctrade.energy.model import EnergyCredit, EnergyLine
from pctrade.inclusive.claim import Period
from pctrade.inclusive.service import CarbonInclusive
from pctrade.kernel.clock import SetClock
from pctrade.ledger import commands as c
from pctrade.ledger.model import ENERGY_ASSET, Role, State
from pctrade.ledger.service import Registry
from pctrade.ledger.sql.store import SqlStore
from pctrade.rules import RuleBook
from pctrade.sinks.service import Sinks

# Energy for June is credited on 2026-06-29 and 30; the issuance runs on 1 July, within
# the 72 h expiry of the last credit.
CREDITED_AT = datetime(2026, 6, 30, 1, 0, tzinfo=UTC)
NOW = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
JUNE = Period(date(2026, 6, 1), date(2026, 6, 30))

_KEYS = itertools.count(1)


def new_key() -> str:
    """A fresh idempotency key: each write a test makes is a new request."""
    return f"new-{next(_KEYS)}"


@dataclass
class World:
    reg: Registry
    ci: CarbonInclusive
    sinks: Sinks
    store: SqlStore
    clock: SetClock
    people: dict[str, int]
    rules: RuleBook
    app: App


def build(store: SqlStore, people: tuple[str, ...] = ("alice", "bob", "chen")) -> World:
    clock = SetClock(CREDITED_AT)
    app = bootstrap.build(store, clock=clock)
    reg, store = app.registry, app.store
    for party, role in [
        ("reg", Role.REGULATOR),
        ("cqc", Role.VERIFIER),
        ("greenplat-audit", Role.VERIFIER),
        ("forestco", Role.PROJECT_OWNER),
    ]:
        reg.open_account("registry", f"o-{party}", c.OpenAccount(party, role, party))
    reg.open_accounts("registry", "o-people", c.OpenAccounts(Role.INDIVIDUAL, list(people)))
    with store.reader() as uow:
        ids = {p: uow.accounts_of(p)[0].account_id for p in people}
    return World(reg, app.inclusive, app.sinks, store, clock, ids, app.rules, app)


Grant = tuple[str, str, int]  # person, methodology (family/vN), grams


def credit(
    w: World, grants: list[Grant], day: str = "2026-06-29", *, collected: bool = True
) -> int:
    """Credit one day's energy; lines keep the order given (their ledger order). Unless
    told otherwise, each person then collects it (only collected energy is claimed)."""
    lines = [
        EnergyLine(
            day,
            w.people[person],
            person,
            methodology.split("/")[0],
            methodology,
            "b",
            "unit",
            1,
            grams,
            1_000_000,
            grams * 1_000_000,
            0,
            0,
            grams,
            "",
        )
        for person, methodology, grams in grants
    ]
    methodologies = tuple(sorted({m for _, m, _ in grants}))
    receipt = credit_energy(
        w.reg,
        "registry",
        f"energy-{day}",
        CreditEnergy(EnergyCredit(day, methodologies, 0, lines)),
    )
    if collected:
        for person in sorted({p for p, _, g in grants if g > 0}):
            energy_service.collect(
                w.reg, person, f"collect-{day}-{person}", w.people[person], w.clock.now,
                rules=w.rules,
            )  # fmt: skip
    return receipt.seq


def energy(w: World, person: str, state: State = State.AVAILABLE) -> int:
    with w.store.reader() as uow:
        return uow.balance(w.people[person], ENERGY_ASSET, state)


def held(w: World, person: str, batch: str) -> int:
    with w.store.reader() as uow:
        found = uow.batch_named(batch)
        return (
            0 if found is None else uow.balance(w.people[person], found.asset_id, State.AVAILABLE)
        )


def journal_length(store: SqlStore) -> int:
    with store.reader() as uow:
        return uow.head.last_seq
