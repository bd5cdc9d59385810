"""Decisions take their figures from the rule set in force, and cite its version."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from inclusive_world import CREDITED_AT, World, build, credit, energy, new_key

from pctrade.energy import service as energy_service
from pctrade.inclusive.sql import store as inclusive_store
from pctrade.kernel.errors import PctradeError
from pctrade.ledger.model import State
from pctrade.ledger.sql.store import SqlStore
from pctrade.rules import shipped
from pctrade.sinks.price import spec_standard
from pctrade.sinks.project import Parcel, ProjectSpec, ProjectType
from pctrade.sinks.removals import removal_models
from pctrade.sinks.sql import store as sinks_store


@pytest.fixture
def w(any_store: SqlStore) -> World:
    return build(any_store)


_SPEC = ProjectSpec(
    code="RED0001",
    name="Nanling avoided degradation",
    project_type=ProjectType.REDD,
    jurisdiction="GD",
    forest_type="mixed_broadleaf",
    parcels=(Parcel("N1", 900_000, 0),),
    crediting_start=date(2026, 1, 1),
    crediting_end=date(2040, 12, 31),
    unit_energy_g=1,
    units_offered=10,
)
# Priced at the published standard (GD and CN: 1 g of energy per g of expected removal).
SPEC = replace(_SPEC, unit_energy_g=spec_standard(removal_models(), _SPEC, 0, 10_000, "GD").price_g)


def test_a_project_takes_its_buffer_rate_from_its_jurisdictions_rule_set(w: World) -> None:
    rules = shipped().in_force("GD", w.clock().date())
    row = w.sinks.register("forestco", new_key(), SPEC)
    assert row["buffer_bps"] == rules.buffer_bps("redd")
    assert row["rule_set"] == rules.version
    national = w.sinks.register(
        "forestco", new_key(), replace(SPEC, code="RED0002", jurisdiction="CN")
    )
    assert national["rule_set"] == shipped().in_force("CN", w.clock().date()).version


def test_a_project_where_no_rule_set_admits_sponsorship_is_refused(w: World) -> None:
    for jurisdiction, code in (("SZ", "path_not_admitted"), ("ZZ", "no_rule_set")):
        with pytest.raises(PctradeError) as exc:
            w.sinks.register("forestco", new_key(), replace(SPEC, jurisdiction=jurisdiction))
        assert exc.value.code == code


def test_expiry_takes_its_period_from_the_rule_set_and_cites_it(w: World) -> None:
    credit(w, [("alice", "walking/v1", 500)], collected=False)  # only uncollected lapses
    expiry_s = shipped().by_version("CN/2024-05-01").require_energy().expiry_s
    early = energy_service.expire(
        w.reg, CREDITED_AT + timedelta(seconds=expiry_s - 1), rules=w.rules
    )
    assert early.seq is None and early.rule_set == "CN/2024-05-01"
    report = energy_service.expire(w.reg, CREDITED_AT + timedelta(seconds=expiry_s), rules=w.rules)
    assert (report.expired_g, report.rule_set, report.expiry_s) == (500, "CN/2024-05-01", expiry_s)
    assert energy(w, "alice", State.EXPIRED) == 500
    with w.store.reader() as uow:
        entry = uow.entry(report.seq or 0)
    assert entry is not None and entry.header.payload["rule_set"] == "CN/2024-05-01"
    with pytest.raises(PctradeError) as exc:
        # BJ sets no energy rules
        energy_service.expire(w.reg, CREDITED_AT, rules=w.rules, jurisdiction="BJ")
    assert exc.value.code == "no_rule"
    given = energy_service.expire(
        w.reg, CREDITED_AT + timedelta(days=9), expiry_s=3600, rules=w.rules
    )
    assert given.rule_set == "" and given.expiry_s == 3600


def test_the_migration_creates_the_columns_the_stores_use(any_store: SqlStore) -> None:
    inspector = sa.inspect(any_store.engine)
    for table in (*inclusive_store.metadata.sorted_tables, sinks_store.projects):
        migrated = {c["name"] for c in inspector.get_columns(table.name)}
        assert migrated == {c.name for c in table.columns}, table.name
