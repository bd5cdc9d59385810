"""The SQL of the registry's exports (``pctrade.export``): the three tables read as
Arrow record batches, streamed in chunks of the caller's size so that memory stays bounded
whatever the journal's size, and the per-batch sums of holdings by state. Names are
joined in SQL, never per row in Python.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from pctrade.ledger.model import CASH_ASSET, CASH_NAME, ENERGY_ASSET, ENERGY_NAME, State
from pctrade.ledger.sql import schema as t
from pctrade.ledger.sql.store import SqlUnitOfWork


def _state_label() -> sa.Case[Any]:
    """SQL that names a state code, so that files read without our enum."""
    whens = [(t.postings.c.state == int(s), s.label) for s in State]
    return sa.case(*whens, else_=sa.cast(t.postings.c.state, sa.String))


def _asset_name(asset_id: sa.ColumnElement[int]) -> sa.ColumnElement[str]:
    return sa.case(
        (asset_id == CASH_ASSET, CASH_NAME),
        (asset_id == ENERGY_ASSET, ENERGY_NAME),
        else_=t.batches.c.denomination,
    )


_JOURNAL = pa.schema(
    [
        ("seq", pa.int64()),
        ("op_type", pa.string()),
        ("actor", pa.string()),
        ("idem_key", pa.string()),
        ("ts", pa.string()),
        ("payload", pa.string()),
        ("posting_count", pa.int64()),
        ("corrects_seq", pa.int64()),
        ("prev_hash", pa.string()),
        ("hash", pa.string()),
    ]
)
_POSTINGS = pa.schema(
    [
        ("seq", pa.int64()),
        ("idx", pa.int64()),
        ("account_id", pa.int64()),
        ("asset_id", pa.int64()),
        ("asset", pa.string()),
        ("state", pa.string()),
        ("delta", pa.int64()),
    ]
)
_BALANCES = pa.schema(
    [
        ("account_id", pa.int64()),
        ("holder_type", pa.string()),
        ("owner", pa.string()),
        ("asset_id", pa.int64()),
        ("asset", pa.string()),
        ("state", pa.string()),
        ("amount", pa.int64()),
    ]
)


def _journal_query() -> sa.Select[Any]:
    e = t.entries.c
    return sa.select(
        e.seq,
        e.op_type,
        e.actor,
        e.idem_key,
        e.ts,
        e.payload,
        e.posting_count,
        e.corrects_seq,
        e.prev_hash,
        e.hash,
    ).order_by(e.seq)


def _postings_query() -> sa.Select[Any]:
    p = t.postings.c
    return (
        sa.select(
            p.seq,
            p.idx,
            p.account_id,
            p.asset_id,
            _asset_name(p.asset_id),
            _state_label(),
            p.delta,
        )
        .select_from(
            t.postings.outerjoin(t.batches, t.batches.c.asset_id == p.asset_id),
        )
        .order_by(p.seq, p.idx)
    )


def _balances_query() -> sa.Select[Any]:
    b = t.balances.c
    whens = [(b.state == int(s), s.label) for s in State]
    return (
        sa.select(
            b.account_id,
            t.accounts.c.holder_type,
            t.accounts.c.owner,
            b.asset_id,
            _asset_name(b.asset_id),
            sa.case(*whens, else_=sa.cast(b.state, sa.String)),
            b.amount,
        )
        .select_from(
            t.balances.join(t.accounts, t.accounts.c.account_id == b.account_id).outerjoin(
                t.batches, t.batches.c.asset_id == b.asset_id
            )
        )
        .where(b.amount != 0)
        .order_by(b.account_id, b.asset_id, b.state)
    )


# Each exported table: its columns, in the order its query selects them.
SCHEMAS: dict[str, pa.Schema] = {"journal": _JOURNAL, "postings": _POSTINGS, "balances": _BALANCES}


def _tables() -> dict[str, tuple[sa.Select[Any], pa.Schema]]:
    return {
        "journal": (_journal_query(), _JOURNAL),
        "postings": (_postings_query(), _POSTINGS),
        "balances": (_balances_query(), _BALANCES),
    }


def record_batches(uow: SqlUnitOfWork, table: str, chunk_rows: int) -> Iterator[Any]:
    """The rows of one of ``SCHEMAS``'s tables, ``chunk_rows`` at a time, in the snapshot
    ``uow`` reads."""
    query, schema = _tables()[table]
    return _record_batches(uow.conn, query, schema, chunk_rows)


def _record_batches(
    conn: sa.Connection, query: sa.Select[Any], schema: pa.Schema, chunk_rows: int
) -> Iterator[Any]:
    result = conn.execution_options(yield_per=chunk_rows).execute(query)
    for rows in result.partitions():
        columns = list(zip(*rows, strict=True))
        yield pa.RecordBatch.from_arrays(
            [pa.array(col, type=field.type) for col, field in zip(columns, schema, strict=True)],
            schema=schema,
        )


def holdings_by_state(
    uow: SqlUnitOfWork, first: int = 1, last: int | None = None
) -> dict[int, dict[State, int]]:
    """Per batch (asset ids ``first`` to ``last``), the sum of every holding in each
    state: one GROUP BY, no loop of reads."""
    b = t.balances.c
    where = (b.asset_id >= max(first, 1)) & (b.state != int(State.SOURCE))
    if last is not None:
        where &= b.asset_id <= last
    query = sa.select(b.asset_id, b.state, sa.func.sum(b.amount)).where(where)
    query = query.group_by(b.asset_id, b.state)
    sums: dict[int, dict[State, int]] = {}
    for asset_id, state, total in uow.conn.execute(query):
        sums.setdefault(asset_id, {})[State(state)] = int(total)
    return sums
