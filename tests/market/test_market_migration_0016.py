"""Migration 0016 (block trades, auctions): up from 0015 with a trade, down and up again,
and the tables it makes are the ones the code declares (issue 13)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from migration_support import alembic_run
from pctrade.ledger.sql.store import SqlStore
from pctrade.market.sql import store as mdb
from pctrade.market.sql import venues as vdb

MARKET_TABLES = {t.name for m in (mdb.metadata, vdb.metadata) for t in m.sorted_tables}


TRADE = {
    "trade_id": "PCER-GD-2026-5-1",
    "entry_seq": 9,
    "contract_id": 1,
    "day": "2026-12-07",
    "seq": 5,
    "buy_order_id": 1,
    "sell_order_id": 2,
    "taker_side": "buy",
    "buyer_account": 1000,
    "seller_account": 1001,
    "price_fen_per_t": 6_000,
    "quantity_g": 1_000_000,
    "cash_fen": 6_000,
    "buyer_fee_fen": 3,
    "seller_fee_fen": 3,
    "ts": "2026-12-07T02:00:00.000000Z",
}


def test_0016_keeps_trades_as_listing_and_matches_the_declared_tables(url: str) -> None:
    store = SqlStore(url)
    try:
        alembic_run(store, "upgrade", "0015")
        with store.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO market_trades ({}) VALUES ({})".format(
                        ", ".join(TRADE), ", ".join(f":{k}" for k in TRADE)
                    )
                ),
                TRADE,
            )
        alembic_run(store, "upgrade", "0016")
        with store.engine.connect() as conn:
            modes = list(conn.execute(sa.select(mdb.trades.c.trade_id, mdb.trades.c.mode)))
        # The declared tables are those of the head (later migrations add to the market's
        # tables, e.g. 0021's pool columns): compare there.
        alembic_run(store, "upgrade", "head")
        with store.engine.connect() as conn:
            merged = sa.MetaData()
            for table in [*mdb.metadata.sorted_tables, *vdb.metadata.sorted_tables]:
                table.to_metadata(merged)
            diffs = compare_metadata(MigrationContext.configure(conn), merged)
        assert [tuple(r) for r in modes] == [(TRADE["trade_id"], "listing")]
        ours = [d for d in diffs if MARKET_TABLES & set(map(str, _names(d)))]
        assert ours == []
        alembic_run(store, "downgrade", "0015")
        alembic_run(store, "upgrade", "0016")
        with store.engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(mdb.trades)).scalar() == 1
    finally:
        store.dispose()


def _names(diff: object) -> list[str]:
    """The table names a comparison's difference touches (its tuples hold tables/columns)."""
    out: list[str] = []
    items = diff if isinstance(diff, list) else [diff]
    for item in items:
        for part in item if isinstance(item, tuple) else ():
            name = getattr(part, "name", None) or getattr(
                getattr(part, "table", None), "name", None
            )
            if isinstance(part, str):
                out.append(part)
            elif name:
                out.append(str(name))
    return out
