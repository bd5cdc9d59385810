"""``pctrade pool …`` driven as a platform, its contributors and the regulator would."""

from __future__ import annotations

from pathlib import Path

from pool_world import PLATFORM, build
from typer.testing import CliRunner, Result

from pctrade.bootstrap.contexts import verify
from pctrade.cli.main import app
from pctrade.ledger.sql.store import SqlStore

ENV = {"COLUMNS": "200", "PCTRADE_DATABASE_URL": ""}
TERMS = ("--admitted", "PCER-GD", "--fee-bps", "500", "--floor-fen-per-t", "3000",
         "--schedule", "monthly", "--payout-delay-days", "5", "--notice-days", "2",
         "--lock-in-days", "0")  # fmt: skip


def run(*args: str) -> Result:
    result = CliRunner().invoke(app, list(args), env=ENV, catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def ok(*args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result.output


def refused(code: str, *args: str) -> None:
    result = run(*args)
    assert result.exit_code == 2 and code in result.output, result.output


def test_the_pool_commands_open_deposit_refuse_and_show(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    w = build(SqlStore(url))
    db = ("--db", url)
    plat, alice = str(w.platform_account), str(w.people["alice"])
    refused("fee_above_cap", "pool", "open", "GD", plat, "--as", PLATFORM, "--name", "Greedy",
            *TERMS, "--fee-bps", "1500", *db)  # fmt: skip
    out = ok("pool", "open", "GD", plat, "--as", PLATFORM, "--name", "Green pool", *TERMS,
             "--key", "open-1", *db)  # fmt: skip
    assert "POOL-GD-0001" in out and "GD/2022-05-06" in out
    assert "replayed" in ok("pool", "open", "GD", plat, "--as", PLATFORM, "--name", "Green pool",
                            *TERMS, "--key", "open-1", *db)  # fmt: skip
    out = ok("pool", "deposit", "POOL-GD-0001", alice, w.pcer, "20kg", "--as", "alice", *db)
    assert "deposit" in out and "terms version 1" in out
    refused("pool_units_locked", "pool", "withdraw", "POOL-GD-0001", alice, "1kg",
            "--as", "alice", *db)  # fmt: skip
    refused("pool_units_sold", "pool", "withdraw", "POOL-GD-0001", alice, "21kg",
            "--as", "alice", *db)  # fmt: skip
    assert "notice" in ok("pool", "notice", "POOL-GD-0001", alice, "--as", "alice", *db)
    out = ok("pool", "terms", "POOL-GD-0001", "--as", PLATFORM, *TERMS, "--fee-bps", "300", *db)
    assert "terms version 条款版本 2" in out
    assert "moved" in ok("pool", "consent", "POOL-GD-0001", alice, "2", "--as", "alice", *db)
    out = ok("pool", "show", "POOL-GD-0001", "--terms", *db)
    assert "contributors 贡献者 1" in out and "20 kg" in out and "v2" in out
    assert "fee 费率 300 bps" in out
    assert "POOL-GD-0001" in ok("pool", "list", *db)
    assert "left 剩余 20 kg" in ok("pool", "deposits", alice, "--as", "alice", *db)
    assert "payout within 5 days" in ok("pool", "fees", "--as", "reg", *db)
    refused("forbidden", "pool", "fees", "--as", "alice", *db)
    report = verify(w.store)
    assert report.ok, report.problems
