"""Posting a quantified day set-based: ``service.post_day`` at national scale.

A national day is ~1 M people, ~10 M energy lines and ~20 M credited events. The
row-wise post (``service.post_day`` for a small day) turns each of them into Python
dicts, ``EnergyLine``s and key tuples; here they stay Arrow and numpy columns from the
``QuantifyResult`` to the database:

- the lines are the energy table sorted in the canonical order (person, family,
  behaviour), each person's account joined in by a vectorised lookup
  (``pyarrow.compute.index_in`` against the accounts the registry found);
- the entry is the same ``energy_credit`` (``credit_columns``): same payload, digest,
  fingerprint and idempotency key, so posting a day twice, by either path, replays;
- its lines and the day's judged keys are written beside it, in its transaction, by
  COPY on PostgreSQL and sliced ``executemany`` on SQLite (``sql.append``); the
  balances are credited by the ledger's set-based write of the entry's postings.

The registry state is the same as the row-wise post's, row for row (a test posts
random days both ways on SQLite and PostgreSQL and compares lines, balances, keys and
held rows). Held events are few (review cases), so they keep the row-wise write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pctrade.energy import commands as c
from pctrade.energy.credit_columns import LINE_NAMES, EnergyCreditColumns
from pctrade.energy.entries import credit_energy
from pctrade.energy.model import KeptFile
from pctrade.energy.pipeline.run import QuantifyResult
from pctrade.energy.sql import held as held_store
from pctrade.energy.sql import seen as behaviour_store
from pctrade.ledger.ports import UnitOfWork
from pctrade.ledger.service import Registry
from pctrade.ledger.write import RowsBeside

UNMATCHED_LISTED_MAX = 1_000
LINE_ORDER = [("person_id", "ascending"), ("family", "ascending"), ("behaviour", "ascending")]


@dataclass(frozen=True, slots=True)
class PostDayReport:
    """What ``post_day`` did: the entry (if any) and whom it could not credit."""

    day: str
    seq: int | None
    replayed: bool
    lines: int
    people: int
    credited_g: int
    unmatched_people: int
    unmatched_g: int
    unmatched_sample: list[str] = field(default_factory=list)
    remembered: int = 0  # credited and held events recorded as judged


def require_events(result: QuantifyResult) -> pa.Table:
    if result.credited_events is None:
        raise ValueError("post_day needs the credited events: quantify with_events=True")
    return result.credited_events


def held_rows(result: QuantifyResult) -> list[held_store.HeldRow]:
    """The held events with what they would earn, kept for review (``services.review``)."""
    day = result.day.isoformat()
    names = ["partner_id", "event_id", "person_id", "behaviour", "methodology", "start_ms"]
    names += ["end_ms", "quantity", "unit", "reason", "avoided_ug", "digest"]
    columns = [result.held.column(name).to_pylist() for name in names]
    return [(row[0], row[1], day, *row[2:]) for row in zip(*columns, strict=True)]


@dataclass(frozen=True, slots=True)
class DayColumns:
    """A day's post as columns: its lines, the judged keys, and who has no account."""

    lines: pa.Table  # columns ``EnergyLine._fields``, canonical order
    seen: pa.Table  # schema ``seen.SEEN_ROWS``
    unmatched: pa.Table  # person_id, credited_g: the people without an account

    @property
    def credited_g(self) -> int:
        return _sum(self.lines, "credited_g")


def _sum(table: pa.Table, name: str) -> int:
    total = pc.sum(table.column(name)).as_py() if table.num_rows else 0
    return int(total or 0)


