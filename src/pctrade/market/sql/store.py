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
    market_bought       what each account bought per contract and day (T+n)
    market_closes       one per contract and closed day: the close and whether carried

Conservation: an open order's holds have exactly its reservation left, a closed
order's nothing; every trade row has its settlement entry and every settlement entry a
row (``market.audit``).

The reads and writes of an order's command (the hot path) are hand-written SQL run on
the driver's cursor of the unit of work's transaction: SQLAlchemy's statement building
cost more than the statements. A command's writes are collected in ``Pending`` and sent
together before it commits — on PostgreSQL in one pipelined round trip.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, MetaData, String, Table, Text

from pctrade.market.model import POOL_SETTLE, MarketOp
from pctrade.market.sql.rows import every as _all
from pctrade.market.sql.rows import one as _one

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
    # A platform's sell of its pool's units (issue 14, migration 0021): nothing is frozen
    # for it, its fills settle from the contributors' holds (``market.pool_sells``).
    Column("pool_id", String(32), nullable=True),
    sa.UniqueConstraint("contract_id", "day", "owner", "client_order_id", name="uq_market_client"),
    Index("ix_market_orders_state", "contract_id", "state"),
    Index("ix_market_orders_owner", "owner", "contract_id"),
    Index("ix_market_orders_pool", "pool_id", "state"),
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
    # an account's trades of a day, as buyer or seller: its statement (0018)
    Index("ix_market_trades_buyer_day", "buyer_account", "day"),
    Index("ix_market_trades_seller_day", "seller_account", "day"),
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


# ---- hand-written SQL on the unit of work's driver connection ---------------------------
_NAMED_PARAM = re.compile(r"(?<![:\w]):([a-z_]+)")
_PG_SQL: dict[str, str] = {}


def _sql(uow: Any, sql: str) -> str:
    """``:name`` parameters (sqlite3's style), or psycopg's ``%(name)s`` on PostgreSQL."""
    if not uow.is_postgres:
        return sql
    converted = _PG_SQL.get(sql)
    if converted is None:
        converted = _PG_SQL[sql] = _NAMED_PARAM.sub(r"%(\1)s", sql)
    return converted


def _cursor(uow: Any, sql: str, params: dict[str, Any]) -> Any:
    cursor = uow.dbapi_connection().cursor()
    cursor.execute(_sql(uow, sql), params)
    return cursor


def _row(cursor: Any) -> Row | None:
    found = cursor.fetchone()
    if found is None:
        return None
    return dict(zip([d[0] for d in cursor.description], found, strict=True))


def _insert_sql(table: str, columns: Sequence[str]) -> str:
    names = ", ".join(columns)
    marks = ", ".join(f":{c}" for c in columns)
    return f"INSERT INTO {table} ({names}) VALUES ({marks})"


