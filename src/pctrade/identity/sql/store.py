"""Identity's tables (SQLAlchemy Core) and their reads and writes.

    users            a login: username → its party and password hash (argon2id, or an
                     old bcrypt hash until its next login)
    tokens           a bearer token's SHA-256 → its login, party and expiry; a revoked or
                     logged-out token is deleted
    api_keys         a partner's keys: the key's SHA-256, a few characters shown in
                     listings, label, when created, rotated, revoked
    party_facts      a party's real-name facts and its onboarding agent (personal data)
    identity_events  the audit log: every login, failed login, logout, revocation,
                     password change, login or key created, onboarding, facts recorded
    login_throttle   login attempts per account and per client address in the current
                     window (shared by every server process through the database)

None of this is registry state: the tables sit beside the journal, not in it. Every
function runs in the caller's unit of work (``uow.execute``), so identity rows commit
or roll back with what they belong to (an onboarding's journal entry, a request-log
row). Timestamps are fixed-width UTC ISO text, so their text order is time order.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
)

from pctrade.identity.model import CLIENT_LEN_MAX, Scope
from pctrade.kernel.limits import LABEL_LEN_MAX, PARTY_ID_LEN_MAX, REASON_LEN_MAX
from pctrade.ledger.model import PartyId
from pctrade.ledger.ports import UnitOfWork

metadata = MetaData()
TS = String(32)
DAY = String(10)
PARTY = String(PARTY_ID_LEN_MAX)
# A 64-bit id that is still SQLite's rowid (so it autoincrements there too).
ROW_ID = BigInteger().with_variant(Integer(), "sqlite")
Row = dict[str, Any]

users = Table(
    "users",
    metadata,
    Column("username", String(PARTY_ID_LEN_MAX), primary_key=True),
    Column("password_hash", String(128), nullable=False),
    Column("party_id", PARTY, nullable=False),
    Index("ix_users_party_id", "party_id"),
)

tokens = Table(
    "tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("party_id", PARTY, nullable=False),
    Column("username", String(PARTY_ID_LEN_MAX), nullable=False),
    Column("issued_at", TS, nullable=False),
    Column("expires_at", TS, nullable=False),
    Index("ix_tokens_party_id", "party_id"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", Integer, autoincrement=True),
    Column("key_hash", String(64), nullable=False),
    Column("party_id", PARTY, nullable=False),
    Column("label", String(LABEL_LEN_MAX), nullable=False),
    Column("shown", String(16), nullable=False),
    Column("created_at", TS, nullable=True),  # NULL: made before migration 0011
    Column("created_by", PARTY, nullable=True),
    Column("rotated_at", TS, nullable=True),
    Column("revoked_at", TS, nullable=True),
    PrimaryKeyConstraint("key_id", name="pk_api_keys"),
    UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),
    Index("ix_api_keys_party_id", "party_id", "key_id"),
)

party_facts = Table(
    "party_facts",
    metadata,
    Column("party_id", PARTY, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("onboarded_by", PARTY, nullable=True),
    Column("real_name_verified", Boolean, nullable=False),
    Column("real_name_verified_on", DAY, nullable=True),
    Column("real_name_method", String(32), nullable=True),
    Column("risk_level", String(2), nullable=True),
    Column("risk_assessed_on", DAY, nullable=True),
    Column("birth_date", DAY, nullable=True),
    Column("credit_code", String(18), nullable=True),
    Column("net_assets_fen", BigInteger, nullable=True),
    Column("recorded_by", PARTY, nullable=False),
    Column("recorded_at", TS, nullable=False),
)

identity_events = Table(
    "identity_events",
    metadata,
    Column("event_id", ROW_ID, primary_key=True, autoincrement=True),
    Column("ts", TS, nullable=False),
    Column("event", String(32), nullable=False),
    Column("actor", PARTY, nullable=True),
    Column("party_id", PARTY, nullable=True),
    Column("username", String(PARTY_ID_LEN_MAX), nullable=True),
    Column("client", String(CLIENT_LEN_MAX), nullable=True),
    Column("detail", String(REASON_LEN_MAX), nullable=True),
    Index("ix_identity_events_party_id", "party_id", "event_id"),
)

login_throttle = Table(
    "login_throttle",
    metadata,
    Column("scope", String(8), nullable=False),
    Column("key", String(64), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("window_start", TS, nullable=False),
    PrimaryKeyConstraint("scope", "key", name="pk_login_throttle"),
    Index("ix_login_throttle_window_start", "window_start"),
)


# ---- logins ----------------------------------------------------------------------------
def user(uow: UnitOfWork, username: str) -> Row | None:
    row = uow.execute(sa.select(users).where(users.c.username == username)).first()
    return None if row is None else dict(row._mapping)


def add_user(uow: UnitOfWork, username: str, password_hash: str, party_id: PartyId) -> bool:
    """Store a login; False (and nothing written) if the username is taken."""
    if user(uow, username) is not None:
        return False
    uow.execute(
        users.insert().values(username=username, password_hash=password_hash, party_id=party_id)
    )
    return True


def set_password_hash(uow: UnitOfWork, username: str, password_hash: str) -> None:
    uow.execute(
        users.update().where(users.c.username == username).values(password_hash=password_hash)
    )


def logins_of(uow: UnitOfWork, party_id: PartyId) -> int:
    query = sa.select(sa.func.count()).select_from(users).where(users.c.party_id == party_id)
    return int(uow.execute(query).scalar_one())


# ---- tokens ----------------------------------------------------------------------------
def add_token(uow: UnitOfWork, row: Row) -> None:
    """Store a token, dropping its party's tokens expired by then in the same step."""
    uow.execute(
        tokens.delete().where(
            tokens.c.party_id == row["party_id"], tokens.c.expires_at <= row["issued_at"]
        )
    )
    uow.execute(tokens.insert().values(**row))


