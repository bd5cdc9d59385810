"""The energy context's tables (SQLAlchemy Core); the one Alembic tree creates them.

    energy_lines              the statement lines of each ``energy_credit`` entry
    behaviour_events_seen     every behaviour event already judged, by partner and id
    behaviour_held            events held for review, with what each would earn
    behaviour_hold_decisions  a reviewer's decision on a held event, recorded once
    energy_collections        one row per ``energy_collect`` entry: whose, how much
    energy_collecting_since   one row: the last seq before energy was credited uncollected

They live beside the journal, not in it: an entry's payload binds the rows to it (the
lines' digest), and ``verify`` checks them against the entries through the audits the
energy context registers (``energy.context``). The ledger never reads them.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from pctrade.kernel.limits import PARTY_ID_LEN_MAX

metadata = MetaData()

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
    Column("person_id", String(PARTY_ID_LEN_MAX), nullable=False),
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

# Behaviour events already judged (migration 0005; by day, 0025): every event whose
# energy was credited or that was held for review, by (partner, event id), with the
# digest of its content, written in the transaction of the day's ``energy_credit``
# entry (``seq``; NULL when the day credited no gram). A later copy is a duplicate,
# never credited again; rejected events are not kept, so a fixed copy may still come.
# Keyed by day first: on PostgreSQL partitioned by range of day, a partition a month
# (``energy.sql.seen.ensure_partitions``), so a run reads only its window's months.
behaviour_events_seen = Table(
    "behaviour_events_seen",
    metadata,
    Column("partner_id", Text, nullable=False),
    Column("event_id", Text, nullable=False),
    Column("digest", String(32), nullable=False),
    Column("day", String(10, collation="C").with_variant(String(10), "sqlite"), nullable=False),
    Column("outcome", String(16), nullable=False),  # credited | held | no_account
    Column("seq", BigInteger, nullable=True),
    PrimaryKeyConstraint("day", "partner_id", "event_id", name="pk_behaviour_events_seen_by_day"),
    sqlite_with_rowid=False,
    postgresql_partition_by="RANGE (day)",
)
Index(
    "ix_behaviour_events_seen_key",
    behaviour_events_seen.c.partner_id,
    behaviour_events_seen.c.event_id,
)

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

# Collections of green energy (migration 0014): one row per ``energy_collect`` entry,
# written in its transaction, the same facts as its payload (which ``verify`` compares):
# the holder, the grams collected and lapsed, the oldest credit entry collected
# (``first_seq``; the claim of a carbon-inclusive issuance reads which statement lines
# were collected from it), the holder's previous collection (``since_seq``) and the cutoff.
energy_collections = Table(
    "energy_collections",
    metadata,
    Column("seq", BigInteger, nullable=False),
    Column("account_id", BigInteger, nullable=False),
    Column("collected_g", BigInteger, nullable=False),
    Column("lapsed_g", BigInteger, nullable=False),
    Column("first_seq", BigInteger, nullable=False),
    Column("since_seq", BigInteger, nullable=False),
    Column("cutoff", String(32), nullable=False),
    PrimaryKeyConstraint("seq"),
)
Index("ix_energy_collections_account", energy_collections.c.account_id, energy_collections.c.seq)

# Where collection began (migration 0014): the journal's last seq before it. Credits at
# or before it were made to ``available`` and count as collected; every later credit is
# made ``uncollected``. 0 on a database created with collection.
energy_collecting_since = Table(
    "energy_collecting_since",
    metadata,
    Column("seq", BigInteger, nullable=False),
    PrimaryKeyConstraint("seq"),
)