_CONTRACTS = (
    "SELECT contract_id, code, instrument, jurisdiction, project, vintage, market, listed_by,"
    " listed_at, last_seq, last_order_id, trading_day, reference_price_fen_per_t"
    " FROM market_contracts"
)
_CONTRACT = _CONTRACTS + " WHERE code = :code"
_COMMANDS = (
    "SELECT contract_id, seq, actor, idem_key, kind, request_hash, result, ts FROM market_commands"
)
_COMMAND = _COMMANDS + " WHERE actor = :actor AND idem_key = :key"
_ORDER = (
    "SELECT contract_id, order_id, client_order_id, owner, account_id, side, time_in_force,"
    " price_fen_per_t, quantity_g, filled_g, fee_bps, state, priority_seq, placed_seq, day,"
    " pool_id FROM market_orders WHERE contract_id = :c AND order_id = :o"
)
_BOUGHT = "SELECT day, quantity_g FROM market_bought WHERE contract_id = :c AND account_id = :a"
_ADD_BOUGHT = (
    "INSERT INTO market_bought (contract_id, day, account_id, quantity_g)"
    " VALUES (:c, :d, :a, :q) ON CONFLICT (contract_id, day, account_id)"
    " DO UPDATE SET quantity_g = market_bought.quantity_g + excluded.quantity_g"
)
_UPDATE_CONTRACT = (
    "UPDATE market_contracts SET last_seq = :last_seq, last_order_id = :last_order_id,"
    " trading_day = :trading_day, reference_price_fen_per_t = :reference_price_fen_per_t"
    " WHERE contract_id = :contract_id"
)
_HOLD_IDS = (
    "SELECT hold_id, asset_id FROM market_order_holds"
    " WHERE contract_id = :c AND order_id = :o ORDER BY hold_id"
)
# The market's settlement entries, by the partial index of migration 0017, which holds a
# row for those entries only: the WHERE is the index's, word for word (SQLite uses a
# partial index only then). ``auction_settle`` is one-way bidding's (issue 13).
# ``pool_settle`` is a pool sell's fill (issue 14, the index recreated by 0021): the pools
# plan it, the market writes its trade row.
SETTLEMENT_OPS = ("auction_settle", POOL_SETTLE, str(MarketOp.TRADE_SETTLE))
SETTLEMENT_IN = "op_type IN (" + ", ".join(f"'{op}'" for op in SETTLEMENT_OPS) + ")"
# The market's own settlements (a statement counts a pool's only on its buyer's side).
MARKET_SETTLEMENT_IN = "op_type IN ('auction_settle', 'trade_settle')"
_SETTLEMENTS = f"SELECT seq, op_type, payload FROM entries WHERE {SETTLEMENT_IN} ORDER BY seq"


class KeyTaken(Exception):
    """The command log's (actor, key) was committed by a concurrent command meanwhile."""


def key_taken(exc: BaseException) -> bool:
    """Whether ``exc`` is the command log's unique (actor, key) refusing a second use."""
    text = str(exc)
    return "uq_market_commands_key" in text or (
        "market_commands.actor" in text and "market_commands.idem_key" in text
    )


class Pending:
    """A command's market writes, sent together before it commits (``flush``).

    What a command writes beside its entries needs no answer from the database, so on
    PostgreSQL it goes in one pipelined round trip instead of one per row. A read of a
    row written in the same command must ``flush`` first.
    """

    def __init__(self) -> None:
        self.writes: list[tuple[str, dict[str, Any]]] = []
        self.sent = False  # some were sent: the command has written
        self._inserting: set[tuple[int, int]] = set()  # orders whose insert waits here

    def add_order(self, row: Row) -> None:
        self.writes.append((_insert_sql("market_orders", tuple(row)), row))
        self._inserting.add((int(row["contract_id"]), int(row["order_id"])))

    def update_order(self, contract_id: int, order_id: int, **values: Any) -> None:
        """Update an order's row; none is needed while its insert still waits here, since
        the caller changes the very row the insert will send (``_Run.set_order``)."""
        if (contract_id, order_id) in self._inserting:
            return
        sets = ", ".join(f"{c} = :{c}" for c in values)
        sql = f"UPDATE market_orders SET {sets} WHERE contract_id = :cid AND order_id = :oid"
        self.writes.append((sql, {**values, "cid": contract_id, "oid": order_id}))

    def add_order_hold(self, contract_id: int, order_id: int, hold_id: int, asset_id: int) -> None:
        row = {
            "hold_id": hold_id,
            "contract_id": contract_id,
            "order_id": order_id,
            "asset_id": asset_id,
        }
        self.writes.append((_insert_sql("market_order_holds", tuple(row)), row))

    def add_trade(self, row: Row) -> None:
        self.writes.append((_insert_sql("market_trades", tuple(row)), row))

    def add_bought(self, contract_id: int, day: str, account_id: int, quantity_g: int) -> None:
        params = {"c": contract_id, "d": day, "a": account_id, "q": quantity_g}
        self.writes.append((_ADD_BOUGHT, params))

    def update_contract(self, contract_id: int, **values: Any) -> None:
        self.writes.append((_UPDATE_CONTRACT, {**values, "contract_id": contract_id}))

    def record_command(self, row: Row) -> None:
        self.writes.append((_insert_sql("market_commands", tuple(row)), row))

    def add_close(self, row: Row) -> None:
        self.writes.append((_insert_sql("market_closes", tuple(row)), row))

    def flush(self, uow: Any) -> None:
        """Send the writes; ``KeyTaken`` if the command log's key was taken meanwhile."""
        writes, self.writes = self.writes, []
        self._inserting.clear()
        if not writes:
            return
        self.sent = True
        driver = uow.dbapi_connection()
        try:
            if uow.is_postgres:
                with driver.pipeline():
                    cursor = driver.cursor()
                    for sql, params in writes:
                        cursor.execute(_sql(uow, sql), params)
            else:
                cursor = driver.cursor()
                for sql, params in writes:
                    cursor.execute(sql, params)
        except Exception as exc:
            if key_taken(exc):
                raise KeyTaken(str(exc)) from exc
            raise


