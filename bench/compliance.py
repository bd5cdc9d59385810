"""Compliance benchmark: an allocation run and a surrender season for N key emitters,
through the services, on SQLite and PostgreSQL; and the cap-integrity report's time.

    .venv/bin/python bench/compliance.py                 # 10,000 emitters
    .venv/bin/python bench/compliance.py --quick         # 200 emitters, 500 k postings
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
- ``integrity_s``: the cap-integrity report on the season's journal, set-based (sums in
  SQL, ``compliance.integrity_sets``); ``integrity_fold_s`` the same report by the fold
  that reads every entry and posting in Python (what ``verify`` runs), with its rate
  ``integrity_fold_postings_per_s`` (on a journal this small the fold's fixed costs
  weigh; ``--fold`` times it on the grown journal);
- ``verify_s``: ``verify`` with every context's checks, the surrender tracker and the
  integrity identities among them (it must pass);
- ``integrity_journal_…``: the report on a journal grown to ``--journal-postings``
  postings (default 10 M; 500 k with ``--quick``). The growth is seeded set-based outside
  the timed part: one INSERT … SELECT over a generated series each for entries and
  postings, small entries of two postings each (an emitter's allowance gram moved to
  another and, in the next entry, back, so balances stay what they were), the shape
  that made the fold slowest. The seeded entries carry no hash chain, so ``verify``
  runs before the growth, not after. ``…_s`` is the first run (cold), ``…_again_s``
  the second; the baseline is the 30 s target for 10 M postings. With ``--fold`` the
  fold is timed on that journal too (``integrity_journal_fold_s``: minutes at 10 M).

Every figure is checked: the integrity report has no problem and reconciles (and the
set-based report equals the fold's on the season's journal), every emitter is A, and
``verify`` passes.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import drop_pg_database, emit, fresh_pg_database, peak_rss_mb, timer
from pctrade import bootstrap
from pctrade.bootstrap import App
from pctrade.bootstrap.contexts import verify
from pctrade.compliance import commands as cc
from pctrade.compliance.emissions import SourceStream
from pctrade.compliance.integrity import Integrity
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


def run(url: str, n: int, db: str, journal_postings: int, fold: bool) -> None:
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
        report = app.compliance_reports.compliance_report(J, PERIOD)
        assert report["by_status"] == {"A": n, "B": 0, "C": 0}, report["by_status"]
        _season_integrity(app, db)
        with timer() as t_verify:
            checked = verify(app.store)
        assert checked.ok, checked.problems[:5]
        emit(BENCH, f"verify_s_{db}", t_verify[0], "s", None)
        _seed(app, cea, accounts[:2], journal_postings)
        _journal_integrity(app, db, fold)
    finally:
        app.close()


def _season_integrity(app: App, db: str) -> None:
    """The set-based report and the fold on the season's journal: equal, and timed."""
    reports = app.compliance_reports
    with timer() as t_sets:
        sets = reports.integrity()
    with timer() as t_fold:
        fold = reports.integrity_by_fold()
    assert sets.as_json() == fold.as_json()
    _check(sets)
    per_s = fold.postings / t_fold[0]
    emit(BENCH, f"integrity_s_{db}", t_sets[0], "s", None)
    emit(BENCH, f"integrity_postings_{db}", sets.postings, "postings", None)
    emit(BENCH, f"integrity_fold_s_{db}", t_fold[0], "s", None)
    emit(BENCH, f"integrity_fold_postings_per_s_{db}", per_s, "postings/s", None)


def _journal_integrity(app: App, db: str, fold: bool) -> None:
    for run in ("", "_again"):
        with timer() as t:
            integrity = app.compliance_reports.integrity()
        _check(integrity)
        emit(BENCH, f"integrity_journal{run}_s_{db}", t[0], "s", TARGET_10M_S)
    if fold:
        with timer() as t_fold:
            folded = app.compliance_reports.integrity_by_fold()
        assert folded.as_json() == integrity.as_json()
        emit(BENCH, f"integrity_journal_fold_s_{db}", t_fold[0], "s", TARGET_10M_S)
    emit(BENCH, f"integrity_journal_entries_{db}", integrity.entries, "entries", None)
    emit(BENCH, f"integrity_journal_postings_{db}", integrity.postings, "postings", None)


def _check(integrity: Integrity) -> None:
    assert list(integrity.problems()) == []
    assert all(a.lhs_g == a.rhs_g for a in integrity.allowances.values())


def _seed(app: App, cea: str, pair: list[int], postings: int) -> None:
    """Grow the journal to ``postings`` postings with entries of two postings each, set-
    based (not timed): entry i moves 1 g of ``cea`` from one of ``pair`` to the other,
    entry i + 1 moves it back."""
    with app.store.reader() as uow:
        batch = uow.batch_named(cea)
        assert batch is not None
        base = uow.head.last_seq
    engine = app.store.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        have = int(conn.execute(sa.text("SELECT COUNT(*) FROM postings")).scalar_one())
    n = max((postings - have) // 4 * 2, 0)  # an even number of entries: balances unmoved
    if n == 0:
        return
    series = (
        "generate_series(0, :n - 1) AS s(i)"
        if engine.dialect.name == "postgresql"
        else "(WITH RECURSIVE r(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM r WHERE i < :n - 1)"
        " SELECT i FROM r) AS s"
    )
    h = "0" * 64
    a, b = pair
    entries = (
        "INSERT INTO entries (seq, op_type, actor, idem_key, request_hash, ts, payload, "
        "corrects_seq, posting_count, prev_hash, hash) "
        # Keys of one width, so that the (actor, key) index grows at its end.
        "SELECT :base + i + 1, 'transfer', 'bench-seed', 'seed-' || (1000000000 + i), :h, :ts, "
        "'{}', "
        f"NULL, 2, :h, :h FROM {series}"
    )
    rows = (
        "INSERT INTO postings (seq, idx, account_id, asset_id, state, delta) "
        "SELECT :base + i + 1, k, CASE WHEN (i + k) % 2 = 0 THEN :a ELSE :b END, :asset, 0, "
        f"CASE WHEN k = 0 THEN -1 ELSE 1 END FROM {series} "
        "CROSS JOIN (SELECT 0 AS k UNION ALL SELECT 1) AS two"
    )
    params = {"n": n, "base": base, "h": h, "ts": NOW.isoformat(), "a": a, "b": b}
    with timer() as t, engine.begin() as conn:
        conn.execute(sa.text(entries), params)
        conn.execute(sa.text(rows), {**params, "asset": batch.asset_id})
        conn.execute(sa.text("UPDATE registry_head SET last_seq = :s"), {"s": base + n})
    if engine.dialect.name == "postgresql":  # fresh statistics, as autovacuum would leave
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE entries"))
            conn.execute(sa.text("ANALYZE postings"))
    print(f"# seeded {n:,} entries, {2 * n:,} postings in {t[0]:.1f} s", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emitters", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="200 emitters, 500 k postings")
    parser.add_argument("--fold", action="store_true", help="time the fold on the journal too")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--journal-postings", type=int, default=None)
    args = parser.parse_args()
    n = 200 if args.quick else args.emitters
    grow = args.journal_postings or (500_000 if args.quick else 10_000_000)
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{Path(folder) / 'bench.db'}", n, "sqlite", grow, args.fold)
    if not args.no_pg:
        name = "pctrade_bench_compliance"
        url = fresh_pg_database(name)
        if url is not None:
            try:
                run(url, n, "pg", grow, args.fold)
            finally:
                drop_pg_database(name)
    emit(BENCH, "peak_rss", peak_rss_mb(), "MB", None)


if __name__ == "__main__":
    main()
