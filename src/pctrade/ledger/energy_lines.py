"""Green energy (绿色能量): the statement lines behind each credit, and the expiry rule.

Green energy is grams of CO2e avoided by a person's low-carbon behaviour, held in the
registry as the non-tradable asset ``ENERGY_ASSET`` (-1). It enters an individual
account only through an ``energy_credit`` entry, which moves one day's quantified
grams out of the issuance account's ``source`` balance of asset -1, and it leaves
``available`` exactly once: ``spent`` (a sponsorship consumed it) or ``expired``.

Each credit entry carries its *statement lines*: one per (person, behaviour), the row
the quantification pipeline produced, with the methodology version and the factor in
µg per base unit, so a person's balance can be traced line by line to the published
factor and its source. The lines are stored beside the journal (table
``energy_lines``), and the entry's payload records their SHA-256 digest: the entry's
hash covers the digest, and ``verify`` recomputes the digest from the stored lines, so
a line edited after the fact is found.

Expiry is first in, first out, and computed from totals alone: by a cutoff, a holder
has had ``credited`` grams that appeared at or before it, and has consumed ``spent +
expired`` grams in all (spending always draws on the oldest energy first), so what is
left of the old energy — and expires now — is ``max(0, credited − (spent + expired))``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import NamedTuple

from pctrade.ledger.model import AccountId

# Ant Forest (蚂蚁森林): energy not collected within 72 hours of appearing expires
# (DESIGN §11, "energy expires after 72 h"). Configurable per call and in the CLI.
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


def fifo_expiry(credited_by_cutoff_g: int, spent_g: int, expired_g: int) -> int:
    """Grams of the energy that appeared by the cutoff that are still unconsumed."""
    return max(0, credited_by_cutoff_g - (spent_g + expired_g))
