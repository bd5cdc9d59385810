"""Account status over HTTP, on both databases: authorities block, suspend, close and
reopen accounts; every other caller is refused; a blocked, suspended or closed account
refuses what its status stops with 409 and its own code, and writes nothing."""

from __future__ import annotations

import pytest
from api_world import BATCH, World, assert_refused


def _status(world: World, who: str, account: str, status: str, key: str | None = None) -> object:
    body = {"status": status, "reason": f"case {status}"}
    return world.post(who, f"/accounts/{world.accounts[account]}/status", body, key=key)


def test_the_regulator_blocks_an_account_and_its_read_shows_why(world: World) -> None:
    r = _status(world, "mee", "bob", "blocked")
    assert r.status_code == 201, r.text  # type: ignore[attr-defined]
    entry = r.json()  # type: ignore[attr-defined]
    assert entry["op_type"] == "account_status"
    assert entry["payload"] == {
        "account": world.accounts["bob"],
        "status": "blocked",
        "previous": "open",
        "reason": "case blocked",
    }
    view = world.get("bob", f"/accounts/{world.accounts['bob']}").json()
    assert view["status"] == {"status": "blocked", "reason": "case blocked", "seq": entry["seq"]}
    fresh = world.get("alice", f"/accounts/{world.accounts['alice']}").json()
    assert fresh["status"] == {"status": "open", "reason": "", "seq": None}


def test_a_change_is_replayed_under_its_key(world: World) -> None:
    first = _status(world, "registry", "bob", "suspended", key="s-1")
    again = _status(world, "registry", "bob", "suspended", key="s-1")
    assert again.status_code == 201  # type: ignore[attr-defined]
    assert again.headers["Idempotent-Replayed"] == "true"  # type: ignore[attr-defined]
    assert again.json() == first.json()  # type: ignore[attr-defined]


@pytest.mark.parametrize("who", ["alice", "bob", "plat", "plat-key", "steelco"])
def test_only_the_authorities_change_an_account_status(funded: World, who: str) -> None:
    path = f"/accounts/{funded.accounts['bob']}/status"
    assert_refused(funded, who, path, {"status": "blocked", "reason": "x"}, 403, "forbidden")


@pytest.mark.parametrize(
    ("status", "payer", "payee", "code"),
    [
        ("blocked", "alice", "bob", "account_blocked"),
        ("suspended", "alice", "bob", "account_suspended"),
        ("suspended", "bob", "alice", "account_suspended"),
    ],
)
def test_a_transfer_the_status_stops_is_409_with_its_code(
    funded: World, status: str, payer: str, payee: str, code: str
) -> None:
    assert _status(funded, "mee", "alice", status).status_code == 201  # type: ignore[attr-defined]
    body = {
        "from_account": funded.accounts[payer],
        "to_account": funded.accounts[payee],
        "asset": BATCH,
    }
    assert_refused(funded, payer, "/transfers", {**body, "quantity_g": 1}, 409, code)


def test_a_blocked_account_still_receives(funded: World) -> None:
    _status(funded, "mee", "bob", "blocked")
    body = {
        "from_account": funded.accounts["alice"],
        "to_account": funded.accounts["bob"],
        "asset": BATCH,
    }
    r = funded.post("alice", "/transfers", {**body, "quantity_g": 1})
    assert r.status_code == 201, r.text


def test_a_closed_account_receives_nothing_again(world: World) -> None:
    assert _status(world, "mee", "bob", "closed").status_code == 201  # type: ignore[attr-defined]
    body = {"account": world.accounts["bob"], "amount_fen": 100, "reference": "bank-1"}
    assert_refused(world, "registry", "/cash/deposits", body, 409, "account_closed")
    path = f"/accounts/{world.accounts['bob']}/status"
    assert_refused(world, "mee", path, {"status": "open", "reason": "back"}, 409, "account_closed")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"status": "closed", "reason": "left"}, 409, "account_not_empty"),
        ({"status": "open", "reason": "nothing to lift"}, 409, "status_unchanged"),
        ({"status": "frozen", "reason": "x"}, 422, "invalid_request"),
        ({"status": "blocked", "reason": ""}, 422, "invalid_request"),
        ({"status": "blocked"}, 422, "invalid_request"),
        ({"status": "blocked", "reason": "x", "until": "2027"}, 422, "invalid_request"),
    ],
)
def test_a_change_the_request_or_the_state_forbids_is_refused(
    funded: World, body: dict[str, str], status: int, code: str
) -> None:
    path = f"/accounts/{funded.accounts['bob']}/status"
    assert_refused(funded, "mee", path, body, status, code)


def test_an_unknown_account_has_no_status_to_change(world: World) -> None:
    body = {"status": "blocked", "reason": "x"}
    assert_refused(world, "mee", "/accounts/IND-0000099999/status", body, 404, "unknown_account")
