"""Block trades, auctions, statements and reports over HTTP (issue 13, item 7)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from market_world import at
from venue_world import CEA_CONTRACT, CONTRACT, DAY, T, build_venues

from api_support import api_for
from identity_support import bearer, create_logins
from pctrade.ledger.model import SystemAccount
from pctrade.ledger.sql.store import SqlStore

PASSWORD = "correct horse battery"


def test_a_block_trade_and_an_auction_over_http(any_store: SqlStore) -> None:
    w = build_venues(any_store)
    acc = w.accounts
    parties = ["registry", "reg", "plat", "steel", "alice"]
    create_logins(w.app, parties, PASSWORD)
    auth = {p: bearer(w.app, p, PASSWORD, 3_600) for p in parties}
    client = TestClient(api_for(w.app))
    n = iter(range(1_000))

    def post(who: str, path: str, body: object | None = None, key: str | None = None) -> Any:
        headers = {**auth[who], "Idempotency-Key": key or f"k{next(n)}"}
        return client.post(path, json=body, headers=headers)

    base = f"/market/contracts/{CONTRACT}"
    body = {
        "account": acc["plat"],
        "counterparty": "steel",
        "side": "sell",
        "quantity_g": 100_000 * T,
        "price_fen_per_t": 6_100,
        "expires_in_s": 600,
    }
    proposed = post("plat", f"{base}/blocks", body, key="p1")
    assert proposed.status_code == 201, proposed.text
    pid = proposed.json()["proposal_id"]
    again = post("plat", f"{base}/blocks", body, key="p1")
    assert again.headers["Idempotent-Replayed"] == "true"
    wrong = post("alice", f"{base}/blocks/{pid}/accept", {"account": acc["alice"]})
    assert wrong.status_code == 403
    assert wrong.json()["code"] == "not_your_proposal"
    small = post("plat", f"{base}/blocks", {**body, "quantity_g": 10 * T})
    assert small.json()["code"] == "block_below_threshold"
    accepted = post("steel", f"{base}/blocks/{pid}/accept", {"account": acc["steel"]})
    assert accepted.json()["state"] == "agreed"

    cea = f"/market/contracts/{CEA_CONTRACT}"
    now_s = int(at(DAY, 13, 30).timestamp())
    offer = {
        "account": int(SystemAccount.AUCTION),
        "quantity_g": 10_000 * T,
        "reserve_price_fen_per_t": 4_000,
        "opens_at_s": now_s,
        "closes_at_s": now_s + 600,
    }
    aid = post("reg", f"{cea}/auctions", offer).json()["auction_id"]
    bid = {"account": acc["steel"], "price_fen_per_t": 4_200, "quantity_g": 5_000 * T}
    assert post("steel", f"{cea}/auctions/{aid}/bids", bid).status_code == 201
    w.clock.now = at(DAY, 13, 41)
    late = post("alice", f"{cea}/auctions/{aid}/bids", {**bid, "account": acc["alice"]})
    assert late.status_code == 409 and late.json()["code"] == "auction_closed"
    cleared = post("reg", f"{cea}/auctions/{aid}/clear").json()
    assert cleared["result"]["sold_g"] == 5_000 * T
    public = client.get(f"{cea}/auctions/{aid}", headers=auth["alice"]).json()
    assert public["result"]["clearing_price_fen_per_t"] == 4_200

    day = DAY.isoformat()
    st = client.get(f"/market/accounts/{acc['steel']}/statements/{day}", headers=auth["steel"])
    assert [x["mode"] for x in st.json()["lines"]] == ["block", "auction"]
    bars = client.get(f"{base}/bars", params={"first": day, "last": day}, headers=auth["alice"])
    assert bars.json()["bars"][0]["volume_g"] == 100_000 * T
    report = client.get(
        f"{base}/surveillance", params={"first": day, "last": day}, headers=auth["alice"]
    )
    assert report.status_code == 403
    report = client.get(
        f"{base}/surveillance", params={"first": day, "last": day}, headers=auth["reg"]
    )
    assert report.json()["trades"] == 1
