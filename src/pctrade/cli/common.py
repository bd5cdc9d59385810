"""What every CLI command shares: the database option, the app, the console, and errors.

The CLI is an entrypoint, so it stays thin: it parses text into a command, calls a
service of the app (``open_app``: the composition root's, over the system clock and
the shipped rule book) and prints the receipt. Domain failures (``PctradeError``) become one
red line ``error [code]: message`` on stderr and exit code 2; database failures are
mapped the same way under the code ``database_error``. Nobody sees a traceback for
something they typed.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from pctrade import bootstrap
from pctrade.bootstrap import App
from pctrade.kernel.errors import PctradeError
from pctrade.kernel.limits import PAGE_SIZE_MAX
from pctrade.kernel.paging import Page, next_cursor
from pctrade.kernel.text import check_text
from pctrade.ledger.sql.engine import (
    BadDatabaseUrl,
    DatabaseError,
    database_url,
    printable_url,
)
from pctrade.ledger.sql.store import SqlStore

T = TypeVar("T")

EXIT_PROBLEMS = 1
EXIT_ERROR = 2
ENV_URL = "PCTRADE_DATABASE_URL"

# Width for output that goes to a file or a pipe (Rich would assume 80 columns, too
# narrow for the bilingual tables); a terminal and $COLUMNS still decide for themselves.
PIPE_WIDTH = 120


def _width() -> int | None:
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit():
        return int(columns)
    return None if sys.stdout.isatty() else PIPE_WIDTH


def refresh_width() -> None:
    """Decide the width when a command runs, not when the module was first imported."""
    width = _width()
    if width is not None:
        for c in (console, err_console):
            c.width = width


# Consoles resolve sys.stdout / sys.stderr when they write, so test runners that swap
# the streams still capture everything.
console = Console(highlight=False, width=_width())
err_console = Console(stderr=True, highlight=False, width=_width())


@dataclass(slots=True)
class Settings:
    """Options given before the subcommand (``pctrade --db URL …``)."""

    db: str | None = None
    data_dir: Path | None = None


settings = Settings()

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar=ENV_URL,
        help="Database URL (sqlite:///pctrade.db by default; postgresql://… for a server).",
        show_default=False,
    ),
]
DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Where kept files are (partners' events, reports): $PCTRADE_DATA_DIR, else "
        "beside an SQLite database (pctrade.db: pctrade-data/), else a folder named after "
        "the database under ~/.local/share/pctrade.",
        show_default=False,
    ),
]
ActorOption = Annotated[
    str, typer.Option("--as", help="Acting party (操作方) recorded in the journal.")
]
KeyOption = Annotated[
    str | None,
    typer.Option(
        "--key",
        help="Idempotency key; a retry with the same key never applies twice. "
        "Generated and printed when omitted.",
        show_default=False,
    ),
]

CursorOption = Annotated[
    str | None,
    typer.Option(help="Continue from the page this cursor was printed under.", show_default=False),
]
LimitOption = Annotated[int, typer.Option(help=f"At most this many (≤ {PAGE_SIZE_MAX}).")]


def print_next(list_name: str, page: Page[T]) -> None:
    """Say how to read the page after this one, if there is one (``kernel.paging``)."""
    cursor = next_cursor(list_name, page)
    if cursor is not None:
        console.print(f"[dim]next page 下一页: --cursor {cursor}[/dim]")


def resolve_url(db: str | None) -> str:
    return database_url(db or settings.db)


def display_url(url: str) -> str:
    """The URL without its password, fit to print."""
    return printable_url(url)


def checked_url(build: Callable[[], T]) -> T:
    """``build()``, with a database URL it cannot use reported as the user's mistake."""
    try:
        return build()
    except BadDatabaseUrl as exc:
        raise PctradeError(f"cannot use database URL: {exc}", code="bad_database_url") from exc


def data_dir_of(db: str | None, given: Path | None = None) -> Path:
    """The data folder of the app on this database: ``--data-dir`` or the default."""
    chosen = given or settings.data_dir
    if chosen is not None:
        return chosen.absolute()
    url = resolve_url(db)
    return checked_url(lambda: bootstrap.default_data_dir(url))


def open_app(
    db: str | None, *, data_dir: Path | None = None, writes: bool = True, group_commit: bool = False
) -> App:
    """The app on this database (and data folder: ``--data-dir`` after the subcommand or
    before it). A command that ``writes`` prepares it (migrates, writes the genesis
    entry if there is none); one that only reads just migrates."""
    url = resolve_url(db)
    folder = data_dir or settings.data_dir
    app = checked_url(
        lambda: bootstrap.build(url, data_dir=folder, group_commit=group_commit, prepare=False)
    )
    _opened.append(app)
    if writes:
        app.prepare()
    else:
        bootstrap.migrate(app.store)
    return app


# The apps the running command opened: the root command closes them when it ends
# (``close_opened``), so a command that only reads leaves no connection to a server
# database behind either, whether it returned, failed or printed a page.
_opened: list[App] = []


def close_opened() -> None:
    """Close every app this command opened (closing one twice is harmless)."""
    while _opened:
        _opened.pop().close()


def open_store(db: str | None) -> SqlStore:
    """The store of a reading app on this database."""
    return open_app(db, writes=False).store


def idempotency_key(given: str | None) -> str:
    """The caller's key, or a fresh one that is printed so a retry can reuse it."""
    if given:
        return given
    key = f"cli-{uuid.uuid4().hex[:20]}"
    err_console.print(f"[dim]idempotency key 幂等键: {key}[/dim]")
    return key


def fail(code: str, message: str) -> typer.Exit:
    err_console.print(
        f"[bold red]error {escape(f'[{code}]')}:[/bold red] {escape(message)}", soft_wrap=True
    )
    return typer.Exit(EXIT_ERROR)


class CheckedArguments(TyperGroup):
    """The root command: every argument is checked as text before any is parsed, so a
    value no database may store (U+0000) is refused the same on SQLite and PostgreSQL,
    whichever command and option it was meant for (``pctrade.kernel.text``)."""

    # ``ctx`` is typer's own (vendored) click context, which typer does not export.
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        for arg in args:
            try:
                check_text(arg, "an argument")
            except PctradeError as exc:
                raise fail(exc.code, exc.message) from None
        return super().parse_args(ctx, args)


@contextmanager
def guarded() -> Iterator[None]:
    """Map domain and database errors to one red line and exit code 2."""
    try:
        yield
    except PctradeError as exc:
        raise fail(exc.code, exc.message) from None
    except DatabaseError as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise fail("database_error", first_line) from None
