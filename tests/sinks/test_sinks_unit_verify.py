"""``verify`` holds per-unit attribution (issue 11), and a property test holds the rule.

For random projects, sponsorships and reports, issued through the service: Σ issued to
sponsors ≤ removals × sponsored ÷ units in the project, and issued + unissued + buffer =
removals, to the gram; and ``verify`` finds an issuance that attributes more than the
sponsored units' share, or an edited attribution. SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sinks_world import (
    SinkWorld,
    approved_project,
    build,
    file_report,
    grant_energy,
    held,
    new_key,
    unit_g,
)

from pctrade import bootstrap
from pctrade.bootstrap.contexts import verify
from pctrade.bootstrap.tables import all_tables
from pctrade.kernel.errors import Conflict
from pctrade.ledger.journal import GENESIS_HASH
from pctrade.ledger.model import FIRST_HOLDER_ACCOUNT, SystemAccount
from pctrade.ledger.sql import schema
from pctrade.ledger.sql.store import SqlStore
from pctrade.sinks import fast_split
from pctrade.sinks.monitoring import Period
from pctrade.sinks.service import Issuance

Q3 = Period(date(2026, 7, 1), date(2026, 9, 30))
PEOPLE = ("alice", "bob", "chen")
# What the model expects of the sinks_world project (100 ha of 6-year-old fir) in Q3,
# about 277 t; a report may claim up to 200 % of it.
REMOVALS_MAX_G = 500_000_000


@pytest.fixture
def issued(any_store: SqlStore) -> Iterator[tuple[SinkWorld, Issuance]]:
    w = build(any_store)
    grant_energy(w, {"alice": 3 * unit_g(), "bob": 2 * unit_g()})
    code = approved_project(w, units=100)
    w.sinks.sponsor("alice", "sp-a", w.people["alice"], code, 3)
    w.sinks.sponsor("bob", "sp-b", w.people["bob"], code, 2)
    report = file_report(w, code, Q3, 400_000_007)
    w.sinks.verify("cqc", new_key(), int(report["report_id"]), True, "re-measured")
    issuance = w.sinks.issue("reg", "issue-q3", int(report["report_id"]))
    assert verify(any_store).ok
    yield w, issuance


def tamper(w: SinkWorld, statement: str) -> set[str]:
    with w.store.engine.begin() as conn:
        assert conn.execute(sa.text(statement)).rowcount >= 1
    return {p.code for p in verify(w.store).problems}


@pytest.mark.parametrize(
    ("statement", "codes"),
    [
        (
            "UPDATE sink_attributions SET amount_g = amount_g + 1",
            {"sink_attribution_mismatch", "sink_attribution_over_share"},
        ),
        (
            "UPDATE sink_issuances SET unissued_g = unissued_g - 5, sponsors_g = sponsors_g + 5",
            {"sink_issuance_mismatch", "sink_attribution_over_share"},
        ),
        (
            "UPDATE sink_issuances SET project_units = 5",
            {"sink_issuance_mismatch", "sink_attribution_over_share"},
        ),
        ("UPDATE sink_projects SET units_total = 5", {"sink_project_mismatch"}),
    ],
)
def test_a_tampered_attribution_is_found(
    issued: tuple[SinkWorld, Issuance], statement: str, codes: set[str]
) -> None:
    w, _ = issued
    assert codes <= tamper(w, statement)


def test_an_issuance_beyond_the_sponsored_units_share_is_found(
    any_store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A faulty issuer that gives sponsors everything but the buffer (the old rule) on a
    project whose units they only partly hold: its entry says so, and verify says no.
    (It takes the buffer from the whole project's removals too, so that is named.)"""
    w = build(any_store)
    grant_energy(w, {"alice": unit_g()})
    code = approved_project(w, units=100)
    w.sinks.sponsor("alice", "sp-a", w.people["alice"], code, 1)
    report = file_report(w, code, Q3, 400_000_007)
    w.sinks.verify("cqc", new_key(), int(report["report_id"]), True, "re-measured")

    def everything(removals_g: int, sponsored: int, units: int) -> int:
        return removals_g

    monkeypatch.setattr(fast_split, "sponsored_share_g", everything)
    w.sinks.issue("reg", "greedy", int(report["report_id"]))
    problems = verify(any_store).problems
    assert [p.code for p in problems] == ["sink_attribution_over_share"], problems
    assert "sponsors 320000005 g for 1 of 100 units" in problems[0].message


