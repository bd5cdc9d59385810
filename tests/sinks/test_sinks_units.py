"""Per-unit attribution (issue 11): sponsors receive the removals of their own units.

A project declares what one unit is and how many it has; an issuance cuts the sponsored
units' share floor(removals × sponsored ÷ units), gives the buffer ⌈its rate of that
share⌉ (it insures only what is issued) and the sponsors the rest of it, and records
the removals of the other units as unissued. Issuances made before this rule stay as recorded and
still verify.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from sinks_world import (
    SinkWorld,
    approved_project,
    build,
    file_report,
    grant_energy,
    held,
    new_key,
    spec,
    unit_g,
)

from pctrade.bootstrap.contexts import verify
from pctrade.kernel.errors import PctradeError, ValidationError
from pctrade.ledger.model import SystemAccount
from pctrade.ledger.sql.store import SqlStore
from pctrade.rules.checks import RuleSetError
from pctrade.rules.loader import load_text
from pctrade.sinks import evidence, service
from pctrade.sinks.attribution import attribute
from pctrade.sinks.monitoring import Period
from pctrade.sinks.project import SponsorUnit, UnitKind, validate_spec
from pctrade.sinks.removals import removal_models
from pctrade.sinks.sql import store as sinks_store

Q3 = Period(date(2026, 7, 1), date(2026, 9, 30))
Q4 = Period(date(2026, 10, 1), date(2026, 12, 31))
REMOVALS_G = 400_000_007
AREA_M2 = 1_000_000  # the sinks_world project's parcels


@pytest.fixture
def w(any_store: SqlStore) -> Iterator[SinkWorld]:
    world = build(any_store)
    yield world
    report = verify(any_store)
    assert report.ok, report.problems


def verified(w: SinkWorld, code: str, period: Period = Q3) -> int:
    report = file_report(w, code, period, REMOVALS_G)
    w.sinks.verify("cqc", new_key(), int(report["report_id"]), True, "re-measured")
    return int(report["report_id"])


# ---- the pure rule -------------------------------------------------------------------------
def test_sponsors_get_their_units_share_after_the_buffer_and_the_rest_is_unissued() -> None:
    a = attribute(1_000, 2_000, [7, 9], [1, 2], project_units=10)
    # the 3 sponsored units of 10: floor(1,000 × 3 / 10) = 300 g, of which the buffer
    # insures ⌈20 % × 300⌉ = 60 g and the sponsors get 240 g; the other 700 g unissued
    assert (a.buffer_g, a.sponsors_g, a.unissued_g) == (60, 240, 700)
    assert a.amounts_g == [80, 160]
    rounded = attribute(1_001, 0, [7], [1], project_units=3)
    assert (rounded.sponsors_g, rounded.unissued_g) == (333, 668)  # rounded down, never up


def test_more_units_sponsored_than_the_project_has_is_refused() -> None:
    with pytest.raises(PctradeError) as exc:
        attribute(1_000, 2_000, [7, 9], [6, 5], project_units=10)
    assert exc.value.code == "units_exceed_project"


@pytest.mark.parametrize(
    ("unit", "offered", "code"),
    [
        (SponsorUnit(UnitKind.AREA, 100, AREA_M2, 10_000), 100, None),
        (SponsorUnit(UnitKind.TREE, 1_600, AREA_M2), 100, None),
        (SponsorUnit(UnitKind.AREA, 100, AREA_M2 - 1, 10_000), 100, "unit_area_mismatch"),
        (SponsorUnit(UnitKind.AREA, 99, AREA_M2, 10_000), 50, "bad_unit"),
        (SponsorUnit(UnitKind.AREA, 100, AREA_M2, 0), 50, "bad_unit"),
        (SponsorUnit(UnitKind.TREE, AREA_M2 + 1, AREA_M2), 50, "bad_unit"),
        (SponsorUnit(UnitKind.TREE, 1_600, AREA_M2, 25), 50, "bad_unit"),
        (SponsorUnit(UnitKind.TREE, 1_600, AREA_M2), 1_601, "units_exceed_project"),
        (SponsorUnit(UnitKind.TREE, 0, AREA_M2), 1, "bad_unit"),
    ],
)
def test_a_unit_must_be_a_defined_part_of_the_project(
    unit: SponsorUnit, offered: int, code: str | None
) -> None:
    project = replace(spec(units=offered), unit=unit)
    if code is None:
        validate_spec(project, removal_models().forest_types)
        return
    with pytest.raises(ValidationError) as exc:
        validate_spec(project, removal_models().forest_types)
    assert exc.value.code == code


def test_a_rule_set_may_not_issue_unsponsored_removals_to_the_owner() -> None:
    text = (
        'jurisdiction = "XX"\niso_code = "CN-XX"\nname = "x"\neffective_from = 2026-01-01\n'
        'issuance_paths = ["sink_sponsorship"]\n[sinks]\nbuffer_bps = { afforestation = 1 }\n'
        'methodologies = ["CCER-14-001-V01"]\nsources = ["s"]\n'
        '[sources.s]\nfigure = "f"\npublisher = "p"\nassumption = true\n'
    )
    sinks = load_text(text).require_sinks()
    assert sinks.issue_unsponsored_to_owner is False
    stated = text.replace("sources = [", "issue_unsponsored_to_owner = false\nsources = [")
    assert load_text(stated).require_sinks().issue_unsponsored_to_owner is False
    with pytest.raises(RuleSetError, match="must be false"):
        load_text(text.replace("sources = [", "issue_unsponsored_to_owner = true\nsources = ["))


# ---- issuance --------------------------------------------------------------------------------
def test_an_issuance_gives_sponsors_their_units_removals_and_records_the_rest(
    w: SinkWorld,
) -> None:
    grant_energy(w, {"alice": 3 * unit_g(), "bob": unit_g()})
    code = approved_project(w, units=100)
    w.sinks.sponsor("alice", "sp-a", w.people["alice"], code, 3)
    w.sinks.sponsor("bob", "sp-b", w.people["bob"], code, 1)
    issued = w.sinks.issue("reg", "i", verified(w, code))
    # the 4 sponsored units' share ⌊400,000,007 × 4 / 100⌋ = 16,000,000; the buffer
    # insures that share only, ⌈20 % of it⌉, not 20 % of the whole project's removals
    sponsored_share = REMOVALS_G * 4 // 100
    assert issued.buffer_g == -(-sponsored_share * 2_000 // 10_000) == 3_200_000
    assert issued.buffer_g != -(-REMOVALS_G * 2_000 // 10_000)
    assert (issued.buffer_g, issued.attributed_g) == (3_200_000, 12_800_000)
    assert issued.unissued_g == 384_000_007 and issued.project_units == 100
    assert held(w, w.people["alice"], issued.batch) == 9_600_000
    assert held(w, w.people["bob"], issued.batch) == 3_200_000
    assert held(w, SystemAccount.BUFFER, issued.batch) == issued.buffer_g
    with w.store.reader() as uow:
        row = sinks_store.issuance(uow, issued.issue_seq)
    assert row is not None
    assert (row["project_units"], row["sponsors_g"], row["unissued_g"]) == (
        100,
        12_800_000,
        384_000_007,
    )


def test_a_declared_area_unit_is_what_the_issuance_divides_by(w: SinkWorld) -> None:
    grant_energy(w, {"alice": 2 * unit_g(1_000)})
    unit = SponsorUnit(UnitKind.AREA, 1_000, AREA_M2, 1_000)  # 1,000 m² a unit
    project = replace(spec(units=500), unit=unit, unit_energy_g=unit_g(1_000))
    w.sinks.register("forestco", new_key(), project, stand_age_y=6)
    w.sinks.approve("reg", new_key(), project.code)
    w.sinks.sponsor("alice", "sp-a", w.people["alice"], project.code, 2)
    issued = w.sinks.issue("reg", "i", verified(w, project.code))
    assert issued.project_units == 1_000  # all the units, not only the 500 offered
    assert issued.attributed_g == REMOVALS_G * 2 // 1_000 - issued.buffer_g == 640_000
    assert issued.buffer_g == 160_000  # ⌈20 % of the 2 units' 800,000 g⌉
    assert w.sinks.project(project.code)["unit_kind"] == "area"


def _as_before_issue_11(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue as pctrade did before per-unit attribution: all but the buffer to sponsors,
    no unit figures in the entry or the row."""
    real_attribute, real_figures = service.attribute_columns, service._issuance_figures

    def attribute_all(*args: Any, project_units: int) -> Any:
        return real_attribute(*args)

    def figures(*args: Any) -> Any:
        return {**real_figures(*args), "project_units": None, "sponsors_g": None,
                "unissued_g": None}  # fmt: skip

    monkeypatch.setattr(service, "attribute_columns", attribute_all)
    monkeypatch.setattr(service, "_issuance_figures", figures)
    monkeypatch.setattr(evidence, "UNIT_FIGURES", ())


