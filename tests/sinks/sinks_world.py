"""A small sink world for the service tests: parties, accounts, energy, a project."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from pctrade import bootstrap
from pctrade.bootstrap import App
from pctrade.energy import service as energy_service
from pctrade.energy.commands import CreditEnergy
from pctrade.energy.entries import credit_energy
from pctrade.energy.model import EnergyCredit, EnergyLine
from pctrade.kernel.clock import SetClock
from pctrade.ledger import commands as c
from pctrade.ledger.model import ENERGY_ASSET, AssetId, Role, State
from pctrade.ledger.service import Registry
from pctrade.ledger.sql.store import SqlStore
from pctrade.sinks.monitoring import Period
from pctrade.sinks.price import spec_standard
from pctrade.sinks.project import Parcel, ProjectSpec, ProjectType
from pctrade.sinks.removals import removal_models
from pctrade.sinks.service import Sinks
from pctrade.sinks.sql import store as sinks_store

NOW = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)  # before the periods reported
CODE = "AFF0007"
STAND_AGE_Y = 6
Q3 = Period(date(2026, 7, 1), date(2026, 9, 30))
REMOVALS_G = 400_000_007  # odd on purpose: the buffer and the split both round

_KEYS = itertools.count(1)


def new_key() -> str:
    """A fresh idempotency key: each write a test makes is a new request."""
    return f"new-{next(_KEYS)}"


@dataclass
class SinkWorld:
    reg: Registry
    sinks: Sinks
    store: SqlStore
    clock: SetClock
    people: dict[str, int]
    app: App


def build(store: SqlStore, people: tuple[str, ...] = ("alice", "bob", "chen")) -> SinkWorld:
    clock = SetClock(NOW)
    app = bootstrap.build(store, clock=clock)
    reg, store = app.registry, app.store
    for party, role in [
        ("reg", Role.REGULATOR),
        ("forestco", Role.PROJECT_OWNER),
        ("cqc", Role.VERIFIER),
        ("forestco-mrv", Role.VERIFIER),
    ]:
        reg.open_account("registry", f"o-{party}", c.OpenAccount(party, role, party))
    reg.open_accounts("registry", "o-people", c.OpenAccounts(Role.INDIVIDUAL, list(people)))
    with store.reader() as uow:
        ids = {p: uow.accounts_of(p)[0].account_id for p in people}
    return SinkWorld(reg, app.sinks, store, clock, ids, app)


def grant_energy(
    w: SinkWorld, grams: dict[str, int], day: str = "2026-11-24", *, collected: bool = True
) -> None:
    """Credit a day's energy; unless told otherwise, each person then collects it (only
    collected energy is spent)."""
    lines = [
        EnergyLine(
            day,
            w.people[p],
            p,
            "walking",
            "walking/v1",
            "steps",
            "step",
            1,
            g * 50,
            20_000,
            g * 1_000_000,
            0,
            0,
            g,
            "",
        )
        for p, g in sorted(grams.items())
    ]
    credit = EnergyCredit(day, ("walking/v1",), 0, lines)
    credit_energy(w.reg, "registry", f"energy-{day}", CreditEnergy(credit))
    if collected:
        for p in sorted(p for p, g in grams.items() if g > 0):
            energy_service.collect(
                w.reg, p, f"collect-{day}-{p}", w.people[p], w.clock.now, rules=w.app.rules
            )


def spec(code: str = CODE, units: int = 100, affiliates: tuple[str, ...] = ()) -> ProjectSpec:
    """The test project, priced at the published standard for ``units`` units (trees)."""
    priced = _spec(code, units, affiliates, 1)
    return replace(priced, unit_energy_g=unit_g(units))


def unit_g(units: int = 100) -> int:
    """The standard price of one of ``units`` units of the test project (GD: 10,000 bps)."""
    return spec_standard(
        removal_models(), _spec(CODE, units, (), 1), STAND_AGE_Y, 10_000, "GD"
    ).price_g


def _spec(code: str, units: int, affiliates: tuple[str, ...], unit_energy_g: int) -> ProjectSpec:
    return ProjectSpec(
        code=code,
        name="梅州山地造林 Meizhou hillside afforestation",
        project_type=ProjectType.AFFORESTATION,
        jurisdiction="GD",
        forest_type="chinese_fir",
        parcels=(Parcel("MZ-01", 600_000, 12), Parcel("MZ-02", 400_000, 5)),
        crediting_start=date(2026, 1, 1),
        crediting_end=date(2045, 12, 31),
        unit_energy_g=unit_energy_g,
        units_offered=units,
        affiliates=affiliates,
    )


def approved_project(w: SinkWorld, **kwargs: object) -> str:
    project = w.sinks.register("forestco", new_key(), spec(**kwargs), stand_age_y=STAND_AGE_Y)  # type: ignore[arg-type]
    w.sinks.approve("reg", new_key(), project["code"])
    return str(project["code"])


def after(w: SinkWorld, period: Period) -> None:
    """Let time pass until the period has ended (never backwards): reports come after."""
    ended = datetime.combine(period.end + timedelta(days=1), NOW.timetz())
    w.clock.now = max(w.clock.now, ended)


def file_report(w: SinkWorld, code: str, period: Period, removals_g: int) -> Any:
    after(w, period)
    return w.sinks.file_report("forestco", new_key(), code, period, removals_g)


def energy(w: SinkWorld, person: str, state: State = State.AVAILABLE) -> int:
    with w.store.reader() as uow:
        return uow.balance(w.people[person], ENERGY_ASSET, state)


def held(w: SinkWorld, account_id: int, batch: str) -> int:
    with w.store.reader() as uow:
        found = uow.batch_named(batch)
        assert found is not None
        asset: AssetId = found.asset_id
        return uow.balance(account_id, asset, State.AVAILABLE)


def journal_length(store: SqlStore) -> int:
    with store.reader() as uow:
        return uow.head.last_seq


def sink_rows(store: SqlStore) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {
            t.name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
            for t in sinks_store.metadata.sorted_tables
        }


def sponsored(w: SinkWorld, units: dict[str, int], project_units: int = 100) -> str:
    """An approved project of ``project_units`` units, each person sponsoring as many as
    ``units`` says (granted the energy for them); the project's code."""
    grant_energy(w, {p: u * unit_g(project_units) for p, u in units.items()})
    code = approved_project(w, units=project_units)
    for person, n in units.items():
        w.sinks.sponsor(person, f"sp-{person}", w.people[person], code, n)
    return code


def verified_report(w: SinkWorld, code: str, period: Period = Q3) -> int:
    """A report of ``REMOVALS_G`` for the period, filed and verified by cqc; its id."""
    report = file_report(w, code, period, REMOVALS_G)
    w.sinks.verify("cqc", new_key(), int(report["report_id"]), True, "plots re-measured, 2% sample")
    return int(report["report_id"])
