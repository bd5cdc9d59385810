"""The demo's November: 碳普惠, a retirement, and two trading days.

On the scenario clock (the steps of ``pctrade.demo``): two November days of trips are
quantified and credited; the energy nobody collected in June is past its 72 hours and
lapses; people collect November's; Guangdong's carbon-inclusive path issues the
qualifying avoided emissions directly as PCER to everyone above the per-person minimum,
spending that energy; a person retires credits for a trip and receives a certificate.
Then the market: Monday's order book (``demo_trading``) and Tuesday's allowance auction,
block trade and close (``demo_second_trading_day``).
"""

from __future__ import annotations

from pctrade import demo_second_trading_day, demo_trading
from pctrade.demo_pool_sale import PoolCast
from pctrade.demo_seeder import (
    CCER,
    CEA,
    CEMENT,
    EMITTER,
    FOREST,
    INCLUSIVE_DAYS,
    INSTITUTION,
    PLATFORM,
    REGULATOR,
    SPONSORS_MAX,
    Seeder,
    utc,
)
from pctrade.energy import service as energy
from pctrade.inclusive.claim import Period as InclusivePeriod
from pctrade.kernel.units import G_PER_KG
from pctrade.ledger import commands as c
from pctrade.ledger.operations import Retirement


def credit_november_energy(s: Seeder) -> None:
    for i, day in enumerate(INCLUSIVE_DAYS):
        s.result.days.append(s.credit_energy(day, seed=1119 + i, richness=16))


def expire_old_energy(s: Seeder) -> None:
    """The energy nobody collected in June is past its 72 hours: it lapses."""
    s.clock.now = utc(2026, 11, 21, 2, 30)
    expired = energy.expire(s.registry, s.clock.now, rules=s.rules, jurisdiction="GD")
    s.count(expired.replayed or expired.seq is None)
    s.result.expired_g = expired.expired_g


def collect_november_energy(s: Seeder) -> None:
    """People collect November's energy (only collected energy is claimed)."""
    s.clock.now = utc(2026, 11, 21, 2, 45)
    for pid in s.people()[:SPONSORS_MAX]:
        s.collect(pid, f"demo:collect:{pid}:november")


def issue_carbon_inclusive(s: Seeder) -> None:
    period = InclusivePeriod(INCLUSIVE_DAYS[0], INCLUSIVE_DAYS[-1])
    issued = s.issue_inclusive(period, "demo:inclusive", utc(2026, 11, 21, 3))
    s.count(issued.replayed)
    s.result.inclusive = issued


def retire(s: Seeder) -> None:
    s.clock.now = utc(2026, 11, 22, 2)
    who = s.holder(2)
    s.result.retiree = who
    retirement = Retirement(
        s.result.names[who],
        "抵消2026年国庆出行碳足迹 Offsetting my National Day 2026 trip",
        "CN-GD",
        "2026-10",
    )
    retire_g = min(20 * G_PER_KG, max(1, s.issued_to(who) // 10))
    cmd = c.Retire(s.acct(who), s.result.pcer, retire_g, retirement)
    r = s.record(s.registry.retire(who, "demo:retire:trip", cmd))
    s.result.retirement_seq = r.seq
    # The seller takes part of the proceeds to the bank.
    seller = s.holder(3)
    out = c.Withdraw(s.acct(seller), 10, "BANK-OUT-001")
    s.record(s.registry.withdraw(seller, "demo:withdraw:seller", out))


def trading_day(s: Seeder) -> None:
    """Monday's order book (``pctrade.demo_trading``)."""
    summer = s.result.summer
    assert summer is not None
    cast = demo_trading.Cast(
        REGULATOR,
        EMITTER,
        INSTITUTION,
        FOREST,
        s.saver,
        s.person(4),
        summer.batch,
        CCER,
        CEA,
    )
    s.result.trading = demo_trading.run_trading_day(s.app, cast, s.result.accounts, s.count)


def second_trading_day(s: Seeder) -> None:
    """Tuesday's auction, block trade and close (``pctrade.demo_second_trading_day``)."""
    monday = s.result.trading
    assert monday is not None
    cast = demo_second_trading_day.Cast(REGULATOR, EMITTER, CEMENT, INSTITUTION, CEA, CCER)
    listed = [code for code, _ in monday.contracts]
    summer = s.result.summer
    assert summer is not None
    pool = PoolCast(
        PLATFORM,
        EMITTER,
        s.result.pool_id,
        [p for p in s.people() if p != s.saver],  # the saver sells on their own
        summer.batch,
        demo_second_trading_day.contract_code(summer.batch),
    )
    s.result.second_day = demo_second_trading_day.run_second_day(
        s.app, cast, s.result.accounts, s.count, listed, pool
    )
