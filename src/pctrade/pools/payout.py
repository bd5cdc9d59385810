"""The exact payout of a pool sale: every contributor's fen, nothing lost or made up.

The money of one sale (DESIGN §6, issue 14 item 4):

    gross     = price × quantity / 10^6                        ``market.model.cash_fen``
    trade fee = gross × trade_fee_bps // 10^4 on each side     ``market.model.fee_fen``
    proceeds  = gross − the seller's trade fee
    pool fee  = proceeds × pool_fee_bps // 10^4                (rounded down: never above
                                                                the disclosed rate)
    net       = proceeds − pool fee

``net`` is then shared among the contributors whose units the sale took, in proportion
to the grams each gave (one share per contributor account, accounts ascending), by the
largest-remainder method (``kernel.split``): the shares sum to ``net`` to the fen, each
is within one fen of its exact value ``net × g_i / q``, a leftover fen goes to the
largest remainder and ties to the lower account id. The remainders (numerators over
``q`` that the floor dropped) are kept, because the registry records why each share is
what it is.

Each contributor's gross and fee shares are the same split applied to the gross and to
the fees (trade fee + pool fee), for their statement; they are informative and sum to
the sale's gross and fees exactly, and gross share − fee share is their net share only
up to the independent roundings, which is why the payout itself splits ``net`` alone.

The split is injected (``Splitter``): the pure ``kernel.split.largest_remainder`` here,
its numpy twin ``ledger.split_columns.largest_remainder_np`` in the use case for
millions of contributors. Whatever computed it, ``check_shares`` holds the answer to
the rule before anything is planned (``payout_mismatch``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pctrade.kernel.errors import Conflict
from pctrade.kernel.split import Split, largest_remainder
from pctrade.kernel.units import BPS
from pctrade.market.model import cash_fen, fee_fen

Splitter = Callable[[int, Sequence[int]], Split]


@dataclass(frozen=True, slots=True)
class SaleMoney:
    """The figures of one sale, in fen."""

    gross_fen: int
    buyer_fee_fen: int
    seller_fee_fen: int
    pool_fee_fen: int
    net_fen: int

    @property
    def fees_fen(self) -> int:
        """What the contributors bear: the seller's trade fee and the pool fee."""
        return self.seller_fee_fen + self.pool_fee_fen


def sale_money(
    price_fen_per_t: int, quantity_g: int, trade_fee_bps: int, pool_fee_bps: int
) -> SaleMoney:
    gross = cash_fen(price_fen_per_t, quantity_g)
    trade_fee = fee_fen(gross, trade_fee_bps)
    proceeds = gross - trade_fee
    pool_fee = proceeds * pool_fee_bps // BPS
    return SaleMoney(gross, trade_fee, trade_fee, pool_fee, proceeds - pool_fee)


@dataclass(frozen=True, slots=True)
class Payout:
    """The contributors' shares of one sale, as columns (accounts ascending)."""

    accounts: list[int]
    grams: list[int]  # what each gave in this sale
    net_fen: list[int]
    remainders: list[int]  # numerators over sum(grams) that the floor dropped


def contributions(accounts: Sequence[int], drawn_g: Sequence[int]) -> tuple[list[int], list[int]]:
    """Grams given per contributor account (accounts ascending, none with zero)."""
    given: dict[int, int] = {}
    for account, grams in zip(accounts, drawn_g, strict=True):
        if grams:
            given[account] = given.get(account, 0) + grams
    ordered = sorted(given)
    return ordered, [given[a] for a in ordered]


def pay_out(
    net_fen: int,
    accounts: Sequence[int],
    grams: Sequence[int],
    split: Splitter = largest_remainder,
) -> Payout:
    """``net_fen`` shared by grams given; refused (``payout_mismatch``) unless exact."""
    result = split(net_fen, grams)
    payout = Payout(list(accounts), list(grams), list(result.amounts), list(result.remainders))
    problem = check_shares(net_fen, payout)
    if problem:
        raise Conflict(f"the payout does not add up: {problem}", code="payout_mismatch")
    return payout


def check_shares(net_fen: int, payout: Payout) -> str | None:
    """Why ``payout`` is not the exact split of ``net_fen`` by its grams, or None.

    The properties the issue states, checked on the numbers alone: the shares sum to
    ``net_fen``; each share × q differs from net × g by exactly its remainder, or by
    remainder − q for a share that got a leftover fen (so within one fen of exact); and
    the leftover fens went to the largest remainders, ties to the earlier account.
    """
    n = len(payout.accounts)
    if not (len(payout.grams) == len(payout.net_fen) == len(payout.remainders) == n):
        return "columns differ in length"
    if any(b <= a for a, b in zip(payout.accounts, payout.accounts[1:], strict=False)):
        return "accounts are not strictly ascending"
    if n == 0 or min(payout.grams) <= 0:
        return "no contributor, or one who gave nothing"
    if sum(payout.net_fen) != net_fen:
        return f"shares sum to {sum(payout.net_fen)} fen, not {net_fen}"
    q = sum(payout.grams)
    up = [False] * n
    for i, (g, share, r) in enumerate(
        zip(payout.grams, payout.net_fen, payout.remainders, strict=True)
    ):
        if not 0 <= r < q:
            return f"remainder of account {payout.accounts[i]} is out of range"
        off = net_fen * g - share * q  # = r, or r − q when the share was rounded up
        if off == r - q:
            up[i] = True
        elif off != r:
            return (
                f"share of account {payout.accounts[i]} is not its exact value's floor or ceiling"
            )
    return _leftover_problem(payout, up)


def _leftover_problem(payout: Payout, up: Sequence[bool]) -> str | None:
    """The rounded-up shares are the first ones by (-remainder, position), in one pass:
    no share left down has a larger remainder than the smallest one rounded up, nor an
    equal one at an earlier position."""
    rounded = [(r, i) for i, (r, u) in enumerate(zip(payout.remainders, up, strict=True)) if u]
    if not rounded:
        return None
    least = min(r for r, _ in rounded)
    last_at_least = max(i for r, i in rounded if r == least)
    for i, (r, u) in enumerate(zip(payout.remainders, up, strict=True)):
        if not u and (r > least or (r == least and i < last_at_least)):
            return "the leftover fens did not go to the largest remainders"
    return None


def statement_shares(total_fen: int, grams: Sequence[int]) -> list[int]:
    """A sale-wide amount (its gross, its fees) per contributor, for their statements."""
    if total_fen == 0:
        return [0] * len(grams)
    return largest_remainder(total_fen, grams).amounts
