"""A jurisdiction's rule set, as typed, immutable data.

A rule set is one dated, versioned file per jurisdiction (DESIGN §8): the national
market (``CN``) or a pilot (``GD`` Guangdong, ``SZ`` Shenzhen, ``HB`` Hubei, ``BJ``
Beijing). Its ``version`` — ``GD/2022-05-06``, the jurisdiction and the day it takes
effect — is the id every decision cites, with the file's SHA-256 ``digest`` so a
citation also says which text was meant.

Every section is optional: a jurisdiction without a market of its own has no
``trading`` section, one that does not admit personal credits has no
``carbon_inclusive`` section. A consumer asks for what it needs (``require_sinks``,
``require_carbon_inclusive``, …) and gets a clear, coded refusal when the rule set
does not say. Each section names its ``sources`` (the ``[sources.*]`` tables of the
file) and lists in ``assumed`` the fields whose values we could not confirm.

Units follow the rest of pctrade: grams (``_g``), fen (``_fen``), basis points
(``_bps``, 1/10,000), seconds (``_s``); integers only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple, TypeVar

from pctrade.kernel.errors import Conflict, ValidationError


class IssuancePath(StrEnum):
    """How personal credits may come into being in a jurisdiction (DESIGN §4)."""

    SINK_SPONSORSHIP = "sink_sponsorship"  # energy sponsors sink units; removals issued
    CARBON_INCLUSIVE = "carbon_inclusive"  # 碳普惠: verified avoided emissions issued directly


class AuctionPricing(StrEnum):
    """What winning bidders pay in a one-way auction (单向竞价)."""

    UNIFORM = "uniform"  # every winner pays the clearing price, the lowest accepted bid's
    PAY_AS_BID = "pay_as_bid"  # every winner pays its own bid price


class PriceWindowEnd(StrEnum):
    """What the window of market prices that values a shortfall ends on."""

    # The surrender deadline, its day included: the national regulations' "the month
    # before the surrender deadline" (清缴时限前1个月), Shenzhen's six months before.
    DEADLINE = "deadline"


class CapBasis(StrEnum):
    """What an offset cap is a share of."""

    REQUIRED_SURRENDER = "required_surrender"  # national: of the allowances to surrender
    ANNUAL_EMISSIONS = "annual_emissions"  # Guangdong: of verified annual emissions
    ANNUAL_ALLOCATION = "annual_allocation"  # Beijing, Shanghai: of the year's allocation


@dataclass(frozen=True, slots=True)
class Source:
    figure: str
    publisher: str
    assumption: bool
    note: str = ""


@dataclass(frozen=True, slots=True)
class Cited:
    """What every section carries: where its figures come from, and which are guesses."""

    sources: tuple[str, ...]
    assumed: frozenset[str]


@dataclass(frozen=True, slots=True)
class Lot:
    """An instrument's own lot and tick, where they differ from the market's: personal
    credits are held in grams and kilograms, so a market may trade them in smaller lots
    (``[trading] lots``). Lot × tick is a whole fen, so every lot's cash is exact.
    ``block_quantity_min_g``: the instrument's own block-trade threshold (None: the
    market's), since a platform pool's block sale of personal credits is tonnes, not the
    tens of thousands of tonnes an emitter's block of allowances is (issue 14)."""

    quantity_step_g: int
    price_step_fen_per_t: int
    block_quantity_min_g: int | None = None


@dataclass(frozen=True, slots=True)
class Trading:
    quantity_step_g: int
    price_step_fen_per_t: int
    order_quantity_max_g: int  # a listing-agreement order is at most this
    price_limit_bps: int  # ± around the previous close
    block_quantity_min_g: int  # a block trade is at least this
    block_price_limit_bps: int
    # T+n: units bought on a trading day are sold from the n-th trading day after it
    # (1: T+1, not the same day; 0: at once), counted on ``is_trading_day``
    resale_delay_days: int
    position_limit_g: int | None
    large_holder_report_g: int | None
    # The continuous sessions of a trading day, in China Standard Time (UTC+8), in order
    # and apart: an order is taken from a session's open to before its close. Empty: the
    # rule set states none, and nothing trades.
    sessions: tuple[Session, ...]
    # Days without trading besides Saturdays and Sundays (the exchange's holidays).
    holidays: frozenset[date]
    # What makes batches one contract (fungibility), among ``CONTRACT_KEY_FIELDS``.
    contract_key: tuple[str, ...]
    cited: Cited
    # Per instrument, a lot and tick of its own (``Lot``); the others trade the above.
    lots: Mapping[str, Lot] = field(default_factory=lambda: MappingProxyType({}))

    def for_instrument(self, instrument: str) -> Trading:
        """These rules as a contract of ``instrument`` trades them: its own lot and tick."""
        lot = self.lots.get(instrument)
        if lot is None:
            return self
        return replace(
            self,
            quantity_step_g=lot.quantity_step_g,
            price_step_fen_per_t=lot.price_step_fen_per_t,
            block_quantity_min_g=lot.block_quantity_min_g or self.block_quantity_min_g,
        )

    def is_trading_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def in_session(self, second: int) -> bool:
        """Whether ``second`` (after local midnight) falls in a session."""
        return any(s.open_s <= second < s.close_s for s in self.sessions)


