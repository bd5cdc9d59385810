"""The quick start's main job runs the paper's chain 低碳足迹 → 碳汇 → 碳排放额 for real.

Behaviour events go through the DuckDB pipeline into green energy, credited uncollected;
the travellers collect it daily for four weeks and sponsor m² of forest at the published
price over a 20-year crediting period, all but the saver; verified removals become PCER
for the buffer and, per unit, for the sponsors; the summer's unspent energy — the
saver's four weeks — becomes PCER on the carbon-inclusive path; what nobody collected
lapses; a later day's energy, once collected, is issued on the carbon-inclusive path
too. Then two trading days: the order book, where the saver sells that PCER in the
personal-credit lot, and an allowance auction, a block trade and the close. Every gram
is accounted for.

The demo is seeded once for the module (about as long as all the checks together were
each test's); the tests read it, and the one that seeds again does so on a copy.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from pctrade import demo
from pctrade.demo_second_trading_day import BLOCK_T, SECOND_DAY
from pctrade.demo_trading import TRADING_DAY
from pctrade.energy import service as energy_service
from pctrade.ledger.model import CASH_ASSET, ENERGY_ASSET, State, SystemAccount
from pctrade.ledger.queries import account_view
from pctrade.ledger.sql.store import SqlStore
from pctrade.market import reads as market_reads
from pctrade.market.data.records import TradeMode
from pctrade.market.model import local_time
from pctrade.pools import queries as pool_queries
from pctrade.rules import shipped
from pctrade.sinks.sql import store as sinks_store

PEOPLE = 12
T = 1_000_000
Seeded = tuple[SqlStore, demo.DemoResult]

# One worker takes the whole module (`make test` runs `--dist loadgroup`): each worker
# that ran some of its tests would seed the demo again.
pytestmark = pytest.mark.xdist_group("demo_chain")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo") / "demo.db"


@pytest.fixture(scope="module")
def seeded(demo_db: Path) -> Iterator[Seeded]:
    app = demo.build_app(f"sqlite:///{demo_db}")
    try:
        yield app.store, demo.seed(app, people=PEOPLE)
    finally:
        app.close()


def energy_credited(store: SqlStore, day: object) -> dict[int, int]:
    """What the day's energy credit gave each account."""
    seq = energy_service.credit_entry_of(store, day)  # type: ignore[arg-type]
    assert seq is not None
    with store.reader() as uow:
        postings = uow.postings_of(seq)
    assert postings is not None
    pairs = zip(postings.accounts, postings.deltas, strict=True)
    return {a: d for a, d in pairs if d > 0}  # not the issuing side


def balance(store: SqlStore, account: int, batch: str, state: State) -> int:
    with store.reader() as uow:
        found = uow.batch_named(batch)
        assert found is not None
        return uow.balance(account, found.asset_id, state)


def entries(store: SqlStore, op_type: str) -> list[object]:
    with store.reader() as uow:
        return [e for e in uow.entries_page(0, 5_000) if e.header.op_type == op_type]


def test_each_behaviour_day_is_quantified_with_a_refusal_and_a_hold(seeded: Seeded) -> None:
    _, result = seeded
    assert [d.day for d in result.days] == [demo.SPONSOR_DAY, *demo.INCLUSIVE_DAYS]
    for day in result.days:
        assert (day.rejected, day.held, day.people) == (1, 1, PEOPLE)
        assert day.credited_g > 0


