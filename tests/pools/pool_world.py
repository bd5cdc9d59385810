"""A small world for the pools' tests: a platform, individuals holding PCER, a clock.

PCER comes the only way the registry allows, through the carbon-inclusive path
(``tests.personal_credits.issue_pcer``), so the batch is ``PCER-GD-CI-2026Q2-001``;
a CCER batch is issued plainly to show what a pool does not admit.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from pctrade import bootstrap
from pctrade.bootstrap import App
from pctrade.kernel.clock import SetClock
from pctrade.ledger import commands as c
from pctrade.ledger.model import Role
from pctrade.ledger.sql.store import SqlStore
from pctrade.pools import commands as pc
from pctrade.pools.model import Terms
from personal_credits import issue_pcer

NOW = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)
CCER = "CCER-CN-AFF0007-2026Q3-001"
PLATFORM = "greenplat"
PEOPLE = ("alice", "bob", "chen")
HOLDING_G = 50_000  # each person's PCER: 50 kg

# Terms every shipped rule set admits: the strictest disclosures (GD) and limits.
GD_TERMS = Terms(
    admitted=("PCER-GD",),
    fee_bps=500,
    floor_fen_per_t=3_000,
    draw_order="pro_rata",
    sale_schedule="monthly, on the first trading day",
    payout_delay_days=5,
    withdrawal_notice_days=0,
    lock_in_days=30,
)

_KEYS = itertools.count(1)


def new_key() -> str:
    return f"pk-{next(_KEYS)}"


@dataclass
class PoolWorld:
    app: App
    clock: SetClock
    platform_account: int
    people: dict[str, int]
    pcer: str

    @property
    def store(self) -> SqlStore:
        return self.app.store  # type: ignore[return-value]

    def open(self, terms: Terms = GD_TERMS, jurisdiction: str = "GD") -> str:
        cmd = pc.OpenPool(self.platform_account, jurisdiction, "Green pool", terms)
        receipt = self.app.pools.open(PLATFORM, new_key(), cmd)
        return str(receipt.payload["pool_id"])

    def deposit(self, who: str, pool_id: str, grams: int, asset: str | None = None) -> int:
        cmd = pc.DepositToPool(pool_id, self.people[who], asset or self.pcer, grams)
        return self.app.pools.deposit(who, new_key(), cmd).seq

    def withdraw(self, who: str, pool_id: str, grams: int) -> int:
        cmd = pc.WithdrawFromPool(pool_id, self.people[who], grams)
        return self.app.pools.withdraw(who, new_key(), cmd).seq

    def later(self, days: int) -> None:
        self.clock.now = self.clock.now + timedelta(days=days)


def build(store: SqlStore) -> PoolWorld:
    clock = SetClock(NOW)
    app = bootstrap.build(store, clock=clock)
    reg = app.registry
    reg.open_account("registry", "o-reg", c.OpenAccount("reg", Role.REGULATOR, "Regulator"))
    plat = reg.open_account("registry", "o-plat", c.OpenAccount(PLATFORM, Role.PLATFORM, "Plat"))
    people = {}
    for who in PEOPLE:
        r = reg.open_account("registry", f"o-{who}", c.OpenAccount(who, Role.INDIVIDUAL, who))
        people[who] = int(r.payload["account"])
    pcer = issue_pcer(app, {a: HOLDING_G for a in people.values()}, day=date(2026, 6, 29))
    reg.issue("reg", "i-ccer", c.Issue(CCER, [people["alice"]], [10_000]))
    return PoolWorld(app, clock, int(plat.payload["account"]), people, pcer)


def terms(**changes: object) -> Terms:
    return replace(GD_TERMS, **changes)  # type: ignore[arg-type]
