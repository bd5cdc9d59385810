"""The one-statement writer's choices, without a database."""

from __future__ import annotations

from pctrade.ledger.model import Account, HolderType, Party, Role
from pctrade.ledger.operations import plan_open_accounts, plan_transfer
from pctrade.ledger.sql import one_statement


def test_one_statement_takes_only_entries_that_open_nothing() -> None:
    alice = Account(1000, HolderType.INDIVIDUAL, "alice", "")
    bob = Account(1001, HolderType.INDIVIDUAL, "bob", "")
    transfer = plan_transfer(alice, bob, 1, 5)
    assert one_statement.fits(transfer)
    row = {"seq": 9, "prev": "0" * 64, "hash": "1" * 64}
    sql, params = one_statement.prepare(transfer, row, 8)
    # Integers go as text (cast in the SQL), so one prepared statement serves any values.
    assert (params["dr0_0"], params["dr0_3"]) == ("1000", "-5")  # alice's debit, guarded
    assert (params["cr0_0"], params["cr0_3"]) == ("1001", "5")  # bob's credit, upserted
    assert one_statement.prepare(plan_transfer(bob, alice, 1, 9), row, 8)[0] is sql  # one shape
    opening = plan_open_accounts([Party("carol", Role.INDIVIDUAL, "")], 1002, "")
    assert not one_statement.fits(opening)  # it opens an account: the general path
