"""A small market for the service's tests: a listed contract, traders with facts, cash.

The clock stands on Monday 2026-12-07, 10:00 China Standard Time (in the morning
session); ``at`` moves it. Alice and Bob are eligible individuals, Carol is not (no
risk assessment, under age); Steel is a key emitter, Fund an institution.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from pctrade import bootstrap
from pctrade.bootstrap import App
from pctrade.identity.commands import RecordFacts
from pctrade.identity.model import Facts, RiskLevel, VerificationMethod
from pctrade.kernel.clock import SetClock
from pctrade.ledger import commands as c
from pctrade.ledger.model import CASH_ASSET, Role, State
from pctrade.ledger.sql import schema
from pctrade.ledger.sql.store import SqlStore
from pctrade.market.commands import ListContract
from pctrade.market.service import Market
from pctrade.market.sql import store as mdb
from pctrade.rules import RuleBook, shipped

T = 1_000_000  # grams per tonne
CONTRACT = "CCER-CN-2026Q3"
BATCHES = ("CCER-CN-AFF0007-2026Q3-001", "CCER-CN-AFF0008-2026Q3-001")
DAY = date(2026, 12, 7)


def at(day: date, hh: int, mm: int) -> datetime:
    """A moment of ``day`` in China Standard Time, as the UTC clock reads it."""
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=UTC) - timedelta(hours=8)


@dataclass
class MarketWorld:
    app: App
    clock: SetClock
    accounts: dict[str, int]

    @property
    def market(self) -> Market:
        return self.app.market


def _adult(born: date) -> Facts:
    return Facts(
        real_name_verified=True,
        real_name_verified_on=date(2026, 1, 5),
        real_name_method=VerificationMethod.CTID,
        risk_level=RiskLevel.C3,
        risk_assessed_on=date(2026, 1, 5),
        birth_date=born,
    )


def build_market(
    store: SqlStore, reference: int | None = 6_000, rules: RuleBook | None = None
) -> MarketWorld:
    clock = SetClock(at(DAY, 10, 0))
    app = bootstrap.build(store, clock=clock, rules=rules)
    reg = app.registry
    reg.open_account("registry", "o-reg", c.OpenAccount("reg", Role.REGULATOR, "Regulator"))
    ids: dict[str, int] = {}
    people = [
        ("alice", Role.INDIVIDUAL),
        ("bob", Role.INDIVIDUAL),
        ("carol", Role.INDIVIDUAL),
        ("steel", Role.EMITTER),
        ("fund", Role.INSTITUTION),
        ("plat", Role.PLATFORM),
    ]
    for party, role in people:
        r = reg.open_account("registry", f"o-{party}", c.OpenAccount(party, role, party.title()))
        ids[party] = int(r.payload["account"])
    for name in ("alice", "bob"):
        facts = RecordFacts(name, _adult(date(1990, 3, 1)))
        app.identity.record_facts("registry", f"f-{name}", facts)
    young = Facts(real_name_verified=False, birth_date=date(2012, 6, 1))
    app.identity.record_facts("registry", "f-carol", RecordFacts("carol", young))
    for i, batch in enumerate(BATCHES):
        holders = [ids["alice"], ids["bob"], ids["carol"], ids["plat"]]
        reg.issue("reg", f"i-{i}", c.Issue(batch, holders, [50 * T, 50 * T, 5 * T, 50 * T]))
    for name in ("alice", "bob", "steel", "fund", "plat"):
        reg.deposit("reg", f"d-{name}", c.Deposit(ids[name], 100_000_000, f"bank-{name}"))
    listing = ListContract("CCER", "CN", "2026Q3", reference_price_fen_per_t=reference)
    app.market.list_contract("registry", "list-1", listing)
    return MarketWorld(app, clock, ids)


def holdings(store: SqlStore) -> tuple[dict[tuple[int, int, int], int], dict[int, int]]:
    """Every balance and every hold's remaining: what a refusal must leave alone."""
    with store.engine.connect() as conn:
        b = schema.balances.c
        balances = {
            (r.account_id, r.asset_id, r.state): int(r.amount)
            for r in conn.execute(sa.select(b.account_id, b.asset_id, b.state, b.amount))
        }
        holds = {
            int(r.hold_id): int(r.remaining)
            for r in conn.execute(sa.select(schema.holds.c.hold_id, schema.holds.c.remaining))
        }
    return balances, holds


def market_rows(store: SqlStore) -> dict[str, list[tuple[object, ...]]]:
    with store.engine.connect() as conn:
        return {
            t.name: sorted(tuple(r) for r in conn.execute(sa.select(t)))
            for t in mdb.metadata.sorted_tables
        }


def cash(store: SqlStore, account: int, state: State = State.AVAILABLE) -> int:
    return holdings(store)[0].get((account, CASH_ASSET, int(state)), 0)


def positions_rules() -> RuleBook:
    """CN's rules with Beijing's ``[positions]`` added, scaled down to this world's holdings.

    The national rule set states no position limit; here anyone may hold 150 t, an
    emitter its allocation (0 until compliance records one) + 150 t.
    """
    book = shipped()
    cn = book.in_force("CN", DAY)
    bj = book.in_force("BJ", DAY)
    assert bj.positions is not None
    positions = replace(
        bj.positions,
        instruments=("CCER", "CEA"),
        limit_g=150 * T,
        emitter_limit_above_allocation_g=150 * T,
    )
    merged = replace(cn, positions=positions, sources={**cn.sources, **bj.sources})
    return RuleBook([merged, *(r for r in book.rule_sets() if r is not cn)])
