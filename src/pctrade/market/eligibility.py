"""Who may trade directly (符合交易规则): a decision from recorded facts and the rules.

Pure: the market's service reads the party's role, its real-name facts (through
``identity.queries``) and, for a sell, what it holds of the contract, and hands them
here with the ``[eligibility]`` section of the rule set in force on the trading day.
The decision lists **every** condition that failed, each with its own code, and cites
the rule set (version and digest), so a refusal can always be explained later.

Conditions, by the party's role:

- individual: real name verified (if the rules ask), at least ``age_min_y`` years old
  on the day, a risk assessment recorded (if asked), and for a sell at least
  ``holding_min_g`` of the contract's credits held (available or frozen). An ineligible
  individual may still deposit into a platform pool (indirect trading, DESIGN §6);
- institution: real name verified by its business licence and, if the rules set
  ``institution_net_assets_min_fen``, at least those net assets recorded;
- key emitter and platform: eligible by their registration (an emitter is a compliance
  entity the regulator lists; a platform sells its pools' credits);
- any other role (regulator, registry operator, verifier, project owner) does not trade
  on the order book.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from pctrade.identity.model import Facts
from pctrade.kernel.errors import Forbidden
from pctrade.ledger.model import Role
from pctrade.rules.model import Eligibility


class Condition(StrEnum):
    """A failed condition's stable code."""

    ROLE_NOT_ADMITTED = "role_not_admitted"
    NO_FACTS = "no_facts_recorded"
    REAL_NAME_NOT_VERIFIED = "real_name_not_verified"
    UNDER_AGE = "under_age"
    NO_BIRTH_DATE = "no_birth_date"
    NO_RISK_ASSESSMENT = "no_risk_assessment"
    HOLDING_BELOW_MIN = "holding_below_min"
    NET_ASSETS_BELOW_MIN = "net_assets_below_min"


_DIRECT = frozenset({Role.EMITTER, Role.PLATFORM})


POOLS_HINT = (
    "A platform pool stays open: deposit your credits with a platform to sell them indirectly."
)


class NotEligible(Forbidden):
    """``not_eligible``, with each failed condition (code, meaning) and the rule set cited,
    so an adapter can show them one by one (the API's problem lists them)."""

    code = "not_eligible"

    def __init__(
        self,
        message: str,
        *,
        failed: tuple[tuple[Condition, str], ...] = (),
        rule_set: str = "",
        code: str | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.failed = failed
        self.rule_set = rule_set


@dataclass(frozen=True, slots=True)
class Decision:
    party_id: str
    failed: tuple[tuple[Condition, str], ...]  # (code, what it means for this party)
    rule_set: str  # the version cited, e.g. CN/2021-02-01
    digest: str

    @property
    def eligible(self) -> bool:
        return not self.failed

    def require(self) -> None:
        """Raise ``not_eligible`` naming each failed condition (and the pools' door)."""
        if self.eligible:
            return
        named = "; ".join(f"{code}: {why}" for code, why in self.failed)
        raise NotEligible(
            f"{self.party_id} may not trade directly under {self.rule_set} "
            f"(sha256 {self.digest[:12]}): {named}. {POOLS_HINT}",
            failed=self.failed,
            rule_set=self.rule_set,
            code="not_eligible",
        )


def years_on(born: date, day: date) -> int:
    """Whole years of age on ``day`` (a 29 February birthday counts on 1 March)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _individual(
    rules: Eligibility, facts: Facts, day: date, held_g: int | None
) -> list[tuple[Condition, str]]:
    failed: list[tuple[Condition, str]] = []
    if rules.real_name_verified and not facts.real_name_verified:
        failed.append((Condition.REAL_NAME_NOT_VERIFIED, "real name not verified"))
    if rules.age_min_y > 0:
        if facts.birth_date is None:
            failed.append((Condition.NO_BIRTH_DATE, "no date of birth recorded"))
        elif years_on(facts.birth_date, day) < rules.age_min_y:
            failed.append((Condition.UNDER_AGE, f"younger than {rules.age_min_y}"))
    if rules.risk_assessment and facts.risk_level is None:
        failed.append((Condition.NO_RISK_ASSESSMENT, "no risk assessment recorded"))
    if held_g is not None and held_g < rules.holding_min_g:
        failed.append(
            (
                Condition.HOLDING_BELOW_MIN,
                f"holds {held_g} g of the contract, below the {rules.holding_min_g} g minimum",
            )
        )
    return failed


def _institution(rules: Eligibility, facts: Facts) -> list[tuple[Condition, str]]:
    failed: list[tuple[Condition, str]] = []
    if not facts.real_name_verified:
        failed.append((Condition.REAL_NAME_NOT_VERIFIED, "business licence not verified"))
    floor = rules.institution_net_assets_min_fen
    if floor is not None and (facts.net_assets_fen or 0) < floor:
        failed.append(
            (Condition.NET_ASSETS_BELOW_MIN, f"net assets below {floor} fen (or not recorded)")
        )
    return failed


def decide(
    party_id: str,
    role: Role,
    facts: Facts | None,
    rules: Eligibility,
    *,
    rule_set: str,
    digest: str,
    day: date,
    held_g: int | None,
) -> Decision:
    """Whether ``party_id`` may trade directly on ``day``. ``held_g``: what it holds of
    the contract, for a sell (the holding minimum applies to sellers); None for a buy."""
    failed: list[tuple[Condition, str]]
    if role in _DIRECT:
        failed = []
    elif role not in (Role.INDIVIDUAL, Role.INSTITUTION):
        failed = [(Condition.ROLE_NOT_ADMITTED, f"a {role} does not trade on the order book")]
    elif facts is None:
        failed = [(Condition.NO_FACTS, "no real-name facts recorded")]
    elif role == Role.INDIVIDUAL:
        failed = _individual(rules, facts, day, held_g)
    else:
        failed = _institution(rules, facts)
    return Decision(party_id, tuple(failed), rule_set, digest)
