"""Shared fixtures: a registry store on temporary SQLite, and on a real PostgreSQL.

PostgreSQL tests get one fresh database per test session and pytest-xdist worker
(``pctrade_test_<worker>_<pid>``), dropped at the end; between tests every table is
emptied and the journal head reset, which is much faster than a database per test.
When the server is unreachable the PostgreSQL tests are skipped, unless
``PCTRADE_REQUIRE_PG=1`` (CI sets it), in which case they fail.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import settings

from hypothesis_budget import PROFILE
from pctrade import bootstrap
from pctrade.bootstrap.sql import empty
from pctrade.ledger.sql.store import SqlStore

# Passwords are hashed with argon2's cheapest cost in the tests: configuration, read by
# ``bootstrap.default_identity`` like any deployment's (set before any app is built).
os.environ.setdefault("PCTRADE_PASSWORD_HASHING", "t=1,m=8,p=1")

# Hypothesis's defaults for the tests that name no count of their own (hypothesis_budget:
# those that do take theirs from the same profile). No deadline: timing on a loaded
# machine is no property of the code.
settings.register_profile("ci", max_examples=100, deadline=None)  # Hypothesis's own count
settings.register_profile("thorough", max_examples=500, deadline=None)
settings.load_profile(PROFILE)

PG_ADMIN_URL = os.environ.get(
    "PCTRADE_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _admin_engine() -> sa.Engine:
    return sa.create_engine(
        PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty database on each engine, for the tests that migrate, downgrade or stamp."""
    name = "sqlite_url" if request.param == "sqlite" else "scratch_pg_url"
    yield request.getfixturevalue(name)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'registry.db'}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated once per session and worker, for ``store`` to copy:
    running the migrations costs about 0.2 s of CPU, a copy a few milliseconds, and
    hundreds of tests take a fresh store."""
    path = tmp_path_factory.mktemp("template") / "registry.db"
    s = SqlStore(f"sqlite:///{path}")
    bootstrap.migrate(s)  # the schema only: the tests' apps write their own genesis
    s.dispose()
    return path


@pytest.fixture
def store(sqlite_url: str, sqlite_template: Path) -> Iterator[SqlStore]:
    # SQLite's backup copies the database as committed, whatever its journal holds.
    target_path = sqlite_url.removeprefix("sqlite:///")
    with (
        closing(sqlite3.connect(sqlite_template)) as source,
        closing(sqlite3.connect(target_path)) as target,
    ):
        source.backup(target)
    s = SqlStore(sqlite_url)
    bootstrap.migrate(s)  # a current schema costs one read; a stale template is upgraded
    yield s
    s.dispose()


@contextmanager
def _fresh_pg_database(suffix: str) -> Iterator[str]:
    """An empty PostgreSQL database of this worker, dropped afterwards; its URL."""
    admin = _admin_engine()
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        reason = f"PostgreSQL unreachable at {PG_ADMIN_URL}: {exc.orig}"
        if os.environ.get("PCTRADE_REQUIRE_PG") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"pctrade_test_{worker}_{os.getpid()}{suffix}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        # A throwaway database need not wait for the disk on commit: atomicity and
        # isolation, which the tests check, are unaffected; only a server crash could
        # lose the last commits.
        conn.execute(sa.text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this session and worker, migrated once."""
    with _fresh_pg_database("") as url:
        s = SqlStore(url)
        bootstrap.migrate(s)  # once per session; each test empties the tables
        s.dispose()
        try:
            yield url
        finally:
            _dispose_reset_engine(url)  # before the database is dropped


@pytest.fixture
def scratch_pg_url() -> Iterator[str]:
    """An empty PostgreSQL database for one test that may drop or recreate its tables."""
    with _fresh_pg_database("_scratch") as url:
        yield url


# One engine per database for the resets: a new engine per test cost a connection each.
_reset_engines: dict[str, sa.Engine] = {}


def reset_pg(url: str) -> None:
    """Empty every registry table and put the journal head back before genesis.

    ``bootstrap.sql.empty`` deletes the rows: TRUNCATE, which this did before, recreates
    every table's and index's files and cost about a second per test here (DELETE of
    the few rows a test leaves: under 20 ms), for the 560-odd tests on PostgreSQL."""
    engine = _reset_engines.get(url)
    if engine is None:
        engine = _reset_engines[url] = sa.create_engine(url)
    empty(engine)


def _dispose_reset_engine(url: str) -> None:
    engine = _reset_engines.pop(url, None)
    if engine is not None:
        engine.dispose()


@pytest.fixture
def pg_reset() -> Callable[[str], None]:
    """``reset_pg`` for a test that empties its database more than once. A fixture, not an
    import: ``from conftest import …`` finds whichever conftest module was loaded first."""
    return reset_pg


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[SqlStore]:
    reset_pg(pg_url)
    s = SqlStore(pg_url)
    yield s
    s.dispose()


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def any_store(request: pytest.FixtureRequest) -> SqlStore:
    """The same test on SQLite and on PostgreSQL."""
    name = "store" if request.param == "sqlite" else "pg_store"
    s: SqlStore = request.getfixturevalue(name)
    return s
