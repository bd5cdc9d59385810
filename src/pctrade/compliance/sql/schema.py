"""The compliance context's tables (SQLAlchemy Core; migration 0022 creates them).

    compliance_caps         one per jurisdiction and period: the cap the regulator set, the
                            rule set (version, digest) it cites, its ``compliance_cap`` entry
    compliance_runs         one per allocation run (= its ``compliance_allocate`` or
                            ``compliance_take_back`` entry): jurisdiction, period, kind
                            (free | preallocation | true_up | auction), the batch it issued,
                            grams issued, taken back and owed, the rule set it cites
    compliance_allocations  per emitter (or the auction account) per run: grams issued
                            (``granted_g``), taken back from its CEA of the period
                            (``taken_g``) and what the true-up could not take (``debt_g``)
    compliance_reports      one per emitter account, jurisdiction and period: its state
                            (submitted | returned | verified | confirmed), the figures of each
                            step, who verified, the affiliates the emitter named
    compliance_report_steps one per ``emissions_report`` entry: the step, its actor, figure,
                            reason and rule set
    compliance_report_streams the source streams of each submission (report, version)

What ``verify`` holds them to (``compliance.audit``): every row is its entry's payload,
and for every jurisdiction and period

    Σ granted_g − Σ taken_g − Σ debt_g (runs of kinds free, preallocation, true_up)
        + Σ granted_g (auction runs) ≤ cap_g

(the replay's tracker checks the same sum from the journal alone).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()
BIG = BigInteger
TS = String(32)
JURISDICTION = String(3)
PERIOD = String(9)  # "2025" or "2019-2020"
RULE_SET = String(32)
DIGEST = String(64)
PARTY = String(64)
REPORT_ID = String(40)
Row = dict[str, Any]

caps = Table(
    "compliance_caps",
    metadata,
    Column("jurisdiction", JURISDICTION, primary_key=True),
    Column("period", PERIOD, primary_key=True),
    Column("cap_g", BIG, nullable=False),
    Column("rule_set", RULE_SET, nullable=False),
    Column("rule_set_digest", DIGEST, nullable=False),
    Column("entry_seq", BIG, nullable=False, unique=True),
    Column("set_by", PARTY, nullable=False),
    Column("set_at", TS, nullable=False),
)

runs = Table(
    "compliance_runs",
    metadata,
    Column("entry_seq", BIG, primary_key=True, autoincrement=False),
    Column("jurisdiction", JURISDICTION, nullable=False),
    Column("period", PERIOD, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("asset_id", BIG, nullable=True),  # None: a true-up that issued nothing
    Column("denomination", String(64), nullable=True),
    Column("granted_g", BIG, nullable=False),
    Column("taken_g", BIG, nullable=False),
    Column("debt_g", BIG, nullable=False),
    Column("recipients", BIG, nullable=False),
    Column("rule_set", RULE_SET, nullable=False),
    Column("rule_set_digest", DIGEST, nullable=False),
    Column("run_by", PARTY, nullable=False),
    Column("ran_at", TS, nullable=False),
    Index("ix_compliance_runs_period", "jurisdiction", "period", "entry_seq"),
)

allocations = Table(
    "compliance_allocations",
    metadata,
    Column("entry_seq", BIG, primary_key=True, autoincrement=False),
    Column("account_id", BIG, primary_key=True, autoincrement=False),
    Column("jurisdiction", JURISDICTION, nullable=False),
    Column("period", PERIOD, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("granted_g", BIG, nullable=False),
    Column("taken_g", BIG, nullable=False),
    Column("debt_g", BIG, nullable=False),
    Index("ix_compliance_allocations_account", "account_id", "jurisdiction", "period"),
)

reports = Table(
    "compliance_reports",
    metadata,
    Column("report_id", REPORT_ID, primary_key=True),
    Column("jurisdiction", JURISDICTION, nullable=False),
    Column("period", PERIOD, nullable=False),
    Column("emitter_party", PARTY, nullable=False),
    Column("emitter_account", BIG, nullable=False),
    Column("affiliates", Text, nullable=False),  # space-separated party ids
    Column("state", String(16), nullable=False),
    Column("version", Integer, nullable=False),  # submissions so far
    Column("reported_g", BIG, nullable=False),
    Column("verified_g", BIG, nullable=True),
    Column("confirmed_g", BIG, nullable=True),
    Column("verifier", PARTY, nullable=True),
    Column("rule_set", RULE_SET, nullable=False),
    Column("last_seq", BIG, nullable=False),
    Column("updated_at", TS, nullable=False),
    Index(
        "ix_compliance_reports_emitter", "emitter_account", "jurisdiction", "period", unique=True
    ),
    Index("ix_compliance_reports_period", "jurisdiction", "period", "report_id"),
)

report_steps = Table(
    "compliance_report_steps",
    metadata,
    Column("entry_seq", BIG, primary_key=True, autoincrement=False),
    Column("report_id", REPORT_ID, nullable=False),
    Column("step", String(16), nullable=False),
    Column("actor", PARTY, nullable=False),
    Column("figure_g", BIG, nullable=True),
    Column("reason", Text, nullable=False),
    Column("rule_set", RULE_SET, nullable=False),
    Column("rule_set_digest", DIGEST, nullable=False),
    Column("ts", TS, nullable=False),
    Index("ix_compliance_report_steps_report", "report_id", "entry_seq"),
)

report_streams = Table(
    "compliance_report_streams",
    metadata,
    Column("report_id", REPORT_ID, primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("idx", Integer, primary_key=True, autoincrement=False),
    Column("name", String(100), nullable=False),
    Column("activity_units", BIG, nullable=False),
    Column("unit", String(16), nullable=False),
    Column("factor_mg_per_unit", BIG, nullable=False),
)
