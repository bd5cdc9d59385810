"""A pool selling on the market: a platform, three contributors, a key emitter, a contract.

The clock stands on Monday 2026-12-07, 10:00 China Standard Time (the morning session
of the national market, ``CN``). The contributors' PCER come the only way the registry
allows (``personal_credits.issue_pcer``): ``PCER-GD-CI-2026Q3-001``, which trades as the
contract ``PCER-GD-2026Q3`` in 10 kg lots at a ¥1.00/t tick. Each contributor deposits
all of it into the platform's pool (Guangdong terms: 5 % fee, a ¥75.00/t floor). The
key emitters Steel and Cement buy; ``otherplat`` is a platform that is not the pool's.

The holdings are uneven on purpose, so that the pro rata draw and the payout split both
have remainders to place.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from pctrade import bootstrap
from pctrade.bootstrap import App
from pctrade.kernel.clock import SetClock
from pctrade.kernel.errors import PctradeError
from pctrade.ledger import commands as c
from pctrade.ledger.model import CASH_ASSET, Role, State
from pctrade.ledger.sql import schema
from pctrade.ledger.sql.store import SqlStore
from pctrade.market import queries
from pctrade.market.commands import ListContract, PlaceOrder
from pctrade.pools import commands as pc
from pctrade.pools.model import Terms
from personal_credits import issue_pcer
from table_snapshot import everything

DAY = date(2026, 12, 7)  # a Monday, a trading day of the national calendar
CONTRACT = "PCER-GD-2026Q3"
BATCH = "PCER-GD-CI-2026Q3-001"
PLATFORM = "greenplat"
CONTRIBUTORS = {"alice": 611_111, "bob": 411_007, "chen": 217_882}  # grams of PCER
REFERENCE_FEN_PER_T = 8_000
FLOOR_FEN_PER_T = 7_500
FEE_BPS = 500
TRADE_FEE_BPS = 5  # CN's [fees] trade_fee_bps
BPS = 10_000
G_PER_T = 1_000_000

TERMS = Terms(
    admitted=("PCER-GD",),
    fee_bps=FEE_BPS,
    floor_fen_per_t=FLOOR_FEN_PER_T,
    draw_order="pro_rata",
    sale_schedule="whenever a key emitter buys",
    payout_delay_days=0,
    withdrawal_notice_days=0,
    lock_in_days=0,
)


def at(day: date, hh: int, mm: int) -> datetime:
    """A moment of ``day`` in China Standard Time, as the UTC clock reads it."""
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=UTC) - timedelta(hours=8)


@dataclass
class VenueWorld:
    app: App
    clock: SetClock
    accounts: dict[str, int]
    pool_id: str
    deposits: dict[str, int]  # contributor → deposit id (= hold id)

    @property
    def store(self) -> SqlStore:
        return self.app.store

    def sell(self, coid: str, price: int, grams: int, **kw: Any) -> PlaceOrder:
        account = kw.pop("account", self.accounts[PLATFORM])
        pool = kw.pop("pool", self.pool_id)
        side = kw.pop("side", "sell")
        return PlaceOrder(CONTRACT, account, coid, side, price, grams, pool=pool, **kw)

    def buy(self, who: str, coid: str, price: int, grams: int) -> PlaceOrder:
        return PlaceOrder(CONTRACT, self.accounts[who], coid, "buy", price, grams)


def build(store: SqlStore, contributors: dict[str, int] = CONTRIBUTORS) -> VenueWorld:
    clock = SetClock(at(DAY, 10, 0))
    app = bootstrap.build(store, clock=clock)
    reg = app.registry
    reg.open_account("registry", "o-reg", c.OpenAccount("reg", Role.REGULATOR, "Regulator"))
    parties = [
        (PLATFORM, Role.PLATFORM),
        ("otherplat", Role.PLATFORM),
        ("steel", Role.EMITTER),
        ("cement", Role.EMITTER),
        *((name, Role.INDIVIDUAL) for name in contributors),
    ]
    ids: dict[str, int] = {}
    for party, role in parties:
        r = reg.open_account("registry", f"o-{party}", c.OpenAccount(party, role, party.title()))
        ids[party] = int(r.payload["account"])
    batch = issue_pcer(
        app, {ids[n]: g for n, g in contributors.items()}, day=date(2026, 9, 15), key="v"
    )
    assert batch == BATCH
    for name in ("steel", "cement"):
        reg.deposit("reg", f"d-{name}", c.Deposit(ids[name], 100_000_000, f"bank-{name}"))
    listing = ListContract("PCER", "GD", "2026Q3", reference_price_fen_per_t=REFERENCE_FEN_PER_T)
    app.market.list_contract("registry", "list-pcer", listing)
    opened = app.pools.open(
        PLATFORM, "open-pool", pc.OpenPool(ids[PLATFORM], "GD", "Green pool", TERMS)
    )
    pool_id = str(opened.payload["pool_id"])
    deposits = {}
    for name, grams in contributors.items():
        cmd = pc.DepositToPool(pool_id, ids[name], BATCH, grams)
        deposits[name] = app.pools.deposit(name, f"dep-{name}", cmd).seq
    return VenueWorld(app, clock, ids, pool_id, deposits)


# ---- what the tests read -----------------------------------------------------------------
def balances(store: SqlStore) -> dict[tuple[int, int, int], int]:
    with store.engine.connect() as conn:
        b = schema.balances.c
        return {
            (r.account_id, r.asset_id, r.state): int(r.amount)
            for r in conn.execute(sa.select(b.account_id, b.asset_id, b.state, b.amount))
        }


def holds(store: SqlStore) -> dict[int, int]:
    with store.engine.connect() as conn:
        h = schema.holds.c
        rows = conn.execute(sa.select(h.hold_id, h.remaining))
        return {int(r.hold_id): int(r.remaining) for r in rows}


def cash(store: SqlStore, account: int, state: State = State.AVAILABLE) -> int:
    return balances(store).get((account, CASH_ASSET, int(state)), 0)


def largest_remainder(total: int, weights: Sequence[int]) -> list[int]:
    """The test's own exact split: floors, then the leftover one each to the largest
    remainders, ties to the earlier weight (the order given)."""
    whole = sum(weights)
    shares = [total * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


def left(w: VenueWorld) -> dict[str, int]:
    """Each contributor's pool units left, as the registry's holds say."""
    remaining = holds(w.store)
    return {name: remaining[hold] for name, hold in w.deposits.items()}


def expected_sale(w: VenueWorld, price: int, grams: int, before: dict[str, int]) -> Any:
    """The sale's draws and payout, computed here from the terms (the test's own oracle)."""
    names = sorted(before, key=lambda n: w.accounts[n])  # by account id
    drawn = dict(zip(names, largest_remainder(grams, [before[n] for n in names]), strict=True))
    gross = price * grams // G_PER_T
    trade_fee = gross * TRADE_FEE_BPS // BPS
    proceeds = gross - trade_fee
    pool_fee = proceeds * FEE_BPS // BPS
    net = proceeds - pool_fee
    shares = largest_remainder(net, [drawn[n] for n in names])
    paid = dict(zip(names, shares, strict=True))
    for n in names:  # each within one fen of its exact value
        assert abs(paid[n] * grams - net * drawn[n]) < grams
    return drawn, paid, gross, trade_fee, pool_fee


def refused(w: VenueWorld, code: str, call: Callable[[], Any]) -> None:
    before = everything(w.store)
    with pytest.raises(PctradeError) as exc:
        call()
    assert exc.value.code == code, exc.value
    assert everything(w.store) == before


def committed(w: VenueWorld) -> int:
    with w.store.reader() as uow:
        return queries.pool_committed_g(uow, w.pool_id)
