"""What the pools report of their sales: to contributors, to the public, to the regulator.

- ``statement``: a contributor's lines, one per sale that took their units: sale, pool,
  venue, price, units, gross, fee, net (gross − fee = net on every line), the remainder
  of the exact split and the settling entry. The holder, its agents and the authorities
  read it.
- ``sales_of_pool``: every sale of a pool with its price, volume and fees, for those
  with a stake in it (its contributors, its platform) and the authorities. No buyer and
  no contributor is named.
- ``public_pool``: aggregates of a pool's sales for its public page: counts, volume,
  money, lowest/highest/volume-weighted price, and how many contributors were paid,
  never who.
- ``fee_levels``: for the regulator, per platform: its pools, sales, the fees charged
  (totals and the pool fee's rates, disclosed and effective) and the payout delay,
  from each sale's settlement to its payout. A pool sale settles and pays in one entry
  (``pools.settle``), so that delay is zero by construction; it is still reported per
  platform, from the rows, so that a later payout path would show in the same report.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pctrade.kernel.errors import NotFound
from pctrade.kernel.paging import fetch_size, page_of
from pctrade.kernel.units import BPS
from pctrade.ledger import access
from pctrade.ledger.journal import JsonDict
from pctrade.ledger.ports import Store, UnitOfWork
from pctrade.ledger.service import account_of
from pctrade.ledger.write import acting_party
from pctrade.market.model import G_PER_T
from pctrade.pools.sql import sales as db
from pctrade.pools.sql import store as pdb

STATEMENT_LINES_MAX = 1_000
SALES_PAGE_MAX = 500


def _pool(uow: UnitOfWork, pool_id: str) -> dict[str, Any]:
    pool = pdb.pool(uow, pool_id)
    if pool is None:
        raise NotFound(f"no pool {pool_id!r}", code="unknown_pool")
    return pool


def statement(
    store: Store, actor: str, account_id: int, pool_id: str | None = None, limit: int = 100
) -> JsonDict:
    """The account's statement lines, newest sale first."""
    fetch_size(limit, STATEMENT_LINES_MAX)  # refuses a limit out of range (bad_limit)
    with store.reader() as uow:
        who = acting_party(uow, actor)
        account = account_of(uow, account_id)
        access.require_account_reader(who, account, uow.agents(account_id))
        rows = db.statement_of(uow, account_id, pool_id, limit)
    lines = [
        {
            "sale": r["sale_id"],
            "pool": r["pool_id"],
            "venue": r["venue"],
            "price_fen_per_t": r["price_fen_per_t"],
            "units_g": r["grams_g"],
            "gross_fen": r["gross_fen"],
            "fee_fen": r["fee_fen"],
            "net_fen": r["net_fen"],
            "remainder": r["remainder"],
            "seq": r["entry_seq"],
            "sold_at": r["ts"],
            "paid_at": r["paid_at"],
        }
        for r in rows
    ]
    return {
        "account": account_id,
        "pool": pool_id,
        "lines": lines,
        "units_g": sum(x["units_g"] for x in lines),
        "net_fen": sum(x["net_fen"] for x in lines),
    }


def _require_stake(uow: UnitOfWork, actor: str, pool: dict[str, Any]) -> None:
    """A pool's sales are shown to its contributors, its platform and the authorities."""
    who = acting_party(uow, actor)
    if access.is_authority(who) or who.party_id == pool["platform_party"]:
        return
    for account in uow.accounts_of(who.party_id):
        if pdb.deposits_of(uow, pool["pool_id"], account.account_id):
            return
    access.require_authority(who, "read the sales of a pool it has no units in")


def sales_of_pool(
    store: Store, actor: str, pool_id: str, after_seq: int = 0, limit: int = 100
) -> JsonDict:
    """Every sale of the pool, oldest first from ``after_seq``: price, volume and fees."""
    size = fetch_size(limit, SALES_PAGE_MAX)
    with store.reader() as uow:
        pool = _pool(uow, pool_id)
        _require_stake(uow, actor, pool)
        rows = db.sales_of_pool(uow, pool_id, after_seq, size)
    page = page_of(rows, limit, lambda r: (int(r["entry_seq"]),))
    return {
        "pool": pool_id,
        "sales": [_sale_public(r) for r in page.items],
        "next_after": None if page.next_key is None else page.next_key[0],
    }


