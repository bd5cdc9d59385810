"""The rows each compliance entry writes beside itself, from the entry alone.

Written in the entry's transaction (``RowsBeside``), from its hashed payload, so the
rows say exactly what the journal says and the audit (``compliance.audit``) can hold
them to it.
"""

from __future__ import annotations

from pctrade.compliance.model import STEP_TO, ReportStep, lines_of
from pctrade.compliance.sql import store as db
from pctrade.ledger.journal import Entry
from pctrade.ledger.ports import UnitOfWork


def write_cap(uow: UnitOfWork, entry: Entry) -> None:
    p = entry.header.payload
    db.insert_cap(
        uow,
        {
            "jurisdiction": p["jurisdiction"],
            "period": p["period"],
            "cap_g": p["cap_g"],
            "rule_set": p["rule_set"],
            "rule_set_digest": p["rule_set_digest"],
            "entry_seq": entry.seq,
            "set_by": entry.header.actor,
            "set_at": entry.header.ts,
        },
    )


def write_run(uow: UnitOfWork, entry: Entry) -> None:
    p = entry.header.payload
    batch = p.get("batch") or {}
    lines = lines_of(p)
    run = {
        "entry_seq": entry.seq,
        "jurisdiction": p["jurisdiction"],
        "period": p["period"],
        "kind": p["kind"],
        "asset_id": batch.get("asset_id"),
        "denomination": batch.get("denomination"),
        "granted_g": p["granted_g"],
        "taken_g": p["taken_g"],
        "debt_g": p["debt_g"],
        "recipients": len(lines),
        "rule_set": p["rule_set"],
        "rule_set_digest": p["rule_set_digest"],
        "run_by": entry.header.actor,
        "ran_at": entry.header.ts,
    }
    rows = [
        {
            "entry_seq": entry.seq,
            "account_id": line.account_id,
            "jurisdiction": p["jurisdiction"],
            "period": p["period"],
            "kind": p["kind"],
            "granted_g": line.granted_g,
            "taken_g": line.taken_g,
            "debt_g": line.debt_g,
        }
        for line in lines
    ]
    db.insert_run(uow, run, rows)


def write_step(uow: UnitOfWork, entry: Entry) -> None:
    p = entry.header.payload
    step = ReportStep(p["step"])
    db.insert_step(
        uow,
        {
            "entry_seq": entry.seq,
            "report_id": p["report_id"],
            "step": p["step"],
            "actor": entry.header.actor,
            "figure_g": p["figure_g"],
            "reason": p["reason"],
            "rule_set": p["rule_set"],
            "rule_set_digest": p["rule_set_digest"],
            "ts": entry.header.ts,
        },
    )
    old = db.report(uow, p["report_id"])
    row = dict(old) if old is not None else {}
    row.update(
        report_id=p["report_id"],
        state=STEP_TO[step],
        version=p["version"],
        rule_set=p["rule_set"],
        last_seq=entry.seq,
        updated_at=entry.header.ts,
    )
    if step is ReportStep.SUBMIT:
        row.update(
            jurisdiction=p["jurisdiction"],
            period=p["period"],
            emitter_party=entry.header.actor,
            emitter_account=p["emitter_account"],
            affiliates=" ".join(p["affiliates"]),
            reported_g=p["figure_g"],
            verified_g=None,
            confirmed_g=None,
            verifier=None,
        )
        db.insert_streams(
            uow,
            [
                {
                    "report_id": p["report_id"],
                    "version": p["version"],
                    "idx": i,
                    "name": name,
                    "activity_units": activity,
                    "unit": unit,
                    "factor_mg_per_unit": factor,
                }
                for i, (name, activity, unit, factor) in enumerate(p["streams"])
            ],
        )
    elif step is ReportStep.VERIFY:
        row.update(verified_g=p["figure_g"], verifier=entry.header.actor)
    elif step is ReportStep.SEND_BACK:
        row.update(verifier=entry.header.actor)
    else:
        row.update(confirmed_g=p["figure_g"])
    db.upsert_report(uow, row, new=old is None)
