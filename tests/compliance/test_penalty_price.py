"""A market-value fine's price from the registry's own market (issue: the 2024 Interim
Regulations): the national rule set of 2024-05-01 fines 5-10 times the shortfall's
value at the average of the month before the deadline, Shenzhen 3 times at six months'.

The trades are real ones, through the market's order book: CEA-CN-2025 and CEA-SZ-2025
listed on the national market, traded by two eligible people on the days the windows
turn on (the day before a window, its first day, the deadline's day, the day after).
The obligation is a table the test sets (``Obligations``, as MRV's query is handed to
the services); the price is the market's query, as bootstrap wires it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import pytest
from surrender_world import Obligations

from pctrade import bootstrap
from pctrade.bootstrap import App
from pctrade.compliance.reports import Reports
from pctrade.compliance.status import PriceBasis
from pctrade.identity.commands import RecordFacts
from pctrade.identity.model import Facts, RiskLevel, VerificationMethod
from pctrade.kernel.clock import SetClock
from pctrade.kernel.errors import PctradeError
from pctrade.kernel.units import G_PER_T
from pctrade.ledger import commands as c
from pctrade.ledger.model import Role
from pctrade.ledger.sql.store import SqlStore
from pctrade.market import queries as market_queries
from pctrade.market.commands import CloseDay, ListContract, PlaceOrder
from pctrade.market.venue_commands import AcceptBlock, ProposeBlock
from pctrade.rules import RuleBook
from pctrade.rules.model import RuleSet

T = G_PER_T
CN_CEA, SZ_CEA = "CEA-CN-ALLOC-2025-001", "CEA-SZ-ALLOC-2025-001"
CN_CONTRACT, SZ_CONTRACT = "CEA-CN-2025", "CEA-SZ-2025"
# (day, contract, price fen/t, tonnes): around the CN window of period 2025 (deadline
# 2026-12-31: 1-31 December) and the SZ one (deadline 2026-06-30: 1 January-30 June).
TRADES = (
    (date(2026, 6, 30), CN_CONTRACT, 5_000, 1),  # before both CN windows
    (date(2026, 6, 30), SZ_CONTRACT, 5_400, 1),  # SZ's deadline: the last day of its window
    (date(2026, 7, 1), CN_CONTRACT, 5_400, 1),  # first day of six months to 31 December
    (date(2026, 7, 1), SZ_CONTRACT, 5_900, 1),  # after SZ's window
    (date(2026, 11, 30), CN_CONTRACT, 5_500, 1),  # the day before the CN month
    (date(2026, 12, 1), CN_CONTRACT, 6_000, 2),  # the CN month's first day
    (date(2026, 12, 31), CN_CONTRACT, 6_301, 1),  # CN's deadline day, still in
    (date(2027, 1, 4), CN_CONTRACT, 6_500, 1),  # after the deadline
)
SHORT_T = 10  # every emitter here is 10 t short
BLOCK_T = 100_000 * T  # the national market's smallest block trade of allowances


def at(day: date, hh: int, mm: int) -> datetime:
    """A moment of ``day`` in China Standard Time, as the UTC clock reads it."""
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=UTC) - timedelta(hours=8)


def _adult() -> Facts:
    return Facts(
        real_name_verified=True,
        real_name_verified_on=date(2026, 1, 5),
        real_name_method=VerificationMethod.CTID,
        risk_level=RiskLevel.C3,
        risk_assessed_on=date(2026, 1, 5),
        birth_date=date(1990, 3, 1),
    )


@dataclass
class World:
    app: App
    clock: SetClock
    accounts: dict[str, int]
    obligations: Obligations

    def reports(self, rules: RuleBook | None = None) -> Reports:
        return Reports(
            self.app.store,
            rules or self.app.rules,
            self.obligations,
            self.obligations.emitters,
            self.clock,
            market_queries.allowance_trades,
        )


def build(store: SqlStore, trades: tuple[tuple[date, str, int, int], ...] = TRADES) -> World:
    clock = SetClock(at(date(2026, 6, 29), 10, 0))
    app = bootstrap.build(store, clock=clock)
    reg = app.registry
    ids: dict[str, int] = {}
    for who, role in (("reg", Role.REGULATOR), ("alice", Role.INDIVIDUAL),
                      ("bob", Role.INDIVIDUAL), ("plant", Role.EMITTER)):  # fmt: skip
        r = reg.open_account("registry", f"o-{who}", c.OpenAccount(who, role, who))
        if "account" in r.payload:  # a regulator is a party without an account
            ids[who] = int(r.payload["account"])
    for who in ("alice", "bob"):
        app.identity.record_facts("registry", f"f-{who}", RecordFacts(who, _adult()))
    reg.issue("reg", "i-cn", c.Issue(CN_CEA, [ids["alice"]], [BLOCK_T + 100 * T]))
    reg.issue("reg", "i-sz", c.Issue(SZ_CEA, [ids["alice"]], [100 * T]))
    reg.deposit("reg", "d-bob", c.Deposit(ids["bob"], 10**10, "bank-bob"))
    for code, j in ((CN_CONTRACT, "CN"), (SZ_CONTRACT, "SZ")):
        listing = ListContract("CEA", j, "2025", reference_price_fen_per_t=5_000)
        assert app.market.list_contract("registry", f"list-{code}", listing)["contract"] == code
    for day in sorted({d for d, *_ in trades}):
        clock.now = at(day, 10, 0)
        today = [t for t in trades if t[0] == day]
        for i, (_, contract, price, tonnes) in enumerate(today):
            sell = PlaceOrder(contract, ids["alice"], f"s-{day}-{i}", "sell", price, tonnes * T)
            buy = PlaceOrder(contract, ids["bob"], f"b-{day}-{i}", "buy", price, tonnes * T)
            app.market.place("alice", f"sell-{day}-{i}", sell)
            app.market.place("bob", f"buy-{day}-{i}", buy)
        clock.now = at(day, 15, 5)
        for contract in sorted({t[1] for t in today}):
            app.market.close_day("registry", f"c-{contract}-{day}", CloseDay(contract, str(day)))
    obligations = Obligations()
    for j, period in (("CN", "2025"), ("CN", "2023"), ("CN", "2021-2022"), ("SZ", "2025")):
        obligations.set(ids["plant"], j, period, SHORT_T, 0)  # verified, nothing surrendered
    clock.now = at(date(2027, 1, 5), 10, 0)  # every deadline has passed
    return World(app, clock, ids, obligations)


def _with_window(book: RuleBook, version: str, months: int) -> RuleBook:
    def changed(r: RuleSet) -> RuleSet:
        if r.version != version or r.compliance is None:
            return r
        return replace(r, compliance=replace(r.compliance, penalty_price_window_months=months))

    return RuleBook(changed(r) for r in book.rule_sets())


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """One market history for the read-only tests of this module (they only read)."""
    path = tmp_path_factory.mktemp("penalty_price") / "w.db"
    return build(SqlStore(f"sqlite:///{path}"))


def test_the_national_month_counts_its_first_day_and_the_deadline_day_only(world: World) -> None:
    s = world.reports().status(world.accounts["plant"], "CN", "2025")
    assert (s.report.status, s.report.shortfall_g, s.final) == ("B", SHORT_T * T, True)
    p = s.report.penalty
    assert p is not None and p.price is not None
    # 2 t at 60.00 on 1 December and 1 t at 63.01 on 31 December: 18,301 fen over 3 t is
    # 6,100.33 fen/t, rounded down; 30 November and 4 January are outside.
    assert (p.price.basis, p.price.price_fen_per_t) == (PriceBasis.MARKET, 6_100)
    assert (p.price.first_day, p.price.last_day) == (date(2026, 12, 1), date(2026, 12, 31))
    assert (p.price.trades, p.price.quantity_g, p.price.cash_fen) == (2, 3 * T, 18_301)
    value_fen = SHORT_T * 6_100
    assert (p.fine_min_fen, p.fine_max_fen) == (5 * value_fen, 10 * value_fen)
    assert p.deduction_g == SHORT_T * T  # one for one
    assert s.penalty_rule_set == "CN/2024-05-01"
    shown = s.as_json()["penalty"]
    assert shown["rule_set"] == "CN/2024-05-01"
    assert shown["price"] == {
        "price_fen_per_t": 6_100,
        "basis": "market",
        "first_day": "2026-12-01",
        "last_day": "2026-12-31",
        "trades": 2,
        "quantity_g": 3 * T,
        "cash_fen": 18_301,
    }


def test_shenzhen_s_six_months_against_the_national_month_on_the_same_trades(
    world: World,
) -> None:
    plant = world.accounts["plant"]
    # The national trades valued over six months ending on the deadline, as Shenzhen's
    # rule would: 1 July (its first day) to 31 December, 30 June left out.
    six = world.reports(_with_window(world.app.rules, "CN/2024-05-01", 6)).status(
        plant, "CN", "2025"
    )
    price = six.report.penalty.price if six.report.penalty else None
    assert price is not None
    assert (price.first_day, price.last_day) == (date(2026, 7, 1), date(2026, 12, 31))
    # 54.00 + 55.00 + 2 × 60.00 + 63.01 = 292.01 yuan over 5 t: 5,840.2 fen/t
    assert (price.trades, price.quantity_g, price.price_fen_per_t) == (4, 5 * T, 5_840)
    # Shenzhen's own: its allowances only, January to its 30 June deadline, 3 times
    sz = world.reports().status(plant, "SZ", "2025").report.penalty
    assert sz is not None and sz.price is not None
    assert (sz.price.first_day, sz.price.last_day) == (date(2026, 1, 1), date(2026, 6, 30))
    assert (sz.price.trades, sz.price.price_fen_per_t) == (1, 5_400)
    assert (sz.fine_min_fen, sz.fine_max_fen) == (3 * SHORT_T * 5_400, 3 * SHORT_T * 5_400)


def test_the_deadline_picks_the_version_either_side_of_2024_05_01(world: World) -> None:
    plant, reports = world.accounts["plant"], world.reports()
    # 2021-2022, due 2023-12-31: Decree 19's fixed fine, whatever price is given
    old = reports.status(plant, "CN", "2021-2022", price_fen_per_t=6_000)
    assert old.penalty_rule_set == "CN/2021-02-01" and old.report.penalty is not None
    assert (old.report.penalty.fine_min_fen, old.report.penalty.fine_max_fen) == (
        2_000_000,
        3_000_000,
    )
    assert old.report.penalty.price is None  # nothing valued at market
    # 2023, due 2024-12-31: the Interim Regulations, at the same price
    new = reports.status(plant, "CN", "2023", price_fen_per_t=6_000)
    assert new.penalty_rule_set == "CN/2024-05-01" and new.report.penalty is not None
    assert (new.report.penalty.fine_min_fen, new.report.penalty.fine_max_fen) == (
        5 * SHORT_T * 6_000,
        10 * SHORT_T * 6_000,
    )
    assert old.report.shortfall_g == new.report.shortfall_g == SHORT_T * T
    assert old.rule_set == new.rule_set == "CN/2024-05-01"  # today's, for what counts


def test_a_deadline_before_the_book_s_first_version_takes_that_version(world: World) -> None:
    plant = world.accounts["plant"]
    world.obligations.set(plant, "CN", "2018", SHORT_T, 0)  # due 2019-12-31, before 2021
    s = world.reports().status(plant, "CN", "2018")
    assert s.penalty_rule_set == "CN/2021-02-01" and s.report.penalty is not None
    assert s.report.penalty.fine_min_fen == 2_000_000


def test_no_trades_in_the_window_leaves_the_fine_unknown(world: World) -> None:
    s = world.reports().status(world.accounts["plant"], "CN", "2023")  # December 2024
    p = s.report.penalty
    assert p is not None and p.price is not None
    assert (p.price.basis, p.price.price_fen_per_t, p.price.trades) == (
        PriceBasis.NO_TRADES,
        None,
        0,
    )
    assert (p.price.first_day, p.price.last_day) == (date(2024, 12, 1), date(2024, 12, 31))
    assert (p.fine_min_fen, p.fine_max_fen, p.deduction_g) == (None, None, SHORT_T * T)
    assert s.as_json()["penalty"]["price"]["basis"] == "no_trades"


def test_a_price_given_overrides_the_market_and_a_bad_one_is_refused(world: World) -> None:
    plant, reports = world.accounts["plant"], world.reports()
    s = reports.status(plant, "CN", "2025", price_fen_per_t=7_000)
    p = s.report.penalty
    assert p is not None and p.price is not None
    assert (p.price.basis, p.price.price_fen_per_t, p.price.trades) == (PriceBasis.GIVEN, 7_000, 0)
    assert (p.fine_min_fen, p.fine_max_fen) == (5 * SHORT_T * 7_000, 10 * SHORT_T * 7_000)
    for bad in (0, -1):
        with pytest.raises(PctradeError) as refused:
            reports.status(plant, "CN", "2025", price_fen_per_t=bad)
        assert refused.value.code == "bad_price"
        with pytest.raises(PctradeError) as refused_report:
            reports.compliance_report("CN", "2025", price_fen_per_t=bad)
        assert refused_report.value.code == "bad_price"


def test_the_period_report_values_every_shortfall_at_the_one_price(world: World) -> None:
    report = world.reports().compliance_report("CN", "2025")
    assert report["penalty_rule_set"] == "CN/2024-05-01"
    assert report["price"]["price_fen_per_t"] == 6_100 and report["price"]["trades"] == 2
    [row] = report["rows"]
    assert row["penalty"]["price"] == report["price"]


def test_the_market_query_counts_one_jurisdiction_s_allowances_in_the_window(
    world: World,
) -> None:
    with world.app.store.reader() as uow:
        cn = market_queries.allowance_trades(uow, "CN", date(2026, 11, 30), date(2026, 12, 1))
        sz = market_queries.allowance_trades(uow, "SZ", date(2026, 6, 30), date(2026, 7, 1))
        none = market_queries.allowance_trades(uow, "GD", date(2026, 1, 1), date(2027, 12, 31))
    assert (cn.trades, cn.quantity_g, cn.cash_fen) == (2, 3 * T, 5_500 + 2 * 6_000)
    assert (sz.trades, sz.quantity_g, sz.cash_fen) == (2, 2 * T, 5_400 + 5_900)
    assert (none.trades, none.quantity_g, none.cash_fen) == (0, 0, 0)


def test_the_price_reads_the_same_on_postgresql(pg_store: SqlStore) -> None:
    w = build(pg_store, TRADES[4:7])  # 30 November, 1 December, 31 December
    s = w.reports().status(w.accounts["plant"], "CN", "2025")
    p = s.report.penalty
    assert p is not None and p.price is not None
    assert (p.price.price_fen_per_t, p.price.trades, p.price.quantity_g) == (6_100, 2, 3 * T)


def test_a_block_trade_counts_with_its_weight(store: SqlStore) -> None:
    w = build(store, ((date(2026, 12, 1), CN_CONTRACT, 5_400, 2),))
    day = date(2026, 12, 2)
    w.clock.now = at(day, 13, 30)  # block trades: the afternoon session
    alice, bob = w.accounts["alice"], w.accounts["bob"]
    block = ProposeBlock(CN_CONTRACT, alice, "bob", "sell", BLOCK_T, 6_600, 600)
    pid = int(w.app.blocks.propose("alice", "p", block)["proposal_id"])
    agreed = w.app.blocks.accept("bob", "a", AcceptBlock(CN_CONTRACT, pid, bob))
    assert agreed["trades"]
    w.clock.now = at(date(2027, 1, 5), 10, 0)
    p = w.reports().status(w.accounts["plant"], "CN", "2025").report.penalty
    assert p is not None and p.price is not None
    cash_fen = 2 * 5_400 + 100_000 * 6_600
    assert (p.price.trades, p.price.quantity_g, p.price.cash_fen) == (2, BLOCK_T + 2 * T, cash_fen)
    assert p.price.price_fen_per_t == cash_fen // 100_002 == 6_599  # 6,599.98: rounded down
