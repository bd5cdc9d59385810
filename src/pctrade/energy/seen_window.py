"""The judged keys a run needs: the window dedupe spans, of the events in its file.

Dedupe (``pipeline.definition``) joins the day's events to the keys earlier runs
credited or held, by (partner, event id); a key that matches nothing in the file
changes nothing. What it needs is therefore the keys of the file's own events judged
within the window (``service.SEEN_DAYS_MAX`` days: a copy of an older event is refused
anyway as ``not_on_day``; only an id reused with new content after the window would
pass). That is read as a semi-join of the file's keys against the day-partitioned
table (``sql.seen.seen_of_keys``), so a national day reads at most its own ~20 M keys'
matches — never 400 days of keys into memory. The file's keys are read by Arrow, two
columns only; a file Arrow cannot read (a malformed CSV, which the importer salvages
row by row) is answered with the whole window, as before.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

KEY_COLUMNS = ["partner_id", "event_id"]


def file_keys(path: Path) -> pa.Table | None:
    """(partner_id, event_id) of every row of an event file, or None if unreadable."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            table = pq.read_table(path, columns=KEY_COLUMNS)
        elif suffix == ".csv":
            types = dict.fromkeys(KEY_COLUMNS, pa.string())
            convert = pacsv.ConvertOptions(include_columns=KEY_COLUMNS, column_types=types)
            table = pacsv.read_csv(path, convert_options=convert)
        else:
            return None
        return table.select(KEY_COLUMNS).cast(
            pa.schema([pa.field(name, pa.string()) for name in KEY_COLUMNS])
        )
    except (pa.ArrowException, OSError, KeyError, ValueError):
        return None
