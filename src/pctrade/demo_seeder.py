"""The demo's cast and calendar, what it records for the summary, and its ``Seeder``.

Every chapter of the scenario (``pctrade.demo`` lists them) is a function of one
``Seeder``: it writes through the seeder's app, moves the scenario clock, and counts
each write as new or replayed. What the chapters share lives here: who the parties
are, the season's dates and figures, and the result the CLI renders.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from pctrade import demo_events
from pctrade.bootstrap import App
from pctrade.demo_second_trading_day import SecondDay
from pctrade.demo_trading import TradingDay
from pctrade.energy import service as energy
from pctrade.energy.pipeline import quantify_file
from pctrade.energy.pipeline.synthetic import synthetic_as_of_ms
from pctrade.energy.service import CollectReport
from pctrade.inclusive.claim import Period as InclusivePeriod
from pctrade.inclusive.service import InclusiveIssuance
from pctrade.kernel.clock import SetClock
from pctrade.kernel.errors import Conflict, NotFound, ValidationError
from pctrade.ledger.model import AccountId, Role
from pctrade.ledger.queries import VerifyReport
from pctrade.ledger.service import Receipt
from pctrade.sinks.monitoring import Period
from pctrade.sinks.service import Issuance, Reversal

PEOPLE_DEFAULT = 50
# Five travellers at least: four sponsors, whom the autumn's sales, gift, freeze and
# retirement need, and the saver, who sells on the book.
PEOPLE_MIN = 6
PEOPLE_MAX = 1_000_000
DEMO_PASSWORD = "pctrade-demo"

# The season. Behaviour days are China Standard Time days; the clock is UTC.
SPONSOR_DAY = date(2026, 6, 1)  # everyone's first day of trips
TRAVEL_DAYS = 28  # the travellers' four weeks of trips, from SPONSOR_DAY
# People who travel green and collect their energy every day; at least one person
# stays home, so that the carbon-inclusive path has someone whose collected energy is
# all November's.
TRAVELLERS = 20
SPONSORING_DAY = SPONSOR_DAY + timedelta(days=TRAVEL_DAYS)  # they sponsor the day after
# The traveller (by index) who sponsors nothing: their four weeks go to the summer's
# carbon-inclusive issuance, and they sell those credits on the book in November.
SAVER = 3
# The summer's carbon-inclusive issuance covers the sink's monitoring quarter's months,
# so its batch is of the same vintage (2026Q3) and trades in the same contract.
SUMMER = InclusivePeriod(date(2026, 6, 1), date(2026, 9, 30))
INCLUSIVE_DAYS = (date(2026, 11, 19), date(2026, 11, 20))
MONITORING = Period(date(2026, 6, 1), date(2026, 9, 30))
# Each sponsorship is the person's own operation; past this many people the rest keep
# their energy (it expires), so a --people 1000000 demo stays a matter of minutes.
SPONSORS_MAX = 1_000
PROJECT_AREA_M2 = 200_000  # parcels SG-12 and SG-13
M2_PER_UNIT = 1  # a sponsor unit is 1 m² of the project's parcels
UNITS_TOTAL = PROJECT_AREA_M2 // M2_PER_UNIT  # every unit is on offer
# A 20-year crediting period: the shortest the CCER afforestation methodology
# (温室气体自愿减排项目方法学 造林碳汇 CCER-14-001-V01, 2023: a crediting period of 20
# to 60 years) allows. Over it the model expects 1 m² of this fir to remove about
# 18.7 kg, so at 1 g of energy per g it costs about 18.7 kg — close to Ant Forest's
# 17.9 kg per saxaul tree, and weeks of green trips, which only collected energy (it
# does not expire) can save up. The price is computed at registration, never written here.
CREDITING = (date(2026, 6, 1), date(2046, 5, 31))
STAND_AGE_Y = 6
MEASURED_PERCENT = 96  # measured removals against the model's expectation
BURNT_PERCENT = 1  # of the batch's removals, lost to a fire. Only the credits' share of
# the loss (what they credited of the removals verified) counts against the buffer
CEA = "CEA-GD-ALLOC-2025-001"
CCER = "CCER-CN-AFF0012-2024-001"
# The 2025 free allocation: Nanyue Power's covers its 2025 surrender (100,000 t) with a
# surplus it sells as a block in November; Yuebei Cement's falls short of its emissions.
CEA_ALLOCATION_T = {"nanyue-power": 210_000, "yuebei-cement": 150_000}

REGULATOR = "mee"
PLATFORM = "gd-tanpuhui"
EMITTER = "nanyue-power"
INSTITUTION = "lvyuan-carbon"
FOREST = "shaoguan-forestry"
VERIFIER = "huanan-verify"
CEMENT = "yuebei-cement"
PROJECT = "AFF0007"


@dataclass(frozen=True, slots=True)
class Org:
    party_id: str
    role: Role
    name: str


ORGS = (
    Org(REGULATOR, Role.REGULATOR, "生态环境部 Ministry of Ecology and Environment"),
    Org(PLATFORM, Role.PLATFORM, "粤碳普惠平台 Guangdong Carbon-Inclusive Platform"),
    Org(EMITTER, Role.EMITTER, "南粤电力有限公司 Nanyue Power Co."),
    Org(INSTITUTION, Role.INSTITUTION, "绿源碳资产管理公司 Lvyuan Carbon Asset Mgmt"),
    Org(FOREST, Role.PROJECT_OWNER, "韶关林业发展公司 Shaoguan Forestry (AFF0007)"),
    Org(VERIFIER, Role.VERIFIER, "华南核查中心 South China Verification Centre"),
    Org(CEMENT, Role.EMITTER, "粤北水泥有限公司 Yuebei Cement Co."),
)

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高梁郑谢宋唐许韩冯邓曹"
_GIVEN_ONE = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚"
_GIVEN_TWO = "秀英桂英建华晓明子涵欣怡浩然雨萱梓轩思远嘉怡志强海燕春梅国栋"
_GIVEN: tuple[str, ...] = (
    *_GIVEN_ONE,
    *(_GIVEN_TWO[i : i + 2] for i in range(0, len(_GIVEN_TWO), 2)),
)


def person_id(i: int) -> str:
    return f"u{i + 1:06d}"


def person_name(i: int) -> str:
    """A readable Chinese name, the same for the same index on every run."""
    surname = _SURNAMES[i % len(_SURNAMES)]
    given = _GIVEN[(i * 7 + i // len(_SURNAMES)) % len(_GIVEN)]
    return surname + given


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


SEASON_START = utc(2026, 6, 1, 1)
HOURS_2 = timedelta(hours=2)


@dataclass(slots=True)
class DemoResult:
    """What the seeding produced, for the summary."""

    people: int
    accounts: dict[str, AccountId] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    retirement_seq: int = 0
    retiree: str = ""
    written: int = 0
    replayed: int = 0
    users: list[tuple[str, str]] = field(default_factory=list)
    report: VerifyReport | None = None
    days: list[DayOutcome] = field(default_factory=list)
    travel: Travel | None = None
    report_id: int = 0
    pending_report_id: int = 0  # verified, left for the regulator (``demo_pending``)
    pcer: str = ""
    pool_id: str = ""  # the platform's pool (``demo_october.pool_deposits``)
    sink_issuance: Issuance | None = None
    conversion: Conversion | None = None
    summer: InclusiveIssuance | None = None
    inclusive: InclusiveIssuance | None = None
    expired_g: int = 0
    reversal: Reversal | None = None
    trading: TradingDay | None = None
    second_day: SecondDay | None = None
    # The compliance year (``demo_compliance``): status, the period's report, integrity.
    compliance: dict[str, Any] = field(default_factory=dict)
    charging: Charging | None = None  # June 2027's charge (``demo_charging``)


@dataclass(frozen=True, slots=True)
class Travel:
    """The travellers' weeks: days of trips quantified, energy collected daily."""

    travellers: int
    days: int
    events: int
    credited_g: int
    collections: int
    collected_g: int
    lapsed_g: int


