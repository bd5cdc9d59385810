"""The market's HTTP API, on SQLite and PostgreSQL: each route's answer, each refusal's
status and code (with nothing frozen or moved), authentication, replays and pages."""

from __future__ import annotations

from typing import Any

import pytest
from api_world import World, assert_refused
from market_api_world import AFTER_CLOSE, CONTRACT, ORDERS, PRICE, T, open_market, order

from pctrade.bootstrap import App


@pytest.fixture
def mkt(funded: World, wired: App, clock: Any) -> World:
    return open_market(funded, wired, clock)


def _place(world: World, who: str, *args: Any, **more: Any) -> dict[str, Any]:
    response = world.post(who, ORDERS, order(world, who, *args, **more))
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_buy_meets_a_sell_and_both_sides_read_it(mkt: World) -> None:
    w = mkt
    ask = _place(w, "alice", "sell", PRICE + 100, 2 * T, "a-1")
    assert (ask["state"], ask["filled_g"], ask["trades"]) == ("open", 0, [])
    depth = w.get("bob", f"/market/contracts/{CONTRACT}/depth").json()
    assert depth["asks"] == [{"price_fen_per_t": PRICE + 100, "quantity_g": 2 * T, "orders": 1}]
    assert depth["bids"] == [] and depth["seq"] == ask["seq"]
    bid = _place(w, "steelco", "buy", PRICE + 200, T, "b-1")
    assert (bid["state"], bid["filled_g"], len(bid["trades"])) == ("filled", T, 1)
    # executed at the resting order's price
    trades = w.get("bob", f"/market/contracts/{CONTRACT}/trades").json()
    assert [(t["price_fen_per_t"], t["quantity_g"], t["taker_side"]) for t in trades["items"]] == [
        (PRICE + 100, T, "buy")
    ]
    assert "buyer_account" not in trades["items"][0]
    mine = w.get("alice", "/me/market/fills").json()["items"]
    assert [(f["side"], f["quantity_g"], f["cash_fen"], f["taker"]) for f in mine] == [
        ("sell", T, PRICE + 100, False)
    ]
    theirs = w.get("steelco", "/me/market/fills").json()["items"]
    assert [(f["side"], f["order_id"], f["fee_fen"]) for f in theirs] == [
        ("buy", bid["order_id"], theirs[0]["fee_fen"])
    ]
    assert w.get("bob", "/me/market/fills").json()["items"] == []
    orders = w.get("alice", "/me/market/orders", contract=CONTRACT).json()["items"]
    assert [(o["order_id"], o["state"], o["filled_g"]) for o in orders] == [
        (ask["order_id"], "open", T)
    ]
    contract = w.get("bob", f"/market/contracts/{CONTRACT}").json()
    assert contract["last_seq"] == bid["seq"] and contract["trading_day"] == "2026-12-07"


def test_cancel_and_amend_release_and_refreeze_exactly(mkt: World) -> None:
    w = mkt
    bid = _place(w, "steelco", "buy", PRICE, 3 * T, "b-1")
    path = f"{ORDERS}/{bid['order_id']}"
    frozen = _frozen_cash(w, "steelco")
    assert frozen == 3 * PRICE * 10_005 // 10_000  # price × 3 t and the 0.05 % fee
    down = w.post("steelco", f"{path}/amend", {"price_fen_per_t": PRICE, "quantity_g": T})
    assert down.status_code == 200, down.text
    assert _frozen_cash(w, "steelco") * 3 == frozen
    gone = w.post("steelco", f"{path}/cancel", {})
    assert (gone.status_code, gone.json()["state"]) == (200, "cancelled")
    assert _frozen_cash(w, "steelco") == 0
    again = assert_refused(w, "steelco", f"{path}/cancel", {}, 409, "order_cancelled")
    assert again["detail"]


def _frozen_cash(w: World, who: str) -> int:
    holdings, _ = w.holdings(who)
    return sum(int(h["amount"]) for h in holdings if (h["asset"], h["state"]) == ("CNY", "frozen"))


