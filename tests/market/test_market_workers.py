"""``pctrade serve --workers 2`` on PostgreSQL: one matcher per contract across processes.

A real server — the command, uvicorn's supervisor and two worker processes, each with
its own app and cached books — on the test's database, standing on a trading morning
(``--clock-offset-s``). Sixteen HTTP clients (threads, one keep-alive connection each,
so each stays with one worker; some on each) place, amend and cancel orders on one
contract around one price, so that many cross.

1. Mid-flow, one worker is killed with SIGKILL; its clients retry on a new connection
   with the same idempotency keys and the supervisor starts a new worker. Afterwards:
   the contract's seqs are 1..last with no gap or repeat; each trade has exactly one
   settlement entry; no holding is negative; each asset's total is what it was; the
   book is not crossed; ``verify`` passes; and each worker, after commands of its own,
   holds the book a fresh process rebuilds from the registry and answers its depth.
2. The worker whose book was checked last is killed: the worker the supervisor starts
   in its place rebuilds, order for order (id, time priority, remaining), the book the
   dead one held in memory.
3. The whole server (SIGKILL to its process group) is killed in the middle of the
   clients' flow and started again: each client retries the request it had in flight,
   the same invariants hold, each new worker's book is the registry's, and every
   receipt so far is answered again, word for word, to a retry with its key.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from market_world import CONTRACT, DAY, T, at, build_market

from identity_support import bearer, create_logins
from pctrade import bootstrap
from pctrade.bootstrap.contexts import verify
from pctrade.kernel.clock import SetClock
from pctrade.ledger.model import FIRST_HOLDER_ACCOUNT, State
from pctrade.ledger.sql import schema
from pctrade.ledger.sql.store import SqlStore
from pctrade.market.engine import BookState
from pctrade.market.sql import store as mdb

pytestmark = pytest.mark.pg

CLIENTS = 16
TRADERS = ("alice", "bob", "plat", "steel")
OPERATOR = "registry"
ORDERS = f"/market/contracts/{CONTRACT}/orders"
MATCHER = f"/market/contracts/{CONTRACT}/matcher"
DEPTH = f"/market/contracts/{CONTRACT}/depth"
START_S_MAX = 90.0  # a server that has not answered by then has failed to start
RETRY_S_MAX = 20.0
STREAM_EVENTS_MAX = 3  # the server's setting: a stream ends after three events
CONNECTION_ERRORS = (httpx.TransportError,)


# ---- the server --------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """``pctrade serve`` as a user starts it, in a process group of its own."""

    url: str
    data_dir: Path
    log: Path
    offset_s: float
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [
            str(Path(sys.executable).with_name("pctrade")),
            "--db",
            self.url,
            "--data-dir",
            str(self.data_dir),
            "serve",
            "--port",
            str(self.port),
            "--workers",
            "2",
            "--clock-offset-s",
            repr(self.offset_s),
            "--stream-events-max",
            str(STREAM_EVENTS_MAX),
        ]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + START_S_MAX
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited: {self.log.read_text()}")
            try:
                if httpx.get(f"{self.base}/health", timeout=1.0).status_code == 200:
                    return
            except CONNECTION_ERRORS:
                time.sleep(0.1)
        raise AssertionError(f"serve did not answer in {START_S_MAX} s: {self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL to the command, the supervisor and every worker at once."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.kill()


# ---- the clients -----------------------------------------------------------------------
@dataclass(frozen=True)
class Sent:
    party: str
    key: str
    path: str
    body: dict[str, Any]


@dataclass
class Flow:
    """What the clients sent and what they were answered, shared by their threads."""

    base: str
    headers: dict[str, dict[str, str]]
    accounts: dict[str, int]
    receipts: dict[str, tuple[Sent, dict[str, Any]]] = field(default_factory=dict)
    in_flight: list[Sent] = field(default_factory=list)
    retried: int = 0
    done: int = 0
    workers_seen: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=30.0)

    def send(self, http: httpx.Client, sent: Sent) -> httpx.Response:
        headers = {**self.headers[sent.party], "Idempotency-Key": sent.key}
        response = http.post(sent.path, json=sent.body, headers=headers)
        assert response.status_code < 500, (sent, response.text)
        if response.status_code in (200, 201):
            with self.lock:
                _, first = self.receipts.setdefault(sent.key, (sent, response.json()))
            # A second answer to a key is the first one, word for word.
            assert first == response.json(), (sent, first, response.json())
        return response


def _next(flow: Flow, rng: random.Random, who: str, mine: list[int], key: str) -> Sent:
    roll = rng.random()
    price = rng.randrange(5_950, 6_051, 10)
    if mine and roll < 0.2:
        oid = mine.pop(rng.randrange(len(mine)))
        return Sent(who, key, f"{ORDERS}/{oid}/cancel", {})
    if mine and roll < 0.4:
        body = {"price_fen_per_t": price, "quantity_g": rng.randint(1, 4) * T}
        return Sent(who, key, f"{ORDERS}/{rng.choice(mine)}/amend", body)
    side = "buy" if who == "steel" or rng.random() < 0.5 else "sell"
    body = {
        "account": flow.accounts[who],
        "client_order_id": key,
        "side": side,
        "price_fen_per_t": price,
        "quantity_g": rng.randint(1, 3) * T,
    }
    return Sent(who, key, ORDERS, body)


def _run_client(
    flow: Flow,
    http: httpx.Client,
    n: int,
    phase: str,
    ops: int,
    retry: bool,
    errors: list[BaseException],
) -> None:
    """``ops`` commands; on a broken connection, retry the same request on a new one
    (``retry``) or leave it in flight and stop (the whole server is gone)."""
    rng = random.Random(f"{phase}{n}")
    who = TRADERS[n % len(TRADERS)]
    mine: list[int] = []
    try:
        for i in range(ops):
            sent = _next(flow, rng, who, mine, f"{phase}-c{n}-{i}")
            deadline = time.monotonic() + RETRY_S_MAX
            while True:
                try:
                    response = flow.send(http, sent)
                    break
                except CONNECTION_ERRORS:
                    http.close()
                    if not retry:
                        with flow.lock:
                            flow.in_flight.append(sent)
                        return
                    assert time.monotonic() < deadline, f"no worker took {sent}"
                    with flow.lock:
                        flow.retried += 1
                    time.sleep(0.05)
                    http = flow.client()
            if sent.path == ORDERS and response.status_code == 201:
                mine.append(int(response.json()["order_id"]))
            with flow.lock:
                flow.done += 1
    except BaseException as exc:  # reported to the test's thread
        errors.append(exc)
    finally:
        http.close()


def _run_flow(
    flow: Flow, phase: str, ops: int, *, retry: bool, midway: Callable[[list[int]], None]
) -> None:
    """Sixteen clients, each on a connection of its own, some on each worker; ``midway``
    is called with the workers the clients reached once a third of the commands are in."""
    errors: list[BaseException] = []
    reached = _connections(flow)
    threads = [
        threading.Thread(target=_run_client, args=(flow, http, n, phase, ops, retry, errors))
        for n, (_pid, http) in enumerate(reached)
    ]
    start = flow.done
    for t in threads:
        t.start()
    while flow.done - start < CLIENTS * ops // 3 and any(t.is_alive() for t in threads):
        time.sleep(0.01)
    midway([pid for pid, _http in reached])
    for t in threads:
        t.join()
    assert not errors, errors


def _connections(flow: Flow, each_min: int = CLIENTS // 4) -> list[tuple[int, httpx.Client]]:
    """``CLIENTS`` connections, at least ``each_min`` of them to each of the two workers
    (the kernel picks who takes a new connection: open some until the mix is right)."""
    kept: dict[int, list[httpx.Client]] = {}
    deadline = time.monotonic() + START_S_MAX
    while time.monotonic() < deadline:
        http = flow.client()
        pid = _worker_of(flow, http)
        mine = kept.setdefault(pid, [])
        if len(mine) < CLIENTS - each_min:  # so that the other worker gets its share
            mine.append(http)
        else:
            http.close()
        if sum(len(v) for v in kept.values()) == CLIENTS:
            return [(pid, http) for pid, v in kept.items() for http in v]
    raise AssertionError(f"connections reached {[(k, len(v)) for k, v in kept.items()]}")


def _worker_of(flow: Flow, http: httpx.Client) -> int:
    answer = http.get(MATCHER, headers=flow.headers[OPERATOR])
    assert answer.status_code == 200, answer.text
    pid = int(answer.json()["worker"])
    flow.workers_seen.add(pid)
    return pid


def _one_per_worker(flow: Flow, workers: int = 2) -> Iterator[tuple[int, httpx.Client]]:
    """A connection to each of ``workers`` distinct workers (the kernel picks who takes a
    new connection, and a new worker takes none before it has started: open some until
    each has taken one)."""
    seen: dict[int, httpx.Client] = {}
    deadline = time.monotonic() + START_S_MAX
    try:
        while len(seen) < workers and time.monotonic() < deadline:
            http = flow.client()
            pid = _worker_of(flow, http)
            if pid in seen:
                http.close()
                time.sleep(0.02)
            else:
                seen[pid] = http
        assert len(seen) == workers, f"connections reached {sorted(seen)} only"
        yield from seen.items()
    finally:
        for http in seen.values():
            http.close()


# ---- what must hold --------------------------------------------------------------------
def _totals(store: SqlStore) -> dict[int, int]:
    b = schema.balances.c
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(b.asset_id, sa.func.sum(b.amount))
            .where(b.state.in_([int(State.AVAILABLE), int(State.FROZEN)]))
            .group_by(b.asset_id)
        )
        return {int(a): int(s) for a, s in rows}


def _check_registry(store: SqlStore, before: dict[int, int]) -> int:
    """Every invariant of the market after concurrent workers; the contract's seq."""
    e, tr, cmd, o = schema.entries.c, mdb.trades.c, mdb.commands.c, mdb.orders.c
    with store.engine.connect() as conn:
        last = conn.execute(sa.select(mdb.contracts.c.last_seq)).scalar_one()
        seqs = conn.execute(sa.select(cmd.seq).order_by(cmd.seq)).scalars().all()
        assert list(seqs) == list(range(1, last + 1))  # no gap, no repeat
        settled = conn.execute(
            sa.select(e.seq).where(e.op_type == "trade_settle").order_by(e.seq)
        ).scalars()
        trades = conn.execute(sa.select(tr.entry_seq).order_by(tr.entry_seq)).scalars()
        assert list(settled) == list(trades)  # one settlement entry per trade, and back
        b = schema.balances.c  # system accounts (issuance, the cash gateway) go below zero
        negative = sa.select(schema.balances).where(
            b.amount < 0, b.account_id >= FIRST_HOLDER_ACCOUNT
        )
        assert conn.execute(negative).all() == []
        best = {
            side: conn.execute(
                sa.select(agg(o.price_fen_per_t)).where(o.state == "open", o.side == side)
            ).scalar()
            for side, agg in (("buy", sa.func.max), ("sell", sa.func.min))
        }
    assert best["buy"] is None or best["sell"] is None or best["buy"] < best["sell"]
    assert _totals(store) == before
    report = verify(store)
    assert report.ok, report.problems
    return int(last)


