"""``pctrade rules …`` and ``pctrade inclusive …`` driven as a person would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from inclusive_world import build, credit, energy, held
from typer.testing import CliRunner, Result

from pctrade.bootstrap.contexts import verify
from pctrade.cli.main import app
from pctrade.ledger.model import State
from pctrade.ledger.sql.store import SqlStore
from pctrade.rules import shipped

ENV = {"COLUMNS": "200", "PCTRADE_DATABASE_URL": ""}


def run(*args: str) -> Result:
    result = CliRunner().invoke(app, list(args), env=ENV, catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def ok(*args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result.output


def test_rules_commands_list_and_show_the_rules_with_their_assumptions() -> None:
    out = ok("rules", "list")
    assert "CN/2021-02-01" in out and "GD/2022-05-06" in out
    out = ok("rules", "show", "CN/2021-02-01")
    assert "block_quantity_min_g" in out and "100000000000" in out
    assert "pool_fee_cap_bps *" in out  # marked as an assumption
    out = ok("rules", "in-force", "GD", "--on", "2026-07-01")
    assert "GD/2022-05-06" in out and "carbon_inclusive" in out
    missing = run("rules", "show", "GD/1999-01-01")
    assert missing.exit_code == 2 and "no_rule_set" in missing.output
    early = run("rules", "in-force", "GD", "--on", "2020-01-01")
    assert early.exit_code == 2 and "no_rule_set" in early.output


def test_the_inclusive_commands_take_energy_to_credits(tmp_path: Path) -> None:
    # The CLI runs on the real clock: credit today's energy now, so it is fresh.
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    store = SqlStore(url)
    w = build(store)
    now = datetime.now(UTC)
    w.clock.now = now - timedelta(minutes=5)
    today = now.date()
    min_g = shipped().in_force("GD", today).require_carbon_inclusive().person_min_g
    credit(
        w, [("alice", "metro/v1", 3 * min_g), ("bob", "metro/v1", min_g // 2)], today.isoformat()
    )
    start = (today - timedelta(days=7)).isoformat()
    db = ("--db", url)

    wrong = run("inclusive", "open", "CN", "--as", "reg", "--start", start,
                "--end", today.isoformat(), *db)  # fmt: skip
    assert wrong.exit_code == 2 and "path_not_admitted" in wrong.output
    out = ok("inclusive", "open", "GD", "--as", "reg", "--start", start, "--end",
             today.isoformat(), "--affiliate", "greenplat-audit", *db)  # fmt: skip
    assert "issuance 1 GD" in out and "open" in out
    own = run("inclusive", "verify", "1", "--as", "greenplat-audit", *db)
    assert own.exit_code == 2 and "own_request" in own.output
    out = ok("inclusive", "verify", "1", "--as", "cqc", *db)
    assert "verified" in out and "1 people" in out and "1 below the minimum" in out
    out = ok("inclusive", "issue", "1", "--as", "reg", "--key", "ci-1", *db)
    assert "PCER-GD-CI-" in out and "1 people" in out
    again = ok("inclusive", "issue", "1", "--as", "reg", "--key", "ci-1", *db)
    assert "replayed" in again
    batch = next(word for word in out.split() if word.startswith("PCER-GD-CI-"))
    assert held(w, "alice", batch) == 3 * min_g
    assert energy(w, "alice", State.SPENT) == 3 * min_g and energy(w, "bob") == min_g // 2

    out = ok("inclusive", "mine", str(w.people["alice"]), *db)
    assert batch in out
    assert "issued" in ok("inclusive", "list", *db)
    assert "cqc" in ok("inclusive", "show", "1", *db)
    assert verify(store).ok
    store.dispose()
