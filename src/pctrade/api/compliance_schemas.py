"""Request and response bodies of the compliance endpoints (issue 15).

Grams are integers (``*_g``), factors basis points. The compliance service decides every
rule (the cap, the benchmarks, who may verify); these models bound sizes and types only.
Activity data and emission factors are taken as numbers and handed on as they came, so
that a fractional or negative figure is refused by the domain with its own code
(``not_integer``, ``negative_activity``) rather than as a malformed request.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from pctrade.api.schemas import Body, Out
from pctrade.compliance import commands as c
from pctrade.compliance.emissions import STREAMS_MAX, SourceStream
from pctrade.kernel.limits import INT64_MAX, PARTY_ID_LEN_MAX

Jurisdiction = Annotated[str, Field(min_length=2, max_length=3, description="e.g. CN, GD")]
Period = Annotated[str, Field(min_length=4, max_length=9, description='"2025" or "2019-2020"')]
AccountId = Annotated[int, Field(strict=True, gt=0, le=INT64_MAX)]
Grams = Annotated[int, Field(strict=True, ge=0, le=INT64_MAX)]
Figure = Annotated[int | float, Field(description="a whole number; others are refused")]
INSTALLATIONS_BODY_MAX = 100_000


class CapCreate(Body):
    jurisdiction: Jurisdiction
    period: Period
    cap_g: Annotated[int, Field(strict=True, le=INT64_MAX)]

    def command(self) -> c.SetCap:
        return c.SetCap(self.jurisdiction, self.period, self.cap_g)


class InstallationBody(Body):
    account: AccountId
    unit_type: Annotated[str, Field(min_length=1, max_length=64, description="e.g. gas")]
    output: Annotated[str, Field(min_length=1, max_length=64, description="supply_g_per_mwh")]
    output_units: Annotated[int, Field(strict=True, le=INT64_MAX)]
    factors_bps: Annotated[tuple[Annotated[int, Field(strict=True)], ...], Field(max_length=8)] = ()

    def installation(self) -> c.InstallationOf:
        return c.InstallationOf(
            self.account, self.unit_type, self.output, self.output_units, tuple(self.factors_bps)
        )


class AllocationRunCreate(Body):
    jurisdiction: Jurisdiction
    period: Period
    kind: Annotated[
        str, Field(max_length=16, description="free | preallocation | true_up | auction")
    ]
    installations: Annotated[
        tuple[InstallationBody, ...], Field(max_length=INSTALLATIONS_BODY_MAX)
    ] = ()
    auctioned_g: Grams = 0

    def command(self) -> c.RunAllocation:
        return c.RunAllocation(
            self.jurisdiction,
            self.period,
            self.kind,
            tuple(i.installation() for i in self.installations),
            self.auctioned_g,
        )


class LinePublic(Out):
    account_id: int
    granted_g: int
    taken_g: int
    debt_g: int


class AllocationPreview(Out):
    """What a run would write; nothing is written."""

    jurisdiction: str
    period: str
    kind: str
    rule_set: str
    lines: list[LinePublic]
    cap_g: int
    free_g: int
    auctioned_g: int
    reserve_g: int


class RunPublic(Out):
    entry_seq: int
    kind: str
    denomination: str | None
    granted_g: int
    taken_g: int
    debt_g: int
    recipients: int
    rule_set: str
    ran_at: str


class CapPublic(Out):
    """A period's cap and its use: cap = free + auctioned + reserve."""

    jurisdiction: str
    period: str
    cap_g: int
    free_g: int
    auctioned_g: int
    reserve_g: int
    debt_g: int
    rule_set: str
    entry_seq: int
    runs: list[RunPublic]


class StreamBody(Body):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    activity_units: Figure
    unit: Annotated[str, Field(min_length=1, max_length=16, description="kg, kWh, Nm3")]
    factor_mg_per_unit: Figure

    def stream(self) -> SourceStream:
        # Handed on as given: the domain refuses fractions and negatives by their codes.
        return SourceStream(self.name, self.activity_units, self.unit, self.factor_mg_per_unit)  # type: ignore[arg-type]


class ReportCreate(Body):
    jurisdiction: Jurisdiction
    period: Period
    account: AccountId
    streams: Annotated[list[StreamBody], Field(max_length=STREAMS_MAX)]
    affiliates: Annotated[
        tuple[Annotated[str, Field(min_length=1, max_length=PARTY_ID_LEN_MAX)], ...],
        Field(max_length=100),
    ] = ()

    def command(self) -> c.SubmitReport:
        return c.SubmitReport(
            self.jurisdiction,
            self.period,
            self.account,
            tuple(s.stream() for s in self.streams),
            tuple(self.affiliates),
        )


class VerificationCreate(Body):
    verified_g: Figure


class SendBackCreate(Body):
    reason: Annotated[str, Field(max_length=500)]


class StepPublic(Out):
    entry_seq: int
    step: str
    actor: str
    figure_g: int | None
    reason: str
    rule_set: str
    ts: str


class StreamPublic(Out):
    name: str
    activity_units: int
    unit: str
    factor_mg_per_unit: int


class ReportPublic(Out):
    report_id: str
    jurisdiction: str
    period: str
    emitter_party: str
    emitter_account: int
    affiliates: list[str]
    state: str
    version: int
    reported_g: int
    verified_g: int | None
    confirmed_g: int | None
    verifier: str | None
    rule_set: str
    steps: list[StepPublic]
    streams: list[StreamPublic]
