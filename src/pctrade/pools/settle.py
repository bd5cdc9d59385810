"""A pool sale settled in one entry: delivery versus payment out of the contributors' holds.

``plan_pool_settle`` plans the ``pool_settle`` entry of one sale. Nothing leaves an
individual except against cash, and no contributor is ever left with units gone and no
payment recorded, because everything moves in that one entry (so the payout delay is
zero):

- each drawn deposit's hold is drawn down by the grams the draw order took from it
  (``allocation.draw``), and those frozen credits go to the buyer's available balance;
- the buyer pays gross + its trade fee, out of its cash holds (an order's reservation,
  drawn oldest first, the unused part released to its available balance, the rest kept
  as ``reserve_after_fen``) or, with no holds, out of its available cash;
- that cash pays each contributor their net share (``payout``), the platform the pool
  fee, and the fee account both trade fees.

The payload records the sale's facts and money, the hold changes (``holds``: for the
contributors' deposits, hold id, account, asset and −grams each: the draws) and the
payout as columns (``payout``: accounts, grams, net fen, remainders), so that one entry
carries a sale to millions of contributors. ``check_pool_settle`` replays it: it
recomputes the money from the price, quantity and rates, holds the payout to the exact
split of the net by the grams drawn (``payout.check_shares``), and requires the postings
to be exactly what those figures make (``payout_mismatch`` otherwise).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pctrade.kernel.errors import Conflict, PctradeError, ValidationError
from pctrade.kernel.limits import REFERENCE_LEN_MAX
from pctrade.kernel.split import largest_remainder
from pctrade.kernel.units import BPS
from pctrade.ledger.invariants import Problem, StoredEntry
from pctrade.ledger.journal import JsonDict
from pctrade.ledger.model import CASH_ASSET, State, SystemAccount
from pctrade.ledger.operations import (
    HOLDS_PACKED,
    HoldChange,
    Plan,
    checked_text,
    holds_payload,
)
from pctrade.ledger.packed import unpack
from pctrade.ledger.postings import BalanceKey, Posting, Postings
from pctrade.pools.allocation import Lot
from pctrade.pools.model import PoolOp
from pctrade.pools.payout import (
    Payout,
    SaleMoney,
    Splitter,
    check_shares,
    contributions,
    pay_out,
    sale_money,
)

VENUES = ("book", "block", "auction")
# A sale's ids are read by people and printed on statements: short text.
SALE_ID_LEN_MAX = 64


@dataclass(frozen=True, slots=True)
class PoolSale:
    """One sale of pool units, as the venue matched it."""

    pool_id: str
    sale_id: str
    venue: str  # "book" | "block" | "auction"
    price_fen_per_t: int
    quantity_g: int
    buyer: int  # the buyer's account
    platform_account: int  # paid the pool fee
    pool_fee_bps: int  # the terms' fee
    trade_fee_bps: int  # the market's fee, each side, to SystemAccount.FEES


@dataclass(frozen=True, slots=True)
class BuyerCash:
    """Where the buyer's cash comes from: its cash holds, or (none) its available cash."""

    holds: Sequence[tuple[int, int]] = ()  # (hold id, remaining fen), drawn in this order
    reserve_after_fen: int = 0  # what those holds keep afterwards


def plan_pool_settle(
    sale: PoolSale,
    lots: Sequence[Lot],
    drawn_g: Sequence[int],
    cash: BuyerCash,
    split: Splitter = largest_remainder,
) -> Plan:
    """The ``pool_settle`` entry of ``sale``, which took ``drawn_g[i]`` from ``lots[i]``."""
    facts = _sale_facts(sale)
    _check_draws(sale, lots, drawn_g)
    money = sale_money(sale.price_fen_per_t, sale.quantity_g, sale.trade_fee_bps, sale.pool_fee_bps)
    if money.gross_fen <= 0:
        raise ValidationError("a sale of pool units moves cash", code="non_positive")
    accounts, grams = contributions([lot.account_id for lot in lots], drawn_g)
    if {sale.buyer, sale.platform_account} & set(accounts):
        raise ValidationError(
            "the buyer and the platform are not contributors of the sale", code="same_account"
        )
    payout = pay_out(money.net_fen, accounts, grams, split)
    cash_draws, released = _buyer_draws(cash, money)
    holds = tuple(
        [
            HoldChange(lot.deposit_id, lot.account_id, lot.asset_id, -d)
            for lot, d in zip(lots, drawn_g, strict=True)
            if d
        ]
        + [HoldChange(hold_id, sale.buyer, CASH_ASSET, -take) for hold_id, take in cash_draws]
    )
    payload: JsonDict = {
        **facts,
        **_money_payload(money),
        "released_fen": released,
        "buyer_pays_from_holds": bool(cash.holds),
        "contributors": len(accounts),
        "holds": holds_payload(holds),
        "payout": {
            "accounts": payout.accounts,
            "grams": payout.grams,
            "net_fen": payout.net_fen,
            "remainders": payout.remainders,
        },
    }
    credits = [(h.account_id, h.asset_id, -h.delta) for h in holds if h.asset_id != CASH_ASSET]
    cash_drawn = sum(take for _, take in cash_draws)
    postings = _postings(
        sale.buyer,
        sale.platform_account,
        money,
        payout,
        credits,
        cash_drawn,
        released,
        bool(cash.holds),
    )
    return Plan(PoolOp.POOL_SETTLE, payload, postings=postings, holds=holds)


