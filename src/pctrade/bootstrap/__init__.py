"""The composition root: the one place that wires pctrade together.

``build`` makes an ``App`` from four things — a database (a URL, or a store to share an
engine with), a clock, a rule book and a data folder — and the services over them
(and, like the clock, the randomness unguessable ids are drawn from):
the registry (the ledger's one writer), sinks, carbon-inclusive issuance, identity and
the market (listing, orders, settlement, the close: ``market.service``)
(logins, tokens, API keys, onboarding; its argon2 cost and login throttle are
``identity=``, by default ``$PCTRADE_PASSWORD_HASHING`` or argon2-cffi's profile). The green
energy functions (``energy.service``, ``energy.ingest``, ``energy.review``) take the
registry, the rule book and the data folder from the app. The API, the CLI, the demo
and the tests all start here, so none of them reads the wall clock or a rule set
behind the app's back:

    app = build("sqlite:///pctrade.db")                 # the system clock, shipped rules
    app = build(store, clock=SetClock(t0), rules=book)  # a test, a scenario

The data folder holds the files behaviour ingestion keeps (partners' event files, their
reports); the journal records their digests and ``verify`` checks them there
(``energy.kept``), so an app finds them in the same place whatever its working
directory: ``data_dir`` if given, else ``$PCTRADE_DATA_DIR``, else beside an SQLite
database file (``pctrade.db`` → ``pctrade-data/``), else — a server database — a folder
named after the database under the user's data folder (``$XDG_DATA_HOME`` or
``~/.local/share``, then ``pctrade/``). It is made absolute once, here.

Constructors write nothing. Migrating the schema and writing the genesis entry is one
explicit step, ``prepare`` (``App.prepare``), which ``build`` takes unless told not to
(``prepare=False``); the genesis entry is stamped by the app's clock.

The app owns its store, and with it the cache of committed parties, accounts and
batches: building an app over a store starts that cache afresh, so a fresh app never
serves rows cached before it (say, before a test emptied the tables), and
``App.reset`` empties the database and forgets the cache together.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from pctrade.bootstrap import contexts, sql
from pctrade.bootstrap.settings import ServeSettings
from pctrade.compliance import queries as compliance_queries
from pctrade.compliance.reports import Reports as ComplianceReports
from pctrade.compliance.reports import emitters_of_period
from pctrade.compliance.service import Compliance
from pctrade.compliance.surrender_service import Surrenders
from pctrade.identity.passwords import HashingParams
from pctrade.identity.service import Identity, IdentityConfig
from pctrade.inclusive.service import CarbonInclusive
from pctrade.kernel.clock import Clock, SystemClock
from pctrade.kernel.entropy import Entropy, system_entropy
from pctrade.ledger.extensions import Context, credit_paths_of
from pctrade.ledger.service import Registry
from pctrade.ledger.sql.store import SqlStore
from pctrade.market import queries as market_queries
from pctrade.market.auctions import Auctions
from pctrade.market.blocks import BlockTrades
from pctrade.market.reports import MarketReports
from pctrade.market.service import Market
from pctrade.pools.market_seller import PoolsMarketSeller
from pctrade.pools.service import Pools
from pctrade.rules import RuleBook, shipped
from pctrade.sinks.service import Sinks

__all__ = [
    "App",
    "build",
    "default_clock",
    "default_data_dir",
    "default_identity",
    "default_rules",
    "migrate",
    "prepare",
    "serve_app",
]

DATA_DIR_ENV = "PCTRADE_DATA_DIR"
ENV_PASSWORD_HASHING = "PCTRADE_PASSWORD_HASHING"


def default_clock() -> Clock:
    """The clock an app gets unless given one: the system's, in UTC."""
    return SystemClock()


def default_rules() -> RuleBook:
    """The rule book an app gets unless given one: the shipped rule sets."""
    return shipped()


def default_data_dir(url: str) -> Path:
    """The data folder of an app over the database ``url`` that is given none (see above)."""
    configured = os.environ.get(DATA_DIR_ENV)
    if configured:
        return Path(configured).absolute()
    database_file, name = sql.database_place(url)
    if database_file is not None:
        return database_file.absolute().with_name(f"{name}-data")
    home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return (Path(home) / "pctrade" / name).absolute()


def default_identity() -> IdentityConfig:
    """Identity's configuration unless given one: the argon2 cost from
    ``$PCTRADE_PASSWORD_HASHING`` (``t=3,m=65536,p=4``; argon2-cffi's profile if unset)
    and the default login throttle."""
    text = os.environ.get(ENV_PASSWORD_HASHING, "").strip()
    return IdentityConfig(hashing=HashingParams.parse(text) if text else HashingParams())


