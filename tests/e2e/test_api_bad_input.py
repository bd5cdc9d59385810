"""Bad input is refused with a specific status and code, and changes nothing.

Every test here sends one bad request and, through ``assert_refused``, checks the
problem document and that the journal head and all balances and holds are unchanged.
"""

from __future__ import annotations

import pytest
from api_world import BATCH, CEA, World, assert_refused

INT64_MAX = 2**63 - 1


def _transfer(world: World, quantity: object, asset: str = BATCH) -> dict[str, object]:
    a = world.accounts
    return {
        "from_account": a["alice"],
        "to_account": a["bob"],
        "asset": asset,
        "quantity_g": quantity,
    }


@pytest.mark.parametrize("quantity", [0, -1, -5_000_000])
def test_a_transfer_of_zero_or_fewer_grams_is_refused(funded: World, quantity: int) -> None:
    assert_refused(funded, "alice", "/transfers", _transfer(funded, quantity), 422, "non_positive")


def test_an_issuance_with_a_negative_allocation_is_refused(funded: World) -> None:
    body = {
        "denomination": "CCER-CN-AFF0007-2026Q3-002",
        "allocations": [{"account": funded.accounts["bob"], "quantity_g": -1}],
    }
    assert_refused(funded, "mee", "/batches", body, 422, "non_positive")


@pytest.mark.parametrize("denomination", ["PCER-GD-AFF0007-2026Q3-002", "PCER-GD-CI-2026Q4"])
def test_a_plain_issuance_of_personal_credits_is_refused(funded: World, denomination: str) -> None:
    # PCER come only from sink issuance or the carbon-inclusive path, never from POST /batches.
    body = {
        "denomination": denomination,
        "allocations": [{"account": funded.accounts["bob"], "quantity_g": 1_000_000}],
    }
    problem = assert_refused(funded, "mee", "/batches", body, 422, "personal_credit_path_required")
    assert "carbon-inclusive" in problem["detail"]


def test_a_deposit_of_zero_fen_is_refused(funded: World) -> None:
    body = {"account": funded.accounts["bob"], "amount_fen": 0, "reference": "bank-2"}
    assert_refused(funded, "registry", "/cash/deposits", body, 422, "non_positive")


@pytest.mark.parametrize("quantity", [INT64_MAX + 1, 10**30])
def test_a_quantity_beyond_int64_is_out_of_range(funded: World, quantity: int) -> None:
    assert_refused(funded, "alice", "/transfers", _transfer(funded, quantity), 422, "out_of_range")


def test_an_issuance_beyond_int64_is_out_of_range(funded: World) -> None:
    body = {
        "denomination": "CCER-CN-AFF0007-2026Q3-002",
        "allocations": [{"account": funded.accounts["bob"], "quantity_g": 2**64}],
    }
    assert_refused(funded, "mee", "/batches", body, 422, "out_of_range")


def test_an_issuance_whose_total_overflows_int64_is_out_of_range(funded: World) -> None:
    a = funded.accounts
    body = {
        "denomination": "CCER-CN-AFF0007-2026Q3-002",
        "allocations": [
            {"account": a["alice"], "quantity_g": INT64_MAX},
            {"account": a["bob"], "quantity_g": INT64_MAX},
        ],
    }
    assert_refused(funded, "mee", "/batches", body, 422, "out_of_range")


def test_a_deposit_beyond_int64_is_out_of_range(funded: World) -> None:
    body = {"account": funded.accounts["bob"], "amount_fen": INT64_MAX + 1, "reference": "b"}
    assert_refused(funded, "registry", "/cash/deposits", body, 422, "out_of_range")


def test_a_transfer_to_an_unknown_account_is_not_found(funded: World) -> None:
    body = {**_transfer(funded, 1), "to_account": 999_999}
    assert_refused(funded, "alice", "/transfers", body, 404, "unknown_account")


def test_an_account_id_beyond_int64_is_out_of_range(funded: World) -> None:
    body = {**_transfer(funded, 1), "to_account": INT64_MAX + 1}
    assert_refused(funded, "alice", "/transfers", body, 422, "out_of_range")


def test_a_transfer_of_an_unknown_batch_is_not_found(funded: World) -> None:
    body = _transfer(funded, 1, asset="CCER-CN-AFF0007-2026Q3-099")
    assert_refused(funded, "alice", "/transfers", body, 404, "unknown_batch")


