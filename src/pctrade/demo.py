"""A demonstrative registry, seeded through the real services.

The scenario follows one season of a Guangdong carbon-inclusive programme, on a
scenario clock that walks from June to November 2026 (so every date in the journal
tells the story, and a rerun writes exactly the same entries). It is told in chapters,
each a module of steps (``STEPS`` lists them in order):

1. here: the registry operator (genesis) registers the regulator 生态环境部, a
   carbon-inclusive platform, two key emitters (a power company and a cement works),
   an institution, a forest-sink project owner and a verifier; the platform opens its
   users' individual accounts in one bulk operation. The regulator issues the 2025
   allowances to the emitters and a CCER batch to the forest owner;
2. ``demo_sink_chain`` — the summer, 低碳足迹 → 碳汇 → 碳排放额: a day of everyone's
   trips quantified into green energy; afforestation project AFF0007 registered at the
   published price of its m²; four weeks of the travellers' trips, collected daily; the
   travellers sponsor m² with it, all but the *saver*; the quarter's removals verified
   and issued as PCER to the sponsors and the buffer; and the summer's unspent,
   collected energy issued as PCER on the carbon-inclusive path (碳普惠) — the saver's
   four weeks among it;
3. ``demo_october`` — cash deposited; allowances, offsets and personal credits sold over
   the counter; a regulator freeze released; the platform opens a pool and two people
   who cannot trade directly deposit PCER into it (``pctrade.pools``); the power company
   surrenders for 2025; a fire's reversal cancels buffer credits;
4. ``demo_november`` — two November days' energy, the June energy nobody collected
   lapsing, November's collected and issued on the carbon-inclusive path; a
   retirement with its certificate; then the market's two trading days:
   ``demo_trading`` (Monday 23rd: the order book; the saver sells PCER directly, in the
   rule set's personal-credit lot; an ineligible person is refused and pointed to the
   pools) and ``demo_second_trading_day`` (Tuesday 24th: an allowance auction from the
   auction account, a block trade above the threshold, the book, the close);
5. ``demo_compliance`` — 2027: Guangdong's 2026 cap, the power company's 2026
   emissions reported, verified and confirmed, and its surrender (清缴) of allowances,
   CCER and the personal credits it bought on Monday, in one entry before the deadline;
   its status, the regulator's report and the cap-integrity report; between them
   (``demo_pending``) the forest's winter quarter is filed and verified and left
   for the regulator to issue, and (``demo_charging``) 王伟 charges an electric car
   and collects the energy, enough for another m², which he holds when the served
   demo stands at the story's end;
6. ``verify`` replays the journal.

Every PCER in the story comes from people's behaviour through a credit path (sink
issuance or carbon-inclusive issuance): the registry refuses any other. Every write
carries a stable idempotency key (``demo:…``), and the steps without one look first,
so seeding twice writes nothing the second time. This module draws nothing on screen;
the CLI renders its progress and its result.

The scenario runs in an app of its own (``build_app``): the composition root's, with
the scenario clock instead of the system's, so the genesis entry too is stamped at the
season's start.
"""

from __future__ import annotations

from collections.abc import Callable

from pctrade import (
    bootstrap,
    demo_charging,
    demo_compliance,
    demo_november,
    demo_october,
    demo_pending,
    demo_sink_chain,
)
from pctrade.bootstrap import App
from pctrade.bootstrap.contexts import verify
from pctrade.bootstrap.tables import METADATAS
from pctrade.demo_seeder import (
    CCER,
    CEA,
    CEA_ALLOCATION_T,
    CEMENT,
    DEMO_PASSWORD,
    EMITTER,
    FOREST,
    INCLUSIVE_DAYS,
    INSTITUTION,
    ORGS,
    PEOPLE_DEFAULT,
    PEOPLE_MAX,
    PEOPLE_MIN,
    PLATFORM,
    PROJECT,
    REGULATOR,
    SAVER,
    SEASON_START,
    SPONSOR_DAY,
    SPONSORING_DAY,
    SUMMER,
    TRAVEL_DAYS,
    TRAVELLERS,
    UNITS_TOTAL,
    DemoResult,
    Seeder,
    Step,
    person_id,
    person_name,
)
from pctrade.identity.commands import CreateLogin
from pctrade.identity.service import Identity
from pctrade.kernel.clock import SetClock
from pctrade.kernel.entropy import SeededEntropy
from pctrade.kernel.errors import Conflict, IdempotencyConflict, ValidationError
from pctrade.kernel.units import G_PER_T
from pctrade.ledger import commands as c
from pctrade.ledger.model import SYSTEM_OWNER, AccountId, Role
from pctrade.ledger.sql import admin
from pctrade.ledger.sql.store import SqlStore

__all__ = [
    "CCER",
    "CEA",
    "CEMENT",
    "DEMO_PASSWORD",
    "EMITTER",
    "INCLUSIVE_DAYS",
    "INSTITUTION",
    "ORGS",
    "PEOPLE_DEFAULT",
    "PEOPLE_MAX",
    "PEOPLE_MIN",
    "PROJECT",
    "SAVER",
    "SPONSORING_DAY",
    "SPONSOR_DAY",
    "STEPS",
    "SUMMER",
    "TRAVELLERS",
    "TRAVEL_DAYS",
    "UNITS_TOTAL",
    "DemoResult",
    "build_app",
    "create_demo_users",
    "person_id",
    "reset",
    "seed",
]

