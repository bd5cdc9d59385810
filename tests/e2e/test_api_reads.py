"""The reads integrators need, over HTTP on both databases (issue 12, items 3 and 6).

The journal's head; several accounts at one journal position; a batch's supply by
state; a batch numbered by the registry; lists paged behind opaque cursors; and
retirement certificates that cannot be listed and show no personal data by default.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from api_world import BATCH, CEA, World, assert_refused

SERIES = "CCER-CN-AFF0007-2026Q4"


def _retire(world: World, who: str, **extra: Any) -> dict[str, Any]:
    body = {
        "account": world.accounts[who],
        "asset": BATCH,
        "quantity_g": 1_000,
        "beneficiary": "Bob 小明",
        "reason": "offset my commute",
        **extra,
    }
    r = world.post(who, "/retirements", body)
    assert r.status_code == 201, r.text
    return dict(r.json())


# ---- the journal's head and positions ---------------------------------------------------------
def test_the_journal_head_is_the_newest_entry_and_its_hash(funded: World) -> None:
    head = funded.get("alice", "/journal/head").json()
    last = funded.get("registry", f"/journal/{head['seq']}").json()["entry"]
    assert (head["seq"], head["hash"], head["ts"]) == (last["seq"], last["hash"], last["ts"])
    assert head["seq"] == funded.head_seq()


def test_accounts_are_read_together_at_one_position(funded: World) -> None:
    a = funded.accounts
    first = funded.get("registry", "/positions", account=[a["alice"], f"IND-{a['bob']:010d}"])
    assert first.status_code == 200, first.text
    at = first.json()["as_of"]
    assert at == funded.get("alice", "/journal/head").json()
    move = {"from_account": a["alice"], "to_account": a["bob"], "asset": BATCH, "quantity_g": 7}
    assert funded.post("alice", "/transfers", move).status_code == 201
    again = funded.get("registry", "/positions", account=[a["alice"], a["bob"]], as_of=at["seq"])
    assert again.json() == first.json()
    now = funded.get("registry", "/positions", account=[a["alice"], a["bob"]]).json()
    assert now["as_of"]["seq"] == at["seq"] + 1 and now != first.json()


def test_positions_are_for_the_accounts_readers_and_positions_already_recorded(
    funded: World,
) -> None:
    a = funded.accounts
    mine = funded.get("alice", "/positions", account=[a["alice"]])
    assert mine.status_code == 200
    theirs = funded.get("alice", "/positions", account=[a["alice"], a["bob"]])
    assert (theirs.status_code, theirs.json()["code"]) == (403, "forbidden")
    head = funded.head_seq()
    ahead = funded.get("alice", "/positions", account=[a["alice"]], as_of=head + 1)
    assert (ahead.status_code, ahead.json()["code"]) == (409, "beyond_head")
    too_many = funded.get("registry", "/positions", account=list(range(1000, 1101)))
    assert too_many.status_code == 422
    unknown = funded.get("registry", "/positions", account=[a["alice"], 999_999])
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_account")


# ---- supply and serials --------------------------------------------------------------------------
def test_a_batchs_supply_by_state_reconciles_with_what_was_issued(funded: World) -> None:
    _retire(funded, "bob")
    r = funded.get("alice", f"/batches/{BATCH}/supply")
    assert r.status_code == 200, r.text
    supply = r.json()
    states = ("available_g", "frozen_g", "surrendered_g", "retired_g", "cancelled_g")
    assert sum(supply[s] for s in states) == supply["issued_g"] == 6_000_000
    assert supply["retired_g"] == 1_000
    assert supply["as_of"]["seq"] == funded.head_seq()
    missing = funded.get("alice", "/batches/CCER-CN-NONE-2026-001/supply")
    assert (missing.status_code, missing.json()["code"]) == (404, "unknown_batch")


def test_a_batch_issued_by_its_series_is_numbered_by_the_registry(funded: World) -> None:
    body = {"denomination": SERIES, "allocations": [{"account": "1001", "quantity_g": 5}]}
    first = funded.post("mee", "/batches", body, key="series-1")
    assert first.status_code == 201, first.text
    assert first.json()["denomination"] == f"{SERIES}-001"
    second = funded.post("mee", "/batches", body, key="series-2")
    assert second.json()["denomination"] == f"{SERIES}-002"
    replay = funded.post("mee", "/batches", body, key="series-1")
    assert replay.json() == first.json() and replay.headers["Idempotent-Replayed"] == "true"


# ---- pages and cursors --------------------------------------------------------------------------
def test_the_journal_is_paged_by_cursor_or_by_seq(funded: World) -> None:
    whole = funded.get("registry", "/journal", limit=500).json()["entries"]
    seqs: list[int] = []
    cursor = None
    while True:
        params = {"limit": 3} if cursor is None else {"limit": 3, "cursor": cursor}
        page = funded.get("registry", "/journal", **params).json()
        seqs += [e["seq"] for e in page["entries"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert page["next_after"] == seqs[-1]
    assert seqs == [e["seq"] for e in whole]
    both = funded.get("registry", "/journal", after=1, cursor=cursor or "x")
    assert both.status_code == 422


@pytest.mark.parametrize(
    "cursor",
    [
        "not-base64!",
        base64.urlsafe_b64encode(b"[1,2]").decode(),
        base64.urlsafe_b64encode(json.dumps(["journal", 1]).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps(["batches", "1"]).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps(["batches", 1, 2]).encode()).decode(),
    ],
)
def test_a_cursor_this_list_did_not_give_out_is_refused(funded: World, cursor: str) -> None:
    r = funded.get("alice", "/batches", cursor=cursor)
    assert (r.status_code, r.json()["code"]) == (422, "bad_cursor")


def test_every_list_route_answers_a_page(funded: World) -> None:
    paged = {
        "/batches": "alice",
        "/me/accounts": "alice",
        "/rules": "alice",
        "/inclusive/issuances": "mee",
        "/me/inclusive": "alice",
        "/me/sinks": "alice",
    }
    for path, who in paged.items():
        r = funded.get(who, path, limit=1)
        assert r.status_code == 200, (path, r.text)
        assert set(r.json()) == {"items", "next_cursor"}, path
        assert len(r.json()["items"]) <= 1
        too_big = funded.get(who, path, limit=100_000)
        assert too_big.status_code == 422, path


# ---- certificates and personal data ----------------------------------------------------------
def test_a_public_certificate_withholds_the_name_unless_it_was_published(funded: World) -> None:
    hidden = _retire(funded, "bob")["certificate"]
    assert hidden["beneficiary"] == "Bob 小明"  # the retiring party sees it all
    public = funded.client.get(f"/certificates/{hidden['certificate_id']}").json()
    assert public["beneficiary"] is None and public["beneficiary_published"] is False
    assert public["retired_by"] is None and public["holder_type"] == "individual"
    page = funded.client.get(f"/certificates/{hidden['certificate_id']}.html").text
    assert "Bob 小明" not in page and f"IND-{funded.accounts['bob']:010d}" not in page
    shown = _retire(funded, "bob", publish_beneficiary=True)["certificate"]
    public = funded.client.get(f"/certificates/{shown['certificate_id']}").json()
    assert public["beneficiary"] == "Bob 小明" and public["retired_by"] is None


def test_certificates_cannot_be_enumerated(funded: World) -> None:
    real = _retire(funded, "bob")["certificate"]["certificate_id"]
    seq = int(real.split("-")[1])
    for n in range(1, seq + 2):
        r = funded.client.get(f"/certificates/RC-{n}-{'a' * 26}")
        assert (r.status_code, r.json()["code"]) == (404, "unknown_certificate")
    old_style = funded.client.get(f"/certificates/RC-{seq:012d}")
    assert old_style.status_code == 422
    gone = funded.client.get(f"/retirements/{seq}/certificate.html")
    assert gone.status_code in (404, 405)
    # By seq, the full certificate is for the retiring account's readers only.
    assert funded.client.get(f"/retirements/{seq}/certificate").status_code == 401
    other = funded.get("alice", f"/retirements/{seq}/certificate")
    assert (other.status_code, other.json()["code"]) == (403, "forbidden")
    assert funded.get("mee", f"/retirements/{seq}/certificate").json()["certificate_id"] == real


def test_a_refused_retirement_writes_nothing(funded: World) -> None:
    body = {
        "account": funded.accounts["bob"],
        "asset": CEA,
        "quantity_g": 1,
        "beneficiary": "Bob",
        "reason": "offset",
        "publish_beneficiary": "yes",
    }
    assert_refused(funded, "bob", "/retirements", body, 422, "invalid_request")


def test_a_rule_set_diff_lists_the_changes_between_two_versions(funded: World) -> None:
    r = funded.get("alice", "/rules/diff", **{"from": "CN/2021-02-01", "to": "GD/2022-05-06"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (
        body["before"]["version"] == "CN/2021-02-01" and body["after"]["version"] == "GD/2022-05-06"
    )
    cap = [c for c in body["changes"] if (c["section"], c["field"]) == ("offsets", "cap_bps")]
    assert cap == [{"section": "offsets", "field": "cap_bps", "before": 500, "after": 1000}]
    same = funded.get("alice", "/rules/diff", **{"from": "GD/2022-05-06", "to": "GD/2022-05-06"})
    assert same.status_code == 200 and same.json()["changes"] == []
    unknown = funded.get("alice", "/rules/diff", **{"from": "GD/2022-05-06", "to": "GD/2099-01-01"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "no_rule_set"
    bad = funded.get("alice", "/rules/diff", **{"from": "GD", "to": "GD/2022-05-06"})
    assert bad.status_code == 422
