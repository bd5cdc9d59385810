"""The command line refuses text no database may store, the same on SQLite and PostgreSQL.

An argument holding U+0000 is refused before any command parses it (``nul_character``,
exit 2), whichever command and option it was meant for, and nothing is written.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from pctrade.bootstrap import App
from pctrade.cli.main import app
from table_snapshot import everything

ENV = {"COLUMNS": "200", "PCTRADE_DATABASE_URL": ""}


@pytest.mark.parametrize(
    "args",
    [
        ["registry", "open-account", "zed", "--name", "Zed\x00"],
        ["registry", "open-account", "zed\x00"],
        ["registry", "batches", "--as\x00", "x"],
        ["registry", "account", "IND-0000001000\x00"],
    ],
)
def test_a_nul_in_any_argument_is_refused_and_writes_nothing(wired: App, args: list[str]) -> None:
    url = wired.store.url
    before = everything(wired.store)
    result = CliRunner().invoke(app, [*args, "--db", url], env=ENV, catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert "error [nul_character]" in result.output and "Traceback" not in result.output
    assert everything(wired.store) == before


def test_the_same_command_without_the_nul_is_carried_out(wired: App) -> None:
    """The refusal above is the text's, not the command's."""
    url = wired.store.url
    args = ["registry", "open-account", "zed", "--name", "Zed", "--db", url]
    result = CliRunner().invoke(app, args, env=ENV, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with wired.store.reader() as uow:
        assert uow.party("zed") is not None
