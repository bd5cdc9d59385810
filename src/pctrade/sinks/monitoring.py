"""Monitoring reports and their verification.

The owner files one report per monitoring period with the removals measured on the
ground. A period is ``[start, end]`` in whole days, inside the crediting period, and
must not overlap any earlier report of the project that is pending or verified: a
tonne of removal is issued once (DESIGN §4). A rejected report frees its period so a
corrected one can be filed. Removals are issued ex post, so a period must have ended
(its last day is before today) before it can be reported: measurements of a period
still running would count growth that has not happened yet.

A verifier (核查机构) then verifies or rejects the report with reasons. It may not
verify a project it belongs to: the owner and the affiliates named at registration
(its consultants, its own verification arm) are excluded. Only a verified report can
back an issuance, and only up to its verified removals.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from pctrade.kernel.errors import Conflict, Forbidden, ValidationError
from pctrade.kernel.limits import REASON_LEN_MAX

REPORT_DAYS_MAX = 5 * 366


class ReportStatus(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Period:
    """A monitoring period; both ends are included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def overlaps(self, other: Period) -> bool:
        return self.start <= other.end and other.start <= self.end

    @property
    def vintage(self) -> str:
        """The batch vintage: the quarter the period ends in, e.g. ``2026Q3``."""
        return f"{self.end.year}Q{(self.end.month - 1) // 3 + 1}"


@dataclass(frozen=True, slots=True)
class FiledReport:
    report_id: int
    period: Period
    status: ReportStatus


def check_period(period: Period, crediting_start: date, crediting_end: date) -> None:
    if period.end < period.start:
        raise ValidationError("the period ends before it starts", code="bad_period")
    if period.days > REPORT_DAYS_MAX:
        raise ValidationError(f"a period is at most {REPORT_DAYS_MAX} days", code="bad_period")
    if period.start < crediting_start or period.end > crediting_end:
        raise Conflict(
            f"the period {period.start}..{period.end} is outside the crediting period "
            f"{crediting_start}..{crediting_end}",
            code="outside_crediting_period",
        )


def check_period_ended(period: Period, today: date) -> None:
    if period.end >= today:
        raise Conflict(
            f"the period {period.start}..{period.end} has not ended (today is {today}); "
            "report it from the day after its end",
            code="period_not_ended",
        )


def check_no_overlap(period: Period, earlier: Iterable[FiledReport]) -> None:
    """Refuse a period that overlaps a pending or verified report of the same project."""
    for report in earlier:
        if report.status != ReportStatus.REJECTED and period.overlaps(report.period):
            raise Conflict(
                f"the period overlaps report {report.report_id} "
                f"({report.period.start}..{report.period.end}, {report.status})",
                code="period_overlap",
            )


def check_measured(removals_g: int) -> None:
    if removals_g <= 0:
        raise ValidationError("measured removals must be positive", code="non_positive")


def check_verifier(verifier: str, owner: str, affiliates: Iterable[str]) -> None:
    if verifier == owner or verifier in set(affiliates):
        raise Forbidden(
            f"{verifier} belongs to this project and may not verify it", code="own_project"
        )


def check_decision(status: ReportStatus, approve: bool, reason: str) -> None:
    if status != ReportStatus.PENDING:
        raise Conflict(f"the report is already {status}", code="report_decided")
    if not approve and not reason.strip():
        raise ValidationError("a rejection states its reasons", code="missing_reason")
    if len(reason) > REASON_LEN_MAX:
        raise ValidationError(f"reasons are at most {REASON_LEN_MAX} characters", code="too_long")


def check_issuable(status: ReportStatus, verified_g: int, issued_g: int, requested_g: int) -> None:
    """An issuance draws on a verified report and never beyond what is left of it."""
    if status != ReportStatus.VERIFIED:
        raise Conflict(f"the report is {status}, not verified", code="report_not_verified")
    if requested_g <= 0:
        raise ValidationError("issue a positive quantity", code="non_positive")
    if issued_g + requested_g > verified_g:
        raise Conflict(
            f"issuing {requested_g} g would exceed the verified removals: {verified_g} g "
            f"verified, {issued_g} g issued already",
            code="exceeds_verified",
        )
