"""`quantify_file`: one day's events file in, columnar results out.

This is the function the CLI (`pctrade behaviour quantify`) and the bulk
posting of energy into the registry call. It imports the file (collecting
per-row import errors), runs the pipeline definition on the chosen engine,
and returns Arrow tables that a set-based posting step can consume directly:

- `energy` — one row per (person, behaviour, day), with the methodology
  version, the factor applied, avoided micrograms, the sub-gram remainder and
  cap forfeits, and the grams credited;
- `rejected` — every rejected event (import errors included) with its reason;
- `held` — every event held for review, with what it would earn;
- `credited_events` (unless `with_events=False`) — the event-level audit trail
  behind `energy`, which the registry needs to remember the events it credits;
- `partners` — per partner: events, judged, rejected or held, anomalous.

Two inputs come from the registry: `seen`, the events earlier runs credited or
held (their copies are rejected as duplicates), and `day_credited`, whether the
day's energy is credited already (then its remaining valid events are each
rejected as `day_already_credited`; nothing fails as a whole).

Every event of the file comes out exactly once, rejected, held or credited
(`conservation`): a run whose outputs account for fewer or more events raises
`EventsNotConserved` (`events_lost`, `events_duplicated`) instead of returning them.

Rows come in no particular order; sort them if order matters.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pyarrow as pa
import pyarrow.parquet as pq

from pctrade.energy.behaviour.loader import load_catalogue
from pctrade.energy.behaviour.model import Catalogue, PartnerAnomaly
from pctrade.energy.behaviour.quantify import day_window
from pctrade.energy.pipeline import duckdb_engine
from pctrade.energy.pipeline.catalogue_tables import behaviours_table, label_energy
from pctrade.energy.pipeline.conservation import check_conserved
from pctrade.energy.pipeline.definition import DayParams
from pctrade.energy.pipeline.importer import import_file
from pctrade.energy.pipeline.schema import (
    CREDITED_EVENTS,
    ENERGY,
    HELD,
    PARTNERS,
    REJECTED,
    SEEN,
    YEAR_TO_DATE,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

Engine = Literal["duckdb", "spark"]


@dataclass(frozen=True, slots=True)
class QuantifyResult:
    day: date
    engine: Engine
    as_of_ms: int
    methodologies: tuple[str, ...]
    energy: pa.Table
    rejected: pa.Table
    held: pa.Table
    credited_events: pa.Table | None
    partners: pa.Table = field(default_factory=PARTNERS.empty_table)

    def anomalous_partners(self) -> list[str]:
        """Partners whose events were held as a whole (``partner_anomaly``)."""
        flagged = self.partners.filter(self.partners.column("anomalous"))
        return sorted(flagged.column("partner_id").to_pylist())

    def partner_report(self) -> pa.Table:
        """Per partner: how many events were rejected or held, by reason."""
        parts = [
            _count_by(self.rejected, "rejected"),
            _count_by(self.held, "held"),
        ]
        return pa.concat_tables(parts)


def _count_by(table: pa.Table, outcome: str) -> pa.Table:
    counts = table.group_by(["partner_id", "reason"]).aggregate([("row_no", "count")])
    return pa.table(
        {
            "partner_id": counts.column("partner_id"),
            "outcome": pa.array([outcome] * counts.num_rows, pa.string()),
            "reason": counts.column("reason"),
            "events_n": counts.column("row_no_count").cast(pa.int64()),
        }
    )


def quantify_file(
    path: Path | str,
    day: date,
    engine: Engine = "duckdb",
    *,
    as_of_ms: int,
    catalogue: Catalogue | None = None,
    year_to_date: pa.Table | None = None,
    seen: pa.Table | None = None,
    day_credited: bool = False,
    anomaly: PartnerAnomaly | None = None,
    with_events: bool = True,
    spark: SparkSession | None = None,
    work_root: Path | None = None,
) -> QuantifyResult:
    """Quantify `day` from the events in `path` (CSV or Parquet).

    `as_of_ms` is the moment the run treats as "now" (events ending later are
    future), given by the caller's clock (the pipeline reads no wall clock); it is
    recorded in the result, so a rerun with the same value reproduces it exactly.
    `year_to_date` (schema `YEAR_TO_DATE`) feeds the yearly caps; `seen`
    (schema `SEEN`) and `day_credited` come from the registry (module docstring);
    `anomaly` is the rule set's partner threshold (none: no partner is held).
    The run's files go in a temporary folder under `work_root` (the system's temporary
    folder if None); on a Spark cluster, the workers must see it at the same path.
    """
    if engine not in ("duckdb", "spark"):
        raise ValueError(f"unknown engine {engine!r}: use 'duckdb' or 'spark'")
    catalogue = catalogue or load_catalogue()
    params = DayParams(day, day_window(day, as_of_ms), day_credited, anomaly)
    ytd = (year_to_date if year_to_date is not None else YEAR_TO_DATE.empty_table()).cast(
        YEAR_TO_DATE
    )
    known = (seen if seen is not None else SEEN.empty_table()).select(SEEN.names).cast(SEEN)
    outputs = ["energy", "rejected", "held", "partners"]
    outputs += ["credited_events"] if with_events else []
    with tempfile.TemporaryDirectory(prefix="pctrade-quantify-", dir=work_root) as work:
        imported = import_file(Path(path), Path(work))
        tables: Mapping[str, pa.Table] = {}
        if imported.source is not None:
            if engine == "duckdb":
                tables = duckdb_engine.run(imported.source, catalogue, params, ytd, known, outputs)
            else:
                from pctrade.energy.pipeline import spark_engine

                session = spark or spark_engine.local_session()
                tables = spark_engine.run(
                    session, imported.source, catalogue, params, ytd, known, outputs, Path(work)
                )
            check_conserved(pq.read_metadata(imported.source.path).num_rows, tables)
    return QuantifyResult(
        day=day,
        engine=engine,
        as_of_ms=as_of_ms,
        methodologies=tuple(m.key for m in catalogue.methodologies),
        energy=_conform(_labelled(tables.get("energy"), catalogue), ENERGY),
        rejected=pa.concat_tables([imported.errors, _conform(tables.get("rejected"), REJECTED)]),
        held=_conform(tables.get("held"), HELD),
        credited_events=_conform(tables.get("credited_events"), CREDITED_EVENTS)
        if with_events
        else None,
        partners=_conform(tables.get("partners"), PARTNERS),
    )


def _labelled(energy: pa.Table | None, catalogue: Catalogue) -> pa.Table | None:
    return None if energy is None else label_energy(energy, behaviours_table(catalogue))


def _conform(table: pa.Table | None, schema: pa.Schema) -> pa.Table:
    """Give an engine's output the canonical column order, types and nullability."""
    if table is None:
        return schema.empty_table()
    return table.select(schema.names).cast(schema)
