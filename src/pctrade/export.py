"""Exports of the registry to files, and the set-based summaries the CLI shows.

Three tables leave the registry, all read in **one** snapshot so that they agree with
each other even while writers keep appending:

- ``journal``  — one row per entry: seq, type, actor, idempotency key, UTC time, the
  JSON payload, posting count, the entry it corrects, and the hash chain;
- ``postings`` — one row per posting: seq, index, account, asset (batch name or CNY),
  state and signed delta (grams for credits, fen for cash);
- ``balances`` — the current balance of every (account, asset, state), with the
  account's holder type and owner and the batch's name.

Each query is streamed from the database in chunks of ``CHUNK_ROWS`` and written chunk
by chunk as Arrow record batches (CSV through ``pyarrow.csv``, Parquet through
``pyarrow.parquet``), so memory stays bounded by the chunk size whether the journal
holds a thousand postings or a billion. Names are joined in SQL, never per row in
Python.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import sqlalchemy as sa

from pctrade.kernel.errors import ValidationError
from pctrade.ledger.model import CASH_ASSET, CASH_NAME, ENERGY_ASSET, ENERGY_NAME, State
from pctrade.ledger.sql import schema as t
from pctrade.ledger.sql.store import SqlStore

CHUNK_ROWS = 100_000


class ExportFormat(StrEnum):
    CSV = "csv"
    PARQUET = "parquet"


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


def _tables() -> dict[str, tuple[sa.Select[Any], pa.Schema]]:
    return {
        "journal": (_journal_query(), _JOURNAL),
        "postings": (_postings_query(), _POSTINGS),
        "balances": (_balances_query(), _BALANCES),
    }


def _record_batches(conn: sa.Connection, query: sa.Select[Any], schema: pa.Schema) -> Iterator[Any]:
    result = conn.execution_options(yield_per=CHUNK_ROWS).execute(query)
    for rows in result.partitions():
        columns = list(zip(*rows, strict=True))
        yield pa.RecordBatch.from_arrays(
            [pa.array(col, type=field.type) for col, field in zip(columns, schema, strict=True)],
            schema=schema,
        )


class _Sink:
    """One output file; CSV and Parquet writers share this small surface."""

    def __init__(self, path: Path, schema: pa.Schema, fmt: ExportFormat) -> None:
        self.path = path
        if fmt == ExportFormat.CSV:
            self._writer: Any = pa_csv.CSVWriter(str(path), schema)
        else:
            self._writer = pq.ParquetWriter(str(path), schema, compression="zstd")
        self.rows = 0

    def write(self, batch: Any) -> None:
        self._writer.write_batch(batch)
        self.rows += batch.num_rows

    def close(self) -> None:
        self._writer.close()


@dataclass(frozen=True, slots=True)
class ExportedFile:
    table: str
    path: Path
    rows: int


def export_registry(
    store: SqlStore, out_dir: Path, fmt: ExportFormat = ExportFormat.CSV
) -> list[ExportedFile]:
    """Write journal, postings and balances to ``out_dir`` from one consistent snapshot."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ValidationError(f"{out_dir} exists and is not a directory", code="bad_path")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with store.reader() as uow:
        for name, (query, schema) in _tables().items():
            sink = _Sink(out_dir / f"{name}.{fmt.value}", schema, fmt)
            try:
                for batch in _record_batches(uow.conn, query, schema):
                    sink.write(batch)
            finally:
                sink.close()
            written.append(ExportedFile(name, sink.path, sink.rows))
    return written


@dataclass(frozen=True, slots=True)
class BatchTotals:
    """One batch and where its units are now; the states sum to ``issued_g``."""

    asset_id: int
    denomination: str
    issued_g: int
    by_state: dict[State, int]

    def amount(self, state: State) -> int:
        return self.by_state.get(state, 0)


def batch_totals(store: SqlStore) -> list[BatchTotals]:
    """Per batch, the sum of every holding in each state: one GROUP BY, no loop of reads."""
    b = t.balances.c
    query = (
        sa.select(b.asset_id, b.state, sa.func.sum(b.amount))
        .where((b.asset_id != CASH_ASSET) & (b.state != int(State.SOURCE)))
        .group_by(b.asset_id, b.state)
    )
    with store.reader() as uow:
        sums: dict[int, dict[State, int]] = {}
        for asset_id, state, total in uow.conn.execute(query):
            sums.setdefault(asset_id, {})[State(state)] = int(total)
        batches = uow.batches()
    return [
        BatchTotals(bt.asset_id, bt.name, bt.issued_g, sums.get(bt.asset_id, {})) for bt in batches
    ]
