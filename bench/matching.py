"""Matching benchmark: pctrade's order book against two public order books from PyPI.

    pip install -e '.[bench]'      # the peers: lightmatchingengine, order-matching[polars]
    python bench/matching.py [--quick] [--events N] [--seed S]

pctrade runs twice: its compiled core (``engine/book.py`` and ``engine/sides.py`` built
by mypyc at install, see ``pctrade.market.engine.implementation``) and the same modules
as Python source, loaded beside it. The first line says which the install runs; without
a compiled core only the source is measured, and said so.

The engines alone, in one process, one after the other, on one seeded flow of order
events (integer prices in fen per tonne, integer quantities in grams): passive limit
orders placed a few ticks from a drifting mid price, cancels of resting orders, and
limit orders that cross the spread and trade with one or more makers (what they do not
fill rests). Cancels grow more likely as the book deepens, so the book holds about
``--depth`` orders in steady state. Every order has its own owner, because neither
peer prevents self-trades; the same flow is given to every engine, built beforehand.

- ``lightmatchingengine`` 2019.1.4 (gavincyi; PyPI ships only its pure-Python module:
  the Cython core of its repository was never released) and
- ``order-matching`` 0.12.0 (pure Python; loguru's debug lines disabled, the fair setting
  for a production user; it needs its ``polars`` extra to import at all).

Figures (one JSON line each): ``matching_events_per_s`` (events = commands in: adds,
crossing orders and cancels; pctrade as installed, compiled if built) with ``ratio`` to
the faster peer and, per peer, ``[vs …]``; ``matching_events_per_s[pctrade python]``
with its ratio to the faster peer too; ``orders_per_s`` (new orders);
``add_latency_p50_us`` / ``_p99_us`` (each add timed alone on the wall clock, in a
separate pass, with lightmatchingengine as the baseline); and pctrade alone on a flow
with every feature it has (amends, IOC, chosen levels, 200 shared owners so that
self-trade prevention fires). Throughput is the CPU time of
the process (``time.process_time``), each engine's best of several runs taken in turns:
on a shared machine the wall clock measures the neighbours. Before any figure counts,
each peer's trades are compared with pctrade's, trade for trade (taker, maker, price,
quantity), and the two pctrade engines' events with each other, event for event; a
difference stops the run. Without the peers installed, pctrade runs alone.

Where the semantics differ: lightmatchingengine reports one aggressor trade per price
level plus one passive trade per maker (we compare the passive ones), numbers its own
order ids from 1 (the flow's ids are the same), and keeps filled orders in its id map
(the flow never cancels a filled order). order-matching matches in batches by timestamp
(each event is placed and matched on its own, with a timestamp one microsecond later
than the last) and holds sizes and prices as floats (exact for these integers).
order-matching slows with the book (it scans every resting order to place one), so it
runs on a prefix of the flow (``--om-events``), which flatters its rate.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import emit, peak_rss_mb
from pctrade.market.engine import (
    IMPLEMENTATION,
    Amend,
    Cancel,
    Command,
    Fill,
    OrderBook,
    OrderState,
    Place,
    Side,
    TimeInForce,
    TradingParams,
    implementation,
)

BENCH = "matching"
T = 1_000_000  # grams per tonne: quantities are whole tonnes, in grams
REFERENCE = 6_000  # fen per tonne (60 yuan/t)
PARAMS = TradingParams(
    price_step_fen_per_t=1,
    quantity_step_g=T,
    order_quantity_max_g=99_999 * T,
    price_limit_bps=1_000,
    reference_price_fen_per_t=REFERENCE,
)
LOW, HIGH = PARAMS.band()

# One event of the flow: (order_id, is_buy, price, quantity_g), or (order_id,) to cancel.
Op = tuple[int, ...]
Trade = tuple[int, int, int, int]  # taker id, maker id, price, quantity


# ---- the flow ------------------------------------------------------------------------


class _Live:
    """The resting orders' ids, with O(1) random pick and removal."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.at: dict[int, int] = {}

    def add(self, order_id: int) -> None:
        self.at[order_id] = len(self.ids)
        self.ids.append(order_id)

    def discard(self, order_id: int) -> None:
        i = self.at.pop(order_id, None)
        if i is None:
            return
        last = self.ids.pop()
        if last != order_id:
            self.ids[i] = last
            self.at[last] = i


