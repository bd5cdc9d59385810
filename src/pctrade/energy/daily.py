"""A day's run over the data folder: quantify the kept events, keep the day reports,
credit the energy in one entry that records every file behind it (``energy.kept``).

``pctrade behaviour quantify`` runs it; the steps are those of ``energy.service`` and
the pipeline (``quantify_file``), in the order that keeps the record honest: the day
reports are written before the entry that records them, so a run cut short between
the two leaves reports no entry recorded, which the next run writes again. A run of a
day credited already credits nothing (its events are refused one by one) and writes no
day report: the crediting run's stay as its entry recorded them.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from pctrade.energy import kept
from pctrade.energy import service as energy
from pctrade.energy.behaviour.quantify import day_window
from pctrade.energy.ingest import store_day_reports
from pctrade.energy.pipeline.run import Engine, QuantifyResult, quantify_file
from pctrade.ledger.service import Registry
from pctrade.rules import DEFAULT_JURISDICTION, RuleBook

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

STEPS = ("year to date 年度累计", "quantify 量化", "post energy 记入能量")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class DayRun:
    result: QuantifyResult
    report: energy.PostDayReport


def as_of(day: date, now: datetime) -> int:
    """The end of the day once it is over, so that a rerun reproduces the same result."""
    now_ms = (now - _EPOCH) // timedelta(milliseconds=1)
    return min(now_ms, day_window(day, now_ms).end_ms)


def run_day(
    registry: Registry,
    rules: RuleBook,
    data_dir: Path,
    day: date,
    *,
    now: datetime,
    as_of_ms: int | None = None,
    engine: Engine = "duckdb",
    jurisdiction: str = DEFAULT_JURISDICTION,
    file: Path | None = None,
    step: Callable[[str], None] = lambda _: None,
    spark: SparkSession | None = None,
    work_root: Path | None = None,
) -> DayRun:
    """Quantify ``day`` from every event file kept in ``data_dir`` (or from ``file``,
    which is kept there first) and credit it. ``now``: the app's clock, which sets the
    run's as-of time unless ``as_of_ms`` does; ``step`` hears each step's name.
    ``spark``: the session the Spark engine runs on (local mode if None); ``work_root``:
    where the run's temporary files go, which a Spark cluster's workers must see."""
    store = registry.store
    with tempfile.TemporaryDirectory(prefix="pctrade-day-", dir=work_root) as work:
        if file is not None:
            source, given = kept.keep_given(data_dir, file)
            inputs = [given]
        else:
            gathered = kept.gather(data_dir, day, Path(work))
            source, inputs = gathered.source, gathered.kept
        step(STEPS[0])
        ytd = energy.year_to_date(store, day.year, before=day)
        anomaly, _ = energy.anomaly_rule(rules, jurisdiction, day)
        step(STEPS[1])
        credited = energy.is_day_credited(store, day)
        result = quantify_file(
            source,
            day,
            engine,
            as_of_ms=as_of_ms if as_of_ms is not None else as_of(day, now),
            year_to_date=ytd,
            seen=energy.judged_before(store, day, source),
            day_credited=credited,
            anomaly=anomaly,
            spark=spark,
            work_root=work_root,
        )
    step(STEPS[2])
    written = [] if credited else store_day_reports(data_dir, result)
    day_reports = [kept.kept_file(data_dir, path) for path in written]
    report = energy.post_day(registry, result, kept=[*inputs, *day_reports])
    return DayRun(result, report)
