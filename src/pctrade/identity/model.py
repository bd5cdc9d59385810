"""Identity's rules, pure: who may manage logins and keys, what a login, a password and
the real-name facts must look like, and how failed logins are throttled.

**Logins and keys resolve to parties.** A login (a username and a password) or a
partner's API key acts for one registry party; what that party may do with holdings is
the registry's decision (``ledger.access``). These rules decide only who may manage the
credentials themselves:

- the **registry operator** creates logins for any party, manages any party's API keys,
  revokes any party's tokens and reads the identity audit log;
- a **platform** onboards its individuals (party, account, login and real-name facts in
  one journal entry) and records their facts later on, as their onboarding agent;
- every party changes its own password, logs out, revokes its own tokens and manages
  its own API keys. Individuals log in; API keys are for partner systems, not people.

**Real-name facts** (实名信息) are what trading eligibility (issue 13) will be checked
against: for an individual whether, when and how their real name was verified, their
date of birth and their risk assessment (the five suitability levels C1–C5 of the
CSRC's 适当性管理办法, and when it was made); for an institution its verification, its
unified social credit code (统一社会信用代码), its risk assessment and net assets. They
are personal data (PIPL): read only by the person, their onboarding platform and the
authorities, and kept beside the journal (never in its hashed payloads), so that they
can be corrected or erased.

**Throttling.** Every login attempt is charged, before its password is checked, to the
account it names and to the client address it comes from; a success refunds it. Past
``ThrottlePolicy``'s bound within its window, an attempt is refused unchecked until the
window ends (``retry_after_s``). Unknown usernames are charged like known ones, so the
throttle tells nothing about which usernames exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import date, datetime
from enum import StrEnum

from pctrade.kernel.errors import Conflict, Forbidden, ValidationError
from pctrade.kernel.limits import (
    INT64_MAX,
    LABEL_LEN_MAX,
    PARTY_ID_LEN_MAX,
    PASSWORD_BYTES_MAX,
    PASSWORD_CHARS_MIN,
)
from pctrade.ledger.access import AUTHORITIES
from pctrade.ledger.model import Party, PartyId, Role

USERNAME_RE = re.compile(rf"^[A-Za-z0-9_.@-]{{1,{PARTY_ID_LEN_MAX}}}$")
TOKEN_PREFIX = "pct_t_"
API_KEY_PREFIX = "pct_k_"
# How much of a key is kept in the clear so that its holder can tell keys apart in a
# listing: the prefix and 4 random characters (24 bits, nothing to guess from).
API_KEY_SHOWN_CHARS = len(API_KEY_PREFIX) + 4
TOKEN_TTL_S = 12 * 3600
TOKEN_TTL_S_MAX = 30 * 24 * 3600
CLIENT_LEN_MAX = 64  # a client's address as the server saw it (IPv6 is at most 45)
# A party's logins and its API keys, active or revoked, are bounded like every list.
LOGINS_PER_PARTY_MAX = 100
API_KEYS_PER_PARTY_MAX = 100
AUDIT_PAGE_MAX = 500

IDENTITY_ADMINS = frozenset({Role.REGISTRY_OPERATOR})
# Who may hold API keys: systems acting for an organisation, never a person.
KEY_HOLDER_ROLES = frozenset(Role) - {Role.INDIVIDUAL}


class Event(StrEnum):
    """What the identity audit log records; the names are stored, never renamed."""

    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGIN_THROTTLED = "login_throttled"
    LOGOUT = "logout"
    TOKENS_REVOKED = "tokens_revoked"
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_CHANGE_FAILED = "password_change_failed"
    PASSWORD_REHASHED = "password_rehashed"
    LOGIN_CREATED = "login_created"
    ONBOARDED = "onboarded"
    FACTS_RECORDED = "facts_recorded"
    API_KEY_CREATED = "api_key_created"
    API_KEY_ROTATED = "api_key_rotated"
    API_KEY_REVOKED = "api_key_revoked"


# ---- credentials -----------------------------------------------------------------------
def check_username(username: str) -> None:
    if not USERNAME_RE.match(username):
        raise ValidationError(
            f"a username is 1-{PARTY_ID_LEN_MAX} letters, digits or _.@-", code="bad_username"
        )


def check_password(password: str) -> bytes:
    """A new password's bytes (UTF-8), if it is long enough and not too long."""
    raw = password.encode()
    if len(password) < PASSWORD_CHARS_MIN:
        raise ValidationError(
            f"a password has at least {PASSWORD_CHARS_MIN} characters", code="weak_password"
        )
    if len(raw) > PASSWORD_BYTES_MAX:
        raise ValidationError(
            f"a password has at most {PASSWORD_BYTES_MAX} bytes", code="password_too_long"
        )
    return raw