def make_flow(n: int, seed: int, depth: int, full: bool = False) -> list[Command]:
    """``n`` commands for pctrade's book; the peers' inputs are translated from them.

    Built by running the flow through a book, so that each cancel names an order that
    is resting at that moment. ``full`` adds amends, IOC orders, taking orders with
    chosen levels and 200 shared owners (self-trade prevention).
    """
    rng = random.Random(seed)
    book = OrderBook(PARAMS)
    live = _Live()
    commands: list[Command] = []
    mid = REFERENCE
    next_id = 1
    for seq in range(1, n + 1):
        if rng.random() < 0.05:
            mid = min(max(mid + rng.choice((-1, 1)), LOW + 100), HIGH - 100)
        cancel_share = 0.25 if len(live.ids) < depth else 0.45
        r = rng.random()
        if live.ids and r < cancel_share:
            victim = rng.choice(live.ids)
            owner = book.order(victim)
            assert owner is not None
            if full and rng.random() < 0.3:
                cmd: Command = _amend(rng, seq, victim, owner.owner, owner.price_fen_per_t)
            else:
                cmd = Cancel(seq, victim, owner.owner)
        else:
            cmd = _new_order(rng, book, seq, next_id, mid, crossing=r > 0.85, full=full)
            next_id += 1
        commands.append(cmd)
        for event in book.apply(cmd):
            _track(book, live, event)
    return commands


def _new_order(
    rng: random.Random, book: OrderBook, seq: int, order_id: int, mid: int, *, crossing: bool,
    full: bool,
) -> Place:  # fmt: skip
    buy = rng.random() < 0.5
    owner = f"p{rng.randrange(200)}" if full else f"p{order_id}"
    if crossing:
        best = book.best_ask() if buy else book.best_bid()
        touch = best if best is not None else mid
        price = touch + rng.randint(0, 4) * (1 if buy else -1)
        quantity = rng.randint(1, 20) * T
    else:
        price = mid - rng.randint(1, 30) if buy else mid + rng.randint(1, 30)
        quantity = rng.randint(1, 10) * T
    price = min(max(price, LOW), HIGH)
    side = Side.BUY if buy else Side.SELL
    tif, levels = TimeInForce.DAY, None
    if full and crossing:
        if rng.random() < 0.3:
            tif = TimeInForce.IOC
        elif rng.random() < 0.3:
            depth = book.depth(5)
            opposite = depth.asks if buy else depth.bids
            chosen = [lv.price_fen_per_t for lv in opposite if rng.random() < 0.6]
            ok = [p for p in chosen if (p <= price if buy else p >= price)]
            levels = tuple(ok) or None
    return Place(seq, order_id, f"c{order_id}", owner, side, price, quantity, tif, levels)


def _amend(rng: random.Random, seq: int, order_id: int, owner: str, price: int) -> Amend:
    new_price = price if rng.random() < 0.5 else min(max(price + rng.randint(-3, 3), LOW), HIGH)
    return Amend(seq, order_id, owner, new_price, rng.randint(1, 12) * T)


def _track(book: OrderBook, live: _Live, event: object) -> None:
    order_ids: tuple[int, ...] = ()
    if isinstance(event, Fill):
        order_ids = (event.taker_order_id, event.maker_order_id)
    elif hasattr(event, "order_id") and event.order_id is not None:  # type: ignore[attr-defined]
        order_ids = (event.order_id,)  # type: ignore[attr-defined]
    for order_id in order_ids:
        if book.state_of(order_id) is not OrderState.OPEN:
            live.discard(order_id)
        elif order_id not in live.at:
            live.add(order_id)


# ---- the engines ---------------------------------------------------------------------

COMPILED, PYTHON = "pctrade compiled", "pctrade python"


def pctrade_engines() -> dict[str, type[OrderBook]]:
    """pctrade's books by name: the compiled one if this install built it, and the source."""
    if IMPLEMENTATION.name != implementation.COMPILED:
        return {PYTHON: OrderBook}
    source: type[OrderBook] = implementation.load_source(keep=False)["book"].OrderBook
    return {COMPILED: OrderBook, PYTHON: source}


