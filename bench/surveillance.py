"""Market data and surveillance benchmark: a synthetic trading day through the pure code.

    python bench/surveillance.py [--quick] [--trades N] [--seed S]

One seeded day on two contracts: ``--trades`` listing-agreement trades (and one block
trade in fifty) among 500 parties at a drifting price, and for each trade about five
order actions (placements, most of them cancelled within a minute, a few behind the
touch), with 200 declared relations. Reported (one JSON line each): the abnormal-trading
report's ``surveillance_trades_per_s`` (trades of the day per CPU second, all four
signatures, order actions included) and the daily bars' ``daily_bar_trades_per_s``.
CPU time of the process (``time.process_time``), best of three.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta

from _common import emit
from pctrade.market.data import TradeMode, TradeRecord, daily_bar
from pctrade.market.engine import Side
from pctrade.market.surveillance import OrderAction, OrderRecord, Relation, abnormal_trading_report
from pctrade.rules import shipped

DAY = date(2026, 3, 2)
OPEN = datetime(2026, 3, 2, 9, 30)
CONTRACTS = ("CEA-CN-2025", "CCER-CN-2025")
T = 1_000_000


def synthetic_day(
    trades_n: int, seed: int
) -> tuple[list[TradeRecord], list[OrderRecord], list[Relation]]:
    rng = random.Random(seed)
    parties = [f"p{i}" for i in range(500)]
    trades: list[TradeRecord] = []
    orders: list[OrderRecord] = []
    price = {c: 6_000 for c in CONTRACTS}
    seq = order_id = 0
    for i in range(trades_n):
        at = OPEN + timedelta(seconds=i * 14_400 / trades_n)
        contract = rng.choice(CONTRACTS)
        price[contract] = max(100, price[contract] + rng.randint(-3, 3))
        for _ in range(2):
            seq += 1
            order_id += 1
            party, side = rng.choice(parties), rng.choice((Side.BUY, Side.SELL))
            behind = rng.choice((0, 0, 0, 10, 50))
            place = OrderRecord(
                order_id,
                contract,
                seq,
                at,
                party,
                f"{party}-a",
                side,
                OrderAction.PLACE,
                price[contract] - behind if side is Side.BUY else price[contract] + behind,
                rng.randint(1, 20) * T,
                price[contract],
            )
            orders.append(place)
            if rng.random() < 0.8:
                seq += 1
                gone = at + timedelta(seconds=rng.randint(1, 120))
                orders.append(place._replace(seq=seq, at=gone, action=OrderAction.CANCEL))
        seq += 1
        buyer, seller = rng.sample(parties, 2)
        mode = TradeMode.BLOCK if rng.random() < 0.02 else TradeMode.LISTING
        trades.append(
            TradeRecord(
                i + 1,
                contract,
                seq,
                DAY,
                at,
                buyer,
                seller,
                f"{buyer}-a",
                f"{seller}-a",
                price[contract],
                rng.randint(1, 50) * T,
                mode,
            )
        )
    relations = [Relation(*rng.sample(parties, 2), "declared") for _ in range(200)]
    return trades, orders, relations


def best_cpu_s(run: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--trades", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    n = 2_000 if args.quick else args.trades
    trades, orders, relations = synthetic_day(n, args.seed)
    cn = shipped().by_version("CN/2021-02-01")
    closes = dict.fromkeys(CONTRACTS, 6_000)
    report_s = best_cpu_s(lambda: abnormal_trading_report(trades, orders, relations, cn, closes))
    bars_s = best_cpu_s(
        lambda: [
            daily_bar(c, DAY, [t for t in trades if t.contract == c], 6_000, 1) for c in CONTRACTS
        ]
    )
    report = abnormal_trading_report(trades, orders, relations, cn, closes)
    kinds = Counter(f.kind.value for f in report.findings)
    print(f"# {n} trades, {len(orders)} order actions, findings {dict(kinds)}", flush=True)
    emit("surveillance", "surveillance_trades_per_s", n / report_s, "trades/s", None)
    emit("surveillance", "daily_bar_trades_per_s", n / bars_s, "trades/s", None)


if __name__ == "__main__":
    main()
