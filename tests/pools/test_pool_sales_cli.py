"""``pctrade pool sales|statement|page|fees`` over a database with one pool sale."""

from __future__ import annotations

import typer
from sale_support import POOL, a_sale, pool_world, sell
from typer.testing import CliRunner

from pctrade.cli import pool_sales
from pctrade.ledger.sql.store import SqlStore

ENV = {"COLUMNS": "200", "NO_COLOR": "1"}


def _cli() -> typer.Typer:
    app = typer.Typer()
    pool_sales.register(app)
    return app


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
    code, out = call("page", POOL)
    assert code == 0 and "contributors_paid: 2" in out, out
    code, out = call("fees", "--as", "reg")
    assert code == 0 and "plat" in out and "delay is zero" in out, out
    code, out = call("fees", "--as", "alice")
    assert code == 2 and "forbidden" in out, out