# The parts of a batch's denomination a contract may be keyed on (``Trading.contract_key``).
CONTRACT_KEY_FIELDS = ("instrument", "jurisdiction", "vintage", "project")


class Session(NamedTuple):
    """A trading session in local time: seconds after midnight, open inclusive and close
    exclusive. The file writes it ``"13:00-15:00"``, which is (46800, 54000)."""

    open_s: int
    close_s: int


@dataclass(frozen=True, slots=True)
class BlockTrades:
    """When block trades (大宗协议交易) may be proposed and accepted, and for how long a
    proposal stands. Their size threshold and price band are ``[trading]``'s
    ``block_quantity_min_g`` and ``block_price_limit_bps``."""

    sessions: tuple[Session, ...]  # in time order, not overlapping
    proposal_expiry_max_s: int  # a proposal stands at most this long (and never past its session)
    cited: Cited


@dataclass(frozen=True, slots=True)
class Auctions:
    """One-way bidding (单向竞价): the defaults an auction announcement starts from."""

    pricing: AuctionPricing
    bid_revision_allowed: bool  # may a bidder revise or withdraw a bid before the close
    bid_quantity_min_g: int  # each bid is at least this
    bid_quantity_step_g: int  # the lot: every bid quantity is a multiple of it
    price_step_fen_per_t: int  # the tick: every bid price is a multiple of it
    reserve_published: bool  # is the reserve price announced (then lower bids are refused)
    bidder_share_max_bps: int | None  # one bidder's bids together: at most this share
    cited: Cited


@dataclass(frozen=True, slots=True)
class Positions:
    """Position limits and large-holder disclosure (最大持仓量限制, 大户报告).

    A limit is inclusive (a holding may reach it, not exceed it: 不得超过); disclosure
    applies to a holding strictly above its threshold (超过). A key emitter's figures
    are its own annual allocation plus the ``emitter_*_above_allocation_g`` amount; any
    other holder's are the fixed ``limit_g`` and ``disclosure_g``. ``None``: the rule
    set states no such figure. ``instruments`` are what a holding counts.
    """

    instruments: tuple[str, ...]
    limit_g: int | None
    emitter_limit_above_allocation_g: int | None
    disclosure_g: int | None
    emitter_disclosure_above_allocation_g: int | None
    cited: Cited


@dataclass(frozen=True, slots=True)
class Surveillance:
    """The thresholds of the abnormal-trading report (异常交易监控) for the regulator.

    ``related_kinds`` are the kinds of relation between two parties under which their
    trades with each other count as wash trades (``same_party``: both sides are one
    party's accounts). The other fields are the figures of the four signatures, in the
    units their names say; ``pctrade.market.surveillance`` explains each one.
    """

    related_kinds: tuple[str, ...]
    wash_trades_min: int
    wash_volume_g_min: int
    layering_orders_min: int
    layering_window_s: int
    layering_cancel_s_max: int
    layering_away_bps_min: int
    layering_cancelled_bps_min: int
    spike_bps: int
    spike_window_s: int
    concentration_bps: int
    concentration_day_volume_g_min: int
    cited: Cited


@dataclass(frozen=True, slots=True)
class Offsets:
    cap_bps: int
    cap_basis: CapBasis
    types: tuple[str, ...]  # instruments admitted for offsetting, e.g. CCER, PCER
    cited: Cited


