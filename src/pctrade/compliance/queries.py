"""Reads of the compliance context: an emitter's obligation, caps, runs and reports.

``obligation`` and ``debt_g`` take the caller's unit of work, so that a surrender's
planner reads them inside its own entry's transaction. The others open a reader:
caps and allocation runs are public (a regulator publishes them); an emissions report
is read by its emitter, by verifiers and by the authorities.
"""

from __future__ import annotations

from typing import Any

from pctrade.compliance.model import AllocationKind, report_id_of
from pctrade.compliance.sql import store as db
from pctrade.compliance.surrender import Obligation
from pctrade.kernel.errors import Forbidden, NotFound
from pctrade.kernel.limits import PAGE_SIZE_MAX
from pctrade.ledger.access import AUTHORITIES
from pctrade.ledger.model import AccountId, Role
from pctrade.ledger.ports import Store, UnitOfWork
from pctrade.ledger.write import acting_party

Row = dict[str, Any]


def obligation(
    uow: UnitOfWork, emitter_account: AccountId, jurisdiction: str, period: str
) -> Obligation:
    """An emitter's obligation for a period: its confirmed verified emissions (None until
    the regulator confirms them), its allocation for the period (Σ issued − Σ taken
    back − what a true-up could not take back: the allocation the method gives it), and
    that debt, which the emitter surrenders on top of its emissions."""
    totals = db.account_totals(uow, emitter_account, jurisdiction, period)
    report = db.report(uow, report_id_of(jurisdiction, period, emitter_account))
    confirmed = None if report is None else report["confirmed_g"]
    return Obligation(
        jurisdiction,
        period,
        None if confirmed is None else int(confirmed),
        totals["granted_g"] - totals["taken_g"] - totals["debt_g"],
        totals["debt_g"],
    )


def debt_g(uow: UnitOfWork, emitter_account: AccountId, jurisdiction: str, period: str) -> int:
    """What a true-up could not take back from the emitter: allowances it owes."""
    return int(db.account_totals(uow, emitter_account, jurisdiction, period)["debt_g"])


def cap_status(store: Store, jurisdiction: str, period: str) -> Row:
    """A period's cap and its use: cap = free (net of take-backs) + auctioned + reserve."""
    with store.reader() as uow:
        cap = db.cap(uow, jurisdiction, period)
        if cap is None:
            raise NotFound(f"{jurisdiction} {period} has no cap", code="unknown_cap")
        runs = db.runs_of(uow, jurisdiction, period)
    free = sum(r["granted_g"] - r["taken_g"] for r in runs if r["kind"] != AllocationKind.AUCTION)
    auctioned = sum(
        r["granted_g"] - r["taken_g"] for r in runs if r["kind"] == AllocationKind.AUCTION
    )
    return {
        "jurisdiction": jurisdiction,
        "period": period,
        "cap_g": int(cap["cap_g"]),
        "free_g": int(free),
        "auctioned_g": int(auctioned),
        "reserve_g": int(cap["cap_g"]) - int(free) - int(auctioned),
        "debt_g": int(sum(r["debt_g"] for r in runs)),
        "rule_set": cap["rule_set"],
        "entry_seq": int(cap["entry_seq"]),
        "runs": [_run_view(r) for r in runs],
    }


def capped_periods(store: Store) -> list[tuple[str, str]]:
    """Every (jurisdiction, period) with a cap, in the order the caps were set."""
    with store.reader() as uow:
        return [(str(c["jurisdiction"]), str(c["period"])) for c in db.all_caps(uow)]


def _run_view(row: Row) -> Row:
    return {
        "entry_seq": int(row["entry_seq"]),
        "kind": row["kind"],
        "denomination": row["denomination"],
        "granted_g": int(row["granted_g"]),
        "taken_g": int(row["taken_g"]),
        "debt_g": int(row["debt_g"]),
        "recipients": int(row["recipients"]),
        "rule_set": row["rule_set"],
        "ran_at": row["ran_at"],
    }


def run_lines(store: Store, entry_seq: int, limit: int = PAGE_SIZE_MAX) -> list[Row]:
    """The lines of one run, by account (public, as the run is)."""
    with store.reader() as uow:
        return [
            {
                "account_id": int(r["account_id"]),
                "granted_g": int(r["granted_g"]),
                "taken_g": int(r["taken_g"]),
                "debt_g": int(r["debt_g"]),
            }
            for r in db.lines_of_run(uow, entry_seq)[:limit]
        ]


def report(store: Store, actor: str, report_id: str) -> Row:
    """A report with its steps and the streams of its latest submission."""
    with store.reader() as uow:
        who = acting_party(uow, actor)
        row = db.report(uow, report_id)
        if row is None:
            raise NotFound(f"no emissions report {report_id}", code="unknown_report")
        if not (
            who.party_id == row["emitter_party"]
            or who.role in AUTHORITIES
            or who.role == Role.VERIFIER
        ):
            raise Forbidden(f"{who.party_id} may not read report {report_id}")
        steps = db.steps_of(uow, report_id)
        streams = db.streams_of(uow, report_id, int(row["version"]))
    return {
        **{k: row[k] for k in row if k != "affiliates"},
        "affiliates": row["affiliates"].split(),
        "steps": [
            {
                k: s[k]
                for k in ("entry_seq", "step", "actor", "figure_g", "reason", "rule_set", "ts")
            }
            for s in steps
        ],
        "streams": [
            {k: s[k] for k in ("name", "activity_units", "unit", "factor_mg_per_unit")}
            for s in streams
        ],
    }
