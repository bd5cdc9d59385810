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

from pctrade.kernel.limits import IDEM_KEY_LEN_MAX, LABEL_LEN_MAX, NAME_LEN_MAX, REFERENCE_LEN_MAX
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

# Statement lines of green-energy credits (migration 0002): the evidence of each
# ``energy_credit`` entry, bound to it by ``payload.lines_digest``; columns in the order
# of ``energy.model.EnergyLine``, which is the order the digest hashes them in.
energy_lines = Table(
    "energy_lines",
    metadata,
    Column("seq", BigInteger, nullable=False),
    Column("idx", BigInteger, nullable=False),
    Column("day", String(10), nullable=False),
    Column("account_id", BigInteger, nullable=False),
    Column("person_id", String(64), nullable=False),
    Column("family", String(32), nullable=False),
    Column("methodology", String(64), nullable=False),
    Column("behaviour", String(64), nullable=False),
    Column("base_unit", String(16), nullable=False),
    Column("events_n", BigInteger, nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("factor_ug_per_unit", BigInteger, nullable=False),
    Column("avoided_ug", BigInteger, nullable=False),
    Column("cap_forfeit_ug", BigInteger, nullable=False),
    Column("remainder_ug", BigInteger, nullable=False),
    Column("credited_g", BigInteger, nullable=False),
    Column("cap_flag", String(32), nullable=False),
    PrimaryKeyConstraint("seq", "idx"),
    sqlite_with_rowid=False,
)
Index("ix_energy_lines_account_day", energy_lines.c.account_id, energy_lines.c.day)
Index("ix_energy_lines_day", energy_lines.c.day)

# Behaviour events already judged (migration 0005): every event whose energy was
# credited or that was held for review, by (partner, event id), with the digest of its
# content, written in the transaction of the day's ``energy_credit`` entry (``seq``;
# NULL when the day credited no gram). A later copy is a duplicate, never credited
# again; rejected events are not kept, so a fixed copy may still come.
behaviour_events_seen = Table(
    "behaviour_events_seen",
    metadata,
    Column("partner_id", Text, nullable=False),
    Column("event_id", Text, nullable=False),
    Column("digest", String(32), nullable=False),
    Column("day", String(10), nullable=False),
    Column("outcome", String(16), nullable=False),  # credited | held | no_account
    Column("seq", BigInteger, nullable=True),
    PrimaryKeyConstraint("partner_id", "event_id"),
    sqlite_with_rowid=False,
)
Index("ix_behaviour_events_seen_day", behaviour_events_seen.c.day)

# Events held for review and what they would earn (migration 0006), written beside
# their key in ``behaviour_events_seen``; a reviewer's decision on each, recorded once.
behaviour_held = Table(
    "behaviour_held",
    metadata,
    Column("partner_id", Text, nullable=False),
    Column("event_id", Text, nullable=False),
    Column("day", String(10), nullable=False),
    Column("person_id", Text, nullable=False),
    Column("behaviour", String(64), nullable=False),
    Column("methodology", String(64), nullable=False),
    Column("start_ms", BigInteger, nullable=False),
    Column("end_ms", BigInteger, nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("unit", String(16), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("avoided_ug", BigInteger, nullable=False),
    Column("digest", String(32), nullable=False),
    Column("seq", BigInteger, nullable=True),
    PrimaryKeyConstraint("partner_id", "event_id"),
    sqlite_with_rowid=False,
)
Index("ix_behaviour_held_day", behaviour_held.c.day, behaviour_held.c.partner_id)
behaviour_hold_decisions = Table(
    "behaviour_hold_decisions",
    metadata,
    Column("partner_id", Text, nullable=False),
    Column("event_id", Text, nullable=False),
    Column("decision", String(16), nullable=False),  # released | rejected
    Column("reason", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("idem_key", Text, nullable=False),
    Column("credited_g", BigInteger, nullable=False),
    Column("cap_flag", String(32), nullable=False),
    Column("seq", BigInteger, nullable=True),  # the release's energy_credit entry
    Column("decided_at", String(32), nullable=False),
    PrimaryKeyConstraint("partner_id", "event_id"),
    sqlite_with_rowid=False,
)

# Authentication is not registry state: it is kept beside the journal, not in it.
users = Table(
    "users",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("password_hash", String(128), nullable=False),
    Column("party_id", String(64), nullable=False),
)

tokens = Table(
    "tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("party_id", String(64), nullable=False),
    Column("expires_at", String(32), nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("key_hash", String(64), primary_key=True),
    Column("party_id", String(64), nullable=False),
    Column("label", String(LABEL_LEN_MAX), nullable=False),
)
