"""Bulk file import: a partner's CSV or Parquet file into the canonical event file.

Import never fails half-way: every row that cannot become an event is kept as
a rejected row with a reason code (`bad_csv_row`, `bad_value`,
`bad_parquet_schema`), its row number and a human-readable detail, and every
good row still goes through. Semantic checks (units, plausibility, …) are the
pipeline's job; import only makes rows *typed*.

- **CSV**: a header row naming the canonical columns (any order; extra
  columns are ignored; `evidence_ref` is optional). Timestamps are epoch
  milliseconds or ISO 8601 with an explicit offset
  (`2026-11-24T08:30:00+08:00`); quantities are integers. An empty cell is a
  missing value. The file is rewritten as canonical Parquet with a
  `source_row` column; `row_no` is the 0-based data row (header excluded).
- **Parquet**: used in place when its schema is canonical (integer columns of
  any integer width, string columns as string). Otherwise every row is
  rejected as `bad_parquet_schema`, with the offending columns named.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pctrade.energy.behaviour.reasons import Rejection
from pctrade.energy.pipeline.schema import (
    EVENT_COLUMNS,
    EVENTS,
    INTEGER_COLUMNS,
    OPTIONAL_STRING_COLUMNS,
    REJECTED,
    SOURCE_ROW,
)
from pctrade.energy.pipeline.source import EventSource
from pctrade.kernel.errors import ValidationError
from pctrade.kernel.limits import INT64_MAX
from pctrade.kernel.text import check_text

_INTEGER = re.compile(r"[+-]?[0-9]{1,19}")
_REQUIRED_COLUMNS: Final = tuple(c for c in EVENT_COLUMNS if c not in OPTIONAL_STRING_COLUMNS)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
CSV_ROWS_MAX: Final = 50_000_000
"""Bound on one CSV file (rows); larger files should arrive as Parquet."""


@dataclass(frozen=True, slots=True)
class ImportedFile:
    """The readable part of a file (`source`, or None) and its rejected rows."""

    source: EventSource | None
    errors: pa.Table


def import_file(path: Path, work_dir: Path) -> ImportedFile:
    """Type-check a CSV or Parquet file; write canonical Parquet into `work_dir` if needed."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return import_csv(path, work_dir / f"{path.stem}.canonical.parquet")
    if suffix in (".parquet", ".pq"):
        return import_parquet(path)
    raise ValueError(f"unsupported event file type {suffix!r} (use .csv or .parquet)")


# -- Parquet -----------------------------------------------------------------


def import_parquet(path: Path) -> ImportedFile:
    schema = pq.read_schema(path)
    problems = schema_problems(schema)
    if not problems:
        source = EventSource(
            path=path,
            has_source_row=SOURCE_ROW in schema.names,
            has_evidence="evidence_ref" in schema.names,
        )
        return ImportedFile(source, REJECTED.empty_table())
    return ImportedFile(None, _reject_every_row(pq.read_table(path), "; ".join(problems)))


def schema_problems(schema: pa.Schema) -> list[str]:
    """What keeps `schema` from being read as canonical events (empty if nothing)."""
    problems = []
    for name in EVENT_COLUMNS:
        if name not in schema.names:
            if name not in OPTIONAL_STRING_COLUMNS:
                problems.append(f"missing column {name}")
            continue
        found = schema.field(name).type
        wanted_integer = name in INTEGER_COLUMNS
        if wanted_integer and not pa.types.is_integer(found):
            problems.append(f"column {name} is {found}, expected an integer type")
        if not wanted_integer and not (
            pa.types.is_string(found) or pa.types.is_large_string(found)
        ):
            problems.append(f"column {name} is {found}, expected string")
    return problems


def _reject_every_row(table: pa.Table, detail: str) -> pa.Table:
    """One rejected row per event of an unreadable file, keeping what can be kept."""
    columns: dict[str, pa.Array] = {"row_no": pa.array(range(table.num_rows), pa.int64())}
    for field in EVENTS:
        columns[field.name] = _salvage(table, field)
    columns["reason"] = pa.array([str(Rejection.BAD_PARQUET_SCHEMA)] * table.num_rows, pa.string())
    columns["detail"] = pa.array([detail] * table.num_rows, pa.string())
    return pa.table(columns, schema=REJECTED)


