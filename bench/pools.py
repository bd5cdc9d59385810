"""Pools benchmark (issue 14): one sale's exact payout to N contributors.

    python bench/pools.py [--quick] [--contributors N] [--skip-registry] [--db sqlite|pg|both]

Figures (one JSON line each):
- ``split_shares_per_s``: the exact largest-remainder split of a sale's net proceeds
  over N contributors' grams on int64 columns (``ledger.split_columns``), against the
  pure ``kernel.split`` on the same weights (at most 1,000,000 of them: the pure split
  is the baseline, not the subject); ``split_shares_from_lists_per_s`` the same from and
  to Python lists. Exactness is checked on the result: Σ shares = net to the fen, every
  share within one fen of net × g / q, and the list and pure answers equal the column one.
- ``payout_contributors_per_s[db]`` and ``payout_entry_s[db]``: the whole ``pool_settle``
  entry through the registry (``Journal.execute`` with the sale's evidence: the deposits
  read as columns, the draw, the payout split and its check, the packed hold draws, hash,
  postings, N hold draw-downs, balances, the sale's row and lines: ``pools.sale_columns``;
  the deposits' sold grams are derived from their holds, not written), contributors per
  second and wall seconds, against a ``distribute`` of cash to the same N recipients in
  the same run, and their ratio (``baseline``, ``ratio``). Exactness
  is checked in the database afterwards: N lines summing to the sale's net, none a fen or
  more off its exact share, the contributors' cash equal to the lines, and each line's
  share and remainder equal to ``split_columns`` recomputed from the lines' grams.

Setup, not measured (``seed``): the registry's entries open the parties and the pool and
issue one small batch; the N contributors' accounts, frozen balances, pool holds and
``pool_deposits`` rows are written set-based (a temporary table of the columns, one
``INSERT … SELECT`` per table). N deposit entries would take far longer than the sale
itself, so ``verify`` is not run on this database (its journal does not explain those
rows); everything measured goes through the registry as in production.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import drop_pg_database, emit, fresh_pg_database, peak_rss_mb, timer
from pctrade import bootstrap
from pctrade.kernel.split import largest_remainder
from pctrade.ledger import commands as c
from pctrade.ledger.commands import Command
from pctrade.ledger.model import CASH_ASSET, Role, State
from pctrade.ledger.packed_np import Column
from pctrade.ledger.split_columns import largest_remainder_np, split_columns
from pctrade.ledger.sql.store import SqlStore
from pctrade.pools import commands as pc
from pctrade.pools.model import Terms
from pctrade.pools.sales import SaleEvidence
from pctrade.pools.settle import BuyerCash, PoolSale

BENCH = "pools"
BATCH = "CCER-CN-AFF0007-2026Q3-001"
PURE_MAX = 1_000_000
HOLD_BASE = 10**12  # the bench's hold ids: far above any seq the setup reaches
PG_DATABASE = "pctrade_bench_pools"
TERMS = Terms(
    ("PCER-GD",),
    fee_bps=500,
    floor_fen_per_t=3_000,
    draw_order="pro_rata",
    sale_schedule="weekly",
    payout_delay_days=0,
    withdrawal_notice_days=0,
    lock_in_days=30,
)


def grams_of(n: int) -> Column:
    """Contributions of 1 to 20 kg, varied so that the split has remainders to share."""
    return 1_000 + (np.arange(n, dtype=np.int64) * 7_919) % 19_000


def bench_split(n: int) -> None:
    column = grams_of(n)
    weights = column.tolist()
    net = int(column.sum()) * 57 // 1_000 + 12_345  # about 57 yuan/t, odd fen
    with timer() as t_columns:
        amounts, _, _, _ = split_columns(net, column)
    q = int(column.sum())
    # Exact: the shares sum to the net, and each is within one fen of net × g / q.
    if int(amounts.sum()) != net or not bool(np.all(np.abs(amounts * q - column * net) < q)):
        raise SystemExit("the vectorised split is not exact")
    with timer() as t_lists:
        split = largest_remainder_np(net, weights)
    if split.amounts != amounts.tolist():
        raise SystemExit("the split from lists differs from the split on columns")
    pure_n = min(n, PURE_MAX)
    with timer() as t_pure:
        pure = largest_remainder(net, weights[:pure_n])
    if pure_n == n and pure.amounts != split.amounts:
        raise SystemExit("the pure and the vectorised split differ")
    baseline = pure_n / t_pure[0]
    emit(BENCH, "split_shares_per_s", n / t_columns[0], "shares/s", baseline)
    # As ``sale_plan`` calls it: Python lists in and out (the conversions included).
    emit(BENCH, "split_shares_from_lists_per_s", n / t_lists[0], "shares/s", baseline)


@dataclass(frozen=True, slots=True)
class SellForBench(Command):
    sale_id: str


@dataclass(frozen=True, slots=True)
class Seeded:
    platform: int
    buyer: int
    pool_id: str
    first_account: int
    grams: Column


def seed(store: SqlStore, app: bootstrap.App, n: int) -> Seeded:
    """N contributors with one pool deposit each, and the buyer with cash. Not measured.

    The registry's own entries open the platform, the buyer, the pool and one small
    batch (the asset the deposits hold); the N people, their frozen grams of that
    batch, their pool holds and their ``pool_deposits`` rows are written straight into
    the tables, set-based (``seed_contributors``): N deposit entries would take far
    longer than the sale itself. So ``verify`` is not run on this database (its journal
    does not explain those rows); everything measured goes through the registry as in
    production.
    """
    reg = app.registry
    reg.open_account("registry", "o-mee", c.OpenAccount("mee", Role.REGULATOR, "MEE"))
    reg.open_account("registry", "o-plat", c.OpenAccount("plat", Role.PLATFORM, "Plat"))
    reg.open_account("registry", "o-steel", c.OpenAccount("steel", Role.EMITTER, "Steel"))
    reg.open_account("registry", "o-p0", c.OpenAccount("p0", Role.INDIVIDUAL, "P0"))
    with store.reader() as uow:
        plat = uow.accounts_of("plat")[0].account_id
        steel = uow.accounts_of("steel")[0].account_id
        p0 = uow.accounts_of("p0")[0].account_id
    grams = grams_of(n)
    issued = reg.issue("mee", "bulk-issue", c.Issue(BATCH, [p0], [int(grams[0])]))
    asset = int(issued.payload["batch"]["asset_id"])
    reg.deposit("mee", "cash", c.Deposit(steel, 10**15, "bank"))
    opened = app.pools.open("plat", "pool-open", pc.OpenPool(plat, "GD", "Bench pool", TERMS))
    pool_id = str(opened.payload["pool_id"])
    seed_contributors(store, pool_id, p0, asset, grams, issued.entry.seq, issued.entry.header.ts)
    return Seeded(plat, steel, pool_id, p0, grams)


def seed_contributors(
    store: SqlStore, pool_id: str, first: int, asset: int, grams: Column, seq: int, ts: str
) -> None:
    """Accounts ``first`` … ``first + N − 1`` (the first opened by the registry), each
    with ``grams[i]`` frozen in a pool hold and deposited: a temporary table of the
    columns, then one ``INSERT … SELECT`` per table."""
    n = len(grams)
    frozen = int(State.FROZEN)
    with store.writer() as uow:
        uow.head  # noqa: B018 - the journal head: no entry writes meanwhile
        uow.load_columns(
            "seed",
            {
                "a": np.arange(first, first + n, dtype=np.int64),
                "h": np.arange(HOLD_BASE, HOLD_BASE + n, dtype=np.int64),
                "g": grams,
            },
        )
        conn = uow.dbapi_connection()
        for sql in (
            "DELETE FROM balances WHERE asset_id = {asset} AND state <> {source}",
            "UPDATE balances SET amount = -{total} WHERE asset_id = {asset} AND state = {source}",
            "INSERT INTO accounts (account_id, holder_type, owner, label, opened_seq)"
            " SELECT a, 'individual', 'p' || CAST(k AS TEXT), 'P', {seq} FROM seed WHERE k > 0",
            "INSERT INTO balances (account_id, asset_id, state, amount)"
            " SELECT a, {asset}, {frozen}, g FROM seed",
            "INSERT INTO holds (hold_id, account_id, asset_id, reason, reference, amount,"
            " remaining) SELECT h, a, {asset}, 'pool', 'pool:{pool}', g, g FROM seed",
            "INSERT INTO pool_deposits (deposit_id, pool_id, account_id, asset_id, quantity_g,"
            " withdrawn_g, terms_version, entry_seq, deposited_at)"
            " SELECT h, '{pool}', a, {asset}, g, 0, 1, {seq}, '{ts}' FROM seed",
            "UPDATE batches SET issued_g = {total} WHERE asset_id = {asset}",
            "UPDATE registry_head SET next_account_id = {next_account}",
        ):
            conn.execute(
                sql.format(
                    asset=asset,
                    seq=seq,
                    frozen=frozen,
                    source=int(State.SOURCE),
                    pool=pool_id,
                    ts=ts,
                    total=int(grams.sum()),
                    next_account=first + n,
                )
            )
        uow.drop_columns("seed")
        uow.commit()
    if store.is_postgres:
        # What autovacuum's analyse does soon after a million rows arrive: the sale's
        # reads are planned on the tables' statistics, as in production.
        with store.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE accounts, balances, holds, pool_deposits")
            conn.commit()
    store.forget_cached_rows()


def bench_registry(n: int, db: str) -> None:
    if db == "pg":
        url = fresh_pg_database(PG_DATABASE)
        if url is None:
            return
        try:
            store = SqlStore(url)
            _bench_on(store, n, db)
        finally:
            drop_pg_database(PG_DATABASE)
        return
    with tempfile.TemporaryDirectory() as tmp:
        _bench_on(SqlStore(f"sqlite:///{Path(tmp) / 'pools.db'}"), n, db)


def _bench_on(store: SqlStore, n: int, db: str) -> None:
    app = bootstrap.build(store)
    try:
        run_sale(store, app, n, db)
    finally:
        app.close()
        store.dispose()


def run_sale(store: SqlStore, app: bootstrap.App, n: int, db: str) -> None:
    seeded = seed(store, app, n)
    quantity = int(seeded.grams.sum())
    sale = PoolSale(
        seeded.pool_id, "BENCH-1", "block", 60_000, quantity, seeded.buyer, seeded.platform, 500, 30
    )
    evidence = SaleEvidence(seeded.pool_id, sale, BuyerCash())
    with timer() as t:
        receipt = app.registry.journal.execute(
            "registry",
            "bench-sale",
            SellForBench("BENCH-1"),
            lambda uow, who: evidence.plan(uow),
            evidence,
        )
    check_payout(store, receipt.entry.seq, receipt.entry.header.payload, n)
    baseline = distribute_rate(app, seeded.buyer, seeded.first_account, n)
    emit(BENCH, f"payout_contributors_per_s[{db}]", n / t[0], "contributors/s", baseline)
    emit(BENCH, f"payout_entry_s[{db}]", t[0], "s", None)


def check_payout(store: SqlStore, seq: int, payload: dict[str, object], n: int) -> None:
    """In the database, after the entry: N lines summing to the net, each within a fen
    of its exact share, each exactly the split's (its tie-break too: recomputed here on
    columns from the lines' grams), and the contributors' cash is the lines'."""
    net, q = int(payload["net_fen"]), int(payload["quantity_g"])  # type: ignore[call-overload]
    with store.engine.connect() as conn:
        lines, paid, off = conn.exec_driver_sql(
            "SELECT COUNT(*), SUM(net_fen),"
            f" SUM(CASE WHEN ABS(net_fen * {q} - {net} * grams_g) >= {q} THEN 1 ELSE 0 END)"
            f" FROM pool_sale_lines WHERE entry_seq = {seq}"
        ).one()
        cash = conn.exec_driver_sql(
            "SELECT SUM(b.amount) FROM balances b JOIN pool_sale_lines l"
            f" ON l.account_id = b.account_id AND l.entry_seq = {seq}"
            f" WHERE b.asset_id = {CASH_ASSET} AND b.state = {int(State.AVAILABLE)}"
        ).scalar_one()
        grams, shares, remainders = _line_columns(conn, seq)
    if (lines, paid, off, cash) != (n, net, 0, net):
        raise SystemExit(
            f"payout not exact: {lines} lines paying {paid} ({off} off), cash {cash}, net {net}"
        )
    amounts, exact_remainders, _, _ = split_columns(net, grams)
    if not (np.array_equal(amounts, shares) and np.array_equal(exact_remainders, remainders)):
        raise SystemExit("the lines are not the exact split of the net by the grams")


