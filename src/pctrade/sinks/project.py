"""Sink projects: their types, the land they stand on, and the rules a project must meet.

A project is registered by its owner (碳汇项目业主) with its parcels, a forest type
(which picks the removal model), a crediting period and the sponsor units it offers,
each priced in grams of green energy. It opens for sponsorship only once the
regulator approves it, and closes when the owner or the regulator closes it.

Eligibility follows the CCER afforestation methodology for 造林/再造林 projects:
every parcel was not forest for at least three years before the project, is at least
400 m², and is not wetland. Each failed condition has its own code, so an owner
learns which parcel fails and why. REDD, conservation and management projects work
on existing forest, so only the parcel-size rule applies to them.

A sponsor unit is a defined part of its project (DESIGN §4, issue 11): one tree, or
``m2_per_unit`` m² of its parcels. The project declares how many units it has in all
(``units_total``) and the area they cover, which must be the parcels' area, so that one
unit stands for ``1 / units_total`` of every removal the project makes. A sponsor's
credits are then the removals of their own units; the units nobody sponsored keep their
removals in the project (``sinks.attribution``). A project may offer fewer units than it
has, never more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from pctrade.kernel.errors import Conflict, ValidationError
from pctrade.kernel.limits import AFFILIATES_MAX, NAME_LEN_MAX

PARCEL_AREA_M2_MIN = 400
YEARS_NOT_FOREST_MIN = 3
PARCELS_MAX = 10_000
UNITS_OFFERED_MAX = 10**12
CREDITING_YEARS_MAX = 60
M2_PER_HA = 10_000

# A project code becomes part of every batch denomination (PCER-GD-AFF0007-…).
_CODE_RE = re.compile(r"^[A-Z]{3}[0-9]{4}$")
_JURISDICTION_RE = re.compile(r"^[A-Z]{2,3}$")


class ProjectType(StrEnum):
    AFFORESTATION = "afforestation"  # 造林: land that was not forest
    REFORESTATION = "reforestation"  # 再造林: land deforested before
    REDD = "redd"  # avoided deforestation and degradation
    CONSERVATION = "conservation"  # forest conservation
    MANAGEMENT = "management"  # sustainable forest management (REDD+)

    @property
    def plants_new_forest(self) -> bool:
        return self in (ProjectType.AFFORESTATION, ProjectType.REFORESTATION)


# The three-letter head of a project code for each type, so a batch name says its type.
CODE_PREFIX: dict[ProjectType, str] = {
    ProjectType.AFFORESTATION: "AFF",
    ProjectType.REFORESTATION: "REF",
    ProjectType.REDD: "RED",
    ProjectType.CONSERVATION: "CON",
    ProjectType.MANAGEMENT: "MGT",
}


class ProjectStatus(StrEnum):
    REGISTERED = "registered"  # waiting for the regulator
    APPROVED = "approved"  # open for sponsorship
    CLOSED = "closed"  # no more sponsorship; reports and issuance continue


@dataclass(frozen=True, slots=True)
class Parcel:
    """One piece of land: its area, and the facts the eligibility rules look at."""

    parcel_id: str
    area_m2: int
    years_not_forest: int
    wetland: bool = False


class UnitKind(StrEnum):
    TREE = "tree"  # one planted (or standing) tree
    AREA = "area"  # ``m2_per_unit`` m² of the project's parcels


TREES_PER_M2_MAX = 1  # denser than one tree per m² is not a stand we would believe


@dataclass(frozen=True, slots=True)
class SponsorUnit:
    """What one sponsor unit is: its kind, how many the project has, the area they cover."""

    kind: UnitKind
    units_total: int
    area_m2: int
    m2_per_unit: int = 0  # for AREA units; 0 for trees

    def describe(self) -> str:
        if self.kind == UnitKind.AREA:
            return (
                f"{self.m2_per_unit:,} m² of the project's parcels "
                f"(1 of {self.units_total:,} units on {self.area_m2:,} m²)"
            )
        return f"one tree (1 of {self.units_total:,} trees on {self.area_m2:,} m²)"


@dataclass(frozen=True, slots=True)
class ProjectSpec:
    """What an owner registers; ``validate`` checks it alone, before any state."""

    code: str
    name: str
    project_type: ProjectType
    jurisdiction: str
    forest_type: str
    parcels: tuple[Parcel, ...]
    crediting_start: date
    crediting_end: date
    unit_energy_g: int
    units_offered: int
    affiliates: tuple[str, ...] = ()
    # Undeclared, the units offered are the project's trees and cover all its parcels.
    unit: SponsorUnit | None = None

    @property
    def area_m2(self) -> int:
        return sum(p.area_m2 for p in self.parcels)

    @property
    def sponsor_unit(self) -> SponsorUnit:
        if self.unit is not None:
            return self.unit
        return SponsorUnit(UnitKind.TREE, self.units_offered, self.area_m2)


def validate_spec(spec: ProjectSpec, known_forest_types: frozenset[str]) -> None:
    """Refuse a malformed or ineligible project with the code of the first rule it fails."""
    _check_identity(spec)
    if spec.forest_type not in known_forest_types:
        known = ", ".join(sorted(known_forest_types))
        raise ValidationError(
            f"no removal model for forest type {spec.forest_type!r} (use {known})",
            code="unknown_forest_type",
        )
    _check_period(spec.crediting_start, spec.crediting_end)
    _check_offer(spec.unit_energy_g, spec.units_offered)
    if not 0 < len(spec.parcels) <= PARCELS_MAX:
        raise ValidationError(f"a project has 1 to {PARCELS_MAX} parcels", code="bad_parcels")
    if len({p.parcel_id for p in spec.parcels}) != len(spec.parcels):
        raise ValidationError("a parcel is listed twice", code="duplicate_parcel")
    for parcel in spec.parcels:
        check_parcel(parcel, spec.project_type)
    check_unit(spec.sponsor_unit, spec.area_m2, spec.units_offered)


def check_unit(unit: SponsorUnit, area_m2: int, units_offered: int) -> None:
    """A unit is a defined part of the project: the units tile its parcels' area."""
    if not 0 < unit.units_total <= UNITS_OFFERED_MAX:
        raise ValidationError(f"a project has 1 to {UNITS_OFFERED_MAX} units", code="bad_unit")
    if unit.area_m2 != area_m2:
        raise ValidationError(
            f"the units cover {unit.area_m2} m², the parcels {area_m2} m²: a unit must be a "
            "defined part of the whole project",
            code="unit_area_mismatch",
        )
    if units_offered > unit.units_total:
        raise ValidationError(
            f"{units_offered} units offered, but the project has {unit.units_total}",
            code="units_exceed_project",
        )
    if unit.kind == UnitKind.AREA:
        if unit.m2_per_unit <= 0 or unit.m2_per_unit * unit.units_total != area_m2:
            raise ValidationError(
                f"{unit.units_total} units of {unit.m2_per_unit} m² do not make {area_m2} m²",
                code="bad_unit",
            )
    elif unit.m2_per_unit != 0 or unit.units_total > area_m2 * TREES_PER_M2_MAX:
        raise ValidationError(
            f"{unit.units_total} trees on {area_m2} m² (at most {TREES_PER_M2_MAX} per m²; "
            "a tree unit states no m²)",
            code="bad_unit",
        )


