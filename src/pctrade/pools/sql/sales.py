"""The pools' sale tables (SQLAlchemy Core, their own ``MetaData``; migration 0020).

    pool_sales       one per sale of pool units = one ``pool_settle`` entry: the venue,
                     price, quantity, gross, the contributors' trade fee, the pool fee,
                     what was paid out (net), the buyer, the rates in force, and when
                     (settlement and payout are that one entry: ``paid_at`` = ``ts``)
    pool_sale_lines  one per contributor per sale: the grams the sale took from them,
                     their gross share, fee share and net share in fen, and the
                     remainder of the exact split (numerator over the sale's grams)

Conservation per sale, checked by ``pools.sales.audit_pool_sales`` against the entry:
Σ lines.grams_g = quantity_g, Σ lines.net_fen = net_fen, Σ lines.fee_fen = trade fee +
pool fee, Σ lines.gross_fen = gross_fen; every line is the entry's payout column.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table

from pctrade.ledger.ports import UnitOfWork
from pctrade.pools.sql.schema import deposits_held, left_g, pool_deposits

metadata = MetaData()
BIG = BigInteger
TS = String(32)
POOL_ID = String(32)
SALE_ID = String(64)
Row = dict[str, Any]

pool_sales = Table(
    "pool_sales",
    metadata,
    Column("entry_seq", BIG, primary_key=True, autoincrement=False),
    Column("sale_id", SALE_ID, nullable=False),
    Column("pool_id", POOL_ID, nullable=False),
    Column("platform_account", BIG, nullable=False),
    Column("venue", String(16), nullable=False),
    Column("price_fen_per_t", BIG, nullable=False),
    Column("quantity_g", BIG, nullable=False),
    Column("gross_fen", BIG, nullable=False),
    Column("trade_fee_bps", Integer, nullable=False),
    Column("trade_fee_fen", BIG, nullable=False),  # the seller's side: the contributors'
    Column("pool_fee_bps", Integer, nullable=False),
    Column("pool_fee_fen", BIG, nullable=False),
    Column("net_fen", BIG, nullable=False),
    Column("buyer_account", BIG, nullable=False),
    Column("contributors", BIG, nullable=False),
    Column("ts", TS, nullable=False),
    Column("paid_at", TS, nullable=False),
    Index("ix_pool_sales_pool", "pool_id", "entry_seq"),
    Index("uq_pool_sales_sale", "pool_id", "sale_id", unique=True),
)

pool_sale_lines = Table(
    "pool_sale_lines",
    metadata,
    Column("entry_seq", BIG, primary_key=True, autoincrement=False),
    Column("account_id", BIG, primary_key=True, autoincrement=False),
    Column("grams_g", BIG, nullable=False),
    Column("gross_fen", BIG, nullable=False),
    Column("fee_fen", BIG, nullable=False),
    Column("net_fen", BIG, nullable=False),
    Column("remainder", BIG, nullable=False),
    # No index by account (dropped by migration 0026: one B-tree write less per
    # contributor per sale): a contributor's statement finds its sales through its own
    # postings (the ledger's account index), then each line by primary key.
)

# The ledger's postings, read by name (as ``schema.ledger_holds``): a contributor's
# postings say which entries touched the account.
_ledger_postings = sa.table("postings", sa.column("seq", BIG), sa.column("account_id", BIG))

LINE_COLUMNS = (
    "entry_seq",
    "account_id",
    "grams_g",
    "gross_fen",
    "fee_fen",
    "net_fen",
    "remainder",
)
# Word for word the WHERE of migration 0020's partial index, which SQLite uses only for
# a query with the index's terms.
_SETTLE_ENTRIES = "SELECT seq, payload FROM entries WHERE op_type = 'pool_settle' ORDER BY seq"


def free_g(uow: UnitOfWork, pool_id: str) -> int:
    """The pool's unsold, unwithdrawn grams."""
    query = (
        sa.select(sa.func.coalesce(sa.func.sum(left_g), 0))
        .select_from(deposits_held)
        .where(pool_deposits.c.pool_id == pool_id)
    )
    return int(uow.execute(query).scalar_one())


