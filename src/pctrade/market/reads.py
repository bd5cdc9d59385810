"""The market as its clients read it: pages, bars, depth at a seq, and the stream's feed.

    contract(store, code)                          one listed contract
    contracts(store, after, limit)                 listed contracts, a page at a time
    my_orders(store, actor, contract, after, limit)    the actor's orders, oldest first
    my_fills(store, actor, after, limit)           the trades of the actor's orders
    public_trades(store, code, day, after, limit)  a contract's trades (no accounts)
    depth_at(store, code)                          the best five levels and their seq
    bars(store, code, first, last)                 daily bars with the close
    close_before(uow, contract, first)             the close in force before a day
    feed(store, code, after_seq)                   what changed after a seq (the stream)

Pages are keyset pages (``kernel.paging``): orders by (contract id, order id), fills and
trades by their settlement entry's seq, contracts by id. Public reads (contracts,
trades, depth, bars, the feed) name no party and no account.

A bar's prices and quantities are ``market.data.daily.day_prices``'s, the one rule every
bar pctrade shows is made with (``MarketReports.daily_bars`` too): only order-book
(listing-agreement) trades set the open, high, low and last; block trades and auction
fills count in the volume and never in a price.

The feed follows the contract's durable ``seq`` (``market_contracts.last_seq``): every
command that changed the book has one, so a reader that remembers the last seq it saw
resumes without loss or repetition, whichever process wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from pctrade.kernel.errors import NotFound, ValidationError
from pctrade.kernel.limits import PAGE_SIZE_MAX
from pctrade.kernel.paging import Page, fetch_size, page_of
from pctrade.ledger.ports import Store
from pctrade.ledger.write import acting_party
from pctrade.market.data import TradeMode, TradeRecord, day_prices
from pctrade.market.sql import reads as rdb
from pctrade.market.sql import store as db

Row = dict[str, Any]
DEPTH_LEVELS = 5
BARS_DAYS_MAX = 366
BARS_TRADES_MAX = 200_000  # trades a range of bars reads; more: ask for fewer days
CLOSES_MAX = BARS_DAYS_MAX * 10  # closes read to find the one in force before a day
FEED_SEQS_MAX = 500  # commands a feed answers at once; the next read continues
_PUBLIC_TRADE = ("trade_id", "day", "seq", "entry_seq", "taker_side", "price_fen_per_t")
_CONTRACT = (
    "code",
    "instrument",
    "jurisdiction",
    "project",
    "vintage",
    "market",
    "listed_at",
    "last_seq",
    "trading_day",
    "reference_price_fen_per_t",
)


def _contract(uow: Any, code: str) -> Row:
    found = db.contract(uow, code)
    if found is None:
        raise NotFound(f"no contract {code}", code="unknown_contract")
    return found


def _public_contract(row: Row) -> Row:
    return {k: row[k] for k in _CONTRACT}


def _public_trade(row: Row) -> Row:
    return {**{k: row[k] for k in _PUBLIC_TRADE}, "quantity_g": int(row["quantity_g"])}


def contract(store: Store, code: str) -> Row:
    with store.reader() as uow:
        return _public_contract(_contract(uow, code))


def contracts(store: Store, after: int = 0, limit: int = 100) -> Page[Row]:
    with store.reader() as uow:
        rows = rdb.contracts_after(uow, after, fetch_size(limit, PAGE_SIZE_MAX))
    page = page_of(rows, limit, lambda r: (int(r["contract_id"]),))
    return Page([_public_contract(r) for r in page.items], page.next_key)


def my_orders(
    store: Store,
    actor: str,
    code: str | None = None,
    after: tuple[int, int] = (0, 0),
    limit: int = 100,
) -> Page[Row]:
    """The actor's own orders (as owner), oldest first, each with its contract's code."""
    with store.reader() as uow:
        acting_party(uow, actor)
        cid = None if code is None else int(_contract(uow, code)["contract_id"])
        fetch = fetch_size(limit, PAGE_SIZE_MAX)
        rows = rdb.orders_of_owner(uow, actor, cid, after, fetch)
        codes = rdb.codes_by_id(uow)
    page = page_of(rows, limit, lambda r: (int(r["contract_id"]), int(r["order_id"])))
    return Page(
        [{**r, "contract": codes[int(r["contract_id"])]} for r in page.items], page.next_key
    )


def my_fills(store: Store, actor: str, after: int = 0, limit: int = 100) -> Page[Row]:
    """Each trade of the actor's orders, from its side: a self-trade cannot happen
    (the engine prevents it), so each trade is the actor's buy or its sell."""
    with store.reader() as uow:
        acting_party(uow, actor)
        rows = rdb.fills_of_owner(uow, actor, after, fetch_size(limit, PAGE_SIZE_MAX))
        codes = rdb.codes_by_id(uow)
    page = page_of(rows, limit, lambda r: (int(r["entry_seq"]),))
    items = []
    for r in page.items:
        buying = r["buy_owner"] == actor
        items.append(
            {
                "trade_id": r["trade_id"],
                "contract": codes[int(r["contract_id"])],
                "entry_seq": int(r["entry_seq"]),
                "day": r["day"],
                "seq": int(r["seq"]),
                "side": "buy" if buying else "sell",
                "order_id": int(r["buy_order_id"] if buying else r["sell_order_id"]),
                "account_id": int(r["buyer_account"] if buying else r["seller_account"]),
                "price_fen_per_t": int(r["price_fen_per_t"]),
                "quantity_g": int(r["quantity_g"]),
                "cash_fen": int(r["cash_fen"]),
                "fee_fen": int(r["buyer_fee_fen"] if buying else r["seller_fee_fen"]),
                "taker": r["taker_side"] == ("buy" if buying else "sell"),
                "ts": r["ts"],
            }
        )
    return Page(items, page.next_key)


