"""The market over HTTP: orders placed through ``POST /market/contracts/{code}/orders``.

    python bench/market_http.py [--quick] [--engine sqlite|postgresql|both]
                                [--orders N] [--clients C]

The API (``create_app``) runs in uvicorn on 127.0.0.1 in this process (one worker);
C client threads, each with its own keep-alive ``httpx`` connection and login, place
limit orders on one contract — half key emitters buying, half platforms selling, at
prices around one mid so that about half cross. Each request is the whole path: auth,
the boundary guard, validation, ``Market.place`` (one transaction with its freeze and
each fill's settlement) and the JSON answer. Figures, one JSON line each:

- ``http_orders_per_s``: orders answered 201 per second of wall time;
- ``http_order_p50_ms`` / ``http_order_p99_ms``: each request's latency at the client.
"""

from __future__ import annotations

import argparse
import random
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import drop_pg_database, emit, fresh_pg_database, timer
from market import CONTRACT, T, _setup
from pctrade.api.app import create_app
from pctrade.identity.commands import CreateLogin
from pctrade.ledger.sql.store import SqlStore

BENCH = "market_http"
DB_NAME = "pctrade_bench_market_http"
PASSWORD = "bench password 1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _client(
    base: str, token: str, trader: tuple[str, int, str], n: int, latencies: list[float]
) -> None:
    party, account, side = trader
    rng = random.Random(party)
    mine: list[float] = []
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=60.0) as http:
        for i in range(n):
            body = {
                "account": account,
                "client_order_id": f"{party}-{i}",
                "side": side,
                "price_fen_per_t": 5_990 + rng.randrange(0, 21),
                "quantity_g": rng.randint(1, 5) * T,
            }
            started = time.perf_counter()
            response = http.post(
                f"/market/contracts/{CONTRACT}/orders",
                json=body,
                headers={"Idempotency-Key": f"{party}-{i}"},
            )
            mine.append(time.perf_counter() - started)
            if response.status_code != 201:
                raise RuntimeError(f"{response.status_code}: {response.text}")
    latencies.extend(mine)


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(store: SqlStore, name: str, orders: int, clients: int) -> None:
    app, traders = _setup(store, clients)
    tokens = {}
    for party, _, _ in traders:
        app.identity.create_login("registry", f"login-{party}", CreateLogin(party, party, PASSWORD))
        tokens[party] = app.identity.login(party, PASSWORD, client="bench").token
    port = _free_port()
    config = uvicorn.Config(create_app(app), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    while not server.started:
        time.sleep(0.01)
    base = f"http://127.0.0.1:{port}"
    per_client = max(1, orders // clients)
    latencies: list[float] = []
    threads = [
        threading.Thread(target=_client, args=(base, tokens[t[0]], t, per_client, latencies))
        for t in traders
    ]
    with timer() as elapsed:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    server.should_exit = True
    serving.join()
    total = len(latencies)
    emit(BENCH, f"http_orders_per_s[{name},{clients}c]", total / elapsed[0], "orders/s", None)
    emit(
        BENCH, f"http_order_p50_ms[{name},{clients}c]", _quantile(latencies, 0.5) * 1e3, "ms", None
    )
    emit(
        BENCH, f"http_order_p99_ms[{name},{clients}c]", _quantile(latencies, 0.99) * 1e3, "ms", None
    )
    app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--orders", type=int, default=None)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    orders = args.orders or (400 if args.quick else 2_000)
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    for engine in engines:
        if engine == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                store = SqlStore(f"sqlite:///{tmp}/market.db")
                run(store, "sqlite", orders, args.clients)
                store.dispose()
        else:
            url = fresh_pg_database(DB_NAME)
            if url is None:
                continue
            store = SqlStore(url)
            run(store, "postgresql", orders, args.clients)
            store.dispose()
            drop_pg_database(DB_NAME)


if __name__ == "__main__":
    main()