def unsold_assets(uow: UnitOfWork, pool_id: str) -> list[int]:
    """The distinct batches of the pool's deposits with units left."""
    d = pool_deposits.c
    query = (
        sa.select(d.asset_id)
        .select_from(deposits_held)
        .where(d.pool_id == pool_id, left_g > 0)
        .distinct()
    )
    return [int(a) for a in uow.execute(query).scalars()]


def unsold_count(uow: UnitOfWork, pool_id: str, at_most: int | None = None) -> int:
    """How many of the pool's deposits have units left (by the pool's index); counted
    up to ``at_most`` if given (whether a pool has that many reads no further)."""
    d = pool_deposits.c
    query = (
        sa.select(sa.literal(1)).select_from(deposits_held).where(d.pool_id == pool_id, left_g > 0)
    )
    if at_most is not None:
        query = query.limit(at_most)
    counted = sa.select(sa.func.count()).select_from(query.subquery())
    return int(uow.execute(counted).scalar_one())


# A deposit and its ledger hold (hold id = deposit id): what it has left is the hold's
# ``remaining`` (``schema.deposits_held``), as plain SQL for the driver's cursor.
_HELD = "pool_deposits AS d JOIN holds AS h ON h.hold_id = d.deposit_id"


def unsold_deposits(uow: UnitOfWork, pool_id: str) -> list[tuple[int, int, int, int, int]]:
    """The pool's deposits with units left, in deposit order: (deposit id, account,
    asset, terms version, grams left) each, read through the driver's cursor (a pool
    may have millions, and a mapped row per deposit costs more than the sale's plan)."""
    cursor: Any = uow.dbapi_connection().cursor()
    mark = "%s" if uow.is_postgres else "?"
    cursor.execute(
        "SELECT deposit_id, d.account_id, d.asset_id, terms_version, h.remaining"
        f" FROM {_HELD} WHERE pool_id = {mark} AND h.remaining > 0 ORDER BY deposit_id",
        (pool_id,),
    )
    rows: list[tuple[int, int, int, int, int]] = cursor.fetchall()
    cursor.close()
    return rows


_UNSOLD_NAMES = "deposit_id, account_id, asset_id, terms_version, remaining"
# SQLite sends a piece of the columns as five comma-separated texts, one per column
# (``group_concat`` in C over the piece's rows in deposit order), which numpy parses in
# C: a row per deposit through the driver costs about twice as much. The piece starts
# after the last deposit id read, so each text stays a few megabytes.
_UNSOLD_TEXT_SQLITE = (
    "SELECT count(*), "
    + ", ".join(f"group_concat({c}, ',')" for c in _UNSOLD_NAMES.split(", "))
    + " FROM (SELECT deposit_id, d.account_id AS account_id, d.asset_id AS asset_id,"
    f" terms_version, h.remaining AS remaining FROM {_HELD}"
    " WHERE pool_id = ? AND h.remaining > 0 AND deposit_id > ? ORDER BY deposit_id LIMIT ?)"
)
PIECE_DEPOSITS = 1 << 20


def unsold_columns(uow: UnitOfWork, pool_id: str) -> list[NDArray[np.int64]]:
    """``unsold_deposits`` as five int64 columns, with no Python object per deposit
    kept: one bytea per column on PostgreSQL, a text per column and piece on SQLite,
    read by numpy."""
    driver: Any = uow.dbapi_connection()
    if uow.is_postgres:
        return _unsold_columns_pg(driver, pool_id)
    pieces: list[list[NDArray[np.int64]]] = []
    after = -(1 << 63)
    while True:
        n, *texts = driver.execute(_UNSOLD_TEXT_SQLITE, (pool_id, after, PIECE_DEPOSITS)).fetchone()
        if not n:
            break
        piece = [np.fromstring(text, dtype=np.int64, sep=",") for text in texts]
        _check_in_order(piece)
        if len(piece[0]) != n:
            raise RuntimeError(f"{len(piece[0])} of {n} unsold deposits came back")
        pieces.append(piece)
        after = int(piece[0][-1])
        if n < PIECE_DEPOSITS:
            break
    if not pieces:
        return [np.zeros(0, dtype=np.int64) for _ in range(5)]
    return [np.concatenate([p[i] for p in pieces]) for i in range(5)]