DEMO_USERS = (
    ("registry", SYSTEM_OWNER),
    ("regulator", REGULATOR),
    ("platform", PLATFORM),
    ("emitter", EMITTER),
    ("institution", INSTITUTION),
    ("forest", FOREST),
    # 王伟, the first individual: a traveller who sponsored m², and in June 2027 holds
    # collected energy enough for another (``demo_charging``)
    ("wangwei", person_id(demo_charging.DRIVER)),
    ("liuguiying", person_id(SAVER)),  # 刘桂英, the saver: eligible, sells PCER directly
)


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


# ---- 1. parties, accounts, allowances ---------------------------------------------------
def open_organisations(s: Seeder) -> None:
    for org in ORGS:
        cmd = c.OpenAccount(org.party_id, org.role, org.name)
        r = s.record(s.registry.open_account(SYSTEM_OWNER, f"demo:open:{org.party_id}", cmd))
        s.result.names[org.party_id] = org.name
        if "account" in r.payload:
            s.result.accounts[org.party_id] = int(r.payload["account"])


def open_individuals(s: Seeder) -> None:
    ids = s.people()
    names = [person_name(i) for i in range(len(ids))]
    cmd = c.OpenAccounts(Role.INDIVIDUAL, ids, names)
    r = s.record(s.registry.open_accounts(PLATFORM, "demo:open:individuals", cmd))
    s.result.names.update(zip(ids, names, strict=True))
    s.result.accounts.update(_opened_by(s, r.seq))


def _opened_by(s: Seeder, seq: int) -> dict[str, AccountId]:
    """Accounts an entry opened, in one query (the bulk payload carries only counts)."""
    return admin.accounts_opened_by(s.store, seq)


def authorize_platform(s: Seeder) -> None:
    # The first few users let the platform act for them (e.g. to pool their credits).
    for i in range(PEOPLE_MIN):
        pid = person_id(i)
        cmd = c.Authorize(s.acct(pid), PLATFORM)
        s.record(s.registry.authorize(pid, f"demo:authorize:{pid}", cmd))


def issue_allowances_and_offsets(s: Seeder) -> None:
    holders = list(CEA_ALLOCATION_T)
    tonnes = [CEA_ALLOCATION_T[h] * G_PER_T for h in holders]
    cea = c.Issue(CEA, [s.acct(h) for h in holders], tonnes)
    s.record(s.registry.issue(REGULATOR, "demo:issue:cea", cea))
    ccer = c.Issue(CCER, [s.acct(FOREST)], [30_000 * G_PER_T])
    s.record(s.registry.issue(REGULATOR, "demo:issue:ccer", ccer))


def create_users(s: Seeder) -> None:
    s.result.users = create_demo_users(s.identity, s.count)


def verify_journal(s: Seeder) -> None:
    s.result.report = verify(s.store, data_dir=s.data_dir)


STEPS: tuple[Step, ...] = (
    ("开户 Opening organisation accounts", open_organisations),
    ("开户 Opening individual accounts (bulk)", open_individuals),
    ("授权 Authorising the platform", authorize_platform),
    ("签发 Issuing CEA and CCER", issue_allowances_and_offsets),
    ("能量 Quantifying a day of trips (DuckDB) → green energy", demo_sink_chain.credit_june_energy),
    ("碳汇 Registering and approving forest project AFF0007", demo_sink_chain.register_project),
    ("收取 Four weeks of trips (DuckDB), collected daily", demo_sink_chain.travel_and_collect),
    ("认养 Sponsoring m² of forest with collected energy", demo_sink_chain.sponsor_trees),
    ("核证 Filing and verifying the quarter's removals", demo_sink_chain.verify_removals),
    ("签发 Issuing PCER to sponsors + buffer (bulk)", demo_sink_chain.issue_personal_credits),
    ("碳普惠 Issuing the summer's carbon-inclusive PCER", demo_sink_chain.issue_summer_inclusive),
    ("入金 Depositing cash", demo_october.deposit_cash),
    ("转让 Trading allowances and credits", demo_october.trade),
    ("冻结与入池 Freezing, releasing and pooling", demo_october.freeze_and_release),
    ("清缴 Surrendering for 2025", demo_october.surrender),
    ("注销 Cancelling buffer after a fire", demo_october.reversal),
    ("能量 Quantifying two November days of trips", demo_november.credit_november_energy),
    ("过期 Lapsing the energy nobody collected in June", demo_november.expire_old_energy),
    ("收取 Collecting November's energy", demo_november.collect_november_energy),
    ("碳普惠 Issuing November's carbon-inclusive PCER", demo_november.issue_carbon_inclusive),
    ("注销 Retiring for a trip", demo_november.retire),
    ("用户 Creating demo logins", create_users),
    ("交易日 Monday: the order book", demo_november.trading_day),
    ("交易日 Tuesday: auction, block trade, close", demo_november.second_trading_day),
    ("总量 2027: Guangdong's 2026 cap", demo_compliance.set_cap),
    ("待审 Winter removals filed and verified, left to issue", demo_pending.file_winter_removals),
    ("核查 2026 emissions reported, verified, confirmed", demo_compliance.verified_emissions),
    ("清缴 Surrendering CEA, CCER and the PCER it bought", demo_compliance.surrender),
    ("充电 An electric car's charge (DuckDB), collected", demo_charging.charge_and_collect),
    ("履约 Status, the period's report, cap integrity", demo_compliance.reports),
    ("校验 Verifying the journal", verify_journal),
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
