"""A pool's life on SQLite and PostgreSQL: open, deposit, withdraw, terms, consent, verify."""

from __future__ import annotations

import pytest
from pool_world import CCER, PLATFORM, build, new_key, terms

from pctrade.bootstrap.contexts import verify
from pctrade.kernel.errors import PctradeError
from pctrade.ledger.model import State
from pctrade.ledger.sql.store import SqlStore
from pctrade.pools import commands as pc
from pctrade.pools import queries
from table_snapshot import everything


def assert_verifies(store: SqlStore) -> None:
    report = verify(store)
    assert report.ok, report.problems


def _balance(w: object, account: int, state: State) -> int:
    app = w.app  # type: ignore[attr-defined]
    with app.store.reader() as uow:
        batch = uow.batch_named(w.pcer)  # type: ignore[attr-defined]
        return int(uow.balance(account, batch.asset_id, state))


def test_a_deposit_is_one_pool_hold_of_the_contributor_and_verifies(any_store: SqlStore) -> None:
    w = build(any_store)
    pool_id = w.open()
    assert pool_id == "POOL-GD-0001"
    alice = w.people["alice"]
    deposit_id = w.deposit("alice", pool_id, 20_000)
    assert _balance(w, alice, State.AVAILABLE) == 30_000
    assert _balance(w, alice, State.FROZEN) == 20_000
    with w.app.store.reader() as uow:
        hold = uow.hold(deposit_id)
    assert hold is not None
    assert (hold.reason, hold.reference, hold.account_id) == ("pool", f"pool:{pool_id}", alice)
    mine = queries.my_deposits(w.app.store, "alice", alice).items
    assert [(d["deposit_id"], d["quantity_g"], d["terms_version"]) for d in mine] == [
        (deposit_id, 20_000, 1)
    ]
    assert_verifies(w.store)


def test_the_same_key_replays_the_deposit_and_writes_nothing(any_store: SqlStore) -> None:
    w = build(any_store)
    pool_id = w.open()
    cmd = pc.DepositToPool(pool_id, w.people["bob"], w.pcer, 5_000)
    first = w.app.pools.deposit("bob", "dep-1", cmd)
    before = everything(w.store)
    again = w.app.pools.deposit("bob", "dep-1", cmd)
    assert again.replayed and again.seq == first.seq
    assert everything(w.store) == before
    assert_verifies(w.store)


def test_withdrawal_after_the_lock_in_returns_units_and_verifies(any_store: SqlStore) -> None:
    w = build(any_store)
    pool_id = w.open()
    w.deposit("alice", pool_id, 20_000)
    w.later(31)
    w.withdraw("alice", pool_id, 15_000)
    assert _balance(w, w.people["alice"], State.AVAILABLE) == 45_000
    assert _balance(w, w.people["alice"], State.FROZEN) == 5_000
    page = queries.public_page(w.app.store, pool_id)
    assert (page["deposited_g"], page["withdrawn_g"], page["unsold_g"]) == (20_000, 15_000, 5_000)
    assert_verifies(w.store)


def test_new_terms_bind_new_deposits_and_consent_moves_old_ones(any_store: SqlStore) -> None:
    w = build(any_store)
    pool_id = w.open()
    old = w.deposit("alice", pool_id, 10_000)
    w.app.pools.publish_terms(PLATFORM, new_key(), pc.PublishTerms(pool_id, terms(fee_bps=300)))
    new = w.deposit("bob", pool_id, 10_000)
    versions = {
        d["deposit_id"]: d["terms_version"] for d in queries.deposits_of_pool(w.store, pool_id)
    }
    assert versions == {old: 1, new: 2}
    w.app.pools.consent("alice", new_key(), pc.ConsentToTerms(pool_id, w.people["alice"], 2))
    versions = {
        d["deposit_id"]: d["terms_version"] for d in queries.deposits_of_pool(w.store, pool_id)
    }
    assert versions == {old: 2, new: 2}
    assert [t["version"] for t in queries.terms_versions(w.store, pool_id)] == [1, 2]
    assert_verifies(w.store)


def _versions(store: SqlStore, pool_id: str) -> dict[int, int]:
    return {d["deposit_id"]: d["terms_version"] for d in queries.deposits_of_pool(store, pool_id)}


def _refused(w: object, code: str, write: object) -> None:
    before = everything(w.store)  # type: ignore[attr-defined]
    with pytest.raises(PctradeError) as err:
        write()  # type: ignore[operator]
    assert err.value.code == code, err.value
    assert everything(w.store) == before  # type: ignore[attr-defined]


def test_every_bad_deposit_has_its_own_code_and_moves_nothing(any_store: SqlStore) -> None:
    w = build(any_store)
    pool_id = w.open()
    alice = w.people["alice"]
    reg = w.app.registry
    _refused(w, "pool_not_admitted", lambda: w.deposit("alice", pool_id, 1_000, CCER))
    _refused(w, "insufficient_balance", lambda: w.deposit("alice", pool_id, 50_001))
    from pctrade.ledger import commands as c
    from pctrade.ledger.operations import Retirement

    reg.freeze("alice", new_key(), c.Freeze(alice, w.pcer, 10_000, "pledge", "loan-1"))
    _refused(w, "units_frozen", lambda: w.deposit("alice", pool_id, 45_000))
    ret = Retirement("Alice", "a trip")
    reg.retire("bob", new_key(), c.Retire(w.people["bob"], w.pcer, 10_000, ret))
    _refused(w, "units_retired", lambda: w.deposit("bob", pool_id, 45_000))
    _refused(w, "unknown_pool", lambda: w.deposit("alice", "POOL-GD-0099", 1_000))
    assert_verifies(w.store)