# PostgreSQL sends each column as one bytea of big-endian int64s (``int8send`` of each
# value, in deposit order): numpy reads it as it is, where a row per deposit through
# the driver costs microseconds each. The aggregates read a subquery already in deposit
# order (a merge join of the two primary keys): an ``ORDER BY`` in each of the five
# would sort the rows five times over (PostgreSQL 15).
_UNSOLD_PACKED_PG = (
    "SELECT "
    + ", ".join(f"string_agg(int8send({c}), ''::bytea)" for c in _UNSOLD_NAMES.split(", "))
    + " FROM (SELECT deposit_id, d.account_id AS account_id, d.asset_id AS asset_id,"
    f" CAST(terms_version AS BIGINT) AS terms_version, h.remaining AS remaining FROM {_HELD}"
    " WHERE pool_id = %s AND h.remaining > 0 ORDER BY deposit_id) AS unsold"
)


def _unsold_columns_pg(driver: Any, pool_id: str) -> list[NDArray[np.int64]]:
    with driver.cursor() as cursor:
        cursor.execute(_UNSOLD_PACKED_PG, (pool_id,))
        row = cursor.fetchone()
    columns = [np.frombuffer(bytes(value or b""), dtype=">i8").astype(np.int64) for value in row]
    _check_in_order(columns)
    return columns


def _check_in_order(columns: list[NDArray[np.int64]]) -> None:
    """The columns line up, in deposit order: else they cannot be trusted (a bug, not
    input; the sale's draw would refuse them too)."""
    ids = columns[0]
    if any(len(c) != len(ids) for c in columns) or bool(np.any(ids[1:] <= ids[:-1])):
        raise RuntimeError("the unsold deposits did not come back whole, in deposit order")


def insert_sale(uow: UnitOfWork, row: Row) -> None:
    uow.execute(pool_sales.insert().values(**row))


def insert_lines(uow: UnitOfWork, columns: Sequence[Sequence[int]]) -> None:
    """A sale's lines in bulk (COPY on PostgreSQL, executemany on SQLite): the columns
    in ``LINE_COLUMNS`` order."""
    rows = zip(*columns, strict=True)
    names = ", ".join(LINE_COLUMNS)
    driver: Any = uow.dbapi_connection()
    cursor = driver.cursor()
    if uow.is_postgres:
        with cursor.copy(f"COPY pool_sale_lines ({names}) FROM STDIN") as copy:
            for values in rows:
                copy.write_row(values)
    else:
        marks = ", ".join(["?"] * len(LINE_COLUMNS))
        cursor.executemany(f"INSERT INTO pool_sale_lines ({names}) VALUES ({marks})", rows)
    cursor.close()


def insert_line_columns(uow: UnitOfWork, entry_seq: int, columns: Mapping[str, Any]) -> None:
    """A sale's lines set-based from int64 columns (``account_id``, ``grams_g``,
    ``gross_fen``, ``fee_fen``, ``net_fen``, ``remainder``), appended straight
    (``UnitOfWork.append_columns``: a binary COPY on PostgreSQL, ``executemany`` in
    pieces on SQLite), in account order: the primary key's order."""
    names = [c for c in LINE_COLUMNS if c != "entry_seq"]
    uow.append_columns(
        "pool_sale_lines", {"entry_seq": int(entry_seq), **{n: columns[n] for n in names}}
    )


def sale(uow: UnitOfWork, entry_seq: int) -> Row | None:
    row = uow.execute(sa.select(pool_sales).where(pool_sales.c.entry_seq == entry_seq))
    found = row.mappings().first()
    return None if found is None else dict(found)


def sale_by_id(uow: UnitOfWork, pool_id: str, sale_id: str) -> Row | None:
    c = pool_sales.c
    found = (
        uow.execute(sa.select(pool_sales).where(c.pool_id == pool_id, c.sale_id == sale_id))
        .mappings()
        .first()
    )
    return None if found is None else dict(found)


