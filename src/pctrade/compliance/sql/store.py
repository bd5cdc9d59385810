"""Reads and writes of the compliance tables (``schema``), in the caller's unit of work.

The audit reads the journal's compliance entries by plain SQL through the partial
index of migration 0022 (the WHERE below is that index's, word for word), and the
emitters' balances of a period's allocation batches through ``balances``, as the
pools and the market read the ledger's tables: never through its SQL module.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from pctrade.compliance.sql.schema import (
    Row,
    allocations,
    caps,
    report_steps,
    report_streams,
    reports,
    runs,
)

ENTRIES_WHERE = (
    "op_type IN ('compliance_allocate', 'compliance_cap', 'compliance_take_back', "
    "'emissions_report')"
)


def _all(result: Any) -> list[Row]:
    return [dict(r) for r in result.mappings()]


def _one(uow: Any, query: Any) -> Row | None:
    row = uow.execute(query).mappings().first()
    return None if row is None else dict(row)


# ---- caps --------------------------------------------------------------------------
def cap(uow: Any, jurisdiction: str, period: str) -> Row | None:
    return _one(
        uow, sa.select(caps).where(caps.c.jurisdiction == jurisdiction, caps.c.period == period)
    )


def all_caps(uow: Any) -> list[Row]:
    return _all(uow.execute(sa.select(caps).order_by(caps.c.entry_seq)))


def insert_cap(uow: Any, row: Row) -> None:
    uow.execute(caps.insert().values(**row))


# ---- runs and their lines ----------------------------------------------------------
def drawn_g(uow: Any, jurisdiction: str, period: str) -> int:
    """What the period's runs drew from its cap: Σ granted − Σ taken."""
    query = sa.select(sa.func.coalesce(sa.func.sum(runs.c.granted_g - runs.c.taken_g), 0)).where(
        runs.c.jurisdiction == jurisdiction, runs.c.period == period
    )
    return int(uow.execute(query).scalar_one())


def runs_of(uow: Any, jurisdiction: str, period: str) -> list[Row]:
    query = (
        sa.select(runs)
        .where(runs.c.jurisdiction == jurisdiction, runs.c.period == period)
        .order_by(runs.c.entry_seq)
    )
    return _all(uow.execute(query))


def all_runs(uow: Any) -> list[Row]:
    return _all(uow.execute(sa.select(runs).order_by(runs.c.entry_seq)))


def insert_run(uow: Any, row: Row, lines: Sequence[Row]) -> None:
    uow.execute(runs.insert().values(**row))
    if lines:
        uow.execute(allocations.insert(), list(lines))


def lines_of_run(uow: Any, entry_seq: int) -> list[Row]:
    query = (
        sa.select(allocations)
        .where(allocations.c.entry_seq == entry_seq)
        .order_by(allocations.c.account_id)
    )
    return _all(uow.execute(query))


def all_lines(uow: Any) -> list[Row]:
    query = sa.select(allocations).order_by(allocations.c.entry_seq, allocations.c.account_id)
    return _all(uow.execute(query))


# Bound parameters per statement: SQLite takes 32,766, PostgreSQL 65,535.
IN_CHUNK_MAX = 5_000


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), IN_CHUNK_MAX):
        yield list(ids[start : start + IN_CHUNK_MAX])


def kinds_of(uow: Any, jurisdiction: str, period: str, account_ids: Sequence[int]) -> list[Row]:
    """The kinds of allocation each of these accounts had in the period, with grams."""
    found: list[Row] = []
    for chunk in _chunks(account_ids):
        query = sa.select(
            allocations.c.account_id,
            allocations.c.kind,
            allocations.c.granted_g,
            allocations.c.taken_g,
            allocations.c.debt_g,
        ).where(
            allocations.c.jurisdiction == jurisdiction,
            allocations.c.period == period,
            allocations.c.account_id.in_(chunk),
        )
        found.extend(_all(uow.execute(query)))
    return found


def account_totals(uow: Any, account_id: int, jurisdiction: str, period: str) -> Row:
    """One account's Σ granted, taken and owed over the period's runs."""
    query = sa.select(
        sa.func.coalesce(sa.func.sum(allocations.c.granted_g), 0).label("granted_g"),
        sa.func.coalesce(sa.func.sum(allocations.c.taken_g), 0).label("taken_g"),
        sa.func.coalesce(sa.func.sum(allocations.c.debt_g), 0).label("debt_g"),
    ).where(
        allocations.c.account_id == account_id,
        allocations.c.jurisdiction == jurisdiction,
        allocations.c.period == period,
    )
    row = uow.execute(query).mappings().one()
    return {k: int(v) for k, v in row.items()}


