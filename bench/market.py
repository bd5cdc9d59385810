"""Market service benchmark: orders through the service, with registry holds and DvP.

    python bench/market.py [--quick] [--engine sqlite|postgresql|both] [--orders N]
                           [--clients C] [--contracts K]

C client threads (default 8) place limit orders through ``Market.place``: half of them
platforms selling CCER, half key emitters buying, at prices drawn around one mid so
that about half of the orders cross. Each order makes its freeze entry, the settlement
entry of each fill with its trade row, the order rows and the command log; the orders
waiting together are committed in one transaction (``market.sequencer``). The clients
trade one contract (the figure the issue asks for), or with ``--contracts K`` K
contracts of the same CCER, one per vintage (a market lists many, and they trade at
once; a pair of clients per contract). Figures, one JSON line each:

- ``service_orders_per_s``: orders accepted per second of wall time, against the
  issue's target (2,000 orders/s) as ``baseline``;
- ``service_fill_share_pct``: the share of orders that filled at least in part
  (target ≥ 30 %);
- ``market_audit_ms``: what ``verify``'s market audit of the trades against their
  settlement entries took afterwards (it reads those entries by their own index).

The PostgreSQL figures use a database of their own, dropped and made again for each run:
``pctrade_bench_market``, or ``$PCTRADE_BENCH_PG_DATABASE`` (for two runs at once).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import drop_pg_database, emit, fresh_pg_database, timer
from pctrade import bootstrap
from pctrade.kernel.clock import SetClock
from pctrade.ledger import commands as c
from pctrade.ledger.model import Role
from pctrade.ledger.sql.store import SqlStore
from pctrade.market import audit
from pctrade.market.commands import ListContract, PlaceOrder

BENCH = "market"
DB_NAME = os.environ.get("PCTRADE_BENCH_PG_DATABASE", "pctrade_bench_market")
TARGET_ORDERS_PER_S = 2_000.0
T = 1_000_000
CONTRACT = "CCER-CN-2026Q3"
VINTAGES = ("2026Q3", "2026Q1", "2026Q2", "2026Q4", "2027Q1", "2027Q2", "2027Q3", "2027Q4")
# Monday 2026-12-07, 10:00 China Standard Time: in the morning session.
OPEN = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


Trader = tuple[str, int, str, str]  # party, account, side, contract


def _setup(store: SqlStore, clients: int, contracts: int = 1) -> tuple[bootstrap.App, list[Trader]]:
    app = bootstrap.build(store, clock=SetClock(OPEN))
    reg = app.registry
    reg.open_account("registry", "o-reg", c.OpenAccount("reg", Role.REGULATOR, "Regulator"))
    vintages = VINTAGES[:contracts]
    traders: list[Trader] = []
    for n in range(clients):
        side = "sell" if n % 2 == 0 else "buy"
        role = Role.PLATFORM if side == "sell" else Role.EMITTER
        r = reg.open_account("registry", f"o-{n}", c.OpenAccount(f"t{n}", role, f"T{n}"))
        # pairs of clients (a seller and a buyer) share a contract
        code = f"CCER-CN-{vintages[(n // 2) % len(vintages)]}"
        traders.append((f"t{n}", int(r.payload["account"]), side, code))
    sellers = [a for _, a, s, _ in traders if s == "sell"]
    for vintage in vintages:
        batch = f"CCER-CN-AFF0007-{vintage}-001"
        reg.issue("reg", f"i-{vintage}", c.Issue(batch, sellers, [10**7 * T] * len(sellers)))
        listing = ListContract("CCER", "CN", vintage, reference_price_fen_per_t=6_000)
        app.market.list_contract("registry", f"list-{vintage}", listing)
    for party, account, side, _ in traders:
        if side == "buy":
            reg.deposit("reg", f"d-{party}", c.Deposit(account, 10**13, f"bank-{party}"))
    return app, traders


def _client(
    app: bootstrap.App, trader: Trader, n: int, out: list[int], errors: list[BaseException]
) -> None:
    party, account, side, code = trader
    rng = random.Random(hash(party))
    filled = 0
    try:
        for i in range(n):
            # sellers ask 5,990..6,010, buyers bid 5,990..6,010: about half cross
            price = 5_990 + rng.randrange(0, 21)
            order = PlaceOrder(code, account, f"{party}-{i}", side, price, rng.randint(1, 5) * T)
            result = app.market.place(party, f"{party}-{i}", order)
            filled += 1 if result["trades"] else 0
    except BaseException as exc:  # a refused order is a broken benchmark: said aloud
        errors.append(exc)
    out.append(filled)


def run(store: SqlStore, name: str, orders: int, clients: int, contracts: int = 1) -> None:
    app, traders = _setup(store, clients, contracts)
    per_client = max(1, orders // clients)
    filled: list[int] = []
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_client, args=(app, t, per_client, filled, errors)) for t in traders
    ]
    with timer() as elapsed:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    if errors:
        raise SystemExit(f"{len(errors)} clients failed, the first with {errors[0]!r}")
    total = per_client * clients
    label = f"{name},{clients}_clients" + (f",{contracts}_contracts" if contracts > 1 else "")
    emit(
        BENCH, f"service_orders_per_s[{label}]", total / elapsed[0], "orders/s", TARGET_ORDERS_PER_S
    )
    emit(BENCH, f"service_fill_share_pct[{label}]", 100.0 * sum(filled) / total, "%", 30.0)
    with store.reader() as uow:
        start = time.perf_counter()
        problems = list(audit.audit_trades(uow))
        took_ms = 1000 * (time.perf_counter() - start)
    if problems:
        raise SystemExit(f"the market audit found {problems[:3]}")
    emit(BENCH, f"market_audit_ms[{label}]", took_ms, "ms", None)
    app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--orders", type=int, default=None)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument(
        "--contracts", type=int, default=1, choices=range(1, len(VINTAGES) + 1), metavar="K"
    )
    args = parser.parse_args()
    orders = args.orders or (400 if args.quick else 4_000)
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    for engine in engines:
        if engine == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                store = SqlStore(f"sqlite:///{tmp}/market.db")
                run(store, "sqlite", orders, args.clients, args.contracts)
                store.dispose()
        else:
            url = fresh_pg_database(DB_NAME)
            if url is None:
                continue
            store = SqlStore(url)
            run(store, "postgresql", orders, args.clients, args.contracts)
            store.dispose()
            drop_pg_database(DB_NAME)


if __name__ == "__main__":
    main()