# ---- contracts ---------------------------------------------------------------------
def contract(uow: Any, code: str, *, lock: bool = False) -> Row | None:
    sql = _CONTRACT + " FOR UPDATE" if lock and uow.is_postgres else _CONTRACT
    return _row(_cursor(uow, sql, {"code": code}))


def contracts_all(uow: Any) -> list[Row]:
    return _all(uow.execute(sa.select(contracts).order_by(contracts.c.contract_id)))


def add_contract(uow: Any, row: Row) -> int:
    result = uow.execute(contracts.insert().values(**row))
    return int(result.inserted_primary_key[0])


def update_contract(uow: Any, contract_id: int, **values: Any) -> None:
    uow.execute(contracts.update().where(contracts.c.contract_id == contract_id).values(**values))


# ---- the command log ------------------------------------------------------------------
def contracts_and_commands(
    uow: Any, codes: Sequence[str], keys: Sequence[tuple[str, str]]
) -> tuple[dict[str, Row], dict[tuple[str, str], Row]]:
    """A group's contracts, locked in the order of their ids (so two groups never wait
    on each other), then the commands logged under the group's (actor, key) pairs: on
    PostgreSQL in one round trip, the look-up run after the locks are taken (a pipeline
    runs its statements in order, each on a fresh snapshot)."""
    params = {f"c{_letters(i)}": code for i, code in enumerate(codes)}
    where = ", ".join(f":{name}" for name in params)
    locked_sql = _CONTRACTS + f" WHERE code IN ({where}) ORDER BY contract_id"
    actors = {f"a{_letters(i)}": a for i, a in enumerate(sorted({a for a, _ in keys}))}
    names = {f"k{_letters(i)}": k for i, k in enumerate(sorted({k for _, k in keys}))}
    logged_sql = (
        _COMMANDS
        + f" WHERE actor IN ({', '.join(f':{n}' for n in actors)})"
        + f" AND idem_key IN ({', '.join(f':{n}' for n in names)})"
    )
    if uow.is_postgres:
        driver = uow.dbapi_connection()
        with driver.pipeline():
            locked = driver.cursor()
            locked.execute(_sql(uow, locked_sql + " FOR UPDATE"), params)
            logged = driver.cursor()
            logged.execute(_sql(uow, logged_sql), {**actors, **names})
    else:
        locked = _cursor(uow, locked_sql, params)
        logged = _cursor(uow, logged_sql, {**actors, **names})
    contracts_found = {str(r["code"]): r for r in _rows(locked)}
    wanted = set(keys)
    commands_found = {
        (str(r["actor"]), str(r["idem_key"])): r
        for r in _rows(logged)
        if (r["actor"], r["idem_key"]) in wanted
    }
    return contracts_found, commands_found


def _rows(cursor: Any) -> list[Row]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, found, strict=True)) for found in cursor.fetchall()]