@dataclass(frozen=True, slots=True)
class Allocation:
    """Free allocation by benchmark (DESIGN §7): each kind of unit's benchmarks, in
    grams of CO2 per unit of output (``supply_g_per_mwh``, ``heat_g_per_gj``), for the
    sector the file covers; and whether allocations are adjusted each year to the
    year's actual output (Fujian's dynamic adjustment) rather than trued up once.

    A dynamic adjustment bounds the year's final allocation by the verified emissions:
    it falls short of them (the gap) by at most ``adjustment_gap_max_bps`` of them, and
    exceeds them (the surplus) by at most ``adjustment_surplus_max_bps`` of them; what a
    gap or surplus has beyond its bound is void (Fujian: 超过比例部分的配额缺口无效).
    None: that side is not bounded."""

    sector: str
    benchmarks: Mapping[str, Mapping[str, int]]  # unit type → "<output>_g_per_<unit>" → g
    dynamic_adjustment: bool
    cited: Cited
    adjustment_gap_max_bps: int | None = None
    adjustment_surplus_max_bps: int | None = None

    def benchmark_g(self, unit_type: str, output: str) -> int:
        """The benchmark of ``unit_type`` for ``output`` (a key such as supply_g_per_mwh)."""
        figures = self.benchmarks.get(unit_type)
        if figures is None or output not in figures:
            raise Conflict(
                f"no {self.sector} benchmark for {unit_type} {output}", code="no_benchmark"
            )
        return figures[output]


# A compliance period's label: one year ("2023") or a span of years ("2019-2020").
PERIOD_RE = re.compile(r"^([0-9]{4})(?:-([0-9]{4}))?$")


def period_years(period: str) -> tuple[int, int]:
    """The first and last year of a period label such as "2023" or "2019-2020"."""
    found = PERIOD_RE.match(period)
    if found is None:
        raise ValidationError(f"not a compliance period: {period!r}", code="bad_period")
    first = int(found.group(1))
    last = int(found.group(2) or first)
    if last < first:
        raise ValidationError(f"period {period!r} ends before it starts", code="bad_period")
    return first, last


