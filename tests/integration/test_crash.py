"""A process killed in the middle of a bulk operation leaves all of it or none of it.

A child process opens many accounts and then issues batch after batch to all of them
(each issuance one entry of N+1 postings) until the parent kills it with SIGKILL. The
database must then hold only whole issuances: every issue entry with all its postings,
every batch fully reflected in the balances, and ``verify`` must pass.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from registry_world import assert_verifies

from pctrade import bootstrap
from pctrade.ledger.model import FIRST_HOLDER_ACCOUNT
from pctrade.ledger.sql import schema
from pctrade.ledger.sql.store import SqlStore

CHILD = """
import sys
from pctrade import bootstrap
from pctrade.ledger.model import Role
from pctrade.ledger import commands as c

url, n = sys.argv[1], int(sys.argv[2])
reg = bootstrap.build(url).registry
reg.open_account("registry", "reg", c.OpenAccount("reg", Role.REGULATOR, "R"))
parties = [f"p{i}" for i in range(n)]
reg.open_accounts("registry", "bulk-open", c.OpenAccounts(Role.INDIVIDUAL, parties))
accounts = list(range(1000, 1000 + n))
print("READY", flush=True)
for serial in range(1, 1000):
    name = f"CCER-CN-CRASH-2026-{serial:03d}"
    reg.issue("reg", f"issue-{serial}", c.Issue(name, accounts, [serial] * n))
    print("ISSUED", serial, flush=True)
"""
KILL_AFTER_S = 1.5
READY_TIMEOUT_S = 90


def crash_child(url: str, n: int, tmp_path: Path) -> int:
    """Run the child until it is ready, let it issue for a while, SIGKILL it."""
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    proc = subprocess.Popen(
        [sys.executable, str(script), url, str(n)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + READY_TIMEOUT_S
    line = proc.stdout.readline()
    assert line.strip() == "READY", proc.stderr.read() if proc.stderr else line
    assert time.monotonic() < deadline
    time.sleep(KILL_AFTER_S)
    os.kill(proc.pid, signal.SIGKILL)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, err
    return out.count("ISSUED")


def assert_whole_issuances_only(url: str, n: int, reported: int) -> None:
    store = SqlStore(url)
    try:
        e, p, b, bal = schema.entries.c, schema.postings.c, schema.batches.c, schema.balances.c
        with store.engine.connect() as conn:
            issues = conn.execute(
                sa.select(e.seq, e.posting_count).where(e.op_type == "issue")
            ).all()
            for seq, count in issues:
                stored = conn.execute(
                    sa.select(sa.func.count()).select_from(schema.postings).where(p.seq == seq)
                ).scalar_one()
                assert count == stored == n + 1, f"issue {seq}: {stored} postings of {n + 1}"
            batches = conn.execute(sa.select(b.asset_id, b.issued_g)).all()
            assert len(batches) == len(issues)
            for asset_id, issued in batches:
                held = conn.execute(
                    sa.select(sa.func.sum(bal.amount), sa.func.count()).where(
                        (bal.asset_id == asset_id) & (bal.account_id >= FIRST_HOLDER_ACCOUNT)
                    )
                ).one()
                assert tuple(held) == (issued, n), f"batch {asset_id} is partly applied"
        # The child may have committed one more issuance than it managed to report.
        assert reported <= len(issues) <= reported + 1
        print(f"\n[{store.engine.dialect.name}] killed after {len(issues)} whole issuances of {n}")
        assert_verifies(store)
    finally:
        store.dispose()


@pytest.mark.slow
def test_a_killed_bulk_issuance_on_sqlite_is_all_or_nothing(
    sqlite_url: str, tmp_path: Path
) -> None:
    n = 200_000
    store = SqlStore(sqlite_url)
    bootstrap.migrate(store)  # the schema first, as a deployment's start-up would
    store.dispose()
    reported = crash_child(sqlite_url, n, tmp_path)
    assert_whole_issuances_only(sqlite_url, n, reported)


@pytest.mark.pg
@pytest.mark.slow
def test_a_killed_bulk_issuance_on_postgresql_is_all_or_nothing(
    pg_store: SqlStore, pg_url: str, tmp_path: Path
) -> None:
    n = 100_000
    pg_store.dispose()
    reported = crash_child(pg_url, n, tmp_path)
    assert_whole_issuances_only(pg_url, n, reported)
