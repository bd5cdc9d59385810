"""What ``verify`` checks of the pools' tables against the journal (issue 14).

- every hold of reason ``pool`` opened after pools began (``pools_since``) is a
  deposit: it has its ``pool_deposits`` row, for the same account and asset and the
  grams deposited; holds opened before were plain registry freezes and are left alone;
- every deposit row has its hold, and ``quantity_g − withdrawn_g − sold_g`` is exactly
  what remains of the hold: the pool's units are the contributors' frozen grams;
- every published version of terms has its ``pool_terms`` entry with the same terms
  digest and rule set, and every such entry its row; a pool's current version is its
  latest.

Problems (codes are stable): ``pool_hold_without_deposit``, ``pool_deposit_without_hold``,
``pool_deposit_mismatch``, ``pool_terms_mismatch``.
"""

from __future__ import annotations

from collections.abc import Iterator

from pctrade.ledger.invariants import Problem
from pctrade.ledger.ports import UnitOfWork
from pctrade.pools.sql import store as db


def audit_deposits(uow: UnitOfWork) -> Iterator[Problem]:
    deposits = {int(d["deposit_id"]): d for d in db.all_deposits(uow)}
    seen: set[int] = set()
    for h in db.pool_holds(uow, db.since(uow)):
        hold_id = int(h["hold_id"])
        d = deposits.get(hold_id)
        if d is None:
            yield Problem("pool_hold_without_deposit", f"hold {hold_id}", hold_id)
            continue
        seen.add(hold_id)
        left = int(d["quantity_g"]) - int(d["withdrawn_g"]) - int(d["sold_g"])
        if (
            int(d["account_id"]) != int(h["account_id"])
            or int(d["asset_id"]) != int(h["asset_id"])
            or int(d["quantity_g"]) != int(h["amount"])
            or left != int(h["remaining"])
        ):
            yield Problem(
                "pool_deposit_mismatch",
                f"deposit {hold_id} of {d['pool_id']}: {left} g left, its hold {h['remaining']} g",
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
