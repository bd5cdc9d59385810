"""What ``verify`` checks of the surrenders' tables against the journal.

Every ``compliance_surrender`` entry has its row and its unit rows with the entry's
figures, and every row its entry. Problem code: ``compliance_surrender_row_mismatch``.
"""

from __future__ import annotations

from collections.abc import Iterator

from pctrade.compliance.sql import surrenders as db
from pctrade.ledger.invariants import Problem
from pctrade.ledger.ports import UnitOfWork

_CODE = "compliance_surrender_row_mismatch"


def audit_surrenders(uow: UnitOfWork) -> Iterator[Problem]:
    rows = {int(r["entry_seq"]): r for r in db.all_rows(uow)}
    units = db.unit_rows(uow)
    for seq, p in db.surrender_entries(uow):
        row = rows.pop(seq, None)
        after = p.get("after", {})
        if row is None or (
            int(row["account_id"]),
            row["jurisdiction"],
            row["period"],
            int(row["after_allowances_g"]),
            int(row["after_offsets_g"]),
            int(row["after_nonlocal_offsets_g"]),
        ) != (
            p.get("account"),
            p.get("jurisdiction"),
            p.get("period"),
            after.get("allowances_g"),
            after.get("offsets_g"),
            after.get("nonlocal_offsets_g"),
        ):
            yield Problem(_CODE, f"surrender {seq}'s row differs from its entry", seq)
            continue
        recorded = sorted((int(u["asset_id"]), int(u["quantity_g"])) for u in p["units"])
        written = [(int(u["asset_id"]), int(u["quantity_g"])) for u in units.get(seq, [])]
        if recorded != written:
            yield Problem(_CODE, f"surrender {seq}'s unit rows differ from its entry", seq)
    for seq in rows:
        yield Problem(_CODE, f"surrender row {seq} has no entry", seq)
