"""Green energy (绿色能量): its op types, statement lines, collection, expiry and plans.

Green energy is grams of CO2e avoided by a person's low-carbon behaviour, held in the
registry as the non-tradable asset ``ENERGY_ASSET`` (-1). It enters an individual
account only through an ``energy_credit`` entry, which moves one day's quantified
grams out of the issuance account's ``source`` balance of asset -1 into the person's
``uncollected`` balance.

**Collection.** As in Ant Forest (蚂蚁森林), whose rule the rule sets cite
(``ant_forest_expiry``: green energy not collected within 72 hours expires), energy
must be collected: its holder (or a party they authorised) collects it with an
``energy_collect`` entry, which moves all their still-valid uncollected energy to
``available`` — for energy, ``available`` means collected — and in the same entry
lapses (to ``expired``) whatever of it is already older than the expiry period.
Collected energy never expires; it leaves ``available`` exactly once, ``spent`` by a
sink sponsorship or a carbon-inclusive issuance, oldest first. Uncollected energy is
never spent: it is collected or it lapses. Energy credited before collection existed
(before the seq recorded in ``energy_collecting_since``) was credited to
``available``, and counts as collected.

Each credit entry carries its *statement lines*: one per (person, behaviour), the row
the quantification pipeline produced, with the methodology version and the factor in
µg per base unit, so a person's balance can be traced line by line to the published
factor and its source. The lines are stored beside the journal (table
``energy_lines``), and the entry's payload records their SHA-256 digest: the entry's
hash covers the digest, and ``verify`` recomputes the digest from the stored lines, so
a line edited after the fact is found.

A day quantified from the files ingestion keeps in the data folder also records, in
``kept``, the name (relative to the data folder) and SHA-256 of each file it was
computed from and each report it wrote (``energy.kept``); ``verify`` finds a file that
is gone or altered. A credit of other events records none, and an older entry has none.

**Lapsing is computed from totals alone.** Every collection takes all of a holder's
uncollected energy, so what is uncollected is credited after their last collection.
By a cutoff (now less the expiry period), the part of it still valid is what those
credits brought after the cutoff; the rest of the uncollected balance lapses:
``lapsed = uncollected − min(uncollected, credited after the cutoff)``
(``uncollected_split``). An expiry run and a collection apply the same rule.

The energy context's operations are planned here, as the ledger's ``Plan``s: a credit
(``plan_energy_credit``), a collection (``plan_energy_collect``), a spend
(``plan_energy_spend``, a sink sponsorship) and an expiry (``plan_energy_expire``).
Their op types (``EnergyOp``) are registered with the ledger by ``energy.context``; the
journal records the strings, so they are never renamed.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from pctrade.kernel.errors import Conflict, ValidationError
from pctrade.kernel.limits import PURPOSE_LEN_MAX, REFERENCE_LEN_MAX
from pctrade.kernel.units import require_positive
from pctrade.ledger.journal import JsonDict
from pctrade.ledger.model import ENERGY_ASSET, Account, AccountId, State, SystemAccount
from pctrade.ledger.operations import Plan, checked_text
from pctrade.ledger.postings import Posting, Postings


class EnergyOp(StrEnum):
    """The energy context's op types: the strings its entries record in the journal."""

    CREDIT = "energy_credit"
    SPEND = "energy_spend"
    EXPIRE = "energy_expire"
    COLLECT = "energy_collect"


# Ant Forest (蚂蚁森林): energy not collected within 72 hours of appearing expires
# (DESIGN §11, "energy expires after 72 h"); collected energy does not. Configurable
# per call and in the CLI; the rule sets' ``[energy] expiry_s`` says it per jurisdiction.
ENERGY_EXPIRY_S_DEFAULT = 72 * 3600

LINES_PER_CREDIT_MAX = 100_000_000


class EnergyLine(NamedTuple):
    """One statement line: what a person earned from one behaviour on one day.

    ``avoided_ug = credited_g × 10^6 + remainder_ug + cap_forfeit_ug`` holds on every
    line (the pipeline's rounding rule); ``factor_ug_per_unit`` is baseline − project.
    """

    day: str
    account_id: AccountId
    person_id: str
    family: str
    methodology: str
    behaviour: str
    base_unit: str
    events_n: int
    quantity: int
    factor_ug_per_unit: int
    avoided_ug: int
    cap_forfeit_ug: int
    remainder_ug: int
    credited_g: int
    cap_flag: str


def line_text(line: Iterable[object]) -> str:
    """A line's canonical form: fields joined by the unit separator, one line each."""
    return "\x1f".join(map(str, line)) + "\n"


