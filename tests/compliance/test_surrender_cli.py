"""``pctrade compliance surrender|status|integrity`` driven as an emitter and the
regulator would. The CLI runs on the wall clock: the 2025 surrender is past its
deadline (20 June 2026) and refused; the one that succeeds is for 2099 (due 2100)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner, Result
from year_world import T, build, new_key

from pctrade.bootstrap.contexts import verify
from pctrade.cli.main import app
from pctrade.compliance import commands as cc
from pctrade.compliance.emissions import SourceStream
from pctrade.ledger import commands as c
from pctrade.ledger.sql.store import SqlStore
from table_snapshot import everything

ENV = {"COLUMNS": "200", "PCTRADE_DATABASE_URL": ""}
CEA_2099 = "CEA-GD-ALLOC-2099-001"


def run(*args: str) -> Result:
    result = CliRunner().invoke(app, list(args), env=ENV, catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def ok(*args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_compliance_commands_surrender_refuse_and_report(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    store = SqlStore(url)
    y = build(store)
    y.cap("GD", 10_000 * T)
    cea = y.allocate("GD", {"plant-a": 1_000})
    y.confirm("plant-a", "GD", 800 * T)
    y.buy_pcer("plant-a", 40 * T)
    account = str(y.accounts["plant-a"])
    y.app.registry.issue("reg", "i-2099", c.Issue(CEA_2099, [y.accounts["plant-a"]], [500 * T]))
    streams = (SourceStream("coal", 400 * T, "kg", 1_000),)
    submit = cc.SubmitReport("GD", "2099", y.accounts["plant-a"], streams)
    report_id = str(
        y.app.compliance.submit_report("plant-a", new_key(), submit).payload["report_id"]
    )
    y.app.compliance.verify_report("verco", new_key(), cc.VerifyReport(report_id, 400 * T))
    y.app.compliance.confirm_report("reg", new_key(), cc.ConfirmReport(report_id))
    y.app.close()
    db = ("--db", url)

    before = everything(store)
    late = run("compliance", "surrender", account, "GD", "2025", f"{cea}=700t", "--as", "plant-a",
               *db)  # fmt: skip
    assert late.exit_code == 2 and "surrender_after_deadline" in late.output
    assert everything(store) == before

    out = ok("compliance", "surrender", account, "GD", "2099", f"{CEA_2099}=370t",
             f"{y.pcer}=30t", "--as", "plant-a", "--key", "cli-s1", *db)  # fmt: skip
    assert "compliance_surrender" in out and "400 t" in out

    assert "status A" in ok("compliance", "status", "GD", "2099", account, "--as", "plant-a", *db)
    status_2025 = ok("compliance", "status", "GD", "2025", account, "--as", "reg", *db)
    assert "status B" in status_2025 and "final" in status_2025
    denied = run("compliance", "status", "GD", "2025", "--as", "plant-a", *db)
    assert denied.exit_code == 2 and "forbidden" in denied.output
    assert "B=1" in ok("compliance", "status", "GD", "2025", "--as", "reg", *db)
    integrity = ok("compliance", "integrity", "--as", "reg", *db)
    assert "reconciles" in integrity and "integrity: OK" in integrity
    assert verify(SqlStore(url)).ok