def check_label(label: str) -> None:
    if len(label) > LABEL_LEN_MAX:
        raise ValidationError(f"label is longer than {LABEL_LEN_MAX} characters", code="too_long")


def check_ttl(ttl_s: int) -> None:
    if not 0 < ttl_s <= TOKEN_TTL_S_MAX:
        raise ValidationError(
            f"a token lives 1 s to {TOKEN_TTL_S_MAX} s, not {ttl_s}", code="bad_token_ttl"
        )


# ---- who may manage credentials --------------------------------------------------------
def is_identity_admin(actor: Party) -> bool:
    return actor.role in IDENTITY_ADMINS


def require_identity_admin(actor: Party, action: str) -> None:
    if not is_identity_admin(actor):
        raise Forbidden(
            f"{actor.party_id} ({actor.role}) may not {action}; needs: registry_operator"
        )


def require_self_or_admin(actor: Party, party_id: PartyId, action: str) -> None:
    """A party manages its own credentials; the registry operator anyone's."""
    if actor.party_id != party_id and not is_identity_admin(actor):
        raise Forbidden(f"{actor.party_id} may not {action} of {party_id}")


ONBOARDED_ROLES = frozenset({Role.INDIVIDUAL, Role.INSTITUTION})


def require_onboarder(actor: Party, role: Role) -> None:
    """The registry operator onboards individuals and institutions; a platform its
    individuals."""
    if role not in ONBOARDED_ROLES:
        names = ", ".join(sorted(ONBOARDED_ROLES))
        raise ValidationError(f"onboarding is for {names}, not {role}", code="bad_role")
    if is_identity_admin(actor) or (actor.role == Role.PLATFORM and role == Role.INDIVIDUAL):
        return
    raise Forbidden(f"{actor.party_id} ({actor.role}) may not onboard {role} parties")


def require_facts_recorder(actor: Party, onboarded_by: PartyId | None) -> None:
    """The registry operator, or the platform that onboarded the party, records facts."""
    if is_identity_admin(actor) or (
        actor.role == Role.PLATFORM and onboarded_by is not None and actor.party_id == onboarded_by
    ):
        return
    raise Forbidden(f"{actor.party_id} ({actor.role}) may not record this party's facts")


def require_facts_reader(actor: Party, party_id: PartyId, onboarded_by: PartyId | None) -> None:
    """The person, their onboarding platform and the authorities read real-name facts."""
    if actor.party_id in (party_id, onboarded_by) or actor.role in AUTHORITIES:
        return
    raise Forbidden(f"{actor.party_id} may not read the real-name facts of {party_id}")


def require_key_holder(party: Party) -> None:
    """API keys are for partner systems; a person logs in."""
    if party.role not in KEY_HOLDER_ROLES:
        raise Conflict(
            f"{party.party_id} is an individual: people log in, API keys are for partner systems",
            code="api_key_not_allowed",
        )


def require_below(count: int, bound: int, what: str) -> None:
    if count >= bound:
        raise Conflict(f"a party has at most {bound} {what}", code="too_many")


# ---- throttling ------------------------------------------------------------------------
class Scope(StrEnum):
    """What a login attempt is charged to."""

    ACCOUNT = "account"  # the username it names (known or not)
    ADDRESS = "address"  # the client address it comes from


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """How many unrefunded login attempts an account or an address has per window."""

    account_attempts_max: int = 5
    address_attempts_max: int = 50
    window_s: int = 15 * 60

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not 0 < value <= INT64_MAX // 2:
                raise ValueError(f"throttle {f.name} must be positive, got {value}")

    def attempts_max(self, scope: Scope) -> int:
        return self.account_attempts_max if scope == Scope.ACCOUNT else self.address_attempts_max