# ---- the property ------------------------------------------------------------------------
def _reset(url: str) -> None:
    """Empty every table and put the journal head back before genesis (SQLite or PG)."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for table in all_tables():
            if table.name != "registry_head":
                conn.execute(table.delete())
        conn.execute(
            sa.update(schema.registry_head).values(
                last_seq=0,
                last_hash=GENESIS_HASH,
                next_account_id=FIRST_HOLDER_ACCOUNT,
                next_asset_id=1,
            )
        )
    engine.dispose()


case = st.fixed_dictionaries(
    {
        "units_total": st.integers(1, 10_000),
        "sponsored": st.lists(st.integers(1, 4_000), min_size=1, max_size=3),
        "removals_g": st.integers(1, REMOVALS_MAX_G),
        "partial": st.booleans(),
    }
)


def _check_case(url: str, c: dict[str, Any]) -> None:
    _reset(url)
    store = SqlStore(url)
    try:
        w = build(store)
        units_total = max(c["units_total"], sum(c["sponsored"]))
        people = dict(zip(PEOPLE, c["sponsored"], strict=False))
        grant_energy(w, {p: u * unit_g(units_total) for p, u in people.items()})
        code = approved_project(w, units=units_total)
        for person, units in people.items():
            w.sinks.sponsor(person, f"sp-{person}", w.people[person], code, units)
        report = file_report(w, code, Q3, c["removals_g"])
        w.sinks.verify("cqc", new_key(), int(report["report_id"]), True, "re-measured")
        quantity = (c["removals_g"] + 1) // 2 if c["partial"] else None
        sponsored = sum(people.values())
        share = (quantity or c["removals_g"]) * sponsored // units_total
        if share == 0:  # the sponsored units removed less than a gram: nothing to issue
            with pytest.raises(Conflict) as refused:
                w.sinks.issue("reg", "i", int(report["report_id"]), quantity)
            assert refused.value.code == "nothing_to_issue"
            assert verify(store).ok
            return
        issued = w.sinks.issue("reg", "i", int(report["report_id"]), quantity)
        removals = issued.removals_g
        bps = int(w.sinks.project(code)["buffer_bps"])
        assert issued.buffer_g == -(-share * bps // 10_000)  # the issued share's, only
        assert issued.attributed_g + issued.buffer_g == share
        to_sponsors = sum(held(w, w.people[p], issued.batch) for p in people)
        assert to_sponsors == issued.attributed_g
        assert to_sponsors * units_total <= removals * sponsored
        assert to_sponsors + issued.unissued_g + issued.buffer_g == removals
        assert held(w, SystemAccount.BUFFER, issued.batch) == issued.buffer_g
        result = verify(store)
        assert result.ok, result.problems
    finally:
        store.dispose()


@pytest.fixture(scope="module")
def sqlite_property_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="pctrade-units-") as work:
        url = f"sqlite:///{Path(work) / 'units.db'}"
        s = SqlStore(url)
        bootstrap.migrate(s)
        s.dispose()
        yield url


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(c=case)
def test_sponsors_never_get_more_than_their_units_share_on_sqlite(
    sqlite_property_url: str, c: dict[str, Any]
) -> None:
    _check_case(sqlite_property_url, c)


@pytest.mark.pg
@settings(
    max_examples=int(os.environ.get("PCTRADE_PG_EXAMPLES", "4")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(c=case)
def test_sponsors_never_get_more_than_their_units_share_on_postgresql(
    pg_url: str, c: dict[str, Any]
) -> None:
    _check_case(pg_url, c)