def _check_identity(spec: ProjectSpec) -> None:
    if not _CODE_RE.match(spec.code):
        raise ValidationError(
            f"project code {spec.code!r} must be three letters and four digits, e.g. AFF0007",
            code="bad_project_code",
        )
    if not spec.code.startswith(CODE_PREFIX[spec.project_type]):
        raise ValidationError(
            f"a {spec.project_type} project's code starts with {CODE_PREFIX[spec.project_type]}",
            code="bad_project_code",
        )
    if not _JURISDICTION_RE.match(spec.jurisdiction):
        raise ValidationError("jurisdiction is 2-3 capital letters", code="bad_jurisdiction")
    if not 0 < len(spec.name) <= NAME_LEN_MAX:
        raise ValidationError(f"a name has 1 to {NAME_LEN_MAX} characters", code="bad_name")
    if len(spec.affiliates) > AFFILIATES_MAX:
        raise ValidationError(f"at most {AFFILIATES_MAX} affiliates", code="bad_affiliates")


def _check_period(start: date, end: date) -> None:
    if end <= start:
        raise ValidationError("the crediting period ends before it starts", code="bad_period")
    if (end - start).days > CREDITING_YEARS_MAX * 366:
        raise ValidationError(
            f"a crediting period is at most {CREDITING_YEARS_MAX} years", code="bad_period"
        )


def _check_offer(unit_energy_g: int, units_offered: int) -> None:
    if unit_energy_g <= 0:
        raise ValidationError("a sponsor unit must cost some energy", code="non_positive")
    if not 0 < units_offered <= UNITS_OFFERED_MAX:
        raise ValidationError(
            f"units offered must be 1 to {UNITS_OFFERED_MAX}", code="bad_units_offered"
        )


def check_parcel(parcel: Parcel, project_type: ProjectType) -> None:
    """The CCER afforestation eligibility conditions, one code per condition."""
    if parcel.area_m2 < PARCEL_AREA_M2_MIN:
        raise ValidationError(
            f"parcel {parcel.parcel_id} is {parcel.area_m2} m², below {PARCEL_AREA_M2_MIN} m²",
            code="parcel_too_small",
        )
    if not project_type.plants_new_forest:
        return
    if parcel.wetland:
        raise ValidationError(
            f"parcel {parcel.parcel_id} is wetland, which cannot be afforested",
            code="parcel_wetland",
        )
    if parcel.years_not_forest < YEARS_NOT_FOREST_MIN:
        raise ValidationError(
            f"parcel {parcel.parcel_id} was forest {parcel.years_not_forest} years ago; "
            f"it must not have been forest for {YEARS_NOT_FOREST_MIN} years",
            code="parcel_recently_forest",
        )


@dataclass(frozen=True, slots=True)
class ProjectState:
    """What the sponsorship rules need to know about a stored project."""

    code: str
    status: ProjectStatus
    unit_energy_g: int
    units_offered: int
    units_sold: int


def sponsorship_cost_g(project: ProjectState, units: int) -> int:
    """The energy ``units`` cost, after checking the project can sell them now."""
    if units <= 0:
        raise ValidationError("sponsor at least one unit", code="non_positive")
    if project.status == ProjectStatus.REGISTERED:
        raise Conflict(
            f"project {project.code} is not approved for sponsorship yet",
            code="project_not_approved",
        )
    if project.status == ProjectStatus.CLOSED:
        raise Conflict(f"project {project.code} is closed", code="project_closed")
    left = project.units_offered - project.units_sold
    if units > left:
        raise Conflict(
            f"project {project.code} has {left} units left, asked for {units}",
            code="units_exhausted",
        )
    return units * project.unit_energy_g


def require_status(code: str, status: ProjectStatus, wanted: ProjectStatus, what: str) -> None:
    if status != wanted:
        raise Conflict(
            f"project {code} is {status}; {what} needs it {wanted}", code="wrong_project_status"
        )