@dataclass(frozen=True, slots=True)
class Conversion:
    """The sponsors' line from energy to credit: spent → expected → verified → issued."""

    units: int  # m² sponsored
    units_total: int
    energy_g: int  # green energy spent on them
    unit_price_g: int
    expected_g: int  # what the model expects of those m² over the crediting period
    verified_g: int  # their share of the quarter's verified removals
    buffer_g: int  # the buffer's part of that share
    issued_g: int  # PCER issued to the sponsors
    rule_set: str
    model_version: str
    crediting: tuple[str, str] = ("", "")  # the crediting period's first and last day

    @property
    def to_come_g(self) -> int:
        """What the model still expects of the sponsored m² after this quarter."""
        return max(0, self.expected_g - self.verified_g)


@dataclass(frozen=True, slots=True)
class Charging:
    """A person's electric-vehicle charge in June 2027, credited and collected: what
    they hold when the served demo stands at the story's end."""

    person: str
    day: DayOutcome
    collected_g: int
    available_g: int  # their collected, unspent energy afterwards
    unit_price_g: int  # of a m² of the project

    @property
    def units(self) -> int:
        """The whole m² that energy would sponsor."""
        return self.available_g // self.unit_price_g


@dataclass(frozen=True, slots=True)
class DayOutcome:
    """One behaviour day as the pipeline and the energy ledger saw it."""

    day: date
    events: int
    rejected: int
    held: int
    people: int
    credited_g: int