def run_pctrade(
    commands: Sequence[Command], keep: bool = False, book_class: type[OrderBook] = OrderBook
) -> tuple[float, list[Any]]:
    """Seconds for the flow; with ``keep``, the events too (the timed runs drop them, as a
    service does once it has recorded them)."""
    book = book_class(PARAMS)
    apply = book.apply
    results: list[Any] = []
    start = time.process_time()
    if keep:
        results = [apply(command) for command in commands]
    else:
        for command in commands:
            apply(command)
    elapsed = time.process_time() - start
    problems = book.audit()
    if problems:
        raise SystemExit(f"pctrade's book is inconsistent after the run: {problems[:3]}")
    return elapsed, results


def pctrade_trades(commands: Sequence[Command], results: list[Any]) -> list[Trade]:
    return [
        (e.taker_order_id, e.maker_order_id, e.price_fen_per_t, e.quantity_g)
        for events in results
        for e in events
        if type(e) is Fill
    ]


def lme_ops(commands: Sequence[Command]) -> list[tuple[int, int, int, int]]:
    """(0, price, quantity, side) to add, (1, order id, 0, 0) to cancel."""
    from lightmatchingengine.lightmatchingengine import Side as LmeSide

    ops = []
    for c in commands:
        if isinstance(c, Place):
            side = LmeSide.BUY if c.side is Side.BUY else LmeSide.SELL
            ops.append((0, c.price_fen_per_t, c.quantity_g, side))
        else:
            ops.append((1, c.order_id, 0, 0))
    return ops


def run_lme(
    ops: Sequence[tuple[int, int, int, int]], keep: bool = False
) -> tuple[float, list[Any]]:
    from lightmatchingengine.lightmatchingengine import LightMatchingEngine

    engine = LightMatchingEngine()
    add, cancel = engine.add_order, engine.cancel_order
    results: list[Any] = []
    start = time.process_time()
    if keep:
        results = [cancel(a, "C") if kind else add("C", a, b, c) for kind, a, b, c in ops]
    else:
        for kind, a, b, c in ops:
            if kind:
                cancel(a, "C")
            else:
                add("C", a, b, c)
    return time.process_time() - start, results


def lme_trades(results: list[Any]) -> list[Trade]:
    trades: list[Trade] = []
    for result in results:
        if isinstance(result, tuple):
            order, fills = result
            trades.extend(
                (order.order_id, t.order_id, int(t.trade_price), int(t.trade_qty))
                for t in fills
                if t.order_id != order.order_id
            )
    return trades


def om_inputs(commands: Sequence[Command]) -> list[Any]:
    """Fresh order-matching inputs: its orders are mutated as they fill."""
    from order_matching.enums import Side as OmSide
    from order_matching.order import LimitOrder
    from order_matching.orders import Orders

    base = datetime(2026, 1, 5, 9, 30)
    inputs: list[Any] = []
    for c in commands:
        at = base + timedelta(microseconds=c.seq)
        if isinstance(c, Place):
            order = LimitOrder(
                side=OmSide.BUY if c.side is Side.BUY else OmSide.SELL,
                price=float(c.price_fen_per_t),
                size=float(c.quantity_g),
                timestamp=at,
                order_id=str(c.order_id),
                trader_id=c.owner,
            )
            inputs.append((Orders([order]), at))
        else:
            inputs.append(str(c.order_id))
    return inputs


def run_om(inputs: Sequence[Any]) -> tuple[float, list[Any]]:
    """CPU seconds and results (kept: at hundreds of microseconds an event, the append
    is lost in the noise)."""
    from loguru import logger
    from order_matching.matching_engine import MatchingEngine

    logger.disable("order_matching")
    engine = MatchingEngine(seed=7)
    place, match, cancel = engine.place, engine.match, engine.cancel_order
    results: list[Any] = []
    keep = results.append
    start = time.process_time()
    for item in inputs:
        if isinstance(item, str):
            cancel(item)
        else:
            orders, at = item
            place(orders)
            keep(match(at))
    return time.process_time() - start, results


def om_trades(results: list[Any]) -> list[Trade]:
    return [
        (int(t.incoming_order_id), int(t.book_order_id), int(t.price), int(t.size))
        for executed in results
        for t in executed.trades
    ]


# ---- latency ---------------------------------------------------------------------------


