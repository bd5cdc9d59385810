"""A pool with deposits, and sales settled without the market: for the sales' tests only.

Real sales come through the market (a venue matches, then its settlement calls
``pools.sales.sale_plan``); here a fixture runs ``sale_plan`` through
``Journal.execute`` with the buyer paying from its available cash (or its holds), as
the spec of issue 14 allows for tests. The pool and its deposits are made by the pools'
own planners (``plan_pool_terms``, ``plan_pool_deposit``) with the rows they leave, so
``verify`` and the pools' audits see a pool as the pools' service would leave it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from integration.registry_world import World, build_world
from pctrade.kernel.clock import SetClock
from pctrade.ledger import commands as c
from pctrade.ledger.commands import Command
from pctrade.ledger.journal import Entry
from pctrade.ledger.model import Party
from pctrade.ledger.operations import Plan
from pctrade.ledger.ports import UnitOfWork
from pctrade.ledger.service import Registry
from pctrade.ledger.sql.store import SqlStore
from pctrade.ledger.write import Receipt, RowsBeside
from pctrade.pools.model import Terms, TermsVersion, plan_pool_deposit, plan_pool_terms
from pctrade.pools.sales import SaleEvidence
from pctrade.pools.settle import BuyerCash, PoolSale
from pctrade.pools.sql import store as pdb
from personal_credits import issue_pcer

RULE_SET = "GD@test"
RULE_DIGEST = "0" * 64


@dataclass(frozen=True, slots=True)
class OpenPoolForTest(Command):
    pool_id: str
    version: int


@dataclass(frozen=True, slots=True)
class DepositForTest(Command):
    pool_id: str
    account_id: int
    asset_id: int
    quantity_g: int


@dataclass(frozen=True, slots=True)
class SellForTest(Command):
    pool_id: str
    sale_id: str
    quantity_g: int
    price_fen_per_t: int
    buyer: int


def open_pool(
    reg: Registry, pool_id: str, platform_party: str, platform_account: int, terms: Terms
) -> Receipt:
    v = TermsVersion(pool_id, 1, terms, RULE_SET, RULE_DIGEST, platform_account, "Test pool")

    def rows(uow: UnitOfWork, entry: Entry) -> None:
        ts = entry.header.ts
        pdb.insert_pool(
            uow,
            {
                "pool_id": pool_id,
                "name": "Test pool",
                "platform_party": platform_party,
                "platform_account": platform_account,
                "jurisdiction": "GD",
                "rule_set": RULE_SET,
                "admitted": " ".join(terms.admitted),
                "state": "open",
                "terms_version": 1,
                "opened_seq": entry.seq,
                "opened_at": ts,
            },
        )
        pdb.insert_terms(
            uow,
            {
                "pool_id": pool_id,
                "version": 1,
                "terms": terms.canonical(),
                "digest": terms.digest(),
                "fee_bps": terms.fee_bps,
                "rule_set": RULE_SET,
                "rule_set_digest": RULE_DIGEST,
                "entry_seq": entry.seq,
                "published_at": ts,
            },
        )

    return reg.journal.execute(
        platform_party,
        f"open-{pool_id}",
        OpenPoolForTest(pool_id, 1),
        lambda uow, who: plan_pool_terms(v),
        RowsBeside(rows),
    )


def deposit(reg: Registry, actor: str, key: str, cmd: DepositForTest) -> int:
    """A contributor's deposit; its id (= its hold id = the entry's seq)."""

    def rows(uow: UnitOfWork, entry: Entry) -> None:
        pdb.insert_deposit(
            uow,
            {
                "deposit_id": entry.seq,
                "pool_id": cmd.pool_id,
                "account_id": cmd.account_id,
                "asset_id": cmd.asset_id,
                "quantity_g": cmd.quantity_g,
                "withdrawn_g": 0,
                "terms_version": 1,
                "entry_seq": entry.seq,
                "deposited_at": entry.header.ts,
            },
        )

    def planner(uow: UnitOfWork, who: Party) -> Plan:
        return plan_pool_deposit(cmd.pool_id, cmd.account_id, cmd.asset_id, cmd.quantity_g, 1)

    return reg.journal.execute(actor, key, cmd, planner, RowsBeside(rows)).entry.seq


def sell(reg: Registry, key: str, sale: PoolSale, cash: BuyerCash | None = None) -> Receipt:
    """Settle ``sale`` from the pool's deposits, the buyer paying from available cash."""
    evidence = SaleEvidence(sale.pool_id, sale, cash or BuyerCash())
    cmd = SellForTest(sale.pool_id, sale.sale_id, sale.quantity_g, sale.price_fen_per_t, sale.buyer)
    return reg.journal.execute("registry", key, cmd, lambda uow, who: evidence.plan(uow), evidence)


# ---- a world with a pool of two contributors and a buyer ----------------------------
POOL = "POOL-GD-0001"
T0 = datetime(2026, 7, 1, 2, tzinfo=UTC)
TERMS = Terms(("PCER",), fee_bps=500, floor_fen_per_t=50_000, draw_order="pro_rata")


@dataclass(frozen=True)
class PoolWorld:
    w: World
    asset: int
    deposits: list[int]


def pool_world(store: SqlStore, terms: Terms = TERMS) -> PoolWorld:
    w = build_world(store, clock=SetClock(T0))
    batch = issue_pcer(w.app, {w.alice: 2_000, w.bob: 3_010}, day=date(2026, 6, 10))
    with store.reader() as uow:
        found = uow.batch_named(batch)
        assert found is not None
        asset = found.asset_id
    w.reg.deposit("reg", "d-steel", c.Deposit(w.steel, 1_000_000, "bank-2"))
    open_pool(w.reg, POOL, "plat", w.plat, terms)
    deposits = [
        deposit(w.reg, "alice", "dep-a1", DepositForTest(POOL, w.alice, asset, 1_000)),
        deposit(w.reg, "bob", "dep-b1", DepositForTest(POOL, w.bob, asset, 3_000)),
        deposit(w.reg, "alice", "dep-a2", DepositForTest(POOL, w.alice, asset, 1_000)),
    ]
    return PoolWorld(w, asset, deposits)


def a_sale(
    pw: PoolWorld, quantity_g: int = 2_000, price: int = 600_000, sale_id: str = "S-1"
) -> PoolSale:
    return PoolSale(POOL, sale_id, "block", price, quantity_g, pw.w.steel, pw.w.plat, 500, 30)
