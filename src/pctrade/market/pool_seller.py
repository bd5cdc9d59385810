"""The market's port to platform pools (平台整合): what it asks of a pool it sells for.

A platform sells its pool's units through the market — a sell order on the book, a block
trade to a key emitter — but the units are not the platform's: they stay in the
contributors' accounts, frozen in the pool's holds, until a buyer's cash pays for them
(issue 14, item 3). So a pool sell freezes nothing when it is placed (its reservation is
the pool's free units), and each of its fills settles in one ``pool_settle`` entry that
the pools context plans: the contributors' holds drawn in the pool's order, the buyer's
cash paying each contributor's exact share, the pool's fee and both trade fees, and the
market's trade row beside it.

The market owns this protocol and never imports the pools: bootstrap hands the market
the pools' adapter (``pctrade.pools.market_seller``). ``NoPools`` is the market of an
app without pools: every pool it is asked about is unknown.

    seller.platform_of(uow, "POOL-GD-0001")  → PoolPlatform(party_id, account_id)
    seller.free_g(uow, "POOL-GD-0001")       → unsold, unwithdrawn grams
    seller.floor_fen_per_t(uow, "POOL-GD-0001") → the lowest price a sale may have
    seller.contributes(uow, "POOL-GD-0001", account) → has unsold units in it
    seller.assets_of(uow, "POOL-GD-0001")    → the batches of its unsold units
    seller.settle_plan(uow, PoolSaleFacts(...), cash_holds, reserve_after_fen)
                                             → (Plan, Evidence): one pool_settle entry
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from pctrade.kernel.errors import NotFound
from pctrade.ledger.operations import Plan
from pctrade.ledger.ports import UnitOfWork
from pctrade.ledger.write import Evidence

# Where a pool sale was made: its payload and the pool's sale rows record the venue.
BOOK, BLOCK, AUCTION = "book", "block", "auction"
POOL_ID_LEN_MAX = 32


@dataclass(frozen=True, slots=True)
class PoolPlatform:
    """Who sells for a pool: the platform's party and the account its fee is paid to
    (the account a pool sell is placed on)."""

    party_id: str
    account_id: int


@dataclass(frozen=True, slots=True)
class PoolSaleFacts:
    """One fill of a pool sell, as the market knows it. The trade id is the sale id."""

    pool_id: str
    sale_id: str
    venue: str  # BOOK | BLOCK | AUCTION
    price_fen_per_t: int
    quantity_g: int
    buyer: int  # the buyer's account
    trade_fee_bps: int  # the market's fee, each side (``[fees] trade_fee_bps``)


class PoolSeller(Protocol):
    """What the market asks of the pools (see the module)."""

    def platform_of(self, uow: UnitOfWork, pool_id: str) -> PoolPlatform:
        """The pool's platform; ``unknown_pool`` if there is no such pool."""
        ...

    def free_g(self, uow: UnitOfWork, pool_id: str) -> int:
        """The pool's units neither sold nor withdrawn (its contributors' holds left)."""
        ...

    def floor_fen_per_t(self, uow: UnitOfWork, pool_id: str) -> int:
        """The lowest price any sale of the pool's units may have now: the highest floor
        among the terms its unsold units were deposited under (0: none)."""
        ...

    def contributes(self, uow: UnitOfWork, pool_id: str, account_id: int) -> bool:
        """Whether the account has unsold units in the pool (it cannot buy them back)."""
        ...

    def assets_of(self, uow: UnitOfWork, pool_id: str) -> frozenset[int]:
        """The batches (asset ids) of the pool's unsold units: what a sale may deliver."""
        ...

    def settle_plan(
        self,
        uow: UnitOfWork,
        sale: PoolSaleFacts,
        cash_holds: Sequence[tuple[int, int]],
        reserve_after_fen: int,
    ) -> tuple[Plan, Evidence]:
        """The ``pool_settle`` entry of ``sale`` and the pool's rows beside it.

        ``cash_holds``: the buyer's cash holds (hold id, remaining fen) that pay, oldest
        first; they keep ``reserve_after_fen`` (what the buy order still reserves) and
        release the rest. None: the buyer pays from its available cash. Refuses a price
        below the pool's floor (``below_floor``) or more than its free units
        (``exceeds_pool``).
        """
        ...


class NoPools:
    """The port of an app that has no pools: no pool is known."""

    def _unknown(self, pool_id: str) -> NotFound:
        return NotFound(f"no pool {pool_id!r}", code="unknown_pool")

    def platform_of(self, uow: UnitOfWork, pool_id: str) -> PoolPlatform:
        raise self._unknown(pool_id)

    def free_g(self, uow: UnitOfWork, pool_id: str) -> int:
        raise self._unknown(pool_id)

    def floor_fen_per_t(self, uow: UnitOfWork, pool_id: str) -> int:
        raise self._unknown(pool_id)

    def contributes(self, uow: UnitOfWork, pool_id: str, account_id: int) -> bool:
        raise self._unknown(pool_id)

    def assets_of(self, uow: UnitOfWork, pool_id: str) -> frozenset[int]:
        raise self._unknown(pool_id)

    def settle_plan(
        self,
        uow: UnitOfWork,
        sale: PoolSaleFacts,
        cash_holds: Sequence[tuple[int, int]],
        reserve_after_fen: int,
    ) -> tuple[Plan, Evidence]:
        raise self._unknown(sale.pool_id)