def _sale_facts(sale: PoolSale) -> JsonDict:
    if sale.venue not in VENUES:
        raise ValidationError(f"venue {sale.venue!r} is not one of {VENUES}", code="bad_request")
    if sale.quantity_g <= 0 or sale.price_fen_per_t <= 0:
        raise ValidationError("a sale has a positive price and quantity", code="non_positive")
    if not (0 <= sale.pool_fee_bps <= BPS and 0 <= sale.trade_fee_bps <= BPS):
        raise ValidationError("a fee is between 0 and 10,000 bps", code="bad_request")
    if sale.buyer == sale.platform_account:
        raise ValidationError("the platform cannot buy its pool's units", code="same_account")
    return {
        "pool": checked_text(sale.pool_id, "pool", REFERENCE_LEN_MAX),
        "sale": checked_text(sale.sale_id, "sale", SALE_ID_LEN_MAX),
        "venue": sale.venue,
        "price_fen_per_t": sale.price_fen_per_t,
        "quantity_g": sale.quantity_g,
        "buyer": sale.buyer,
        "platform": sale.platform_account,
        "pool_fee_bps": sale.pool_fee_bps,
        "trade_fee_bps": sale.trade_fee_bps,
    }


def _check_draws(sale: PoolSale, lots: Sequence[Lot], drawn_g: Sequence[int]) -> None:
    if len(drawn_g) != len(lots):
        raise ValidationError("one draw per lot", code="bad_request")
    for lot, d in zip(lots, drawn_g, strict=True):
        if d < 0 or d > lot.remaining_g:
            raise Conflict(
                f"deposit {lot.deposit_id} has {lot.remaining_g} g free; cannot draw {d} g",
                code="exceeds_pool",
            )
        if d and lot.asset_id == CASH_ASSET:
            raise ValidationError("a pool holds credits, not cash", code="bad_asset")
    if sum(drawn_g) != sale.quantity_g:
        raise Conflict(
            f"the draws take {sum(drawn_g)} g for a sale of {sale.quantity_g} g",
            code="payout_mismatch",
        )


def _buyer_draws(cash: BuyerCash, money: SaleMoney) -> tuple[list[tuple[int, int]], int]:
    """The buyer's cash holds drawn (oldest first) and the fen released to it."""
    due = money.gross_fen + money.buyer_fee_fen
    if not cash.holds:
        return [], 0
    held = sum(remaining for _, remaining in cash.holds)
    drawn = held - cash.reserve_after_fen
    released = drawn - due
    if cash.reserve_after_fen < 0 or released < 0:
        raise Conflict("the buyer's holds cannot pay the sale", code="exceeds_hold")
    draws: list[tuple[int, int]] = []
    for hold_id, remaining in cash.holds:
        take = min(remaining, drawn)
        if take:
            draws.append((hold_id, take))
            drawn -= take
    return draws, released


def _money_payload(money: SaleMoney) -> JsonDict:
    return {
        "gross_fen": money.gross_fen,
        "buyer_fee_fen": money.buyer_fee_fen,
        "seller_fee_fen": money.seller_fee_fen,
        "pool_fee_fen": money.pool_fee_fen,
        "net_fen": money.net_fen,
    }


def _postings(
    buyer: int,
    platform: int,
    money: SaleMoney,
    payout: Payout,
    credits: Sequence[tuple[int, int, int]],
    cash_drawn_fen: int,
    released_fen: int,
    from_holds: bool,
) -> Postings:
    """What the sale moves; the planner writes these and replay expects exactly them.

    Built straight into columns, as ``Postings.fan_out`` does: a sale to millions of
    contributors has two postings each, and a ``Posting`` object apiece would cost more
    than the rest of the plan.
    """
    given: dict[tuple[int, int], int] = {}
    delivered: dict[int, int] = {}
    for account, asset, grams in credits:
        given[(account, asset)] = given.get((account, asset), 0) + grams
        delivered[asset] = delivered.get(asset, 0) + grams
    rows = head_postings(
        buyer, platform, money, delivered, cash_drawn_fen, released_fen, from_holds
    )
    # The draws by (asset, account): each asset's frozen debits one ascending run, as
    # the columnar plan (``pools.sale_columns``) writes them too.
    given = dict(sorted(given.items(), key=lambda item: (item[0][1], item[0][0])))
    paid = [(a, fen) for a, fen in zip(payout.accounts, payout.net_fen, strict=True) if fen]
    columns = (
        [r.account_id for r in rows] + [a for a, _ in paid] + [a for a, _ in given],
        [r.asset_id for r in rows] + [CASH_ASSET] * len(paid) + [s for _, s in given],
        [int(r.state) for r in rows]
        + [int(State.AVAILABLE)] * len(paid)
        + [int(State.FROZEN)] * len(given),
        [r.delta for r in rows] + [fen for _, fen in paid] + [-g for g in given.values()],
    )
    try:
        return Postings(*(array("q", column) for column in columns))
    except OverflowError as exc:
        raise ValidationError("a quantity is beyond the 64-bit range", code="out_of_range") from exc


