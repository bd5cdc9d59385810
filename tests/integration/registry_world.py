"""Shared helpers for the registry integration tests: a small world and snapshots."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from pctrade import bootstrap
from pctrade.bootstrap import App
from pctrade.bootstrap.contexts import verify
from pctrade.kernel.clock import Clock
from pctrade.kernel.entropy import Entropy
from pctrade.ledger import commands as c
from pctrade.ledger.model import Role
from pctrade.ledger.service import Registry
from pctrade.ledger.sql import schema
from pctrade.ledger.sql.store import SqlStore

BATCH = "CCER-CN-AFF0007-2026Q3-001"
Snapshot = tuple[int, dict[tuple[int, int, int], int], dict[int, int]]


@dataclass(frozen=True)
class World:
    reg: Registry
    store: SqlStore
    alice: int
    bob: int
    steel: int
    plat: int
    app: App


def build_world(
    store: SqlStore, clock: Clock | None = None, entropy: Entropy | None = None
) -> World:
    """Regulator, two individuals, an emitter and a platform; one batch; some cash."""
    app = bootstrap.build(store, clock=clock, entropy=entropy)
    reg, store = app.registry, app.store
    reg.open_account("registry", "o-reg", c.OpenAccount("reg", Role.REGULATOR, "Regulator"))
    ids = {}
    for party, role in [
        ("alice", Role.INDIVIDUAL),
        ("bob", Role.INDIVIDUAL),
        ("steel", Role.EMITTER),
        ("plat", Role.PLATFORM),
    ]:
        r = reg.open_account("registry", f"o-{party}", c.OpenAccount(party, role, party.title()))
        ids[party] = int(r.payload["account"])
    reg.issue("reg", "i-1", c.Issue(BATCH, [ids["alice"], ids["steel"]], [1_000, 500]))
    reg.deposit("reg", "d-1", c.Deposit(ids["alice"], 10_000, "bank-1"))
    return World(reg, store, ids["alice"], ids["bob"], ids["steel"], ids["plat"], app)


def snapshot(store: SqlStore) -> Snapshot:
    """Journal head, every balance and every hold: what a refused operation must not touch."""
    with store.engine.connect() as conn:
        head = int(conn.execute(sa.select(schema.registry_head.c.last_seq)).scalar_one())
        b = schema.balances.c
        balances = {
            (r.account_id, r.asset_id, r.state): int(r.amount)
            for r in conn.execute(sa.select(b.account_id, b.asset_id, b.state, b.amount))
        }
        holds = {
            int(r.hold_id): int(r.remaining)
            for r in conn.execute(sa.select(schema.holds.c.hold_id, schema.holds.c.remaining))
        }
        entries = int(
            conn.execute(sa.select(sa.func.count()).select_from(schema.entries)).scalar_one()
        )
    assert entries == head, "journal head and entry count disagree"
    return head, balances, holds


def assert_verifies(store: SqlStore) -> None:
    report = verify(store)
    assert report.ok, report.problems
