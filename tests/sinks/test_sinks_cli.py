"""``pctrade sink …`` driven as a person would, from registration to "my credits"."""

from __future__ import annotations

from pathlib import Path

from sinks_world import build, grant_energy, held, unit_g
from typer.testing import CliRunner, Result

from pctrade.bootstrap.contexts import verify
from pctrade.cli.main import app
from pctrade.cli.render import carbon
from pctrade.ledger.model import SystemAccount
from pctrade.ledger.sql.store import SqlStore

ENV = {"COLUMNS": "200", "PCTRADE_DATABASE_URL": ""}
# The CLI runs on the real clock: a period is reported after it has ended and counts
# the sponsorships made by its end, so the shares are bought through the service on the
# world's clock (June 2026) and the CLI reports Q3 2026, which has ended on any day the
# test may run. A sponsorship through the CLI is dated today and shares in later periods.
BATCH = "PCER-GD-AFF0007-2026Q3-001"


def run(db: str, *args: str) -> Result:
    result = CliRunner().invoke(app, [*args, "--db", db], env=ENV, catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def ok(db: str, *args: str) -> str:
    result = run(db, *args)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_sink_commands_take_a_project_from_registration_to_my_credits(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    store = SqlStore(url)
    w = build(store)
    grant_energy(w, {"alice": 4 * unit_g(), "bob": 2 * unit_g()})
    alice = str(w.people["alice"])

    ok(url, "sink", "register", "AFF0007", "--as", "forestco", "--name", "梅州造林",
       "--type", "afforestation", "--forest-type", "chinese_fir",
       "--parcel", "MZ-01:600000:12", "--parcel", "MZ-02:400000:5",
       "--start", "2026-01-01", "--end", "2045-12-31", "--unit-energy", f"{unit_g()}g",
       "--units", "100", "--affiliate", "forestco-mrv", "--stand-age", "6")  # fmt: skip
    refused = run(url, "sink", "sponsor", "AFF0007", alice, "--as", "alice", "--units", "1")
    assert refused.exit_code == 2 and "project_not_approved" in refused.output
    ok(url, "sink", "approve", "AFF0007", "--as", "reg")
    offer = ok(url, "sink", "offer", "AFF0007")
    assert f"price {carbon(unit_g())} of green energy = expected removal" in offer
    assert "expected removal" in offer and "2045-12-31" in offer and "ex post" in offer
    w.sinks.sponsor("alice", "sp-a", w.people["alice"], "AFF0007", 3)
    w.sinks.sponsor("bob", "sp-b", w.people["bob"], "AFF0007", 2)
    broke = run(url, "sink", "sponsor", "AFF0007", alice, "--as", "alice", "--units", "2")
    assert broke.exit_code == 2 and "insufficient_balance" in broke.output
    out = ok(url, "sink", "sponsor", "AFF0007", alice, "--as", "alice", "--units", "1")
    assert "1 units of AFF0007" in out

    ok(url, "sink", "report", "AFF0007", "--as", "forestco", "--start", "2026-07-01",
       "--end", "2026-09-30", "--removals", "100t")  # fmt: skip
    own = run(url, "sink", "verify", "1", "--as", "forestco-mrv")
    assert own.exit_code == 2 and "own_project" in own.output
    ok(url, "sink", "verify", "1", "--as", "cqc", "--reason", "field check")
    out = ok(url, "sink", "issue", "1", "--as", "reg", "--key", "issue-1")
    assert BATCH in out and "2 sponsors" in out and "unissued 95" in out
    # Per unit (issue 11), the 3 + 2 sponsored units of the project's 100 have 5 % of the
    # 100 t, 5 t: the 20 % buffer insures it (1 t), the sponsors get 4 t, and the other
    # 95 t stay unissued.
    assert held(w, w.people["alice"], BATCH) == 2_400_000
    assert held(w, w.people["bob"], BATCH) == 1_600_000

    out = ok(url, "sink", "mine", alice)
    assert "AFF0007" in out and BATCH in out and "2.4" in out
    out = ok(url, "sink", "reverse", "AFF0007", "--as", "reg", "--loss", "25t",
             "--cause", "fire", "--key", "fire-1")  # fmt: skip
    # The credits stand for 5 % of the project's removals, so for 5 % of its loss: 1.25 t,
    # of which the buffer's 1 t is cancelled and 250 kg is a shortfall.
    assert "credits stand for 1.25 t" in out and "shortfall 250 kg" in out
    assert held(w, SystemAccount.BUFFER, BATCH) == 0
    assert held(w, w.people["alice"], BATCH) == 2_400_000
    assert verify(store).ok
    store.dispose()
