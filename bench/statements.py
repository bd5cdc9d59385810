"""Daily settlement statements after a day of N orders (default 10,000).

    python bench/statements.py [--quick] [--engine sqlite|postgresql|both] [--orders N]

The day is ``bench/market.py``'s: 8 client threads place limit orders on one contract
through ``Market.place`` (half platforms selling, half key emitters buying, about half
crossing). Then every trader's statement of the day is read, in turns with the same
statement's positions summed by one pass over the whole journal — how the statement
read them before it read the postings by account — as ``baseline``, best of three
each. Every statement's positions are checked against that pass before anything is
reported. One JSON line each:

- ``statement_ms``: one account's statement (its trades, opening, closing and settled
  cash and credits), milliseconds, against the journal pass (``ratio`` < 1: faster);
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import drop_pg_database, emit, fresh_pg_database
from market import OPEN, _client, _setup
from pctrade.ledger.model import CASH_ASSET, State
from pctrade.ledger.sql.store import SqlStore
from pctrade.market.model import CHINA_STANDARD_TIME

BENCH = "statements"
DB_NAME = "pctrade_bench_statements"
CLIENTS = 8
ROUNDS = 3
SETTLING = ("trade_settle", "auction_settle")


def _journal_pass(store: SqlStore, account_id: int, day: str) -> dict[str, dict[str, int]]:
    """Opening, closing and settled positions from every entry of the journal, in order."""
    sums = {k: {"cash_fen": 0, "credits_g": 0} for k in ("opening", "closing", "settled")}
    with store.reader() as uow:
        for entry in uow.stream_journal():
            ts = datetime.fromisoformat(entry.header.ts.replace("Z", "+00:00"))
            local = ts.astimezone(CHINA_STANDARD_TIME).date().isoformat()
            if local > day:
                break
            for x in entry.postings:
                if x.account_id == account_id and x.state in (State.AVAILABLE, State.FROZEN):
                    what = "cash_fen" if x.asset_id == CASH_ASSET else "credits_g"
                    sums["closing"][what] += x.delta
                    if local < day:
                        sums["opening"][what] += x.delta
                    elif entry.header.op_type in SETTLING:
                        sums["settled"][what] += x.delta
    return sums


def _best_ms(work: Any) -> tuple[float, Any]:
    best, answer = float("inf"), None
    for _ in range(ROUNDS):
        start = time.perf_counter()
        answer = work()
        best = min(best, 1000 * (time.perf_counter() - start))
    return best, answer


def run(store: SqlStore, name: str, orders: int) -> None:
    app, traders = _setup(store, CLIENTS)
    per_client = max(1, orders // CLIENTS)
    filled: list[int] = []
    threads = [threading.Thread(target=_client, args=(app, t, per_client, filled)) for t in traders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    day = (OPEN + timedelta(hours=8)).date().isoformat()
    took, passes = [], []
    for party, account, _side, _code in traders:
        ms, statement = _best_ms(partial(app.market_reports.statement, party, account, day))
        base_ms, journal = _best_ms(partial(_journal_pass, store, account, day))
        mine = {k: statement[k] for k in ("opening", "closing", "settled")}
        if mine != journal:
            raise SystemExit(f"{party}'s statement {mine} is not the journal's {journal}")
        took.append(ms)
        passes.append(base_ms)
    label = f"{name},{CLIENTS * per_client}_orders"
    emit(BENCH, f"statement_ms[{label}]", sum(took) / len(took), "ms", sum(passes) / len(passes))
    app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1,000 orders")
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--orders", type=int, default=None)
    args = parser.parse_args()
    orders = args.orders or (1_000 if args.quick else 10_000)
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    for engine in engines:
        if engine == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                store = SqlStore(f"sqlite:///{tmp}/statements.db")
                run(store, "sqlite", orders)
                store.dispose()
        else:
            url = fresh_pg_database(DB_NAME)
            if url is None:
                continue
            store = SqlStore(url)
            run(store, "postgresql", orders)
            store.dispose()
            drop_pg_database(DB_NAME)


if __name__ == "__main__":
    main()