def period_assets(uow: Any, jurisdiction: str, period: str) -> list[int]:
    """The CEA batches the period's runs issued, oldest first."""
    query = (
        sa.select(runs.c.asset_id)
        .where(
            runs.c.jurisdiction == jurisdiction,
            runs.c.period == period,
            runs.c.asset_id.isnot(None),
        )
        .order_by(runs.c.entry_seq)
    )
    return [int(a) for a in uow.execute(query).scalars()]


def available_of(uow: Any, account_ids: Sequence[int], asset_ids: Sequence[int]) -> list[Row]:
    """Available grams of these batches on these accounts (the ledger's balances)."""
    if not account_ids or not asset_ids:
        return []
    query = sa.text(
        "SELECT account_id, asset_id, amount FROM balances WHERE state = 0 AND amount > 0 "
        "AND account_id IN :accounts AND asset_id IN :assets ORDER BY account_id, asset_id"
    ).bindparams(sa.bindparam("accounts", expanding=True), sa.bindparam("assets", expanding=True))
    found: list[Row] = []
    for chunk in _chunks(sorted(account_ids)):
        found.extend(_all(uow.execute(query, {"accounts": chunk, "assets": list(asset_ids)})))
    return found


# ---- reports -----------------------------------------------------------------------
def report(uow: Any, report_id: str, *, lock: bool = False) -> Row | None:
    query = sa.select(reports).where(reports.c.report_id == report_id)
    return _one(uow, query.with_for_update() if lock else query)


def reports_page(uow: Any, jurisdiction: str, period: str, after: str, limit: int) -> list[Row]:
    query = (
        sa.select(reports)
        .where(
            reports.c.jurisdiction == jurisdiction,
            reports.c.period == period,
            reports.c.report_id > after,
        )
        .order_by(reports.c.report_id)
        .limit(limit)
    )
    return _all(uow.execute(query))


def all_reports(uow: Any) -> list[Row]:
    return _all(uow.execute(sa.select(reports).order_by(reports.c.report_id)))


def upsert_report(uow: Any, row: Row, *, new: bool) -> None:
    if new:
        uow.execute(reports.insert().values(**row))
    else:
        values = {k: v for k, v in row.items() if k != "report_id"}
        uow.execute(
            sa.update(reports).where(reports.c.report_id == row["report_id"]).values(**values)
        )


def insert_step(uow: Any, row: Row) -> None:
    uow.execute(report_steps.insert().values(**row))


def steps_of(uow: Any, report_id: str) -> list[Row]:
    query = (
        sa.select(report_steps)
        .where(report_steps.c.report_id == report_id)
        .order_by(report_steps.c.entry_seq)
    )
    return _all(uow.execute(query))


def all_steps(uow: Any) -> list[Row]:
    return _all(uow.execute(sa.select(report_steps).order_by(report_steps.c.entry_seq)))


def insert_streams(uow: Any, rows: Sequence[Row]) -> None:
    if rows:
        uow.execute(report_streams.insert(), list(rows))


def streams_of(uow: Any, report_id: str, version: int) -> list[Row]:
    query = (
        sa.select(report_streams)
        .where(report_streams.c.report_id == report_id, report_streams.c.version == version)
        .order_by(report_streams.c.idx)
    )
    return _all(uow.execute(query))


def all_streams(uow: Any) -> list[Row]:
    query = sa.select(report_streams).order_by(
        report_streams.c.report_id, report_streams.c.version, report_streams.c.idx
    )
    return _all(uow.execute(query))


# ---- the journal's compliance entries ----------------------------------------------
def entries(uow: Any) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """Every compliance entry's seq, op type and payload, in journal order."""
    result = uow.execute(
        sa.text(f"SELECT seq, op_type, payload FROM entries WHERE {ENTRIES_WHERE} ORDER BY seq")
    )
    for seq, op_type, payload in result:
        yield int(seq), str(op_type), payload if isinstance(payload, dict) else json.loads(payload)
