"""The SQL of logins: users, bearer tokens and API keys (tables ``users``, ``tokens``,
``api_keys``), for ``api.auth``, which owns the rules (bcrypt, expiry, digests).

These tables sit beside the journal and are not registry state, so each write is its
own short transaction on the store's engine, not a journal unit of work.
"""

from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa

from pctrade.ledger.model import PartyId
from pctrade.ledger.sql import schema as t
from pctrade.ledger.sql.store import SqlStore


class UserRow(NamedTuple):
    password_hash: str
    party_id: PartyId


class TokenRow(NamedTuple):
    party_id: PartyId
    expires_at: str


class ApiKeyRow(NamedTuple):
    key_hash: str
    party_id: PartyId


def add_user(store: SqlStore, username: str, password_hash: str, party_id: PartyId) -> bool:
    """Store a login; False (and nothing written) if the username is taken."""
    with store.engine.begin() as conn:
        taken = conn.execute(
            sa.select(t.users.c.username).where(t.users.c.username == username)
        ).first()
        if taken is not None:
            return False
        conn.execute(
            t.users.insert().values(
                username=username, password_hash=password_hash, party_id=party_id
            )
        )
    return True


def user(store: SqlStore, username: str) -> UserRow | None:
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(t.users).where(t.users.c.username == username)).first()
    return None if row is None else UserRow(row.password_hash, row.party_id)


def usernames(store: SqlStore) -> set[str]:
    with store.engine.connect() as conn:
        return {r[0] for r in conn.execute(sa.select(t.users.c.username))}


def add_api_key(store: SqlStore, key_hash: str, party_id: PartyId, label: str) -> None:
    with store.engine.begin() as conn:
        conn.execute(t.api_keys.insert().values(key_hash=key_hash, party_id=party_id, label=label))


def api_key(store: SqlStore, key_hash: str) -> ApiKeyRow | None:
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(t.api_keys).where(t.api_keys.c.key_hash == key_hash)).first()
    return None if row is None else ApiKeyRow(row.key_hash, row.party_id)


def add_token(
    store: SqlStore, token_hash: str, party_id: PartyId, expires_at: str, now_ts: str
) -> None:
    """Store a token, dropping the party's tokens expired by ``now_ts`` in the same step."""
    with store.engine.begin() as conn:
        # Timestamps are fixed-width UTC ISO strings, so text order is time order.
        conn.execute(
            t.tokens.delete().where(
                t.tokens.c.party_id == party_id, t.tokens.c.expires_at <= now_ts
            )
        )
        conn.execute(
            t.tokens.insert().values(
                token_hash=token_hash, party_id=party_id, expires_at=expires_at
            )
        )


def token(store: SqlStore, token_hash: str) -> TokenRow | None:
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(t.tokens).where(t.tokens.c.token_hash == token_hash)).first()
    return None if row is None else TokenRow(row.party_id, row.expires_at)