def token(uow: UnitOfWork, token_hash: str) -> Row | None:
    row = uow.execute(sa.select(tokens).where(tokens.c.token_hash == token_hash)).first()
    return None if row is None else dict(row._mapping)


def delete_token(uow: UnitOfWork, token_hash: str) -> int:
    return int(uow.execute(tokens.delete().where(tokens.c.token_hash == token_hash)).rowcount)


def delete_tokens_of(uow: UnitOfWork, party_id: PartyId) -> int:
    return int(uow.execute(tokens.delete().where(tokens.c.party_id == party_id)).rowcount)


# ---- API keys --------------------------------------------------------------------------
def add_api_key(uow: UnitOfWork, row: Row) -> int:
    result = uow.execute(api_keys.insert().values(**row).returning(api_keys.c.key_id))
    return int(result.scalar_one())


def api_key_by_hash(uow: UnitOfWork, key_hash: str) -> Row | None:
    row = uow.execute(sa.select(api_keys).where(api_keys.c.key_hash == key_hash)).first()
    return None if row is None else dict(row._mapping)


def api_key(uow: UnitOfWork, key_id: int) -> Row | None:
    row = uow.execute(sa.select(api_keys).where(api_keys.c.key_id == key_id)).first()
    return None if row is None else dict(row._mapping)


def api_keys_of(uow: UnitOfWork, party_id: PartyId, after: int, limit: int) -> list[Row]:
    query = (
        sa.select(api_keys)
        .where(api_keys.c.party_id == party_id, api_keys.c.key_id > after)
        .order_by(api_keys.c.key_id)
        .limit(limit)
    )
    return [dict(r._mapping) for r in uow.execute(query)]


def api_key_count(uow: UnitOfWork, party_id: PartyId) -> int:
    query = sa.select(sa.func.count()).select_from(api_keys).where(api_keys.c.party_id == party_id)
    return int(uow.execute(query).scalar_one())