def sales_of_pool(uow: UnitOfWork, pool_id: str, after_seq: int, limit: int) -> list[Row]:
    c = pool_sales.c
    query = (
        sa.select(pool_sales)
        .where(c.pool_id == pool_id, c.entry_seq > after_seq)
        .order_by(c.entry_seq)
        .limit(limit)
    )
    return [dict(r) for r in uow.execute(query).mappings()]


def all_sales(uow: UnitOfWork) -> list[Row]:
    return [
        dict(r)
        for r in uow.execute(sa.select(pool_sales).order_by(pool_sales.c.entry_seq)).mappings()
    ]


def line_totals(uow: UnitOfWork) -> dict[int, Row]:
    """Per sale: its lines' count and the sums the audit compares."""
    c = pool_sale_lines.c
    query = sa.select(
        c.entry_seq,
        sa.func.count().label("lines"),
        sa.func.sum(c.grams_g).label("grams_g"),
        sa.func.sum(c.gross_fen).label("gross_fen"),
        sa.func.sum(c.fee_fen).label("fee_fen"),
        sa.func.sum(c.net_fen).label("net_fen"),
    ).group_by(c.entry_seq)
    return {int(r["entry_seq"]): dict(r) for r in uow.execute(query).mappings()}


def lines_of_sale(uow: UnitOfWork, entry_seq: int) -> Iterator[Row]:
    """A sale's lines, account ascending (streamed: a sale may have millions)."""
    c = pool_sale_lines.c
    query = sa.select(pool_sale_lines).where(c.entry_seq == entry_seq).order_by(c.account_id)
    for r in uow.execute(query).mappings():
        yield dict(r)


def statement_of(uow: UnitOfWork, account_id: int, pool_id: str | None, limit: int) -> list[Row]:
    """An account's lines, newest first, each with its sale's facts."""
    s, ln = pool_sales.c, pool_sale_lines.c
    query = (
        sa.select(
            s.entry_seq,
            s.sale_id,
            s.pool_id,
            s.venue,
            s.price_fen_per_t,
            s.ts,
            s.paid_at,
            ln.grams_g,
            ln.gross_fen,
            ln.fee_fen,
            ln.net_fen,
            ln.remainder,
        )
        .select_from(pool_sale_lines.join(pool_sales, s.entry_seq == ln.entry_seq))
        .where(ln.account_id == account_id, ln.entry_seq.in_(_entries_of(account_id)))
        .order_by(s.entry_seq.desc())
        .limit(limit)
    )
    if pool_id is not None:
        query = query.where(s.pool_id == pool_id)
    return [dict(r) for r in uow.execute(query).mappings()]


def _entries_of(account_id: int) -> Any:
    """The entries that posted to the account: every sale that paid it is among them
    (each line is a frozen debit of its grams, > 0), found by the postings' account
    index."""
    p = _ledger_postings.c
    return sa.select(p.seq).where(p.account_id == account_id)


def settle_entries(uow: UnitOfWork) -> Iterator[tuple[int, dict[str, Any]]]:
    """Every ``pool_settle`` entry's seq and payload, in order, by their own index."""
    cursor: Any = uow.dbapi_connection().cursor()
    cursor.execute(_SETTLE_ENTRIES)
    for seq, payload in cursor:
        yield int(seq), payload if isinstance(payload, dict) else json.loads(payload)
    cursor.close()


# A pool's public page aggregates at most this many sales (a pool sells a few times a
# day; decades of sales fit).
PUBLIC_SALES_MAX = 100_000


def contributors_paid(uow: UnitOfWork, pool_id: str) -> int:
    """How many distinct contributors the pool's sales paid (a count, no one named)."""
    s, ln = pool_sales.c, pool_sale_lines.c
    query = (
        sa.select(sa.func.count(sa.distinct(ln.account_id)))
        .select_from(pool_sale_lines.join(pool_sales, s.entry_seq == ln.entry_seq))
        .where(s.pool_id == pool_id)
    )
    return int(uow.execute(query).scalar_one())
