"""Green energy in the registry, on SQLite and PostgreSQL.

A quantified day is credited as one bulk entry whose statement lines trace each gram to
its behaviour, factor and methodology version; energy never trades; it is credited
uncollected and spent once collected; only uncollected energy expires; and ``verify``
notices a statement line edited later. Collection itself: ``test_energy_collect.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from registry_world import assert_verifies, snapshot

from pctrade import bootstrap
from pctrade.bootstrap.contexts import verify
from pctrade.energy import service as energy
from pctrade.energy.behaviour.loader import load_catalogue
from pctrade.energy.behaviour.quantify import day_window
from pctrade.energy.commands import CreditEnergy
from pctrade.energy.entries import credit_energy
from pctrade.energy.model import EnergyCredit, EnergyLine, plan_energy_expire
from pctrade.energy.pipeline import QuantifyResult, quantify_file
from pctrade.energy.pipeline.schema import EVENTS
from pctrade.energy.sql import schema as energy_schema
from pctrade.kernel.clock import SetClock
from pctrade.kernel.errors import Conflict, Forbidden, InsufficientBalance, ValidationError
from pctrade.ledger import commands as c
from pctrade.ledger.journal import format_ts
from pctrade.ledger.model import ENERGY_ASSET, Role, State
from pctrade.ledger.operations import Retirement
from pctrade.ledger.queries import account_view
from pctrade.ledger.service import Registry
from pctrade.ledger.sql.store import SqlStore
from pctrade.rules import RuleBook

DAY = date(2026, 11, 24)
WINDOW = day_window(DAY, 0)
HOUR_MS = 3_600_000
DAY1 = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


@dataclass
class EnergyWorld:
    reg: Registry
    store: SqlStore
    clock: SetClock
    alice: int
    bob: int
    steel: int
    rules: RuleBook


@pytest.fixture
def world(any_store: SqlStore) -> Iterator[EnergyWorld]:
    clock = SetClock(DAY1)
    app = bootstrap.build(any_store, clock=clock)
    reg = app.registry
    ids = {}
    for party, role in [
        ("alice", Role.INDIVIDUAL),
        ("bob", Role.INDIVIDUAL),
        ("steel", Role.EMITTER),
    ]:
        r = reg.open_account("registry", f"o-{party}", c.OpenAccount(party, role, party))
        ids[party] = int(r.payload["account"])
    yield EnergyWorld(reg, app.store, clock, ids["alice"], ids["bob"], ids["steel"], app.rules)
    assert_verifies(app.store)


def ev(n: int, person: str, behaviour: str, quantity: int, unit: str, hour: int) -> dict[str, Any]:
    start = WINDOW.start_ms + hour * HOUR_MS
    return {
        "partner_id": "metro_card", "event_id": f"E{n}", "person_id": person,
        "behaviour": behaviour, "start_ms": start, "end_ms": start + 30 * 60_000,
        "quantity": quantity, "unit": unit, "evidence_ref": None,
    }  # fmt: skip


def quantified(tmp_path: Path) -> QuantifyResult:
    rows = [
        ev(0, "alice", "metro_km", 12, "km", 8),
        ev(1, "alice", "bus_trip", 1, "trip", 12),
        ev(2, "carol", "metro_km", 12, "km", 8),  # carol has no account
    ]
    path = tmp_path / "events.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=EVENTS), path)
    return quantify_file(path, DAY, as_of_ms=WINDOW.end_ms + HOUR_MS, with_events=True)


def balance(w: EnergyWorld, account: int, state: State = State.AVAILABLE) -> int:
    with w.store.reader() as uow:
        return uow.balance(account, ENERGY_ASSET, state)


def collect(w: EnergyWorld, account: int, owner: str, key: str) -> int:
    """The holder collects their energy now; the grams collected."""
    return energy.collect(w.reg, owner, key, account, w.clock.now, rules=w.rules).collected_g


def grant(w: EnergyWorld, account: int, grams: int, key: str, day: str = "2026-11-24") -> None:
    line = EnergyLine(
        day, account, "p", "walking", "walking/v1", "steps", "step", 1, grams * 50, 20_000,
        grams * 1_000_000, 0, 0, grams, "",
    )  # fmt: skip
    credit = EnergyCredit(day, ("walking/v1",), 0, (line,))
    credit_energy(w.reg, "registry", key, CreditEnergy(credit))


# ---- posting a day ----------------------------------------------------------------------
def test_post_day_credits_one_bulk_entry_and_reports_people_without_an_account(
    world: EnergyWorld, tmp_path: Path
) -> None:
    result = quantified(tmp_path)
    report = energy.post_day(world.reg, result)
    assert report.seq is not None and not report.replayed
    assert (report.lines, report.people, report.credited_g) == (2, 1, 561 + 52)
    assert (report.unmatched_people, report.unmatched_g) == (1, 561)
    assert report.unmatched_sample == ["carol"]
    assert balance(world, world.alice, State.UNCOLLECTED) == 613
    assert balance(world, world.alice) == 0  # credited energy waits to be collected
    again = energy.post_day(world.reg, result)
    assert (again.seq, again.replayed) == (report.seq, True)
    assert balance(world, world.alice, State.UNCOLLECTED) == 613


def test_statement_lines_trace_to_factors_and_methodology_versions(
    world: EnergyWorld, tmp_path: Path
) -> None:
    report = energy.post_day(world.reg, quantified(tmp_path))
    st = energy.statement(world.store, world.alice, DAY, DAY)
    catalogue = load_catalogue()
    for item in st.lines:
        line = item.line
        methodology, behaviour = catalogue.find(line.behaviour) or (None, None)
        assert methodology is not None and behaviour is not None
        assert line.methodology == methodology.key
        assert line.factor_ug_per_unit == behaviour.avoided_ug_per_unit
        assert line.avoided_ug == line.quantity * line.factor_ug_per_unit
        assert line.avoided_ug == line.credited_g * 10**6 + line.remainder_ug + line.cap_forfeit_ug
        assert item.seq == report.seq
    assert {(i.line.methodology, i.line.credited_g) for i in st.lines} == {
        ("metro/v1", 561),
        ("bus/v1", 52),
    }
    assert (st.uncollected_g, st.available_g, st.spent_g, st.expired_g) == (613, 0, 0, 0)
    assert st.credited_g == 613
    assert collect(world, world.alice, "alice", "c1") == 613
    st = energy.statement(world.store, world.alice, DAY, DAY)
    assert (st.uncollected_g, st.available_g, st.spent_g, st.expired_g) == (0, 613, 0, 0)
    assert st.innate.entitlement_g == 64_145_338 and st.innate.sources


def test_year_to_date_sums_credited_grams_per_person_and_family(
    world: EnergyWorld, tmp_path: Path
) -> None:
    energy.post_day(world.reg, quantified(tmp_path))
    ytd = energy.year_to_date(world.store, 2026).to_pylist()
    assert sorted((r["person_id"], r["family"], r["credited_g"]) for r in ytd) == [
        ("alice", "bus", 52),
        ("alice", "metro", 561),
    ]
    assert energy.year_to_date(world.store, 2026, before=DAY).num_rows == 0


def test_a_day_is_credited_once_even_when_requantified_differently(
    world: EnergyWorld, tmp_path: Path
) -> None:
    first = energy.post_day(world.reg, quantified(tmp_path))
    before = snapshot(world.store)
    grant_again = EnergyLine("2026-11-24", world.alice, "alice", "walking", "walking/v1",
                             "steps", "step", 1, 100, 20_000, 2_000_000, 0, 0, 2, "")  # fmt: skip
    cmd = CreditEnergy(EnergyCredit("2026-11-24", ("walking/v1",), 1, (grant_again,)))
    with pytest.raises(Conflict) as info:
        credit_energy(world.reg, "registry", "another-run", cmd)
    assert info.value.code == "day_already_credited" and str(first.seq) in info.value.message
    assert snapshot(world.store) == before


def test_only_the_registry_operator_credits_energy(world: EnergyWorld) -> None:
    line = EnergyLine("2026-11-24", world.alice, "alice", "walking", "walking/v1", "steps",
                      "step", 1, 100, 20_000, 2_000_000, 0, 0, 2, "")  # fmt: skip
    cmd = CreditEnergy(EnergyCredit("2026-11-24", ("walking/v1",), 0, (line,)))
    with pytest.raises(Forbidden):
        credit_energy(world.reg, "alice", "self-credit", cmd)


# ---- never tradable, spent once ---------------------------------------------------------
def test_energy_is_not_transferable_by_any_operation(world: EnergyWorld) -> None:
    grant(world, world.alice, 100, "g1")
    grant(world, world.steel, 100, "g2", day="2026-11-23")
    before = snapshot(world.store)
    attempts = [
        lambda: world.reg.transfer("alice", "t", c.Transfer(world.alice, world.bob, "GE", 10)),
        lambda: world.reg.freeze("alice", "f", c.Freeze(world.alice, "GE", 10, "pledge", "o")),
        lambda: world.reg.surrender("steel", "s", c.Surrender(world.steel, "GE", 10, "2026")),
        lambda: world.reg.retire(
            "alice", "r", c.Retire(world.alice, "GE", 10, Retirement("A", "offset"))
        ),
        lambda: world.reg.cancel("registry", "x", c.Cancel(world.alice, "GE", 10, "fraud")),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as info:
            attempt()
        assert info.value.code == "not_tradable"
    assert snapshot(world.store) == before


def test_energy_is_spent_exactly_once(world: EnergyWorld) -> None:
    grant(world, world.alice, 100, "g1")
    collect(world, world.alice, "alice", "c1")
    energy.spend(world.reg, "alice", "sp-1", world.alice, 100, "sink_sponsorship", "tree-1")
    assert (balance(world, world.alice), balance(world, world.alice, State.SPENT)) == (0, 100)
    holdings = {
        (h.asset, h.state, h.amount) for h in account_view(world.store, world.alice).holdings
    }
    assert holdings == {("GE", "spent", 100)}
    with pytest.raises(InsufficientBalance):
        energy.spend(world.reg, "alice", "sp-2", world.alice, 100, "sink_sponsorship", "tree-2")
    with pytest.raises(Forbidden):
        energy.spend(world.reg, "bob", "sp-3", world.alice, 1, "sink_sponsorship", "tree-3")


# ---- expiry -----------------------------------------------------------------------------
def test_only_uncollected_energy_lapses_and_collected_energy_never(world: EnergyWorld) -> None:
    grant(world, world.alice, 100, "day1")  # appears at DAY1
    collect(world, world.alice, "alice", "c1")
    energy.spend(world.reg, "alice", "sp-1", world.alice, 30, "sink_sponsorship", "tree-1")
    grant(world, world.bob, 40, "day1-bob", day="2026-11-23")  # bob never collects
    world.clock.now = DAY1 + timedelta(days=2)
    grant(world, world.alice, 50, "day3", day="2026-11-26")
    world.clock.now = DAY1 + timedelta(hours=72)
    report = energy.expire(world.reg, world.clock.now, rules=world.rules)
    # Bob's 40 g lapse; Alice's collected 70 g stay, and so do her 50 g, younger than 72 h.
    assert (report.accounts, report.expired_g) == (1, 40)
    assert balance(world, world.bob, State.EXPIRED) == 40
    assert balance(world, world.alice, State.EXPIRED) == 0
    assert balance(world, world.alice) == 70
    assert balance(world, world.alice, State.UNCOLLECTED) == 50
    rerun = energy.expire(world.reg, world.clock.now, rules=world.rules)
    assert (rerun.seq, rerun.replayed) == (report.seq, True)
    assert (
        energy.expire(world.reg, world.clock.now + timedelta(hours=1), rules=world.rules).seq
        is None
    )
    world.clock.now = DAY1 + timedelta(days=400)  # collected energy never lapses
    later = energy.expire(world.reg, world.clock.now, rules=world.rules)
    assert (later.accounts, later.expired_g) == (1, 50)
    assert balance(world, world.alice) == 70


def test_energy_younger_than_the_expiry_period_stays(world: EnergyWorld) -> None:
    grant(world, world.alice, 100, "day1")
    report = energy.expire(world.reg, DAY1 + timedelta(hours=71), rules=world.rules)
    assert report.seq is None and balance(world, world.alice, State.UNCOLLECTED) == 100


def test_bulk_expiry_of_many_accounts_debits_set_based_and_all_or_nothing(
    world: EnergyWorld,
) -> None:
    people = [f"p{i:03d}" for i in range(80)]
    world.reg.open_accounts("registry", "bulk", c.OpenAccounts(Role.INDIVIDUAL, people))
    with world.store.reader() as uow:
        by_person = uow.individual_accounts(people)
    ids = [by_person[p] for p in people]
    lines = tuple(
        EnergyLine("2026-11-24", a, p, "walking", "walking/v1", "steps", "step", 1, 500,
                   20_000, 10_000_000, 0, 0, 10, "")
        for a, p in zip(ids, people, strict=True)
    )  # fmt: skip
    credit_energy(
        world.reg,
        "registry",
        "bulk-credit",
        CreditEnergy(EnergyCredit("2026-11-24", ("w",), 0, lines)),
    )
    before = snapshot(world.store)
    too_much = plan_energy_expire(ids, [10] * 79 + [11], "c", 1)
    with world.store.writer() as uow, pytest.raises(InsufficientBalance):
        uow.append(too_much, "registry", "x", "x", format_ts(DAY1))
    assert snapshot(world.store) == before
    report = energy.expire(world.reg, DAY1 + timedelta(hours=72), rules=world.rules)
    assert (report.accounts, report.expired_g) == (80, 800)
    assert all(balance(world, a, State.EXPIRED) == 10 for a in (ids[0], ids[-1]))


# ---- verify -----------------------------------------------------------------------------
def test_verify_detects_a_tampered_energy_line(world: EnergyWorld, tmp_path: Path) -> None:
    report = energy.post_day(world.reg, quantified(tmp_path))
    lines = energy_schema.energy_lines
    with world.store.engine.begin() as conn:
        conn.execute(
            sa.update(lines)
            .where(lines.c.seq == report.seq, lines.c.behaviour == "bus_trip")
            .values(factor_ug_per_unit=lines.c.factor_ug_per_unit + 1)
        )
    codes = {p.code for p in verify(world.store).problems}
    assert codes == {"energy_lines_mismatch"}
    with world.store.engine.begin() as conn:  # put it back, so the fixture's verify passes
        conn.execute(
            sa.update(lines)
            .where(lines.c.seq == report.seq, lines.c.behaviour == "bus_trip")
            .values(factor_ug_per_unit=lines.c.factor_ug_per_unit - 1)
        )


def test_verify_flags_lines_beside_a_non_credit_after_an_altered_credit(
    world: EnergyWorld, tmp_path: Path
) -> None:
    """The energy context's audit, in journal order: the credit's mismatch, then strays."""
    report = energy.post_day(world.reg, quantified(tmp_path))
    assert report.seq is not None
    lines = energy_schema.energy_lines
    with world.store.engine.begin() as conn:
        [stored] = conn.execute(
            sa.select(lines).where(lines.c.seq == report.seq, lines.c.idx == 0)
        ).mappings()
        conn.execute(sa.insert(lines).values({**stored, "seq": 1}))  # genesis: no credit
        conn.execute(
            sa.update(lines)
            .where(lines.c.seq == report.seq, lines.c.idx == 0)
            .values(cap_flag="edited")
        )
    found = [(p.code, p.seq) for p in verify(world.store).problems]
    assert found == [("stray_energy_lines", 1), ("energy_lines_mismatch", report.seq)]
    with world.store.engine.begin() as conn:  # put it back, so the fixture's verify passes
        conn.execute(sa.delete(lines).where(lines.c.seq == 1))
        conn.execute(
            sa.update(lines)
            .where(lines.c.seq == report.seq, lines.c.idx == 0)
            .values(cap_flag=stored["cap_flag"])
        )
    assert verify(world.store).ok
