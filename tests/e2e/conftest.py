"""Fixtures for the HTTP API tests: the app on SQLite and, when reachable, PostgreSQL.

Each backend's database is created once per session (PostgreSQL: a database of our own,
dropped first) and emptied before every test, so each test starts from a fresh
registry. If ``PCTRADE_REQUIRE_PG=1`` and PostgreSQL cannot be reached, the PostgreSQL
tests fail instead of being skipped.

``world`` (see ``api_world``) opens the cast every test uses: the registry operator, a
regulator, two individuals, a platform and a key emitter, each with a login, plus a partner API key.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from api_world import BATCH, CAST, CEA, PASSWORD, Clock, World
from fastapi.testclient import TestClient

from pctrade.api import auth
from pctrade.api.app import create_app
from pctrade.api.settings import ApiSettings
from pctrade.bootstrap.tables import all_tables
from pctrade.ledger import commands as c
from pctrade.ledger.service import Registry
from pctrade.ledger.sql import schema as t
from pctrade.ledger.sql.store import SqlStore

TOKEN_TTL_S = 3600
PG_SERVER = os.environ.get("PCTRADE_TEST_PG_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432")


def _pg_database() -> str:
    # One database per xdist worker and process, so that parallel runs (two checkouts
    # testing against one server) never share one, as in tests/conftest.py.
    return f"pctrade_api_test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"


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


@dataclass
class Backend:
    store: SqlStore
    head_row: dict[str, Any]


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    if request.param == "sqlite":
        store = SqlStore(f"sqlite:///{tmp_path_factory.mktemp('api') / 'registry.db'}")
    else:
        store = _pg_store()
    # The migrated, empty head row: what every test's fresh registry starts from.
    with store.engine.connect() as conn:
        head = dict(conn.execute(sa.select(t.registry_head)).one()._mapping)
    yield Backend(store, head)
    store.dispose()
    if request.param == "postgresql":
        admin = _pg_admin()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{_pg_database()}" WITH (FORCE)'))
        admin.dispose()


def _empty(backend: Backend) -> None:
    tables = [table.name for table in all_tables()]
    with backend.store.engine.begin() as conn:
        # DELETE, not TRUNCATE: a test leaves a few dozen rows, and TRUNCATE on
        # PostgreSQL recreates every table's files, which costs far more.
        for name in tables:
            conn.execute(sa.text(f"DELETE FROM {name}"))
        conn.execute(t.registry_head.insert().values(**backend.head_row))
    backend.store.forget_cached_rows()


@pytest.fixture
def store(backend: Backend) -> SqlStore:
    _empty(backend)
    return backend.store


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(store: SqlStore, clock: Clock) -> Iterator[TestClient]:
    registry = Registry(store, clock=clock)
    app = create_app(store, registry, ApiSettings(token_ttl_s=TOKEN_TTL_S, clock=clock))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def world(client: TestClient, store: SqlStore, clock: Clock) -> World:
    registry: Registry = client.app.state.registry  # type: ignore[attr-defined]
    w = World(client, store)
    for party_id, role in CAST:
        receipt = registry.open_account(
            "registry", f"open-{party_id}", c.OpenAccount(party_id, role, party_id.title())
        )
        if "account" in receipt.payload:
            w.accounts[party_id] = int(receipt.payload["account"])
    for party_id in ["registry", *(p for p, _ in CAST)]:
        auth.create_user(store, party_id, PASSWORD, party_id, rounds=4)
        # Logging in over HTTP is tested in test_api_auth; here the service is quicker.
        token = auth.login(store, party_id, PASSWORD, now=clock(), ttl_s=TOKEN_TTL_S)
        w.headers[party_id] = {"Authorization": f"Bearer {token.token}"}
    w.api_key = auth.issue_api_key(store, "plat", "platform backend")
    w.headers["plat-key"] = {"X-API-Key": w.api_key}
    return w


@pytest.fixture
def funded(world: World) -> World:
    """The world after a PCER batch (alice 5 t, bob 1 t), a CEA batch (steelco 10 t) and a
    cash deposit (alice ¥100)."""
    a = world.accounts
    registry: Registry = world.client.app.state.registry  # type: ignore[attr-defined]
    issues = [
        (BATCH, [a["alice"], a["bob"]], [5_000_000, 1_000_000]),
        (CEA, [a["steelco"]], [10_000_000]),
    ]
    for denomination, holders, amounts in issues:
        registry.issue("mee", f"issue-{denomination}", c.Issue(denomination, holders, amounts))
    registry.deposit("registry", "deposit-1", c.Deposit(a["alice"], 10_000, "bank-1"))
    return world