def lines_digest(lines: Iterable[Iterable[object]]) -> str:
    """SHA-256 over the lines in their stored order.

    Takes ``EnergyLine``s or plain stored rows in the same column order, so that
    ``verify`` hashes what it reads without building objects. Lines are hashed in
    chunks to keep one call cheap for millions of lines.
    """
    h = hashlib.sha256()
    chunk: list[str] = []
    for line in lines:
        chunk.append(line_text(line))
        if len(chunk) >= 10_000:
            h.update("".join(chunk).encode())
            chunk.clear()
    h.update("".join(chunk).encode())
    return h.hexdigest()


class KeptFile(NamedTuple):
    """A file in the data folder that a credit was computed from or wrote, by digest."""

    name: str  # relative to the data folder, "/"-separated
    sha256: str

    def facts(self) -> JsonDict:
        return {"name": self.name, "sha256": self.sha256}


def uncollected_split(uncollected_g: int, credited_after_cutoff_g: int) -> tuple[int, int]:
    """(still valid, lapsed) grams of an uncollected balance at a cutoff.

    ``credited_after_cutoff_g``: what the holder's credits since their last collection
    brought after the cutoff. The uncollected balance is the newest of those credits
    (lapsing takes the oldest first), so what it holds beyond them is older than the
    cutoff and lapses.
    """
    if uncollected_g < 0 or credited_after_cutoff_g < 0:
        raise ValidationError("energy amounts are never negative", code="non_positive")
    valid = min(uncollected_g, credited_after_cutoff_g)
    return valid, uncollected_g - valid


# ---- plans --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EnergyCredit:
    """One day's quantification, as the registry records it."""

    day: str
    methodologies: tuple[str, ...]
    as_of_ms: int
    lines: Sequence[EnergyLine]
    kept: Sequence[KeptFile] = ()  # the data folder's files behind it, if any
    # Computed once here (a million lines take a second to hash), used by the plan and
    # by the command's fingerprint alike, so it always matches the lines.
    digest: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", tuple(self.lines))  # what is hashed stays put
        object.__setattr__(self, "kept", tuple(sorted(set(self.kept))))
        object.__setattr__(self, "digest", lines_digest(self.lines))


@dataclass(frozen=True, slots=True)
class CreditPlan(Plan):
    """A credit's plan, with the statement lines it credits (the payload has their digest).

    The ledger writes the entry from the ``Plan`` part; the lines are the energy
    context's own, written beside the entry as its evidence (``energy.entries``).
    """

    lines: Sequence[EnergyLine] = ()


def _energy_totals(lines: Sequence[EnergyLine]) -> tuple[list[int], list[int]]:
    """Credited grams per account, accounts in ascending order; zero totals left out."""
    totals: dict[AccountId, int] = {}
    for line in lines:
        if line.credited_g < 0:
            raise ValidationError("a line credits negative grams", code="non_positive")
        totals[line.account_id] = totals.get(line.account_id, 0) + line.credited_g
    ids = sorted(a for a, g in totals.items() if g > 0)
    return ids, [totals[a] for a in ids]


def plan_energy_credit(credit: EnergyCredit) -> CreditPlan:
    """Credit one day's energy: one ``uncollected`` posting per person, out of the source.

    Lines that credit 0 g (capped or below one gram) are kept: the statement shows them.
    """
    lines = credit.lines
    if not lines:
        raise ValidationError("no energy lines to credit", code="missing_field")
    if len(lines) > LINES_PER_CREDIT_MAX:
        raise ValidationError("too many energy lines in one credit", code="too_many")
    if any(line.day != credit.day for line in lines):
        raise ValidationError("every line must be of the credited day", code="bad_request")
    ids, amounts = _energy_totals(lines)
    total = sum(amounts)
    require_positive(total, "credited energy")
    source = Posting(SystemAccount.ISSUANCE, ENERGY_ASSET, State.SOURCE, -total)
    payload: JsonDict = {
        "day": credit.day,
        "methodologies": sorted(credit.methodologies),
        "as_of_ms": credit.as_of_ms,
        "lines": len(lines),
        "lines_digest": credit.digest,
        "recipients": len(ids),
        "credited_g": total,
    }
    if credit.kept:  # absent, not empty, when there are none: older entries have none
        payload["kept"] = [f.facts() for f in credit.kept]
    postings = Postings.fan_out(ENERGY_ASSET, source, ids, amounts, State.UNCOLLECTED)
    return CreditPlan(EnergyOp.CREDIT, payload, postings=postings, lines=lines)