def _rebuilt(store: SqlStore) -> BookState:
    """The book a process that never ran a command rebuilds from the registry."""
    app = bootstrap.build(store, clock=SetClock(at(DAY, 10, 0)), prepare=False)
    return app.market.book_state(CONTRACT)[1]


def _orders(state: BookState) -> list[dict[str, Any]]:
    return [
        {
            "order_id": x.order_id,
            "side": str(x.side),
            "price_fen_per_t": x.price_fen_per_t,
            "remaining_g": x.remaining_g,
            "priority_seq": x.priority_seq,
        }
        for x in state.open_orders
    ]


def _depth(state: BookState) -> dict[str, list[dict[str, int]]]:
    levels: dict[str, dict[int, list[int]]] = {"buy": {}, "sell": {}}
    for x in state.open_orders:
        level = levels[str(x.side)].setdefault(x.price_fen_per_t, [0, 0])
        level[0] += x.remaining_g
        level[1] += 1
    return {
        name: [
            {"price_fen_per_t": p, "quantity_g": q, "orders": n}
            for p, (q, n) in sorted(levels[side].items(), reverse=side == "buy")[:5]
        ]
        for name, side in (("bids", "buy"), ("asks", "sell"))
    }


def _commands_on(flow: Flow, http: httpx.Client, tag: str) -> None:
    """Two bids, one amended down (it keeps its place), the other cancelled."""
    ids = []
    for n, (price, tonnes) in enumerate(((5_500, 1), (5_510, 2))):
        body = {
            "account": flow.accounts["steel"],
            "client_order_id": f"{tag}-{n}",
            "side": "buy",
            "price_fen_per_t": price,
            "quantity_g": tonnes * T,
        }
        placed = flow.send(http, Sent("steel", f"{tag}-{n}", ORDERS, body))
        assert placed.status_code == 201, placed.text
        ids.append(int(placed.json()["order_id"]))
    down = {"price_fen_per_t": 5_510, "quantity_g": 1 * T}
    amend = Sent("steel", f"{tag}-a", f"{ORDERS}/{ids[1]}/amend", down)
    assert flow.send(http, amend).status_code == 200
    cancel = Sent("steel", f"{tag}-c", f"{ORDERS}/{ids[0]}/cancel", {})
    assert flow.send(http, cancel).status_code == 200


