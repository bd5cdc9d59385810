"""A compliance year through the real services, for the surrender side's tests, the
stateful test and the bench: the regulator caps a period, allocates for free by
benchmark and auctions some, emitters report, verifiers verify, the regulator
confirms, emitters surrender allowances and the PCER they bought, and the reports and
the integrity report read it back.

Guangdong and Shenzhen get the test benchmarks of ``compliance_world`` (their shipped
files carry no ``[allocation]`` yet); their offset rules stay the shipped ones:
Guangdong 10 % of verified emissions with at least 70 % local, Shenzhen 10 % of
verified emissions accepting Guangdong's PCER.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from compliance_world import GD_BENCHMARKS, NOW, REGULATOR, VERIFIER

from pctrade import bootstrap
from pctrade.bootstrap import App
from pctrade.compliance import commands as cc
from pctrade.compliance.emissions import SourceStream
from pctrade.compliance.surrender_commands import SurrenderUnits
from pctrade.kernel.clock import SetClock
from pctrade.kernel.units import G_PER_T
from pctrade.ledger import commands as c
from pctrade.ledger.model import Role
from pctrade.ledger.service import Receipt
from pctrade.ledger.sql.store import SqlStore
from pctrade.rules import RuleBook, shipped
from pctrade.rules.model import Allocation, Cited, RuleSet
from personal_credits import issue_pcer

T = G_PER_T
PERIOD = "2025"
JURISDICTIONS = ("GD", "SZ")
PERSON = "alice"

_KEYS = itertools.count(1)


def new_key() -> str:
    return f"yk-{next(_KEYS)}"


def _with_benchmarks(r: RuleSet) -> RuleSet:
    cited = Cited(sources=("pctrade_test_figures",), assumed=frozenset({"benchmarks"}))
    allocation = Allocation(
        "power",
        {k: dict(v) for k, v in GD_BENCHMARKS.items()},
        dynamic_adjustment=False,
        cited=cited,
    )
    return replace(r, allocation=allocation)


def rule_book() -> RuleBook:
    book = shipped()
    return RuleBook(
        _with_benchmarks(r) if r.jurisdiction in JURISDICTIONS else r for r in book.rule_sets()
    )


@dataclass
class Year:
    app: App
    clock: SetClock
    accounts: dict[str, int]
    pcer: str

    @property
    def store(self) -> SqlStore:
        return self.app.store  # type: ignore[return-value]

    def cap(self, j: str, cap_g: int) -> Receipt:
        return self.app.compliance.set_cap(REGULATOR, new_key(), cc.SetCap(j, PERIOD, cap_g))

    def allocate(self, j: str, mwh: dict[str, int]) -> str:
        """A free allocation by benchmark (825 kg per MWh, factor 1): the batch's name."""
        installations = tuple(
            cc.InstallationOf(self.accounts[who], "coal_300mw_above", "supply_g_per_mwh", units)
            for who, units in sorted(mwh.items())
        )
        cmd = cc.RunAllocation(j, PERIOD, "free", installations)
        r = self.app.compliance.run_allocation(REGULATOR, new_key(), cmd)
        return str(r.payload["batch"]["denomination"])

    def auction(self, j: str, grams: int) -> Receipt:
        cmd = cc.RunAllocation(j, PERIOD, "auction", auctioned_g=grams)
        return self.app.compliance.run_allocation(REGULATOR, new_key(), cmd)

    def confirm(self, who: str, j: str, grams: int) -> None:
        streams = (SourceStream("coal", grams, "kg", 1_000),)
        cmd = cc.SubmitReport(j, PERIOD, self.accounts[who], streams)
        report_id = str(self.app.compliance.submit_report(who, new_key(), cmd).payload["report_id"])
        self.app.compliance.verify_report(VERIFIER, new_key(), cc.VerifyReport(report_id, grams))
        self.app.compliance.confirm_report(REGULATOR, new_key(), cc.ConfirmReport(report_id))

    def buy_pcer(self, who: str, grams: int) -> None:
        cmd = c.Transfer(self.accounts[PERSON], self.accounts[who], self.pcer, grams)
        self.app.registry.transfer(PERSON, new_key(), cmd)

    def surrender(self, who: str, j: str, units: dict[str, int], key: str | None = None) -> Any:
        cmd = SurrenderUnits(self.accounts[who], j, PERIOD, tuple(units), tuple(units.values()))
        return self.app.surrenders.surrender(who, key or new_key(), cmd)


def build(store: SqlStore, emitters: tuple[str, ...] = ("plant-a", "plant-b")) -> Year:
    clock = SetClock(NOW)
    app = bootstrap.build(store, clock=clock, rules=rule_book())
    reg = app.registry
    accounts: dict[str, int] = {}
    opened = [(REGULATOR, Role.REGULATOR), (VERIFIER, Role.VERIFIER), (PERSON, Role.INDIVIDUAL)]
    opened += [(e, Role.EMITTER) for e in emitters]
    for who, role in opened:
        r = reg.open_account("registry", f"o-{who}", c.OpenAccount(who, role, who))
        if "account" in r.payload:
            accounts[who] = int(r.payload["account"])
    pcer = issue_pcer(app, {accounts[PERSON]: 1_000 * T}, day=date(2026, 2, 2))
    return Year(app, clock, accounts, pcer)
