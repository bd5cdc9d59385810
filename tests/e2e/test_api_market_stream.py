"""The live stream (SSE) follows the contract's seq: resumes lose and repeat nothing.

A client reads N events, reconnects with ``Last-Event-ID`` and gets exactly the rest;
``after_seq`` does the same; a new client gets the book as it is; a stream that is
open while orders arrive sends them as they commit (another client, another thread).
Both databases.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from api_world import World
from fastapi.testclient import TestClient
from market_api_world import CONTRACT, ORDERS, PRICE, T, open_market, order

from api_support import api_for
from pctrade.api.settings import ApiSettings
from pctrade.bootstrap import App

STREAM = f"/market/contracts/{CONTRACT}/stream"
# After the fixture's orders: b-3's unfilled tonne rests at ¥80.10, b-2 is cancelled.
BOOK = {"bids": [{"price_fen_per_t": PRICE + 10, "quantity_g": T, "orders": 1}], "asks": []}
QUICK = ApiSettings(token_ttl_s=24 * 3600, stream_poll_s=0.02, stream_idle_s=0.3)
Event = tuple[int, str, dict[str, Any]]


def _events(text: str) -> list[Event]:
    out = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "id" in fields:
            out.append((int(fields["id"]), fields["event"], json.loads(fields["data"])))
    return out


@pytest.fixture
def traded(funded: World, wired: App, clock: Any) -> tuple[World, TestClient]:
    w = open_market(funded, wired, clock)
    steps = [
        ("alice", order(w, "alice", "sell", PRICE, 2 * T, "a-1")),
        ("steelco", order(w, "steelco", "buy", PRICE, T, "b-1")),  # a trade
        ("steelco", order(w, "steelco", "buy", PRICE - 50, T, "b-2")),
        ("steelco", order(w, "steelco", "buy", PRICE + 10, 2 * T, "b-3")),  # a trade
    ]
    for who, body in steps:
        assert w.post(who, ORDERS, body).status_code == 201
    cancel = w.post("steelco", f"{ORDERS}/3/cancel", {})
    assert cancel.status_code == 200, cancel.text
    return w, TestClient(api_for(wired, QUICK))


def _read(client: TestClient, headers: dict[str, str], **params: Any) -> list[Event]:
    response = client.get(STREAM, headers=headers, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return _events(response.text)


def test_a_reconnect_with_last_event_id_gets_exactly_the_rest(
    traded: tuple[World, TestClient],
) -> None:
    w, client = traded
    alice = w.headers["alice"]
    everything = _read(client, alice, after_seq=0)  # ends when idle
    assert [seq for seq, _, _ in everything] == [1, 2, 3, 4, 5]
    assert [name for _, name, _ in everything] == ["book", "trade", "book", "trade", "book"]
    assert [d["kind"] for _, _, d in everything] == ["place", "place", "place", "place", "cancel"]
    trade = everything[1][2]["trades"]
    assert [(t["price_fen_per_t"], t["quantity_g"]) for t in trade] == [(PRICE, T)]
    assert all(d["depth"] is None for _, _, d in everything[:-1])
    assert everything[-1][2]["depth"] == BOOK
    for n in range(1, 5):
        first = _read(client, alice, after_seq=0, limit=n)
        assert first == everything[:n]
        rest = _read(client, {**alice, "Last-Event-ID": str(first[-1][0])})
        # the rest, and the newest carrying the book as it is now
        assert rest == everything[n:]


def test_a_new_client_gets_the_book_and_after_seq_resumes(
    traded: tuple[World, TestClient],
) -> None:
    w, client = traded
    bob = w.headers["bob"]
    [(seq, name, data)] = _read(client, bob)
    assert (seq, name, data["kind"], data["depth"]) == (5, "book", "snapshot", BOOK)
    assert _read(client, bob, after_seq=5) == []
    assert [s for s, _, _ in _read(client, bob, after_seq=3)] == [4, 5]
    unknown = client.get("/market/contracts/CEA-XX-1999/stream", headers=bob)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_contract")


def test_an_open_stream_sends_orders_as_they_commit(traded: tuple[World, TestClient]) -> None:
    w, client = traded
    got: list[Event] = []
    slow = TestClient(client.app)  # its own client: the stream blocks until it ends
    slow.app.state.settings = ApiSettings(
        token_ttl_s=24 * 3600, stream_poll_s=0.02, stream_idle_s=30.0
    )

    def listen() -> None:
        got.extend(_read(slow, w.headers["bob"], after_seq=5, limit=2))

    listener = threading.Thread(target=listen)
    listener.start()
    assert (
        w.post("alice", ORDERS, order(w, "alice", "sell", PRICE + 20, T, "a-2")).status_code == 201
    )
    assert (
        w.post("steelco", ORDERS, order(w, "steelco", "buy", PRICE + 20, T, "b-4")).status_code
        == 201
    )
    listener.join(timeout=60)
    assert not listener.is_alive()
    assert [(s, name) for s, name, _ in got] == [(6, "book"), (7, "trade")]
    # a-2 (¥80.20) rested above b-3's ¥80.10; b-4 took it at its price
    assert [t["price_fen_per_t"] for t in got[1][2]["trades"]] == [PRICE + 20]
    assert got[1][2]["depth"] == BOOK


def test_the_server_settings_cap_a_stream_and_set_its_poll(
    traded: tuple[World, TestClient],
) -> None:
    w, client = traded
    capped = TestClient(client.app)
    capped.app.state.settings = ApiSettings(
        token_ttl_s=24 * 3600, stream_poll_s=0.05, stream_idle_s=30.0, stream_events_max=2
    )
    alice = w.headers["alice"]
    # Five events are there; the server's most is two, whatever the client asks.
    for asked in ({}, {"limit": 4}):
        response = capped.get(STREAM, headers=alice, params={"after_seq": 0, **asked})
        assert response.text.startswith("retry: 50\n\n")  # the poll, as the SSE retry
        assert [seq for seq, _, _ in _events(response.text)] == [1, 2]
    # A client may ask for fewer than the server's most.
    one = capped.get(STREAM, headers=alice, params={"after_seq": 0, "limit": 1})
    assert [seq for seq, _, _ in _events(one.text)] == [1]
