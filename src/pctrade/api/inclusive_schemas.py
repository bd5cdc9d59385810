"""Request and response bodies of the rule-set and carbon-inclusive endpoints.

Grams are integers (``*_g``), dates ISO ``YYYY-MM-DD``. The services decide the rules
(path and methodologies admitted, who may verify, what qualifies); these models only
bound sizes and types.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import Field

from pctrade.api.schemas import Body, Day, Out
from pctrade.kernel.limits import AFFILIATES_MAX, REASON_LEN_MAX

Text64 = Annotated[str, Field(min_length=1, max_length=64)]


class RuleSetSummary(Out):
    version: str
    jurisdiction: str
    iso_code: str
    name: str
    effective_from: date
    issuance_paths: list[str]
    digest: str


class RuleSetPublic(RuleSetSummary):
    sections: dict[str, dict[str, Any]]  # each section's values, sources and assumed fields
    sources: dict[str, dict[str, Any]]
    assumptions: list[str]
    notes: list[str]


class RuleChange(Out):
    section: str = Field(description='a section of the file, "" for its own keys, or sources')
    field: str = Field(description='the field\'s dotted path in it ("": the whole section)')
    before: Any = Field(description="its plain value in the first rule set (null: absent)")
    after: Any = Field(description="its plain value in the second rule set (null: absent)")


class RuleDiffPublic(Out):
    before: RuleSetSummary
    after: RuleSetSummary
    changes: list[RuleChange]


class InclusiveOpen(Body):
    jurisdiction: Annotated[str, Field(min_length=2, max_length=3, description="e.g. GD")]
    period_start: Day
    period_end: Day
    methodologies: Annotated[
        list[Text64], Field(max_length=64, default_factory=list, description="default: all")
    ]
    affiliates: Annotated[list[Text64], Field(max_length=AFFILIATES_MAX, default_factory=list)]


class InclusiveDecision(Body):
    approve: bool
    reason: Annotated[str, Field(max_length=REASON_LEN_MAX)] = ""


class InclusiveRequestPublic(Out):
    issuance_id: int
    jurisdiction: str
    period_start: str
    period_end: str
    rule_set: str
    methodologies: str
    person_min_g: int
    expiry_s: int
    requested_by: str
    affiliates: str
    opened_at: str
    status: str
    verifier: str | None
    decided_at: str | None
    reason: str
    as_of_seq: int | None
    claim_people: int
    claim_g: int
    claim_digest: str
    below_min_people: int
    issue_seq: int | None
    batch: str | None


class InclusiveIssuancePublic(Out):
    issue_seq: int
    issuance_id: int
    batch: str
    rule_set: str
    methodologies: list[str]
    people: int
    issued_g: int


class MyInclusivePublic(Out):
    batch: str
    issue_seq: int
    issuance_id: int
    rule_set: str
    methodologies: list[str]
    period_start: str
    period_end: str
    credited_g: int
    available_g: int
    first_line: tuple[int, int]
    last_line: tuple[int, int]


class AttributionPublic(Out):
    account_id: int
    amount_g: int
    first_seq: int  # the energy behind it: statement lines first..last (entry seq, index)
    first_idx: int
    last_seq: int
    last_idx: int


class RuleSetPagePublic(Out):
    items: list[RuleSetSummary]
    next_cursor: str | None


class InclusiveRequestPagePublic(Out):
    items: list[InclusiveRequestPublic]
    next_cursor: str | None


class AttributionPagePublic(Out):
    items: list[AttributionPublic]
    next_cursor: str | None


class MyInclusivePagePublic(Out):
    items: list[MyInclusivePublic]
    next_cursor: str | None
