"""Request and response bodies of the platform pools' endpoints (issue 14).

Grams are integers (``*_g``), prices fen per tonne, fees basis points, delays days.
The pools' service decides every rule (the terms against the rule set, 显失公平, who
may deposit, withdraw or consent); these models only bound sizes and types.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from pctrade.api.schemas import Body, Out, QuantityG
from pctrade.kernel.limits import INT32_MAX, INT64_MAX, NAME_LEN_MAX
from pctrade.pools import commands as c
from pctrade.pools.model import ADMITTED_MAX, DAYS_MAX, SCHEDULE_LEN_MAX, Terms

Days = Annotated[int, Field(strict=True, ge=0, le=DAYS_MAX)]
AccountId = Annotated[int, Field(strict=True, gt=0, le=INT64_MAX)]
Version = Annotated[int, Field(strict=True, gt=0, le=INT32_MAX)]


class TermsBody(Body):
    admitted: Annotated[
        list[Annotated[str, Field(min_length=2, max_length=64)]],
        Field(min_length=1, max_length=ADMITTED_MAX, description="e.g. PCER-GD"),
    ]
    fee_bps: Annotated[int, Field(strict=True, ge=0, le=10_000)]
    floor_fen_per_t: Annotated[int, Field(strict=True, ge=0, le=10**12)] | None = None
    draw_order: Annotated[str, Field(max_length=16, description="pro_rata | fifo")] = "pro_rata"
    sale_schedule: Annotated[str, Field(max_length=SCHEDULE_LEN_MAX)] = ""
    payout_delay_days: Days | None = None
    withdrawal_notice_days: Days | None = None
    lock_in_days: Days | None = None

    def terms(self) -> Terms:
        return Terms.from_json({**self.model_dump(), "admitted": tuple(self.admitted)})


class PoolOpen(Body):
    platform_account: AccountId
    jurisdiction: Annotated[str, Field(min_length=2, max_length=3, description="e.g. GD")]
    name: Annotated[str, Field(min_length=1, max_length=NAME_LEN_MAX)]
    terms: TermsBody

    def command(self) -> c.OpenPool:
        return c.OpenPool(self.platform_account, self.jurisdiction, self.name, self.terms.terms())


class TermsPublish(Body):
    terms: TermsBody
    apply_to_existing: bool = False


class DepositCreate(Body):
    account: AccountId
    asset: Annotated[str, Field(min_length=1, max_length=64, description="a PCER batch")]
    quantity_g: QuantityG
    terms_version: Version | None = None


class WithdrawalCreate(Body):
    account: AccountId
    quantity_g: QuantityG


class ConsentCreate(Body):
    account: AccountId
    version: Version


class NoticeCreate(Body):
    account: AccountId


class NoticePublic(Out):
    pool_id: str
    account_id: int
    given_at: str


class TermsVersionPublic(Out):
    version: int
    terms: dict[str, Any]
    digest: str
    rule_set: str
    rule_set_digest: str
    entry_seq: int
    published_at: str


class PoolSummary(Out):
    pool_id: str
    name: str
    platform_party: str
    jurisdiction: str
    state: str
    terms_version: int


class PoolPagePublic(Out):
    items: list[PoolSummary]
    next_cursor: str | None


class PoolPublic(Out):
    """A pool's public page: aggregates only, no contributor's identity or holding."""

    pool_id: str
    name: str
    platform: str
    jurisdiction: str
    rule_set: str
    state: str
    terms_version: int
    admitted: list[str]
    fee_bps: int
    floor_fen_per_t: int | None
    payout_delay_days: int | None
    contributors: int
    deposited_g: int
    unsold_g: int
    sold_g: int
    withdrawn_g: int


class DepositPublic(Out):
    deposit_id: int
    pool_id: str
    account_id: int
    asset_id: int
    quantity_g: int
    withdrawn_g: int
    sold_g: int
    remaining_g: int
    terms_version: int
    deposited_at: str


class DepositPagePublic(Out):
    items: list[DepositPublic]
    next_cursor: str | None


class FeeLevelPublic(Out):
    pool_id: str
    platform: str
    jurisdiction: str
    rule_set: str
    terms_version: int
    fee_bps: int
    payout_delay_days: int | None
    floor_fen_per_t: int | None


class FeeLevelPagePublic(Out):
    items: list[FeeLevelPublic]
    next_cursor: str | None
