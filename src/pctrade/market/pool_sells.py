"""A pool's sells through the market: who may place them, how many units, how they settle.

A pool sell (an order of the book, a block proposal, an auction's offer) is placed by
the pool's platform on the platform's own account (the account its fee is paid to), for
pool ``P``. Nothing is frozen for it: the units are the contributors', in the pool's
holds, and only a buyer's cash may take them out (``pool_seller``). Its reservation is
therefore a claim on the pool's free units, and the market keeps the claims within
them: a pool sell is refused (``exceeds_pool``) above the pool's free units less what
the pool's open sells — open orders' remaining, open block proposals and auctions, on
every contract — still claim (``market.queries.pool_committed_g``). The pools ask the
same figure before a withdrawal (their ``committed_g`` hook), so a contributor cannot
take back units an open sell counts on.

Each fill settles in one ``pool_settle`` entry the pools plan (``PoolSeller.settle_plan``),
with the market's trade row written beside the pool's own rows; the market checks that
the entry delivers the contract's credits to the buyer, and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pctrade.kernel.errors import Conflict, Forbidden, ValidationError
from pctrade.ledger.journal import JsonDict
from pctrade.ledger.model import CASH_ASSET, Account, Party
from pctrade.ledger.operations import Plan
from pctrade.ledger.ports import UnitOfWork
from pctrade.ledger.postings import Postings
from pctrade.ledger.write import Evidence, acting_party
from pctrade.market.frame import _fixed, _Run
from pctrade.market.pool_seller import POOL_ID_LEN_MAX, PoolSaleFacts
from pctrade.market.queries import pool_committed_g

if TYPE_CHECKING:
    from pctrade.market.service import Market


def pool_id_of(value: Any) -> str:
    """A pool id as a command names it (printable text of a bounded length)."""
    if not isinstance(value, str) or not 0 < len(value) <= POOL_ID_LEN_MAX:
        raise ValidationError(f"a pool id is 1 to {POOL_ID_LEN_MAX} characters", code="bad_request")
    if not value.isprintable():
        raise ValidationError("a pool id is printable text", code="bad_request")
    return value


def require_platform(m: Market, run: _Run, pool_id: str, account: Account) -> Party:
    """The acting platform of ``pool_id`` selling on its own account; its party."""
    platform = m.pools.platform_of(run.uow, pool_id)
    who = acting_party(run.uow, run.actor)
    if who.party_id != platform.party_id or account.account_id != platform.account_id:
        raise Forbidden(
            f"only {pool_id}'s platform sells its units, on its account {platform.account_id}",
            code="not_pool_platform",
        )
    return who


def require_free(m: Market, run: _Run, pool_id: str, quantity_g: int, already_g: int = 0) -> None:
    """Refuse a pool sell of ``quantity_g`` above the pool's free units less the claims of
    its open sells; ``already_g``: what the sell being changed claims already (an amend)."""
    run.flush()  # the claims are read from the market's rows, this command's included
    free = m.pools.free_g(run.uow, pool_id)
    claimed = pool_committed_g(run.uow, pool_id) - already_g
    if quantity_g > free - claimed:
        raise Conflict(
            f"{pool_id} has {free} g free, {claimed} g of them claimed by its open sells: "
            f"it cannot sell {quantity_g} g more",
            code="exceeds_pool",
        )


def require_of_contract(m: Market, run: _Run, pool_id: str) -> None:
    """Refuse a pool sell on a contract whose batches are not all the pool holds: a fill
    delivers from every unsold deposit the draw reaches, so a pool that holds another
    contract's units could not settle it (``pool_not_of_contract``, which each fill's
    settlement checks again, ``_require_delivery``)."""
    foreign = sorted(
        a for a in m.pools.assets_of(run.uow, pool_id) if not m.holdings.of_contract(run, a)
    )
    if foreign:
        raise Conflict(
            f"{pool_id} holds units that are not {run.code}'s (batches {foreign})",
            code="pool_not_of_contract",
        )


def require_floor(m: Market, run: _Run, pool_id: str, price_fen_per_t: int) -> None:
    """Refuse a pool sell priced below the pool's floor: a sell's fills are at its limit
    or better, so one at or above the floor never sells below it (``below_floor``)."""
    floor = m.pools.floor_fen_per_t(run.uow, pool_id)
    if price_fen_per_t < floor:
        raise Conflict(
            f"{price_fen_per_t} fen/t is below {pool_id}'s floor of {floor} fen/t",
            code="below_floor",
        )


@dataclass(frozen=True, slots=True)
class _TradeBeside:
    """The pool's rows beside a ``pool_settle`` entry, then the market's trade row."""

    pool: Evidence
    trade: Callable[[UnitOfWork, Any], None]

    @property
    def facts(self) -> JsonDict | None:
        return self.pool.facts

    def write(self, uow: UnitOfWork, entry: Any) -> None:
        self.pool.write(uow, entry)
        self.trade(uow, entry)


def settle(
    m: Market,
    run: _Run,
    sale: PoolSaleFacts,
    cash_holds: Sequence[tuple[int, int]],
    reserve_after_fen: int,
    trade_row: Callable[[UnitOfWork, Any], None],
) -> Plan:
    """One fill of a pool sell: the ``pool_settle`` entry, the pool's rows and the trade row
    beside it, in the command's transaction; the plan written."""
    plan, evidence = m.pools.settle_plan(run.uow, sale, cash_holds, reserve_after_fen)
    _require_delivery(m, run, sale, plan.postings)
    run.entry("settle", _fixed(plan), _TradeBeside(evidence, trade_row))
    return plan


def _positions(column: Sequence[int], value: int) -> list[int]:
    """Where ``value`` is in ``column``, found by its C ``count`` and ``index``."""
    found: list[int] = []
    start = 0
    for _ in range(column.count(value)):
        start = column.index(value, start) + 1
        found.append(start - 1)
    return found


def _require_delivery(m: Market, run: _Run, sale: PoolSaleFacts, postings: Postings) -> None:
    """The entry must deliver exactly the sale's grams to the buyer, all of the contract:
    a pool that holds other batches cannot deliver them under this contract's name."""
    delivered = 0
    for i in _positions(postings.accounts, sale.buyer):  # a few of millions of postings
        asset, delta = postings.assets[i], postings.deltas[i]
        if asset != CASH_ASSET and delta > 0:
            if not m.holdings.of_contract(run, asset):
                raise Conflict(
                    f"{sale.pool_id} holds units that are not {run.code}'s",
                    code="pool_not_of_contract",
                )
            delivered += delta
    if delivered != sale.quantity_g:
        raise Conflict(
            f"{sale.pool_id}'s settlement delivers {delivered} g, the fill {sale.quantity_g} g",
            code="pool_settlement_mismatch",
        )
