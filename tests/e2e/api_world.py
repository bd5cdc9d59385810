"""The API tests' world: a cast of parties with logins, and helpers to read state.

A test states a rule through ``World``: ``post`` as a party (a fresh Idempotency-Key
each time unless one is given), and ``state()`` to read the journal head and every
holder's balances and holds through the API, before and after a refused request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from pctrade.ledger import queries
from pctrade.ledger.model import Role
from pctrade.ledger.sql.store import SqlStore

PASSWORD = "correct horse battery"
BATCH = "CCER-CN-AFF0007-2026Q3-001"
CEA = "CEA-GD-ALLOC-2026-001"
TOKEN_TTL_S = 3600  # the API's token lifetime in these tests (``wired``'s settings)


class Clock:
    """A clock the tests move forward (to expire tokens)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 7, 1, 9, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class World:
    """The cast, their accounts and their auth headers."""

    client: TestClient
    store: SqlStore
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    accounts: dict[str, int] = field(default_factory=dict)
    api_key: str = ""
    keys: int = 0

    def post(self, who: str, path: str, body: Any, key: str | None = None) -> Any:
        """POST as ``who`` with a fresh Idempotency-Key unless one is given."""
        if key is None:
            self.keys += 1
            key = f"k-{self.keys}"
        headers = {**self.headers[who], "Idempotency-Key": key}
        return self.client.post(path, json=body, headers=headers)

    def get(self, who: str, path: str, **params: Any) -> Any:
        return self.client.get(path, headers=self.headers[who], params=params)

    def head_seq(self) -> int:
        """The journal's last sequence number, read through GET /journal (as the
        registry operator; tests keep the journal under one page)."""
        after = 0
        while True:
            page = self.get("registry", "/journal", after=after, limit=500).json()
            if page["entries"]:
                after = page["entries"][-1]["seq"]
            if page["next_after"] is None:
                return after

    def holdings(self, who: str) -> Any:
        body = self.get("registry", f"/accounts/{self.accounts[who]}").json()
        return body["holdings"], body["holds"]

    def state(self) -> tuple[int, dict[str, Any]]:
        """The journal head (over HTTP) and every holder's balances and holds (read from
        the store directly: the same data GET /accounts serves, without nine requests)."""
        views = {who: queries.account_view(self.store, a) for who, a in self.accounts.items()}
        return self.head_seq(), views


CAST = [
    ("mee", Role.REGULATOR),
    ("alice", Role.INDIVIDUAL),
    ("bob", Role.INDIVIDUAL),
    ("plat", Role.PLATFORM),
    ("steelco", Role.EMITTER),
]


def assert_refused(
    world: World,
    who: str,
    path: str,
    body: Any,
    status: int,
    code: str,
    *,
    key: str | None = None,
    raw: bytes | None = None,
) -> dict[str, Any]:
    """Send a request that must be refused with ``status`` and ``code``, and check that
    the journal head and every balance and hold are exactly as before."""
    before = world.state()
    if raw is None:
        response = world.post(who, path, body, key=key)
    else:
        headers = {
            **world.headers[who],
            "Idempotency-Key": key or "raw-1",
            "Content-Type": "application/json",
        }
        response = world.client.post(path, content=raw, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert (problem["status"], problem["code"]) == (status, code), problem
    assert problem["type"].endswith(code) and problem["title"] and problem["detail"]
    assert world.state() == before
    return dict(problem)
