"""``pctrade compliance …`` driven as a regulator, key emitters and a verifier would."""

from __future__ import annotations

from pathlib import Path

from compliance_world import AFFILIATED, REGULATOR, VERIFIER, build
from typer.testing import CliRunner, Result

from pctrade.bootstrap.contexts import verify
from pctrade.cli import render
from pctrade.cli.main import app
from pctrade.ledger.sql.store import SqlStore
from table_snapshot import everything

ENV = {"COLUMNS": "200", "PCTRADE_DATABASE_URL": ""}


def run(*args: str) -> Result:
    result = CliRunner().invoke(app, list(args), env=ENV, catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def ok(*args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result.output


def refused(store: SqlStore, code: str, *args: str) -> None:
    before = everything(store)
    result = run(*args)
    assert result.exit_code == 2 and code in result.output, result.output
    assert everything(store) == before


def test_a_cap_a_previewed_run_and_a_report_through_the_cli(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    store = SqlStore(url)
    w = build(store)
    db = ("--db", url)
    a, b = str(w.accounts["plant-a"]), str(w.accounts["plant-b"])
    reg = ("--as", REGULATOR)
    out = ok("compliance", "cap", "CN", "2025", "2000t", *reg, "--key", "cap-1", *db)
    assert "compliance_cap" in out and "CN/2024-05-01" in out
    assert "replayed" in ok("compliance", "cap", "CN", "2025", "2000t", *reg, "--key", "cap-1", *db)
    refused(store, "cap_exists", "compliance", "cap", "CN", "2025", "1t", *reg, *db)
    refused(store, "forbidden", "compliance", "cap", "CN", "2026", "1t", "--as", "plant-a", *db)

    units = ("--unit", f"{a}:coal_300mw_above:supply_g_per_mwh:1000:9950,10100",
             "--unit", f"{b}:gas:supply_g_per_mwh:500")  # fmt: skip
    grams_a = 877_000 * 1_000 * 9_950 * 10_100 // 10_000**2
    before = everything(store)
    out = ok("compliance", "allocate", "CN", "2025", "free", *units, "--preview", *reg, *db)
    assert everything(store) == before
    assert "preview" in out and f"{a} +" in out
    csv_file = tmp_path / "units.csv"
    csv_file.write_text(
        "account,unit_type,output,output_units,factors_bps\n"
        f"{w.accounts['plant-c']},gas,supply_g_per_mwh,100000000,\n",
        encoding="utf-8",
    )
    refused(store, "allocation_exceeds_cap", "compliance", "allocate", "CN", "2025", "free",
            "--units-file", str(csv_file), *reg, *db)  # fmt: skip
    refused(store, "bad_allocation_kind", "compliance", "allocate", "CN", "2025", "gift",
            *units, *reg, *db)  # fmt: skip
    out = ok("compliance", "allocate", "CN", "2025", "free", *units, *reg, *db)
    assert "CEA-CN-ALLOC-2025-001" in out
    ok("compliance", "allocate", "CN", "2025", "auction", "--auctioned", "1t", *reg, *db)
    out = ok("compliance", "cap-show", "CN", "2025", *db)
    reserve = 2_000_000_000 - grams_a - 392_000 * 500 - 1_000_000
    assert "auction" in out and f"reserve 储备 {render.carbon(reserve)}" in out

    stream = ("--stream", "coal:1000:kg:2661")
    refused(store, "not_integer", "compliance", "report", "GD", "2025", a,
            "--stream", "coal:1.5:kg:2661", "--as", "plant-a", *db)  # fmt: skip
    refused(store, "negative_activity", "compliance", "report", "GD", "2025", a,
            "--stream", "coal:-1:kg:2661", "--as", "plant-a", *db)  # fmt: skip
    out = ok("compliance", "report", "GD", "2025", a, *stream, "--affiliate", AFFILIATED,
             "--as", "plant-a", *db)  # fmt: skip
    report_id = f"ER-GD-2025-{a}"
    assert report_id in out and "GD/2022-05-06" in out
    refused(store, "verifier_affiliated", "compliance", "verify", report_id, "2661",
            "--as", AFFILIATED, *db)  # fmt: skip
    refused(store, "wrong_report_state", "compliance", "confirm", report_id, *reg, *db)
    ok("compliance", "send-back", report_id, "--reason", "meter data missing",
       "--as", VERIFIER, *db)  # fmt: skip
    ok("compliance", "report", "GD", "2025", a, *stream, "--as", "plant-a", *db)
    ok("compliance", "verify", report_id, "2661", "--as", VERIFIER, *db)
    assert "confirm" in ok("compliance", "confirm", report_id, *reg, *db)
    out = ok("compliance", "show", report_id, "--as", "plant-a", *db)
    assert "confirmed" in out and "send_back" in out and "coal" in out
    assert verify(store).ok
    store.dispose()