def test_sink_issuance_splits_verified_removals_between_buffer_and_sponsors(
    seeded: Seeded,
) -> None:
    store, result = seeded
    sink = result.sink_issuance
    assert sink is not None and result.pcer == sink.batch
    # Per unit (issue 11): the sponsors get their units' share, the rest stays unissued.
    assert sink.buffer_g + sink.attributed_g + sink.unissued_g == sink.removals_g
    with store.reader() as uow:
        project = sinks_store.project(uow, demo.PROJECT)
    assert project is not None and sink.project_units == demo.UNITS_TOTAL
    sold, price = int(project["units_sold"]), int(project["unit_energy_g"])
    assert sink.attributed_g * sink.project_units <= (sink.removals_g - sink.buffer_g) * sold
    # 20 years of a fir m² at 1 g per g: about 18.7 kg, computed by the published model.
    assert 18_000 < price < 19_500
    # Every traveller but the saver who collected a unit's price in June sponsored
    # whole m² with it; the saver sponsored nothing.
    june = collected_in_june(store)
    saver = result.accounts[demo.person_id(demo.SAVER)]
    assert len(june) == PEOPLE - 1  # all but one of the 12 travel
    sponsors = {a: g for a, g in june.items() if a != saver}
    assert june[saver] >= price
    assert sink.sponsors == sum(1 for g in sponsors.values() if g >= price) >= 5
    assert sold == sum(g // price for g in sponsors.values())
    # The conversion line: energy spent = expected removal at 1 g per g; the sponsors'
    # credits are their m²'s share of the verified removals, less the buffer.
    conv = result.conversion
    assert conv is not None and conv.units == sold
    assert conv.crediting == ("2026-06-01", "2046-05-31")
    assert conv.energy_g == conv.expected_g == sold * price
    assert conv.to_come_g == conv.expected_g - conv.verified_g > 0
    assert conv.verified_g == sink.removals_g * sold // demo.UNITS_TOTAL
    assert conv.issued_g == sink.attributed_g and 0 < conv.issued_g <= conv.verified_g
    with store.reader() as uow:
        postings = uow.postings_of(sink.issue_seq)
    credited = dict(zip(postings.accounts, postings.deltas, strict=True))
    assert credited[SystemAccount.BUFFER] == sink.buffer_g
    people = [result.accounts[demo.person_id(i)] for i in range(PEOPLE)]
    assert sum(credited.get(a, 0) for a in people) == sink.attributed_g
    assert saver not in credited


def collected_in_june(store: SqlStore) -> dict[int, int]:
    """What each account collected before the sponsoring day."""
    sql = (
        "SELECT account_id, SUM(collected_g) FROM energy_collections"
        " WHERE cutoff < :day GROUP BY account_id"
    )
    with store.reader() as uow:
        rows = uow.execute(sa.text(sql), {"day": demo.SPONSORING_DAY.isoformat()})
        return {int(a): int(g) for a, g in rows}


def test_travellers_collect_daily_and_what_nobody_collected_lapses(seeded: Seeded) -> None:
    store, result = seeded
    travel = result.travel
    assert travel is not None and travel.travellers == PEOPLE - 1
    assert travel.collections == (PEOPLE - 1) * demo.TRAVEL_DAYS and travel.lapsed_g == 0
    june = collected_in_june(store)
    first_day = energy_credited(store, demo.SPONSOR_DAY)
    assert sum(june.values()) == travel.collected_g
    assert travel.collected_g == travel.credited_g + sum(first_day[a] for a in june)
    # The one who stayed home never collected June's energy: it lapsed in November.
    home = result.accounts[demo.person_id(PEOPLE - 1)]
    assert home not in june and result.expired_g == first_day[home]
    with store.reader() as uow:
        assert uow.balance(home, ENERGY_ASSET, State.EXPIRED) == first_day[home]


def _issued_and_spent(store: SqlStore, seq: int) -> tuple[dict[int, int], dict[int, int]]:
    with store.reader() as uow:
        postings = uow.postings_of(seq)
    rows = zip(postings.accounts, postings.assets, postings.states, postings.deltas, strict=True)
    spent: dict[int, int] = {}
    issued: dict[int, int] = {}
    for account, asset, state, delta in rows:
        if asset == ENERGY_ASSET and state == State.SPENT:
            spent[account] = spent.get(account, 0) + delta
        elif asset != ENERGY_ASSET and state == State.AVAILABLE and delta > 0:
            issued[account] = issued.get(account, 0) + delta
    return issued, spent


def test_carbon_inclusive_credits_equal_the_energy_they_spent(seeded: Seeded) -> None:
    store, result = seeded
    for ci, vintage in ((result.summer, "2026Q3"), (result.inclusive, "2026Q4")):
        assert ci is not None and ci.batch == f"PCER-GD-CI-{vintage}-001" and ci.people > 0
        issued, spent = _issued_and_spent(store, ci.issue_seq)
        # Person by person, the credits are exactly the energy the same entry spent.
        assert issued == spent and sum(issued.values()) == ci.issued_g


def test_the_saver_s_four_weeks_become_summer_pcer_and_the_sponsors_change_too(
    seeded: Seeded,
) -> None:
    store, result = seeded
    summer = result.summer
    assert summer is not None
    issued, _ = _issued_and_spent(store, summer.issue_seq)
    june = collected_in_june(store)
    saver = result.accounts[demo.person_id(demo.SAVER)]
    # The saver spent nothing on m²: all they collected in June was claimed.
    assert issued[saver] == june[saver]
    price = int(demo_project_price(store))
    for account, collected in june.items():
        change = collected if account == saver else collected % price
        # Guangdong's per-person minimum is 1 kg: below it a person keeps their energy.
        assert issued.get(account, 0) == (change if change >= 1_000 else 0)


def demo_project_price(store: SqlStore) -> int:
    with store.reader() as uow:
        project = sinks_store.project(uow, demo.PROJECT)
    assert project is not None
    return int(project["unit_energy_g"])


def test_every_pcer_batch_came_by_a_credit_path(seeded: Seeded) -> None:
    """No PCER was issued plainly: the sink issuance (with its attribution table) and
    the two carbon-inclusive issuances made every personal credit of the story."""
    store, result = seeded
    made = []
    for entry in [*entries(store, "issue"), *entries(store, "inclusive_issue")]:
        header = entry.header  # type: ignore[attr-defined]
        batch = header.payload["batch"]["denomination"]
        if batch.startswith("PCER-"):
            kind = header.payload.get("evidence", {}).get("kind")
            made.append((header.op_type, kind, batch))
    assert sorted(made) == [
        ("inclusive_issue", None, "PCER-GD-CI-2026Q3-001"),
        ("inclusive_issue", None, "PCER-GD-CI-2026Q4-001"),
        ("issue", "sink_issuance", result.pcer),
    ]


def test_the_demo_registry_verifies_and_the_retirement_is_from_the_sink_batch(
    seeded: Seeded,
) -> None:
    store, result = seeded
    assert result.report is not None and result.report.ok, result.report
    view = account_view(store, result.accounts[result.retiree])
    assert any(h.asset == result.pcer and h.state == "retired" for h in view.holdings)


def test_seeding_again_writes_nothing(seeded: Seeded, demo_db: Path, tmp_path: Path) -> None:
    _, first = seeded
    copy = tmp_path / "demo.db"
    with sqlite3.connect(demo_db) as source, sqlite3.connect(copy) as target:
        source.backup(target)  # a consistent copy, the WAL included
    kept = demo_db.with_name("demo-data")
    if kept.exists():
        shutil.copytree(kept, tmp_path / "demo-data")
    app = demo.build_app(f"sqlite:///{copy}")
    try:
        again = demo.seed(app, people=PEOPLE)
    finally:
        app.close()
    assert (again.written, again.replayed) == (0, first.written)
    assert again.report is not None and again.report.ok


def test_the_trading_day_trades_through_the_book_and_refuses_the_ineligible(
    seeded: Seeded,
) -> None:
    """An emitter buys PCER and CCER on the book, the saver sells their carbon-inclusive
    PCER directly in 10 kg lots, an ineligible one is refused with each reason, every
    contract closes, and every fill is a trade_settle entry that verify has checked."""
    store, result = seeded
    day = result.trading
    assert day is not None and result.report is not None and result.report.ok
    traded = {code for code, _, _ in day.trades}
    assert {"PCER-GD-2026Q3", "CCER-CN-2024"} <= traded
    refused_q3 = sum(
        h.amount
        for h in account_view(store, result.accounts[day.refused]).holdings
        if h.asset.startswith("PCER-GD-") and h.asset.endswith("-2026Q3-001")
    )
    below = ["holding_below_min"] if refused_q3 < 10_000 else []
    assert [c for c, _ in day.reasons] == [
        "real_name_not_verified",
        "no_risk_assessment",
        *below,
    ]
    fills = market_reads.my_fills(store, demo.EMITTER).items
    bought = {(f["contract"], f["side"]) for f in fills}
    assert {("PCER-GD-2026Q3", "buy"), ("CCER-CN-2024", "buy")} <= bought
    seller = demo.person_id(demo.SAVER)
    sold = market_reads.my_fills(store, seller).items
    # One lot of 10 kg at ¥82.00/t: 82 fen, the cash whole to the fen.
    assert [(f["contract"], f["side"], f["quantity_g"], f["cash_fen"]) for f in sold] == [
        ("PCER-GD-2026Q3", "sell", 10_000, 82)
    ]
    # They sold from the summer's carbon-inclusive batch, the only PCER they held.
    summer = result.summer
    assert summer is not None
    issued, _ = _issued_and_spent(store, summer.issue_seq)
    account = result.accounts[seller]
    assert balance(store, account, summer.batch, State.AVAILABLE) == issued[account] - 10_000
    assert market_reads.my_orders(store, day.refused).items == []  # nothing was written
    closes = {code: close for code, close, _ in day.closes}
    assert closes["PCER-GD-2026Q3"] == 8_200
    # nothing is left frozen for an order after the close
    emitter = account_view(store, result.accounts[demo.EMITTER])
    assert not [h for h in emitter.holds if h["reason"] == "order"]


def test_every_fill_of_both_days_is_one_settlement_entry(seeded: Seeded) -> None:
    store, _ = seeded
    app = demo.build_app(store)
    records = app.market_reports.trade_records(
        None, TRADING_DAY.isoformat(), SECOND_DAY.isoformat()
    )
    modes = {mode: sum(1 for r in records if r.mode is mode) for mode in TradeMode}
    assert all(modes.values()), modes  # the book, a block and an auction
    # The pool's sale to the emitter (demo_pool_sale) settles as the pools' pool_settle.
    ops = ("trade_settle", "auction_settle", "pool_settle")
    settled = sum(len(entries(store, op)) for op in ops)
    assert settled == len(records)
    assert len(entries(store, "pool_settle")) == 1


def test_the_pool_sells_to_the_emitter_and_pays_each_contributor_exactly(seeded: Seeded) -> None:
    store, result = seeded
    day = result.second_day
    assert day is not None and day.pool_sale is not None
    sale = day.pool_sale
    assert sale.sold_g > 0 and sale.sold_g % 10_000 == 0 and sale.sold_g <= sale.pooled_g
    assert sum(fen for _, _, fen in sale.payouts) == sale.net_fen
    assert sum(g for _, g, _ in sale.payouts) == sale.sold_g
    # Each share is within one fen of the net split by the grams each gave.
    for _, grams, fen in sale.payouts:
        assert abs(fen * sale.sold_g - sale.net_fen * grams) < sale.sold_g
    assert demo.person_id(demo.SAVER) not in {party for party, _ in sale.depositors}
    with store.reader() as uow:
        platform = uow.balance(result.accounts[demo.PLATFORM], CASH_ASSET, State.AVAILABLE)
    assert platform >= sale.pool_fee_fen > 0


def test_the_auction_clears_at_one_price_and_releases_each_bid_exactly(seeded: Seeded) -> None:
    store, result = seeded
    day = result.second_day
    assert day is not None
    a = day.auction
    # 25,000 t bid for 20,000 t: filled in price order down to the ¥47.00 bid, which
    # is filled in part; the ¥46.00 bid loses; every winner pays ¥47.00.
    assert (a["offered_g"], a["sold_g"], a["unsold_g"]) == (20_000 * T, 20_000 * T, 0)
    assert (a["clearing_price_fen_per_t"], a["bid_count"], a["bidder_count"]) == (4_700, 5, 3)
    won = {b.party: b.won_g for b in day.bidders}
    assert won == {demo.EMITTER: 8_000 * T, demo.CEMENT: 7_000 * T, demo.INSTITUTION: 5_000 * T}
    for bidder in day.bidders:
        assert bidder.frozen_fen == bidder.paid_fen + bidder.released_fen
        # every bid's hold is drawn down or released: none of its cash stays frozen
        with store.reader() as uow:
            account = result.accounts[bidder.party]
            assert uow.balance(account, CASH_ASSET, State.FROZEN) == 0
    for entry in entries(store, "auction_settle"):
        assert entry.header.payload["price_fen_per_t"] == 4_700  # type: ignore[attr-defined]
    # Sold from the registry's auction account, which holds none of it now.
    auction = account_view(store, int(SystemAccount.AUCTION))
    assert not [h for h in auction.holdings if h.asset == "CEA-GD-ALLOC-2026-001" and h.amount]


def test_the_block_trade_is_large_in_band_in_the_afternoon_and_respects_t_plus_1(
    seeded: Seeded,
) -> None:
    store, result = seeded
    day = result.second_day
    assert day is not None
    trading = shipped().in_force("CN", SECOND_DAY).trading
    assert trading is not None
    blk = day.block
    assert blk["state"] == "agreed" and blk["quantity_g"] >= trading.block_quantity_min_g
    assert result.trading is not None
    previous = {code: close for code, close, _ in result.trading.closes}["CEA-GD-2025"]
    assert previous is not None
    band = previous * trading.block_price_limit_bps // 10_000
    assert previous - band <= blk["price_fen_per_t"] <= previous + band
    app = demo.build_app(store)
    [block] = [
        r
        for r in app.market_reports.trade_records(
            None, SECOND_DAY.isoformat(), SECOND_DAY.isoformat()
        )
        if r.mode is TradeMode.BLOCK
    ]
    on, second = local_time(block.at)  # China Standard Time
    assert on == SECOND_DAY and 13 * 3_600 <= second < 15 * 3_600
    assert (block.seller_party, block.buyer_party) == (demo.EMITTER, demo.CEMENT)
    # T+1: the power company held 100,000 t of 2025 allowances before Monday; the
    # block sold them and the 600 t it bought on the book on Monday, the day before.
    bought_monday = sum(
        int(f["quantity_g"])
        for f in market_reads.my_fills(store, demo.EMITTER).items
        if f["contract"] == "CEA-GD-2025" and f["side"] == "buy" and f["day"] == str(TRADING_DAY)
    )
    assert bought_monday == 600 * T and 100_000 * T + bought_monday == BLOCK_T * T


def test_the_platform_pools_two_ineligible_peoples_credits_in_pool_holds(seeded: Seeded) -> None:
    store, result = seeded
    page = pool_queries.public_page(store, result.pool_id)
    assert (page["pool_id"], page["platform"]) == ("POOL-GD-0001", demo.PLATFORM)
    assert page["rule_set"] == "GD/2022-05-06"
    assert page["unsold_g"] + page["sold_g"] == page["deposited_g"] > 0
    # October's two deposits, then those of the second trading day's pool sale
    # (``demo_pool_sale``), which sold whole lots of the pool to the key emitter.
    deposits = entries(store, "pool_deposit")
    day = result.second_day
    assert day is not None and day.pool_sale is not None
    assert len(deposits) == 2 + len(day.pool_sale.depositors)
    assert all(e.header.ts.startswith("2026-10") for e in deposits[:2])  # type: ignore[attr-defined]
    assert page["sold_g"] == day.pool_sale.sold_g
    with store.reader() as uow:
        holds = [uow.hold(e.header.seq) for e in deposits]  # type: ignore[attr-defined]
    assert all(h is not None and h.reason == "pool" for h in holds)
    assert sum(h.remaining for h in holds if h is not None) == page["unsold_g"]
    freezes = entries(store, "freeze")
    assert freezes  # the regulator's review freeze
    assert all(e.header.payload["reason"] != "pool" for e in freezes)  # type: ignore[attr-defined]


def test_the_compliance_year_surrenders_cea_and_the_pcer_the_emitter_bought(
    seeded: Seeded,
) -> None:
    from pctrade.demo_compliance import CCER_G, CEA_G, PCER_G
    from pctrade.demo_seeder import EMITTER

    store, result = seeded
    surrenders = entries(store, "compliance_surrender")
    assert len(surrenders) == 1  # CEA, CCER and PCER in one entry
    units = {u["instrument"]: u["quantity_g"] for u in surrenders[0].header.payload["units"]}  # type: ignore[attr-defined]
    assert units == {"CEA": CEA_G, "CCER": CCER_G, "PCER": PCER_G}
    summer = result.summer
    assert summer is not None  # the PCER the emitter bought from the saver on Monday
    emitter = result.accounts[EMITTER]
    assert balance(store, emitter, summer.batch, State.SURRENDERED) == PCER_G
    status = result.compliance["status"]
    assert (status["status"], status["final"], status["shortfall_g"]) == ("A", True, 0)
    assert result.compliance["report"]["by_status"] == {"A": 1, "B": 0, "C": 0}
    assert result.compliance["reconciles"] and result.compliance["integrity_problems"] == 0


def test_in_june_2027_wangwei_charges_a_car_and_keeps_a_m2_s_worth_collected(
    seeded: Seeded,
) -> None:
    """The served demo's person who can sponsor (``demo_charging``): his charge is
    quantified, credited and collected, and nothing after it spends it."""
    store, result = seeded
    charge = result.charging
    assert charge is not None and charge.person == demo.person_id(0)
    day = charge.day
    assert (day.events, day.rejected, day.held, day.people) == (1, 0, 0, 1)
    assert charge.collected_g == day.credited_g == charge.available_g
    assert charge.unit_price_g == demo_project_price(store) and charge.units == 1