def _check_workers(flow: Flow, store: SqlStore, tag: str) -> dict[str, Any]:
    """Each worker, after commands of its own, holds the book the registry rebuilds and
    answers its depth; the last worker's answer.

    uvicorn closes a connection idle for 5 s, and the client's next request may then
    reach the other worker: a round whose commands did not all reach the worker that
    answers (its book is behind the contract) is run again."""
    answer: dict[str, Any] = {}
    checked: set[int] = set()
    for attempt in range(12):
        if len(checked) == 2:
            return answer
        for pid, http in _one_per_worker(flow):
            if pid in checked:
                continue
            _commands_on(flow, http, f"{tag}-{attempt}-w{pid}")
            answer = http.get(MATCHER, headers=flow.headers[OPERATOR]).json()
            if answer["worker"] != pid or answer["cached"]["seq"] != answer["contract_seq"]:
                continue
            rebuilt = _rebuilt(store)
            assert answer["cached"] == answer["rebuilt"]
            assert answer["same"]  # in every detail (the day's closed orders, client ids)
            assert answer["contract_seq"] == rebuilt.last_seq
            assert answer["cached"]["orders"] == _orders(rebuilt)
            depth = http.get(DEPTH, headers=flow.headers["steel"]).json()
            assert {k: depth[k] for k in ("bids", "asks")} == _depth(rebuilt)
            checked.add(pid)
    raise AssertionError(f"checked only the workers {sorted(checked)}")


