"""A small world for the compliance service's tests: a regulator, key emitters, verifiers.

The rule book is the shipped one, except that Guangdong is given test parameters for
what its shipped file does not carry yet: an ``[allocation]`` section with benchmarks
unlike the national ones and a pre-allocation of 50 % (CN: 70 %). So each allocation
rule runs on two jurisdictions with different figures; ``shipped_gd`` keeps the shipped
GD, which has no pre-allocation at all.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from pctrade import bootstrap
from pctrade.bootstrap import App
from pctrade.compliance import commands as cc
from pctrade.compliance.emissions import SourceStream
from pctrade.kernel.clock import SetClock
from pctrade.ledger import commands as c
from pctrade.ledger.model import Role
from pctrade.ledger.sql.store import SqlStore
from pctrade.rules import RuleBook, shipped
from pctrade.rules.model import Allocation, Cited, RuleSet

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
REGULATOR = "reg"
EMITTERS = ("plant-a", "plant-b", "plant-c")
VERIFIER = "verco"
AFFILIATED = "sister-verco"  # a verifier plant-a names as its affiliate
INDIVIDUAL = "alice"

# Guangdong's test figures: g CO2 per MWh and per GJ, unlike the national 877,000 etc.
GD_BENCHMARKS = {
    "coal_300mw_above": {"supply_g_per_mwh": 825_000, "heat_g_per_gj": 110_000},
    "gas": {"supply_g_per_mwh": 380_000, "heat_g_per_gj": 56_000},
}
GD_PREALLOCATION_BPS = 5_000

_KEYS = itertools.count(1)


def new_key() -> str:
    return f"ck-{next(_KEYS)}"


def _gd_for_tests(gd: RuleSet) -> RuleSet:
    cited = Cited(sources=("pctrade_test_figures",), assumed=frozenset({"benchmarks"}))
    allocation = Allocation(
        "power",
        MappingProxyType({k: MappingProxyType(v) for k, v in GD_BENCHMARKS.items()}),
        dynamic_adjustment=False,
        cited=cited,
    )
    assert gd.compliance is not None
    compliance = replace(gd.compliance, preallocation_bps=GD_PREALLOCATION_BPS)
    return replace(gd, allocation=allocation, compliance=compliance)


def rule_book(shipped_gd: bool = False) -> RuleBook:
    book = shipped()
    if shipped_gd:
        return book
    return RuleBook(_gd_for_tests(r) if r.jurisdiction == "GD" else r for r in book.rule_sets())


@dataclass
class ComplianceWorld:
    app: App
    clock: SetClock
    accounts: dict[str, int]

    @property
    def store(self) -> SqlStore:
        return self.app.store  # type: ignore[return-value]

    @property
    def service(self) -> Any:
        return self.app.compliance

    def cap(self, jurisdiction: str, period: str, cap_g: int, key: str | None = None) -> Any:
        cmd = cc.SetCap(jurisdiction, period, cap_g)
        return self.service.set_cap(REGULATOR, key or new_key(), cmd)

    def run(self, cmd: cc.RunAllocation, key: str | None = None) -> Any:
        return self.service.run_allocation(REGULATOR, key or new_key(), cmd)

    def submit(
        self,
        who: str,
        jurisdiction: str,
        period: str,
        streams: tuple[SourceStream, ...],
        affiliates: tuple[str, ...] = (),
    ) -> Any:
        cmd = cc.SubmitReport(jurisdiction, period, self.accounts[who], streams, affiliates)
        return self.service.submit_report(who, new_key(), cmd)

    def verify(self, report_id: str, grams: int, verifier: str = VERIFIER) -> Any:
        return self.service.verify_report(verifier, new_key(), cc.VerifyReport(report_id, grams))

    def confirm(self, report_id: str) -> Any:
        return self.service.confirm_report(REGULATOR, new_key(), cc.ConfirmReport(report_id))

    def confirmed(self, who: str, jurisdiction: str, period: str, grams: int) -> str:
        """A report submitted, verified at ``grams`` and confirmed: its id."""
        streams = (SourceStream("coal", grams, "kg", 1_000),)
        receipt = self.submit(who, jurisdiction, period, streams)
        report_id = str(receipt.payload["report_id"])
        self.verify(report_id, grams)
        self.confirm(report_id)
        return report_id


def build(
    store: SqlStore, *, shipped_gd: bool = False, rules: RuleBook | None = None
) -> ComplianceWorld:
    clock = SetClock(NOW)
    app = bootstrap.build(store, clock=clock, rules=rules or rule_book(shipped_gd))
    reg = app.registry
    reg.open_account("registry", "o-reg", c.OpenAccount(REGULATOR, Role.REGULATOR, "Regulator"))
    accounts: dict[str, int] = {}
    for who in EMITTERS:
        r = reg.open_account("registry", f"o-{who}", c.OpenAccount(who, Role.EMITTER, who))
        accounts[who] = int(r.payload["account"])
    for who in (VERIFIER, AFFILIATED):
        reg.open_account("registry", f"o-{who}", c.OpenAccount(who, Role.VERIFIER, who))
    r = reg.open_account("registry", "o-ind", c.OpenAccount(INDIVIDUAL, Role.INDIVIDUAL, "A"))
    accounts[INDIVIDUAL] = int(r.payload["account"])
    return ComplianceWorld(app, clock, accounts)


def unit(account_id: int, units: int, unit_type: str = "coal_300mw_above") -> cc.InstallationOf:
    """An installation supplying ``units`` MWh at the factor 1."""
    return cc.InstallationOf(account_id, unit_type, "supply_g_per_mwh", units)
