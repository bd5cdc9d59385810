"""Logins for tests that act over HTTP: made and used through the identity service.

The tests hash passwords cheaply by configuration (``PCTRADE_PASSWORD_HASHING``, set in
``tests/conftest.py``), not by a code path of their own.
"""

from __future__ import annotations

from collections.abc import Iterable

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
