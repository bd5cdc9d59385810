"""The cap-integrity report built set-based: the same ``Integrity`` as the fold over the
journal (``compliance.integrity``), from aggregates in SQL (``compliance.sql.integrity``).

The fold reads every entry and every posting in Python, which at 10 M postings takes
minutes (estimated 160–180 s on a journal of small entries, before this module). The
report needs only sums: what each jurisdiction's allowances hold in each state, and, to name
the entries behind each figure, the few entries that issue CEA, cap, allocate or
surrender, and the postings into terminal states. The database sums the rest.

Every figure is the fold's, seqs included (``tests/compliance/test_integrity_sets.py``
holds the two to each other on journals of every op type the report reads); ``verify``
keeps the fold, which it runs anyway.
"""

from __future__ import annotations

from typing import Any

from pctrade.compliance.integrity import (
    ALLOCATION_OPS,
    CAP_OP,
    Integrity,
)
from pctrade.compliance.model import ComplianceOp
from pctrade.compliance.sql import integrity as q
from pctrade.compliance.sql import store as mrv
from pctrade.compliance.sql import surrenders as sdb
from pctrade.compliance.surrendering import recorded_of
from pctrade.ledger.model import State

_CANCELLED = frozenset({int(State.CANCELLED), int(State.RETIRED)})
_SURRENDERED = int(State.SURRENDERED)


def integrity_of(uow: Any) -> Integrity:
    """The cap-integrity report of the journal ``uow`` reads (one snapshot)."""
    report = Integrity()
    report.entries = q.entry_count(uow)
    for seq, payload in q.cea_issues(uow):
        batch = payload.get("batch")
        if isinstance(batch, dict) and batch.get("instrument") == "CEA":
            report.issued(batch, seq)
    plain = _held_and_terminal(uow, report)
    _caps_and_runs(uow, report)
    _surrenders(uow, report, plain)
    return report


def _held_and_terminal(uow: Any, report: Integrity) -> list[tuple[int, dict[str, Any]]]:
    """Each jurisdiction's held grams and terminal postings; the plain surrenders."""
    by_jurisdiction: dict[str, list[int]] = {}
    for asset, jurisdiction in sorted(report.cea.items()):
        by_jurisdiction.setdefault(jurisdiction, []).append(asset)
    report.postings, held = q.postings_and_held(uow, by_jurisdiction)
    for jurisdiction, grams in held.items():
        report.allowances[jurisdiction].held_g += grams
    surrendered_seqs: list[int] = []
    for seq, asset, state, delta in q.terminal_postings(uow, sorted(report.cea)):
        a = report.allowances[report.cea[asset]]
        if state in _CANCELLED:
            a.cancelled.add(delta, seq)
        elif state == _SURRENDERED:
            a.surrendered_postings_g += delta
            surrendered_seqs.append(seq)
    return q.plain_surrenders(uow, surrendered_seqs)


def _caps_and_runs(uow: Any, report: Integrity) -> None:
    entries = [
        (seq, op, p) for seq, op, p in mrv.entries(uow) if op == CAP_OP or op in ALLOCATION_OPS
    ]
    nets = q.allocated_nets(uow, [seq for seq, op, _ in entries if op in ALLOCATION_OPS])
    for seq, op, p in entries:
        if "jurisdiction" in p and "period" in p:
            jurisdiction, period = str(p["jurisdiction"]), str(p["period"])
            report.capped_or_allocated(op, seq, p, jurisdiction, period, nets.get(seq, 0))


def _surrenders(uow: Any, report: Integrity, plain: list[tuple[int, dict[str, Any]]]) -> None:
    """Compliance surrenders and plain ones, in journal order (both add to the
    jurisdiction's surrendered figure)."""
    events: list[tuple[int, str, dict[str, Any]]] = [
        (seq, ComplianceOp.SURRENDER, p) for seq, p in sdb.surrender_entries(uow)
    ]
    events.extend((seq, "surrender", p) for seq, p in plain)
    for seq, op, p in sorted(events, key=lambda e: e[0]):
        if op == ComplianceOp.SURRENDER:
            r = recorded_of(seq, p)
            if r is not None:
                report.surrendered(r)
            continue
        asset = int(p.get("asset_id", 0))
        if asset in report.cea:
            report.allowances[report.cea[asset]].surrendered.add(int(p["quantity"]), seq)
