"""``pctrade pool sales|statement|sales-page|sale-fees`` over a database with one sale."""

from __future__ import annotations

import typer
from sale_support import POOL, a_sale, pool_world, sell
from typer.testing import CliRunner

from pctrade.cli import pools as pools_cli
from pctrade.ledger.sql.store import SqlStore

ENV = {"COLUMNS": "200", "NO_COLOR": "1"}


def _cli() -> typer.Typer:
    return pools_cli.app  # the ``pool`` group, with the sales' commands registered


def test_the_sales_commands_print_what_each_reader_may_see(
    store: SqlStore, sqlite_url: str
) -> None:
    pw = pool_world(store)
    sell(pw.w.app.registry, "s-1", a_sale(pw))
    app, run = _cli(), CliRunner()

    def call(*args: str) -> tuple[int, str]:
        result = run.invoke(app, [*args, "--db", sqlite_url], env=ENV)
        return result.exit_code, result.output

    code, out = call("statement", str(pw.w.alice), "--as", "alice")
    assert code == 0, out
    assert "S-1" in out and "800 g" in out and "4.55" in out
    code, out = call("sales", POOL, "--as", "bob")
    assert code == 0 and "2 kg" in out, out
    code, out = call("sales-page", POOL)
    assert code == 0 and "contributors_paid: 2" in out, out
    code, out = call("sale-fees", "--as", "reg")
    assert code == 0 and "plat" in out and "delay is zero" in out, out
    code, out = call("sale-fees", "--as", "alice")
    assert code == 2 and "forbidden" in out, out
