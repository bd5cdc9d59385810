"""``pctrade behaviour …`` and ``pctrade methodology …`` driven as a person would."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner, Result

from pctrade import bootstrap
from pctrade.cli.main import app
from pctrade.ledger import commands as c
from pctrade.ledger.model import ENERGY_ASSET, Role, State
from pctrade.ledger.sql.store import SqlStore

ENV = {"COLUMNS": "200", "PCTRADE_DATABASE_URL": "", "PCTRADE_DATA_DIR": ""}
CSV = """partner_id,event_id,person_id,behaviour,start_ms,end_ms,quantity,unit
metro_card,E1,alice,metro_km,2026-11-24T08:00:00+08:00,2026-11-24T08:30:00+08:00,12,km
metro_card,E2,alice,metro_km,2026-11-24T09:00:00+08:00,2026-11-24T09:30:00+08:00,twelve,km
metro_card,E3,bob,bus_trip,2026-11-24T10:00:00+08:00,2026-11-24T10:20:00+08:00,1,trip
"""


def run(*args: str) -> Result:
    result = CliRunner().invoke(app, list(args), env=ENV, catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def test_methodology_list_and_show_cite_versions_and_factors() -> None:
    listed = run("methodology", "list")
    assert listed.exit_code == 0, listed.output
    assert "metro/v1" in listed.output and "walking/v1" in listed.output
    shown = run("methodology", "show", "metro")
    assert shown.exit_code == 0, shown.output
    assert "metro_km" in shown.output and "46800" in shown.output
    unknown = run("methodology", "show", "teleport")
    assert unknown.exit_code == 2 and "unknown_methodology" in unknown.output


def test_import_quantify_statement_and_expire(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'registry.db'}"
    store = SqlStore(db)
    reg = bootstrap.build(store).registry
    alice = reg.open_account("registry", "o-a", c.OpenAccount("alice", Role.INDIVIDUAL, "Alice"))
    reg.open_account("registry", "o-b", c.OpenAccount("bob", Role.INDIVIDUAL, "Bob"))
    account = int(alice.payload["account"])
    events = tmp_path / "metro.csv"
    events.write_text(CSV, encoding="utf-8")
    data = str(tmp_path / "data")

    imported = run("behaviour", "import", str(events), "--data-dir", data)
    assert imported.exit_code == 0, imported.output
    assert "2 events" in imported.output and "bad_value" in imported.output

    quantified = run(
        "behaviour", "quantify", "--date", "2026-11-24", "--data-dir", data, "--db", db
    )
    assert quantified.exit_code == 0, quantified.output
    assert "613 g credited to 2 people" in quantified.output  # 561 g metro + 52 g bus
    with store.reader() as uow:
        assert uow.balance(account, ENERGY_ASSET, State.UNCOLLECTED) == 561

    late = tmp_path / "late.csv"
    late.write_text(
        CSV.splitlines()[0] + "\n" + CSV.splitlines()[1].replace("E1,", "E9,") + "\n",
        encoding="utf-8",
    )
    assert run("behaviour", "import", str(late), "--data-dir", data).exit_code == 0
    again = run("behaviour", "quantify", "--date", "2026-11-24", "--data-dir", data, "--db", db)
    assert again.exit_code == 0, again.output
    assert "no entry" in again.output
    assert "duplicate_event_processed: 2" in again.output  # E1 and E3, credited already
    assert "day_already_credited: 1" in again.output  # E9 came after the day was credited
    with store.reader() as uow:
        assert uow.balance(account, ENERGY_ASSET, State.UNCOLLECTED) == 561
    # The day report stays the crediting run's, which the credit entry recorded: the
    # rerun's outcome is what it printed.
    reports = list((tmp_path / "data" / "behaviour" / "reports" / "days").glob("*/*.json"))
    assert len(reports) == 1 and '"events_n": 2' in reports[0].read_text()
    assert "day_already_credited" not in reports[0].read_text()
    assert run("verify", "--db", db, "--data-dir", data).exit_code == 0

    st = run("behaviour", "statement", str(account), "--from", "2026-11-24", "--to", "2026-11-24",
             "--db", db)  # fmt: skip
    assert st.exit_code == 0, st.output
    assert "metro/v1" in st.output and "46800" in st.output and "先天" in st.output
    assert "uncollected 待收取 561 g" in st.output and "lapses at" in st.output

    pending = run("energy", "pending", str(account), "--db", db)
    assert pending.exit_code == 0 and "to collect 可收取 561 g" in pending.output
    as_bob = run("energy", "collect", str(account), "--as", "bob", "--db", db)
    assert as_bob.exit_code != 0 and "not_your_account" in as_bob.output
    collected = run("energy", "collect", str(account), "--as", "alice", "--db", db)
    assert collected.exit_code == 0 and "collected 已收取 561 g" in collected.output
    nothing = run("energy", "collect", str(account), "--as", "alice", "--db", db)
    assert nothing.exit_code != 0 and "nothing_to_collect" in nothing.output

    spend = ["behaviour", "spend", str(account), "--purpose", "redeem", "--reference", "v-1",
             "--as", "alice", "--db", db, "--key", "sp-1"]  # fmt: skip
    assert run(*spend, "--grams", "0").exit_code != 0
    assert "non_positive" in run(*spend, "--grams", "0").output
    assert "insufficient_balance" in run(*spend, "--grams", "562").output
    as_bob = run(*spend[:-6], "--as", "bob", "--db", db, "--grams", "1")
    assert "forbidden" in as_bob.output  # only the holder or its agent spends
    spent = run(*spend, "--grams", "61")
    assert spent.exit_code == 0, spent.output
    with store.reader() as uow:
        assert uow.balance(account, ENERGY_ASSET, State.SPENT) == 61

    expired = run("behaviour", "expire", "--db", db)
    assert expired.exit_code == 0 and "nothing to expire" in expired.output
    store.dispose()


def test_quantify_refuses_an_unknown_engine(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'registry.db'}"
    result = run("behaviour", "quantify", "--date", "2026-11-24", "--engine", "excel", "--db", db)
    assert result.exit_code == 2 and "bad_engine" in result.output


def test_import_reports_a_file_of_the_wrong_type(tmp_path: Path) -> None:
    bad = tmp_path / "events.xlsx"
    bad.write_text("not events", encoding="utf-8")
    result = run("behaviour", "import", str(bad), "--data-dir", str(tmp_path / "data"))
    assert result.exit_code == 2 and "bad_file" in result.output


HELD_CSV = """partner_id,event_id,person_id,behaviour,start_ms,end_ms,quantity,unit
metro_card,F1,alice,metro_km,2026-11-24T08:00:00+08:00,2026-11-24T08:30:00+08:00,12,km
metro_card,F2,alice,metro_km,2026-11-24T12:00:00+08:00,2026-11-24T12:30:00+08:00,12,km
metro_card,F3,alice,metro_km,2026-11-24T12:10:00+08:00,2026-11-24T12:40:00+08:00,12,km
"""


def test_held_events_are_listed_released_and_rejected_once(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'registry.db'}"
    store = SqlStore(db)
    reg = bootstrap.build(store).registry
    alice = reg.open_account("registry", "o-a", c.OpenAccount("alice", Role.INDIVIDUAL, "Alice"))
    account = int(alice.payload["account"])
    events = tmp_path / "metro.csv"
    events.write_text(HELD_CSV, encoding="utf-8")
    data = str(tmp_path / "data")
    assert run("behaviour", "import", str(events), "--data-dir", data).exit_code == 0
    day = ["--date", "2026-11-24"]
    assert run("behaviour", "quantify", *day, "--data-dir", data, "--db", db).exit_code == 0

    listed = run("behaviour", "held", *day, "--db", db)
    assert listed.exit_code == 0, listed.output
    assert "2 held" in listed.output and listed.output.count("overlapping_trip") == 2

    decide = ["metro_card", "F2", "--reason", "two cards", "--db", db]
    as_alice = run("behaviour", "release", *decide, "--as", "alice", "--key", "r-0")
    assert as_alice.exit_code == 2 and "forbidden" in as_alice.output
    released = run("behaviour", "release", *decide, "--as", "registry", "--key", "r-1")
    assert released.exit_code == 0, released.output
    assert "439 g" in released.output and "over_daily_cap" in released.output  # 1,000 − 561
    again = run("behaviour", "release", *decide, "--as", "registry", "--key", "r-1")
    assert again.exit_code == 0 and "already recorded" in again.output
    twice = run("behaviour", "reject", *decide, "--as", "registry", "--key", "r-2")
    assert twice.exit_code == 2 and "already_decided" in twice.output
    rejected = run("behaviour", "reject", "metro_card", "F3", "--reason", "duplicate ride",
                   "--as", "registry", "--db", db)  # fmt: skip
    assert rejected.exit_code == 0 and "rejected" in rejected.output
    unknown = run("behaviour", "reject", "metro_card", "NOPE", "--reason", "x",
                  "--as", "registry", "--db", db)  # fmt: skip
    assert unknown.exit_code == 2 and "unknown_event" in unknown.output
    with store.reader() as uow:
        assert uow.balance(account, ENERGY_ASSET, State.UNCOLLECTED) == 1_000
    st = run("behaviour", "statement", str(account), "--from", "2026-11-24", "--to", "2026-11-24",
             "--db", db)  # fmt: skip
    assert st.output.count("metro/v1") == 2  # the day's line and the release's
    assert run("verify", "--db", db, "--data-dir", data).exit_code == 0
    store.dispose()


def test_files_are_kept_beside_the_database_and_verify_checks_them(tmp_path: Path) -> None:
    db_file = tmp_path / "registry.db"
    db = f"sqlite:///{db_file}"
    store = SqlStore(db)
    reg = bootstrap.build(store).registry
    reg.open_account("registry", "o-a", c.OpenAccount("alice", Role.INDIVIDUAL, "Alice"))
    reg.open_account("registry", "o-b", c.OpenAccount("bob", Role.INDIVIDUAL, "Bob"))
    store.dispose()
    events = tmp_path / "metro.csv"
    events.write_text(CSV, encoding="utf-8")
    kept = tmp_path / "registry-data"  # the default: beside the database

    assert run("behaviour", "import", str(events), "--db", db).exit_code == 0
    assert len(list((kept / "behaviour" / "events" / "import").glob("metro-*.parquet"))) == 1
    # --file: quantified from a copy kept in the data folder, which the entry records.
    day = ["--date", "2026-11-24", "--db", db]
    quantified = run("behaviour", "quantify", *day, "--file", str(events))
    assert quantified.exit_code == 0, quantified.output
    [given] = list((kept / "behaviour" / "given").iterdir())
    assert given.read_bytes() == events.read_bytes()
    assert run("verify", "--db", db).exit_code == 0

    given.write_text(CSV.replace("12,km", "99,km"), encoding="utf-8")
    altered = run("verify", "--db", db)
    assert altered.exit_code == 1 and "behaviour_file_altered" in altered.output
    elsewhere = run("--data-dir", str(tmp_path / "empty"), "verify", "--db", db)
    assert elsewhere.exit_code == 1 and "behaviour_file_missing" in elsewhere.output
    missing = run("behaviour", "quantify", *day, "--file", str(tmp_path / "none.csv"))
    assert missing.exit_code == 2 and "no_file" in missing.output
