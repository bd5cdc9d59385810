"""The demo's first trading day (交易日): listing-agreement trading on the order book.

After the season's story (``pctrade.demo``), on Monday 23 November 2026 (a trading day
of the national market's calendar) and on the scenario clock, which walks through the
day's sessions in China Standard Time:

1. before the open, the registry operator lists three contracts under the national
   market's rule set (``CN``): the Guangdong PCER of the summer's vintage
   (``PCER-GD-2026Q3``: the sink batch and the summer's carbon-inclusive batch, both
   really issued, reference ¥80/t), the forest CCER (``CCER-CN-2024``, ¥70/t) and the
   Guangdong allowances (``CEA-GD-2025``, ¥60/t). Eligibility facts are recorded: two
   individuals (one complete: real name, adult, risk assessment; one without a verified
   real name or a risk assessment) and the asset manager (licence, net assets). The
   asset manager buys 2,000 t of CCER from the forest owner over the counter;
2. in the morning session the key emitter buys CCER from the asset manager and PCER
   from the eligible individual, through the book, each fill settled delivery-versus-
   payment in one entry. The individual is the summer's *saver*, who claimed four weeks
   of green trips on the carbon-inclusive path: a few tens of kilograms, so the PCER
   contract trades in the rule set's personal-credit lot (``[trading] lots.PCER``,
   10 kg at a ¥1.00/t tick: a lot's cash is a whole fen) and the saver sells one lot,
   keeping the other (the served demo's wallet can still sell it).
   The ineligible individual's sell is refused (``not_eligible``), each failed condition
   named — a few hundred grams of sink PCER is below a lot too — and the platform pools
   pointed to; the emitter buys CEA and leaves a bid it cancels;
3. after the last session the operator closes each contract's day: what is open
   expires (its holds released exactly) and the close is fixed.

Every write has a ``demo:trading:…`` key, so a second seeding replays the day and
writes nothing; the refusal writes nothing either time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from pctrade.bootstrap import App
from pctrade.identity.commands import RecordFacts
from pctrade.identity.model import Facts, RiskLevel, VerificationMethod
from pctrade.identity.queries import facts_of
from pctrade.kernel.clock import SetClock
from pctrade.kernel.errors import Conflict, PctradeError
from pctrade.kernel.units import FEN_PER_YUAN, G_PER_T, format_carbon
from pctrade.ledger import commands as c
from pctrade.ledger.model import CASH_NAME, SYSTEM_OWNER, Role
from pctrade.ledger.queries import account_view
from pctrade.market import reads
from pctrade.market.commands import CancelOrder, CloseDay, ListContract, PlaceOrder
from pctrade.market.eligibility import POOLS_HINT, NotEligible, decide

TRADING_DAY = date(2026, 11, 23)  # a Monday; no holiday in the CN calendar
MARKET = "CN"
CST = timedelta(hours=8)
# What the saver sells of the summer's PCER, in the contract's lots: one of the two she
# holds, so she still holds a lot when the story ends and her wallet can sell it.
SAVER_LOTS = 1


def cst(day: date, hh: int, mm: int) -> datetime:
    """A moment of ``day`` in China Standard Time, as the UTC clock reads it."""
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=UTC) - CST


def yuan(fen_per_t: int | None) -> str:
    return "—" if fen_per_t is None else f"¥{fen_per_t / 100:,.2f}/t"


def quantity(grams: int) -> str:
    """Whole tonnes with separators (``1,500 t``), else the unit that reads (``20 kg``)."""
    if grams == 0:
        return "0"
    if grams % G_PER_T == 0:
        return f"{grams // G_PER_T:,} t"
    return format_carbon(grams)


@dataclass(frozen=True, slots=True)
class Cast:
    """The story's parties, as ``pctrade.demo`` names them."""

    regulator: str
    emitter: str
    institution: str
    forest: str
    seller: str  # an individual who qualifies to trade directly
    refused: str  # one who does not
    pcer: str  # a PCER batch the seller holds (its vintage names the PCER contract)
    ccer: str
    cea: str


@dataclass
class TradingDay:
    """What the day did, for the summary."""

    day: date = TRADING_DAY
    contracts: list[tuple[str, int]] = field(default_factory=list)  # code, reference
    orders: int = 0
    cancelled: int = 0
    trades: list[tuple[str, int, int]] = field(default_factory=list)  # code, price, grams
    refused: str = ""
    reasons: list[tuple[str, str]] = field(default_factory=list)
    closes: list[tuple[str, int | None, int]] = field(default_factory=list)  # code, close, g


