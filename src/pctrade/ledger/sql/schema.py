"""The registry's tables (SQLAlchemy Core). Alembic migrations create them.

``entries`` and ``postings`` are the journal, the system of record. ``balances``,
``holds`` and ``batches.issued_g`` are derived from it and kept in step inside the
same transaction; ``pctrade verify`` recomputes them from the journal alone.

Conservation, written here as in ``domain/invariants.py``: per asset, the sum of all
``balances.amount`` is zero; per batch, issued_g = -(issuance source balance) = the sum
of its available, frozen, surrendered, retired and cancelled balances. The CHECK on
``balances`` makes a negative holding impossible even if the code above it erred; only
the two source balances (state 9) mirror what exists as a negative number.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from pctrade.kernel.entropy import TOKEN_LEN
from pctrade.kernel.limits import (
    IDEM_KEY_LEN_MAX,
    NAME_LEN_MAX,
    REASON_LEN_MAX,
    REFERENCE_LEN_MAX,
)
from pctrade.ledger.model import State

metadata = MetaData()

registry_head = Table(
    "registry_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_seq", BigInteger, nullable=False),
    Column("last_hash", String(64), nullable=False),
    Column("next_account_id", BigInteger, nullable=False),
    Column("next_asset_id", BigInteger, nullable=False),
)

parties = Table(
    "parties",
    metadata,
    Column("party_id", String(64), primary_key=True),
    Column("role", String(32), nullable=False),
    Column("name", String(NAME_LEN_MAX), nullable=False),
    Column("opened_seq", BigInteger, nullable=False, index=True),
)

accounts = Table(
    "accounts",
    metadata,
    Column("account_id", BigInteger, primary_key=True, autoincrement=False),
    Column("holder_type", String(32), nullable=False),
    Column("owner", String(64), nullable=False, index=True),
    Column("label", String(NAME_LEN_MAX), nullable=False),
    Column("opened_seq", BigInteger, nullable=False, index=True),
)

grants = Table(
    "grants",
    metadata,
    Column("account_id", BigInteger, nullable=False),
    Column("agent", String(64), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("seq", BigInteger, nullable=False),
    PrimaryKeyConstraint("account_id", "agent"),
)

# Each account's status (``ledger.status``) as its last ``account_status`` entry left it:
# ``status`` is ``AccountStatus``'s number (0 open … 3 closed), ``seq`` that entry. An
# account that never changed has no row and is open. Derived from the journal, which
# ``verify`` replays to compare (migration 0012).
account_status = Table(
    "account_status",
    metadata,
    Column("account_id", BigInteger, primary_key=True, autoincrement=False),
    Column("status", SmallInteger, nullable=False),
    Column("reason", String(REASON_LEN_MAX), nullable=False),
    Column("seq", BigInteger, nullable=False),
)

batches = Table(
    "batches",
    metadata,
    Column("asset_id", BigInteger, primary_key=True, autoincrement=False),
    Column("denomination", String(64), nullable=False, unique=True),
    Column("instrument", String(8), nullable=False),
    Column("jurisdiction", String(8), nullable=False),
    Column("project", String(16), nullable=False),
    Column("vintage", String(8), nullable=False),
    Column("serial", Integer, nullable=False),
    Column("issued_g", BigInteger, nullable=False),
    Column("issued_seq", BigInteger, nullable=False),
    Column("methodology", String(64), nullable=True),  # migration 0024; None: not stated
)

entries = Table(
    "entries",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("op_type", String(32), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("idem_key", String(IDEM_KEY_LEN_MAX), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("ts", String(32), nullable=False),
    Column("payload", Text, nullable=False),
    Column("corrects_seq", BigInteger, nullable=True),
    Column("posting_count", BigInteger, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("actor", "idem_key", name="uq_entries_actor_key"),
)

# Writes that record no entry (a rejected held event, a sink reversal's plan), each
# under its (actor, idempotency key) with its request's fingerprint and its result
# (JSON): the other half of the one idempotency mechanism (``ledger.write``). Not hashed:
# these writes change no holding (migration 0007).
requests = Table(
    "requests",
    metadata,
    Column("actor", String(64), nullable=False),
    Column("idem_key", String(IDEM_KEY_LEN_MAX), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("result", Text, nullable=False),
    Column("ts", String(32), nullable=False),
    PrimaryKeyConstraint("actor", "idem_key", name="pk_requests"),
)

# An entry is corrected at most once. Partial, so that the many entries that correct
# nothing add no index row (and no page to each commit).
Index(
    "uq_entries_corrects_seq",
    entries.c.corrects_seq,
    unique=True,
    sqlite_where=entries.c.corrects_seq.isnot(None),
    postgresql_where=entries.c.corrects_seq.isnot(None),
)

postings = Table(
    "postings",
    metadata,
    Column("seq", BigInteger, nullable=False),
    Column("idx", BigInteger, nullable=False),
    Column("account_id", BigInteger, nullable=False),
    Column("asset_id", BigInteger, nullable=False),
    Column("state", SmallInteger, nullable=False),
    Column("delta", BigInteger, nullable=False),
    PrimaryKeyConstraint("seq", "idx"),
    sqlite_with_rowid=False,
)
Index("ix_postings_account", postings.c.account_id, postings.c.seq)

balances = Table(
    "balances",
    metadata,
    Column("account_id", BigInteger, nullable=False),
    Column("asset_id", BigInteger, nullable=False),
    Column("state", SmallInteger, nullable=False),
    Column("amount", BigInteger, nullable=False),
    PrimaryKeyConstraint("account_id", "asset_id", "state"),
    CheckConstraint(f"amount >= 0 OR state = {int(State.SOURCE)}", name="ck_balances_non_negative"),
    sqlite_with_rowid=False,
)

holds = Table(
    "holds",
    metadata,
    Column("hold_id", BigInteger, primary_key=True, autoincrement=False),
    Column("account_id", BigInteger, nullable=False, index=True),
    Column("asset_id", BigInteger, nullable=False),
    Column("reason", String(16), nullable=False),
    Column("reference", String(REFERENCE_LEN_MAX), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("remaining", BigInteger, nullable=False),
    CheckConstraint("remaining >= 0", name="ck_holds_non_negative"),
)

# The certificate tokens of retirements recorded before their entries kept one (migration
# 0013): their certificates were numbered by seq, so anyone could list them; the
# migration drew each a random token, kept here because a journal entry is never
# edited. ``verify`` checks that every retirement has exactly one token: in its
# entry's payload, or here.
certificate_tokens = Table(
    "certificate_tokens",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("token", String(TOKEN_LEN), nullable=False),
)
