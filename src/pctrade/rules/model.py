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

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import TypeVar

from pctrade.kernel.errors import Conflict


class IssuancePath(StrEnum):
    """How personal credits may come into being in a jurisdiction (DESIGN §4)."""

    SINK_SPONSORSHIP = "sink_sponsorship"  # energy sponsors sink units; removals issued
    CARBON_INCLUSIVE = "carbon_inclusive"  # 碳普惠: verified avoided emissions issued directly


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
class Trading:
    quantity_step_g: int
    price_step_fen_per_t: int
    order_quantity_max_g: int  # a listing-agreement order is at most this
    price_limit_bps: int  # ± around the previous close
    block_quantity_min_g: int  # a block trade is at least this
    block_price_limit_bps: int
    resale_delay_days: int  # 1: T+1, bought units not resold the same day
    position_limit_g: int | None
    large_holder_report_g: int | None
    # The continuous sessions of a trading day, in China Standard Time (UTC+8), as
    # (start, end) minutes after midnight, in order and apart: an order is taken from
    # the start to before the end. Empty: the rule set states none, and nothing trades.
    sessions: tuple[tuple[int, int], ...]
    # Days without trading besides Saturdays and Sundays (the exchange's holidays).
    holidays: frozenset[date]
    # What makes batches one contract (fungibility), among ``CONTRACT_KEY_FIELDS``.
    contract_key: tuple[str, ...]
    cited: Cited

    def is_trading_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def in_session(self, minute: int) -> bool:
        return any(start <= minute < end for start, end in self.sessions)


# The parts of a batch's denomination a contract may be keyed on (``Trading.contract_key``).
CONTRACT_KEY_FIELDS = ("instrument", "jurisdiction", "vintage", "project")


@dataclass(frozen=True, slots=True)
class Offsets:
    cap_bps: int
    cap_basis: CapBasis
    types: tuple[str, ...]  # instruments admitted for offsetting, e.g. CCER, PCER
    cited: Cited


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
    offsets: Offsets | None = None
    fees: Fees | None = None
    eligibility: Eligibility | None = None
    energy: Energy | None = None
    sinks: Sinks | None = None
    carbon_inclusive: CarbonInclusive | None = None
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

    def require_sinks(self) -> Sinks:
        return _required(self, self.sinks, "sinks")

    def require_carbon_inclusive(self) -> CarbonInclusive:
        self.require_path(IssuancePath.CARBON_INCLUSIVE)
        return _required(self, self.carbon_inclusive, "carbon_inclusive")

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
    "offsets",
    "fees",
    "eligibility",
    "energy",
    "sinks",
    "carbon_inclusive",
)


T = TypeVar("T")


def _required(rule_set: RuleSet, section: T | None, name: str) -> T:
    if section is None:
        raise Conflict(f"rule set {rule_set.version} has no {name} rules", code="no_rule")
    return section