def contract_of(batch: str) -> ListContract:
    """The contract a batch trades in (``contract_key``: instrument, jurisdiction, vintage)."""
    instrument, jurisdiction, _project, vintage, _serial = batch.split("-")
    return ListContract(instrument, jurisdiction, vintage, MARKET)


def run_trading_day(
    app: App, cast: Cast, accounts: Mapping[str, int], count: Callable[[bool], None]
) -> TradingDay:
    """Run the day in ``app`` (its clock a ``SetClock``); ``count`` hears each write."""
    clock, market, registry = app.clock, app.market, app.registry
    if not isinstance(clock, SetClock):
        raise TypeError("the trading day moves its own clock: run it in the demo's app")
    out = TradingDay()

    def at(hh: int, mm: int) -> None:
        clock.now = cst(TRADING_DAY, hh, mm)

    # ---- before the open -------------------------------------------------------------
    at(9, 0)
    references = {cast.pcer: 8_000, cast.ccer: 7_000, cast.cea: 6_000}
    codes: dict[str, str] = {}
    for batch, reference in references.items():
        listing = contract_of(batch)
        cmd = ListContract(
            listing.instrument,
            listing.jurisdiction,
            listing.vintage,
            MARKET,
            reference_price_fen_per_t=reference,
        )
        done = market.list_contract(SYSTEM_OWNER, f"demo:trading:list:{batch}", cmd)
        count(bool(done["replayed"]))
        codes[batch] = str(done["contract"])
        out.contracts.append((codes[batch], reference))
    verified = date(2026, 11, 2)
    facts = {
        cast.seller: Facts(
            real_name_verified=True,
            real_name_verified_on=verified,
            real_name_method=VerificationMethod.CTID,
            risk_level=RiskLevel.C3,
            risk_assessed_on=verified,
            birth_date=date(1988, 5, 17),
        ),
        cast.refused: Facts(real_name_verified=False, birth_date=date(1996, 9, 3)),
        cast.institution: Facts(
            real_name_verified=True,
            real_name_verified_on=verified,
            real_name_method=VerificationMethod.BUSINESS_LICENCE,
            net_assets_fen=50_000_000 * FEN_PER_YUAN,
        ),
    }
    for party, recorded in facts.items():
        done = app.identity.record_facts(
            SYSTEM_OWNER, f"demo:trading:facts:{party}", RecordFacts(party, recorded)
        )
        count(bool(done["replayed"]))
    otc = 2_000 * G_PER_T
    goods = c.Transfer(accounts[cast.forest], accounts[cast.institution], cast.ccer, otc)
    count(registry.transfer(cast.forest, "demo:trading:otc:ccer:goods", goods).replayed)
    pay = c.Transfer(
        accounts[cast.institution], accounts[cast.forest], CASH_NAME, 2_000 * 70 * FEN_PER_YUAN
    )
    count(registry.transfer(cast.institution, "demo:trading:otc:ccer:cash", pay).replayed)

    # ---- the morning session -----------------------------------------------------------
    def place(who: str, batch: str, coid: str, side: str, price: int, grams: int) -> int:
        cmd = PlaceOrder(codes[batch], accounts[who], coid, side, price, grams)
        done = market.place(who, f"demo:trading:order:{coid}", cmd)
        count(bool(done["replayed"]))
        out.orders += 1
        return int(done["order_id"])

    lot_g = pcer_lot_g(app)
    t = G_PER_T
    at(9, 31)
    place(cast.institution, cast.ccer, "ins-ccer-1", "sell", 7_100, 1_500 * t)
    place(cast.institution, cast.ccer, "ins-ccer-2", "sell", 7_150, 500 * t)
    at(9, 35)
    place(cast.emitter, cast.ccer, "emt-ccer-1", "buy", 7_150, 1_800 * t)
    at(9, 40)
    place(cast.seller, cast.pcer, "ind-pcer-1", "sell", 8_200, SAVER_LOTS * lot_g)
    at(9, 41)
    out.refused = cast.refused
    out.reasons = _refusal(app, cast, codes[cast.pcer], accounts, lot_g)
    at(9, 45)
    place(cast.emitter, cast.pcer, "emt-pcer-1", "buy", 8_300, SAVER_LOTS * lot_g)
    at(10, 0)
    place(cast.institution, cast.cea, "ins-cea-1", "sell", 6_100, 1_000 * t)
    place(cast.emitter, cast.cea, "emt-cea-1", "buy", 6_100, 600 * t)
    at(10, 30)
    bid = place(cast.emitter, cast.pcer, "emt-pcer-2", "buy", 8_100, lot_g)
    at(11, 0)
    done = market.cancel(
        cast.emitter, "demo:trading:cancel:emt-pcer-2", CancelOrder(codes[cast.pcer], bid)
    )
    count(bool(done["replayed"]))
    out.cancelled += 1

    # ---- after the close ---------------------------------------------------------------
    at(15, 5)
    for code in codes.values():
        closed = market.close_day(
            SYSTEM_OWNER, f"demo:trading:close:{code}", CloseDay(code, TRADING_DAY.isoformat())
        )
        count(bool(closed["replayed"]))
        out.closes.append((code, closed["close_fen_per_t"], int(closed["volume_g"])))
        trades = reads.public_trades(app.store, code, TRADING_DAY.isoformat(), 0, 100).items
        out.trades += [(code, int(t["price_fen_per_t"]), int(t["quantity_g"])) for t in trades]
    return out


