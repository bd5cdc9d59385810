"""What qualifies for a carbon-inclusive issuance, and the checks around it.

**Which energy qualifies.** Only collected energy is spent (``energy.model``): a
person's collected energy is one balance, consumed oldest first (sponsorships and
carbon-inclusive issuances both draw on the oldest), and it never expires. So the
collected energy still unconsumed is the newest part of what was collected, and each
collected statement line's unconsumed part is known from the balance alone. A person's
*qualifying* energy is the run of their oldest unconsumed collected lines that

- were credited under a methodology version the issuance admits,
- are of a day inside the issuance's period, and
- were credited at or before the verification (``as_of_seq``),

up to the first unconsumed line that fails any of these. The run must start at the
oldest unconsumed energy: spending *n* grams consumes the oldest *n* grams, so a
spend past a non-qualifying line would consume that line instead of a qualifying one.
Energy not collected is not claimed: its holder collects it first (``pctrade energy
collect``). The issuance still records the expiry period in force when it was opened.

A person whose qualifying energy is below the rule set's per-person minimum gets
nothing and keeps their energy. The claim's digest pins exactly who gets what: the
issuance recomputes the claim inside its own transaction and refuses if the digest
differs from the verified one (energy was spent or expired in between).
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from pctrade.kernel.errors import Conflict, Forbidden, ValidationError
from pctrade.kernel.limits import AFFILIATES_MAX, REASON_LEN_MAX
from pctrade.ledger.model import Denomination, Instrument

PERIOD_DAYS_MAX = 366
PROJECT = "CI"  # the project part of every carbon-inclusive batch name
SERIAL_MAX = 999


class IssuanceStatus(StrEnum):
    OPEN = "open"  # waiting for a verifier
    VERIFIED = "verified"  # the claim is fixed; the regulator may issue
    REJECTED = "rejected"
    ISSUED = "issued"


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date

    @property
    def vintage(self) -> str:
        """The quarter the period ends in, e.g. ``2026Q3``."""
        return f"{self.end.year}Q{(self.end.month - 1) // 3 + 1}"


def check_period(period: Period, today: date) -> None:
    if period.end < period.start:
        raise ValidationError("the period ends before it starts", code="bad_period")
    if (period.end - period.start).days >= PERIOD_DAYS_MAX:
        raise ValidationError(f"a period covers at most {PERIOD_DAYS_MAX} days", code="bad_period")
    if period.end > today:
        raise ValidationError("avoided emissions are claimed after the fact", code="bad_period")


def admitted_methodologies(requested: Sequence[str], admitted: Sequence[str]) -> tuple[str, ...]:
    """The methodologies an issuance counts: all admitted ones, or a subset of them."""
    if not requested:
        return tuple(sorted(admitted))
    refused = sorted(set(requested) - set(admitted))
    if refused:
        raise Conflict(
            f"methodology {refused[0]} is not admitted (admitted: {', '.join(admitted)})",
            code="methodology_not_admitted",
        )
    return tuple(sorted(set(requested)))


def check_affiliates(affiliates: Sequence[str]) -> None:
    if len(affiliates) > AFFILIATES_MAX or len(set(affiliates)) != len(affiliates):
        raise ValidationError(
            f"at most {AFFILIATES_MAX} distinct affiliates", code="bad_affiliates"
        )


def check_verifier(verifier: str, requester: str, affiliates: Iterable[str]) -> None:
    if verifier == requester or verifier in set(affiliates):
        raise Forbidden(
            f"{verifier} requested this issuance or is affiliated with it", code="own_request"
        )


def check_decision(status: IssuanceStatus, approve: bool, reason: str) -> None:
    if status != IssuanceStatus.OPEN:
        raise Conflict(f"the issuance is already {status}", code="already_decided")
    if not approve and not reason.strip():
        raise ValidationError("a rejection states its reasons", code="missing_reason")
    if len(reason) > REASON_LEN_MAX:
        raise ValidationError(f"reasons are at most {REASON_LEN_MAX} characters", code="too_long")


@dataclass(frozen=True, slots=True)
class Claim:
    """Per person (ascending account): qualifying grams and the lines they come from.

    ``first_*``/``last_*`` name the first and last statement line of the run by entry
    seq and line index; the run is every line between them in ledger order.
    """

    account_ids: array[int] = field(default_factory=lambda: array("q"))
    amounts_g: array[int] = field(default_factory=lambda: array("q"))
    first_seq: array[int] = field(default_factory=lambda: array("q"))
    first_idx: array[int] = field(default_factory=lambda: array("q"))
    last_seq: array[int] = field(default_factory=lambda: array("q"))
    last_idx: array[int] = field(default_factory=lambda: array("q"))

    @property
    def people(self) -> int:
        return len(self.account_ids)

    @property
    def total_g(self) -> int:
        return sum(self.amounts_g)

    def columns(self) -> tuple[array[int], ...]:
        return (
            self.account_ids,
            self.amounts_g,
            self.first_seq,
            self.first_idx,
            self.last_seq,
            self.last_idx,
        )

    def digest(self) -> str:
        h = hashlib.sha256(b"pctrade-ci-claim-v1\n")
        for column in self.columns():
            h.update(len(column).to_bytes(8, "little"))
            h.update(column.tobytes())
        return h.hexdigest()


def apply_minimum(claim: Claim, person_min_g: int) -> tuple[Claim, int]:
    """Keep the people at or above the minimum; return them and how many fell below."""
    keep = [i for i, g in enumerate(claim.amounts_g) if g >= person_min_g]
    if len(keep) == claim.people:
        return claim, 0
    columns = [array("q", (col[i] for i in keep)) for col in claim.columns()]
    return Claim(*columns), claim.people - len(keep)


def denomination(jurisdiction: str, period: Period, serial: int) -> str:
    if not 0 < serial <= SERIAL_MAX:
        raise Conflict(
            f"{jurisdiction} has used every carbon-inclusive serial of {period.vintage}",
            code="full",
        )
    return str(Denomination(Instrument.PCER, jurisdiction, PROJECT, period.vintage, serial))
