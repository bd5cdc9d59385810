"""A compliance year in random order, on SQLite: caps, free allocation, auctions, PCER
bought, verified emissions, surrenders and the clock, with the reports and the
integrity identities after every step.

The model knows each emitter's allowances per batch, its PCER and what counted towards
each obligation. After each step: the integrity report has no problem (cap = free +
auctioned + reserve with the reserve never negative; surrendered + banked = allocated +
offsets used − cancelled; offsets within every recorded cap), the surrendered figures
per obligation and the balances are the model's, each status is what the model says,
and ``verify`` is OK. A refused step changes nothing.
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

import hypothesis.strategies as st
from hypothesis import HealthCheck, event, settings
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from year_world import JURISDICTIONS, PERIOD, T, build

from hypothesis_budget import examples
from pctrade.bootstrap.contexts import verify
from pctrade.kernel.errors import PctradeError
from pctrade.ledger.model import State
from pctrade.ledger.sql.store import SqlStore

EMITTERS = ("plant-a", "plant-b")
REFUSALS = {
    "already_allocated",
    "allocation_exceeds_cap",
    "emissions_not_verified",
    "insufficient_balance",
    "offsets_above_cap",
    "offsets_nonlocal_above_cap",
    "surrender_after_deadline",
    "surrender_exceeds_obligation",
    "wrong_report_state",
}


class ComplianceYear(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = tempfile.TemporaryDirectory()
        self.store = SqlStore(f"sqlite:///{Path(self.dir.name) / 'c.db'}")
        self.y = build(self.store, EMITTERS)
        self.cea: dict[tuple[str, str], str] = {}  # (emitter, j) → its allocation batch
        self.held: dict[tuple[str, str], int] = {}  # (emitter, batch) → available grams
        self.verified: dict[tuple[str, str], int] = {}
        self.counted: dict[tuple[str, str], tuple[int, int]] = {}  # allowances, offsets

    @initialize(
        caps=st.tuples(st.integers(4_000, 8_000), st.integers(4_000, 8_000)),
        mwh=st.integers(500, 2_000),
        verified_t=st.integers(300, 2_000),
    )
    def start(self, caps: tuple[int, int], mwh: int, verified_t: int) -> None:
        """Caps in both jurisdictions, plant-a allocated and verified in both: the rest
        (plant-b, more runs, auctions, trades, surrenders, the clock) is random."""
        for j, cap_t in zip(JURISDICTIONS, caps, strict=True):
            self.y.cap(j, cap_t * T)
            name = self.y.allocate(j, {"plant-a": mwh})
            self.cea[("plant-a", j)] = name
            self.held[("plant-a", name)] = mwh * 825_000
            self.y.confirm("plant-a", j, verified_t * T)
            self.verified[("plant-a", j)] = verified_t * T

    def _try(self, step: object) -> bool:
        with self.store.reader() as uow:
            head = uow.head.last_seq
        try:
            step()  # type: ignore[operator]
        except PctradeError as exc:
            assert exc.code in REFUSALS, exc
            event(f"refused: {exc.code}")
            with self.store.reader() as uow:
                assert uow.head.last_seq == head  # a refusal writes nothing
            return False
        return True

    @rule(
        e=st.sampled_from(EMITTERS), j=st.sampled_from(JURISDICTIONS), mwh=st.integers(100, 4_000)
    )
    def allocate(self, e: str, j: str, mwh: int) -> None:
        names: list[str] = []
        if self._try(lambda: names.append(self.y.allocate(j, {e: mwh}))):
            self.cea[(e, j)] = names[0]
            self.held[(e, names[0])] = mwh * 825_000  # the benchmark, factor 1

    @rule(j=st.sampled_from(JURISDICTIONS), t=st.integers(1, 2_000))
    def auction(self, j: str, t: int) -> None:
        self._try(lambda: self.y.auction(j, t * T))

    @rule(e=st.sampled_from(EMITTERS), t=st.integers(1, 200))
    def buy_pcer(self, e: str, t: int) -> None:
        if self._try(lambda: self.y.buy_pcer(e, t * T)):
            self.held[(e, self.y.pcer)] = self.held.get((e, self.y.pcer), 0) + t * T

    @rule(e=st.sampled_from(EMITTERS), j=st.sampled_from(JURISDICTIONS), t=st.integers(100, 4_000))
    def confirm(self, e: str, j: str, t: int) -> None:
        if self._try(lambda: self.y.confirm(e, j, t * T)):
            self.verified[(e, j)] = t * T

    @rule(
        e=st.sampled_from(EMITTERS),
        j=st.sampled_from(JURISDICTIONS),
        cea_bps=st.integers(0, 12_000),
        pcer_bps=st.integers(0, 1_500),
    )
    def surrender(self, e: str, j: str, cea_bps: int, pcer_bps: int) -> None:
        """Shares of the obligation (or of 1,000 t when none is confirmed): some within
        the offset cap and the obligation, some beyond."""
        owed = self.verified.get((e, j), 1_000 * T)
        units = {}
        if cea_bps * owed // 10_000 and (e, j) in self.cea:
            units[self.cea[(e, j)]] = cea_bps * owed // 10_000
        pcer_g = min(pcer_bps * owed // 10_000, self.held.get((e, self.y.pcer), 0))
        if pcer_g:  # the PCER it bought, at most: an emitter without any offers none
            units[self.y.pcer] = pcer_g
        if not units:
            return
        if self._try(lambda: self.y.surrender(e, j, units)):
            event("surrendered")
            for batch, grams in units.items():
                self.held[(e, batch)] -= grams
            allowances, offsets = self.counted.get((e, j), (0, 0))
            pcer = units.get(self.y.pcer, 0)
            self.counted[(e, j)] = (allowances + sum(units.values()) - pcer, offsets + pcer)

    @rule(days=st.integers(1, 40))
    def later(self, days: int) -> None:
        self.y.clock.now = self.y.clock.now + timedelta(days=days)

    @invariant()
    def integrity_holds(self) -> None:
        report = self.y.app.compliance_reports.integrity()
        assert list(report.problems()) == []
        for (j, _), f in report.periods.items():
            assert f.reserve_g >= 0, j

    @invariant()
    def the_model_is_the_registrys(self) -> None:
        with self.store.reader() as uow:
            for (e, name), grams in self.held.items():
                batch = uow.batch_named(name)
                assert batch is not None
                assert uow.balance(self.y.accounts[e], batch.asset_id, State.AVAILABLE) == grams
        reports = self.y.app.compliance_reports
        for e in EMITTERS:
            for j in JURISDICTIONS:
                s = reports.status(self.y.accounts[e], j, PERIOD)
                allowances, offsets = self.counted.get((e, j), (0, 0))
                assert (s.allowances_g, s.offsets_g) == (allowances, offsets)
                owed = self.verified.get((e, j))
                assert s.report.owed_g == owed
                if owed is not None:
                    assert s.report.shortfall_g == owed - allowances - offsets

    def teardown(self) -> None:
        assert verify(self.store).ok
        self.y.app.close()
        self.store.dispose()
        self.dir.cleanup()


ComplianceYear.TestCase.settings = settings(
    max_examples=examples(ci=6, thorough=10),
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestComplianceYear = ComplianceYear.TestCase