def add_latencies_us(
    run_one: Callable[[int], object], is_add: Sequence[bool]
) -> tuple[float, float]:
    """p50 and p99 of the adds, each timed alone (the cancels run untimed between)."""
    clock = time.perf_counter_ns
    samples: list[int] = []
    for i, add in enumerate(is_add):
        if add:
            start = clock()
            run_one(i)
            samples.append(clock() - start)
        else:
            run_one(i)
    samples.sort()
    return samples[len(samples) // 2] / 1e3, samples[len(samples) * 99 // 100] / 1e3


# ---- the run ---------------------------------------------------------------------------


def compare(name: str, ours: list[Trade], theirs: list[Trade]) -> None:
    if ours != theirs:
        first = next(
            (i for i, (a, b) in enumerate(zip(ours, theirs, strict=False)) if a != b),
            min(len(ours), len(theirs)),
        )
        raise SystemExit(
            f"{name}: trades differ from pctrade's at trade {first} "
            f"({len(ours)} against {len(theirs)} trades)"
        )
    print(f'{{"bench": "{BENCH}", "check": "trades_equal", "peer": "{name}", '
          f'"trades": {len(ours)}, "equal": true}}', flush=True)  # fmt: skip


def fastest(
    runs: dict[str, Callable[[], tuple[float, list[Any]]]], repeats: int
) -> dict[str, float]:
    """Each engine's fastest of ``repeats`` runs, the engines taking turns, in CPU seconds.

    Taking turns and keeping the minimum is what makes figures from a shared machine
    comparable: a run slowed by other work does not count against one engine alone. The
    flow built beforehand is frozen out of the garbage collector's walks for every
    engine alike: it is the benchmark's, not the engine's.
    """
    best = dict.fromkeys(runs, float("inf"))
    gc.collect()
    gc.freeze()
    try:
        for _ in range(repeats):
            for name, run in runs.items():
                best[name] = min(best[name], run()[0])
    finally:
        gc.unfreeze()
    return best


def peers_installed() -> bool:
    try:
        import lightmatchingengine.lightmatchingengine  # noqa: F401
        import order_matching.matching_engine  # noqa: F401
    except ImportError as exc:
        why = f"{exc}; install the peers with: pip install -e '.[bench]'"
        print(json.dumps({"bench": BENCH, "skipped": "peers", "why": why}), flush=True)
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--events", type=int, help="events in the flow")
    parser.add_argument("--om-events", type=int, help="the prefix order-matching gets")
    parser.add_argument("--depth", type=int, default=2_000, help="resting orders, about")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    n, n_om, repeats = (100_000, 2_000, 3) if args.quick else (1_000_000, 20_000, 5)
    n, n_om = args.events or n, args.om_events or n_om
    engines = pctrade_engines()
    print(json.dumps({"bench": BENCH, "engine": IMPLEMENTATION.name, "why": IMPLEMENTATION.why,
                      "measured": list(engines)}), flush=True)  # fmt: skip
    commands = make_flow(n, args.seed, args.depth)
    agree(engines, commands)
    if peers_installed():
        against_peers(engines, commands, commands[:n_om], repeats)
    else:
        runs = {name: _timed(cls, commands) for name, cls in engines.items()}
        for name, elapsed in fastest(runs, repeats).items():
            emit(BENCH, f"matching_events_per_s[{name}]", n / elapsed, "events/s", None)
    report_full_flow(engines, n, args.seed, args.depth, repeats)
    emit(BENCH, "peak_rss_mb", peak_rss_mb(), "MiB", None)


def _timed(
    book_class: type[OrderBook], commands: Sequence[Command]
) -> Callable[[], tuple[float, list[Any]]]:
    return lambda: run_pctrade(commands, book_class=book_class)


def agree(engines: dict[str, type[OrderBook]], commands: list[Command]) -> None:
    """The compiled book and its source answer the flow with the same events."""
    if len(engines) < 2:
        return
    (a, first), (b, second) = engines.items()
    one, other = first(PARAMS), second(PARAMS)
    for command in commands:  # command by command: the flow's events are never all kept
        if one.apply(command) != other.apply(command):
            raise SystemExit(f"{a} and {b} answer {command} with different events")
    print(f'{{"bench": "{BENCH}", "check": "events_equal", "engines": ["{a}", "{b}"], '
          f'"events": {len(commands)}, "equal": true}}', flush=True)  # fmt: skip


def against_peers(
    engines: dict[str, type[OrderBook]],
    commands: list[Command],
    prefix: list[Command],
    repeats: int,
) -> None:
    """The same flow through pctrade and the two peers: trades compared, then timed."""
    ops = lme_ops(commands)
    ours = pctrade_trades(commands, run_pctrade(commands, keep=True)[1])
    compare("lightmatchingengine", ours, lme_trades(run_lme(ops, keep=True)[1]))
    t_om, om_results = run_om(om_inputs(prefix))
    compare(
        "order-matching",
        pctrade_trades(prefix, run_pctrade(prefix, keep=True)[1]),
        om_trades(om_results),
    )
    runs = {name: _timed(cls, commands) for name, cls in engines.items()}
    runs["lightmatchingengine"] = lambda: run_lme(ops)
    times = fastest(runs, repeats)
    n, n_orders = len(commands), sum(1 for c in commands if isinstance(c, Place))
    rates = {name: n / t for name, t in times.items()}
    rates["order-matching"] = len(prefix) / t_om
    faster = max(rates["lightmatchingengine"], rates["order-matching"])
    for name, rate in rates.items():
        emit(BENCH, f"matching_events_per_s[{name}]", rate, "events/s", faster)
    ours_name = next(iter(engines))  # the engine as installed: compiled if built
    emit(BENCH, "matching_events_per_s", rates[ours_name], "events/s", faster)
    for peer in ("lightmatchingengine", "order-matching"):
        emit(BENCH, f"matching_events_per_s[vs {peer}]", rates[ours_name], "events/s", rates[peer])
    lme_orders = n_orders / times["lightmatchingengine"]
    for name in engines:
        emit(BENCH, f"orders_per_s[{name}]", n_orders / times[name], "orders/s", lme_orders)
    emit(BENCH, "orders_per_s[lightmatchingengine]", lme_orders, "orders/s", None)
    emit(BENCH, "trades", len(ours), "trades", None)
    report_latencies(engines, commands, ops, prefix, [isinstance(c, Place) for c in commands])


def report_latencies(
    engines: dict[str, type[OrderBook]],
    commands: list[Command],
    ops: list[tuple[int, int, int, int]],
    prefix: list[Command],
    is_add: list[bool],
) -> None:
    from lightmatchingengine.lightmatchingengine import LightMatchingEngine
    from loguru import logger
    from order_matching.matching_engine import MatchingEngine

    lme = LightMatchingEngine()

    def lme_one(i: int) -> object:
        kind, a, b, c = ops[i]
        return lme.cancel_order(a, "C") if kind else lme.add_order("C", a, b, c)

    theirs = add_latencies_us(lme_one, is_add)
    ours = {
        name: add_latencies_us(_one_by_one(book_class(PARAMS), commands), is_add)
        for name, book_class in engines.items()
    }
    logger.disable("order_matching")
    om, om_in = MatchingEngine(seed=7), om_inputs(prefix)

    def om_one(i: int) -> object:
        item = om_in[i]
        if isinstance(item, str):
            return om.cancel_order(item)
        om.place(item[0])
        return om.match(item[1])

    om_lat = add_latencies_us(om_one, is_add[: len(prefix)])
    for q, index in (("p50", 0), ("p99", 1)):
        for name, figures in ours.items():
            emit(BENCH, f"add_latency_{q}_us[{name}]", figures[index], "us", theirs[index])
        emit(BENCH, f"add_latency_{q}_us[lightmatchingengine]", theirs[index], "us", None)
        emit(BENCH, f"add_latency_{q}_us[order-matching]", om_lat[index], "us", None)


def _one_by_one(book: OrderBook, commands: list[Command]) -> Callable[[int], object]:
    apply = book.apply
    return lambda i: apply(commands[i])


def report_full_flow(
    engines: dict[str, type[OrderBook]], n: int, seed: int, depth: int, repeats: int
) -> None:
    """pctrade alone, with amends, IOC, chosen levels and self-trade prevention."""
    commands = make_flow(n, seed + 1, depth, full=True)
    agree(engines, commands)
    times = fastest({name: _timed(cls, commands) for name, cls in engines.items()}, repeats)
    out = sum(len(events) for events in run_pctrade(commands, keep=True)[1])
    for name, elapsed in times.items():
        emit(BENCH, f"matching_events_per_s[{name}, every feature]", n / elapsed, "events/s", None)
        emit(BENCH, f"events_out_per_s[{name}, every feature]", out / elapsed, "events/s", None)


if __name__ == "__main__":
    main()
