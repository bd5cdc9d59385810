"""Reads benchmark: what the integrators' reads cost on a registry of N holders.

    python bench/reads.py [--quick] [--engine sqlite|postgresql|both] [--accounts N]

A registry of N individual accounts holding two batches (2 N balances and more), and a
run of transfers among the first 100 accounts. Figures (one JSON line each, medians of
several reads), each with a baseline measured in the same run:

- ``supply_ms``: a batch's grams by state (``queries.supply``), against the bare scan of
  the balances table it costs (``SELECT SUM(amount) FROM balances``): the table has no
  index by asset, on purpose (every bulk issue would pay for one);
- ``positions_head_ms`` / ``positions_as_of_ms``: 100 accounts at the head, and wound
  back over the transfers (``queries.positions``), against reading the same 100
  accounts one by one (``queries.account_view``);
- ``journal_page_ms``: a page of 500 entries read by cursor deep in the journal,
  against the first page.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import drop_pg_database, emit, fresh_pg_database, peak_rss_mb
from pctrade import bootstrap
from pctrade.ledger import commands as c
from pctrade.ledger import queries
from pctrade.ledger.model import Role
from pctrade.ledger.sql.store import SqlStore

BENCH = "reads"
DB_NAME = "pctrade_bench_reads"
SERIES = "CCER-CN-AFF0007-2026Q3"
READS = 5
POSITIONS_ACCOUNTS = 100


def median_ms(read: Callable[[], object]) -> float:
    times = []
    for _ in range(READS):
        start = time.perf_counter()
        read()
        times.append((time.perf_counter() - start) * 1_000)
    return statistics.median(times)


def setup(store: SqlStore, n: int, transfers: int) -> tuple[list[int], int]:
    reg = bootstrap.build(store).registry
    reg.open_account("registry", "reg", c.OpenAccount("mee", Role.REGULATOR, "MEE"))
    opened = reg.open_accounts(
        "registry", "open", c.OpenAccounts(Role.INDIVIDUAL, [f"p{i}" for i in range(n)])
    )
    first = int(opened.payload.get("account", 0)) or _first_account(store)
    ids = list(range(first, first + n))
    for i in range(2):
        reg.issue("mee", f"issue-{i}", c.Issue(SERIES, ids, [1_000_000] * n))
    head_before = queries.journal_head(store).seq
    few = ids[:POSITIONS_ACCOUNTS]
    for i in range(transfers):
        src, dst = few[i % len(few)], few[(i * 7 + 1) % len(few)]
        if src != dst:
            reg.transfer(f"p{src - first}", f"t-{i}", c.Transfer(src, dst, f"{SERIES}-001", 1))
    reg.close()
    return ids, head_before


def _first_account(store: SqlStore) -> int:
    with store.reader() as uow:
        return uow.accounts_of("p0")[0].account_id


def run(engine: str, n: int, transfers: int) -> None:
    if engine == "sqlite":
        url: str | None = f"sqlite:///{tempfile.mkdtemp(prefix='pctrade-bench-')}/reads.db"
    else:
        url = fresh_pg_database(DB_NAME)
        if url is None:
            return
    store = SqlStore(url)
    try:
        ids, back_to = setup(store, n, transfers)
        batch = f"{SERIES}-001"
        supply = queries.supply(store, batch)
        if not supply.reconciles:
            raise SystemExit(f"supply does not reconcile: {supply}")

        def bare_scan() -> None:
            with store.engine.connect() as conn:
                conn.exec_driver_sql("SELECT SUM(amount) FROM balances").scalar()

        emit(
            BENCH,
            f"supply_ms[{engine},{n}_holders]",
            median_ms(lambda: queries.supply(store, batch)),
            "ms",
            median_ms(bare_scan),
        )
        few = ids[:POSITIONS_ACCOUNTS]
        one_by_one = median_ms(lambda: [queries.account_view(store, a) for a in few])
        emit(
            BENCH,
            f"positions_head_ms[{engine},{len(few)}_accounts]",
            median_ms(lambda: queries.positions(store, few, None)),
            "ms",
            one_by_one,
        )
        emit(
            BENCH,
            f"positions_as_of_ms[{engine},{len(few)}_accounts,{transfers}_entries_back]",
            median_ms(lambda: queries.positions(store, few, back_to)),
            "ms",
            one_by_one,
        )
        head = queries.journal_head(store).seq
        emit(
            BENCH,
            f"journal_page_ms[{engine},500_entries_at_{head - 500}]",
            median_ms(lambda: queries.journal_page(store, head - 500, 500)),
            "ms",
            median_ms(lambda: queries.journal_page(store, 0, 500)),
        )
    finally:
        store.dispose()
        if engine != "sqlite":
            drop_pg_database(DB_NAME)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--accounts", type=int, help="holders of the two batches")
    args = parser.parse_args()
    n, transfers = (100_000, 2_000) if args.quick else (1_000_000, 10_000)
    n = args.accounts or n
    for engine in ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]:
        run(engine, n, transfers)
    emit(BENCH, "peak_rss_mb", peak_rss_mb(), "MiB", None)


if __name__ == "__main__":
    os.environ.setdefault("PCTRADE_SQLITE_SYNC", "NORMAL")
    main()
