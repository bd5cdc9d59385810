"""Request and response bodies, one family per entity: ``…Create`` in, ``…Public`` out.

Carbon is integer grams (``quantity_g``), money integer fen (``amount_fen``); no
field is a float, and integers are strict (``1.0`` and ``"1"`` are refused). Every
quantity is > 0 and ≤ 2^63-1, every string and list has a stated bound, and unknown
fields are refused. An asset is named by its batch denomination
(``PCER-GD-AFF0007-2026Q3-001``) or ``CNY``; an account by its id (``1000``) or its
number (``IND-0000001000``).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from pctrade.kernel.errors import PctradeError
from pctrade.kernel.limits import (
    DENOMINATION_LEN_MAX,
    INT64_MAX,
    NAME_LEN_MAX,
    PARTY_ID_LEN_MAX,
    REASON_LEN_MAX,
    REFERENCE_LEN_MAX,
)
from pctrade.ledger.model import CASH_NAME, Role, parse_account_ref
from pctrade.ledger.operations import FreezeReason

RECIPIENTS_PER_REQUEST_MAX = 10_000
PARTIES_PER_REQUEST_MAX = 10_000
CASH = CASH_NAME  # the API spells cash exactly CNY (any case in a request)


def _account_ref(value: object) -> object:
    # A readable number becomes its id; anything else is left to strict int validation.
    if isinstance(value, str):
        try:
            return parse_account_ref(value)
        except PctradeError as exc:
            raise ValueError(exc.message) from exc
    return value


_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_day(value: object) -> object:
    # Pydantic would read a number (``day=0``) as seconds since 1970: a day is only ever
    # written out, YYYY-MM-DD.
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DAY.match(value)):
        return value
    raise PydanticCustomError("bad_date", "a day is written YYYY-MM-DD")


Day = Annotated[date, BeforeValidator(_iso_day), Field(description="YYYY-MM-DD")]
"""A calendar day in a request: ISO ``YYYY-MM-DD`` only (never a timestamp)."""

QuantityG = Annotated[
    int, Field(strict=True, gt=0, le=INT64_MAX, description="grams CO2e (1 t = 1,000,000 g)")
]
AmountFen = Annotated[int, Field(strict=True, gt=0, le=INT64_MAX, description="fen (CNY 0.01)")]
AccountRef = Annotated[
    int,
    BeforeValidator(_account_ref),
    Field(strict=True, ge=0, le=INT64_MAX, description="account id or number (IND-0000001000)"),
]
Seq = Annotated[int, Field(strict=True, gt=0, le=INT64_MAX)]
AssetName = Annotated[
    str,
    Field(min_length=1, max_length=DENOMINATION_LEN_MAX, description="batch denomination or CNY"),
]
PartyIdField = Annotated[
    str, Field(min_length=1, max_length=PARTY_ID_LEN_MAX, pattern=r"^[A-Za-z0-9_.:@-]+$")
]
Name = Annotated[str, Field(max_length=NAME_LEN_MAX)]
Reason = Annotated[str, Field(min_length=1, max_length=REASON_LEN_MAX)]
Reference = Annotated[str, Field(min_length=1, max_length=REFERENCE_LEN_MAX)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Out(BaseModel):
    model_config = ConfigDict(frozen=True)


# ---- authentication -------------------------------------------------------------------
class TokenCreate(Body):
    username: Annotated[str, Field(min_length=1, max_length=PARTY_ID_LEN_MAX)]
    password: Annotated[str, Field(min_length=1, max_length=256)]


class TokenPublic(Out):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: str
    party_id: str
    username: str


# ---- journal --------------------------------------------------------------------------
class EntryPublic(Out):
    """A recorded operation; every write answers with the entry it made."""

    seq: int
    op_type: str
    actor: str
    idempotency_key: str
    ts: str
    payload: dict[str, Any]
    posting_count: int
    prev_hash: str
    hash: str


class PostingPublic(Out):
    account_id: int
    asset: str
    state: str
    delta: int


class EntryDetailPublic(Out):
    entry: EntryPublic
    postings: list[PostingPublic]
    posting_count: int


class JournalPagePublic(Out):
    entries: list[EntryPublic]
    next_after: int | None = Field(
        description="the last seq of this page when another follows: pass as ``after``"
    )
    next_cursor: str | None = Field(
        description="pass as ``cursor`` for the next page; null on the last page"
    )


class JournalHeadPublic(Out):
    """A journal position: the entry at ``seq`` and its hash (which chains all before)."""

    seq: int
    hash: str
    ts: str = Field(description="when the entry was recorded (UTC)")


# ---- parties and accounts -------------------------------------------------------------
class AccountCreate(Body):
    party_id: PartyIdField
    role: Role
    name: Name = ""
    label: Name = ""


class PartyName(Body):
    party_id: PartyIdField
    name: Name = ""


class AccountsCreate(Body):
    """Bulk registration of many parties of one role (e.g. a platform's users)."""

    role: Role
    parties: Annotated[list[PartyName], Field(min_length=1, max_length=PARTIES_PER_REQUEST_MAX)]


class AccountPublic(Out):
    account_id: int
    account_number: str
    holder_type: str
    owner: str
    label: str


class AccountPagePublic(Out):
    items: list[AccountPublic]
    next_cursor: str | None


class AccountOpenedPublic(Out):
    entry: EntryPublic
    account: AccountPublic | None = Field(description="the account opened, for one party")


class AgentCreate(Body):
    agent: PartyIdField
    active: bool = True


class HoldingPublic(Out):
    asset: str
    state: str
    amount: int
    unit: Literal["g", "fen"]


class HoldPublic(Out):
    hold_id: int
    asset: str
    reason: str
    reference: str
    amount: int
    remaining: int
    unit: Literal["g", "fen"]


AccountStatusName = Literal["open", "blocked", "suspended", "closed"]


class AccountStatusCreate(Body):
    """Block, suspend, close or reopen (``open``) an account; authorities only."""

    status: AccountStatusName = Field(
        description="blocked: sends nothing at its holder's word; suspended: also receives"
        " nothing from holders; closed: final, only when it holds nothing available or"
        " frozen; open: lifts a block or suspension"
    )
    reason: Reason


class AccountStatusPublic(Out):
    status: AccountStatusName
    reason: str = Field(description="the reason recorded with the last change; '' if none")
    seq: int | None = Field(description="the entry of the last change; null if never changed")


class AccountViewPublic(Out):
    account: AccountPublic
    status: AccountStatusPublic
    holdings: list[HoldingPublic]
    holds: list[HoldPublic]
    agents: list[str]


class PositionPublic(Out):
    account: AccountPublic
    holdings: list[HoldingPublic]
    holds: list[HoldPublic] = Field(description="holds open at the position, as then")


class PositionsPublic(Out):
    """Accounts read together at one journal position: right after entry ``as_of``."""

    as_of: JournalHeadPublic
    accounts: list[PositionPublic]


# ---- batches --------------------------------------------------------------------------
class Allocation(Body):
    account: AccountRef
    quantity_g: QuantityG


class BatchCreate(Body):
    denomination: Annotated[
        str,
        Field(
            min_length=1,
            max_length=DENOMINATION_LEN_MAX,
            description="the whole denomination (PCER-GD-AFF0007-2026Q3-001), or its series"
            " without the serial (PCER-GD-AFF0007-2026Q3): the registry then assigns the"
            " series' next serial",
        ),
    ]
    allocations: Annotated[
        list[Allocation], Field(min_length=1, max_length=RECIPIENTS_PER_REQUEST_MAX)
    ]
    methodology: Annotated[
        str | None,
        Field(
            max_length=64,
            pattern=r"^[A-Za-z0-9._-]{1,64}$",
            description="the methodology the units were credited under (CCER-14-001-V01),"
            " which surrender checks against the rule set's admitted ones",
        ),
    ] = None


class BatchPublic(Out):
    asset_id: int
    denomination: str
    instrument: str
    jurisdiction: str
    project: str
    vintage: str
    serial: int
    issued_g: int
    issued_seq: int
    methodology: str | None = None  # as the issuer stated it; None: not stated


class BatchPagePublic(Out):
    items: list[BatchPublic]
    next_cursor: str | None


class SupplyPublic(Out):
    """A batch's grams by state, read in one snapshot: the five states sum to issued."""

    denomination: str
    asset_id: int
    issued_g: int
    available_g: int
    frozen_g: int
    surrendered_g: int
    retired_g: int
    cancelled_g: int
    as_of: JournalHeadPublic


class BatchIssuedPublic(Out):
    entry: EntryPublic
    denomination: str
    issued_g: int


# ---- moving units ---------------------------------------------------------------------
class _Amount(Body):
    """Exactly one of ``quantity_g`` (a batch) or ``amount_fen`` (CNY)."""

    asset: AssetName
    quantity_g: QuantityG | None = None
    amount_fen: AmountFen | None = None

    @model_validator(mode="after")
    def _one_unit(self) -> Self:
        cash = self.asset.upper() == CASH
        if cash and (self.amount_fen is None or self.quantity_g is not None):
            raise ValueError("CNY is moved as amount_fen (and no quantity_g)")
        if not cash and (self.quantity_g is None or self.amount_fen is not None):
            raise ValueError("credits are moved as quantity_g (and no amount_fen)")
        return self

    @property
    def quantity(self) -> int:
        value = self.amount_fen if self.quantity_g is None else self.quantity_g
        if value is None:  # unreachable after validation; kept for the type checker
            raise ValueError("no quantity")
        return value


class TransferCreate(_Amount):
    from_account: AccountRef
    to_account: AccountRef


class Payout(Body):
    """One recipient of a distribution, in the asset's unit (g for credits, fen for CNY)."""

    account: AccountRef
    amount: Annotated[int, Field(strict=True, gt=0, le=INT64_MAX, description="g, or fen for CNY")]


class DistributionCreate(Body):
    """One payer to many recipients in one entry (a pool paying its contributors)."""

    from_account: AccountRef
    asset: AssetName
    payouts: Annotated[list[Payout], Field(min_length=1, max_length=RECIPIENTS_PER_REQUEST_MAX)]
    reference: Reference


class FreezeCreate(_Amount):
    account: AccountRef
    reason: FreezeReason
    reference: Reference


class HoldOpenedPublic(Out):
    entry: EntryPublic
    hold_id: int


class UnfreezeCreate(Body):
    """Release part of a hold (in its unit), or all that remains if none is given."""

    quantity_g: QuantityG | None = None
    amount_fen: AmountFen | None = None

    @model_validator(mode="after")
    def _at_most_one(self) -> Self:
        if self.quantity_g is not None and self.amount_fen is not None:
            raise ValueError("give quantity_g or amount_fen, not both")
        return self


class SurrenderCreate(Body):
    account: AccountRef
    asset: AssetName
    quantity_g: QuantityG
    period: Annotated[str, Field(min_length=1, max_length=32)]


class RetirementCreate(Body):
    account: AccountRef
    asset: AssetName
    quantity_g: QuantityG
    beneficiary: Annotated[str, Field(min_length=1, max_length=NAME_LEN_MAX)]
    reason: Reason
    jurisdiction: Annotated[str, Field(max_length=8, description="ISO 3166-2, e.g. CN-GD")] = ""
    consumption_period: Annotated[str, Field(max_length=64)] = ""
    publish_beneficiary: bool = Field(
        default=False,
        strict=True,
        description="show the beneficiary's name on the public certificate (default: withheld)",
    )


class CertificatePublic(Out):
    """A retirement certificate. Read by its id, anyone sees the public view: no
    beneficiary unless published, no individual's account number."""

    certificate_id: str = Field(description="RC-{seq}-{token}: unguessable; share it to prove")
    batch: str
    quantity_g: int
    beneficiary: str | None = Field(description="null when withheld from the public view")
    beneficiary_published: bool
    reason: str
    jurisdiction: str
    consumption_period: str
    holder_type: str
    retired_by: str | None = Field(description="account number; null for an individual's")
    retired_at: str
    journal_seq: int
    entry_hash: str


class RetiredPublic(Out):
    entry: EntryPublic
    certificate: CertificatePublic


class CancellationCreate(Body):
    account: AccountRef
    asset: AssetName
    quantity_g: QuantityG
    reason: Reason


class CashCreate(Body):
    account: AccountRef
    amount_fen: AmountFen
    reference: Reference


class CorrectionCreate(Body):
    seq: Seq
    reason: Reason


# ---- verify ---------------------------------------------------------------------------
class IntegrityProblemPublic(Out):
    code: str
    message: str
    seq: int | None


class VerifyPublic(Out):
    ok: bool
    entries: int
    postings: int
    balances: int
    head_seq: int
    head_hash: str
    problems: list[IntegrityProblemPublic]


# ---- behaviour ingestion and green energy ---------------------------------------------
class RejectedEventPublic(BaseModel):
    line: int = Field(description="1-based line of the JSON Lines body")
    event_id: str | None
    reason: str = Field(description="stable reason code, e.g. unknown_behaviour")
    detail: str


class IngestReportPublic(BaseModel):
    batch_id: str
    partner_id: str
    received: int
    accepted: int
    rejected: list[RejectedEventPublic]
    by_reason: dict[str, int]


class EnergySpendCreate(Body):
    """Spend the caller's own green energy once (it moves to ``spent``, for good)."""

    quantity_g: QuantityG
    purpose: Annotated[str, Field(min_length=1, max_length=64, description="e.g. redeem")]
    reference: Reference


class EnergySpentPublic(Out):
    entry: EntryPublic
    spent_g: int
    available_g: int = Field(description="what is left to spend after this entry")


class DayReportPublic(BaseModel):
    day: str
    partner_id: str
    events_n: int
    judged_n: int = Field(description="all but another day's events and harmless copies")
    flagged_n: int = Field(description="judged events rejected or held")
    anomalous: bool = Field(description="above the rule set's share: the rest were held")
    by_reason: dict[str, dict[str, int]] = Field(description="outcome → reason → events")


class HeldEventPublic(Out):
    """A behaviour event held for review, what it would earn, and the decision if any."""

    partner_id: str
    event_id: str
    day: str
    person_id: str
    behaviour: str
    methodology: str = Field(description="the methodology version it was held under")
    start_ms: int
    end_ms: int
    quantity: int
    unit: str
    reason: str = Field(description="implausible_speed, overlapping_trip or partner_anomaly")
    avoided_ug: int = Field(description="what it would earn before caps, in µg CO2e")
    decision: str | None = Field(description="released, rejected, or null while pending")
    credited_g: int | None = Field(description="what the release credited")
    decision_seq: int | None = Field(description="the release's energy_credit entry")


class HeldEventsPublic(Out):
    day: str
    held: list[HeldEventPublic]
    next_cursor: str | None = Field(description="pass as ``cursor`` for the next page")


class HoldDecisionCreate(Body):
    """Release a held event (credit it under the caps) or reject it, once."""

    decision: Literal["release", "reject"]
    reason: Annotated[str, Field(min_length=1, max_length=256)]


class HoldDecisionPublic(Out):
    partner_id: str
    event_id: str
    decision: str = Field(description="released or rejected")
    avoided_ug: int
    credited_g: int = Field(description="grams credited (0 when rejected or no room left)")
    cap_flag: str = Field(description="which cap cut the release; empty if none")
    seq: int | None = Field(description="the release's energy_credit entry, if any")


class EnergyLinePublic(BaseModel):
    seq: int = Field(description="the energy_credit journal entry")
    day: str
    behaviour: str
    family: str
    methodology: str = Field(description="methodology version applied, e.g. metro/v1")
    base_unit: str
    events_n: int
    quantity: int = Field(description="activity in base units")
    factor_ug_per_unit: int = Field(description="baseline − project, µg CO2e per base unit")
    avoided_ug: int
    cap_forfeit_ug: int
    remainder_ug: int
    credited_g: int
    cap_flag: str


class InnatePublic(BaseModel):
    entitlement_g: int
    period: str
    sources: list[str]
    assumption: bool
    tradable: Literal[False] = False


class EnergyCollectionCreate(Body):
    """Collect an account's green energy: the caller's own individual account unless
    ``account`` names one whose holder authorised the caller."""

    account: AccountRef | None = None


class EnergyCollectionPublic(Out):
    entry: EntryPublic
    account: str
    collected_g: int = Field(description="moved from uncollected to available (collected)")
    lapsed_g: int = Field(description="uncollected energy older than the expiry period")
    cutoff: str = Field(description="energy credited at or before this time lapsed")
    expiry_s: int
    rule_set: str = Field(description="the rule set the expiry period came from")
    available_g: int = Field(description="collected energy to spend after this entry")


class PendingCreditPublic(Out):
    seq: int = Field(description="the energy_credit journal entry")
    credited_at: str
    credited_g: int = Field(description="what of it waits for collection")
    expires_at: str = Field(description="uncollected by then, it lapses")


class EnergyPendingPublic(Out):
    """Energy waiting for collection now, credit by credit, with when each lapses."""

    account: str
    uncollected_g: int
    collectable_g: int = Field(description="what a collection now would collect")
    lapsing_g: int = Field(description="older than the expiry period: lapses, not collected")
    expiry_s: int
    rule_set: str
    credits: list[PendingCreditPublic]


class EnergyStatementPublic(BaseModel):
    account: str
    day_from: str
    day_to: str
    uncollected_g: int = Field(description="credited, waiting for collection")
    available_g: int = Field(description="collected and not spent: what can be spent")
    spent_g: int
    expired_g: int
    pending: EnergyPendingPublic = Field(description="what waits for collection, and when")
    credited_g: int = Field(description="credited on the statement's days")
    innate: InnatePublic = Field(description="先天: information only, never tradable")
    lines: list[EnergyLinePublic]
