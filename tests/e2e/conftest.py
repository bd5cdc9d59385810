"""Fixtures for the HTTP API tests: the app on SQLite and, when reachable, PostgreSQL.

Each backend's database is created once per session (PostgreSQL: a database of our own,
dropped first); every test builds a fresh app over it and resets it (``App.reset``:
no rows, no cached rows, a new genesis), so each test starts from a fresh registry.
If ``PCTRADE_REQUIRE_PG=1`` and PostgreSQL cannot be reached, the PostgreSQL tests fail
instead of being skipped.

``world`` (see ``api_world``) opens the cast every test uses: the registry operator, a
regulator, two individuals, a platform and a key emitter, each with a login, plus a partner API key.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from api_world import BATCH, CAST, CEA, PASSWORD, TOKEN_TTL_S, Clock, World
from fastapi.testclient import TestClient

from api_support import api_for
from identity_support import bearer, create_logins
from pctrade import bootstrap
from pctrade.api.settings import ApiSettings
from pctrade.bootstrap import App
from pctrade.identity.commands import CreateApiKey
from pctrade.ledger import commands as c
from pctrade.ledger.service import Registry
from pctrade.ledger.sql.store import SqlStore

PG_SERVER = os.environ.get("PCTRADE_TEST_PG_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432")


def _pg_database() -> str:
    # One database per xdist worker and process, so that parallel runs (also two
    # checkouts' suites on one server) never share one.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"pctrade_api_test_{worker}_{os.getpid()}"


def _pg_admin() -> sa.Engine:
    return sa.create_engine(
        f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )


def _recreate_pg_database(name: str) -> None:
    admin = _pg_admin()
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()


def _pg_store() -> SqlStore:
    name = _pg_database()
    try:
        _recreate_pg_database(name)
    except sa.exc.OperationalError as exc:
        if os.environ.get("PCTRADE_REQUIRE_PG") == "1":
            pytest.fail(f"PostgreSQL is required but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc.orig}")
    return SqlStore(f"{PG_SERVER}/{name}")


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SqlStore]:
    if request.param == "sqlite":
        store = SqlStore(f"sqlite:///{tmp_path_factory.mktemp('api') / 'registry.db'}")
    else:
        store = _pg_store()
    bootstrap.migrate(store)
    yield store
    store.dispose()
    if request.param == "postgresql":
        admin = _pg_admin()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{_pg_database()}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def wired(backend: SqlStore, clock: Clock, tmp_path: Path) -> App:
    """A fresh app over the session's database, reset: the registry every test starts from."""
    app = bootstrap.build(backend, clock=clock, data_dir=tmp_path / "data", prepare=False)
    app.reset()
    return app


@pytest.fixture
def store(wired: App) -> SqlStore:
    return wired.store


@pytest.fixture
def client(wired: App) -> Iterator[TestClient]:
    # A stream with nothing new ends soon here (a fuzzer reads it to the end).
    settings = ApiSettings(token_ttl_s=TOKEN_TTL_S, stream_poll_s=0.02, stream_idle_s=0.2)
    with TestClient(api_for(wired, settings)) as test_client:
        yield test_client


@pytest.fixture
def world(client: TestClient, wired: App, store: SqlStore, clock: Clock) -> World:
    registry = wired.registry
    w = World(client, store)
    for party_id, role in CAST:
        receipt = registry.open_account(
            "registry", f"open-{party_id}", c.OpenAccount(party_id, role, party_id.title())
        )
        if "account" in receipt.payload:
            w.accounts[party_id] = int(receipt.payload["account"])
    parties = ["registry", *(p for p, _ in CAST)]
    create_logins(wired, parties, PASSWORD)
    for party_id in parties:
        # Logging in over HTTP is tested in test_api_auth; here the service is quicker.
        w.headers[party_id] = bearer(wired, party_id, PASSWORD, TOKEN_TTL_S)
    issued = wired.identity.create_api_key("registry", "test-key", CreateApiKey("plat", "backend"))
    assert issued.secret is not None
    w.api_key = issued.secret
    w.headers["plat-key"] = {"X-API-Key": w.api_key}
    return w


@pytest.fixture
def funded(world: World) -> World:
    """The world after a PCER batch (alice 5 t, bob 1 t), a CEA batch (steelco 10 t) and a
    cash deposit (alice ¥100)."""
    a = world.accounts
    registry: Registry = world.client.app.state.app.registry  # type: ignore[attr-defined]
    issues = [
        (BATCH, [a["alice"], a["bob"]], [5_000_000, 1_000_000]),
        (CEA, [a["steelco"]], [10_000_000]),
    ]
    for denomination, holders, amounts in issues:
        registry.issue("mee", f"issue-{denomination}", c.Issue(denomination, holders, amounts))
    registry.deposit("registry", "deposit-1", c.Deposit(a["alice"], 10_000, "bank-1"))
    return world