def hold_remaining(uow: Any, hold_ids: Sequence[int]) -> dict[int, int]:
    """What the registry's holds ``hold_ids`` have left, in one read."""
    if not hold_ids:
        return {}
    params = {f"h{_letters(i)}": h for i, h in enumerate(hold_ids)}
    marks = ", ".join(f":{name}" for name in params)
    sql = f"SELECT hold_id, remaining FROM holds WHERE hold_id IN ({marks})"
    return {int(h): int(r) for h, r in _cursor(uow, sql, params)}


def _letters(n: int) -> str:
    """``n`` in letters (a, b, …, ba, …): parameter names take no digits in ``_sql``."""
    out = ""
    while True:
        out = chr(ord("a") + n % 26) + out
        n //= 26
        if n == 0:
            return out


def command_by_key(uow: Any, actor: str, key: str) -> Row | None:
    return _row(_cursor(uow, _COMMAND, {"actor": actor, "key": key}))


def record_command(uow: Any, row: Row) -> None:
    uow.execute(commands.insert().values(**row))


# ---- orders ------------------------------------------------------------------------
def add_order(uow: Any, row: Row) -> None:
    uow.execute(orders.insert().values(**row))


def order(uow: Any, contract_id: int, order_id: int) -> Row | None:
    return _row(_cursor(uow, _ORDER, {"c": contract_id, "o": order_id}))


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
    cursor = _cursor(uow, _HOLD_IDS, {"c": contract_id, "o": order_id})
    return [(int(h), int(a)) for h, a in cursor.fetchall()]


def all_order_holds(uow: Any) -> list[Row]:
    return _all(uow.execute(sa.select(order_holds).order_by(order_holds.c.hold_id)))


# ---- trades, T+n, closes ---------------------------------------------------------------
def add_trade(uow: Any, row: Row) -> None:
    uow.execute(trades.insert().values(**row))


def settlements(uow: Any) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """Every settlement entry's seq, op type and payload, in order, by their own index."""
    for seq, op_type, payload in _cursor(uow, _SETTLEMENTS, {}):
        yield int(seq), str(op_type), json.loads(payload)


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


def instrument_trade_totals(
    uow: Any,
    instrument: str,
    jurisdiction: str,
    first_day: str,
    last_day: str,
    modes: Sequence[str],
) -> Row:
    """The count, grams and cash of the trades of every contract of one instrument and
    jurisdiction (any vintage) on the trading days ``first_day``..``last_day`` (both
    included) in the given modes: one aggregate over the trades' day index."""
    t, k = trades.c, contracts.c
    query = (
        sa.select(
            sa.func.count().label("trades"),
            sa.func.coalesce(sa.func.sum(t.quantity_g), 0).label("quantity_g"),
            sa.func.coalesce(sa.func.sum(t.cash_fen), 0).label("cash_fen"),
        )
        .select_from(trades.join(contracts, k.contract_id == t.contract_id))
        .where(
            k.instrument == instrument,
            k.jurisdiction == jurisdiction,
            t.day >= first_day,
            t.day <= last_day,
            t.mode.in_(list(modes)),
        )
    )
    row = _one(uow.execute(query))
    assert row is not None  # an aggregate answers one row
    return {key: int(value) for key, value in row.items()}


def trades_between(
    uow: Any, contract_id: int | None, first_day: str, last_day: str, limit: int
) -> list[Row]:
    """Trades of every mode in a period (one contract, or all), in journal order."""
    c = trades.c
    query = sa.select(trades).where(c.day >= first_day, c.day <= last_day)
    if contract_id is not None:
        query = query.where(c.contract_id == contract_id)
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


def bought_on(uow: Any, contract_id: int, days: Sequence[str], account_id: int) -> dict[str, int]:
    """What the account bought of the contract on each of ``days`` (T+n), in one read."""
    params: dict[str, Any] = {"c": contract_id, "a": account_id}
    params.update({f"d{_letters(i)}": day for i, day in enumerate(days)})
    marks = ", ".join(f":{name}" for name in params if name not in ("c", "a"))
    sql = _BOUGHT + f" AND day IN ({marks})"
    return {str(d): int(q) for d, q in _cursor(uow, sql, params)}


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