def retry_after_s(window_start: datetime, now: datetime, window_s: int) -> int:
    """Whole seconds until a window that started at ``window_start`` ends (at least 1)."""
    left = window_s - (now - window_start).total_seconds()
    return max(1, -int(-left // 1))


# ---- real-name facts -------------------------------------------------------------------
class SubjectKind(StrEnum):
    INDIVIDUAL = "individual"
    INSTITUTION = "institution"


SUBJECT_OF_ROLE = {
    Role.INDIVIDUAL: SubjectKind.INDIVIDUAL,
    Role.INSTITUTION: SubjectKind.INSTITUTION,
}


class VerificationMethod(StrEnum):
    """How a real name was verified."""

    CTID = "ctid"  # 公安部 网络身份认证 (CTID)
    ID_CARD_FACE = "id_card_face"  # ID card and a face match
    BANK_CARD = "bank_card"  # bank card, name, ID number and phone (四要素)
    IN_PERSON = "in_person"  # at a counter, documents seen
    BUSINESS_LICENCE = "business_licence"  # 营业执照 checked against the SAMR register


METHODS_OF = {
    SubjectKind.INDIVIDUAL: frozenset(
        {
            VerificationMethod.CTID,
            VerificationMethod.ID_CARD_FACE,
            VerificationMethod.BANK_CARD,
            VerificationMethod.IN_PERSON,
        }
    ),
    SubjectKind.INSTITUTION: frozenset(
        {VerificationMethod.BUSINESS_LICENCE, VerificationMethod.IN_PERSON}
    ),
}


class RiskLevel(StrEnum):
    """The investor's risk tolerance, C1 (conservative) to C5 (aggressive)."""

    C1 = "C1"
    C2 = "C2"
    C3 = "C3"
    C4 = "C4"
    C5 = "C5"


# 18 characters of digits and capitals without I, O, Z, S, V (GB 32100-2015).
CREDIT_CODE_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
EARLIEST_DATE = date(1900, 1, 1)


@dataclass(frozen=True, slots=True)
class Facts:
    """A party's real-name facts, as recorded by its onboarding agent or the operator."""

    real_name_verified: bool = False
    real_name_verified_on: date | None = None
    real_name_method: VerificationMethod | None = None
    risk_level: RiskLevel | None = None
    risk_assessed_on: date | None = None
    birth_date: date | None = None  # individuals
    credit_code: str | None = None  # institutions
    net_assets_fen: int | None = None  # institutions

    def as_json(self) -> dict[str, object]:
        """Plain values (dates as ISO text), for a request's fingerprint."""
        return {
            f.name: (v.isoformat() if isinstance(v, date) else v)
            for f in fields(self)
            for v in (getattr(self, f.name),)
        }


def _past(value: date | None, today: date, what: str) -> None:
    if value is not None and not EARLIEST_DATE <= value <= today:
        raise ValidationError(
            f"{what} {value} is not between {EARLIEST_DATE} and today ({today})", code="bad_date"
        )


def check_facts(facts: Facts, kind: SubjectKind, today: date) -> None:
    """The facts make sense for a party of ``kind`` on ``today``."""
    given = [v is not None for v in (facts.real_name_verified_on, facts.real_name_method)]
    if (facts.real_name_verified and not all(given)) or (
        not facts.real_name_verified and any(given)
    ):
        raise ValidationError(
            "a verified real name has its date and method; an unverified one neither",
            code="bad_facts",
        )
    if facts.real_name_method is not None and facts.real_name_method not in METHODS_OF[kind]:
        raise ValidationError(
            f"{facts.real_name_method} does not verify an {kind}", code="bad_facts"
        )
    if (facts.risk_level is None) != (facts.risk_assessed_on is None):
        raise ValidationError("a risk assessment has its level and its date", code="bad_facts")
    personal = facts.birth_date is not None
    corporate = facts.credit_code is not None or facts.net_assets_fen is not None
    if (kind == SubjectKind.INDIVIDUAL and corporate) or (
        kind == SubjectKind.INSTITUTION and personal
    ):
        raise ValidationError(f"these facts are not an {kind}'s", code="bad_facts")
    if facts.credit_code is not None and not CREDIT_CODE_RE.match(facts.credit_code):
        raise ValidationError(
            f"not a unified social credit code: {facts.credit_code!r}", code="bad_facts"
        )
    if facts.net_assets_fen is not None and not 0 <= facts.net_assets_fen <= INT64_MAX:
        raise ValidationError("net assets are 0 to the 64-bit range", code="out_of_range")
    for value, what in (
        (facts.real_name_verified_on, "real_name_verified_on"),
        (facts.risk_assessed_on, "risk_assessed_on"),
        (facts.birth_date, "birth_date"),
    ):
        _past(value, today, what)


def subject_kind(role: Role) -> SubjectKind:
    kind = SUBJECT_OF_ROLE.get(role)
    if kind is None:
        raise Conflict(
            f"real-name facts are kept for individuals and institutions, not {role}",
            code="no_facts_for_role",
        )
    return kind
