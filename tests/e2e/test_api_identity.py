"""Identity over HTTP, on SQLite and PostgreSQL: logins, sessions, passwords, throttling,
API keys, onboarding, real-name facts and the audit log.

A deployment is run through these endpoints alone: the operator makes logins, a
platform onboards people, partners manage their keys. A refused request writes nothing
(every row of every table is as before).
"""

from __future__ import annotations

from typing import Any

import bcrypt
import pytest
import sqlalchemy as sa
from api_world import Clock
from fastapi.testclient import TestClient
from identity_world import IND_FACTS_JSON, IdWorld, build_world

from identity_support import PASSWORD
from pctrade.bootstrap import App
from pctrade.identity.sql import store as t

NEW_PASSWORD = "a much better passphrase"


@pytest.fixture
def w(client: TestClient, wired: App) -> IdWorld:
    return build_world(client, wired)


def refused(w: IdWorld, response: Any, before: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["code"] == code, problem
    assert w.state() == before
    return problem


def events(w: IdWorld, **params: Any) -> list[dict[str, Any]]:
    page = w.get("registry", "/identity/audit", limit=500, **params)
    assert page.status_code == 200, page.text
    return list(page.json()["events"])


def kinds(w: IdWorld, party: str) -> list[str]:
    return [e["event"] for e in events(w, party=party)]


# ---- logins ----------------------------------------------------------------------------
def test_the_operator_gives_a_party_a_login_that_then_logs_in(w: IdWorld) -> None:
    body = {"username": "ems.ops", "party_id": "ems", "password": PASSWORD}
    made = w.post("registry", "/identity/logins", body, key="login-1")
    assert made.status_code == 201, made.text
    assert made.json() == {"username": "ems.ops", "party_id": "ems"}
    token = w.login("ems.ops")
    assert token.status_code == 200 and token.json()["party_id"] == "ems"
    again = w.post("registry", "/identity/logins", body, key="login-1")
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert kinds(w, "ems")[-2:] == ["login_created", "login"]


def test_a_taken_username_or_a_reused_key_is_refused_and_writes_nothing(w: IdWorld) -> None:
    before = w.state()
    taken = {"username": "plat", "party_id": "ems", "password": PASSWORD}
    refused(w, w.post("registry", "/identity/logins", taken), before, 409, "user_exists")
    body = {"username": "ems.ops", "party_id": "ems", "password": PASSWORD}
    assert w.post("registry", "/identity/logins", body, key="k").status_code == 201
    before = w.state()
    other = {**body, "username": "ems.ops2"}
    r = w.post("registry", "/identity/logins", other, key="k")
    refused(w, r, before, 409, "idempotency_key_reused")
    ghost = {**body, "username": "ghost", "party_id": "ghost"}
    refused(w, w.post("registry", "/identity/logins", ghost), before, 404, "unknown_party")


def test_a_weak_password_is_refused_without_being_echoed(w: IdWorld) -> None:
    before = w.state()
    body = {"username": "ems.ops", "party_id": "ems", "password": "Zq9!xyw"}
    problem = refused(
        w, w.post("registry", "/identity/logins", body), before, 422, "invalid_request"
    )
    assert "Zq9!xyw" not in str(problem)


# ---- sessions --------------------------------------------------------------------------
def test_logging_out_ends_the_session_only(w: IdWorld) -> None:
    other = w.login("ind").json()["access_token"]
    assert w.post("ind", "/auth/logout").status_code == 204
    r = w.get("ind", "/me/accounts")
    assert (r.status_code, r.json()["code"]) == (401, "invalid_token")
    still = w.client.get("/me/accounts", headers={"Authorization": f"Bearer {other}"})
    assert still.status_code == 200
    assert "logout" in kinds(w, "ind")


def test_revoking_a_partys_tokens_ends_every_session_of_it(w: IdWorld) -> None:
    second = {"Authorization": f"Bearer {w.login('ind').json()['access_token']}"}
    r = w.post("registry", "/identity/parties/ind/tokens/revoke")
    assert r.status_code == 200 and r.json() == {"party_id": "ind", "revoked": 2}
    for headers in (w.headers["ind"], second):
        assert w.client.get("/me/accounts", headers=headers).status_code == 401
    assert w.get("plat", "/me/accounts").status_code == 200


def test_a_logout_needs_a_bearer_token_not_an_api_key(w: IdWorld) -> None:
    r = w.client.post("/auth/logout", headers=w.headers["ems-key"])
    assert (r.status_code, r.json()["code"]) == (401, "unauthenticated")


# ---- passwords -------------------------------------------------------------------------
def test_a_password_change_needs_the_old_one_and_revokes_every_token(w: IdWorld) -> None:
    second = {"Authorization": f"Bearer {w.login('ind').json()['access_token']}"}
    before = w.state()
    wrong = {"old_password": "not my password", "new_password": NEW_PASSWORD}
    r = w.client.post("/auth/password", json=wrong, headers=w.headers["ind"])
    assert (r.status_code, r.json()["code"]) == (403, "wrong_password")
    assert w.state()["users"] == before["users"]
    body = {"old_password": PASSWORD, "new_password": NEW_PASSWORD}
    changed = w.client.post("/auth/password", json=body, headers=w.headers["ind"])
    assert changed.status_code == 200, changed.text
    for headers in (w.headers["ind"], second):
        assert w.client.get("/me/accounts", headers=headers).status_code == 401
    fresh = {"Authorization": f"Bearer {changed.json()['access_token']}"}
    assert w.client.get("/me/accounts", headers=fresh).status_code == 200
    assert w.login("ind").status_code == 401
    assert w.login("ind", NEW_PASSWORD).status_code == 200
    assert kinds(w, "ind")[-5:] == [
        "login",
        "password_change_failed",
        "password_changed",
        "login_failed",
        "login",
    ]


def test_the_new_password_must_differ_and_be_fair(w: IdWorld) -> None:
    before = w.state()
    for new, code in ((PASSWORD, "password_unchanged"), ("密" * 100, "password_too_long")):
        body = {"old_password": PASSWORD, "new_password": new}
        r = w.client.post("/auth/password", json=body, headers=w.headers["ind"])
        refused(w, r, before, 422, code)


def test_a_bcrypt_hash_is_upgraded_to_argon2id_on_the_next_login(w: IdWorld) -> None:
    old = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    with w.app.store.engine.begin() as conn:
        conn.execute(t.users.update().where(t.users.c.username == "ind2").values(password_hash=old))
    assert w.login("ind2", "wrong password").status_code == 401
    assert _hash_of(w, "ind2") == old
    assert w.login("ind2").status_code == 200
    upgraded = _hash_of(w, "ind2")
    assert upgraded.startswith("$argon2id$") and w.login("ind2").status_code == 200
    assert "password_rehashed" in kinds(w, "ind2")


def _hash_of(w: IdWorld, username: str) -> str:
    with w.app.store.engine.connect() as conn:
        query = sa.select(t.users.c.password_hash).where(t.users.c.username == username)
        return str(conn.execute(query).scalar_one())


# ---- throttling ------------------------------------------------------------------------
def test_failed_logins_are_throttled_per_account_with_retry_after(w: IdWorld, clock: Clock) -> None:
    for _ in range(5):
        assert w.login("ind", "wrong password").status_code == 401
    for password in ("wrong password", PASSWORD):  # refused unchecked, the right one too
        r = w.login("ind", password)
        assert (r.status_code, r.json()["code"]) == (429, "too_many_attempts"), r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert r.headers["Retry-After"] == "900"
    assert w.login("plat").status_code == 200  # another account is not held up
    clock.advance(600)
    assert w.login("ind").headers["Retry-After"] == "300"
    clock.advance(300)
    assert w.login("ind").status_code == 200
    assert {"login_failed", "login_throttled", "login"} <= set(kinds(w, "ind"))


def test_a_success_starts_the_account_afresh(w: IdWorld) -> None:
    for _ in range(4):
        assert w.login("ind", "wrong password").status_code == 401
    assert w.login("ind").status_code == 200
    for _ in range(5):
        assert w.login("ind", "wrong password").status_code == 401
    assert w.login("ind").status_code == 429


def test_unknown_usernames_are_throttled_like_known_ones(w: IdWorld) -> None:
    answers = [w.login("nobody", "wrong password") for _ in range(6)]
    assert [a.status_code for a in answers] == [401] * 5 + [429]
    assert answers[0].json()["code"] == "invalid_credentials"
    failed = [e for e in events(w) if e["event"] == "login_failed" and e["username"] is None]
    assert failed and all(e["detail"] == "unknown username" for e in failed)


def test_failed_logins_are_throttled_per_client_address(w: IdWorld) -> None:
    # 50 failures from one address, 5 per username so that no account is held up.
    for i in range(50):
        assert w.login(f"user{i // 5}", "wrong password").status_code == 401
    r = w.login("ind")
    assert (r.status_code, r.json()["code"]) == (429, "too_many_attempts")
    assert int(r.headers["Retry-After"]) > 0


# ---- API keys --------------------------------------------------------------------------
def test_an_api_key_is_shown_once_listed_without_its_secret_and_works(w: IdWorld) -> None:
    made = w.post("plat", "/identity/parties/plat/api-keys", {"label": "feed"}, key="key-1")
    assert made.status_code == 201, made.text
    secret = made.json()["secret"]
    assert secret.startswith("pct_k_") and made.json()["key"]["shown"] == secret[:10]
    assert w.client.get("/me/accounts", headers={"X-API-Key": secret}).status_code == 200
    replay = w.post("plat", "/identity/parties/plat/api-keys", {"label": "feed"}, key="key-1")
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["secret"] is None and replay.json()["key"] == made.json()["key"]
    listed = w.get("plat", "/identity/parties/plat/api-keys")
    assert listed.status_code == 200 and secret not in listed.text
    assert [k["label"] for k in listed.json()["keys"]] == ["feed"]
    assert "api_key_created" in kinds(w, "plat")


def test_rotating_a_key_ends_its_old_secret(w: IdWorld) -> None:
    path = f"/identity/parties/ems/api-keys/{w.ems_key_id}/rotate"
    rotated = w.post("ems-key", path)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new != w.ems_secret and rotated.json()["key"]["rotated_at"] is not None
    old = w.client.get("/me/accounts", headers=w.headers["ems-key"])
    assert (old.status_code, old.json()["code"]) == (401, "invalid_api_key")
    assert w.client.get("/me/accounts", headers={"X-API-Key": new}).status_code == 200


def test_a_revoked_key_stops_working_and_stays_listed(w: IdWorld) -> None:
    path = f"/identity/parties/ems/api-keys/{w.ems_key_id}"
    revoked = w.post("ems", f"{path}/revoke")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert w.client.get("/me/accounts", headers=w.headers["ems-key"]).status_code == 401
    listed = w.get("registry", "/identity/parties/ems/api-keys").json()["keys"]
    assert [k["revoked_at"] is not None for k in listed] == [True]
    before = w.state()
    refused(w, w.post("ems", f"{path}/rotate"), before, 409, "api_key_revoked")
    refused(w, w.post("ems", f"{path}/revoke"), before, 409, "api_key_revoked")


def test_api_keys_are_for_partner_systems_not_people(w: IdWorld) -> None:
    before = w.state()
    r = w.post("registry", "/identity/parties/ind/api-keys", {"label": "x"})
    refused(w, r, before, 409, "api_key_not_allowed")
    r = w.post("registry", "/identity/parties/ems/api-keys/999/rotate")
    refused(w, r, before, 404, "unknown_api_key")
    r = w.post("registry", f"/identity/parties/plat/api-keys/{w.ems_key_id}/revoke")
    refused(w, r, before, 404, "unknown_api_key")  # ems's key is not plat's


def test_a_partys_keys_are_paged(w: IdWorld) -> None:
    for i in range(3):
        w.post("plat", "/identity/parties/plat/api-keys", {"label": f"k{i}"})
    first = w.get("plat", "/identity/parties/plat/api-keys", limit=2).json()
    assert [k["label"] for k in first["keys"]] == ["k0", "k1"]
    rest = w.get("plat", "/identity/parties/plat/api-keys", after=first["next_after"]).json()
    assert [k["label"] for k in rest["keys"]] == ["k2"] and rest["next_after"] is None


# ---- onboarding and real-name facts ----------------------------------------------------
ONBOARD = {
    "party_id": "li",
    "role": "individual",
    "name": "李娜",
    "username": "lina",
    "password": PASSWORD,
    "facts": IND_FACTS_JSON,
}


def test_a_platform_onboards_a_person_who_then_logs_in(w: IdWorld) -> None:
    r = w.post("plat", "/identity/onboardings", ONBOARD, key="ob-1")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["entry"]["op_type"] == "open_account" and body["entry"]["actor"] == "plat"
    assert body["account"]["owner"] == "li" and body["username"] == "lina"
    token = w.login("lina")
    assert token.status_code == 200 and token.json()["party_id"] == "li"
    facts = w.get("plat", "/identity/parties/li/facts").json()
    assert facts["onboarded_by"] == "plat" and facts["kind"] == "individual"
    assert {k: facts[k] for k in IND_FACTS_JSON} == IND_FACTS_JSON
    replay = w.post("plat", "/identity/onboardings", ONBOARD, key="ob-1")
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["entry"] == body["entry"]
    assert "onboarded" in kinds(w, "li")


def test_an_onboarding_whose_username_is_taken_writes_nothing(w: IdWorld) -> None:
    before = w.state()
    r = w.post("plat", "/identity/onboardings", {**ONBOARD, "username": "ind"})
    refused(w, r, before, 409, "user_exists")
    different = {**ONBOARD, "name": "李四"}
    assert w.post("plat", "/identity/onboardings", ONBOARD, key="same").status_code == 201
    before = w.state()
    r = w.post("plat", "/identity/onboardings", different, key="same")
    refused(w, r, before, 409, "idempotency_key_reused")


@pytest.mark.parametrize(
    ("facts", "code"),
    [
        ({"real_name_verified": True}, "bad_facts"),
        ({"real_name_method": "ctid"}, "bad_facts"),
        ({"risk_level": "C2"}, "bad_facts"),
        ({"credit_code": "91440300MA5DC0Q12X"}, "bad_facts"),
        ({"birth_date": "2999-01-01"}, "bad_date"),
        (
            {
                "real_name_verified": True,
                "real_name_verified_on": "2026-06-01",
                "real_name_method": "business_licence",
            },
            "bad_facts",
        ),
    ],
)
def test_facts_that_make_no_sense_are_refused(w: IdWorld, facts: dict[str, Any], code: str) -> None:
    before = w.state()
    r = w.post("plat", "/identity/onboardings", {**ONBOARD, "facts": facts})
    refused(w, r, before, 422, code)


def test_a_date_is_iso_text_not_a_number(w: IdWorld) -> None:
    before = w.state()
    r = w.post("plat", "/identity/onboardings", {**ONBOARD, "facts": {"birth_date": 0}})
    refused(w, r, before, 422, "invalid_request")


def test_the_operator_onboards_an_institution_with_its_own_facts(w: IdWorld) -> None:
    facts = {
        "real_name_verified": True,
        "real_name_verified_on": "2026-05-20",
        "real_name_method": "business_licence",
        "credit_code": "91440300MA5DC0Q12X",
        "net_assets_fen": 5_000_000_000,
        "risk_level": "C4",
        "risk_assessed_on": "2026-05-21",
    }
    body = {**ONBOARD, "party_id": "fund", "role": "institution", "username": "fund"}
    r = w.post("registry", "/identity/onboardings", {**body, "facts": facts})
    assert r.status_code == 201, r.text
    shown = w.get("mee", "/identity/parties/fund/facts").json()
    assert shown["kind"] == "institution" and shown["credit_code"] == facts["credit_code"]
    assert shown["net_assets_fen"] == 5_000_000_000 and shown["birth_date"] is None


def test_the_onboarding_platform_records_facts_later_another_may_not(w: IdWorld) -> None:
    update = {**IND_FACTS_JSON, "risk_level": "C4", "risk_assessed_on": "2026-07-01"}
    r = w.put("plat", "/identity/parties/ind/facts", update)
    assert r.status_code == 200, r.text
    assert r.json()["risk_level"] == "C4" and r.json()["onboarded_by"] == "plat"
    assert r.json()["recorded_by"] == "plat"
    before = w.state()
    refused(w, w.put("plat2", "/identity/parties/ind/facts", update), before, 403, "forbidden")
    refused(
        w, w.put("registry", "/identity/parties/ems/facts", {}), before, 409, "no_facts_for_role"
    )
    refused(
        w, w.put("registry", "/identity/parties/nobody/facts", {}), before, 404, "unknown_party"
    )
    assert "facts_recorded" in kinds(w, "ind")


def test_facts_are_read_by_the_person_their_platform_and_the_authorities_only(
    w: IdWorld,
) -> None:
    for who in ("ind", "plat", "mee", "registry"):
        assert w.get(who, "/identity/parties/ind/facts").status_code == 200, who
    for who in ("ind2", "plat2", "ems", "inst", "cqc", "own"):
        r = w.get(who, "/identity/parties/ind/facts")
        assert (r.status_code, r.json()["code"]) == (403, "forbidden"), who
    r = w.get("ind2", "/identity/parties/ind2/facts")
    assert (r.status_code, r.json()["code"]) == (404, "no_facts")


# ---- the audit log ---------------------------------------------------------------------
def test_the_audit_log_is_paged_and_names_no_secret(w: IdWorld) -> None:
    w.login("ind", "wrong password")
    everything = events(w)
    assert {"login_created", "onboarded", "api_key_created", "login", "login_failed"} <= {
        e["event"] for e in everything
    }
    failed = next(e for e in everything if e["event"] == "login_failed")
    assert (failed["party_id"], failed["client"], failed["detail"]) == (
        "ind",
        "testclient",
        "wrong password",
    )
    page = w.get("registry", "/identity/audit", limit=2).json()
    assert [e["event_id"] for e in page["events"]] == [e["event_id"] for e in everything[:2]]
    rest = w.get("registry", "/identity/audit", after=page["next_after"], limit=500).json()
    assert page["events"] + rest["events"] == everything
    assert PASSWORD not in str(everything) and w.ems_secret not in str(everything)
