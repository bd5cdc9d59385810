"""The files behaviour ingestion keeps in the data folder, the journal's record of them,
and ``verify``'s check that they are still there, unchanged.

They live under the app's data folder (``bootstrap``: ``build(data_dir=)``,
``$PCTRADE_DATA_DIR``, or beside the database), never in the working directory::

    behaviour/events/<partner>/<batch>.parquet       an API batch's accepted events
    behaviour/events/import/<file>-<digest>.parquet  a file ``pctrade behaviour import`` kept
    behaviour/given/<digest>-<file>                  a file quantified as given (``--file``)
    behaviour/reports/<batch>.json                   an API batch's report
    behaviour/reports/days/<day>/<partner>.json      a partner's report of a day's run

Each is written whole (``ingest.write_file``) and once, under a name of its origin and
content (a batch id is a digest of partner and body): a batch sent again answers its
stored report. A day's run reads the event files once (``gather``), hashing the very
bytes it reads, and the day's ``energy_credit`` entry records the name and SHA-256 of
each file with events of that day, of the report of each such API batch, and of the day
reports the run wrote (``EnergyCredit.kept``): the entry's hash covers them.

``verify`` runs ``audit`` of the app's data folder: every file a credit recorded,
hashed once however many entries name it. Problems (codes are stable):

    behaviour_file_missing   a file a credit recorded is not in the data folder
    behaviour_file_altered   a file a credit recorded has another SHA-256 now

An entry written before files were recorded, or a credit of other events (a release),
records none and has nothing to check. A run that credits nothing writes no entry, so
its day reports are not recorded; a later run of a credited day writes none, so that
the crediting run's stay as recorded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pctrade.energy import ingest
from pctrade.energy.behaviour.quantify import day_window
from pctrade.energy.model import KeptFile
from pctrade.energy.pipeline.schema import EVENTS
from pctrade.energy.sql.lines import kept_records
from pctrade.kernel.errors import NotFound
from pctrade.ledger.extensions import Audit
from pctrade.ledger.invariants import Problem
from pctrade.ledger.ports import UnitOfWork

__all__ = ["Gathered", "KeptFile", "audit", "gather", "keep_given", "kept_file"]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _name(data_dir: Path, path: Path) -> str:
    return path.relative_to(data_dir).as_posix()


def kept_file(data_dir: Path, path: Path) -> KeptFile:
    """A file under the data folder, by name and digest."""
    return KeptFile(_name(data_dir, path), _sha256(path.read_bytes()))


@dataclass(frozen=True, slots=True)
class Gathered:
    source: Path  # every kept event file, as one Parquet file
    kept: list[KeptFile]  # those with events of the day, and their batches' reports


def gather(data_dir: Path, day: date, work: Path) -> Gathered:
    """Every complete kept event file as one Parquet file in ``work``, for ``day``'s run.

    An API batch is complete once its report is written (``ingest``): the events file
    of a batch cut short has none, and waits for the batch to be sent again.
    """
    window = day_window(day, 0)
    tables: list[pa.Table] = []
    kept: list[KeptFile] = []
    for path in sorted(ingest.events_dir(data_dir).glob("**/*.parquet")):
        report = ingest.batch_report_of(data_dir, path)
        if report is None and path.parent.name != "import":
            continue
        data = path.read_bytes()
        table = pq.read_table(pa.BufferReader(data), columns=EVENTS.names).cast(EVENTS)
        tables.append(table)
        start = table.column("start_ms")
        on_day = pc.and_(pc.greater_equal(start, window.start_ms), pc.less(start, window.end_ms))
        if pc.any(on_day).as_py():
            kept.append(KeptFile(_name(data_dir, path), _sha256(data)))
            if report is not None:
                kept.append(kept_file(data_dir, report))
    if not tables:
        events = ingest.events_dir(data_dir)
        raise NotFound(f"no event files under {events}", code="no_events")
    out = work / "events.parquet"
    pq.write_table(pa.concat_tables(tables), out)
    return Gathered(out, kept)


def keep_given(data_dir: Path, file: Path) -> tuple[Path, KeptFile]:
    """Keep a file quantified as given (CSV or Parquet), once; its kept path and record."""
    data = file.read_bytes()
    digest = _sha256(data)
    path = data_dir / "behaviour" / "given" / f"{digest[:16]}-{file.name}"
    if not path.is_file():
        ingest.write_file(path, data)
    return path, KeptFile(_name(data_dir, path), digest)


def _digest_in(data_dir: Path, name: str) -> str | None:
    """The SHA-256 of the recorded file ``name`` in the data folder; None if it is not
    there (or the name points outside it)."""
    relative = PurePosixPath(name)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        return None
    path = data_dir.joinpath(*relative.parts)
    if not path.is_file():
        return None
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def check_kept(
    data_dir: Path, seq: int, recorded: list[dict[str, object]], found: dict[str, str | None]
) -> Iterator[Problem]:
    """The problems of the files entry ``seq`` recorded; ``found`` caches digests."""
    for item in recorded:
        name, want = str(item.get("name", "")), item.get("sha256")
        if name not in found:
            found[name] = _digest_in(data_dir, name)
        got = found[name]
        if got is None:
            message = f"entry {seq} recorded {name}, which is not in the data folder {data_dir}"
            yield Problem("behaviour_file_missing", message, seq)
        elif got != want:
            message = f"{name} is not the file entry {seq} recorded (SHA-256 {got[:12]}…)"
            yield Problem("behaviour_file_altered", message, seq)


def audit(data_dir: Path) -> Audit:
    """``verify``'s check of the files kept in ``data_dir`` against the credits' records."""

    def audit_kept_files(uow: UnitOfWork) -> Iterator[Problem]:
        found: dict[str, str | None] = {}
        for seq, recorded in kept_records(uow):
            yield from check_kept(data_dir, seq, recorded, found)

    return audit_kept_files
