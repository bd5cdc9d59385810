"""Every bad input of the pools, on SQLite and PostgreSQL: its own code, nothing moved.

"Nothing moved" is every row of every table as it was (``table_snapshot.everything``):
the journal head, balances, holds and the pools' own rows.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pool_world import PLATFORM, PoolWorld, build, new_key, terms

from pctrade.bootstrap.contexts import verify
from pctrade.kernel.errors import PctradeError
from pctrade.ledger import commands as c
from pctrade.ledger.model import Role
from pctrade.ledger.sql.store import SqlStore
from pctrade.pools import commands as pc
from table_snapshot import everything


def refused(w: PoolWorld, code: str, write: Callable[[], object]) -> None:
    before = everything(w.store)
    with pytest.raises(PctradeError) as err:
        write()
    assert err.value.code == code, err.value
    assert everything(w.store) == before


def test_bad_terms_and_bad_platforms_are_refused(any_store: SqlStore) -> None:
    w = build(any_store)
    plat = w.platform_account

    def open_(who: str, account: int, jurisdiction: str = "GD", **changes: object) -> object:
        cmd = pc.OpenPool(account, jurisdiction, "Pool", terms(**changes))
        return w.app.pools.open(who, new_key(), cmd)

    refused(w, "fee_above_cap", lambda: open_(PLATFORM, plat, fee_bps=1_001))
    refused(w, "terms_manifestly_unfair", lambda: open_(PLATFORM, plat, lock_in_days=91))
    refused(w, "terms_manifestly_unfair", lambda: open_(PLATFORM, plat, sale_schedule=""))
    refused(w, "forbidden", lambda: open_("alice", w.people["alice"]))
    refused(w, "not_owner", lambda: open_(PLATFORM, w.people["alice"]))
    refused(w, "no_rule_set", lambda: open_(PLATFORM, plat, "XX"))
    pool_id = w.open()
    again = pc.PublishTerms(pool_id, terms(fee_bps=100))
    refused(w, "not_pool_platform", lambda: w.app.pools.publish_terms("alice", new_key(), again))
    greedy = pc.PublishTerms(pool_id, terms(fee_bps=5_000))
    refused(w, "fee_above_cap", lambda: w.app.pools.publish_terms(PLATFORM, new_key(), greedy))
    unknown = pc.PublishTerms("POOL-GD-0404", terms())
    refused(w, "unknown_pool", lambda: w.app.pools.publish_terms(PLATFORM, new_key(), unknown))


def test_terms_change_without_consent_is_refused(any_store: SqlStore) -> None:
    w = build(any_store)
    pool_id = w.open()
    w.deposit("alice", pool_id, 1_000)
    forced = pc.PublishTerms(pool_id, terms(fee_bps=900), apply_to_existing=True)
    refused(w, "consent_required", lambda: w.app.pools.publish_terms(PLATFORM, new_key(), forced))
    alice = w.people["alice"]
    early = pc.ConsentToTerms(pool_id, alice, 2)
    refused(w, "unknown_terms", lambda: w.app.pools.consent("alice", new_key(), early))
    w.app.pools.publish_terms(PLATFORM, new_key(), pc.PublishTerms(pool_id, terms(fee_bps=900)))
    stale = pc.DepositToPool(pool_id, alice, w.pcer, 1_000, terms_version=1)
    refused(w, "terms_version_stale", lambda: w.app.pools.deposit("alice", new_key(), stale))
    for_bob = pc.ConsentToTerms(pool_id, w.people["bob"], 2)
    refused(w, "nothing_to_consent", lambda: w.app.pools.consent("bob", new_key(), for_bob))
    refused(w, "forbidden", lambda: w.app.pools.consent("bob", new_key(), early))
    w.app.pools.consent("alice", new_key(), early)
    refused(w, "nothing_to_consent", lambda: w.app.pools.consent("alice", new_key(), early))
    assert verify(w.store).ok


def test_bad_deposits_each_have_their_own_code(any_store: SqlStore) -> None:
    w = build(any_store)
    pool_id = w.open(terms(admitted=("PCER-GD-CI-2026Q2-001",)))
    alice = w.people["alice"]
    reg = w.app.registry
    other = terms(admitted=("PCER-SZ",))
    narrow = w.app.pools.open(
        PLATFORM, new_key(), pc.OpenPool(w.platform_account, "GD", "Other", other)
    ).payload["pool_id"]
    refused(w, "pool_not_admitted", lambda: w.deposit("alice", str(narrow), 1_000))
    refused(w, "insufficient_balance", lambda: w.deposit("alice", pool_id, 50_001))
    refused(w, "bad_quantity", lambda: w.deposit("alice", pool_id, 0))
    refused(w, "unknown_batch", lambda: w.deposit("alice", pool_id, 1, "PCER-GD-CI-2020Q1-001"))
    refused(w, "forbidden", lambda: w.app.pools.deposit(
        "bob", new_key(), pc.DepositToPool(pool_id, alice, w.pcer, 1_000)))  # fmt: skip
    emitter = reg.open_account("registry", "o-steel", c.OpenAccount("steel", Role.EMITTER, "S"))
    steel = int(emitter.payload["account"])
    refused(w, "pool_individuals_only", lambda: w.app.pools.deposit(
        "steel", new_key(), pc.DepositToPool(pool_id, steel, w.pcer, 1)))  # fmt: skip
    w.deposit("alice", pool_id, 10_000)  # frozen in this pool now
    refused(w, "units_frozen", lambda: w.deposit("alice", pool_id, 45_000))
    refused(w, "unknown_pool", lambda: w.deposit("alice", "POOL-GD-9999", 1))
    refused(w, "unknown_pool", lambda: w.deposit("alice", "not a pool", 1))
    assert verify(w.store).ok


def test_bad_withdrawals_each_have_their_own_code(any_store: SqlStore) -> None:
    w = build(any_store)
    pool_id = w.open(terms(lock_in_days=10, withdrawal_notice_days=3))
    w.deposit("alice", pool_id, 10_000)
    refused(w, "pool_units_sold", lambda: w.withdraw("alice", pool_id, 10_001))
    refused(w, "pool_units_locked", lambda: w.withdraw("alice", pool_id, 1))  # lock-in
    w.later(11)
    refused(w, "pool_units_locked", lambda: w.withdraw("alice", pool_id, 1))  # no notice yet
    alice = w.people["alice"]
    w.app.pools.give_notice("alice", new_key(), pool_id, alice)
    w.later(2)
    refused(w, "pool_units_locked", lambda: w.withdraw("alice", pool_id, 1))  # notice running
    refused(w, "forbidden", lambda: w.app.pools.withdraw(
        "bob", new_key(), pc.WithdrawFromPool(pool_id, alice, 1)))  # fmt: skip
    refused(w, "pool_units_sold", lambda: w.withdraw("bob", pool_id, 1))  # bob has none
    w.later(1)
    w.withdraw("alice", pool_id, 4_000)
    # A notice serves one withdrawal: the next needs another.
    refused(w, "pool_units_locked", lambda: w.withdraw("alice", pool_id, 1))
    assert verify(w.store).ok


def test_plain_freezes_and_releases_of_pool_and_order_holds_are_refused(
    any_store: SqlStore,
) -> None:
    w = build(any_store)
    reg, alice = w.app.registry, w.people["alice"]
    for reason in ("pool", "order"):
        cmd = c.Freeze(alice, w.pcer, 1_000, reason, "mine")  # type: ignore[arg-type]
        refused(w, "hold_owned_by_context", lambda cmd=cmd: reg.freeze("alice", new_key(), cmd))
    pool_id = w.open()
    deposit_id = w.deposit("alice", pool_id, 1_000)
    release = c.Unfreeze(deposit_id)
    refused(w, "hold_owned_by_context", lambda: reg.unfreeze("alice", new_key(), release))
    refused(w, "hold_owned_by_context", lambda: reg.unfreeze("reg", new_key(), release))
    pledge = reg.freeze("alice", new_key(), c.Freeze(alice, w.pcer, 10, "pledge", "loan"))
    reg.unfreeze("alice", new_key(), c.Unfreeze(pledge.seq))  # the holder's own holds: as before
    assert verify(w.store).ok
