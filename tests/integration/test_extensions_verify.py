"""``verify`` runs what the contexts it is given registered, against a real store."""

from __future__ import annotations

from collections.abc import Iterator

from pctrade.bootstrap.contexts import CONTEXTS
from pctrade.ledger.extensions import Context, OperationType
from pctrade.ledger.invariants import Problem, StoredEntry
from pctrade.ledger.operations import Plan
from pctrade.ledger.ports import UnitOfWork
from pctrade.ledger.queries import verify
from pctrade.ledger.sql.store import SqlStore

STAMP = "toy_stamp"
TS = "2026-01-01T00:00:00.000000Z"


def _check_stamp(entry: StoredEntry) -> Iterator[Problem]:
    if entry.header.payload.get("ink") != "red":
        yield Problem("toy_ink", "a stamp must be red", entry.header.seq)


def _audit_stamps(uow: UnitOfWork) -> Iterator[Problem]:
    stamps = [e for e in uow.entries_page(0, 100) if e.header.op_type == STAMP]
    if len(stamps) > 2:
        yield Problem("toy_audit", f"{len(stamps)} stamps")


TOY = Context(
    "toy", operations=(OperationType(STAMP, check=_check_stamp),), audits=(_audit_stamps,)
)


def _stamp(store: SqlStore, key: str, ink: str) -> int:
    with store.writer() as uow:
        entry = uow.append(Plan(STAMP, {"ink": ink}), "registry", key, "r", TS)
        uow.commit()
    return entry.seq


def test_verify_runs_a_registered_op_types_check_and_audit(store: SqlStore) -> None:
    _stamp(store, "stamp-1", "red")
    assert verify(store, (*CONTEXTS, TOY)).ok
    blue = _stamp(store, "stamp-2", "blue")
    report = verify(store, (*CONTEXTS, TOY))
    assert [(p.code, p.seq) for p in report.problems] == [("toy_ink", blue)]
    _stamp(store, "stamp-3", "red")
    codes = [p.code for p in verify(store, (*CONTEXTS, TOY)).problems]
    assert codes == ["toy_ink", "toy_audit"]
    # Not registered, not checked: the journal itself is sound.
    assert verify(store, CONTEXTS).ok
