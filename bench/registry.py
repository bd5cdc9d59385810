"""Registry benchmark: bulk issuance to many accounts, and single transfers.

    python bench/registry.py [--quick] [--engine sqlite|postgresql|both]

Figures (one JSON line each), every one with a baseline measured in the same run:
- ``bulk_issue_postings_per_s``: one ``issue`` to N accounts through the service (hash,
  postings, set-based balance apply, commit), against appending the same N rows to a
  bare table through the driver (executemany on SQLite, COPY on PostgreSQL).
- ``transfers_per_s``: single transfers through ``Registry.transfer`` (idempotency
  check, access, plan, hash chain, balances), one client, each committed before the
  next, against a bare driver transaction per transfer doing just two balance updates.
- ``transfers_concurrent_per_s[…,N_clients]``: the same from 8 and from 32 client
  threads through a group-committing registry (a server), against the one-client figure.
- ``bulk_payout_{new,existing}_postings_per_s``: one ``distribute`` of cash to the same N
  accounts (a pool's payout), creating balances, then raising them; same baseline.
- ``bulk_open_accounts_per_s`` and ``peak_rss_mb`` for context.
Balances are checked after the bulk issuance: a fast wrong answer is not a result.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import drop_pg_database, emit, fresh_pg_database, peak_rss_mb, timer
from pctrade import bootstrap
from pctrade.bootstrap.contexts import verify
from pctrade.kernel.clock import SystemClock
from pctrade.ledger import commands as c
from pctrade.ledger.model import Role
from pctrade.ledger.service import Registry
from pctrade.ledger.sql.store import SqlStore

BENCH = "registry"
DENOM = "CCER-CN-AFF0007-2026Q3-001"


def bench_bulk(store: SqlStore, reg: Registry, n: int, engine: str) -> list[int]:
    parties = [f"p{i}" for i in range(n)]
    with timer() as t_open:
        receipt = reg.open_accounts(
            "registry", "bulk-open", c.OpenAccounts(Role.INDIVIDUAL, parties)
        )
    emit(BENCH, f"bulk_open_accounts_per_s[{engine}]", n / t_open[0], "accounts/s", None)
    first = int(receipt.payload["accounts"])
    with store.reader() as uow:
        ids = [a.account_id for a in uow.accounts_of("p0")]
    start = ids[0]
    account_ids = list(range(start, start + first))
    amounts = [1_000_000 + (i % 7) for i in range(n)]
    reg.open_account("registry", "reg", c.OpenAccount("mee", Role.REGULATOR, "MEE"))

    baseline = raw_append_rate(store, account_ids, amounts)
    with timer() as t_issue:
        reg.issue("mee", "bulk-issue", c.Issue(DENOM, account_ids, amounts))
    rate = (n + 1) / t_issue[0]
    check_issued(store, n, sum(amounts))
    emit(BENCH, f"bulk_issue_postings_per_s[{engine}]", rate, "postings/s", baseline)
    bench_payout(store, reg, account_ids, engine, baseline)
    return account_ids


def bench_payout(
    store: SqlStore, reg: Registry, account_ids: list[int], engine: str, baseline: float
) -> None:
    """A pool's payout: cash from one account to every holder, as one ``distribute``.

    Run twice: the first creates every cash balance, the second raises existing ones
    (the common case for a pool paying its contributors again).
    """
    reg.open_account("registry", "pool-open", c.OpenAccount("pool", Role.PLATFORM, "Pool"))
    with store.reader() as uow:
        pool = uow.accounts_of("pool")[0].account_id
    reg.deposit("registry", "pool-cash", c.Deposit(pool, 10**15, "bank"))
    amounts = [100 + i % 7 for i in range(len(account_ids))]
    for kind in ("new", "existing"):
        cmd = c.Distribute(pool, "CNY", account_ids, amounts, f"POOL-{kind}")
        with timer() as t:
            reg.distribute("pool", f"payout-{kind}", cmd)
        rate = (len(account_ids) + 1) / t[0]
        emit(BENCH, f"bulk_payout_{kind}_postings_per_s[{engine}]", rate, "postings/s", baseline)


def raw_append_rate(store: SqlStore, account_ids: list[int], amounts: list[int]) -> float:
    """The floor: the same rows appended to a bare table by the driver alone."""
    n = len(account_ids)
    rows = zip([0] * n, range(n), account_ids, [1] * n, [0] * n, amounts, strict=True)
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE bench_raw (seq BIGINT, idx BIGINT, account_id BIGINT, asset_id BIGINT,"
            " state SMALLINT, delta BIGINT, PRIMARY KEY (seq, idx))"
        )
    with store.engine.begin() as conn, timer() as t:
        driver = conn.connection.driver_connection
        cols = "seq, idx, account_id, asset_id, state, delta"
        if store.is_postgres:
            with driver.cursor() as cur, cur.copy(f"COPY bench_raw ({cols}) FROM STDIN") as cp:  # type: ignore[union-attr]
                for row in rows:
                    cp.write_row(row)
        else:
            driver.executemany(f"INSERT INTO bench_raw ({cols}) VALUES (?,?,?,?,?,?)", rows)  # type: ignore[union-attr]
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE bench_raw")
    return n / t[0]


def check_issued(store: SqlStore, n: int, total: int) -> None:
    with store.engine.connect() as conn:
        count, held = conn.exec_driver_sql(
            "SELECT COUNT(*), SUM(amount) FROM balances WHERE asset_id = 1 AND state = 0"
        ).one()
    if (count, held) != (n, total):
        raise SystemExit(f"bulk issuance wrong: {count} balances holding {held}, want {n}/{total}")


def bench_transfers(
    store: SqlStore, reg: Registry, account_ids: list[int], n: int, engine: str
) -> float:
    rng = random.Random(7)
    pool = account_ids[: min(len(account_ids), 1_000)]
    pairs = [(rng.choice(pool), rng.choice(pool)) for _ in range(n)]
    pairs = [(a, b) for a, b in pairs if a != b]
    baseline = raw_transfer_rate(store, pairs[: max(1, len(pairs) // 4)])
    with timer() as t:
        for i, (a, b) in enumerate(pairs):
            reg.transfer(f"p{a - account_ids[0]}", f"t{i}", c.Transfer(a, b, DENOM, 1))
    rate = len(pairs) / t[0]
    emit(BENCH, f"transfers_per_s[{engine}]", rate, "transfers/s", baseline)
    return rate


def bench_concurrent(
    store: SqlStore, account_ids: list[int], n: int, engine: str, baseline: float, threads_n: int
) -> None:
    """Transfers from client threads through a group-committing registry (a server).

    The baseline is the sequential figure of the same run: the ratio is what group
    commit adds when callers are concurrent.
    """
    # A second registry over the same store, as a server's would be: building another
    # app here would start the store's row cache afresh and time its refilling too.
    reg = Registry(store, SystemClock(), group_commit=True)
    pool = account_ids[: min(len(account_ids), 1_000)]

    def client(w: int) -> None:
        rng = random.Random(100 + w)
        for i in range(n // threads_n):
            a, b = rng.sample(pool, 2)
            key = f"c{threads_n}-{w}-{i}"
            reg.transfer(f"p{a - account_ids[0]}", key, c.Transfer(a, b, DENOM, 1))

    clients = [threading.Thread(target=client, args=(w,)) for w in range(threads_n)]
    with timer() as t:
        for th in clients:
            th.start()
        for th in clients:
            th.join()
    reg.close()
    rate = (n // threads_n) * threads_n / t[0]
    metric = f"transfers_concurrent_per_s[{engine},{threads_n}_clients]"
    emit(BENCH, metric, rate, "transfers/s", baseline)


_RAW_DEBIT = "UPDATE bench_bal SET amount = amount + {d} WHERE account_id = {a}"


def raw_transfer_rate(store: SqlStore, pairs: list[tuple[int, int]]) -> float:
    """The floor: one bare driver transaction per transfer, two balance updates in it.

    It runs on a scratch copy of the balances, so the registry itself is untouched.
    """
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE bench_bal (account_id BIGINT PRIMARY KEY, amount BIGINT NOT NULL)"
        )
        conn.exec_driver_sql(
            "INSERT INTO bench_bal SELECT account_id, amount FROM balances"
            " WHERE asset_id = 1 AND state = 0"
        )
    with store.engine.connect() as conn:
        driver: Any = conn.connection.driver_connection
        begin = "BEGIN IMMEDIATE" if not store.is_postgres else "BEGIN"
        with timer() as t:
            for a, b in pairs:
                cur = driver.cursor()
                cur.execute(begin)
                cur.execute(_RAW_DEBIT.format(d=-1, a=a))
                cur.execute(_RAW_DEBIT.format(d=1, a=b))
                cur.execute("COMMIT")
        if store.is_postgres:
            driver.commit()
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE bench_bal")
    return len(pairs) / t[0]


def run(engine: str, n_accounts: int, n_transfers: int) -> None:
    if engine == "sqlite":
        tmp = tempfile.mkdtemp(prefix="pctrade-bench-")
        url: str | None = f"sqlite:///{tmp}/bench.db"
    else:
        url = fresh_pg_database("pctrade_bench")
        if url is None:
            return
    store = SqlStore(url)
    try:
        reg = bootstrap.build(store).registry
        ids = bench_bulk(store, reg, n_accounts, engine)
        sequential = bench_transfers(store, reg, ids, n_transfers, engine)
        for clients in (8, 32):
            bench_concurrent(store, ids, n_transfers, engine, sequential, clients)
        with timer() as t_verify:
            report = verify(store)
        if not report.ok:
            raise SystemExit(f"verify failed: {report.problems[:3]}")
        emit(
            BENCH,
            f"verify_postings_per_s[{engine}]",
            report.postings / t_verify[0],
            "postings/s",
            None,
        )
    finally:
        store.dispose()
        if engine != "sqlite":
            drop_pg_database("pctrade_bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--accounts", type=int, help="recipients of the bulk issuance")
    parser.add_argument("--transfers", type=int, help="single transfers to time")
    args = parser.parse_args()
    n_accounts, n_transfers = (100_000, 5_000) if args.quick else (1_000_000, 100_000)
    n_accounts = args.accounts or n_accounts
    n_transfers = args.transfers or n_transfers
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    for engine in engines:
        run(engine, n_accounts, n_transfers)
    emit(BENCH, "peak_rss_mb", peak_rss_mb(), "MiB", None)


if __name__ == "__main__":
    os.environ.setdefault("PCTRADE_SQLITE_SYNC", "NORMAL")
    main()
