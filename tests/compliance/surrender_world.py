"""A small compliance world for the surrender tests: two emitters in two jurisdictions
with different rules (Guangdong: offsets up to 10 % of verified emissions, at least
70 % of them local, PCER admitted, due 20 June; Hubei: offsets up to 10 % of the
allocation, PCER admitted, only CN and HB offsets accepted, due 31 May), allowances
of two vintages, CCER, and PCER the emitters bought from a person.

The obligation (the confirmed verified emissions and the period's allocation) is MRV's;
here it is a table the test sets (``Obligations``), handed to the services the way the
app hands them MRV's query.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from pctrade import bootstrap
from pctrade.bootstrap import App
from pctrade.bootstrap.contexts import verify
from pctrade.compliance.reports import Reports
from pctrade.compliance.surrender import Obligation
from pctrade.compliance.surrender_commands import SurrenderUnits
from pctrade.compliance.surrender_service import Surrenders
from pctrade.kernel.clock import SetClock
from pctrade.kernel.units import G_PER_T
from pctrade.ledger import commands as c
from pctrade.ledger.model import Role, State
from pctrade.ledger.ports import UnitOfWork
from pctrade.ledger.service import Receipt
from pctrade.ledger.sql.store import SqlStore
from pctrade.market import queries as market_queries
from personal_credits import issue_pcer

NOW = datetime(2026, 5, 15, 2, 0, tzinfo=UTC)
T = G_PER_T
GD_CEA = "CEA-GD-ALLOC-2025-001"
GD_CEA_2026 = "CEA-GD-ALLOC-2026-001"
HB_CEA = "CEA-HB-ALLOC-2025-001"
CCER = "CCER-CN-AFF0007-2024-001"
EMITTERS = {"GD": "gd-power", "HB": "hb-steel"}
CEA_OF = {"GD": GD_CEA, "HB": HB_CEA}

_KEYS = itertools.count(1)


def new_key() -> str:
    return f"sk-{next(_KEYS)}"


@dataclass
class Obligations:
    """MRV's answer for the tests: (account, jurisdiction, period) → obligation."""

    table: dict[tuple[int, str, str], Obligation] = field(default_factory=dict)

    def set(
        self,
        account: int,
        jurisdiction: str,
        period: str,
        verified_t: int | None,
        allocation_t: int,
    ) -> None:
        verified = None if verified_t is None else verified_t * T
        self.table[(account, jurisdiction, period)] = Obligation(
            jurisdiction, period, verified, allocation_t * T
        )

    def __call__(self, uow: UnitOfWork, account: int, jurisdiction: str, period: str) -> Obligation:
        found = self.table.get((account, jurisdiction, period))
        return found or Obligation(jurisdiction, period, None, 0)

    def emitters(self, uow: UnitOfWork, jurisdiction: str, period: str) -> list[int]:
        return sorted(a for (a, j, p) in self.table if (j, p) == (jurisdiction, period))


@dataclass
class World:
    app: App
    clock: SetClock
    accounts: dict[str, int]
    pcer: str
    obligations: Obligations
    surrenders: Surrenders
    reports: Reports

    @property
    def store(self) -> SqlStore:
        return self.app.store  # type: ignore[return-value]

    def surrender(
        self,
        jurisdiction: str,
        period: str,
        units: dict[str, int],
        key: str | None = None,
        who: str | None = None,
    ) -> Receipt:
        emitter = EMITTERS[jurisdiction]
        cmd = SurrenderUnits(
            self.accounts[emitter],
            jurisdiction,
            period,
            tuple(units),
            tuple(units.values()),
        )
        return self.surrenders.surrender(who or emitter, key or new_key(), cmd)

    def balance(self, who: str, batch: str, state: State = State.AVAILABLE) -> int:
        with self.store.reader() as uow:
            found = uow.batch_named(batch)
            assert found is not None
            return uow.balance(self.accounts[who], found.asset_id, state)

    def head(self) -> int:
        with self.store.reader() as uow:
            return uow.head.last_seq

    def verify_ok(self) -> None:
        report = verify(self.store)
        assert report.ok, report.problems


def build(store: SqlStore) -> World:
    clock = SetClock(NOW)
    app = bootstrap.build(store, clock=clock)
    reg = app.registry
    accounts: dict[str, int] = {}
    parties = [("reg", Role.REGULATOR), ("alice", Role.INDIVIDUAL)]
    parties += [(e, Role.EMITTER) for e in EMITTERS.values()]
    for party, role in parties:
        r = reg.open_account("registry", f"o-{party}", c.OpenAccount(party, role, party))
        if "account" in r.payload:
            accounts[party] = int(r.payload["account"])
    gd, hb = accounts["gd-power"], accounts["hb-steel"]
    pcer = issue_pcer(app, {accounts["alice"]: 400 * T}, day=date(2026, 4, 1))
    for emitter in (gd, hb):
        reg.transfer("alice", f"t-{emitter}", c.Transfer(accounts["alice"], emitter, pcer, 150 * T))
    reg.issue("reg", "i-gd", c.Issue(GD_CEA, [gd], [1_000 * T]))
    reg.issue("reg", "i-gd26", c.Issue(GD_CEA_2026, [gd], [100 * T]))
    reg.issue("reg", "i-hb", c.Issue(HB_CEA, [hb, gd], [1_000 * T, 50 * T]))
    reg.issue("reg", "i-ccer", c.Issue(CCER, [gd, hb], [100 * T, 100 * T]))
    obligations = Obligations()
    surrenders = Surrenders(reg, app.rules, obligations)
    reports = Reports(
        store, app.rules, obligations, obligations.emitters, clock, market_queries.allowance_trades
    )
    return World(app, clock, accounts, pcer, obligations, surrenders, reports)