def _in_contract(asset: str, code: str) -> bool:
    """Whether batch ``asset`` (instrument-jurisdiction-project-vintage-serial) is one of
    contract ``code``'s (instrument-jurisdiction-vintage)."""
    parts = asset.split("-")
    return len(parts) == 5 and f"{parts[0]}-{parts[1]}-{parts[3]}" == code


def pcer_lot_g(app: App) -> int:
    """The PCER contract's lot under the day's rules (``[trading] lots.PCER``)."""
    trading = app.rules.in_force(MARKET, TRADING_DAY).trading
    assert trading is not None
    return trading.for_instrument("PCER").quantity_step_g


def _refusal(
    app: App, cast: Cast, code: str, accounts: Mapping[str, int], lot_g: int
) -> list[tuple[str, str]]:
    """The ineligible individual's sell of one lot, refused: each failed condition. A
    rerun finds the day closed (the market refuses first); the same decision is then
    taken from the same facts, rules and holding, which is what the refusal said."""
    cmd = PlaceOrder(code, accounts[cast.refused], "ind-pcer-x", "sell", 8_100, lot_g)
    try:
        app.market.place(cast.refused, "demo:trading:order:ind-pcer-x", cmd)
    except NotEligible as exc:
        return [(str(c), why) for c, why in exc.failed]
    except Conflict as exc:
        if exc.code != "market_closed":
            raise
    else:
        raise PctradeError("the ineligible sell was accepted", code="demo_mismatch")
    rule_set = app.rules.in_force(MARKET, TRADING_DAY)
    assert rule_set.eligibility is not None
    with app.store.reader() as uow:
        facts = facts_of(uow, cast.refused)
    # What the market counted: the contract's batches held, available or frozen.
    held_g = sum(
        h.amount
        for h in account_view(app.store, accounts[cast.refused]).holdings
        if h.state in ("available", "frozen") and _in_contract(h.asset, code)
    )
    decision = decide(
        cast.refused,
        Role.INDIVIDUAL,
        facts,
        rule_set.eligibility.for_instrument("PCER"),
        rule_set=rule_set.version,
        digest=rule_set.digest,
        day=TRADING_DAY,
        held_g=held_g,
    )
    return [(str(c), why) for c, why in decision.failed]


def summary_lines(day: TradingDay, names: Mapping[str, str]) -> list[str]:
    """A few lines for the demo's summary: orders, trades, prices, the refusal, closes."""
    lines = [
        f"交易日 Trading day {day.day} (CN rules, order book 挂牌): {day.orders} orders 委托, "
        f"{day.cancelled} cancelled 撤单, {len(day.trades)} trades 成交"
    ]
    for code, price, grams in day.trades:
        lines.append(f"  成交 {code}: {quantity(grams)} at {yuan(price)}")
    why = "; ".join(code for code, _ in day.reasons)
    who = names.get(day.refused, day.refused)
    lines.append(f"  拒绝 Refused {who}: not_eligible ({why}). {POOLS_HINT}")
    lines += close_lines(day.closes)
    return lines


def close_lines(closes: list[tuple[str, int | None, int]]) -> list[str]:
    return [
        f"  收盘 Close {code}: {yuan(close)} · volume {quantity(grams)}"
        for code, close, grams in closes
    ]
