"""The market's pure rules: contracts, the trading clock, money per trade, settlement.

Contracts
    A contract is the set of batches that trade as one: by default instrument,
    jurisdiction and vintage (the rule set's ``[trading] contract_key``), coded
    ``PCER-GD-2026`` (with the project when the key names it: ``PCER-GD-AFF0007-2026``).
    The registry operator or the regulator lists a contract explicitly (``Market.list``),
    naming the rule set (``market``, e.g. ``CN``) whose ``[trading]``, ``[fees]`` and
    ``[eligibility]`` govern it; a batch belongs to it when its denomination has the
    contract's key. Explicit listing keeps trading a decision of the market's operator,
    never a side effect of an issuance.

Money per trade
    A fill of ``q`` g at ``p`` fen/t moves ``p × q / 1,000,000`` fen. A contract is only
    listed when its tick × lot is a whole number of fen per 1,000,000 (``exact_cash``),
    so every trade's cash is exact and nothing is rounded there. The fee is
    ``trade_fee_bps`` of that cash on each side, **rounded down to the fen** (in the
    participant's favour: the exchange never charges above its rate; the fractions it
    forgoes are its own). The buyer pays cash + fee; the seller receives cash − fee; the
    fee account receives both fees.

Reservations (holds of reason ``order``)
    A buy of ``r`` g at limit ``L`` is funded by ``reserve_fen(L, r) = cash + fee``; a
    sell by ``r`` g of credits. Because the fee is rounded down, the reservation of a
    whole is at least the sum of its parts', so after any fill at ``p ≤ L`` what the
    hold still has covers the reservation of what remains; a settlement releases the
    excess (price improvement, unused fee) at once. Hence the invariant ``verify``
    checks: an open order's holds have exactly its reservation left, a closed order's
    nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum

from pctrade.kernel.errors import Conflict, ValidationError
from pctrade.kernel.units import BPS
from pctrade.ledger.invariants import Problem, StoredEntry
from pctrade.ledger.model import CASH_ASSET, AccountId, AssetId, Denomination, State, SystemAccount
from pctrade.ledger.operations import HoldChange, Plan, holds_payload
from pctrade.ledger.postings import Posting, Postings

G_PER_T = 1_000_000
CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")
# An order's holds are referenced ``mkt:<contract>:<order id>`` (``ledger`` holds).
HOLD_PREFIX = "mkt:"


class MarketOp(StrEnum):
    """The market's op types: the strings the journal records, never renamed."""

    TRADE_SETTLE = "trade_settle"
    AUCTION_SETTLE = "auction_settle"  # one winning bid of a one-way auction (venue_model)


# A fill of a pool's sell settles as the pools' ``pool_settle`` (``market.pool_seller``):
# the pools register the op type and its replay check; the market records the trade.
POOL_SETTLE = "pool_settle"


def contract_code(key: Sequence[str], denomination: Denomination) -> str:
    """The code of the contract a batch belongs to under the fungibility ``key``."""
    parts = {
        "instrument": str(denomination.instrument),
        "jurisdiction": denomination.jurisdiction,
        "project": denomination.project,
        "vintage": denomination.vintage,
    }
    return "-".join(
        parts[f] for f in ("instrument", "jurisdiction", "project", "vintage") if f in key
    )


def exact_cash(price_step_fen_per_t: int, quantity_step_g: int) -> bool:
    return price_step_fen_per_t * quantity_step_g % G_PER_T == 0


def cash_fen(price_fen_per_t: int, quantity_g: int) -> int:
    """Exact for a listed contract (``exact_cash``); rounded down otherwise."""
    return price_fen_per_t * quantity_g // G_PER_T


def fee_fen(cash: int, fee_bps: int) -> int:
    """One side's fee: ``fee_bps`` of the cash, rounded down to the fen."""
    return cash * fee_bps // BPS


def reserve_fen(price_fen_per_t: int, quantity_g: int, fee_bps: int) -> int:
    """What a buy of ``quantity_g`` at ``price_fen_per_t`` keeps frozen: cash and fee."""
    cash = cash_fen(price_fen_per_t, quantity_g)
    return cash + fee_fen(cash, fee_bps)


def local_time(at: datetime) -> tuple[date, int]:
    """The trading day and the second after midnight of ``at``, China Standard Time."""
    local = at.astimezone(CHINA_STANDARD_TIME)
    return local.date(), local.hour * 3_600 + local.minute * 60 + local.second


# How far back ``resale_window`` looks for trading days: a year holds far more than any
# resale delay a rule set states (``[trading] resale_delay_days`` is at most 30).
RESALE_LOOKBACK_DAYS_MAX = 366


def resale_window(day: date, delay_days: int, is_trading_day: Callable[[date], bool]) -> list[date]:
    """The days whose purchases cannot be sold on ``day`` under T+``delay_days``.

    Units bought on a trading day may be sold from the ``delay_days``-th trading day
    after it, counted on the calendar (weekends and holidays do not count): so on ``day``
    those bought on ``day`` itself and on the ``delay_days - 1`` trading days before it
    are not sold yet. T+0: none; T+1: ``day`` only; T+2 on a Monday: Monday and the
    Friday before (or the last trading day before it, across holidays).
    """
    if delay_days <= 0:
        return []
    days = [day]
    back = day
    for _ in range(RESALE_LOOKBACK_DAYS_MAX):
        if len(days) == delay_days:
            break
        back -= timedelta(days=1)
        if is_trading_day(back):
            days.append(back)
    return days


@dataclass(frozen=True, slots=True)
class Held:
    """One of an order's holds, as the settlement draws it (read by the service)."""

    hold_id: int
    asset_id: AssetId
    remaining: int


