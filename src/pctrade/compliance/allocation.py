"""Free allocation by benchmark, pre-allocation and true-up, and the cap they live under.

The national power sector's method (2019-2020 and 2021-2022 plans): a unit's allowances
are its benchmark (grams of CO2 per unit of output, by unit type, as cited data) × its
output × the adjustment factors the plan gives it (cooling, heat supply, load), each
factor a whole number of basis points. The unit gets ``preallocation_bps`` of that
figure for its prior year's output in advance, and the difference once its actual
output is verified (the true-up, which may take allowances back).

Fujian's annual dynamic management (配额年度动态管理) is the same pre-allocation and
true-up each year, the true-up's figure bounded by the year's verified emissions
(``dynamically_adjusted_g``): a gap (allocation below emissions) or a surplus (above)
beyond the rule set's share of the emissions is void, so the figure is moved to the
bound.

Rounding: each product is exact in integers until the one division by the factors'
basis points, which rounds **down**, so that no allocation ever gives a gram more than
the method says and the sum of allocations cannot pass a cap that the exact figures fit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pctrade.kernel.errors import Conflict, ValidationError
from pctrade.kernel.units import BPS
from pctrade.rules.model import RuleSet


@dataclass(frozen=True, slots=True)
class Benchmark:
    """A sector's benchmark for one kind of unit: grams of CO2 per unit of output
    (e.g. per MWh supplied), and the source that publishes it."""

    sector: str
    unit_type: str
    output_unit: str  # what output is counted in, e.g. "MWh", "GJ"
    g_per_unit: int
    source: str


def benchmark_of(rule_set: RuleSet, unit_type: str, output: str) -> Benchmark:
    """The rule set's benchmark of ``unit_type`` for ``output`` (e.g. supply_g_per_mwh),
    citing the rule set's version: ``no_rule`` where it has no [allocation] section,
    ``no_benchmark`` where it has none for that unit and output."""
    allocation = rule_set.allocation
    if allocation is None:
        raise Conflict(f"rule set {rule_set.version} has no allocation rules", code="no_rule")
    grams = allocation.benchmark_g(unit_type, output)
    unit = output.rsplit("_per_", 1)[1]
    return Benchmark(allocation.sector, unit_type, unit, grams, rule_set.version)


@dataclass(frozen=True, slots=True)
class Installation:
    """What an allocation run knows of one emitter's unit: its benchmark, its output
    (whole units) and its adjustment factors (basis points: 10,000 is 1)."""

    emitter: str
    benchmark: Benchmark
    output_units: int
    factors_bps: tuple[int, ...] = ()


def free_allocation_g(installation: Installation) -> int:
    """Benchmark × output × each factor, in grams, rounded down once."""
    if installation.output_units < 0:
        raise ValidationError("output is never negative", code="bad_output")
    if installation.benchmark.g_per_unit < 0:
        raise ValidationError("a benchmark is never negative", code="bad_benchmark")
    if any(f <= 0 for f in installation.factors_bps):
        raise ValidationError("an adjustment factor is positive", code="bad_factor")
    numerator = installation.benchmark.g_per_unit * installation.output_units
    denominator = 1
    for factor in installation.factors_bps:
        numerator *= factor
        denominator *= BPS
    return numerator // denominator


def preallocation_g(prior_year: Installation, preallocation_bps: int) -> int:
    """What is given in advance: ``preallocation_bps`` of the prior year's figure."""
    return free_allocation_g(prior_year) * preallocation_bps // BPS


@dataclass(frozen=True, slots=True)
class Band:
    """How far a dynamically adjusted allocation may fall below (gap) or rise above
    (surplus) the verified emissions, in basis points of them; None: unbounded."""

    gap_max_bps: int | None
    surplus_max_bps: int | None


def dynamically_adjusted_g(method_g: int, verified_g: int, band: Band) -> int:
    """The method's figure for the verified year, moved into the band around the
    verified emissions. Each bound is rounded so that it never gives a gram more: the
    lowest allocation is the emissions less the allowed gap rounded **up**, the highest
    the emissions plus the allowed surplus rounded **down**."""
    if method_g < 0 or verified_g < 0:
        raise ValidationError("allocations and emissions are never negative", code="bad_output")
    low = 0
    if band.gap_max_bps is not None:
        low = verified_g * (BPS - band.gap_max_bps) // BPS
    if method_g < low:
        return low
    if band.surplus_max_bps is not None:
        high = verified_g + verified_g * band.surplus_max_bps // BPS
        return min(method_g, high)
    return method_g


def true_up_g(actual_year: Installation, preallocated_g: int) -> int:
    """What the verified year adds to (positive) or takes from (negative) what was given."""
    return free_allocation_g(actual_year) - preallocated_g


@dataclass(frozen=True, slots=True)
class CapUse:
    """A cap and what is drawn from it: free and auctioned allowances, and the reserve
    that is what remains (cap = free + auctioned + reserve, DESIGN §7)."""

    cap_g: int
    free_g: int
    auctioned_g: int

    @property
    def reserve_g(self) -> int:
        return self.cap_g - self.free_g - self.auctioned_g


def within_cap(cap_g: int, free_g: Iterable[int], auctioned_g: int = 0) -> CapUse:
    """The cap's use after these allocations, refused (``allocation_exceeds_cap``) when
    they would take more than the cap holds."""
    if cap_g < 0 or auctioned_g < 0:
        raise ValidationError("a cap and an auction are never negative", code="bad_cap")
    use = CapUse(cap_g, sum(free_g), auctioned_g)
    if use.reserve_g < 0:
        raise Conflict(
            f"the allocation ({use.free_g} g free, {use.auctioned_g} g auctioned) exceeds "
            f"the cap of {cap_g} g by {-use.reserve_g} g",
            code="allocation_exceeds_cap",
        )
    return use


def allocation_run(
    cap_g: int, installations: Sequence[Installation], auctioned_g: int = 0
) -> tuple[dict[str, int], CapUse]:
    """Each emitter's free allocation (its units summed) and the cap's use: the preview
    an allocation run shows before its one registry entry."""
    per_emitter: dict[str, int] = {}
    for installation in installations:
        grams = free_allocation_g(installation)
        per_emitter[installation.emitter] = per_emitter.get(installation.emitter, 0) + grams
    return per_emitter, within_cap(cap_g, per_emitter.values(), auctioned_g)
