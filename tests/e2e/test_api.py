"""Happy paths: every endpoint of the registry API does what it says, on both databases."""

from __future__ import annotations

import itertools
from typing import Any

from api_world import BATCH, CEA, World


def _balance(world: World, who: str, asset: str, state: str = "available") -> int:
    holdings, _ = world.holdings(who)
    return sum(h["amount"] for h in holdings if h["asset"] == asset and h["state"] == state)


def test_opening_an_account_records_an_entry_and_returns_the_account(world: World) -> None:
    r = world.post(
        "registry", "/accounts", {"party_id": "carol", "role": "individual", "name": "Carol"}
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["entry"]["op_type"] == "open_account"
    assert body["account"]["owner"] == "carol"
    assert body["account"]["account_number"].startswith("IND-")
    assert world.head_seq() == body["entry"]["seq"]


def test_a_platform_opens_many_individual_accounts_in_one_entry(world: World) -> None:
    parties = [{"party_id": f"user-{i}", "name": f"User {i}"} for i in range(50)]
    r = world.post("plat", "/accounts/bulk", {"role": "individual", "parties": parties})
    assert r.status_code == 201, r.text
    assert r.json()["payload"] == {"parties": 50, "accounts": 50}


def test_my_accounts_lists_the_callers_own_accounts(world: World) -> None:
    r = world.get("alice", "/me/accounts")
    assert r.status_code == 200
    assert [a["account_id"] for a in r.json()["items"]] == [world.accounts["alice"]]
    assert r.json()["next_cursor"] is None


def test_an_account_is_read_by_id_or_number(funded: World) -> None:
    account_id = funded.accounts["alice"]
    by_id = funded.get("alice", f"/accounts/{account_id}").json()
    by_number = funded.get("alice", f"/accounts/IND-{account_id:010d}").json()
    assert by_id == by_number
    assert {"asset": BATCH, "state": "available", "amount": 5_000_000, "unit": "g"} in by_id[
        "holdings"
    ]
    assert {"asset": "CNY", "state": "available", "amount": 10_000, "unit": "fen"} in by_id[
        "holdings"
    ]


def test_batches_are_issued_listed_and_read(funded: World) -> None:
    listed = funded.get("alice", "/batches").json()["items"]
    assert [b["denomination"] for b in listed] == [BATCH, CEA]
    one = funded.get("alice", f"/batches/{BATCH}").json()
    assert one["issued_g"] == 6_000_000
    assert (one["instrument"], one["jurisdiction"], one["vintage"]) == ("CCER", "CN", "2026Q3")
    first_page = funded.get("alice", "/batches", limit=1).json()
    assert [b["denomination"] for b in first_page["items"]] == [BATCH]
    second_page = funded.get("alice", "/batches", cursor=first_page["next_cursor"]).json()
    assert [b["denomination"] for b in second_page["items"]] == [CEA]
    assert second_page["next_cursor"] is None


def test_a_transfer_moves_credits_between_accounts(funded: World) -> None:
    a = funded.accounts
    r = funded.post(
        "alice",
        "/transfers",
        {"from_account": a["alice"], "to_account": a["bob"], "asset": BATCH, "quantity_g": 250},
    )
    assert r.status_code == 201, r.text
    assert r.json()["op_type"] == "transfer"
    assert _balance(funded, "alice", BATCH) == 5_000_000 - 250
    assert _balance(funded, "bob", BATCH) == 1_000_000 + 250


def test_a_transfer_moves_cash_in_fen(funded: World) -> None:
    a = funded.accounts
    body = {"from_account": a["alice"], "to_account": a["bob"], "asset": "CNY", "amount_fen": 1}
    assert funded.post("alice", "/transfers", body).status_code == 201
    assert _balance(funded, "bob", "CNY") == 1


def test_an_authorised_platform_moves_its_members_credits_by_api_key(funded: World) -> None:
    a = funded.accounts
    grant = funded.post("alice", f"/accounts/{a['alice']}/agents", {"agent": "plat"})
    assert grant.status_code == 201, grant.text
    assert funded.get("alice", f"/accounts/{a['alice']}").json()["agents"] == ["plat"]
    body = {"from_account": a["alice"], "to_account": a["plat"], "asset": BATCH, "quantity_g": 7}
    r = funded.post("plat-key", "/transfers", body)
    assert r.status_code == 201, r.text
    assert r.json()["actor"] == "plat"
    assert _balance(funded, "plat", BATCH) == 7


def test_a_freeze_holds_units_and_unfreeze_releases_them(funded: World) -> None:
    a = funded.accounts
    r = funded.post(
        "alice",
        "/freezes",
        {
            "account": a["alice"],
            "asset": BATCH,
            "quantity_g": 1_000,
            "reason": "pledge",
            "reference": "order-1",
        },
    )
    assert r.status_code == 201, r.text
    hold_id = r.json()["hold_id"]
    assert _balance(funded, "alice", BATCH, "frozen") == 1_000
    part = funded.post("alice", f"/freezes/{hold_id}/unfreeze", {"quantity_g": 400})
    assert part.status_code == 201, part.text
    _, holds = funded.holdings("alice")
    assert holds[0]["remaining"] == 600
    rest = funded.post("alice", f"/freezes/{hold_id}/unfreeze", {})
    assert rest.status_code == 201, rest.text
    assert _balance(funded, "alice", BATCH, "frozen") == 0
    assert _balance(funded, "alice", BATCH) == 5_000_000


def test_a_cash_hold_is_released_in_fen(funded: World) -> None:
    a = funded.accounts
    r = funded.post(
        "alice",
        "/freezes",
        {
            "account": a["alice"],
            "asset": "CNY",
            "amount_fen": 500,
            "reason": "pledge",
            "reference": "buy-1",
        },
    )
    assert r.status_code == 201, r.text
    hold_id = r.json()["hold_id"]
    assert (
        funded.post("alice", f"/freezes/{hold_id}/unfreeze", {"amount_fen": 500}).status_code == 201
    )


def test_a_key_emitter_surrenders_allowances(funded: World) -> None:
    a = funded.accounts
    r = funded.post(
        "steelco",
        "/surrenders",
        {"account": a["steelco"], "asset": CEA, "quantity_g": 3_000_000, "period": "2026"},
    )
    assert r.status_code == 201, r.text
    assert _balance(funded, "steelco", CEA, "surrendered") == 3_000_000


def test_a_retirement_returns_its_certificate_readable_as_json_and_html(funded: World) -> None:
    a = funded.accounts
    r = funded.post(
        "bob",
        "/retirements",
        {
            "account": a["bob"],
            "asset": BATCH,
            "quantity_g": 50_000,
            "beneficiary": "Bob 小明",
            "reason": "offset my commute",
            "jurisdiction": "CN-GD",
            "consumption_period": "2026",
            "publish_beneficiary": True,
        },
    )
    assert r.status_code == 201, r.text
    cert = r.json()["certificate"]
    assert (cert["batch"], cert["quantity_g"], cert["beneficiary"]) == (BATCH, 50_000, "Bob 小明")
    seq = r.json()["entry"]["seq"]
    assert funded.get("bob", f"/retirements/{seq}/certificate").json() == cert
    public = funded.client.get(f"/certificates/{cert['certificate_id']}").json()
    # Published by choice; an individual's account number never is.
    assert public == {**cert, "retired_by": None}
    page = funded.client.get(f"/certificates/{cert['certificate_id']}.html")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "自愿注销证明" in page.text and "Retirement certificate" in page.text
    assert "Bob 小明" in page.text and cert["certificate_id"] in page.text
    assert _balance(funded, "bob", BATCH, "retired") == 50_000


def test_a_certificate_escapes_what_the_holder_wrote(funded: World) -> None:
    a = funded.accounts
    r = funded.post(
        "bob",
        "/retirements",
        {
            "account": a["bob"],
            "asset": BATCH,
            "quantity_g": 1,
            "beneficiary": "<script>x</script>",
            "reason": "test",
            "publish_beneficiary": True,
        },
    )
    page = funded.client.get(f"/certificates/{r.json()['certificate']['certificate_id']}.html").text
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_the_regulator_cancels_units(funded: World) -> None:
    a = funded.accounts
    r = funded.post(
        "mee",
        "/cancellations",
        {"account": a["bob"], "asset": BATCH, "quantity_g": 10, "reason": "reversal"},
    )
    assert r.status_code == 201, r.text
    assert _balance(funded, "bob", BATCH, "cancelled") == 10


def test_cash_is_deposited_by_the_registry_and_withdrawn_by_the_holder(funded: World) -> None:
    a = funded.accounts
    r = funded.post(
        "alice",
        "/cash/withdrawals",
        {"account": a["alice"], "amount_fen": 2_500, "reference": "out-1"},
    )
    assert r.status_code == 201, r.text
    assert _balance(funded, "alice", "CNY") == 7_500


def test_a_correction_reverses_a_transfer_with_a_new_entry(funded: World) -> None:
    a = funded.accounts
    body = {"from_account": a["alice"], "to_account": a["bob"], "asset": "CNY", "amount_fen": 300}
    seq = funded.post("alice", "/transfers", body).json()["seq"]
    r = funded.post("registry", "/corrections", {"seq": seq, "reason": "wrong payee"})
    assert r.status_code == 201, r.text
    assert r.json()["payload"]["corrects"] == seq
    assert _balance(funded, "alice", "CNY") == 10_000
    assert funded.get("registry", f"/journal/{seq}").json()["entry"]["op_type"] == "transfer"


def test_the_journal_pages_by_sequence_number(funded: World) -> None:
    first = funded.get("registry", "/journal", limit=3).json()
    assert [e["seq"] for e in first["entries"]] == [1, 2, 3]
    assert first["next_after"] == 3
    rest = funded.get("registry", "/journal", after=3, limit=500).json()
    assert rest["entries"][0]["seq"] == 4 and rest["next_after"] is None
    chain: list[dict[str, Any]] = first["entries"] + rest["entries"]
    for prev, cur in itertools.pairwise(chain):
        assert cur["prev_hash"] == prev["hash"]


def test_a_holder_reads_the_journal_of_its_own_account(funded: World) -> None:
    page = funded.get("bob", "/journal", account=str(funded.accounts["bob"])).json()
    assert [e["op_type"] for e in page["entries"]] == ["issue"]


def test_an_entry_is_read_with_its_postings(funded: World) -> None:
    issue_seq = funded.get("registry", "/journal", account=str(funded.accounts["bob"])).json()[
        "entries"
    ][0]["seq"]
    r = funded.get("registry", f"/journal/{issue_seq}").json()
    assert r["posting_count"] == 3
    deltas = {(p["account_id"], p["state"]): p["delta"] for p in r["postings"]}
    assert deltas[(funded.accounts["bob"], "available")] == 1_000_000
    assert sum(p["delta"] for p in r["postings"]) == 0


def test_verify_reports_a_consistent_registry(funded: World) -> None:
    r = funded.get("mee", "/verify")
    assert r.status_code == 200
    report = r.json()
    assert report["ok"] is True and report["problems"] == []
    assert report["head_seq"] == funded.head_seq()


def test_a_replayed_write_returns_the_original_result_and_writes_nothing(funded: World) -> None:
    a = funded.accounts
    body = {"from_account": a["alice"], "to_account": a["bob"], "asset": BATCH, "quantity_g": 9}
    first = funded.post("alice", "/transfers", body, key="pay-bob-1")
    before = funded.state()
    again = funded.post("alice", "/transfers", body, key="pay-bob-1")
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert funded.state() == before


def test_the_openapi_document_lists_every_resource(world: World) -> None:
    paths = world.client.get("/openapi.json").json()["paths"]
    for path in [
        "/auth/token",
        "/accounts",
        "/batches",
        "/transfers",
        "/freezes",
        "/surrenders",
        "/retirements",
        "/cancellations",
        "/cash/deposits",
        "/corrections",
        "/journal",
        "/verify",
    ]:
        assert path in paths, path


def test_a_replayed_retirement_returns_the_same_certificate(funded: World) -> None:
    body = {
        "account": funded.accounts["bob"],
        "asset": BATCH,
        "quantity_g": 5,
        "beneficiary": "Bob",
        "reason": "offset",
    }
    first = funded.post("bob", "/retirements", body, key="retire-1")
    again = funded.post("bob", "/retirements", body, key="retire-1")
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _balance(funded, "bob", BATCH, "retired") == 5


def test_a_batch_issued_with_its_methodology_shows_it(funded: World) -> None:
    body = {
        "denomination": "CCER-CN-AFF0011-2026Q3-001",
        "allocations": [{"account": funded.accounts["alice"], "quantity_g": 1_000}],
        "methodology": "CCER-14-001-V01",
    }
    r = funded.post("registry", "/batches", body)
    assert r.status_code == 201, r.text
    one = funded.get("alice", "/batches/CCER-CN-AFF0011-2026Q3-001").json()
    assert one["methodology"] == "CCER-14-001-V01"
    assert funded.get("alice", f"/batches/{BATCH}").json()["methodology"] is None
    bad = funded.post("registry", "/batches", {**body, "methodology": "no spaces"})
    assert bad.status_code == 422
