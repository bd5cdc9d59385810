"""The market's tables (SQLAlchemy Core) and their reads and writes; migration 0015.

    market_contracts    one per listed contract: its key, the rule set that governs it,
                        and the sequencer's state — the last command ``seq``, the last
                        order id, the open trading day, the reference price (the last
                        close). Its row is the contract's lock: every command takes it
                        first (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite has one
                        writer), so there is one matcher per contract across processes.
    market_commands     every command that changed the book, by (contract, seq): who,
                        under which idempotency key and fingerprint, and its answer
    market_orders       every order, open or not, with its filled part and priority
    market_order_holds  the registry holds (reason ``order``) that fund each order
    market_trades       one per fill, beside its ``trade_settle`` entry (``entry_seq``)
    market_bought       what each account bought per contract and day (T+1)
    market_closes       one per contract and closed day: the close and whether carried

Conservation: an open order's holds have exactly its reservation left, a closed
order's nothing; every trade row has its settlement entry and every settlement entry a
row (``market.audit``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()
BIG = BigInteger
DAY = String(10)
Row = dict[str, Any]

contracts = Table(
    "market_contracts",
    metadata,
    Column("contract_id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(48), nullable=False, unique=True),
    Column("instrument", String(8), nullable=False),
    Column("jurisdiction", String(3), nullable=False),
    Column("project", String(16), nullable=True),
    Column("vintage", String(8), nullable=False),
    Column("market", String(3), nullable=False),
    Column("listed_by", String(64), nullable=False),
    Column("listed_at", String(32), nullable=False),
    Column("last_seq", BIG, nullable=False),
    Column("last_order_id", BIG, nullable=False),
    Column("trading_day", DAY, nullable=True),
    Column("reference_price_fen_per_t", BIG, nullable=True),
)

commands = Table(
    "market_commands",
    metadata,
    Column("contract_id", Integer, primary_key=True),
    Column("seq", BIG, primary_key=True),
    Column("actor", String(64), nullable=False),
    Column("idem_key", String(128), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("result", Text, nullable=False),
    Column("ts", String(32), nullable=False),
    # An order action's facts for surveillance (0016): the order, its price and quantity
    # after the action, and the own side's best price just before it (None: side empty).
    Column("order_id", BIG, nullable=True),
    Column("price_fen_per_t", BIG, nullable=True),
    Column("quantity_g", BIG, nullable=True),
    Column("touch_fen_per_t", BIG, nullable=True),
    sa.UniqueConstraint("actor", "idem_key", name="uq_market_commands_key"),
)

orders = Table(
    "market_orders",
    metadata,
    Column("contract_id", Integer, primary_key=True),
    Column("order_id", BIG, primary_key=True),
    Column("client_order_id", String(64), nullable=False),
    Column("owner", String(64), nullable=False),
    Column("account_id", BIG, nullable=False),
    Column("side", String(4), nullable=False),
    Column("time_in_force", String(4), nullable=False),
    Column("price_fen_per_t", BIG, nullable=False),
    Column("quantity_g", BIG, nullable=False),
    Column("filled_g", BIG, nullable=False),
    Column("fee_bps", Integer, nullable=False),
    Column("state", String(12), nullable=False),
    Column("priority_seq", BIG, nullable=False),
    Column("placed_seq", BIG, nullable=False),
    Column("day", DAY, nullable=False),
    sa.UniqueConstraint("contract_id", "day", "owner", "client_order_id", name="uq_market_client"),
    Index("ix_market_orders_state", "contract_id", "state"),
    Index("ix_market_orders_owner", "owner", "contract_id"),
)

order_holds = Table(
    "market_order_holds",
    metadata,
    Column("hold_id", BIG, primary_key=True),
    Column("contract_id", Integer, nullable=False),
    Column("order_id", BIG, nullable=False),
    Column("asset_id", BIG, nullable=False),
    Index("ix_market_order_holds_order", "contract_id", "order_id"),
)

trades = Table(
    "market_trades",
    metadata,
    Column("trade_id", String(64), primary_key=True),
    Column("entry_seq", BIG, nullable=False, unique=True),
    Column("contract_id", Integer, nullable=False),
    Column("day", DAY, nullable=False),
    Column("seq", BIG, nullable=False),
    # None for a block trade or an auction fill (``ref`` names the proposal or the bid)
    Column("buy_order_id", BIG, nullable=True),
    Column("sell_order_id", BIG, nullable=True),
    Column("taker_side", String(4), nullable=False),
    Column("buyer_account", BIG, nullable=False),
    Column("seller_account", BIG, nullable=False),
    Column("price_fen_per_t", BIG, nullable=False),
    Column("quantity_g", BIG, nullable=False),
    Column("cash_fen", BIG, nullable=False),
    Column("buyer_fee_fen", BIG, nullable=False),
    Column("seller_fee_fen", BIG, nullable=False),
    Column("ts", String(32), nullable=False),
    # listing (the order book), block or auction: only listing trades set prices (0016)
    Column("mode", String(8), nullable=False, default="listing", server_default="listing"),
    Column("ref", String(64), nullable=True),
    Index("ix_market_trades_day", "contract_id", "day"),
)

bought = Table(
    "market_bought",
    metadata,
    Column("contract_id", Integer, primary_key=True),
    Column("day", DAY, primary_key=True),
    Column("account_id", BIG, primary_key=True),
    Column("quantity_g", BIG, nullable=False),
)

closes = Table(
    "market_closes",
    metadata,
    Column("contract_id", Integer, primary_key=True),
    Column("day", DAY, primary_key=True),
    Column("close_fen_per_t", BIG, nullable=True),
    Column("carried", Boolean, nullable=False),
    Column("volume_g", BIG, nullable=False),
    Column("seq", BIG, nullable=False),
)


def _one(result: Any) -> Row | None:
    row = result.first()
    return None if row is None else dict(row._mapping)


def _all(result: Any) -> list[Row]:
    return [dict(r._mapping) for r in result]


# ---- contracts ---------------------------------------------------------------------
def contract(uow: Any, code: str, *, lock: bool = False) -> Row | None:
    query = sa.select(contracts).where(contracts.c.code == code)
    if lock and uow.is_postgres:
        query = query.with_for_update()
    return _one(uow.execute(query))


def contracts_all(uow: Any) -> list[Row]:
    return _all(uow.execute(sa.select(contracts).order_by(contracts.c.contract_id)))


def add_contract(uow: Any, row: Row) -> int:
    result = uow.execute(contracts.insert().values(**row))
    return int(result.inserted_primary_key[0])


def update_contract(uow: Any, contract_id: int, **values: Any) -> None:
    uow.execute(contracts.update().where(contracts.c.contract_id == contract_id).values(**values))


# ---- the command log ------------------------------------------------------------------
def command_by_key(uow: Any, actor: str, key: str) -> Row | None:
    c = commands.c
    return _one(uow.execute(sa.select(commands).where(c.actor == actor, c.idem_key == key)))


def record_command(uow: Any, row: Row) -> None:
    uow.execute(commands.insert().values(**row))


# ---- orders ------------------------------------------------------------------------
def add_order(uow: Any, row: Row) -> None:
    uow.execute(orders.insert().values(**row))


def order(uow: Any, contract_id: int, order_id: int) -> Row | None:
    c = orders.c
    return _one(
        uow.execute(sa.select(orders).where(c.contract_id == contract_id, c.order_id == order_id))
    )


def update_order(uow: Any, contract_id: int, order_id: int, **values: Any) -> None:
    c = orders.c
    uow.execute(
        orders.update().where(c.contract_id == contract_id, c.order_id == order_id).values(**values)
    )


def orders_of_day(uow: Any, contract_id: int, day: str) -> list[Row]:
    c = orders.c
    return _all(
        uow.execute(
            sa.select(orders).where(c.contract_id == contract_id, c.day == day).order_by(c.order_id)
        )
    )


def open_orders(uow: Any, contract_id: int | None = None) -> list[Row]:
    c = orders.c
    query = sa.select(orders).where(c.state == "open")
    if contract_id is not None:
        query = query.where(c.contract_id == contract_id)
    return _all(uow.execute(query.order_by(c.contract_id, c.order_id)))


def all_orders(uow: Any) -> Iterator[Row]:
    c = orders.c
    yield from _all(uow.execute(sa.select(orders).order_by(c.contract_id, c.order_id)))


def orders_of_owner(uow: Any, owner: str, contract_id: int | None, limit: int) -> list[Row]:
    c = orders.c
    query = sa.select(orders).where(c.owner == owner)
    if contract_id is not None:
        query = query.where(c.contract_id == contract_id)
    return _all(uow.execute(query.order_by(c.contract_id, c.order_id.desc()).limit(limit)))


def add_order_hold(uow: Any, contract_id: int, order_id: int, hold_id: int, asset_id: int) -> None:
    uow.execute(
        order_holds.insert().values(
            hold_id=hold_id, contract_id=contract_id, order_id=order_id, asset_id=asset_id
        )
    )


def order_hold_ids(uow: Any, contract_id: int, order_id: int) -> list[tuple[int, int]]:
    """The order's holds (hold id, asset id), oldest first."""
    c = order_holds.c
    query = (
        sa.select(c.hold_id, c.asset_id)
        .where(c.contract_id == contract_id, c.order_id == order_id)
        .order_by(c.hold_id)
    )
    return [(int(r.hold_id), int(r.asset_id)) for r in uow.execute(query)]


