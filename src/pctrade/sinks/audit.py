"""``verify`` for the sink tables: every row written beside an entry still says what the
entry recorded (``sinks.evidence``), and every figure derived from rows adds up.

Problems, each naming the row at fault (codes are stable):

    sink_sponsorship_unpaid     a sponsorship row with no energy spend paying for it
    sink_sponsorship_mismatch   a sponsorship row differs from its entry (fields named)
    sink_sponsorship_missing    an entry recorded a sponsorship whose row is gone
    sink_project_mismatch       a project's terms, units sold or batch count are off
    sink_report_mismatch        a report backing an issuance was altered, or issued_g is off
    sink_issuance_mismatch      an issuance row differs from its entry, or is missing
    sink_attribution_mismatch   an attribution row (account named) or table was altered
    sink_attribution_over_share an issuance gave sponsors more than their units' share of
                                the removals, or its buffer is not ⌈that share × bps⌉, or
                                its buffer + sponsors + unissued grams are not its
                                removals, or it counted units nobody sponsored
    sink_reversal_mismatch      a reversal differs from the cancellations that executed it,
                                or counts against the credits other than their share of
                                the loss (⌈loss × credited ÷ removals⌉ on a basis the
                                project's issuances back)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np

from pctrade.energy.model import EnergyOp
from pctrade.kernel.limits import INT64_MAX
from pctrade.kernel.units import BPS
from pctrade.ledger.invariants import Problem
from pctrade.ledger.operations import OpType
from pctrade.ledger.ports import UnitOfWork
from pctrade.sinks.attribution import credited_basis, issued_loss_share_g
from pctrade.sinks.evidence import (
    ISSUANCE_FIGURES,
    REVERSAL_SHARE,
    UNIT_FIGURES,
    attribution_digest,
    differences,
    project_terms_digest,
    report_digest,
)
from pctrade.sinks.sql import store as db

NAMED_MAX = 5  # rows named per problem; the count says how many more


def audit_sinks(uow: UnitOfWork) -> Iterator[Problem]:
    """Every sink problem in the snapshot ``uow`` reads; nothing for non-SQL stores."""
    projects = {p["code"]: p for p in db.all_rows(uow, db.projects)}
    terms = {
        code: project_terms_digest(p, db.parcels_of(uow, code)) for code, p in projects.items()
    }
    units: dict[str, int] = {}
    yield from _sponsorships(uow, terms, units)
    issuances = db.all_rows(uow, db.issuances)
    yield from _projects(projects, units, issuances)
    yield from _issuances(uow, issuances, terms, projects)
    yield from _reversals(uow, issuances)


def _sponsorships(
    uow: UnitOfWork, terms: dict[str, str], units: dict[str, int]
) -> Iterator[Problem]:
    unpaid: list[int] = []
    for seq, code, account, n, energy_g, day, op_type, payload in db.sponsorships_with_entries(uow):
        units[code] = units.get(code, 0) + int(n)
        if op_type != EnergyOp.SPEND:
            unpaid.append(int(seq))
            continue
        body: dict[str, Any] = json.loads(payload)
        ev = body.get("evidence") or {}
        want = {"project_code": ev.get("project"), "units": ev.get("units"),
                "sponsored_on": ev.get("day"), "account_id": body.get("account"),
                "energy_g": body.get("quantity")}  # fmt: skip
        got = {"project_code": code, "units": n, "sponsored_on": day,
               "account_id": account, "energy_g": energy_g}  # fmt: skip
        wrong = differences(want, got, want)
        if wrong:
            yield Problem(
                "sink_sponsorship_mismatch", f"sponsorship {seq}: {', '.join(wrong)}", seq
            )
        elif ev.get("terms") != terms.get(code):
            yield Problem(
                "sink_project_mismatch",
                f"project {code}: terms differ from those sponsorship {seq} bought under",
                seq,
            )
    if unpaid:  # one problem, however many rows: the first few are named
        named = ", ".join(map(str, unpaid[:NAMED_MAX]))
        yield Problem(
            "sink_sponsorship_unpaid",
            f"{len(unpaid)} sponsorships have no energy spend paying for them: {named}",
            unpaid[0],
        )
    for seq, ev in db.evidence_entries(uow, str(EnergyOp.SPEND), "sink_sponsorship"):
        if db.sponsorship(uow, seq) is None:
            yield Problem(
                "sink_sponsorship_missing", f"entry {seq} sponsored {ev['project']}, no row", seq
            )


def _projects(
    projects: dict[str, db.Row], units: dict[str, int], issuances: list[db.Row]
) -> Iterator[Problem]:
    batches: dict[str, int] = {}
    for i in issuances:
        batches[i["project_code"]] = batches.get(i["project_code"], 0) + 1
    for code, p in projects.items():
        if int(p["units_sold"]) != units.get(code, 0):
            yield Problem(
                "sink_project_mismatch",
                f"project {code}: units_sold {p['units_sold']}, sponsorships hold "
                f"{units.get(code, 0)}",
            )
        if int(p["batches"]) != batches.get(code, 0):
            yield Problem(
                "sink_project_mismatch",
                f"project {code}: batches {p['batches']}, issuances {batches.get(code, 0)}",
            )


def _issuances(
    uow: UnitOfWork, issuances: list[db.Row], terms: dict[str, str], projects: dict[str, db.Row]
) -> Iterator[Problem]:
    reports = {int(r["report_id"]): r for r in db.all_rows(uow, db.reports)}
    issued: dict[int, int] = {}
    for row in issuances:
        seq = int(row["issue_seq"])
        issued[int(row["report_id"])] = issued.get(int(row["report_id"]), 0) + int(
            row["removals_g"]
        )
        yield from _issuance(uow, seq, row, reports.get(int(row["report_id"])), terms)
        yield from _per_unit(uow, seq, row, projects.get(row["project_code"]))
    seen = {int(r["issue_seq"]) for r in issuances}
    for seq, ev in db.evidence_entries(uow, str(OpType.ISSUE), "sink_issuance"):
        if seq not in seen:
            yield Problem(
                "sink_issuance_mismatch", f"entry {seq} issued {ev['batch']}, no row", seq
            )
    for seq in db.stray_attributions(uow):
        yield Problem("sink_attribution_mismatch", f"attribution rows of no issuance {seq}", seq)
    for report_id, r in reports.items():
        if int(r["issued_g"]) > int(r["removals_g"]):
            yield Problem(
                "sink_report_mismatch",
                f"report {report_id}: issued_g {r['issued_g']} exceeds its removals "
                f"{r['removals_g']}",
            )
        if int(r["issued_g"]) != issued.get(report_id, 0):
            yield Problem(
                "sink_report_mismatch",
                f"report {report_id}: issued_g {r['issued_g']}, issuances drew "
                f"{issued.get(report_id, 0)}",
            )


def _issuance(
    uow: UnitOfWork, seq: int, row: db.Row, report: db.Row | None, terms: dict[str, str]
) -> Iterator[Problem]:
    found = db.entry_payload(uow, seq)
    ev = found[1].get("evidence") if found is not None and found[0] == OpType.ISSUE else None
    if not isinstance(ev, dict):
        yield Problem("sink_issuance_mismatch", f"issuance {seq}: no issue entry records it", seq)
        return
    # Issuances before per-unit attribution recorded no unit figures; their rows have none.
    names = ISSUANCE_FIGURES + UNIT_FIGURES if "project_units" in ev else ISSUANCE_FIGURES
    wrong = differences(ev, row, names)
    if "project_units" not in ev:
        wrong += [f"{name} {row[name]!r} (entry: none)" for name in UNIT_FIGURES if row[name]]
    if wrong:
        yield Problem("sink_issuance_mismatch", f"issuance {seq}: {', '.join(wrong)}", seq)
    if report is None or report_digest(report) != ev.get("report"):
        yield Problem(
            "sink_report_mismatch", f"report {row['report_id']} differs from issuance {seq}'s", seq
        )
    if ev.get("terms") != terms.get(row["project_code"]):
        yield Problem(
            "sink_project_mismatch",
            f"project {row['project_code']}: terms differ from those issuance {seq} used",
            seq,
        )
    yield from _attribution(uow, seq, ev)


def _attribution(uow: UnitOfWork, seq: int, ev: dict[str, Any]) -> Iterator[Problem]:
    """Each row against the split's arithmetic and the entry's postings, then the digest."""
    columns = db.attribution_columns(uow, seq)
    ids, shares, amounts, remainders, up = columns
    bad = _bad_rows(uow, seq, ev, columns)
    if bad:
        named = ", ".join(str(a) for a in bad[:NAMED_MAX])
        more = f" and {len(bad) - NAMED_MAX} more" if len(bad) > NAMED_MAX else ""
        yield Problem(
            "sink_attribution_mismatch",
            f"issuance {seq}: rows of accounts {named}{more} differ from the split and postings",
            seq,
        )
    if attribution_digest([c.tolist() for c in (ids, shares, amounts, remainders, up)]) != ev.get(
        "attribution"
    ):
        yield Problem(
            "sink_attribution_mismatch",
            f"issuance {seq}: the attribution table differs from its entry's digest",
            seq,
        )


def _bad_rows(uow: UnitOfWork, seq: int, ev: dict[str, Any], columns: list[Any]) -> list[int]:
    ids, shares, amounts, remainders, up = columns
    # What the split shared out: the sponsors' grams (before issue 11: all but the buffer).
    d = int(ev.get("sponsors_g", int(ev["removals_g"]) - int(ev["buffer_g"])))
    total = int(ev["total_shares"])
    credited_ids, credited = db.issue_postings(uow, seq)
    # What the journal credited each sponsor (0 if it was owed nothing).
    lookup = np.zeros(len(ids), dtype=np.int64)
    where = np.searchsorted(ids, credited_ids)
    inside = (where < len(ids)) & (ids[np.minimum(where, len(ids) - 1)] == credited_ids)
    lookup[where[inside]] = credited[inside]
    wrong = amounts != lookup
    if total > 0 and len(ids) and d * int(shares.max(initial=0)) <= INT64_MAX:
        floor, rem = np.divmod(shares * d, total)
        wrong |= (rem != remainders) | (floor + up != amounts) | (shares <= 0)
    return [int(a) for a in ids[wrong]]


def _per_unit(uow: UnitOfWork, seq: int, row: db.Row, project: db.Row | None) -> Iterator[Problem]:
    """An issuance since issue 11 gives sponsors at most their units' share, exactly,
    and puts in the buffer ⌈that share × buffer_bps⌉: the buffer insures what is issued.

    Checked on the stored row (whose figures the entry fixes, see ``_issuance``) against
    the arithmetic of ``sinks.attribution``, the attribution table's sum, the project's
    declared units and the units actually sponsored by the issuance's share date.
    """
    if row["project_units"] is None:
        return  # issued under the rule before: kept as it was recorded
    removals, buffer = int(row["removals_g"]), int(row["buffer_g"])
    units, sponsors = int(row["project_units"]), int(row["sponsors_g"] or 0)
    unissued, shares = int(row["unissued_g"] or 0), int(row["total_shares"])
    wrong = []
    if buffer + sponsors + unissued != removals:
        wrong.append(f"buffer {buffer} + sponsors {sponsors} + unissued {unissued} ≠ {removals}")
    if not 0 < shares <= units:
        wrong.append(f"{shares} of {units} units sponsored")
    else:
        # The sponsored units' share; the buffer insures only it (it is all that is issued).
        share = removals * shares // units
        insured = -(-share * int(row["buffer_bps"]) // BPS)
        if buffer != insured:
            wrong.append(f"buffer {buffer} g, ⌈{share} g sponsored share × bps⌉ is {insured}")
        if sponsors != share - insured:
            wrong.append(f"sponsors {sponsors} g for {shares} of {units} units")
    if project is not None and units != int(project["units_total"] or project["units_offered"]):
        wrong.append(f"{units} units, the project has {project['units_total']}")
    amounts = db.attribution_columns(uow, seq)[2]
    if int(amounts.sum()) != sponsors:
        wrong.append(f"attribution table sums to {int(amounts.sum())} g")
    held = db.units_sponsored(uow, row["project_code"], row["shares_as_of"], seq)
    if held != shares:
        wrong.append(f"{shares} shares counted, {held} units sponsored")
    if wrong:
        yield Problem("sink_attribution_over_share", f"issuance {seq}: {', '.join(wrong)}", seq)


def _reversal_share(r: db.Row, issued: list[db.Row]) -> list[str]:
    """What is wrong with the part of a reversal's loss counted against the credits."""
    loss_g, covered_g, shortfall_g = int(r["loss_g"]), int(r["covered_g"]), int(r["shortfall_g"])
    if r["issued_loss_g"] is None:  # recorded before 0010: the whole loss counted
        return [] if loss_g == covered_g + shortfall_g else ["loss ≠ covered + shortfall"]
    wrong = []
    issued_loss_g = int(r["issued_loss_g"])
    credited_g, removals_g = int(r["credited_g"]), int(r["credited_removals_g"])
    if issued_loss_g != covered_g + shortfall_g:
        wrong.append("credited loss ≠ covered + shortfall")
    if issued_loss_g != issued_loss_share_g(loss_g, credited_g, removals_g):
        wrong.append(f"credited loss {issued_loss_g} g is not the credits' share of {loss_g} g")
    now = credited_basis(issued)
    if (
        not 0 <= credited_g <= removals_g
        or credited_g > now.credited_g
        or removals_g > (now.removals_g)
    ):
        wrong.append(f"basis {credited_g} g of {removals_g} g is not the project's issuances'")
    return wrong