def plan_energy_spend(account: Account, quantity_g: int, purpose: str, reference: str) -> Plan:
    """Consume collected energy once (a sink sponsorship): ``available`` → ``spent``."""
    purpose = checked_text(purpose, "purpose", PURPOSE_LEN_MAX)
    reference = checked_text(reference, "reference", REFERENCE_LEN_MAX)
    require_positive(quantity_g)
    postings = Postings.of(
        [
            Posting(account.account_id, ENERGY_ASSET, State.AVAILABLE, -quantity_g),
            Posting(account.account_id, ENERGY_ASSET, State.SPENT, quantity_g),
        ]
    )
    # The keys in the order the ledger's ``available`` → state moves write them.
    payload: JsonDict = {
        "account": account.account_id,
        "asset_id": ENERGY_ASSET,
        "quantity": quantity_g,
        "purpose": purpose,
        "reference": reference,
    }
    return Plan(EnergyOp.SPEND, payload, postings=postings)


def plan_energy_expire(
    account_ids: Sequence[AccountId],
    amounts_g: Sequence[int],
    cutoff: str,
    expiry_s: int,
    rule_set: str = "",
) -> Plan:
    """Lapse, in one entry, each holder's uncollected energy older than the cutoff."""
    if not account_ids:
        raise ValidationError("no energy to expire", code="missing_field")
    if len(account_ids) != len(amounts_g):
        raise ValidationError("accounts and amounts differ in length", code="bad_request")
    if min(amounts_g) <= 0:
        raise ValidationError("every expired quantity must be positive", code="non_positive")
    n = len(account_ids)
    accounts = array("q", account_ids)
    accounts.extend(account_ids)
    deltas = array("q", (-q for q in amounts_g))
    deltas.extend(amounts_g)
    states = array("q", [int(State.UNCOLLECTED)]) * n
    states.extend(array("q", [int(State.EXPIRED)]) * n)
    postings = Postings(accounts, array("q", [ENERGY_ASSET]) * (2 * n), states, deltas)
    payload: JsonDict = {
        "cutoff": cutoff,
        "expiry_s": expiry_s,
        "accounts": n,
        "expired_g": sum(amounts_g),
    }
    if rule_set:  # the decision cites the rules it applied
        payload["rule_set"] = rule_set
    return Plan(EnergyOp.EXPIRE, payload, postings=postings)


@dataclass(frozen=True, slots=True)
class Collectable:
    """What one holder may collect now: read by the service, planned here.

    ``uncollected_g``: their uncollected balance; ``valid_g``/``lapsed_g``: its split at
    the cutoff (``uncollected_split``); ``first_seq``: the oldest credit entry whose
    energy is collected (0 when none is); ``since_seq``: their last collection's entry
    (0 when they never collected).
    """

    account: Account
    uncollected_g: int
    valid_g: int
    lapsed_g: int
    first_seq: int
    since_seq: int


def plan_energy_collect(c: Collectable, cutoff: str, expiry_s: int, rule_set: str = "") -> Plan:
    """Collect a holder's valid uncollected energy, and lapse the rest, in one entry.

    ``uncollected`` → ``available`` for what is younger than the cutoff, ``uncollected``
    → ``expired`` for what is older; the whole uncollected balance leaves. An entry
    that would collect nothing is refused (``nothing_to_collect``): it would record
    only a lapse, which the expiry run does for everyone.
    """
    if c.valid_g + c.lapsed_g != c.uncollected_g or min(c.valid_g, c.lapsed_g) < 0:
        raise ValidationError(
            "collected and lapsed energy differ from uncollected", code="bad_request"
        )
    if c.valid_g <= 0:
        raise Conflict(
            f"account {c.account.number} has no uncollected energy younger than {cutoff}",
            code="nothing_to_collect",
        )
    a = c.account.account_id
    rows = [
        Posting(a, ENERGY_ASSET, State.UNCOLLECTED, -c.uncollected_g),
        Posting(a, ENERGY_ASSET, State.AVAILABLE, c.valid_g),
    ]
    if c.lapsed_g:
        rows.append(Posting(a, ENERGY_ASSET, State.EXPIRED, c.lapsed_g))
    payload: JsonDict = {
        "account": a,
        "collected_g": c.valid_g,
        "lapsed_g": c.lapsed_g,
        "first_seq": c.first_seq,
        "since_seq": c.since_seq,
        "cutoff": cutoff,
        "expiry_s": expiry_s,
    }
    if rule_set:
        payload["rule_set"] = rule_set
    return Plan(EnergyOp.COLLECT, payload, postings=Postings.of(rows))
