"""The pools' tables (SQLAlchemy Core; migration 0019 creates them).

    pools            one per pool: its platform, the account paid its fee, its
                     jurisdiction and the rule set its terms were checked under, its
                     state and current terms version, the entry that opened it
    pool_terms       every version of every pool's terms: the terms as canonical JSON,
                     their SHA-256, the rule set (version and digest) they were checked
                     against, and the ``pool_terms`` entry that published them
    pool_deposits    one per deposit = one ledger hold (``deposit_id`` = the hold id =
                     the ``pool_deposit`` entry's seq), with what was withdrawn from it
    pool_consents    a contributor's consent to a later terms version (``pool_consent``)
    pool_notices     a contributor's notice of withdrawal, when the terms require one
    pools_since      one row: the journal's last seq when pools began (migration 0019)

What a deposit has left is its hold's ``remaining`` (the ledger's), and what was sold
of it is derived (migration 0026; before, a ``sold_g`` column every sale updated):

    sold_g = quantity_g − withdrawn_g − the remaining grams of its hold

so a sale writes nothing to the deposits (its hold draw-downs are the record), and the
pool's units are exactly the contributors' frozen ``pool`` holds opened after
``pools_since``; holds of reason ``pool`` opened before it were plain registry freezes
(the registry allowed those before issue 14) and are left as they were recorded.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    column,
    table,
)

metadata = MetaData()
BIG = BigInteger
TS = String(32)
POOL_ID = String(32)
Row = dict[str, Any]

pools = Table(
    "pools",
    metadata,
    Column("pool_id", POOL_ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("platform_party", String(64), nullable=False),
    Column("platform_account", BIG, nullable=False),
    Column("jurisdiction", String(3), nullable=False),
    Column("rule_set", String(32), nullable=False),
    Column("admitted", Text, nullable=False),  # space-separated, as the current terms say
    Column("state", String(16), nullable=False),  # open | closed
    Column("terms_version", Integer, nullable=False),
    Column("opened_seq", BIG, nullable=False, unique=True),
    Column("opened_at", TS, nullable=False),
    Index("ix_pools_platform", "platform_party"),
    Index("ix_pools_jurisdiction", "jurisdiction", "pool_id"),
)

pool_terms = Table(
    "pool_terms",
    metadata,
    Column("pool_id", POOL_ID, primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("terms", Text, nullable=False),  # canonical JSON (``model.Terms.canonical``)
    Column("digest", String(64), nullable=False),
    Column("fee_bps", Integer, nullable=False),
    Column("rule_set", String(32), nullable=False),
    Column("rule_set_digest", String(64), nullable=False),
    Column("entry_seq", BIG, nullable=False, unique=True),
    Column("published_at", TS, nullable=False),
)

pool_deposits = Table(
    "pool_deposits",
    metadata,
    Column("deposit_id", BIG, primary_key=True, autoincrement=False),  # = hold id = seq
    Column("pool_id", POOL_ID, nullable=False),
    Column("account_id", BIG, nullable=False),
    Column("asset_id", BIG, nullable=False),
    Column("quantity_g", BIG, nullable=False),
    Column("withdrawn_g", BIG, nullable=False),
    Column("terms_version", Integer, nullable=False),
    Column("entry_seq", BIG, nullable=False),
    Column("deposited_at", TS, nullable=False),
    CheckConstraint("quantity_g > 0", name="ck_pool_deposits_positive"),
    CheckConstraint(
        "withdrawn_g >= 0 AND withdrawn_g <= quantity_g",
        name="ck_pool_deposits_within",
    ),
    Index("ix_pool_deposits_pool", "pool_id", "deposit_id"),
    Index("ix_pool_deposits_account", "account_id", "pool_id", "deposit_id"),
)

pool_consents = Table(
    "pool_consents",
    metadata,
    Column("pool_id", POOL_ID, primary_key=True),
    Column("account_id", BIG, primary_key=True, autoincrement=False),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("entry_seq", BIG, nullable=False, unique=True),
    Column("consented_at", TS, nullable=False),
)

pool_notices = Table(
    "pool_notices",
    metadata,
    Column("pool_id", POOL_ID, primary_key=True),
    Column("account_id", BIG, primary_key=True, autoincrement=False),
    Column("given_at", TS, nullable=False),
)

pools_since = Table(
    "pools_since",
    metadata,
    Column("seq", BIG, primary_key=True, autoincrement=False),
)

# The ledger's holds, read by name as the audit reads them (never the ledger's SQL
# module): only the two columns a deposit's state needs. Not in ``metadata``: the
# ledger's migrations own the table.
ledger_holds = table("holds", column("hold_id", BIG), column("remaining", BIG))

# A deposit and its hold (hold id = deposit id): what it has left is the hold's
# ``remaining``, what was sold of it is derived from that (migration 0026).
deposits_held = pool_deposits.join(
    ledger_holds, ledger_holds.c.hold_id == pool_deposits.c.deposit_id
)
left_g = ledger_holds.c.remaining
sold_g = pool_deposits.c.quantity_g - pool_deposits.c.withdrawn_g - ledger_holds.c.remaining
