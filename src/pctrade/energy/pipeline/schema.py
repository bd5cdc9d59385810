"""Columnar schemas of the quantification pipeline's inputs and outputs.

The canonical event file (Parquet) has one row per submitted event:

| column | type | meaning |
|---|---|---|
| partner_id, event_id | string | the idempotency key of the submission |
| person_id | string | whose behaviour it is |
| behaviour | string | a behaviour id from a methodology, e.g. `metro_km` |
| start_ms, end_ms | int64 | UTC milliseconds since the epoch |
| quantity | int64 | integer amount in `unit` |
| unit | string | one of the behaviour's accepted units, e.g. `km` |
| evidence_ref | string, optional | ticket / order / meter number |
| source_row | int64, optional | original row number (set by the CSV import) |

Held and credited events carry `digest`, the MD5 of their content
(`Event.content_digest`), which the registry remembers per (partner, event id).
Every output carries `row_no` (the event's 0-based row in its source file) so
reports point at the exact line. Carbon columns are integers: `*_ug` in
micrograms, `*_g` in grams.
"""

from __future__ import annotations

from typing import Final

import pyarrow as pa

STRING_COLUMNS: Final = ("partner_id", "event_id", "person_id", "behaviour", "unit")
INTEGER_COLUMNS: Final = ("start_ms", "end_ms", "quantity")
OPTIONAL_STRING_COLUMNS: Final = ("evidence_ref",)
SOURCE_ROW: Final = "source_row"

EVENT_COLUMNS: Final = (
    "partner_id",
    "event_id",
    "person_id",
    "behaviour",
    "start_ms",
    "end_ms",
    "quantity",
    "unit",
    "evidence_ref",
)

EVENTS = pa.schema(
    [
        pa.field("partner_id", pa.string()),
        pa.field("event_id", pa.string()),
        pa.field("person_id", pa.string()),
        pa.field("behaviour", pa.string()),
        pa.field("start_ms", pa.int64()),
        pa.field("end_ms", pa.int64()),
        pa.field("quantity", pa.int64()),
        pa.field("unit", pa.string()),
        pa.field("evidence_ref", pa.string()),
    ]
)
"""The canonical event file, as written by the importer and the generator."""

_EVENT_FIELDS = [pa.field("row_no", pa.int64()), *EVENTS]

REJECTED = pa.schema(
    [*_EVENT_FIELDS, pa.field("reason", pa.string()), pa.field("detail", pa.string())]
)
HELD = pa.schema(
    [
        *_EVENT_FIELDS,
        pa.field("methodology", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("avoided_ug", pa.int64()),
        pa.field("digest", pa.string()),
    ]
)
ENERGY = pa.schema(
    [
        pa.field("day", pa.date32()),
        pa.field("person_id", pa.string()),
        pa.field("family", pa.string()),
        pa.field("methodology", pa.string()),
        pa.field("behaviour", pa.string()),
        pa.field("base_unit", pa.string()),
        pa.field("events_n", pa.int64()),
        pa.field("quantity", pa.int64()),
        pa.field("factor_ug_per_unit", pa.int64()),
        pa.field("avoided_ug", pa.int64()),
        pa.field("cap_forfeit_ug", pa.int64()),
        pa.field("remainder_ug", pa.int64()),
        pa.field("credited_g", pa.int64()),
        pa.field("cap_flag", pa.string()),
    ]
)
CREDITED_EVENTS = pa.schema(
    [
        pa.field("row_no", pa.int64()),
        pa.field("partner_id", pa.string()),
        pa.field("event_id", pa.string()),
        pa.field("person_id", pa.string()),
        pa.field("behaviour", pa.string()),
        pa.field("methodology", pa.string()),
        pa.field("quantity_base", pa.int64()),
        pa.field("avoided_ug", pa.int64()),
        pa.field("digest", pa.string()),
    ]
)
"""Event-level audit trail: which events make up each energy row, and how much each avoided."""

YEAR_TO_DATE = pa.schema(
    [
        pa.field("person_id", pa.string()),
        pa.field("family", pa.string()),
        pa.field("credited_g", pa.int64()),
    ]
)
"""Grams credited so far this year per (person, family), supplied by the energy ledger."""

SEEN = pa.schema(
    [
        pa.field("partner_id", pa.string()),
        pa.field("event_id", pa.string()),
        pa.field("digest", pa.string()),
    ]
)
"""Events credited or held by earlier runs (the registry remembers them): a copy that
comes again is `duplicate_event_processed`, or `…_conflict` if its content digest
(`Event.content_digest`) differs."""

PARTNERS = pa.schema(
    [
        pa.field("partner_id", pa.string()),
        pa.field("events_n", pa.int64()),
        pa.field("judged_n", pa.int64()),
        pa.field("flagged_n", pa.int64()),
        pa.field("anomalous", pa.bool_()),
    ]
)
"""Per partner of a run: events, those judged (all but another day's events and
harmless copies), those rejected or held, and whether the anomaly rule held the rest."""