class Seeder:
    """Runs the scenario's steps against one registry, counting new and replayed writes."""

    def __init__(self, app: App, people: int) -> None:
        if not PEOPLE_MIN <= people <= PEOPLE_MAX:
            raise ValidationError(
                f"--people must be {PEOPLE_MIN}..{PEOPLE_MAX}", code="out_of_range"
            )
        if not isinstance(app.clock, SetClock):
            raise TypeError("the scenario moves its own clock: seed an app from build_app")
        self.app = app
        self.store = app.store
        self.data_dir = app.data_dir
        self.clock = app.clock
        # Every seeding walks the same season, so a second one replays the first.
        self.clock.now = SEASON_START
        self.registry = app.registry
        self.rules = app.rules
        self.sinks = app.sinks
        self.inclusive = app.inclusive
        self.identity = app.identity
        app.prepare()
        self.result = DemoResult(people)
        self._issued: dict[AccountId, int] = {}
        self.collected: dict[str, int] = {}  # what each traveller collected in June

    def record(self, receipt: Receipt) -> Receipt:
        self.count(receipt.replayed)
        return receipt

    def count(self, replayed: bool) -> None:
        self.result.replayed += int(replayed)
        self.result.written += int(not replayed)

    def acct(self, party_id: str) -> AccountId:
        return self.result.accounts[party_id]

    @staticmethod
    def person(i: int) -> str:
        return person_id(i)

    def people(self) -> list[str]:
        return [person_id(i) for i in range(self.result.people)]

    def travellers(self) -> list[str]:
        return self.people()[: min(TRAVELLERS, SPONSORS_MAX, self.result.people - 1)]

    @property
    def saver(self) -> str:
        return person_id(SAVER)

    def holder(self, k: int) -> str:
        """The ``k``-th person, in order, the sink issuance credited: the trades need
        people who hold PCER, and who could afford a unit depends on the day's energy."""
        holders = [p for p in self.people()[:SPONSORS_MAX] if self.issued_to(p) > 0]
        if k >= len(holders):
            raise ValidationError(
                f"only {len(holders)} people could sponsor a unit; the scenario needs "
                f"{k + 1} PCER holders (try more --people)",
                code="demo_too_few_sponsors",
            )
        return holders[k]

    def issued_to(self, who: str) -> int:
        """What the sink issuance credited ``who``: fixed once issued, so reruns agree."""
        if not self._issued:
            issuance = self.result.sink_issuance
            if issuance is None:
                raise NotFound("no PCER issued yet", code="unknown_batch")
            with self.store.reader() as uow:  # read once: a fan-out, each account once
                postings = uow.postings_of(issuance.issue_seq)
            self._issued = dict(zip(postings.accounts, postings.deltas, strict=True))
        return self._issued.get(self.acct(who), 0)

    def head(self) -> int:
        with self.store.reader() as uow:
            return uow.head.last_seq

    def credit_energy(
        self, day: date, seed: int, richness: int, people: list[str] | None = None
    ) -> DayOutcome:
        """The metro app's day of trips, quantified by the pipeline and credited in bulk."""
        who = self.people() if people is None else people
        return self.credit_file(
            day, lambda path: demo_events.write_day(path, day, who, seed, richness)
        )

    def credit_file(self, day: date, write: Callable[[Path], int]) -> DayOutcome:
        """A partner's file of ``day`` (``write`` makes it and counts its events),
        quantified by the pipeline and credited in bulk; the clock then stands at the
        pipeline's as-of time."""
        with tempfile.TemporaryDirectory(prefix="pctrade-demo-") as work:
            path = Path(work) / f"events-{day}.parquet"
            events = write(path)
            result = quantify_file(path, day, as_of_ms=synthetic_as_of_ms(day))
        self.clock.now = datetime.fromtimestamp(synthetic_as_of_ms(day) / 1000, UTC)
        posted = energy.post_day(self.registry, result)
        self.count(posted.replayed)
        return DayOutcome(
            day,
            events,
            result.rejected.num_rows,
            result.held.num_rows,
            posted.people,
            posted.credited_g,
        )

    def collect(self, pid: str, key: str) -> CollectReport | None:
        """``pid`` collects their energy now (None: there was nothing to collect)."""
        try:
            report = energy.collect(
                self.registry,
                pid,
                key,
                self.acct(pid),
                self.clock(),
                rules=self.rules,
                jurisdiction="GD",
            )
        except Conflict as exc:
            if exc.code != "nothing_to_collect":
                raise
            return None
        self.count(report.replayed)
        return report

    def issue_inclusive(self, period: InclusivePeriod, key: str, at: datetime) -> InclusiveIssuance:
        """Guangdong's carbon-inclusive path for ``period``: the regulator opens an
        issuance (found again on a rerun by its period), an independent verifier fixes
        the claim, the regulator issues it; 30 minutes apart from ``at``."""
        opened = [
            r
            for r in self.inclusive.issuances("GD").items
            if r["period_start"] == period.start.isoformat()
        ]
        if opened:
            issuance_id = int(opened[0]["issuance_id"])
            self.result.replayed += 2  # opening and verification
        else:
            self.clock.now = at
            row = self.inclusive.open(REGULATOR, f"{key}:open", "GD", period, affiliates=[PLATFORM])
            issuance_id = int(row["issuance_id"])
            self.clock.now = at + timedelta(minutes=30)
            self.inclusive.verify(VERIFIER, f"{key}:verify", issuance_id, approve=True)
            self.result.written += 2
        self.clock.now = at + timedelta(minutes=60)
        return self.inclusive.issue(REGULATOR, f"{key}:issue", issuance_id)


Step = tuple[str, Callable[[Seeder], None]]