def _sale_public(r: dict[str, Any]) -> JsonDict:
    return {
        "sale": r["sale_id"],
        "venue": r["venue"],
        "price_fen_per_t": r["price_fen_per_t"],
        "quantity_g": r["quantity_g"],
        "gross_fen": r["gross_fen"],
        "trade_fee_bps": r["trade_fee_bps"],
        "trade_fee_fen": r["trade_fee_fen"],
        "pool_fee_bps": r["pool_fee_bps"],
        "pool_fee_fen": r["pool_fee_fen"],
        "net_fen": r["net_fen"],
        "contributors": r["contributors"],
        "seq": r["entry_seq"],
        "sold_at": r["ts"],
        "paid_at": r["paid_at"],
    }


def public_pool(store: Store, pool_id: str) -> JsonDict:
    """A pool's sales in aggregate: nothing about any one person."""
    with store.reader() as uow:
        pool = _pool(uow, pool_id)
        rows = db.sales_of_pool(uow, pool_id, 0, db.PUBLIC_SALES_MAX)
        paid = db.contributors_paid(uow, pool_id)
    return {
        "pool": pool_id,
        "name": pool["name"],
        "jurisdiction": pool["jurisdiction"],
        "platform": pool["platform_party"],
        **_aggregate(rows),
        "contributors_paid": paid,
    }


def _aggregate(rows: Sequence[dict[str, Any]]) -> JsonDict:
    volume = sum(int(r["quantity_g"]) for r in rows)
    gross = sum(int(r["gross_fen"]) for r in rows)
    prices = [int(r["price_fen_per_t"]) for r in rows]
    return {
        "sales": len(rows),
        "volume_g": volume,
        "gross_fen": gross,
        "trade_fee_fen": sum(int(r["trade_fee_fen"]) for r in rows),
        "pool_fee_fen": sum(int(r["pool_fee_fen"]) for r in rows),
        "net_fen": sum(int(r["net_fen"]) for r in rows),
        "price_min_fen_per_t": min(prices, default=None),
        "price_max_fen_per_t": max(prices, default=None),
        # Volume-weighted, rounded down to the fen per tonne.
        "price_avg_fen_per_t": gross * G_PER_T // volume if volume else None,
    }


def _delay_s(row: dict[str, Any]) -> int:
    sold = datetime.fromisoformat(str(row["ts"]).replace("Z", "+00:00"))
    paid = datetime.fromisoformat(str(row["paid_at"]).replace("Z", "+00:00"))
    return int((paid - sold).total_seconds())


def fee_levels(store: Store, actor: str) -> JsonDict:
    """Per platform: pools, sales, fees charged and payout delays (the regulator's view)."""
    with store.reader() as uow:
        access.require_authority(acting_party(uow, actor), "read fee levels across platforms")
        pools = {p["pool_id"]: p for p in pdb.all_pools(uow)}
        rows = db.all_sales(uow)
    by_platform: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_platform.setdefault(pools[r["pool_id"]]["platform_party"], []).append(r)
    platforms = []
    for party in sorted({p["platform_party"] for p in pools.values()}):
        sold = by_platform.get(party, [])
        proceeds = sum(int(r["gross_fen"]) - int(r["trade_fee_fen"]) for r in sold)
        pool_fee = sum(int(r["pool_fee_fen"]) for r in sold)
        delays = [_delay_s(r) for r in sold]
        rates = [int(r["pool_fee_bps"]) for r in sold]
        platforms.append(
            {
                "platform": party,
                "pools": sum(1 for p in pools.values() if p["platform_party"] == party),
                **_aggregate(sold),
                "pool_fee_bps_min": min(rates, default=None),
                "pool_fee_bps_max": max(rates, default=None),
                # What the platform took of the proceeds, rounded down (basis points).
                "pool_fee_effective_bps": pool_fee * BPS // proceeds if proceeds else None,
                "payout_delay_s_max": max(delays, default=None),
                "payout_delay_s_avg": sum(delays) // len(delays) if delays else None,
            }
        )
    return {
        "platforms": platforms,
        "payout": "settlement and payout are one registry entry: the delay is zero",
    }