def _line_columns(conn: Any, seq: int) -> tuple[Column, Column, Column]:
    cursor = conn.exec_driver_sql(
        "SELECT grams_g, net_fen, remainder FROM pool_sale_lines"
        f" WHERE entry_seq = {seq} ORDER BY account_id"
    )
    pieces = []
    while rows := cursor.fetchmany(65_536):
        pieces.append(np.array([tuple(r) for r in rows], dtype=np.int64))
    table = np.concatenate(pieces)
    return table[:, 0].copy(), table[:, 1].copy(), table[:, 2].copy()


def distribute_rate(app: bootstrap.App, payer: int, first: int, n: int) -> float:
    """The baseline: the registry's ``distribute`` of cash to the same N accounts, right
    after the sale (their cash balances exist: the sale paid them)."""
    recipients = list(range(first, first + n))
    cmd = c.Distribute(payer, "CNY", recipients, [100 + i % 7 for i in range(n)], "BENCH-DIST")
    with timer() as t:
        app.registry.distribute("steel", "bench-distribute", cmd)
    return n / t[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--contributors", type=int, help="contributors paid by the one sale")
    parser.add_argument("--skip-registry", action="store_true", help="the split alone")
    parser.add_argument(
        "--db", choices=("sqlite", "pg", "both"), default="both", help="where the payout runs"
    )
    args = parser.parse_args()
    n = args.contributors or (20_000 if args.quick else 10_000_000)
    bench_split(n)
    if not args.skip_registry:
        for db in ("sqlite", "pg") if args.db == "both" else (args.db,):
            bench_registry(n, db)
    emit(BENCH, "peak_rss_mb", peak_rss_mb(), "MiB", None)


if __name__ == "__main__":
    os.environ.setdefault("PCTRADE_SQLITE_SYNC", "NORMAL")
    main()
