"""Ingesting a data partner's batch of behaviour events (JSON Lines) over the API.

A batch is validated event by event with the same rules the daily pipeline applies
(``pctrade.behaviour.validation``), each against the day its own start falls in; every
rejected event is reported with its reason code and line number, and the good events
of the same batch still go through. The accepted events are stored as one canonical
Parquet file per batch under the data directory, which the daily quantification reads;
the report is stored beside it so the partner can fetch it again.

The batch id is a digest of (partner, body): resubmitting the same batch is harmless —
it yields the same id, the same file and the same report. Within a batch, copies of one
(partner, event id) are ``duplicate_event`` when identical and
``duplicate_event_conflict`` (every copy) when their content differs, as in the pipeline.
Events must be the submitting partner's own: another ``partner_id`` is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pctrade.behaviour.loader import load_catalogue
from pctrade.behaviour.model import Catalogue, Event
from pctrade.behaviour.quantify import day_window
from pctrade.behaviour.reasons import Rejection
from pctrade.behaviour.validation import rejection
from pctrade.domain.errors import NotFound, ValidationError
from pctrade.pipeline.schema import EVENTS

EVENTS_PER_BATCH_MAX = 100_000
REJECTIONS_LISTED_MAX = 10_000
BAD_JSON_ROW = "bad_json_row"  # the JSON Lines counterpart of the importer's bad_csv_row
PARTNER_MISMATCH = "partner_mismatch"
_CST_OFFSET_MS = 8 * 3_600_000  # an event's day is its China Standard Time date
_STRINGS = ("partner_id", "event_id", "person_id", "behaviour", "unit", "evidence_ref")
_INTEGERS = ("start_ms", "end_ms", "quantity")
_INT64_MAX = 2**63 - 1
_DAY_MS = 86_400_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DAY = date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class RejectedLine:
    line: int
    event_id: str | None
    reason: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class IngestReport:
    batch_id: str
    partner_id: str
    received: int
    accepted: int
    rejected: list[RejectedLine] = field(default_factory=list)
    by_reason: dict[str, int] = field(default_factory=dict)


def batch_id_of(partner_id: str, body: bytes) -> str:
    return hashlib.sha256(partner_id.encode() + b"\x1f" + body).hexdigest()[:32]


def _typed(raw: Any, partner_id: str, line: int) -> Event | RejectedLine:
    """A JSON value as an event, or why it cannot be one."""
    if not isinstance(raw, dict):
        return RejectedLine(line, None, BAD_JSON_ROW, "each line must be one JSON object")
    event_id = raw.get("event_id") if isinstance(raw.get("event_id"), str) else None
    for name in _STRINGS:
        if raw.get(name) is not None and not isinstance(raw[name], str):
            return RejectedLine(line, event_id, Rejection.BAD_VALUE, f"{name} must be a string")
    for name in _INTEGERS:
        value = raw.get(name)
        # bool is an int in Python; a float is never an integer quantity here.
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or abs(value) > _INT64_MAX
        ):
            return RejectedLine(line, event_id, Rejection.BAD_VALUE, f"{name} must be an integer")
    given = raw.get("partner_id")
    if given is not None and given != partner_id:
        return RejectedLine(line, event_id, PARTNER_MISMATCH, f"events of {partner_id} only")
    values = {name: raw.get(name) for name in (*_STRINGS, *_INTEGERS)}
    values["partner_id"] = partner_id
    return Event(row_no=line, **values)


def _parse(body: bytes, partner_id: str) -> tuple[list[Event], list[RejectedLine], int]:
    events: list[Event] = []
    rejected: list[RejectedLine] = []
    received = 0
    for n, text in enumerate(body.split(b"\n"), start=1):
        if not text.strip():
            continue
        received += 1
        if received > EVENTS_PER_BATCH_MAX:
            raise ValidationError(
                f"a batch holds at most {EVENTS_PER_BATCH_MAX} events", code="too_many"
            )
        try:
            raw = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            rejected.append(RejectedLine(n, None, BAD_JSON_ROW, str(exc)[:200]))
            continue
        typed = _typed(raw, partner_id, n)
        if isinstance(typed, Event):
            events.append(typed)
        else:
            rejected.append(typed)
    return events, rejected, received


def _screen(events: list[Event], catalogue: Catalogue, now_ms: int) -> list[RejectedLine]:
    """Each event's own first broken rule, judged on the day it started."""
    rejected = []
    for event in events:
        reason = None
        if event.start_ms is not None:
            day = _EPOCH_DAY + timedelta(days=(event.start_ms + _CST_OFFSET_MS) // _DAY_MS)
            reason = rejection(event, catalogue, day_window(day, now_ms))
        else:
            reason = Rejection.MISSING_FIELD
        if reason is not None:
            rejected.append(RejectedLine(event.row_no, event.event_id, str(reason)))
    return rejected


def _duplicates(events: list[Event]) -> list[RejectedLine]:
    """Copies of one event id within the batch, by the pipeline's rule."""
    groups: dict[str | None, list[Event]] = {}
    for event in events:
        groups.setdefault(event.event_id, []).append(event)
    out = []
    for copies in groups.values():
        if len(copies) < 2:
            continue
        conflict = len({e.content() for e in copies}) > 1
        for e in copies if conflict else copies[1:]:
            reason = Rejection.DUPLICATE_EVENT_CONFLICT if conflict else Rejection.DUPLICATE_EVENT
            out.append(RejectedLine(e.row_no, e.event_id, str(reason)))
    return out


def ingest_batch(partner_id: str, body: bytes, data_dir: Path, now: datetime) -> IngestReport:
    """Validate a JSON Lines batch, store its accepted events, and report every event."""
    now_ms = (now - _EPOCH) // timedelta(milliseconds=1)
    events, rejected, received = _parse(body, partner_id)
    screened = _screen(events, load_catalogue(), now_ms)
    bad = {r.line for r in screened}
    duplicates = _duplicates([e for e in events if e.row_no not in bad])
    rejected = sorted([*rejected, *screened, *duplicates], key=lambda r: r.line)
    refused = {r.line for r in rejected}
    accepted = [e for e in events if e.row_no not in refused]
    batch_id = batch_id_of(partner_id, body)
    report = IngestReport(
        batch_id,
        partner_id,
        received,
        len(accepted),
        rejected[:REJECTIONS_LISTED_MAX],
        dict(Counter(r.reason for r in rejected)),
    )
    _store(data_dir, report, accepted)
    return report


def default_data_dir() -> Path:
    """``$PCTRADE_DATA_DIR``, or ``data`` in the working directory."""
    return Path(os.environ.get("PCTRADE_DATA_DIR", "data"))


def events_dir(data_dir: Path) -> Path:
    return data_dir / "behaviour" / "events"


def _store(data_dir: Path, report: IngestReport, accepted: list[Event]) -> None:
    """Write the events, then the report: a report on disk means its batch is complete."""
    folder = events_dir(data_dir) / report.partner_id
    folder.mkdir(parents=True, exist_ok=True)
    if accepted:
        rows = [{name: getattr(e, name) for name in EVENTS.names} for e in accepted]
        part = folder / f"{report.batch_id}.parquet.part"
        pq.write_table(pa.Table.from_pylist(rows, schema=EVENTS), part)
        part.replace(folder / f"{report.batch_id}.parquet")
    reports = data_dir / "behaviour" / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    (reports / f"{report.batch_id}.json").write_text(json.dumps(asdict(report)), encoding="utf-8")


def read_report(data_dir: Path, batch_id: str) -> IngestReport:
    if not batch_id.isalnum() or len(batch_id) > 64:
        raise NotFound(f"no batch {batch_id}", code="unknown_batch")
    path = data_dir / "behaviour" / "reports" / f"{batch_id}.json"
    if not path.is_file():
        raise NotFound(f"no batch {batch_id}", code="unknown_batch")
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw["rejected"] = [RejectedLine(**r) for r in raw["rejected"]]
    return IngestReport(**raw)
