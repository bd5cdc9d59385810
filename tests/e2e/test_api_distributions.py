"""POST /distributions: one payer, many recipients, one entry; all or nothing."""

from __future__ import annotations

import pytest
from api_world import BATCH, World, assert_refused


def _balance(world: World, who: str, asset: str) -> int:
    view = world.get(who, f"/accounts/{world.accounts[who]}").json()
    return sum(
        h["amount"] for h in view["holdings"] if h["asset"] == asset and h["state"] == "available"
    )


def _body(world: World, asset: str, payouts: list[tuple[str, int]]) -> dict[str, object]:
    a = world.accounts
    return {
        "from_account": a["alice"],
        "asset": asset,
        "payouts": [{"account": a[who], "amount": amount} for who, amount in payouts],
        "reference": "POOL-GD-2026Q4 sale 1",
    }


def test_a_distribution_pays_every_recipient_in_one_entry(funded: World) -> None:
    body = _body(funded, "CNY", [("bob", 700), ("plat", 300)])
    r = funded.post("alice", "/distributions", body, key="payout-1")
    assert r.status_code == 201, r.text
    entry = r.json()
    assert entry["op_type"] == "distribute" and entry["posting_count"] == 3
    assert (_balance(funded, "bob", "CNY"), _balance(funded, "plat", "CNY")) == (700, 300)
    again = funded.post("alice", "/distributions", body, key="payout-1")
    assert again.status_code == 201 and again.json()["seq"] == entry["seq"]
    assert _balance(funded, "bob", "CNY") == 700


def test_credits_are_distributed_in_grams(funded: World) -> None:
    before = _balance(funded, "bob", BATCH)
    r = funded.post("alice", "/distributions", _body(funded, BATCH, [("bob", 5), ("plat", 6)]))
    assert r.status_code == 201, r.text
    assert _balance(funded, "bob", BATCH) == before + 5


@pytest.mark.parametrize(
    ("payouts", "status", "code"),
    [
        ([("bob", 6_000), ("plat", 5_000)], 409, "insufficient_balance"),
        ([("bob", 5), ("bob", 5)], 422, "duplicate_recipient"),
        ([("bob", 5), ("alice", 5)], 422, "same_account"),
        ([("bob", 0)], 422, "non_positive"),
    ],
    ids=["more than held", "recipient twice", "payer as recipient", "zero"],
)
def test_a_bad_distribution_is_refused_whole(
    funded: World, payouts: list[tuple[str, int]], status: int, code: str
) -> None:
    assert_refused(funded, "alice", "/distributions", _body(funded, "CNY", payouts), status, code)


def test_only_the_holder_or_its_agent_distributes(funded: World) -> None:
    body = _body(funded, "CNY", [("plat", 5)])
    assert_refused(funded, "bob", "/distributions", body, 403, "forbidden")


def test_an_unknown_recipient_refuses_the_whole_distribution(funded: World) -> None:
    body = _body(funded, "CNY", [("bob", 5)])
    body["payouts"] = [*body["payouts"], {"account": 987_654, "amount": 5}]  # type: ignore[list-item]
    assert_refused(funded, "alice", "/distributions", body, 404, "unknown_account")