def test_a_malformed_batch_name_is_refused(funded: World) -> None:
    assert_refused(
        funded,
        "alice",
        "/transfers",
        _transfer(funded, 1, asset="PCER-??"),
        422,
        "bad_denomination",
    )


def test_reading_an_unknown_account_is_not_found(funded: World) -> None:
    r = funded.get("registry", "/accounts/424242")
    assert (r.status_code, r.json()["code"]) == (404, "unknown_account")


def test_an_unknown_certificate_is_not_found(funded: World) -> None:
    r = funded.get("mee", "/retirements/2/certificate")
    assert (r.status_code, r.json()["code"]) == (404, "unknown_certificate")
    r = funded.client.get(f"/certificates/RC-2-{'a' * 26}")
    assert (r.status_code, r.json()["code"]) == (404, "unknown_certificate")


def test_moving_someone_elses_credits_is_forbidden(funded: World) -> None:
    a = funded.accounts
    body = {"from_account": a["alice"], "to_account": a["bob"], "asset": BATCH, "quantity_g": 1}
    assert_refused(funded, "bob", "/transfers", body, 403, "forbidden")


def test_retiring_someone_elses_credits_is_forbidden(funded: World) -> None:
    body = {
        "account": funded.accounts["alice"],
        "asset": BATCH,
        "quantity_g": 1,
        "beneficiary": "Bob",
        "reason": "not mine",
    }
    assert_refused(funded, "bob", "/retirements", body, 403, "forbidden")


def test_an_unauthorised_platform_cannot_move_a_members_credits(funded: World) -> None:
    body = _transfer(funded, 1)
    assert_refused(funded, "plat-key", "/transfers", body, 403, "forbidden")


def test_retired_credits_never_move_again(funded: World) -> None:
    a = funded.accounts
    retire = {
        "account": a["bob"],
        "asset": BATCH,
        "quantity_g": 1_000_000,
        "beneficiary": "Bob",
        "reason": "offset",
    }
    assert funded.post("bob", "/retirements", retire).status_code == 201
    body = {"from_account": a["bob"], "to_account": a["alice"], "asset": BATCH, "quantity_g": 1}
    assert_refused(funded, "bob", "/transfers", body, 409, "insufficient_balance")
    assert_refused(
        funded, "bob", "/retirements", {**retire, "quantity_g": 1}, 409, "insufficient_balance"
    )


def test_a_retirement_cannot_be_corrected(funded: World) -> None:
    retire = {
        "account": funded.accounts["bob"],
        "asset": BATCH,
        "quantity_g": 10,
        "beneficiary": "Bob",
        "reason": "offset",
    }
    seq = funded.post("bob", "/retirements", retire).json()["entry"]["seq"]
    body = {"seq": seq, "reason": "undo"}
    assert_refused(funded, "registry", "/corrections", body, 409, "not_correctable")


def test_moving_more_than_is_available_is_a_conflict(funded: World) -> None:
    body = _transfer(funded, 5_000_001)
    assert_refused(funded, "alice", "/transfers", body, 409, "insufficient_balance")


def test_releasing_more_than_a_hold_has_is_refused(funded: World) -> None:
    a = funded.accounts
    freeze = {
        "account": a["alice"],
        "asset": BATCH,
        "quantity_g": 100,
        "reason": "pledge",
        "reference": "loan-1",
    }
    hold_id = funded.post("alice", "/freezes", freeze).json()["hold_id"]
    path = f"/freezes/{hold_id}/unfreeze"
    assert_refused(funded, "alice", path, {"quantity_g": 101}, 409, "exceeds_hold")
    assert_refused(funded, "alice", path, {"amount_fen": 1}, 422, "invalid_request")
    assert_refused(funded, "alice", "/freezes/999999/unfreeze", {}, 404, "unknown_hold")


def test_only_key_emitters_surrender(funded: World) -> None:
    body = {"account": funded.accounts["alice"], "asset": BATCH, "quantity_g": 1, "period": "2026"}
    assert_refused(funded, "alice", "/surrenders", body, 409, "not_an_emitter")


def test_surrendered_allowances_cannot_be_cancelled_again(funded: World) -> None:
    a = funded.accounts
    body = {"account": a["steelco"], "asset": CEA, "quantity_g": 10_000_000, "period": "2026"}
    assert funded.post("steelco", "/surrenders", body).status_code == 201
    cancel = {"account": a["steelco"], "asset": CEA, "quantity_g": 1, "reason": "x"}
    assert_refused(funded, "mee", "/cancellations", cancel, 409, "insufficient_balance")


