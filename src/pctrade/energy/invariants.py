"""What replaying the journal checks of green energy's statement lines.

An ``energy_credit`` entry's payload records the SHA-256 digest of its statement lines
(``energy.model``), so the entry's hash covers them; the lines themselves are
stored beside the journal. Replay recomputes the digest from the stored lines: a line
edited after the fact no longer matches. Lines stored beside any other entry are stray.

Problems (codes are stable):

    energy_lines_mismatch   a credit's stored lines hash to another digest than its payload's
    stray_energy_lines      lines stored beside an entry that is not an energy credit
"""

from __future__ import annotations

from collections.abc import Iterator

from pctrade.energy.model import EnergyOp, lines_digest
from pctrade.ledger.invariants import Problem, StoredEntry


class EnergyLinesCheck:
    """The lines beside an energy credit are what its (hashed) payload says they are.

    A tracker (fed every entry), not a check of the ``energy_credit`` op type alone,
    because lines beside an entry of any other type are a problem too.
    """

    def feed(self, entry: StoredEntry) -> Iterator[Problem]:
        h = entry.header
        if h.op_type != EnergyOp.CREDIT:
            if entry.lines:
                yield Problem("stray_energy_lines", "lines stored beside a non-credit", h.seq)
            return
        if lines_digest(entry.lines) != h.payload.get("lines_digest"):
            yield Problem("energy_lines_mismatch", "stored energy lines were altered", h.seq)

    def finish(self) -> Iterator[Problem]:
        return iter(())
