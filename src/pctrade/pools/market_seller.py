"""The pools' side of the market's port (``pctrade.market.pool_seller.PoolSeller``).

The market sells a pool's units without knowing the pools: bootstrap hands it this
adapter, which answers in the pools' own terms. A fill of a pool sell becomes a
``PoolSale`` (the pool's platform account and its terms' fee added to the market's
facts) and is planned by the pools' sale use case (``pools.sales.sale_plan``): the floor
and the free units checked, the contributors drawn in the terms' order, one
``pool_settle`` entry and the pool's sale rows beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pctrade.kernel.errors import NotFound
from pctrade.ledger.operations import Plan
from pctrade.ledger.ports import UnitOfWork
from pctrade.ledger.write import Evidence
from pctrade.market.pool_seller import PoolPlatform, PoolSaleFacts
from pctrade.pools import sales
from pctrade.pools.service import terms_of
from pctrade.pools.settle import BuyerCash, PoolSale
from pctrade.pools.sql import store as db


class PoolsMarketSeller:
    """The pools, as the market's ``PoolSeller`` sees them."""

    def _pool(self, uow: UnitOfWork, pool_id: str) -> dict[str, Any]:
        # The pool's row locked (PostgreSQL; SQLite has one writer): the market's commands
        # of different contracts that sell the same pool read its free units in turn.
        found = db.pool(uow, pool_id, lock=True)
        if found is None:
            raise NotFound(f"no pool {pool_id!r}", code="unknown_pool")
        return found

    def platform_of(self, uow: UnitOfWork, pool_id: str) -> PoolPlatform:
        pool = self._pool(uow, pool_id)
        return PoolPlatform(str(pool["platform_party"]), int(pool["platform_account"]))

    def free_g(self, uow: UnitOfWork, pool_id: str) -> int:
        self._pool(uow, pool_id)
        return sales.free_g(uow, pool_id)

    def floor_fen_per_t(self, uow: UnitOfWork, pool_id: str) -> int:
        self._pool(uow, pool_id)
        versions = {d.terms_version for d in sales.unsold_deposits(uow, pool_id)}
        floors = (terms_of(uow, pool_id, v).floor_fen_per_t or 0 for v in sorted(versions))
        return max(floors, default=0)

    def contributes(self, uow: UnitOfWork, pool_id: str, account_id: int) -> bool:
        self._pool(uow, pool_id)
        return any(d.lot.account_id == account_id for d in sales.unsold_deposits(uow, pool_id))

    def assets_of(self, uow: UnitOfWork, pool_id: str) -> frozenset[int]:
        self._pool(uow, pool_id)
        return sales.unsold_assets(uow, pool_id)

    def settle_plan(
        self,
        uow: UnitOfWork,
        sale: PoolSaleFacts,
        cash_holds: Sequence[tuple[int, int]],
        reserve_after_fen: int,
    ) -> tuple[Plan, Evidence]:
        pool = self._pool(uow, sale.pool_id)
        full = PoolSale(
            pool_id=sale.pool_id,
            sale_id=sale.sale_id,
            venue=sale.venue,
            price_fen_per_t=sale.price_fen_per_t,
            quantity_g=sale.quantity_g,
            buyer=sale.buyer,
            platform_account=int(pool["platform_account"]),
            # ``sale_plan`` charges the lowest fee the drawn deposits' terms accepted.
            pool_fee_bps=0,
            trade_fee_bps=sale.trade_fee_bps,
        )
        cash = BuyerCash(tuple(cash_holds), reserve_after_fen)
        return sales.sale_plan(uow, sale.pool_id, full, cash)