def day_columns(result: QuantifyResult, accounts: dict[str, int]) -> DayColumns:
    """The lines (people with an account), the judged keys and the unmatched people.

    ``accounts``: each person's individual account, as ``individual_accounts`` found.
    """
    events = require_events(result)
    day = result.day.isoformat()
    energy = result.energy.sort_by(LINE_ORDER)
    holders = pa.array(list(accounts), pa.string())
    ids = pa.array(np.fromiter(accounts.values(), dtype=np.int64, count=len(accounts)))
    position = pc.index_in(energy.column("person_id"), value_set=holders)
    matched = pc.is_valid(position)
    account_id = pc.take(ids, pc.filter(position, matched))
    kept = energy.filter(matched)
    n = kept.num_rows
    columns: dict[str, Any] = {"day": pa.repeat(pa.scalar(day, pa.string()), n)}
    columns["account_id"] = account_id
    for name in LINE_NAMES[2:]:
        columns[name] = kept.column(name)
    columns["cap_flag"] = pc.fill_null(kept.column("cap_flag"), "")  # no flag: ""
    lines = pa.table(columns)
    unmatched = (
        energy.filter(pc.invert(matched))
        .group_by("person_id")
        .aggregate([("credited_g", "sum")])
        .rename_columns(["person_id", "credited_g"])
    )
    return DayColumns(lines, _judged(events, result.held, day, holders), unmatched)


def _judged(events: pa.Table, held: pa.Table, day: str, holders: pa.Array) -> pa.Table:
    """The keys to remember: credited events (by whether their person has an account)
    and held ones."""
    credited = pc.is_in(events.column("person_id"), value_set=holders)
    outcome = pc.if_else(credited, "credited", "no_account")
    parts = [
        events.select(["partner_id", "event_id", "digest"]).append_column("outcome", outcome),
        held.select(["partner_id", "event_id", "digest"]).append_column(
            "outcome", pa.repeat(pa.scalar("held", pa.string()), held.num_rows)
        ),
    ]
    keys = pa.concat_tables([p.cast(parts[0].schema) for p in parts])
    day_column = pa.repeat(pa.scalar(day, pa.string()), keys.num_rows)
    keys = keys.add_column(3, "day", day_column)
    return keys.cast(behaviour_store.SEEN_ROWS)


def post_day_columns(
    registry: Registry, result: QuantifyResult, actor: str, kept: Sequence[KeptFile]
) -> PostDayReport:
    """``service.post_day``, set-based (see the module's docstring)."""
    energy_people = pc.unique(result.energy.column("person_id")).to_pylist()
    with registry.store.reader() as uow:
        accounts = uow.individual_accounts(sorted(energy_people))
    day = result.day.isoformat()
    cols = day_columns(result, accounts)
    held = held_rows(result)
    credited_g = cols.credited_g
    seq, replayed = None, False
    if credited_g > 0:
        credit = EnergyCreditColumns(day, result.methodologies, result.as_of_ms, cols.lines, kept)
        cmd = c.CreditEnergy(credit)
        key = f"energy-credit-{day}-{cmd.fingerprint()[:40]}"

        def remember(uow: UnitOfWork, entry: Any) -> None:
            behaviour_store.remember_table(uow, cols.seen, entry.seq)
            held_store.keep(uow, held, entry.seq)

        receipt = credit_energy(registry, actor, key, cmd, evidence=RowsBeside(remember))
        seq, replayed = receipt.seq, receipt.replayed
    elif cols.seen.num_rows:
        # Nothing credited, so no entry whose replay skips the write: the keys are
        # written row-wise, tolerating an earlier post of the same day.
        rows = list(zip(*(col.to_pylist() for col in cols.seen.columns), strict=True))
        with registry.store.writer() as uow:
            behaviour_store.remember(uow, rows, None, replay_ok=True)
            held_store.keep(uow, held, None, replay_ok=True)
            uow.commit()
    posted = seq is not None
    people = pc.count_distinct(cols.lines.column("account_id")).as_py() if posted else 0
    sample = pc.sort_indices(cols.unmatched, [("person_id", "ascending")])
    listed = pc.take(cols.unmatched.column("person_id"), sample[:UNMATCHED_LISTED_MAX])
    return PostDayReport(
        day=day,
        seq=seq,
        replayed=replayed,
        lines=cols.lines.num_rows if posted else 0,
        people=int(people or 0),
        credited_g=credited_g if posted else 0,
        unmatched_people=cols.unmatched.num_rows,
        unmatched_g=_sum(cols.unmatched, "credited_g"),
        unmatched_sample=[str(p) for p in listed.to_pylist()],
        remembered=cols.seen.num_rows,
    )
