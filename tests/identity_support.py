"""Logins for tests that act over HTTP, made and used through the identity service, and
``PartyApi``, the API as those parties drive it.

The tests hash passwords cheaply by configuration (``PCTRADE_PASSWORD_HASHING``, set in
``tests/conftest.py``), not by a code path of their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi.testclient import TestClient

from pctrade.bootstrap import App
from pctrade.identity.commands import CreateLogin
from pctrade.identity.model import TOKEN_TTL_S
from pctrade.ledger.model import SYSTEM_OWNER

PASSWORD = "correct horse battery"


def create_logins(app: App, parties: Iterable[str], password: str = PASSWORD) -> None:
    """A login per party, its username the party's id, made by the registry operator."""
    for party in parties:
        cmd = CreateLogin(party, party, password)
        app.identity.create_login(SYSTEM_OWNER, f"test-login:{party}", cmd)


def bearer(
    app: App, username: str, password: str = PASSWORD, ttl_s: int = TOKEN_TTL_S
) -> dict[str, str]:
    """The Authorization header of a fresh login."""
    token = app.identity.login(username, password, client="test", ttl_s=ttl_s)
    return {"Authorization": f"Bearer {token.token}"}


class PartyApi:
    """The HTTP API as a test's parties drive it, each logged in as itself.

    ``post`` as one of them (with an idempotency key unless ``key`` is None), ``ok`` for
    a request that must succeed (``ok_status``, or 200/201 when that is None), ``get``
    with its expected status, and ``refused``: the problem's status and code, and nothing
    written (``snapshot`` unchanged, which each area defines over its own tables).
    """

    ok_status: int | None = None

    def __init__(
        self, client: TestClient, app: App, parties: Iterable[str], password: str = PASSWORD
    ) -> None:
        self.client, self.app, self.password = client, app, password
        self.parties = tuple(parties)
        create_logins(app, self.parties, password)
        self.headers: dict[str, dict[str, str]] = {}
        self.login()

    def login(self) -> None:
        """A fresh token per party (after the clock moves, say)."""
        self.headers = {party: bearer(self.app, party, self.password) for party in self.parties}

    def snapshot(self) -> object:
        raise NotImplementedError

    def post(self, who: str, path: str, body: Any, key: str | None = "k") -> Any:
        headers = dict(self.headers[who])
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.client.post(path, json=body, headers=headers)

    def ok(self, who: str, path: str, body: Any, key: str = "k", status: int | None = None) -> Any:
        response = self.post(who, path, body, key)
        expected = status or self.ok_status
        if expected is None:
            assert response.status_code in (200, 201), response.text
        else:
            assert response.status_code == expected, response.text
        return response.json()

    def refused(self, who: str, path: str, body: Any, status: int, code: str) -> None:
        before = self.snapshot()
        response = self.post(who, path, body, key=f"refused-{code}")
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == code, response.text
        assert self.snapshot() == before

    def get(self, who: str, path: str, status: int = 200) -> Any:
        response = self.client.get(path, headers=self.headers[who])
        assert response.status_code == status, response.text
        return response.json()
