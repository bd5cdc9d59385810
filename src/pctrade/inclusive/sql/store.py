"""Carbon-inclusive tables (SQLAlchemy Core), the claim query, and their reads and writes.

    ci_issuances     one per issuance: open → verified | rejected → issued; the verified
                     claim's people, grams and digest; the ``inclusive_issue`` entry
    ci_attributions  the batch's attribution table, keyed by that entry and the account:
                     grams issued and the statement lines (first..last) they came from

Conservation per issuance: Σ ci_attributions.amount_g = claim_g = the batch's issued
grams = the energy the entry spent. Rows are written in the entry's own transaction
(migration 0004 creates the tables).
"""

from __future__ import annotations

import itertools
from array import array
from typing import Any

import sqlalchemy as sa
from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table, Text

from pctrade.inclusive.claim import Claim
from pctrade.kernel.limits import REASON_LEN_MAX
from pctrade.ledger.model import ENERGY_ASSET, State
from pctrade.ledger.ports import UnitOfWork

metadata = MetaData()
BIG = BigInteger
DAY = String(10)
TS = String(32)
Row = dict[str, Any]

issuances = Table(
    "ci_issuances",
    metadata,
    Column("issuance_id", Integer, primary_key=True, autoincrement=True),
    Column("jurisdiction", String(3), nullable=False),
    Column("period_start", DAY, nullable=False),
    Column("period_end", DAY, nullable=False),
    Column("rule_set", String(32), nullable=False),
    Column("methodologies", Text, nullable=False),  # space-separated, sorted
    Column("person_min_g", BIG, nullable=False),
    Column("expiry_s", BIG, nullable=False),
    Column("requested_by", String(64), nullable=False),
    Column("affiliates", Text, nullable=False),
    Column("opened_at", TS, nullable=False),
    Column("status", String(16), nullable=False),
    Column("verifier", String(64), nullable=True),
    Column("decided_at", TS, nullable=True),
    Column("reason", String(REASON_LEN_MAX), nullable=False),
    Column("as_of_seq", BIG, nullable=True),
    Column("claim_people", BIG, nullable=False),
    Column("claim_g", BIG, nullable=False),
    Column("claim_digest", String(64), nullable=False),
    Column("below_min_people", BIG, nullable=False),
    Column("issue_seq", BIG, nullable=True, unique=True),
    Column("batch", String(64), nullable=True, unique=True),
    Index("ix_ci_issuances_jurisdiction", "jurisdiction"),
)

attributions = Table(
    "ci_attributions",
    metadata,
    Column("issue_seq", BIG, primary_key=True, autoincrement=False),
    Column("account_id", BIG, primary_key=True, autoincrement=False),
    Column("amount_g", BIG, nullable=False),
    Column("first_seq", BIG, nullable=False),
    Column("first_idx", BIG, nullable=False),
    Column("last_seq", BIG, nullable=False),
    Column("last_idx", BIG, nullable=False),
    Index("ix_ci_attributions_account", "account_id"),
)

# The claim, set-based (see ``inclusive.claim`` for the rule). Per person with collected
# energy, their collected lines are ranked newest first (``r``, one sort for both window
# sums): each line's unconsumed part is what the balance leaves after the newer lines
# (collected energy is consumed oldest first), so the open lines are r = 1..k and the
# oldest is r = k. A line is collected if its credit came at or before collection
# began (``energy_collecting_since``), or in the range of credits one of the person's
# collections took (from its ``first_seq`` to the collection itself); lines that lapsed
# uncollected are not.
# The qualifying run is every open line older than all open lines that do not qualify
# (r > blocker, the oldest such line's rank); it runs from r = k (its first line) to
# r = blocker + 1 (its last). The asset and state are the enums' values, written in
# when the module loads.
_CLAIM = f"""
WITH avail AS (
  SELECT account_id, amount AS avail_g FROM balances
  WHERE asset_id = {ENERGY_ASSET} AND state = {int(State.AVAILABLE)} AND amount > 0
),
recent AS (
  SELECT l.account_id, l.seq, l.idx, l.credited_g, l.methodology, l.day, a.avail_g,
         COALESCE(SUM(l.credited_g) OVER w - l.credited_g, 0) AS newer_g,
         ROW_NUMBER() OVER w AS r
  FROM energy_lines l
  JOIN avail a ON a.account_id = l.account_id
  WHERE l.credited_g > 0
    AND (l.seq <= (SELECT COALESCE(MAX(seq), 0) FROM energy_collecting_since) OR EXISTS (
      SELECT 1 FROM energy_collections k
      WHERE k.account_id = l.account_id AND l.seq >= k.first_seq AND l.seq < k.seq))
  WINDOW w AS (PARTITION BY l.account_id ORDER BY l.seq DESC, l.idx DESC
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),
open_lines AS (
  SELECT account_id, seq, idx, r, avail_g,
         CASE WHEN avail_g - newer_g < credited_g THEN avail_g - newer_g
              ELSE credited_g END AS open_g,
         CASE WHEN methodology IN ({{methodologies}}) AND day >= :day_from AND day <= :day_to
                   AND seq <= :as_of THEN 1 ELSE 0 END AS ok
  FROM recent WHERE avail_g > newer_g
),
people AS (
  SELECT account_id, MAX(avail_g) AS avail_g, SUM(open_g) AS open_g, MAX(r) AS k,
         COALESCE(MAX(CASE WHEN ok = 0 THEN r END), 0) AS blocker
  FROM open_lines GROUP BY account_id
)
SELECT o.account_id, SUM(o.open_g),
       MAX(CASE WHEN o.r = p.k THEN o.seq END), MAX(CASE WHEN o.r = p.k THEN o.idx END),
       MAX(CASE WHEN o.r = p.blocker + 1 THEN o.seq END),
       MAX(CASE WHEN o.r = p.blocker + 1 THEN o.idx END)
FROM open_lines o JOIN people p ON p.account_id = o.account_id
WHERE p.open_g = p.avail_g AND o.r > p.blocker
GROUP BY o.account_id ORDER BY o.account_id
"""


