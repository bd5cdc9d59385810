"""Migration 0011 on a registry that already has logins, tokens and API keys.

A database is taken down to 0010 (the tables as the old ``api.auth`` wrote them), given
a bcrypt login, a token and a partner's API key the old way, and upgraded again: the
login still works and is rehashed to argon2id, the key still works and is listed with
an id, the token has ended (tokens are made afresh). Down and up again on SQLite and on
a PostgreSQL database of its own.
"""

from __future__ import annotations

import hashlib

import bcrypt
import pytest
import sqlalchemy as sa

from identity_support import PASSWORD
from migration_support import alembic_run
from pctrade import bootstrap
from pctrade.kernel.errors import AuthenticationError
from pctrade.ledger import commands as c
from pctrade.ledger.model import Role
from pctrade.ledger.sql.store import SqlStore

KEY = "pct_k_" + "k" * 43
TOKEN = "pct_t_" + "t" * 43


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def test_logins_and_keys_made_before_0011_still_work_after_it(url: str) -> None:
    with bootstrap.build(url) as app:
        app.registry.open_account("registry", "o1", c.OpenAccount("plat", Role.PLATFORM))
    store = SqlStore(url)
    try:
        alembic_run(store, "downgrade", "0010")
        old_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
        with store.engine.begin() as conn:
            conn.execute(
                sa.text("INSERT INTO users VALUES ('plat-ops', :h, 'plat')"), {"h": old_hash}
            )
            conn.execute(
                sa.text("INSERT INTO tokens VALUES (:t, 'plat', '2999-01-01T00:00:00.000000Z')"),
                {"t": digest(TOKEN)},
            )
            conn.execute(
                sa.text("INSERT INTO api_keys VALUES (:k, 'plat', 'feed')"), {"k": digest(KEY)}
            )
        alembic_run(store, "upgrade", "head")
    finally:
        store.dispose()
    with bootstrap.build(url) as app:
        identity = app.identity
        assert identity.party_for_api_key(KEY) == "plat"
        [listed] = identity.api_keys("registry", "plat")
        assert (listed["key_id"], listed["label"], listed["shown"]) == (1, "feed", "pct_k_")
        with pytest.raises(AuthenticationError) as ended:
            identity.session(TOKEN)
        assert ended.value.code == "invalid_token"
        assert identity.login("plat-ops", PASSWORD).party_id == "plat"
        with app.store.engine.connect() as conn:
            stored = conn.execute(sa.text("SELECT password_hash FROM users")).scalar_one()
        assert stored.startswith("$argon2id$")
