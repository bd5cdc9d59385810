"""Methodologies and events: the data that quantification is a function of.

A *methodology* (方法学) is a versioned, published rule for turning one family
of low-carbon behaviour into grams of CO2e avoided. Each family (walking,
metro, EV charging, …) ships as a data file, `methodologies/<family>/v<N>.toml`;
this module holds the immutable objects those files load into.

Integer units, chosen so that every published factor is exact:

- An activity *quantity* is an integer in the behaviour's **base unit**
  (`m`, `step`, `trip`, `Wh`, `item`). A partner may report in a coarser
  accepted unit (`km`, `kWh`); the methodology lists each accepted unit with
  its integer multiplier to the base unit.
- Emission factors are integer **micrograms CO2e per base unit**
  (`baseline_ug_per_unit`, `project_ug_per_unit`). Hubei's 0.02 g per step is
  20,000 ug/step; Shenzhen's 46.8 g per person-km is 46,800 ug/m.
- Caps are integer **grams** (`cap_day_g`, `cap_year_g`) per person per family.
- Times are integer milliseconds since the Unix epoch, UTC (`*_ms`).

An *event* is one partner's report of one behaviour of one person. It is the
raw submission: any field may be missing, and validation (see `validation`)
decides what happens to it. Quantification is reproducible from (events,
methodology versions, day, as-of time, year-to-date credits) alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Final

from pctrade.kernel.units import BPS

BehaviourId = str
Family = str
PersonId = str
PartnerId = str

UG_PER_G: Final = 1_000_000
"""Micrograms per gram: factors are in ug, credits in g."""

MS_PER_HOUR: Final = 3_600_000
MS_PER_DAY: Final = 86_400_000


@dataclass(frozen=True, slots=True)
class PartnerAnomaly:
    """When one partner's events of a run are held for review as a whole.

    A rule set's numbers (``[energy]`` ``partner_min_events`` and
    ``partner_flagged_bps_max``): a partner with at least ``min_events`` judged
    events, more than ``flagged_bps_max`` basis points of which were rejected or
    held, is anomalous. Compared in integers: ``flagged × 10,000 > bps × judged``.
    """

    min_events: int
    flagged_bps_max: int

    def __post_init__(self) -> None:
        if self.min_events < 1 or not 0 <= self.flagged_bps_max <= BPS:
            raise ValueError("partner anomaly needs min_events >= 1 and 0 <= bps <= 10,000")

    def anomalous(self, judged_n: int, flagged_n: int) -> bool:
        return judged_n >= self.min_events and flagged_n * BPS > self.flagged_bps_max * judged_n


CORE_FIELDS: Final = (
    "partner_id",
    "event_id",
    "person_id",
    "behaviour",
    "start_ms",
    "end_ms",
    "quantity",
    "unit",
)
"""Fields every event must carry, whatever its methodology."""

OPTIONAL_FIELDS: Final = ("evidence_ref",)
"""Fields a methodology may additionally require (`required_fields`)."""


@dataclass(frozen=True, slots=True)
class Source:
    """The public origin of a factor or a cap, or a flagged assumption."""

    key: str
    figure: str
    publisher: str
    assumption: bool
    note: str


@dataclass(frozen=True, slots=True)
class BehaviourType:
    """One kind of behaviour, with its factors and plausibility bounds.

    `rate_min_per_h` / `rate_max_per_h` bound the average rate of the activity
    in base units per hour (for distances: a speed of v km/h is v x 1,000 m/h);
    `None` means unbounded. `trip` marks behaviours during which a person
    cannot be doing another trip behaviour, so overlapping trips are suspect.
    """

    id: BehaviourId
    family: Family
    description: str
    base_unit: str
    units: Mapping[str, int]
    baseline_ug_per_unit: int
    project_ug_per_unit: int
    factor_source: Source
    max_quantity_per_event: int
    rate_min_per_h: int | None
    rate_max_per_h: int | None
    trip: bool

    @property
    def avoided_ug_per_unit(self) -> int:
        """Avoided emissions per base unit: baseline minus project."""
        return self.baseline_ug_per_unit - self.project_ug_per_unit

    def max_quantity_in(self, unit: str) -> int:
        """Largest quantity in `unit` whose base-unit value stays within bounds.

        Comparing the reported quantity with this bound, rather than
        multiplying first, keeps absurd inputs from overflowing 64 bits.
        """
        return self.max_quantity_per_event // self.units[unit]


@dataclass(frozen=True, slots=True)
class Methodology:
    """One version of one family's methodology, as loaded from its file."""

    family: Family
    version: int
    name: str
    name_zh: str
    effective_from: date
    cap_day_g: int
    cap_year_g: int
    cap_source: Source
    required_fields: tuple[str, ...]
    behaviours: tuple[BehaviourType, ...]
    sources: tuple[Source, ...]

    @property
    def key(self) -> str:
        """Stable reference cited by every quantified row, e.g. `metro/v1`."""
        return f"{self.family}/v{self.version}"

    @property
    def requires_evidence(self) -> bool:
        return "evidence_ref" in self.required_fields


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The set of methodology versions in force for one quantification run.

    Behaviour ids are unique across families, so an event's `behaviour`
    field alone selects its methodology.
    """

    methodologies: tuple[Methodology, ...]
    _by_behaviour: Mapping[BehaviourId, tuple[Methodology, BehaviourType]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        index: dict[BehaviourId, tuple[Methodology, BehaviourType]] = {}
        families: set[Family] = set()
        for methodology in self.methodologies:
            if methodology.family in families:
                raise ValueError(f"two versions of {methodology.family!r} in one catalogue")
            families.add(methodology.family)
            for behaviour in methodology.behaviours:
                if behaviour.id in index:
                    raise ValueError(f"behaviour {behaviour.id!r} defined twice")
                index[behaviour.id] = (methodology, behaviour)
        object.__setattr__(self, "_by_behaviour", MappingProxyType(index))

    def find(self, behaviour_id: str | None) -> tuple[Methodology, BehaviourType] | None:
        if behaviour_id is None:
            return None
        return self._by_behaviour.get(behaviour_id)

    def methodology(self, family: Family) -> Methodology:
        for methodology in self.methodologies:
            if methodology.family == family:
                return methodology
        raise KeyError(family)

    @property
    def behaviours(self) -> tuple[BehaviourType, ...]:
        return tuple(b for m in self.methodologies for b in m.behaviours)


@dataclass(frozen=True, slots=True)
class Event:
    """One submitted behaviour event, before validation.

    `row_no` is the event's position in its source file (0-based data row);
    it makes reports point at the offending line and breaks ties so that
    every engine orders events the same way.
    """

    row_no: int
    partner_id: str | None
    event_id: str | None
    person_id: str | None
    behaviour: str | None
    start_ms: int | None
    end_ms: int | None
    quantity: int | None
    unit: str | None
    evidence_ref: str | None = None

    def content_digest(self) -> str:
        """MD5 (hex) of `content()` in the canonical text both engines build in SQL.

        Remembered for every credited or held event, so a later copy of the same
        (partner, event id) can be told apart from a harmless resubmission without
        keeping the whole event. Fields are joined by the unit separator (U+001F);
        a missing evidence reference is `-`, a present one is prefixed with `+`.
        """
        evidence = "-" if self.evidence_ref is None else "+" + self.evidence_ref
        parts = [self.person_id, self.behaviour, self.start_ms, self.end_ms, self.quantity]
        text = "\x1f".join([*map(str, parts), str(self.unit), evidence])
        return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()

    def content(self) -> tuple[object, ...]:
        """Everything a resubmission must repeat exactly to be a harmless duplicate."""
        return (
            self.person_id,
            self.behaviour,
            self.start_ms,
            self.end_ms,
            self.quantity,
            self.unit,
            self.evidence_ref,
        )
