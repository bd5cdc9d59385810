"""What ``verify`` checks of green energy's statement lines against the journal.

An ``energy_credit`` entry's payload records the SHA-256 digest of its statement lines
(``energy.model``), so the entry's hash covers them; the lines themselves are
stored beside the journal, in the energy context's own table. The energy context
audits them (``energy.sql.lines.audit_lines``, registered in ``energy.context``): per
entry, in journal order, it recomputes the digest from the stored lines, so a line
edited after the fact no longer matches. Lines stored beside any other entry are stray.
The ledger's replay never reads them: it checks the chain, which covers the digest.

Problems (codes are stable):

    energy_lines_mismatch   a credit's stored lines hash to another digest than its payload's
    stray_energy_lines      lines stored beside an entry that is not an energy credit
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

from pctrade.energy.model import lines_digest
from pctrade.ledger.invariants import Problem
from pctrade.ledger.model import Seq


def check_lines(
    seq: Seq, payload: Mapping[str, object] | None, lines: Sequence[Iterable[object]]
) -> Iterator[Problem]:
    """The problems of the lines stored under entry ``seq``, in stored order.

    ``payload``: the entry's payload when it is an energy credit, None when it is an
    entry of another type (or no entry at all).
    """
    if payload is None:
        if lines:
            yield Problem("stray_energy_lines", "lines stored beside a non-credit", seq)
        return
    if lines_digest(lines) != payload.get("lines_digest"):
        yield Problem("energy_lines_mismatch", "stored energy lines were altered", seq)
