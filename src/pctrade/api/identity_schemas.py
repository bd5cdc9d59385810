"""Bodies of the identity endpoints: logins, onboarding, real-name facts, API keys, audit.

Passwords are bounded here as in the service (``PASSWORD_BYTES_MAX`` bytes is at most as
many characters), and never echoed: a refused body's problem document names the field,
not its value. Dates are ISO text (``2026-06-01``) only, never a number of seconds.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from pctrade.api.schemas import AccountPublic, Body, EntryPublic, Name, Out, PartyIdField
from pctrade.identity.model import (
    AUDIT_PAGE_MAX,
    CREDIT_CODE_RE,
    Facts,
    RiskLevel,
    VerificationMethod,
)
from pctrade.kernel.limits import (
    INT64_MAX,
    LABEL_LEN_MAX,
    PARTY_ID_LEN_MAX,
    PASSWORD_BYTES_MAX,
    PASSWORD_CHARS_MIN,
)

Username = Annotated[
    str, Field(min_length=1, max_length=PARTY_ID_LEN_MAX, pattern=r"^[A-Za-z0-9_.@-]+$")
]
NewPassword = Annotated[
    str,
    Field(
        min_length=PASSWORD_CHARS_MIN,
        max_length=PASSWORD_BYTES_MAX,
        description=f"{PASSWORD_CHARS_MIN} characters to {PASSWORD_BYTES_MAX} bytes (UTF-8)",
    ),
]
GivenPassword = Annotated[str, Field(min_length=1, max_length=PASSWORD_BYTES_MAX)]
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: object) -> object:
    # Pydantic would read a number as seconds since 1970; a date here is text only.
    if isinstance(value, str) and _ISO_DATE.match(value):
        return value
    raise ValueError("a date is ISO text, e.g. 2026-06-01")


Day = Annotated[date, BeforeValidator(_iso_date), Field(description="ISO date, e.g. 2026-06-01")]
Label = Annotated[str, Field(max_length=LABEL_LEN_MAX)]


class PasswordChange(Body):
    old_password: GivenPassword
    new_password: NewPassword


class LoginCreate(Body):
    username: Username
    party_id: PartyIdField
    password: NewPassword = Field(description="the first password; its holder changes it")


class LoginPublic(Out):
    username: str
    party_id: str


class FactsIn(Body):
    """A party's real-name facts (实名信息) as they are now; unknown ones are left out."""

    real_name_verified: bool = False
    real_name_verified_on: Day | None = None
    real_name_method: VerificationMethod | None = None
    risk_level: RiskLevel | None = Field(None, description="suitability level, C1 to C5")
    risk_assessed_on: Day | None = None
    birth_date: Day | None = Field(None, description="individuals")
    credit_code: Annotated[
        str | None,
        Field(pattern=CREDIT_CODE_RE.pattern, description="institutions: 统一社会信用代码"),
    ] = None
    net_assets_fen: Annotated[
        int | None, Field(strict=True, ge=0, le=INT64_MAX, description="institutions")
    ] = None

    def facts(self) -> Facts:
        return Facts(
            real_name_verified=self.real_name_verified,
            real_name_verified_on=self.real_name_verified_on,
            real_name_method=self.real_name_method,
            risk_level=self.risk_level,
            risk_assessed_on=self.risk_assessed_on,
            birth_date=self.birth_date,
            credit_code=self.credit_code,
            net_assets_fen=self.net_assets_fen,
        )


class FactsPublic(Out):
    party_id: str
    kind: str
    onboarded_by: str | None
    real_name_verified: bool
    real_name_verified_on: str | None
    real_name_method: str | None
    risk_level: str | None
    risk_assessed_on: str | None
    birth_date: str | None
    credit_code: str | None
    net_assets_fen: int | None
    recorded_by: str
    recorded_at: str


class OnboardingCreate(Body):
    party_id: PartyIdField
    role: Literal["individual", "institution"]
    name: Name = ""
    label: Name = ""
    username: Username
    password: NewPassword
    facts: FactsIn = Field(default_factory=FactsIn)


class OnboardingPublic(Out):
    entry: EntryPublic
    account: AccountPublic | None
    username: str


class TokensRevokedPublic(Out):
    party_id: str
    revoked: int = Field(description="tokens that stopped working")


class ApiKeyCreate(Body):
    label: Label = ""


class ApiKeyPublic(Out):
    key_id: int
    party_id: str
    label: str
    shown: str = Field(description="the key's first characters, to tell keys apart")
    created_at: str | None
    rotated_at: str | None
    revoked_at: str | None


class ApiKeyIssuedPublic(Out):
    key: ApiKeyPublic
    secret: str | None = Field(
        description="the key itself, shown this once (null when the request is a replay)"
    )


class ApiKeysPage(Out):
    keys: list[ApiKeyPublic]
    next_after: int | None = Field(description="pass as ?after= for the next page")


class IdentityEventPublic(Out):
    event_id: int
    ts: str
    event: str
    actor: str | None
    party_id: str | None
    username: str | None
    client: str | None
    detail: str | None


class AuditPage(Out):
    events: list[IdentityEventPublic]
    next_after: int | None = Field(description="pass as ?after= for the next page")


PageLimit = Annotated[int, Field(ge=1, le=AUDIT_PAGE_MAX)]
