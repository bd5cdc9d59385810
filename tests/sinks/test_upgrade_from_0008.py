"""A real database from before issue 11 upgrades and still verifies.

``tests/fixtures/demo-at-0008.db.gz`` is the SQLite database ``pctrade demo --reset``
wrote at commit 58f4b5a (schema revision 0008, before per-unit attribution): 98
entries, head c08863fe…, one sink issuance that split all the project's removals but
the buffer over its sponsors, and one reversal that counted its whole loss against the
buffer. Opening it with today's code runs migrations 0009 and 0010; its old rows keep
NULL in the new columns and are verified by the rules they were made under, and new
operations on it follow the new ones.
"""

from __future__ import annotations

import gzip
import shutil
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from pctrade import bootstrap
from pctrade.bootstrap.contexts import verify
from pctrade.kernel.clock import SetClock

FIXTURE = Path(__file__).parent.parent / "fixtures" / "demo-at-0008.db.gz"
OLD_HEAD = (98, "c08863fe33773ee75a1f20d25974217ff847ce78410e9f54451a90f1e8c211a3")


def upgraded(tmp_path: Path) -> bootstrap.App:
    path = tmp_path / "pctrade.db"
    with gzip.open(FIXTURE) as packed, path.open("wb") as out:
        shutil.copyfileobj(packed, out)
    with sa.create_engine(f"sqlite:///{path}").connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0008"
    clock = SetClock(datetime(2026, 12, 1, 2, tzinfo=UTC))
    return bootstrap.build(f"sqlite:///{path}", clock=clock)


def test_the_pre_issue_11_demo_database_upgrades_and_verifies(tmp_path: Path) -> None:
    app = upgraded(tmp_path)
    with app.store.reader() as uow:
        assert (uow.head.last_seq, uow.head.last_hash) == OLD_HEAD
    report = verify(app.store)
    assert report.ok, report.problems
    with app.store.engine.connect() as conn:
        issuance = conn.execute(sa.text("SELECT project_units, unissued_g FROM sink_issuances"))
        assert issuance.all() == [(None, None)]  # made before per-unit attribution
        reversal = conn.execute(
            sa.text("SELECT loss_g, covered_g + shortfall_g, issued_loss_g FROM sink_reversals")
        )
        assert reversal.all() == [(705_928, 705_928, None)]  # its whole loss counted


def test_a_new_reversal_on_the_upgraded_database_follows_the_new_rule(tmp_path: Path) -> None:
    app = upgraded(tmp_path)
    # The old issuance credited all its removals (buffer + sponsors), so all of a new loss
    # is the credits' share; the buffer is what the old reversal left of it.
    with app.store.engine.connect() as conn:
        removals_g = conn.execute(sa.text("SELECT removals_g FROM sink_issuances")).scalar_one()
    rev = app.sinks.reverse("mee", "upgrade-storm", "AFF0007", 1_000, "typhoon")
    assert (rev.loss_g, rev.issued_loss_g, rev.uncredited_loss_g) == (1_000, 1_000, 0)
    assert rev.covered_g + rev.shortfall_g == 1_000
    with app.store.engine.connect() as conn:
        basis = conn.execute(
            sa.text(
                "SELECT credited_g, credited_removals_g FROM sink_reversals "
                "WHERE idem_key = 'upgrade-storm'"
            )
        ).one()
    assert tuple(basis) == (removals_g, removals_g)
    report = verify(app.store)
    assert report.ok, report.problems