def update_api_key(uow: UnitOfWork, key_id: int, **values: Any) -> None:
    uow.execute(api_keys.update().where(api_keys.c.key_id == key_id).values(**values))


# ---- real-name facts -------------------------------------------------------------------
def facts(uow: UnitOfWork, party_id: PartyId) -> Row | None:
    row = uow.execute(sa.select(party_facts).where(party_facts.c.party_id == party_id)).first()
    return None if row is None else dict(row._mapping)


def put_facts(uow: UnitOfWork, row: Row) -> None:
    """Insert or replace a party's facts (one row per party: the facts as they are now)."""
    found = uow.execute(
        party_facts.update().where(party_facts.c.party_id == row["party_id"]).values(**row)
    )
    if found.rowcount == 0:
        uow.execute(party_facts.insert().values(**row))


# ---- the audit log ---------------------------------------------------------------------
def record_event(uow: UnitOfWork, row: Row) -> None:
    uow.execute(identity_events.insert().values(**row))


def events(uow: UnitOfWork, after: int, limit: int, party_id: PartyId | None) -> list[Row]:
    query = sa.select(identity_events).where(identity_events.c.event_id > after)
    if party_id is not None:
        query = query.where(identity_events.c.party_id == party_id)
    query = query.order_by(identity_events.c.event_id).limit(limit)
    return [dict(r._mapping) for r in uow.execute(query)]


# ---- login throttling ------------------------------------------------------------------
# One statement per charge, so that concurrent attempts from any number of server
# processes each count: a window that has ended starts afresh with this attempt.
_CHARGE = sa.text(
    """
INSERT INTO login_throttle (scope, key, attempts, window_start) VALUES (:scope, :key, 1, :now)
ON CONFLICT (scope, key) DO UPDATE SET
  attempts = CASE WHEN login_throttle.window_start <= :ended THEN 1
                  ELSE login_throttle.attempts + 1 END,
  window_start = CASE WHEN login_throttle.window_start <= :ended THEN :now
                      ELSE login_throttle.window_start END
RETURNING attempts, window_start
"""
)


def charge(uow: UnitOfWork, scope: Scope, key: str, now: str, ended: str) -> tuple[int, str]:
    """Count one attempt against (scope, key): the attempts in its window and when the
    window started. ``ended``: a window that started at or before it is over."""
    row = uow.execute(_CHARGE, {"scope": str(scope), "key": key, "now": now, "ended": ended}).one()
    return int(row.attempts), str(row.window_start)


def reset(uow: UnitOfWork, scope: Scope, key: str) -> None:
    uow.execute(
        login_throttle.delete().where(
            login_throttle.c.scope == str(scope), login_throttle.c.key == key
        )
    )


def refund(uow: UnitOfWork, scope: Scope, key: str) -> None:
    uow.execute(
        login_throttle.update()
        .where(
            login_throttle.c.scope == str(scope),
            login_throttle.c.key == key,
            login_throttle.c.attempts > 0,
        )
        .values(attempts=login_throttle.c.attempts - 1)
    )


# On PostgreSQL the sweep takes only rows no other login holds (SKIP LOCKED): it never
# waits, so it cannot close a cycle with logins charging the rows it would sweep.
_SWEEP_PG = sa.text(
    """
DELETE FROM login_throttle WHERE (scope, key) IN (
  SELECT scope, key FROM login_throttle WHERE window_start <= :ended FOR UPDATE SKIP LOCKED)
"""
)


def forget_ended_windows(uow: UnitOfWork, ended: str) -> None:
    """Drop the counters whose window is over (a login would start them afresh anyway),
    so the table holds only the current window's usernames and addresses. Called after
    the attempt's own charges, so a login takes its row locks in one order."""
    if uow.is_postgres:
        uow.execute(_SWEEP_PG, {"ended": ended})
    else:  # SQLite has one writer at a time
        uow.execute(login_throttle.delete().where(login_throttle.c.window_start <= ended))