def public_trades(
    store: Store, code: str, day: str | None = None, after: int = 0, limit: int = 100
) -> Page[Row]:
    with store.reader() as uow:
        cid = int(_contract(uow, code)["contract_id"])
        rows = rdb.trades_after(uow, cid, day, after, fetch_size(limit, PAGE_SIZE_MAX))
    page = page_of(rows, limit, lambda r: (int(r["entry_seq"]),))
    return Page([{**_public_trade(r), "ts": r["ts"]} for r in page.items], page.next_key)


def _depth(uow: Any, cid: int, levels: int) -> Row:
    bids, asks = db.depth(uow, cid, "buy", levels), db.depth(uow, cid, "sell", levels)
    return {
        "bids": [{"price_fen_per_t": p, "quantity_g": q, "orders": n} for p, q, n in bids],
        "asks": [{"price_fen_per_t": p, "quantity_g": q, "orders": n} for p, q, n in asks],
    }


def depth_at(store: Store, code: str, levels: int = DEPTH_LEVELS) -> Row:
    """The best ``levels`` of each side and the contract's seq they were read at (on
    PostgreSQL, a command committed between the two reads may show in the levels)."""
    if not 0 < levels <= DEPTH_LEVELS:
        raise ValidationError(f"depth is 1 to {DEPTH_LEVELS} levels", code="bad_limit")
    with store.reader() as uow:
        row = _contract(uow, code)
        return {
            "contract": code,
            "seq": int(row["last_seq"]),
            **_depth(uow, int(row["contract_id"]), levels),
        }


def bars(store: Store, code: str, first: date, last: date) -> list[Row]:
    """Per day from ``first`` to ``last`` that had a trade or a close: open, high, low,
    last, volume and trades (``day_prices``), and the close once the day is closed
    (carried over when no order-book trade made one)."""
    if last < first or (last - first).days >= BARS_DAYS_MAX:
        raise ValidationError(
            f"a range of bars is 1 to {BARS_DAYS_MAX} days, first ≤ last", code="bad_range"
        )
    a, b = first.isoformat(), last.isoformat()
    with store.reader() as uow:
        contract = _contract(uow, code)
        cid = int(contract["contract_id"])
        rows = db.trades_between(uow, cid, a, b, BARS_TRADES_MAX + 1)
        closed = {r["day"]: r for r in rdb.closes_in(uow, cid, a, b)}
        previous = close_before(uow, contract, first)
    if len(rows) > BARS_TRADES_MAX:
        raise ValidationError(
            f"more than {BARS_TRADES_MAX} trades in the range: ask for fewer days",
            code="bad_range",
        )
    by_day: dict[str, list[TradeRecord]] = {}
    for r in rows:
        by_day.setdefault(str(r["day"]), []).append(_public_record(code, r))
    out = []
    for day in sorted(set(by_day) | set(closed)):
        p = day_prices(code, date.fromisoformat(day), by_day.get(day, []), previous)
        c = closed.get(day)
        out.append(
            {
                "day": day,
                "open_fen_per_t": p.open_fen_per_t,
                "high_fen_per_t": p.high_fen_per_t,
                "low_fen_per_t": p.low_fen_per_t,
                "last_fen_per_t": p.last_fen_per_t,
                "volume_g": p.volume_g,
                "trades": p.trades,
                "close_fen_per_t": None if c is None else c["close_fen_per_t"],
                "carried": None if c is None else bool(c["carried"]),
            }
        )
        if c is not None:
            previous = c["close_fen_per_t"]
    return out