def _answer_of_new_worker(flow: Flow, exclude: set[int]) -> dict[str, Any]:
    """The matcher's answer of a worker not in ``exclude`` (the supervisor's new one)."""
    deadline = time.monotonic() + START_S_MAX
    while time.monotonic() < deadline:
        with flow.client() as http:
            try:
                answer: dict[str, Any] = http.get(MATCHER, headers=flow.headers[OPERATOR]).json()
            except CONNECTION_ERRORS:
                continue  # the killed worker's last connections
        if answer["worker"] not in exclude:
            return answer
        time.sleep(0.05)
    raise AssertionError(f"no worker but {sorted(exclude)} answered")


def _check_receipts(flow: Flow) -> None:
    """Every command answered so far is answered again, unchanged, to its key."""
    http = flow.client()
    try:
        for sent, first in list(flow.receipts.values()):
            headers = {**flow.headers[sent.party], "Idempotency-Key": sent.key}
            again = http.post(sent.path, json=sent.body, headers=headers)
            assert again.json() == first, sent
            assert again.headers.get("Idempotent-Replayed") == "true", sent
    finally:
        http.close()


# ---- the test ----------------------------------------------------------------------------
@pytest.fixture
def world(pg_store: SqlStore, tmp_path: Path) -> Iterator[tuple[SqlStore, Server, Flow]]:
    store = pg_store  # the session's database, emptied for this test
    w = build_market(store)
    create_logins(w.app, [OPERATOR, *TRADERS])
    headers = {p: bearer(w.app, p, ttl_s=24 * 3600) for p in (OPERATOR, *TRADERS)}
    w.app.close()
    # The server's clock: the world's morning, running on from now.
    offset_s = (at(DAY, 10, 0) - datetime.now(UTC)).total_seconds()
    server = Server(store.url, tmp_path / "data", tmp_path / "serve.log", offset_s)
    server.start()
    try:
        yield store, server, Flow(server.base, headers, w.accounts)
    finally:
        server.stop()


def test_two_worker_processes_keep_one_matcher_per_contract_through_kills(
    world: tuple[SqlStore, Server, Flow],
) -> None:
    store, server, flow = world
    before = _totals(store)

    # 1. one worker killed mid-flow; its clients retry on a new connection
    def kill_busiest(reached: list[int]) -> None:
        os.kill(max(set(reached), key=reached.count), signal.SIGKILL)

    _run_flow(flow, "a", 8, retry=True, midway=kill_busiest)
    assert flow.retried > 0  # a client's connection went down with its worker
    assert len(flow.receipts) > CLIENTS * 4
    assert any(r["trades"] for _, r in flow.receipts.values())  # orders crossed
    _check_registry(store, before)
    live = _check_workers(flow, store, "a")  # the supervisor's new worker among them

    # 2. the worker that answered last killed: its replacement's rebuilt book is, order
    # for order, the one it held in memory
    os.kill(live["worker"], signal.SIGKILL)
    fresh = _answer_of_new_worker(flow, exclude={live["worker"], *flow.workers_seen})
    assert fresh["cached"] is None  # a new process: nothing in memory
    assert fresh["rebuilt"] == live["cached"]

    # 3. killed in the middle of the flow: each client retries what it had in flight
    _run_flow(flow, "b", 6, retry=False, midway=lambda _reached: server.kill())
    assert flow.in_flight  # the server went down under the clients
    server.start()
    retry = flow.client()
    try:
        for sent in flow.in_flight:
            assert flow.send(retry, sent).status_code < 500
    finally:
        retry.close()
    _check_registry(store, before)
    _check_workers(flow, store, "b")
    _check_receipts(flow)
    stream = httpx.get(
        f"{flow.base}/market/contracts/{CONTRACT}/stream",
        params={"after_seq": 0},
        headers=flow.headers["alice"],
        timeout=30.0,
    )
    assert stream.text.count("\nevent: ") == STREAM_EVENTS_MAX  # the workers' setting
