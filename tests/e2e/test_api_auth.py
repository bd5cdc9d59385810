"""Authentication and authorisation: who may call, and what a valid caller may do.

No or bad credentials are 401 (with ``WWW-Authenticate``); a known caller whose role or
holdings do not allow the request is 403; neither writes anything.
"""

from __future__ import annotations

import pytest
from api_world import BATCH, PASSWORD, Clock, World, assert_refused

from pctrade.bootstrap import App
from pctrade.identity.commands import CreateLogin
from pctrade.identity.service import secret_digest
from pctrade.kernel.errors import Conflict, NotFound, ValidationError
from pctrade.ledger.sql.store import SqlStore


def _unauthorised(response: object, code: str) -> None:
    r = response
    assert r.status_code == 401, r.text  # type: ignore[attr-defined]
    assert r.json()["code"] == code  # type: ignore[attr-defined]
    assert r.headers["WWW-Authenticate"] == "Bearer"  # type: ignore[attr-defined]


def test_a_user_logs_in_for_a_bearer_token_of_its_party(world: World) -> None:
    r = world.client.post("/auth/token", json={"username": "bob", "password": PASSWORD})
    assert r.status_code == 200, r.text
    token = r.json()
    assert (token["token_type"], token["party_id"]) == ("bearer", "bob")
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    accounts = world.client.get("/me/accounts", headers=headers).json()["items"]
    assert [a["owner"] for a in accounts] == ["bob"]


def test_a_request_without_credentials_is_unauthenticated(world: World) -> None:
    _unauthorised(world.client.get("/me/accounts"), "unauthenticated")


def test_a_write_without_credentials_writes_nothing(funded: World) -> None:
    before = funded.state()
    body = {"account": funded.accounts["bob"], "amount_fen": 1, "reference": "x"}
    r = funded.client.post("/cash/deposits", json=body, headers={"Idempotency-Key": "anon"})
    _unauthorised(r, "unauthenticated")
    assert funded.state() == before


def test_an_unknown_bearer_token_is_unauthenticated(world: World) -> None:
    r = world.client.get("/me/accounts", headers={"Authorization": "Bearer pct_t_forged"})
    _unauthorised(r, "invalid_token")


def test_an_expired_token_is_unauthenticated(world: World, clock: Clock) -> None:
    assert world.get("alice", "/me/accounts").status_code == 200
    clock.advance(3600)
    _unauthorised(world.get("alice", "/me/accounts"), "token_expired")


def test_a_token_is_valid_until_it_expires(world: World, clock: Clock) -> None:
    clock.advance(3599)
    assert world.get("alice", "/me/accounts").status_code == 200


def test_an_unknown_api_key_is_unauthenticated(world: World) -> None:
    r = world.client.get("/me/accounts", headers={"X-API-Key": "pct_k_forged"})
    _unauthorised(r, "invalid_api_key")


def test_an_api_key_resolves_to_its_party(world: World) -> None:
    accounts = world.get("plat-key", "/me/accounts").json()["items"]
    assert [a["owner"] for a in accounts] == ["plat"]


def test_a_wrong_password_gets_no_token(world: World) -> None:
    r = world.client.post("/auth/token", json={"username": "alice", "password": "wrong password"})
    _unauthorised(r, "invalid_credentials")


def test_an_unknown_user_gets_no_token(world: World) -> None:
    r = world.client.post("/auth/token", json={"username": "mallory", "password": PASSWORD})
    _unauthorised(r, "invalid_credentials")


def test_passwords_and_tokens_are_stored_only_hashed(world: World, store: SqlStore) -> None:
    import sqlalchemy as sa

    from pctrade.identity.sql import store as t

    token = world.headers["alice"]["Authorization"].removeprefix("Bearer ")
    with store.engine.connect() as conn:
        users = conn.execute(sa.select(t.users.c.password_hash)).scalars().all()
        tokens = conn.execute(sa.select(t.tokens.c.token_hash)).scalars().all()
        keys = conn.execute(sa.select(t.api_keys.c.key_hash)).scalars().all()
    assert users and all(h.startswith("$argon2id$") and PASSWORD not in h for h in users)
    assert token not in tokens and secret_digest(token) in tokens
    assert world.api_key not in keys and secret_digest(world.api_key) in keys