def _public_record(code: str, r: Row) -> TradeRecord:
    """A trade row as ``market.data`` reads it; a public bar names no party or account."""
    at = datetime.fromisoformat(str(r["ts"]).replace("Z", "+00:00")).astimezone(UTC)
    return TradeRecord(
        int(r["entry_seq"]),
        code,
        int(r["seq"]),
        date.fromisoformat(str(r["day"])),
        at,
        "",
        "",
        "",
        "",
        int(r["price_fen_per_t"]),
        int(r["quantity_g"]),
        TradeMode(str(r["mode"])),
    )


def close_before(uow: Any, contract: Row, first: date) -> int | None:
    """The close in force before ``first``: the last earlier close, else the listing's."""
    closes = db.closes_of(uow, int(contract["contract_id"]), CLOSES_MAX)
    before = [c for c in closes if c["day"] < first.isoformat()]
    if before:
        return None if before[0]["close_fen_per_t"] is None else int(before[0]["close_fen_per_t"])
    if not closes:
        ref = contract["reference_price_fen_per_t"]
        return None if ref is None else int(ref)
    earliest = closes[-1]  # the contract's first close, carried from the listing's price
    return int(earliest["close_fen_per_t"]) if earliest["carried"] else None


def closes(store: Store, code: str, limit: int = 100) -> list[Row]:
    if not 0 < limit <= PAGE_SIZE_MAX:
        raise ValidationError(f"limit is 1 to {PAGE_SIZE_MAX}", code="bad_limit")
    with store.reader() as uow:
        cid = int(_contract(uow, code)["contract_id"])
        rows = db.closes_of(uow, cid, limit)
    return [
        {
            "day": r["day"],
            "close_fen_per_t": r["close_fen_per_t"],
            "carried": bool(r["carried"]),
            "volume_g": int(r["volume_g"]),
            "seq": int(r["seq"]),
        }
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One command of the contract, as the public sees it."""

    seq: int
    kind: str  # place, cancel, amend, close
    ts: str
    trades: tuple[Row, ...]
    close: Row | None
    depth: Row | None  # the book after it: on the newest event the feed answers


@dataclass(frozen=True, slots=True)
class Feed:
    last_seq: int  # the contract's seq when read
    events: tuple[FeedEvent, ...]  # after the seq asked for, oldest first
    depth: Row  # the book now (at last_seq)


def feed(store: Store, code: str, after_seq: int) -> Feed:
    """The contract's commands after ``after_seq`` (at most ``FEED_SEQS_MAX``), each
    with its trades or close; the newest answered carries the book's depth when it is
    the contract's last."""
    with store.reader() as uow:
        row = _contract(uow, code)
        cid, last = int(row["contract_id"]), int(row["last_seq"])
        upto = min(last, after_seq + FEED_SEQS_MAX)
        depth = _depth(uow, cid, DEPTH_LEVELS)
        if upto <= after_seq:
            return Feed(last, (), depth)
        commands = rdb.commands_between(uow, cid, after_seq, upto)
        trades = rdb.trades_between(uow, cid, after_seq, upto)
        closes_ = {int(c["seq"]): c for c in rdb.closes_between(uow, cid, after_seq, upto)}
    by_seq: dict[int, list[Row]] = {}
    for t in trades:
        by_seq.setdefault(int(t["seq"]), []).append(_public_trade(t))
    events = []
    for c in commands:
        seq = int(c["seq"])
        close = closes_.get(seq)
        events.append(
            FeedEvent(
                seq,
                str(c["kind"]),
                str(c["ts"]),
                tuple(by_seq.get(seq, ())),
                None
                if close is None
                else {
                    "day": close["day"],
                    "close_fen_per_t": close["close_fen_per_t"],
                    "carried": bool(close["carried"]),
                    "volume_g": int(close["volume_g"]),
                },
                depth if seq == last else None,
            )
        )
    return Feed(last, tuple(events), depth)
