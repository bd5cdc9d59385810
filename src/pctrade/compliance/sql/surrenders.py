"""The surrenders' tables (SQLAlchemy Core, their own ``MetaData``; migration 0023).

    compliance_surrenders       one per ``compliance_surrender`` entry: the emitter's
                                account, jurisdiction and period, the rule set, what
                                the entry counted (allowances, offsets, offsets from
                                outside the jurisdiction) and the totals after it
    compliance_surrender_units  one per batch an entry surrendered

Both are written from the entry in its transaction, so they are what the journal says;
``audit_surrenders`` holds them to it. What has counted for an obligation so far is the
``after_*`` of its last row.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy import BigInteger, Boolean, Column, Index, MetaData, String, Table

from pctrade.ledger.ports import UnitOfWork

metadata = MetaData()
BIG = BigInteger
Row = dict[str, Any]

compliance_surrenders = Table(
    "compliance_surrenders",
    metadata,
    Column("entry_seq", BIG, primary_key=True, autoincrement=False),
    Column("account_id", BIG, nullable=False),
    Column("jurisdiction", String(8), nullable=False),
    Column("period", String(16), nullable=False),
    Column("rule_set", String(64), nullable=False),
    Column("allowances_g", BIG, nullable=False),
    Column("offsets_g", BIG, nullable=False),
    Column("after_allowances_g", BIG, nullable=False),
    Column("after_offsets_g", BIG, nullable=False),
    Column("after_nonlocal_offsets_g", BIG, nullable=False),
    Column("ts", String(32), nullable=False),
    Index("ix_compliance_surrenders_obligation", "jurisdiction", "period", "account_id"),
)

compliance_surrender_units = Table(
    "compliance_surrender_units",
    metadata,
    Column("entry_seq", BIG, primary_key=True, autoincrement=False),
    Column("asset_id", BIG, primary_key=True, autoincrement=False),
    Column("instrument", String(16), nullable=False),
    Column("quantity_g", BIG, nullable=False),
    Column("offset", Boolean, nullable=False),
)


def insert(uow: UnitOfWork, row: Row, units: list[Row]) -> None:
    uow.execute(compliance_surrenders.insert().values(**row))
    uow.execute(compliance_surrender_units.insert(), units)


def last_of(uow: UnitOfWork, account_id: int, jurisdiction: str, period: str) -> Row | None:
    """The obligation's last surrender: its ``after_*`` is what has counted so far."""
    s = compliance_surrenders.c
    query = (
        sa.select(compliance_surrenders)
        .where(s.jurisdiction == jurisdiction, s.period == period, s.account_id == account_id)
        .order_by(s.entry_seq.desc())
        .limit(1)
    )
    found = uow.execute(query).mappings().first()
    return None if found is None else dict(found)


def totals_of_period(uow: UnitOfWork, jurisdiction: str, period: str) -> dict[int, Row]:
    """Per emitter account, what has counted for the period (its last row's totals)."""
    s = compliance_surrenders.c
    last = (
        sa.select(s.account_id, sa.func.max(s.entry_seq).label("seq"))
        .where(s.jurisdiction == jurisdiction, s.period == period)
        .group_by(s.account_id)
        .subquery()
    )
    query = sa.select(compliance_surrenders).join(
        last, sa.and_(s.account_id == last.c.account_id, s.entry_seq == last.c.seq)
    )
    return {int(r["account_id"]): dict(r) for r in uow.execute(query).mappings()}


def entries_of(uow: UnitOfWork, account_id: int, jurisdiction: str, period: str) -> list[int]:
    s = compliance_surrenders.c
    query = (
        sa.select(s.entry_seq)
        .where(s.jurisdiction == jurisdiction, s.period == period, s.account_id == account_id)
        .order_by(s.entry_seq)
    )
    return [int(seq) for seq in uow.execute(query).scalars()]


def all_rows(uow: UnitOfWork) -> Iterator[Row]:
    query = sa.select(compliance_surrenders).order_by(compliance_surrenders.c.entry_seq)
    for r in uow.execute(query).mappings():
        yield dict(r)


def unit_rows(uow: UnitOfWork) -> dict[int, list[Row]]:
    u = compliance_surrender_units.c
    rows: dict[int, list[Row]] = {}
    query = sa.select(compliance_surrender_units).order_by(u.entry_seq, u.asset_id)
    for r in uow.execute(query).mappings():
        rows.setdefault(int(r["entry_seq"]), []).append(dict(r))
    return rows


def surrender_entries(uow: UnitOfWork) -> Iterator[tuple[int, dict[str, Any]]]:
    """(seq, payload) of every ``compliance_surrender`` entry, in journal order."""
    query = sa.text(
        "SELECT seq, payload FROM entries WHERE op_type = 'compliance_surrender' ORDER BY seq"
    )
    for seq, payload in uow.execute(query):
        yield int(seq), payload if isinstance(payload, dict) else json.loads(payload)
