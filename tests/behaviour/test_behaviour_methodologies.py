"""Methodologies are data: every shipped file loads, cites its sources, and is exact."""

from __future__ import annotations

import pytest

from pctrade.energy.behaviour import UG_PER_G, Catalogue, MethodologyError, load_text

SHIPPED_FAMILIES = {
    "walking",
    "cycling",
    "bus",
    "metro",
    "e_ticket",
    "second_hand",
    "home_energy",
    "ev_charging",
}

MINIMAL = """
family = "demo"
version = 1
name = "Demo"
name_zh = "演示"
effective_from = "2026-01-01"
cap_day_g = 10
cap_year_g = 100
cap_source = "s"
required_fields = [
  "partner_id", "event_id", "person_id", "behaviour", "start_ms", "end_ms", "quantity", "unit",
]

[[behaviour]]
id = "demo_km"
description = "demo"
base_unit = "{base_unit}"
units = {{ {base_unit} = 1 }}
baseline_ug_per_unit = {baseline}
project_ug_per_unit = 0
factor_source = "{factor_source}"
max_quantity_per_event = 100
speed_kmh_max = 10
trip = true

[sources.s]
figure = "1 g"
publisher = "test"
assumption = true
note = "test"
"""


def minimal(base_unit: str = "m", baseline: str = "1000", factor_source: str = "s") -> str:
    return MINIMAL.format(base_unit=base_unit, baseline=baseline, factor_source=factor_source)


def test_every_required_family_ships_a_methodology(catalogue: Catalogue) -> None:
    assert {m.family for m in catalogue.methodologies} == SHIPPED_FAMILIES
    assert all(m.key == f"{m.family}/v1" for m in catalogue.methodologies)


def test_every_factor_and_cap_cites_a_source_and_flags_assumptions(catalogue: Catalogue) -> None:
    for methodology in catalogue.methodologies:
        cited = [methodology.cap_source, *(b.factor_source for b in methodology.behaviours)]
        for source in cited:
            assert source.figure and source.publisher and source.note
            if "pctrade assumption" in source.publisher:
                assert source.assumption, source.key


@pytest.mark.parametrize(
    ("behaviour", "published_g", "per_units"),
    [
        ("metro_km", 46_800_000, 1_000),  # Shenzhen: 46.8 g per person-km (per 1,000 m)
        ("bus_km", 26_900_000, 1_000),  # Shenzhen: 26.9 g per person-km by electric bus
        ("walk_steps", 20_000_000, 1_000),  # Hubei: 0.02 g per step = 20 g per 1,000 steps
        ("bus_trip", 52_000_000, 1),  # Hubei: 52 g per bus trip
        ("metro_trip", 137_000_000, 1),  # Hubei: 137 g per metro trip
    ],
)
def test_published_factors_are_represented_exactly(
    catalogue: Catalogue, behaviour: str, published_g: int, per_units: int
) -> None:
    found = catalogue.find(behaviour)
    assert found is not None
    _, behaviour_type = found
    # published_g is in micro-grams per `per_units` base units, to stay exact
    assert behaviour_type.avoided_ug_per_unit * per_units == published_g
    assert not behaviour_type.factor_source.assumption


def test_walking_is_capped_at_ant_forests_296_g_per_day(catalogue: Catalogue) -> None:
    walking = catalogue.methodology("walking")
    assert walking.cap_day_g == 296
    assert walking.cap_day_g * UG_PER_G == 296_000_000


def test_a_float_factor_is_refused_because_it_cannot_be_summed_exactly() -> None:
    with pytest.raises(MethodologyError, match="must be an integer"):
        load_text(minimal(baseline="46.8"))


def test_a_factor_citing_an_undefined_source_is_refused() -> None:
    with pytest.raises(MethodologyError, match="undefined source"):
        load_text(minimal(factor_source="nowhere"))


def test_speed_bounds_are_refused_for_a_behaviour_not_measured_in_metres() -> None:
    with pytest.raises(MethodologyError, match="speed bounds need base_unit 'm'"):
        load_text(minimal(base_unit="step"))


def test_a_valid_minimal_file_loads_with_speed_in_metres_per_hour() -> None:
    methodology = load_text(minimal())
    assert methodology.behaviours[0].rate_max_per_h == 10_000


def test_a_behaviour_id_defined_in_two_families_is_refused(catalogue: Catalogue) -> None:
    walking = catalogue.methodology("walking")
    clash = load_text(minimal().replace('"demo_km"', '"walk_km"'))
    with pytest.raises(ValueError, match="defined twice"):
        Catalogue((walking, clash))
