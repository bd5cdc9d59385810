"""Authentication: who is calling. Users log in for bearer tokens; partners use API keys.

Both kinds of credential resolve to a *party*, the actor of every service call; what
that party may do is decided by the registry's access rules, not here.

- A **user** has a username and a password, stored only as a bcrypt hash. Logging in
  issues an opaque random **bearer token** that expires after ``ttl_s``.
- An **API key** is issued once to a partner system (a platform, a data partner).

Tokens and keys are stored only as their SHA-256: they are long random strings, so a
fast hash suffices, and a leaked table does not leak a usable credential. None of this
is registry state: the tables sit beside the journal, not in it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import bcrypt

from pctrade.api.problems import AuthenticationError
from pctrade.kernel.errors import Conflict, NotFound, ValidationError
from pctrade.kernel.limits import LABEL_LEN_MAX, PARTY_ID_LEN_MAX
from pctrade.ledger.journal import format_ts
from pctrade.ledger.model import PartyId
from pctrade.ledger.sql import logins
from pctrade.ledger.sql.store import SqlStore

BCRYPT_ROUNDS = 12
PASSWORD_CHARS_MIN = 8
PASSWORD_BYTES_MAX = 72  # bcrypt reads no further; longer passwords are refused, not cut
TOKEN_TTL_S = 12 * 3600
_USERNAME_RE = re.compile(rf"^[A-Za-z0-9_.@-]{{1,{PARTY_ID_LEN_MAX}}}$")
TOKEN_PREFIX = "pct_t_"
API_KEY_PREFIX = "pct_k_"

# Checked against when the username is unknown, so that a wrong username costs the same
# time as a wrong password and does not reveal which usernames exist.
_DUMMY_HASH = bcrypt.hashpw(b"no such user", bcrypt.gensalt(4))


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    party_id: PartyId
    expires_at: str


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _check_password(password: str) -> bytes:
    raw = password.encode()
    if len(password) < PASSWORD_CHARS_MIN:
        raise ValidationError(
            f"a password has at least {PASSWORD_CHARS_MIN} characters", code="weak_password"
        )
    if len(raw) > PASSWORD_BYTES_MAX:
        raise ValidationError(
            f"a password has at most {PASSWORD_BYTES_MAX} bytes", code="password_too_long"
        )
    return raw


def _require_party(store: SqlStore, party_id: PartyId) -> None:
    with store.reader() as uow:
        if uow.party(party_id) is None:
            raise NotFound(f"no party {party_id}", code="unknown_party")


def create_user(
    store: SqlStore, username: str, password: str, party_id: PartyId, *, rounds: int = BCRYPT_ROUNDS
) -> None:
    """Register a login for an existing party."""
    if not _USERNAME_RE.match(username):
        raise ValidationError(
            f"a username is 1-{PARTY_ID_LEN_MAX} letters, digits or _.@-", code="bad_username"
        )
    raw = _check_password(password)
    _require_party(store, party_id)
    hashed = bcrypt.hashpw(raw, bcrypt.gensalt(rounds)).decode()
    if not logins.add_user(store, username, hashed, party_id):
        raise Conflict(f"user {username!r} exists", code="user_exists")


def issue_api_key(store: SqlStore, party_id: PartyId, label: str) -> str:
    """Create an API key for a party; the plaintext is returned once and never stored."""
    if len(label) > LABEL_LEN_MAX:
        raise ValidationError(f"label is longer than {LABEL_LEN_MAX} characters", code="too_long")
    _require_party(store, party_id)
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    logins.add_api_key(store, secret_digest(key), party_id, label)
    return key


def login(
    store: SqlStore, username: str, password: str, *, now: datetime, ttl_s: int = TOKEN_TTL_S
) -> IssuedToken:
    """Check a password and issue a bearer token; expired tokens of the party are dropped."""
    row = logins.user(store, username)
    # bcrypt refuses input past 72 bytes; stored passwords are never longer (create_user
    # refuses them), so cutting here cannot make a wrong password match.
    raw = password.encode()[:PASSWORD_BYTES_MAX]
    stored = row.password_hash.encode() if row is not None else _DUMMY_HASH
    if not bcrypt.checkpw(raw, stored) or row is None:
        raise AuthenticationError("wrong username or password", code="invalid_credentials")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = format_ts(now + timedelta(seconds=ttl_s))
    logins.add_token(store, secret_digest(token), row.party_id, expires_at, format_ts(now))
    return IssuedToken(token, row.party_id, expires_at)


def party_for_token(store: SqlStore, token: str, *, now: datetime) -> PartyId:
    row = logins.token(store, secret_digest(token))
    if row is None:
        raise AuthenticationError("unknown bearer token", code="invalid_token")
    if row.expires_at <= format_ts(now):
        raise AuthenticationError("the bearer token has expired", code="token_expired")
    return str(row.party_id)


def party_for_api_key(store: SqlStore, key: str) -> PartyId:
    digest = secret_digest(key)
    row = logins.api_key(store, digest)
    # The lookup is by digest; the constant-time compare guards the final equality.
    if row is None or not hmac.compare_digest(row.key_hash, digest):
        raise AuthenticationError("unknown API key", code="invalid_api_key")
    return str(row.party_id)