def test_a_replay_answers_the_same_with_the_replay_header(mkt: World) -> None:
    w = mkt
    body = order(w, "steelco", "buy", PRICE, T, "b-1")
    first = w.post("steelco", ORDERS, body, key="same")
    again = w.post("steelco", ORDERS, body, key="same")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    other = order(w, "steelco", "buy", PRICE, 2 * T, "b-2")
    assert_refused(w, "steelco", ORDERS, other, 409, "idempotency_key_reused", key="same")


def test_an_ineligible_individual_is_told_each_condition_and_the_pools(mkt: World) -> None:
    w = mkt
    body = order(w, "bob", "sell", PRICE, T, "s-1")
    problem = assert_refused(w, "bob", ORDERS, body, 403, "not_eligible")
    codes = [c["code"] for c in problem["conditions"]]
    assert codes == ["real_name_not_verified", "under_age", "no_risk_assessment"]
    assert all(c["reason"] for c in problem["conditions"])
    assert "pool" in problem["pools"] and problem["rule_set"].startswith("CN/")
    assert "pool" in problem["detail"]


@pytest.mark.parametrize(
    ("who", "side", "price", "qty", "status", "code"),
    [
        ("steelco", "buy", PRICE * 2, 1_000_000, 409, "price_outside_band"),
        ("steelco", "buy", PRICE, 1_500_000, 422, "quantity_off_lot"),
        ("steelco", "buy", PRICE, 100_000_000_000, 422, "quantity_above_max"),
        ("alice", "buy", PRICE, 10_000_000, 409, "insufficient_funds"),
        ("alice", "sell", PRICE, 6_000_000, 409, "insufficient_credits"),
    ],
)
def test_bad_orders_are_refused_by_their_codes_and_change_nothing(
    mkt: World, who: str, side: str, price: int, qty: int, status: int, code: str
) -> None:
    assert_refused(mkt, who, ORDERS, order(mkt, who, side, price, qty, "x"), status, code)


def test_refusals_of_state_and_of_who_acts(mkt: World, clock: Any) -> None:
    w = mkt
    bid = _place(w, "steelco", "buy", PRICE, T, "b-1")
    dup = order(w, "steelco", "buy", PRICE, T, "b-1")
    assert_refused(w, "steelco", ORDERS, dup, 409, "duplicate_client_order_id")
    # someone else's order, and someone else's account
    path = f"{ORDERS}/{bid['order_id']}"
    assert_refused(w, "alice", f"{path}/cancel", {}, 403, "not_order_owner")
    theirs = order(w, "steelco", "buy", PRICE, T, "b-9")
    assert_refused(w, "alice", ORDERS, theirs, 403, "forbidden")
    assert_refused(w, "steelco", f"{ORDERS}/999/cancel", {}, 404, "order_not_found")
    unknown = "/market/contracts/CEA-XX-1999/orders"
    assert_refused(w, "steelco", unknown, dup, 404, "unknown_contract")
    # T+1: what steelco bought today cannot be sold today
    _place(w, "alice", "sell", PRICE, T, "a-1")
    resale = order(w, "steelco", "sell", PRICE, T, "s-1")
    assert_refused(w, "steelco", ORDERS, resale, 409, "resale_too_soon")
    # the market's hours, and who may list and close
    listing = {"instrument": "CCER", "jurisdiction": "CN", "vintage": "2026Q3"}
    assert_refused(w, "registry", "/market/contracts", listing, 409, "contract_listed")
    cea = {"instrument": "CEA", "jurisdiction": "GD", "vintage": "2026"}
    assert_refused(w, "alice", "/market/contracts", cea, 403, "forbidden")
    close = f"/market/contracts/{CONTRACT}/close-day"
    assert_refused(w, "registry", close, {"day": "2026-12-07"}, 409, "session_not_ended")
    assert_refused(w, "alice", close, {"day": "2026-12-07"}, 403, "forbidden")
    clock.now = AFTER_CLOSE
    late = order(w, "steelco", "buy", PRICE, T, "b-late")
    assert_refused(w, "steelco", ORDERS, late, 409, "market_closed")