def all_order_holds(uow: Any) -> list[Row]:
    return _all(uow.execute(sa.select(order_holds).order_by(order_holds.c.hold_id)))


# ---- trades, T+1, closes ---------------------------------------------------------------
def add_trade(uow: Any, row: Row) -> None:
    uow.execute(trades.insert().values(**row))


def all_trades(uow: Any) -> list[Row]:
    return _all(uow.execute(sa.select(trades).order_by(trades.c.entry_seq)))


def trades_of(uow: Any, contract_id: int, day: str | None, after_seq: int, limit: int) -> list[Row]:
    c = trades.c
    query = sa.select(trades).where(c.contract_id == contract_id, c.entry_seq > after_seq)
    if day is not None:
        query = query.where(c.day == day)
    return _all(uow.execute(query.order_by(c.entry_seq).limit(limit)))


def trades_of_account(uow: Any, account_id: int, limit: int) -> list[Row]:
    c = trades.c
    query = sa.select(trades).where(
        sa.or_(c.buyer_account == account_id, c.seller_account == account_id)
    )
    return _all(uow.execute(query.order_by(c.entry_seq.desc()).limit(limit)))


def trades_between(
    uow: Any, contract_id: int | None, first_day: str, last_day: str, limit: int
) -> list[Row]:
    """Trades of every mode in a period (one contract, or all), in journal order."""
    c = trades.c
    query = sa.select(trades).where(c.day >= first_day, c.day <= last_day)
    if contract_id is not None:
        query = query.where(c.contract_id == contract_id)
    return _all(uow.execute(query.order_by(c.entry_seq).limit(limit)))


