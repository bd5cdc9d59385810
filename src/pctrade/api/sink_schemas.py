"""Request and response bodies of the sink endpoints, with their stated limits.

Carbon and energy are integer grams (``*_g``), dates ISO ``YYYY-MM-DD``. The domain
checks the rules (eligibility, periods, overlap, who may verify); these models only
bound the sizes and types a request may carry.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from pctrade.api.schemas import AccountRef, Body, Day, Out, QuantityG
from pctrade.kernel.limits import AFFILIATES_MAX, INT64_MAX, NAME_LEN_MAX, REASON_LEN_MAX
from pctrade.sinks.project import (
    PARCELS_MAX,
    UNITS_OFFERED_MAX,
    ProjectType,
    UnitKind,
)

Count = Annotated[int, Field(strict=True, gt=0, le=UNITS_OFFERED_MAX)]
Text64 = Annotated[str, Field(min_length=1, max_length=64)]


class ParcelCreate(Body):
    parcel_id: Text64
    area_m2: Annotated[int, Field(strict=True, gt=0, le=INT64_MAX)]
    years_not_forest: Annotated[int, Field(strict=True, ge=0, le=10_000)]
    wetland: bool = False


class ProjectCreate(Body):
    code: Annotated[str, Field(min_length=7, max_length=7, description="e.g. AFF0007")]
    name: Annotated[str, Field(min_length=1, max_length=NAME_LEN_MAX)]
    project_type: ProjectType
    jurisdiction: Annotated[str, Field(min_length=2, max_length=3)]
    forest_type: Text64
    parcels: Annotated[list[ParcelCreate], Field(min_length=1, max_length=PARCELS_MAX)]
    crediting_start: Day
    crediting_end: Day
    unit_energy_g: QuantityG
    units_offered: Count
    affiliates: Annotated[list[Text64], Field(max_length=AFFILIATES_MAX, default_factory=list)]
    stand_age_y: Annotated[int, Field(strict=True, ge=0, lt=1_000)] = 0
    # The sponsor unit; without unit_kind, the units offered are the project's trees.
    unit_kind: UnitKind | None = None
    units_total: Count | None = None
    unit_area_m2: Annotated[int, Field(strict=True, gt=0, le=INT64_MAX)] | None = Field(
        default=None, description="the area the units cover; default: the parcels' area"
    )
    m2_per_unit: Annotated[int, Field(strict=True, ge=0, le=INT64_MAX)] = 0


class ProjectPublic(Out):
    code: str
    name: str
    project_type: str
    jurisdiction: str
    forest_type: str
    owner: str
    area_m2: int
    status: str
    unit_energy_g: int
    units_offered: int
    units_sold: int
    buffer_bps: int
    rule_set: str  # the rule set version the buffer rate came from
    model_version: str
    unit_kind: str | None  # None: registered before units were declared (trees)
    units_total: int | None
    unit_area_m2: int | None
    m2_per_unit: int | None
    unit_expected_g: int | None  # the model's expectation per unit over the crediting period
    energy_per_removal_bps: int | None  # the rule set's price ratio


class UnitOfferPublic(Out):
    """What one unit is and costs, what the model expects it to remove, when credits come."""

    code: str
    status: str
    unit_definition: str
    units_total: int
    units_left: int
    price_g: int
    expected_removal_g: int | None  # per unit over the crediting period
    energy_per_removal_bps: int | None  # the rule set's ratio: price = expected × bps ÷ 10,000
    rule_set: str
    model_version: str
    crediting_start: str
    crediting_end: str
    first_credits_after: str
    credits: str


class SponsorshipCreate(Body):
    account: AccountRef
    units: Count


class SponsorshipPublic(Out):
    spend_seq: int
    project_code: str
    account_id: int
    units: int
    energy_g: int


class ReportCreate(Body):
    period_start: Day
    period_end: Day
    removals_g: QuantityG


class ReportPublic(Out):
    report_id: int
    project_code: str
    period_start: str
    period_end: str
    removals_g: int
    expected_g: int
    status: str
    verifier: str | None
    reason: str
    issued_g: int


class DecisionCreate(Body):
    approve: bool
    reason: Annotated[str, Field(max_length=REASON_LEN_MAX)] = ""


class IssuanceCreate(Body):
    quantity_g: QuantityG | None = Field(default=None, description="default: all unissued")


class IssuancePublic(Out):
    issue_seq: int
    batch: str
    report_id: int
    removals_g: int
    buffer_g: int
    attributed_g: int  # to the sponsors, their units' share
    sponsors: int
    leftover_g: int
    unissued_g: int  # the removals of units nobody sponsored: recorded, not issued
    project_units: int | None


class ReversalCreate(Body):
    loss_g: QuantityG
    cause: Annotated[str, Field(min_length=1, max_length=REASON_LEN_MAX)]


class ReversalPublic(Out):
    reversal_id: int
    loss_g: int = Field(description="The whole project's loss, as reported.")
    issued_loss_g: int = Field(
        description="The part of the loss credits stand for: ⌈loss × credited ÷ verified⌉ "
        "over the project's issuances; covered_g + shortfall_g."
    )
    uncredited_loss_g: int = Field(
        description="The loss of removals nobody holds credits for: recorded, not insured."
    )
    covered_g: int = Field(description="Buffer credits cancelled.")
    shortfall_g: int = Field(description="What the buffer could not cover.")
    cancel_seqs: list[int]


class MyCreditPublic(Out):
    batch: str
    issue_seq: int
    shares: int
    credited_g: int
    rounded_up: bool
    available_g: int


class MyProjectPublic(Out):
    code: str
    name: str
    project_type: str
    forest_type: str
    status: str
    units: int
    energy_g: int
    units_sold: int
    verified_g: int
    credited_g: int
    credits: list[MyCreditPublic]


class IssuanceCertificatePublic(Out):
    """A PCER batch's issuance record; no personal data."""

    certificate_id: str
    batch: str
    jurisdiction: str
    project_code: str
    project_name: str
    project_type: str
    forest_type: str
    owner: str
    period_start: str
    period_end: str
    report_id: int
    verifier: str
    verified_at: str
    verified_removals_g: int
    issued_g: int
    buffer_bps: int
    buffer_g: int
    attributed_g: int
    sponsors: int
    total_shares: int
    unit_definition: str
    project_units: int
    share_rule: str
    unissued_g: int
    model_version: str
    leftover_g: int
    shares_as_of: str
    remainder_rule: str
    issued_by: str
    issued_at: str
    journal_seq: int
    entry_hash: str


class SponsorCreditPublic(Out):
    """One sponsor's line of the batch's attribution table, and the arithmetic behind it."""

    certificate_id: str
    account_id: int
    shares: int
    total_shares: int
    floor_g: int
    remainder: int
    rounded_up: bool
    credited_g: int
    available_g: int


class SponsorCertificatePublic(Out):
    issuance: IssuanceCertificatePublic
    credit: SponsorCreditPublic


class MyProjectPagePublic(Out):
    items: list[MyProjectPublic]
    next_cursor: str | None
