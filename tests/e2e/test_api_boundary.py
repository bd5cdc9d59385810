"""Security and correctness fixes at the API's boundary (issue 12, item 4).

Each test sends a bad request on SQLite and on PostgreSQL (``world`` runs on both) and
asserts the status, the problem's code and that no row of any table changed
(``table_snapshot.everything``), which is stronger than the journal head and balances.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from api_world import BATCH, CEA, World

from table_snapshot import everything

Send = Callable[[], httpx.Response]


def refused(world: World, send: Send, status: int, code: str) -> dict[str, Any]:
    """``send`` is answered with ``status`` and ``code`` as problem+json; nothing changed."""
    before = everything(world.store)
    response = send()
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert (problem["status"], problem["code"]) == (status, code), problem
    assert everything(world.store) == before
    return problem


def _post(world: World, who: str, path: str, body: Any, key: str = "bad-1") -> Send:
    headers = {**world.headers[who], "Idempotency-Key": key}
    return lambda: world.client.post(path, json=body, headers=headers)


def _get(world: World, who: str, path: str) -> Send:
    return lambda: world.client.get(path, headers=world.headers[who])


def _freeze(world: World, quantity_g: int = 100) -> int:
    body = {
        "account": world.accounts["alice"],
        "asset": BATCH,
        "quantity_g": quantity_g,
        "reason": "pledge",
        "reference": "loan-1",
    }
    response = world.post("alice", "/freezes", body)
    assert response.status_code == 201, response.text
    return int(response.json()["hold_id"])


# ---- U+0000 in any text: 422 nul_character on both databases ---------------------------
def test_a_nul_in_a_login_is_refused(funded: World) -> None:
    body = {"username": "alice\x00", "password": "correct horse battery"}
    send = lambda: funded.client.post("/auth/token", json=body)  # noqa: E731
    refused(funded, send, 422, "nul_character")


def test_a_nul_in_a_freeze_reference_is_refused(funded: World) -> None:
    body = {
        "account": funded.accounts["alice"],
        "asset": BATCH,
        "quantity_g": 1,
        "reason": "pledge",
        "reference": "loan\x00-1",
    }
    refused(funded, _post(funded, "alice", "/freezes", body), 422, "nul_character")


def test_a_nul_in_an_account_name_is_refused(funded: World) -> None:
    body = {"party_id": "zed", "role": "individual", "name": "Zed\x00"}
    refused(funded, _post(funded, "registry", "/accounts", body), 422, "nul_character")


def test_a_nul_in_a_json_key_or_a_list_is_refused(funded: World) -> None:
    body = {"role": "individual", "parties": [{"party_id": "zed", "name": "Z", "x\x00": 1}]}
    refused(funded, _post(funded, "registry", "/accounts/bulk", body), 422, "nul_character")
    body = {"jurisdiction": "GD", "period_start": "2026-06-01", "period_end": "2026-06-30",
            "methodologies": ["walking/v1", "bus\x00"]}  # fmt: skip
    refused(funded, _post(funded, "mee", "/inclusive/issuances", body), 422, "nul_character")


@pytest.mark.parametrize(
    "path",
    [
        "/batches/A%00B",
        "/behaviour/held?day=2026-07-01&partner=%00",
        "/inclusive/issuances?jurisdiction=%00",
        "/journal?account=1000%00",
        "/accounts/%00",
    ],
)
def test_a_nul_in_a_path_or_query_parameter_is_refused(funded: World, path: str) -> None:
    refused(funded, _get(funded, "registry", path), 422, "nul_character")


def test_a_nul_in_a_header_is_refused(funded: World) -> None:
    body = {"account": funded.accounts["alice"], "amount_fen": 1, "reference": "w"}
    send = _post(funded, "alice", "/cash/withdrawals", body, key="key\x00")
    refused(funded, send, 422, "nul_character")


def test_an_unpaired_surrogate_is_refused(funded: World) -> None:
    raw = b'{"party_id": "zed", "role": "individual", "name": "Z\\ud800"}'
    headers = {**funded.headers["registry"], "Idempotency-Key": "s-1"}
    headers["Content-Type"] = "application/json"
    send = lambda: funded.client.post("/accounts", content=raw, headers=headers)  # noqa: E731
    refused(funded, send, 422, "invalid_unicode")


def test_a_nul_in_a_json_lines_event_is_refused_as_that_event(funded: World) -> None:
    """Behaviour events are validated line by line: a NUL refuses its own line only."""
    line = (
        b'{"event_id": "e\\u0000", "person_id": "alice", "behaviour": "metro", '
        b'"start_ms": 1, "end_ms": 2, "quantity": 1, "unit": "km", "evidence_ref": "x"}'
    )
    headers = {**funded.headers["plat-key"], "Content-Type": "application/x-ndjson"}
    before = everything(funded.store)
    response = funded.client.post("/behaviour/events", content=line, headers=headers)
    assert response.status_code == 201, response.text
    report = response.json()
    assert report["accepted"] == 0 and report["rejected"][0]["reason"] == "bad_value"
    assert "U+0000" in report["rejected"][0]["detail"]
    assert everything(funded.store) == before


# ---- JSON bodies and headers that say one thing twice ----------------------------------
def test_a_json_body_with_a_duplicated_key_is_refused(funded: World) -> None:
    a = funded.accounts
    raw = (
        f'{{"from_account": {a["alice"]}, "to_account": {a["bob"]}, "asset": "{BATCH}", '
        '"quantity_g": 1, "quantity_g": 2000000}'
    ).encode()
    headers = {**funded.headers["alice"], "Idempotency-Key": "dup-1"}
    headers["Content-Type"] = "application/json"
    send = lambda: funded.client.post("/transfers", content=raw, headers=headers)  # noqa: E731
    problem = refused(funded, send, 422, "duplicate_key")
    assert "quantity_g" in problem["detail"]


def test_a_duplicated_key_in_a_nested_object_is_refused(funded: World) -> None:
    raw = (
        b'{"denomination": "CCER-CN-AFF0007-2026Q3-002", "allocations": '
        b'[{"account": 1001, "quantity_g": 1, "account": 1002}]}'
    )
    headers = {**funded.headers["mee"], "Idempotency-Key": "dup-2"}
    headers["Content-Type"] = "application/json"
    send = lambda: funded.client.post("/batches", content=raw, headers=headers)  # noqa: E731
    refused(funded, send, 422, "duplicate_key")


@pytest.mark.parametrize(
    "path",
    [
        "/behaviour/held?day=2026-07-01&partner=plat&partner=other",
        "/inclusive/issuances?jurisdiction=GD&jurisdiction=SH",
        "/journal?limit=1&limit=500",
    ],
)
def test_a_query_parameter_given_twice_is_refused(funded: World, path: str) -> None:
    refused(funded, _get(funded, "registry", path), 422, "duplicate_parameter")


@pytest.mark.parametrize(
    "path", ["/journal?after=0.0", "/journal?limit=1e2", "/journal/1.0", "/batches?limit=%201"]
)
def test_an_integer_parameter_not_written_as_one_is_refused(funded: World, path: str) -> None:
    refused(funded, _get(funded, "registry", path), 422, "invalid_request")


def test_two_idempotency_key_headers_are_refused(funded: World) -> None:
    a = funded.accounts
    body = {"from_account": a["alice"], "to_account": a["bob"], "asset": BATCH, "quantity_g": 1}
    headers = [
        *funded.headers["alice"].items(),
        ("Idempotency-Key", "one"),
        ("Idempotency-Key", "two"),
    ]
    send = lambda: funded.client.post("/transfers", json=body, headers=headers)  # noqa: E731
    refused(funded, send, 400, "duplicate_header")


def test_two_authorization_headers_are_refused(funded: World) -> None:
    headers = [*funded.headers["alice"].items(), *funded.headers["registry"].items()]
    send = lambda: funded.client.get("/verify", headers=headers)  # noqa: E731
    refused(funded, send, 400, "duplicate_header")


# ---- state conflicts are 409 with stable codes -----------------------------------------
def test_releasing_a_released_hold_is_hold_released(funded: World) -> None:
    hold_id = _freeze(funded)
    path = f"/freezes/{hold_id}/unfreeze"
    assert funded.post("alice", path, {}).status_code == 201
    refused(funded, _post(funded, "alice", path, {}), 409, "hold_released")
    refused(funded, _post(funded, "alice", path, {"quantity_g": 1}, "bad-2"), 409, "hold_released")


def test_releasing_more_than_a_hold_has_is_a_conflict(funded: World) -> None:
    path = f"/freezes/{_freeze(funded)}/unfreeze"
    refused(funded, _post(funded, "alice", path, {"quantity_g": 101}), 409, "exceeds_hold")


def test_opening_an_existing_party_is_party_exists(funded: World) -> None:
    body = {"party_id": "alice", "role": "individual", "name": "Alice again"}
    refused(funded, _post(funded, "registry", "/accounts", body), 409, "party_exists")
    bulk = {"role": "individual", "parties": [{"party_id": "zed"}, {"party_id": "bob"}]}
    refused(funded, _post(funded, "registry", "/accounts/bulk", bulk, "bad-2"), 409, "party_exists")


def test_issuing_an_existing_batch_is_batch_exists(funded: World) -> None:
    allocations = [{"account": funded.accounts["bob"], "quantity_g": 1}]
    body = {"denomination": BATCH, "allocations": allocations}
    refused(funded, _post(funded, "mee", "/batches", body), 409, "batch_exists")


def test_a_surrender_by_a_non_emitter_is_not_an_emitter(funded: World) -> None:
    body = {"account": funded.accounts["alice"], "asset": BATCH, "quantity_g": 1, "period": "2026"}
    refused(funded, _post(funded, "alice", "/surrenders", body), 409, "not_an_emitter")


def test_correcting_a_final_or_corrected_entry_is_a_conflict(funded: World) -> None:
    body = {"account": funded.accounts["steelco"], "asset": CEA, "quantity_g": 5, "period": "2026"}
    surrendered = funded.post("steelco", "/surrenders", body).json()["seq"]
    undo = {"seq": surrendered, "reason": "undo"}
    refused(funded, _post(funded, "registry", "/corrections", undo), 409, "not_correctable")
    a = funded.accounts
    move = {"from_account": a["alice"], "to_account": a["bob"], "asset": BATCH, "quantity_g": 1}
    moved = funded.post("alice", "/transfers", move).json()["seq"]
    again = {"seq": moved, "reason": "mistake"}
    assert funded.post("registry", "/corrections", again).status_code == 201
    send = _post(funded, "registry", "/corrections", again, "bad-2")
    refused(funded, send, 409, "already_corrected")


def test_a_second_login_for_a_username_is_user_exists(funded: World) -> None:
    # A well-formed request the state forbids: 409, not 422 (identity's own tests cover
    # the rest of the login rules).
    body = {"username": "alice", "party_id": "alice", "password": "another password"}
    refused(funded, _post(funded, "registry", "/identity/logins", body), 409, "user_exists")


# ---- a day is YYYY-MM-DD, never a timestamp --------------------------------------------
@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("registry", "/behaviour/held?day=0"),
        ("registry", "/behaviour/days/0/report?partner_id=plat"),
        ("alice", "/me/energy?day_from=0"),
        ("alice", "/me/energy?day_to=1700000000"),
        ("alice", "/rules/GD/in-force?on=0"),
        ("alice", "/rules/GD/0"),
    ],
)
def test_a_day_given_as_a_number_is_refused(funded: World, who: str, path: str) -> None:
    refused(funded, _get(funded, who, path), 422, "bad_date")


def test_a_day_in_a_json_body_given_as_a_number_is_refused(funded: World) -> None:
    body = {"jurisdiction": "GD", "period_start": 0, "period_end": "2026-06-30"}
    refused(funded, _post(funded, "mee", "/inclusive/issuances", body), 422, "bad_date")


# ---- carbon-inclusive issue: authority before state ------------------------------------
@pytest.fixture
def opened(funded: World) -> Iterator[int]:
    body = {"jurisdiction": "GD", "period_start": "2026-06-01", "period_end": "2026-06-30"}
    response = funded.post("mee", "/inclusive/issuances", body)
    assert response.status_code == 201, response.text
    yield int(response.json()["issuance_id"])


def test_issuing_is_refused_to_a_non_authority_before_the_state_is_read(
    funded: World, opened: int
) -> None:
    for issuance_id in (opened, 424_242):
        path = f"/inclusive/issuances/{issuance_id}/issue"
        refused(funded, _post(funded, "alice", path, None), 403, "forbidden")
    june = {"jurisdiction": "GD", "period_start": "2026-06-01", "period_end": "2026-06-30"}
    refused(funded, _post(funded, "alice", "/inclusive/issuances", june), 403, "forbidden")
    # An authority is told the state.
    path = f"/inclusive/issuances/{opened}/issue"
    refused(funded, _post(funded, "mee", path, None), 409, "not_verified")


# ---- 405 names every method of the path ------------------------------------------------
def test_a_wrong_method_is_answered_with_every_method_of_the_path(world: World) -> None:
    response = world.client.put("/batches", headers=world.headers["registry"])
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "method_not_allowed"
    assert response.headers["allow"] == "GET, POST"
    response = world.client.delete("/accounts/1000", headers=world.headers["registry"])
    assert response.headers["allow"] == "GET"


# ---- the same for every operation of the document (routes added later included) -------
def _operations(world: World) -> list[tuple[str, str, dict[str, Any]]]:
    paths = world.client.get("/openapi.json").json()["paths"]
    return [(path, method, op) for path, item in paths.items() for method, op in item.items()]


def _headers(world: World) -> dict[str, str]:
    return {**world.headers["registry"], "Idempotency-Key": "every-1"}


def test_a_nul_in_any_path_or_query_of_any_operation_is_refused(funded: World) -> None:
    before = everything(funded.store)
    for path, method, _ in _operations(funded):
        urls = [path.replace("{", "").replace("}", "") + "?q=%00"]
        if "{" in path:
            urls.append(re.sub(r"\{[^}]+\}", "a%00b", path))
        for url in urls:
            response = funded.client.request(method, url, headers=_headers(funded))
            assert response.status_code == 422, (method, url, response.text)
            assert response.json()["code"] == "nul_character", (method, url)
    assert everything(funded.store) == before


def test_a_nul_in_any_json_body_of_any_operation_is_refused(funded: World) -> None:
    before = everything(funded.store)
    for path, method, op in _operations(funded):
        if "application/json" not in op.get("requestBody", {}).get("content", {}):
            continue
        url = re.sub(r"\{[^}]+\}", "1", path)
        response = funded.client.request(method, url, json={"x": "\x00"}, headers=_headers(funded))
        assert (response.status_code, response.json()["code"]) == (422, "nul_character"), url
    assert everything(funded.store) == before


def _is_day(schema: dict[str, Any]) -> bool:
    return schema.get("format") == "date" or any(_is_day(s) for s in schema.get("anyOf", ()))


def test_a_number_for_any_day_parameter_of_any_operation_is_refused(funded: World) -> None:
    checked = 0
    for path, method, op in _operations(funded):
        for parameter in op.get("parameters", ()):
            if parameter["in"] not in ("path", "query") or not _is_day(parameter["schema"]):
                continue
            name = parameter["name"]
            url = re.sub(r"\{[^}]+\}", "1", path.replace("{" + name + "}", "0"))
            if parameter["in"] == "query":
                url += f"?{name}=0"
            response = funded.client.request(method, url, headers=_headers(funded))
            assert (response.status_code, response.json()["code"]) == (422, "bad_date"), url
            checked += 1
    assert checked >= 6


def test_malformed_bodies_are_invalid_requests_with_or_without_a_content_type(
    funded: World,
) -> None:
    headers = {**funded.headers["alice"], "Idempotency-Key": "raw-1"}
    for raw in (b'{"from_account": 1000,', b"\xff\xfe{}", b"[" * 100_000):
        for content_type in ("application/json", None):
            sent = dict(headers)
            if content_type is not None:
                sent["Content-Type"] = content_type
            send = lambda: funded.client.post("/transfers", content=raw, headers=sent)  # noqa: B023, E731
            refused(funded, send, 422, "invalid_request")