def test_the_close_expires_orders_and_fixes_the_price(mkt: World, clock: Any) -> None:
    w = mkt
    _place(w, "alice", "sell", PRICE, T, "a-1")
    _place(w, "alice", "sell", PRICE + 300, T, "a-2")
    _place(w, "steelco", "buy", PRICE + 300, 2 * T, "b-1")  # both fill: VWAP 8,150
    rest = _place(w, "steelco", "buy", PRICE - 100, T, "b-2")
    assert _frozen_cash(w, "steelco") > 0
    clock.now = AFTER_CLOSE
    closed = w.post("registry", f"/market/contracts/{CONTRACT}/close-day", {"day": "2026-12-07"})
    assert closed.status_code == 200, closed.text
    assert closed.json() == {
        "contract": CONTRACT,
        "day": "2026-12-07",
        "close_fen_per_t": PRICE + 150,
        "carried": False,
        "volume_g": 2 * T,
        "lapsed_proposals": [],  # no block proposal was open
    }
    assert _frozen_cash(w, "steelco") == 0
    mine = w.get("steelco", "/me/market/orders").json()["items"]
    assert {o["order_id"]: o["state"] for o in mine}[rest["order_id"]] == "expired"
    bars = w.get("bob", f"/market/contracts/{CONTRACT}/bars", first="2026-12-01", last="2026-12-31")
    assert bars.json()["bars"] == [
        {
            "day": "2026-12-07",
            "open_fen_per_t": PRICE,
            "high_fen_per_t": PRICE + 300,
            "low_fen_per_t": PRICE,
            "last_fen_per_t": PRICE + 300,
            "volume_g": 2 * T,
            "trades": 2,
            "close_fen_per_t": PRICE + 150,
            "carried": False,
        }
    ]
    closes = w.get("bob", f"/market/contracts/{CONTRACT}/closes").json()["closes"]
    assert [(c["day"], c["close_fen_per_t"]) for c in closes] == [("2026-12-07", PRICE + 150)]
    contract = w.get("bob", f"/market/contracts/{CONTRACT}").json()
    assert contract["reference_price_fen_per_t"] == PRICE + 150
    backwards = w.get(
        "bob", f"/market/contracts/{CONTRACT}/bars", first="2026-12-31", last="2026-12-01"
    )
    assert (backwards.status_code, backwards.json()["code"]) == (422, "bad_range")


def test_lists_page_with_cursors(mkt: World) -> None:
    w = mkt
    for i in range(3):
        _place(w, "steelco", "buy", PRICE - 10 * i, T, f"b-{i}")
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({} if cursor is None else {"cursor": cursor})
        page = w.get("steelco", "/me/market/orders", **params).json()
        seen += [o["order_id"] for o in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen) and len(seen) == 3
    wrong = w.get("steelco", "/me/market/fills", cursor=page_cursor(w))
    assert (wrong.status_code, wrong.json()["code"]) == (422, "bad_cursor")
    listed = w.get("bob", "/market/contracts").json()
    assert [c["code"] for c in listed["items"]] == [CONTRACT] and listed["next_cursor"] is None


def page_cursor(w: World) -> str:
    """A cursor of another list (the orders'), which the fills refuse."""
    page = w.get("steelco", "/me/market/orders", limit=1).json()
    return str(page["next_cursor"])


def test_every_market_route_needs_credentials(mkt: World) -> None:
    client = mkt.client
    for path in (
        "/market/contracts",
        f"/market/contracts/{CONTRACT}",
        f"/market/contracts/{CONTRACT}/depth",
        f"/market/contracts/{CONTRACT}/trades",
        f"/market/contracts/{CONTRACT}/closes",
        f"/market/contracts/{CONTRACT}/stream",
        "/me/market/orders",
        "/me/market/fills",
    ):
        response = client.get(path)
        assert (response.status_code, response.json()["code"]) == (401, "unauthenticated"), path
    response = client.post(ORDERS, json={}, headers={"Idempotency-Key": "k"})
    assert response.status_code == 401
    with_key = client.get(f"/market/contracts/{CONTRACT}/depth", headers=mkt.headers["plat-key"])
    assert with_key.status_code == 200
