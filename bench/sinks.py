"""Sink issuance benchmark: one verified period issued to N sponsors, on SQLite.

    .venv/bin/python bench/sinks.py            # 1,000,000 sponsors
    .venv/bin/python bench/sinks.py --quick    # 50,000 sponsors, well under a minute

Prints one JSON line per figure: {"bench", "metric", "value", "unit", "baseline",
"ratio"}. ``issuance_sponsors_per_s`` is ``Sinks.issue`` end to end: read the shares,
the exact largest-remainder attribution, ONE bulk ``issue`` entry to every sponsor and
the buffer (hash, postings, balances), the attribution table, all in one commit. Its
baseline, measured in the same run, is the pure largest-remainder split alone over the
same shares (the numpy split the service uses; ``split_sponsors_per_s[pure]`` shows the
standard-library version against it); ``ratio`` = value / baseline. On a shared machine
``issuance_vs_bare_append`` is the steadier figure: the same issuance rate against
appending n plain four-integer rows by ``executemany`` to a bare table right after it.

Setup opens N individual accounts in one bulk entry and writes their sponsorship rows
straight into ``sink_sponsorships`` (negative spend seqs, since no energy entry paid
for them): sponsoring one by one is a separate, per-request path and would only make
the setup slow. Every figure is checked: the grams in accounts, the buffer and the
attribution table must add up to the verified removals, and ``verify`` must find
nothing but those unpaid setup rows (one ``sink_sponsorship_unpaid`` problem).
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import json
import random
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from pctrade import bootstrap
from pctrade.bootstrap.contexts import verify
from pctrade.kernel.split import largest_remainder
from pctrade.ledger import commands as c
from pctrade.ledger.model import FIRST_HOLDER_ACCOUNT, Role, State, SystemAccount
from pctrade.ledger.split_columns import largest_remainder_np
from pctrade.ledger.sql.store import SqlStore
from pctrade.sinks.attribution import buffer_share_g
from pctrade.sinks.monitoring import Period
from pctrade.sinks.project import Parcel, ProjectSpec, ProjectType
from pctrade.sinks.service import Sinks
from pctrade.sinks.sql import store as sinks_store

BENCH = "sinks"
NOW = datetime(2026, 6, 1, tzinfo=UTC)  # sponsorships are made now
REPORTED = datetime(2026, 10, 1, tzinfo=UTC)  # the period has ended: it can be reported
PERIOD = Period(date(2026, 7, 1), date(2026, 9, 30))
UNITS_MAX = 20  # sponsors hold 1..20 units, so the split has real remainders
BUFFER_BPS = 2_000  # the afforestation rate in the shipped data file


def emit(metric: str, value: float, unit: str, baseline: float | None = None) -> None:
    ratio = None if baseline is None else value / baseline
    line = {
        "bench": BENCH,
        "metric": metric,
        "value": round(value, 3),
        "unit": unit,
        "baseline": None if baseline is None else round(baseline, 3),
        "ratio": None if ratio is None else round(ratio, 3),
    }
    print(json.dumps(line), flush=True)


def setup(store: SqlStore, n: int) -> tuple[Sinks, list[int]]:
    """Parties, N sponsors with shares, an approved project, a verified report."""
    moments = [NOW]
    app = bootstrap.build(store, clock=lambda: moments[-1])
    reg = app.registry
    for party, role in [
        ("reg", Role.REGULATOR),
        ("forestco", Role.PROJECT_OWNER),
        ("cqc", Role.VERIFIER),
    ]:
        reg.open_account("registry", f"o-{party}", c.OpenAccount(party, role, party))
    people = [f"p{i:07d}" for i in range(n)]
    reg.open_accounts("registry", "o-people", c.OpenAccounts(Role.INDIVIDUAL, people))
    with store.reader() as uow:
        by_person = uow.individual_accounts(people)
    accounts = [by_person[p] for p in people]
    rng = random.Random(7)
    units = [rng.randint(1, UNITS_MAX) for _ in range(n)]
    sinks = app.sinks
    spec = ProjectSpec(
        "AFF0001", "bench forest", ProjectType.AFFORESTATION, "GD", "chinese_fir",
        (Parcel("B1", 10**10, 10),), date(2026, 1, 1), date(2045, 12, 31), 1_000, 10**12,
    )  # fmt: skip
    sinks.register("forestco", "bench-register", spec, stand_age_y=8)
    sinks.approve("reg", "bench-approve", "AFF0001")
    rows = [
        {
            "spend_seq": -(i + 1),
            "project_code": "AFF0001",
            "account_id": accounts[i],
            "units": u,
            "energy_g": u * 1_000,
            "sponsored_on": "2026-06-01",
        }
        for i, u in enumerate(units)
    ]
    with store.engine.begin() as conn:
        conn.execute(sa.insert(sinks_store.sponsorships), rows)
        conn.execute(
            sa.update(sinks_store.projects).values(units_sold=sum(units)),
        )
    moments.append(REPORTED)
    return sinks, units


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50,000 sponsors")
    parser.add_argument("--sponsors", type=int, default=None, help="how many sponsors")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the issuance into FILE")
    args = parser.parse_args()
    n = args.sponsors or (50_000 if args.quick else 1_000_000)
    with tempfile.TemporaryDirectory() as tmp:
        store = SqlStore(f"sqlite:///{Path(tmp) / 'sinks.db'}")
        sinks, units = setup(store, n)
        removals_g = 1_000 * n + 7  # about a kilogram each, not a round number
        report = sinks.file_report("forestco", "bench-report", "AFF0001", PERIOD, removals_g)
        sinks.verify("cqc", "bench-verify", int(report["report_id"]), True, "bench")

        distributable = removals_g - buffer_share_g(removals_g, BUFFER_BPS)
        started = time.perf_counter()
        split = largest_remainder_np(distributable, units)
        split_s = time.perf_counter() - started
        started = time.perf_counter()
        pure = largest_remainder(distributable, units)
        pure_s = time.perf_counter() - started
        if pure != split:
            raise SystemExit("the numpy split differs from the pure one")

        profiler = cProfile.Profile() if args.profile else None
        started = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        issued = sinks.issue("reg", "bench-issue", int(report["report_id"]))
        issue_s = time.perf_counter() - started
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)

        check(store, issued.batch, removals_g, sum(split.amounts), issued.buffer_g)
        bare_s = bare_append(store, n)
        emit("issuance_sponsors_per_s", n / issue_s, "sponsors/s", n / split_s)
        emit("issuance_seconds", issue_s, "s")
        # The machine's pace of plain appends right now: the issuance writes three rows
        # per sponsor (posting, balance, attribution line) with their indexes.
        emit("issuance_vs_bare_append", n / issue_s, "sponsors/s", n / bare_s)
        emit("split_sponsors_per_s[pure]", n / pure_s, "sponsors/s", n / split_s)
        emit("sponsors", n, "sponsors")
        store.dispose()


def bare_append(store: SqlStore, n: int) -> float:
    """Seconds to append n four-integer rows to a bare table by executemany, one commit."""
    raw = store.engine.raw_connection()
    driver: Any = raw.driver_connection
    driver.execute("CREATE TABLE bench_bare (seq INTEGER, idx INTEGER, account INTEGER, g INTEGER)")
    driver.commit()
    driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # not the issuance's pages, after it
    rows = zip(itertools.repeat(1), range(n), range(FIRST_HOLDER_ACCOUNT, FIRST_HOLDER_ACCOUNT + n),
               itertools.repeat(800))  # fmt: skip
    started = time.perf_counter()
    driver.execute("BEGIN")  # the engine's connections run in autocommit mode
    driver.executemany("INSERT INTO bench_bare VALUES (?, ?, ?, ?)", rows)
    driver.execute("COMMIT")
    elapsed = time.perf_counter() - started
    raw.close()
    return elapsed


def check(store: SqlStore, batch: str, removals_g: int, split_g: int, buffer_g: int) -> None:
    """A fast wrong answer is not a result: every gram must be where it should be."""
    with store.reader() as uow:
        found = uow.batch_named(batch)
        assert found is not None
        buffer_held = uow.balance(SystemAccount.BUFFER, found.asset_id, State.AVAILABLE)
    with store.engine.connect() as conn:
        attributed = conn.execute(
            sa.select(sa.func.sum(sinks_store.attributions.c.amount_g))
        ).scalar_one()
    if not (buffer_held == buffer_g and attributed == split_g == removals_g - buffer_g):
        raise SystemExit(f"grams do not add up: {buffer_held} {attributed} {split_g}")
    report = verify(store)
    # The setup's sponsorship rows were written without energy entries, which verify
    # rightly reports, as one problem; anything else is a failure.
    problems = [p for p in report.problems if p.code != "sink_sponsorship_unpaid"]
    if problems or len(report.problems) != 1:
        raise SystemExit(f"verify failed: {report.problems[:3]}")


if __name__ == "__main__":
    main()