def test_malformed_json_is_an_invalid_request(funded: World) -> None:
    raw = b'{"from_account": 1000, "to_account": '
    assert_refused(funded, "alice", "/transfers", None, 422, "invalid_request", raw=raw)


def test_a_float_quantity_is_an_invalid_request(funded: World) -> None:
    assert_refused(funded, "alice", "/transfers", _transfer(funded, 1.5), 422, "invalid_request")
    assert_refused(funded, "alice", "/transfers", _transfer(funded, 1.0), 422, "invalid_request")


def test_a_quantity_as_text_is_an_invalid_request(funded: World) -> None:
    assert_refused(funded, "alice", "/transfers", _transfer(funded, "1"), 422, "invalid_request")


def test_an_unknown_field_is_an_invalid_request(funded: World) -> None:
    body = {**_transfer(funded, 1), "memo": "hi"}
    problem = assert_refused(funded, "alice", "/transfers", body, 422, "invalid_request")
    assert problem["errors"][0]["loc"] == ["body", "memo"]


def test_cash_moved_as_grams_is_an_invalid_request(funded: World) -> None:
    assert_refused(
        funded, "alice", "/transfers", _transfer(funded, 1, "CNY"), 422, "invalid_request"
    )


def test_an_oversized_payload_is_refused_before_it_is_read(funded: World) -> None:
    raw = b'{"pad": "' + b"x" * (1024 * 1024) + b'"}'
    assert_refused(funded, "alice", "/transfers", None, 413, "payload_too_large", raw=raw)


def test_an_oversized_streamed_payload_without_length_is_refused(funded: World) -> None:
    def chunks() -> object:
        for _ in range(40):
            yield b"x" * 32_768

    headers = {**funded.headers["alice"], "Idempotency-Key": "s-1"}
    before = funded.state()
    r = funded.client.post("/transfers", content=chunks(), headers=headers)  # type: ignore[arg-type]
    assert (r.status_code, r.json()["code"]) == (413, "payload_too_large")
    assert funded.state() == before


def test_a_write_without_an_idempotency_key_is_refused(funded: World) -> None:
    before = funded.state()
    r = funded.client.post("/transfers", json=_transfer(funded, 1), headers=funded.headers["alice"])
    assert (r.status_code, r.json()["code"]) == (400, "idempotency_key_required")
    assert r.headers["content-type"] == "application/problem+json"
    assert funded.state() == before


def test_a_malformed_idempotency_key_is_refused(funded: World) -> None:
    key = "x" * 129
    assert_refused(
        funded, "alice", "/transfers", _transfer(funded, 1), 422, "bad_idempotency_key", key=key
    )


def test_an_idempotency_key_reused_with_a_different_body_is_a_conflict(funded: World) -> None:
    assert funded.post("alice", "/transfers", _transfer(funded, 1), key="k-same").status_code == 201
    assert_refused(
        funded,
        "alice",
        "/transfers",
        _transfer(funded, 2),
        409,
        "idempotency_key_reused",
        key="k-same",
    )


def test_an_idempotency_key_reused_on_another_endpoint_is_a_conflict(funded: World) -> None:
    assert funded.post("alice", "/transfers", _transfer(funded, 1), key="k-x").status_code == 201
    body = {"account": funded.accounts["alice"], "amount_fen": 1, "reference": "w"}
    assert_refused(
        funded, "alice", "/cash/withdrawals", body, 409, "idempotency_key_reused", key="k-x"
    )


def test_an_existing_batch_cannot_be_issued_again(funded: World) -> None:
    body = {
        "denomination": BATCH,
        "allocations": [{"account": funded.accounts["bob"], "quantity_g": 1}],
    }
    assert_refused(funded, "mee", "/batches", body, 409, "batch_exists")


def test_an_unknown_route_is_a_problem_document(world: World) -> None:
    r = world.client.get("/no/such/thing")
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    assert r.headers["content-type"] == "application/problem+json"


def test_an_unexpected_failure_is_a_problem_document_without_internals(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from pctrade.ledger import queries

    def broken(*_: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(queries, "verify", broken)
    client = TestClient(world.client.app, raise_server_exceptions=False)
    r = client.get("/verify", headers=world.headers["registry"])
    assert (r.status_code, r.json()["code"]) == (500, "internal_error")
    assert "secret" not in r.text
