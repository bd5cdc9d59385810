"""A pool sale at scale: the draw, the payout and the ``pool_settle`` plan on columns.

The same sale as ``allocation.draw`` + ``settle.plan_pool_settle`` make, computed on
numpy int64 columns so that one sale can pay ten million contributors: no Python
object per contributor, a few tens of bytes each. The answers are the same, number
for number (a test holds the two paths to identical postings, holds and lines):

- the draw: pro rata by the largest-remainder split of the grams over contributors
  (accounts ascending, each weighted by what they have left), oldest deposit first
  within one contributor; or FIFO by deposit id;
- the payout: the net split by the grams each contributor gave (``split_columns``, the
  twin of ``kernel.split``), the remainders kept;
- the postings: the buyer's, the fees', the credits delivered, then one cash posting
  per paid contributor (accounts ascending) and one frozen debit per (asset, account).

What differs is the entry's record of the draws: packed columns under
``operations.HOLDS_PACKED`` (hold id = deposit id, account, asset, −grams) instead of a
JSON object per draw and the payout's four columns. ``settle.check_pool_settle``
replays either form; the payout of the packed one it recomputes from the draws.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass

import numpy as np

from pctrade.kernel.errors import Conflict, ValidationError
from pctrade.kernel.split import largest_remainder
from pctrade.ledger.journal import JsonDict
from pctrade.ledger.model import CASH_ASSET, State
from pctrade.ledger.operations import HOLDS_PACKED, HoldChange, Plan, holds_payload
from pctrade.ledger.packed_np import Column, pack_np
from pctrade.ledger.postings import Postings
from pctrade.ledger.split_columns import fits, split_columns
from pctrade.pools.allocation import DrawOrder
from pctrade.pools.payout import SaleMoney, sale_money
from pctrade.pools.settle import (
    BuyerCash,
    PoolSale,
    _buyer_draws,
    _money_payload,
    _sale_facts,
    head_postings,
)


@dataclass(frozen=True, slots=True)
class LotColumns:
    """A pool's unsold deposits as columns, in deposit order (ascending deposit id)."""

    deposit_ids: Column  # = their ledger hold ids
    accounts: Column
    assets: Column
    remaining_g: Column
    versions: Column  # the terms version each deposit accepted

    def __len__(self) -> int:
        return len(self.deposit_ids)


@dataclass(frozen=True, slots=True)
class PayoutColumns:
    """The contributors' shares of one sale (accounts ascending)."""

    accounts: Column
    grams: Column
    net_fen: Column
    remainders: Column


def split(total: int, weights: Column) -> tuple[Column, Column]:
    """Amounts and remainders of ``kernel.split``'s rule, on columns where int64 is exact."""
    weight_sum = int(weights.sum(dtype=np.int64)) if len(weights) else 0
    if len(weights) and fits(total, weight_sum, int(weights.max())) and total > 0:
        amounts, remainders, _, _ = split_columns(total, weights)
        return amounts, remainders
    exact = largest_remainder(total, weights.tolist())  # its checks, and no int64 limit
    return np.asarray(exact.amounts, dtype=np.int64), np.asarray(exact.remainders, np.int64)


def draw_columns(lots: LotColumns, quantity_g: int, order: DrawOrder) -> Column:
    """``allocation.draw`` on columns: the grams taken from each lot, in lot order."""
    if quantity_g <= 0:
        raise ValidationError("a sale draws a positive quantity", code="non_positive")
    left = lots.remaining_g
    if len(left) and int(left.min()) < 0:
        raise ValidationError("a lot cannot hold a negative quantity", code="non_positive")
    ids = lots.deposit_ids
    if len(ids) > 1 and not bool(np.all(ids[1:] > ids[:-1])):
        raise ValidationError("lots come once each, in deposit order", code="bad_request")
    free = int(left.sum(dtype=np.int64))
    if quantity_g > free:
        raise Conflict(
            f"the pool has {free} g free; cannot sell {quantity_g} g", code="exceeds_pool"
        )
    if DrawOrder(order) is DrawOrder.FIFO:
        return _oldest_first(left, np.full(len(left), quantity_g, dtype=np.int64), None)
    accounts = lots.accounts
    if len(accounts) < 2 or bool(np.all(accounts[1:] > accounts[:-1])):
        # One lot per contributor, in account order (the common case): the lots are
        # the contributors, and each gives its share from its one deposit.
        return split(quantity_g, left)[0]
    owners, of_lot = np.unique(accounts, return_inverse=True)
    held = np.zeros(len(owners), dtype=np.int64)
    np.add.at(held, of_lot, left)
    live = held > 0
    shares = np.zeros(len(owners), dtype=np.int64)
    shares[live] = split(quantity_g, held[live])[0]
    return _oldest_first(left, shares[of_lot], of_lot)


