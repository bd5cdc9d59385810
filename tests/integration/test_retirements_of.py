"""An account's retirements, newest first, for its readers (``reads.retirements_of``)."""

from __future__ import annotations

import pytest
from registry_world import BATCH, build_world

from pctrade.kernel.errors import Forbidden
from pctrade.ledger import commands as c
from pctrade.ledger import queries, reads
from pctrade.ledger.model import Party, Role
from pctrade.ledger.operations import Retirement
from pctrade.ledger.sql.store import SqlStore


def test_an_accounts_retirements_are_its_own_newest_first(any_store: SqlStore) -> None:
    w = build_world(any_store)
    why = Retirement("Alice", "a trip")
    first = w.reg.retire("alice", "r1", c.Retire(w.alice, BATCH, 50, why))
    w.reg.retire("steel", "rs", c.Retire(w.steel, BATCH, 7, Retirement("Steel", "x")))
    second = w.reg.retire("alice", "r2", c.Retire(w.alice, BATCH, 20, why))
    alice = Party("alice", Role.INDIVIDUAL, "Alice")
    found = reads.retirements_of(any_store, alice, w.alice)
    assert [(x.journal_seq, x.quantity_g) for x in found] == [(second.seq, 20), (first.seq, 50)]
    assert found[0] == queries.certificate(any_store, second.seq)
    assert queries.retirements_of(any_store, w.alice, limit=1) == found[:1]
    with pytest.raises(Forbidden):
        reads.retirements_of(any_store, alice, w.steel)