@dataclass(slots=True)
class App:
    """The wired application: its inputs, and the services built over them."""

    store: SqlStore
    clock: Clock
    rules: RuleBook
    data_dir: Path
    registry: Registry
    identity_config: IdentityConfig = field(default_factory=IdentityConfig)
    sinks: Sinks = field(init=False)
    inclusive: CarbonInclusive = field(init=False)
    identity: Identity = field(init=False)
    market: Market = field(init=False)
    blocks: BlockTrades = field(init=False)
    auctions: Auctions = field(init=False)
    market_reports: MarketReports = field(init=False)
    pools: Pools = field(init=False)
    compliance: Compliance = field(init=False)
    surrenders: Surrenders = field(init=False)
    compliance_reports: ComplianceReports = field(init=False)
    # Whether this app opened the engine, and so must close its connections.
    owns_engine: bool = True

    def __post_init__(self) -> None:
        self.sinks = Sinks(self.registry, self.rules)
        self.inclusive = CarbonInclusive(self.registry, self.rules)
        self.identity = Identity(self.registry, self.identity_config)
        self.market = Market(self.registry, self.rules)
        self.blocks = BlockTrades(self.market)
        self.auctions = Auctions(self.market)
        self.market_reports = MarketReports(self.market)
        self.pools = Pools(self.registry, self.rules)
        self.compliance = Compliance(self.registry, self.rules)
        # Surrender and its reports read the obligation MRV confirmed.
        obligation = compliance_queries.obligation
        self.surrenders = Surrenders(self.registry, self.rules, obligation)
        # A market-value fine's price is the market's own average (its query, as a port).
        self.compliance_reports = ComplianceReports(
            self.store,
            self.rules,
            obligation,
            emitters_of_period,
            self.clock,
            market_queries.allowance_trades,
        )
        # The market sells pools' units through its port; the pools are its adapter.
        self.market.pools = PoolsMarketSeller()

    @property
    def contexts(self) -> Sequence[Context]:
        """What ``verify`` checks of this app: every context's, and the kept files."""
        return contexts.with_files(self.data_dir)

    def prepare(self) -> None:
        """Migrate the schema and write the genesis entry, each only if not done yet."""
        prepare(self.store, self.registry)

    def reset(self) -> None:
        """Start again from an empty registry: no rows, no cached rows, a new genesis.

        The behaviour files the old journal recorded go too: a new registry's runs would
        otherwise read the old events again, and its verify would find files no entry made.
        """
        migrate(self.store)
        sql.empty(self.store.engine)
        shutil.rmtree(self.data_dir / "behaviour", ignore_errors=True)
        self.store.forget_cached_rows()
        self.market.forget()
        self.registry.ensure_genesis()

    def close(self) -> None:
        """Stop the group-commit writer and, if the app opened it, the engine's pool."""
        self.registry.close()
        if self.owns_engine:
            self.store.dispose()

    def __enter__(self) -> App:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def migrate(store: SqlStore) -> None:
    """Bring the store's schema to the newest revision (a no-op when it is current)."""
    sql.migrate(store.engine)


def prepare(store: SqlStore, registry: Registry) -> None:
    """The start-up step: migrate, then write the genesis entry if the journal is empty."""
    migrate(store)
    registry.ensure_genesis()


def build(
    database: str | SqlStore | None = None,
    *,
    clock: Clock | None = None,
    rules: RuleBook | None = None,
    data_dir: Path | None = None,
    group_commit: bool = False,
    prepare: bool = True,
    identity: IdentityConfig | None = None,
    entropy: Entropy | None = None,
) -> App:
    """Wire an app. ``database``: a URL (``None``: ``$PCTRADE_DATABASE_URL`` or SQLite
    in the working directory), or a store the app takes over (its caller closes it). Defaults: the
    system clock, the shipped rule book, ``default_data_dir`` of the database, the
    system's randomness for unguessable ids (``kernel.entropy``; a test passes a seed).
    ``group_commit``: commit concurrent callers' operations together (a server).
    ``identity``: argon2's cost and the login throttle (``default_identity()``).
    """
    if isinstance(database, SqlStore):
        store, owns_engine = database, False
        # Whatever the store remembers may predate this app (a database emptied since).
        store.forget_cached_rows()
    else:
        store, owns_engine = SqlStore(database), True
    clock = clock if clock is not None else default_clock()
    app = App(
        store=store,
        clock=clock,
        rules=rules if rules is not None else default_rules(),
        data_dir=(data_dir if data_dir is not None else default_data_dir(store.url)).absolute(),
        registry=Registry(
            store,
            clock,
            group_commit=group_commit,
            entropy=entropy if entropy is not None else system_entropy,
            credit_paths=credit_paths_of(contexts.CONTEXTS),
        ),
        identity_config=identity if identity is not None else default_identity(),
        owns_engine=owns_engine,
    )
    if prepare:
        app.prepare()
    return app


def serve_app(settings: ServeSettings) -> App:
    """The app one server process runs (``pctrade serve``: each of its workers builds
    one): the settings' database and data folder, the wall clock moved by the settings'
    offset, group commit on. It does not migrate: the command did so once, before it
    started the workers, so that they do not race to."""
    return build(
        settings.database_url,
        clock=SystemClock(settings.clock_offset_s),
        data_dir=settings.data_dir,
        group_commit=True,
        prepare=False,
    )
