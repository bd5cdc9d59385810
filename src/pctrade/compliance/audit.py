"""What ``verify`` checks of the compliance tables against the journal (issue 15).

Each row is what its entry's hashed payload says, and each entry has its rows:

- a cap row is its ``compliance_cap`` entry (jurisdiction, period, grams, rule set);
- a run row and its allocation lines are their ``compliance_allocate`` or
  ``compliance_take_back`` entry (kind, batch, grams granted, taken, owed per account);
- a report's step rows are its ``emissions_report`` entries, its streams are the
  submissions', and the report row is where its last step left it.

So a row edited behind the journal's back (a cap raised, an allocation line or a
report's figure changed) is found. Problems (codes are stable):
``compliance_cap_mismatch``, ``compliance_allocation_mismatch``,
``compliance_report_mismatch``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pctrade.compliance.model import ALLOCATION_OPS, ComplianceOp, ReportStep, lines_of
from pctrade.compliance.sql import store as db
from pctrade.ledger.invariants import Problem
from pctrade.ledger.ports import UnitOfWork

Payloads = dict[int, dict[str, Any]]


def _payloads(uow: UnitOfWork, ops: frozenset[str]) -> Payloads:
    return {seq: p for seq, op, p in db.entries(uow) if op in ops}


def audit_caps(uow: UnitOfWork) -> Iterator[Problem]:
    entries = _payloads(uow, frozenset({ComplianceOp.CAP}))
    rows = {int(r["entry_seq"]): r for r in db.all_caps(uow)}
    for seq in sorted(set(entries) | set(rows)):
        p, row = entries.get(seq), rows.get(seq)
        if (
            p is None
            or row is None
            or (
                row["jurisdiction"],
                row["period"],
                int(row["cap_g"]),
                row["rule_set"],
                row["rule_set_digest"],
            )
            != (p["jurisdiction"], p["period"], p["cap_g"], p["rule_set"], p["rule_set_digest"])
        ):
            yield Problem("compliance_cap_mismatch", "cap row differs from its entry", seq)


def _run_matches(row: dict[str, Any], p: dict[str, Any]) -> bool:
    batch = p.get("batch") or {}
    return (
        row["jurisdiction"],
        row["period"],
        row["kind"],
        row["asset_id"],
        int(row["granted_g"]),
        int(row["taken_g"]),
        int(row["debt_g"]),
        row["rule_set"],
        row["rule_set_digest"],
    ) == (
        p["jurisdiction"],
        p["period"],
        p["kind"],
        batch.get("asset_id"),
        p["granted_g"],
        p["taken_g"],
        p["debt_g"],
        p["rule_set"],
        p["rule_set_digest"],
    )


def audit_runs(uow: UnitOfWork) -> Iterator[Problem]:
    entries = _payloads(uow, frozenset(ALLOCATION_OPS))
    rows = {int(r["entry_seq"]): r for r in db.all_runs(uow)}
    lines: dict[int, dict[int, tuple[int, int, int]]] = {}
    for line in db.all_lines(uow):
        grams = (int(line["granted_g"]), int(line["taken_g"]), int(line["debt_g"]))
        lines.setdefault(int(line["entry_seq"]), {})[int(line["account_id"])] = grams
    for seq in sorted(set(entries) | set(rows) | set(lines)):
        p, row = entries.get(seq), rows.get(seq)
        if p is None or row is None or not _run_matches(row, p):
            yield Problem("compliance_allocation_mismatch", "run row differs from its entry", seq)
            continue
        recorded = {x.account_id: (x.granted_g, x.taken_g, x.debt_g) for x in lines_of(p)}
        if lines.get(seq, {}) != recorded:
            yield Problem(
                "compliance_allocation_mismatch", "allocation lines differ from the entry", seq
            )


def audit_reports(uow: UnitOfWork) -> Iterator[Problem]:
    entries = _payloads(uow, frozenset({ComplianceOp.EMISSIONS}))
    steps = {int(r["entry_seq"]): r for r in db.all_steps(uow)}
    last: dict[str, tuple[int, dict[str, Any]]] = {}
    for seq in sorted(set(entries) | set(steps)):
        p, row = entries.get(seq), steps.get(seq)
        if (
            p is None
            or row is None
            or (
                row["report_id"],
                row["step"],
                row["figure_g"],
                row["reason"],
                row["rule_set"],
            )
            != (p["report_id"], p["step"], p["figure_g"], p["reason"], p["rule_set"])
        ):
            yield Problem("compliance_report_mismatch", "report step differs from its entry", seq)
            continue
        last[p["report_id"]] = (seq, p)
    yield from _audit_streams(uow, entries)
    for report in db.all_reports(uow):
        seen = last.pop(report["report_id"], None)
        if (
            seen is None
            or int(report["last_seq"]) != seen[0]
            or not _figures_match(report, seen[1])
        ):
            yield Problem(
                "compliance_report_mismatch",
                f"report {report['report_id']} differs from its last step",
                int(report["last_seq"]),
            )
    for report_id, (seq, _) in sorted(last.items()):
        yield Problem("compliance_report_mismatch", f"no report row for {report_id}", seq)


def _figures_match(report: dict[str, Any], p: dict[str, Any]) -> bool:
    """The report row's figure for its last step is that step's."""
    column = {
        ReportStep.SUBMIT: "reported_g",
        ReportStep.VERIFY: "verified_g",
        ReportStep.CONFIRM: "confirmed_g",
    }.get(ReportStep(p["step"]))
    figure_ok = column is None or report[column] == p["figure_g"]
    return bool(figure_ok and int(report["version"]) == p["version"])


def _audit_streams(uow: UnitOfWork, entries: Payloads) -> Iterator[Problem]:
    recorded: dict[tuple[str, int], list[list[Any]]] = {}
    for p in entries.values():
        if p["step"] == ReportStep.SUBMIT:
            recorded[(p["report_id"], int(p["version"]))] = p["streams"]
    stored: dict[tuple[str, int], list[list[Any]]] = {}
    for s in db.all_streams(uow):
        stored.setdefault((s["report_id"], int(s["version"])), []).append(
            [s["name"], int(s["activity_units"]), s["unit"], int(s["factor_mg_per_unit"])]
        )
    for key in sorted(set(recorded) | set(stored)):
        if recorded.get(key) != stored.get(key):
            yield Problem("compliance_report_mismatch", f"streams of {key[0]} v{key[1]}", None)