def _oldest_first(left: Column, budget: Column, group: Column | None) -> Column:
    """Each lot's take when its group (a contributor; None: the whole pool) takes
    ``budget`` grams out of its lots in lot order: what the group's earlier lots did not
    cover, up to the lot's own."""
    if group is None:
        before = np.cumsum(left) - left
    else:
        order = np.argsort(group, kind="stable")  # by group, lot order within it
        sorted_left = left[order]
        running = np.cumsum(sorted_left) - sorted_left
        starts = np.searchsorted(group[order], group[order], side="left")
        before_sorted = running - running[starts]
        before = np.empty_like(left)
        before[order] = before_sorted
    return np.clip(budget - before, 0, left)


def contributions_columns(lots: LotColumns, drawn: Column) -> tuple[Column, Column]:
    """Grams given per contributor account (ascending, none with zero)."""
    taken = drawn > 0
    accounts, grams = lots.accounts[taken], drawn[taken]
    if len(accounts) < 2 or bool(np.all(accounts[1:] > accounts[:-1])):
        return accounts, grams
    owners, of_lot = np.unique(accounts, return_inverse=True)
    given = np.zeros(len(owners), dtype=np.int64)
    np.add.at(given, of_lot, grams)
    return owners, given


def pay_out_columns(net_fen: int, accounts: Column, grams: Column) -> PayoutColumns:
    """The net split by grams; refused (``payout_mismatch``) unless it adds up exactly."""
    if len(accounts) == 0:
        raise Conflict("the payout does not add up: no contributor", code="payout_mismatch")
    amounts, remainders = split(net_fen, grams)
    payout = PayoutColumns(accounts, grams, amounts, remainders)
    problem = _shares_problem(net_fen, payout)
    if problem:
        raise Conflict(f"the payout does not add up: {problem}", code="payout_mismatch")
    return payout


def _shares_problem(net_fen: int, payout: PayoutColumns) -> str | None:
    """``payout.check_shares``'s sum and bounds, on columns (the leftover order is the
    split's own, which a property test holds to ``kernel.split``)."""
    grams, amounts = payout.grams, payout.net_fen
    q = int(grams.sum(dtype=np.int64))
    if int(grams.min()) <= 0:
        return "a contributor who gave nothing"
    if int(amounts.sum(dtype=np.int64)) != net_fen:
        return f"shares sum to {int(amounts.sum())} fen, not {net_fen}"
    if not fits(net_fen + 1, q, int(grams.max())) or not fits(int(amounts.max()) + 1, q, q):
        return None  # beyond int64 the pure split made them, which checks itself
    if not bool(np.all(np.abs(amounts * q - grams * net_fen) < q)):
        return "a share is not within one fen of its exact value"
    return None


