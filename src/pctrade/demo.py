"""A demonstrative registry, seeded through the real services.

The scenario follows one season of a Guangdong carbon-inclusive programme:

1. The registry operator (genesis) registers the regulator 生态环境部, a carbon-inclusive
   platform, a key emitter, an institution, a forest-sink project owner and a verifier;
   the platform then opens its users' individual accounts in one bulk operation.
2. The regulator issues a CEA allocation to the emitter, a CCER batch to the forest
   owner, and a PCER batch from forest project AFF0007 to the individuals who sponsored
   its trees — pro rata to the trees each sponsored, exact to the gram by the largest
   remainder method — with the buffer share (against fire or pests) to the buffer
   account, all in one bulk issuance.
3. Cash is deposited; allowances, offsets and personal credits change hands (each
   sale is two transfers: the credits, then the cash); the regulator freezes and
   releases an individual's credits; a platform pool holds some in escrow; the emitter
   surrenders for its compliance period; a reversal cancels buffer credits; an
   individual retires credits for a trip and receives a certificate.

Every write carries a stable idempotency key (``demo:…``), so seeding twice writes
nothing the second time: each operation returns its original receipt. This module
draws nothing on screen; the CLI renders its progress and its result.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from pctrade.adapters.sql import schema as t
from pctrade.adapters.sql.store import SqlStore
from pctrade.domain.errors import IdempotencyConflict, PctradeError, ValidationError
from pctrade.domain.model import SYSTEM_OWNER, AccountId, Role, SystemAccount
from pctrade.domain.operations import FreezeReason, Retirement
from pctrade.domain.units import FEN_PER_YUAN, G_PER_KG, G_PER_T
from pctrade.services import commands as c
from pctrade.services.queries import VerifyReport, verify
from pctrade.services.registry import Receipt, Registry

PEOPLE_DEFAULT = 50
PEOPLE_MIN = 5  # the scenario's trades need five distinct people
PEOPLE_MAX = 1_000_000
RNG_SEED = 20260915  # fixed: the same people sponsor the same trees on every run
BUFFER_PERCENT = 20
REMOVAL_G_PER_TREE = 96 * G_PER_KG  # a young tree's removals in one quarter, roughly
TREES_BURNT_PER_MILLE = 15  # the share of trees a fire reverses; less than the buffer
DEMO_PASSWORD = "pctrade-demo"
# The demo passwords are published, so a slow hash protects nothing; bcrypt's cheapest
# cost keeps `pctrade demo` quick.
DEMO_BCRYPT_ROUNDS = 4

CEA = "CEA-GD-ALLOC-2025-001"
CCER = "CCER-CN-AFF0012-2024-001"
PCER = "PCER-GD-AFF0007-2026Q3-001"

REGULATOR = "mee"
PLATFORM = "gd-tanpuhui"
EMITTER = "nanyue-power"
INSTITUTION = "lvyuan-carbon"
FOREST = "shaoguan-forestry"
VERIFIER = "huanan-verify"


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


def largest_remainder(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` pro rata to ``weights`` in integers that sum exactly to it.

    Each share is first rounded down; the units left over go one each to the largest
    fractional remainders (ties to the earlier weight), so nothing is created or lost.
    """
    weight_sum = sum(weights)
    if weight_sum <= 0 or any(w < 0 for w in weights):
        raise ValidationError("weights must be non-negative with a positive sum")
    shares = [total * w // weight_sum for w in weights]
    remainders = [total * w % weight_sum for w in weights]
    left = total - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        shares[i] += 1
    return shares


@dataclass(slots=True)
class DemoResult:
    """What the seeding produced, for the summary."""

    people: int
    accounts: dict[str, AccountId] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    retirement_seq: int = 0
    written: int = 0
    replayed: int = 0
    users: list[tuple[str, str]] = field(default_factory=list)
    report: VerifyReport | None = None


Step = tuple[str, Callable[["Seeder"], None]]


class Seeder:
    """Runs the scenario's steps against one registry, counting new and replayed writes."""

    def __init__(self, store: SqlStore, people: int) -> None:
        if not PEOPLE_MIN <= people <= PEOPLE_MAX:
            raise ValidationError(
                f"--people must be {PEOPLE_MIN}..{PEOPLE_MAX}", code="out_of_range"
            )
        self.store = store
        self.registry = Registry(store)
        self.result = DemoResult(people)
        self.trees = 0

    def record(self, receipt: Receipt) -> Receipt:
        if receipt.replayed:
            self.result.replayed += 1
        else:
            self.result.written += 1
        return receipt

    def acct(self, party_id: str) -> AccountId:
        return self.result.accounts[party_id]

    @staticmethod
    def person(i: int) -> str:
        return person_id(i)

    # ---- steps ---------------------------------------------------------------------
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
        n = self.result.people
        ids = [person_id(i) for i in range(n)]
        names = [person_name(i) for i in range(n)]
        cmd = c.OpenAccounts(Role.INDIVIDUAL, ids, names)
        r = self.record(self.registry.open_accounts(PLATFORM, "demo:open:individuals", cmd))
        self.result.names.update(zip(ids, names, strict=True))
        self.result.accounts.update(self._opened_by(r.seq))

    def _opened_by(self, seq: int) -> dict[str, AccountId]:
        """Accounts an entry opened, in one query (the bulk payload carries only counts)."""
        a = t.accounts.c
        with self.store.reader() as uow:
            rows = uow.execute(sa.select(a.owner, a.account_id).where(a.opened_seq == seq))
            return {r.owner: int(r.account_id) for r in rows}

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

    def issue_personal_credits(self) -> None:
        """Verified removals minus the buffer share, split by trees sponsored."""
        n = self.result.people
        rng = random.Random(RNG_SEED)
        trees = [rng.randint(5, 20) for _ in range(n)]
        self.trees = sum(trees)
        removals_g = self.trees * REMOVAL_G_PER_TREE
        buffer_g = removals_g * BUFFER_PERCENT // 100
        shares = largest_remainder(removals_g - buffer_g, trees)
        ids = [self.acct(person_id(i)) for i in range(n)] + [int(SystemAccount.BUFFER)]
        cmd = c.Issue(PCER, ids, [*shares, buffer_g])
        self.record(self.registry.issue(REGULATOR, "demo:issue:pcer", cmd))

    def deposit_cash(self) -> None:
        deposits = [(INSTITUTION, 2_000_000), (EMITTER, 800_000)]
        deposits += [(self.person(i), 200) for i in range(min(10, self.result.people))]
        for party, yuan in deposits:
            cmd = c.Deposit(self.acct(party), yuan * FEN_PER_YUAN, f"BANK-{party.upper()}")
            self.record(self.registry.deposit(SYSTEM_OWNER, f"demo:deposit:{party}", cmd))

    def _sale(self, key: str, seller: str, buyer: str, asset: str, g: int, fen: int) -> None:
        """A bilateral sale: credits to the buyer, then cash to the seller."""
        goods = c.Transfer(self.acct(seller), self.acct(buyer), asset, g)
        self.record(self.registry.transfer(seller, f"demo:{key}:goods", goods))
        cash = c.Transfer(self.acct(buyer), self.acct(seller), "CNY", fen)
        self.record(self.registry.transfer(buyer, f"demo:{key}:cash", cash))

    def trade(self) -> None:
        # 10,000 t of allowances at ¥60/t; 6,000 t of forest CCER at ¥70/t.
        self._sale("sale:cea", EMITTER, INSTITUTION, CEA, 10_000 * G_PER_T, 600_000_00)
        self._sale("sale:ccer", FOREST, EMITTER, CCER, 6_000 * G_PER_T, 420_000_00)
        # An individual sells 300 kg of PCER at ¥80/t; another gives 100 kg to a friend.
        self._sale("sale:pcer", self.person(3), INSTITUTION, PCER, 300 * G_PER_KG, 24_00)
        gift = c.Transfer(
            self.acct(self.person(1)), self.acct(self.person(2)), PCER, 100 * G_PER_KG
        )
        self.record(self.registry.transfer(self.person(1), "demo:gift:pcer", gift))

    def freeze_and_release(self) -> None:
        """A regulator freeze during a data review, released; and a pool escrow kept."""
        held = self.acct(self.person(4))
        cmd = c.Freeze(held, PCER, 50 * G_PER_KG, FreezeReason.REGULATOR, "MEE-2026-0815 review")
        hold = self.record(self.registry.freeze(REGULATOR, "demo:freeze:review", cmd))
        self.record(self.registry.unfreeze(REGULATOR, "demo:unfreeze:review", c.Unfreeze(hold.seq)))
        pool = c.Freeze(
            self.acct(self.person(0)), PCER, 200 * G_PER_KG, FreezeReason.POOL, "POOL-GD-2026Q3"
        )
        self.record(self.registry.freeze(PLATFORM, "demo:freeze:pool", pool))

    def surrender(self) -> None:
        emitter = self.acct(EMITTER)
        cea = c.Surrender(emitter, CEA, 100_000 * G_PER_T, "2025")
        self.record(self.registry.surrender(EMITTER, "demo:surrender:cea", cea))
        ccer = c.Surrender(emitter, CCER, 5_000 * G_PER_T, "2025")
        self.record(self.registry.surrender(EMITTER, "demo:surrender:ccer", ccer))

    def reversal(self) -> None:
        """A fire burns some trees: the regulator cancels their removals from the buffer."""
        burnt = max(1, self.trees * TREES_BURNT_PER_MILLE // 1000)
        reason = f"Reversal: fire burnt {burnt} trees in compartment 12"
        cmd = c.Cancel(int(SystemAccount.BUFFER), PCER, burnt * REMOVAL_G_PER_TREE, reason)
        self.record(self.registry.cancel(REGULATOR, "demo:cancel:reversal", cmd))

    def retire(self) -> None:
        who = self.person(2)
        retirement = Retirement(
            self.result.names[who],
            "抵消2026年国庆出行碳足迹 Offsetting my National Day 2026 trip",
            "CN-GD",
            "2026-10",
        )
        cmd = c.Retire(self.acct(who), PCER, 20 * G_PER_KG, retirement)
        r = self.record(self.registry.retire(who, "demo:retire:trip", cmd))
        self.result.retirement_seq = r.seq
        # The seller takes part of the proceeds to the bank.
        seller = self.person(3)
        out = c.Withdraw(self.acct(seller), 10 * FEN_PER_YUAN, "BANK-OUT-001")
        self.record(self.registry.withdraw(seller, "demo:withdraw:seller", out))

    def create_users(self) -> None:
        self.result.users = create_demo_users(self.store)

    def verify(self) -> None:
        self.result.report = verify(self.store)


STEPS: tuple[Step, ...] = (
    ("开户 Opening organisation accounts", Seeder.open_organisations),
    ("开户 Opening individual accounts (bulk)", Seeder.open_individuals),
    ("授权 Authorising the platform", Seeder.authorize_platform),
    ("签发 Issuing CEA and CCER", Seeder.issue_allowances_and_offsets),
    ("签发 Issuing PCER to sponsors + buffer (bulk)", Seeder.issue_personal_credits),
    ("入金 Depositing cash", Seeder.deposit_cash),
    ("转让 Trading allowances and credits", Seeder.trade),
    ("冻结 Freezing and releasing", Seeder.freeze_and_release),
    ("清缴 Surrendering for 2025", Seeder.surrender),
    ("注销 Cancelling buffer after a reversal", Seeder.reversal),
    ("注销 Retiring for a trip", Seeder.retire),
    ("用户 Creating demo logins", Seeder.create_users),
    ("校验 Verifying the journal", Seeder.verify),
)


_ALREADY_THERE = frozenset({"party_exists", "batch_exists"})


def seed(
    store: SqlStore,
    people: int = PEOPLE_DEFAULT,
    on_step: Callable[[str], None] = lambda _: None,
) -> DemoResult:
    """Run every step; ``on_step`` hears each step's name before it starts."""
    seeder = Seeder(store, people)
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


def create_demo_users(store: SqlStore) -> list[tuple[str, str]]:
    """Logins for the API, if the API's auth module is installed; existing ones are kept."""
    try:
        auth: Any = importlib.import_module("pctrade.api.auth")
    except ImportError:
        return []
    create_user: Callable[..., object] = auth.create_user
    u = t.users.c
    with store.reader() as uow:
        existing = {r[0] for r in uow.execute(sa.select(u.username))}
    for username, party_id in DEMO_USERS:
        if username not in existing:
            create_user(store, username, DEMO_PASSWORD, party_id, rounds=DEMO_BCRYPT_ROUNDS)
    return list(DEMO_USERS)


def reset(url: str) -> None:
    """Start from an empty registry: delete the SQLite file, or drop every table."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:"):
            return
        for suffix in ("", "-wal", "-shm"):
            Path(database + suffix).unlink(missing_ok=True)
        return
    store = SqlStore(url, migrate_schema=False)
    try:
        t.metadata.drop_all(store.engine)
        with store.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    except sa.exc.SQLAlchemyError as exc:
        raise PctradeError(f"cannot reset the database: {exc}", code="reset_failed") from exc
    finally:
        store.dispose()
