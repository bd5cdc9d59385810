"""Posting a day set-based (``energy.posting``) leaves the registry as the row-wise post does.

Random synthetic days (faults, duplicates, people with and without accounts) are posted
both ways, each into a fresh registry, on SQLite and PostgreSQL; the lines, balances,
remembered keys, held rows and the entry itself must be equal. A day posted one way and
then the other is a replay of the same entry. ``verify`` checks the set-based entry.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import sqlalchemy as sa

from pctrade import bootstrap
from pctrade.bootstrap.contexts import verify
from pctrade.energy import service as energy
from pctrade.energy.credit_columns import lines_digest_columns
from pctrade.energy.model import EnergyLine, lines_digest
from pctrade.energy.pipeline import QuantifyResult, quantify_file
from pctrade.energy.pipeline.synthetic import generate_day, synthetic_as_of_ms
from pctrade.kernel.errors import ValidationError
from pctrade.ledger import commands as c
from pctrade.ledger.model import Role
from pctrade.ledger.service import Registry
from pctrade.ledger.sql.store import SqlStore

DAY = date(2026, 11, 24)
_STATE = {
    "lines": "SELECT * FROM energy_lines ORDER BY seq, idx",
    "balances": "SELECT * FROM balances ORDER BY account_id, asset_id, state",
    "seen": "SELECT partner_id, event_id, digest, day, outcome, seq FROM behaviour_events_seen"
    " ORDER BY partner_id, event_id",
    "held": "SELECT * FROM behaviour_held ORDER BY partner_id, event_id",
    "entries": "SELECT seq, op_type, idem_key, payload FROM entries ORDER BY seq",
    "postings": "SELECT * FROM postings ORDER BY seq, idx",
}

Fresh = Callable[[], Iterator[Registry]]


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Fresh:
    """A factory of empty registries of one kind (each a new SQLite file, or PostgreSQL
    emptied)."""
    made = iter(range(1_000))

    @contextmanager
    def make() -> Iterator[Registry]:
        if request.param == "sqlite":
            store = SqlStore(f"sqlite:///{tmp_path / f'r{next(made)}.db'}")
            bootstrap.migrate(store)
        else:
            url = request.getfixturevalue("pg_url")
            request.getfixturevalue("pg_reset")(url)
            store = SqlStore(url)
        try:
            yield bootstrap.build(store).registry
        finally:
            store.dispose()

    return make  # type: ignore[return-value]


def open_some(registry: Registry, people: int, rng: random.Random) -> None:
    """Accounts for about four people in five (in one bulk opening)."""
    parties = [f"P{i:08d}" for i in range(people) if rng.random() < 0.8]
    registry.open_accounts("registry", "open", c.OpenAccounts(Role.INDIVIDUAL, parties))


def quantify(registry: Registry, path: Path, day: date) -> QuantifyResult:
    store = registry.store
    return quantify_file(
        path,
        day,
        as_of_ms=synthetic_as_of_ms(day),
        seen=energy.judged_before(store, day),
        day_credited=energy.is_day_credited(store, day),
    )


def state(registry: Registry) -> dict[str, list[tuple[Any, ...]]]:
    store = registry.store
    assert isinstance(store, SqlStore)
    with store.engine.connect() as conn:
        return {k: [tuple(r) for r in conn.execute(sa.text(q))] for k, q in _STATE.items()}


def post_two_days(
    registry: Registry, tmp_path: Path, seed: int, set_based: bool
) -> list[energy.PostDayReport]:
    rng = random.Random(seed)
    people = rng.randint(150, 400)
    open_some(registry, people, rng)
    reports = []
    for k in range(2):  # the second day sees the first's keys (its copies are rejected)
        day = DAY + timedelta(days=k)
        path = tmp_path / f"day_{seed}_{k}.parquet"
        if not path.exists():
            generate_day(path, day, people, faults_per_mille=rng.choice([10, 80]), seed=seed + k)
        result = quantify(registry, path, day)
        reports.append(energy.post_day(registry, result, set_based=set_based))
    return reports


@pytest.mark.parametrize("seed", [3, 11])
def test_both_posts_leave_the_same_registry(fresh: Fresh, tmp_path: Path, seed: int) -> None:
    with fresh() as registry:  # type: ignore[attr-defined]
        rows = post_two_days(registry, tmp_path, seed, set_based=False)
        row_state = state(registry)
    with fresh() as registry:  # type: ignore[attr-defined]
        cols = post_two_days(registry, tmp_path, seed, set_based=True)
        col_state = state(registry)
        assert verify(registry.store).ok
    assert cols == rows
    assert rows[0].lines > 0 and rows[0].unmatched_people > 0
    for name in _STATE:
        assert col_state[name] == row_state[name], name
    assert len(col_state["seen"]) == sum(r.remembered for r in cols)


def test_a_day_posted_row_wise_then_set_based_is_one_entry(fresh: Fresh, tmp_path: Path) -> None:
    with fresh() as registry:  # type: ignore[attr-defined]
        rng = random.Random(5)
        open_some(registry, 200, rng)
        path = tmp_path / "day.parquet"
        generate_day(path, DAY, 200, seed=5)
        result = quantify(registry, path, DAY)
        first = energy.post_day(registry, result, set_based=False)
        before = state(registry)
        again = energy.post_day(registry, result, set_based=True)
        assert again.replayed and again.seq == first.seq
        assert state(registry) == before
        assert first.seq is not None and energy.verify_credit(registry.store, first.seq) == []
        store = registry.store
        assert isinstance(store, SqlStore)
        with store.engine.begin() as conn:
            conn.execute(sa.text("UPDATE energy_lines SET person_id = 'X' WHERE idx = 5"))
        codes = [p.code for p in energy.verify_credit(store, first.seq)]
        assert codes == ["energy_lines_mismatch"]


def test_the_column_digest_is_the_line_digest() -> None:
    rng = random.Random(7)
    lines = [
        EnergyLine(
            "2026-11-24",
            rng.randint(1, 10**9),
            rng.choice(["P1", "é-ü", 'a,b"c', "x\ny"]),
            "transport",
            "M-1",
            "metro_km",
            "m",
            rng.randint(0, 9),
            rng.randint(-(2**62), 2**62),
            rng.randint(0, 10**6),
            rng.randint(0, 10**12),
            0,
            rng.randint(0, 999_999),
            rng.randint(0, 10**6),
            rng.choice(["", "daily_cap"]),
        )
        for _ in range(500)
    ]
    table = pa.table({name: [getattr(line, name) for line in lines] for name in EnergyLine._fields})
    assert lines_digest_columns(table, chunk_rows=37) == lines_digest(lines)
    assert lines_digest_columns(table.slice(0, 0)) == lines_digest([])
    nulls = table.set_column(14, "cap_flag", pa.array([None] * 500, pa.string()))
    with pytest.raises(ValidationError):
        lines_digest_columns(nulls)