def _salvage(table: pa.Table, field: pa.Field) -> pa.Array:
    if field.name in table.column_names:
        try:
            return pc.cast(table.column(field.name), field.type).combine_chunks()
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    return pa.nulls(table.num_rows, field.type)


# -- CSV ---------------------------------------------------------------------


class _BadValue(ValueError):
    pass


@dataclass(slots=True)
class _CsvBuilder:
    """Column buffers for good rows and a list of rejected ones."""

    columns: dict[str, list[object]]
    errors: list[dict[str, object]]

    @classmethod
    def empty(cls) -> _CsvBuilder:
        return cls({name: [] for name in (*EVENT_COLUMNS, SOURCE_ROW)}, [])

    def reject(
        self, row_no: int, reason: Rejection, detail: str, values: dict[str, object]
    ) -> None:
        self.errors.append({"row_no": row_no, **values, "reason": str(reason), "detail": detail})


def import_csv(path: Path, out_path: Path) -> ImportedFile:
    builder = _CsvBuilder.empty()
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle, strict=True)
        header = next(reader, [])
        missing = [c for c in _REQUIRED_COLUMNS if c not in header]
        for row_no in range(CSV_ROWS_MAX):
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                builder.reject(row_no, Rejection.BAD_CSV_ROW, f"unreadable CSV: {exc}", {})
                continue
            _add_csv_row(builder, row_no, header, row, missing)
        else:
            raise ValueError(f"{path}: more than {CSV_ROWS_MAX} rows; send Parquet instead")
    table = pa.table(builder.columns, schema=EVENTS.append(pa.field(SOURCE_ROW, pa.int64())))
    pq.write_table(table, out_path)
    source = EventSource(out_path, has_source_row=True, has_evidence=True)
    errors = pa.Table.from_pylist(builder.errors, schema=REJECTED)
    return ImportedFile(source, errors)


def _add_csv_row(
    builder: _CsvBuilder, row_no: int, header: list[str], row: list[str], missing: list[str]
) -> None:
    if missing:
        detail = f"header lacks column(s) {', '.join(missing)}"
        builder.reject(row_no, Rejection.BAD_CSV_ROW, detail, {})
        return
    if len(row) != len(header):
        detail = f"expected {len(header)} fields, found {len(row)}"
        builder.reject(row_no, Rejection.BAD_CSV_ROW, detail, {})
        return
    raw = dict(zip(header, row, strict=True))
    texts: dict[str, object] = {name: raw.get(name) or None for name in EVENT_COLUMNS}
    try:
        values = {name: _parse_cell(name, texts[name]) for name in EVENT_COLUMNS}
    except _BadValue as exc:
        kept = {k: v for k, v in texts.items() if k not in INTEGER_COLUMNS and _storable(v)}
        builder.reject(row_no, Rejection.BAD_VALUE, str(exc), kept)
        return
    for name, value in values.items():
        builder.columns[name].append(value)
    builder.columns[SOURCE_ROW].append(row_no)


def _storable(text: object) -> bool:
    try:
        check_text(str(text or ""), "a cell")
    except ValidationError:
        return False
    return True


def _parse_cell(name: str, text: object) -> object:
    if text is not None and not _storable(text):
        # U+0000: PostgreSQL cannot store it, SQLite would (pctrade.kernel.text).
        raise _BadValue(f"{name} contains U+0000 or an unpaired surrogate")
    if text is None or name not in INTEGER_COLUMNS:
        return text
    value = str(text).strip()
    if name in ("start_ms", "end_ms") and not _INTEGER.fullmatch(value):
        return _parse_timestamp(name, value)
    if not _INTEGER.fullmatch(value) or abs(int(value)) > INT64_MAX:
        raise _BadValue(f"{name}: {value!r} is not a 64-bit integer")
    return int(value)


def _parse_timestamp(name: str, value: str) -> int:
    """ISO 8601 with an explicit offset, to whole milliseconds."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise _BadValue(f"{name}: {value!r} is neither epoch ms nor ISO 8601") from exc
    if moment.tzinfo is None:
        raise _BadValue(f"{name}: {value!r} has no UTC offset")
    if moment.microsecond % 1000:
        raise _BadValue(f"{name}: {value!r} is finer than a millisecond")
    # timedelta floor division is exact integer arithmetic (no float seconds).
    return (moment - _EPOCH) // timedelta(milliseconds=1)
