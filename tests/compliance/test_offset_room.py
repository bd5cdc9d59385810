"""The offset cap shown live on the emitter desk: what may still count as offsets is
what the surrender's own check enforces, before and after a surrender, on each basis."""

from __future__ import annotations

import pytest
from surrender_world import CCER, GD_CEA, T, World, build

from pctrade.compliance import commands as cc
from pctrade.kernel.errors import PctradeError
from pctrade.ledger.sql.store import SqlStore


@pytest.fixture
def world(any_store: SqlStore) -> World:
    return build(any_store)


def test_the_room_shrinks_by_what_counted_and_a_unit_beyond_it_is_refused(world: World) -> None:
    w = world
    gd = w.accounts["gd-power"]
    w.obligations.set(gd, "GD", "2025", 1_000, 1_000)
    before = w.reports.offset_room(gd, "GD", "2025")
    # Guangdong: offsets up to 10 % of the verified emissions, at most 30 % of them from
    # outside the province.
    assert (before.offset_cap_g, before.offsets_left_g) == (100 * T, 100 * T)
    assert (before.nonlocal_cap_g, before.nonlocal_left_g) == (30 * T, 30 * T)
    assert before.still_short_g == 1_000 * T and "PCER" in before.types
    w.surrender("GD", "2025", {GD_CEA: 500 * T, CCER: 30 * T, w.pcer: 20 * T})
    after = w.reports.offset_room(gd, "GD", "2025")
    assert (after.offsets_used_g, after.offsets_left_g) == (50 * T, 50 * T)
    assert after.nonlocal_left_g == 0
    assert after.still_short_g == 450 * T
    with pytest.raises(PctradeError) as refused:
        w.surrender("GD", "2025", {CCER: 1 * T})
    assert refused.value.code == "offsets_nonlocal_above_cap"


def test_an_emissions_based_cap_is_unknown_until_the_emissions_are_confirmed(
    world: World,
) -> None:
    w = world
    gd, hb = w.accounts["gd-power"], w.accounts["hb-steel"]
    w.obligations.set(gd, "GD", "2025", None, 1_000)
    w.obligations.set(hb, "HB", "2025", None, 800)
    gd_room = w.reports.offset_room(gd, "GD", "2025")
    assert gd_room.offset_cap_g is None and gd_room.offsets_left_g is None
    assert gd_room.still_short_g is None
    # Hubei's cap is 10 % of the allocation: known before the emissions are.
    assert w.reports.offset_room(hb, "HB", "2025").offsets_left_g == 80 * T


def test_the_periods_of_an_emitter_are_the_capped_ones_that_concern_it(world: World) -> None:
    w = world
    gd, hb = w.accounts["gd-power"], w.accounts["hb-steel"]
    w.obligations.set(gd, "GD", "2025", 1_000, 1_000)
    w.obligations.set(hb, "HB", "2025", 1_000, 1_000)
    assert w.reports.periods_of(gd) == []  # no cap yet
    w.app.compliance.set_cap("reg", "cap-gd", cc.SetCap("GD", "2025", 300_000 * T))
    assert w.reports.periods_of(gd) == [("GD", "2025")]
    assert w.reports.periods_of(hb) == []