def head_postings(
    buyer: int,
    platform: int,
    money: SaleMoney,
    delivered: dict[int, int],
    cash_drawn_fen: int,
    released_fen: int,
    from_holds: bool,
) -> list[Posting]:
    """A sale's postings before the contributors': the buyer's cash, the pool fee, the
    trade fees, and the credits delivered to the buyer (per asset, ascending)."""
    rows: list[Posting] = []
    if from_holds:
        rows.append(Posting(buyer, CASH_ASSET, State.FROZEN, -cash_drawn_fen))
        if released_fen:
            rows.append(Posting(buyer, CASH_ASSET, State.AVAILABLE, released_fen))
    else:
        due = money.gross_fen + money.buyer_fee_fen
        rows.append(Posting(buyer, CASH_ASSET, State.AVAILABLE, -due))
    if money.pool_fee_fen:
        rows.append(Posting(platform, CASH_ASSET, State.AVAILABLE, money.pool_fee_fen))
    trade_fees = money.buyer_fee_fen + money.seller_fee_fen
    if trade_fees:
        rows.append(Posting(SystemAccount.FEES, CASH_ASSET, State.AVAILABLE, trade_fees))
    rows.extend(Posting(buyer, s, State.AVAILABLE, g) for s, g in sorted(delivered.items()))
    return rows


def check_pool_settle(entry: StoredEntry) -> Iterator[Problem]:
    """Replay: the money, the payout and every posting follow from the payload's facts."""
    seq = entry.header.seq
    try:
        problem = _settle_problem(entry.header.payload, entry.postings)
    except (KeyError, TypeError, ValueError, PctradeError):
        problem = "the payload lacks a pool sale's figures"
    if problem:
        yield Problem("payout_mismatch", f"pool sale: {problem}", seq)


def _settle_problem(p: dict[str, Any], postings: Postings) -> str | None:
    money = sale_money(
        int(p["price_fen_per_t"]),
        int(p["quantity_g"]),
        int(p["trade_fee_bps"]),
        int(p["pool_fee_bps"]),
    )
    if _money_payload(money) != {k: p[k] for k in _money_payload(money)}:
        return "its money is not what the price, quantity and rates make"
    buyer = int(p["buyer"])
    credits: list[tuple[int, int, int]] = []
    cash_drawn = 0
    for h in p["holds"]:
        account, asset, delta = int(h["account"]), int(h["asset_id"]), int(h["delta"])
        if asset == CASH_ASSET and account == buyer:
            cash_drawn -= delta
        else:
            credits.append((account, asset, -delta))
    if HOLDS_PACKED in p:
        # The columnar form records the contributors' draws packed, and no payout
        # columns: the payout is recomputed here, by the rule, from the draws.
        credits.extend(_packed_credits(p[HOLDS_PACKED]))
        given = contributions([a for a, _, _ in credits], [g for _, _, g in credits])
        payout = pay_out(money.net_fen, *given)
    else:
        c = p["payout"]
        payout = Payout(
            [int(x) for x in c["accounts"]],
            [int(x) for x in c["grams"]],
            [int(x) for x in c["net_fen"]],
            [int(x) for x in c["remainders"]],
        )
    shares_problem = check_shares(money.net_fen, payout)
    if shares_problem:
        return shares_problem
    drawn_accounts, drawn_grams = contributions(
        [a for a, _, _ in credits], [g for _, _, g in credits]
    )
    if (drawn_accounts, drawn_grams) != (payout.accounts, payout.grams):
        return "the payout's grams are not the draws'"
    if sum(drawn_grams) != int(p["quantity_g"]):
        return "the draws do not add up to the sale"
    expected = _postings(
        buyer,
        int(p["platform"]),
        money,
        payout,
        credits,
        cash_drawn,
        int(p["released_fen"]),
        bool(p["buyer_pays_from_holds"]),
    )
    if _net(expected) != _net(postings):
        return "its postings are not what its figures make"
    return None


def _packed_credits(packed: JsonDict) -> Iterator[tuple[int, int, int]]:
    """(account, asset, grams) of each packed draw (``operations.HOLDS_PACKED``)."""
    drawn = unpack(packed, ("account", "asset_id", "delta"))
    for account, asset, delta in zip(
        drawn["account"], drawn["asset_id"], drawn["delta"], strict=True
    ):
        if asset == CASH_ASSET:
            raise ValueError("a pool holds credits, not cash")
        yield account, asset, -delta


def _net(postings: Postings) -> dict[BalanceKey, int]:
    return {k: v for k, v in postings.net_by_key().items() if v}
