"""Compliance benchmark: an allocation run and a surrender season for N key emitters,
through the services, on SQLite and PostgreSQL; and the cap-integrity report's time.

    .venv/bin/python bench/compliance.py                 # 10,000 emitters
    .venv/bin/python bench/compliance.py --quick         # 1,000 emitters, under a minute
    .venv/bin/python bench/compliance.py --emitters 20000 --no-pg

Prints one JSON line per figure: {"bench", "metric", "value", "unit", "baseline",
"ratio"}, each metric suffixed with the database (``_sqlite``, ``_pg``). The national
market's rule set (CN: benchmarks by unit type; CCER up to 5 % of the required
surrender), period 2025, on a scenario clock in March 2026:

- setup (not timed as a figure): N emitter accounts in one bulk opening, the cap, CCER
  issued to every emitter in one bulk issue;
- ``allocation_recipients_per_s``: ONE ``compliance_allocate`` entry issuing the free
  allocation to N emitters (``Compliance.run_allocation``, benchmark × MWh);
- ``mrv_entries_per_s``: each emitter's report submitted, verified and confirmed: 3 N
  entries (``Compliance.submit_report`` …);
- ``surrender_entries_per_s``: the season: each emitter surrenders its allowances and
  CCER up to the offset cap in ONE ``compliance_surrender`` entry
  (``Surrenders.surrender``), N entries;
- ``integrity_s`` and ``integrity_postings_per_s``: the cap-integrity report streamed
  over the whole journal; ``integrity_10m_postings_s_est`` scales it to a journal of
  10 M postings linearly (the fold is one pass over every posting, so its time grows
  with the postings; the figure is an estimate, measured on this journal's size);
- ``integrity_bulk_…``: the same report after the journal is grown by bulk issues of
  allowances to every emitter (``--journal-postings``, default 1 M; 200 k with
  ``--quick``): a journal of few, large entries, as allocation runs make, against the
  season's many small ones; the 10 M estimate is given for both shapes;
- ``verify_s``: ``verify`` with every context's checks, the surrender tracker and the
  integrity identities among them (it must pass).

Every figure is checked: the integrity report has no problem and reconciles, every
emitter is A, and ``verify`` passes.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import drop_pg_database, emit, fresh_pg_database, peak_rss_mb, timer
from pctrade import bootstrap
from pctrade.bootstrap import App
from pctrade.bootstrap.contexts import verify
from pctrade.compliance import commands as cc
from pctrade.compliance.emissions import SourceStream
from pctrade.compliance.surrender_commands import SurrenderUnits
from pctrade.kernel.clock import SetClock
from pctrade.kernel.units import G_PER_T
from pctrade.ledger import commands as c
from pctrade.ledger.model import Role
from pctrade.ledger.sql.admin import accounts_opened_by

BENCH = "compliance"
NOW = datetime(2026, 3, 2, 2, tzinfo=UTC)
J, PERIOD = "CN", "2025"
REGULATOR, VERIFIER = "reg", "verco"
CCER = "CCER-CN-BENCH-2024-001"
MWH = 1_000  # each emitter's supply: 877 t of free allocation at the benchmark
BENCHMARK_G_PER_MWH = 877_000
EMISSIONS_G = 900 * G_PER_T  # each emitter's verified emissions
OFFSETS_G = EMISSIONS_G * 500 // 10_000  # the CN cap: 5 % of the required surrender
TARGET_10M_S = 30.0


def _setup(app: App, n: int) -> list[int]:
    reg = app.registry
    for who, role in ((REGULATOR, Role.REGULATOR), (VERIFIER, Role.VERIFIER)):
        reg.open_account("registry", f"b-open-{who}", c.OpenAccount(who, role, who))
    ids = [f"emitter-{i:06d}" for i in range(n)]
    r = reg.open_accounts("registry", "b-open-emitters", c.OpenAccounts(Role.EMITTER, ids))
    opened = accounts_opened_by(app.store, r.seq)
    accounts = [opened[i] for i in ids]
    app.compliance.set_cap(REGULATOR, "b-cap", cc.SetCap(J, PERIOD, n * 2_000 * G_PER_T))
    reg.issue(REGULATOR, "b-ccer", c.Issue(CCER, accounts, [OFFSETS_G] * n))
    return accounts


def _allocate(app: App, accounts: list[int]) -> str:
    installations = tuple(
        cc.InstallationOf(a, "coal_300mw_above", "supply_g_per_mwh", MWH) for a in accounts
    )
    cmd = cc.RunAllocation(J, PERIOD, "free", installations)
    r = app.compliance.run_allocation(REGULATOR, "b-allocate", cmd)
    return str(r.payload["batch"]["denomination"])


def _mrv(app: App, accounts: list[int], ids: dict[int, str]) -> None:
    stream = (SourceStream("coal", EMISSIONS_G, "g", 1_000),)
    for a in accounts:
        who = ids[a]
        cmd = cc.SubmitReport(J, PERIOD, a, stream)
        report_id = str(app.compliance.submit_report(who, f"b-r-{a}", cmd).payload["report_id"])
        verified = cc.VerifyReport(report_id, EMISSIONS_G)
        app.compliance.verify_report(VERIFIER, f"b-v-{a}", verified)
        app.compliance.confirm_report(REGULATOR, f"b-c-{a}", cc.ConfirmReport(report_id))


def _season(app: App, accounts: list[int], ids: dict[int, str], cea: str) -> None:
    units = (cea, CCER)
    grams = (EMISSIONS_G - OFFSETS_G, OFFSETS_G)
    for a in accounts:
        cmd = SurrenderUnits(a, J, PERIOD, units, grams)
        app.surrenders.surrender(ids[a], f"b-s-{a}", cmd)


def run(url: str, n: int, db: str, journal_postings: int) -> None:
    app = bootstrap.build(url, clock=SetClock(NOW))
    try:
        accounts = _setup(app, n)
        with app.store.reader() as uow:
            ids = {a: account.owner for a in accounts if (account := uow.account(a)) is not None}
        with timer() as t_alloc:
            cea = _allocate(app, accounts)
        emit(BENCH, f"allocation_recipients_per_s_{db}", n / t_alloc[0], "recipients/s", None)
        with timer() as t_mrv:
            _mrv(app, accounts, ids)
        emit(BENCH, f"mrv_entries_per_s_{db}", 3 * n / t_mrv[0], "entries/s", None)
        with timer() as t_season:
            _season(app, accounts, ids, cea)
        emit(BENCH, f"surrender_entries_per_s_{db}", n / t_season[0], "entries/s", None)
        _integrity(app, db)
        report = app.compliance_reports.compliance_report(J, PERIOD)
        assert report["by_status"] == {"A": n, "B": 0, "C": 0}, report["by_status"]
        _grow(app, accounts, journal_postings)
        _integrity(app, db, "_bulk")
        with timer() as t_verify:
            checked = verify(app.store)
        assert checked.ok, checked.problems[:5]
        emit(BENCH, f"verify_s_{db}", t_verify[0], "s", None)
    finally:
        app.close()


def _grow(app: App, accounts: list[int], postings: int) -> None:
    """Bulk issues of allowances to every emitter until the journal has ``postings`` more."""
    batches = min(max(postings // (len(accounts) + 1), 1), 999)
    for k in range(1, batches + 1):
        name = f"CEA-CN-BULK-2025-{k:03d}"
        cmd = c.Issue(name, accounts, [G_PER_T] * len(accounts))
        app.registry.issue(REGULATOR, f"b-bulk-{k}", cmd)


def _integrity(app: App, db: str, shape: str = "") -> None:
    start = time.perf_counter()
    integrity = app.compliance_reports.integrity()
    seconds = time.perf_counter() - start
    assert list(integrity.problems()) == []
    assert all(a.lhs_g == a.rhs_g for a in integrity.allowances.values())
    per_s = integrity.postings / seconds
    emit(BENCH, f"integrity{shape}_s_{db}", seconds, "s", None)
    emit(BENCH, f"integrity{shape}_entries_{db}", integrity.entries, "entries", None)
    emit(BENCH, f"integrity{shape}_postings_{db}", integrity.postings, "postings", None)
    emit(BENCH, f"integrity{shape}_postings_per_s_{db}", per_s, "postings/s", None)
    emit(BENCH, f"integrity{shape}_10m_postings_s_est_{db}", 10_000_000 / per_s, "s", TARGET_10M_S)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emitters", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="1,000 emitters")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--journal-postings", type=int, default=None)
    args = parser.parse_args()
    n = 1_000 if args.quick else args.emitters
    grow = args.journal_postings or (200_000 if args.quick else 1_000_000)
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{Path(folder) / 'bench.db'}", n, "sqlite", grow)
    if not args.no_pg:
        name = "pctrade_bench_compliance"
        url = fresh_pg_database(name)
        if url is not None:
            try:
                run(url, n, "pg", grow)
            finally:
                drop_pg_database(name)
    emit(BENCH, "peak_rss", peak_rss_mb(), "MB", None)


if __name__ == "__main__":
    main()