def test_issuances_made_before_per_unit_attribution_stay_as_recorded_and_verify(
    w: SinkWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    grant_energy(w, {"alice": unit_g()})
    code = approved_project(w, units=100)
    with w.store.engine.begin() as conn:  # a project registered before units were declared
        conn.execute(
            sa.update(sinks_store.projects).values(
                unit_kind=None, units_total=None, unit_area_m2=None, m2_per_unit=None
            )
        )
    w.sinks.sponsor("alice", "sp-a", w.people["alice"], code, 1)
    with monkeypatch.context() as m:
        _as_before_issue_11(m)
        old = w.sinks.issue("reg", "old", verified(w, code))
    assert old.attributed_g == REMOVALS_G - old.buffer_g and old.project_units is None
    report = verify(w.store)
    assert report.ok, report.problems
    new = w.sinks.issue("reg", "new", verified(w, code, Q4))
    # The project's units are the 100 it offered: alice's one unit gets 1 %.
    assert (new.project_units, new.buffer_g) == (100, 800_000)  # ⌈20 % of 4,000,000 g⌉
    assert new.attributed_g == REMOVALS_G // 100 - new.buffer_g == 3_200_000
    assert held(w, w.people["alice"], old.batch) == old.attributed_g
    assert held(w, w.people["alice"], new.batch) == new.attributed_g
