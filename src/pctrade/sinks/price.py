"""The published price of a sponsor unit: energy follows from the removal it is expected
to make (DESIGN §4, issue 11).

The paper faults today's conversion from green energy to forest sinks as opaque
(转化标准缺乏合理性). pctrade publishes it as arithmetic anyone can redo:

    expected removal of a unit = the removal model's expectation for the whole project
        over its crediting period (the stand ageing a year at a time, each year at the
        rate of its age band), divided by the units in the project, rounded down;
    unit price (g of energy) = expected removal × energy_per_removal_bps ÷ 10,000,
        rounded half up.

``energy_per_removal_bps`` is the rule set's ratio (``[sinks]``). The shipped rule sets
take Ant Forest's: 17.9 kg of energy for one 梭梭 (saxaul) tree, commonly explained as
the CO2 the tree absorbs in its life, i.e. one gram of energy per gram of expected
removal (10,000 bps). A project whose unit price is off this standard is refused at
registration with the rule cited, so a sponsor always pays what the model says their
unit will remove, and can see that before spending.

Integer arithmetic only; the model's figures, and where they are assumptions, are in
``data/removal_models.toml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from pctrade.kernel.errors import ValidationError
from pctrade.kernel.units import BPS
from pctrade.sinks.project import M2_PER_HA, ProjectSpec
from pctrade.sinks.removals import DAYS_PER_YEAR, RemovalModels


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def crediting_removal_g(
    models: RemovalModels,
    forest_type: str,
    area_m2: int,
    stand_age_y: int,
    start: date,
    end: date,
) -> int:
    """What the model expects the whole project to remove from ``start`` to ``end``
    (inclusive), the stand a year older each anniversary; rounded down once, at the end."""
    total = 0  # g × m² × days, over M2_PER_HA × DAYS_PER_YEAR
    year, left = 0, start
    while left <= end:
        right = min(_add_years(start, year + 1) - timedelta(days=1), end)
        rate = models.rate_g_per_ha_y(forest_type, stand_age_y + year)
        total += rate * area_m2 * ((right - left).days + 1)
        year, left = year + 1, right + timedelta(days=1)
    return total // (M2_PER_HA * DAYS_PER_YEAR)


def unit_price_g(expected_unit_g: int, energy_per_removal_bps: int) -> int:
    """The energy one unit costs at the rule set's ratio, rounded half up."""
    return (expected_unit_g * energy_per_removal_bps + BPS // 2) // BPS


@dataclass(frozen=True, slots=True)
class UnitStandard:
    """A unit's expected removal and the price the rule set derives from it."""

    expected_removal_g: int  # over the crediting period, rounded down
    energy_per_removal_bps: int
    price_g: int
    rule_set: str  # the rule set version that states the ratio
    model_version: str

    def check(self, unit_energy_g: int) -> None:
        """Refuse a unit priced off the standard, citing the rule."""
        if unit_energy_g != self.price_g:
            raise ValidationError(
                f"a unit priced at {unit_energy_g} g of energy is off the published standard: "
                f"the removal model {self.model_version} expects {self.expected_removal_g} g "
                f"of removal per unit over the crediting period, and rule set {self.rule_set} "
                f"[sinks] energy_per_removal_bps = {self.energy_per_removal_bps} prices it at "
                f"{self.price_g} g",
                code="unit_price_off_standard",
            )


def unit_standard(
    models: RemovalModels,
    forest_type: str,
    area_m2: int,
    stand_age_y: int,
    start: date,
    end: date,
    units_total: int,
    energy_per_removal_bps: int,
    rule_set: str,
) -> UnitStandard:
    project_g = crediting_removal_g(models, forest_type, area_m2, stand_age_y, start, end)
    expected_g = project_g // units_total
    return UnitStandard(
        expected_g,
        energy_per_removal_bps,
        unit_price_g(expected_g, energy_per_removal_bps),
        rule_set,
        models.version,
    )


def spec_standard(
    models: RemovalModels,
    spec: ProjectSpec,
    stand_age_y: int,
    energy_per_removal_bps: int,
    rule_set: str,
) -> UnitStandard:
    """The standard for a project being registered, from its declared unit."""
    return unit_standard(
        models,
        spec.forest_type,
        spec.area_m2,
        stand_age_y,
        spec.crediting_start,
        spec.crediting_end,
        spec.sponsor_unit.units_total,
        energy_per_removal_bps,
        rule_set,
    )


def next_period_end(today: date, last_start: date | None, last_end: date | None) -> date:
    """When the first monitoring period that can include a unit sponsored ``today`` is
    expected to end: the project's last reported period repeated until it ends on or
    after ``today``, or, with no report yet, the end of the calendar quarter."""
    if last_start is not None and last_end is not None:
        length = last_end - last_start + timedelta(days=1)
        end = last_end
        while end < today:
            end += length
        return end
    last_month = (today.month - 1) // 3 * 3 + 3
    if last_month == 12:
        return date(today.year, 12, 31)
    return date(today.year, last_month + 1, 1) - timedelta(days=1)
