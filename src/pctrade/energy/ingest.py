"""Ingesting a data partner's batch of behaviour events (JSON Lines) over the API.

A batch is validated event by event with the same rules the daily pipeline applies
(``pctrade.energy.behaviour.validation``), each against the day its own start falls in; every
rejected event is reported with its reason code and line number, and the good events
of the same batch still go through. The accepted events are stored as one canonical
Parquet file per batch under the data directory, which the daily quantification reads;
the report is stored beside it so the partner can fetch it again.

The batch id is a digest of (partner, body): resubmitting the same batch is harmless —
it yields the same id and answers the stored report, and writes nothing, so a file a
credit recorded is never rewritten (``energy.kept``). Within a batch, copies of one
(partner, event id) are ``duplicate_event`` when identical and
``duplicate_event_conflict`` (every copy) when their content differs, as in the pipeline.
Events must be the submitting partner's own: another ``partner_id`` is refused.

With a ``Ledger`` (the API passes the registry's), two refusals come at once instead of
at quantification: an event already credited or held by an earlier run is
``duplicate_event_processed`` (``…_conflict`` if changed), and a valid event of a day
whose energy is already credited is ``day_already_credited`` — each on its own line of
the report, never failing the batch. The daily run applies the same rules again, since
a day may be credited between submission and quantification.

After each daily run, every partner gets a day report (``DayReport``): what became of
its events, by outcome and reason, and whether the anomaly threshold held them all.

Everything is kept under the app's data folder (``bootstrap``); ``energy.kept`` has the
layout, and how the journal records these files and ``verify`` checks them.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from pctrade.energy.behaviour.loader import load_catalogue
from pctrade.energy.behaviour.model import Catalogue, Event
from pctrade.energy.behaviour.quantify import day_window
from pctrade.energy.behaviour.reasons import Rejection
from pctrade.energy.behaviour.validation import missing_core_field, rejection
from pctrade.energy.pipeline.schema import EVENTS
from pctrade.kernel.errors import Forbidden, NotFound, ValidationError
from pctrade.kernel.limits import BATCH_ID_LEN_MAX, INT64_MAX
from pctrade.kernel.text import check_text
from pctrade.ledger import access
from pctrade.ledger.model import Party, Role

if TYPE_CHECKING:
    from pctrade.energy.pipeline.run import QuantifyResult

EVENTS_PER_BATCH_MAX = 100_000
REJECTIONS_LISTED_MAX = 10_000
BAD_JSON_ROW = "bad_json_row"  # the JSON Lines counterpart of the importer's bad_csv_row
PARTNER_MISMATCH = "partner_mismatch"
_CST_OFFSET_MS = 8 * 3_600_000  # an event's day is its China Standard Time date
_STRINGS = ("partner_id", "event_id", "person_id", "behaviour", "unit", "evidence_ref")
_INTEGERS = ("start_ms", "end_ms", "quantity")
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


class Ledger(Protocol):
    """What ingestion asks the registry: which days are credited, which events judged."""

    def credited_days(self, days: list[str]) -> set[str]: ...

    def seen(self, partner_id: str, event_ids: list[str]) -> dict[str, str]: ...


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
        try:
            check_text(raw.get(name) or "", name)
        except ValidationError as exc:  # no database stores it: the line is refused alone
            return RejectedLine(line, None, Rejection.BAD_VALUE, exc.message)
    for name in _INTEGERS:
        value = raw.get(name)
        # bool is an int in Python; a float is never an integer quantity here.
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or abs(value) > INT64_MAX
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


def _day_of(event: Event) -> str:
    start_ms = event.start_ms or 0
    return (_EPOCH_DAY + timedelta(days=(start_ms + _CST_OFFSET_MS) // _DAY_MS)).isoformat()


def _processed(events: list[Event], partner_id: str, ledger: Ledger) -> list[RejectedLine]:
    """Copies of events an earlier run credited or held (the pipeline's first check)."""
    complete = [e for e in events if not missing_core_field(e)]
    digests = ledger.seen(partner_id, sorted({str(e.event_id) for e in complete}))
    out = []
    for e in complete:
        digest = digests.get(str(e.event_id))
        if digest is not None:
            same = digest == e.content_digest()
            reason = "" if same else "_conflict"
            out.append(
                RejectedLine(e.row_no, e.event_id, f"{Rejection.DUPLICATE_EVENT_PROCESSED}{reason}")
            )
    return out


def _late(events: list[Event], ledger: Ledger) -> list[RejectedLine]:
    """Otherwise valid events of days whose energy was credited already."""
    closed = ledger.credited_days(sorted({_day_of(e) for e in events}))
    return [
        RejectedLine(e.row_no, e.event_id, str(Rejection.DAY_ALREADY_CREDITED), _day_of(e))
        for e in events
        if _day_of(e) in closed
    ]


def ingest_batch(
    partner_id: str, body: bytes, data_dir: Path, now: datetime, ledger: Ledger | None = None
) -> IngestReport:
    """Validate a JSON Lines batch, store its accepted events, and report every event.

    A batch sent before answers its stored report: it is kept once.
    """
    batch_id = batch_id_of(partner_id, body)
    if report_path(data_dir, batch_id).is_file():
        return read_report(data_dir, batch_id)
    now_ms = (now - _EPOCH) // timedelta(milliseconds=1)
    events, rejected, received = _parse(body, partner_id)
    processed = _processed(events, partner_id, ledger) if ledger is not None else []
    bad = {r.line for r in processed}
    screened = _screen([e for e in events if e.row_no not in bad], load_catalogue(), now_ms)
    bad |= {r.line for r in screened}
    duplicates = _duplicates([e for e in events if e.row_no not in bad])
    bad |= {r.line for r in duplicates}
    late = _late([e for e in events if e.row_no not in bad], ledger) if ledger else []
    rejected = sorted([*rejected, *processed, *screened, *duplicates, *late], key=lambda r: r.line)
    refused = {r.line for r in rejected}
    accepted = [e for e in events if e.row_no not in refused]
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


def events_dir(data_dir: Path) -> Path:
    """Where kept event files are: one folder per partner, and ``import``."""
    return data_dir / "behaviour" / "events"


def report_path(data_dir: Path, batch_id: str) -> Path:
    return data_dir / "behaviour" / "reports" / f"{batch_id}.json"


def batch_report_of(data_dir: Path, events_file: Path) -> Path | None:
    """The report of the API batch whose accepted events ``events_file`` holds, if any."""
    if events_file.parent.parent != events_dir(data_dir) or events_file.parent.name == "import":
        return None
    path = report_path(data_dir, events_file.stem)
    return path if path.is_file() else None


def write_file(path: Path, data: bytes) -> None:
    """Write ``data`` whole or not at all: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    part.write_bytes(data)
    part.replace(path)


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return bytes(sink.getvalue())


def _store(data_dir: Path, report: IngestReport, accepted: list[Event]) -> None:
    """Write the events, then the report: a report on disk means its batch is complete."""
    if accepted:
        rows = [{name: getattr(e, name) for name in EVENTS.names} for e in accepted]
        table = pa.Table.from_pylist(rows, schema=EVENTS)
        folder = events_dir(data_dir) / report.partner_id
        write_file(folder / f"{report.batch_id}.parquet", _parquet_bytes(table))
    write_file(report_path(data_dir, report.batch_id), json.dumps(asdict(report)).encode())


def keep_imported(table: pa.Table, origin: Path, data_dir: Path) -> int:
    """Keep the events of an imported partner file, in the canonical columns (absent
    ones empty), named by the file and its content, once; returns how many."""
    columns = {
        name: table.column(name) if name in table.column_names else pa.nulls(table.num_rows)
        for name in EVENTS.names
    }
    events = pa.table(columns).cast(EVENTS)
    digest = hashlib.sha256(origin.read_bytes()).hexdigest()[:16]
    path = events_dir(data_dir) / "import" / f"{origin.stem}-{digest}.parquet"
    if not path.is_file():  # the same content was kept already: leave it as recorded
        write_file(path, _parquet_bytes(events))
    return int(events.num_rows)


def read_report(data_dir: Path, batch_id: str) -> IngestReport:
    if not batch_id.isalnum() or len(batch_id) > BATCH_ID_LEN_MAX:
        raise NotFound(f"no batch {batch_id}", code="unknown_batch")
    path = report_path(data_dir, batch_id)
    if not path.is_file():
        raise NotFound(f"no batch {batch_id}", code="unknown_batch")
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw["rejected"] = [RejectedLine(**r) for r in raw["rejected"]]
    return IngestReport(**raw)


@dataclass(frozen=True, slots=True)
class DayReport:
    """One partner's events in one daily run: counts by outcome and reason."""

    day: str
    partner_id: str
    events_n: int
    judged_n: int  # all but another day's events and harmless copies
    flagged_n: int  # of those, rejected or held
    anomalous: bool  # above the rule set's threshold: the rest were held for review
    by_reason: dict[str, dict[str, int]] = field(default_factory=dict)  # outcome → reason → n


def _day_report_path(data_dir: Path, day: str, partner_id: str) -> Path:
    # Partner ids from files are arbitrary text: name the file by a digest of it.
    name = hashlib.sha256(partner_id.encode()).hexdigest()[:32]
    return data_dir / "behaviour" / "reports" / "days" / day / f"{name}.json"


def store_day_reports(data_dir: Path, result: QuantifyResult) -> list[Path]:
    """Write every partner's report of a daily run; returns the files written."""
    day = result.day.isoformat()
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for row in result.partner_report().to_pylist():
        by_outcome = counts.setdefault(str(row["partner_id"]), {})
        by_outcome.setdefault(row["outcome"], {})[row["reason"]] = int(row["events_n"])
    written: list[Path] = []
    for row in result.partners.to_pylist():
        partner = str(row["partner_id"])
        report = DayReport(
            day,
            partner,
            int(row["events_n"]),
            int(row["judged_n"]),
            int(row["flagged_n"]),
            bool(row["anomalous"]),
            counts.get(partner, {}),
        )
        path = _day_report_path(data_dir, day, partner)
        write_file(path, json.dumps(asdict(report)).encode())
        written.append(path)
    return written


def read_day_report(data_dir: Path, day: date, partner_id: str) -> DayReport:
    path = _day_report_path(data_dir, day.isoformat(), partner_id)
    if not path.is_file():
        raise NotFound(f"no report of {day} for {partner_id}", code="unknown_report")
    return DayReport(**json.loads(path.read_text(encoding="utf-8")))


# ---- for a caller: a data partner submits and reads its own; authorities read all ------
def submit_batch(
    actor: Party, body: bytes, data_dir: Path, now: datetime, ledger: Ledger | None = None
) -> IngestReport:
    """``ingest_batch`` for a caller: only a data partner (the platform role) submits."""
    if actor.role != Role.PLATFORM:
        raise Forbidden(f"{actor.party_id} is not a data partner (platform)")
    return ingest_batch(actor.party_id, body, data_dir, now, ledger)


def report_for(actor: Party, data_dir: Path, batch_id: str) -> IngestReport:
    """A batch's report, for the partner that sent it or an authority."""
    report = read_report(data_dir, batch_id)
    if report.partner_id != actor.party_id and not access.is_authority(actor):
        raise Forbidden(f"batch {batch_id} is another partner's")
    return report


def day_report_for(actor: Party, data_dir: Path, day: date, partner_id: str | None) -> DayReport:
    """A partner's report of one daily run: the caller's own, or any for an authority."""
    partner = partner_id or actor.party_id
    if partner != actor.party_id and not access.is_authority(actor):
        raise Forbidden(f"the report of {partner} is not yours")
    return read_day_report(data_dir, day, partner)
