"""``pctrade demo``, the quick start's one command, and its reruns.

The demo is seeded once for the module by the console script itself (``pctrade demo``
in a subprocess, as ``make run`` runs it); the tests read its output and database, and
those that run it again do so on a copy, so each check keeps its meaning without a
seeding of its own.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from pctrade import export as export_module
from pctrade.bootstrap import contexts
from pctrade.cli.main import app
from pctrade.ledger.model import State
from pctrade.ledger.sql.store import SqlStore

PEOPLE = "6"
SINK_BATCH = "PCER-GD-AFF0007-2026Q3-001"
CEA = "CEA-GD-ALLOC-2025-001"
ENV = {"COLUMNS": "200", "PCTRADE_DATABASE_URL": ""}
SCRIPT = Path(sys.executable).with_name("pctrade")

# One worker takes the whole module (`make test` runs `--dist loadgroup`): each worker
# that ran some of its tests would run the demo again.
pytestmark = pytest.mark.xdist_group("cli_demo")


@dataclass(frozen=True)
class Seeded:
    path: Path
    output: str

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"


def run(db: str, *args: str) -> Result:
    """Invoke ``pctrade ARGS --db DB`` in-process and return what a person would see."""
    result = CliRunner().invoke(app, [*args, "--db", db], env=ENV, catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    path = tmp_path_factory.mktemp("cli-demo") / "demo.db"
    done = subprocess.run(
        [str(SCRIPT), "demo", "--db", f"sqlite:///{path}", "--people", PEOPLE],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, **ENV},
    )
    assert done.returncode == 0, done.stderr
    return Seeded(path, done.stdout)


def copy_of(seeded: Seeded, into: Path) -> str:
    """A copy of the seeded database (a consistent one, its WAL included) and of the
    data folder beside it; its URL."""
    target = into / "demo.db"
    with sqlite3.connect(seeded.path) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    kept = seeded.path.with_name("demo-data")
    if kept.exists():
        shutil.copytree(kept, into / "demo-data")
    return f"sqlite:///{target}"


def test_the_console_script_runs_the_demo_and_its_registry_verifies(seeded: Seeded) -> None:
    assert "verify: OK (" in seeded.output
    verified = subprocess.run(
        [str(SCRIPT), "--db", seeded.url, "verify"], capture_output=True, text=True, check=False
    )
    assert verified.returncode == 0 and "verify: OK" in verified.stdout


def test_the_demo_prints_the_season_and_both_trading_days(seeded: Seeded) -> None:
    out = seeded.output
    for text in (SINK_BATCH, CEA, "生态环境部", "RC-", "Retirement certificate", "serve --demo"):
        assert text in out
    for text in (
        "PCER-GD-CI-2026Q3-001",  # the summer's carbon-inclusive batch
        "交易日 Trading day 2026-11-23",
        "成交 PCER-GD-2026Q3: 10 kg at ¥82.00/t",
        "not_eligible",
        "收盘 Close PCER-GD-2026Q3: ¥82.00/t",
        "交易日 Trading day 2026-11-24",
        "竞价 Auction CEA-GD-2026",
        "cleared at ¥47.00/t",
        "大宗 Block CEA-GD-2025: 100,600 t at ¥58.00/t",
        "收盘 Close CEA-GD-2026",
    ):
        assert text in out, text
    assert "stand-in" not in out
    totals = {b.denomination: b for b in export_module.batch_totals(SqlStore(seeded.url)).items}
    pcer = totals[SINK_BATCH]
    assert sum(pcer.by_state.values()) == pcer.issued_g
    assert pcer.amount(State.RETIRED) > 0 and pcer.amount(State.CANCELLED) > 0
    assert totals[CEA].amount(State.SURRENDERED) > 0


def test_demo_twice_writes_nothing_new(seeded: Seeded, tmp_path: Path) -> None:
    url = copy_of(seeded, tmp_path)
    head = contexts.verify(SqlStore(url)).head_seq
    second = run(url, "demo", "--people", PEOPLE)
    assert second.exit_code == 0, second.output
    assert contexts.verify(SqlStore(url)).head_seq == head
    assert "written: 0" in second.output and "verify: OK" in second.output


def test_demo_reset_starts_again_and_a_different_population_is_refused(
    seeded: Seeded, tmp_path: Path
) -> None:
    url = copy_of(seeded, tmp_path)
    mismatch = run(url, "demo", "--people", "7")
    assert mismatch.exit_code == 2
    assert "error [demo_mismatch]" in mismatch.output
    again = run(url, "demo", "--people", "7", "--reset")
    assert again.exit_code == 0, again.output
    assert "replayed: 0" in again.output


def test_a_population_too_small_for_the_story_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'small.db'}"
    refused = run(url, "demo", "--people", "5")
    assert refused.exit_code == 2 and "error [out_of_range]" in refused.output


@pytest.mark.pg
def test_demo_reset_on_postgresql_drops_every_module_s_tables(scratch_pg_url: str) -> None:
    # The reset must drop the sink and carbon-inclusive tables too, or re-migrating
    # after it fails on tables that already exist.
    assert run(scratch_pg_url, "demo", "--people", PEOPLE).exit_code == 0
    again = run(scratch_pg_url, "demo", "--people", PEOPLE, "--reset")
    assert again.exit_code == 0, again.output
    assert "replayed: 0" in again.output and "verify: OK" in again.output