def trades_of_account_on(uow: Any, account_id: int, day: str, limit: int) -> list[Row]:
    """An account's trades of every mode and contract on one day, in journal order."""
    c = trades.c
    query = sa.select(trades).where(
        c.day == day, sa.or_(c.buyer_account == account_id, c.seller_account == account_id)
    )
    return _all(uow.execute(query.order_by(c.entry_seq).limit(limit)))


def commands_between(uow: Any, contract_id: int, kinds: tuple[str, ...], limit: int) -> list[Row]:
    c = commands.c
    query = sa.select(commands).where(c.contract_id == contract_id, c.kind.in_(kinds))
    return _all(uow.execute(query.order_by(c.seq).limit(limit)))


def day_summary(uow: Any, contract_id: int, day: str) -> tuple[int, int]:
    """(Σ price × quantity in fen·g/t, Σ quantity g) of the day's order-book trades.

    Block trades and auction fills count in volume elsewhere but never set the close."""
    c = trades.c
    row = uow.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(c.price_fen_per_t * c.quantity_g), 0),
            sa.func.coalesce(sa.func.sum(c.quantity_g), 0),
        ).where(c.contract_id == contract_id, c.day == day, c.mode == "listing")
    ).one()
    return int(row[0]), int(row[1])


def ohlc(uow: Any, contract_id: int, first_day: str, last_day: str) -> list[Row]:
    """Per day: first, highest, lowest and last price and the volume of the day's trades."""
    c = trades.c
    days = _all(
        uow.execute(
            sa.select(
                c.day,
                sa.func.min(c.entry_seq).label("first_seq"),
                sa.func.max(c.entry_seq).label("last_seq"),
                sa.func.max(c.price_fen_per_t).label("high"),
                sa.func.min(c.price_fen_per_t).label("low"),
                sa.func.sum(c.quantity_g).label("volume_g"),
                sa.func.count().label("trades"),
            )
            .where(c.contract_id == contract_id, c.day >= first_day, c.day <= last_day)
            .group_by(c.day)
            .order_by(c.day)
        )
    )
    seqs = [d["first_seq"] for d in days] + [d["last_seq"] for d in days]
    prices = {
        int(r.entry_seq): int(r.price_fen_per_t)
        for r in uow.execute(sa.select(c.entry_seq, c.price_fen_per_t).where(c.entry_seq.in_(seqs)))
    }
    return [
        {
            "day": d["day"],
            "open": prices[int(d["first_seq"])],
            "high": int(d["high"]),
            "low": int(d["low"]),
            "close_last": prices[int(d["last_seq"])],
            "volume_g": int(d["volume_g"]),
            "trades": int(d["trades"]),
        }
        for d in days
    ]


