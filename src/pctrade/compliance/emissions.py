"""An emitter's annual emissions (MRV) from its source streams, in integers.

Each source stream is activity data (whole units: kg of coal, kWh of electricity,
Nm³ of gas) × an emission factor in **milligrams** of CO2 per unit, so that factors
such as 0.5703 t/MWh (570.3 g/kWh = 570,300 mg/kWh) are exact. The report's total is
the exact sum in milligrams, rounded **up** once to the gram: an emitter never owes
less than its streams say.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pctrade.kernel.errors import ValidationError
from pctrade.kernel.limits import INT64_MAX

MG_PER_G = 1_000
STREAMS_MAX = 1_000


@dataclass(frozen=True, slots=True)
class SourceStream:
    name: str
    activity_units: int
    unit: str  # what the activity data counts, e.g. "kg", "kWh", "Nm3"
    factor_mg_per_unit: int


def _whole(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{what} must be a whole number, got {value!r}", code="not_integer")
    if value < 0:
        raise ValidationError(f"{what} is never negative, got {value}", code="negative_activity")
    return value


def emissions_g(streams: Sequence[SourceStream]) -> int:
    """The streams' emissions in grams: Σ activity × factor (mg), rounded up once."""
    if not streams:
        raise ValidationError("an emissions report lists its source streams", code="no_streams")
    if len(streams) > STREAMS_MAX:
        raise ValidationError(f"at most {STREAMS_MAX} source streams", code="too_many_streams")
    names = [s.name for s in streams]
    if len(set(names)) != len(names):
        raise ValidationError("a source stream is listed twice", code="duplicate_stream")
    total_mg = 0
    for s in streams:
        activity = _whole(s.activity_units, f"{s.name}'s activity data")
        factor = _whole(s.factor_mg_per_unit, f"{s.name}'s emission factor")
        total_mg += activity * factor
    grams = -(-total_mg // MG_PER_G)
    if grams > INT64_MAX:
        raise ValidationError("the report's emissions are beyond range", code="out_of_range")
    return grams