def test_a_login_needs_an_existing_party_and_a_fair_password(wired: App) -> None:
    def login(username: str, party: str, password: str) -> None:
        wired.identity.create_login("registry", username, CreateLogin(username, party, password))

    with pytest.raises(NotFound):
        login("ghost", "ghost", PASSWORD)
    with pytest.raises(ValidationError) as short:
        login("reg", "registry", "short")
    assert short.value.code == "weak_password"
    with pytest.raises(ValidationError) as long:
        login("reg", "registry", "密" * 100)
    assert long.value.code == "password_too_long"
    login("reg", "registry", PASSWORD)
    with pytest.raises(Conflict) as again:
        wired.identity.create_login("registry", "again", CreateLogin("reg", "registry", PASSWORD))
    assert again.value.code == "user_exists"


def test_an_individual_cannot_issue_credits(funded: World) -> None:
    body = {
        "denomination": "CCER-CN-AFF0007-2026Q3-002",
        "allocations": [{"account": funded.accounts["alice"], "quantity_g": 1}],
    }
    assert_refused(funded, "alice", "/batches", body, 403, "forbidden")


def test_only_the_authorities_deposit_cash(funded: World) -> None:
    body = {"account": funded.accounts["alice"], "amount_fen": 1, "reference": "self"}
    assert_refused(funded, "alice", "/cash/deposits", body, 403, "forbidden")


def test_only_the_registry_operator_corrects(funded: World) -> None:
    assert_refused(funded, "mee", "/corrections", {"seq": 3, "reason": "x"}, 403, "forbidden")


def test_an_individual_cannot_open_accounts(funded: World) -> None:
    body = {"party_id": "eve", "role": "individual"}
    assert_refused(funded, "alice", "/accounts", body, 403, "forbidden")


def test_a_platform_cannot_open_regulator_accounts(funded: World) -> None:
    body = {"party_id": "fake-mee", "role": "regulator"}
    assert_refused(funded, "plat-key", "/accounts", body, 403, "forbidden")


def test_only_the_authorities_verify(world: World) -> None:
    r = world.get("alice", "/verify")
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")


def test_only_the_authorities_read_the_whole_journal(world: World) -> None:
    r = world.get("alice", "/journal")
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")


def test_a_holder_cannot_read_another_holders_account(funded: World) -> None:
    r = funded.get("bob", f"/accounts/{funded.accounts['alice']}")
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    r = funded.get("bob", "/journal", account=str(funded.accounts["alice"]))
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")


def test_an_entry_is_read_only_by_its_actor_or_the_authorities(funded: World) -> None:
    a = funded.accounts
    body = {"from_account": a["alice"], "to_account": a["bob"], "asset": BATCH, "quantity_g": 1}
    seq = funded.post("alice", "/transfers", body).json()["seq"]
    assert funded.get("alice", f"/journal/{seq}").status_code == 200
    r = funded.get("steelco", f"/journal/{seq}")
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")


def test_an_agent_reads_the_account_it_was_authorised_for(funded: World) -> None:
    a = funded.accounts
    assert funded.get("plat-key", f"/accounts/{a['alice']}").status_code == 403
    funded.post("alice", f"/accounts/{a['alice']}/agents", {"agent": "plat"})
    assert funded.get("plat-key", f"/accounts/{a['alice']}").status_code == 200
    funded.post("alice", f"/accounts/{a['alice']}/agents", {"agent": "plat", "active": False})
    assert funded.get("plat-key", f"/accounts/{a['alice']}").status_code == 403