@dataclass(frozen=True, slots=True)
class Trade:
    """A fill as the settlement records it (the ``market_trades`` row's facts)."""

    trade_id: str
    contract: str
    price_fen_per_t: int
    quantity_g: int
    fee_bps: int
    buyer: AccountId
    seller: AccountId


def _draw(holds: Sequence[Held], amount: int) -> list[tuple[Held, int]]:
    """``amount`` out of ``holds``, oldest first: (hold, how much) for each touched."""
    out: list[tuple[Held, int]] = []
    for held in holds:
        if amount == 0:
            break
        take = min(held.remaining, amount)
        if take:
            out.append((held, take))
            amount -= take
    if amount:
        raise Conflict("an order's holds have less left than the trade", code="exceeds_hold")
    return out


def plan_trade_settle(
    trade: Trade, buyer_holds: Sequence[Held], seller_holds: Sequence[Held], reserve_after_fen: int
) -> Plan:
    """One fill, delivery versus payment, in one entry.

    The seller's frozen credits (drawn oldest hold first, one batch or several) go to
    the buyer; the buyer's frozen cash pays the seller the cash less the seller's fee,
    pays both fees to the fee account, and releases what the buy order no longer needs
    (its hold keeps ``reserve_after_fen``, the reservation of what is still open).
    """
    if trade.buyer == trade.seller:
        raise ValidationError("a trade needs two accounts", code="same_account")
    cash = cash_fen(trade.price_fen_per_t, trade.quantity_g)
    buyer_fee, seller_fee = fee_fen(cash, trade.fee_bps), fee_fen(cash, trade.fee_bps)
    held_fen = sum(h.remaining for h in buyer_holds)
    drawn_fen = held_fen - reserve_after_fen
    released = drawn_fen - cash - buyer_fee
    if released < 0 or cash <= 0:
        raise Conflict("the buy order's holds cannot pay the trade", code="exceeds_hold")
    cash_draws = _draw(buyer_holds, drawn_fen)
    credit_draws = _draw(seller_holds, trade.quantity_g)
    rows = [
        Posting(trade.buyer, CASH_ASSET, State.FROZEN, -drawn_fen),
        Posting(trade.seller, CASH_ASSET, State.AVAILABLE, cash - seller_fee),
    ]
    if released:
        rows.append(Posting(trade.buyer, CASH_ASSET, State.AVAILABLE, released))
    if buyer_fee + seller_fee:
        rows.append(
            Posting(SystemAccount.FEES, CASH_ASSET, State.AVAILABLE, buyer_fee + seller_fee)
        )
    delivered: dict[AssetId, int] = {}
    for held, take in credit_draws:
        delivered[held.asset_id] = delivered.get(held.asset_id, 0) + take
    for asset_id, amount in sorted(delivered.items()):
        rows.append(Posting(trade.seller, asset_id, State.FROZEN, -amount))
        rows.append(Posting(trade.buyer, asset_id, State.AVAILABLE, amount))
    holds = tuple(
        [HoldChange(h.hold_id, trade.buyer, CASH_ASSET, -take) for h, take in cash_draws]
        + [HoldChange(h.hold_id, trade.seller, h.asset_id, -take) for h, take in credit_draws]
    )
    payload = {
        "trade": trade.trade_id,
        "contract": trade.contract,
        "price_fen_per_t": trade.price_fen_per_t,
        "quantity_g": trade.quantity_g,
        "cash_fen": cash,
        "fee_bps": trade.fee_bps,
        "buyer_fee_fen": buyer_fee,
        "seller_fee_fen": seller_fee,
        "released_fen": released,
        "buyer": trade.buyer,
        "seller": trade.seller,
        "holds": holds_payload(holds),
    }
    return Plan(MarketOp.TRADE_SETTLE, payload, postings=Postings.of(rows), holds=holds)


def check_settlement(entry: StoredEntry) -> Iterator[Problem]:
    """Replay: the entry moved what its payload says, at the payload's price and fee."""
    p = entry.header.payload
    seq = entry.header.seq
    try:
        buyer, seller = int(p["buyer"]), int(p["seller"])
        cash, qty = int(p["cash_fen"]), int(p["quantity_g"])
        fees = int(p["buyer_fee_fen"]) + int(p["seller_fee_fen"])
        bps = int(p["fee_bps"])
        price = int(p["price_fen_per_t"])
    except (KeyError, TypeError, ValueError):
        yield Problem("market_settlement_mismatch", "the payload lacks a trade's figures", seq)
        return
    gained: dict[tuple[int, int, int], int] = {}
    for x in entry.postings:
        gained[(x.account_id, x.asset_id, x.state)] = (
            gained.get((x.account_id, x.asset_id, x.state), 0) + x.delta
        )
    delivered = sum(
        d for (a, asset, s), d in gained.items() if a == buyer and asset != CASH_ASSET and d > 0
    )
    expected = (
        cash == cash_fen(price, qty)
        and int(p["buyer_fee_fen"]) == int(p["seller_fee_fen"]) == fee_fen(cash, bps)
        and delivered == qty
        and gained.get((seller, CASH_ASSET, State.AVAILABLE), 0) == cash - int(p["seller_fee_fen"])
        and gained.get((SystemAccount.FEES, CASH_ASSET, State.AVAILABLE), 0) == fees
        and gained.get((buyer, CASH_ASSET, State.AVAILABLE), 0) == int(p["released_fen"])
    )
    if not expected:
        yield Problem("market_settlement_mismatch", "moved other amounts than its trade", seq)
