"""Where an engine reads events from: a canonical Parquet file and its shape.

An `EventSource` is produced by `importer.import_file` once the file's schema
has been checked; the engines only ever read sources that passed the check.
Absent optional columns are filled with NULL, and `row_no` comes from the
`source_row` column written by the CSV import or, for a partner's own
Parquet file, from the file's row index (which DuckDB exposes as
`file_row_number` and Spark as `_metadata.row_index`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pctrade.energy.pipeline.schema import EVENT_COLUMNS, INTEGER_COLUMNS


@dataclass(frozen=True, slots=True)
class EventSource:
    path: Path
    has_source_row: bool
    has_evidence: bool

    def column_exprs(self) -> list[str]:
        """SQL expressions (common to both engines) for the canonical columns."""
        exprs = []
        for name in EVENT_COLUMNS:
            if name == "evidence_ref" and not self.has_evidence:
                exprs.append("CAST(NULL AS STRING) AS evidence_ref")
            elif name in INTEGER_COLUMNS:
                exprs.append(f"CAST({name} AS BIGINT) AS {name}")
            else:
                exprs.append(f"CAST({name} AS STRING) AS {name}")
        return exprs