def _reversals(uow: UnitOfWork, issuances: list[db.Row]) -> Iterator[Problem]:
    executed: set[int] = set()
    for r in db.all_rows(uow, db.reversals):
        rid = int(r["reversal_id"])
        parts = [(b, int(g)) for b, g in (p.split("=") for p in r["plan"].split())]
        seqs = [int(s) for s in r["cancel_seqs"].split()]
        executed.update(seqs)
        wrong = _reversal_share(r, [i for i in issuances if i["project_code"] == r["project_code"]])
        if sum(g for _, g in parts) != int(r["covered_g"]):
            wrong.append("plan ≠ covered")
        if len(seqs) > len(parts) or (r["status"] == "done") != (len(seqs) == len(parts)):
            wrong.append("status or cancellations")
        want = {name: r[name] for name in REVERSAL_SHARE if r["issued_loss_g"] is not None}
        for index, s in enumerate(seqs[: len(parts)]):
            found = db.entry_payload(uow, s)
            ev = found[1].get("evidence", {}) if found and found[0] == OpType.CANCEL else {}
            recorded = (ev.get("reversal_id"), ev.get("part"), ev.get("plan"), ev.get("loss_g"))
            shares = {name: ev[name] for name in REVERSAL_SHARE if name in ev}
            if (
                recorded != (rid, index, r["plan"], int(r["loss_g"]))
                or shares != want
                or int(found[1]["quantity"] if found else -1) != parts[index][1]
            ):
                wrong.append(f"cancellation {s}")
        if wrong:
            yield Problem("sink_reversal_mismatch", f"reversal {rid}: {', '.join(wrong)}")
    for seq, ev in db.evidence_entries(uow, str(OpType.CANCEL), "sink_reversal"):
        if seq not in executed:
            yield Problem(
                "sink_reversal_mismatch", f"entry {seq} executed reversal {ev['reversal_id']}", seq
            )
