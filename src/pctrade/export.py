"""Exports of the registry to files, and the set-based summaries the CLI shows.

Three tables leave the registry, all read in **one** snapshot so that they agree with
each other even while writers keep appending:

- ``journal``  — one row per entry: seq, type, actor, idempotency key, UTC time, the
  JSON payload, posting count, the entry it corrects, and the hash chain;
- ``postings`` — one row per posting: seq, index, account, asset (batch name or CNY),
  state and signed delta (grams for credits, fen for cash);
- ``balances`` — the current balance of every (account, asset, state), with the
  account's holder type and owner and the batch's name.

Each query (``ledger.sql.export``) is streamed from the database in chunks of
``CHUNK_ROWS`` and written chunk by chunk as Arrow record batches (CSV through
``pyarrow.csv``, Parquet through ``pyarrow.parquet``), so memory stays bounded by the
chunk size whether the journal holds a thousand postings or a billion. Names are joined
in SQL, never per row in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from pctrade.kernel.errors import ValidationError
from pctrade.kernel.limits import PAGE_SIZE_MAX
from pctrade.kernel.paging import Page, fetch_size
from pctrade.ledger.model import State
from pctrade.ledger.sql import export as sql_export
from pctrade.ledger.sql.store import SqlStore

CHUNK_ROWS = 100_000


class ExportFormat(StrEnum):
    CSV = "csv"
    PARQUET = "parquet"


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
        for name, schema in sql_export.SCHEMAS.items():
            sink = _Sink(out_dir / f"{name}.{fmt.value}", schema, fmt)
            try:
                for batch in sql_export.record_batches(uow, name, CHUNK_ROWS):
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


def batch_totals(store: SqlStore, after: int = 0, limit: int = PAGE_SIZE_MAX) -> Page[BatchTotals]:
    """A page of batches (by asset id, after ``after``), each with the sum of every
    holding in each state: one GROUP BY over the page's batches, no loop of reads."""
    n = fetch_size(limit, PAGE_SIZE_MAX)
    with store.reader() as uow:
        read = uow.batches_page(after, n)
        batches = read[:limit]
        sums = (
            sql_export.holdings_by_state(uow, batches[0].asset_id, batches[-1].asset_id)
            if batches
            else {}
        )
    rows = [
        BatchTotals(bt.asset_id, bt.name, bt.issued_g, sums.get(bt.asset_id, {})) for bt in batches
    ]
    return Page(rows, (rows[-1].asset_id,) if len(read) > limit else None)
