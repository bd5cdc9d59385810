"""The cap-integrity report's reads, set-based (``compliance.integrity_sets``).

The report is the journal's: these reads take the entries and postings, aggregated in
SQL so that no Python runs per posting. Three kinds of read:

- the few entries the report reads whole, by seq or through a partial index: those
  that issued a CEA batch (found by ``batches.issued_seq``, their figures from their
  own ``batch`` payload), the compliance entries (``store.entries``,
  ``surrenders.surrender_entries``), and plain ``surrender`` entries;
- one pass over the postings that counts them and sums, per jurisdiction, what its
  allowances hold in every state but the terminal ones (a conditional sum per
  jurisdiction, no GROUP BY: SQLite would sort 10 M rows for one);
- one pass returning the postings into terminal states (surrendered, retired,
  cancelled) of CEA batches, few next to the rest, in journal order, so that each
  figure keeps the seqs it sums.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from pctrade.compliance.sql.store import IN_CHUNK_MAX
from pctrade.ledger.model import State

_TERMINAL = (int(State.SURRENDERED), int(State.RETIRED), int(State.CANCELLED))
_SOURCE = int(State.SOURCE)


def _payload(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else dict(json.loads(value))


def _chunks(values: Sequence[int]) -> Iterator[list[int]]:
    for start in range(0, len(values), IN_CHUNK_MAX):
        yield list(values[start : start + IN_CHUNK_MAX])


def entry_count(uow: Any) -> int:
    """The journal's entries (a count the database takes from an index, not the rows)."""
    return int(uow.execute(sa.text("SELECT COUNT(*) FROM entries")).scalar_one())


def postings_and_held(uow: Any, assets_of: dict[str, list[int]]) -> tuple[int, dict[str, int]]:
    """In one pass: the journal's postings, and per jurisdiction Σ of its batches'
    postings in every state but the terminal ones and the source (what holders keep:
    available, frozen, …). Beyond ``IN_CHUNK_MAX`` batches, one more pass per chunk."""
    excluded = ", ".join(str(s) for s in (*_TERMINAL, _SOURCE))
    parts: list[tuple[str, list[int]]] = [
        (j, chunk) for j, assets in sorted(assets_of.items()) for chunk in _chunks(assets)
    ]
    held = dict.fromkeys(assets_of, 0)
    # One pass for every jurisdiction while the batches fit one statement's parameters.
    fits = sum(len(c) for _, c in parts) <= IN_CHUNK_MAX
    passes = [parts] if fits else [[p] for p in parts]
    count = 0
    for chosen in passes:
        columns = ["COUNT(*)"] + [
            f"COALESCE(SUM(CASE WHEN asset_id IN :a{i} AND state NOT IN ({excluded}) "
            "THEN delta ELSE 0 END), 0)"
            for i in range(len(chosen))
        ]
        query = sa.text(f"SELECT {', '.join(columns)} FROM postings").bindparams(
            *(sa.bindparam(f"a{i}", expanding=True) for i in range(len(chosen)))
        )
        row = uow.execute(query, {f"a{i}": c for i, (_, c) in enumerate(chosen)}).one()
        count = int(row[0])
        for (jurisdiction, _), total in zip(chosen, row[1:], strict=True):
            held[jurisdiction] += int(total)
    return count, held


def cea_issues(uow: Any) -> list[tuple[int, dict[str, Any]]]:
    """(seq, payload) of every entry that issued a CEA batch, in journal order."""
    query = sa.text(
        "SELECT seq, payload FROM entries WHERE seq IN "
        "(SELECT issued_seq FROM batches WHERE instrument = 'CEA') ORDER BY seq"
    )
    return [(int(seq), _payload(p)) for seq, p in uow.execute(query)]


def terminal_postings(uow: Any, assets: Sequence[int]) -> list[tuple[int, int, int, int]]:
    """(seq, asset, state, delta) of these batches' postings into terminal states, in
    journal order."""
    states = ", ".join(str(s) for s in _TERMINAL)
    query = sa.text(
        "SELECT seq, asset_id, state, delta FROM postings "
        f"WHERE asset_id IN :assets AND state IN ({states}) AND delta <> 0 ORDER BY seq, idx"
    ).bindparams(sa.bindparam("assets", expanding=True))
    rows: list[tuple[int, int, int, int]] = []
    for chunk in _chunks(assets):
        rows.extend(
            (int(s), int(a), int(t), int(d)) for s, a, t, d in uow.execute(query, {"assets": chunk})
        )
    rows.sort()
    return rows


def plain_surrenders(uow: Any, seqs: Sequence[int]) -> list[tuple[int, dict[str, Any]]]:
    """(seq, payload) of those of ``seqs`` that are the ledger's plain ``surrender``."""
    query = sa.text(
        "SELECT seq, payload FROM entries WHERE seq IN :seqs AND op_type = 'surrender'"
    ).bindparams(sa.bindparam("seqs", expanding=True))
    found: list[tuple[int, dict[str, Any]]] = []
    for chunk in _chunks(sorted(set(seqs))):
        found.extend((int(s), _payload(p)) for s, p in uow.execute(query, {"seqs": chunk}))
    return sorted(found, key=lambda row: row[0])


def allocated_nets(uow: Any, seqs: Sequence[int]) -> dict[int, int]:
    """Per allocation entry: what it gave, issued from the source less what it took back
    into cancelled or retired (−Σ of those postings)."""
    states = ", ".join(str(s) for s in (_SOURCE, int(State.RETIRED), int(State.CANCELLED)))
    query = sa.text(
        "SELECT seq, SUM(delta) FROM postings "
        f"WHERE seq IN :seqs AND state IN ({states}) GROUP BY seq"
    ).bindparams(sa.bindparam("seqs", expanding=True))
    nets: dict[int, int] = dict.fromkeys(seqs, 0)
    for chunk in _chunks(sorted(set(seqs))):
        for seq, total in uow.execute(query, {"seqs": chunk}):
            nets[int(seq)] = -int(total)
    return nets