def claim(
    uow: UnitOfWork,
    *,
    methodologies: tuple[str, ...],
    day_from: str,
    day_to: str,
    as_of_seq: int,
) -> Claim:
    """Every person's qualifying energy now, in one statement over the energy ledger."""
    names = {f"m{i}": m for i, m in enumerate(methodologies)}
    query = _CLAIM.format(methodologies=", ".join(f":{k}" for k in names))
    params = {"day_from": day_from, "day_to": day_to, "as_of": as_of_seq}
    rows = uow.execute(sa.text(query), {**params, **names})
    columns = [array("q") for _ in range(6)]
    for row in rows:
        for column, value in zip(columns, row, strict=True):
            column.append(int(value))
    return Claim(*columns)


def _one(uow: UnitOfWork, query: sa.Select[Any]) -> Row | None:
    row = uow.execute(query).mappings().first()
    return None if row is None else dict(row)


def issuance(uow: UnitOfWork, issuance_id: int, *, lock: bool = False) -> Row | None:
    query = sa.select(issuances).where(issuances.c.issuance_id == issuance_id)
    return _one(uow, query.with_for_update() if lock else query)


def issuance_by_seq(uow: UnitOfWork, issue_seq: int) -> Row | None:
    return _one(uow, sa.select(issuances).where(issuances.c.issue_seq == issue_seq))


def issuances_of(
    uow: UnitOfWork, jurisdiction: str | None = None, after: int = 0, n: int | None = None
) -> list[Row]:
    """Issuances by id after ``after`` (at most ``n``), of one jurisdiction if given."""
    query = (
        sa.select(issuances)
        .where(issuances.c.issuance_id > after)
        .order_by(issuances.c.issuance_id)
        .limit(n)
    )
    if jurisdiction is not None:
        query = query.where(issuances.c.jurisdiction == jurisdiction)
    return [dict(r) for r in uow.execute(query).mappings()]


def issued_count(uow: UnitOfWork, jurisdiction: str, batch_prefix: str) -> int:
    """How many batches of this jurisdiction and vintage were issued (for the serial)."""
    i = issuances.c
    query = sa.select(sa.func.count()).where(
        i.jurisdiction == jurisdiction, i.batch.like(f"{batch_prefix}%")
    )
    return int(uow.execute(query).scalar_one())


def insert_issuance(uow: UnitOfWork, row: Row) -> int:
    query = sa.insert(issuances).values(**row).returning(issuances.c.issuance_id)
    return int(uow.execute(query).scalar_one())


def update_issuance(uow: UnitOfWork, issuance_id: int, **values: Any) -> None:
    query = sa.update(issuances).where(issuances.c.issuance_id == issuance_id).values(**values)
    uow.execute(query)


def insert_attributions(uow: UnitOfWork, issue_seq: int, c: Claim) -> None:
    """The attribution table in bulk (COPY on PostgreSQL, executemany on SQLite)."""
    rows = zip(itertools.repeat(issue_seq), *c.columns(), strict=False)
    names = "issue_seq, account_id, amount_g, first_seq, first_idx, last_seq, last_idx"
    driver: Any = uow.dbapi_connection()
    cursor = driver.cursor()
    if uow.is_postgres:
        with cursor.copy(f"COPY ci_attributions ({names}) FROM STDIN") as copy:
            for values in rows:
                copy.write_row(values)
    else:
        marks = ", ".join(["?"] * 7)
        cursor.executemany(f"INSERT INTO ci_attributions ({names}) VALUES ({marks})", rows)
    cursor.close()


def attribution_totals(uow: UnitOfWork, issue_seq: int) -> tuple[int, int]:
    a = attributions.c
    query = sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(a.amount_g), 0)).where(
        a.issue_seq == issue_seq
    )
    row: Any = uow.execute(query).one()
    return int(row[0]), int(row[1])


def attributions_page(uow: UnitOfWork, issue_seq: int, after: int, limit: int) -> list[Row]:
    """One page of an issuance's attribution table, by account, after ``after``."""
    a = attributions.c
    query = (
        sa.select(attributions)
        .where(a.issue_seq == issue_seq, a.account_id > after)
        .order_by(a.account_id)
        .limit(limit)
    )
    return [dict(r) for r in uow.execute(query).mappings()]


def attribution(uow: UnitOfWork, issue_seq: int, account_id: int) -> Row | None:
    a = attributions.c
    return _one(
        uow, sa.select(attributions).where(a.issue_seq == issue_seq, a.account_id == account_id)
    )


def attributions_of_account(
    uow: UnitOfWork, account_id: int, after_seq: int = 0, n: int | None = None
) -> list[Row]:
    """An account's attributions by issue seq after ``after_seq`` (at most ``n``)."""
    query = (
        sa.select(
            attributions,
            issuances.c.batch,
            issuances.c.issuance_id,
            issuances.c.jurisdiction,
            issuances.c.rule_set,
            issuances.c.methodologies,
            issuances.c.period_start,
            issuances.c.period_end,
        )
        .join(issuances, issuances.c.issue_seq == attributions.c.issue_seq)
        .where(attributions.c.account_id == account_id, attributions.c.issue_seq > after_seq)
        .order_by(attributions.c.issue_seq)
        .limit(n)
    )
    return [dict(r) for r in uow.execute(query).mappings()]
