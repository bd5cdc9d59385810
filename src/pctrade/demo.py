"""A demonstrative registry, seeded through the real services.

The scenario follows one season of a Guangdong carbon-inclusive programme, on a
scenario clock that walks from June to November 2026 (so every date in the journal
tells the story, and a rerun writes exactly the same entries):

1. The registry operator (genesis) registers the regulator 生态环境部, a carbon-inclusive
   platform, a key emitter, an institution, a forest-sink project owner and a verifier;
   the platform then opens its users' individual accounts in one bulk operation. The
   regulator issues a CEA allocation to the emitter and a CCER batch to the forest owner.
2. 低碳足迹 → 碳汇 → 碳排放额: a metro app sends a day of its users' trips; the daily
   pipeline (DuckDB) quantifies them under the published methodologies — refusing one
   event and holding another for review — and credits green energy, uncollected. The
   forest owner registers afforestation project AFF0007 with a 20-year crediting
   period, and the regulator approves it. Its units — 1 m² each of its 200,000 m² — are
   priced by the published standard: the removal the model expects of 1 m² over the
   crediting period, at the rule set's 1 g of energy per g (``sinks.price``), about
   18.7 kg of energy. Some people travel green for four weeks, each day's trips
   quantified by the same pipeline, and collect their energy every day (collected
   energy does not expire); then they spend it sponsoring m². After the quarter the owner
   files measured removals, an independent verifier verifies them, and the regulator
   issues PCER: of the sponsored m²'s removals, the buffer share (which insures only
   what is issued) to the buffer account, then to each sponsor the rest of the removals
   of their own m² (exact to the gram, in one bulk entry); the removals of the m²
   nobody sponsored stay with the project, unissued.
3. Cash is deposited; allowances, offsets and personal credits change hands (each
   sale is two transfers: the credits, then the cash); the regulator freezes and
   releases an individual's credits; a platform pool holds some in escrow; the emitter
   surrenders for its compliance period; a fire's reversal cancels buffer credits.
4. 碳普惠: two November days' trips are credited, the energy nobody collected in June
   lapses (72 h), people collect November's, and Guangdong's carbon-inclusive path
   issues the qualifying avoided emissions directly as PCER to everyone above the
   per-person minimum, spending that energy.
5. An individual retires credits for a trip and receives a certificate.
6. A trading day on the order book (``demo_trading``): contracts listed, an emitter buys
   PCER and CCER, an eligible individual sells, an ineligible one is refused, the close.

Every write carries a stable idempotency key (``demo:…``), and the steps without one
look first, so seeding twice writes nothing the second time. This module draws
nothing on screen; the CLI renders its progress and its result.

The scenario runs in an app of its own (``build_app``): the composition root's, with
the scenario clock instead of the system's, so the genesis entry too is stamped at the
season's start.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pctrade import bootstrap, demo_events, demo_trading
from pctrade.bootstrap import App
from pctrade.bootstrap.contexts import verify
from pctrade.bootstrap.tables import METADATAS
from pctrade.energy import service as energy
from pctrade.energy.pipeline import quantify_file
from pctrade.energy.pipeline.synthetic import synthetic_as_of_ms
from pctrade.energy.service import CollectReport
from pctrade.identity.commands import CreateLogin
from pctrade.identity.service import Identity
from pctrade.inclusive.claim import Period as InclusivePeriod
from pctrade.inclusive.service import InclusiveIssuance
from pctrade.kernel.clock import SetClock
from pctrade.kernel.entropy import SeededEntropy
from pctrade.kernel.errors import Conflict, IdempotencyConflict, NotFound, ValidationError
from pctrade.kernel.units import FEN_PER_YUAN, G_PER_KG, G_PER_T
from pctrade.ledger import commands as c
from pctrade.ledger.model import CASH_NAME, SYSTEM_OWNER, AccountId, Role
from pctrade.ledger.operations import FreezeReason, Retirement
from pctrade.ledger.queries import VerifyReport
from pctrade.ledger.service import Receipt
from pctrade.ledger.sql import admin
from pctrade.ledger.sql.store import SqlStore
from pctrade.sinks.monitoring import Period
from pctrade.sinks.price import spec_standard
from pctrade.sinks.project import Parcel, ProjectSpec, ProjectType, SponsorUnit, UnitKind
from pctrade.sinks.removals import expected_removal_g
from pctrade.sinks.service import Issuance, Reversal
from pctrade.sinks.sql import store as sinks_store

PEOPLE_DEFAULT = 50
PEOPLE_MIN = 5  # the scenario's trades need five distinct people
PEOPLE_MAX = 1_000_000
DEMO_PASSWORD = "pctrade-demo"

# The season. Behaviour days are China Standard Time days; the clock is UTC.
SPONSOR_DAY = date(2026, 6, 1)  # everyone's first day of trips
TRAVEL_DAYS = 28  # the travellers' four weeks of trips, from SPONSOR_DAY
# People who travel green and collect their energy every day; at least one person
# stays home, so that the carbon-inclusive path has someone whose collected energy is
# all November's (a traveller's change from June comes first, and is not of the period).
TRAVELLERS = 20
SPONSORING_DAY = SPONSOR_DAY + timedelta(days=TRAVEL_DAYS)  # they sponsor the day after
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

REGULATOR = "mee"
PLATFORM = "gd-tanpuhui"
EMITTER = "nanyue-power"
INSTITUTION = "lvyuan-carbon"
FOREST = "shaoguan-forestry"
VERIFIER = "huanan-verify"
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
)

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高梁郑谢宋唐许韩冯邓曹"
_GIVEN_ONE = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚"
_GIVEN_TWO = "秀英桂英建华晓明子涵欣怡浩然雨萱梓轩思远嘉怡志强海燕春梅国栋"
_GIVEN: tuple[str, ...] = (
    *_GIVEN_ONE,
    *(_GIVEN_TWO[i : i + 2] for i in range(0, len(_GIVEN_TWO), 2)),
)

DEMO_USERS = (
    ("registry", SYSTEM_OWNER),
    ("regulator", REGULATOR),
    ("platform", PLATFORM),
    ("emitter", EMITTER),
    ("institution", INSTITUTION),
    ("forest", FOREST),
    ("wangwei", "u000001"),  # 王伟, the first individual
)


def person_id(i: int) -> str:
    return f"u{i + 1:06d}"


def person_name(i: int) -> str:
    """A readable Chinese name, the same for the same index on every run."""
    surname = _SURNAMES[i % len(_SURNAMES)]
    given = _GIVEN[(i * 7 + i // len(_SURNAMES)) % len(_GIVEN)]
    return surname + given


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
    pcer: str = ""
    sink_issuance: Issuance | None = None
    conversion: Conversion | None = None
    inclusive: InclusiveIssuance | None = None
    expired_g: int = 0
    reversal: Reversal | None = None
    trading: demo_trading.TradingDay | None = None


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
class DayOutcome:
    """One behaviour day as the pipeline and the energy ledger saw it."""

    day: date
    events: int
    rejected: int
    held: int
    people: int
    credited_g: int


Step = tuple[str, Callable[["Seeder"], None]]


def _utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


SEASON_START = _utc(2026, 6, 1, 1)
HOURS_2 = timedelta(hours=2)


def build_app(database: str | SqlStore) -> App:
    """The scenario's app on a database (a URL, or a store to take over): the
    scenario clock, the shipped rules, seeded randomness (the same certificate ids each
    run, so the scenario replays byte for byte). ``seed`` prepares it."""
    return bootstrap.build(
        database,
        clock=SetClock(SEASON_START),
        prepare=False,
        entropy=SeededEntropy("pctrade demo"),
    )


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
        self._collected: dict[str, int] = {}  # what each traveller collected in June

    def record(self, receipt: Receipt) -> Receipt:
        if receipt.replayed:
            self.result.replayed += 1
        else:
            self.result.written += 1
        return receipt

    def count(self, replayed: bool) -> None:
        self.result.replayed += int(replayed)
        self.result.written += int(not replayed)

    def acct(self, party_id: str) -> AccountId:
        return self.result.accounts[party_id]

    @staticmethod
    def person(i: int) -> str:
        return person_id(i)

    def holder(self, k: int) -> str:
        """The ``k``-th person, in order, the sink issuance credited: the trades need
        people who hold PCER, and who could afford a unit depends on the day's energy."""
        holders = [p for p in self.people()[:SPONSORS_MAX] if self._issued_to(p) > 0]
        if k >= len(holders):
            raise ValidationError(
                f"only {len(holders)} people could sponsor a unit; the scenario needs "
                f"{k + 1} PCER holders (try more --people)",
                code="demo_too_few_sponsors",
            )
        return holders[k]

    def people(self) -> list[str]:
        return [person_id(i) for i in range(self.result.people)]

    # ---- 1. parties, accounts, allowances ------------------------------------------
    def open_organisations(self) -> None:
        for org in ORGS:
            cmd = c.OpenAccount(org.party_id, org.role, org.name)
            r = self.record(
                self.registry.open_account(SYSTEM_OWNER, f"demo:open:{org.party_id}", cmd)
            )
            self.result.names[org.party_id] = org.name
            if "account" in r.payload:
                self.result.accounts[org.party_id] = int(r.payload["account"])

    def open_individuals(self) -> None:
        ids = self.people()
        names = [person_name(i) for i in range(len(ids))]
        cmd = c.OpenAccounts(Role.INDIVIDUAL, ids, names)
        r = self.record(self.registry.open_accounts(PLATFORM, "demo:open:individuals", cmd))
        self.result.names.update(zip(ids, names, strict=True))
        self.result.accounts.update(self._opened_by(r.seq))

    def _opened_by(self, seq: int) -> dict[str, AccountId]:
        """Accounts an entry opened, in one query (the bulk payload carries only counts)."""
        return admin.accounts_opened_by(self.store, seq)

    def authorize_platform(self) -> None:
        # The first few users let the platform act for them (e.g. to pool their credits).
        for i in range(PEOPLE_MIN):
            pid = person_id(i)
            cmd = c.Authorize(self.acct(pid), PLATFORM)
            self.record(self.registry.authorize(pid, f"demo:authorize:{pid}", cmd))

    def issue_allowances_and_offsets(self) -> None:
        cea = c.Issue(CEA, [self.acct(EMITTER)], [120_000 * G_PER_T])
        self.record(self.registry.issue(REGULATOR, "demo:issue:cea", cea))
        ccer = c.Issue(CCER, [self.acct(FOREST)], [30_000 * G_PER_T])
        self.record(self.registry.issue(REGULATOR, "demo:issue:ccer", ccer))

    # ---- 2. behaviour → energy → sponsorship → verified removals → PCER -------------
    def credit_energy(
        self, day: date, seed: int, richness: int, people: list[str] | None = None
    ) -> DayOutcome:
        """A partner's day of events, quantified by the pipeline and credited in bulk."""
        with tempfile.TemporaryDirectory(prefix="pctrade-demo-") as work:
            path = Path(work) / f"events-{day}.parquet"
            who = self.people() if people is None else people
            events = demo_events.write_day(path, day, who, seed, richness)
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

    def travellers(self) -> list[str]:
        return self.people()[: min(TRAVELLERS, SPONSORS_MAX, self.result.people - 1)]

    def credit_june_energy(self) -> None:
        self.result.days.append(self.credit_energy(SPONSOR_DAY, seed=601, richness=10))

    def travel_and_collect(self) -> None:
        """Four weeks of the travellers' trips, each day quantified by the pipeline and
        credited; each traveller collects every day, so none of it lapses. What each
        collected is summed from the collections' receipts (a rerun replays them)."""
        collected: dict[str, int] = {}
        events = credited_g = collections = lapsed_g = 0
        for n in range(TRAVEL_DAYS):
            day = SPONSOR_DAY + timedelta(days=n)
            if n:  # the first day is everyone's, credited already
                outcome = self.credit_energy(day, 601 + n, 14 + n % 7, self.travellers())
                events, credited_g = events + outcome.events, credited_g + outcome.credited_g
            as_of = datetime.fromtimestamp(synthetic_as_of_ms(day) / 1000, UTC)
            self.clock.now = as_of + timedelta(minutes=30)
            for pid in self.travellers():
                report = self.collect(pid, f"demo:collect:{pid}:{day}")
                if report is not None:
                    collected[pid] = collected.get(pid, 0) + report.collected_g
                    lapsed_g += report.lapsed_g
                    collections += 1
        self._collected = collected
        self.result.travel = Travel(
            len(self.travellers()),
            TRAVEL_DAYS,
            events,
            credited_g,
            collections,
            sum(collected.values()),
            lapsed_g,
        )

    def register_project(self) -> None:
        self.clock.now = _utc(2026, 6, 1, 2)
        try:
            self.sinks.project(PROJECT)
        except NotFound:
            self.sinks.register(
                FOREST, "demo:sink:register", self._priced_spec(), stand_age_y=STAND_AGE_Y
            )
            self.count(replayed=False)
            self.clock.now = _utc(2026, 6, 1, 3)
            self.sinks.approve(REGULATOR, "demo:sink:approve", PROJECT)
            self.count(replayed=False)
        else:
            self.result.replayed += 2  # registration and approval

    def _priced_spec(self) -> ProjectSpec:
        """AFF0007 at the published price: the model's expectation of 1 m² over the
        crediting period, at the Guangdong rule set's ratio."""
        spec = _project_spec(unit_energy_g=1)
        rules = self.rules.in_force(spec.jurisdiction, self.clock().date())
        bps = rules.energy_per_removal_bps()
        standard = spec_standard(self.sinks.models, spec, STAND_AGE_Y, bps, rules.version)
        return replace(spec, unit_energy_g=standard.price_g)

    def sponsor_trees(self) -> None:
        """The travellers spend their collected energy on whole m²; the change stays
        collected (it does not expire).

        The m² come from what each collected in June, not from today's balance, so a
        rerun asks for the same m² under the same keys.
        """
        self.clock.now = datetime.combine(SPONSORING_DAY, datetime.min.time(), UTC) + HOURS_2
        price_g = int(self.sinks.project(PROJECT)["unit_energy_g"])
        for pid in self.travellers():
            account = self.acct(pid)
            units = self._collected.get(pid, 0) // price_g
            if units:
                s = self.sinks.sponsor(pid, f"demo:sponsor:{pid}", account, PROJECT, units)
                self.count(s.replayed)

    def verify_removals(self) -> None:
        """After the quarter: the owner files, an independent verifier verifies."""
        with self.store.reader() as uow:
            filed = sinks_store.reports_of(uow, PROJECT)
        if filed:
            self.result.replayed += 2  # the report and its verification
            self.result.report_id = int(filed[0]["report_id"])
            return
        project = self.sinks.project(PROJECT)
        expected_g = expected_removal_g(
            self.sinks.models,
            str(project["forest_type"]),
            int(project["area_m2"]),
            STAND_AGE_Y,
            MONITORING.days,
        )
        measured_g = expected_g * MEASURED_PERCENT // 100
        self.clock.now = _utc(2026, 10, 8, 2)
        report = self.sinks.file_report(FOREST, "demo:sink:report", PROJECT, MONITORING, measured_g)
        self.clock.now = _utc(2026, 10, 12, 2)
        self.sinks.verify(VERIFIER, "demo:sink:verify", int(report["report_id"]), approve=True)
        self.result.report_id = int(report["report_id"])
        self.result.written += 2

    def issue_personal_credits(self) -> None:
        self.clock.now = _utc(2026, 10, 15, 2)
        issued = self.sinks.issue(REGULATOR, "demo:issue:pcer", self.result.report_id)
        self.count(issued.replayed)
        self.result.pcer = issued.batch
        self.result.sink_issuance = issued
        self.result.conversion = self._conversion(issued)

    def _conversion(self, issued: Issuance) -> Conversion:
        project = self.sinks.project(PROJECT)
        units, units_total = int(project["units_sold"]), int(project["units_total"])
        # The sponsored units' share of the verified removals: the buffer insures it (and
        # only it), the sponsors get the rest; so it is exactly what was posted.
        verified_g = issued.buffer_g + issued.attributed_g
        return Conversion(
            units,
            units_total,
            units * int(project["unit_energy_g"]),
            int(project["unit_energy_g"]),
            units * int(project["unit_expected_g"]),
            verified_g,
            issued.buffer_g,
            issued.attributed_g,
            str(project["rule_set"]),
            str(project["model_version"]),
            (str(project["crediting_start"]), str(project["crediting_end"])),
        )

    # ---- 3. the market's first trades, compliance, a reversal ------------------------
    def deposit_cash(self) -> None:
        self.clock.now = _utc(2026, 10, 16, 2)
        deposits = [(INSTITUTION, 2_000_000), (EMITTER, 800_000)]
        deposits += [(self.person(i), 200) for i in range(min(10, self.result.people))]
        for party, yuan in deposits:
            cmd = c.Deposit(self.acct(party), yuan * FEN_PER_YUAN, f"BANK-{party.upper()}")
            self.record(self.registry.deposit(SYSTEM_OWNER, f"demo:deposit:{party}", cmd))

    def _sale(self, key: str, seller: str, buyer: str, asset: str, g: int, fen: int) -> None:
        """A bilateral sale: credits to the buyer, then cash to the seller."""
        goods = c.Transfer(self.acct(seller), self.acct(buyer), asset, g)
        self.record(self.registry.transfer(seller, f"demo:{key}:goods", goods))
        cash = c.Transfer(self.acct(buyer), self.acct(seller), CASH_NAME, fen)
        self.record(self.registry.transfer(buyer, f"demo:{key}:cash", cash))

    def _issued_to(self, who: str) -> int:
        """What the sink issuance credited ``who``: fixed once issued, so reruns agree."""
        if not self._issued:
            issuance = self.result.sink_issuance
            if issuance is None:
                raise NotFound("no PCER issued yet", code="unknown_batch")
            with self.store.reader() as uow:  # read once: a fan-out, each account once
                postings = uow.postings_of(issuance.issue_seq)
            self._issued = dict(zip(postings.accounts, postings.deltas, strict=True))
        return self._issued.get(self.acct(who), 0)

    def trade(self) -> None:
        self.clock.now = _utc(2026, 10, 20, 2)
        # 10,000 t of allowances at ¥60/t; 6,000 t of forest CCER at ¥70/t.
        self._sale("sale:cea", EMITTER, INSTITUTION, CEA, 10_000 * G_PER_T, 600_000_00)
        self._sale("sale:ccer", FOREST, EMITTER, CCER, 6_000 * G_PER_T, 420_000_00)
        # An individual sells half her PCER at ¥80/t; another gives a quarter to a friend.
        pcer, seller, giver = self.result.pcer, self.holder(3), self.holder(1)
        sold_g = max(1, self._issued_to(seller) // 2)
        price_fen = max(1, sold_g * 80_00 // G_PER_T)
        self._sale("sale:pcer", seller, INSTITUTION, pcer, sold_g, price_fen)
        gift_g = max(1, self._issued_to(giver) // 4)
        gift = c.Transfer(self.acct(giver), self.acct(self.holder(2)), pcer, gift_g)
        self.record(self.registry.transfer(giver, "demo:gift:pcer", gift))

    def freeze_and_release(self) -> None:
        """A regulator freeze during a data review, released; and a pool escrow kept."""
        self.clock.now = _utc(2026, 10, 22, 2)
        pcer, reviewed, pooled = self.result.pcer, self.holder(0), self.holder(0)
        review_g = max(1, self._issued_to(reviewed) // 10)
        cmd = c.Freeze(
            self.acct(reviewed), pcer, review_g, FreezeReason.REGULATOR, "MEE-2026-1022 review"
        )
        hold = self.record(self.registry.freeze(REGULATOR, "demo:freeze:review", cmd))
        release = c.Unfreeze(hold.seq)
        self.record(self.registry.unfreeze(REGULATOR, "demo:unfreeze:review", release))
        pool_g = max(1, self._issued_to(pooled) // 2)
        pool = c.Freeze(self.acct(pooled), pcer, pool_g, FreezeReason.POOL, "POOL-GD-2026Q4")
        self.record(self.registry.freeze(PLATFORM, "demo:freeze:pool", pool))

    def surrender(self) -> None:
        self.clock.now = _utc(2026, 10, 25, 2)
        emitter = self.acct(EMITTER)
        cea = c.Surrender(emitter, CEA, 100_000 * G_PER_T, "2025")
        self.record(self.registry.surrender(EMITTER, "demo:surrender:cea", cea))
        ccer = c.Surrender(emitter, CCER, 5_000 * G_PER_T, "2025")
        self.record(self.registry.surrender(EMITTER, "demo:surrender:ccer", ccer))

    def reversal(self) -> None:
        """A fire burns part of the stand: its removals are cancelled from the buffer."""
        self.clock.now = _utc(2026, 10, 28, 2)
        issuance = self.result.sink_issuance
        assert issuance is not None
        loss_g = issuance.removals_g * BURNT_PERCENT // 100
        cause = "山火 Fire in compartment 12"
        before = self._head()
        self.result.reversal = self.sinks.reverse(
            REGULATOR, "demo:reversal:fire", PROJECT, loss_g, cause
        )
        self.count(replayed=self._head() == before)

    def _head(self) -> int:
        with self.store.reader() as uow:
            return uow.head.last_seq

    # ---- 4. 碳普惠: avoided emissions issued directly --------------------------------
    def credit_november_energy(self) -> None:
        for i, day in enumerate(INCLUSIVE_DAYS):
            self.result.days.append(self.credit_energy(day, seed=1119 + i, richness=16))

    def collect_november_energy(self) -> None:
        """People collect November's energy (only collected energy is claimed)."""
        self.clock.now = _utc(2026, 11, 21, 2, 45)
        for pid in self.people()[:SPONSORS_MAX]:
            self.collect(pid, f"demo:collect:{pid}:november")

    def expire_old_energy(self) -> None:
        """The energy nobody collected in June is past its 72 hours: it lapses."""
        self.clock.now = _utc(2026, 11, 21, 2, 30)
        expired = energy.expire(self.registry, self.clock.now, rules=self.rules, jurisdiction="GD")
        self.count(expired.replayed or expired.seq is None)
        self.result.expired_g = expired.expired_g

    def issue_carbon_inclusive(self) -> None:
        self.clock.now = _utc(2026, 11, 21, 3)
        period = InclusivePeriod(INCLUSIVE_DAYS[0], INCLUSIVE_DAYS[-1])
        opened = [
            r
            for r in self.inclusive.issuances("GD").items
            if r["period_start"] == period.start.isoformat()
        ]
        if opened:
            issuance_id = int(opened[0]["issuance_id"])
            self.result.replayed += 2  # opening and verification
        else:
            row = self.inclusive.open(
                REGULATOR, "demo:inclusive:open", "GD", period, affiliates=[PLATFORM]
            )
            issuance_id = int(row["issuance_id"])
            self.clock.now = _utc(2026, 11, 21, 3, 30)
            self.inclusive.verify(VERIFIER, "demo:inclusive:verify", issuance_id, approve=True)
            self.result.written += 2
        self.clock.now = _utc(2026, 11, 21, 4)
        issued = self.inclusive.issue(REGULATOR, "demo:issue:inclusive", issuance_id)
        self.count(issued.replayed)
        self.result.inclusive = issued

    # ---- 5. a retirement ---------------------------------------------------------------
    def retire(self) -> None:
        self.clock.now = _utc(2026, 11, 22, 2)
        who = self.holder(2)
        self.result.retiree = who
        retirement = Retirement(
            self.result.names[who],
            "抵消2026年国庆出行碳足迹 Offsetting my National Day 2026 trip",
            "CN-GD",
            "2026-10",
        )
        retire_g = min(20 * G_PER_KG, max(1, self._issued_to(who) // 10))
        cmd = c.Retire(self.acct(who), self.result.pcer, retire_g, retirement)
        r = self.record(self.registry.retire(who, "demo:retire:trip", cmd))
        self.result.retirement_seq = r.seq
        # The seller takes part of the proceeds to the bank.
        seller = self.holder(3)
        out = c.Withdraw(self.acct(seller), 10, "BANK-OUT-001")
        self.record(self.registry.withdraw(seller, "demo:withdraw:seller", out))

    def create_users(self) -> None:
        self.result.users = create_demo_users(self.identity, self.count)

    def trading_day(self) -> None:
        """The order book's first day (``pctrade.demo_trading``)."""
        cast = demo_trading.Cast(
            REGULATOR,
            EMITTER,
            INSTITUTION,
            FOREST,
            self.person(3),
            self.person(4),
            self.result.pcer,
            CCER,
            CEA,
        )
        self.result.trading = demo_trading.run_trading_day(
            self.app, cast, self.result.accounts, self.count
        )

    def verify(self) -> None:
        self.result.report = verify(self.store, data_dir=self.data_dir)


def _project_spec(unit_energy_g: int) -> ProjectSpec:
    return ProjectSpec(
        code=PROJECT,
        name="韶关丹霞山造林 Shaoguan Danxia afforestation",
        project_type=ProjectType.AFFORESTATION,
        jurisdiction="GD",
        forest_type="chinese_fir",
        parcels=(Parcel("SG-12", 120_000, 8), Parcel("SG-13", 80_000, 5)),
        crediting_start=CREDITING[0],
        crediting_end=CREDITING[1],
        unit_energy_g=unit_energy_g,
        units_offered=UNITS_TOTAL,
        affiliates=(PLATFORM,),
        unit=SponsorUnit(UnitKind.AREA, UNITS_TOTAL, PROJECT_AREA_M2, M2_PER_UNIT),
    )


STEPS: tuple[Step, ...] = (
    ("开户 Opening organisation accounts", Seeder.open_organisations),
    ("开户 Opening individual accounts (bulk)", Seeder.open_individuals),
    ("授权 Authorising the platform", Seeder.authorize_platform),
    ("签发 Issuing CEA and CCER", Seeder.issue_allowances_and_offsets),
    ("能量 Quantifying a day of trips (DuckDB) → green energy", Seeder.credit_june_energy),
    ("碳汇 Registering and approving forest project AFF0007", Seeder.register_project),
    ("收取 Four weeks of trips (DuckDB), collected daily", Seeder.travel_and_collect),
    ("认养 Sponsoring m² of forest with collected energy", Seeder.sponsor_trees),
    ("核证 Filing and verifying the quarter's removals", Seeder.verify_removals),
    ("签发 Issuing PCER to sponsors + buffer (bulk)", Seeder.issue_personal_credits),
    ("入金 Depositing cash", Seeder.deposit_cash),
    ("转让 Trading allowances and credits", Seeder.trade),
    ("冻结 Freezing and releasing", Seeder.freeze_and_release),
    ("清缴 Surrendering for 2025", Seeder.surrender),
    ("注销 Cancelling buffer after a fire", Seeder.reversal),
    ("能量 Quantifying two November days of trips", Seeder.credit_november_energy),
    ("过期 Lapsing the energy nobody collected in June", Seeder.expire_old_energy),
    ("收取 Collecting November's energy", Seeder.collect_november_energy),
    ("碳普惠 Issuing carbon-inclusive PCER", Seeder.issue_carbon_inclusive),
    ("注销 Retiring for a trip", Seeder.retire),
    ("用户 Creating demo logins", Seeder.create_users),
    ("交易日 A trading day on the order book", Seeder.trading_day),
    ("校验 Verifying the journal", Seeder.verify),
)


_ALREADY_THERE = frozenset({"party_exists", "batch_exists"})


def seed(
    app: App,
    people: int = PEOPLE_DEFAULT,
    on_step: Callable[[str], None] = lambda _: None,
) -> DemoResult:
    """Run every step in ``app`` (from ``build_app``), preparing it first; ``on_step``
    hears each step's name before it starts."""
    seeder = Seeder(app, people)
    try:
        for name, step in STEPS:
            on_step(name)
            step(seeder)
    except (IdempotencyConflict, ValidationError) as exc:
        # Another seeding (other --people, an older demo) or manual writes got here first.
        if not isinstance(exc, IdempotencyConflict) and exc.code not in _ALREADY_THERE:
            raise
        raise ValidationError(
            f"this database was seeded differently ({exc.message}); run `pctrade demo --reset`",
            code="demo_mismatch",
        ) from exc
    return seeder.result


def create_demo_users(
    identity: Identity, count: Callable[[bool], None] = lambda _: None
) -> list[tuple[str, str]]:
    """Logins for the API, made by the registry operator: each under its own key, so a
    second seeding replays them (``count`` hears whether each did). A database seeded
    before logins were keyed has them already, and keeps them."""
    for username, party_id in DEMO_USERS:
        cmd = CreateLogin(username, party_id, DEMO_PASSWORD)
        try:
            result = identity.create_login(SYSTEM_OWNER, f"demo:login:{username}", cmd)
        except Conflict as exc:
            if exc.code != "user_exists":
                raise
            continue
        count(bool(result["replayed"]))
    return list(DEMO_USERS)


def reset(url: str) -> None:
    """Start from an empty registry: delete the SQLite file, or drop every table."""
    admin.reset_database(url, METADATAS)
