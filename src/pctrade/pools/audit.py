"""What ``verify`` checks of the pools' tables against the journal (issue 14).

- every hold of reason ``pool`` opened after pools began (``pools_since``) is a
  deposit: it has its ``pool_deposits`` row, for the same account and asset and the
  grams deposited; holds opened before were plain registry freezes and are left alone;
- every deposit row has its hold, and what was sold of it, ``quantity_g − withdrawn_g −``
  what remains of the hold (``sql.schema.sold_g``: no column of its own since migration
  0026), is exactly what the journal's ``pool_settle`` entries drew from that hold: so
  ``withdrawn_g`` is what withdrawals took, and the pool's units are the contributors'
  frozen grams (``verify`` replays the holds themselves from the journal);
- every published version of terms has its ``pool_terms`` entry with the same terms
  digest and rule set, and every such entry its row; a pool's current version is its
  latest.

Problems (codes are stable): ``pool_hold_without_deposit``, ``pool_deposit_without_hold``,
``pool_deposit_mismatch``, ``pool_terms_mismatch``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pctrade.ledger.invariants import Problem
from pctrade.ledger.operations import HOLDS_PACKED
from pctrade.ledger.packed_np import unpack_np
from pctrade.ledger.ports import UnitOfWork
from pctrade.pools.sql import sales as sales_db
from pctrade.pools.sql import store as db


def drawn_by_sales(uow: UnitOfWork, deposit_ids: set[int]) -> dict[int, int]:
    """Grams the journal's ``pool_settle`` entries drew from each deposit's hold (the
    packed draws and the listed ones; a buyer's cash holds are not deposits)."""
    drawn: dict[int, int] = {}
    for _, p in sales_db.settle_entries(uow):
        pairs: list[tuple[Any, Any]] = [(h["hold_id"], h["delta"]) for h in p.get("holds", ())]
        if HOLDS_PACKED in p:
            packed = unpack_np(p[HOLDS_PACKED], ("hold_id", "delta"))
            pairs.extend(zip(packed["hold_id"].tolist(), packed["delta"].tolist(), strict=True))
        for hold_id, delta in pairs:
            if int(hold_id) in deposit_ids:
                drawn[int(hold_id)] = drawn.get(int(hold_id), 0) - int(delta)
    return drawn


def audit_deposits(uow: UnitOfWork) -> Iterator[Problem]:
    deposits = {int(d["deposit_id"]): d for d in db.all_deposits(uow)}
    drawn = drawn_by_sales(uow, set(deposits))
    seen: set[int] = set()
    for h in db.pool_holds(uow, db.since(uow)):
        hold_id = int(h["hold_id"])
        d = deposits.get(hold_id)
        if d is None:
            yield Problem("pool_hold_without_deposit", f"hold {hold_id}", hold_id)
            continue
        seen.add(hold_id)
        sold = int(d["quantity_g"]) - int(d["withdrawn_g"]) - int(h["remaining"])
        if (
            int(d["account_id"]) != int(h["account_id"])
            or int(d["asset_id"]) != int(h["asset_id"])
            or int(d["quantity_g"]) != int(h["amount"])
            or sold != drawn.get(hold_id, 0)
        ):
            yield Problem(
                "pool_deposit_mismatch",
                f"deposit {hold_id} of {d['pool_id']}: {d['withdrawn_g']} g withdrawn and"
                f" {h['remaining']} g left make {sold} g sold; its sales drew"
                f" {drawn.get(hold_id, 0)} g",
                hold_id,
            )
    for deposit_id in sorted(set(deposits) - seen):
        yield Problem("pool_deposit_without_hold", f"deposit {deposit_id}", deposit_id)


def audit_terms(uow: UnitOfWork) -> Iterator[Problem]:
    rows = {int(r["entry_seq"]): r for r in db.all_terms(uow)}
    latest: dict[str, int] = {}
    published: set[int] = set()
    for seq, p in db.terms_entries(uow):
        published.add(seq)
        row = rows.get(seq)
        if row is None or (
            row["pool_id"] != p.get("pool_id")
            or int(row["version"]) != p.get("version")
            or row["digest"] != p.get("terms_digest")
            or row["rule_set"] != p.get("rule_set")
            or row["rule_set_digest"] != p.get("rule_set_digest")
        ):
            yield Problem("pool_terms_mismatch", "terms entry without its row", seq)
            continue
        latest[row["pool_id"]] = max(latest.get(row["pool_id"], 0), int(row["version"]))
    for seq in sorted(set(rows) - published):
        yield Problem("pool_terms_mismatch", "terms row without its entry", seq)
    for pool in db.all_pools(uow):
        if latest.get(pool["pool_id"]) != int(pool["terms_version"]):
            yield Problem(
                "pool_terms_mismatch",
                f"{pool['pool_id']} is at terms version {pool['terms_version']}",
                int(pool["opened_seq"]),
            )
