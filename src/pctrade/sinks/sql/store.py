"""Sink tables (SQLAlchemy Core) and the reads and writes the sink service needs.

The rows are the evidence beside the registry's journal (migration 0003 creates them):

    sink_projects       one per project; status registered → approved → closed
    sink_parcels        the land each project was found eligible on
    sink_sponsorships   keyed by the ``energy_spend`` entry that paid for the units
    sink_reports        monitoring reports; ``issued_g`` counts what issuances drew
    sink_issuances      keyed by the ``issue`` entry that created the PCER batch
    sink_attributions   the batch's attribution table: who got what, and why
    sink_reversals      losses reported, the credited share, buffer cancelled, shortfall

Conservation, as in ``sinks.attribution``: per issuance, buffer_g + sponsors_g +
unissued_g = removals_g with Σ amount_g = sponsors_g (before migration 0009, buffer_g +
Σ amount_g = removals_g), and per report, issued_g ≤ removals_g (verified).

Every function takes the registry's unit of work (its public SQL port) so that sink
rows commit, or roll back, in the same transaction as the journal entry they explain.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray
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
    Text,
    UniqueConstraint,
)

from pctrade.kernel.limits import IDEM_KEY_LEN_MAX, NAME_LEN_MAX, REASON_LEN_MAX
from pctrade.ledger.ports import UnitOfWork
from pctrade.sinks.fast_split import CutLine

metadata = MetaData()
BIG = BigInteger
DAY = String(10)  # ISO dates, compared as text: YYYY-MM-DD sorts as it reads
TS = String(32)

projects = Table(
    "sink_projects",
    metadata,
    Column("code", String(16), primary_key=True),
    Column("name", String(NAME_LEN_MAX), nullable=False),
    Column("project_type", String(16), nullable=False),
    Column("jurisdiction", String(3), nullable=False),
    Column("forest_type", String(32), nullable=False),
    Column("owner", String(64), nullable=False),
    Column("affiliates", Text, nullable=False),  # space-separated party ids
    Column("area_m2", BIG, nullable=False),
    Column("stand_age_y", Integer, nullable=False),
    Column("crediting_start", DAY, nullable=False),
    Column("crediting_end", DAY, nullable=False),
    Column("unit_energy_g", BIG, nullable=False),
    Column("units_offered", BIG, nullable=False),
    Column("units_sold", BIG, nullable=False),
    Column("buffer_bps", Integer, nullable=False),
    Column("rule_set", String(32), nullable=False, server_default=""),  # 0004: cited rules
    Column("model_version", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("registered_at", TS, nullable=False),
    Column("approved_by", String(64), nullable=True),
    Column("approved_at", TS, nullable=True),
    Column("batches", Integer, nullable=False),
    # 0009: the sponsor unit (issue 11); NULL on projects registered before it, whose
    # units offered are their trees.
    Column("unit_kind", String(8), nullable=True),
    Column("units_total", BIG, nullable=True),
    Column("unit_area_m2", BIG, nullable=True),
    Column("m2_per_unit", BIG, nullable=True),
    # The published price behind unit_energy_g: the removal the model expects of one
    # unit over the crediting period, and the rule set's ratio (``sinks.price``).
    Column("unit_expected_g", BIG, nullable=True),
    Column("energy_per_removal_bps", Integer, nullable=True),
)

parcels = Table(
    "sink_parcels",
    metadata,
    Column("project_code", String(16), nullable=False),
    Column("parcel_id", String(64), nullable=False),
    Column("area_m2", BIG, nullable=False),
    Column("years_not_forest", Integer, nullable=False),
    Column("wetland", Boolean, nullable=False),
    PrimaryKeyConstraint("project_code", "parcel_id"),
)

sponsorships = Table(
    "sink_sponsorships",
    metadata,
    Column("spend_seq", BIG, primary_key=True, autoincrement=False),
    Column("project_code", String(16), nullable=False),
    Column("account_id", BIG, nullable=False),
    Column("units", BIG, nullable=False),
    Column("energy_g", BIG, nullable=False),
    Column("sponsored_on", DAY, nullable=False),
    Index("ix_sink_sponsorships_project", "project_code", "sponsored_on"),
    Index("ix_sink_sponsorships_account", "account_id"),
)

reports = Table(
    "sink_reports",
    metadata,
    Column("report_id", Integer, primary_key=True, autoincrement=True),
    Column("project_code", String(16), nullable=False),
    Column("period_start", DAY, nullable=False),
    Column("period_end", DAY, nullable=False),
    Column("removals_g", BIG, nullable=False),
    Column("expected_g", BIG, nullable=False),
    Column("filed_by", String(64), nullable=False),
    Column("filed_at", TS, nullable=False),
    Column("status", String(16), nullable=False),
    Column("verifier", String(64), nullable=True),
    Column("decided_at", TS, nullable=True),
    Column("reason", String(REASON_LEN_MAX), nullable=False),
    Column("issued_g", BIG, nullable=False),
    Index("ix_sink_reports_project", "project_code"),
)

issuances = Table(
    "sink_issuances",
    metadata,
    Column("issue_seq", BIG, primary_key=True, autoincrement=False),
    Column("report_id", Integer, nullable=False),
    Column("project_code", String(16), nullable=False),
    Column("batch", String(64), nullable=False, unique=True),
    Column("removals_g", BIG, nullable=False),
    Column("buffer_bps", Integer, nullable=False),
    Column("buffer_g", BIG, nullable=False),
    Column("total_shares", BIG, nullable=False),
    Column("leftover_g", BIG, nullable=False),
    Column("sponsors", BIG, nullable=False),
    Column("shares_as_of", DAY, nullable=False),
    # 0009: per-unit attribution (issue 11). removals = buffer + sponsors + unissued;
    # NULL on issuances made before it, which split all but the buffer to sponsors.
    Column("project_units", BIG, nullable=True),
    Column("sponsors_g", BIG, nullable=True),
    Column("unissued_g", BIG, nullable=True),
    Index("ix_sink_issuances_project", "project_code"),
)

attributions = Table(
    "sink_attributions",
    metadata,
    Column("issue_seq", BIG, nullable=False),
    Column("account_id", BIG, nullable=False),
    Column("shares", BIG, nullable=False),
    Column("amount_g", BIG, nullable=False),
    Column("remainder", BIG, nullable=False),  # numerator over total_shares
    Column("rounded_up", Boolean, nullable=False),
    PrimaryKeyConstraint("issue_seq", "account_id"),
    Index("ix_sink_attributions_account", "account_id"),
    sqlite_with_rowid=False,
)

reversals = Table(
    "sink_reversals",
    metadata,
    Column("reversal_id", Integer, primary_key=True, autoincrement=True),
    Column("project_code", String(16), nullable=False),
    Column("loss_g", BIG, nullable=False),
    Column("cause", String(REASON_LEN_MAX), nullable=False),
    Column("reported_by", String(64), nullable=False),
    Column("reported_at", TS, nullable=False),
    Column("idem_key", String(IDEM_KEY_LEN_MAX), nullable=False),
    Column("covered_g", BIG, nullable=False),
    Column("shortfall_g", BIG, nullable=False),
    # The buffer cancellations planned ("batch=grams" separated by spaces) and the
    # journal seqs of those executed so far, in the same order; "done" when all are.
    Column("plan", Text, nullable=False),
    Column("cancel_seqs", Text, nullable=False),
    Column("status", String(8), nullable=False),
    # 0010: the part of the loss credits stand for (covered + shortfall) and its basis,
    # what the issuances credited of the removals verified; NULL on reversals recorded
    # before, which counted the whole loss against the buffer.
    Column("issued_loss_g", BIG, nullable=True),
    Column("credited_g", BIG, nullable=True),
    Column("credited_removals_g", BIG, nullable=True),
    UniqueConstraint("reported_by", "idem_key", name="uq_sink_reversals_key"),
)


Row = dict[str, Any]
Ints = NDArray[np.int64]


def _one(uow: UnitOfWork, query: sa.Select[Any]) -> Row | None:
    row = uow.execute(query).mappings().first()
    return None if row is None else dict(row)


def project(uow: UnitOfWork, code: str, *, lock: bool = False) -> Row | None:
    """A project row; ``lock`` serialises writers on PostgreSQL (SQLite already is)."""
    query = sa.select(projects).where(projects.c.code == code)
    return _one(uow, query.with_for_update() if lock else query)


def all_projects(uow: UnitOfWork) -> list[Row]:
    rows = uow.execute(sa.select(projects).order_by(projects.c.code)).mappings()
    return [dict(r) for r in rows]


def insert_project(uow: UnitOfWork, row: Row, parcel_rows: Sequence[Row]) -> None:
    uow.execute(sa.insert(projects), [row])
    uow.execute(sa.insert(parcels), list(parcel_rows))


def update_project(uow: UnitOfWork, code: str, **values: Any) -> None:
    uow.execute(sa.update(projects).where(projects.c.code == code).values(**values))


def insert_sponsorship(uow: UnitOfWork, row: Row) -> None:
    uow.execute(sa.insert(sponsorships), [row])


def sponsorship(uow: UnitOfWork, spend_seq: int) -> Row | None:
    return _one(uow, sa.select(sponsorships).where(sponsorships.c.spend_seq == spend_seq))


def _driver(uow: UnitOfWork) -> tuple[Any, str]:
    """The DB-API connection under the unit of work, and its placeholder.

    The two statements that touch one row per sponsor skip SQLAlchemy's per-row
    parameter handling, which costs more than the SQL itself at a million rows.
    """
    return uow.dbapi_connection(), "%s" if uow.is_postgres else "?"


def shares_as_of(uow: UnitOfWork, code: str, day: str) -> tuple[Ints, Ints]:
    """Units held per sponsor from sponsorships made by ``day``, as int64 columns ordered
    by account: read in one statement straight into numpy, no object per row."""
    driver, ph = _driver(uow)
    cursor = driver.cursor()
    cursor.execute(
        "SELECT account_id, SUM(units) FROM sink_sponsorships "
        f"WHERE project_code = {ph} AND sponsored_on <= {ph} "
        "GROUP BY account_id ORDER BY account_id",
        (code, day),
    )
    rows = cursor.fetchall()
    cursor.close()
    flat = np.fromiter(itertools.chain.from_iterable(rows), dtype=np.int64, count=2 * len(rows))
    return np.ascontiguousarray(flat[0::2]), np.ascontiguousarray(flat[1::2])


def sponsored_since(uow: UnitOfWork, code: str, day: str, after_seq: int) -> bool:
    """Whether a sponsorship made by ``day`` was recorded after entry ``after_seq``.

    A range on the primary key, which visits only the rows added since (``+`` keeps
    SQLite from scanning the project index instead).
    """
    driver, ph = _driver(uow)
    plus = "" if ph == "%s" else "+"
    cursor = driver.cursor()
    cursor.execute(
        f"SELECT 1 FROM sink_sponsorships WHERE spend_seq > {ph} AND {plus}project_code = {ph}"
        f" AND {plus}sponsored_on <= {ph} LIMIT 1",
        (after_seq, code, day),
    )
    found = cursor.fetchone() is not None
    cursor.close()
    return found


def units_sponsored(uow: UnitOfWork, code: str, day: str, before_seq: int) -> int:
    """Units of ``code`` sponsored by ``day`` in entries before ``before_seq``."""
    s = sponsorships.c
    query = sa.select(sa.func.coalesce(sa.func.sum(s.units), 0)).where(
        s.project_code == code, s.sponsored_on <= day, s.spend_seq < before_seq
    )
    return int(uow.execute(query).scalar_one())


def parcels_of(uow: UnitOfWork, code: str) -> list[Row]:
    query = sa.select(parcels).where(parcels.c.project_code == code)
    return [dict(r) for r in uow.execute(query.order_by(parcels.c.parcel_id)).mappings()]


def reports_of(uow: UnitOfWork, code: str) -> list[Row]:
    query = sa.select(reports).where(reports.c.project_code == code).order_by(reports.c.report_id)
    return [dict(r) for r in uow.execute(query).mappings()]


def report(uow: UnitOfWork, report_id: int) -> Row | None:
    return _one(uow, sa.select(reports).where(reports.c.report_id == report_id))


def insert_report(uow: UnitOfWork, row: Row) -> int:
    result = uow.execute(sa.insert(reports).values(**row).returning(reports.c.report_id))
    return int(result.scalar_one())


def update_report(uow: UnitOfWork, report_id: int, **values: Any) -> None:
    uow.execute(sa.update(reports).where(reports.c.report_id == report_id).values(**values))


def insert_issuance(
    uow: UnitOfWork,
    row: Row,
    columns: tuple[list[int], list[int], list[int], list[int], list[bool]],
    cut: CutLine | None = None,
) -> None:
    """The issuance and its attribution table (COPY on PostgreSQL, executemany on SQLite).

    On SQLite, binding six parameters per row costs more than the B-tree inserts, so
    when the split fits in int64 (``cut`` given) only the accounts and their shares go
    in, as two JSON arrays, and the database derives amount, remainder and flag with the
    same integer arithmetic; the digest recorded in the issue entry, which ``verify``
    recomputes from the stored rows, proves they are the split's figures.
    """
    uow.execute(sa.insert(issuances), [row])
    seq = int(row["issue_seq"])
    account_ids, shares, amounts, remainders, ups = columns
    names = "issue_seq, account_id, shares, amount_g, remainder, rounded_up"
    driver, ph = _driver(uow)
    cursor = driver.cursor()
    if ph == "%s":
        rows = zip(itertools.repeat(seq), account_ids, shares, amounts, remainders, ups)
        with cursor.copy(f"COPY sink_attributions ({names}) FROM STDIN") as copy:
            for values in rows:
                copy.write_row(values)
    elif cut is not None:
        # The two columns travel as JSON arrays that SQLite unpacks in C, as the
        # registry's bulk postings do: cheaper than binding a million rows.
        cursor.execute("CREATE TEMP TABLE sink_shares (k INTEGER PRIMARY KEY, v INTEGER)")
        try:
            cursor.execute(
                "INSERT INTO temp.sink_shares (k, v) SELECT key, value FROM json_each(?)",
                (json.dumps(shares),),
            )
            cursor.execute(_derived_insert(seq, cut), (json.dumps(account_ids),))
        finally:
            cursor.execute("DROP TABLE temp.sink_shares")
    else:
        rows = zip(itertools.repeat(seq), account_ids, shares, amounts, remainders, ups)
        cursor.executemany(
            f"INSERT INTO sink_attributions ({names}) VALUES (?, ?, ?, ?, ?, ?)", rows
        )
    cursor.close()


def _derived_insert(seq: int, cut: CutLine) -> str:
    """The attribution rows from the accounts (``?``, a JSON array) and their shares
    (``temp.sink_shares``, by position); every other value is an integer we computed."""
    d, total, r, acct = (int(v) for v in (cut.distributable_g, cut.total_shares,
                                          cut.remainder, cut.account))  # fmt: skip
    rem = f"(({d} * s.v) % {total})"
    up = f"({rem} > {r} OR ({rem} = {r} AND a.value <= {acct}))"
    return (
        "INSERT INTO sink_attributions (issue_seq, account_id, shares, amount_g, remainder,"
        f" rounded_up) SELECT {int(seq)}, a.value, s.v, ({d} * s.v) / {total} + {up}, {rem},"
        f" {up} FROM json_each(?) AS a JOIN temp.sink_shares AS s ON s.k = a.key"
    )


def issuances_of(uow: UnitOfWork, code: str) -> list[Row]:
    query = (
        sa.select(issuances).where(issuances.c.project_code == code).order_by(issuances.c.issue_seq)
    )
    return [dict(r) for r in uow.execute(query).mappings()]


def issuance(uow: UnitOfWork, issue_seq: int) -> Row | None:
    return _one(uow, sa.select(issuances).where(issuances.c.issue_seq == issue_seq))


def attribution_of(uow: UnitOfWork, issue_seq: int, account_id: int) -> Row | None:
    a = attributions.c
    return _one(
        uow, sa.select(attributions).where(a.issue_seq == issue_seq, a.account_id == account_id)
    )


def attributions_of_account(uow: UnitOfWork, account_id: int) -> list[Row]:
    query = (
        sa.select(attributions, issuances.c.batch, issuances.c.project_code)
        .join(issuances, issuances.c.issue_seq == attributions.c.issue_seq)
        .where(attributions.c.account_id == account_id)
        .order_by(attributions.c.issue_seq)
    )
    return [dict(r) for r in uow.execute(query).mappings()]


def sponsorships_of_account(uow: UnitOfWork, account_id: int) -> list[Row]:
    query = (
        sa.select(sponsorships)
        .where(sponsorships.c.account_id == account_id)
        .order_by(sponsorships.c.spend_seq)
    )
    return [dict(r) for r in uow.execute(query).mappings()]


def insert_reversal(uow: UnitOfWork, row: Row) -> int:
    result = uow.execute(sa.insert(reversals).values(**row).returning(reversals.c.reversal_id))
    return int(result.scalar_one())


def reversals_of(uow: UnitOfWork, code: str) -> list[Row]:
    query = (
        sa.select(reversals)
        .where(reversals.c.project_code == code)
        .order_by(reversals.c.reversal_id)
    )
    return [dict(r) for r in uow.execute(query).mappings()]


def reversal(uow: UnitOfWork, reversal_id: int, *, lock: bool = False) -> Row | None:
    query = sa.select(reversals).where(reversals.c.reversal_id == reversal_id)
    return _one(uow, query.with_for_update() if lock else query)


def update_reversal(uow: UnitOfWork, reversal_id: int, **values: Any) -> None:
    uow.execute(sa.update(reversals).where(reversals.c.reversal_id == reversal_id).values(**values))


# ---- reads for verify (``services.sink_audit``) ----------------------------------------
AUDIT_CHUNK = 50_000


def stream(uow: UnitOfWork, query: str, params: Sequence[Any] = ()) -> Iterator[Any]:
    """Rows of hand-written SQL (``?`` placeholders) on the driver cursor, in chunks."""
    driver, ph = _driver(uow)
    cursor = driver.cursor()
    cursor.execute(query.replace("?", ph), tuple(params))
    while rows := cursor.fetchmany(AUDIT_CHUNK):
        yield from rows
    cursor.close()


def sponsorships_with_entries(uow: UnitOfWork) -> Iterator[Any]:
    """Each sponsorship row with the op type and payload of the entry that paid for it."""
    return stream(
        uow,
        "SELECT s.spend_seq, s.project_code, s.account_id, s.units, s.energy_g,"
        " s.sponsored_on, e.op_type, e.payload FROM sink_sponsorships s"
        " LEFT JOIN entries e ON e.seq = s.spend_seq ORDER BY s.spend_seq",
    )


def evidence_entries(uow: UnitOfWork, op_type: str, kind: str) -> Iterator[tuple[int, Row]]:
    """(seq, evidence) of every ``op_type`` entry that records sink evidence of ``kind``."""
    rows = stream(
        uow,
        "SELECT seq, payload FROM entries WHERE op_type = ? AND payload LIKE ? ORDER BY seq",
        (op_type, f'%"{kind}"%'),
    )
    for seq, payload in rows:
        evidence = json.loads(payload).get("evidence")
        if isinstance(evidence, dict) and evidence.get("kind") == kind:
            yield int(seq), evidence


def entry_payload(uow: UnitOfWork, seq: int) -> tuple[str, Row] | None:
    row = next(stream(uow, "SELECT op_type, payload FROM entries WHERE seq = ?", (seq,)), None)
    return None if row is None else (str(row[0]), json.loads(row[1]))


def attribution_columns(uow: UnitOfWork, issue_seq: int) -> list[Ints]:
    """One issuance's attribution table as five int64 columns, in account order."""
    rows = list(
        stream(
            uow,
            "SELECT account_id, shares, amount_g, remainder, rounded_up FROM sink_attributions"
            " WHERE issue_seq = ? ORDER BY account_id",
            (issue_seq,),
        )
    )
    table = np.array(rows, dtype=np.int64).reshape(len(rows), 5)
    return [np.ascontiguousarray(table[:, i]) for i in range(5)]


def issue_postings(uow: UnitOfWork, issue_seq: int) -> tuple[Ints, Ints]:
    """(account, grams) credited by an issue entry, the buffer included."""
    rows = list(
        stream(
            uow,
            "SELECT account_id, delta FROM postings WHERE seq = ? AND delta > 0 ORDER BY idx",
            (issue_seq,),
        )
    )
    table = np.array(rows, dtype=np.int64).reshape(len(rows), 2)
    return np.ascontiguousarray(table[:, 0]), np.ascontiguousarray(table[:, 1])


def stray_attributions(uow: UnitOfWork) -> list[int]:
    """Issue seqs that have attribution rows but no issuance row."""
    rows = stream(
        uow,
        "SELECT DISTINCT a.issue_seq FROM sink_attributions a LEFT JOIN sink_issuances i"
        " ON i.issue_seq = a.issue_seq WHERE i.issue_seq IS NULL ORDER BY a.issue_seq",
    )
    return [int(r[0]) for r in rows]


def all_rows(uow: UnitOfWork, table: Table) -> list[Row]:
    return [dict(r) for r in uow.execute(sa.select(table)).mappings()]
