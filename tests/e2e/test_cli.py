"""The ``pctrade`` command line, driven as a person would: commands in, text and files out.

Each test has its own SQLite file. Writes are checked against the registry's state (via
the query services), not only against the exit code.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from cli_support import BATCH, CEA, ENV, World, run
from typer.testing import CliRunner, Result

from pctrade import bootstrap
from pctrade import export as export_module
from pctrade.cli.main import app
from pctrade.ledger import queries
from pctrade.ledger.model import State


def sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite:///")


@pytest.fixture
def world(sqlite_url: str) -> World:
    return World(sqlite_url)


# ---- registry writes -------------------------------------------------------------------
def test_open_account_registers_the_party(world: World) -> None:
    result = run(world.url, "registry", "open-account", "carol", "--name", "陈洁")
    assert result.exit_code == 0, result.output
    [account] = queries.accounts_of(world.store, "carol")
    assert f"account 账户: {account.account_id}" in result.output


def test_authorize_lets_an_agent_move_holdings(world: World) -> None:
    alice = str(world.ids["alice"])
    assert run(world.url, "registry", "authorize", alice, "bob", "--as", "alice").exit_code == 0
    moved = run(
        world.url, "registry", "transfer", alice, str(world.ids["bob"]),
        "-a", BATCH, "-q", "1kg", "--as", "bob",
    )  # fmt: skip
    assert moved.exit_code == 0, moved.output
    assert world.balance("bob", BATCH) == 1_000


def test_issue_to_one_account_with_units(world: World) -> None:
    number = f"IND-{world.ids['bob']:010d}"
    batch = "CCER-CN-AFF0007-2026Q3-002"
    result = run(world.url, "registry", "issue", batch, "--to", number, "-q", "1.5t", "--as", "mee")
    assert result.exit_code == 0, result.output
    assert world.balance("bob", batch) == 1_500_000
    assert "1.5 t to 1 account" in result.output


def test_a_plain_issue_of_personal_credits_is_refused_and_writes_nothing(world: World) -> None:
    head = world.head()
    for name in ("PCER-GD-AFF0007-2026Q3-002", "PCER-GD-CI-2026Q4"):
        refused = run(world.url, "registry", "issue", name, "--to", str(world.ids["bob"]),
                      "-q", "1t", "--as", "mee")  # fmt: skip
        assert refused.exit_code == 2, refused.output
        assert "error [personal_credit_path_required]" in refused.output
    assert world.head() == head


def test_issue_in_bulk_from_a_csv_file(world: World, tmp_path: Path) -> None:
    rows = ["account_id,quantity", f"{world.ids['alice']},2t", f"{world.ids['bob']},250kg"]
    csv_file = tmp_path / "alloc.csv"
    csv_file.write_text("\n".join(rows) + "\n", encoding="utf-8")
    batch = "CCER-CN-AFF0012-2024-001"
    result = run(world.url, "registry", "issue", batch, "--file", str(csv_file))
    assert result.exit_code == 0, result.output
    assert world.balance("alice", batch) == 2_000_000
    assert world.balance("bob", batch) == 250_000


def test_distribute_pays_many_accounts_from_a_csv_file(world: World, tmp_path: Path) -> None:
    rows = ["account,amount", f"{world.ids['bob']},12.30yuan", f"{world.ids['power']},70"]
    csv_file = tmp_path / "payout.csv"
    csv_file.write_text("\n".join(rows) + "\n", encoding="utf-8")
    args = ["registry", "distribute", str(world.ids["alice"]), "-a", "CNY"]
    args += ["--file", str(csv_file), "--reference", "POOL-1 sale", "--as", "alice"]
    result = run(world.url, *args)
    assert result.exit_code == 0, result.output
    assert "to 2 account(s)" in result.output
    assert (world.balance("bob", "CNY"), world.balance("power", "CNY")) == (1_230, 70)
    assert world.balance("alice", "CNY") == 50_000 - 1_300
    short = csv_file.with_name("short.csv")
    short.write_text(f"{world.ids['bob']},1000yuan\n", encoding="utf-8")
    head = world.head()
    refused = run(world.url, *args[:5], "--file", str(short), *args[7:])
    assert refused.exit_code == 2 and "insufficient_balance" in refused.output
    assert world.head() == head


def test_transfer_with_a_key_applies_once(world: World) -> None:
    args = ["registry", "transfer", str(world.ids["alice"]), str(world.ids["bob"])]
    args += ["-a", BATCH, "-q", "250kg", "--as", "alice", "--key", "t-1"]
    first, second = run(world.url, *args), run(world.url, *args)
    assert first.exit_code == second.exit_code == 0
    assert "replayed" in second.output
    assert world.balance("bob", BATCH) == 250_000
    reused = run(world.url, *args[:-4], "-q", "1kg", "--as", "alice", "--key", "t-1")
    assert reused.exit_code == 2
    assert "error [idempotency_key_reused]" in reused.output


def test_generated_key_is_printed(world: World) -> None:
    result = run(world.url, "registry", "deposit", str(world.ids["bob"]), "12.30yuan",
                 "--reference", "BANK-9")  # fmt: skip
    assert result.exit_code == 0
    assert "idempotency key 幂等键: cli-" in result.output
    assert world.balance("bob", "CNY") == 1_230


def test_freeze_then_unfreeze_in_part(world: World) -> None:
    alice = str(world.ids["alice"])
    frozen = run(world.url, "registry", "freeze", alice, "-a", BATCH, "-q", "500kg",
                 "--reason", "regulator", "--reference", "CASE-7")  # fmt: skip
    assert frozen.exit_code == 0, frozen.output
    hold_id = frozen.output.split("hold 冻结编号: ")[1].split()[0]
    assert world.balance("alice", BATCH, "frozen") == 500_000
    released = run(world.url, "registry", "unfreeze", hold_id, "-q", "200kg")
    assert released.exit_code == 0, released.output
    assert world.balance("alice", BATCH, "frozen") == 300_000
    assert world.balance("alice", BATCH) == 1_700_000


def test_surrender_moves_allowances_to_surrendered(world: World) -> None:
    power = str(world.ids["power"])
    result = run(world.url, "registry", "surrender", power, "-a", CEA, "-q", "4t",
                 "--period", "2025", "--as", "power")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert world.balance("power", CEA, "surrendered") == 4_000_000


def test_retire_prints_a_certificate_that_can_be_shown_again(world: World) -> None:
    alice = str(world.ids["alice"])
    result = run(world.url, "registry", "retire", alice, "-a", BATCH, "-q", "20kg",
                 "--beneficiary", "Alice 李", "--reason", "offset my flight",
                 "--jurisdiction", "CN-GD", "--as", "alice")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Alice 李" in result.output and "20 kg" in result.output
    seq = world.head()
    shown = run(world.url, "registry", "certificate", str(seq))
    assert shown.exit_code == 0
    [cert_id] = re.findall(rf"RC-{seq}-[a-z2-7]{{26}}", shown.output)
    assert "Alice 李" in shown.output
    # By its id, as the public sees it: the name was not published.
    public = run(world.url, "registry", "certificate", cert_id)
    assert public.exit_code == 0, public.output
    assert cert_id in public.output and "Alice 李" not in public.output
    guessed = run(world.url, "registry", "certificate", f"RC-{seq}-{'a' * 26}")
    assert guessed.exit_code == 2 and "unknown_certificate" in guessed.output


def test_cancel_and_withdraw_and_correct(world: World) -> None:
    alice, bob = str(world.ids["alice"]), str(world.ids["bob"])
    cancelled = run(world.url, "registry", "cancel", alice, "-a", BATCH, "-q", "5kg",
                    "--reason", "reversal", "--as", "mee")  # fmt: skip
    assert cancelled.exit_code == 0, cancelled.output
    assert world.balance("alice", BATCH, "cancelled") == 5_000
    out = run(world.url, "registry", "withdraw", alice, "1230fen", "--reference", "OUT-1",
              "--as", "alice")  # fmt: skip
    assert out.exit_code == 0, out.output
    assert world.balance("alice", "CNY") == 50_000 - 1_230
    paid = run(world.url, "registry", "transfer", alice, bob, "-a", "CNY", "-q", "1yuan",
               "--as", "alice")  # fmt: skip
    assert paid.exit_code == 0 and world.balance("bob", "CNY") == 100
    fixed = run(world.url, "registry", "correct", str(world.head()), "--reason", "wrong payee")
    assert fixed.exit_code == 0, fixed.output
    assert world.balance("bob", "CNY") == 0


# ---- registry reads --------------------------------------------------------------------
def test_reads_show_account_journal_entry_and_batches(world: World) -> None:
    number = f"IND-{world.ids['alice']:010d}"
    account = run(world.url, "registry", "account", number)
    assert account.exit_code == 0
    assert number in account.output and "2 t" in account.output and "¥500.00" in account.output
    journal = run(world.url, "registry", "journal", "--account", number, "--limit", "10")
    assert journal.exit_code == 0
    assert "issue" in journal.output and "deposit" in journal.output
    entry = run(world.url, "registry", "entry", "1")
    assert entry.exit_code == 0 and "genesis" in entry.output
    batches = run(world.url, "registry", "batches")
    assert batches.exit_code == 0 and BATCH in batches.output and "10 t" in batches.output


# ---- bad input -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["registry", "account", "IND-0000009999"], "unknown_account"),
        (["registry", "transfer", "9999", "1001", "-a", BATCH, "-q", "1kg"], "unknown_account"),
        (
            ["registry", "transfer", "1001", "1002", "-a", BATCH, "-q", "-5t", "--as", "bob"],
            "non_positive",
        ),
        (["registry", "transfer", "1001", "1002", "-a", BATCH, "-q", "5lbs"], "bad_unit"),
        (["registry", "deposit", "1001", "1.001yuan", "--reference", "x"], "bad_quantity"),
        (["registry", "account", "not-an-account"], "bad_account"),
        (["registry", "certificate", "1"], "unknown_certificate"),
    ],
)
def test_bad_input_is_one_red_line_and_exit_2(world: World, args: list[str], code: str) -> None:
    head = world.head()
    result = run(world.url, *args)
    assert result.exit_code == 2
    assert f"error [{code}]" in result.output
    assert world.head() == head


def test_moving_someone_elses_holdings_is_forbidden(world: World) -> None:
    alice, bob = str(world.ids["alice"]), str(world.ids["bob"])
    result = run(world.url, "registry", "transfer", alice, bob, "-a", BATCH, "-q", "1kg",
                 "--as", "bob")  # fmt: skip
    assert result.exit_code == 2 and "error [forbidden]" in result.output
    assert world.balance("alice", BATCH) == 2_000_000


# ---- verify ----------------------------------------------------------------------------
def test_verify_names_the_entry_whose_posting_was_tampered_with(world: World) -> None:
    assert run(world.url, "verify").exit_code == 0
    with sqlite3.connect(sqlite_path(world.url)) as raw:
        seq = raw.execute("SELECT MAX(seq) FROM postings").fetchone()[0]
        raw.execute("UPDATE postings SET delta = delta + 1 WHERE seq = ? AND idx = 0", (seq,))
    result = run(world.url, "verify")
    assert result.exit_code == 1
    assert "verify: FAILED" in result.output
    line = next(ln for ln in result.output.splitlines() if "hash_mismatch" in ln)
    assert f" {seq} " in line


# ---- export ----------------------------------------------------------------------------
def _counts(url: str) -> dict[str, int]:
    with sqlite3.connect(sqlite_path(url)) as raw:
        return {
            "journal": raw.execute("SELECT COUNT(*) FROM entries").fetchone()[0],
            "postings": raw.execute("SELECT COUNT(*) FROM postings").fetchone()[0],
            "balances": raw.execute("SELECT COUNT(*) FROM balances WHERE amount != 0").fetchone()[
                0
            ],
        }


def test_export_writes_csv_and_parquet_with_every_row(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small chunks, so that every table is written in several record batches.
    monkeypatch.setattr(export_module, "CHUNK_ROWS", 3)
    want = _counts(world.url)
    for fmt in ("csv", "parquet"):
        out = tmp_path / fmt
        result = run(world.url, "export", "--out", str(out), "--format", fmt)
        assert result.exit_code == 0, result.output
        for table, rows in want.items():
            path = out / f"{table}.{fmt}"
            read = pa_csv.read_csv(path) if fmt == "csv" else pq.read_table(path)
            assert read.num_rows == rows, (fmt, table)
        balances = pq.read_table(out / "balances.parquet") if fmt == "parquet" else None
        if balances is not None:
            assert BATCH in balances.column("asset").to_pylist()
            assert set(balances.column("state").to_pylist()) <= {s.label for s in State}


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = run(url, "db", "upgrade")
    assert result.exit_code == 0, result.output
    with sqlite3.connect(tmp_path / "fresh.db") as raw:
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"entries", "postings", "balances", "alembic_version"} <= tables


def test_the_reads_integrators_need_from_a_shell(world: World) -> None:
    head = run(world.url, "registry", "head")
    assert head.exit_code == 0 and f"seq {world.head()}" in head.output
    alice, power = str(world.ids["alice"]), str(world.ids["power"])
    before = world.head()
    run(world.url, "registry", "transfer", alice, power, "-a", BATCH, "-q", "1kg", "--as", "alice")
    then = run(world.url, "registry", "positions", alice, power, "--as-of", str(before))
    now = run(world.url, "registry", "positions", alice, power)
    assert then.exit_code == now.exit_code == 0
    assert f"as of 截至 seq {before}" in then.output and "2 t" in then.output
    assert f"as of 截至 seq {before + 1}" in now.output and "1.999 t" in now.output
    supply = run(world.url, "registry", "supply", BATCH)
    assert supply.exit_code == 0 and BATCH in supply.output
    issued = run(world.url, "registry", "issue", "CCER-CN-AFF0007-2026Q4", "--to", alice,
                 "-q", "1t", "--as", "mee")  # fmt: skip
    assert issued.exit_code == 0 and "CCER-CN-AFF0007-2026Q4-001" in issued.output
    first = run(world.url, "registry", "batches", "--limit", "1")
    [cursor] = re.findall(r"--cursor (\S+)", first.output)
    rest = run(world.url, "registry", "batches", "--cursor", cursor)
    assert BATCH in first.output and CEA in rest.output and BATCH not in rest.output
    assert "--cursor" not in rest.output  # the last page says so by printing none


def test_every_app_a_command_opens_is_closed_when_it_ends(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A read, a refused read and a write: each closes what it opened (on PostgreSQL an
    # app left open keeps its pool's connections until the process ends).
    opened: list[bootstrap.App] = []
    closed: list[bootstrap.App] = []
    build, close = bootstrap.build, bootstrap.App.close

    def building(*args: object, **kwargs: object) -> bootstrap.App:
        app_ = build(*args, **kwargs)  # type: ignore[arg-type]
        opened.append(app_)
        return app_

    def closing(self: bootstrap.App) -> None:
        closed.append(self)
        close(self)

    monkeypatch.setattr(bootstrap, "build", building)
    monkeypatch.setattr(bootstrap.App, "close", closing)
    number = f"IND-{world.ids['alice']:010d}"
    for args in (
        ["registry", "account", number],
        ["registry", "account", "IND-0000009999"],
        ["registry", "journal", "--limit", "3"],
        ["verify"],
    ):
        run(world.url, *args)
        assert opened and {id(a) for a in opened} <= {id(a) for a in closed}, args
        opened.clear()
        closed.clear()


def test_rules_diff_lists_each_change_and_refuses_an_unknown_version() -> None:
    def rules(*args: str) -> Result:
        return CliRunner().invoke(app, ["rules", "diff", *args], env=ENV, catch_exceptions=False)

    changed = rules("CN/2021-02-01", "GD/2022-05-06")
    assert changed.exit_code == 0, changed.output
    assert "cap_bps" in changed.output and "13:30-15:30" in changed.output
    same = rules("GD/2022-05-06", "GD/2022-05-06")
    assert same.exit_code == 0 and "no changes" in same.output
    unknown = rules("GD/2022-05-06", "GD/2099-01-01")
    assert unknown.exit_code == 2 and "no_rule_set" in unknown.output