def bought_on(uow: Any, contract_id: int, day: str, account_id: int) -> int:
    c = bought.c
    value = uow.execute(
        sa.select(c.quantity_g).where(
            c.contract_id == contract_id, c.day == day, c.account_id == account_id
        )
    ).scalar()
    return 0 if value is None else int(value)


def add_bought(uow: Any, contract_id: int, day: str, account_id: int, quantity_g: int) -> None:
    c = bought.c
    found = uow.execute(
        bought.update()
        .where(c.contract_id == contract_id, c.day == day, c.account_id == account_id)
        .values(quantity_g=c.quantity_g + quantity_g)
    )
    if found.rowcount == 0:
        uow.execute(
            bought.insert().values(
                contract_id=contract_id, day=day, account_id=account_id, quantity_g=quantity_g
            )
        )


def add_close(uow: Any, row: Row) -> None:
    uow.execute(closes.insert().values(**row))


def close_of(uow: Any, contract_id: int, day: str) -> Row | None:
    c = closes.c
    return _one(uow.execute(sa.select(closes).where(c.contract_id == contract_id, c.day == day)))


def closes_of(uow: Any, contract_id: int, limit: int) -> list[Row]:
    c = closes.c
    query = sa.select(closes).where(c.contract_id == contract_id).order_by(c.day.desc())
    return _all(uow.execute(query.limit(limit)))


def depth(uow: Any, contract_id: int, side: str, levels: int) -> list[tuple[int, int, int]]:
    """The best ``levels`` price levels of one side: (price, open quantity, orders)."""
    c = orders.c
    price = c.price_fen_per_t
    query = (
        sa.select(price, sa.func.sum(c.quantity_g - c.filled_g), sa.func.count())
        .where(c.contract_id == contract_id, c.state == "open", c.side == side)
        .group_by(price)
        .order_by(price.desc() if side == "buy" else price)
        .limit(levels)
    )
    return [(int(p), int(q), int(n)) for p, q, n in uow.execute(query)]


def ids_in(values: Sequence[int]) -> list[int]:
    return sorted(set(values))
