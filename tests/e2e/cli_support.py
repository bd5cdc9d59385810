"""The command-line tests' registry and runner: ``run`` drives ``pctrade`` in-process.

``World`` opens alice and bob (individuals), a regulator and an emitter in a SQLite file
and issues them a CCER batch and CEA allowances; the CLI tests act on it as a person would.
"""

from __future__ import annotations

from typer.testing import CliRunner, Result

from pctrade import bootstrap
from pctrade.bootstrap import contexts
from pctrade.cli.main import app
from pctrade.ledger import commands as c
from pctrade.ledger import queries
from pctrade.ledger.model import Role
from pctrade.ledger.sql.store import SqlStore

BATCH = "CCER-CN-AFF0007-2026Q3-001"
CEA = "CEA-GD-ALLOC-2025-001"
ENV = {"COLUMNS": "200", "PCTRADE_DATABASE_URL": ""}


def run(db: str, *args: str) -> Result:
    """Invoke ``pctrade ARGS --db DB`` in-process and return what a person would see."""
    result = CliRunner().invoke(app, [*args, "--db", db], env=ENV, catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


class World:
    """alice and bob (individuals) and an emitter; CCER to alice, CEA to the emitter."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.store = SqlStore(url)
        reg = bootstrap.build(self.store).registry
        self.ids: dict[str, int] = {}
        for party, role in (
            ("mee", Role.REGULATOR),
            ("alice", Role.INDIVIDUAL),
            ("bob", Role.INDIVIDUAL),
            ("power", Role.EMITTER),
        ):
            r = reg.open_account("registry", f"open-{party}", c.OpenAccount(party, role, party))
            if "account" in r.payload:
                self.ids[party] = int(r.payload["account"])
        reg.issue("mee", "i1", c.Issue(BATCH, [self.ids["alice"]], [2_000_000]))
        reg.issue("mee", "i2", c.Issue(CEA, [self.ids["power"]], [10_000_000]))
        reg.deposit("registry", "d1", c.Deposit(self.ids["alice"], 50_000, "BANK-1"))

    def balance(self, party: str, asset: str, state: str = "available") -> int:
        view = queries.account_view(self.store, self.ids[party])
        return sum(h.amount for h in view.holdings if h.asset == asset and h.state == state)

    def head(self) -> int:
        return contexts.verify(self.store).head_seq