def plan_pool_settle_columns(
    sale: PoolSale, lots: LotColumns, drawn: Column, cash: BuyerCash
) -> tuple[Plan, PayoutColumns]:
    """``settle.plan_pool_settle`` on columns, and the payout it makes."""
    facts = _sale_facts(sale)
    if len(drawn) != len(lots):
        raise ValidationError("one draw per lot", code="bad_request")
    if len(drawn) and (bool(np.any(drawn < 0)) or bool(np.any(drawn > lots.remaining_g))):
        raise Conflict("a deposit cannot give more than it has free", code="exceeds_pool")
    taken = drawn > 0
    if bool(np.any(lots.assets[taken] == CASH_ASSET)):
        raise ValidationError("a pool holds credits, not cash", code="bad_asset")
    if int(drawn.sum(dtype=np.int64)) != sale.quantity_g:
        raise Conflict(
            f"the draws take {int(drawn.sum())} g for a sale of {sale.quantity_g} g",
            code="payout_mismatch",
        )
    money = sale_money(sale.price_fen_per_t, sale.quantity_g, sale.trade_fee_bps, sale.pool_fee_bps)
    if money.gross_fen <= 0:
        raise ValidationError("a sale of pool units moves cash", code="non_positive")
    accounts, grams = contributions_columns(lots, drawn)
    outsiders = np.array([sale.buyer, sale.platform_account], dtype=np.int64)
    if bool(np.isin(outsiders, accounts).any()):
        raise ValidationError(
            "the buyer and the platform are not contributors of the sale", code="same_account"
        )
    payout = pay_out_columns(money.net_fen, accounts, grams)
    cash_draws, released = _buyer_draws(cash, money)
    cash_holds = tuple(
        HoldChange(hold_id, sale.buyer, CASH_ASSET, -take) for hold_id, take in cash_draws
    )
    draws = {
        "hold_id": lots.deposit_ids[taken],
        "account": lots.accounts[taken],
        "asset_id": lots.assets[taken],
        "delta": -drawn[taken],
    }
    payload: JsonDict = {
        **facts,
        **_money_payload(money),
        "released_fen": released,
        "buyer_pays_from_holds": bool(cash.holds),
        "contributors": len(accounts),
        "holds": holds_payload(cash_holds),
        HOLDS_PACKED: pack_np(draws),
    }
    postings = _postings_columns(sale, money, payout, draws, cash_draws, released, cash)
    return Plan("pool_settle", payload, postings=postings, holds=cash_holds), payout


def _postings_columns(
    sale: PoolSale,
    money: SaleMoney,
    payout: PayoutColumns,
    draws: dict[str, Column],
    cash_draws: list[tuple[int, int]],
    released: int,
    cash: BuyerCash,
) -> Postings:
    """``settle._postings`` on columns: the head rows, the paid contributors' cash, and
    one frozen debit per (asset, account), ascending."""
    debit_accounts, debit_assets, debit_grams = _debits_by_asset_account(draws)
    delivered: dict[int, int] = {}
    for asset in np.unique(debit_assets).tolist():
        delivered[int(asset)] = int(debit_grams[debit_assets == asset].sum(dtype=np.int64))
    head = head_postings(
        sale.buyer,
        sale.platform_account,
        money,
        delivered,
        sum(take for _, take in cash_draws),
        released,
        bool(cash.holds),
    )
    paid = payout.net_fen > 0
    n_paid, n_debits = int(paid.sum()), len(debit_accounts)
    columns = (
        ([r.account_id for r in head], payout.accounts[paid], debit_accounts),
        ([r.asset_id for r in head], np.full(n_paid, CASH_ASSET), debit_assets),
        (
            [int(r.state) for r in head],
            np.full(n_paid, int(State.AVAILABLE)),
            np.full(n_debits, int(State.FROZEN)),
        ),
        ([r.delta for r in head], payout.net_fen[paid], -debit_grams),
    )
    return Postings(*(_column(*parts) for parts in columns))


def _column(head: list[int], *rest: Column) -> array[int]:
    joined = np.concatenate([np.asarray(head, dtype=np.int64), *rest]).astype("=i8")
    return array("q", joined.tobytes())


def _debits_by_asset_account(draws: dict[str, Column]) -> tuple[Column, Column, Column]:
    """The draws summed per (asset, account), ordered by asset then account."""
    accounts, assets, grams = draws["account"], draws["asset_id"], -draws["delta"]
    if len(accounts) < 2 or (
        bool(np.all(assets == assets[0])) and bool(np.all(accounts[1:] > accounts[:-1]))
    ):
        return accounts, assets, grams
    order = np.lexsort((accounts, assets))
    accounts, assets, grams = accounts[order], assets[order], grams[order]
    new = np.ones(len(accounts), dtype=bool)
    new[1:] = (accounts[1:] != accounts[:-1]) | (assets[1:] != assets[:-1])
    starts = np.flatnonzero(new)
    return accounts[starts], assets[starts], np.add.reduceat(grams, starts)