def months_before(day: date, months: int) -> date:
    """``day`` ``months`` calendar months earlier, on the same day of the month or, when
    that month is shorter, on its last day (31 March less one month: 28 or 29 February)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    last_day = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last_day))


@dataclass(frozen=True, slots=True)
class Compliance:
    """履约: when an emitter's obligation for a period falls due, which offsets count
    towards it beyond ``[offsets]`` (vintages, methodologies, the jurisdictions whose
    batches are accepted: linking), whether allowances carry over (banking) or may be
    drawn from the next period (borrowing), how much of a free allocation is given in
    advance, and what failing costs. Multiples are whole numbers: a fine of 5 to 10
    times the shortfall's market value is ``penalty_market_value_multiple_min = 5``
    and ``…_max = 10``."""

    # Periods the regulator fixed by notice, each with the last day of its surrender;
    # other periods are single years due on ``annual_deadline`` ("MM-DD") of the next.
    deadlines: Mapping[str, date]
    annual_deadline: str
    late_surrender_allowed: bool
    banking: bool  # a period's unused allowances count in later periods
    # Borrowing from the next period: an emitter short by at least ``…_min_bps`` of its
    # obligation may borrow up to ``borrowing_max_bps`` of its shortfall; None: never.
    borrowing_shortfall_min_bps: int | None
    borrowing_max_bps: int | None
    preallocation_bps: int | None  # share of benchmark × prior output given in advance
    offset_vintage_min: int | None  # the earliest vintage year an offset may be of
    offset_local_min_bps: int | None  # at least this share of offsets from local projects
    offset_methodologies: tuple[str, ...]  # empty: any methodology of an admitted type
    accepts: tuple[str, ...]  # jurisdictions whose batches this one accepts
    penalty_fine_min_fen: int | None
    penalty_fine_max_fen: int | None
    penalty_market_value_multiple_min: int | None
    penalty_market_value_multiple_max: int | None
    # A ceiling on the market-value fine (Hubei: 1-3 times the value, "but at most
    # 150,000 yuan"): it caps that fine, unlike ``penalty_fine_max_fen``, the top of a
    # fixed fine's range, which stands beside it.
    penalty_market_value_fine_max_fen: int | None
    penalty_deduction_multiple: int | None  # next allocation cut by n × the shortfall
    # Which market prices value a shortfall for a market-value fine: the volume-weighted
    # average of the jurisdiction's allowance trades in the ``…_months`` calendar months
    # ending on ``…_end`` (``penalty_price_window``). None: the rule names no window (the
    # price must be given).
    penalty_price_window_months: int | None
    penalty_price_window_end: PriceWindowEnd | None
    cited: Cited

    def deadline(self, period: str) -> date:
        """The last day an emitter may surrender for ``period``."""
        if period in self.deadlines:
            return self.deadlines[period]
        first, last = period_years(period)
        if first != last:
            raise Conflict(f"no deadline is set for the period {period}", code="no_rule")
        month, day = (int(x) for x in self.annual_deadline.split("-"))
        return date(last + 1, month, day)

    def penalty_price_window(self, period: str) -> tuple[date, date] | None:
        """The first and last trading day (both included) whose allowance trades value a
        shortfall of ``period``, or None when the rule names no window.

        The window is the ``penalty_price_window_months`` months that end on the
        deadline's day, which is included: the deadline is the end of that day (the
        national market's surrender closes at 17:00 on it), so its trades are before
        it. It starts the day after the deadline, that many months earlier: a deadline
        of 31 December and one month give 1-31 December; 30 June and six months give
        1 January-30 June, Shenzhen's "six consecutive months".
        """
        months, end = self.penalty_price_window_months, self.penalty_price_window_end
        if months is None or end is None:
            return None
        last = self.deadline(period)  # PriceWindowEnd.DEADLINE, the only end so far
        return months_before(last + timedelta(days=1), months), last


@dataclass(frozen=True, slots=True)
class Fees:
    trade_fee_cap_bps: int
    pool_fee_cap_bps: int  # what a platform pool may keep of a sale (显失公平 above it)
    # The exchange's fee on each side of a listing-agreement trade (at most the cap);
    # None: the rule set states none, and the market charges nothing.
    trade_fee_bps: int | None
    cited: Cited


@dataclass(frozen=True, slots=True)
class Eligibility:
    """What an individual must meet to trade directly (符合交易规则)."""

    real_name_verified: bool
    age_min_y: int
    risk_assessment: bool
    holding_min_g: int
    # An institution trades with its real name (business licence) verified and, when
    # set, at least these net assets (None: no minimum).
    institution_net_assets_min_fen: int | None
    cited: Cited
    # Per instrument, the holding an individual needs to sell it directly, where it
    # differs from ``holding_min_g`` (a personal credit's, which trades in smaller lots).
    instrument_holding_min_g: Mapping[str, int] = field(
        default_factory=lambda: MappingProxyType({})
    )

    def for_instrument(self, instrument: str) -> Eligibility:
        """These conditions for a contract of ``instrument``: its own holding minimum."""
        minimum = self.instrument_holding_min_g.get(instrument)
        return self if minimum is None else replace(self, holding_min_g=minimum)


@dataclass(frozen=True, slots=True)
class Energy:
    expiry_s: int
    # Partner anomaly threshold (issue 4): when at least `partner_min_events` of one
    # partner's events are judged in a run and more than `partner_flagged_bps_max`
    # basis points of them are rejected or held, the rest of them are held for review.
    partner_min_events: int
    partner_flagged_bps_max: int
    cited: Cited


@dataclass(frozen=True, slots=True)
class Sinks:
    buffer_bps: Mapping[str, int]  # per sink project type
    methodologies: tuple[str, ...]
    # Whether the removals of units nobody sponsored go to the project owner's account;
    # false (the only value the loader takes yet): they are recorded, not issued.
    issue_unsponsored_to_owner: bool
    # The published conversion standard (issue 11): grams of energy a sponsor unit costs
    # per gram of removal the removal model expects of it over the crediting period, in
    # basis points. None: the rule set publishes no price, and no project registers.
    energy_per_removal_bps: int | None
    cited: Cited


@dataclass(frozen=True, slots=True)
class CarbonInclusive:
    methodologies: tuple[str, ...]  # behaviour methodology versions, e.g. ``bus/v1``
    person_min_g: int  # below this a person gets nothing and keeps their energy
    cited: Cited


# The terms of a platform pool a rule set may require to be disclosed (``[pools]
# disclosures``); a pool's fee and admitted credits are always published.
POOL_DISCLOSURES = (
    "floor_fen_per_t",
    "sale_schedule",
    "payout_delay_days",
    "withdrawal_notice_days",
    "lock_in_days",
    "draw_order",
)


@dataclass(frozen=True, slots=True)
class Pools:
    """What a platform pool's terms must meet (平台整合; 显失公平 beyond these).

    The fee cap is ``[fees] pool_fee_cap_bps``. ``disclosures``: terms a pool must
    publish (of ``POOL_DISCLOSURES``); the ``*_max`` figures are the longest lock-in of
    a deposit, withdrawal notice and delay from a sale to its payout, in days.
    ``sale_below_floor_allowed``: whether a pool may sell below its disclosed floor
    (the loader takes only false: never).
    """

    disclosures: tuple[str, ...]
    lock_in_days_max: int
    withdrawal_notice_days_max: int
    payout_delay_days_max: int
    sale_below_floor_allowed: bool
    cited: Cited


@dataclass(frozen=True, slots=True)
class RuleSet:
    jurisdiction: str
    iso_code: str
    name: str
    effective_from: date
    issuance_paths: frozenset[IssuancePath]
    digest: str
    sources: Mapping[str, Source]
    trading: Trading | None = None
    positions: Positions | None = None
    surveillance: Surveillance | None = None
    offsets: Offsets | None = None
    fees: Fees | None = None
    eligibility: Eligibility | None = None
    energy: Energy | None = None
    sinks: Sinks | None = None
    carbon_inclusive: CarbonInclusive | None = None
    block_trades: BlockTrades | None = None
    auctions: Auctions | None = None
    compliance: Compliance | None = None
    pools: Pools | None = None
    allocation: Allocation | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def version(self) -> str:
        return f"{self.jurisdiction}/{self.effective_from.isoformat()}"

    def assumptions(self) -> list[str]:
        """Every field whose value we could not confirm, as ``section.field``."""
        found: list[str] = []
        for name in SECTIONS:
            section = getattr(self, name)
            if section is not None:
                found.extend(f"{name}.{f}" for f in sorted(section.cited.assumed))
        return found

    def admits(self, path: IssuancePath) -> bool:
        return path in self.issuance_paths

    def require_path(self, path: IssuancePath) -> None:
        if path not in self.issuance_paths:
            raise Conflict(
                f"rule set {self.version} does not admit the {path} issuance path",
                code="path_not_admitted",
            )

    def require_energy(self) -> Energy:
        return _required(self, self.energy, "energy")

    def require_block_trades(self) -> BlockTrades:
        return _required(self, self.block_trades, "block_trades")

    def require_auctions(self) -> Auctions:
        return _required(self, self.auctions, "auctions")

    def require_sinks(self) -> Sinks:
        return _required(self, self.sinks, "sinks")

    def require_carbon_inclusive(self) -> CarbonInclusive:
        self.require_path(IssuancePath.CARBON_INCLUSIVE)
        return _required(self, self.carbon_inclusive, "carbon_inclusive")

    def require_pools(self) -> Pools:
        return _required(self, self.pools, "pools")

    def require_fees(self) -> Fees:
        return _required(self, self.fees, "fees")

    def require_positions(self) -> Positions:
        return _required(self, self.positions, "positions")

    def require_surveillance(self) -> Surveillance:
        return _required(self, self.surveillance, "surveillance")

    def energy_per_removal_bps(self) -> int:
        """The sink unit price standard, or ``no_rule`` if the rule set states none."""
        ratio = self.require_sinks().energy_per_removal_bps
        if ratio is None:
            raise Conflict(
                f"rule set {self.version} publishes no [sinks] energy_per_removal_bps, so no "
                "sink unit can be priced",
                code="no_rule",
            )
        return ratio

    def buffer_bps(self, project_type: str) -> int:
        rates = self.require_sinks().buffer_bps
        if project_type not in rates:
            raise Conflict(
                f"rule set {self.version} sets no buffer rate for {project_type} projects",
                code="no_rule",
            )
        return rates[project_type]


SECTIONS = (
    "trading",
    "positions",
    "surveillance",
    "offsets",
    "fees",
    "eligibility",
    "energy",
    "sinks",
    "carbon_inclusive",
    "block_trades",
    "auctions",
    "compliance",
    "pools",
    "allocation",
)


T = TypeVar("T")


def _required(rule_set: RuleSet, section: T | None, name: str) -> T:
    if section is None:
        raise Conflict(f"rule set {rule_set.version} has no {name} rules", code="no_rule")
    return section
